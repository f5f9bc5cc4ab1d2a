//! PermuteAttack counterfactuals at the C boundary: the tabular schema, the search's
//! options and entry point, the read-only result handle, and scorecard points.

use std::ffi::{c_char, CStr, CString};

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::call_control::lumen_call_control;
use super::elements::typed_buffer;
use super::engine::lumen_engine;
use super::explain::call;
use super::model::lumen_model;
use super::options::{controlled_options, current_size, versioned_options};
use super::pointers::{check_out, copy, copy_out, copy_out_f32, slice, write_out};
use super::registry::{handle as live_handle, into_handle, Handle};
use super::status::lumen_status;
use crate::element::Element;
use crate::explain::counterfactual::gibbs::GibbsOptions;
use crate::explain::counterfactual::schema::{Feature, FeatureKind, Schema};
use crate::explain::counterfactual::scorecard::Scorecard;
use crate::explain::counterfactual::{permute_attack, FeatureRange, PermuteAttackParams, Sampling, TargetClass};
use crate::explanation::{Counterfactual, Counterfactuals, InstanceCounterfactuals};

/// `lumen_tabular_feature.kind`: one model column holding a number.
pub const LUMEN_FEATURE_NUMERIC: u32 = 0;
/// `lumen_tabular_feature.kind`: a one-hot group of at least two columns (category `c`
/// sets `columns[c]` to 1 and the others to 0), changed as one feature.
pub const LUMEN_FEATURE_CATEGORICAL: u32 = 1;
/// `lumen_tabular_feature.kind` (since 0.3): one model column holding an integer category
/// code, as in PermuteAttack's reference code; `columns_len` is 1 and the allowed codes
/// are given by the feature's entry in `lumen_permute_attack_options.feature_codes`.
/// Category `c` is the code `codes[c]`: the search treats it exactly as a one-hot group
/// whose column `c` is that category (the same draws, the same distance, the same
/// counterfactuals), and returns counterfactual rows with codes.
pub const LUMEN_FEATURE_CODED: u32 = 2;
/// `lumen_permute_attack_options.sampling`: a new value is a uniform draw from the
/// feature's training column.
pub const LUMEN_SAMPLING_COLUMN: u32 = 0;
/// `lumen_permute_attack_options.sampling`: a new value is drawn by Gibbs sampling from
/// the feature's training distribution given the other features' quantile bins.
pub const LUMEN_SAMPLING_GIBBS: u32 = 1;
/// `lumen_permute_attack_options.target_class`: aim for the other class of a binary
/// model, or the most probable other class of a multi-class model.
pub const LUMEN_TARGET_OPPOSITE: i64 = -1;

/// One logical feature of a tabular model row. Borrowed during the explain call; the
/// name is copied.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_tabular_feature {
    /// NUL-terminated UTF-8 name (copied); NULL names it `feature N` (N its index).
    pub name: *const c_char,
    /// `LUMEN_FEATURE_NUMERIC`, `LUMEN_FEATURE_CATEGORICAL` or `LUMEN_FEATURE_CODED`.
    pub kind: u32,
    /// The model columns (indices `< input_len`) of the feature; no column may belong to
    /// two features. Columns no feature claims keep the instance's values.
    pub columns: *const usize,
    /// Entries in `columns`: exactly 1 for a numeric or coded feature, at least 2 for a
    /// categorical (one-hot) one.
    pub columns_len: usize,
}

/// The allowed codes of a `LUMEN_FEATURE_CODED` feature (since 0.3): category `c` is
/// `codes[c]`. Borrowed during the explain call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_feature_codes {
    /// The logical feature (an index into `lumen_permute_attack_options.features`); it
    /// must be of kind `LUMEN_FEATURE_CODED`.
    pub feature: u32,
    /// The codes, one per category: finite integers (as floats, the model's element
    /// type), distinct, at least one. Every instance and training row must hold one of
    /// them in the feature's column.
    pub codes: *const f32,
    /// Entries in `codes` (at least 1).
    pub codes_len: usize,
}

/// The allowed values `[min, max]` of a numeric feature (finite, `min <= max`): a
/// candidate value outside it is put back to the instance's value.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_feature_range {
    /// The logical feature (an index into the features).
    pub feature: u32,
    /// Smallest allowed value.
    pub min: f32,
    /// Largest allowed value.
    pub max: f32,
}

