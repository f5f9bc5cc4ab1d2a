//! `lumen_model`: the caller's model behind function pointers.

use std::ffi::{c_char, c_void};

use super::boundary::{boundary, boundary_or, free_handle, FfiError};
use super::pointers::{check_out, reference, slice, strings, write_out};
use super::registry::{into_handle, Handle};
use super::status::lumen_status;
use super::version::{LUMEN_MODEL_ABI_VERSION, LUMEN_MODEL_ABI_VERSION_OLDEST};
use crate::element::{Element, ElementType};
use crate::error::{Error, ErrorKind};
use crate::model::device::{GradientDeviceFn, PredictDeviceFn};
use crate::model::host::{
    DeviceCallbacks, FinalizeFn, GradientF64Fn, GradientFn, HostCallbacks, LayerGradientF64Fn, LayerGradientFn,
    PredictF64Fn, PredictFn,
};
use crate::model::{HostModel, InputDtype, MemorySpace, Model, ModelSignature};

/// `lumen_model_desc.flags`: the callbacks may be called from several threads at once.
/// Without it the engine never overlaps two calls.
pub const LUMEN_MODEL_CONCURRENT: u32 = 1;
/// `lumen_model_desc.memory_space`: buffers are in host memory.
pub const LUMEN_MEMORY_HOST: u32 = 0;
/// `lumen_model_desc.memory_space`: buffers are CUDA device pointers and the model runs
/// through `predict_device` / `gradient_device` on the engine's stream (needs an engine on
/// the CUDA backend).
pub const LUMEN_MEMORY_DEVICE: u32 = 1;
/// `lumen_model_desc.input_dtype`: input rows are f32 (the default, and the only type of
/// host-memory models).
pub const LUMEN_DTYPE_F32: u32 = 0;
/// `lumen_model_desc.input_dtype`: a device model's input rows are IEEE f16.
pub const LUMEN_DTYPE_F16: u32 = 1;
/// `lumen_model_desc.input_dtype`: a device model's input rows are bfloat16.
pub const LUMEN_DTYPE_BF16: u32 = 2;
/// `lumen_model_desc.element_type` (ABI 4): the model's host buffers hold `float` (the
/// default): explain it with the plain exports and fill the options' `float` fields.
pub const LUMEN_ELEMENT_F32: u32 = 0;
/// `lumen_model_desc.element_type` (ABI 4): the model's host buffers hold `double`: set
/// `predict_f64` (and `gradient_f64`, `layer_gradient_f64`), explain it with the `_f64`
/// exports and fill the options' `_f64` fields. Host memory only.
pub const LUMEN_ELEMENT_F64: u32 = 1;

