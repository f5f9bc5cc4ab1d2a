//! The kernel sources embedded in the library (`kernels/*.cu`) and their compilation with
//! NVRTC. Each family is compiled on its own, with the shared prelude in front.

use cudarc::nvrtc::{compile_ptx_with_opts, CompileOptions, Ptx};

use crate::error::{Error, ErrorKind, Result};

/// The prelude every family starts with.
const PRELUDE: &str = include_str!("../../../kernels/common.cuh");

/// One primitive family: its file and the kernels it defines.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// File name under `kernels/`.
    pub file: &'static str,
    /// The CUDA source without the prelude.
    pub source: &'static str,
    /// The `extern "C"` kernels it defines.
    pub kernels: &'static [&'static str],
}

/// Every family, in the order the backend loads them.
pub const FAMILIES: [Family; 6] = [
    Family {
        file: "ablation.cu",
        source: include_str!("../../../kernels/ablation.cu"),
        kernels: &[
            "occlusion_build_f32",
            "occlusion_build_f16",
            "occlusion_build_bf16",
            "group_ablation_build_f32",
            "group_ablation_build_f16",
            "group_ablation_build_bf16",
            "ablation_deltas",
            "occlusion_gather",
            "group_gather",
        ],
    },
    Family {
        file: "path.cu",
        source: include_str!("../../../kernels/path.cu"),
        kernels: &[
            "path_build_f32",
            "path_build_f16",
            "path_build_bf16",
            "path_accumulate",
            "path_scale_by_difference",
            "gradient_shap_draw",
            "philox_words",
        ],
    },
    Family {
        file: "coalition.cu",
        source: include_str!("../../../kernels/coalition.cu"),
        kernels: &["coalition_build_f32", "coalition_build_f16", "coalition_build_bf16", "reduce_background"],
    },
    Family {
        file: "grad_cam.cu",
        source: include_str!("../../../kernels/grad_cam.cu"),
        kernels: &["grad_cam_channel_weights", "grad_cam_combine", "upsample_bilinear"],
    },
    Family {
        file: "solve.cu",
        source: include_str!("../../../kernels/solve.cu"),
        kernels: &["wls_normal_equations", "wls_cholesky_solve"],
    },
    Family {
        file: "buffers.cu",
        source: include_str!("../../../kernels/buffers.cu"),
        kernels: &["convert_f32_to_f16", "convert_f32_to_bf16", "first_non_finite"],
    },
];

/// The full source of `family` as NVRTC compiles it.
pub fn full_source(family: &Family) -> String {
    format!("{PRELUDE}\n#line 1 \"{}\"\n{}", family.file, family.source)
}

/// Whether the NVRTC library can be loaded (cudarc panics on first use when it cannot).
pub fn nvrtc_present() -> bool {
    // SAFETY: only probes for the shared library; no NVRTC function is called.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// Compiles `family` to PTX for `arch` (e.g. `"sm_90"`). FMA contraction is off so that
/// products round as on the CPU reference.
pub fn compile(family: &Family, arch: &'static str) -> Result<Ptx> {
    if !nvrtc_present() {
        return Err(Error::new(
            ErrorKind::BackendUnavailable,
            "cuda: the NVRTC library (libnvrtc.so.12) cannot be loaded; install the CUDA runtime or pip's nvidia-cuda-nvrtc-cu12 and put its lib folder on LD_LIBRARY_PATH",
        ));
    }
    let options = CompileOptions {
        arch: Some(arch),
        fmad: Some(false),
        options: vec!["--std=c++17".into()],
        name: Some(family.file.into()),
        ..Default::default()
    };
    compile_ptx_with_opts(full_source(family), options).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("cuda: NVRTC could not compile kernels/{} for {arch}: {e}", family.file),
        )
    })
}
