//! The Shapley methods' options and entry points: KernelSHAP and Shapley Value Sampling,
//! both playing the interventional game described by `lumen_shapley_game`.

use std::ffi::c_char;

use super::boundary::{boundary, FfiError};
use super::call_control::lumen_call_control;
use super::elements::typed_buffer;
use super::engine::lumen_engine;
use super::explain::call;
use super::explanation::lumen_explanation;
use super::model::lumen_model;
use super::options::{controlled_options, current_size, versioned_options, VersionedOptions};
use super::pointers::{check_out, copy, copy_optional, slice, strings, write_out};
use super::registry::into_handle;
use super::status::lumen_status;
use crate::element::Element;
use crate::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, Estimator, KernelShapParams, Link, ShapleyGame,
    ShapleySamplingParams,
};
use crate::explanation::Explanation;

/// `lumen_shapley_game.link`: values in the model's own output space.
pub const LUMEN_LINK_IDENTITY: u32 = 0;
/// `lumen_shapley_game.link`: values in log-odds, log(p / (1 − p)); the model's explained
/// outputs must be probabilities strictly between 0 and 1.
pub const LUMEN_LINK_LOGIT: u32 = 1;

/// The cooperative game both Shapley methods play: the value of a coalition S of players
/// is link(Σ_b w_b · f(x_S, b_notS)) over a weighted background set. Every array is
/// borrowed only during the explain call (the player names are copied).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_shapley_game {
    /// Background rows, `B × input_len` floats, row-major (required, `B >= 1`): absent
    /// players take their values from these rows.
    pub background: *const f32,
    /// Entries in `background`: a non-zero multiple of the model's `input_len`.
    pub background_len: usize,
    /// One finite, non-negative weight per background row, with a positive sum (they are
    /// normalised); with `background_weights_len == 0` the rows weigh the same.
    pub background_weights: *const f64,
    /// Entries in `background_weights`: 0 or `B`.
    pub background_weights_len: usize,
    /// The player of each input element, ids `0..M` all used (at least 2 players):
    /// elements of one player switch on and off together. With `players_len == 0` every
    /// element is its own player.
    pub players: *const u32,
    /// Entries in `players`: 0 or `input_len`.
    pub players_len: usize,
    /// Optional UTF-8 names of the `M` players (copied into the explanation). Without
    /// them, and with one player per element, the model's feature names are used.
    pub player_names: *const *const c_char,
    /// Entries in `player_names`: 0 or `M`.
    pub player_names_len: usize,
    /// Output indices to explain; with `targets_len == 0` every output is explained.
    pub targets: *const u32,
    /// Entries in `targets`.
    pub targets_len: usize,
    /// `LUMEN_LINK_IDENTITY` or `LUMEN_LINK_LOGIT`.
    pub link: u32,
}

/// `lumen_kernel_shap_options.estimator`: the library's default estimator (today
/// `LUMEN_ESTIMATOR_LEVERAGE_TOP_TRIPLES`, the least time to a given accuracy in Lumen's
/// comparison benches; `LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED` in 0.2).
pub const LUMEN_ESTIMATOR_DEFAULT: u32 = 0;
/// `lumen_kernel_shap_options.estimator`: shap's `KernelExplainer` schedule (complete
/// subset sizes from the outside in, then paired samples from the kernel's size
/// distribution); Lumen's only schedule before 0.3.
pub const LUMEN_ESTIMATOR_SHAP: u32 = 1;
/// `lumen_kernel_shap_options.estimator`: Leverage SHAP (Musco & Witter, ICLR 2025):
/// coalitions included independently with probability `min(1, c / C(M, s))`, in pairs.
pub const LUMEN_ESTIMATOR_LEVERAGE: u32 = 2;
/// `lumen_kernel_shap_options.estimator`: Leverage SHAP with the number of coalitions of
/// each size fixed to its expectation (stratified by size).
pub const LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED: u32 = 3;
/// `lumen_kernel_shap_options.estimator`: the stratified Leverage SHAP draws, fitted with
/// third-order interactions among the players with the largest linear values and read off
/// as Shapley values (PolySHAP): 2.6–4.1× fewer model evaluations than shap for its accuracy
/// on the comparison MLP, at 3.5–6.5 ms of fitting per row and output: for models whose
/// evaluations cost more. Since 0.3.
pub const LUMEN_ESTIMATOR_LEVERAGE_INTERACTIONS: u32 = 4;
/// `lumen_kernel_shap_options.estimator`: the stratified Leverage SHAP draws, fitted like
/// `LUMEN_ESTIMATOR_LEVERAGE_INTERACTIONS` but with the triples among only the five players
/// with the largest linear values (at most 10 triples), plus each player's size term (its
/// effect changing with the coalition's size; from 16 coalitions per player) and score
/// term (its effect changing with the coalition's linear score; from 24): most of its
/// accuracy for a fraction of its fitting time. The default. Since 0.3.
pub const LUMEN_ESTIMATOR_LEVERAGE_TOP_TRIPLES: u32 = 5;

