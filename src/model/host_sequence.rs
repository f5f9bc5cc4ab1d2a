//! A sequence model that lives in the caller's process behind C function pointers.

use std::ffi::c_void;
use std::sync::{Mutex, MutexGuard};

use super::callback_scope::CallbackScope;
use super::host::FinalizeFn;
use super::sequence::{SequenceModel, SequenceSignature};
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};

/// `predict(user_data, inputs, rows, seq_len, outputs)`: reads `rows × seq_len × features`
/// floats (event-major within a row), writes `rows × output_len` floats, returns 0 on
/// success or any non-zero error code. Must not write to `inputs`. Nullable in the type so
/// that a C descriptor's NULL is representable.
pub type SequencePredictFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const f32,
        rows: usize,
        seq_len: usize,
        outputs: *mut f32,
    ) -> i32,
>;

/// The double-precision sequence `predict` (`LUMEN_ELEMENT_F64` models).
pub type SequencePredictF64Fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const f64,
        rows: usize,
        seq_len: usize,
        outputs: *mut f64,
    ) -> i32,
>;

/// Sequence `predict` on elements of type `E`.
pub type SequencePredictOf<E> = Option<
    unsafe extern "C" fn(user_data: *mut c_void, inputs: *const E, rows: usize, seq_len: usize, outputs: *mut E) -> i32,
>;

/// `run_prefix(user_data, initial_states, inputs, rows, seq_len, states)`: runs `rows`
/// sequences of `seq_len` events from `initial_states` (`rows × state_len`, or NULL for the
/// model's own initial state) and writes the hidden states after the last event
/// (`rows × state_len`). Returns 0 on success. Nullable.
pub type RunPrefixFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        initial_states: *const f32,
        inputs: *const f32,
        rows: usize,
        seq_len: usize,
        states: *mut f32,
    ) -> i32,
>;

/// The double-precision `run_prefix`.
pub type RunPrefixF64Fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        initial_states: *const f64,
        inputs: *const f64,
        rows: usize,
        seq_len: usize,
        states: *mut f64,
    ) -> i32,
>;

/// `run_prefix` on elements of type `E`.
pub type RunPrefixOf<E> = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        initial_states: *const E,
        inputs: *const E,
        rows: usize,
        seq_len: usize,
        states: *mut E,
    ) -> i32,
>;

/// `predict_from_state(user_data, states, inputs, rows, seq_len, outputs)`: for each of
/// `rows` tails of `seq_len` events, continues from its state (`rows × state_len`) and
/// writes the model's outputs (`rows × output_len`). Returns 0 on success. Nullable.
pub type PredictFromStateFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        states: *const f32,
        inputs: *const f32,
        rows: usize,
        seq_len: usize,
        outputs: *mut f32,
    ) -> i32,
>;

/// The double-precision `predict_from_state`.
pub type PredictFromStateF64Fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        states: *const f64,
        inputs: *const f64,
        rows: usize,
        seq_len: usize,
        outputs: *mut f64,
    ) -> i32,
>;

/// `predict_from_state` on elements of type `E`.
pub type PredictFromStateOf<E> = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        states: *const E,
        inputs: *const E,
        rows: usize,
        seq_len: usize,
        outputs: *mut E,
    ) -> i32,
>;

/// The callbacks and opaque state handed over by a C caller for a sequence model.
#[derive(Debug)]
pub struct SequenceCallbacks<E: Element = f32> {
    /// Required forward pass over whole sequences.
    pub predict: SequencePredictOf<E>,
    /// Optional: hidden state after a prefix (set together with `predict_from_state`).
    pub run_prefix: RunPrefixOf<E>,
    /// Optional: outputs of tails continued from given states.
    pub predict_from_state: PredictFromStateOf<E>,
    /// Optional finaliser of `user_data`, called once when the model is dropped.
    pub finalize: FinalizeFn,
    /// Passed back unchanged to every callback.
    pub user_data: *mut c_void,
}

/// A [`SequenceModel`] backed by C callbacks. Without the concurrent flag every callback
/// runs under the model's own lock, so no two calls overlap.
#[derive(Debug)]
pub struct HostSequenceModel<E: Element = f32> {
    signature: SequenceSignature,
    callbacks: SequenceCallbacks<E>,
    serial: Mutex<()>,
}

// SAFETY: the C contract lets callbacks and `user_data` be used from any thread, and
// calls overlap only when the descriptor says the model is concurrent; otherwise every
// call holds `serial` (see `HostSequenceModel::turn`).
unsafe impl<E: Element> Send for HostSequenceModel<E> {}
// SAFETY: as above; the only shared mutable state is behind `serial`.
unsafe impl<E: Element> Sync for HostSequenceModel<E> {}

