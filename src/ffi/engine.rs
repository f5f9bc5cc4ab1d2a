//! `lumen_engine`: backend, threads, seed and memory budget.

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::options::{current_size, read_options, versioned_options};
use super::pointers::{check_out, write_out};
use super::registry::{handle as live_handle, into_handle, Handle};
use super::status::lumen_status;
use crate::backend::BackendKind;
use crate::engine::{BackendChoice, Engine, EngineConfig, DEFAULT_MEMORY_BUDGET_BYTES};

/// `lumen_engine_options.backend`: CUDA when available, else the CPU (the reason is recorded).
pub const LUMEN_BACKEND_AUTO: u32 = 0;
/// `lumen_engine_options.backend`: the rayon CPU backend, the reference.
pub const LUMEN_BACKEND_CPU: u32 = 1;
/// `lumen_engine_options.backend`: the CUDA backend, or `LUMEN_STATUS_BACKEND_UNAVAILABLE`.
pub const LUMEN_BACKEND_CUDA: u32 = 2;
/// The default `memory_budget_bytes` (256 MiB).
pub const LUMEN_DEFAULT_MEMORY_BUDGET_BYTES: usize = 268_435_456;
/// The largest `lumen_engine_options.threads` (`LUMEN_STATUS_INVALID_ARGUMENT` above it).
pub const LUMEN_MAX_THREADS: u32 = 1024;
const _: () = assert!(LUMEN_MAX_THREADS as usize == crate::engine::MAX_THREADS);
const _: () = assert!(LUMEN_DEFAULT_MEMORY_BUDGET_BYTES == DEFAULT_MEMORY_BUDGET_BYTES);

/// How to build an engine. Start from `lumen_engine_options_default()` and change fields.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_engine_options {
    /// This struct's size as the caller's header declares it, filled by
    /// `lumen_engine_options_default()`: leave it as it is (see "Extensible options" in the README).
    pub struct_size: usize,
    /// One of `LUMEN_BACKEND_AUTO`, `LUMEN_BACKEND_CPU`, `LUMEN_BACKEND_CUDA`.
    pub backend: u32,
    /// Worker threads, at most `LUMEN_MAX_THREADS`; 0 means one per available core (at most
    /// `LUMEN_MAX_THREADS`). Results never depend on it. An engine of one thread runs each
    /// call on the thread that made it (that call's engine thread: the model's callbacks
    /// and the progress callback run there) instead of handing it to its one worker.
    pub threads: u32,
    /// Seed of every random choice the engine makes.
    pub seed: u64,
    /// Bytes one call may hold besides its inputs and its result (> 0): what the method
    /// keeps for the whole call, then its model batches. Work whose kept part does not fit
    /// is refused with `LUMEN_STATUS_BUDGET_TOO_SMALL` naming the minimum.
    pub memory_budget_bytes: usize,
}

/// An engine: a backend, a thread pool, a seed and a memory budget. Thread-safe: one
/// engine may run explanations from several threads at once.
#[allow(non_camel_case_types)]
pub struct lumen_engine {
    pub(crate) engine: Engine,
}

impl Handle for lumen_engine {
    const NAME: &'static str = "lumen_engine";
}

/// The defaults: `LUMEN_BACKEND_AUTO`, all cores, seed 0, 256 MiB budget.
#[no_mangle]
pub extern "C" fn lumen_engine_options_default() -> lumen_engine_options {
    lumen_engine_options {
        struct_size: current_size::<lumen_engine_options>(),
        backend: LUMEN_BACKEND_AUTO,
        threads: 0,
        seed: 0,
        memory_budget_bytes: DEFAULT_MEMORY_BUDGET_BYTES,
    }
}

versioned_options!(lumen_engine_options => lumen_engine_options_default);

fn config_from(options: &lumen_engine_options) -> Result<EngineConfig, FfiError> {
    let backend = match options.backend {
        LUMEN_BACKEND_AUTO => BackendChoice::Auto,
        LUMEN_BACKEND_CPU => BackendChoice::Cpu,
        LUMEN_BACKEND_CUDA => BackendChoice::Cuda,
        other => {
            return Err(FfiError::new(
                lumen_status::InvalidArgument,
                format!("options.backend: is {other}, expected LUMEN_BACKEND_AUTO (0), _CPU (1) or _CUDA (2)"),
            ))
        }
    };
    Ok(EngineConfig {
        backend,
        threads: options.threads as usize,
        seed: options.seed,
        memory_budget_bytes: options.memory_budget_bytes,
    })
}

/// Creates an engine. `options` may be NULL for the defaults. On success `*out` holds a
/// new engine that the caller frees with `lumen_engine_free`; on failure `*out` is not
/// written. `LUMEN_STATUS_BACKEND_UNAVAILABLE` when the requested backend cannot run.
///
/// # Safety
/// `options` is NULL or points to a valid `lumen_engine_options`; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_new(
    options: *const lumen_engine_options,
    out: *mut *mut lumen_engine,
) -> lumen_status {
    boundary("lumen_engine_new", || {
        check_out(out, "out")?;
        let options = if options.is_null() {
            lumen_engine_options_default()
        } else {
            // SAFETY: non-NULL; validity is the caller's contract.
            unsafe { read_options(options, "options")? }
        };
        let engine = Engine::new(config_from(&options)?)?;
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, into_handle(lumen_engine { engine })) };
        Ok(())
    })
}

/// Frees an engine. `NULL` is a no-op. The engine must not be in use by another thread.
/// Called from inside a model callback it frees nothing and leaves the reason in
/// `lumen_last_error_message()`.
///
/// # Safety
/// `engine` is NULL or a pointer returned by `lumen_engine_new` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_free(engine: *mut lumen_engine) {
    boundary_or("lumen_engine_free", (), || {
        // SAFETY: the caller's contract; the registry refuses what is no live lumen_engine.
        unsafe { free_handle(engine, "lumen_engine_free", "engine") }
    })
}

/// Writes the backend the engine actually runs (`LUMEN_BACKEND_CPU` or `_CUDA`; `auto`
/// resolved) into `*out`.
///
/// # Safety
/// `engine` is a valid engine; `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_engine_backend(engine: *const lumen_engine, out: *mut u32) -> lumen_status {
    boundary("lumen_engine_backend", || {
        check_out(out, "out")?;
        // SAFETY: validity is the caller's contract.
        let engine = unsafe { live_handle(engine, "engine")? };
        let backend = match engine.engine.backend_kind() {
            BackendKind::Cpu => LUMEN_BACKEND_CPU,
            BackendKind::Cuda => LUMEN_BACKEND_CUDA,
        };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, backend) };
        Ok(())
    })
}
