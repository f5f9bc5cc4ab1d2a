//! Feature Ablation against closed forms and hand-computed interactions.

mod common;

use common::{values, Linear};
use lumen::backend::Baselines;
use lumen::explanation::FeatureAxis;
use lumen::{feature_ablation, FeatureAblationParams, Model, ModelSignature};

/// f(x) = x0·x1 + x2: ablating {0} or {1} removes the product, so group values do not
/// add up to f(x) − f(0) and the completeness gap shows it.
struct Product(ModelSignature);

impl Model for Product {
    fn signature(&self) -> &ModelSignature {
        &self.0
    }
    fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        for r in 0..rows {
            let x = &inputs[r * 3..r * 3 + 3];
            outputs[r] = x[0] * x[1] + x[2];
        }
        Ok(())
    }
}

backend_tests! {
    fn linear_groups_closed_form(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let w = vec![1.0, -2.0, 0.5, 3.0, 1.5, -1.0];
        let model = Linear::new(&[6], vec![w.clone()], vec![0.1]);
        let x = values(12, 11);
        let b = values(6, 12);
        let mask = vec![2, 0, 0, 1, 2, 1];
        let params = FeatureAblationParams {
            feature_mask: Some(mask.clone()),
            group_names: Some(vec!["a".into(), "b".into(), "c".into()]),
            baseline: Baselines::Shared(b.clone()),
            ..Default::default()
        };
        let per_element = feature_ablation(&engine, &model, &x, 2, &params).unwrap();
        let grouped = feature_ablation(&engine, &model, &x, 2, &FeatureAblationParams { group_attributions: true, ..params }).unwrap();
        assert_eq!(per_element.feature_axis, FeatureAxis::Elements);
        assert_eq!(grouped.feature_axis, FeatureAxis::Groups);
        assert_eq!(grouped.features, 3);
        assert_eq!((per_element.feature_shape.clone(), grouped.feature_shape.clone()), (vec![6], vec![3]));
        assert_eq!(grouped.feature_names.as_deref(), Some(&["a".to_string(), "b".into(), "c".into()][..]));
        for r in 0..2 {
            let xr = &x[r * 6..(r + 1) * 6];
            let group_value = |g: u32| -> f32 { (0..6).filter(|&i| mask[i] == g).map(|i| w[i] * (xr[i] - b[i])).sum() };
            for g in 0..3 {
                assert!((grouped.row_attributions(r, 0)[g] - f64::from(group_value(g as u32))).abs() < 1e-5);
            }
            for (attribution, &group) in per_element.row_attributions(r, 0).iter().zip(&mask) {
                assert!((attribution - f64::from(group_value(group))).abs() < 1e-5);
            }
            let gap = grouped.diagnostics[r].completeness_gap.as_ref().unwrap()[0];
            assert!(gap.abs() < 1e-5, "a linear model is additive over groups; gap {gap}");
            assert_eq!(grouped.diagnostics[r].model_rows_evaluated, 3 + 1);
        }
    }

    fn interaction_shows_in_completeness_gap(backend) {
        let Some(engine) = common::engine(backend, 1) else { return };
        let model = Product(ModelSignature::flat(3, 1));
        // x = (2, 3, 1), baseline 0: f(x) = 7, f(0) = 0. Ablating x0 → 1, x1 → 1, x2 → 6.
        // Values: 6, 6, 1; sum 13; gap 13 − 7 = 6 (the product counted twice).
        let params = FeatureAblationParams { group_attributions: true, ..Default::default() };
        let e = feature_ablation(&engine, &model, &[2.0, 3.0, 1.0], 1, &params).unwrap();
        assert_eq!(e.attributions, vec![6.0, 6.0, 1.0]);
        assert_eq!(e.predictions, vec![7.0]);
        assert_eq!(e.base_values, vec![0.0]);
        assert_eq!(e.diagnostics[0].completeness_gap, Some(vec![6.0]));
    }

    fn groups_at_their_baseline_skip_the_model(backend) {
        // One-hot columns ablated to 0: the columns that are already 0 change nothing, so
        // their values are exactly 0 without a model row. Row 1 equals its baseline on
        // every element but the first; -0.0 against 0.0 differs in bits and is evaluated.
        let Some(engine) = common::engine(backend, 2) else { return };
        let w = vec![1.0, -2.0, 0.5, 3.0, 1.5, -1.0];
        let model = Linear::new(&[6], vec![w.clone()], vec![0.1]);
        let x = vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 4.0, 9.0, 0.0, -0.0, 5.0, 2.0];
        let b = vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 9.0, 0.0, 0.0, 5.0, 2.0];
        let params = FeatureAblationParams { baseline: Baselines::PerRow(b.clone()), ..Default::default() };
        let e = feature_ablation(&engine, &model, &x, 2, &params).unwrap();
        for r in 0..2 {
            for i in 0..6 {
                let (got, want) = (e.row_attributions(r, 0)[i], f64::from(w[i] * (x[r * 6 + i] - b[r * 6 + i])));
                if x[r * 6 + i].to_bits() == b[r * 6 + i].to_bits() {
                    assert_eq!(got.to_bits(), 0.0f64.to_bits(), "row {r} element {i} is unchanged");
                } else {
                    assert!((got - want).abs() < 1e-5, "row {r} element {i}: {got} vs {want}");
                }
            }
        }
        // f(x), f(baseline), and the elements whose bits differ from the baseline's.
        assert_eq!(e.diagnostics[0].model_rows_evaluated, 2 + 2);
        assert_eq!(e.diagnostics[1].model_rows_evaluated, 2 + 2);
        let gap = e.diagnostics[0].completeness_gap.as_ref().unwrap()[0];
        assert!(gap.abs() < 1e-6, "gap {gap}");
    }

    fn targets_and_per_row_baselines(backend) {
        let Some(engine) = common::engine(backend, 2) else { return };
        let model = Linear::new(&[4], vec![vec![1.0, 1.0, 1.0, 1.0], vec![1.0, 2.0, 3.0, 4.0]], vec![0.0, 0.0]);
        let x = vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0];
        let b = vec![0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let params = FeatureAblationParams {
            baseline: Baselines::PerRow(b),
            targets: Some(vec![1]),
            feature_mask: Some(vec![0, 0, 1, 1]),
            ..Default::default()
        };
        let e = feature_ablation(&engine, &model, &x, 2, &params).unwrap();
        assert_eq!(e.outputs, vec![1]);
        // Row 0: x − b = 1: group 0 → 1+2 = 3, group 1 → 3+4 = 7. Row 1: the same.
        assert_eq!(e.attributions, vec![3.0, 3.0, 7.0, 7.0, 3.0, 3.0, 7.0, 7.0]);
        assert_eq!(e.base_values, vec![0.0, 10.0]);
        assert_eq!(e.diagnostics[0].model_rows_evaluated, 2 + 2);
    }
}

