//! `lumen_explanation`: read-only access to a finished explanation.

use std::ffi::{c_char, CString};
use std::sync::OnceLock;

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::pointers::{check_out, copy_out, copy_out_f32, slice_mut, write_out};
use super::registry::{handle as live_handle, into_handle, Handle};
use super::status::lumen_status;
use super::timeshap_explanation::TimeShapFacts;
use crate::explain::timeshap::TimeShapExplanation;
use crate::explanation::{Direction, Explanation, FeatureAxis};

/// `lumen_attribution_shape.feature_axis`: one value per input element.
pub const LUMEN_FEATURE_AXIS_ELEMENTS: u32 = 0;
/// `lumen_attribution_shape.feature_axis`: one value per feature group.
pub const LUMEN_FEATURE_AXIS_GROUPS: u32 = 1;

/// `lumen_explanation_reason_codes` direction: features that lowered the output.
pub const LUMEN_DIRECTION_LOWERED: u32 = 0;
/// `lumen_explanation_reason_codes` direction: features that raised the output.
pub const LUMEN_DIRECTION_RAISED: u32 = 1;

/// An explanation. Immutable: every getter is thread-safe.
#[allow(non_camel_case_types)]
pub struct lumen_explanation {
    pub(crate) explanation: Explanation,
    /// NUL-terminated feature names, built on the first `lumen_explanation_feature_name`
    /// and owned by the handle, so the pointers it hands out live as long as it does.
    names: OnceLock<Vec<CString>>,
    /// What a TimeSHAP explanation adds (players, pruning, exactness); `None` otherwise.
    timeshap: Option<TimeShapFacts>,
}

impl Handle for lumen_explanation {
    const NAME: &'static str = "lumen_explanation";
}

impl lumen_explanation {
    /// A handle owning `explanation`.
    pub(crate) fn new(explanation: Explanation) -> Self {
        Self { explanation, names: OnceLock::new(), timeshap: None }
    }

    /// A handle owning a TimeSHAP result: its explanation and its TimeSHAP facts.
    pub(crate) fn from_timeshap(result: TimeShapExplanation) -> Self {
        let timeshap = Some(TimeShapFacts::of(&result));
        Self { explanation: result.explanation, names: OnceLock::new(), timeshap }
    }

    /// The TimeSHAP facts, for a TimeSHAP explanation.
    pub(crate) fn timeshap(&self) -> Option<&TimeShapFacts> {
        self.timeshap.as_ref()
    }

    /// The C names of every feature, built once.
    fn names(&self) -> &[CString] {
        self.names.get_or_init(|| {
            (0..self.explanation.features)
                .map(|f| {
                    let name = self.explanation.feature_name(f);
                    // A name never holds NUL when it came through the C ABI; escape one
                    // from the Rust API rather than truncate it.
                    CString::new(name.replace('\0', "\\0")).unwrap_or_default()
                })
                .collect()
        })
    }
}

/// One reason code: a feature (index along the feature axis) and its contribution.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_reason_code {
    /// Index along the explanation's feature axis; `lumen_explanation_feature_name`
    /// gives its name.
    pub feature: usize,
    /// Its attribution: negative for `LUMEN_DIRECTION_LOWERED`, positive for
    /// `LUMEN_DIRECTION_RAISED`.
    pub contribution: f32,
}

/// One reason code with its contribution as a double (`lumen_explanation_reason_codes_f64`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct lumen_reason_code_f64 {
    /// Index along the explanation's feature axis; `lumen_explanation_feature_name`
    /// gives its name.
    pub feature: usize,
    /// Its attribution, exact for a double explanation (a float one's widened): negative for
    /// `LUMEN_DIRECTION_LOWERED`, positive for `LUMEN_DIRECTION_RAISED`.
    pub contribution: f64,
}

/// The shape of an explanation's attributions: `rows × outputs × features`, row-major.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct lumen_attribution_shape {
    /// Input rows explained.
    pub rows: usize,
    /// Model outputs explained per row.
    pub outputs: usize,
    /// Length of the feature axis.
    pub features: usize,
    /// `LUMEN_FEATURE_AXIS_ELEMENTS` or `LUMEN_FEATURE_AXIS_GROUPS`.
    pub feature_axis: u32,
}

