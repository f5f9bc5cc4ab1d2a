//! The fraud GRU's forward pass ([`FraudGru::shared`], 16 hidden units, 8 features): the
//! time per scored event, as TimeSHAP calls it.
//!
//! Three benchmarks in the group `fraud_gru`, each counting events (`thrpt` is events/s):
//!
//! * `predict/{rows}x{len}`: whole sequences from the zero state, 1 × 2000 (one long
//!   history, sequential by nature) and 4096 × 50 (a batch of perturbed short sequences);
//! * `run_prefix/1x2000`: the state after a 2000-event prefix;
//! * `predict_from_state/4096x20`: 20-event tails from a carried state, the pruned
//!   TimeSHAP path.
//!
//! Measured CPU time per event on one thread (`RAYON_NUM_THREADS=1`, `perf stat` task-clock of
//! 1000 × `predict` 1 × 2000 and 40 × `predict` 1000 × 50, on a loaded 2-core Xeon with AVX2):
//! about 90 ns for one long sequence and 95 ns per event in batches.
//!
//! Run with (about half a minute on two cores):
//!
//! ```text
//! cargo bench -p lumen-models --bench fraud_gru
//! ```

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lumen_models::fraud::{batch_of, generate_histories, FraudGru, GeneratorConfig};

fn batch(rows: usize, len: usize) -> Vec<f32> {
    let histories = generate_histories(&GeneratorConfig::fixed_length(7, len), rows.min(64));
    let one = batch_of(&histories).expect("equal lengths");
    one.iter().copied().cycle().take(rows * len * lumen_models::fraud::FEATURES).collect()
}

fn fraud_gru(c: &mut Criterion) {
    let model = FraudGru::shared();
    let hidden = model.hidden_size();
    let mut group = c.benchmark_group("fraud_gru");
    for (rows, len) in [(1usize, 2000usize), (4096, 50)] {
        let inputs = batch(rows, len);
        let mut outputs = vec![0.0; rows];
        group.throughput(Throughput::Elements((rows * len) as u64));
        group.bench_function(BenchmarkId::new("predict", format!("{rows}x{len}")), |b| {
            b.iter(|| model.predict(black_box(&inputs), rows, len, &mut outputs).unwrap())
        });
    }
    let prefix = batch(1, 2000);
    let mut state = vec![0.0; hidden];
    group.throughput(Throughput::Elements(2000));
    group.bench_function(BenchmarkId::new("run_prefix", "1x2000"), |b| {
        b.iter(|| model.run_prefix(black_box(&prefix), 1, 2000, None, &mut state).unwrap())
    });
    let (rows, len) = (4096, 20);
    let tails = batch(rows, len);
    let states: Vec<f32> = state.iter().copied().cycle().take(rows * hidden).collect();
    let mut outputs = vec![0.0; rows];
    group.throughput(Throughput::Elements((rows * len) as u64));
    group.bench_function(BenchmarkId::new("predict_from_state", format!("{rows}x{len}")), |b| {
        b.iter(|| model.predict_from_state(black_box(&tails), rows, len, &states, &mut outputs).unwrap())
    });
    group.finish();
}

criterion_group!(benches, fraud_gru);
criterion_main!(benches);
