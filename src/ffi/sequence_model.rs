//! `lumen_sequence_model`: the caller's sequence model (e.g. a recurrent network) behind
//! function pointers, for TimeSHAP.

use std::ffi::{c_char, c_void};

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::model::LUMEN_MODEL_CONCURRENT;
use super::model::{LUMEN_ELEMENT_F32, LUMEN_ELEMENT_F64};
use super::pointers::{check_out, reference, strings, write_out};
use super::registry::{into_handle, Handle};
use super::status::lumen_status;
use super::version::LUMEN_SEQUENCE_MODEL_ABI_VERSION;
use crate::element::{Element, ElementType};
use crate::error::{Error, ErrorKind};
use crate::model::host::FinalizeFn;
use crate::model::host_sequence::{
    PredictFromStateF64Fn, PredictFromStateFn, RunPrefixF64Fn, RunPrefixFn, SequenceCallbacks, SequencePredictF64Fn,
    SequencePredictFn,
};
use crate::model::{HostSequenceModel, SequenceModel, SequenceSignature};

/// Describes a sequence model to Lumen: a row is a sequence of `seq_len` events of
/// `features` floats (event-major), and `seq_len` may differ from call to call.
/// Zero-initialise, set `abi_version = LUMEN_SEQUENCE_MODEL_ABI_VERSION` and fill in the
/// rest; `lumen_sequence_model_new` copies what it needs.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_sequence_model_desc {
    /// `LUMEN_SEQUENCE_MODEL_ABI_VERSION` (or 1 for a version-1 layout, a float model).
    pub abi_version: u32,
    /// Bitwise OR of `LUMEN_MODEL_*` flags (`LUMEN_MODEL_CONCURRENT`: the callbacks may
    /// be called from several threads at once; without it Lumen never overlaps two calls).
    pub flags: u32,
    /// Floats per event (F >= 1).
    pub features: usize,
    /// Outputs per sequence (>= 1).
    pub output_len: usize,
    /// Largest number of sequences one call accepts; 0 means no limit.
    pub max_batch_rows: usize,
    /// Floats of hidden state per sequence when `run_prefix` and `predict_from_state` are
    /// set; 0 without them.
    pub state_len: usize,
    /// Required: `predict(user_data, inputs, rows, seq_len, outputs)`.
    pub predict: SequencePredictFn,
    /// Optional: `run_prefix(user_data, initial_states or NULL, inputs, rows, seq_len,
    /// states)`; running a sequence in two pieces, the second from the state the first
    /// left, must give the state of running it whole.
    pub run_prefix: RunPrefixFn,
    /// Optional (with `run_prefix`): `predict_from_state(user_data, states, inputs, rows,
    /// seq_len, outputs)`, the outputs of the whole sequences whose prefixes left `states`.
    pub predict_from_state: PredictFromStateFn,
    /// Passed unchanged to every callback.
    pub user_data: *mut c_void,
    /// Optional; called once with `user_data` when the model is freed (not on failure of
    /// `lumen_sequence_model_new`, where the caller keeps ownership of `user_data`).
    pub finalize: FinalizeFn,
    /// Optional UTF-8 names of the F features (copied).
    pub feature_names: *const *const c_char,
    /// Entries in `feature_names`: 0 or `features`.
    pub feature_names_len: usize,
    /// Version 2: `LUMEN_ELEMENT_F32` (0, the default: the callbacks above take floats) or
    /// `LUMEN_ELEMENT_F64` (the `_f64` callbacks below take doubles; the float ones are NULL).
    pub element_type: u32,
    /// Version 2: `predict` of a `LUMEN_ELEMENT_F64` model, on doubles.
    pub predict_f64: SequencePredictF64Fn,
    /// Version 2: `run_prefix` of a `LUMEN_ELEMENT_F64` model, on doubles (optional).
    pub run_prefix_f64: RunPrefixF64Fn,
    /// Version 2: `predict_from_state` of a `LUMEN_ELEMENT_F64` model, on doubles (with
    /// `run_prefix_f64`).
    pub predict_from_state_f64: PredictFromStateF64Fn,
}

/// A sequence-model handle. Thread-safe as far as Lumen is concerned; calls into the
/// callbacks follow `LUMEN_MODEL_CONCURRENT`.
#[allow(non_camel_case_types)]
pub struct lumen_sequence_model {
    /// The element type the model declared.
    element: ElementType,
    /// The model as a `Box<dyn SequenceModel<E>>` of its element type `E`.
    model: Box<dyn std::any::Any + Send + Sync>,
}

impl lumen_sequence_model {
    /// The element type the model declared.
    pub fn element_type(&self) -> ElementType {
        self.element
    }

