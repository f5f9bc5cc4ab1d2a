//! Lumen's gradient methods on the built-in digits CNN, end to end.

use lumen::explain::gradient::{grad_cam, integrated_gradients, GradCamParams, IntegratedGradientsParams, Quadrature};
use lumen::{BackendChoice, Engine, EngineConfig, Model};
use lumen_models::digits::{Digits, DigitsCnn, TEST_ROWS};

fn engine() -> Engine {
    Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 2, ..Default::default() }).unwrap()
}

#[test]
fn integrated_gradients_delta_shrinks_with_steps_on_the_cnn() {
    let digits = Digits::shared();
    let model = DigitsCnn::shared();
    let image = digits.image(TEST_ROWS.start);
    let target = digits.labels()[TEST_ROWS.start];
    let delta = |steps, method| {
        let params =
            IntegratedGradientsParams { n_steps: steps, method, targets: Some(vec![target]), ..Default::default() };
        let e = integrated_gradients(&engine(), model, image, 1, &params).unwrap();
        e.diagnostics[0].completeness_gap.as_ref().unwrap()[0].abs()
    };
    let coarse = delta(4, Quadrature::RiemannRight);
    let fine = delta(256, Quadrature::RiemannRight);
    assert!(fine < coarse, "Riemann right: delta {fine} at 256 steps vs {coarse} at 4");
    assert!(delta(50, Quadrature::GaussLegendre) < 0.05, "the default rule is close to complete");
}

#[test]
fn grad_cam_highlights_where_the_layer_supports_the_class() {
    let digits = Digits::shared();
    let model = DigitsCnn::shared();
    let image = digits.image(TEST_ROWS.start);
    let target = digits.labels()[TEST_ROWS.start];
    let params = GradCamParams { targets: Some(vec![target]), relu_attributions: true, ..Default::default() };
    let e = grad_cam(&engine(), model, image, 1, &params).unwrap();
    assert_eq!(e.features, 64);
    assert!(e.attributions.iter().all(|&v| v >= 0.0 && v.is_finite()));
    assert!(e.attributions.iter().any(|&v| v > 0.0), "the predicted class has some positive evidence");
    let mut probabilities = [0.0f32; 10];
    model.predict(image, 1, &mut probabilities).unwrap();
    assert_eq!(e.predictions[0], f64::from(probabilities[target as usize]));
}
