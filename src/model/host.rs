//! A model that lives in the caller's process behind C function pointers.

use std::ffi::c_void;
use std::sync::{Mutex, MutexGuard};

use super::callback_scope::CallbackScope;

use super::device::{DevicePtr, GradientDeviceFn, PredictDeviceFn};
use super::{DeviceModel, InputDtype, MemorySpace, Model, ModelSignature};
use crate::element::Element;
use crate::error::{Error, ErrorKind, Result};

/// `predict(user_data, inputs, rows, outputs)`: reads `rows × input_len` floats, writes
/// `rows × output_len` floats, returns 0 on success or any non-zero error code. Must not
/// write to `inputs`. Nullable in the type so that a C descriptor's NULL is representable.
///
/// Callback rules: a callback must return normally. It must not unwind into Lumen (catch
/// every C++ exception and return a non-zero code; no `longjmp` or `pthread_exit` out of
/// it): the process would abort. It must not call back into Lumen: explain calls from
/// inside a callback fail with `LUMEN_STATUS_INVALID_STATE`, and `_free` calls free
/// nothing.
pub type PredictFn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, inputs: *const f32, rows: usize, outputs: *mut f32) -> i32>;

/// The double-precision `predict` (`LUMEN_ELEMENT_F64` models): as [`PredictFn`] on doubles.
pub type PredictF64Fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, inputs: *const f64, rows: usize, outputs: *mut f64) -> i32>;

/// `predict` on elements of type `E`.
pub type PredictOf<E> =
    Option<unsafe extern "C" fn(user_data: *mut c_void, inputs: *const E, rows: usize, outputs: *mut E) -> i32>;

/// `gradient(user_data, inputs, rows, targets, gradients, outputs)`: for each row, writes
/// ∂f_target/∂input into `gradients` (`rows × input_len`) and, when `outputs` is not NULL,
/// the model's outputs (`rows × output_len`). Returns 0 on success. Nullable.
pub type GradientFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const f32,
        rows: usize,
        targets: *const u32,
        gradients: *mut f32,
        outputs: *mut f32,
    ) -> i32,
>;

/// The double-precision `gradient`: as [`GradientFn`] on doubles.
pub type GradientF64Fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const f64,
        rows: usize,
        targets: *const u32,
        gradients: *mut f64,
        outputs: *mut f64,
    ) -> i32,
>;

/// `gradient` on elements of type `E`.
pub type GradientOf<E> = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const E,
        rows: usize,
        targets: *const u32,
        gradients: *mut E,
        outputs: *mut E,
    ) -> i32,
>;

/// `layer_gradient(user_data, inputs, rows, targets, activations, gradients)`: for each
/// row, writes the exposed layer's activations (`rows × C × h × w`) and the gradients of
/// the row's target output with respect to them (same shape). Returns 0 on success. Nullable.
pub type LayerGradientFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const f32,
        rows: usize,
        targets: *const u32,
        activations: *mut f32,
        gradients: *mut f32,
    ) -> i32,
>;

/// The double-precision `layer_gradient`: as [`LayerGradientFn`] on doubles.
pub type LayerGradientF64Fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const f64,
        rows: usize,
        targets: *const u32,
        activations: *mut f64,
        gradients: *mut f64,
    ) -> i32,
>;

/// `layer_gradient` on elements of type `E`.
pub type LayerGradientOf<E> = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: *const E,
        rows: usize,
        targets: *const u32,
        activations: *mut E,
        gradients: *mut E,
    ) -> i32,
>;

/// `finalize(user_data)`: called exactly once when the model handle is freed. Nullable.
pub type FinalizeFn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The callbacks (on elements of type `E`) and opaque state handed over by a C caller.
#[derive(Debug)]
pub struct HostCallbacks<E: Element = f32> {
    /// Required forward pass (`None` is rejected by [`HostModel::new`]).
    pub predict: PredictOf<E>,
    /// Optional gradient pass.
    pub gradient: GradientOf<E>,
    /// Optional layer activations and gradients (Grad-CAM).
    pub layer_gradient: LayerGradientOf<E>,
    /// Optional finaliser of `user_data`.
    pub finalize: FinalizeFn,
    /// Passed back unchanged to every callback.
    pub user_data: *mut c_void,
}