/// Options of `lumen_engine_explain_counterfactuals` (PermuteAttack, Hashemi & Fathi
/// 2020). Start from `lumen_permute_attack_options_default()` and set at least
/// `training`. Every array is borrowed only during the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_permute_attack_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_permute_attack_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// The logical features of the model's rows; with `features_len == 0` every column
    /// is its own numeric feature, named `feature N`.
    pub features: *const lumen_tabular_feature,
    /// Entries in `features`.
    pub features_len: usize,
    /// Training rows, `n × input_len` floats, row-major (required, `n >= 1`; categorical
    /// groups one-hot, coded features one of their codes): every new feature value is
    /// drawn from them.
    pub training: *const f32,
    /// Entries in `training`: a non-zero multiple of the model's `input_len`.
    pub training_len: usize,
    /// `LUMEN_TARGET_OPPOSITE` or a class index (`< output_len`, or `< 2` for a model
    /// with one output, read as P(class 1)).
    pub target_class: i64,
    /// Logical features that must never change.
    pub immutable: *const u32,
    /// Entries in `immutable`.
    pub immutable_len: usize,
    /// If given, only these logical features may change; with `allow_list_len == 0`
    /// every feature that is not immutable may change.
    pub allow_list: *const u32,
    /// Entries in `allow_list`.
    pub allow_list_len: usize,
    /// Allowed value ranges of numeric features.
    pub ranges: *const lumen_feature_range,
    /// Entries in `ranges`.
    pub ranges_len: usize,
    /// Candidates per generation (at least 2).
    pub population: usize,
    /// Parents drawn per generation (at least 1).
    pub parents: usize,
    /// Generations per run (at least 1).
    pub generations: usize,
    /// Independent runs per instance (at least 1).
    pub runs: usize,
    /// Fitness penalty per changed feature (ρ0, finite, `>= 0`).
    pub rho0: f64,
    /// Fitness penalty per unit of L2 distance (ρ1, finite, `>= 0`).
    pub rho1: f64,
    /// Softmax temperature of parent selection (τ, finite, `> 0`).
    pub temperature: f64,
    /// Factor applied to ρ0 and ρ1 after a generation without success (in `(0, 1]`).
    pub decay: f64,
    /// Most features a counterfactual may change; 0: no limit.
    pub max_changed: usize,
    /// Largest L2 distance a successful counterfactual may have (as
    /// `lumen_counterfactual.distance` measures it): finite, `>= 0`; 0: no limit.
    pub max_distance: f64,
    /// The target class's probability a counterfactual must reach (e.g. an approval
    /// cutoff, in (0, 1]); 0: the model must predict the target class instead.
    pub success_probability: f64,
    /// Counterfactuals reported per instance (k, at least 1).
    pub counterfactuals: usize,
    /// `LUMEN_SAMPLING_COLUMN` or `LUMEN_SAMPLING_GIBBS`.
    pub sampling: u32,
    /// Quantile bins per numeric feature for Gibbs sampling (at least 1).
    pub gibbs_bins: usize,
    /// Gibbs sweeps per draw (at least 1).
    pub gibbs_iterations: usize,
    /// How the call may be stopped and watched (cancel token, deadline, progress,
    /// parallelism); NULL for none.
    pub control: *const lumen_call_control,
    /// Since 0.3. The codes of every `LUMEN_FEATURE_CODED` feature, one entry per coded
    /// feature (none for other kinds, none twice).
    pub feature_codes: *const lumen_feature_codes,
    /// Entries in `feature_codes`.
    pub feature_codes_len: usize,
    /// Since 0.3. `training` for a double model (`_f64` export), `training_len` doubles;
    /// `training` stays NULL.
    pub training_f64: *const f64,
}

/// The outcome of one instance's search.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_instance_counterfactuals {
    /// The class the model predicts for the instance.
    pub original_class: u32,
    /// The class the search aimed for.
    pub target_class: u32,
    /// The instance's probability of the target class.
    pub original_probability: f32,
    /// Non-zero when the instance already reaches the target (nothing was searched, `count` is 0).
    pub already_at_target: u32,
    /// Counterfactuals reported for it (`index < count` in the per-counterfactual getters).
    pub count: usize,
    /// Model rows evaluated for it.
    pub model_rows_evaluated: u64,
}