/// Per-row diagnostics.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct lumen_row_diagnostics {
    /// Model rows evaluated to explain this row.
    pub model_rows_evaluated: u64,
    /// Non-zero when the method defines a completeness gap (see
    /// `lumen_explanation_completeness_gaps`).
    pub has_completeness_gap: u32,
}

/// # Safety
/// `explanation` is NULL or a valid explanation.
unsafe fn explanation<'a>(explanation: *const lumen_explanation) -> Result<&'a Explanation, FfiError> {
    // SAFETY: forwarded contract.
    Ok(&unsafe { live_handle(explanation, "explanation")? }.explanation)
}

/// Writes the attributions' shape into `*out`.
///
/// # Safety
/// `explanation` is a valid explanation; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_shape(
    explanation: *const lumen_explanation,
    out: *mut lumen_attribution_shape,
) -> lumen_status {
    boundary("lumen_explanation_shape", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let e = unsafe { self::explanation(explanation)? };
        let feature_axis = match e.feature_axis {
            FeatureAxis::Elements => LUMEN_FEATURE_AXIS_ELEMENTS,
            FeatureAxis::Groups => LUMEN_FEATURE_AXIS_GROUPS,
        };
        let shape =
            lumen_attribution_shape { rows: e.rows, outputs: e.outputs_per_row(), features: e.features, feature_axis };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, shape) };
        Ok(())
    })
}

/// Copies the `rows × outputs × features` attributions into `out` (room for `out_len`
/// floats; `LUMEN_STATUS_BUFFER_TOO_SMALL` if fewer than needed, nothing written).
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable floats.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_attributions(
    explanation: *const lumen_explanation,
    out: *mut f32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_attributions", || {
        // SAFETY: caller's contract.
        unsafe { copy_out_f32(&self::explanation(explanation)?.attributions, out, out_len) }
    })
}

/// Copies the `rows × outputs` model outputs at the inputs, f(x), into `out`.
///
/// # Safety
/// As for `lumen_explanation_attributions`.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_predictions(
    explanation: *const lumen_explanation,
    out: *mut f32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_predictions", || {
        // SAFETY: caller's contract.
        unsafe { copy_out_f32(&self::explanation(explanation)?.predictions, out, out_len) }
    })
}

/// Copies the `rows × outputs` base values, f(baseline), into `out`.
///
/// # Safety
/// As for `lumen_explanation_attributions`.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_base_values(
    explanation: *const lumen_explanation,
    out: *mut f32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_base_values", || {
        // SAFETY: caller's contract.
        unsafe { copy_out_f32(&self::explanation(explanation)?.base_values, out, out_len) }
    })
}

/// `lumen_explanation_attributions` as doubles: a double model's results to their last
/// bit (a float model's are the same floats, widened).
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_attributions_f64(
    explanation: *const lumen_explanation,
    out: *mut f64,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_attributions_f64", || {
        // SAFETY: caller's contract.
        unsafe { copy_out(&self::explanation(explanation)?.attributions, out, out_len) }
    })
}

/// `lumen_explanation_predictions` as doubles.
///
/// # Safety
/// As for `lumen_explanation_attributions_f64`.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_predictions_f64(
    explanation: *const lumen_explanation,
    out: *mut f64,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_predictions_f64", || {
        // SAFETY: caller's contract.
        unsafe { copy_out(&self::explanation(explanation)?.predictions, out, out_len) }
    })
}

/// `lumen_explanation_base_values` as doubles.
///
/// # Safety
/// As for `lumen_explanation_attributions_f64`.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_base_values_f64(
    explanation: *const lumen_explanation,
    out: *mut f64,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_base_values_f64", || {
        // SAFETY: caller's contract.
        unsafe { copy_out(&self::explanation(explanation)?.base_values, out, out_len) }
    })
}

