//! TimeSHAP's options and entry points: temporal coalition pruning, event-, feature- and
//! cell-level explanations of one sequence, and the global report over many sequences.

use std::ffi::c_char;
use std::ffi::CString;

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::call_control::enter_control;
use super::call_control::lumen_call_control;
use super::elements::typed_buffer;
use super::engine::lumen_engine;
use super::explanation::lumen_explanation;
use super::options::{controlled_options, current_size, read_options, versioned_options};
use super::pointers::{check_out, copy, copy_out, slice, write_out};
use super::registry::{handle as live_handle, into_handle, use_handle, Handle, InUse};
use super::sequence_model::lumen_sequence_model;
use super::shapley::{estimator, LUMEN_ESTIMATOR_DEFAULT, LUMEN_LINK_IDENTITY, LUMEN_LINK_LOGIT};
use super::status::lumen_status;
use crate::element::Element;
use crate::engine::call_control::ControlScope;
use crate::explain::shapley::Link;
use crate::explain::timeshap::{
    timeshap_cell, timeshap_event, timeshap_feature, timeshap_global, timeshap_prune, CellRelevance, GlobalParams,
    GlobalReport, SequenceBackground, Summary, TimeShapParams, DEFAULT_BUDGET,
};
use crate::model::callback_scope::refuse_reentry;
use crate::model::SequenceModel;

/// `level` of `lumen_engine_explain_timeshap`: one value per unpruned event (most recent
/// first), then one for the pruned events.
pub const LUMEN_TIMESHAP_EVENT: u32 = 0;
/// `level`: one value per feature (over the unpruned events), then the pruned events.
pub const LUMEN_TIMESHAP_FEATURE: u32 = 1;
/// `level`: the paper's cell groups (relevant cells alone, the other cells of each
/// relevant event, of each relevant feature, the rest, the pruned events).
pub const LUMEN_TIMESHAP_CELL: u32 = 2;
/// `lumen_timeshap_options.relevance`: the `top_events` events and `top_features`
/// features of largest |value| are relevant.
pub const LUMEN_TIMESHAP_RELEVANCE_TOP_K: u32 = 0;
/// `lumen_timeshap_options.relevance`: events with |value| >= `event_threshold` and
/// features with |value| >= `feature_threshold` are relevant.
pub const LUMEN_TIMESHAP_RELEVANCE_THRESHOLD: u32 = 1;

/// Options of the TimeSHAP exports. Start from `lumen_timeshap_options_default()` and set
/// a background (`background` or `training_events`). Arrays are borrowed during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_timeshap_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_timeshap_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// The background: one event (F floats, repeated at every position) or a whole
    /// sequence (`seq_len × F` floats, for sequences of exactly that length).
    pub background: *const f32,
    /// Entries in `background`; 0 uses the mean event of `training_events` instead.
    pub background_len: usize,
    /// Training events, `n × F` floats (one event per row): their mean event is the
    /// background (the paper's choice) when `background_len == 0`.
    pub training_events: *const f32,
    /// Entries in `training_events`.
    pub training_events_len: usize,
    /// Non-zero: prune with `tolerance`; zero: no pruning.
    pub prune: u32,
    /// η, finite and >= 0: the older events are lumped at the first split (walking back
    /// from the most recent event) where their Shapley value is at most η in magnitude.
    pub tolerance: f64,
    /// Coalitions per explanation; 0 uses 32000 (the paper's). Exact when 2^M − 2 fit.
    pub budget: usize,
    /// Most jackknife groups for the standard errors of sampled values; 0 uses 64;
    /// otherwise at least 2.
    pub error_batches: u32,
    /// The output explained (index < output_len).
    pub target: u32,
    /// `LUMEN_LINK_IDENTITY` or `LUMEN_LINK_LOGIT`.
    pub link: u32,
    /// Non-zero: re-evaluate whole sequences even when the model has state callbacks.
    pub disable_state: u32,
    /// Cell level: `LUMEN_TIMESHAP_RELEVANCE_TOP_K` or `LUMEN_TIMESHAP_RELEVANCE_THRESHOLD`.
    pub relevance: u32,
    /// Relevant events kept by top-k.
    pub top_events: usize,
    /// Relevant features kept by top-k.
    pub top_features: usize,
    /// Event threshold (finite, >= 0).
    pub event_threshold: f64,
    /// Feature threshold (finite, >= 0).
    pub feature_threshold: f64,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
    /// Since 0.3. The `timeshap` package's `pruning_idx`: a fixed negative index `-k` that
    /// keeps the last `k` events as players and lumps the older ones into one (`-seq_len`
    /// keeps every event), without the tolerance search; `-seq_len <= pruning_index <= -1`.
    /// 0 (the default): no fixed index (`prune`/`tolerance` decide). Set together with
    /// `prune`, or positive, or below `-seq_len`: `LUMEN_STATUS_INVALID_ARGUMENT`.
    pub pruning_index: i64,
    /// Since 0.3. `background` for a double model (`_f64` exports), `background_len`
    /// doubles; `background` stays NULL.
    pub background_f64: *const f64,
    /// Since 0.3. `training_events` for a double model, `training_events_len` doubles.
    pub training_events_f64: *const f64,
    /// Since 0.3. The KernelSHAP estimator of the levels whose coalitions are sampled, as
    /// `lumen_kernel_shap_options.estimator`: `LUMEN_ESTIMATOR_DEFAULT` (0) or a
    /// `LUMEN_ESTIMATOR_*` code (`LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED` gives 0.2's values).
    pub estimator: u32,
}

