//! Device-resident models: callbacks that take CUDA device pointers and the stream to run
//! on, so that the CUDA backend builds, evaluates and reduces batches without copying them
//! through host memory. This layer holds no CUDA types: pointers travel as `u64` device
//! addresses and the stream as an opaque `CUstream`.

use std::ffi::c_void;

use super::ModelSignature;
pub use crate::backend::InputDtype;
use crate::error::{Error, ErrorKind, Result};

/// `predict_device(user_data, inputs, rows, outputs, stream)`: `inputs` is a device
/// pointer to `rows × input_len` elements of the model's input dtype, `outputs` a device
/// pointer to `rows × output_len` f32; work is enqueued on `stream` (a `CUstream`) and
/// may still be running when the callback returns. Returns 0 on success. Nullable.
pub type PredictDeviceFn = Option<
    unsafe extern "C" fn(user_data: *mut c_void, inputs: u64, rows: usize, outputs: u64, stream: *mut c_void) -> i32,
>;

/// `gradient_device(user_data, inputs, rows, targets, gradients, outputs, stream)`: device
/// pointers to the inputs (input dtype), `rows` u32 targets, `rows × input_len` f32
/// gradients of each row's target output, and `rows × output_len` f32 outputs (0 when not
/// wanted); work on `stream`. Returns 0 on success. Nullable.
pub type GradientDeviceFn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        inputs: u64,
        rows: usize,
        targets: u64,
        gradients: u64,
        outputs: u64,
        stream: *mut c_void,
    ) -> i32,
>;

/// A device buffer as the model layer sees it: a device address (never dereferenced here).
pub type DevicePtr = u64;

/// A model evaluated on CUDA device memory.
pub trait DeviceModel: Send + Sync {
    /// The model's shape, limits and concurrency policy.
    fn signature(&self) -> &ModelSignature;

    /// The element type of its input rows.
    fn input_dtype(&self) -> InputDtype;

    /// Enqueues the forward pass of `rows` rows on `stream`.
    ///
    /// # Safety
    /// `inputs` and `outputs` are live device allocations of the sizes the callback's
    /// contract names, in the context current on this thread; `stream` belongs to it.
    unsafe fn predict_device(
        &self,
        inputs: DevicePtr,
        rows: usize,
        outputs: DevicePtr,
        stream: *mut c_void,
    ) -> Result<()>;

    /// Enqueues the gradient pass of `rows` rows on `stream` (`outputs` may be 0).
    ///
    /// # Safety
    /// As [`DeviceModel::predict_device`], with `targets` holding `rows` u32 and
    /// `gradients` `rows × input_len` f32.
    unsafe fn gradient_device(
        &self,
        inputs: DevicePtr,
        rows: usize,
        targets: DevicePtr,
        gradients: DevicePtr,
        outputs: DevicePtr,
        stream: *mut c_void,
    ) -> Result<()> {
        let _ = (inputs, rows, targets, gradients, outputs, stream);
        Err(Error::new(ErrorKind::ModelCapabilityMissing, "model: this device model has no gradient_device callback"))
    }
}