#[test]
fn rejects_bad_masks_and_names() {
    let engine = common::engine(lumen::backend::BackendKind::Cpu, 1).unwrap();
    let model = Linear::new(&[4], vec![vec![1.0; 4]], vec![0.0]);
    let x = [1.0; 4];
    let run = |params: FeatureAblationParams| feature_ablation(&engine, &model, &x, 1, &params).unwrap_err();
    let e = run(FeatureAblationParams { feature_mask: Some(vec![0, 0, 2, 2]), ..Default::default() });
    assert!(e.message().contains("id 1 has no elements"), "{e}");
    let e = run(FeatureAblationParams { feature_mask: Some(vec![0, 1]), ..Default::default() });
    assert_eq!(e.kind(), lumen::ErrorKind::LengthMismatch);
    let e = run(FeatureAblationParams { group_names: Some(vec!["one".into()]), ..Default::default() });
    assert!(e.message().contains("group_names"), "{e}");
    let e = run(FeatureAblationParams { targets: Some(vec![1]), ..Default::default() });
    assert!(e.message().contains("targets"), "{e}");
    let e = run(FeatureAblationParams { baseline: Baselines::Scalar(f32::NAN), ..Default::default() });
    assert_eq!(e.kind(), lumen::ErrorKind::NonFiniteInput);
    let e = feature_ablation(&engine, &model, &[1.0, f32::INFINITY, 0.0, 0.0], 1, &Default::default()).unwrap_err();
    assert!(e.message().contains("inputs: element 1"), "{e}");
    let e = feature_ablation(&engine, &model, &[], 0, &Default::default()).unwrap_err();
    assert!(e.message().starts_with("rows"), "{e}");
}
