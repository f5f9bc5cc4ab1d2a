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
    // The plugin's schema groups the three housing inputs into one player: six players.
    assert_eq!(record["features"], 6);
    assert_eq!(record["feature_names"][5], "housing");
    assert_eq!(record["context"]["input_form"], "encoded");
    // KernelSHAP enumerates every coalition of six players, so the values are exact and add up.
    for row in 0..6 {
        let values: Vec<f64> = record["attributions"].as_array().unwrap()[row * 6..row * 6 + 6]
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let total = record["base_values"][row].as_f64().unwrap() + values.iter().sum::<f64>();
        assert!((total - record["predictions"][row].as_f64().unwrap()).abs() < 1e-5, "row {row}: {values:?}");
    }
    // The first applicant (3 late payments, 45 % debt to income) is pulled down most by late payments.
    let first: Vec<f64> = record["attributions"].as_array().unwrap()[..6].iter().map(|v| v.as_f64().unwrap()).collect();
    let lowest = (0..6).min_by(|&a, &b| first[a].total_cmp(&first[b])).unwrap();
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
fn a_double_plugin_reads_the_csv_as_doubles_and_explains_it_in_double() {
    let dir = scratch("plugin-f64");
    let library = dir.join("scorecard64.so");
    build_plugin(&root().join("examples/plugin/scorecard64.c"), &library);
    // An income no float holds: it must reach the model as written.
    let text = std::fs::read_to_string(root().join("examples/plugin/applicants.csv")).unwrap();
    let rows = write(&dir, "applicants.csv", &text.replacen("\n28,", "\n28.0000001,", 1));
    let out = dir.join("shap");
    let summary = succeeds(&lumen(&[
        "explain",
        "--plugin",
        library.to_str().unwrap(),
        "--input",
        &rows,
        "--method",
        "kernel-shap",
        "--output",
        out.to_str().unwrap(),
    ]));
    assert!(summary.starts_with("KernelSHAP on scorecard64.so (6 rows, output 0): "), "{summary}");
    let record = json(&out.join("explanation.json"));
    assert_eq!(record["audit"]["element_type"], "f64");
    // The model's own probability of the first row, computed here in double.
    let (weights, means, scales) =
        ([0.9, -1.1, 0.35, -1.4, 0.25], [42.0, 30.0, 5.0, 1.0, 40.0], [15.0, 12.0, 4.0, 1.2, 12.0]);
    let probability = |income: f64| {
        let row = [income, 45.0, 1.0, 3.0, 23.0];
        let mut z = 1.2;
        for i in 0..5 {
            z += weights[i] * (row[i] - means[i]) / scales[i];
        }
        z += -0.35;
        1.0 / (1.0 + (-z).exp())
    };
    let (p, rounded) = (probability(28.0000001), probability(f64::from(28.0000001f32)));
    let prediction = record["predictions"][0].as_f64().unwrap();
    assert!((prediction - p).abs() < 1e-15, "{prediction} vs {p}");
    assert!((prediction - rounded).abs() > 1e-12, "the double row reached the model unrounded");
    // Every coalition of the 8 inputs is enumerated: values add up to double precision.
    for row in 0..6 {
        let values: Vec<f64> = record["attributions"].as_array().unwrap()[row * 8..row * 8 + 8]
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let total = record["base_values"][row].as_f64().unwrap() + values.iter().sum::<f64>();
        assert!((total - record["predictions"][row].as_f64().unwrap()).abs() < 1e-12, "row {row}: {values:?}");
    }
    let csv = std::fs::read_to_string(out.join("attributions.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().contains(&format!(",{prediction},")), "{csv}");
    // The gradient callback in double too.
    let ig = dir.join("ig");
    succeeds(&lumen(&[
        "explain",
        "--plugin",
        library.to_str().unwrap(),
        "--input",
        &rows,
        "--method",
        "integrated-gradients",
        "--output",
        ig.to_str().unwrap(),
    ]));
    assert_eq!(json(&ig.join("explanation.json"))["audit"]["element_type"], "f64");
}

#[test]
fn the_scorecard_schema_reads_raw_applicants_and_writes_raw_units_keyed_by_id() {
    let dir = scratch("plugin-raw");
    let library = dir.join("scorecard.so");
    build_plugin(&root().join("examples/plugin/scorecard.c"), &library);
    let explain = |input: &str, method: &str, out: &str, extra: &[&str]| {
        let mut args = vec!["explain", "--plugin", library.to_str().unwrap(), "--input", input, "--method", method];
        args.extend(extra);
        args.extend(["--output", out]);
        lumen(&args)
    };
    let raw = root().join("examples/plugin/applicants-raw.csv");
    let raw = raw.to_str().unwrap();
    let encoded = root().join("examples/plugin/applicants.csv");
    let (from_raw, from_encoded) = (dir.join("raw"), dir.join("encoded"));
    let text = succeeds(&explain(raw, "kernel-shap", from_raw.to_str().unwrap(), &["--id-column", "applicant_id"]));
    assert!(text.contains("\n  A-101: f(x) "), "{text}");
    // The same ids on the encoded rows: rows keyed by id draw alike, whatever their form.
    let ids: Vec<String> =
        std::fs::read_to_string(raw).unwrap().lines().map(|line| line.split(',').next().unwrap().to_owned()).collect();
    let encoded_text = std::fs::read_to_string(&encoded).unwrap();
    let with_ids: Vec<String> = encoded_text.lines().zip(&ids).map(|(line, id)| format!("{id},{line}")).collect();
    let encoded = dir.join("applicants-with-ids.csv");
    std::fs::write(&encoded, with_ids.join("\n") + "\n").unwrap();
    let id_column = ["--id-column", "applicant_id"];
    succeeds(&explain(encoded.to_str().unwrap(), "kernel-shap", from_encoded.to_str().unwrap(), &id_column));
    let (raw_record, encoded_record) =
        (json(&from_raw.join("explanation.json")), json(&from_encoded.join("explanation.json")));
    // Income in EUR (the model reads kEUR), housing by label or code: the same model rows.
    assert_eq!(raw_record["attributions"], encoded_record["attributions"]);
    assert_eq!(raw_record["context"]["input_form"], "raw");
    assert_eq!(raw_record["context"]["id_column"], "applicant_id");
    assert_eq!(raw_record["context"]["row_labels"][3], "A-104");
    assert_eq!(raw_record["context"]["value_text"][0], serde_json::json!(["28000", "45", "1", "3", "23", "rent"]));
    assert_eq!(raw_record["context"]["value_text"][3][5], "own", "A152 is read as its label");
    let csv = std::fs::read_to_string(from_raw.join("attributions.csv")).unwrap();
    assert!(csv.starts_with("applicant_id,output,prediction,base_value,income,debt to income (%),"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("A-101,0,"), "{csv}");
    // Counterfactuals in raw units and labels, keyed by id.
    let cf = dir.join("cf");
    succeeds(&explain(raw, "permute-attack", cf.to_str().unwrap(), &["--id-column", "applicant_id", "--budget", "10"]));
    let csv = std::fs::read_to_string(cf.join("counterfactuals.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "applicant_id,counterfactual,success,target_probability,predicted_class,changed,income,debt to income (%),years at address,late payments (last 12 months),age (years),housing"
    );
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[0], "A-101");
    assert!(["rent", "own", "for free"].contains(&first[11]), "{first:?}");
    assert!(first[6].parse::<f64>().unwrap() >= 1000.0, "income in EUR: {first:?}");
    // A label the schema does not know.
    let typo = write(&dir, "typo.csv", &std::fs::read_to_string(raw).unwrap().replace(",own\n", ",onw\n"));
    fails(
        &explain(&typo, "kernel-shap", dir.join("typo").to_str().unwrap(), &["--id-column", "applicant_id"]),
        3,
        "typo.csv: line 3, column 'housing': 'onw' is not a category; did you mean 'own'?",
    );
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
        "old_abi.so: the plugin's model descriptor is invalid: lumen_model_new: desc.abi_version: is 1, this library reads LUMEN_MODEL_ABI_VERSION 4 (and the older versions 2 to 3)",
    );

    // A schema that leaves a model input to no attribute.
    let source = write(
        &dir,
        "gap.c",
        "#include <math.h>\n#include \"lumen_plugin.h\"\n\
         static int32_t predict(void *u, const float *x, size_t rows, float *y) { (void)u; for (size_t r = 0; r < rows; r++) y[r] = x[r * 2]; return 0; }\n\
         int32_t lumen_plugin_model(lumen_model_desc *d) { d->abi_version = LUMEN_MODEL_ABI_VERSION; d->input_len = 2; d->output_len = 1; d->predict = predict; return 0; }\n\
         static const lumen_plugin_attribute A[1] = {{\"x\", LUMEN_PLUGIN_NUMERIC, 0, NULL, 0.0, 1.0, -1, NULL, 0}};\n\
         int32_t lumen_plugin_schema(const lumen_plugin_attribute **a, size_t *n) { *a = A; *n = 1; return 0; }\n",
    );
    let library = dir.join("gap.so");
    build_plugin(source.as_ref(), &library);
    fails(
        &explain(library.to_str().unwrap()),
        4,
        "gap.so: lumen_plugin_schema: invalid schema: model column 1 belongs to no attribute",
    );

    let not_a_library = write(&dir, "text.so", "not an ELF file");
    fails(&explain(&not_a_library), 4, "text.so: cannot load the plugin: ");
    fails(&explain(dir.join("missing.so").to_str().unwrap()), 4, "missing.so: no such plugin file");
}

#[test]
fn a_bare_plugin_name_loads_the_file_in_the_current_folder_not_the_loaders_search_path() {
    let dir = scratch("plugin-path");
    let run = |name: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_lumen"))
            .current_dir(&dir)
            .args(["explain", "--plugin", name, "--input", "rows.csv", "--method", "kernel-shap"])
            .output()
            .expect("the lumen binary runs")
    };
    write(&dir, "rows.csv", "x\n1\n");
    // No ./libm.so.6 here: the system's libm must not be loaded in its place.
    fails(&run("libm.so.6"), 4, "libm.so.6: no such plugin file");
    // An existing ./fake.so that is no library is the file that fails to load.
    write(&dir, "fake.so", "not an ELF file");
    let out = run("fake.so");
    fails(&out, 4, "fake.so: cannot load the plugin");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(dir.join("fake.so").to_str().unwrap()), "the loader was given the checked path: {stderr}");
}
