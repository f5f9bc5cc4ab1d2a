//! How honest the sampled Shapley methods' standard errors are, on games of many shapes.
//!
//! For each game, number of players `M` and budget, it explains a few rows (each over 4
//! background rows of its own) with every KernelSHAP estimator, and with Shapley Value
//! Sampling (`permutation`, at `budget / M` antithetic pairs), once per engine seed, and
//! compares the values with the exact Shapley values by brute force over all `2^M`
//! coalitions (`tests/common`'s definition, compensated sums). It prints per setting:
//!
//! * `coverage`: the share of values within ±1.96 reported standard errors of the exact
//!   ones (95 % where the errors are honest; `tests/shapley.rs` holds KernelSHAP to
//!   [0.90, 0.98]), over the calls whose errors are available;
//! * `available`: the share of calls that report standard errors;
//! * `mean z²`: the mean of (error / standard error)² (1 where the errors are honest);
//! * `beyond 6 SE`: values off by more than six standard errors (next to none where they
//!   are honest);
//! * `MAE`: the mean absolute error;
//! * `exact`: the share of calls whose rounds reached every coalition (only with
//!   `LUMEN_TARGET`): exact values with errors of 0, left out of the coverage.
//!
//! and at the end how many settings fall below, inside and above [0.90, 0.98].
//!
//! The games, over inputs in [-1, 1) with `a_i = ((7i + 3) mod 11) / 5 − 1`: `additive`
//! `Σ a_i x_i`; `step` `[Σ a_i x_i > 0.1]`; `max` `max_i a_i x_i`; `product`
//! `Π_i (1 + x_i / 2)`; `sparse` `x_0 x_1 x_2 + x_3 x_4 / 2 + x_5 / 5`; `quadratic`
//! `(Σ a_i x_i)²`; `sigmoid` `σ(1.5 Σ a_i x_i + 0.5)`; `trees`, twelve depth-3 trees.
//!
//! Run with (about a minute on two cores):
//!
//! ```text
//! cargo run --release --example coverage_sweep
//! LUMEN_GAMES=additive,step LUMEN_PLAYERS=10 cargo run --release --example coverage_sweep
//! LUMEN_ESTIMATORS=permutation LUMEN_BUDGET_FACTORS=6,60 cargo run --release --example coverage_sweep
//! LUMEN_TARGET=5e-3 LUMEN_BUDGET_FACTORS=3,8,25 cargo run --release --example coverage_sweep
//! ```
//!
//! Comma-separated, each keeps only those settings: `LUMEN_GAMES` (default: all eight),
//! `LUMEN_PLAYERS` (default `8,10,12`), `LUMEN_BUDGET_FACTORS` (budgets as multiples of
//! `M`, default `3,6,20,60`; a budget that covers every coalition is exact and left out)
//! and `LUMEN_ESTIMATORS` (KernelSHAP's estimator names, and `permutation`; default: the
//! five estimators). `LUMEN_SEEDS` (default 40) and `LUMEN_ROWS` (default 3) set the
//! engine seeds and explained rows per setting; `LUMEN_ELEMENT=f64` runs the games as double
//! models (default `f32`). `LUMEN_TARGET` (a standard error, in the games' units) makes
//! every call accuracy-driven, the budget its first round: the coverage of the errors
//! reached when the rounds stop.

#[path = "../tests/common/mod.rs"]
mod common;

use lumen::explain::shapley::{
    kernel_shap, shapley_value_sampling, Background, Estimator, KernelShapParams, ShapleyGame, ShapleySamplingParams,
};
use lumen::{BackendChoice, Element, Engine, EngineConfig, Explanation, Model, ModelSignature};

/// The games' shapes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Game {
    Additive,
    Step,
    Max,
    Product,
    Sparse,
    Quadratic,
    Sigmoid,
    Trees,
}

impl Game {
    const ALL: [Game; 8] = [
        Game::Additive,
        Game::Step,
        Game::Max,
        Game::Product,
        Game::Sparse,
        Game::Quadratic,
        Game::Sigmoid,
        Game::Trees,
    ];

    fn name(self) -> String {
        format!("{self:?}").to_lowercase()
    }

