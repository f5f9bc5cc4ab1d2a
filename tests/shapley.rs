//! Shapley methods against the definition: a brute-force enumeration of every coalition
//! of the interventional game, written independently of the engine.

mod common;

use common::{brute_force_shapley, values, Linear, Nonlinear};
use lumen::explain::shapley::{shapley_value_sampling, Background, Link, ShapleyGame, ShapleySamplingParams};
use lumen::{Model, ModelSignature};

/// v(S) = Σ_b w_b f(x_S, b_notS) for every subset S of players (bit i = player i), by
/// direct model calls, one row at a time.
fn brute_force_values(
    model: &dyn Model,
    x: &[f32],
    background: &[f32],
    weights: &[f64],
    players: &[u32],
    target: usize,
) -> Vec<f64> {
    let m = *players.iter().max().unwrap() as usize + 1;
    let n = x.len();
    let outputs = model.signature().output_len;
    (0..1usize << m)
        .map(|subset| {
            background
                .chunks(n)
                .zip(weights)
                .map(|(b, w)| {
                    let row: Vec<f32> =
                        (0..n).map(|e| if subset >> players[e] & 1 == 1 { x[e] } else { b[e] }).collect();
                    let mut out = vec![0.0f32; outputs];
                    model.predict(&row, 1, &mut out).unwrap();
                    w * f64::from(out[target])
                })
                .sum()
        })
        .collect()
}

fn engine(threads: usize, seed: u64) -> lumen::Engine {
    lumen::Engine::new(lumen::EngineConfig { backend: lumen::BackendChoice::Cpu, threads, seed, ..Default::default() })
        .unwrap()
}

#[test]
fn sampling_is_exact_for_a_linear_model_and_locally_accurate() {
    let w = vec![0.5, -1.0, 2.0, 0.25, -0.75];
    let model = Linear::new(&[5], vec![w.clone()], vec![0.3]);
    let x = values(5, 1);
    let background = values(5 * 4, 2);
    let bg = Background::new(background.clone(), 5, Some(vec![1.0, 2.0, 3.0, 4.0])).unwrap();
    let params =
        ShapleySamplingParams { permutation_pairs: 3, ..ShapleySamplingParams::new(ShapleyGame::new(bg.clone())) };
    let e = shapley_value_sampling(&engine(2, 5), &model, &x, 1, &params).unwrap();
    for i in 0..5 {
        let mean_b: f64 = (0..4).map(|r| bg.weights[r] * f64::from(background[r * 5 + i])).sum();
        let expected = f64::from(w[i]) * (f64::from(x[i]) - mean_b);
        assert!((e.attributions[i] - expected).abs() < 1e-5, "player {i}");
        assert!(e.standard_errors.as_ref().unwrap()[i] < 1e-5);
    }
    let gap = e.diagnostics[0].completeness_gap.as_ref().unwrap()[0];
    assert!(gap.abs() < 1e-5, "local accuracy gap {gap}");
}

/// Also checks that repeated prefixes are evaluated once: 800 walks over 5 players visit
/// 3200 proper prefixes, but there are only 2⁵ − 2 = 30 proper coalitions.
#[test]
fn sampling_converges_to_brute_force_within_its_standard_errors_evaluating_each_prefix_once() {
    let model = Nonlinear::new(&[6], true);
    let x = values(6, 3);
    let background = values(6 * 3, 4);
    let players = vec![0, 1, 2, 2, 3, 4];
    let weights = vec![0.2, 0.3, 0.5];
    let v = brute_force_values(&model, &x, &background, &weights, &players, 0);
    let exact = brute_force_shapley(&v, 5);
    let mut game = ShapleyGame::new(Background::new(background, 6, Some(weights)).unwrap());
    game.players = Some(players);
    game.targets = Some(vec![0]);
    let params = ShapleySamplingParams { permutation_pairs: 400, ..ShapleySamplingParams::new(game) };
    let e = shapley_value_sampling(&engine(2, 11), &model, &x, 1, &params).unwrap();
    let se = e.standard_errors.as_ref().unwrap();
    for i in 0..5 {
        let error = (e.attributions[i] - exact[i]).abs();
        assert!(error <= 5.0 * se[i] + 1e-6, "player {i}: error {error}, se {}", se[i]);
    }
    // The prediction, the background (the empty coalition) and each of the 30 proper
    // coalitions over the 3 background rows.
    let distinct_rows = 1 + 3 + 30 * 3;
    assert!(e.diagnostics[0].model_rows_evaluated <= distinct_rows, "{}", e.diagnostics[0].model_rows_evaluated);
    // The row's sampling facts: the distinct coalitions it evaluated and its largest error.
    let flags = &e.sampling_diagnostics().expect("Shapley Value Sampling records its sampling")[0];
    assert_eq!(flags.coalitions as u64 * 3, e.diagnostics[0].model_rows_evaluated - 1 - 3);
    assert!(flags.standard_errors_available && !flags.exact && flags.rounds == 1);
    // The reported errors are rounded to the model's f32; the facts keep the f64.
    let largest = se.iter().copied().fold(0.0, f64::max);
    let recorded = flags.largest_standard_error.expect("available");
    assert!((recorded - largest).abs() <= 1e-6 * largest, "{recorded} vs {largest}");
    assert_eq!((flags.target_standard_error, flags.target_met), (None, None));
}

#[test]
fn sampling_is_reproducible_and_seed_dependent() {
    let model = Nonlinear::new(&[8], true);
    let x = values(16, 5);
    let params = ShapleySamplingParams::new(ShapleyGame::new(Background::new(values(8 * 5, 6), 8, None).unwrap()));
    let run = |threads, seed| shapley_value_sampling(&engine(threads, seed), &model, &x, 2, &params).unwrap();
    let reference = run(1, 9);
    assert_eq!(run(2, 9).attributions, reference.attributions);
    assert_eq!(run(8, 9).to_json().unwrap(), reference.to_json().unwrap());
    assert_ne!(run(1, 10).attributions, reference.attributions);
}

#[test]
fn sampling_refuses_more_permutation_pairs_than_its_limit() {
    let model = Nonlinear::new(&[4], true);
    let game = ShapleyGame::new(Background::new(values(4, 6), 4, None).unwrap());
    for pairs in [lumen::limits::MAX_SAMPLES + 1, usize::MAX / 2 + 1, usize::MAX] {
        let params = ShapleySamplingParams { permutation_pairs: pairs, ..ShapleySamplingParams::new(game.clone()) };
        let e = shapley_value_sampling(&engine(1, 0), &model, &values(4, 5), 1, &params).unwrap_err();
        assert_eq!(e.kind(), lumen::ErrorKind::InvalidArgument);
        assert_eq!(
            e.message(),
            format!("permutation_pairs: is {pairs}, expected at most {}", lumen::limits::MAX_SAMPLES)
        );
    }
}

