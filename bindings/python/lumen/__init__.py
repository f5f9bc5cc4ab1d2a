"""Lumen from Python: a ctypes binding of liblumen's C ABI (no compiled extension).

>>> import numpy as np, lumen
>>> model = lumen.Model(lambda x: x @ np.array([0.5, -1.0, 2.0]), input_len=3)
>>> with lumen.Engine(seed=7) as engine:
...     ex = engine.kernel_shap(model, [1.0, 2.0, 3.0], background=np.zeros((4, 3)))
>>> ex.attributions.round(3).tolist()
[[[0.5, -2.0, 6.0]]]

The library is found through ``$LUMEN_LIBRARY``, then next to this package, then the
repository's ``target/release`` (see :func:`lumen._native.candidate_paths`).
"""

from ._native import LibraryNotFoundError
from ._native import lib as _lib
from ._source import workspace_version as _workspace_version
from ._version import BUILT_VERSION as _BUILT_VERSION
from .cancel import CancelToken, ProgressFn, row_key
from .engine import ESTIMATORS, Engine, check_kernel_shap_sampling
from .errors import (
    CancelledError,
    DeadlineExceededError,
    ElementTypeMismatchError,
    ElementTypeUnsupportedError,
    InternalError,
    InvalidInputError,
    InvalidStateError,
    LumenError,
    ModelCallbackError,
    ModelError,
    NonFiniteResultError,
    NotAvailableError,
    OutOfMemoryError,
    PrecisionWarning,
    Status,
)
from .explanation import (
    Counterfactual,
    Counterfactuals,
    Explanation,
    InstanceOutcome,
    ReasonCode,
    SamplingDiagnostics,
    scorecard_score,
)
from .model import Model
from .sequence_model import SequenceModel
from .timeshap import (
    Player,
    Pruning,
    PruningPoint,
    PruningRow,
    Summary,
    TimeShapCurvePoint,
    TimeShapExplanation,
    TimeShapGlobal,
    TimeShapOptions,
    TimeShapPlayer,
    TimeShapPruningCurve,
)

__all__ = [
    "CancelToken",
    "CancelledError",
    "Counterfactual",
    "Counterfactuals",
    "DeadlineExceededError",
    "ESTIMATORS",
    "ElementTypeMismatchError",
    "ElementTypeUnsupportedError",
    "Engine",
    "Explanation",
    "InstanceOutcome",
    "InternalError",
    "InvalidInputError",
    "InvalidStateError",
    "LibraryNotFoundError",
    "LumenError",
    "Model",
    "ModelCallbackError",
    "ModelError",
    "NonFiniteResultError",
    "NotAvailableError",
    "OutOfMemoryError",
    "Player",
    "PrecisionWarning",
    "ProgressFn",
    "Pruning",
    "PruningPoint",
    "PruningRow",
    "ReasonCode",
    "row_key",
    "SamplingDiagnostics",
    "SequenceModel",
    "Status",
    "Summary",
    "TimeShapCurvePoint",
    "TimeShapExplanation",
    "TimeShapGlobal",
    "TimeShapOptions",
    "TimeShapPlayer",
    "TimeShapPruningCurve",
    "check_kernel_shap_sampling",
    "library_version",
    "scorecard_score",
]

#: The distribution's version (the Cargo workspace's; equal to :func:`library_version` for
#: a wheel built with its liblumen).
__version__: str = _BUILT_VERSION or _workspace_version()


def library_version() -> str:
    """The loaded liblumen's version, ``"MAJOR.MINOR.PATCH"``."""
    version: bytes = _lib.lumen_version()
    return version.decode("ascii")
