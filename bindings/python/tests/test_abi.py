"""The ctypes mirrors of the C options structs have exactly the size the library's
``_default()`` functions put in ``struct_size``: a mirror that lags behind the header
would hand the library a struct shorter than the size it declares."""

import ctypes

import pytest

from lumen import _native

MIRRORS = [
    ("engine", _native.EngineOptions),
    ("occlusion", _native.OcclusionOptions),
    ("feature_ablation", _native.FeatureAblationOptions),
    ("kernel_shap", _native.KernelShapOptions),
    ("shapley_sampling", _native.ShapleySamplingOptions),
    ("integrated_gradients", _native.IntegratedGradientsOptions),
    ("saliency", _native.SaliencyOptions),
    ("gradient_shap", _native.GradientShapOptions),
    ("noise_tunnel", _native.NoiseTunnelOptions),
    ("grad_cam", _native.GradCamOptions),
    ("permute_attack", _native.PermuteAttackOptions),
    ("timeshap", _native.TimeShapOptions),
]


@pytest.mark.parametrize(("method", "mirror"), MIRRORS, ids=[name for name, _ in MIRRORS])
def test_mirror_size_matches_struct_size(method: str, mirror: type[ctypes.Structure]) -> None:
    defaults = getattr(_native.lib, f"lumen_{method}_options_default")()
    assert defaults.struct_size == ctypes.sizeof(mirror), f"lumen_{method}_options"


def test_every_status_has_its_c_name() -> None:
    from lumen import Status

    for status in Status:
        name = _native.lib.lumen_status_name(int(status)).decode()
        assert name == f"LUMEN_STATUS_{status.name}"
    assert _native.lib.lumen_status_name(len(Status)).decode() == "LUMEN_STATUS_UNKNOWN"
