//! TimeSHAP at small coalition budgets: sampled event-level values are returned at every
//! budget that identifies them, with standard errors flagged unavailable (never a failed
//! call) when the sample is too thin to estimate them.

mod common;

use lumen::explain::timeshap::{timeshap_event, SequenceBackground, TimeShapParams};
use lumen::model::{SequenceModel, SequenceSignature};
use lumen::Engine;

/// f = σ(Σ_t a_t · tanh(Σ_j x_tj) + x_{L−1,0} · x_{L−2,0}): events interact through the
/// product of the two most recent ones.
struct Events(SequenceSignature);

impl SequenceModel for Events {
    fn signature(&self) -> &SequenceSignature {
        &self.0
    }

    fn predict(&self, inputs: &[f32], rows: usize, seq_len: usize, outputs: &mut [f32]) -> lumen::Result<()> {
        let f = self.0.features;
        for (x, out) in inputs.chunks_exact(seq_len * f).zip(outputs.iter_mut()).take(rows) {
            let mut z: f32 = x
                .chunks_exact(f)
                .enumerate()
                .map(|(t, e)| (0.3 + 0.05 * t as f32) * e.iter().sum::<f32>().tanh())
                .sum();
            if seq_len >= 2 {
                z += x[(seq_len - 1) * f] * x[(seq_len - 2) * f];
            }
            *out = 1.0 / (1.0 + (-z).exp());
        }
        Ok(())
    }
}

fn engine(seed: u64) -> Engine {
    Engine::new(lumen::EngineConfig { backend: lumen::BackendChoice::Cpu, threads: 1, seed, ..Default::default() })
        .unwrap()
}

#[test]
fn fourteen_events_at_budget_64_never_fail() {
    let (seq_len, features) = (14, 2);
    let model = Events(SequenceSignature::new(features, 1));
    let x: Vec<f32> = common::values(seq_len * features, 3);
    let mut params = TimeShapParams::new(SequenceBackground::Event(vec![0.0; features]));
    let mut unavailable = 0;
    for budget in [14, 20, 28, 40, 64] {
        params.budget = budget;
        for seed in 0..8 {
            let e = timeshap_event(&engine(seed), &model, &x, seq_len, &params).expect("identified budgets never fail");
            let explanation = &e.explanation;
            let flags = &explanation.sampling_diagnostics().expect("sampled")[0];
            assert_eq!(flags.standard_errors_available, explanation.standard_errors.is_some());
            unavailable += usize::from(!flags.standard_errors_available);
            assert!(explanation.attributions.iter().all(|v| v.is_finite()));
            let gap = explanation.diagnostics[0].completeness_gap.as_ref().unwrap()[0];
            assert!(gap.abs() < 1e-5, "budget {budget}, seed {seed}: local accuracy gap {gap}");
        }
    }
    assert!(unavailable > 0, "budget 14 (= M) cannot estimate errors for 14 players");
}
