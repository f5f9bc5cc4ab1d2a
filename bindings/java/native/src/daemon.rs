//! Attaching the engine's worker threads to the JVM as daemon threads, so that an engine
//! nobody closed never keeps the JVM from exiting.
//!
//! jni 0.22's safe API only attaches non-daemon threads, which `DestroyJavaVM` (the end of
//! `main`) waits for. A worker thread that is about to call a Java model is attached here
//! with the invocation table's `AttachCurrentThreadAsDaemon` instead, once per thread; a
//! thread-local guard detaches it when the thread exits (the engine's pool joins its
//! threads when the engine is freed, by `close()` or by the `Cleaner`). A thread that was
//! already attached (a Java thread, or one attached by other code) is left as it is.

use std::cell::RefCell;
use std::ffi::{c_void, CString};
use std::ptr;

use jni::sys;
use jni::vm::JavaVM;

/// The attachment this crate made for the current thread; dropping it detaches the thread.
struct DaemonAttachment {
    vm: *mut sys::JavaVM,
}

impl Drop for DaemonAttachment {
    fn drop(&mut self) {
        // SAFETY: `vm` is the live JavaVM this thread was attached to (the JVM outlives the
        // engines whose threads it runs); the guard is dropped on its own thread, outside
        // any JNI frame (either at thread exit or by `detach`), so no local reference of
        // this thread is in use.
        unsafe {
            let interface = *self.vm;
            ((*interface).v1_1.DetachCurrentThread)(self.vm);
        }
    }
}

thread_local! {
    static ATTACHMENT: RefCell<Option<DaemonAttachment>> = const { RefCell::new(None) };
}

/// Makes sure the current thread is attached to `vm`, attaching it as a daemon thread
/// (named after the Rust thread) when it is not attached yet.
pub fn ensure_attached(vm: &JavaVM) -> jni::errors::Result<()> {
    if vm.is_thread_attached()? {
        return Ok(());
    }
    let raw = vm.get_raw();
    let name = std::thread::current().name().and_then(|name| CString::new(name).ok());
    let mut args = sys::JavaVMAttachArgs {
        version: sys::JNI_VERSION_1_4,
        name: name.as_ref().map_or(ptr::null_mut(), |n| n.as_ptr().cast_mut()),
        group: ptr::null_mut(),
    };
    let mut env: *mut c_void = ptr::null_mut();
    // SAFETY: `raw` comes from a live `JavaVM`; `args` and `name` outlive the call (the
    // JVM copies the name); the thread is not attached, as checked above.
    let code = unsafe {
        let interface = *raw;
        ((*interface).v1_4.AttachCurrentThreadAsDaemon)(raw, &mut env, ptr::from_mut(&mut args).cast())
    };
    jni::errors::jni_error_code_to_result(code)?;
    ATTACHMENT.with(|slot| *slot.borrow_mut() = Some(DaemonAttachment { vm: raw }));
    Ok(())
}
