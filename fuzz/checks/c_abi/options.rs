//! The `c_options` property: the explain entry points of the C ABI, called the way a C
//! caller would (options structs from their `_default()` functions, then fields and
//! lengths taken from the fuzz input), return a documented status other than
//! `LUMEN_STATUS_PANIC` and `LUMEN_STATUS_INTERNAL`, leave a message on failure, write
//! their outputs only on success, and return only finite numbers with `LUMEN_STATUS_OK`.
//!
//! Every pointer points at a buffer at least as long as the length passed with it (a
//! length may be deliberately shorter than the call needs, or paired with NULL). Work
//! sizes are small when the call is valid (one execution stays around a millisecond) or
//! above every documented limit, which the call must refuse before it starts working;
//! every call also carries a one-second deadline, so a size accepted by mistake shows up
//! as a slow input instead of a hang.

use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::OnceLock;

use lumen::ffi::call_control::{lumen_call_control, lumen_call_control_default};
use lumen::ffi::counterfactual::{
    lumen_counterfactuals_count, lumen_counterfactuals_free, lumen_engine_explain_counterfactuals,
    lumen_permute_attack_options_default,
};
use lumen::ffi::engine::{lumen_engine_free, lumen_engine_new, lumen_engine_options_default};
use lumen::ffi::explain::{
    lumen_engine_explain_feature_ablation, lumen_engine_explain_occlusion, lumen_feature_ablation_options_default,
    lumen_occlusion_options_default,
};
use lumen::ffi::gradient::{lumen_engine_explain_integrated_gradients, lumen_integrated_gradients_options_default};
use lumen::ffi::model::{lumen_model_free, lumen_model_new, LUMEN_MODEL_CONCURRENT};
use lumen::ffi::sequence_model::{lumen_sequence_model_free, lumen_sequence_model_new};
use lumen::ffi::shapley::{
    lumen_engine_explain_kernel_shap, lumen_engine_explain_shapley_sampling, lumen_kernel_shap_options_default,
    lumen_shapley_sampling_options_default,
};
use lumen::ffi::timeshap::{
    lumen_engine_explain_timeshap, lumen_engine_timeshap_prune, lumen_timeshap_options_default,
};
use lumen::ffi::version::{LUMEN_MODEL_ABI_VERSION, LUMEN_SEQUENCE_MODEL_ABI_VERSION};
use lumen::ffi::{
    lumen_engine, lumen_feature_codes, lumen_feature_range, lumen_model, lumen_model_desc, lumen_pruning_point,
    lumen_sequence_model, lumen_sequence_model_desc, lumen_shapley_game, lumen_status, lumen_tabular_feature,
};

use super::expect::{expect_explanation, expect_known, expect_untouched};
use super::input::Input;
use super::models::{event_sum_predict, linear_gradient, linear_predict, Behaviour, EventSum, Linear};

/// Rows of real data at most (a larger `rows` comes with a buffer that is too short).
const MAX_ROWS: usize = 2;
/// Events of real data at most (a larger `seq_len` comes with a sequence that is too short).
const MAX_EVENTS: usize = 5;
/// The deadline of every call, in milliseconds.
const DEADLINE_MS: u64 = 1000;

/// Runs one fuzz case of the explain entry points; panics when a property is broken.
pub fn check(data: &[u8]) {
    let mut input = Input::new(data);
    let engine = Engine::new(&mut input);
    let mut control = lumen_call_control_default();
    control.struct_size = input.struct_size(control.struct_size);
    control.timeout_ms = DEADLINE_MS;
    control.max_model_threads = input.choice(3);
    // A per-call seed, row keys and per-row targets, often of the wrong length or range.
    if input.flag() {
        control.seed = u64::from(input.byte());
        control.has_seed = 1;
    }
    let row_keys: Vec<u64> = (0..input.byte() % 5).map(|_| u64::from(input.byte())).collect();
    let row_targets: Vec<u32> = (0..input.byte() % 5).map(|_| input.choice(3)).collect();
    if input.flag() {
        (control.row_keys, control.n_row_keys) = pass(&mut input, &row_keys);
    }
    if input.flag() {
        (control.row_targets, control.n_row_targets) = pass(&mut input, &row_targets);
    }
    let call = Call { engine: engine.handle, control: &control };
    match input.byte() % 8 {
        0 => call.occlusion(&mut input),
        1 => call.feature_ablation(&mut input),
        2 => call.kernel_shap(&mut input, false),
        3 => call.kernel_shap(&mut input, true),
        4 => call.integrated_gradients(&mut input),
        5 => call.counterfactuals(&mut input),
        6 => call.timeshap(&mut input),
        _ => call.timeshap_prune(&mut input),
    }
}

