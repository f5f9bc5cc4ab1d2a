//! `lumen demo` end to end: the binary as a user runs it.

use std::process::Command;

/// Runs `lumen`; demo runs get a small portfolio, audit and TimeSHAP global study (the core
/// is not optimised in test builds).
fn lumen(args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lumen"));
    command.args(args);
    if args.first() == Some(&"demo") {
        command.args(["--portfolio", "6", "--audit", "3", "--background", "10", "--histories", "8"]);
    }
    command.output().expect("the lumen binary runs")
}

/// A fresh folder for one test's report.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lumen-demo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn demo_explains_applicants_by_attribute_name() {
    let report = scratch("summary");
    let out = lumen(&["demo", "--applicants", "2", "--threads", "2", "--output", report.to_str().unwrap()]);
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
    // Then TimeSHAP on the first hold-out takeover: pruning keeps the takeover's 5 events.
    assert!(text.contains("\nFraud sequences: account-takeover GRU"), "{text}");
    assert!(text.contains("Hold-out history holdout-0: 48 events, the takeover starts at event 44 of 48"), "{text}");
    assert!(
        text.contains("  Pruning (η = 0.025): 5 of 48 events kept as players, the 43 older events lumped"),
        "{text}"
    );
    assert!(text.contains("  Top events (6 players, exact):\n"), "{text}");
    assert!(text.contains("  Event -5 (enrollment of a new device, "), "{text}");
    assert!(text.contains("  Top features (9 players, exact):\n"), "{text}");
    assert!(text.contains("  Top cells (17 players, sampled):\n"), "{text}");
    assert!(text.contains("  Global study of 8 hold-out histories (pruning table, as in the paper):"), "{text}");
    for eta in ["0.005", "0.025", "0.1"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(&format!("{eta} "))), "η = {eta}: {text}");
    }
    // Then the digits CNN on the first held-out image, explained three ways.
    assert!(text.contains("\nDigits: scikit-learn's 8×8 handwritten digits"), "{text}");
    assert!(
        text.contains("Test image #1500 (the first held-out image), a 1: predicted class 1 with probability"),
        "{text}"
    );
    let titles = format!("\n  {:<22}{:<22}{:<22}{}\n", "digit", "Integrated Gradients", "Occlusion 2×2", "Grad-CAM");
    assert!(text.contains(&titles), "{text}");
    assert!(
        text.contains("  Integrated Gradients (zero baseline, 50 Gauss–Legendre steps): concentration (Gini) "),
        "{text}"
    );
    assert!(text.contains("    convergence delta Σ attributions − (f(x) − f(baseline)): "), "{text}");
    assert!(text.contains("  Occlusion (2×2 windows of zeros, stride 1): concentration (Gini) "), "{text}");
    assert!(
        text.contains("  Grad-CAM (16×8×8 layer, ReLU, bilinear upsampling to 8×8): concentration (Gini) "),
        "{text}"
    );
    assert!(text.contains("  Consistency (|correlation| over the 64 pixels): IG vs Occlusion "), "{text}");
    // IG: 50 path points + f(x) + f(baseline); Occlusion: the 37 of the 7 × 7 windows that
    // cover some ink (the 12 over blank pixels only change nothing under the zero baseline and
    // need no model row) + the image + the baseline.
    assert!(text.contains("Model rows evaluated: 52 (Integrated Gradients), 39 (Occlusion), 2 (Grad-CAM)."), "{text}");
    // Eight map rows, each with the four framed maps side by side.
    let map_rows = text.lines().filter(|line| line.starts_with("  |") && line.matches('|').count() == 8).count();
    assert_eq!(map_rows, 8, "{text}");
    assert!(!text.contains("Images ("), "no images without --images: {text}");
    // The report and its records.
    assert!(text.contains("Dataset audit: counterfactuals for "), "{text}");
    assert!(text.contains(&format!("Report: {} (11 explanations, ", report.join("report.html").display())), "{text}");
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("data:image/svg+xml;base64,") && !html.contains("src=\"http"), "self-contained");
    for name in [
        "01-credit-kernel-shap",
        "03-credit-counterfactuals",
        "04-credit-counterfactual-audit",
        "05-fraud-timeshap-event",
        "08-fraud-timeshap-global",
        "11-digits-grad-cam",
    ] {
        assert!(report.join("explanations").join(format!("{name}.json")).is_file(), "{name}");
    }
    // TimeSHAP's plots: pruning curve, event and feature bars, cell heat map, global bars.
    for plot in ["05-pruning", "05-events", "06-features", "07-cells", "08-event-importance", "08-feature-importance"] {
        let png =
            std::fs::read(report.join("plots").join(format!("{plot}.png"))).unwrap_or_else(|e| panic!("{plot}: {e}"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{plot}");
    }
    for caption in [
        "TimeSHAP pruning of sequence holdout-0: 5 of 48 events kept",
        "TimeSHAP events of sequence holdout-0",
        "TimeSHAP features of sequence holdout-0",
        "TimeSHAP cells of sequence holdout-0",
        "TimeSHAP event importance by distance, 8 sequences",
        "pruning at η = 0.025",
    ] {
        assert!(html.contains(caption), "{caption}");
    }
    std::fs::remove_dir_all(&report).unwrap();
}

#[test]
fn demo_writes_the_digit_and_its_maps_as_png_images() {
    let dir = std::env::temp_dir().join(format!("lumen-demo-images-{}", std::process::id())).join("maps");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    let report = dir.parent().unwrap().join("report");
    let out =
        lumen(&["demo", "--applicants", "1", "--images", dir.to_str().unwrap(), "--output", report.to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Images (128×128 pixels, each map cell 16×16):"), "{text}");
    for name in ["digit.png", "integrated_gradients.png", "occlusion.png", "grad_cam.png"] {
        let path = dir.join(name);
        assert!(text.contains(&format!("  {}  (", path.display())), "{name}: {text}");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name} is not a PNG");
        let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes)).read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (128, 128), "{name}");
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight), "{name}");
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        reader.next_frame(&mut pixels).unwrap();
        // Not a blank image: the map's cells take several colours.
        let mut colours: Vec<&[u8]> = pixels.chunks_exact(3).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() > 4, "{name}: {} colours", colours.len());
    }
    std::fs::remove_dir_all(dir.parent().unwrap()).unwrap();
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
            "--output",
            dir.join(format!("report-{threads}")).to_str().unwrap(),
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
    assert!(first.contains("\"digits-integrated-gradients\":{"), "{first}");
    assert!(first.contains("\"row_labels\":[\"image #1500 (a 1)\"]"), "{first}");
    assert!(first.contains("\"kind\":\"counterfactual_dataset_audit\""), "{first}");
    // TimeSHAP's records, local and global, are thread-independent too.
    assert!(first.contains("\"fraud-timeshap-cell\":{") && first.contains("\"method\":\"time_shap\""), "{first}");
    assert!(first.contains("\"kind\":\"timeshap_global\""), "{first}");
    for method in ["integrated_gradients", "occlusion", "grad_cam"] {
        assert!(first.contains(&format!("\"method\":\"{method}\"")), "{method}: {first}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_fail_with_a_reason() {
    let out = lumen(&["demo", "--applicants", "0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--applicants"));
    let out = lumen(&["demo", "--backend", "cuda", "--output", scratch("cuda").to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("lumen: backend: cuda was requested"), "{stderr}");
}
