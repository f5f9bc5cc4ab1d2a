"""The C ABI of liblumen through ctypes: finding the library, the structs of
``include/lumen.h`` and the prototypes of every export. Nothing here does maths."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_double,
    c_float,
    c_int32,
    c_int64,
    c_size_t,
    c_uint32,
    c_uint64,
    c_void_p,
)
from pathlib import Path
from typing import Any

#: The model descriptor ABI this module writes (``LUMEN_MODEL_ABI_VERSION``).
MODEL_ABI_VERSION = 4
#: ``lumen_model_desc.flags``: the callbacks may run on several threads at once.
MODEL_CONCURRENT = 1
#: The sequence-model descriptor ABI this module writes (``LUMEN_SEQUENCE_MODEL_ABI_VERSION``).
SEQUENCE_MODEL_ABI_VERSION = 2
#: ``element_type`` values of the model descriptors (``LUMEN_ELEMENT_*``).
ELEMENT_F32, ELEMENT_F64 = 0, 1
#: ``lumen_model_desc.memory_space``: host memory.
MEMORY_HOST = 0
#: ``lumen_permute_attack_options.target_class`` for "the other class".
TARGET_OPPOSITE = -1
#: ``lumen_tabular_feature.kind`` values.
FEATURE_NUMERIC, FEATURE_CATEGORICAL, FEATURE_CODED = 0, 1, 2

c_size_p = POINTER(c_size_t)
c_float_p = POINTER(c_float)
c_double_p = POINTER(c_double)
c_uint32_p = POINTER(c_uint32)
c_char_pp = POINTER(c_char_p)



def _model_callbacks(real_p: Any) -> tuple[Any, Any, Any]:
    """The row model's ``predict``, ``gradient`` and ``layer_gradient`` types over ``real_p``
    (``float *`` or ``double *``)."""
    return (
        CFUNCTYPE(c_int32, c_void_p, real_p, c_size_t, real_p),
        CFUNCTYPE(c_int32, c_void_p, real_p, c_size_t, c_uint32_p, real_p, real_p),
        CFUNCTYPE(c_int32, c_void_p, real_p, c_size_t, c_uint32_p, real_p, real_p),
    )


def _sequence_callbacks(real_p: Any) -> tuple[Any, Any, Any]:
    """The sequence model's ``predict``, ``run_prefix`` and ``predict_from_state`` types
    over ``real_p``."""
    return (
        CFUNCTYPE(c_int32, c_void_p, real_p, c_size_t, c_size_t, real_p),
        CFUNCTYPE(c_int32, c_void_p, real_p, real_p, c_size_t, c_size_t, real_p),
        CFUNCTYPE(c_int32, c_void_p, real_p, real_p, c_size_t, c_size_t, real_p),
    )


PREDICT_FN, GRADIENT_FN, LAYER_GRADIENT_FN = _model_callbacks(c_float_p)
PREDICT_F64_FN, GRADIENT_F64_FN, LAYER_GRADIENT_F64_FN = _model_callbacks(c_double_p)
FINALIZE_FN = CFUNCTYPE(None, c_void_p)
SEQUENCE_PREDICT_FN, RUN_PREFIX_FN, PREDICT_FROM_STATE_FN = _sequence_callbacks(c_float_p)
SEQUENCE_PREDICT_F64_FN, RUN_PREFIX_F64_FN, PREDICT_FROM_STATE_F64_FN = _sequence_callbacks(c_double_p)
PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_double)
#: Each ``LUMEN_ELEMENT_*``'s callback types: (predict, gradient, layer_gradient) of a row
#: model, (predict, run_prefix, predict_from_state) of a sequence model.
MODEL_CALLBACKS = {
    ELEMENT_F32: (PREDICT_FN, GRADIENT_FN, LAYER_GRADIENT_FN),
    ELEMENT_F64: (PREDICT_F64_FN, GRADIENT_F64_FN, LAYER_GRADIENT_F64_FN),
}
SEQUENCE_CALLBACKS = {
    ELEMENT_F32: (SEQUENCE_PREDICT_FN, RUN_PREFIX_FN, PREDICT_FROM_STATE_FN),
    ELEMENT_F64: (SEQUENCE_PREDICT_F64_FN, RUN_PREFIX_F64_FN, PREDICT_FROM_STATE_F64_FN),
}

#: ``lumen_kernel_shap_options.estimator`` values (``LUMEN_ESTIMATOR_*``).
ESTIMATORS = {"default": 0, "shap": 1, "leverage": 2, "leverage_stratified": 3, "leverage_interactions": 4,
              "leverage_top_triples": 5}


class ModelDesc(Structure):
    """``lumen_model_desc``."""

    _fields_ = [
        ("abi_version", c_uint32),
        ("flags", c_uint32),
        ("memory_space", c_uint32),
        ("input_len", c_size_t),
        ("input_shape", c_size_p),
        ("input_rank", c_size_t),
        ("output_len", c_size_t),
        ("max_batch_rows", c_size_t),
        ("predict", PREDICT_FN),
        ("gradient", GRADIENT_FN),
        ("user_data", c_void_p),
        ("finalize", FINALIZE_FN),
        ("feature_names", c_char_pp),
        ("feature_names_len", c_size_t),
        ("layer_gradient", LAYER_GRADIENT_FN),
        ("layer_shape", c_size_t * 3),
        # ABI 3: device-memory models (not made by this binding: the callbacks stay NULL).
        ("input_dtype", c_uint32),
        ("predict_device", c_void_p),
        ("gradient_device", c_void_p),
        # ABI 4: the element type and the double-precision callbacks.
        ("element_type", c_uint32),
        ("predict_f64", PREDICT_F64_FN),
        ("gradient_f64", GRADIENT_F64_FN),
        ("layer_gradient_f64", LAYER_GRADIENT_F64_FN),
    ]


class CallControl(Structure):
    """``lumen_call_control``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("cancel", c_void_p),
        ("timeout_ms", c_uint64),
        ("progress", PROGRESS_FN),
        ("progress_user_data", c_void_p),
        ("max_model_threads", c_uint32),
        ("seed", c_uint64),
        ("row_keys", c_void_p),
        ("n_row_keys", c_size_t),
        ("has_seed", c_uint32),
        ("row_targets", c_void_p),
        ("n_row_targets", c_size_t),
    ]