/// Writes the element type of the model the explanation was made with
/// (`LUMEN_ELEMENT_F32` or `LUMEN_ELEMENT_F64`) into `*out`: its results are rounded to it.
/// A NULL `explanation` or `out` gives `LUMEN_STATUS_NULL_POINTER`. Thread-safe.
///
/// # Safety
/// `explanation` is valid; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_element_type(
    explanation: *const lumen_explanation,
    out: *mut u32,
) -> lumen_status {
    boundary("lumen_explanation_element_type", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let element = unsafe { self::explanation(explanation)? }.audit.element_type;
        let code = match element {
            crate::element::ElementType::F32 => super::model::LUMEN_ELEMENT_F32,
            crate::element::ElementType::F64 => super::model::LUMEN_ELEMENT_F64,
        };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, code) };
        Ok(())
    })
}

/// Copies the indices of the explained model outputs (`outputs` of them) into `out`.
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_outputs(
    explanation: *const lumen_explanation,
    out: *mut u32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_outputs", || {
        let e = self::explanation(explanation)?;
        if e.row_targets.is_some() {
            return Err(FfiError::new(
                lumen_status::NotAvailable,
                "outputs: each row explains its own output (per-row targets): read lumen_explanation_row_targets",
            ));
        }
        // SAFETY: caller's contract.
        unsafe { copy_out(&e.outputs, out, out_len) }
    })
}

/// Writes each row's explained output (`rows` of them) when the call gave per-row targets
/// (`lumen_call_control.row_targets`); `LUMEN_STATUS_NOT_AVAILABLE` when every row
/// explains the same outputs (`lumen_explanation_outputs`).
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_row_targets(
    explanation: *const lumen_explanation,
    out: *mut u32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_row_targets", || {
        let targets = self::explanation(explanation)?.row_targets.as_ref().ok_or_else(|| {
            FfiError::new(
                lumen_status::NotAvailable,
                "row_targets: every row explains the same outputs: read lumen_explanation_outputs",
            )
        })?;
        // SAFETY: caller's contract.
        unsafe { copy_out(targets, out, out_len) }
    })
}

/// Writes row `row`'s diagnostics into `*out`; `LUMEN_STATUS_INVALID_ARGUMENT` if `row`
/// is out of range.
///
/// # Safety
/// `explanation` is valid; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_row_diagnostics(
    explanation: *const lumen_explanation,
    row: usize,
    out: *mut lumen_row_diagnostics,
) -> lumen_status {
    boundary("lumen_explanation_row_diagnostics", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let e = unsafe { self::explanation(explanation)? };
        let d = e.diagnostics.get(row).ok_or_else(|| {
            FfiError::new(lumen_status::InvalidArgument, format!("row: is {row}, expected < {}", e.rows))
        })?;
        let value = lumen_row_diagnostics {
            model_rows_evaluated: d.model_rows_evaluated,
            has_completeness_gap: u32::from(d.completeness_gap.is_some()),
        };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, value) };
        Ok(())
    })
}

/// Copies the `rows × outputs` completeness gaps Σ attributions − (f(x) − f(baseline))
/// into `out`; `LUMEN_STATUS_NOT_AVAILABLE` when the method does not define them.
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_completeness_gaps(
    explanation: *const lumen_explanation,
    out: *mut f64,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_completeness_gaps", || {
        // SAFETY: caller's contract.
        let e = unsafe { self::explanation(explanation)? };
        let gaps: Option<Vec<f64>> = e
            .diagnostics
            .iter()
            .map(|d| d.completeness_gap.as_deref())
            .collect::<Option<Vec<_>>>()
            .map(|rows| rows.concat());
        let gaps = gaps.ok_or_else(|| {
            FfiError::new(lumen_status::NotAvailable, "explanation: this method does not define a completeness gap")
        })?;
        // SAFETY: caller's contract.
        unsafe { copy_out(&gaps, out, out_len) }
    })
}

/// Copies the `rows × outputs × features` standard errors of a sampled estimate into
/// `out` (room for `out_len` floats; `LUMEN_STATUS_BUFFER_TOO_SMALL` if fewer than
/// needed). A value computed exactly has a standard error of 0; a sampled value's covers
/// also the rounding it carries (in quadrature: one unit in its last place in the model's
/// element type over √12, and the double solve's own, 1e-12 of the values' scale), so it
/// is never below that rounding. Methods that do not
/// sample (occlusion, feature ablation) give `LUMEN_STATUS_NOT_AVAILABLE`. Nothing is
/// written on failure. Thread-safe; `out` stays the caller's.
///
/// # Safety
/// `explanation` is valid (NULL gives `LUMEN_STATUS_NULL_POINTER`); `out` holds `out_len`
/// writable floats.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_standard_errors(
    explanation: *const lumen_explanation,
    out: *mut f32,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_standard_errors", || {
        // SAFETY: caller's contract.
        let e = unsafe { self::explanation(explanation)? };
        let errors = standard_errors_of(e)?;
        // SAFETY: caller's contract.
        unsafe { copy_out_f32(errors, out, out_len) }
    })
}