    /// The model behind the handle when it takes elements of type `E`; else
    /// `ElementTypeMismatch` naming both types.
    pub fn typed<E: Element>(&self) -> crate::Result<&dyn SequenceModel<E>> {
        match self.model.downcast_ref::<Box<dyn SequenceModel<E>>>() {
            Some(model) => Ok(model.as_ref()),
            None => Err(Error::new(
                ErrorKind::ElementTypeMismatch,
                format!(
                    "sequence: is {} but the model declares {} elements; explain a {} model with the {} exports",
                    E::TYPE.c_name(),
                    self.element.c_name(),
                    self.element.c_name(),
                    if self.element == ElementType::F64 { "_f64" } else { "plain (not _f64)" }
                ),
            )),
        }
    }
}

impl Handle for lumen_sequence_model {
    const NAME: &'static str = "lumen_sequence_model";
}

/// Wraps a Rust [`SequenceModel`] (e.g. a built-in GRU) into a handle the C API accepts.
/// Free it with `lumen_sequence_model_free`.
pub fn sequence_model_into_handle<E: Element>(model: Box<dyn SequenceModel<E>>) -> *mut lumen_sequence_model {
    into_handle(lumen_sequence_model { element: E::TYPE, model: Box::new(model) })
}

/// The element type a sequence descriptor declares, checked against its callbacks.
fn sequence_element_of(desc: &lumen_sequence_model_desc) -> Result<ElementType, FfiError> {
    let float_callbacks = desc.predict.is_some() || desc.run_prefix.is_some() || desc.predict_from_state.is_some();
    let double_callbacks =
        desc.predict_f64.is_some() || desc.run_prefix_f64.is_some() || desc.predict_from_state_f64.is_some();
    match desc.element_type {
        LUMEN_ELEMENT_F32 if double_callbacks => Err(FfiError::new(
            lumen_status::ElementTypeMismatch,
            "desc.predict_f64: double callbacks are set but element_type is LUMEN_ELEMENT_F32; set element_type = LUMEN_ELEMENT_F64",
        )),
        LUMEN_ELEMENT_F32 if desc.predict.is_none() => Err(FfiError::null("desc.predict")),
        LUMEN_ELEMENT_F32 => Ok(ElementType::F32),
        LUMEN_ELEMENT_F64 if float_callbacks => Err(FfiError::new(
            lumen_status::ElementTypeMismatch,
            "desc.predict: float callbacks are set on a LUMEN_ELEMENT_F64 model; set predict_f64 (and run_prefix_f64, predict_from_state_f64) instead",
        )),
        LUMEN_ELEMENT_F64 if desc.predict_f64.is_none() => Err(FfiError::null("desc.predict_f64")),
        LUMEN_ELEMENT_F64 => Ok(ElementType::F64),
        other => Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!("desc.element_type: is {other}, expected LUMEN_ELEMENT_F32 (0) or LUMEN_ELEMENT_F64 (1)"),
        )),
    }
}

/// Reads the caller's descriptor by its `abi_version`: the current layout, or version 1
/// (the prefix before `element_type`, a float model).
///
/// # Safety
/// `desc` is NULL or points to a descriptor of the version its first field names.
unsafe fn read_sequence_desc(desc: *const lumen_sequence_model_desc) -> Result<lumen_sequence_model_desc, FfiError> {
    // SAFETY: every descriptor version starts with `abi_version: u32`.
    let version = *unsafe { reference(desc.cast::<u32>(), "desc")? };
    match version {
        LUMEN_SEQUENCE_MODEL_ABI_VERSION => {
            // SAFETY: a current-version descriptor, by the caller's contract.
            Ok(*unsafe { reference(desc, "desc")? })
        }
        1 => {
            let mut current = lumen_sequence_model_desc {
                abi_version: 1,
                flags: 0,
                features: 0,
                output_len: 0,
                max_batch_rows: 0,
                state_len: 0,
                predict: None,
                run_prefix: None,
                predict_from_state: None,
                user_data: std::ptr::null_mut(),
                finalize: None,
                feature_names: std::ptr::null(),
                feature_names_len: 0,
                element_type: LUMEN_ELEMENT_F32,
                predict_f64: None,
                run_prefix_f64: None,
                predict_from_state_f64: None,
            };
            let prefix = std::mem::offset_of!(lumen_sequence_model_desc, element_type);
            // SAFETY: a version-1 descriptor is the current layout up to `element_type`,
            // so the caller's struct holds `prefix` readable bytes; `current` is a local.
            unsafe { std::ptr::copy_nonoverlapping(desc.cast::<u8>(), (&raw mut current).cast::<u8>(), prefix) };
            Ok(current)
        }
        other => Err(FfiError::new(
            lumen_status::AbiVersionMismatch,
            format!(
                "desc.abi_version: is {other}, this library reads LUMEN_SEQUENCE_MODEL_ABI_VERSION {LUMEN_SEQUENCE_MODEL_ABI_VERSION} (and 1)"
            ),
        )),
    }
}

