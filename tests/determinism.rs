//! Same inputs, same bits: results do not depend on the thread count, on whether the
//! model may run concurrently, or on the memory budget's effect on scheduling.

mod common;

use common::{values, Nonlinear};
use lumen::backend::{BackendKind, Baselines};
use lumen::{feature_ablation, occlusion, BackendChoice, Engine, EngineConfig, FeatureAblationParams, OcclusionParams};

fn occlusion_bits(backend: BackendKind, threads: usize, concurrent: bool) -> Option<(Vec<u64>, String)> {
    let engine = common::engine(backend, threads)?;
    let model = Nonlinear::new(&[3, 10, 12], concurrent);
    let x = values(3 * 3 * 10 * 12, 21);
    let mut params = OcclusionParams::new(vec![2, 3, 3]);
    params.strides = Some(vec![1, 2, 2]);
    params.baseline = Baselines::Shared(values(360, 22));
    let e = occlusion(&engine, &model, &x, 3, &params).unwrap();
    Some((e.attributions.iter().map(|v| v.to_bits()).collect(), e.to_json().unwrap()))
}

backend_tests! {
    fn occlusion_is_bit_identical_across_threads(backend) {
        let Some(reference) = occlusion_bits(backend, 1, true) else { return };
        for threads in [2, 8] {
            for concurrent in [true, false] {
                let run = occlusion_bits(backend, threads, concurrent).unwrap();
                assert_eq!(run.0, reference.0, "{threads} threads, concurrent {concurrent}");
                assert_eq!(run.1, reference.1, "JSON differs at {threads} threads");
            }
        }
    }

    fn ablation_is_bit_identical_across_threads(backend) {
        let run = |threads| {
            let engine = common::engine(backend, threads)?;
            let model = Nonlinear::new(&[40], true);
            let x = values(40 * 9, 31);
            let mask: Vec<u32> = (0..40).map(|i| (i * 7 % 10) as u32).collect();
            let params = FeatureAblationParams { feature_mask: Some(mask), group_attributions: true, ..Default::default() };
            let e = feature_ablation(&engine, &model, &x, 9, &params).unwrap();
            Some(e.attributions.iter().chain(e.predictions.iter()).map(|v| v.to_bits()).collect::<Vec<_>>())
        };
        let Some(reference) = run(1) else { return };
        assert_eq!(run(2).unwrap(), reference);
        assert_eq!(run(8).unwrap(), reference);
    }
}

#[test]
fn small_budget_gives_the_same_bits() {
    let model = Nonlinear::new(&[3, 10, 12], true);
    let x = values(360 * 2, 41);
    let params = OcclusionParams::new(vec![1, 4, 4]);
    let run = |budget| {
        let engine =
            Engine::new(EngineConfig { backend: BackendChoice::Cpu, threads: 2, seed: 1, memory_budget_bytes: budget })
                .unwrap();
        occlusion(&engine, &model, &x, 2, &params)
    };
    let e = run(1000).unwrap_err();
    assert_eq!(e.kind(), lumen::ErrorKind::BudgetTooSmall);
    // The minimum the refusal names holds the call's working set and one batch row (1440
    // bytes): batches of one row there, of at most 3 (and one worker) two rows above it.
    let minimum: usize = e
        .message()
        .rsplit("expected at least ")
        .next()
        .and_then(|rest| rest.strip_suffix(" bytes"))
        .and_then(|bytes| bytes.parse().ok())
        .unwrap_or_else(|| panic!("no minimum in {:?}", e.message()));
    assert_eq!(run(minimum - 1).unwrap_err().kind(), lumen::ErrorKind::BudgetTooSmall);
    let reference = run(256 << 20).unwrap().attributions;
    assert_eq!(run(minimum).unwrap().attributions, reference);
    assert_eq!(run(minimum + 2 * 1440).unwrap().attributions, reference);
}
