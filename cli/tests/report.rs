//! `lumen report` end to end: explanation records from `lumen explain` (and the engine's
//! bare audit JSON) into one self-contained HTML file, and bad records.

mod common;

use common::{fails, lumen, scratch, succeeds, write};

#[test]
fn report_inlines_every_plot_and_the_audit_metadata() {
    let dir = scratch("report");
    let rows = dir.join("credit.csv");
    succeeds(&lumen(&["models", "--sample", "german-credit-mlp", "--rows", "3", "--output", rows.to_str().unwrap()]));
    let shap = dir.join("shap");
    succeeds(&lumen(&[
        "explain",
        "--model",
        "german-credit-mlp",
        "--input",
        rows.to_str().unwrap(),
        "--method",
        "kernel-shap",
        "--budget",
        "200",
        "--seed",
        "11",
        "--output",
        shap.to_str().unwrap(),
    ]));
    let digits = dir.join("digits.csv");
    succeeds(&lumen(&["models", "--sample", "digits-cnn", "--rows", "1", "--output", digits.to_str().unwrap()]));
    let occlusion = dir.join("occlusion");
    succeeds(&lumen(&[
        "explain",
        "--model",
        "digits-cnn",
        "--input",
        digits.to_str().unwrap(),
        "--method",
        "occlusion",
        "--target",
        "1",
        "--window",
        "1,2,2",
        "--output",
        occlusion.to_str().unwrap(),
    ]));
    // The engine's own JSON without the command's context is a record too.
    let bare = {
        let mut value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(shap.join("explanation.json")).unwrap()).unwrap();
        value.as_object_mut().unwrap().remove("context");
        write(&dir, "bare.json", &value.to_string())
    };
    let out = dir.join("report");
    let text = succeeds(&lumen(&[
        "report",
        shap.join("explanation.json").to_str().unwrap(),
        occlusion.join("explanation.json").to_str().unwrap(),
        &bare,
        "--output",
        out.to_str().unwrap(),
        "--title",
        "Portfolio review",
    ]));
    // KernelSHAP: 3 waterfalls + bars + beeswarm; Occlusion: 1 heat map; bare: 3 + 2.
    assert!(text.contains("(3 explanations, 11 plots;"), "{text}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<title>Portfolio review</title>"));
    assert_eq!(html.matches("<img src=\"data:image/svg+xml;base64,").count(), 11);
    assert!(!html.contains("src=\"http") && !html.contains("<link"), "self-contained");
    for fact in [
        "<tr><th>method</th><td>KernelSHAP</td></tr>",
        "<tr><th>seed</th><td>11</td></tr>",
        "<tr><th>model</th><td>german-credit-mlp</td></tr>",
        "<th>standard error of the values</th>",
        "<th>completeness gap, max |Σ attributions − (f(x) − base)|</th>",
        "<tr><th>method</th><td>Occlusion</td></tr>",
        "<th>model evaluations</th><td>",
        "<th>backend</th><td>cpu",
    ] {
        assert!(html.contains(fact), "{fact}");
    }
    // The workspace shares one version, so the CLI's is the library's.
    let version = format!("<tr><th>library version</th><td>lumen {}</td></tr>", env!("CARGO_PKG_VERSION"));
    assert!(html.contains(&version), "{version}");
    let plots: Vec<_> = std::fs::read_dir(out.join("plots")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(plots.len(), 22, "an SVG and a PNG per plot: {plots:?}");
}

#[test]
fn bad_records_fail_with_a_reason() {
    let dir = scratch("report-bad");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    fails(&lumen(&["report", dir.join("none.json").to_str().unwrap(), "--output", out]), 3, "none.json: cannot read: ");
    fails(&lumen(&["report", &write(&dir, "text.json", "rows,1"), "--output", out]), 3, "text.json: not JSON: ");
    fails(
        &lumen(&["report", &write(&dir, "other.json", "{\"a\":1}"), "--output", out]),
        3,
        "other.json: not a Lumen explanation record: no 'method' field",
    );
    fails(&lumen(&["report", "--output", out]), 2, "see 'lumen report --help'");
}