class EngineOptions(Structure):
    """``lumen_engine_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("backend", c_uint32),
        ("threads", c_uint32),
        ("seed", c_uint64),
        ("memory_budget_bytes", c_size_t),
    ]


class OcclusionOptions(Structure):
    """``lumen_occlusion_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("window_shape", c_size_p),
        ("window_rank", c_size_t),
        ("strides", c_size_p),
        ("strides_rank", c_size_t),
        ("baseline", c_float_p),
        ("baseline_len", c_size_t),
        ("baseline_scalar", c_float),
        ("targets", c_uint32_p),
        ("targets_len", c_size_t),
        ("perturbations_per_eval", c_size_t),
        ("control", c_void_p),
        ("baseline_f64", c_double_p),
        ("baseline_scalar_f64", c_double),
    ]


class FeatureAblationOptions(Structure):
    """``lumen_feature_ablation_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("feature_mask", c_uint32_p),
        ("feature_mask_len", c_size_t),
        ("group_names", c_char_pp),
        ("group_names_len", c_size_t),
        ("baseline", c_float_p),
        ("baseline_len", c_size_t),
        ("baseline_scalar", c_float),
        ("targets", c_uint32_p),
        ("targets_len", c_size_t),
        ("perturbations_per_eval", c_size_t),
        ("group_attributions", c_uint32),
        ("control", c_void_p),
        ("baseline_f64", c_double_p),
        ("baseline_scalar_f64", c_double),
    ]


class ShapleyGame(Structure):
    """``lumen_shapley_game``."""

    _fields_ = [
        ("background", c_float_p),
        ("background_len", c_size_t),
        ("background_weights", c_double_p),
        ("background_weights_len", c_size_t),
        ("players", c_uint32_p),
        ("players_len", c_size_t),
        ("player_names", c_char_pp),
        ("player_names_len", c_size_t),
        ("targets", c_uint32_p),
        ("targets_len", c_size_t),
        ("link", c_uint32),
    ]


class KernelShapOptions(Structure):
    """``lumen_kernel_shap_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("game", ShapleyGame),
        ("budget", c_size_t),
        ("error_batches", c_uint32),
        ("target_standard_error", c_double),
        ("max_budget", c_size_t),
        ("estimator", c_uint32),
        ("control", c_void_p),
        ("background_f64", c_double_p),
    ]