/// One point of the pruning curve.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_pruning_point {
    /// Split index s: events `[0, s)` are the older part.
    pub split: usize,
    /// Events in the newer part, L − s.
    pub newer_len: usize,
    /// Exact Shapley value of the older events.
    pub older_value: f64,
    /// Exact Shapley value of the newer events.
    pub newer_value: f64,
}

/// One point of the pruning curve in the `timeshap` package's form: the two rows at
/// `t` of the DataFrame `temp_coalition_pruning(..., ret_plot_data=True)` returns.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_timeshap_curve_point {
    /// The package's "t (event index)": `split − seq_len`, from 0 (every event older) down
    /// to `-seq_len` (none older); the newer part is the last `-t` events.
    pub t: i64,
    /// "Sum of contribution of events ≤ t": the older events' exact Shapley value.
    pub older_value: f64,
    /// "Sum of contribution of events > t": the newer events' exact Shapley value.
    pub newer_value: f64,
}

/// Summary statistics of a set of values (all zero when it is empty).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_summary {
    /// Number of values.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub std: f64,
    /// Median.
    pub median: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// One row of the pruning table.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_pruning_row {
    /// η.
    pub tolerance: f64,
    /// Mean pruned length.
    pub mean_len: f64,
    /// Median pruned length.
    pub median_len: f64,
    /// Largest pruned length.
    pub max_len: usize,
    /// Share of sequences whose event-level players fit exact enumeration.
    pub exact_share: f64,
    /// Mean relative standard deviation of event-level values over the seeds.
    pub relative_std: f64,
}

/// The sizes of a global report's arrays.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct lumen_timeshap_global_sizes {
    /// Sequences explained.
    pub sequences: usize,
    /// Entries of the event importance (distances 0 .. longest kept length − 1).
    pub distances: usize,
    /// Entries of the feature importance (F).
    pub features: usize,
    /// Rows of the pruning table.
    pub tolerances: usize,
}

/// A global TimeSHAP report. Immutable: every getter is thread-safe.
#[allow(non_camel_case_types)]
pub struct lumen_timeshap_global {
    report: GlobalReport,
}

impl Handle for lumen_timeshap_global {
    const NAME: &'static str = "lumen_timeshap_global";
}

/// TimeSHAP defaults: no background (must be set), no pruning (tolerance 0, no fixed
/// pruning index), budget
/// 32000 (0), 64 error batches (0), output 0, identity link, state path when the model has
/// one, top-k relevance with 3 events and 3 features, thresholds 0. Thread-safe.
#[no_mangle]
pub extern "C" fn lumen_timeshap_options_default() -> lumen_timeshap_options {
    lumen_timeshap_options {
        struct_size: current_size::<lumen_timeshap_options>(),
        control: std::ptr::null(),
        background: std::ptr::null(),
        background_len: 0,
        training_events: std::ptr::null(),
        training_events_len: 0,
        prune: 0,
        tolerance: 0.0,
        budget: 0,
        error_batches: 0,
        target: 0,
        link: LUMEN_LINK_IDENTITY,
        disable_state: 0,
        relevance: LUMEN_TIMESHAP_RELEVANCE_TOP_K,
        top_events: 3,
        top_features: 3,
        event_threshold: 0.0,
        feature_threshold: 0.0,
        pruning_index: 0,
        background_f64: std::ptr::null(),
        training_events_f64: std::ptr::null(),
        estimator: LUMEN_ESTIMATOR_DEFAULT,
    }
}

