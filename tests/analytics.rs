//! Attribution analytics against hand-computed values.

use lumen::backend::BackendKind;
use lumen::explanation::{
    concentration, consistency, magnitude, sparsity, AttributionSummary, Audit, Explanation, FeatureAxis, Method,
    RowDiagnostics, Values, LIBRARY_VERSION,
};
use lumen::{ElementType, ErrorKind};

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() < 1e-12
}

#[test]
fn concentration_is_the_gini_coefficient_of_the_magnitudes() {
    // |a| sorted = [1, 2, 3, 4], Σ = 10; Σ (2i − 5) x_i = −3 − 2 + 3 + 12 = 10 → 10 / (4 · 10).
    assert!(close(concentration(&[1.0, -2.0, 3.0, -4.0]), 0.25));
    // One non-zero of n: (n − 1) / n.
    assert!(close(concentration(&[0.0, 0.0, -4.0, 0.0]), 0.75));
    let mut one_hot = vec![0.0f64; 1000];
    one_hot[17] = 2.5;
    assert!(close(concentration(&one_hot), 0.999));
    // Equal magnitudes, all zeros, nothing: 0.
    assert_eq!(concentration(&[2.0, -2.0, 2.0, -2.0]), 0.0);
    assert_eq!(concentration(&[0.3; 7]), 0.0);
    assert_eq!(concentration(&[0.0; 5]), 0.0);
    assert_eq!(concentration(&[]), 0.0);
}

#[test]
fn magnitude_is_the_mean_absolute_attribution() {
    assert!(close(magnitude(&[1.0, -2.0, 3.0, -4.0]), 2.5));
    assert_eq!(magnitude(&[]), 0.0);
}

#[test]
fn sparsity_counts_values_below_a_tenth_of_the_population_std() {
    // Mean 2.45; Σ (a − mean)² = 6.0025 + 4.6225 + 8.7025 + 57.0025 = 76.33; population
    // σ = √(76.33 / 4) = 4.368…, threshold 0.4368: 0 and 0.3 fall below, −0.5 does not.
    // (The sample σ, √(76.33 / 3) = 5.044…, would let −0.5 in: 0.75.)
    assert!(close(sparsity(&[0.0, 0.3, -0.5, 10.0]), 0.5));
    // Constant maps have σ = 0 and nothing strictly below 0.
    assert_eq!(sparsity(&[0.0; 4]), 0.0);
    assert_eq!(sparsity(&[3.0; 3]), 0.0);
    assert_eq!(sparsity(&[]), 0.0);
}

#[test]
fn consistency_is_the_absolute_pearson_correlation() {
    let a = [1.0, 2.0, 3.0, 4.0];
    assert!(close(consistency(&a, &[2.0, 4.0, 6.0, 8.0]).unwrap(), 1.0));
    assert!(close(consistency(&a, &[8.0, 6.0, 4.0, 2.0]).unwrap(), 1.0));
    // Deviations (−1.5, −0.5, 0.5, 1.5) and (−1.5, 0.5, −0.5, 1.5): cov 4, variances 5 and 5.
    assert!(close(consistency(&a, &[1.0, 3.0, 2.0, 4.0]).unwrap(), 0.8));
    assert!(close(consistency(&a, &[1.0, -1.0, -1.0, 1.0]).unwrap(), 0.0));
    // A constant map has no correlation: 0.
    assert_eq!(consistency(&a, &[5.0; 4]).unwrap(), 0.0);
    assert_eq!(consistency(&[0.0; 4], &a).unwrap(), 0.0);
    assert_eq!(consistency(&[], &[]).unwrap(), 0.0);
    assert_eq!(consistency(&a, &[1.0, 2.0]).unwrap_err().kind(), ErrorKind::LengthMismatch);
    assert_eq!(consistency(&a, &[1.0, f64::NAN, 0.0, 0.0]).unwrap_err().kind(), ErrorKind::NonFiniteInput);
}

/// A 2-row, 2-output explanation over 4 features.
fn explanation() -> Explanation {
    let attributions = Values::rounded::<f32>(vec![
        0.0, 0.0, 0.0, 1.0, // row 0, output 0
        1.0, 1.0, 1.0, 1.0, // row 0, output 1
        1.0, -2.0, 3.0, -4.0, // row 1, output 0
        0.0, 0.3, -0.5, 10.0, // row 1, output 1
    ]);
    Explanation {
        method: Method::Saliency,
        parameters: serde_json::Value::Null,
        audit: Audit {
            library_version: LIBRARY_VERSION,
            element_type: ElementType::F32,
            seed: 0,
            row_keys: None,
            backend: BackendKind::Cpu,
            backend_note: None,
            model_rows_evaluated: 0,
        },
        input_shape: vec![4],
        rows: 2,
        outputs: vec![3, 5],
        row_targets: None,
        feature_axis: FeatureAxis::Elements,
        features: 4,
        feature_shape: vec![4],
        feature_names: None,
        attributions,
        predictions: Values::rounded::<f32>(vec![0.0; 4]),
        base_values: Values::rounded::<f32>(vec![0.0; 4]),
        standard_errors: None,
        diagnostics: vec![RowDiagnostics { model_rows_evaluated: 0, completeness_gap: None }; 2],
    }
}

#[test]
fn an_explanation_summarises_one_row_and_output() {
    let e = explanation();
    let s = e.summary(1, 0).unwrap();
    assert!(close(s.concentration, 0.25) && close(s.magnitude, 2.5), "{s:?}");
    // Mean −0.5, σ = √(29 / 4) = 2.69…: no |a| of 1..4 is below 0.269.
    assert_eq!(s.sparsity, 0.0);
    let s = e.summary(1, 1).unwrap();
    assert!(close(s.sparsity, 0.5), "{s:?}");
    let s = e.summary(0, 0).unwrap();
    assert_eq!(s, AttributionSummary { concentration: 0.75, magnitude: 0.25, sparsity: 0.75 });
    let s = e.summary(0, 1).unwrap();
    assert_eq!(s, AttributionSummary { concentration: 0.0, magnitude: 1.0, sparsity: 0.0 });
    // `output` is a position in `outputs` (0 or 1 here), not the model's output index 3.
    assert_eq!(e.summary(0, 2).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(e.summary(2, 0).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(AttributionSummary::of(&[f64::INFINITY]).unwrap_err().kind(), ErrorKind::NonFiniteInput);
}