/// Options of `lumen_engine_explain_kernel_shap`. Start from
/// `lumen_kernel_shap_options_default()` and set at least `game.background`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_kernel_shap_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_kernel_shap_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// The game: background, players, outputs, link.
    pub game: lumen_shapley_game,
    /// Coalitions evaluated per row (each over every background row); 0 uses shap's
    /// default, 2M + 2048. When the budget covers all 2^M − 2 proper coalitions the
    /// values are exact (and their standard errors 0). With `target_standard_error`, the
    /// first round's budget (0: 8M, at least 64).
    pub budget: usize,
    /// The most jackknife groups for the standard errors (sampled pairs are dealt to
    /// them, each group left out once); 0 uses the default, 64; otherwise at least 2.
    pub error_batches: u32,
    /// Since 0.3. When > 0, sample in rounds until every value's standard error is at or
    /// below this (in the explained output's units, link space), or until `max_budget`
    /// coalitions are spent; each explained row records its rounds and reached error in
    /// the explanation's JSON (`parameters.sampling`). 0 (the default): one round of
    /// `budget`. Negative, NaN or infinite: `LUMEN_STATUS_INVALID_ARGUMENT`.
    pub target_standard_error: f64,
    /// Since 0.3. The most coalitions per row with `target_standard_error`; 0 uses
    /// 16 × (2M + 2048). Set without `target_standard_error`: `LUMEN_STATUS_INVALID_ARGUMENT`.
    pub max_budget: usize,
    /// Since 0.3. `LUMEN_ESTIMATOR_DEFAULT` (0), `LUMEN_ESTIMATOR_SHAP`,
    /// `LUMEN_ESTIMATOR_LEVERAGE`, `LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED`,
    /// `LUMEN_ESTIMATOR_LEVERAGE_INTERACTIONS` or `LUMEN_ESTIMATOR_LEVERAGE_TOP_TRIPLES`.
    pub estimator: u32,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
    /// 0.3: `game.background` for a double model (`_f64` export), `game.background_len`
    /// doubles; `game.background` stays NULL.
    pub background_f64: *const f64,
}

// SAFETY: `#[repr(C)]` with `struct_size: usize` first. Version 0.2.0 published the layout
// that ended after `error_batches`; `target_standard_error` (an f64) starts at that size on
// every platform, since the old struct was padded to the same 8-byte alignment.
unsafe impl VersionedOptions for lumen_kernel_shap_options {
    const NAME: &'static str = "lumen_kernel_shap_options";
    const KNOWN_SIZES: &'static [usize] = &[
        std::mem::offset_of!(lumen_kernel_shap_options, target_standard_error),
        std::mem::size_of::<lumen_kernel_shap_options>(),
    ];
    fn defaults() -> Self {
        lumen_kernel_shap_options_default()
    }
}

/// Options of `lumen_engine_explain_shapley_sampling`. Start from
/// `lumen_shapley_sampling_options_default()` and set at least `game.background`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_shapley_sampling_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_shapley_sampling_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// The game: background, players, outputs, link.
    pub game: lumen_shapley_game,
    /// Antithetic pairs of permutations per row (each pair walks a random order and its
    /// reverse); 0 uses the default, 25; at most `LUMEN_MAX_SAMPLES`. The standard errors
    /// come from the spread of the pairs: with 1 the values stand and the explanation
    /// reports no standard errors.
    pub permutation_pairs: usize,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
    /// 0.3: `game.background` for a double model (`_f64` export), `game.background_len`
    /// doubles; `game.background` stays NULL.
    pub background_f64: *const f64,
    /// Since 0.3. When > 0, walk more pairs in rounds until every value's standard error
    /// is at or below this (in the explained output's units, link space), or until
    /// `max_permutation_pairs` are walked; each explained row records its rounds and
    /// reached error in the explanation's JSON (`parameters.sampling`). 0 (the default):
    /// one round of `permutation_pairs`. Negative, NaN or infinite:
    /// `LUMEN_STATUS_INVALID_ARGUMENT`.
    pub target_standard_error: f64,
    /// Since 0.3. The most pairs per row with `target_standard_error`; 0 uses 16 times
    /// the first round's pairs. Set without `target_standard_error`:
    /// `LUMEN_STATUS_INVALID_ARGUMENT`.
    pub max_permutation_pairs: usize,
}