/// One counterfactual of one instance.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_counterfactual {
    /// 1 when the model predicts the target class for it (and every limit is met), else
    /// 0: the fittest candidate found, reported when no search succeeded.
    pub success: u32,
    /// The class the model predicts for it.
    pub predicted_class: u32,
    /// The model's probability of the target class for it.
    pub target_probability: f32,
    /// Euclidean distance to the instance over the logical features: numeric differences,
    /// and √2 per changed categorical feature (the distance between one-hot vectors; the
    /// same for a `LUMEN_FEATURE_CODED` feature), so a model's one-hot and coded forms
    /// give the same distances.
    pub distance: f32,
    /// Number of logical features it changes (`lumen_counterfactuals_changed` lists them).
    pub changed_len: usize,
}

/// The result of a counterfactual search. Immutable: every getter is thread-safe.
#[allow(non_camel_case_types)]
pub struct lumen_counterfactuals {
    pub(crate) result: Counterfactuals,
}

impl Handle for lumen_counterfactuals {
    const NAME: &'static str = "lumen_counterfactuals";
}

// 0.2.0's layout ended after `control`, a pointer; `feature_codes` (a pointer) starts at
// that size on every platform, since the old struct was padded to pointer alignment.
versioned_options!(lumen_permute_attack_options => lumen_permute_attack_options_default, appended: feature_codes);

controlled_options!(lumen_permute_attack_options);

fn zeroed_options() -> lumen_permute_attack_options {
    lumen_permute_attack_options {
        struct_size: current_size::<lumen_permute_attack_options>(),
        control: std::ptr::null(),
        features: std::ptr::null(),
        features_len: 0,
        training: std::ptr::null(),
        training_len: 0,
        target_class: LUMEN_TARGET_OPPOSITE,
        immutable: std::ptr::null(),
        immutable_len: 0,
        allow_list: std::ptr::null(),
        allow_list_len: 0,
        ranges: std::ptr::null(),
        ranges_len: 0,
        population: 0,
        parents: 0,
        generations: 0,
        runs: 0,
        rho0: 0.0,
        rho1: 0.0,
        temperature: 0.0,
        decay: 0.0,
        max_changed: 0,
        max_distance: 0.0,
        success_probability: 0.0,
        counterfactuals: 0,
        sampling: LUMEN_SAMPLING_GIBBS,
        gibbs_bins: 0,
        gibbs_iterations: 0,
        feature_codes: std::ptr::null(),
        feature_codes_len: 0,
        training_f64: std::ptr::null(),
    }
}

/// PermuteAttack defaults (the paper's settings): every column its own numeric feature,
/// no training rows (must be set), the opposite class, nothing immutable, no allow-list
/// or ranges, population 30, 10 parents, 100 generations, 10 runs, ρ0 = 0.05, ρ1 = 0.01,
/// τ = 0.5, decay 0.96, no limit on changes or distance, 3 counterfactuals, Gibbs
/// sampling with 5 bins and 5 sweeps. Thread-safe; the struct is the caller's.
#[no_mangle]
pub extern "C" fn lumen_permute_attack_options_default() -> lumen_permute_attack_options {
    // Cannot panic; should it ever, the zeroed options fail every search with a clear message.
    boundary_or("lumen_permute_attack_options_default", zeroed_options(), || {
        let defaults = PermuteAttackParams::<f32>::new(Schema::numeric(0), Vec::new());
        let (sampling, gibbs) = match defaults.sampling {
            Sampling::Column => (LUMEN_SAMPLING_COLUMN, GibbsOptions::default()),
            Sampling::Gibbs { bins, iterations } => {
                (LUMEN_SAMPLING_GIBBS, GibbsOptions { bins, iterations, ..GibbsOptions::default() })
            }
        };
        lumen_permute_attack_options {
            struct_size: current_size::<lumen_permute_attack_options>(),
            control: std::ptr::null(),
            target_class: match defaults.target {
                TargetClass::Opposite => LUMEN_TARGET_OPPOSITE,
                TargetClass::Class(c) => i64::from(c),
            },
            population: defaults.population,
            parents: defaults.parents,
            generations: defaults.generations,
            runs: defaults.runs,
            rho0: defaults.rho0,
            rho1: defaults.rho1,
            temperature: defaults.temperature,
            decay: defaults.decay,
            max_changed: defaults.max_changed.unwrap_or(0),
            max_distance: defaults.max_distance.unwrap_or(0.0),
            counterfactuals: defaults.counterfactuals,
            sampling,
            gibbs_bins: gibbs.bins,
            gibbs_iterations: gibbs.iterations,
            ..zeroed_options()
        }
    })
}