/// The checked parameters of `o` for a model with `features` values per event and
/// sequences of `seq_len` events (`None`: the background must be an event).
///
/// # Safety
/// Each array of `o` holds its stated number of elements.
unsafe fn params<E: Element>(
    o: &lumen_timeshap_options,
    features: usize,
    seq_len: Option<usize>,
) -> Result<TimeShapParams<E>, FfiError> {
    // SAFETY: the arrays come from the caller's options.
    let (background, training) = unsafe {
        (
            typed_buffer::<E>((o.background, "background"), (o.background_f64, "background_f64"), o.background_len)?,
            typed_buffer::<E>(
                (o.training_events, "training_events"),
                (o.training_events_f64, "training_events_f64"),
                o.training_events_len,
            )?,
        )
    };
    let background = if !background.is_empty() {
        if background.len() == features {
            SequenceBackground::Event(copy(background, "options.background")?)
        } else if seq_len.and_then(|l| l.checked_mul(features)) == Some(background.len()) {
            SequenceBackground::Sequence(copy(background, "options.background")?)
        } else {
            // A seq_len so large that seq_len × features overflows matches no background.
            let sequence = seq_len.map_or(String::new(), |l| match l.checked_mul(features) {
                Some(len) => format!(" or seq_len × features = {len}"),
                None => format!(" or seq_len × features = {l} × {features}, more than any buffer"),
            });
            return Err(FfiError::new(
                lumen_status::LengthMismatch,
                format!("options.background: length {}, expected features = {features}{sequence}", background.len()),
            ));
        }
    } else if !training.is_empty() {
        SequenceBackground::average_event(training, features)
            .map_err(|e| FfiError::new(e.kind().into(), format!("options.{}", e.message())))?
    } else {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            "options.background: is empty and so is options.training_events; set one of them",
        ));
    };
    let link = match o.link {
        LUMEN_LINK_IDENTITY => Link::Identity,
        LUMEN_LINK_LOGIT => Link::Logit,
        other => {
            return Err(FfiError::new(
                lumen_status::InvalidArgument,
                format!("options.link: is {other}, expected LUMEN_LINK_IDENTITY (0) or LUMEN_LINK_LOGIT (1)"),
            ))
        }
    };
    let mut params = TimeShapParams::new(background);
    params.tolerance = (o.prune != 0).then_some(o.tolerance);
    params.pruning_index = (o.pruning_index != 0).then_some(o.pruning_index);
    if o.prune != 0 && o.pruning_index != 0 {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!(
                "options.pruning_index: is {} and options.prune is set (tolerance {}): set one of them \
                 (a fixed index replaces the tolerance search)",
                o.pruning_index, o.tolerance
            ),
        ));
    }
    params.budget = if o.budget == 0 { DEFAULT_BUDGET } else { o.budget };
    if o.error_batches != 0 {
        params.error_batches = o.error_batches;
    }
    params.target = o.target;
    params.link = link;
    params.use_state = o.disable_state == 0;
    params.estimator = estimator(o.estimator)?;
    Ok(params)
}

fn relevance(o: &lumen_timeshap_options) -> Result<CellRelevance, FfiError> {
    match o.relevance {
        LUMEN_TIMESHAP_RELEVANCE_TOP_K => Ok(CellRelevance::TopK { events: o.top_events, features: o.top_features }),
        LUMEN_TIMESHAP_RELEVANCE_THRESHOLD => {
            Ok(CellRelevance::Threshold { events: o.event_threshold, features: o.feature_threshold })
        }
        other => Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!(
                "options.relevance: is {other}, expected LUMEN_TIMESHAP_RELEVANCE_TOP_K (0) or LUMEN_TIMESHAP_RELEVANCE_THRESHOLD (1)"
            ),
        )),
    }
}

// 0.2.0's layout ended after `control`; `pruning_index` (an i64) starts at that size on every
// platform, since the old struct was padded to the alignment of its f64 fields, which an
// i64 shares.
versioned_options!(lumen_timeshap_options => lumen_timeshap_options_default, appended: pruning_index);

controlled_options!(lumen_timeshap_options);

/// The checked handles and options shared by the exports.
///
/// # Safety
/// Pointers follow the exports' documentation.
unsafe fn handles<'a, E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    options: *const lumen_timeshap_options,
) -> Result<Handles<'a, E>, FfiError> {
    refuse_reentry()?;
    // SAFETY: validity of each pointer is the caller's contract.
    let ((engine, engine_in_use), (model, model_in_use), options) =
        unsafe { (use_handle(engine, "engine")?, use_handle(model, "model")?, read_options(options, "options")?) };
    // SAFETY: the control pointer comes from the caller's options.
    let control = unsafe { enter_control(options.control)? };
    Ok((&engine.engine, model.typed::<E>()?, options, (control, [engine_in_use, model_in_use])))
}

