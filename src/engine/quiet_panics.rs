//! Keeps contained panics off the host's stderr. Rust's default panic hook prints
//! "thread … panicked at …" (and a backtrace with `RUST_BACKTRACE`) before the unwind
//! reaches the C boundary that catches it; a library inside a bank's scoring service must
//! print nothing. The hook installed here stays silent for panics on threads that are
//! running Lumen code (inside a C export, or an engine worker) and hands every other panic
//! to the hook that was installed before it (the host's own, or Rust's default).

use std::cell::Cell;
use std::panic::{self, PanicHookInfo};
use std::sync::Once;

thread_local! {
    /// How many Lumen calls are running on this thread (calls may nest through callbacks);
    /// engine worker threads hold 1 for their whole life.
    static LUMEN_DEPTH: Cell<usize> = const { Cell::new(0) };
}

static INSTALL: Once = Once::new();

/// Installs the silencing hook once per process, chained to the hook in place before it.
fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
            if LUMEN_DEPTH.with(Cell::get) == 0 {
                previous(info);
            }
        }));
    });
}

/// Restores the depth when a call ends, also when it ends by unwinding.
struct DepthGuard;

impl Drop for DepthGuard {
    fn drop(&mut self) {
        LUMEN_DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Runs `body` as Lumen code: a panic inside it (which the caller catches) prints nothing.
pub fn quietly<T>(body: impl FnOnce() -> T) -> T {
    install();
    LUMEN_DEPTH.with(|depth| depth.set(depth.get() + 1));
    let _guard = DepthGuard;
    body()
}

/// Marks the calling thread as an engine worker for the rest of its life: panics on it
/// travel to the caller's boundary (rayon re-raises them there) without being printed.
pub(crate) fn mark_worker_thread() {
    install();
    LUMEN_DEPTH.with(|depth| depth.set(depth.get() + 1));
}