/// Describes a model to Lumen. Zero-initialise, set `abi_version = LUMEN_MODEL_ABI_VERSION`
/// and fill in the rest; `lumen_model_new` copies what it needs.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct lumen_model_desc {
    /// `LUMEN_MODEL_ABI_VERSION` (or `LUMEN_MODEL_ABI_VERSION_OLDEST` for a version-2 layout).
    pub abi_version: u32,
    /// Bitwise OR of `LUMEN_MODEL_*` flags.
    pub flags: u32,
    /// `LUMEN_MEMORY_HOST` or `LUMEN_MEMORY_DEVICE`.
    pub memory_space: u32,
    /// Elements per input row (flattened).
    pub input_len: usize,
    /// Optional shape of one row (e.g. {3, 224, 224}); its product must equal `input_len`.
    /// With `input_rank == 0` the row is 1-D.
    pub input_shape: *const usize,
    /// Number of entries in `input_shape`.
    pub input_rank: usize,
    /// Outputs per row.
    pub output_len: usize,
    /// Largest number of rows one call accepts; 0 means no limit.
    pub max_batch_rows: usize,
    /// Required forward pass.
    pub predict: PredictFn,
    /// Optional gradient pass (used by gradient methods); NULL if unavailable.
    pub gradient: GradientFn,
    /// Passed unchanged to every callback.
    pub user_data: *mut c_void,
    /// Optional; called once with `user_data` when the model is freed (not on failure of
    /// `lumen_model_new`, where the caller keeps ownership of `user_data`).
    pub finalize: FinalizeFn,
    /// Optional names of the `input_len` input elements (UTF-8, copied).
    pub feature_names: *const *const c_char,
    /// Number of entries in `feature_names`: 0 or `input_len`.
    pub feature_names_len: usize,
    /// Optional layer activations and gradients for Grad-CAM; NULL if unavailable.
    pub layer_gradient: LayerGradientFn,
    /// Shape `{C, h, w}` of that layer; all zero without `layer_gradient`.
    pub layer_shape: [usize; 3],
    /// ABI 3: element type of the input rows a device model reads (`LUMEN_DTYPE_*`);
    /// `LUMEN_DTYPE_F32` for host models. Outputs and gradients are always f32.
    pub input_dtype: u32,
    /// ABI 3: the forward pass of a `LUMEN_MEMORY_DEVICE` model, required for one and NULL
    /// otherwise: `inputs` and `outputs` are device addresses, work goes on `stream` (a
    /// `CUstream` of the device's primary context).
    pub predict_device: PredictDeviceFn,
    /// ABI 3: the optional gradient pass of a device model (device addresses; `outputs` 0
    /// when not wanted; work on `stream`); NULL if unavailable.
    pub gradient_device: GradientDeviceFn,
    /// ABI 4: `LUMEN_ELEMENT_F32` (0, the default: `predict`, `gradient` and
    /// `layer_gradient` take floats) or `LUMEN_ELEMENT_F64` (the `_f64` callbacks below take
    /// doubles, and the float ones must be NULL).
    pub element_type: u32,
    /// ABI 4: the forward pass of a `LUMEN_ELEMENT_F64` model: reads `rows × input_len`
    /// doubles, writes `rows × output_len` doubles, returns 0 on success.
    pub predict_f64: PredictF64Fn,
    /// ABI 4: the optional gradient pass of a `LUMEN_ELEMENT_F64` model, on doubles.
    pub gradient_f64: GradientF64Fn,
    /// ABI 4: the optional Grad-CAM layer callback of a `LUMEN_ELEMENT_F64` model, on doubles.
    pub layer_gradient_f64: LayerGradientF64Fn,
}

/// The descriptor of ABI version 2 (a prefix of the current one), read for callers that
/// were compiled against it.
#[repr(C)]
#[derive(Clone, Copy)]
struct ModelDescV2 {
    abi_version: u32,
    flags: u32,
    memory_space: u32,
    input_len: usize,
    input_shape: *const usize,
    input_rank: usize,
    output_len: usize,
    max_batch_rows: usize,
    predict: PredictFn,
    gradient: GradientFn,
    user_data: *mut c_void,
    finalize: FinalizeFn,
    feature_names: *const *const c_char,
    feature_names_len: usize,
    layer_gradient: LayerGradientFn,
    layer_shape: [usize; 3],
}

impl ModelDescV2 {
    /// The current descriptor with the version-3 fields absent.
    fn upgrade(self) -> lumen_model_desc {
        lumen_model_desc {
            abi_version: self.abi_version,
            flags: self.flags,
            memory_space: self.memory_space,
            input_len: self.input_len,
            input_shape: self.input_shape,
            input_rank: self.input_rank,
            output_len: self.output_len,
            max_batch_rows: self.max_batch_rows,
            predict: self.predict,
            gradient: self.gradient,
            user_data: self.user_data,
            finalize: self.finalize,
            feature_names: self.feature_names,
            feature_names_len: self.feature_names_len,
            layer_gradient: self.layer_gradient,
            layer_shape: self.layer_shape,
            input_dtype: LUMEN_DTYPE_F32,
            predict_device: None,
            gradient_device: None,
            element_type: LUMEN_ELEMENT_F32,
            predict_f64: None,
            gradient_f64: None,
            layer_gradient_f64: None,
        }
    }
}

/// The descriptor of ABI version 3: the current one without the version-4 fields (from
/// `element_type` on), which keep their defaults (a float model).
///
/// # Safety
/// `desc` points to a readable version-3 descriptor.
unsafe fn read_v3(desc: *const lumen_model_desc) -> Result<lumen_model_desc, FfiError> {
    // SAFETY: a version-3 descriptor begins like the version-2 one.
    let mut current = unsafe { reference(desc.cast::<ModelDescV2>(), "desc")? }.upgrade();
    let prefix = std::mem::offset_of!(lumen_model_desc, element_type);
    // SAFETY: the caller's version-3 struct holds `prefix` readable bytes (its layout is
    // the current one up to `element_type`); `current` is a local of at least that size.
    unsafe { std::ptr::copy_nonoverlapping(desc.cast::<u8>(), (&raw mut current).cast::<u8>(), prefix) };
    Ok(current)
}