/// An engine built from fuzzed options, or the shared default one when they are refused.
struct Engine {
    handle: *const lumen_engine,
    owned: bool,
}

/// The default engine (one thread) used when the fuzzed options are refused.
struct SharedEngine(*mut lumen_engine);

// SAFETY: `lumen_engine` is documented thread-safe; the handle is never freed.
unsafe impl Send for SharedEngine {}
// SAFETY: as above.
unsafe impl Sync for SharedEngine {}

impl Engine {
    fn new(input: &mut Input<'_>) -> Self {
        let mut options = lumen_engine_options_default();
        options.struct_size = input.struct_size(options.struct_size);
        options.backend = input.choice(3);
        // Valid thread counts are clamped to 0..=2 (a pool of up to 1024 threads per
        // execution would dominate the run); larger counts travel unchanged.
        let threads = input.count(2);
        options.threads = u32::try_from(threads).unwrap_or(u32::MAX);
        options.seed = input.u64();
        options.memory_budget_bytes = match input.byte() {
            0 => 0,
            1 => 1,
            2 => 1000,
            3 => 100_000,
            tag if tag >= 0xf0 => usize::MAX >> (tag & 7),
            _ => options.memory_budget_bytes,
        };
        let sentinel = ptr::dangling_mut::<lumen_engine>();
        let mut out = sentinel;
        // SAFETY: `options` and `out` are valid for the call.
        let status = unsafe { lumen_engine_new(&options, &mut out) };
        expect_known(status, "lumen_engine_new");
        if status == lumen_status::Ok {
            assert!(!out.is_null() && out != sentinel, "lumen_engine_new: OK without an engine");
            return Self { handle: out, owned: true };
        }
        expect_untouched(out, sentinel, "lumen_engine_new");
        Self { handle: shared_engine(), owned: false }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: an engine this check created, freed once, no call running.
            unsafe { lumen_engine_free(self.handle.cast_mut()) };
        }
    }
}

fn shared_engine() -> *const lumen_engine {
    static ENGINE: OnceLock<SharedEngine> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut options = lumen_engine_options_default();
            options.threads = 1;
            let mut out = ptr::null_mut();
            // SAFETY: `options` and `out` are valid for the call.
            let status = unsafe { lumen_engine_new(&options, &mut out) };
            assert_eq!(status, lumen_status::Ok, "the default engine must build");
            SharedEngine(out)
        })
        .0
}

/// A linear model behind `lumen_model_new`, freed on drop.
struct LinearModel {
    handle: *mut lumen_model,
    state: Box<Linear>,
    _shape: Vec<usize>,
}

impl LinearModel {
    /// 1 to 4 inputs (a 2 × 2 image sometimes), 1 or 2 outputs.
    fn new(input: &mut Input<'_>) -> Self {
        let input_len = 1 + usize::from(input.byte() % 4);
        let output_len = 1 + usize::from(input.byte() % 2);
        let shape = if input_len == 4 && input.flag() { vec![2, 2] } else { Vec::new() };
        let mut state = Box::new(Linear::new(input_len, output_len, Behaviour::from_byte(input.byte())));
        let desc = lumen_model_desc {
            abi_version: LUMEN_MODEL_ABI_VERSION,
            flags: if input.flag() { LUMEN_MODEL_CONCURRENT } else { 0 },
            memory_space: 0,
            input_len,
            input_shape: shape.as_ptr(),
            input_rank: shape.len(),
            output_len,
            max_batch_rows: input.count(3),
            predict: Some(linear_predict),
            gradient: Some(linear_gradient),
            user_data: ptr::from_mut::<Linear>(&mut state).cast::<c_void>(),
            finalize: None,
            feature_names: ptr::null(),
            feature_names_len: 0,
            layer_gradient: None,
            layer_shape: [0; 3],
            input_dtype: 0,
            predict_device: None,
            gradient_device: None,
            element_type: 0,
            predict_f64: None,
            gradient_f64: None,
            layer_gradient_f64: None,
        };
        let mut handle = ptr::null_mut();
        // SAFETY: `desc` and `handle` are valid; `state` outlives the model (freed first on drop).
        let status = unsafe { lumen_model_new(&desc, &mut handle) };
        assert_eq!(status, lumen_status::Ok, "a valid linear model must build: {}", super::expect::last_error());
        Self { handle, state, _shape: shape }
    }

