//! The German Credit model end to end: the data, the encoding, deterministic training,
//! hold-out quality, the `lumen::Model` contract and one explanation through Lumen.

use lumen::backend::Baselines;
use lumen::{BackendChoice, Engine, EngineConfig, FeatureAblationParams, Model};
use lumen_models::german_credit::{
    attribute_names, ColumnKind, CreditRisk, GermanCredit, GermanCreditModel, ATTRIBUTE_COUNT, HOLDOUT_ROWS,
};

/// Hold-out accuracy the model must beat; it measures 0.745.
const MIN_HOLDOUT_ACCURACY: f64 = 0.73;
/// Hold-out AUC the model must beat; it measures 0.799.
const MIN_HOLDOUT_AUC: f64 = 0.78;

#[test]
fn data_has_1000_applicants_700_good_and_300_bad() {
    let data = GermanCredit::shared();
    let applicants = data.dataset().applicants();
    assert_eq!(applicants.len(), 1000);
    let good = applicants.iter().filter(|a| a.risk() == CreditRisk::Good).count();
    assert_eq!((good, applicants.len() - good), (700, 300));
    assert_eq!(data.labels().iter().filter(|&&label| label == 1.0).count(), 700);
    assert!(data.labels().iter().all(|&label| label == 0.0 || label == 1.0));
}

#[test]
fn feature_mask_has_20_groups_each_used() {
    let data = GermanCredit::shared();
    let mut used = [0usize; ATTRIBUTE_COUNT];
    for &group in data.feature_mask() {
        used[group as usize] += 1;
    }
    assert!(used.iter().all(|&columns| columns >= 1), "columns per attribute: {used:?}");
    assert_eq!(data.feature_mask().len(), data.encoded_len());
}

#[test]
fn numerical_columns_have_mean_0_and_std_dev_1() {
    let data = GermanCredit::shared();
    let row_len = data.encoded_len();
    let numerical =
        data.encoding().columns().iter().enumerate().filter(|(_, c)| matches!(c.kind, ColumnKind::Standardised { .. }));
    let mut checked = 0;
    for (column, definition) in numerical {
        let values: Vec<f64> =
            data.encoded_rows().iter().skip(column).step_by(row_len).map(|&v| f64::from(v)).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let std_dev = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
        assert!(mean.abs() < 1e-5, "{}: mean {mean}", definition.name);
        assert!((std_dev - 1.0).abs() < 1e-5, "{}: std dev {std_dev}", definition.name);
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn training_twice_gives_bit_identical_weights() {
    let data = GermanCredit::shared();
    let bits = |model: &GermanCreditModel| model.mlp().parameters().iter().map(|w| w.to_bits()).collect::<Vec<_>>();
    let first = GermanCreditModel::train(data);
    let second = GermanCreditModel::train(data);
    assert_eq!(bits(&first), bits(&second));
    assert_eq!(bits(&first), bits(GermanCreditModel::shared()));
}

#[test]
fn holdout_quality_is_above_the_floor() {
    let metrics = GermanCreditModel::shared().holdout_metrics();
    assert_eq!(metrics.rows, HOLDOUT_ROWS.len());
    assert!(metrics.accuracy > MIN_HOLDOUT_ACCURACY, "hold-out accuracy {}", metrics.accuracy);
    assert!(metrics.auc > MIN_HOLDOUT_AUC, "hold-out AUC {}", metrics.auc);
}

#[test]
fn batch_prediction_equals_row_by_row_and_lies_in_0_1() {
    let data = GermanCredit::shared();
    let model = GermanCreditModel::shared();
    let row_len = data.encoded_len();
    let mut batch = vec![0.0; data.rows()];
    model.predict(data.encoded_rows(), data.rows(), &mut batch).expect("a well-formed batch");
    for (row, &batched) in data.encoded_rows().chunks_exact(row_len).zip(&batch) {
        let mut single = [0.0];
        model.predict(row, 1, &mut single).expect("a well-formed row");
        assert_eq!(single[0].to_bits(), batched.to_bits());
        assert!(batched > 0.0 && batched < 1.0, "output {batched}");
    }
}

#[test]
fn predict_rejects_mismatched_buffers() {
    let data = GermanCredit::shared();
    let model = GermanCreditModel::shared();
    let mut outputs = [0.0; 2];
    let error =
        model.predict(&data.encoded_rows()[..data.encoded_len()], 2, &mut outputs).expect_err("one row for two");
    assert_eq!(error.kind(), lumen::ErrorKind::LengthMismatch);
    let error = model
        .predict(&data.encoded_rows()[..data.encoded_len()], 1, &mut outputs)
        .expect_err("two outputs for one row");
    assert_eq!(error.kind(), lumen::ErrorKind::LengthMismatch);
}

#[test]
fn signature_names_every_column() {
    let data = GermanCredit::shared();
    let signature = GermanCreditModel::shared().signature();
    signature.validate().expect("a consistent signature");
    assert_eq!(signature.input_len(), data.encoded_len());
    assert_eq!(signature.output_len, 1);
    assert!(signature.concurrent);
    assert_eq!(signature.feature_names.as_deref(), Some(data.column_names()));
}

#[test]
fn applicant_is_described_in_words() {
    let description = GermanCredit::shared().describe_applicant(0).expect("applicant 0 exists");
    assert_eq!(description[0], ("checking account", "< 0 DM".to_owned()));
    assert_eq!(description[1], ("duration (months)", "6".to_owned()));
}

#[test]
fn feature_ablation_explains_each_attribute() {
    let data = GermanCredit::shared();
    let model = GermanCreditModel::shared();
    let engine =
        Engine::new(EngineConfig { backend: BackendChoice::Cpu, ..Default::default() }).expect("the CPU backend");
    let rows = 5;
    let inputs = data.encoded_range(HOLDOUT_ROWS.start..HOLDOUT_ROWS.start + rows);
    let params = FeatureAblationParams {
        feature_mask: Some(data.feature_mask().to_vec()),
        group_names: Some(attribute_names().map(String::from).to_vec()),
        baseline: Baselines::Shared(data.baseline_row().to_vec()),
        group_attributions: true,
        ..Default::default()
    };
    let explanation = lumen::feature_ablation(&engine, model, inputs, rows, &params).expect("a valid request");
    assert_eq!(explanation.features, ATTRIBUTE_COUNT);
    assert_eq!(explanation.attributions.len(), rows * ATTRIBUTE_COUNT);
    assert!(explanation.attributions.iter().all(|a| a.is_finite()));
    assert!(explanation.attributions.iter().any(|&a| a != 0.0));
    assert_eq!(explanation.feature_names.as_ref().map(Vec::len), Some(ATTRIBUTE_COUNT));
    for row in &explanation.diagnostics {
        let gaps = row.completeness_gap.as_ref().expect("feature ablation reports a completeness gap");
        assert_eq!(gaps.len(), 1);
        assert!(gaps[0].is_finite());
    }
}

#[test]
fn encoded_rows_describe_like_the_raw_applicants() {
    let data = lumen_models::german_credit::GermanCredit::shared();
    for row in [0, 1, 500, 999] {
        let encoded = data.encoded_range(row..row + 1);
        assert_eq!(data.describe_encoded(encoded), data.describe_applicant(row), "row {row}");
    }
    assert!(data.describe_encoded(&[0.0; 3]).is_none());
}