fn invalid(message: String) -> FfiError {
    FfiError::new(lumen_status::InvalidArgument, message)
}

/// The codes of each coded feature from `options.feature_codes`, by feature index.
///
/// # Safety
/// `entries` hold valid code arrays of their stated lengths.
unsafe fn feature_codes(entries: &[lumen_feature_codes], features: usize) -> Result<Vec<Option<Vec<f64>>>, FfiError> {
    let mut codes: Vec<Option<Vec<f64>>> = vec![None; features];
    for (i, entry) in entries.iter().enumerate() {
        let argument = format!("options.feature_codes[{i}]");
        let f = entry.feature as usize;
        let Some(slot) = codes.get_mut(f) else {
            return Err(invalid(format!("{argument}.feature: is {f}, expected < features_len = {features}")));
        };
        if slot.is_some() {
            return Err(invalid(format!("{argument}.feature: gives feature {f} codes twice, expected once")));
        }
        // SAFETY: forwarded contract.
        let given = unsafe { slice(entry.codes, entry.codes_len, &format!("{argument}.codes"))? };
        *slot = Some(given.iter().map(|&code| f64::from(code)).collect());
    }
    Ok(codes)
}

/// The checked schema of `features` over rows of `row_len` elements, with the codes of
/// coded features from `codes`.
///
/// # Safety
/// `features` holds `len` valid features when `len > 0`, each with its stated columns;
/// `codes` holds `codes_len` entries, each with its stated codes.
unsafe fn schema(
    features: *const lumen_tabular_feature,
    len: usize,
    codes: *const lumen_feature_codes,
    codes_len: usize,
    row_len: usize,
) -> Result<Schema, FfiError> {
    // SAFETY: forwarded contract.
    let (features, code_entries) =
        unsafe { (slice(features, len, "options.features")?, slice(codes, codes_len, "options.feature_codes")?) };
    if features.is_empty() {
        if !code_entries.is_empty() {
            return Err(invalid(
                "options.feature_codes: gives codes, but options.features is empty (every column numeric)".to_owned(),
            ));
        }
        return Ok(Schema::numeric(row_len));
    }
    // SAFETY: forwarded contract.
    let mut codes = unsafe { feature_codes(code_entries, features.len())? };
    let mut checked = Vec::with_capacity(features.len());
    for (i, feature) in features.iter().enumerate() {
        let argument = format!("options.features[{i}]");
        let name = if feature.name.is_null() {
            format!("feature {i}")
        } else {
            // SAFETY: non-NULL; NUL termination is the caller's contract.
            unsafe { CStr::from_ptr(feature.name) }.to_str().map(str::to_owned).map_err(|e| {
                FfiError::new(lumen_status::InvalidUtf8, format!("{argument}.name: is not valid UTF-8 ({e})"))
            })?
        };
        // SAFETY: forwarded contract.
        let columns = unsafe { slice(feature.columns, feature.columns_len, &format!("{argument}.columns"))? };
        let kind = match feature.kind {
            LUMEN_FEATURE_NUMERIC => match columns {
                [column] => FeatureKind::Numeric { column: *column },
                _ => {
                    return Err(invalid(format!(
                        "{argument}.columns_len: is {}, expected 1 for a LUMEN_FEATURE_NUMERIC feature",
                        columns.len()
                    )))
                }
            },
            LUMEN_FEATURE_CATEGORICAL => FeatureKind::Categorical { columns: columns.to_vec() },
            LUMEN_FEATURE_CODED => match (columns, codes[i].take()) {
                ([column], Some(codes)) => FeatureKind::Coded { column: *column, codes },
                ([_], None) => {
                    return Err(invalid(format!(
                        "{argument}: is LUMEN_FEATURE_CODED, but options.feature_codes gives no codes for feature {i}"
                    )))
                }
                _ => {
                    return Err(invalid(format!(
                        "{argument}.columns_len: is {}, expected 1 for a LUMEN_FEATURE_CODED feature",
                        columns.len()
                    )))
                }
            },
            other => {
                return Err(invalid(format!(
                    "{argument}.kind: is {other}, expected LUMEN_FEATURE_NUMERIC (0), LUMEN_FEATURE_CATEGORICAL (1) \
                     or LUMEN_FEATURE_CODED (2)"
                )))
            }
        };
        if feature.kind != LUMEN_FEATURE_CODED && codes[i].is_some() {
            return Err(invalid(format!(
                "options.feature_codes: gives codes for feature {i}, which is not LUMEN_FEATURE_CODED (kind {})",
                feature.kind
            )));
        }
        checked.push(Feature { name, kind });
    }
    // The Rust API calls the features "schema"; the C caller knows them as options.features.
    Schema::new(checked, row_len)
        .map_err(|e| FfiError::new(e.kind().into(), e.message().replacen("schema", "options.features", 1).to_string()))
}