/// [`handles`] plus the one sequence of a single-sequence export and its checked
/// parameters: the engine, model, options, sequence, parameters and installed control.
///
/// # Safety
/// As [`handles`]; `sequence` holds `sequence_len` floats.
unsafe fn sequence_call<'a, E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const E,
    sequence_len: usize,
    seq_len: usize,
    options: *const lumen_timeshap_options,
) -> Result<SequenceCall<'a, E>, FfiError> {
    // SAFETY: forwarded contract.
    let (engine, model, o, control) = unsafe { handles(engine, model, options)? };
    // SAFETY: forwarded contract.
    let sequence = unsafe { slice(sequence, sequence_len, "sequence")? };
    // SAFETY: the arrays of `o` hold their stated lengths, per the contract.
    let params = unsafe { params(&o, model.signature().features, Some(seq_len))? };
    Ok((engine, model, o, sequence, params, control))
}

/// What [`sequence_call`] checks and installs.
type SequenceCall<'a, E> = (
    &'a crate::engine::Engine,
    &'a dyn SequenceModel<E>,
    lumen_timeshap_options,
    &'a [E],
    TimeShapParams<E>,
    (ControlScope, [InUse; 2]),
);

/// The checked engine, model and options of a TimeSHAP export, and its installed control.
type Handles<'a, E> =
    (&'a crate::engine::Engine, &'a dyn SequenceModel<E>, lumen_timeshap_options, (ControlScope, [InUse; 2]));

/// `lumen_engine_timeshap_prune` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_timeshap_prune`, with the sequences holding values of `E`.
#[allow(clippy::too_many_arguments)] // the C export's arguments, one for one
unsafe fn timeshap_prune_call<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const E,
    sequence_len: usize,
    seq_len: usize,
    options: *const lumen_timeshap_options,
    full_curve: u32,
    pruned_len: *mut usize,
    curve: *mut lumen_pruning_point,
    curve_len: usize,
    curve_written: *mut usize,
) -> Result<(), FfiError> {
    check_out(pruned_len, "pruned_len")?;
    check_out(curve_written, "curve_written")?;
    // SAFETY: the caller's contract covers every pointer.
    let (engine, model, _, sequence, params, _control) =
        unsafe { sequence_call(engine, model, sequence, sequence_len, seq_len, options)? };
    // The full curve has seq_len − 1 points: a buffer too short for them is refused
    // before any work (a partial walk's length is known only once it stops).
    let full_points = seq_len.saturating_sub(1);
    if full_curve != 0 && curve_len > 0 && curve_len < full_points {
        return Err(FfiError::new(
            lumen_status::BufferTooSmall,
            format!("curve_len: is {curve_len}, the full curve of {seq_len} events has {full_points} points"),
        ));
    }
    let pruning = timeshap_prune(engine, model, sequence, seq_len, &params, full_curve != 0)?;
    let points: Vec<lumen_pruning_point> = pruning
        .curve
        .iter()
        .map(|p| lumen_pruning_point {
            split: p.split,
            newer_len: p.newer_len,
            older_value: p.older_value,
            newer_value: p.newer_value,
        })
        .collect();
    if curve_len > 0 {
        // SAFETY: `curve` holds `curve_len` points per the contract.
        unsafe { copy_out(&points, curve, curve_len) }
            .map_err(|e| FfiError::new(e.status, format!("curve_len: {}", e.message)))?;
    }
    crate::engine::call_control::finish_current();
    // SAFETY: both passed `check_out`.
    unsafe {
        write_out(pruned_len, pruning.pruned_len);
        write_out(curve_written, points.len());
    }
    Ok(())
}

/// Temporal coalition pruning of one sequence (`sequence_len == seq_len × F` floats,
/// event-major, `seq_len >= 2`). With `full_curve` non-zero every split is evaluated
/// (`seq_len − 1` points, splits `seq_len − 1` down to 1); otherwise the walk stops where
/// pruning does (cost proportional to the pruned length). On success `*pruned_len` holds
/// the pruned length (`seq_len` without pruning), `*curve_written` the number of points,
/// and `curve` (capacity `curve_len`; NULL with 0 to skip it) the points from the most
/// recent split back. With `options.pruning_index` the pruned length is `-pruning_index`
/// and, without `full_curve`, no split is evaluated (0 points). For the curve in the
/// `timeshap` package's (t, value) form, end points included, see
/// `lumen_engine_timeshap_pruning_curve`. `LUMEN_STATUS_BUFFER_TOO_SMALL` (nothing written) when `curve_len`
/// is non-zero but smaller than the points computed. On failure nothing is written.
/// Thread-safe; the model's callbacks follow its `LUMEN_MODEL_CONCURRENT` flag.
///
/// # Safety
/// `engine`, `model`, `options` are valid; `sequence` holds `sequence_len` floats;
/// `curve` holds `curve_len` writable points; `pruned_len` and `curve_written` are valid.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_timeshap_prune(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const f32,
    sequence_len: usize,
    seq_len: usize,
    options: *const lumen_timeshap_options,
    full_curve: u32,
    pruned_len: *mut usize,
    curve: *mut lumen_pruning_point,
    curve_len: usize,
    curve_written: *mut usize,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_timeshap_prune", || unsafe {
        timeshap_prune_call(
            engine,
            model,
            sequence,
            sequence_len,
            seq_len,
            options,
            full_curve,
            pruned_len,
            curve,
            curve_len,
            curve_written,
        )
    })
}

