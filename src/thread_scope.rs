//! A thread-local value set for a scope. The engine's per-call state (the call's control,
//! its buffer cache, its memory cap, whether it runs in place) is installed for the calling
//! thread while the call runs; when the scope ends, also by unwinding, the value from
//! before is back (calls nest through callbacks and NoiseTunnel).

use std::cell::RefCell;
use std::marker::PhantomData;
use std::thread::LocalKey;

/// Holds the value a thread-local had before [`ThreadScope::set`] and puts it back when
/// dropped. It stays on the thread that set it (neither `Send` nor `Sync`): dropped on
/// another thread, it would restore that thread's value instead.
#[derive(Debug)]
pub(crate) struct ThreadScope<T: 'static> {
    key: &'static LocalKey<RefCell<T>>,
    /// The value before; taken only by `drop`.
    previous: Option<T>,
    _thread_bound: PhantomData<*const ()>,
}

impl<T: 'static> ThreadScope<T> {
    /// Sets `key` to `value` on the calling thread until the scope is dropped.
    pub(crate) fn set(key: &'static LocalKey<RefCell<T>>, value: T) -> Self {
        Self { key, previous: Some(key.with(|cell| cell.replace(value))), _thread_bound: PhantomData }
    }
}

impl<T: 'static> Drop for ThreadScope<T> {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            // A scope dropped while its thread's locals are torn down has nothing to restore.
            let _ = self.key.try_with(|cell| cell.replace(previous));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static VALUE: RefCell<u32> = const { RefCell::new(0) };
    }

    fn value() -> u32 {
        VALUE.with(|cell| *cell.borrow())
    }

    #[test]
    fn nested_scopes_restore_in_order_also_when_unwinding() {
        let outer = ThreadScope::set(&VALUE, 1);
        {
            let _inner = ThreadScope::set(&VALUE, 2);
            assert_eq!(value(), 2);
        }
        assert_eq!(value(), 1);
        let unwound = std::panic::catch_unwind(|| {
            let _inner = ThreadScope::set(&VALUE, 3);
            assert_eq!(value(), 3);
            panic!("unwinding through the scope");
        });
        assert!(unwound.is_err());
        assert_eq!(value(), 1);
        drop(outer);
        assert_eq!(value(), 0);
    }
}