/// The search's parameters from the caller's options, for rows of `row_len` elements.
///
/// # Safety
/// Each array of `o` holds its stated number of elements.
unsafe fn params<E: Element>(
    o: &lumen_permute_attack_options,
    row_len: usize,
) -> Result<PermuteAttackParams<E>, FfiError> {
    // SAFETY: each array's pointer and length come from the caller's options.
    let (schema, training, immutable, allow_list, ranges) = unsafe {
        (
            schema(o.features, o.features_len, o.feature_codes, o.feature_codes_len, row_len)?,
            typed_buffer::<E>((o.training, "training"), (o.training_f64, "training_f64"), o.training_len)?,
            slice(o.immutable, o.immutable_len, "options.immutable")?,
            slice(o.allow_list, o.allow_list_len, "options.allow_list")?,
            slice(o.ranges, o.ranges_len, "options.ranges")?,
        )
    };
    let target = match o.target_class {
        LUMEN_TARGET_OPPOSITE => TargetClass::Opposite,
        c => TargetClass::Class(u32::try_from(c).map_err(|_| {
            invalid(format!(
                "options.target_class: is {c}, expected LUMEN_TARGET_OPPOSITE (-1) or a class index in 0..2^32"
            ))
        })?),
    };
    let sampling = match o.sampling {
        LUMEN_SAMPLING_COLUMN => Sampling::Column,
        LUMEN_SAMPLING_GIBBS => Sampling::Gibbs { bins: o.gibbs_bins, iterations: o.gibbs_iterations },
        other => {
            return Err(invalid(format!(
                "options.sampling: is {other}, expected LUMEN_SAMPLING_COLUMN (0) or LUMEN_SAMPLING_GIBBS (1)"
            )))
        }
    };
    if !(o.max_distance.is_finite() && o.max_distance >= 0.0) {
        return Err(invalid(format!(
            "options.max_distance: is {}, expected a finite number >= 0 (0: no limit)",
            o.max_distance
        )));
    }
    let indices = |ids: &[u32]| ids.iter().map(|&f| f as usize).collect::<Vec<usize>>();
    let mut params = PermuteAttackParams::new(schema, copy(training, "options.training")?);
    params.target = target;
    params.immutable = indices(immutable);
    params.allow_list = (!allow_list.is_empty()).then(|| indices(allow_list));
    params.ranges = ranges
        .iter()
        .map(|r| FeatureRange { feature: r.feature as usize, min: f64::from(r.min), max: f64::from(r.max) })
        .collect();
    params.population = o.population;
    params.parents = o.parents;
    params.generations = o.generations;
    params.runs = o.runs;
    params.rho0 = o.rho0;
    params.rho1 = o.rho1;
    params.temperature = o.temperature;
    params.decay = o.decay;
    params.max_changed = (o.max_changed > 0).then_some(o.max_changed);
    params.max_distance = (o.max_distance > 0.0).then_some(o.max_distance);
    params.success_probability = (o.success_probability != 0.0).then_some(o.success_probability);
    params.counterfactuals = o.counterfactuals;
    params.sampling = sampling;
    Ok(params)
}

/// `lumen_engine_explain_counterfactuals` on a model of element type `E`.
///
/// # Safety
/// As for `lumen_engine_explain_counterfactuals`, with `inputs` holding `inputs_len` values of `E`.
unsafe fn explain_counterfactuals<E: Element>(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const E,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_permute_attack_options,
    out: *mut *mut lumen_counterfactuals,
) -> Result<(), FfiError> {
    check_out(out, "out")?;
    // SAFETY: the caller's contract covers every pointer.
    let call = unsafe { call(engine, model, inputs, inputs_len, rows, options)? };
    // SAFETY: the options' arrays come from the caller.
    let params = unsafe { params(&call.options, call.row_len)? };
    let result = permute_attack(call.engine, call.model, call.inputs, call.rows, &params)?;
    result.ensure_finite()?;
    crate::engine::call_control::finish_current();
    // SAFETY: `out` passed `check_out`.
    unsafe { write_out(out, into_handle(lumen_counterfactuals { result })) };
    Ok(())
}