/// `lumen_explanation_standard_errors` as doubles.
///
/// # Safety
/// As for `lumen_explanation_standard_errors`, with `out` holding `out_len` writable doubles.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_standard_errors_f64(
    explanation: *const lumen_explanation,
    out: *mut f64,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_standard_errors_f64", || {
        // SAFETY: caller's contract.
        let e = unsafe { self::explanation(explanation)? };
        let errors = standard_errors_of(e)?;
        // SAFETY: caller's contract.
        unsafe { copy_out(errors, out, out_len) }
    })
}

/// Writes into `*out` the name of feature `feature` (an index along the feature axis,
/// `< features`): the player, group or element name given when the explanation was
/// made, else `"feature N"`. The string is NUL-terminated UTF-8 borrowed from the
/// explanation: it stays valid until `lumen_explanation_free`; never free it yourself.
/// `LUMEN_STATUS_INVALID_ARGUMENT` if `feature` is out of range; a NULL `explanation` or
/// `out` gives `LUMEN_STATUS_NULL_POINTER`. Nothing is written on failure. Thread-safe:
/// concurrent calls on one explanation return the same pointers.
///
/// # Safety
/// `explanation` is valid; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_feature_name(
    explanation: *const lumen_explanation,
    feature: usize,
    out: *mut *const c_char,
) -> lumen_status {
    boundary("lumen_explanation_feature_name", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let handle = unsafe { live_handle(explanation, "explanation")? };
        let features = handle.explanation.features;
        let name = handle.names().get(feature).ok_or_else(|| {
            FfiError::new(lumen_status::InvalidArgument, format!("feature: is {feature}, expected < {features}"))
        })?;
        // SAFETY: `out` passed `check_out`; the string lives in the handle.
        unsafe { write_out(out, name.as_ptr()) };
        Ok(())
    })
}

/// Writes the reason codes of row `row` and explained output `output` (an index into
/// `lumen_explanation_outputs`, not a model output number): up to `min(k, out_len)`
/// features that moved the output in `direction` (`LUMEN_DIRECTION_LOWERED`: negative
/// contributions, most negative first; `LUMEN_DIRECTION_RAISED`: positive ones, most
/// positive first; ties go to the lower feature index; zero contributions never appear).
/// `*written` receives how many were written to `out`, which may be fewer than `k` when
/// fewer features moved the output that way. `LUMEN_STATUS_INVALID_ARGUMENT` for a `row`,
/// `output` or `direction` out of range; NULL `explanation` or `written`, or a NULL `out`
/// with `out_len > 0`, gives `LUMEN_STATUS_NULL_POINTER`. Nothing is written on failure.
/// The contributions are floats (a double explanation's rounded; its order is the
/// doubles'): `lumen_explanation_reason_codes_f64` gives them as doubles.
/// Thread-safe; `out` and `written` stay the caller's.
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable `lumen_reason_code`; `written`
/// is a valid pointer.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn lumen_explanation_reason_codes(
    explanation: *const lumen_explanation,
    row: usize,
    output: usize,
    k: usize,
    direction: u32,
    out: *mut lumen_reason_code,
    out_len: usize,
    written: *mut usize,
) -> lumen_status {
    boundary("lumen_explanation_reason_codes", || {
        // SAFETY: caller's contract, passed on.
        unsafe {
            write_reason_codes(
                explanation,
                row,
                output,
                k,
                direction,
                out,
                out_len,
                written,
                |feature, contribution| lumen_reason_code { feature, contribution: contribution as f32 },
            )
        }
    })
}