/// `lumen_engine_timeshap_prune` for a `LUMEN_ELEMENT_F64` sequence model: the sequences are doubles and `background_f64`/`training_events_f64` replace their float twins,
/// and the model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_timeshap_prune`, with the sequences holding doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_timeshap_prune_f64(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const f64,
    sequence_len: usize,
    seq_len: usize,
    options: *const lumen_timeshap_options,
    full_curve: u32,
    pruned_len: *mut usize,
    curve: *mut lumen_pruning_point,
    curve_len: usize,
    curve_written: *mut usize,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_timeshap_prune_f64", || unsafe {
        timeshap_prune_call(
            engine,
            model,
            sequence,
            sequence_len,
            seq_len,
            options,
            full_curve,
            pruned_len,
            curve,
            curve_len,
            curve_written,
        )
    })
}

/// `lumen_engine_timeshap_pruning_curve` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_timeshap_pruning_curve`, with the sequences holding values of `E`.
#[allow(clippy::too_many_arguments)] // the C export's arguments, one for one
unsafe fn timeshap_pruning_curve_call<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const E,
    sequence_len: usize,
    seq_len: usize,
    options: *const lumen_timeshap_options,
    pruning_index: *mut i64,
    curve: *mut lumen_timeshap_curve_point,
    curve_len: usize,
    curve_written: *mut usize,
) -> Result<(), FfiError> {
    check_out(pruning_index, "pruning_index")?;
    check_out(curve_written, "curve_written")?;
    // SAFETY: the caller's contract covers every pointer.
    let (engine, model, _, sequence, params, _control) =
        unsafe { sequence_call(engine, model, sequence, sequence_len, seq_len, options)? };
    let points = seq_len.saturating_add(1);
    if curve_len < points {
        return Err(FfiError::new(
            lumen_status::BufferTooSmall,
            format!(
                "curve_len: is {curve_len}, the curve of {seq_len} events has {points} points (t = 0 .. -{seq_len})"
            ),
        ));
    }
    let pruning = timeshap_prune(engine, model, sequence, seq_len, &params, true)?;
    let whole = pruning
        .timeshap_curve()
        .ok_or_else(|| FfiError::new(lumen_status::Internal, "the full pruning curve came back incomplete"))?;
    let out: Vec<lumen_timeshap_curve_point> = whole
        .iter()
        .map(|p| lumen_timeshap_curve_point { t: p.t, older_value: p.older_value, newer_value: p.newer_value })
        .collect();
    // SAFETY: `curve` holds `curve_len` points per the contract.
    unsafe { copy_out(&out, curve, curve_len) }?;
    crate::engine::call_control::finish_current();
    // SAFETY: both passed `check_out`.
    unsafe {
        write_out(pruning_index, pruning.pruning_index());
        write_out(curve_written, out.len());
    }
    Ok(())
}

/// The whole pruning curve of one sequence in the `timeshap` package's form, as its
/// `temp_coalition_pruning(f, data, baseline, tolerance, ret_plot_data=True)` gives it:
/// `seq_len + 1` points, t = 0, −1, …, −seq_len (both end points included: t = 0 has every
/// event older, t = −seq_len none), and `*pruning_index` the package's `pruning_idx`:
/// `−pruned_len` (`−seq_len` when nothing is pruned), chosen by `options.tolerance` with
/// `options.prune`, or `options.pruning_index` itself. Every split is evaluated (the cost
/// of `lumen_engine_timeshap_prune` with `full_curve`). `curve` (capacity `curve_len`)
/// must hold `seq_len + 1` points, else `LUMEN_STATUS_BUFFER_TOO_SMALL` before any work;
/// `*curve_written` receives the count. On failure nothing is written. Thread-safe; the
/// model's callbacks follow its `LUMEN_MODEL_CONCURRENT` flag.
///
/// # Safety
/// `engine`, `model`, `options` are valid; `sequence` holds `sequence_len` floats;
/// `curve` holds `curve_len` writable points; `pruning_index` and `curve_written` are valid.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_timeshap_pruning_curve(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const f32,
    sequence_len: usize,
    seq_len: usize,
    options: *const lumen_timeshap_options,
    pruning_index: *mut i64,
    curve: *mut lumen_timeshap_curve_point,
    curve_len: usize,
    curve_written: *mut usize,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_timeshap_pruning_curve", || unsafe {
        timeshap_pruning_curve_call(
            engine,
            model,
            sequence,
            sequence_len,
            seq_len,
            options,
            pruning_index,
            curve,
            curve_len,
            curve_written,
        )
    })
}