/// The standard errors come from the spread of the pairs: one pair has none, so it gives
/// the values (exact on a linear model) without errors, and zero pairs are refused.
#[test]
fn sampling_with_one_pair_gives_the_values_without_standard_errors() {
    let w = vec![0.5, -1.0, 2.0, 0.25];
    let model = Linear::new(&[4], vec![w.clone()], vec![0.1]);
    let x = values(4, 1);
    let background = values(4 * 3, 2);
    let game = ShapleyGame::new(Background::new(background.clone(), 4, None).unwrap());
    let params = ShapleySamplingParams { permutation_pairs: 1, ..ShapleySamplingParams::new(game.clone()) };
    let e = shapley_value_sampling(&engine(1, 3), &model, &x, 1, &params).unwrap();
    assert!(e.standard_errors.is_none());
    let flags = &e.sampling_diagnostics().expect("Shapley Value Sampling records its sampling")[0];
    assert!(!flags.standard_errors_available && flags.largest_standard_error.is_none());
    assert!(!flags.exact && flags.rounds == 1);
    for i in 0..4 {
        let mean_b: f64 = (0..3).map(|r| f64::from(background[r * 4 + i])).sum::<f64>() / 3.0;
        let expected = f64::from(w[i]) * (f64::from(x[i]) - mean_b);
        assert!((e.attributions[i] - expected).abs() < 1e-5, "player {i}: {} vs {expected}", e.attributions[i]);
    }
    let params = ShapleySamplingParams { permutation_pairs: 0, ..ShapleySamplingParams::new(game) };
    let error = shapley_value_sampling(&engine(1, 3), &model, &x, 1, &params).unwrap_err();
    assert_eq!(error.kind(), lumen::ErrorKind::InvalidArgument);
    assert_eq!(error.message(), "permutation_pairs: is 0, expected at least 1");
}

/// A target standard error walks more pairs in rounds until every value's error meets it;
/// the first round is the fixed call's, and a cap stops the rounds with the target missed.
#[test]
fn sampling_with_a_target_walks_pairs_in_rounds_until_met() {
    let model = Nonlinear::new(&[6], true);
    let x = values(6, 3);
    let background = values(6 * 3, 4);
    let v = brute_force_values(&model, &x, &background, &[1.0 / 3.0; 3], &[0, 1, 2, 3, 4, 5], 0);
    let exact = brute_force_shapley(&v, 6);
    let mut game = ShapleyGame::new(Background::new(background, 6, None).unwrap());
    game.targets = Some(vec![0]);
    let fixed = ShapleySamplingParams { permutation_pairs: 10, ..ShapleySamplingParams::new(game) };
    let largest_error =
        |e: &lumen::Explanation| e.standard_errors.as_ref().unwrap().iter().copied().fold(0.0, f64::max);
    let first = shapley_value_sampling(&engine(1, 21), &model, &x, 1, &fixed).unwrap();
    let first_error = largest_error(&first);
    // What 60 pairs reach, about 0.4 of 10 pairs' error: reachable within the cap of 160.
    let reference = ShapleySamplingParams { permutation_pairs: 60, ..fixed.clone() };
    let target = 1.2 * largest_error(&shapley_value_sampling(&engine(1, 22), &model, &x, 1, &reference).unwrap());
    assert!(target < first_error, "the first round must miss the target: {target} vs {first_error}");
    let params = ShapleySamplingParams { target_standard_error: Some(target), ..fixed.clone() };
    for threads in [1, 2] {
        let e = shapley_value_sampling(&engine(threads, 21), &model, &x, 1, &params).unwrap();
        let flags = &e.sampling_diagnostics().unwrap()[0];
        assert!(flags.rounds > 1, "{flags:?}");
        assert_eq!(flags.target_met, Some(true), "{flags:?}");
        assert_eq!(flags.target_standard_error, Some(target));
        assert!(largest_error(&e) <= target * (1.0 + 1e-6) && flags.largest_standard_error.unwrap() <= target);
        // Each distinct coalition over the 3 background rows, plus the empty one and f(x).
        assert_eq!(e.diagnostics[0].model_rows_evaluated, (flags.coalitions as u64 + 1) * 3 + 1);
        assert_eq!(e.parameters["max_permutation_pairs"], 160);
        for (i, want) in exact.iter().enumerate() {
            let error = (e.attributions[i] - want).abs();
            assert!(error <= 5.0 * target + 1e-6, "player {i}: error {error}, target {target}");
        }
        let gap = e.diagnostics[0].completeness_gap.as_ref().unwrap()[0];
        assert!(gap.abs() < 1e-5, "local accuracy gap {gap}");
    }
    // A target the first round meets: one round, the fixed call's bits.
    let loose = ShapleySamplingParams { target_standard_error: Some(first_error * 2.0), ..fixed.clone() };
    let e = shapley_value_sampling(&engine(1, 21), &model, &x, 1, &loose).unwrap();
    assert_eq!(e.sampling_diagnostics().unwrap()[0].rounds, 1);
    assert_eq!((&e.attributions, &e.standard_errors), (&first.attributions, &first.standard_errors));
    // A target tighter than the cap allows: stops at the cap, the target missed.
    let capped = ShapleySamplingParams {
        target_standard_error: Some(target / 100.0),
        max_permutation_pairs: Some(20),
        ..fixed.clone()
    };
    let e = shapley_value_sampling(&engine(1, 21), &model, &x, 1, &capped).unwrap();
    let flags = &e.sampling_diagnostics().unwrap()[0];
    assert_eq!(flags.target_met, Some(false), "{flags:?}");
    assert!(flags.rounds > 1 && flags.coalitions <= 20 * 2 * 5, "{flags:?}");
    // One pair first: its errors are unavailable, so the next round doubles it.
    let one = ShapleySamplingParams { permutation_pairs: 1, ..params.clone() };
    let e = shapley_value_sampling(&engine(1, 21), &model, &x, 1, &one).unwrap();
    let flags = &e.sampling_diagnostics().unwrap()[0];
    assert!(flags.rounds > 1 && flags.standard_errors_available, "{flags:?}");
}

#[test]
fn sampling_refuses_bad_targets_and_caps() {
    let model = Nonlinear::new(&[4], true);
    let game = ShapleyGame::new(Background::new(values(4, 6), 4, None).unwrap());
    let fails = |params: ShapleySamplingParams| {
        let e = shapley_value_sampling(&engine(1, 0), &model, &values(4, 5), 1, &params).unwrap_err();
        assert_eq!(e.kind(), lumen::ErrorKind::InvalidArgument, "{}", e.message());
        e.message().to_string()
    };
    let base = ShapleySamplingParams::new(game);
    for target in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let message = fails(ShapleySamplingParams { target_standard_error: Some(target), ..base.clone() });
        assert_eq!(message, format!("target_standard_error: is {target}, expected a finite standard error > 0"));
    }
    let message = fails(ShapleySamplingParams { max_permutation_pairs: Some(50), ..base.clone() });
    assert!(message.starts_with("max_permutation_pairs: is 50, but caps only rounds"), "{message}");
    let message = fails(ShapleySamplingParams {
        target_standard_error: Some(0.01),
        max_permutation_pairs: Some(10),
        ..base.clone()
    });
    assert_eq!(message, "max_permutation_pairs: is 10, expected at least the first round's permutation_pairs 25");
    let message = fails(ShapleySamplingParams {
        target_standard_error: Some(0.01),
        max_permutation_pairs: Some(lumen::limits::MAX_SAMPLES + 1),
        ..base
    });
    assert!(message.starts_with("max_permutation_pairs: is"), "{message}");
}