/// Since 0.3. `lumen_explanation_reason_codes` with the contributions as doubles (exact
/// for a double explanation; a float explanation's widened, so equal to its floats). The
/// same features in the same order, the same statuses. Thread-safe; `out` and `written`
/// stay the caller's.
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable `lumen_reason_code_f64`;
/// `written` is a valid pointer.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn lumen_explanation_reason_codes_f64(
    explanation: *const lumen_explanation,
    row: usize,
    output: usize,
    k: usize,
    direction: u32,
    out: *mut lumen_reason_code_f64,
    out_len: usize,
    written: *mut usize,
) -> lumen_status {
    boundary("lumen_explanation_reason_codes_f64", || {
        // SAFETY: caller's contract, passed on.
        unsafe {
            write_reason_codes(
                explanation,
                row,
                output,
                k,
                direction,
                out,
                out_len,
                written,
                |feature, contribution| lumen_reason_code_f64 { feature, contribution },
            )
        }
    })
}

/// The reason codes of both exports, each written to `out` as `code(feature, contribution)`.
///
/// # Safety
/// As the exports': `explanation` is valid; `out` holds `out_len` writable `T`; `written` is
/// a valid pointer.
#[allow(clippy::too_many_arguments)]
unsafe fn write_reason_codes<T>(
    explanation: *const lumen_explanation,
    row: usize,
    output: usize,
    k: usize,
    direction: u32,
    out: *mut T,
    out_len: usize,
    written: *mut usize,
    code: impl Fn(usize, f64) -> T,
) -> Result<(), FfiError> {
    check_out(written, "written")?;
    // SAFETY: caller's contract.
    let e = unsafe { self::explanation(explanation)? };
    // SAFETY: caller's contract.
    let out = unsafe { slice_mut(out, out_len, "out")? };
    let direction = match direction {
        LUMEN_DIRECTION_LOWERED => Direction::Lowered,
        LUMEN_DIRECTION_RAISED => Direction::Raised,
        other => {
            return Err(FfiError::new(
                lumen_status::InvalidArgument,
                format!("direction: is {other}, expected LUMEN_DIRECTION_LOWERED (0) or LUMEN_DIRECTION_RAISED (1)"),
            ))
        }
    };
    let codes = e.reason_codes(row, output, k.min(out_len), direction)?;
    for (slot, reason) in out.iter_mut().zip(&codes) {
        *slot = code(reason.feature, reason.contribution);
    }
    // SAFETY: `written` passed `check_out`.
    unsafe { write_out(written, codes.len()) };
    Ok(())
}

/// Writes the total number of model rows the explanation evaluated into `*out`.
///
/// # Safety
/// `explanation` is valid; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_model_rows_evaluated(
    explanation: *const lumen_explanation,
    out: *mut u64,
) -> lumen_status {
    boundary("lumen_explanation_model_rows_evaluated", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let rows = unsafe { self::explanation(explanation)? }.audit.model_rows_evaluated;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, rows) };
        Ok(())
    })
}

/// Writes into `*rank` how many dimensions the feature axis has. With
/// `lumen_explanation_feature_shape` it lets a caller view the `features` values of one
/// row and output in their own shape, as Captum returns attributions: the model's
/// `input_shape` for per-element methods (rank 1 for a model that declared only
/// `input_len`), `[H, W]` (upsampled) or the layer's `[h, w]` for Grad-CAM maps, and
/// `[features]` for groups and TimeSHAP players.
///
/// # Safety
/// `explanation` is valid; `rank` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_feature_rank(
    explanation: *const lumen_explanation,
    rank: *mut usize,
) -> lumen_status {
    boundary("lumen_explanation_feature_rank", || {
        check_out(rank, "rank")?;
        // SAFETY: caller's contract.
        let dims = unsafe { self::explanation(explanation)? }.feature_shape.len();
        // SAFETY: `rank` passed `check_out`.
        unsafe { write_out(rank, dims) };
        Ok(())
    })
}

