//! The gradient methods on the built-in digits CNN ([`DigitsCnn::shared`], 1 × 8 × 8 images,
//! 10 classes): the time per explained image, alone and in a batch of 32.
//!
//! Four methods, each with Captum's defaults except where noted:
//!
//! * `integrated_gradients`: 50 steps, Gauss–Legendre, baseline 0 (50 gradient rows per image);
//! * `saliency`: |∇f| (1 gradient row per image);
//! * `gradient_shap`: 20 baseline rows (the first 20 training images), 5 samples, no noise
//!   (5 gradient rows per image);
//! * `grad_cam`: the second convolution's 16 × 8 × 8 layer, upsampled to 8 × 8 (1 layer
//!   gradient row per image).
//!
//! Every explanation has one target, the label of the first explained image: Lumen's targets
//! apply to every row of a call, and the CNN's cost does not depend on the class. Each method
//! also runs the forward pass on the explained images (and GradientSHAP on its baselines).
//!
//! Two benchmarks per method in the group `digits_cnn`: `<method>/1` explains the first test
//! image, `<method>/32` the first 32 test images in one call. Throughput counts images, so
//! `thrpt` is images/s and the time of `/32` divided by 32 is the time per image in a batch.
//! The CNN is a Rust [`lumen::Model`] (no C callbacks), concurrent; the engine runs on 2
//! threads with seed 0, so GradientSHAP draws the same samples every iteration.
//!
//! Measured on two cores (medians, one image / per image in the batch of 32): Integrated
//! Gradients 3.29 ms / 2.90 ms, Saliency 204 µs / 91 µs, GradientSHAP 975 µs / 362 µs
//! (each call also runs the forward pass of its 20 baselines), Grad-CAM 135 µs / 42 µs.
//!
//! Run with (about a minute on two cores):
//!
//! ```text
//! cargo bench -p lumen-models --bench digits
//! cargo bench -p lumen-models --bench digits -- grad_cam      # one method only
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use lumen::explain::gradient::{
    grad_cam, gradient_shap, integrated_gradients, saliency, GradCamParams, GradientShapParams,
    IntegratedGradientsParams, SaliencyParams,
};
use lumen::{BackendChoice, Engine, EngineConfig, Explanation, Result};
use lumen_models::digits::{Digits, DigitsCnn, TEST_ROWS, TRAINING_ROWS};

/// Engine threads.
const THREADS: usize = 2;
/// Images of the batched benchmarks.
const BATCH: usize = 32;
/// GradientSHAP's baseline rows.
const BASELINE_ROWS: usize = 20;

/// One method's explanation of `rows` images.
type Explain<'a> = Box<dyn Fn(&[f32], usize) -> Result<Explanation> + 'a>;

fn bench_digits(c: &mut Criterion) {
    let data = Digits::shared();
    let model = DigitsCnn::shared();
    let engine = Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: THREADS, ..Default::default() })
        .expect("a CPU engine starts");
    let first = TEST_ROWS.start;
    let targets = Some(vec![data.labels()[first]]);

    let ig = IntegratedGradientsParams { n_steps: 50, targets: targets.clone(), ..Default::default() };
    let saliency_params = SaliencyParams { targets: targets.clone(), ..Default::default() };
    let baselines = data.images_in(TRAINING_ROWS.start..TRAINING_ROWS.start + BASELINE_ROWS).to_vec();
    let shap = GradientShapParams { n_samples: 5, targets: targets.clone(), ..GradientShapParams::new(baselines) };
    let cam = GradCamParams { targets, ..Default::default() };
    let methods: [(&str, Explain<'_>); 4] = [
        ("integrated_gradients", Box::new(|x, rows| integrated_gradients(&engine, model, x, rows, &ig))),
        ("saliency", Box::new(|x, rows| saliency(&engine, model, x, rows, &saliency_params))),
        ("gradient_shap", Box::new(|x, rows| gradient_shap(&engine, model, x, rows, &shap))),
        ("grad_cam", Box::new(|x, rows| grad_cam(&engine, model, x, rows, &cam))),
    ];

    let mut group = c.benchmark_group("digits_cnn");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(5));
    for (name, explain) in &methods {
        for rows in [1, BATCH] {
            let images = data.images_in(first..first + rows);
            group.throughput(Throughput::Elements(rows as u64));
            group.bench_function(BenchmarkId::new(*name, rows), |b| {
                b.iter(|| explain(black_box(images), rows).expect("explanation"));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_digits);
criterion_main!(benches);