#[test]
fn logit_link_explains_log_odds() {
    struct Sigmoid(ModelSignature);
    impl Model for Sigmoid {
        fn signature(&self) -> &ModelSignature {
            &self.0
        }
        fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
            for r in 0..rows {
                let z: f32 = inputs[r * 3..r * 3 + 3].iter().zip([1.0, -2.0, 0.5]).map(|(a, b)| a * b).sum();
                outputs[r] = 1.0 / (1.0 + (-z).exp());
            }
            Ok(())
        }
    }
    let model = Sigmoid(ModelSignature::flat(3, 1));
    let mut game = ShapleyGame::new(Background::new(vec![0.0; 3], 3, None).unwrap());
    game.link = Link::Logit;
    let params = ShapleySamplingParams { permutation_pairs: 2, ..ShapleySamplingParams::new(game) };
    let e = shapley_value_sampling(&engine(1, 0), &model, &[1.0, 1.0, 2.0], 1, &params).unwrap();
    // In log-odds the model is linear with one background row at 0: φ = w ⊙ x.
    for (got, want) in e.attributions.iter().zip([1.0, -2.0, 1.0]) {
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }
    assert!(e.base_values[0].abs() < 1e-6, "logit(0.5) = 0");
}

#[test]
fn bad_games_are_rejected() {
    let model = Linear::new(&[3], vec![vec![1.0; 3]], vec![0.0]);
    assert!(Background::<f32>::new(vec![], 3, None).unwrap_err().message().contains("no rows"));
    assert!(Background::<f32>::new(vec![0.0; 4], 3, None).unwrap_err().message().contains("multiple of input_len"));
    assert!(Background::<f32>::new(vec![0.0; 6], 3, Some(vec![0.0, 0.0]))
        .unwrap_err()
        .message()
        .contains("positive sum"));
    assert!(Background::<f32>::new(vec![0.0; 6], 3, Some(vec![1.0, -1.0])).is_err());
    let bg = Background::new(vec![0.0; 6], 3, None).unwrap();
    let run = |game: ShapleyGame| {
        shapley_value_sampling(&engine(1, 0), &model, &[1.0; 3], 1, &ShapleySamplingParams::new(game)).unwrap_err()
    };
    let mut game = ShapleyGame::new(bg.clone());
    game.players = Some(vec![0, 0, 0]);
    assert!(run(game).message().contains("at least 2"), "M = 1");
    let mut game = ShapleyGame::new(bg.clone());
    game.players = Some(vec![0, 2, 2]);
    assert!(run(game).message().contains("id 1 has no elements"));
    let mut game = ShapleyGame::new(bg.clone());
    game.players = Some(vec![0, 1]);
    assert_eq!(run(game).kind(), lumen::ErrorKind::LengthMismatch);
    let wide = Background::new(vec![0.0; 8], 4, None).unwrap();
    assert!(run(ShapleyGame::new(wide)).message().contains("background"));
}

mod kernel {
    use super::*;
    use lumen::explain::shapley::{kernel_shap, KernelShapParams};

    fn game(background: Vec<f32>, row_len: usize, weights: Option<Vec<f64>>, players: Option<Vec<u32>>) -> ShapleyGame {
        let mut game = ShapleyGame::new(Background::new(background, row_len, weights).unwrap());
        game.players = players;
        game
    }

    #[test]
    fn exact_mode_equals_brute_force_with_groups_and_weights() {
        // M = 12 players over 14 elements (two groups of two), weighted background.
        let model = Nonlinear::new(&[14], true);
        let x = values(14, 21);
        let background = values(14 * 3, 22);
        let weights = vec![0.5, 1.5, 2.0];
        let players: Vec<u32> = vec![0, 1, 1, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11];
        let mut params =
            KernelShapParams::new(game(background.clone(), 14, Some(weights.clone()), Some(players.clone())));
        params.budget = Some((1 << 12) - 2);
        let e = kernel_shap(&engine(2, 1), &model, &x, 1, &params).unwrap();
        let normalised: Vec<f64> = weights.iter().map(|w| w / 4.0).collect();
        for target in 0..2 {
            let v = brute_force_values(&model, &x, &background, &normalised, &players, target);
            let exact = brute_force_shapley(&v, 12);
            for (i, want) in exact.iter().enumerate() {
                let got = e.row_attributions(0, target)[i];
                assert!((got - want).abs() < 1e-5, "output {target} player {i}: {got} vs {want}");
            }
            assert!((e.base_values[target] - v[0]).abs() < 1e-6);
        }
        assert!(e.standard_errors.as_ref().unwrap().iter().all(|&s| s == 0.0), "exact mode has no sampling error");
        assert_eq!(e.parameters["budget"], 4094);
    }

    #[test]
    fn sampled_mode_is_exact_for_a_linear_model() {
        let w = values(20, 31);
        let model = Linear::new(&[20], vec![w.clone()], vec![1.0]);
        let x = values(40, 32);
        let background = values(20 * 5, 33);
        let e =
            kernel_shap(&engine(2, 3), &model, &x, 2, &KernelShapParams::new(game(background.clone(), 20, None, None)))
                .unwrap();
        for r in 0..2 {
            for i in 0..20 {
                let mean_b: f64 = (0..5).map(|b| f64::from(background[b * 20 + i]) / 5.0).sum();
                let want = f64::from(w[i]) * (f64::from(x[r * 20 + i]) - mean_b);
                assert!((e.row_attributions(r, 0)[i] - want).abs() < 1e-5, "row {r} player {i}");
            }
            let gap = e.diagnostics[r].completeness_gap.as_ref().unwrap()[0];
            assert!(gap.abs() < 1e-5, "local accuracy gap {gap}");
            // Budget 2M + 2048 coalitions plus the empty one, each over 5 background rows, plus f(x).
            assert!(e.diagnostics[r].model_rows_evaluated <= (2 * 20 + 2048 + 1) * 5 + 1);
        }
    }

    /// A model that keeps the bits of every row it is asked for.
    struct Recording {
        inner: Nonlinear,
        rows: std::sync::Mutex<Vec<Vec<u32>>>,
    }

    impl Model for Recording {
        fn signature(&self) -> &ModelSignature {
            self.inner.signature()
        }
        fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
            let n = inputs.len() / rows;
            let seen = inputs.chunks_exact(n).map(|row| row.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
            self.rows.lock().unwrap().extend(seen);
            self.inner.predict(inputs, rows, outputs)
        }
    }

