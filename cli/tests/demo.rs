//! `lumen demo` end to end: the binary as a user runs it.

use std::process::Command;

fn lumen(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lumen")).args(args).output().expect("the lumen binary runs")
}

#[test]
fn demo_explains_applicants_by_attribute_name() {
    let out = lumen(&["demo", "--applicants", "2", "--threads", "2"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Applicant #800: score"), "{text}");
    assert!(text.contains("Applicant #801: score"), "{text}");
    assert!(!text.contains("Applicant #802"), "{text}");
    assert!(text.contains("raised the score:") && text.contains("lowered the score:"), "{text}");
    assert!(text.contains("checking account = "), "{text}");
    // Feature Ablation: 2 applicants × (20 attributes + the applicant) + the shared baseline row.
    assert!(text.contains("Model rows evaluated: 43 (Feature Ablation)"), "{text}");
    assert!(text.contains("base value (average over the background applicants)"), "{text}");
    assert!(text.contains("KernelSHAP (2088 coalitions of the 20 attributes"), "{text}");
    // Applicant #800 scores below the 5/6 cutoff: declined, with reason codes.
    assert!(text.contains("DECLINED. Reason codes"), "{text}");
    assert!(text.contains("      1. "), "{text}");
    // ...and counterfactuals that would be approved, with credit scores and sentences.
    assert!(text.contains("Counterfactuals for applicant #800 (PermuteAttack"), "{text}");
    assert!(text.contains("credit score (600 at 20:1, PDO 15)"), "{text}");
    assert!(text.contains("  CF1: if ") && text.contains("the applicant would be approved"), "{text}");
}

#[test]
fn demo_writes_a_reproducible_audit_record() {
    let dir = std::env::temp_dir().join(format!("lumen-demo-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let paths = [dir.join("one-thread.json"), dir.join("two-threads.json")];
    for (path, threads) in paths.iter().zip(["1", "2"]) {
        let out = lumen(&[
            "demo",
            "--applicants",
            "3",
            "--seed",
            "42",
            "--threads",
            threads,
            "--json",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    }
    let first = std::fs::read_to_string(&paths[0]).unwrap();
    assert_eq!(first, std::fs::read_to_string(&paths[1]).unwrap(), "the audit record must not depend on threads");
    assert!(first.contains("\"method\":\"feature_ablation\""), "{first}");
    assert!(first.contains("\"method\":\"kernel_shap\""), "{first}");
    assert!(first.contains("\"seed\":42"), "{first}");
    assert!(first.contains("\"feature_names\":[\"checking account\""), "{first}");
    assert!(first.contains("\"standard_errors\":["), "{first}");
    assert!(first.contains("\"method\":\"permute_attack\""), "{first}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_fail_with_a_reason() {
    let out = lumen(&["demo", "--applicants", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--applicants"));
    let out = lumen(&["demo", "--backend", "cuda"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("lumen: backend: cuda was requested"), "{stderr}");
}