class ShapleySamplingOptions(Structure):
    """``lumen_shapley_sampling_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("game", ShapleyGame),
        ("permutation_pairs", c_size_t),
        ("control", c_void_p),
        ("background_f64", c_double_p),
        ("target_standard_error", c_double),
        ("max_permutation_pairs", c_size_t),
    ]


class IntegratedGradientsOptions(Structure):
    """``lumen_integrated_gradients_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("baseline", c_float_p),
        ("baseline_len", c_size_t),
        ("baseline_scalar", c_float),
        ("n_steps", c_size_t),
        ("method", c_uint32),
        ("internal_batch_size", c_size_t),
        ("multiply_by_inputs", c_uint32),
        ("targets", c_uint32_p),
        ("targets_len", c_size_t),
        ("control", c_void_p),
        ("baseline_f64", c_double_p),
        ("baseline_scalar_f64", c_double),
    ]


class SaliencyOptions(Structure):
    """``lumen_saliency_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("abs", c_uint32),
        ("targets", c_uint32_p),
        ("targets_len", c_size_t),
        ("control", c_void_p),
    ]


class GradientShapOptions(Structure):
    """``lumen_gradient_shap_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("baselines", c_float_p),
        ("baselines_len", c_size_t),
        ("n_samples", c_size_t),
        ("stdevs", c_float),
        ("internal_batch_size", c_size_t),
        ("targets", c_uint32_p),
        ("targets_len", c_size_t),
        ("control", c_void_p),
        ("baselines_f64", c_double_p),
        ("stdevs_f64", c_double),
    ]


class NoiseTunnelOptions(Structure):
    """``lumen_noise_tunnel_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("nt_type", c_uint32),
        ("nt_samples", c_size_t),
        ("stdevs", c_float),
        ("base", c_uint32),
        ("saliency", POINTER(SaliencyOptions)),
        ("integrated_gradients", POINTER(IntegratedGradientsOptions)),
        ("gradient_shap", POINTER(GradientShapOptions)),
        ("control", c_void_p),
        ("stdevs_f64", c_double),
    ]


class GradCamOptions(Structure):
    """``lumen_grad_cam_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("targets", c_uint32_p),
        ("targets_len", c_size_t),
        ("relu_attributions", c_uint32),
        ("upsample", c_uint32),
        ("internal_batch_size", c_size_t),
        ("control", c_void_p),
    ]


class TabularFeature(Structure):
    """``lumen_tabular_feature``."""

    _fields_ = [("name", c_char_p), ("kind", c_uint32), ("columns", c_size_p), ("columns_len", c_size_t)]


class FeatureCodes(Structure):
    """``lumen_feature_codes``."""

    _fields_ = [("feature", c_uint32), ("codes", c_float_p), ("codes_len", c_size_t)]


class FeatureRange(Structure):
    """``lumen_feature_range``."""

    _fields_ = [("feature", c_uint32), ("min", c_float), ("max", c_float)]