/// Reads the caller's descriptor according to its `abi_version` (current or version 2).
///
/// # Safety
/// `desc` is NULL or points to a descriptor of the version its first field names.
unsafe fn read_desc(desc: *const lumen_model_desc) -> Result<lumen_model_desc, FfiError> {
    // SAFETY: every descriptor version starts with `abi_version: u32`.
    let version = *unsafe { reference(desc.cast::<u32>(), "desc")? };
    match version {
        LUMEN_MODEL_ABI_VERSION => {
            // SAFETY: a current-version descriptor, by the caller's contract.
            Ok(*unsafe { reference(desc, "desc")? })
        }
        3 => {
            // SAFETY: a version-3 descriptor, by the caller's contract.
            unsafe { read_v3(desc) }
        }
        2 => {
            // SAFETY: a version-2 descriptor is the prefix the caller's header declared.
            Ok(unsafe { reference(desc.cast::<ModelDescV2>(), "desc")? }.upgrade())
        }
        other => Err(FfiError::new(
            lumen_status::AbiVersionMismatch,
            format!(
                "desc.abi_version: is {other}, this library reads LUMEN_MODEL_ABI_VERSION {LUMEN_MODEL_ABI_VERSION} (and the older versions {LUMEN_MODEL_ABI_VERSION_OLDEST} to 3)"
            ),
        )),
    }
}

/// A model handle. Thread-safe as far as Lumen is concerned; calls into the callbacks
/// follow `LUMEN_MODEL_CONCURRENT`.
#[allow(non_camel_case_types)]
pub struct lumen_model {
    /// The element type the model declared.
    element: ElementType,
    /// The model as a `Box<dyn Model<E>>` of its element type `E`.
    model: Box<dyn std::any::Any + Send + Sync>,
    /// The model's signature, whatever its element type.
    signature: ModelSignature,
}

impl Handle for lumen_model {
    const NAME: &'static str = "lumen_model";
}

impl lumen_model {
    /// The element type the model declared.
    pub fn element_type(&self) -> ElementType {
        self.element
    }

    /// The model's signature, whatever its element type.
    pub fn signature(&self) -> &ModelSignature {
        &self.signature
    }

    /// The model behind the handle when it takes elements of type `E`, for Rust hosts that
    /// build models from C descriptors (e.g. the `lumen` command's plugins, checked by
    /// `lumen_model_new`); else `ElementTypeMismatch` naming both types.
    pub fn typed<E: Element>(&self) -> crate::Result<&dyn Model<E>> {
        match self.model.downcast_ref::<Box<dyn Model<E>>>() {
            Some(model) => Ok(model.as_ref()),
            None => Err(Error::new(
                ErrorKind::ElementTypeMismatch,
                format!(
                    "inputs: are {} but the model declares {} elements; {}",
                    E::TYPE.c_name(),
                    self.element.c_name(),
                    match self.element {
                        ElementType::F64 => "explain a double model with the _f64 exports",
                        ElementType::F32 => "explain a float model with the exports without _f64",
                    }
                ),
            )),
        }
    }
}

/// Wraps a Rust [`Model`] of element type `E` (e.g. a built-in model) into a handle the C
/// API accepts. Free it with `lumen_model_free`.
pub fn model_into_handle<E: Element>(model: Box<dyn Model<E>>) -> *mut lumen_model {
    let signature = model.signature().clone();
    into_handle(lumen_model { element: E::TYPE, model: Box::new(model), signature })
}

/// The element type a descriptor declares, checked against the callbacks it sets.
fn element_type_of(desc: &lumen_model_desc) -> Result<ElementType, FfiError> {
    let float_callbacks = desc.predict.is_some() || desc.gradient.is_some() || desc.layer_gradient.is_some();
    let double_callbacks =
        desc.predict_f64.is_some() || desc.gradient_f64.is_some() || desc.layer_gradient_f64.is_some();
    match desc.element_type {
        LUMEN_ELEMENT_F32 if double_callbacks => Err(FfiError::new(
            lumen_status::ElementTypeMismatch,
            "desc.predict_f64: double callbacks are set but element_type is LUMEN_ELEMENT_F32; set element_type = LUMEN_ELEMENT_F64",
        )),
        LUMEN_ELEMENT_F32 => Ok(ElementType::F32),
        LUMEN_ELEMENT_F64 if desc.memory_space == LUMEN_MEMORY_DEVICE => Err(FfiError::new(
            lumen_status::ElementTypeUnsupported,
            "desc.element_type: LUMEN_ELEMENT_F64 is for host-memory models; a LUMEN_MEMORY_DEVICE model takes float, half or bfloat16 rows",
        )),
        LUMEN_ELEMENT_F64 if float_callbacks => Err(FfiError::new(
            lumen_status::ElementTypeMismatch,
            "desc.predict: float callbacks are set on a LUMEN_ELEMENT_F64 model; set predict_f64, gradient_f64 and layer_gradient_f64 instead",
        )),
        LUMEN_ELEMENT_F64 if desc.predict_f64.is_none() => Err(FfiError::null("desc.predict_f64")),
        LUMEN_ELEMENT_F64 => Ok(ElementType::F64),
        other => Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!("desc.element_type: is {other}, expected LUMEN_ELEMENT_F32 (0) or LUMEN_ELEMENT_F64 (1)"),
        )),
    }
}