    #[test]
    fn repeated_background_rows_reach_the_model_once_per_coalition() {
        // Six categorical players (levels 0, 1, 2) over twelve background rows: many rows
        // agree on a coalition's absent players.
        let m = 6;
        let level = |v: &f32| ((v + 1.0) * 1.5).floor();
        let x: Vec<f32> = values(m, 41).iter().map(level).collect();
        let background: Vec<f32> = values(m * 12, 42).iter().map(level).collect();
        let mut params = KernelShapParams::new(game(background.clone(), m, None, None));
        params.budget = Some((1 << m) - 2);
        let explain = |threads: usize| {
            let model = Recording { inner: Nonlinear::new(&[m], true), rows: Default::default() };
            let e = kernel_shap(&engine(threads, 1), &model, &x, 1, &params).unwrap();
            (e, model.rows.into_inner().unwrap())
        };
        let (e, rows) = explain(2);
        let players: Vec<u32> = (0..m as u32).collect();
        let weights = vec![1.0 / 12.0; 12];
        for target in 0..2 {
            let v = brute_force_values(&Nonlinear::new(&[m], true), &x, &background, &weights, &players, target);
            for (i, want) in brute_force_shapley(&v, m).iter().enumerate() {
                let got = e.row_attributions(0, target)[i];
                assert!((got - want).abs() < 1e-5, "output {target} player {i}: {got} vs {want}");
            }
        }
        // f(x), then each coalition but the full one once per distinct pattern of its
        // absent players' background values, where those values have fewer than 8
        // combinations per background row (96); the other coalitions are not scanned.
        let levels = |j: usize| {
            let mut seen: Vec<u32> = background.chunks(m).map(|b| b[j].to_bits()).collect();
            seen.sort();
            seen.dedup();
            seen.len()
        };
        let distinct_patterns = |coalition: usize| {
            let combinations: usize = (0..m).filter(|&j| coalition >> j & 1 == 0).map(levels).product();
            if combinations >= 8 * 12 {
                return 12;
            }
            let mut patterns: Vec<Vec<u32>> = background
                .chunks(m)
                .map(|b| (0..m).filter(|&j| coalition >> j & 1 == 0).map(|j| b[j].to_bits()).collect())
                .collect();
            patterns.sort();
            patterns.dedup();
            patterns.len()
        };
        let expected: usize = 1 + (0..(1 << m) - 1).map(distinct_patterns).sum::<usize>();
        assert_eq!(rows.len(), expected);
        assert_eq!(e.diagnostics[0].model_rows_evaluated, expected as u64);
        assert!(expected < 1 + ((1 << m) - 1) * 12, "the setting repeats rows");
        let (one_thread, _) = explain(1);
        assert_eq!(one_thread.attributions, e.attributions, "the same bits on one thread");
    }

    /// Mean absolute error against brute force and the share of errors within 2 SE.
    fn sampled_accuracy(budget: usize, seeds: u64) -> (f64, f64) {
        let model = Nonlinear::new(&[10], true);
        let x = values(10, 41);
        let background = values(10 * 2, 42);
        let v = brute_force_values(&model, &x, &background, &[0.5, 0.5], &(0..10).collect::<Vec<_>>(), 0);
        let exact = brute_force_shapley(&v, 10);
        let mut params = KernelShapParams::new(game(background, 10, None, None));
        params.budget = Some(budget);
        params.game.targets = Some(vec![0]);
        let (mut error, mut covered, mut count) = (0.0, 0usize, 0usize);
        for seed in 0..seeds {
            let e = kernel_shap(&engine(1, seed), &model, &x, 1, &params).unwrap();
            let se = e.standard_errors.as_ref().unwrap();
            for i in 0..10 {
                let err = (e.attributions[i] - exact[i]).abs();
                error += err;
                covered += usize::from(err <= 2.0 * se[i]);
                count += 1;
            }
        }
        (error / count as f64, covered as f64 / count as f64)
    }

    #[test]
    fn sampled_error_falls_with_budget_and_standard_errors_cover_it() {
        let (small_error, small_coverage) = sampled_accuracy(120, 40);
        let (large_error, large_coverage) = sampled_accuracy(600, 40);
        assert!(large_error < small_error, "error {large_error} at budget 600 vs {small_error} at 120");
        // Nominal coverage of ±2 SE is 95%; batch-based SEs from 10 batches are rough.
        assert!(small_coverage > 0.8 && large_coverage > 0.8, "coverage {small_coverage}, {large_coverage}");
    }

    #[test]
    fn reproducible_across_threads_and_seed_dependent() {
        let model = Nonlinear::new(&[16], true);
        let x = values(32, 51);
        let mut params = KernelShapParams::new(game(values(16 * 4, 52), 16, None, None));
        params.budget = Some(300);
        let run = |threads, seed| kernel_shap(&engine(threads, seed), &model, &x, 2, &params).unwrap();
        let reference = run(1, 4);
        assert_eq!(run(2, 4).to_json().unwrap(), reference.to_json().unwrap());
        assert_eq!(run(8, 4).attributions, reference.attributions);
        assert_ne!(run(1, 5).attributions, reference.attributions);
    }

    #[test]
    fn bad_budgets_and_batches_are_rejected() {
        let model = Linear::new(&[6], vec![vec![1.0; 6]], vec![0.0]);
        let mut params = KernelShapParams::new(game(vec![0.0; 6], 6, None, None));
        params.error_batches = 1;
        let e = kernel_shap(&engine(1, 0), &model, &[1.0; 6], 1, &params).unwrap_err();
        assert!(e.message().starts_with("error_batches"), "{e}");
        params.error_batches = 10;
        params.budget = Some(4);
        let e = kernel_shap(&engine(1, 0), &model, &[1.0; 6], 1, &params).unwrap_err();
        assert!(e.message().contains("budget"), "{e}");
    }

    #[test]
    fn sixty_four_players_stay_stable() {
        let w = values(64, 61);
        let model = Linear::new(&[64], vec![w.clone()], vec![0.0]);
        let x = values(64, 62);
        let e = kernel_shap(&engine(2, 7), &model, &x, 1, &KernelShapParams::new(game(vec![0.0; 64], 64, None, None)))
            .unwrap();
        for i in 0..64 {
            assert!((e.attributions[i] - f64::from(w[i] * x[i])).abs() < 1e-5, "player {i}");
        }
    }
}

#[test]
fn per_feature_values_sum_into_groups_after_the_fact() {
    let model = Nonlinear::new(&[6], true);
    let x = values(12, 71);
    let params = ShapleySamplingParams::new(ShapleyGame::new(Background::new(values(6 * 3, 72), 6, None).unwrap()));
    let e = shapley_value_sampling(&engine(2, 1), &model, &x, 2, &params).unwrap();
    let groups = [1, 0, 1, 2, 0, 2];
    let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    let grouped = e.sum_into_groups(&groups, Some(names.clone())).unwrap();
    assert_eq!((grouped.features, grouped.feature_names.as_ref()), (3, Some(&names)));
    for r in 0..2 {
        for k in 0..2 {
            let per_feature = e.row_attributions(r, k);
            for g in 0..3u32 {
                let want: f64 = (0..6).filter(|&f| groups[f] == g).map(|f| per_feature[f]).sum();
                assert!((grouped.row_attributions(r, k)[g as usize] - want).abs() < 1e-6);
            }
        }
    }
    assert!(grouped.standard_errors.is_none());
    assert_eq!(grouped.diagnostics, e.diagnostics);
    assert!(grouped.to_json().unwrap().contains("\"post_hoc_groups\":[1,0,1,2,0,2]"));
    assert!(e.sum_into_groups(&[0, 1], None).is_err());
    assert!(e.sum_into_groups(&[0, 0, 0, 2, 2, 2], None).unwrap_err().message().contains("id 1"));
}