    fn input_len(&self) -> usize {
        self.state.input_len
    }

    fn output_len(&self) -> u32 {
        self.state.output_len as u32
    }
}

impl Drop for LinearModel {
    fn drop(&mut self) {
        // SAFETY: a model this check created, freed once, no call running.
        unsafe { lumen_model_free(self.handle) };
    }
}

/// A sequence model behind `lumen_sequence_model_new`, freed on drop.
struct SequenceModel {
    handle: *mut lumen_sequence_model,
    state: Box<EventSum>,
}

impl SequenceModel {
    /// 1 to 3 features per event, 1 or 2 outputs.
    fn new(input: &mut Input<'_>) -> Self {
        let features = 1 + usize::from(input.byte() % 3);
        let output_len = 1 + usize::from(input.byte() % 2);
        let mut state = Box::new(EventSum { features, output_len, behaviour: Behaviour::from_byte(input.byte()) });
        let desc = lumen_sequence_model_desc {
            abi_version: LUMEN_SEQUENCE_MODEL_ABI_VERSION,
            flags: 0,
            features,
            output_len,
            max_batch_rows: input.count(3),
            state_len: 0,
            predict: Some(event_sum_predict),
            run_prefix: None,
            predict_from_state: None,
            user_data: ptr::from_mut::<EventSum>(&mut state).cast::<c_void>(),
            finalize: None,
            feature_names: ptr::null(),
            feature_names_len: 0,
            element_type: 0,
            predict_f64: None,
            run_prefix_f64: None,
            predict_from_state_f64: None,
        };
        let mut handle = ptr::null_mut();
        // SAFETY: `desc` and `handle` are valid; `state` outlives the model (freed first on drop).
        let status = unsafe { lumen_sequence_model_new(&desc, &mut handle) };
        assert_eq!(status, lumen_status::Ok, "a valid sequence model must build: {}", super::expect::last_error());
        Self { handle, state }
    }
}

impl Drop for SequenceModel {
    fn drop(&mut self) {
        // SAFETY: a model this check created, freed once, no call running.
        unsafe { lumen_sequence_model_free(self.handle) };
    }
}

/// `rows × width` floats (at most [`MAX_ROWS`] rows), or deliberately one short, one long
/// or none.
fn rows_buffer(input: &mut Input<'_>, rows: usize, width: usize) -> Vec<f32> {
    units_buffer(input, rows.min(MAX_ROWS), width)
}

/// `units × width` floats, or deliberately one short, one long or none.
fn units_buffer(input: &mut Input<'_>, units: usize, width: usize) -> Vec<f32> {
    let exact = units * width;
    let len = match input.byte() % 8 {
        0 => exact.saturating_sub(1),
        1 => exact + 1,
        2 => 0,
        _ => exact,
    };
    input.floats_of(len)
}

/// The pointer and length a caller passes for `values`: usually the buffer itself,
/// sometimes NULL with the buffer's length (which must be refused when non-zero).
fn pass<T>(input: &mut Input<'_>, values: &[T]) -> (*const T, usize) {
    if input.one_in(16) {
        (ptr::null(), values.len())
    } else {
        (values.as_ptr(), values.len())
    }
}