/// Copies the feature axis's shape (`lumen_explanation_feature_rank` dimensions,
/// outermost first; their product is `features`) into `out`, room for `out_len` values;
/// `LUMEN_STATUS_BUFFER_TOO_SMALL` if fewer than the rank, nothing written. The values of
/// one row and output fill this shape row-major.
///
/// # Safety
/// `explanation` is valid; `out` holds `out_len` writable values.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_feature_shape(
    explanation: *const lumen_explanation,
    out: *mut usize,
    out_len: usize,
) -> lumen_status {
    boundary("lumen_explanation_feature_shape", || {
        // SAFETY: caller's contract.
        unsafe { copy_out(&self::explanation(explanation)?.feature_shape, out, out_len) }
    })
}

/// Serialises the explanation to its audit JSON (method, parameters, seed, library
/// version, backend, shapes, values, diagnostics). On success `*out` holds a new
/// NUL-terminated UTF-8 string that the caller frees with `lumen_string_free`.
///
/// # Safety
/// `explanation` is valid; `out` a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_to_json(
    explanation: *const lumen_explanation,
    out: *mut *mut c_char,
) -> lumen_status {
    boundary("lumen_explanation_to_json", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let json = unsafe { self::explanation(explanation)? }.to_json()?;
        let json = CString::new(json)
            .map_err(|_| FfiError::new(lumen_status::Internal, "explanation: JSON text contains a NUL byte"))?;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, json.into_raw()) };
        Ok(())
    })
}

/// Frees a string returned by Lumen (e.g. by `lumen_explanation_to_json`). `NULL` is a no-op.
///
/// # Safety
/// `text` is NULL or a string returned by Lumen and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_string_free(text: *mut c_char) {
    boundary_or("lumen_string_free", (), || {
        if !text.is_null() {
            // SAFETY: the pointer came from `CString::into_raw` and is freed once.
            drop(unsafe { CString::from_raw(text) });
        }
    })
}

/// Frees an explanation. `NULL` is a no-op.
///
/// # Safety
/// `explanation` is NULL or a pointer returned by Lumen and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_free(explanation: *mut lumen_explanation) {
    boundary_or("lumen_explanation_free", (), || {
        // SAFETY: the caller's contract; the registry refuses what is no live lumen_explanation.
        unsafe { free_handle(explanation, "lumen_explanation_free", "explanation") }
    })
}

/// Sums the attributions along the feature axis into groups after the fact:
/// `groups[f]` is the group of feature `f` (`groups_len` = the explanation's `features`,
/// ids `0..G` all used), with optional UTF-8 `group_names` (0 or G, copied). On success
/// `*out` holds a new explanation (free it with `lumen_explanation_free`) whose feature
/// axis is the G groups; diagnostics carry over (sums keep local accuracy); standard
/// errors are dropped (`LUMEN_STATUS_NOT_AVAILABLE`), since the error of a sum needs
/// covariances. On failure nothing is written. Thread-safe.
///
/// # Safety
/// `explanation` is valid; `groups` holds `groups_len` ids; `group_names` holds
/// `group_names_len` NUL-terminated strings; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_explanation_sum_groups(
    explanation: *const lumen_explanation,
    groups: *const u32,
    groups_len: usize,
    group_names: *const *const c_char,
    group_names_len: usize,
    out: *mut *mut lumen_explanation,
) -> lumen_status {
    boundary("lumen_explanation_sum_groups", || {
        check_out(out, "out")?;
        // SAFETY: caller's contract.
        let e = unsafe { self::explanation(explanation)? };
        // SAFETY: caller's contract.
        let groups = unsafe { super::pointers::slice(groups, groups_len, "groups")? };
        let names = match group_names_len {
            0 => None,
            // SAFETY: caller's contract.
            n => Some(unsafe { super::pointers::strings(group_names, n, "group_names")? }),
        };
        let grouped = e.sum_into_groups(groups, names)?;
        grouped.ensure_finite()?;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, into_handle(lumen_explanation::new(grouped))) };
        Ok(())
    })
}

/// The explanation's standard errors, or `NOT_AVAILABLE` with the reason.
fn standard_errors_of(e: &crate::explanation::Explanation) -> Result<&[f64], FfiError> {
    e.standard_errors.as_deref().ok_or_else(|| {
        FfiError::new(
            lumen_status::NotAvailable,
            "explanation: has no standard errors: the method is not sampled, or too few coalitions were \
             sampled to estimate them (see parameters.sampling in the audit JSON)",
        )
    })
}