fn game_default() -> lumen_shapley_game {
    lumen_shapley_game {
        background: std::ptr::null(),
        background_len: 0,
        background_weights: std::ptr::null(),
        background_weights_len: 0,
        players: std::ptr::null(),
        players_len: 0,
        player_names: std::ptr::null(),
        player_names_len: 0,
        targets: std::ptr::null(),
        targets_len: 0,
        link: LUMEN_LINK_IDENTITY,
    }
}

versioned_options!(
    lumen_shapley_sampling_options => lumen_shapley_sampling_options_default,
    appended: background_f64, target_standard_error
);

controlled_options!(lumen_kernel_shap_options, lumen_shapley_sampling_options);

/// KernelSHAP defaults: no background (must be set), uniform weights, each element its
/// own player, every output, identity link, default budget (0), jackknife groups (0) and
/// estimator (0), no target standard error (0) and no cap (0). Thread-safe; the struct is
/// the caller's.
#[no_mangle]
pub extern "C" fn lumen_kernel_shap_options_default() -> lumen_kernel_shap_options {
    lumen_kernel_shap_options {
        struct_size: current_size::<lumen_kernel_shap_options>(),
        control: std::ptr::null(),
        game: game_default(),
        budget: 0,
        error_batches: 0,
        target_standard_error: 0.0,
        max_budget: 0,
        estimator: LUMEN_ESTIMATOR_DEFAULT,
        background_f64: std::ptr::null(),
    }
}

/// The estimator named by `lumen_kernel_shap_options.estimator` (or TimeSHAP's).
pub(super) fn estimator(code: u32) -> Result<Estimator, FfiError> {
    match code {
        LUMEN_ESTIMATOR_DEFAULT => Ok(Estimator::default()),
        LUMEN_ESTIMATOR_SHAP => Ok(Estimator::Shap),
        LUMEN_ESTIMATOR_LEVERAGE => Ok(Estimator::Leverage),
        LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED => Ok(Estimator::LeverageStratified),
        LUMEN_ESTIMATOR_LEVERAGE_INTERACTIONS => Ok(Estimator::LeverageInteractions),
        LUMEN_ESTIMATOR_LEVERAGE_TOP_TRIPLES => Ok(Estimator::LeverageTopTriples),
        other => Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!(
                "options.estimator: is {other}, expected LUMEN_ESTIMATOR_DEFAULT (0), _SHAP (1), _LEVERAGE (2), \
                 _LEVERAGE_STRATIFIED (3), _LEVERAGE_INTERACTIONS (4) or _LEVERAGE_TOP_TRIPLES (5)"
            ),
        )),
    }
}

/// Shapley Value Sampling defaults: no background (must be set), uniform weights, each
/// element its own player, every output, identity link, the default number of
/// permutation pairs (0), no target standard error (0) and no cap (0). Thread-safe; the
/// struct is the caller's.
#[no_mangle]
pub extern "C" fn lumen_shapley_sampling_options_default() -> lumen_shapley_sampling_options {
    lumen_shapley_sampling_options {
        struct_size: current_size::<lumen_shapley_sampling_options>(),
        control: std::ptr::null(),
        game: game_default(),
        permutation_pairs: 0,
        background_f64: std::ptr::null(),
        target_standard_error: 0.0,
        max_permutation_pairs: 0,
    }
}

/// The checked game of `g` for rows of `row_len` elements.
///
/// # Safety
/// Each array of `g` holds its stated number of elements, `background_f64` the
/// background's on an f64 call.
unsafe fn game<E: Element>(
    g: &lumen_shapley_game,
    background_f64: *const f64,
    row_len: usize,
) -> Result<ShapleyGame<E>, FfiError> {
    // SAFETY: each array's pointer and length come from the caller's options.
    let (background, weights, players, targets) = unsafe {
        (
            typed_buffer::<E>((g.background, "game.background"), (background_f64, "background_f64"), g.background_len)?,
            slice(g.background_weights, g.background_weights_len, "options.game.background_weights")?,
            slice(g.players, g.players_len, "options.game.players")?,
            slice(g.targets, g.targets_len, "options.game.targets")?,
        )
    };
    let player_names = match g.player_names_len {
        0 => None,
        // SAFETY: as above.
        n => Some(unsafe { strings(g.player_names, n, "options.game.player_names")? }),
    };
    let link = match g.link {
        LUMEN_LINK_IDENTITY => Link::Identity,
        LUMEN_LINK_LOGIT => Link::Logit,
        other => {
            return Err(FfiError::new(
                lumen_status::InvalidArgument,
                format!("options.game.link: is {other}, expected LUMEN_LINK_IDENTITY (0) or LUMEN_LINK_LOGIT (1)"),
            ))
        }
    };
    let weights = copy_optional(weights, "options.game.background_weights")?;
    Ok(ShapleyGame {
        background: Background::new(copy(background, "options.game.background")?, row_len, weights)?,
        players: copy_optional(players, "options.game.players")?,
        player_names,
        targets: copy_optional(targets, "options.game.targets")?,
        link,
    })
}