    /// The game's output at row `x`, computed in `E`.
    fn at<E: Element>(self, x: &[E]) -> E {
        let c = E::from_f64;
        let a = |i: usize| c(((i * 7 + 3) % 11) as f64 / 5.0 - 1.0);
        let terms = || x.iter().enumerate().map(move |(i, &v)| a(i) * v);
        let score = || terms().fold(E::zero(), |sum, term| sum + term);
        match self {
            Game::Additive => score(),
            Game::Step => c(f64::from(u8::from(score() > c(0.1)))),
            Game::Max => terms().fold(E::neg_infinity(), E::max),
            Game::Product => x.iter().fold(E::one(), |product, &v| product * (E::one() + c(0.5) * v)),
            Game::Sparse => x[0] * x[1] * x[2] + c(0.5) * x[3] * x[4] + c(0.2) * x[5],
            Game::Quadratic => score() * score(),
            Game::Sigmoid => E::one() / (E::one() + (-(c(1.5) * score() + c(0.5))).exp()),
            Game::Trees => (0..12usize).fold(E::zero(), |sum, t| {
                let [first, left, right, last] = [t, 3 * t + 1, 5 * t + 2, 7 * t + 3].map(|i| i % x.len());
                let high = x[first] > E::zero();
                let second = if high { x[left] > c(0.25) } else { x[right] < c(-0.25) };
                let leaf = 4 * usize::from(high) + 2 * usize::from(second) + usize::from(x[last] > E::zero());
                sum + c(((leaf * 7 + 3 * t) % 9) as f64 / 4.0 - 1.0)
            }),
        }
    }
}

/// A game over `M` inputs, one output.
struct GameModel {
    signature: ModelSignature,
    game: Game,
}

impl<E: Element> Model<E> for GameModel {
    fn signature(&self) -> &ModelSignature {
        &self.signature
    }
    fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> lumen::Result<()> {
        let n = self.signature.input_len();
        for (x, out) in inputs.chunks(n).zip(outputs.iter_mut()).take(rows) {
            *out = self.game.at(x);
        }
        Ok(())
    }
}

/// Who explains: a KernelSHAP estimator, or Shapley Value Sampling.
#[derive(Debug, Clone, Copy)]
enum Explainer {
    KernelShap(Estimator),
    Permutation,
}

impl Explainer {
    fn name(self) -> &'static str {
        match self {
            Explainer::KernelShap(estimator) => estimator.name(),
            Explainer::Permutation => "permutation",
        }
    }

    fn explain<E: Element>(
        self,
        engine: &Engine,
        model: &GameModel,
        x: &[E],
        game: &ShapleyGame<E>,
        budget: usize,
        target: Option<f64>,
    ) -> Explanation {
        let result = match self {
            Explainer::KernelShap(estimator) => {
                let mut params = KernelShapParams::new(game.clone());
                params.estimator = estimator;
                params.budget = Some(budget);
                params.target_standard_error = target;
                kernel_shap(engine, model, x, 1, &params)
            }
            Explainer::Permutation => {
                let mut params = ShapleySamplingParams::new(game.clone());
                params.permutation_pairs = (budget / x.len()).max(2);
                params.target_standard_error = target;
                shapley_value_sampling(engine, model, x, 1, &params)
            }
        };
        result.unwrap_or_else(|e| panic!("{} at budget {budget}: {e}", self.name()))
    }
}

/// What the calls of one setting add up to.
#[derive(Default)]
struct Tally {
    calls: usize,
    /// Calls whose rounds reached every coalition: exact values, errors 0, left out of the
    /// coverage (only with `LUMEN_TARGET`).
    exact: usize,
    available: usize,
    values: usize,
    covered: usize,
    z_squared: f64,
    beyond_six: usize,
    absolute_error: f64,
}

impl Tally {
    fn add(&mut self, e: &Explanation, exact: &[f64]) {
        self.calls += 1;
        for (value, want) in e.attributions.iter().zip(exact) {
            self.absolute_error += (value - want).abs();
        }
        let Some(errors) = &e.standard_errors else { return };
        self.available += 1;
        if e.sampling_diagnostics().is_some_and(|rows| rows.iter().all(|row| row.exact)) {
            self.exact += 1;
            return;
        }
        for ((value, want), &se) in e.attributions.iter().zip(exact).zip(errors.iter()) {
            let error = (value - want).abs();
            self.values += 1;
            self.covered += usize::from(error <= 1.96 * se);
            self.beyond_six += usize::from(error > 6.0 * se);
            if se > 0.0 {
                self.z_squared += (error / se).powi(2);
            }
        }
    }

    /// The share of values covered; NaN when no value had errors to cover it with.
    fn coverage(&self) -> f64 {
        if self.values == 0 {
            return f64::NAN;
        }
        self.covered as f64 / self.values as f64
    }
}

/// `len` deterministic pseudo-random values in [-1, 1), as `E` (the same numbers for `f32`
/// and `f64`).
fn values<E: Element>(len: usize, seed: u64) -> Vec<E> {
    common::values(len, seed).into_iter().map(|v| E::from_f64(f64::from(v))).collect()
}

/// The exact Shapley values of `game` at `x` over the equally weighted rows of
/// `background`, by the definition over every coalition (the tests' own).
fn exact_values<E: Element>(game: Game, x: &[E], background: &[E]) -> Vec<f64> {
    let m = x.len();
    let rows = background.len() / m;
    let worth: Vec<f64> = (0..1usize << m)
        .map(|s| {
            let value = |b: &[E]| {
                let row: Vec<E> = (0..m).map(|i| if s >> i & 1 == 1 { x[i] } else { b[i] }).collect();
                game.at(&row).widen()
            };
            common::compensated_sum(background.chunks(m).map(value)) / rows as f64
        })
        .collect();
    common::brute_force_shapley(&worth, m)
}

