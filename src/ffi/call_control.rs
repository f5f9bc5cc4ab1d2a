//! `lumen_cancel_token` and `lumen_call_control`: how a C caller stops a call (from any
//! thread, also from inside a model callback), gives it a deadline, watches its progress
//! and bounds its model-call parallelism.

use std::ffi::c_void;
use std::sync::Arc;
use std::time::Duration;

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::options::{current_size, read_options, versioned_options};
use super::pointers::{check_out, copy, slice, write_out};
use super::registry::{handle as live_handle, into_handle, Handle};
use super::status::lumen_status;
use crate::engine::call_control::{CallControl, CancelToken, ControlScope, ProgressFn};
use crate::engine::row_keys::row_key_of_bytes;

/// A cancellation flag that calls can watch (`lumen_call_control.cancel`). Thread-safe:
/// any thread may cancel it, also from inside a model or progress callback.
#[allow(non_camel_case_types)]
pub struct lumen_cancel_token {
    token: CancelToken,
}

impl Handle for lumen_cancel_token {
    const NAME: &'static str = "lumen_cancel_token";
}

/// `progress(user_data, fraction)`: the fraction of the call's model rows done so far, in
/// [0, 1] and never decreasing; 1 is reported once, when the call succeeds. Return 0 to go
/// on, non-zero to cancel the call (`LUMEN_STATUS_CANCELLED`). Called from engine threads,
/// one call at a time, while the explanation runs; it must not call back into Lumen
/// (except `lumen_cancel_token_cancel`) and must not unwind.
pub type ProgressCallbackFn = Option<unsafe extern "C" fn(user_data: *mut c_void, fraction: f64) -> i32>;

/// How a call may be stopped and watched: the `control` member of every explain options
/// struct. Start from `lumen_call_control_default()`. Borrowed only during the call (the
/// token must outlive it).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_call_control {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_call_control_default()`: leave it as it is.
    pub struct_size: usize,
    /// The token that cancels the call; NULL for none.
    pub cancel: *const lumen_cancel_token,
    /// Milliseconds the call may run before it stops with `LUMEN_STATUS_DEADLINE_EXCEEDED`;
    /// 0 for no deadline.
    pub timeout_ms: u64,
    /// Called with the fraction done; NULL for none.
    pub progress: ProgressCallbackFn,
    /// Passed to `progress`.
    pub progress_user_data: *mut c_void,
    /// The most calls of a `LUMEN_MODEL_CONCURRENT` model that this call lets overlap
    /// (a slow call then leaves engine threads to other callers); 0 for the engine's
    /// thread count.
    pub max_model_threads: u32,
    /// The seed of this call's random draws when `has_seed` is non-zero (else the
    /// engine's): compare seeds without a new engine. Since 0.3.
    pub seed: u64,
    /// One key per explained row (TimeSHAP: per sequence), e.g. an application id hashed
    /// with `lumen_row_key_of_bytes`; NULL to key each row by a hash of its own values. A
    /// row's random draws depend only on the seed and its key, never on the other rows of
    /// the call. Borrowed during the call. Since 0.3.
    pub row_keys: *const u64,
    /// Length of `row_keys`: the number of rows (sequences) the call explains.
    pub n_row_keys: usize,
    /// Non-zero: use `seed`.
    pub has_seed: u32,
    /// One output per explained row, which that row explains (Captum's per-row `target`):
    /// the explanation is then `rows × 1 × features` and `lumen_explanation_row_targets`
    /// reads them back. NULL: the method's own `targets` for every row. Not with the
    /// method's `targets`; PermuteAttack and TimeSHAP take their own target. Borrowed
    /// during the call. Since 0.3.
    pub row_targets: *const u32,
    /// Length of `row_targets`: the number of rows the call explains.
    pub n_row_targets: usize,
}

/// No token, no deadline, no progress callback, the engine's parallelism. Thread-safe.
#[no_mangle]
pub extern "C" fn lumen_call_control_default() -> lumen_call_control {
    lumen_call_control {
        struct_size: current_size::<lumen_call_control>(),
        cancel: std::ptr::null(),
        timeout_ms: 0,
        progress: None,
        progress_user_data: std::ptr::null_mut(),
        max_model_threads: 0,
        seed: 0,
        row_keys: std::ptr::null(),
        n_row_keys: 0,
        has_seed: 0,
        row_targets: std::ptr::null(),
        n_row_targets: 0,
    }
}

versioned_options!(lumen_call_control => lumen_call_control_default, appended: seed);

/// The caller's progress callback and its `user_data`, callable from any engine thread.
struct CProgress {
    callback: unsafe extern "C" fn(user_data: *mut c_void, fraction: f64) -> i32,
    user_data: *mut c_void,
}

// SAFETY: the C contract lets `progress` and its `user_data` be used from any engine
// thread; Lumen makes one call at a time (CallControl serialises reports).
unsafe impl Send for CProgress {}
// SAFETY: as above.
unsafe impl Sync for CProgress {}

impl CProgress {
    fn report(&self, fraction: f64) -> bool {
        // SAFETY: the caller's callback and user_data, called as documented.
        unsafe { (self.callback)(self.user_data, fraction) == 0 }
    }
}

