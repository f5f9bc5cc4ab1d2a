//! The risk analyst's path end to end: raw applicant attributes (labels, months, DM) with
//! an id column in, every output in raw units keyed by id; and the command's hygiene:
//! CRLF line numbers, typo suggestions, --force, the --rows cap warning, short escaped
//! cells in errors, the progress bar on a terminal only.

mod common;

use common::{fails, json, lumen, scratch, succeeds, write};

/// Hold-out applicants in raw form with an `applicant_id` column first, lines ending in
/// `eol`.
fn applicants(dir: &std::path::Path, rows: &str, eol: &str) -> String {
    let sample = dir.join("sample.csv");
    succeeds(&lumen(&[
        "models",
        "--sample",
        "german-credit-mlp",
        "--rows",
        rows,
        "--output",
        sample.to_str().unwrap(),
        "--force",
    ]));
    let text = std::fs::read_to_string(&sample).unwrap();
    let mut lines: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let id = if i == 0 { "applicant_id".to_owned() } else { format!("APP-{}", 800 + i - 1) };
        lines.push(format!("{id},{line}"));
    }
    let name = if eol == "\r\n" { "applicants-crlf.csv" } else { "applicants.csv" };
    write(dir, name, &(lines.join(eol) + eol))
}

#[test]
fn raw_applicants_with_ids_round_trip_to_raw_units_keyed_by_id() {
    let dir = scratch("analyst-raw");
    let input = applicants(&dir, "3", "\r\n");
    let header = std::fs::read_to_string(&input).unwrap();
    assert!(header.starts_with("applicant_id,checking account,duration (months),"), "{header}");
    let out = dir.join("shap");
    let text = succeeds(&lumen(&[
        "explain",
        "--model",
        "german-credit-mlp",
        "--input",
        &input,
        "--id-column",
        "applicant_id",
        "--method",
        "kernel-shap",
        "--budget",
        "200",
        "--output",
        out.to_str().unwrap(),
    ]));
    assert!(text.contains("\n  APP-800: f(x) "), "{text}");
    let record = json(&out.join("explanation.json"));
    assert_eq!(record["features"], 20);
    assert_eq!(record["context"]["row_labels"], serde_json::json!(["APP-800", "APP-801", "APP-802"]));
    assert_eq!(record["context"]["input_form"], "raw");
    // Values as the sample wrote them: months and DM as whole numbers, categories by label.
    let sample: Vec<Vec<String>> = header
        .lines()
        .skip(1)
        .map(|l| {
            csv::ReaderBuilder::new().has_headers(false).from_reader(l.as_bytes()).records().next().unwrap().unwrap()
        })
        .map(|r| r.iter().skip(1).map(str::to_owned).collect())
        .collect();
    for (row, cells) in sample.iter().enumerate() {
        assert_eq!(record["context"]["value_text"][row], serde_json::json!(cells), "row {row}");
        let months = &record["context"]["feature_values"][row][1];
        assert_eq!(months.as_f64().unwrap().to_string(), cells[1], "duration in months, row {row}");
    }
    let csv = std::fs::read_to_string(out.join("attributions.csv")).unwrap();
    let keys: Vec<&str> = csv.lines().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(keys, ["applicant_id", "APP-800", "APP-801", "APP-802"]);

    // Counterfactuals: durations in months, categories by label, credit scores, the cutoff.
    let out = dir.join("cf");
    succeeds(&lumen(&[
        "explain",
        "--model",
        "german-credit-mlp",
        "--input",
        &input,
        "--id-column",
        "applicant_id",
        "--method",
        "permute-attack",
        "--budget",
        "20",
        "--output",
        out.to_str().unwrap(),
    ]));
    let csv = std::fs::read_to_string(out.join("counterfactuals.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let columns: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let at = |name: &str| columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("{name}: {columns:?}"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(!rows.is_empty(), "{csv}");
    let labels =
        ["< 0 DM", "0 <= ... < 200 DM", ">= 200 DM / salary assignments for at least 1 year", "no checking account"];
    for row in &rows {
        assert!(row[0].starts_with("APP-80"), "{row:?}");
        let months: f64 = row[at("duration (months)")].parse().unwrap();
        assert!(months >= 4.0 && months.fract() == 0.0, "whole months, not a z-score: {row:?}");
        assert!(row[at("credit amount (DM)")].parse::<f64>().unwrap() >= 250.0, "{row:?}");
        assert!(labels.contains(&&row[at("checking account")]), "{row:?}");
        let score: f64 = row[at("credit_score")].parse().unwrap();
        assert!((450.0..750.0).contains(&score), "{row:?}");
    }
    let record = json(&out.join("explanation.json"));
    let cutoff = &record["context"]["cutoff"];
    assert!((cutoff["probability"].as_f64().unwrap() - 5.0 / 6.0).abs() < 1e-12, "{cutoff}");
    assert!(cutoff["score"].as_str().unwrap().parse::<f64>().is_ok(), "{cutoff}");
    assert_eq!(record["context"]["instance_labels"][0], "APP-800");

    // The encoded form still reads, and gives the same model rows.
    let encoded = dir.join("encoded.csv");
    succeeds(&lumen(&[
        "models",
        "--sample",
        "german-credit-mlp",
        "--rows",
        "3",
        "--form",
        "encoded",
        "--output",
        encoded.to_str().unwrap(),
    ]));
    let again = dir.join("again");
    succeeds(&lumen(&[
        "explain",
        "--model",
        "german-credit-mlp",
        "--input",
        encoded.to_str().unwrap(),
        "--method",
        "kernel-shap",
        "--budget",
        "200",
        "--output",
        again.to_str().unwrap(),
    ]));
    let (raw, encoded) = (json(&dir.join("shap/explanation.json")), json(&again.join("explanation.json")));
    assert_eq!(encoded["context"]["input_form"], "encoded");
    for (a, b) in raw["predictions"].as_array().unwrap().iter().zip(encoded["predictions"].as_array().unwrap()) {
        assert!((a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn crlf_and_lf_files_report_the_same_line_and_long_cells_are_quoted_short() {
    let dir = scratch("analyst-lines");
    let explain = |input: &str| {
        lumen(&[
            "explain",
            "--model",
            "german-credit-mlp",
            "--input",
            input,
            "--id-column",
            "applicant_id",
            "--method",
            "feature-ablation",
            "--output",
            dir.join("out").to_str().unwrap(),
        ])
    };
    for eol in ["\n", "\r\n"] {
        let path = applicants(&dir, "4", eol);
        let text = std::fs::read_to_string(&path).unwrap();
        // Line 4 is the third applicant: a duration that is no number.
        let broken: Vec<String> = text
            .split(eol)
            .enumerate()
            .map(|(i, l)| if i == 3 { with_duration(l, "two years") } else { l.to_owned() })
            .collect();
        let bad = write(&dir, &format!("bad-{}.csv", eol.len()), &broken.join(eol));
        fails(
            &explain(&bad),
            3,
            &format!("bad-{}.csv: line 4, column 'duration (months)': 'two years' is not a number (expected a number in months)", eol.len()),
        );
    }
    // A long cell full of control bytes: quoted short, escaped, on one line.
    let path = applicants(&dir, "2", "\r\n");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    let long = format!("\u{1b}[31m{}\u{7}", "x".repeat(300));
    let line = with_duration(lines[1], &long);
    let bad = write(&dir, "long.csv", &format!("{}\r\n{line}\r\n", lines[0]));
    let out = explain(&bad);
    fails(&out, 3, "long.csv: line 2, column 'duration (months)': '\\u{1b}[31mxxx");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("…' (306 characters) is not a number"), "{stderr}");
    assert!(!stderr.contains('\u{1b}') && !stderr.contains('\u{7}') && stderr.len() < 300, "{stderr}");
}

/// A raw applicant line (id first) with its duration cell replaced by `cell`.
fn with_duration(line: &str, cell: &str) -> String {
    let record = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes()).records().next();
    let mut cells: Vec<String> = record.unwrap().unwrap().iter().map(str::to_owned).collect();
    cells[2] = cell.to_owned();
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    writer.write_record(&cells).unwrap();
    String::from_utf8(writer.into_inner().unwrap()).unwrap().trim_end_matches('\n').to_owned()
}

#[test]
fn typos_missing_columns_and_ids_get_a_useful_message() {
    let dir = scratch("analyst-typos");
    let input = applicants(&dir, "2", "\n");
    let text = std::fs::read_to_string(&input).unwrap();
    let explain = |input: &str, id: Option<&str>| {
        let mut args =
            vec!["explain", "--model", "german-credit-mlp", "--input", input, "--method", "feature-ablation"];
        if let Some(id) = id {
            args.extend(["--id-column", id]);
        }
        args.extend(["--output", dir.to_str().unwrap()]);
        lumen(&args)
    };
    let typo = write(&dir, "typo.csv", &text.replacen("credit amount (DM)", "credit amout (DM)", 1));
    fails(
        &explain(&typo, Some("applicant_id")),
        3,
        "typo.csv: unknown column 'credit amout (DM)'; did you mean 'credit amount (DM)'?",
    );
    // The id column without --id-column: the list of columns and how to pass it through.
    fails(
        &explain(&input, None),
        3,
        "unknown column 'applicant_id'; the model's columns are 'checking account', 'duration (months)', 'credit history', 'purpose' and 16 more; to pass an id column through, name it with --id-column",
    );
    fails(
        &explain(&input, Some("applicant")),
        3,
        "--id-column 'applicant': no such column in the header; did you mean 'applicant_id'?",
    );
    // Missing columns are listed, the first few by name.
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes()).records() {
        writer.write_record(record.unwrap().iter().take(12)).unwrap();
    }
    let short = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let short = write(&dir, "short.csv", &short);
    fails(
        &explain(&short, Some("applicant_id")),
        3,
        "short.csv: missing 9 columns: 'property', 'age (years)', 'other installment plans', 'housing', 'existing credits', 'job' and 3 more (11 of the model's 20 columns are present)",
    );
    // A category label with a typo.
    let label = write(
        &dir,
        "label.csv",
        &text.replacen(",radio/television,", ",radio/televsion,", 1).replacen(",education,", ",educaton,", 1),
    );
    let out = explain(&label, Some("applicant_id"));
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("column 'purpose': '") && stderr.contains("is not a category; did you mean '"), "{stderr}");
}

#[test]
fn outputs_are_kept_unless_forced_and_capped_rows_are_warned() {
    let dir = scratch("analyst-force");
    let input = applicants(&dir, "2", "\n");
    let out = dir.join("out");
    let explain = |force: bool| {
        let mut args = vec![
            "explain",
            "--model",
            "german-credit-mlp",
            "--input",
            &input,
            "--id-column",
            "applicant_id",
            "--method",
            "feature-ablation",
            "--output",
            out.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        lumen(&args)
    };
    succeeds(&explain(false));
    let before = std::fs::read_to_string(out.join("attributions.csv")).unwrap();
    fails(&explain(false), 5, "explanation.json: already exists (and 1 other output); pass --force to overwrite");
    assert_eq!(std::fs::read_to_string(out.join("attributions.csv")).unwrap(), before, "refused: untouched");
    succeeds(&explain(true));
    // lumen models --output and lumen report refuse too.
    let sample = dir.join("sample.csv");
    let sample = sample.to_str().unwrap();
    fails(&lumen(&["models", "--sample", "german-credit-mlp", "--output", sample]), 5, "sample.csv: already exists");
    succeeds(&lumen(&["models", "--sample", "german-credit-mlp", "--output", sample, "--force"]));
    let record = out.join("explanation.json");
    let report = dir.join("report");
    succeeds(&lumen(&["report", record.to_str().unwrap(), "--output", report.to_str().unwrap()]));
    fails(
        &lumen(&["report", record.to_str().unwrap(), "--output", report.to_str().unwrap()]),
        5,
        "report.html: already exists",
    );
    // --rows beyond the 200 hold-out applicants: the 200, and a warning on stderr.
    let capped = lumen(&["models", "--sample", "german-credit-forest", "--rows", "500"]);
    let stdout = succeeds(&capped);
    assert_eq!(stdout.lines().count(), 201);
    let stderr = String::from_utf8_lossy(&capped.stderr);
    assert_eq!(stderr.trim(), "lumen: warning: german-credit-forest has 200 hold-out rows; --rows 500 gives 200");
    let exact = lumen(&["models", "--sample", "german-credit-forest", "--rows", "200"]);
    assert!(exact.status.success() && exact.stderr.is_empty(), "{}", String::from_utf8_lossy(&exact.stderr));
}

#[test]
fn the_progress_bar_shows_rows_rate_and_eta_on_a_terminal_only() {
    let dir = scratch("analyst-progress");
    let input = applicants(&dir, "6", "\n");
    let args = |out: &str| {
        format!(
            "{} explain --model german-credit-mlp --input {input} --id-column applicant_id --method kernel-shap --budget 300 --output {out}",
            env!("CARGO_BIN_EXE_lumen")
        )
    };
    // Off a terminal: nothing on stderr.
    let plain =
        std::process::Command::new("sh").arg("-c").arg(args(dir.join("plain").to_str().unwrap())).output().unwrap();
    assert!(plain.status.success() && plain.stderr.is_empty(), "{}", String::from_utf8_lossy(&plain.stderr));
    // On a pseudo-terminal (util-linux `script`): rows done of 6, a rate and an ETA.
    let Ok(tty) = std::process::Command::new("script")
        .args(["-qfec", &args(dir.join("tty").to_str().unwrap()), "/dev/null"])
        .output()
    else {
        eprintln!("skipped the terminal half: util-linux `script` is not installed");
        return;
    };
    let screen = String::from_utf8_lossy(&tty.stdout);
    assert!(tty.status.success(), "{screen}");
    assert!(screen.contains("/6 rows, ") && screen.contains("/s, ETA "), "{screen}");
    // Same values either way: the bar only watches the engine's progress.
    let (a, b) = (json(&dir.join("plain/explanation.json")), json(&dir.join("tty/explanation.json")));
    assert_eq!(a["attributions"], b["attributions"]);
}

#[test]
fn an_applicant_re_explained_alone_by_id_gets_the_values_of_the_batch() {
    let dir = scratch("analyst-row-keys");
    let input = applicants(&dir, "3", "\n");
    let text = std::fs::read_to_string(&input).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let alone = write(&dir, "one.csv", &format!("{}\n{}\n", lines[0], lines[2]));
    let explain = |input: &str, out: &str| {
        let out = dir.join(out);
        succeeds(&lumen(&[
            "explain",
            "--model",
            "german-credit-mlp",
            "--input",
            input,
            "--id-column",
            "applicant_id",
            "--method",
            "kernel-shap",
            "--budget",
            "60",
            "--seed",
            "3",
            "--output",
            out.to_str().unwrap(),
        ]));
        json(&out.join("explanation.json"))
    };
    let batch = explain(&input, "batch");
    let one = explain(&alone, "one");
    let features = batch["features"].as_u64().unwrap() as usize;
    let values = |record: &serde_json::Value| -> Vec<f64> {
        record["attributions"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
    };
    assert_eq!(values(&one), values(&batch)[features..2 * features], "APP-801 alone vs in the batch");
    assert_eq!(batch["audit"]["row_keys"]["source"], "caller");
    assert_eq!(one["audit"]["row_keys"]["keys"][0], batch["audit"]["row_keys"]["keys"][1]);
}