/// Up to `max` names, some NULL, some not UTF-8; the strings and the pointer array.
fn names(input: &mut Input<'_>, max: usize) -> (Vec<CString>, Vec<*const c_char>) {
    let count = usize::from(input.byte()) % (max + 1);
    let strings: Vec<CString> = (0..count)
        .map(|i| match input.byte() % 8 {
            0 => CString::new(vec![0xff_u8, 0xfe]).unwrap_or_default(),
            1 => CString::default(),
            _ => CString::new(format!("f{i}")).unwrap_or_default(),
        })
        .collect();
    let pointers = strings.iter().map(|s| if input.one_in(16) { ptr::null() } else { s.as_ptr() }).collect();
    (strings, pointers)
}

/// One explain call's engine and control.
struct Call<'a> {
    engine: *const lumen_engine,
    control: &'a lumen_call_control,
}

impl Call<'_> {
    fn occlusion(&self, input: &mut Input<'_>) {
        let model = LinearModel::new(input);
        let n = model.input_len();
        let rows = input.count(MAX_ROWS);
        let inputs = rows_buffer(input, rows, n);
        let rank = usize::from(input.byte() % 3);
        let window: Vec<usize> = (0..rank).map(|_| input.count(4)).collect();
        let stride_rank = usize::from(input.byte() % 3);
        let strides: Vec<usize> = (0..stride_rank).map(|_| input.count(3)).collect();
        let baseline = input.floats(2 * n);
        let targets = input.indices(3, model.output_len() + 1);
        let mut options = lumen_occlusion_options_default();
        options.struct_size = input.struct_size(options.struct_size);
        (options.window_shape, options.window_rank) = pass(input, &window);
        (options.strides, options.strides_rank) = pass(input, &strides);
        (options.baseline, options.baseline_len) = pass(input, &baseline);
        options.baseline_scalar = input.float();
        (options.targets, options.targets_len) = pass(input, &targets);
        options.perturbations_per_eval = input.count(8);
        options.control = self.control;
        let (inputs_ptr, inputs_len) = pass(input, &inputs);
        expect_explanation("lumen_engine_explain_occlusion", |out| {
            // SAFETY: every pointer holds its stated length and lives through the call.
            unsafe {
                lumen_engine_explain_occlusion(self.engine, model.handle, inputs_ptr, inputs_len, rows, &options, out)
            }
        });
    }

    fn feature_ablation(&self, input: &mut Input<'_>) {
        let model = LinearModel::new(input);
        let n = model.input_len();
        let rows = input.count(MAX_ROWS);
        let inputs = rows_buffer(input, rows, n);
        let mask_len = [0, n, n + 1, n - 1][usize::from(input.byte() % 4)];
        let mask: Vec<u32> = (0..mask_len).map(|_| input.choice(n as u32 + 1)).collect();
        let (_names, name_pointers) = names(input, n);
        let baseline = input.floats(2 * n);
        let targets = input.indices(3, model.output_len() + 1);
        let mut options = lumen_feature_ablation_options_default();
        options.struct_size = input.struct_size(options.struct_size);
        (options.feature_mask, options.feature_mask_len) = pass(input, &mask);
        (options.group_names, options.group_names_len) = pass(input, &name_pointers);
        (options.baseline, options.baseline_len) = pass(input, &baseline);
        options.baseline_scalar = input.float();
        (options.targets, options.targets_len) = pass(input, &targets);
        options.perturbations_per_eval = input.count(8);
        options.group_attributions = input.choice(2);
        options.control = self.control;
        let (inputs_ptr, inputs_len) = pass(input, &inputs);
        expect_explanation("lumen_engine_explain_feature_ablation", |out| {
            // SAFETY: every pointer holds its stated length and lives through the call.
            unsafe {
                lumen_engine_explain_feature_ablation(
                    self.engine,
                    model.handle,
                    inputs_ptr,
                    inputs_len,
                    rows,
                    &options,
                    out,
                )
            }
        });
    }

    fn kernel_shap(&self, input: &mut Input<'_>, sampling: bool) {
        let model = LinearModel::new(input);
        let n = model.input_len();
        let rows = input.count(MAX_ROWS);
        let inputs = rows_buffer(input, rows, n);
        let background_rows = 1 + usize::from(input.byte() % 3);
        let background = rows_buffer(input, background_rows, n);
        let weights: Vec<f64> = (0..usize::from(input.byte() % 4)).map(|_| input.double()).collect();
        let players_len = [0, n, n + 1, n - 1][usize::from(input.byte() % 4)];
        let players: Vec<u32> = (0..players_len).map(|_| input.choice(n as u32 + 1)).collect();
        let (_names, name_pointers) = names(input, n);
        let targets = input.indices(3, model.output_len() + 1);
        let mut game = lumen_shapley_game {
            background: ptr::null(),
            background_len: 0,
            background_weights: ptr::null(),
            background_weights_len: 0,
            players: ptr::null(),
            players_len: 0,
            player_names: ptr::null(),
            player_names_len: 0,
            targets: ptr::null(),
            targets_len: 0,
            link: input.choice(2),
        };
        (game.background, game.background_len) = pass(input, &background);
        (game.background_weights, game.background_weights_len) = pass(input, &weights);
        (game.players, game.players_len) = pass(input, &players);
        (game.player_names, game.player_names_len) = pass(input, &name_pointers);
        (game.targets, game.targets_len) = pass(input, &targets);
        let (inputs_ptr, inputs_len) = pass(input, &inputs);
        if sampling {
            let mut options = lumen_shapley_sampling_options_default();
            options.struct_size = input.struct_size(options.struct_size);
            options.game = game;
            options.permutation_pairs = input.count(8);
            options.target_standard_error = if input.flag() { input.double() } else { 0.0 };
            options.max_permutation_pairs = input.count(64);
            options.control = self.control;
            expect_explanation("lumen_engine_explain_shapley_sampling", |out| {
                // SAFETY: every pointer holds its stated length and lives through the call.
                unsafe {
                    lumen_engine_explain_shapley_sampling(
                        self.engine,
                        model.handle,
                        inputs_ptr,
                        inputs_len,
                        rows,
                        &options,
                        out,
                    )
                }
            });
        } else {
            let mut options = lumen_kernel_shap_options_default();
            options.struct_size = input.struct_size(options.struct_size);
            options.game = game;
            options.budget = input.count(64);
            options.error_batches = u32::try_from(input.count(8)).unwrap_or(u32::MAX);
            options.target_standard_error = if input.flag() { input.double() } else { 0.0 };
            options.max_budget = input.count(128);
            options.estimator = input.choice(5);
            options.control = self.control;
            expect_explanation("lumen_engine_explain_kernel_shap", |out| {
                // SAFETY: every pointer holds its stated length and lives through the call.
                unsafe {
                    lumen_engine_explain_kernel_shap(
                        self.engine,
                        model.handle,
                        inputs_ptr,
                        inputs_len,
                        rows,
                        &options,
                        out,
                    )
                }
            });
        }
    }

    fn integrated_gradients(&self, input: &mut Input<'_>) {
        let model = LinearModel::new(input);
        let n = model.input_len();
        let rows = input.count(MAX_ROWS);
        let inputs = rows_buffer(input, rows, n);
        let baseline = input.floats(2 * n);
        let targets = input.indices(3, model.output_len() + 1);
        let mut options = lumen_integrated_gradients_options_default();
        options.struct_size = input.struct_size(options.struct_size);
        (options.baseline, options.baseline_len) = pass(input, &baseline);
        options.baseline_scalar = input.float();
        options.n_steps = input.count(16);
        options.method = input.choice(7);
        options.internal_batch_size = input.count(8);
        options.multiply_by_inputs = input.choice(2);
        (options.targets, options.targets_len) = pass(input, &targets);
        options.control = self.control;
        let (inputs_ptr, inputs_len) = pass(input, &inputs);
        expect_explanation("lumen_engine_explain_integrated_gradients", |out| {
            // SAFETY: every pointer holds its stated length and lives through the call.
            unsafe {
                lumen_engine_explain_integrated_gradients(
                    self.engine,
                    model.handle,
                    inputs_ptr,
                    inputs_len,
                    rows,
                    &options,
                    out,
                )
            }
        });
    }

    fn counterfactuals(&self, input: &mut Input<'_>) {
        let model = LinearModel::new(input);
        let n = model.input_len();
        let rows = input.count(MAX_ROWS);
        let inputs = rows_buffer(input, rows, n);
        let training_rows = 1 + usize::from(input.byte() % 4);
        let training = rows_buffer(input, training_rows, n);
        let columns: Vec<usize> = (0..n).map(|_| input.count(n)).collect();
        let features: Vec<lumen_tabular_feature> = (0..usize::from(input.byte() % 3))
            .map(|_| {
                let start = usize::from(input.byte()) % n;
                let len = usize::from(input.byte()) % (n - start + 1);
                lumen_tabular_feature {
                    name: ptr::null(),
                    kind: input.choice(3),
                    columns: columns[start..].as_ptr(),
                    columns_len: len,
                }
            })
            .collect();
        let immutable = input.indices(2, n as u32 + 1);
        let allow_list = input.indices(2, n as u32 + 1);
        let ranges: Vec<lumen_feature_range> = (0..usize::from(input.byte() % 3))
            .map(|_| lumen_feature_range {
                feature: input.choice(n as u32 + 1),
                min: input.float(),
                max: input.float(),
            })
            .collect();
        let mut options = lumen_permute_attack_options_default();
        options.struct_size = input.struct_size(options.struct_size);
        (options.features, options.features_len) = pass(input, &features);
        (options.training, options.training_len) = pass(input, &training);
        options.target_class = match input.byte() % 8 {
            0 => i64::MAX,
            1 => i64::MIN,
            tag => i64::from(tag % 4) - 1,
        };
        (options.immutable, options.immutable_len) = pass(input, &immutable);
        (options.allow_list, options.allow_list_len) = pass(input, &allow_list);
        (options.ranges, options.ranges_len) = pass(input, &ranges);
        options.population = input.count(6);
        options.parents = input.count(3);
        options.generations = input.count(3);
        options.runs = input.count(2);
        options.rho0 = input.double();
        options.rho1 = input.double();
        options.temperature = input.double();
        options.decay = input.double();
        options.max_changed = input.count(4);
        options.max_distance = input.double();
        options.success_probability = input.double();
        options.counterfactuals = input.count(3);
        options.sampling = input.choice(2);
        options.gibbs_bins = input.count(4);
        options.gibbs_iterations = input.count(3);
        options.control = self.control;
        let (inputs_ptr, inputs_len) = pass(input, &inputs);
        // Read last, so corpus entries from before coded features still take their old paths.
        let code_lists: Vec<Vec<f32>> = (0..usize::from(input.byte() % 3))
            .map(|_| (0..usize::from(input.byte() % 5)).map(|_| input.float().round()).collect())
            .collect();
        let feature_codes: Vec<lumen_feature_codes> = code_lists
            .iter()
            .map(|codes| {
                let (codes, codes_len) = pass(input, codes);
                lumen_feature_codes { feature: input.choice(4), codes, codes_len }
            })
            .collect();
        (options.feature_codes, options.feature_codes_len) = pass(input, &feature_codes);
        let sentinel = ptr::dangling_mut();
        let mut out = sentinel;
        // SAFETY: every pointer holds its stated length and lives through the call.
        let status = unsafe {
            lumen_engine_explain_counterfactuals(
                self.engine,
                model.handle,
                inputs_ptr,
                inputs_len,
                rows,
                &options,
                &mut out,
            )
        };
        expect_known(status, "lumen_engine_explain_counterfactuals");
        if status != lumen_status::Ok {
            expect_untouched(out, sentinel, "lumen_engine_explain_counterfactuals");
            return;
        }
        let mut count = usize::MAX;
        // SAFETY: `out` is the live result of the call above; `count` is valid.
        let counted = unsafe { lumen_counterfactuals_count(out, &mut count) };
        // SAFETY: the result of the call above, freed once.
        unsafe { lumen_counterfactuals_free(out) };
        assert_eq!(counted, lumen_status::Ok, "lumen_counterfactuals_count on a result");
        assert_eq!(count, rows, "one search per instance");
    }

    /// The sequence, its `seq_len` and TimeSHAP options from the input, with the model.
    fn timeshap_case<'b>(
        &self,
        input: &mut Input<'_>,
        model: &SequenceModel,
        buffers: &'b mut TimeShapBuffers,
    ) -> (usize, &'b [f32], lumen::ffi::lumen_timeshap_options) {
        let f = model.state.features;
        let seq_len = input.count(MAX_EVENTS);
        buffers.sequence = units_buffer(input, seq_len.min(MAX_EVENTS), f);
        let background_len = [0, f, seq_len.min(MAX_EVENTS) * f, f + 1][usize::from(input.byte() % 4)];
        buffers.background = input.floats_of(background_len);
        buffers.training = input.floats(3 * f);
        let mut options = lumen_timeshap_options_default();
        options.struct_size = input.struct_size(options.struct_size);
        (options.background, options.background_len) = pass(input, &buffers.background);
        (options.training_events, options.training_events_len) = pass(input, &buffers.training);
        options.prune = input.choice(2);
        options.tolerance = input.double();
        let events = i64::try_from(seq_len).unwrap_or(i64::MAX);
        options.pruning_index = [0, -1, -events, 1, -events - 1][usize::from(input.byte() % 5)];
        options.budget = input.count(64);
        options.error_batches = u32::try_from(input.count(8)).unwrap_or(u32::MAX);
        options.target = input.choice(3);
        options.link = input.choice(2);
        options.disable_state = input.choice(2);
        options.relevance = input.choice(2);
        options.top_events = input.count(3);
        options.top_features = input.count(3);
        options.event_threshold = input.double();
        options.feature_threshold = input.double();
        options.control = self.control;
        (seq_len, &buffers.sequence, options)
    }

    fn timeshap(&self, input: &mut Input<'_>) {
        let model = SequenceModel::new(input);
        let mut buffers = TimeShapBuffers::default();
        let (seq_len, sequence, options) = self.timeshap_case(input, &model, &mut buffers);
        let level = input.choice(3);
        let (sequence_ptr, sequence_len) = pass(input, sequence);
        expect_explanation("lumen_engine_explain_timeshap", |out| {
            // SAFETY: every pointer holds its stated length and lives through the call.
            unsafe {
                lumen_engine_explain_timeshap(
                    self.engine,
                    model.handle,
                    sequence_ptr,
                    sequence_len,
                    seq_len,
                    level,
                    &options,
                    out,
                )
            }
        });
    }

    fn timeshap_prune(&self, input: &mut Input<'_>) {
        let model = SequenceModel::new(input);
        let mut buffers = TimeShapBuffers::default();
        let (seq_len, sequence, options) = self.timeshap_case(input, &model, &mut buffers);
        let full_curve = input.choice(2);
        let blank = lumen_pruning_point { split: 0, newer_len: 0, older_value: 0.0, newer_value: 0.0 };
        let mut curve = vec![blank; usize::from(input.byte() % 6)];
        let (sequence_ptr, sequence_len) = pass(input, sequence);
        let curve_ptr = if curve.is_empty() && input.flag() { ptr::null_mut() } else { curve.as_mut_ptr() };
        let (mut pruned_len, mut written) = (usize::MAX, usize::MAX);
        // SAFETY: every pointer holds its stated length and lives through the call.
        let status = unsafe {
            lumen_engine_timeshap_prune(
                self.engine,
                model.handle,
                sequence_ptr,
                sequence_len,
                seq_len,
                &options,
                full_curve,
                &mut pruned_len,
                curve_ptr,
                curve.len(),
                &mut written,
            )
        };
        expect_known(status, "lumen_engine_timeshap_prune");
        if status == lumen_status::Ok {
            assert!(pruned_len <= seq_len, "pruned length {pruned_len} of {seq_len} events");
            assert!(curve.is_empty() || written <= curve.len(), "{written} points written into {}", curve.len());
            assert!(curve.iter().take(written).all(|p| p.older_value.is_finite() && p.newer_value.is_finite()));
        } else {
            assert_eq!((pruned_len, written), (usize::MAX, usize::MAX), "outputs written on failure");
            assert!(curve.iter().all(|p| p.split == 0 && p.older_value == 0.0), "curve written on failure");
        }
    }
}

/// The buffers a TimeSHAP case points into.
#[derive(Default)]
struct TimeShapBuffers {
    sequence: Vec<f32>,
    background: Vec<f32>,
    training: Vec<f32>,
}
