//! Which threads are inside one of the caller's model callbacks right now. A callback
//! that calls back into Lumen — to explain with the same (locked) model, or to free the
//! engine whose worker it runs on — would deadlock or free what is in use; Lumen refuses
//! such a call with [`ErrorKind::InvalidState`] instead.

use std::cell::Cell;
use std::marker::PhantomData;

use crate::error::{Error, ErrorKind, Result};

thread_local! {
    /// Model callbacks running on this thread (nested when a callback calls a callback).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Marks the calling thread as inside a model callback until dropped. Bindings that call
/// models of their own (the JNI layer) hold one around each call too.
#[derive(Debug)]
pub struct CallbackScope {
    /// The scope belongs to the thread that entered it.
    _thread_bound: PhantomData<*const ()>,
}

impl CallbackScope {
    /// Enters a callback on the calling thread.
    pub fn enter() -> Self {
        DEPTH.with(|depth| depth.set(depth.get() + 1));
        Self { _thread_bound: PhantomData }
    }
}

impl Drop for CallbackScope {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Whether the calling thread is inside a model callback.
pub fn inside_model_callback() -> bool {
    DEPTH.with(Cell::get) > 0
}

/// The message of a call refused because it came from inside a model callback.
pub const REENTRY_MESSAGE: &str = "called from inside a model callback: a callback must not call back into Lumen \
                                   (explain with any engine, or free a handle); return from the callback first";

/// Refuses the current call when the calling thread is inside a model callback.
pub fn refuse_reentry() -> Result<()> {
    if inside_model_callback() {
        return Err(Error::new(ErrorKind::InvalidState, REENTRY_MESSAGE));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_nest_and_end() {
        assert!(refuse_reentry().is_ok());
        let outer = CallbackScope::enter();
        let inner = CallbackScope::enter();
        drop(inner);
        let error = refuse_reentry().unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidState);
        assert!(error.message().starts_with("called from inside a model callback"));
        drop(outer);
        assert!(!inside_model_callback());
        std::thread::spawn(|| assert!(!inside_model_callback())).join().unwrap();
    }
}
