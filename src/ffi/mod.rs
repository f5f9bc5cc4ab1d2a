//! The C ABI. Every export runs inside a panic boundary, checks each pointer and length,
//! writes outputs only on success and reports failures as a [`lumen_status`] with
//! detail in `lumen_last_error_message()`. No maths happens here.

pub mod boundary;
pub mod call_control;
pub mod counterfactual;
pub(crate) mod elements;
pub mod engine;
pub mod explain;
pub mod explanation;
pub mod gradient;
pub mod limits;
pub mod model;
pub(crate) mod options;
pub mod pointers;
pub(crate) mod registry;
pub mod sequence_model;
pub mod shapley;
pub mod status;
pub mod timeshap;
pub mod timeshap_explanation;
pub mod version;

pub use counterfactual::{
    lumen_counterfactual, lumen_counterfactuals, lumen_feature_codes, lumen_feature_range,
    lumen_instance_counterfactuals, lumen_permute_attack_options, lumen_tabular_feature,
};
pub use engine::{lumen_engine, lumen_engine_options};
pub use explain::{lumen_feature_ablation_options, lumen_occlusion_options};
pub use explanation::{lumen_attribution_shape, lumen_explanation, lumen_reason_code, lumen_row_diagnostics};
pub use gradient::{
    lumen_grad_cam_options, lumen_gradient_shap_options, lumen_integrated_gradients_options,
    lumen_noise_tunnel_options, lumen_saliency_options,
};
pub use model::{lumen_model, lumen_model_desc, model_into_handle};
pub use sequence_model::{lumen_sequence_model, lumen_sequence_model_desc, sequence_model_into_handle};
pub use shapley::{lumen_kernel_shap_options, lumen_shapley_game, lumen_shapley_sampling_options};
pub use status::lumen_status;
pub use timeshap::{
    lumen_pruning_point, lumen_pruning_row, lumen_summary, lumen_timeshap_global, lumen_timeshap_global_sizes,
    lumen_timeshap_options,
};
pub use timeshap_explanation::{lumen_timeshap_player, lumen_timeshap_summary};
