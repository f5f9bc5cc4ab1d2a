//! The example plugin (examples/plugin/scorecard.c) built with gcc and explained through
//! `lumen explain --plugin`, and plugins that break the contract.

mod common;

use common::{build_plugin, fails, json, lumen, root, scratch, succeeds, write};

#[test]
fn the_scorecard_plugin_is_explained_by_kernel_shap_and_integrated_gradients() {
    let dir = scratch("plugin");
    let library = dir.join("scorecard.so");
    build_plugin(&root().join("examples/plugin/scorecard.c"), &library);
    let rows = root().join("examples/plugin/applicants.csv");
    let out = dir.join("shap");
    let text = succeeds(&lumen(&[
        "explain",
        "--plugin",
        library.to_str().unwrap(),
        "--input",
        rows.to_str().unwrap(),
        "--method",
        "kernel-shap",
        "--output",
        out.to_str().unwrap(),
    ]));
    assert!(text.starts_with("KernelSHAP on scorecard.so (6 rows, output 0): "), "{text}");
    let record = json(&out.join("explanation.json"));
    assert_eq!(record["feature_names"][3], "late payments (last 12 months)");
    assert_eq!(record["context"]["output_label"], "P(good credit)");
    // Five players: KernelSHAP enumerates every coalition, so the values are exact and add up.
    for row in 0..6 {
        let values: Vec<f64> = record["attributions"].as_array().unwrap()[row * 5..row * 5 + 5]
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let total = record["base_values"][row].as_f64().unwrap() + values.iter().sum::<f64>();
        assert!((total - record["predictions"][row].as_f64().unwrap()).abs() < 1e-5, "row {row}: {values:?}");
    }
    // The first applicant (3 late payments, 45 % debt to income) is pulled down most by late payments.
    let first: Vec<f64> = record["attributions"].as_array().unwrap()[..5].iter().map(|v| v.as_f64().unwrap()).collect();
    let lowest = (0..5).min_by(|&a, &b| first[a].total_cmp(&first[b])).unwrap();
    assert_eq!(lowest, 3, "{first:?}");

    // The gradient callback: Integrated Gradients' convergence delta is small.
    let out = dir.join("ig");
    succeeds(&lumen(&[
        "explain",
        "--plugin",
        library.to_str().unwrap(),
        "--input",
        rows.to_str().unwrap(),
        "--method",
        "integrated-gradients",
        "--baseline",
        "mean",
        "--output",
        out.to_str().unwrap(),
    ]));
    let record = json(&out.join("explanation.json"));
    for diagnostics in record["diagnostics"].as_array().unwrap() {
        assert!(diagnostics["completeness_gap"][0].as_f64().unwrap().abs() < 1e-3, "{diagnostics}");
    }
    // And the report over both.
    let report = dir.join("report");
    succeeds(&lumen(&[
        "report",
        dir.join("shap/explanation.json").to_str().unwrap(),
        out.join("explanation.json").to_str().unwrap(),
        "--output",
        report.to_str().unwrap(),
    ]));
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(html.contains("1. KernelSHAP — scorecard.so") && html.contains("2. Integrated Gradients — scorecard.so"));
}

#[test]
fn plugins_that_break_the_contract_are_refused_with_a_reason() {
    let dir = scratch("plugin-bad");
    let rows = root().join("examples/plugin/applicants.csv");
    let rows = rows.to_str().unwrap();
    let explain = |library: &str| {
        lumen(&[
            "explain",
            "--plugin",
            library,
            "--input",
            rows,
            "--method",
            "kernel-shap",
            "--output",
            dir.join("out").to_str().unwrap(),
        ])
    };

    let source = write(&dir, "no_entry.c", "int lumen_plugin_other(void) { return 0; }\n");
    let library = dir.join("no_entry.so");
    build_plugin(source.as_ref(), &library);
    fails(
        &explain(library.to_str().unwrap()),
        4,
        "no_entry.so: not a Lumen plugin: it exports no `lumen_plugin_model` function",
    );

    let source = write(
        &dir,
        "failing.c",
        "#include \"lumen_plugin.h\"\nint32_t lumen_plugin_model(lumen_model_desc *desc) { (void)desc; return 7; }\n",
    );
    let library = dir.join("failing.so");
    build_plugin(source.as_ref(), &library);
    fails(&explain(library.to_str().unwrap()), 4, "failing.so: lumen_plugin_model failed with error code 7");

    let source = write(
        &dir,
        "old_abi.c",
        "#include \"lumen_plugin.h\"\nint32_t lumen_plugin_model(lumen_model_desc *desc) { desc->abi_version = 1; desc->input_len = 5; desc->output_len = 1; return 0; }\n",
    );
    let library = dir.join("old_abi.so");
    build_plugin(source.as_ref(), &library);
    fails(
        &explain(library.to_str().unwrap()),
        4,
        "old_abi.so: the plugin's model descriptor is invalid: lumen_model_new: desc.abi_version: is 1, this library reads LUMEN_MODEL_ABI_VERSION 3 (and 2)",
    );

    let not_a_library = write(&dir, "text.so", "not an ELF file");
    fails(&explain(&not_a_library), 4, "text.so: cannot load the plugin: ");
    fails(&explain(dir.join("missing.so").to_str().unwrap()), 4, "missing.so: no such plugin file");
}