/// The comma-separated list in `variable`, each item parsed by `parse`, or `default`.
fn list<T>(variable: &str, default: Vec<T>, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    match std::env::var(variable) {
        Ok(items) => items
            .split(',')
            .map(|item| parse(item.trim()).unwrap_or_else(|| panic!("{variable}: no such item: {item}")))
            .collect(),
        Err(_) => default,
    }
}

/// The settings to run, from the environment.
struct Options {
    games: Vec<Game>,
    players: Vec<usize>,
    factors: Vec<usize>,
    explainers: Vec<Explainer>,
    seeds: u64,
    rows: u64,
    target: Option<f64>,
}

impl Options {
    fn from_env() -> Self {
        let every = Estimator::ALL.into_iter().map(Explainer::KernelShap).collect();
        Self {
            games: list("LUMEN_GAMES", Game::ALL.to_vec(), |name| Game::ALL.into_iter().find(|g| g.name() == name)),
            players: list("LUMEN_PLAYERS", vec![8, 10, 12], |m| m.parse().ok().filter(|m| (6..=16).contains(m))),
            factors: list("LUMEN_BUDGET_FACTORS", vec![3, 6, 20, 60], |f| f.parse().ok()),
            explainers: list("LUMEN_ESTIMATORS", every, |name| match name {
                "permutation" => Some(Explainer::Permutation),
                _ => Estimator::ALL.into_iter().find(|e| e.name() == name).map(Explainer::KernelShap),
            }),
            seeds: list("LUMEN_SEEDS", vec![40], |s| s.parse().ok())[0],
            rows: list("LUMEN_ROWS", vec![3], |r| r.parse().ok())[0],
            target: std::env::var("LUMEN_TARGET").ok().map(|t| t.parse().expect("LUMEN_TARGET: a number")),
        }
    }
}

fn main() {
    let options = Options::from_env();
    match std::env::var("LUMEN_ELEMENT").as_deref() {
        Ok("f64") => run::<f64>(&options),
        Ok("f32") | Err(_) => run::<f32>(&options),
        Ok(other) => panic!("LUMEN_ELEMENT: {other}, expected f32 or f64"),
    }
}

/// Runs every setting of `options` with models on `E` and prints the table.
fn run<E: Element>(options: &Options) {
    println!(
        "{:>9} {:>3} {:>22} {:>6} | {:>8} {:>9} {:>7} {:>11} {:>9} {:>5}",
        "game", "M", "estimator", "budget", "coverage", "available", "mean z²", "beyond 6 SE", "MAE", "exact"
    );
    let (mut below, mut inside, mut above) = (0, 0, 0);
    for &game in &options.games {
        for &m in &options.players {
            let signature = ModelSignature { element_type: E::TYPE, ..ModelSignature::flat(m, 1) };
            let model = GameModel { signature, game };
            let settings: Vec<(Vec<E>, ShapleyGame<E>, Vec<f64>)> = (0..options.rows)
                .map(|row| {
                    let x = values::<E>(m, 100 + row);
                    let background = values::<E>(4 * m, 200 + row);
                    let exact = exact_values(game, &x, &background);
                    let shapley = ShapleyGame::new(Background::new(background, m, None).expect("a valid background"));
                    (x, shapley, exact)
                })
                .collect();
            for &explainer in &options.explainers {
                for budget in options.factors.iter().map(|f| f * m).filter(|&b| b < (1 << m) - 2) {
                    let mut tally = Tally::default();
                    for (x, shapley, exact) in &settings {
                        for seed in 0..options.seeds {
                            let config =
                                EngineConfig { backend: BackendChoice::Cpu, threads: 1, seed, ..Default::default() };
                            let engine = Engine::new(config).expect("a CPU engine");
                            tally.add(&explainer.explain(&engine, &model, x, shapley, budget, options.target), exact);
                        }
                    }
                    // A setting whose every call ended exact has no coverage to count (NaN).
                    let coverage = tally.coverage();
                    match coverage {
                        c if c.is_nan() => {}
                        c if c < 0.90 => below += 1,
                        c if c > 0.98 => above += 1,
                        _ => inside += 1,
                    }
                    println!(
                        "{:>9} {m:>3} {:>22} {budget:>6} | {coverage:>8.3} {:>9.2} {:>7.2e} {:>11} {:>9.2e} {:>5.2}",
                        game.name(),
                        explainer.name(),
                        tally.available as f64 / tally.calls as f64,
                        tally.z_squared / tally.values.max(1) as f64,
                        tally.beyond_six,
                        tally.absolute_error / (tally.calls * m) as f64,
                        tally.exact as f64 / tally.calls as f64,
                    );
                }
            }
        }
    }
    println!("coverage of ±1.96 SE: {below} settings below 0.90, {inside} in [0.90, 0.98], {above} above 0.98");
}