/// Searches counterfactuals for `rows` rows of `inputs` (`inputs_len == rows × input_len`
/// floats, row-major; categorical groups one-hot, coded features one of their codes) with
/// PermuteAttack: a genetic search for
/// the smallest change of each instance, drawn from the training rows, that makes the
/// model predict the target class. The model's outputs are class probabilities (one
/// output: P(class 1) of a binary model). On success `*out` holds a new result (free it
/// with `lumen_counterfactuals_free`) with up to `options->counterfactuals` per
/// instance, successful ones first, fewest changes and then smallest distance first.
/// Results depend only on the engine's seed, not on its thread count. On failure nothing
/// is written. A NULL `engine`, `model`, `options` or `out`, or a NULL array with a
/// non-zero length, gives `LUMEN_STATUS_NULL_POINTER`. Thread-safe for distinct `out`
/// pointers; the model's callbacks are called from engine threads as its
/// `LUMEN_MODEL_CONCURRENT` flag allows.
///
/// # Safety
/// `engine`, `model`, `options` are valid handles/pointers; `inputs` holds `inputs_len`
/// floats; every array in `options` holds its stated length; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_counterfactuals(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f32,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_permute_attack_options,
    out: *mut *mut lumen_counterfactuals,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_counterfactuals", || unsafe {
        explain_counterfactuals(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// `lumen_engine_explain_counterfactuals` for a `LUMEN_ELEMENT_F64` model: `inputs` holds doubles and `training_f64` replaces `training` (same length; feature codes and ranges stay floats), and the
/// model sees exactly those doubles.
///
/// # Safety
/// As for `lumen_engine_explain_counterfactuals`, with `inputs` holding `inputs_len` doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_explain_counterfactuals_f64(
    engine: *const lumen_engine,
    model: *const lumen_model,
    inputs: *const f64,
    inputs_len: usize,
    rows: usize,
    options: *const lumen_permute_attack_options,
    out: *mut *mut lumen_counterfactuals,
) -> lumen_status {
    // SAFETY: the caller's contract.
    boundary("lumen_engine_explain_counterfactuals_f64", || unsafe {
        explain_counterfactuals(engine, model, inputs, inputs_len, rows, options, out)
    })
}

/// Frees a counterfactual search result. `NULL` is a no-op. It must not be in use by
/// another thread.
///
/// # Safety
/// `counterfactuals` is NULL or a pointer returned by Lumen and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_free(counterfactuals: *mut lumen_counterfactuals) {
    boundary_or("lumen_counterfactuals_free", (), || {
        // SAFETY: the caller's contract; the registry refuses what is no live lumen_counterfactuals.
        unsafe { free_handle(counterfactuals, "lumen_counterfactuals_free", "counterfactuals") }
    })
}

/// # Safety
/// `handle` is NULL or a valid result.
unsafe fn result<'a>(handle: *const lumen_counterfactuals) -> Result<&'a Counterfactuals, FfiError> {
    // SAFETY: forwarded contract.
    Ok(&unsafe { live_handle(handle, "counterfactuals")? }.result)
}

fn instance(result: &Counterfactuals, instance: usize) -> Result<&InstanceCounterfactuals, FfiError> {
    let count = result.instances.len();
    result.instances.get(instance).ok_or_else(|| invalid(format!("instance: is {instance}, expected < {count}")))
}

fn counterfactual(result: &Counterfactuals, at: usize, index: usize) -> Result<&Counterfactual, FfiError> {
    let found = &instance(result, at)?.counterfactuals;
    let count = found.len();
    found.get(index).ok_or_else(|| invalid(format!("index: is {index}, expected < {count} (instance {at})")))
}

/// Writes the number of instances searched (the `rows` of the explain call) into `*out`.
/// A NULL `counterfactuals` or `out` gives `LUMEN_STATUS_NULL_POINTER`; nothing is
/// written on failure. Thread-safe.
///
/// # Safety
/// `counterfactuals` is a valid result; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_count(
    counterfactuals: *const lumen_counterfactuals,
    out: *mut usize,
) -> lumen_status {
    boundary("lumen_counterfactuals_count", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let count = unsafe { result(counterfactuals)? }.instances.len();
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, count) };
        Ok(())
    })
}

