//! PermuteAttack on the German Credit random forest of the paper's experiment
//! ([`GermanCreditForest::shared`]), with the paper's settings
//! ([`PermuteAttackParams::new`]: population 30, 10 parents, 100 generations, 10 runs,
//! Gibbs sampling over 5 bins with 5 sweeps, `k = 3`) and the forest's 600 training rows
//! as the sampling pool. Every search evaluates 30 001 model rows per instance.
//!
//! - `one_row`: the counterfactual search of one instance (the first test row) toward the
//!   opposite class: the time per instance, which yields its `k = 3` counterfactuals.
//! - `audit_every_16th_row`: the dataset audit end to end, i.e. one `permute_attack` call
//!   over the attacked rows, their best counterfactuals as [`InstanceOutcome`]s and
//!   [`audit`]. All 400 test rows take about a minute per iteration on two cores, too slow
//!   for ten samples, so this benches every 16th test row (25 rows). Throughput is in rows,
//!   so the time for all 400 extrapolates as 400 / (rows per second); the rows are spread
//!   over the whole test set, and the cost per row depends on how many distinct
//!   successes its runs collect.
//!
//! Measured on two cores: `one_row` 49 ms; `audit_every_16th_row` 3.03 s for 25 rows
//! (8.25 rows/s, 0.121 s per row), which extrapolates to about 48 s for all 400 test rows.
//! The example's unrestricted search over all 400 took 57 s (other random streams).
//!
//! Both use an engine with one thread per core and seed 2020 (the example
//! `permute_attack_paper`'s default), so every iteration does the same work. Run with
//! (about 45 seconds on two cores):
//!
//! ```text
//! cargo bench -p lumen-models --bench permute_attack
//! cargo bench -p lumen-models --bench permute_attack -- one_row      # one benchmark only
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use lumen::explain::counterfactual::audit::{audit, InstanceOutcome};
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams};
use lumen::{BackendChoice, Engine, EngineConfig};
use lumen_models::german_credit::{GermanCredit, GermanCreditForest};

/// The engine's seed.
const SEED: u64 = 2020;

/// The audit benchmark attacks every `AUDIT_STRIDE`-th test row.
const AUDIT_STRIDE: usize = 16;

/// The encoded rows of the applicants `rows`, concatenated.
fn encoded(data: &GermanCredit, rows: impl IntoIterator<Item = usize>) -> Vec<f32> {
    rows.into_iter().flat_map(|row| data.encoded_range(row..row + 1).iter().copied()).collect()
}

fn bench_permute_attack(c: &mut Criterion) {
    let data = GermanCredit::shared();
    let forest = GermanCreditForest::shared();
    let schema = data.counterfactual_schema().expect("the German Credit attributes form a schema");
    let features = schema.len();
    let params = PermuteAttackParams::new(schema, encoded(data, forest.train_rows().iter().copied()));
    let engine =
        Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 0, seed: SEED, ..Default::default() })
            .expect("a CPU engine starts");

    let first_row = encoded(data, [forest.test_rows()[0]]);
    let audited: Vec<usize> = forest.test_rows().iter().copied().step_by(AUDIT_STRIDE).collect();
    let audit_rows = encoded(data, audited.iter().copied());

    let mut group = c.benchmark_group("permute_attack_german_credit_forest");
    group.sampling_mode(SamplingMode::Flat).sample_size(10).warm_up_time(Duration::from_secs(1));

    group.throughput(Throughput::Elements(1)).measurement_time(Duration::from_secs(5));
    group.bench_function("one_row", |b| {
        b.iter(|| permute_attack(&engine, forest, black_box(&first_row), 1, &params).expect("search"));
    });

    group.throughput(Throughput::Elements(audited.len() as u64)).measurement_time(Duration::from_secs(35));
    group.bench_function(format!("audit_every_{AUDIT_STRIDE}th_row"), |b| {
        b.iter(|| {
            let result =
                permute_attack(&engine, forest, black_box(&audit_rows), audited.len(), &params).expect("search");
            let outcomes: Vec<InstanceOutcome> = result
                .instances
                .iter()
                .map(|instance| {
                    let best = &instance.counterfactuals[0];
                    InstanceOutcome { success: best.success, changed: best.changed.clone() }
                })
                .collect();
            audit(&outcomes, features).expect("valid outcomes")
        });
    });
    group.finish();
}

criterion_group!(benches, bench_permute_attack);
criterion_main!(benches);