/// The device-memory callbacks of a model whose buffers live on a CUDA device.
#[derive(Debug, Clone, Copy)]
pub struct DeviceCallbacks {
    /// Required forward pass on device pointers.
    pub predict: PredictDeviceFn,
    /// Optional gradient pass on device pointers.
    pub gradient: GradientDeviceFn,
    /// Element type of the input rows.
    pub input_dtype: InputDtype,
}

/// A [`Model`] backed by C callbacks. Without the concurrent flag every callback runs
/// under the model's own lock, so no two calls overlap, whichever explanations or host
/// threads make them.
#[derive(Debug)]
pub struct HostModel<E: Element = f32> {
    signature: ModelSignature,
    callbacks: HostCallbacks<E>,
    device: Option<DeviceCallbacks>,
    serial: Mutex<()>,
}

// SAFETY: the C contract lets callbacks and `user_data` be used from any thread, and
// calls overlap only when the descriptor says the model is concurrent; otherwise every
// call holds `serial` (see `HostModel::turn`).
unsafe impl<E: Element> Send for HostModel<E> {}
// SAFETY: as above; the only shared mutable state is behind `serial`.
unsafe impl<E: Element> Sync for HostModel<E> {}

impl<E: Element> HostModel<E> {
    /// Wraps validated callbacks; `signature` must already be consistent and declare `E`.
    /// A host-memory model needs `predict`; a device-memory model gets its callbacks from
    /// [`HostModel::with_device`].
    pub fn new(signature: ModelSignature, callbacks: HostCallbacks<E>) -> Result<Self> {
        signature.validate()?;
        signature.expect_element::<E>()?;
        if callbacks.predict.is_none() && signature.memory_space == MemorySpace::Host {
            return Err(Error::invalid("predict", "is NULL, expected the model's forward-pass callback"));
        }
        Ok(Self { signature, callbacks, device: None, serial: Mutex::new(()) })
    }

    /// Adds the device-memory callbacks; the signature's memory space must be `Device`
    /// and `device.predict` must be set.
    pub fn with_device(mut self, device: DeviceCallbacks) -> Result<Self> {
        if self.signature.memory_space != MemorySpace::Device {
            return Err(Error::invalid("predict_device", "is set, but the model's memory space is host"));
        }
        if device.predict.is_none() {
            return Err(Error::invalid(
                "predict_device",
                "is NULL, expected the forward pass of a device-memory model",
            ));
        }
        self.device = Some(device);
        Ok(self)
    }

