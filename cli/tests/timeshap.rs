//! `lumen explain --sequences FILE --method timeshap` end to end: the sample sequence file,
//! values that add up (read back from the records), the report's TimeSHAP plots, and bad
//! sequence files and options with their exit code and one-line reason.

mod common;

use common::{fails, json, lumen, scratch, succeeds, write};

/// `count` hold-out sequences of fraud-gru, written to `dir/sequences.csv`.
fn sample(dir: &std::path::Path, count: &str) -> String {
    let path = dir.join("sequences.csv");
    succeeds(&lumen(&["models", "--sample", "fraud-gru", "--rows", count, "--output", path.to_str().unwrap()]));
    path.to_str().unwrap().to_owned()
}

const HEADER: &str =
    "sequence_id,is_transaction,is_login,is_enrollment,log_amount,log_distance,new_ip,log_time_since_previous,client_age";

#[test]
fn models_lists_fraud_gru_and_samples_a_sequence_file() {
    let text = succeeds(&lumen(&["models"]));
    assert!(text.lines().any(|l| l.starts_with("fraud-gru") && l.contains("--method timeshap")), "{text}");
    let csv = succeeds(&lumen(&["models", "--sample", "fraud-gru", "--rows", "2"]));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], HEADER);
    let ids: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids.first(), Some(&"holdout-0"));
    assert_eq!(ids.last(), Some(&"holdout-1"));
    assert!(ids.iter().filter(|id| **id == "holdout-0").count() >= 20, "{csv}");
    assert!(lines[1..].iter().all(|l| l.split(',').count() == 9), "{csv}");
}