impl<E: Element> HostSequenceModel<E> {
    /// Wraps callbacks after checking them against `signature`: `predict` is required;
    /// the two state callbacks come together and exactly when `state_len` is set.
    pub fn new(signature: SequenceSignature, callbacks: SequenceCallbacks<E>) -> Result<Self> {
        signature.validate()?;
        signature.element_type.expect("inputs", E::TYPE)?;
        if callbacks.predict.is_none() {
            return Err(Error::invalid("predict", "is NULL, expected the model's forward-pass callback"));
        }
        let with_state = callbacks.run_prefix.is_some();
        if with_state != callbacks.predict_from_state.is_some() {
            return Err(Error::invalid("run_prefix", "and predict_from_state must both be set or both be NULL"));
        }
        if with_state != signature.state_len.is_some() {
            return Err(Error::invalid(
                "state_len",
                format!(
                    "is {}, expected a non-zero state length exactly when the state callbacks are set",
                    signature.state_len.unwrap_or(0)
                ),
            ));
        }
        Ok(Self { signature, callbacks, serial: Mutex::new(()) })
    }

    /// The right to call the callbacks now: the model's lock unless it is concurrent.
    fn turn(&self) -> (Option<MutexGuard<'_, ()>>, CallbackScope) {
        let lock =
            (!self.signature.concurrent).then(|| self.serial.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        (lock, CallbackScope::enter())
    }
}

fn status(which: &str, code: i32, rows: usize, seq_len: usize) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::ModelFailed,
        format!("model: the {which} callback returned error code {code} for a batch of {rows} sequences of {seq_len} events"),
    ))
}

fn missing(which: &str) -> Error {
    Error::new(ErrorKind::ModelCapabilityMissing, format!("model: the descriptor has no {which} callback"))
}

impl<E: Element> SequenceModel<E> for HostSequenceModel<E> {
    fn signature(&self) -> &SequenceSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, seq_len: usize, outputs: &mut [E]) -> Result<()> {
        debug_assert_eq!(inputs.len(), rows * seq_len * self.signature.features);
        debug_assert_eq!(outputs.len(), rows * self.signature.output_len);
        let predict = self.callbacks.predict.ok_or_else(|| missing("predict"))?;
        let _turn = self.turn();
        // SAFETY: `inputs` and `outputs` are live slices of exactly the lengths the
        // callback's contract promises; `_turn` keeps a non-concurrent model's calls apart.
        let code = unsafe { predict(self.callbacks.user_data, inputs.as_ptr(), rows, seq_len, outputs.as_mut_ptr()) };
        status("predict", code, rows, seq_len)
    }

    fn run_prefix(
        &self,
        initial: Option<&[E]>,
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        states: &mut [E],
    ) -> Result<()> {
        let run_prefix = self.callbacks.run_prefix.ok_or_else(|| missing("run_prefix"))?;
        let initial = initial.map_or(std::ptr::null(), <[E]>::as_ptr);
        let _turn = self.turn();
        // SAFETY: `initial` is NULL ("the model's initial state") or a live
        // `rows × state_len` slice, `inputs` and `states` have the lengths the contract
        // promises; `_turn` keeps a non-concurrent model's calls apart.
        let code = unsafe {
            run_prefix(self.callbacks.user_data, initial, inputs.as_ptr(), rows, seq_len, states.as_mut_ptr())
        };
        status("run_prefix", code, rows, seq_len)
    }

    fn predict_from_state(
        &self,
        states: &[E],
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        outputs: &mut [E],
    ) -> Result<()> {
        let from_state = self.callbacks.predict_from_state.ok_or_else(|| missing("predict_from_state"))?;
        let _turn = self.turn();
        // SAFETY: every slice has the length the callback's contract promises; `_turn`
        // keeps a non-concurrent model's calls apart.
        let code = unsafe {
            from_state(self.callbacks.user_data, states.as_ptr(), inputs.as_ptr(), rows, seq_len, outputs.as_mut_ptr())
        };
        status("predict_from_state", code, rows, seq_len)
    }
}

impl<E: Element> Drop for HostSequenceModel<E> {
    fn drop(&mut self) {
        if let Some(finalize) = self.callbacks.finalize {
            // SAFETY: the model owns `user_data` once it has a finaliser; this is the one
            // and only call, made when the model goes away.
            unsafe { finalize(self.callbacks.user_data) };
        }
    }
}