    /// The right to call the callbacks now: the model's lock unless it is concurrent, and
    /// the mark that this thread is inside a callback (see [`CallbackScope`]).
    fn turn(&self) -> (Option<MutexGuard<'_, ()>>, CallbackScope) {
        let lock =
            (!self.signature.concurrent).then(|| self.serial.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
        (lock, CallbackScope::enter())
    }
}

fn callback_failed(which: &str, code: i32, rows: usize) -> Error {
    Error::new(
        ErrorKind::ModelFailed,
        format!("model: the {which} callback returned error code {code} for a batch of {rows} rows"),
    )
}

impl<E: Element> Model<E> for HostModel<E> {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> Result<()> {
        debug_assert_eq!(inputs.len(), rows * self.signature.input_len());
        debug_assert_eq!(outputs.len(), rows * self.signature.output_len);
        let Some(predict) = self.callbacks.predict else {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: the descriptor has no host predict callback (a device-memory model runs on the CUDA backend)",
            ));
        };
        // SAFETY: `inputs` and `outputs` are live slices of exactly the lengths the
        // descriptor promised the callback; `user_data` is the caller's own pointer.
        let _turn = self.turn();
        // SAFETY: see above; `_turn` keeps a non-concurrent model's calls apart.
        let code = unsafe { predict(self.callbacks.user_data, inputs.as_ptr(), rows, outputs.as_mut_ptr()) };
        if code == 0 {
            Ok(())
        } else {
            Err(callback_failed("predict", code, rows))
        }
    }

    fn gradient(
        &self,
        inputs: &[E],
        rows: usize,
        targets: &[u32],
        gradients: &mut [E],
        outputs: Option<&mut [E]>,
    ) -> Result<()> {
        let Some(gradient) = self.callbacks.gradient else {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: the descriptor has no gradient callback (gradient is NULL)",
            ));
        };
        debug_assert_eq!(targets.len(), rows);
        let outputs_ptr = outputs.map_or(std::ptr::null_mut(), |o| o.as_mut_ptr());
        let _turn = self.turn();
        // SAFETY: every slice has the length the callback's contract promises; `outputs_ptr`
        // is either NULL (documented as "not wanted") or a live `rows × output_len` buffer.
        let code = unsafe {
            gradient(
                self.callbacks.user_data,
                inputs.as_ptr(),
                rows,
                targets.as_ptr(),
                gradients.as_mut_ptr(),
                outputs_ptr,
            )
        };
        if code == 0 {
            Ok(())
        } else {
            Err(callback_failed("gradient", code, rows))
        }
    }
    fn layer_gradient(
        &self,
        inputs: &[E],
        rows: usize,
        targets: &[u32],
        activations: &mut [E],
        gradients: &mut [E],
    ) -> Result<()> {
        let Some(layer_gradient) = self.callbacks.layer_gradient else {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: the descriptor has no layer callback (layer_gradient is NULL)",
            ));
        };
        debug_assert_eq!(targets.len(), rows);
        let _turn = self.turn();
        // SAFETY: every slice has the length the callback's contract promises
        // (`rows × C × h × w` for both layer buffers); `_turn` keeps a non-concurrent
        // model's calls apart.
        let code = unsafe {
            layer_gradient(
                self.callbacks.user_data,
                inputs.as_ptr(),
                rows,
                targets.as_ptr(),
                activations.as_mut_ptr(),
                gradients.as_mut_ptr(),
            )
        };
        if code == 0 {
            Ok(())
        } else {
            Err(callback_failed("layer_gradient", code, rows))
        }
    }

    fn device(&self) -> Option<&dyn DeviceModel> {
        self.device.is_some().then_some(self as &dyn DeviceModel)
    }
}

impl<E: Element> DeviceModel for HostModel<E> {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    fn input_dtype(&self) -> InputDtype {
        self.device.map_or(InputDtype::F32, |d| d.input_dtype)
    }

    unsafe fn predict_device(
        &self,
        inputs: DevicePtr,
        rows: usize,
        outputs: DevicePtr,
        stream: *mut c_void,
    ) -> Result<()> {
        let Some(predict) = self.device.and_then(|d| d.predict) else {
            return Err(Error::new(ErrorKind::ModelCapabilityMissing, "model: the descriptor has no predict_device"));
        };
        let _turn = self.turn();
        // SAFETY: the caller guarantees live device buffers of the documented sizes and a
        // stream of the current context; `_turn` keeps a non-concurrent model's calls apart.
        let code = unsafe { predict(self.callbacks.user_data, inputs, rows, outputs, stream) };
        if code == 0 {
            Ok(())
        } else {
            Err(callback_failed("predict_device", code, rows))
        }
    }

    unsafe fn gradient_device(
        &self,
        inputs: DevicePtr,
        rows: usize,
        targets: DevicePtr,
        gradients: DevicePtr,
        outputs: DevicePtr,
        stream: *mut c_void,
    ) -> Result<()> {
        let Some(gradient) = self.device.and_then(|d| d.gradient) else {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: the descriptor has no gradient_device callback (gradient_device is NULL)",
            ));
        };
        let _turn = self.turn();
        // SAFETY: as in `predict_device`.
        let code = unsafe { gradient(self.callbacks.user_data, inputs, rows, targets, gradients, outputs, stream) };
        if code == 0 {
            Ok(())
        } else {
            Err(callback_failed("gradient_device", code, rows))
        }
    }
}

impl<E: Element> Drop for HostModel<E> {
    fn drop(&mut self) {
        if let Some(finalize) = self.callbacks.finalize {
            // SAFETY: the handle owns `user_data` once it has a finaliser; this is the one
            // and only call, made when the last reference to the model goes away.
            unsafe { finalize(self.callbacks.user_data) };
        }
    }
}