#[test]
fn a_tiny_memory_budget_gives_the_same_bits() {
    use lumen::explain::shapley::{kernel_shap, KernelShapParams};
    let model = Nonlinear::new(&[12], true);
    // Continuous values, then three-level codes: with codes, background rows repeat, some
    // coalitions are evaluated by their distinct rows and chunks hold both kinds.
    let continuous = |v: f32| v;
    let coded = |v: f32| ((v + 1.0) * 1.5).floor();
    for code in [&continuous as &dyn Fn(f32) -> f32, &coded] {
        let x: Vec<f32> = values(12, 81).into_iter().map(code).collect();
        let background = values(12 * 40, 82).into_iter().map(code).collect();
        let mut params = KernelShapParams::new(ShapleyGame::new(Background::new(background, 12, None).unwrap()));
        params.budget = Some(500);
        let engine_with_budget = |memory_budget_bytes| {
            let config =
                lumen::EngineConfig { backend: lumen::BackendChoice::Cpu, threads: 2, seed: 3, memory_budget_bytes };
            lumen::Engine::new(config).unwrap()
        };
        let run = |budget_bytes| kernel_shap(&engine_with_budget(budget_bytes), &model, &x, 1, &params).unwrap();
        // The estimator keeps about 381 KiB (coalitions, the sampler's set of those drawn,
        // values, the jackknife's moments, the interaction fit's systems, sign bits, score
        // terms and its two workers' removal buffers); the 10 KiB left hold a few dozen
        // rows: coalitions are evaluated a few at a time.
        let small = run(391 << 10);
        let large = run(256 << 20);
        // Without room for the two workers' removal buffers the call is refused up front.
        let refused = kernel_shap(&engine_with_budget(380 << 10), &model, &x, 1, &params).unwrap_err();
        assert_eq!(refused.kind(), lumen::ErrorKind::BudgetTooSmall);
        assert!(refused.message().contains("removal buffers (one per worker)"), "{refused}");
        assert_eq!(small.attributions, large.attributions);
        assert_eq!(small.standard_errors, large.standard_errors);
        assert_eq!(small.audit.model_rows_evaluated, large.audit.model_rows_evaluated);
    }
}