/// Checks a descriptor and builds the model handle from it.
///
/// # Safety
/// The descriptor's pointers must satisfy `lumen_model_desc`'s documentation.
unsafe fn model_handle_from(desc: &lumen_model_desc) -> Result<*mut lumen_model, FfiError> {
    let element = element_type_of(desc)?;
    // SAFETY: forwarded contract of the descriptor.
    let signature = unsafe { signature_from(desc, element)? };
    let finalize = desc.finalize;
    let user_data = desc.user_data;
    match element {
        ElementType::F64 => {
            let callbacks = HostCallbacks {
                predict: desc.predict_f64,
                gradient: desc.gradient_f64,
                layer_gradient: desc.layer_gradient_f64,
                finalize,
                user_data,
            };
            let model: HostModel<f64> = HostModel::new(signature, callbacks)?;
            Ok(model_into_handle::<f64>(Box::new(model)))
        }
        ElementType::F32 => {
            let callbacks = HostCallbacks {
                predict: desc.predict,
                gradient: desc.gradient,
                layer_gradient: desc.layer_gradient,
                finalize,
                user_data,
            };
            let model = HostModel::new(signature, callbacks)?;
            let model = match desc.memory_space {
                LUMEN_MEMORY_DEVICE => model.with_device(DeviceCallbacks {
                    predict: desc.predict_device,
                    gradient: desc.gradient_device,
                    input_dtype: input_dtype_of(desc)?,
                })?,
                _ => model,
            };
            Ok(model_into_handle::<f32>(Box::new(model)))
        }
    }
}

/// The device input type a descriptor declares.
fn input_dtype_of(desc: &lumen_model_desc) -> Result<InputDtype, FfiError> {
    let device = desc.memory_space == LUMEN_MEMORY_DEVICE;
    match (desc.input_dtype, device) {
        (LUMEN_DTYPE_F32, _) => Ok(InputDtype::F32),
        (LUMEN_DTYPE_F16, true) => Ok(InputDtype::F16),
        (LUMEN_DTYPE_BF16, true) => Ok(InputDtype::Bf16),
        (other, _) => Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!(
                "desc.input_dtype: is {other}, expected LUMEN_DTYPE_F32 (0), or for a device model LUMEN_DTYPE_F16 (1) or LUMEN_DTYPE_BF16 (2)"
            ),
        )),
    }
}