fn publish(out: *mut *mut lumen_explanation, explanation: Explanation) -> Result<(), FfiError> {
    explanation.ensure_finite()?;
    crate::engine::call_control::finish_current();
    // SAFETY: every caller checked `out` with `check_out` before doing any work.
    unsafe { write_out(out, into_handle(lumen_explanation::new(explanation))) };
    Ok(())
}

/// `lumen_engine_explain_kernel_shap` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_kernel_shap`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_kernel_shap<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_kernel_shap_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    let o = call.options;
    // SAFETY: the game's arrays come from the caller's options.
    let mut params = KernelShapParams::new(unsafe { game(&o.game, o.background_f64, call.row_len)? });
    params.budget = (o.budget > 0).then_some(o.budget);
    if o.error_batches > 0 {
        params.error_batches = o.error_batches;
    }
    params.estimator = estimator(o.estimator)?;
    if o.target_standard_error != 0.0 {
        params.target_standard_error = Some(o.target_standard_error);
    }
    params.max_budget = (o.max_budget > 0).then_some(o.max_budget);
    publish(out, kernel_shap(call.engine, call.model, call.inputs, call.rows, &params)?)?;
    Ok(())
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by KernelSHAP. On success `*out` holds a new explanation (free it with
/// `lumen_explanation_free`): Shapley values `rows × outputs × M` (M players; the feature
/// axis is `LUMEN_FEATURE_AXIS_GROUPS` with a players map, else
/// `LUMEN_FEATURE_AXIS_ELEMENTS`), base values link(Σ_b w_b f(b)), predictions link(f(x)),
/// local-accuracy gaps in the completeness gaps and standard errors (0 when every
/// coalition was enumerated; when too few coalitions were sampled to estimate them the
/// values are still returned and `lumen_explanation_standard_errors` answers
/// `LUMEN_STATUS_NOT_AVAILABLE`). Results depend only on the engine's seed, not on its thread
/// count. On failure nothing is written. A NULL `engine`, `model`, `options` or `out`, or
/// a NULL array with a non-zero length, gives `LUMEN_STATUS_NULL_POINTER`. Thread-safe
/// for distinct `out` pointers; the model's callbacks are called from engine threads as
/// its `LUMEN_MODEL_CONCURRENT` flag allows.
///
/// # Safety
/// `engine`, `model`, `options` are valid handles/pointers; `inputs` holds `inputs_len`
/// floats; every array in `options` holds its stated length; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_kernel_shap(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_kernel_shap_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_kernel_shap", || unsafe {
        explain_kernel_shap(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_kernel_shap` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles and `background_f64` replaces `game.background` (same length), and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_kernel_shap`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_kernel_shap_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_kernel_shap_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_kernel_shap_f64", || unsafe {
        explain_kernel_shap(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_shapley_sampling` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_shapley_sampling`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_shapley_sampling<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_shapley_sampling_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    let o = call.options;
    // SAFETY: the game's arrays come from the caller's options.
    let mut params = ShapleySamplingParams::new(unsafe { game(&o.game, o.background_f64, call.row_len)? });
    if o.permutation_pairs > 0 {
        params.permutation_pairs = o.permutation_pairs;
    }
    if o.target_standard_error != 0.0 {
        params.target_standard_error = Some(o.target_standard_error);
    }
    params.max_permutation_pairs = (o.max_permutation_pairs > 0).then_some(o.max_permutation_pairs);
    publish(out, shapley_value_sampling(call.engine, call.model, call.inputs, call.rows, &params)?)?;
    Ok(())
}

/// Explains `rows` rows of `inputs` (`inputs_len == rows × input_len` floats, row-major)
/// by Shapley Value Sampling (antithetic permutation pairs). On success `*out` holds a
/// new explanation (free it with `lumen_explanation_free`) laid out as for
/// `lumen_engine_explain_kernel_shap`, with standard errors from the spread of the pairs;
/// local accuracy holds exactly. Results depend only on the engine's seed, not on its
/// thread count. On failure nothing is written. NULL handling and thread-safety as for
/// `lumen_engine_explain_kernel_shap`.
///
/// # Safety
/// As for `lumen_engine_explain_kernel_shap`.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_shapley_sampling(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_shapley_sampling_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_shapley_sampling", || unsafe {
        explain_shapley_sampling(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_shapley_sampling` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles and `background_f64` replaces `game.background` (same length), and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_shapley_sampling`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_shapley_sampling_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_shapley_sampling_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_shapley_sampling_f64", || unsafe {
        explain_shapley_sampling(engine, model, inputs, inputs_len, rows, options, out)
    })
}
