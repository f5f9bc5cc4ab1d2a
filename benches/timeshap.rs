//! TimeSHAP: temporal coalition pruning and the event-level explanation of one sequence
//! for L = 50, 500 and 2000 events (the paper's longest sequences have about 2200), on a
//! cheap synthetic RNN (`support/sequence_rnn.rs`: 4 features, 8 hidden units, fading
//! memory), a CPU engine on 2 threads, the average-event background (0.1 per feature),
//! η = 1e-3.
//!
//! Groups:
//!
//! * `timeshap_pruning/state` and `/full`: Algorithm 1 walking back from the most recent
//!   event until |φ_older| ≤ η, with the state-carrying path (both prefixes run once, one
//!   event at a time, then only the tails) and with full re-evaluation (two whole sequences
//!   per split). The pruned length does not grow with L, so both are linear in L: the state
//!   path runs the L − 1 prefix steps plus the tails, full re-evaluation 2k rows of L
//!   events. `thrpt` counts events, so a flat `elem/s` across L is linear time.
//! * `timeshap_event`: pruning plus the event-level explanation on the pruned sequence
//!   (state path; exact enumeration, the players being the kept events plus the pruned
//!   ones).
//!
//! The pruned length of each L is printed once before the measurements.
//!
//! ```text
//! cargo bench --bench timeshap
//! ```

#[path = "support/sequence_rnn.rs"]
mod sequence_rnn;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use lumen::explain::timeshap::{timeshap_event, timeshap_prune, SequenceBackground, TimeShapParams};
use lumen::{BackendChoice, Engine, EngineConfig};
use sequence_rnn::{sequence, SequenceRnn, FEATURES};

const LENGTHS: [usize; 3] = [50, 500, 2000];
const TOLERANCE: f64 = 1e-3;

fn params() -> TimeShapParams {
    let mut params = TimeShapParams::new(SequenceBackground::Event(vec![0.1; FEATURES]));
    params.tolerance = Some(TOLERANCE);
    params
}

fn bench_timeshap(c: &mut Criterion) {
    let engine = Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 2, seed: 1, ..Default::default() })
        .expect("CPU engine");
    let with_state = SequenceRnn::new(true);
    let without_state = SequenceRnn::new(false);
    let params = params();
    for l in LENGTHS {
        let x = sequence(l);
        let pruning = timeshap_prune(&engine, &with_state, &x, l, &params, false).expect("pruning");
        eprintln!(
            "L = {l}: pruned length {} at η = {TOLERANCE}, {} model rows",
            pruning.pruned_len, pruning.model_rows_evaluated
        );
    }

    let mut group = c.benchmark_group("timeshap_pruning");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(3));
    for l in LENGTHS {
        let x = sequence(l);
        group.throughput(Throughput::Elements(l as u64));
        for (name, model) in [("state", &with_state), ("full", &without_state)] {
            group.bench_with_input(BenchmarkId::new(name, l), &x, |b, x| {
                b.iter(|| black_box(timeshap_prune(&engine, model, x, l, &params, false).expect("pruning")))
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("timeshap_event");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(3));
    for l in LENGTHS {
        let x = sequence(l);
        group.throughput(Throughput::Elements(l as u64));
        group.bench_with_input(BenchmarkId::from_parameter(l), &x, |b, x| {
            b.iter(|| black_box(timeshap_event(&engine, &with_state, x, l, &params).expect("event level")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_timeshap);
criterion_main!(benches);
