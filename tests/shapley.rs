//! Shapley methods against the definition: a brute-force enumeration of every coalition
//! of the interventional game, written independently of the engine.

mod common;

use common::{values, Linear, Nonlinear};
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

/// φ_i = Σ_{S ⊆ N∖{i}} |S|!(M−|S|−1)!/M! · (v(S ∪ {i}) − v(S)).
fn brute_force_shapley(v: &[f64], m: usize) -> Vec<f64> {
    let factorial = |k: usize| (1..=k).map(|j| j as f64).product::<f64>();
    (0..m)
        .map(|i| {
            (0..1usize << m)
                .filter(|s| s >> i & 1 == 0)
                .map(|s| {
                    let size = s.count_ones() as usize;
                    factorial(size) * factorial(m - size - 1) / factorial(m) * (v[s | 1 << i] - v[s])
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
    let params = ShapleySamplingParams { game: ShapleyGame::new(bg.clone()), permutation_pairs: 3 };
    let e = shapley_value_sampling(&engine(2, 5), &model, &x, 1, &params).unwrap();
    for i in 0..5 {
        let mean_b: f64 = (0..4).map(|r| bg.weights[r] * f64::from(background[r * 5 + i])).sum();
        let expected = f64::from(w[i]) * (f64::from(x[i]) - mean_b);
        assert!((f64::from(e.attributions[i]) - expected).abs() < 1e-5, "player {i}");
        assert!(e.standard_errors.as_ref().unwrap()[i] < 1e-5);
    }
    let gap = e.diagnostics[0].completeness_gap.as_ref().unwrap()[0];
    assert!(gap.abs() < 1e-5, "local accuracy gap {gap}");
}

#[test]
fn sampling_converges_to_brute_force_within_its_standard_errors() {
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
    let params = ShapleySamplingParams { game, permutation_pairs: 400 };
    let e = shapley_value_sampling(&engine(2, 11), &model, &x, 1, &params).unwrap();
    let se = e.standard_errors.as_ref().unwrap();
    for i in 0..5 {
        let error = (f64::from(e.attributions[i]) - exact[i]).abs();
        assert!(error <= 5.0 * f64::from(se[i]) + 1e-6, "player {i}: error {error}, se {}", se[i]);
    }
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
    let params = ShapleySamplingParams { game, permutation_pairs: 2 };
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
    assert!(Background::new(vec![], 3, None).unwrap_err().message().contains("no rows"));
    assert!(Background::new(vec![0.0; 4], 3, None).unwrap_err().message().contains("multiple of input_len"));
    assert!(Background::new(vec![0.0; 6], 3, Some(vec![0.0, 0.0])).unwrap_err().message().contains("positive sum"));
    assert!(Background::new(vec![0.0; 6], 3, Some(vec![1.0, -1.0])).is_err());
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