/// Checks a descriptor and builds the model handle from it.
///
/// # Safety
/// The descriptor's pointers must satisfy `lumen_sequence_model_desc`'s documentation.
unsafe fn sequence_handle_from(desc: &lumen_sequence_model_desc) -> Result<*mut lumen_sequence_model, FfiError> {
    let element = sequence_element_of(desc)?;
    let unknown_flags = desc.flags & !LUMEN_MODEL_CONCURRENT;
    if unknown_flags != 0 {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!("desc.flags: unknown bits {unknown_flags:#x}; expected a combination of LUMEN_MODEL_CONCURRENT"),
        ));
    }
    let feature_names = match desc.feature_names_len {
        0 => None,
        // SAFETY: forwarded contract of the descriptor.
        n => Some(unsafe { strings(desc.feature_names, n, "desc.feature_names")? }),
    };
    let signature = SequenceSignature {
        features: desc.features,
        output_len: desc.output_len,
        max_batch_rows: (desc.max_batch_rows > 0).then_some(desc.max_batch_rows),
        concurrent: desc.flags & LUMEN_MODEL_CONCURRENT != 0,
        feature_names,
        state_len: (desc.state_len > 0).then_some(desc.state_len),
        element_type: element,
    };
    let named = |e: crate::Error| FfiError::new(lumen_status::from(e.kind()), format!("desc.{}", e.message()));
    let (finalize, user_data) = (desc.finalize, desc.user_data);
    Ok(match element {
        ElementType::F32 => {
            let callbacks = SequenceCallbacks {
                predict: desc.predict,
                run_prefix: desc.run_prefix,
                predict_from_state: desc.predict_from_state,
                finalize,
                user_data,
            };
            sequence_model_into_handle::<f32>(Box::new(HostSequenceModel::new(signature, callbacks).map_err(named)?))
        }
        ElementType::F64 => {
            let callbacks = SequenceCallbacks {
                predict: desc.predict_f64,
                run_prefix: desc.run_prefix_f64,
                predict_from_state: desc.predict_from_state_f64,
                finalize,
                user_data,
            };
            sequence_model_into_handle::<f64>(Box::new(HostSequenceModel::new(signature, callbacks).map_err(named)?))
        }
    })
}

/// Creates a sequence model from a descriptor. On success `*out` holds a new model (free
/// it with `lumen_sequence_model_free`, which calls `finalize`); on failure nothing is
/// written and `user_data` still belongs to the caller. `LUMEN_STATUS_ABI_VERSION_MISMATCH`
/// when `abi_version` is not `LUMEN_SEQUENCE_MODEL_ABI_VERSION`; `LUMEN_STATUS_NULL_POINTER`
/// for a NULL `desc`, `out` or `predict`; `LUMEN_STATUS_INVALID_ARGUMENT` for zero
/// `features`/`output_len`, or state callbacks that do not come together with a non-zero
/// `state_len`. Thread-safe.
///
/// # Safety
/// `desc` points to a valid descriptor whose pointers follow its field documentation;
/// `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_sequence_model_new(
    desc: *const lumen_sequence_model_desc,
    out: *mut *mut lumen_sequence_model,
) -> lumen_status {
    boundary("lumen_sequence_model_new", || {
        check_out(out, "out")?;
        // SAFETY: validity is the caller's contract.
        let desc = unsafe { read_sequence_desc(desc)? };
        // SAFETY: as above.
        let handle = unsafe { sequence_handle_from(&desc)? };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, handle) };
        Ok(())
    })
}

/// Frees a sequence model and calls its `finalize`. `NULL` is a no-op. No explanation may
/// be running with it.
/// Called from inside a model callback it frees nothing and leaves the reason in
/// `lumen_last_error_message()`.
///
/// # Safety
/// `model` is NULL or a pointer returned by `lumen_sequence_model_new` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_sequence_model_free(model: *mut lumen_sequence_model) {
    boundary_or("lumen_sequence_model_free", (), || {
        // SAFETY: the caller's contract; the registry refuses what is no live lumen_sequence_model.
        unsafe { free_handle(model, "lumen_sequence_model_free", "model") }
    })
}