class PermuteAttackOptions(Structure):
    """``lumen_permute_attack_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("features", POINTER(TabularFeature)),
        ("features_len", c_size_t),
        ("training", c_float_p),
        ("training_len", c_size_t),
        ("target_class", c_int64),
        ("immutable", c_uint32_p),
        ("immutable_len", c_size_t),
        ("allow_list", c_uint32_p),
        ("allow_list_len", c_size_t),
        ("ranges", POINTER(FeatureRange)),
        ("ranges_len", c_size_t),
        ("population", c_size_t),
        ("parents", c_size_t),
        ("generations", c_size_t),
        ("runs", c_size_t),
        ("rho0", c_double),
        ("rho1", c_double),
        ("temperature", c_double),
        ("decay", c_double),
        ("max_changed", c_size_t),
        ("max_distance", c_double),
        ("success_probability", c_double),
        ("counterfactuals", c_size_t),
        ("sampling", c_uint32),
        ("gibbs_bins", c_size_t),
        ("gibbs_iterations", c_size_t),
        ("control", c_void_p),
        ("feature_codes", POINTER(FeatureCodes)),
        ("feature_codes_len", c_size_t),
        ("training_f64", c_double_p),
    ]


class InstanceCounterfactuals(Structure):
    """``lumen_instance_counterfactuals``."""

    _fields_ = [
        ("original_class", c_uint32),
        ("target_class", c_uint32),
        ("original_probability", c_float),
        ("already_at_target", c_uint32),
        ("count", c_size_t),
        ("model_rows_evaluated", c_uint64),
    ]


class Counterfactual(Structure):
    """``lumen_counterfactual``."""

    _fields_ = [
        ("success", c_uint32),
        ("predicted_class", c_uint32),
        ("target_probability", c_float),
        ("distance", c_float),
        ("changed_len", c_size_t),
    ]


class AttributionShape(Structure):
    """``lumen_attribution_shape``."""

    _fields_ = [("rows", c_size_t), ("outputs", c_size_t), ("features", c_size_t), ("feature_axis", c_uint32)]


class RowDiagnostics(Structure):
    """``lumen_row_diagnostics``."""

    _fields_ = [("model_rows_evaluated", c_uint64), ("has_completeness_gap", c_uint32)]


class ReasonCodeF64(Structure):
    """``lumen_reason_code_f64``."""

    _fields_ = [("feature", c_size_t), ("contribution", c_double)]


class SequenceModelDesc(Structure):
    """``lumen_sequence_model_desc``."""

    _fields_ = [
        ("abi_version", c_uint32),
        ("flags", c_uint32),
        ("features", c_size_t),
        ("output_len", c_size_t),
        ("max_batch_rows", c_size_t),
        ("state_len", c_size_t),
        ("predict", SEQUENCE_PREDICT_FN),
        ("run_prefix", RUN_PREFIX_FN),
        ("predict_from_state", PREDICT_FROM_STATE_FN),
        ("user_data", c_void_p),
        ("finalize", FINALIZE_FN),
        ("feature_names", c_char_pp),
        ("feature_names_len", c_size_t),
        # Version 2: the element type and the double-precision callbacks.
        ("element_type", c_uint32),
        ("predict_f64", SEQUENCE_PREDICT_F64_FN),
        ("run_prefix_f64", RUN_PREFIX_F64_FN),
        ("predict_from_state_f64", PREDICT_FROM_STATE_F64_FN),
    ]


class TimeShapOptions(Structure):
    """``lumen_timeshap_options``."""

    _fields_ = [
        ("struct_size", c_size_t),
        ("background", c_float_p),
        ("background_len", c_size_t),
        ("training_events", c_float_p),
        ("training_events_len", c_size_t),
        ("prune", c_uint32),
        ("tolerance", c_double),
        ("budget", c_size_t),
        ("error_batches", c_uint32),
        ("target", c_uint32),
        ("link", c_uint32),
        ("disable_state", c_uint32),
        ("relevance", c_uint32),
        ("top_events", c_size_t),
        ("top_features", c_size_t),
        ("event_threshold", c_double),
        ("feature_threshold", c_double),
        ("control", c_void_p),
        ("pruning_index", c_int64),
        ("background_f64", c_double_p),
        ("training_events_f64", c_double_p),
        ("estimator", c_uint32),
    ]


class PruningPoint(Structure):
    """``lumen_pruning_point``."""

    _fields_ = [("split", c_size_t), ("newer_len", c_size_t), ("older_value", c_double), ("newer_value", c_double)]


class TimeShapCurvePoint(Structure):
    """``lumen_timeshap_curve_point``."""

    _fields_ = [("t", c_int64), ("older_value", c_double), ("newer_value", c_double)]


class TimeShapGlobalSizes(Structure):
    """``lumen_timeshap_global_sizes``."""

    _fields_ = [("sequences", c_size_t), ("distances", c_size_t), ("features", c_size_t), ("tolerances", c_size_t)]


class Summary(Structure):
    """``lumen_summary``."""

    _fields_ = [
        ("count", c_size_t),
        ("mean", c_double),
        ("std", c_double),
        ("median", c_double),
        ("min", c_double),
        ("max", c_double),
    ]


class PruningRow(Structure):
    """``lumen_pruning_row``."""

    _fields_ = [
        ("tolerance", c_double),
        ("mean_len", c_double),
        ("median_len", c_double),
        ("max_len", c_size_t),
        ("exact_share", c_double),
        ("relative_std", c_double),
    ]


_HANDLE = c_void_p
_OUT_HANDLE = POINTER(c_void_p)
_STATUS = c_uint32

# name: (restype, argtypes)
_PROTOTYPES = {
    "lumen_last_error_message": (c_char_p, []),
    "lumen_status_name": (c_char_p, [c_uint32]),
    "lumen_version": (c_char_p, []),
    "lumen_string_free": (None, [c_void_p]),
    "lumen_call_control_default": (CallControl, []),
    "lumen_row_key_of_bytes": (_STATUS, [c_char_p, c_size_t, POINTER(c_uint64)]),
    "lumen_cancel_token_new": (_STATUS, [_OUT_HANDLE]),
    "lumen_cancel_token_cancel": (_STATUS, [_HANDLE]),
    "lumen_cancel_token_reset": (_STATUS, [_HANDLE]),
    "lumen_cancel_token_is_cancelled": (_STATUS, [_HANDLE, c_uint32_p]),
    "lumen_cancel_token_free": (None, [_HANDLE]),
    "lumen_engine_options_default": (EngineOptions, []),
    "lumen_engine_new": (_STATUS, [POINTER(EngineOptions), _OUT_HANDLE]),
    "lumen_engine_free": (None, [_HANDLE]),
    "lumen_engine_backend": (_STATUS, [_HANDLE, c_uint32_p]),
    "lumen_model_new": (_STATUS, [POINTER(ModelDesc), _OUT_HANDLE]),
    "lumen_model_free": (None, [_HANDLE]),
    "lumen_occlusion_options_default": (OcclusionOptions, []),
    "lumen_feature_ablation_options_default": (FeatureAblationOptions, []),
    "lumen_kernel_shap_options_default": (KernelShapOptions, []),
    "lumen_shapley_sampling_options_default": (ShapleySamplingOptions, []),
    "lumen_integrated_gradients_options_default": (IntegratedGradientsOptions, []),
    "lumen_saliency_options_default": (SaliencyOptions, []),
    "lumen_gradient_shap_options_default": (GradientShapOptions, []),
    "lumen_noise_tunnel_options_default": (NoiseTunnelOptions, []),
    "lumen_grad_cam_options_default": (GradCamOptions, []),
    "lumen_permute_attack_options_default": (PermuteAttackOptions, []),
    "lumen_explanation_free": (None, [_HANDLE]),
    "lumen_explanation_shape": (_STATUS, [_HANDLE, POINTER(AttributionShape)]),
    "lumen_explanation_feature_rank": (_STATUS, [_HANDLE, c_size_p]),
    "lumen_explanation_feature_shape": (_STATUS, [_HANDLE, c_size_p, c_size_t]),
    "lumen_explanation_attributions": (_STATUS, [_HANDLE, c_float_p, c_size_t]),
    "lumen_explanation_predictions": (_STATUS, [_HANDLE, c_float_p, c_size_t]),
    "lumen_explanation_base_values": (_STATUS, [_HANDLE, c_float_p, c_size_t]),
    "lumen_explanation_outputs": (_STATUS, [_HANDLE, c_uint32_p, c_size_t]),
    "lumen_explanation_row_targets": (_STATUS, [_HANDLE, c_uint32_p, c_size_t]),
    "lumen_explanation_row_diagnostics": (_STATUS, [_HANDLE, c_size_t, POINTER(RowDiagnostics)]),
    "lumen_explanation_completeness_gaps": (_STATUS, [_HANDLE, c_double_p, c_size_t]),
    "lumen_explanation_standard_errors": (_STATUS, [_HANDLE, c_float_p, c_size_t]),
    "lumen_explanation_attributions_f64": (_STATUS, [_HANDLE, c_double_p, c_size_t]),
    "lumen_explanation_predictions_f64": (_STATUS, [_HANDLE, c_double_p, c_size_t]),
    "lumen_explanation_base_values_f64": (_STATUS, [_HANDLE, c_double_p, c_size_t]),
    "lumen_explanation_standard_errors_f64": (_STATUS, [_HANDLE, c_double_p, c_size_t]),
    "lumen_explanation_element_type": (_STATUS, [_HANDLE, c_uint32_p]),
    "lumen_explanation_feature_name": (_STATUS, [_HANDLE, c_size_t, POINTER(c_char_p)]),
    "lumen_explanation_reason_codes_f64": (
        _STATUS,
        [_HANDLE, c_size_t, c_size_t, c_size_t, c_uint32, POINTER(ReasonCodeF64), c_size_t, c_size_p],
    ),
    "lumen_explanation_model_rows_evaluated": (_STATUS, [_HANDLE, POINTER(c_uint64)]),
    "lumen_explanation_to_json": (_STATUS, [_HANDLE, POINTER(c_void_p)]),
    "lumen_explanation_sum_groups": (_STATUS, [_HANDLE, c_uint32_p, c_size_t, c_char_pp, c_size_t, _OUT_HANDLE]),
    "lumen_counterfactuals_free": (None, [_HANDLE]),
    "lumen_counterfactuals_count": (_STATUS, [_HANDLE, c_size_p]),
    "lumen_counterfactuals_instance": (_STATUS, [_HANDLE, c_size_t, POINTER(InstanceCounterfactuals)]),
    "lumen_counterfactuals_get": (_STATUS, [_HANDLE, c_size_t, c_size_t, POINTER(Counterfactual)]),
    "lumen_counterfactuals_row": (_STATUS, [_HANDLE, c_size_t, c_size_t, c_float_p, c_size_t]),
    "lumen_counterfactuals_row_f64": (_STATUS, [_HANDLE, c_size_t, c_size_t, c_double_p, c_size_t]),
    "lumen_counterfactuals_probabilities_f64": (
        _STATUS,
        [_HANDLE, c_size_t, c_size_t, c_double_p, c_double_p, c_double_p],
    ),
    "lumen_counterfactuals_changed": (_STATUS, [_HANDLE, c_size_t, c_size_t, c_uint32_p, c_size_t]),
    "lumen_counterfactuals_to_json": (_STATUS, [_HANDLE, POINTER(c_void_p)]),
    "lumen_scorecard_score": (_STATUS, [c_double, c_double, c_double, c_double, c_double_p]),
    "lumen_sequence_model_new": (_STATUS, [POINTER(SequenceModelDesc), _OUT_HANDLE]),
    "lumen_sequence_model_free": (None, [_HANDLE]),
    "lumen_timeshap_options_default": (TimeShapOptions, []),
    "lumen_explanation_timeshap_player_name": (_STATUS, [_HANDLE, c_size_t, POINTER(c_char_p)]),
    "lumen_timeshap_global_shape": (_STATUS, [_HANDLE, POINTER(TimeShapGlobalSizes)]),
    "lumen_timeshap_global_event_importance": (_STATUS, [_HANDLE, POINTER(Summary), c_size_t]),
    "lumen_timeshap_global_feature_importance": (_STATUS, [_HANDLE, POINTER(Summary), c_size_t]),
    "lumen_timeshap_global_most_recent_share": (_STATUS, [_HANDLE, POINTER(Summary)]),
    "lumen_timeshap_global_pruning_table": (_STATUS, [_HANDLE, POINTER(PruningRow), c_size_t]),
    "lumen_timeshap_global_to_json": (_STATUS, [_HANDLE, POINTER(c_void_p)]),
    "lumen_timeshap_global_free": (None, [_HANDLE]),
}

_EXPLAIN_OPTIONS = {
    "occlusion": OcclusionOptions,
    "feature_ablation": FeatureAblationOptions,
    "kernel_shap": KernelShapOptions,
    "shapley_sampling": ShapleySamplingOptions,
    "integrated_gradients": IntegratedGradientsOptions,
    "saliency": SaliencyOptions,
    "gradient_shap": GradientShapOptions,
    "noise_tunnel": NoiseTunnelOptions,
    "grad_cam": GradCamOptions,
    "counterfactuals": PermuteAttackOptions,
}
#: Each element type's export suffix and the pointer type of its buffers: every explain
#: export over float rows has an ``_f64`` twin over double rows.
_ELEMENT_POINTERS = {"": c_float_p, "_f64": c_double_p}
_TIMESHAP_OPTIONS = POINTER(TimeShapOptions)
for _suffix, _real_p in _ELEMENT_POINTERS.items():
    for _method, _options in _EXPLAIN_OPTIONS.items():
        _PROTOTYPES[f"lumen_engine_explain_{_method}{_suffix}"] = (
            _STATUS,
            [_HANDLE, _HANDLE, _real_p, c_size_t, c_size_t, POINTER(_options), _OUT_HANDLE],
        )
    _PROTOTYPES[f"lumen_engine_timeshap_prune{_suffix}"] = (
        _STATUS,
        [
            _HANDLE,
            _HANDLE,
            _real_p,
            c_size_t,
            c_size_t,
            _TIMESHAP_OPTIONS,
            c_uint32,
            c_size_p,
            POINTER(PruningPoint),
            c_size_t,
            c_size_p,
        ],
    )
    _PROTOTYPES[f"lumen_engine_timeshap_pruning_curve{_suffix}"] = (
        _STATUS,
        [
            _HANDLE,
            _HANDLE,
            _real_p,
            c_size_t,
            c_size_t,
            _TIMESHAP_OPTIONS,
            POINTER(c_int64),
            POINTER(TimeShapCurvePoint),
            c_size_t,
            c_size_p,
        ],
    )
    _PROTOTYPES[f"lumen_engine_explain_timeshap{_suffix}"] = (
        _STATUS,
        [_HANDLE, _HANDLE, _real_p, c_size_t, c_size_t, c_uint32, _TIMESHAP_OPTIONS, _OUT_HANDLE],
    )
    _PROTOTYPES[f"lumen_engine_timeshap_global{_suffix}"] = (
        _STATUS,
        [
            _HANDLE,
            _HANDLE,
            _real_p,
            c_size_t,
            c_size_p,
            c_size_t,
            _TIMESHAP_OPTIONS,
            c_double_p,
            c_size_t,
            c_uint32,
            _OUT_HANDLE,
        ],
    )


class LibraryNotFoundError(OSError):
    """liblumen could not be found or loaded; the message lists every place tried."""


def candidate_paths() -> list[Path]:
    """Where the library is looked for, in order: ``$LUMEN_LIBRARY``, next to this package,
    ``$CARGO_TARGET_DIR/release`` and the repository's ``target/release``."""
    names = ["liblumen.so", "liblumen.dylib", "lumen.dll"]
    here = Path(__file__).resolve().parent
    places: list[Path] = []
    env = os.environ.get("LUMEN_LIBRARY")
    if env:
        places.append(Path(env))
    places += [here / name for name in names]
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        places += [Path(target) / "release" / name for name in names]
    repository = here.parent.parent.parent  # bindings/python/lumen -> repository root
    places += [repository / "target" / "release" / name for name in names]
    return places


