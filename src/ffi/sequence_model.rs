//! `lumen_sequence_model`: the caller's sequence model (e.g. a recurrent network) behind
//! function pointers, for TimeSHAP.

use std::ffi::{c_char, c_void};

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::model::LUMEN_MODEL_CONCURRENT;
use super::pointers::{check_out, reference, strings, write_out};
use super::registry::{into_handle, Handle};
use super::status::lumen_status;
use super::version::LUMEN_SEQUENCE_MODEL_ABI_VERSION;
use crate::model::host::FinalizeFn;
use crate::model::host_sequence::{PredictFromStateFn, RunPrefixFn, SequenceCallbacks, SequencePredictFn};
use crate::model::{HostSequenceModel, SequenceModel, SequenceSignature};

/// Describes a sequence model to Lumen: a row is a sequence of `seq_len` events of
/// `features` floats (event-major), and `seq_len` may differ from call to call.
/// Zero-initialise, set `abi_version = LUMEN_SEQUENCE_MODEL_ABI_VERSION` and fill in the
/// rest; `lumen_sequence_model_new` copies what it needs.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_sequence_model_desc {
    /// Must be `LUMEN_SEQUENCE_MODEL_ABI_VERSION`.
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
}

/// A sequence-model handle. Thread-safe as far as Lumen is concerned; calls into the
/// callbacks follow `LUMEN_MODEL_CONCURRENT`.
#[allow(non_camel_case_types)]
pub struct lumen_sequence_model {
    pub(crate) model: Box<dyn SequenceModel>,
}

impl Handle for lumen_sequence_model {
    const NAME: &'static str = "lumen_sequence_model";
}

/// Wraps a Rust [`SequenceModel`] (e.g. a built-in GRU) into a handle the C API accepts.
/// Free it with `lumen_sequence_model_free`.
pub fn sequence_model_into_handle(model: Box<dyn SequenceModel>) -> *mut lumen_sequence_model {
    into_handle(lumen_sequence_model { model })
}

/// Checks a descriptor and builds the model from it.
///
/// # Safety
/// The descriptor's pointers must satisfy `lumen_sequence_model_desc`'s documentation.
unsafe fn host_sequence_model_from(desc: &lumen_sequence_model_desc) -> Result<HostSequenceModel, FfiError> {
    if desc.abi_version != LUMEN_SEQUENCE_MODEL_ABI_VERSION {
        return Err(FfiError::new(
            lumen_status::AbiVersionMismatch,
            format!(
                "desc.abi_version: is {}, this library speaks LUMEN_SEQUENCE_MODEL_ABI_VERSION {LUMEN_SEQUENCE_MODEL_ABI_VERSION}",
                desc.abi_version
            ),
        ));
    }
    if desc.predict.is_none() {
        return Err(FfiError::null("desc.predict"));
    }
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
    };
    let callbacks = SequenceCallbacks {
        predict: desc.predict,
        run_prefix: desc.run_prefix,
        predict_from_state: desc.predict_from_state,
        finalize: desc.finalize,
        user_data: desc.user_data,
    };
    HostSequenceModel::new(signature, callbacks)
        .map_err(|e| FfiError::new(lumen_status::from(e.kind()), format!("desc.{}", e.message())))
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
        let desc = unsafe { reference(desc, "desc")? };
        // SAFETY: as above.
        let model = unsafe { host_sequence_model_from(desc)? };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, sequence_model_into_handle(Box::new(model))) };
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