#[test]
fn small_budgets_solve_with_few_pairs() {
    use lumen::explain::shapley::{kernel_shap, KernelShapParams};
    // M = 12 with budget 60: about thirty pairs determine the 11 free directions.
    let w = values(12, 91);
    let model = Linear::new(&[12], vec![w.clone()], vec![0.0]);
    let x = values(12, 92);
    let mut params = KernelShapParams::new(ShapleyGame::new(Background::new(vec![0.0; 24], 12, None).unwrap()));
    params.budget = Some(60);
    let e = kernel_shap(&engine(1, 0), &model, &x, 1, &params).unwrap();
    for i in 0..12 {
        assert!((e.attributions[i] - f64::from(w[i] * x[i])).abs() < 1e-5, "player {i}");
    }
    let mut game = ShapleyGame::new(Background::new(vec![0.0; 24], 12, None).unwrap());
    game.players = Some(vec![0, 0, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    let e = kernel_shap(&engine(1, 0), &model, &x, 1, &KernelShapParams::new(game)).unwrap_err();
    assert!(e.message().starts_with("players: group ids"), "{e}");
}

/// The accuracy of sampled KernelSHAP and its error bars, against brute force.
mod sampling_error {
    use super::*;
    use lumen::explain::shapley::{kernel_shap, Estimator, KernelShapParams};
    use lumen::ErrorKind;
    use lumen::{Model, ModelSignature};

    /// A brute-forceable game: a model over `m` players (`Nonlinear` unless given), a few
    /// background rows, output 0.
    struct Setting {
        model: Box<dyn Model>,
        x: Vec<f32>,
        params: KernelShapParams,
        exact: Vec<f64>,
    }

    impl Setting {
        /// `Nonlinear` over 3 background rows.
        fn new(m: usize, seed: u64) -> Self {
            Self::with_model(Box::new(Nonlinear::new(&[m], true)), m, seed, 3)
        }

        /// `model` explained at the row drawn from `seed` over `background_rows` rows drawn
        /// from `seed + 1`, weighted equally.
        fn with_model(model: Box<dyn Model>, m: usize, seed: u64, background_rows: usize) -> Self {
            let x = values(m, seed);
            let background = values(m * background_rows, seed + 1);
            let players: Vec<u32> = (0..m as u32).collect();
            let weights = vec![1.0 / background_rows as f64; background_rows];
            let v = brute_force_values(model.as_ref(), &x, &background, &weights, &players, 0);
            let exact = brute_force_shapley(&v, m);
            let mut game = ShapleyGame::new(Background::new(background, m, None).unwrap());
            game.targets = Some(vec![0]);
            Self { model, x, params: KernelShapParams::new(game), exact }
        }

        fn explain(&self, seed: u64) -> lumen::Result<lumen::Explanation> {
            kernel_shap(&engine(1, seed), self.model.as_ref(), &self.x, 1, &self.params)
        }

        /// `Σ_i |φ_i − exact_i|` of explanation `e` of this setting's row.
        fn absolute_error(&self, e: &lumen::Explanation) -> f64 {
            e.attributions.iter().zip(&self.exact).map(|(a, b)| (a - b).abs()).sum()
        }
    }

    /// Over `seeds` seeds: the share of values within ±1.96 SE of the exact ones (among
    /// explanations whose errors are available) and the share of explanations with errors.
    fn coverage(setting: &Setting, seeds: u64) -> (f64, f64) {
        let (mut covered, mut count, mut available) = (0usize, 0usize, 0usize);
        for seed in 0..seeds {
            let e = setting.explain(seed).expect("every budget ≥ 2(M − 1) identifies the values");
            let flags = e.sampling_diagnostics().expect("KernelSHAP records its sampling");
            assert_eq!(flags[0].standard_errors_available, e.standard_errors.is_some());
            let Some(se) = e.standard_errors.as_ref() else { continue };
            available += 1;
            for (i, want) in setting.exact.iter().enumerate() {
                let error = (e.attributions[i] - want).abs();
                covered += usize::from(error <= 1.96 * se[i]);
                count += 1;
            }
        }
        (covered as f64 / count.max(1) as f64, available as f64 / seeds as f64)
    }

    #[test]
    fn standard_errors_cover_the_exact_values_at_every_budget_from_3m() {
        // M = 10 (1022 coalitions): budgets from 3M to 40 % of the space, every estimator.
        let mut setting = Setting::new(10, 7);
        for estimator in Estimator::ALL {
            setting.params.estimator = estimator;
            for budget in [30, 60, 150, 400] {
                setting.params.budget = Some(budget);
                let (covered, available) = coverage(&setting, 40);
                // The band of issue 16. One known exception: shap's schedule at 3M draws
                // few distinct pairs and its jackknife errs on the wide side (0.983 on these
                // 40 seeds; 10 correlated values each, so the share moves by a few points
                // from one set of draws to another).
                let upper = if estimator == Estimator::Shap && budget == 30 { 0.99 } else { 0.98 };
                assert!(
                    (0.90..=upper).contains(&covered),
                    "{estimator:?} at budget {budget}: coverage {covered:.3} of ±1.96 SE"
                );
                // At 3M a leave-one-out may lose a direction (Bernoulli counts vary most).
                let floor = if budget == 30 { 0.6 } else { 1.0 };
                assert!(available >= floor, "{estimator:?} at budget {budget}: errors available in {available:.2}");
            }
        }
    }

    /// Games of other shapes than `Nonlinear`'s, one output: `Σ a_i x_i` (additive),
    /// `Σ (i mod 4 + 1) / 8 · [x_i > 0]` (additive, and exact in f32), `[Σ a_i x_i > 0.1]`
    /// (a step), `max_i a_i x_i` and `Π_i (1 + x_i / 2)` (every order of interaction), with
    /// `a_i = ((7i + 3) mod 11) / 5 − 1`.
    struct Shaped {
        signature: ModelSignature,
        shape: Shape,
    }

    #[derive(Debug, Clone, Copy)]
    enum Shape {
        Additive,
        Signs,
        Step,
        Max,
        Product,
    }

    impl Shaped {
        fn boxed(m: usize, shape: Shape) -> Box<dyn Model> {
            Box::new(Self { signature: ModelSignature::flat(m, 1), shape })
        }
    }

    impl Model for Shaped {
        fn signature(&self) -> &ModelSignature {
            &self.signature
        }
        fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
            let n = self.signature.input_len();
            let a = |i: usize| ((i * 7 + 3) % 11) as f32 / 5.0 - 1.0;
            for (x, out) in inputs.chunks(n).zip(outputs.iter_mut()).take(rows) {
                let terms = x.iter().enumerate().map(|(i, v)| a(i) * v);
                *out = match self.shape {
                    Shape::Additive => terms.sum(),
                    Shape::Signs => x
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| f32::from(u8::from(v > 0.0)) * (i % 4 + 1) as f32 / 8.0)
                        .sum(),
                    Shape::Step => f32::from(u8::from(terms.sum::<f32>() > 0.1)),
                    Shape::Max => terms.fold(f32::MIN, f32::max),
                    Shape::Product => x.iter().map(|v| 1.0 + 0.5 * v).product(),
                };
            }
            Ok(())
        }
    }

    #[test]
    fn standard_errors_cover_the_values_rounding_to_the_models_precision() {
        // An additive game is fitted exactly: the samples agree to the model's last bits
        // and the values reported in f32 are off by their rounding alone. Standard errors
        // from the samples alone were below that rounding, with as few as 30 % of the
        // values within 1.96 of them (`examples/coverage_sweep.rs`); the reported errors
        // cover it (ulp / √12 at least).
        let mut setting = Setting::with_model(Shaped::boxed(10, Shape::Additive), 10, 17, 4);
        for estimator in [Estimator::Shap, Estimator::LeverageTopTriples] {
            setting.params.estimator = estimator;
            for budget in [60, 200, 600] {
                setting.params.budget = Some(budget);
                let (covered, available) = coverage(&setting, 40);
                assert!(covered >= 0.90, "{estimator:?} at budget {budget}: coverage {covered:.3} of ±1.96 SE");
                assert_eq!(available, 1.0, "{estimator:?} at budget {budget}: errors available in {available:.2}");
                let e = setting.explain(0).unwrap();
                let se = e.standard_errors.as_ref().unwrap();
                for (&value, &error) in e.attributions.iter().zip(se.iter()) {
                    let rounding = lumen::ElementType::F32.rounding_deviation(value);
                    assert!(error >= rounding * (1.0 - 1e-6), "{estimator:?}: error {error:e} of {value}");
                }
            }
        }
        // An exact schedule's values are exact: their errors stay 0.
        setting.params.budget = Some(1022);
        let e = setting.explain(0).unwrap();
        assert!(e.standard_errors.unwrap().iter().all(|&s| s == 0.0));
    }

    #[test]
    fn standard_errors_cover_games_of_other_shapes() {
        // A step, a maximum and a product of every player (M = 10): the default's errors
        // keep the band from budget 6M up.
        for shape in [Shape::Step, Shape::Max, Shape::Product] {
            let mut setting = Setting::with_model(Shaped::boxed(10, shape), 10, 23, 4);
            for budget in [60, 200, 600] {
                setting.params.budget = Some(budget);
                let (covered, available) = coverage(&setting, 40);
                assert!(
                    (0.90..=0.98).contains(&covered),
                    "{shape:?} at budget {budget}: coverage {covered:.3} of ±1.96 SE"
                );
                assert_eq!(available, 1.0, "{shape:?} at budget {budget}: errors available in {available:.2}");
            }
        }
    }

    #[test]
    fn the_defaults_size_and_score_terms_keep_honest_errors() {
        // The default fits each player's size term from 16 coalitions per player and its
        // score term from 24 (budget 400 of the test above at M = 10, both); at M = 12 the
        // same band holds from there up: size terms alone at 192, both at 600 and 1200.
        let mut setting = Setting::new(12, 13);
        assert_eq!(setting.params.estimator, Estimator::LeverageTopTriples);
        for budget in [192, 600, 1200] {
            setting.params.budget = Some(budget);
            let (covered, available) = coverage(&setting, 40);
            assert_eq!(available, 1.0, "budget {budget}: errors available in {available:.2}");
            assert!((0.90..=0.98).contains(&covered), "budget {budget}: coverage {covered:.3} of ±1.96 SE");
        }
    }

    #[test]
    fn interaction_fits_keep_their_errors_where_a_group_unsettles_a_free_triple() {
        // M = 10 at budget 120: about sixty pairs, a few free triples; leaving one group out
        // leaves a free triple unidentified for some seeds, and that group's replicate is
        // then refitted with every triple penalised instead of giving up the errors.
        let mut setting = Setting::new(10, 41);
        setting.params.budget = Some(120);
        for estimator in [Estimator::LeverageInteractions, Estimator::LeverageTopTriples] {
            setting.params.estimator = estimator;
            let (covered, available) = coverage(&setting, 40);
            assert_eq!(available, 1.0, "{estimator:?}: errors available in {available:.2}");
            assert!((0.90..=0.98).contains(&covered), "{estimator:?}: coverage {covered:.3} of ±1.96 SE");
        }
    }

    #[test]
    fn the_values_do_not_depend_on_the_jackknife_groups() {
        // The setting above, where some seeds' groups unsettle a free triple at 64 groups
        // and not at others: every estimator's values are the same bits whatever
        // `error_batches` is; only the errors differ.
        let mut setting = Setting::new(10, 41);
        for estimator in Estimator::ALL {
            setting.params.estimator = estimator;
            for budget in [40, 120, 400] {
                setting.params.budget = Some(budget);
                for seed in 0..20 {
                    let values_with = |groups: u32| {
                        let mut params = setting.params.clone();
                        params.error_batches = groups;
                        let e = kernel_shap(&engine(1, seed), setting.model.as_ref(), &setting.x, 1, &params).unwrap();
                        e.attributions.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                    };
                    let reference = values_with(64);
                    for groups in [2, 7, 16] {
                        assert_eq!(
                            values_with(groups),
                            reference,
                            "{estimator:?}, budget {budget}, seed {seed}: values with {groups} groups and with 64"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn thin_budgets_return_values_and_report_errors_as_unavailable() {
        // M = 16 at 30–80 coalitions: the values are identified; some seeds cannot estimate
        // errors, and those calls still succeed, with no standard errors and the flag down.
        let mut setting = Setting::new(16, 11);
        let mut unavailable = 0;
        for budget in [30, 40, 64, 80] {
            setting.params.budget = Some(budget);
            for seed in 0..10 {
                let e = setting.explain(seed).expect("thin budgets never fail");
                let flags = &e.sampling_diagnostics().unwrap()[0];
                assert_eq!(flags.standard_errors_available, e.standard_errors.is_some());
                assert_eq!(flags.largest_standard_error.is_some(), flags.standard_errors_available);
                if let Some(se) = &e.standard_errors {
                    assert!(se.iter().all(|s| s.is_finite() && *s >= 0.0));
                } else {
                    unavailable += 1;
                    assert!(e.to_json().unwrap().contains("\"standard_errors\":null"));
                }
                assert!(e.attributions.iter().all(|v| v.is_finite()));
                let gap = e.diagnostics[0].completeness_gap.as_ref().unwrap()[0];
                assert!(gap.abs() < 1e-5, "local accuracy holds at budget {budget}: {gap}");
            }
        }
        assert!(unavailable > 0, "30 coalitions for 16 players leave some seeds without errors");
    }

    #[test]
    fn tiny_budgets_that_identify_the_values_do_not_fail() {
        // Budget M − 1 identifies the values (coalitions drawn alone below 2(M − 1)); each
        // estimator's design is checked and redrawn before any evaluation.
        for estimator in Estimator::ALL {
            for m in [3, 5, 8] {
                let mut setting = Setting::new(m, 3);
                setting.params.estimator = estimator;
                for budget in (m - 1)..(2 * m) {
                    setting.params.budget = Some(budget);
                    for seed in 0..5 {
                        let e = setting.explain(seed);
                        assert!(e.is_ok(), "{estimator:?}, M = {m}, budget {budget}, seed {seed}: {:?}", e.err());
                    }
                }
            }
        }
    }

    #[test]
    fn each_output_gets_the_bits_it_gets_alone() {
        // Each output is fitted on its own over the same draws: explaining both outputs in
        // one call gives each the values and errors of a call for it alone (same seed), for
        // every estimator, with errors available or not.
        for estimator in Estimator::ALL {
            for budget in [20, 60, 300] {
                let mut setting = Setting::new(10, 4);
                setting.params.estimator = estimator;
                setting.params.budget = Some(budget);
                setting.params.game.targets = None;
                let both = setting.explain(3).unwrap();
                assert_eq!(both.outputs_per_row(), 2);
                for k in 0..2u32 {
                    setting.params.game.targets = Some(vec![k]);
                    let alone = setting.explain(3).unwrap();
                    let span = k as usize * 10..(k as usize + 1) * 10;
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    let label = format!("{estimator:?}, budget {budget}, output {k}");
                    assert_eq!(bits(&both.attributions[span.clone()]), bits(&alone.attributions[..]), "{label}");
                    let (both_se, alone_se) = (both.standard_errors.as_ref(), alone.standard_errors.as_ref());
                    assert_eq!(both_se.is_some(), alone_se.is_some(), "{label}");
                    if let (Some(both_se), Some(alone_se)) = (both_se, alone_se) {
                        assert_eq!(bits(&both_se[span]), bits(&alone_se[..]), "{label}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_target_standard_error_samples_in_rounds_until_met() {
        // shap's schedule draws with replacement, so near the 4094 coalitions of M = 12 its
        // draws mostly repeat pairs: a looser target for it.
        for (estimator, target) in [
            (Estimator::Shap, 8e-3),
            (Estimator::Leverage, 2e-3),
            (Estimator::LeverageStratified, 2e-3),
            (Estimator::LeverageInteractions, 2e-3),
        ] {
            let mut setting = Setting::new(12, 5);
            setting.params.estimator = estimator;
            setting.params.target_standard_error = Some(target);
            setting.params.max_budget = Some(4000);
            let e = setting.explain(1).unwrap();
            let flags = &e.sampling_diagnostics().unwrap()[0];
            assert!(flags.rounds > 1, "{estimator:?}: the first round of 96 coalitions is not enough: {flags:?}");
            assert_eq!(flags.target_met, Some(true), "{estimator:?}: {flags:?}");
            let largest = e.standard_errors.as_ref().unwrap().iter().copied().fold(0.0, f64::max);
            assert!(largest <= target + 1e-9 && flags.largest_standard_error.unwrap() <= target);
            assert!(flags.coalitions <= 4000);
            // Every coalition evaluated once, over the 3 background rows, plus the empty one and f(x).
            assert_eq!(e.diagnostics[0].model_rows_evaluated, (flags.coalitions as u64 + 1) * 3 + 1);
            assert_eq!(e.parameters["max_budget"], 4000);
            let json = e.to_json().unwrap();
            assert!(json.contains("\"rounds\":") && json.contains("\"target_standard_error\":0.00"), "{json}");
            for (i, want) in setting.exact.iter().enumerate() {
                let error = (e.attributions[i] - want).abs();
                assert!(error < 5.0 * target, "{estimator:?} player {i}: error {error}");
            }
        }
        // A tighter target than the cap allows: stops at the cap, says the target was missed.
        let mut setting = Setting::new(12, 5);
        setting.params.target_standard_error = Some(1e-7);
        setting.params.max_budget = Some(300);
        let e = setting.explain(1).unwrap();
        let flags = &e.sampling_diagnostics().unwrap()[0];
        assert_eq!((flags.target_met, flags.coalitions <= 300), (Some(false), true));
        assert!(e.diagnostics[0].model_rows_evaluated <= (300 + 1) * 3 + 1);
    }

    #[test]
    fn a_target_below_the_values_rounding_stops_after_the_samples_meet_it() {
        // An additive game the model computes exactly: the samples agree to the last bits
        // in the first round, but a value of 0.125 or more reported in f32 is only as close
        // as its rounding, 2^-26 / √12 ≈ 4.3e-9. No further round takes that lower: the
        // first stands, and the target is missed.
        let mut setting = Setting::with_model(Shaped::boxed(10, Shape::Signs), 10, 17, 4);
        assert!(setting.exact.iter().any(|v| v.abs() >= 0.125), "{:?}", setting.exact);
        setting.params.target_standard_error = Some(3e-9);
        setting.params.max_budget = Some(1000);
        let e = setting.explain(1).unwrap();
        let flags = &e.sampling_diagnostics().unwrap()[0];
        assert_eq!((flags.rounds, flags.target_met), (1, Some(false)), "{flags:?}");
        assert!(flags.largest_standard_error.unwrap() > 3e-9, "{flags:?}");
    }

    #[test]
    fn bad_targets_and_caps_are_rejected() {
        let mut setting = Setting::new(6, 1);
        for target in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            setting.params.target_standard_error = Some(target);
            let e = setting.explain(0).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().starts_with("target_standard_error: is"), "{e}");
        }
        setting.params.target_standard_error = None;
        setting.params.max_budget = Some(100);
        assert!(setting.explain(0).unwrap_err().message().starts_with("max_budget"));
        setting.params.target_standard_error = Some(0.1);
        setting.params.budget = Some(200);
        assert!(setting.explain(0).unwrap_err().message().contains("first round"));
    }

    /// `f(x) = Σ w_i x_i + 2 x_1 x_4 x_7` over 12 inputs, and `−f(x)`: games of third
    /// order whose interacting players have the largest linear effects.
    struct Cubic(ModelSignature);

    impl Cubic {
        const WEIGHTS: [f32; 12] = [0.1, 1.5, -0.2, 0.15, -1.2, 0.3, 0.05, 1.1, -0.25, 0.2, 0.1, -0.3];
    }

    impl Model for Cubic {
        fn signature(&self) -> &ModelSignature {
            &self.0
        }
        fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
            for (x, out) in inputs.chunks(12).zip(outputs.chunks_mut(2)).take(rows) {
                let linear: f32 = x.iter().zip(Self::WEIGHTS).map(|(a, w)| a * w).sum();
                out[0] = linear + 2.0 * x[1] * x[4] * x[7];
                out[1] = -out[0];
            }
            Ok(())
        }
    }

    #[test]
    fn interactions_are_exact_for_a_third_order_game() {
        let model = Cubic(ModelSignature::flat(12, 2));
        let x: Vec<f32> = (0..12).map(|i| 0.5 + 0.05 * i as f32).collect();
        let triple = 2.0 * f64::from(x[1] * x[4] * x[7]);
        let exact: Vec<f64> = (0..12)
            .map(|i| f64::from(Cubic::WEIGHTS[i] * x[i]) + if [1, 4, 7].contains(&i) { triple / 3.0 } else { 0.0 })
            .collect();
        let mut params = KernelShapParams::new(ShapleyGame::new(Background::new(vec![0.0; 12], 12, None).unwrap()));
        params.budget = Some(400);
        let largest_error = |estimator| {
            let mut params = params.clone();
            params.estimator = estimator;
            let e = kernel_shap(&engine(1, 5), &model, &x, 1, &params).unwrap();
            assert_eq!(e.attributions.len(), 2 * 12, "two outputs of 12 players");
            // Output 1's values are output 0's, negated.
            let want = exact.iter().copied().chain(exact.iter().map(|v| -v));
            e.attributions.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
        };
        let linear = largest_error(Estimator::LeverageStratified);
        let cubic = largest_error(Estimator::LeverageInteractions);
        assert!(cubic < 1e-5, "the fit holds the game: error {cubic}");
        assert!(linear > 1e-3, "KernelSHAP's linear fit does not: error {linear}");
        params.estimator = Estimator::LeverageInteractions;
        let e = kernel_shap(&engine(1, 5), &model, &x, 1, &params).unwrap();
        let se = e.standard_errors.as_ref().expect("200 pairs estimate errors");
        assert!(se.iter().all(|s| *s < 1e-5), "nothing left to vary: {se:?}");
        assert_eq!(e.parameters["estimator"], "leverage_interactions");
        let again = kernel_shap(&engine(2, 5), &model, &x, 1, &params).unwrap();
        assert_eq!(again.to_json().unwrap(), e.to_json().unwrap(), "same bits on 2 threads");
    }

    #[test]
    fn interactions_lower_the_error_of_a_model_with_interactions() {
        // `Nonlinear` adds the product of its first three inputs to a tanh: M = 12.
        let mut linear_error = 0.0;
        let mut cubic_error = 0.0;
        for row in 0..4 {
            let mut setting = Setting::new(12, 100 + row);
            setting.params.budget = Some(800);
            for seed in 0..5 {
                for (estimator, sum) in [
                    (Estimator::LeverageStratified, &mut linear_error),
                    (Estimator::LeverageInteractions, &mut cubic_error),
                ] {
                    setting.params.estimator = estimator;
                    let e = setting.explain(seed).unwrap();
                    *sum += setting.absolute_error(&e);
                }
            }
        }
        let ratio = cubic_error / linear_error;
        // 0.083 when measured; the fit's triple of players 0, 1 and 2 is exact.
        assert!(ratio < 0.25, "interaction fit's error {ratio:.3} of KernelSHAP's at equal evaluations");
    }

    /// Models unlike the comparison's MLP, one output each: a steep logistic score (a
    /// scorecard's probability) and a small ensemble of depth-3 trees (step functions).
    struct Unlike {
        signature: ModelSignature,
        trees: bool,
    }

    impl Model for Unlike {
        fn signature(&self) -> &ModelSignature {
            &self.signature
        }
        fn predict(&self, inputs: &[f32], rows: usize, outputs: &mut [f32]) -> lumen::Result<()> {
            let n = self.signature.input_len();
            for (x, out) in inputs.chunks(n).zip(outputs.iter_mut()).take(rows) {
                *out = if self.trees {
                    // Twelve depth-3 trees: split on input a, then on b or c, then on d;
                    // each leaf's value from its path.
                    (0..12usize)
                        .map(|t| {
                            let [a, b, c, d] = [t, 3 * t + 1, 5 * t + 2, 7 * t + 3].map(|i| i % n);
                            let first = x[a] > 0.0;
                            let second = if first { x[b] > 0.25 } else { x[c] < -0.25 };
                            let leaf = 4 * usize::from(first) + 2 * usize::from(second) + usize::from(x[d] > 0.0);
                            ((leaf * 7 + 3 * t) % 9) as f32 / 4.0 - 1.0
                        })
                        .sum()
                } else {
                    let score: f32 = x.iter().enumerate().map(|(i, v)| v * ((i % 5) as f32 - 1.5)).sum();
                    1.0 / (1.0 + (-(1.5 * score + 0.5)).exp())
                };
            }
            Ok(())
        }
    }

    #[test]
    fn the_default_beats_the_linear_fit_on_models_unlike_the_comparisons() {
        // M = 12 at budget 600 (the default fits size and score terms and five players'
        // triples): the mean absolute error against brute force over 3 rows × 8 seeds.
        // Measured 0.36 (logistic) and 0.55 (trees); 0.62 and 0.82, 0.57 and 0.70 on two
        // other sets of rows.
        let m = 12;
        for (trees, most) in [(false, 0.75), (true, 0.9)] {
            let mut errors = [0.0f64; 2];
            for row in 0..3 {
                let model = Box::new(Unlike { signature: ModelSignature::flat(m, 1), trees });
                let mut setting = Setting::with_model(model, m, 300 + row, 5);
                setting.params.budget = Some(600);
                for seed in 0..8 {
                    for (estimator, error) in
                        [Estimator::LeverageTopTriples, Estimator::LeverageStratified].into_iter().zip(&mut errors)
                    {
                        setting.params.estimator = estimator;
                        *error += setting.absolute_error(&setting.explain(seed).unwrap());
                    }
                }
            }
            let ratio = errors[0] / errors[1];
            assert!(ratio < most, "trees {trees}: the default's error {ratio:.3} of the linear fit's");
        }
    }

    #[test]
    fn interaction_errors_cover_the_exact_values() {
        // M = 12, where the fit keeps triples (k = 5 at 300, 7 at 800, 8 at 1600).
        let mut setting = Setting::new(12, 21);
        setting.params.estimator = Estimator::LeverageInteractions;
        for budget in [300, 800, 1600] {
            setting.params.budget = Some(budget);
            let (covered, available) = coverage(&setting, 40);
            assert!((0.90..=0.98).contains(&covered), "budget {budget}: coverage {covered:.3} of ±1.96 SE");
            assert_eq!(available, 1.0, "budget {budget}: errors available in {available:.2}");
        }
    }

    #[test]
    fn every_estimator_is_exact_for_an_additive_game_and_reproducible() {
        let w = values(12, 3);
        let model = Linear::new(&[12], vec![w.clone()], vec![0.5]);
        let x = values(12, 4);
        for estimator in Estimator::ALL {
            let mut params = KernelShapParams::new(ShapleyGame::new(Background::new(vec![0.0; 12], 12, None).unwrap()));
            params.estimator = estimator;
            params.budget = Some(100);
            let e = kernel_shap(&engine(1, 2), &model, &x, 1, &params).unwrap();
            for i in 0..12 {
                assert!((e.attributions[i] - f64::from(w[i] * x[i])).abs() < 1e-5, "{estimator:?} player {i}");
            }
            assert_eq!(e.parameters["estimator"], estimator.name());
            let again = kernel_shap(&engine(2, 2), &model, &x, 1, &params).unwrap();
            assert_eq!(again.to_json().unwrap(), e.to_json().unwrap());
        }
    }
}