def _load() -> ctypes.CDLL:
    tried = []
    env = os.environ.get("LUMEN_LIBRARY")
    for path in candidate_paths():
        if not path.is_file():
            tried.append(f"{path} (absent)")
            if env and path == Path(env):
                raise LibraryNotFoundError(f"LUMEN_LIBRARY={env} does not name a file")
            continue
        try:
            return ctypes.CDLL(str(path))
        except OSError as error:
            tried.append(f"{path} ({error})")
            if env and path == Path(env):
                raise LibraryNotFoundError(f"LUMEN_LIBRARY={env} cannot be loaded: {error}") from error
    system = ctypes.util.find_library("lumen")
    if system:
        try:
            return ctypes.CDLL(system)
        except OSError as error:
            tried.append(f"{system} ({error})")
    raise LibraryNotFoundError(
        "liblumen not found; install the wheel that carries it (`pip install ./bindings/python` from "
        "the repository), build it with `cargo build --release -p lumen` in a source checkout, or set "
        "LUMEN_LIBRARY to its path. Tried: " + "; ".join(tried)
    )


class _Library:
    """The loaded library with typed prototypes, loaded on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cdll: ctypes.CDLL | None = None

    def _get(self) -> ctypes.CDLL:
        with self._lock:
            if self._cdll is None:
                cdll = _load()
                for name, (restype, argtypes) in _PROTOTYPES.items():
                    function = getattr(cdll, name)
                    function.restype = restype
                    function.argtypes = argtypes
                self._cdll = cdll
            return self._cdll

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


#: The library; attribute access loads it on first use (LibraryNotFoundError if it cannot).
lib = _Library()