#[test]
fn timeshap_values_add_up_and_the_report_draws_them() {
    let dir = scratch("timeshap");
    let sequences = sample(&dir, "2");
    let out = dir.join("out");
    let text = succeeds(&lumen(&[
        "explain",
        "--sequences",
        &sequences,
        "--model",
        "fraud-gru",
        "--method",
        "timeshap",
        "--level",
        "all",
        "--tolerance",
        "0.025",
        "--seed",
        "5",
        "--output",
        out.to_str().unwrap(),
    ]));
    // holdout-0 is a takeover: its last 5 events are kept, the enrollment among them.
    assert!(text.contains("sequence holdout-0: 48 events, P(account takeover) 0.96"), "{text}");
    assert!(text.contains("pruned to the last 5 events (η = 0.025)"), "{text}");
    assert!(text.contains("Event -5 (enrollment of a new device"), "{text}");
    assert!(text.contains("sequence holdout-1: "), "{text}");
    for k in 1..=2 {
        for level in ["event", "feature", "cell"] {
            let record = json(&out.join(format!("explanation-{k}-{level}.json")));
            assert_eq!(record["method"], "time_shap");
            assert_eq!(record["parameters"]["level"], level);
            assert_eq!(record["parameters"]["pruning"]["tolerance"], 0.025);
            assert_eq!(record["audit"]["seed"], 5);
            let values: Vec<f64> =
                record["attributions"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            let names = record["feature_names"].as_array().unwrap();
            assert_eq!(values.len(), names.len());
            let prediction = record["predictions"][0].as_f64().unwrap();
            let base = record["base_values"][0].as_f64().unwrap();
            let gap = values.iter().sum::<f64>() - (prediction - base);
            assert!(gap.abs() < 1e-4, "sequence {k}, {level}: Σ values − (f(x) − base) = {gap}");
            assert_eq!(record["context"]["model"], "fraud-gru");
            assert_eq!(record["context"]["sequence"]["id"], format!("holdout-{}", k - 1));
        }
    }
    let events = json(&out.join("explanation-1-event.json"));
    assert_eq!(events["feature_names"][0], "Event -1");
    assert_eq!(events["feature_names"].as_array().unwrap().last().unwrap(), "Pruned Events");
    let features = json(&out.join("explanation-1-feature.json"));
    assert_eq!(features["feature_names"][0], "is_transaction");
    // timeshap.csv: one line per sequence, level and player.
    let csv = std::fs::read_to_string(out.join("timeshap.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("sequence_id,level,player,value,standard_error,prediction,base_value,sequence_len,pruned_len")
    );
    let expected: usize = (1..=2)
        .flat_map(|k| ["event", "feature", "cell"].map(move |l| (k, l)))
        .map(|(k, l)| json(&out.join(format!("explanation-{k}-{l}.json")))["features"].as_u64().unwrap() as usize)
        .sum();
    assert_eq!(lines.count(), expected, "{csv}");
    assert!(csv.contains("\nholdout-0,event,Event -5,"), "{csv}");

    // The report draws the pruning curve, event and feature bars and the cell heat map.
    let report = dir.join("report");
    let records: Vec<String> = ["event", "feature", "cell"]
        .iter()
        .map(|l| out.join(format!("explanation-1-{l}.json")).to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["report"];
    args.extend(records.iter().map(String::as_str));
    args.extend(["--output", report.to_str().unwrap()]);
    let text = succeeds(&lumen(&args));
    assert!(text.contains("(3 explanations, 4 plots;"), "{text}");
    for plot in ["01-pruning", "01-events", "02-features", "03-cells"] {
        let svg = std::fs::read_to_string(report.join("plots").join(format!("{plot}.svg"))).unwrap();
        assert!(svg.starts_with("<svg"), "{plot}");
        assert!(report.join("plots").join(format!("{plot}.png")).is_file(), "{plot}");
    }
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    for caption in [
        "TimeSHAP pruning of sequence holdout-0: 5 of 48 events kept",
        "TimeSHAP events of sequence holdout-0",
        "TimeSHAP features of sequence holdout-0",
        "TimeSHAP cells of sequence holdout-0",
        "5 of 48 events kept as players (η = 0.025)",
    ] {
        assert!(html.contains(caption), "{caption}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_level_without_pruning() {
    let dir = scratch("timeshap-feature");
    let text = format!("{HEADER}\na,1,0,0,0.5,0.1,0,0.6,0.4\na,0,1,0,0,0.1,1,0.3,0.4\na,1,0,0,0.9,0.8,1,0.1,0.4\n");
    let sequences = write(&dir, "short.csv", &text);
    let out = dir.join("out");
    let args = ["explain", "--sequences", &sequences, "--model", "fraud-gru", "--method", "timeshap"];
    let mut args = args.to_vec();
    args.extend(["--level", "feature", "--no-pruning", "--output", out.to_str().unwrap()]);
    let printed = succeeds(&lumen(&args));
    assert!(printed.contains("sequence a: 3 events") && printed.contains("(no pruning)"), "{printed}");
    let record = json(&out.join("explanation-1-feature.json"));
    assert_eq!(record["parameters"]["pruning"]["pruned_len"], 3);
    assert_eq!(record["features"], 8, "8 features and no pruned-events player");
    assert!(!out.join("explanation-1-event.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sampled_levels_fit_with_the_chosen_estimator() {
    let dir = scratch("timeshap-estimator");
    let sequences = sample(&dir, "1");
    let out = dir.join("out");
    // 48 unpruned events are too many to enumerate: the event level samples coalitions.
    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "--sequences", &sequences, "--model", "fraud-gru", "--method", "timeshap"];
        args.extend(["--level", "event", "--no-pruning", "--budget", "1000", "--seed", "3", "--force"]);
        args.extend_from_slice(extra);
        args.extend(["--output", out.to_str().unwrap()]);
        succeeds(&lumen(&args));
        json(&out.join("explanation-1-event.json"))
    };
    let default = explain(&[]);
    assert_eq!(default["parameters"]["estimator"], "leverage_top_triples");
    let linear = explain(&["--estimator", "leverage-stratified"]);
    assert_eq!(linear["parameters"]["estimator"], "leverage_stratified");
    assert_eq!(linear["features"], 48);
    assert_ne!(default["attributions"], linear["attributions"], "the two fits give different values");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fixed_pruning_index_keeps_the_newest_events() {
    let dir = scratch("timeshap-index");
    let event = "1,0,0,0.5,0.1,0,0.6,0.4";
    let text = format!("{HEADER}\n{}", (0..5).map(|_| format!("a,{event}\n")).collect::<String>());
    let sequences = write(&dir, "five.csv", &text);
    let out = dir.join("out");
    let args = ["explain", "--sequences", &sequences, "--model", "fraud-gru", "--method", "timeshap"];
    let mut args = args.to_vec();
    args.extend(["--level", "event", "--pruning-index", "-2", "--output", out.to_str().unwrap()]);
    succeeds(&lumen(&args));
    let record = json(&out.join("explanation-1-event.json"));
    assert_eq!(record["parameters"]["pruning"]["pruned_len"], 2);
    assert_eq!(record["features"], 3, "2 events and the pruned-events player");
    let mut both = args.clone();
    both.extend(["--tolerance", "0.1"]);
    // A fixed index and a tolerance conflict.
    fails(&lumen(&both), 2, "--pruning-index");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_sequences_and_options_fail_with_one_line_and_their_exit_code() {
    let dir = scratch("timeshap-bad");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let explain = |file: &str, extra: &[&str]| {
        let mut args = vec!["explain", "--sequences", file, "--model", "fraud-gru", "--method", "timeshap"];
        args.extend_from_slice(extra);
        args.extend(["--output", out]);
        lumen(&args)
    };
    let event = "1,0,0,0.5,0.1,0,0.6,0.4";
    let good = write(&dir, "good.csv", &format!("{HEADER}\ns,{event}\ns,{event}\n"));
    let no_id = write(&dir, "no-id.csv", &format!("{}\n{event}\n{event}\n", &HEADER["sequence_id,".len()..]));
    fails(&explain(&no_id, &[]), 3, "no-id.csv: missing column 'sequence_id'");
    let short_header = HEADER.replace(",new_ip", "");
    let short_event = "1,0,0,0.5,0.1,0.6,0.4";
    let missing = write(&dir, "missing.csv", &format!("{short_header}\ns,{short_event}\ns,{short_event}\n"));
    fails(&explain(&missing, &[]), 3, "missing.csv: missing column 'new_ip'");
    let text = write(&dir, "text.csv", &format!("{HEADER}\ns,{event}\ns,1,0,0,lots,0.1,0,0.6,0.4\n"));
    fails(&explain(&text, &[]), 3, "text.csv: line 3, column 'log_amount': 'lots' is not a number");
    let single = write(&dir, "single.csv", &format!("{HEADER}\ns,{event}\ns,{event}\nt,{event}\n"));
    fails(&explain(&single, &[]), 3, "sequence 't' (line 4) has 1 event; TimeSHAP needs at least 2 events");
    let missing_file = dir.join("nowhere.csv");
    fails(&explain(missing_file.to_str().unwrap(), &[]), 3, "nowhere.csv: cannot read: ");
    // An unknown level is a command-line error (clap's exit code 2) naming the value.
    let unknown = explain(&good, &["--level", "word"]);
    fails(&unknown, 2, "invalid value 'word' for '--level <LEVEL>'");
    fails(&unknown, 2, "event, feature, cell, all");
    // A negative tolerance is the engine's error.
    fails(&explain(&good, &["--tolerance", "-0.1"]), 1, "tolerance: is -0.1, expected a finite η >= 0");
    // Models and methods that do not fit sequences.
    fails(
        &lumen(&["explain", "--sequences", &good, "--model", "digits-cnn", "--method", "timeshap", "--output", out]),
        4,
        "digits-cnn is not a sequence model; TimeSHAP explains the built-in sequence model fraud-gru",
    );
    fails(
        &lumen(&["explain", "--input", &good, "--model", "fraud-gru", "--method", "timeshap", "--output", out]),
        3,
        "timeshap explains sequences: give them with --sequences FILE",
    );
    fails(
        &lumen(&["explain", "--input", &good, "--model", "fraud-gru", "--method", "kernel-shap", "--output", out]),
        4,
        "fraud-gru is a sequence model: explain it with --sequences FILE --method timeshap",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