/// Writes the outcome of instance `instance` (`< lumen_counterfactuals_count`) into
/// `*out`. `LUMEN_STATUS_INVALID_ARGUMENT` if `instance` is out of range; a NULL
/// `counterfactuals` or `out` gives `LUMEN_STATUS_NULL_POINTER`. Nothing is written on
/// failure. Thread-safe.
///
/// # Safety
/// `counterfactuals` is a valid result; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_instance(
    counterfactuals: *const lumen_counterfactuals,
    instance: usize,
    out: *mut lumen_instance_counterfactuals,
) -> lumen_status {
    boundary("lumen_counterfactuals_instance", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let found = self::instance(unsafe { result(counterfactuals)? }, instance)?;
        let value = lumen_instance_counterfactuals {
            original_class: found.original_class,
            target_class: found.target_class,
            already_at_target: u32::from(found.already_at_target),
            original_probability: found.original_probability as f32,
            count: found.counterfactuals.len(),
            model_rows_evaluated: found.model_rows_evaluated,
        };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, value) };
        Ok(())
    })
}

/// Writes counterfactual `index` (`< count` of its instance) of instance `instance` into
/// `*out`. `LUMEN_STATUS_INVALID_ARGUMENT` if `instance` or `index` is out of range; a
/// NULL `counterfactuals` or `out` gives `LUMEN_STATUS_NULL_POINTER`. Nothing is written
/// on failure. Thread-safe.
///
/// # Safety
/// `counterfactuals` is a valid result; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_get(
    counterfactuals: *const lumen_counterfactuals,
    instance: usize,
    index: usize,
    out: *mut lumen_counterfactual,
) -> lumen_status {
    boundary("lumen_counterfactuals_get", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let found = counterfactual(unsafe { result(counterfactuals)? }, instance, index)?;
        let value = lumen_counterfactual {
            success: u32::from(found.success),
            predicted_class: found.predicted_class,
            target_probability: found.target_probability as f32,
            distance: found.distance as f32,
            changed_len: found.changed.len(),
        };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, value) };
        Ok(())
    })
}

/// Copies counterfactual `index` of instance `instance` as a model input row
/// (`input_len` floats) into `out` (room for `out_len` floats;
/// `LUMEN_STATUS_BUFFER_TOO_SMALL` if fewer than `input_len`). Out-of-range `instance` or
/// `index` gives `LUMEN_STATUS_INVALID_ARGUMENT`; a NULL `counterfactuals`, or a NULL
/// `out` with `out_len > 0`, gives `LUMEN_STATUS_NULL_POINTER`. Nothing is written on
/// failure. Thread-safe; `out` stays the caller's.
///
/// # Safety
/// `counterfactuals` is a valid result; `out` holds `out_len` writable floats.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_row(
    counterfactuals: *const lumen_counterfactuals,
    instance: usize,
    index: usize,
    out: *mut f32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_counterfactuals_row", || {
        // SAFETY: caller's contract.
        let found = counterfactual(unsafe { result(counterfactuals)? }, instance, index)?;
        // SAFETY: caller's contract.
        unsafe { copy_out_f32(&found.row, out, out_len) }
    })
}

/// `lumen_counterfactuals_row` as doubles: exactly the caller's values for a double
/// model (and the floats widened for a float model).
///
/// # Safety
/// `counterfactuals` is a valid result; `out` holds `out_len` writable doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_row_f64(
    counterfactuals: *const lumen_counterfactuals,
    instance: usize,
    index: usize,
    out: *mut f64,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_counterfactuals_row_f64", || {
        // SAFETY: caller's contract.
        let found = counterfactual(unsafe { result(counterfactuals)? }, instance, index)?;
        // SAFETY: caller's contract.
        unsafe { copy_out(&found.row, out, out_len) }
    })
}

