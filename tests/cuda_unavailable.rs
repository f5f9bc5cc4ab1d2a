//! Where CUDA cannot run (no driver, no device, or a build without the `cuda` feature):
//! `backend=cuda` answers LUMEN_STATUS_BACKEND_UNAVAILABLE with the reason through the C
//! ABI and the Rust API, `backend=auto` falls back to the CPU with the reason recorded in
//! the explanation's audit metadata, and a device-memory model is refused with the same
//! status. On a machine where CUDA does run, the same tests check the opposite choice.

mod common;

use std::ffi::CStr;
use std::ptr;

use common::Linear;
use lumen::backend::BackendKind;
use lumen::ffi::engine::{self, LUMEN_BACKEND_AUTO, LUMEN_BACKEND_CUDA};
use lumen::ffi::model::{lumen_model_free, lumen_model_new, LUMEN_MEMORY_DEVICE};
use lumen::ffi::version::{LUMEN_MODEL_ABI_VERSION, LUMEN_MODEL_ABI_VERSION_OLDEST};
use lumen::ffi::{lumen_model_desc, lumen_status};
use lumen::{occlusion, BackendChoice, Engine, EngineConfig, ErrorKind, OcclusionParams};

fn last_error() -> String {
    // SAFETY: lumen_last_error_message never returns NULL and the string is NUL-terminated.
    unsafe { CStr::from_ptr(lumen::ffi::boundary::lumen_last_error_message()) }.to_string_lossy().into_owned()
}

/// Whether this build and machine can run the CUDA backend.
fn cuda_runs_here() -> bool {
    Engine::new(EngineConfig { backend: BackendChoice::Cuda, ..Default::default() }).is_ok()
}

/// The reason this build gives for not running CUDA, as the engine reports it.
fn expected_reason() -> &'static str {
    if cfg!(feature = "cuda") {
        // This machine has no NVIDIA driver (the CI case); a machine with a driver but no
        // device or NVRTC names those instead.
        "cuda"
    } else {
        "built without the `cuda` feature"
    }
}

#[test]
fn cuda_request_answers_backend_unavailable_through_the_c_abi() {
    if cuda_runs_here() {
        eprintln!("CUDA runs here: the unavailable path is not reachable on this machine");
        return;
    }
    let mut options = engine::lumen_engine_options_default();
    options.backend = LUMEN_BACKEND_CUDA;
    let mut handle = ptr::null_mut();
    // SAFETY: valid options and out pointer.
    let status = unsafe { engine::lumen_engine_new(&options, &mut handle) };
    assert_eq!(status, lumen_status::BackendUnavailable);
    assert!(handle.is_null(), "no engine is written on failure");
    let message = last_error();
    assert!(message.contains("backend: cuda was requested but "), "{message}");
    assert!(message.contains(expected_reason()), "{message}");
    if cfg!(feature = "cuda") {
        // The driver probe ran first: the reason names what is missing, not a panic.
        assert!(message.contains("driver") || message.contains("device") || message.contains("NVRTC"), "{message}");
        assert!(!message.contains("panicked"), "{message}");
    }
}

#[test]
fn auto_records_why_it_chose_its_backend_in_the_explanation() {
    let engine = Engine::new(EngineConfig { backend: BackendChoice::Auto, threads: 1, ..Default::default() }).unwrap();
    let model = Linear::new(&[4], vec![vec![1.0, 2.0, 3.0, 4.0]], vec![0.0]);
    let e = occlusion(&engine, &model, &[1.0; 4], 1, &OcclusionParams::new(vec![2])).unwrap();
    let note = e.audit.backend_note.clone().expect("auto always says why");
    eprintln!("backend note: {note}");
    if cuda_runs_here() {
        assert_eq!(e.audit.backend, BackendKind::Cuda);
        assert!(note.starts_with("auto chose cuda"), "{note}");
    } else {
        assert_eq!(e.audit.backend, BackendKind::Cpu);
        assert!(note.starts_with("auto chose cpu: "), "{note}");
        assert!(note.contains(expected_reason()), "{note}");
    }
    // The reason travels into the audit JSON too.
    let json = e.to_json().unwrap();
    assert!(json.contains(&format!("\"backend_note\":{}", serde_json::to_string(&note).unwrap())), "{json}");
    // And auto's result equals the CPU reference's here.
    assert_eq!(e.attributions, vec![3.0, 4.0, 6.0, 7.0]);
}