/// The engine-side control of `control` (NULL: none), installed for the calling thread
/// until the returned scope is dropped.
///
/// # Safety
/// A non-NULL `control` points to a struct started from `lumen_call_control_default()`
/// whose `cancel` is NULL or a live token.
pub(crate) unsafe fn enter_control(control: *const lumen_call_control) -> Result<ControlScope, FfiError> {
    if control.is_null() {
        return Ok(ControlScope::enter(None));
    }
    // SAFETY: forwarded contract.
    let c = unsafe { read_options(control, "options.control")? };
    let cancel = if c.cancel.is_null() {
        None
    } else {
        // SAFETY: a live token, per the contract.
        Some(unsafe { live_handle(c.cancel, "options.control.cancel")? }.token.clone())
    };
    let progress = c.progress.map(|callback| {
        let progress = CProgress { callback, user_data: c.progress_user_data };
        Box::new(move |fraction| progress.report(fraction)) as ProgressFn
    });
    let mut control = CallControl::new(
        cancel,
        (c.timeout_ms > 0).then(|| Duration::from_millis(c.timeout_ms)),
        progress,
        (c.max_model_threads > 0).then_some(c.max_model_threads as usize),
    );
    if c.has_seed != 0 {
        control = control.with_seed(c.seed);
    }
    if !c.row_keys.is_null() || c.n_row_keys != 0 {
        // SAFETY: `row_keys` holds `n_row_keys` keys, per the contract (checked for NULL).
        let keys = unsafe { slice(c.row_keys, c.n_row_keys, "options.control.row_keys")? };
        control = control.with_row_keys(copy(keys, "options.control.row_keys")?);
    }
    if !c.row_targets.is_null() || c.n_row_targets != 0 {
        // SAFETY: `row_targets` holds `n_row_targets` indices, per the contract.
        let targets = unsafe { slice(c.row_targets, c.n_row_targets, "options.control.row_targets")? };
        control = control.with_row_targets(copy(targets, "options.control.row_targets")?);
    }
    Ok(ControlScope::enter(Some(Arc::new(control))))
}

/// The row key of an identifier's `len` bytes (an application id as UTF-8, say), for
/// `lumen_call_control.row_keys`: the same key every binding and the `lumen` command's
/// `--id-column` derive from that id (SipHash-2-4 with Lumen's fixed keys, stable across
/// releases and platforms). `bytes` may be NULL when `len` is 0. Thread-safe.
///
/// # Safety
/// `bytes` points to `len` readable bytes; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_row_key_of_bytes(bytes: *const u8, len: usize, out: *mut u64) -> lumen_status {
    boundary("lumen_row_key_of_bytes", || {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let bytes = unsafe { slice(bytes, len, "bytes")? };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, row_key_of_bytes(bytes)) };
        Ok(())
    })
}

/// Creates a cancel token that is not cancelled. On success `*out` holds a token the
/// caller frees with `lumen_cancel_token_free` (after the calls that watch it returned).
///
/// # Safety
/// `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_cancel_token_new(out: *mut *mut lumen_cancel_token) -> lumen_status {
    boundary("lumen_cancel_token_new", || {
        check_out(out, "out")?;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, into_handle(lumen_cancel_token { token: CancelToken::new() })) };
        Ok(())
    })
}

/// Cancels every call that watches `token`: each returns `LUMEN_STATUS_CANCELLED` within
/// one model batch, freeing what it held. The token stays cancelled (new calls that watch
/// it stop at once) until `lumen_cancel_token_reset`. Thread-safe, from any thread, also
/// from inside a model or progress callback.
///
/// # Safety
/// `token` is a live token.
#[no_mangle]
pub unsafe extern "C" fn lumen_cancel_token_cancel(token: *const lumen_cancel_token) -> lumen_status {
    boundary("lumen_cancel_token_cancel", || {
        // SAFETY: forwarded contract.
        unsafe { live_handle(token, "token")? }.token.cancel();
        Ok(())
    })
}

/// Makes `token` usable again for new calls. Thread-safe.
///
/// # Safety
/// `token` is a live token.
#[no_mangle]
pub unsafe extern "C" fn lumen_cancel_token_reset(token: *const lumen_cancel_token) -> lumen_status {
    boundary("lumen_cancel_token_reset", || {
        // SAFETY: forwarded contract.
        unsafe { live_handle(token, "token")? }.token.reset();
        Ok(())
    })
}

/// Writes 1 into `*out` when `token` is cancelled, else 0. Thread-safe.
///
/// # Safety
/// `token` is a live token; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_cancel_token_is_cancelled(
    token: *const lumen_cancel_token,
    out: *mut u32,
) -> lumen_status {
    boundary("lumen_cancel_token_is_cancelled", || {
        check_out(out, "out")?;
        // SAFETY: forwarded contract.
        let cancelled = unsafe { live_handle(token, "token")? }.token.is_cancelled();
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, u32::from(cancelled)) };
        Ok(())
    })
}

/// Frees a token. `NULL` is a no-op. No running call may watch it. Called from inside a
/// model callback it frees nothing and leaves the reason in `lumen_last_error_message()`.
///
/// # Safety
/// `token` is NULL or a pointer returned by `lumen_cancel_token_new` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_cancel_token_free(token: *mut lumen_cancel_token) {
    boundary_or("lumen_cancel_token_free", (), || {
        // SAFETY: the caller's contract; the registry refuses what is no live lumen_cancel_token.
        unsafe { free_handle(token, "lumen_cancel_token_free", "token") }
    })
}
