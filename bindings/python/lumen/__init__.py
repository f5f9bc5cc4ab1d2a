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
from .engine import Engine
from .errors import (
    InternalError,
    InvalidInputError,
    LumenError,
    ModelCallbackError,
    ModelError,
    NotAvailableError,
    Status,
)
from .explanation import Counterfactual, Counterfactuals, Explanation, InstanceOutcome, ReasonCode, scorecard_score
from .model import Model
from .sequence_model import SequenceModel
from .timeshap import Player, Pruning, PruningPoint, PruningRow, Summary, TimeShapExplanation, TimeShapGlobal

__all__ = [
    "Counterfactual",
    "Counterfactuals",
    "Engine",
    "Explanation",
    "InstanceOutcome",
    "InternalError",
    "InvalidInputError",
    "LibraryNotFoundError",
    "LumenError",
    "Model",
    "ModelCallbackError",
    "ModelError",
    "NotAvailableError",
    "Player",
    "Pruning",
    "PruningPoint",
    "PruningRow",
    "ReasonCode",
    "SequenceModel",
    "Status",
    "Summary",
    "TimeShapExplanation",
    "TimeShapGlobal",
    "library_version",
    "scorecard_score",
]

try:
    from ._version import __version__  # written into the wheel by setup.py
except ImportError:  # a source checkout: Cargo.toml's workspace version is the one source
    from ._source import workspace_version

    __version__ = workspace_version()


def library_version() -> str:
    """The loaded liblumen's version, ``"MAJOR.MINOR.PATCH"``."""
    return _lib.lumen_version().decode("ascii")