/// Checks a descriptor's shape, flags and memory space and builds the signature of a
/// model of element type `element`.
///
/// # Safety
/// The descriptor's pointers must satisfy `lumen_model_desc`'s documentation.
unsafe fn signature_from(desc: &lumen_model_desc, element: ElementType) -> Result<ModelSignature, FfiError> {
    let device = desc.memory_space == LUMEN_MEMORY_DEVICE;
    if element == ElementType::F32 && desc.predict.is_none() && !device {
        return Err(FfiError::null("desc.predict"));
    }
    if device && desc.predict_device.is_none() {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            "desc.predict_device: is NULL, expected the forward pass of a LUMEN_MEMORY_DEVICE model (ABI version 3)",
        ));
    }
    if !device && (desc.predict_device.is_some() || desc.gradient_device.is_some()) {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            "desc.predict_device: device callbacks need memory_space = LUMEN_MEMORY_DEVICE",
        ));
    }
    input_dtype_of(desc)?;
    let unknown_flags = desc.flags & !LUMEN_MODEL_CONCURRENT;
    if unknown_flags != 0 {
        return Err(FfiError::new(
            lumen_status::InvalidArgument,
            format!("desc.flags: unknown bits {unknown_flags:#x}; expected a combination of LUMEN_MODEL_CONCURRENT"),
        ));
    }
    let memory_space = match desc.memory_space {
        LUMEN_MEMORY_HOST => MemorySpace::Host,
        LUMEN_MEMORY_DEVICE => MemorySpace::Device,
        other => {
            return Err(FfiError::new(
                lumen_status::InvalidArgument,
                format!("desc.memory_space: is {other}, expected LUMEN_MEMORY_HOST (0) or LUMEN_MEMORY_DEVICE (1)"),
            ))
        }
    };
    if desc.input_len == 0 {
        return Err(FfiError::new(lumen_status::InvalidArgument, "desc.input_len: is 0, expected >= 1"));
    }
    // SAFETY: forwarded contract of the descriptor.
    let shape = unsafe { slice(desc.input_shape, desc.input_rank, "desc.input_shape")? };
    let input_shape = if shape.is_empty() { vec![desc.input_len] } else { shape.to_vec() };
    let product = input_shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    if product != Some(desc.input_len) {
        let elements =
            product.map_or_else(|| "more elements than a size_t counts".to_owned(), |n| format!("{n} elements"));
        return Err(FfiError::new(
            lumen_status::LengthMismatch,
            format!("desc.input_shape: {input_shape:?} has {elements}, expected desc.input_len = {}", desc.input_len),
        ));
    }
    let feature_names = match desc.feature_names_len {
        0 => None,
        // SAFETY: forwarded contract of the descriptor.
        n => Some(unsafe { strings(desc.feature_names, n, "desc.feature_names")? }),
    };
    let with_layer = desc.layer_gradient.is_some() || desc.layer_gradient_f64.is_some();
    let layer_shape = match (with_layer, desc.layer_shape) {
        (false, [0, 0, 0]) => None,
        (true, shape) if !shape.contains(&0) => Some(shape),
        (with_callback, shape) => {
            let expected = if with_callback { "all non-zero with layer_gradient" } else { "all zero without it" };
            let message = format!("desc.layer_shape: is {shape:?}, expected {expected}");
            return Err(FfiError::new(lumen_status::InvalidArgument, message));
        }
    };
    let signature = ModelSignature {
        input_shape,
        output_len: desc.output_len,
        max_batch_rows: (desc.max_batch_rows > 0).then_some(desc.max_batch_rows),
        concurrent: desc.flags & LUMEN_MODEL_CONCURRENT != 0,
        memory_space,
        feature_names,
        layer_shape,
        element_type: element,
    };
    signature.validate()?;
    Ok(signature)
}

/// Creates a model from a descriptor. On success `*out` holds a new model (free it with
/// `lumen_model_free`, which calls `finalize`); on failure nothing is written and
/// `user_data` still belongs to the caller. `LUMEN_STATUS_ABI_VERSION_MISMATCH` when
/// `abi_version` is neither `LUMEN_MODEL_ABI_VERSION` nor `LUMEN_MODEL_ABI_VERSION_OLDEST`
/// (a version-2 descriptor is read without the version-3 fields).
///
/// # Safety
/// `desc` points to a valid descriptor whose pointers follow its field documentation;
/// `out` is a valid pointer.
#[no_mangle]
pub unsafe extern "C" fn lumen_model_new(desc: *const lumen_model_desc, out: *mut *mut lumen_model) -> lumen_status {
    boundary("lumen_model_new", || {
        check_out(out, "out")?;
        // SAFETY: validity is the caller's contract.
        let desc = unsafe { read_desc(desc)? };
        // SAFETY: as above.
        let handle = unsafe { model_handle_from(&desc)? };
        // SAFETY: `out` passed `check_out`.
        unsafe { write_out(out, handle) };
        Ok(())
    })
}

/// Frees a model and calls its `finalize`. `NULL` is a no-op. No explanation may be
/// running with it.
/// Called from inside a model callback it frees nothing and leaves the reason in
/// `lumen_last_error_message()`.
///
/// # Safety
/// `model` is NULL or a pointer returned by `lumen_model_new` and not yet freed.
#[no_mangle]
pub unsafe extern "C" fn lumen_model_free(model: *mut lumen_model) {
    boundary_or("lumen_model_free", (), || {
        // SAFETY: the caller's contract; the registry refuses what is no live lumen_model.
        unsafe { free_handle(model, "lumen_model_free", "model") }
    })
}