/// `lumen_engine_timeshap_pruning_curve` for a `LUMEN_ELEMENT_F64` sequence model: the sequences are doubles and `background_f64`/`training_events_f64` replace their float twins,
/// and the model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_timeshap_pruning_curve`, with the sequences holding doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_timeshap_pruning_curve_f64(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const f64,
    sequence_len: usize,
    seq_len: usize,
    options: *const lumen_timeshap_options,
    pruning_index: *mut i64,
    curve: *mut lumen_timeshap_curve_point,
    curve_len: usize,
    curve_written: *mut usize,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_timeshap_pruning_curve_f64", || unsafe {
        timeshap_pruning_curve_call(
            engine,
            model,
            sequence,
            sequence_len,
            seq_len,
            options,
            pruning_index,
            curve,
            curve_len,
            curve_written,
        )
    })
}

/// `lumen_engine_explain_timeshap` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_timeshap`, with the sequences holding values of `E`.
#[allow(clippy::too_many_arguments)] // the C export's arguments, one for one
unsafe fn explain_timeshap<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const E,
    sequence_len: usize,
    seq_len: usize,
    level: u32,
    options: *const lumen_timeshap_options,
    out: *mut *mut lumen_explanation,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let (engine, model, o, sequence, params, _control) =
        unsafe { sequence_call(engine, model, sequence, sequence_len, seq_len, options)? };
    let o = &o;
    let explanation = match level {
        LUMEN_TIMESHAP_EVENT => timeshap_event(engine, model, sequence, seq_len, &params)?,
        LUMEN_TIMESHAP_FEATURE => timeshap_feature(engine, model, sequence, seq_len, &params)?,
        LUMEN_TIMESHAP_CELL => timeshap_cell(engine, model, sequence, seq_len, &params, &relevance(o)?)?,
        other => {
            return Err(FfiError::new(
                lumen_status::InvalidArgument,
                format!("level: is {other}, expected LUMEN_TIMESHAP_EVENT (0), _FEATURE (1) or _CELL (2)"),
            ))
        }
    };
    explanation.explanation.ensure_finite()?;
    crate::engine::call_control::finish_current();
    let handle = into_handle(lumen_explanation::from_timeshap(explanation));
    // SAFETY: `out` passed `check_out`.
    unsafe { write_out(out, handle) };
    Ok(())
}

/// Explains one sequence (`sequence_len == seq_len × F` floats, event-major,
/// `seq_len >= 2`) at `level` (`LUMEN_TIMESHAP_EVENT`, `_FEATURE` or `_CELL`), after
/// pruning when `options.prune` is set (or at the fixed `options.pruning_index`). On success `*out` holds a new explanation (free it
/// with `lumen_explanation_free`): one row, one output, feature axis
/// `LUMEN_FEATURE_AXIS_GROUPS` with one value per player, player names from
/// `lumen_explanation_feature_name` ("Event -1" is the most recent event, "Pruned Events"
/// the lumped ones), prediction link(f(x)), base value link(f(background sequence)),
/// local-accuracy gap, standard errors (0 when exact); its JSON holds the parameters,
/// players, pruning curve and pruned length. Cell level first explains events and
/// features to find the relevant ones (`options.relevance`). Results depend only on the
/// engine's seed, not on its thread count. On failure nothing is written. Thread-safe for
/// distinct `out` pointers.
///
/// # Safety
/// `engine`, `model`, `options` are valid; `sequence` holds `sequence_len` floats; every
/// array in `options` holds its stated length; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_timeshap(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const f32,
    sequence_len: usize,
    seq_len: usize,
    level: u32,
    options: *const lumen_timeshap_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_timeshap", || unsafe {
        explain_timeshap(engine, model, sequence, sequence_len, seq_len, level, options, out)
    })
}