#[test]
fn auto_engine_reports_its_backend_through_the_c_abi() {
    let mut options = engine::lumen_engine_options_default();
    options.backend = LUMEN_BACKEND_AUTO;
    let mut handle = ptr::null_mut();
    // SAFETY: valid options and out pointer.
    assert_eq!(unsafe { engine::lumen_engine_new(&options, &mut handle) }, lumen_status::Ok);
    let mut backend = u32::MAX;
    // SAFETY: `handle` is a live engine; `backend` a valid out pointer.
    assert_eq!(unsafe { engine::lumen_engine_backend(handle, &mut backend) }, lumen_status::Ok);
    assert_eq!(backend, if cuda_runs_here() { LUMEN_BACKEND_CUDA } else { lumen::ffi::engine::LUMEN_BACKEND_CPU });
    // SAFETY: frees the engine created above, once.
    unsafe { engine::lumen_engine_free(handle) };
}

unsafe extern "C" fn never_called(_: *mut std::ffi::c_void, _: u64, _: usize, _: u64, _: *mut std::ffi::c_void) -> i32 {
    99
}

unsafe extern "C" fn host_never_called(_: *mut std::ffi::c_void, _: *const f32, _: usize, _: *mut f32) -> i32 {
    99
}

fn device_desc() -> lumen_model_desc {
    // SAFETY: the descriptor is plain data; all-zero is its documented starting point.
    let mut desc: lumen_model_desc = unsafe { std::mem::zeroed() };
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.memory_space = LUMEN_MEMORY_DEVICE;
    desc.input_len = 4;
    desc.output_len = 1;
    desc.predict_device = Some(never_called);
    desc
}

#[test]
fn device_models_are_described_by_abi_3_and_refused_without_cuda() {
    let mut handle = ptr::null_mut();
    // SAFETY: a valid descriptor and out pointer.
    assert_eq!(unsafe { lumen_model_new(&device_desc(), &mut handle) }, lumen_status::Ok);
    // SAFETY: frees the model created above.
    unsafe { lumen_model_free(handle) };

    let mut no_callback = device_desc();
    no_callback.predict_device = None;
    let mut handle = ptr::null_mut();
    // SAFETY: as above.
    assert_eq!(unsafe { lumen_model_new(&no_callback, &mut handle) }, lumen_status::InvalidArgument);
    assert!(last_error().contains("desc.predict_device: is NULL"), "{}", last_error());

    let mut half_on_host = device_desc();
    half_on_host.memory_space = 0;
    half_on_host.predict_device = None;
    half_on_host.predict = Some(host_never_called);
    half_on_host.input_dtype = lumen::ffi::model::LUMEN_DTYPE_F16;
    // SAFETY: as above.
    assert_eq!(unsafe { lumen_model_new(&half_on_host, &mut handle) }, lumen_status::InvalidArgument);
    assert!(last_error().contains("desc.input_dtype: is 1"), "{}", last_error());

    // A version-2 descriptor cannot describe a device model (it has no predict_device).
    let mut old = device_desc();
    old.abi_version = LUMEN_MODEL_ABI_VERSION_OLDEST;
    // SAFETY: as above; a v2 reader reads a prefix of this struct.
    assert_eq!(unsafe { lumen_model_new(&old, &mut handle) }, lumen_status::InvalidArgument);
    assert!(last_error().contains("predict_device"), "{}", last_error());
}

/// A device-memory model in Rust: never called here, because the engine has no CUDA.
struct DeviceOnly(lumen::ModelSignature);

impl lumen::Model for DeviceOnly {
    fn signature(&self) -> &lumen::ModelSignature {
        &self.0
    }
    fn predict(&self, _: &[f32], _: usize, _: &mut [f32]) -> lumen::Result<()> {
        panic!("a device-memory model's host predict must never be called");
    }
}

#[test]
fn a_device_model_on_a_cpu_engine_is_backend_unavailable_with_the_reason() {
    let engine = Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 1, ..Default::default() }).unwrap();
    let mut signature = lumen::ModelSignature::flat(4, 1);
    signature.memory_space = lumen::model::MemorySpace::Device;
    let e = occlusion(&engine, &DeviceOnly(signature), &[1.0; 4], 1, &OcclusionParams::new(vec![2])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BackendUnavailable);
    assert!(e.message().starts_with("model: device-memory models need an engine on the CUDA backend"), "{e}");
}