/// The probabilities and distance of counterfactual `index` of instance `instance` as
/// doubles (a double model's full precision): the instance's probability of the target
/// class into `*original_probability`, the counterfactual's into `*target_probability`,
/// its distance into `*distance`. Errors and NULL handling as for
/// `lumen_counterfactuals_get`. Thread-safe.
///
/// # Safety
/// `counterfactuals` is a valid result; the three `out` pointers are valid.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_probabilities_f64(
    counterfactuals: *const lumen_counterfactuals,
    instance: usize,
    index: usize,
    original_probability: *mut f64,
    target_probability: *mut f64,
    distance: *mut f64,
) -> lumen_status {
    boundary("lumen_counterfactuals_probabilities_f64", || {
        check_out(original_probability, "original_probability")?;
        check_out(target_probability, "target_probability")?;
        check_out(distance, "distance")?;
        // SAFETY: caller's contract.
        let all = unsafe { result(counterfactuals)? };
        let original = self::instance(all, instance)?.original_probability;
        let found = counterfactual(all, instance, index)?;
        // SAFETY: each pointer passed `check_out`.
        unsafe {
            write_out(original_probability, original);
            write_out(target_probability, found.target_probability);
            write_out(distance, found.distance);
        }
        Ok(())
    })
}

/// Copies the logical features (indices into the features, increasing) that
/// counterfactual `index` of instance `instance` changes into `out` (room for `out_len`
/// indices; `LUMEN_STATUS_BUFFER_TOO_SMALL` if fewer than its `changed_len`). Out-of-range
/// `instance` or `index` gives `LUMEN_STATUS_INVALID_ARGUMENT`; a NULL `counterfactuals`,
/// or a NULL `out` with a non-zero length needed, gives `LUMEN_STATUS_NULL_POINTER`.
/// Nothing is written on failure. Thread-safe; `out` stays the caller's.
///
/// # Safety
/// `counterfactuals` is a valid result; `out` holds `out_len` writable indices.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_changed(
    counterfactuals: *const lumen_counterfactuals,
    instance: usize,
    index: usize,
    out: *mut u32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_counterfactuals_changed", || {
        // SAFETY: caller's contract.
        let found = counterfactual(unsafe { result(counterfactuals)? }, instance, index)?;
        let changed =
            found.changed.iter().map(|&f| u32::try_from(f)).collect::<Result<Vec<u32>, _>>().map_err(|_| {
                FfiError::new(lumen_status::Internal, "changed: a feature index does not fit in 32 bits")
            })?;
        // SAFETY: caller's contract.
        unsafe { copy_out(&changed, out, out_len) }
    })
}

/// Serialises the result to its audit JSON (method, parameters, seed, library version,
/// backend, feature names, and per instance every counterfactual). On success `*out`
/// holds a new NUL-terminated UTF-8 string that the caller frees with
/// `lumen_string_free`. A NULL `counterfactuals` or `out` gives
/// `LUMEN_STATUS_NULL_POINTER`; nothing is written on failure. Thread-safe.
///
/// # Safety
/// `counterfactuals` is a valid result; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_counterfactuals_to_json(
    counterfactuals: *const lumen_counterfactuals,
    out: *mut *mut c_char,
) -> lumen_status {
    boundary("lumen_counterfactuals_to_json", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let json = unsafe { result(counterfactuals)? }.to_json()?;
        let json = CString::new(json)
            .map_err(|_| FfiError::new(lumen_status::Internal, "counterfactuals: JSON text contains a NUL byte"))?;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, json.into_raw()) };
        Ok(())
    })
}

/// Writes the credit-scorecard points of a probability of good `p_good` (strictly
/// between 0 and 1) into `*out` (PermuteAttack's equation 4):
/// `base_score + points_to_double_odds / ln 2 · ln(odds / base_odds)` with
/// `odds = p_good / (1 − p_good)`. The usual scaling is 600 points at odds 20 with 15
/// points to double the odds. `LUMEN_STATUS_INVALID_ARGUMENT` for a `p_good` outside
/// (0, 1), a non-finite `base_score`, or a `base_odds` or `points_to_double_odds` that
/// is not finite and positive; a NULL `out` gives `LUMEN_STATUS_NULL_POINTER`. Nothing
/// is written on failure. Thread-safe.
///
/// # Safety
/// `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_scorecard_score(
    p_good: f64,
    base_score: f64,
    base_odds: f64,
    points_to_double_odds: f64,
    out: *mut f64,
) -> lumen_status {
    boundary("lumen_scorecard_score", || {
        check_out(out, "out")?;
        let score = Scorecard { base_score, base_odds, points_to_double_odds }.score(p_good)?;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, score) };
        Ok(())
    })
}