/// `lumen_engine_explain_timeshap` for a `LUMEN_ELEMENT_F64` sequence model: the sequences are doubles and `background_f64`/`training_events_f64` replace their float twins,
/// and the model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_timeshap`, with the sequences holding doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_timeshap_f64(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequence: *const f64,
    sequence_len: usize,
    seq_len: usize,
    level: u32,
    options: *const lumen_timeshap_options,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_timeshap_f64", || unsafe {
        explain_timeshap(engine, model, sequence, sequence_len, seq_len, level, options, out)
    })
}

/// `lumen_engine_timeshap_global` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_timeshap_global`, with the sequences holding values of `E`.
#[allow(clippy::too_many_arguments)] // the C export's arguments, one for one
unsafe fn timeshap_global_call<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequences: *const E,
    sequences_len: usize,
    lengths: *const usize,
    count: usize,
    options: *const lumen_timeshap_options,
    tolerances: *const f64,
    tolerances_len: usize,
    seeds: u32,
    out: *mut *mut lumen_timeshap_global,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let (engine, model, o, _control) = unsafe { handles(engine, model, options)? };
    let o = &o;
    // SAFETY: as above.
    let (data, lengths, tolerances) = unsafe {
        (
            slice(sequences, sequences_len, "sequences")?,
            slice(lengths, count, "lengths")?,
            slice(tolerances, tolerances_len, "tolerances")?,
        )
    };
    // SAFETY: as above.
    let local = unsafe { params(o, model.signature().features, None)? };
    let mut global = GlobalParams::new(local, tolerances.to_vec());
    global.seeds = seeds;
    let report = timeshap_global(engine, model, data, lengths, &global)?;
    crate::engine::call_control::finish_current();
    // SAFETY: `out` passed `check_out`.
    unsafe { write_out(out, into_handle(lumen_timeshap_global { report })) };
    Ok(())
}

/// Global TimeSHAP over `count` sequences concatenated in `sequences`
/// (`sequences_len == Σ lengths[i] × F` floats; `lengths[i] >= 2`): event- and
/// feature-level explanations of each at `options` (pruned when `options.prune` is set),
/// event importance by distance from the most recent event, feature importance
/// distributions, the most recent event's share of f(x) − base, and the pruning table for
/// each of the `tolerances_len` η in `tolerances` (relative std over `seeds >= 2` random
/// streams; the paper uses 10). The background must be one event (or training events).
/// On success `*out` holds a new report (free it with `lumen_timeshap_global_free`); on
/// failure nothing is written. Deterministic per engine seed. Thread-safe for distinct
/// `out` pointers.
///
/// # Safety
/// `engine`, `model`, `options` are valid; `sequences` holds `sequences_len` floats,
/// `lengths` `count` sizes, `tolerances` `tolerances_len` doubles; `out` is valid.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_timeshap_global(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequences: *const f32,
    sequences_len: usize,
    lengths: *const usize,
    count: usize,
    options: *const lumen_timeshap_options,
    tolerances: *const f64,
    tolerances_len: usize,
    seeds: u32,
    out: *mut *mut lumen_timeshap_global,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_timeshap_global", || unsafe {
        timeshap_global_call(
            engine,
            model,
            sequences,
            sequences_len,
            lengths,
            count,
            options,
            tolerances,
            tolerances_len,
            seeds,
            out,
        )
    })
}

/// `lumen_engine_timeshap_global` for a `LUMEN_ELEMENT_F64` sequence model: the sequences are doubles and `background_f64`/`training_events_f64` replace their float twins,
/// and the model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_timeshap_global`, with the sequences holding doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_timeshap_global_f64(
    engine: *const lumen_engine,
    model: *const lumen_sequence_model,
    sequences: *const f64,
    sequences_len: usize,
    lengths: *const usize,
    count: usize,
    options: *const lumen_timeshap_options,
    tolerances: *const f64,
    tolerances_len: usize,
    seeds: u32,
    out: *mut *mut lumen_timeshap_global,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_timeshap_global_f64", || unsafe {
        timeshap_global_call(
            engine,
            model,
            sequences,
            sequences_len,
            lengths,
            count,
            options,
            tolerances,
            tolerances_len,
            seeds,
            out,
        )
    })
}

/// # Safety
/// `global` is NULL or valid.
unsafe fn report<'a>(global: *const lumen_timeshap_global) -> Result<&'a GlobalReport, FfiError> {
    // SAFETY: forwarded contract.
    Ok(&unsafe { live_handle(global, "global")? }.report)
}

fn summary(s: &Summary) -> lumen_summary {
    lumen_summary { count: s.count, mean: s.mean, std: s.std, median: s.median, min: s.min, max: s.max }
}

