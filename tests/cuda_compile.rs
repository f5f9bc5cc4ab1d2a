//! Every kernel in `kernels/` compiles with NVRTC for sm_80 and sm_90, and the PTX
//! defines every kernel the backend loads. Needs the NVRTC library, not a GPU: with
//! `LUMEN_REQUIRE_NVRTC=1` a missing NVRTC fails the test, otherwise it is skipped with a
//! message (CI sets the variable; see scripts/cuda-ci.sh). When `LUMEN_PTXAS` names a
//! `ptxas` (pip's nvidia-cuda-nvcc-cu12 ships one), the PTX is also assembled into
//! machine code for the same target, which catches what NVRTC leaves to the assembler
//! (invalid instructions for the target, resource limits).
#![cfg(feature = "cuda")]

use lumen::backend::cuda::kernels::{self, FAMILIES};

/// Whether the test may run; panics when NVRTC is required but missing.
fn nvrtc_or_skip() -> bool {
    if kernels::nvrtc_present() {
        return true;
    }
    let required = std::env::var("LUMEN_REQUIRE_NVRTC").is_ok_and(|v| v == "1");
    assert!(!required, "LUMEN_REQUIRE_NVRTC=1 but libnvrtc.so.12 cannot be loaded (set LD_LIBRARY_PATH)");
    eprintln!("skipped: libnvrtc.so.12 cannot be loaded (set LUMEN_REQUIRE_NVRTC=1 to make this a failure)");
    false
}

fn compiles_for(arch: &'static str) {
    if !nvrtc_or_skip() {
        return;
    }
    for family in &FAMILIES {
        let ptx = kernels::compile(family, arch).unwrap_or_else(|e| panic!("{e}"));
        let text = ptx.to_src();
        assert!(text.contains(&format!(".target {arch}")), "{}: PTX is not for {arch}", family.file);
        for kernel in family.kernels {
            assert!(text.contains(&format!(".entry {kernel}(")), "{}: no entry {kernel} in the PTX", family.file);
        }
        // No float atomics anywhere: reductions are gathers in a fixed order.
        assert!(!text.contains("atom.global.add.f") && !text.contains("red.global.add.f"), "{}", family.file);
        assemble(family.file, arch, &text);
    }
}

/// Assembles `ptx` with `$LUMEN_PTXAS` when it is set.
fn assemble(file: &str, arch: &str, ptx: &str) {
    let Ok(ptxas) = std::env::var("LUMEN_PTXAS") else { return };
    let dir = std::env::temp_dir().join(format!("lumen-ptxas-{}-{arch}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join(file.replace(".cu", ".ptx"));
    std::fs::write(&source, ptx).unwrap();
    let output = std::process::Command::new(&ptxas)
        .arg(format!("-arch={arch}"))
        .arg("-v")
        .arg("-o")
        .arg(dir.join("out.cubin"))
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("LUMEN_PTXAS={ptxas} cannot run: {e}"));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "ptxas rejected kernels/{file} for {arch}:\n{log}");
    let spills = log.lines().filter(|l| l.contains("bytes spill stores") && !l.contains(" 0 bytes spill stores"));
    for line in spills {
        eprintln!("{file} ({arch}): {}", line.trim());
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_kernel_compiles_for_sm_80() {
    compiles_for("sm_80");
}

#[test]
fn every_kernel_compiles_for_sm_90() {
    compiles_for("sm_90");
}

#[test]
fn every_kernel_file_is_embedded() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/kernels");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".cu"))
        .collect();
    on_disk.sort();
    let mut embedded: Vec<String> = FAMILIES.iter().map(|f| f.file.to_owned()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
}

#[test]
fn the_device_mlp_of_the_gpu_checks_compiles() {
    if !nvrtc_or_skip() {
        return;
    }
    let options = cudarc::nvrtc::CompileOptions { fmad: Some(false), arch: Some("sm_80"), ..Default::default() };
    let ptx = cudarc::nvrtc::compile_ptx_with_opts(include_str!("gpu_support/mlp.cu"), options)
        .unwrap_or_else(|e| panic!("tests/gpu_support/mlp.cu: {e}"));
    for kernel in ["mlp_hidden", "mlp_output", "mlp_gradient"] {
        assert!(ptx.to_src().contains(&format!(".entry {kernel}(")), "{kernel}");
    }
}
