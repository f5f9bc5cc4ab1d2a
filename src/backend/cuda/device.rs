//! One CUDA device as the backend uses it: its context and stream, the reason it cannot
//! be used (probed before cudarc is touched: cudarc panics when the driver library is
//! missing), and its kernels, compiled by NVRTC on first use and cached per device.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::driver::{CudaContext, CudaFunction, CudaStream, DriverError};

use super::kernels::{self, FAMILIES};
use crate::error::{Error, ErrorKind, Result};

/// A CUDA device with its stream and (once compiled) its kernels.
#[derive(Debug)]
pub struct CudaDevice {
    context: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    name: String,
    arch: &'static str,
    functions: Mutex<Option<Arc<HashMap<&'static str, CudaFunction>>>>,
}

/// Turns a driver failure during `operation` into an engine error.
pub fn driver_error(operation: &str, error: DriverError) -> Error {
    Error::new(ErrorKind::BackendUnavailable, format!("cuda: {operation} failed: {error}"))
}

/// Why the CUDA backend cannot run on this machine, or `None` when it can: the driver
/// library, a device, and the NVRTC library must all be present.
pub fn unavailable_reason() -> Option<String> {
    // SAFETY: only probes for the shared library; no driver function is called.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Some(
            "the CUDA driver library (libcuda.so.1) cannot be loaded: no NVIDIA driver on this machine".into(),
        );
    }
    match std::panic::catch_unwind(CudaContext::device_count) {
        Ok(Ok(count)) if count > 0 => {}
        Ok(Ok(_)) => return Some("the CUDA driver reports no device".into()),
        Ok(Err(e)) => return Some(format!("the CUDA driver failed to initialise: {e}")),
        Err(_) => return Some("the CUDA driver library could not be used (cudarc panicked while loading it)".into()),
    }
    if !kernels::nvrtc_present() {
        return Some("the NVRTC library (libnvrtc.so.12) cannot be loaded, so the kernels cannot be compiled".into());
    }
    None
}

/// Devices opened so far, by ordinal: one context, stream and kernel cache per device,
/// shared by every engine of the process.
fn opened() -> &'static Mutex<HashMap<usize, Arc<CudaDevice>>> {
    static OPENED: OnceLock<Mutex<HashMap<usize, Arc<CudaDevice>>>> = OnceLock::new();
    OPENED.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The PTX target for compute capability `major.minor`; PTX for an older target runs on
/// newer devices (the driver compiles it), so unknown newer devices get sm_90.
fn arch_of(major: i32, minor: i32) -> Option<&'static str> {
    Some(match (major, minor) {
        (8, 0) => "sm_80",
        (8, 6) => "sm_86",
        (8, 7) => "sm_87",
        (8, 9) => "sm_89",
        (8, _) => "sm_80",
        (9, _) => "sm_90",
        (m, _) if m > 9 => "sm_90",
        _ => return None,
    })
}

impl CudaDevice {
    /// Device `ordinal`, opened once per process. Fails with
    /// [`ErrorKind::BackendUnavailable`] and the reason when CUDA cannot run here.
    pub fn open(ordinal: usize) -> Result<Arc<Self>> {
        if let Some(reason) = unavailable_reason() {
            return Err(Error::new(ErrorKind::BackendUnavailable, format!("cuda: {reason}")));
        }
        let mut opened = opened().lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(device) = opened.get(&ordinal) {
            return Ok(device.clone());
        }
        let context = CudaContext::new(ordinal).map_err(|e| driver_error(&format!("opening device {ordinal}"), e))?;
        let (major, minor) =
            context.compute_capability().map_err(|e| driver_error("reading the compute capability", e))?;
        let name = context.name().unwrap_or_else(|_| format!("device {ordinal}"));
        let Some(arch) = arch_of(major, minor) else {
            return Err(Error::new(
                ErrorKind::BackendUnavailable,
                format!("cuda: {name} has compute capability {major}.{minor}; the kernels need 8.0 or newer"),
            ));
        };
        let stream = context.new_stream().map_err(|e| driver_error("creating a stream", e))?;
        let device = Arc::new(Self { context, stream, name, arch, functions: Mutex::new(None) });
        opened.insert(ordinal, device.clone());
        Ok(device)
    }

    /// The device's name and compute target, e.g. `"NVIDIA H100 80GB HBM3 (sm_90)"`.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.name, self.arch)
    }

    /// The stream every launch and copy of the backend goes to.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// The context.
    pub fn context(&self) -> &Arc<CudaContext> {
        &self.context
    }

    /// Kernel `name`, compiling every family on the first call.
    pub fn function(&self, name: &str) -> Result<CudaFunction> {
        let functions = self.functions()?;
        functions.get(name).cloned().ok_or_else(|| {
            Error::new(ErrorKind::Internal, format!("cuda: kernel {name} is not defined by any kernels/*.cu"))
        })
    }

    fn functions(&self) -> Result<Arc<HashMap<&'static str, CudaFunction>>> {
        let mut cached = self.functions.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(functions) = cached.as_ref() {
            return Ok(functions.clone());
        }
        let mut functions = HashMap::new();
        for family in &FAMILIES {
            let ptx = kernels::compile(family, self.arch)?;
            let module = self
                .context
                .load_module(ptx)
                .map_err(|e| driver_error(&format!("loading kernels/{}", family.file), e))?;
            for &kernel in family.kernels {
                let function =
                    module.load_function(kernel).map_err(|e| driver_error(&format!("loading kernel {kernel}"), e))?;
                functions.insert(kernel, function);
            }
        }
        let functions = Arc::new(functions);
        *cached = Some(functions.clone());
        Ok(functions)
    }
}