/// Writes the sizes of the report's arrays into `*out`.
///
/// # Safety
/// `global` is a valid report; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_timeshap_global_shape(
    global: *const lumen_timeshap_global,
    out: *mut lumen_timeshap_global_sizes,
) -> lumen_status {
    boundary("lumen_timeshap_global_shape", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let r = unsafe { report(global)? };
        let shape = lumen_timeshap_global_sizes {
            sequences: r.sequences,
            distances: r.event_importance.len(),
            features: r.feature_importance.len(),
            tolerances: r.pruning_table.len(),
        };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, shape) };
        Ok(())
    })
}

/// Copies the event importance by distance (entry d: distance d from the most recent
/// event) into `out` (capacity `out_len` >= `shape.distances`).
///
/// # Safety
/// `global` is valid; `out` holds `out_len` writable summaries.
#[no_mangle]
pub unsafe extern "C" fn lumen_timeshap_global_event_importance(
    global: *const lumen_timeshap_global,
    out: *mut lumen_summary,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_timeshap_global_event_importance", || {
        // SAFETY: caller's contract.
        let r = unsafe { report(global)? };
        let values: Vec<lumen_summary> = r.event_importance.iter().map(|d| summary(&d.summary)).collect();
        // SAFETY: as above.
        unsafe { copy_out(&values, out, out_len) }
    })
}

/// Copies one summary per feature (its feature-level values over the sequences) into
/// `out` (capacity `out_len` >= `shape.features`).
///
/// # Safety
/// `global` is valid; `out` holds `out_len` writable summaries.
#[no_mangle]
pub unsafe extern "C" fn lumen_timeshap_global_feature_importance(
    global: *const lumen_timeshap_global,
    out: *mut lumen_summary,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_timeshap_global_feature_importance", || {
        // SAFETY: caller's contract.
        let r = unsafe { report(global)? };
        let values: Vec<lumen_summary> = r.feature_importance.iter().map(|f| summary(&f.summary)).collect();
        // SAFETY: as above.
        unsafe { copy_out(&values, out, out_len) }
    })
}

/// Writes the summary of φ(most recent event) / (f(x) − base) over the sequences.
///
/// # Safety
/// `global` is valid; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_timeshap_global_most_recent_share(
    global: *const lumen_timeshap_global,
    out: *mut lumen_summary,
) -> lumen_status {
    boundary("lumen_timeshap_global_most_recent_share", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let r = unsafe { report(global)? };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, summary(&r.most_recent_share)) };
        Ok(())
    })
}

/// Copies the pruning table (one row per η, in the order given) into `out` (capacity
/// `out_len` >= `shape.tolerances`).
///
/// # Safety
/// `global` is valid; `out` holds `out_len` writable rows.
#[no_mangle]
pub unsafe extern "C" fn lumen_timeshap_global_pruning_table(
    global: *const lumen_timeshap_global,
    out: *mut lumen_pruning_row,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_timeshap_global_pruning_table", || {
        // SAFETY: caller's contract.
        let r = unsafe { report(global)? };
        let rows: Vec<lumen_pruning_row> = r
            .pruning_table
            .iter()
            .map(|row| lumen_pruning_row {
                tolerance: row.tolerance,
                mean_len: row.mean_len,
                median_len: row.median_len,
                max_len: row.max_len,
                exact_share: row.exact_share,
                relative_std: row.relative_std,
            })
            .collect();
        // SAFETY: as above.
        unsafe { copy_out(&rows, out, out_len) }
    })
}

/// Serialises the report (parameters, every summary, the feature value distributions,
/// the pruning table, audit). On success `*out` holds a new NUL-terminated UTF-8 string
/// that the caller frees with `lumen_string_free`.
///
/// # Safety
/// `global` is valid; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_timeshap_global_to_json(
    global: *const lumen_timeshap_global,
    out: *mut *mut c_char,
) -> lumen_status {
    boundary("lumen_timeshap_global_to_json", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let json = unsafe { report(global)? }.to_json()?;
        let json = CString::new(json)
            .map_err(|_| FfiError::new(lumen_status::Internal, "report: JSON text contains a NUL byte"))?;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, json.into_raw()) };
        Ok(())
    })
}

/// Frees a global report. `NULL` is a no-op.
///
/// # Safety
/// `global` is NULL or a pointer returned by `lumen_engine_timeshap_global`, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_timeshap_global_free(global: *mut lumen_timeshap_global) {
    boundary_or("lumen_timeshap_global_free", (), || {
        // SAFETY: the caller's contract; the registry refuses what is no live lumen_timeshap_global.
        unsafe { free_handle(global, "lumen_timeshap_global_free", "global") }
    })
}
