//! PermuteAttack's German Credit experiment (Hashemi & Fathi, 2020), figures beside the paper's.
//!
//! A random forest of 10 trees on a 60 / 40 split ([`GermanCreditForest::shared`]); every
//! test row is attacked toward the opposite class with the paper's settings (population 30,
//! 10 parents, 100 generations, 10 runs, Gibbs sampling over 5 quantile bins with 5 sweeps,
//! `k = 3`), new values drawn from the forest's 600 training rows. Each instance counts
//! with its best counterfactual (the first of the `k`). Three searches:
//!
//! - **(a)** every attribute may change;
//! - **(b)** only age, personal status and sex, and foreign worker may change
//!   ([`SENSITIVE_ATTRIBUTES`]);
//! - **(c)** the three most important attributes may not change. "Most important" is
//!   defined here as the three attributes that (a)'s best counterfactuals change most
//!   often (the audit's `change_counts`; ties to the lower index): credit amount, age and
//!   checking account with the default seed. The forest exposes no impurity importance.
//!
//! Besides the search, the example checks its results against the forest: every
//! successful counterfactual is re-evaluated and decoded (it must predict the target,
//! change exactly the attributes it lists, and only allowed ones); for (b) every
//! combination of the three sensitive attributes' training values is tried, which gives
//! the exact share of rows that values from the pool can flip; and for every search every
//! single-attribute change to a training value is tried, which bounds the mean number of
//! changed attributes from below.
//!
//! ```text
//! cargo run --release -p lumen-models --example permute_attack_paper
//! cargo run --release -p lumen-models --example permute_attack_paper -- --every 4 --seed 7
//! ```
//!
//! `--every N` attacks every N-th test row only (default 1: all 400); `--seed S` sets the
//! engine's seed (default 2020). All 400 rows take about 1 minute 10 seconds on two cores.
//!
//! # Measured (seed 2020, all 400 test rows, two cores)
//!
//! ```text
//! figure                                                    paper    Lumen
//! (a) success rate, any attribute may change               100%     100.00% (400/400)
//! (a) mean changed attributes                               2.35     1.65
//! (b) success rate, only the sensitive attributes           26.25%   30.00% (120/400)
//! (c) mean changed attributes, top three immutable          3.7      1.95
//! (b) mean changed attributes                               -        1.23
//! (c) success rate                                          -        100.00% (400/400)
//! (a) mean changed model columns, category change = 2       -        2.40
//! (c) mean changed model columns                            -        3.61
//!
//! checks   (b) all combinations of the sensitive values flip 122 rows; the search 120
//!          one attribute alone flips (a) 198, (b) 96, (c) 144 rows; the search's best
//!          changes one attribute for 192, 96, 143 of them; mean changed >= 1.50, 1.20, 1.64
//! work     30 001 model rows per instance; 0.057 s (a), 0.040 s (b), 0.050 s (c) per
//!          instance; 59 s for the three searches
//! ```
//!
//! # Why the figures differ
//!
//! - **Success rates agree.** (a) and (c) succeed on every row. (b) is 3.75 points above
//!   the paper; the exhaustive check shows 30.5 % is the most any search drawing values
//!   from the training pool could reach on this forest, and the search reaches 30.0 %.
//! - **The forest.** The paper's forest is scikit-learn's; ours is 10 `smartcore` trees
//!   (see the `forest` module's documentation): different bootstrap samples and column
//!   draws, and leaves that stay impure when 7 drawn columns cannot split them. Other
//!   trees have other decision boundaries: on ours one attribute alone flips half the test
//!   rows, so no search could average more than about 1.5 changed attributes if it found
//!   the sparsest counterfactual, and (c)'s bound is 1.59, far below the paper's 3.7.
//!   Lumen's search finds the one-attribute counterfactual for 192 of those 198 rows, so
//!   the search is not what keeps our means below the paper's.
//! - **Vote shares.** Probabilities are shares of 10 votes (steps of 0.1) and a 5 : 5 tie
//!   is good credit, so bad credit needs a 6 : 4 majority: 359 of the 400 test rows are
//!   predicted good and most attacks run good -> bad.
//! - **Fitness and selection.** The paper gives no ρ0 and ρ1; Lumen's (0.05 per changed
//!   feature, 0.01 per unit of L2 distance) make every extra feature cost five points of
//!   probability. Lumen's search adds a restore step (a child may reset one changed
//!   feature) and reports the sparsest success over all 10 runs. All of this pushes the
//!   mean number of changes down. Lumen's fitness uses the signed rise of P(target)
//!   where the paper writes |Δ P(target)| (with |·|, moving away from the target scored
//!   as well; the example counts failed rows whose fittest candidate moved away: 0).
//! - **What counts as a changed feature.** Counted over model columns (a categorical
//!   change moves the 1 between two one-hot columns), (a) changes 2.47 and (c) 3.23, near
//!   the paper's 2.35 and 3.7. The paper does not say which it counted; this is a
//!   possible explanation, not a known one.
//! - **The Gibbs conditional** is naive Bayes over pairwise bin tables, sharper than the
//!   true conditional: values rare given the rest of the row are drawn seldom. One draw
//!   changes foreign worker for a median row 0 times in 200 (22 of the 600 training rows
//!   are not foreign workers). Of the 8 rows (b) misses although some combination flips
//!   them, 7 flip only with foreign worker changed (measured while writing this).
//! - **Most important features.** The paper does not say how it ranked them; ours are
//!   defined above.
//!
//! Credit scores use [`Scorecard::default`] (600 points at 20 : 1, 15 points to double the
//! odds) on P(good). Vote shares reach 0 and 1, whose log-odds are infinite, so P(good) is
//! clamped to [0.05, 0.95] (half a vote from either end) before scoring.

use std::time::{Duration, Instant};

use lumen::explain::counterfactual::audit::{audit, DatasetAudit, InstanceOutcome};
use lumen::explain::counterfactual::gibbs::{GibbsOptions, GibbsResampler};
use lumen::explain::counterfactual::schema::{Resampler, Schema, TrainingTable};
use lumen::explain::counterfactual::scorecard::Scorecard;
use lumen::explain::counterfactual::{permute_attack, PermuteAttackParams, Sampling};
use lumen::explanation::Counterfactuals;
use lumen::{BackendChoice, Engine, EngineConfig, Error, Model, Result};
use lumen_models::german_credit::{
    GermanCredit, GermanCreditForest, BAD_CREDIT_CLASS, GOOD_CREDIT_CLASS, SENSITIVE_ATTRIBUTES,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// The engine's seed unless `--seed` says otherwise.
const DEFAULT_SEED: u64 = 2020;

/// P(good) is clamped into `[MIN_P_GOOD, 1 − MIN_P_GOOD]` before scoring: half a vote of 10.
const MIN_P_GOOD: f64 = 0.05;

/// Co-occurring attribute pairs printed.
const TOP_PAIRS: usize = 5;

/// Model rows per batch of the exhaustive checks.
const CHECK_BATCH_ROWS: usize = 4096;

/// Gibbs draws per attacked row when measuring how often a draw changes a value.
const DRAWS_PER_ROW: usize = 200;

/// The paper's figures.
mod paper {
    /// Success rate, any attribute may change.
    pub const SUCCESS_RATE: f64 = 1.0;
    /// Mean changed attributes, any attribute may change.
    pub const MEAN_CHANGED: f64 = 2.35;
    /// Success rate when only the sensitive attributes may change.
    pub const SENSITIVE_SUCCESS_RATE: f64 = 0.2625;
    /// Mean changed attributes when the three most important attributes may not change.
    pub const MEAN_CHANGED_WITHOUT_TOP_THREE: f64 = 3.7;
}

/// Command-line options.
struct Options {
    /// Attack every `every`-th test row (1: all).
    every: usize,
    /// The engine's seed.
    seed: u64,
}

impl Options {
    /// Parses `--every N` and `--seed S`.
    fn parse() -> Result<Self> {
        let mut options = Self { every: 1, seed: DEFAULT_SEED };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| Error::invalid(&flag, "needs a value"))?;
            let number = |name: &str| {
                value.parse::<u64>().map_err(|_| Error::invalid(name, format!("is {value:?}, expected an integer")))
            };
            match flag.as_str() {
                "--every" => options.every = number("--every")? as usize,
                "--seed" => options.seed = number("--seed")?,
                _ => return Err(Error::invalid(&flag, "is not an option; expected --every N or --seed S")),
            }
        }
        if options.every == 0 {
            return Err(Error::invalid("--every", "is 0, expected at least 1"));
        }
        Ok(options)
    }
}

/// The data, the forest and the rows under attack.
struct Setup {
    /// The paper's forest.
    forest: &'static GermanCreditForest,
    /// The 20 attributes as logical features.
    schema: Schema,
    /// The forest's training rows, encoded: the sampling pool.
    training: Vec<f32>,
    /// The same rows as logical values.
    table: TrainingTable,
    /// The attacked test rows (applicant indices).
    rows: Vec<usize>,
    /// Their encoded rows, concatenated.
    inputs: Vec<f32>,
    /// Columns per encoded row.
    row_len: usize,
}

impl Setup {
    /// The shared data and forest, attacking every `every`-th test row.
    fn new(every: usize) -> Result<Self> {
        let data = GermanCredit::shared();
        let forest = GermanCreditForest::shared();
        let encode = |rows: &[usize]| -> Vec<f32> {
            rows.iter().flat_map(|&row| data.encoded_range(row..row + 1).iter().copied()).collect()
        };
        let schema = data.counterfactual_schema()?;
        let training = encode(forest.train_rows());
        let table = TrainingTable::new(&schema, &widen(&training))?;
        let rows: Vec<usize> = forest.test_rows().iter().copied().step_by(every).collect();
        let inputs = encode(&rows);
        Ok(Self { forest, schema, training, table, rows, inputs, row_len: data.encoded_len() })
    }

    /// Attacked row `i`, encoded.
    fn input(&self, i: usize) -> &[f32] {
        &self.inputs[i * self.row_len..(i + 1) * self.row_len]
    }

    /// The forest's class of each of the encoded `rows` (bad only on a strict majority).
    fn classes(&self, rows: &[f32]) -> Result<Vec<usize>> {
        let count = rows.len() / self.row_len;
        let mut outputs = vec![0.0; count * 2];
        self.forest.predict(rows, count, &mut outputs)?;
        Ok(outputs.chunks_exact(2).map(|p| usize::from(p[BAD_CREDIT_CLASS] > p[GOOD_CREDIT_CLASS])).collect())
    }

    /// The distinct training values of logical `feature`, ascending.
    fn pool_values(&self, feature: usize) -> Vec<f64> {
        let mut values: Vec<f64> = (0..self.table.rows()).map(|i| self.table.value(i, feature)).collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values
    }
}

/// One search over the attacked rows.
struct Attack {
    /// What `permute_attack` returned.
    result: Counterfactuals,
    /// The audit of the best counterfactuals.
    audit: DatasetAudit,
    /// Wall time of the `permute_attack` call.
    wall: Duration,
    /// Which logical features the search might change.
    allowed: Vec<bool>,
}

impl Attack {
    /// Runs `params` over every attacked row in one call and audits the best counterfactuals.
    fn run(engine: &Engine, setup: &Setup, params: &PermuteAttackParams) -> Result<Self> {
        let start = Instant::now();
        let result = permute_attack(engine, setup.forest, &setup.inputs, setup.rows.len(), params)?;
        let wall = start.elapsed();
        let outcomes: Vec<InstanceOutcome> = result
            .instances
            .iter()
            .map(|instance| {
                let best = &instance.counterfactuals[0];
                InstanceOutcome { success: best.success, changed: best.changed.clone() }
            })
            .collect();
        let audit = audit(&outcomes, setup.schema.len())?;
        let allowed = (0..setup.schema.len())
            .map(|f| !params.immutable.contains(&f) && params.allow_list.as_ref().is_none_or(|list| list.contains(&f)))
            .collect();
        Ok(Self { result, audit, wall, allowed })
    }

    /// The allowed features' indices.
    fn allowed_features(&self) -> Vec<usize> {
        (0..self.allowed.len()).filter(|&f| self.allowed[f]).collect()
    }

    /// Successes among the instances whose original class is `class`, and those instances.
    fn successes_from(&self, class: u32) -> (usize, usize) {
        let from: Vec<_> = self.result.instances.iter().filter(|i| i.original_class == class).collect();
        (from.iter().filter(|i| i.counterfactuals[0].success).count(), from.len())
    }

    /// Mean number of model-input columns the successful best counterfactuals change (a
    /// categorical change moves the 1 between two one-hot columns).
    fn mean_changed_columns(&self, setup: &Setup) -> f64 {
        let counts: Vec<usize> = (self.result.instances.iter().enumerate())
            .filter(|(_, instance)| instance.counterfactuals[0].success)
            .map(|(i, instance)| {
                setup.input(i).iter().zip(&instance.counterfactuals[0].row).filter(|(&a, &b)| f64::from(a) != b).count()
            })
            .collect();
        counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64
    }

    /// Checks every successful best counterfactual against the forest and the schema: it
    /// must predict the target class, change exactly its `changed` features and only
    /// allowed ones. Returns one line per problem.
    fn self_check(&self, setup: &Setup) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        for (i, instance) in self.result.instances.iter().enumerate() {
            let best = &instance.counterfactuals[0];
            if !best.success {
                continue;
            }
            let row: Vec<f32> = best.row.iter().map(|&v| v as f32).collect();
            let class = setup.classes(&row)?[0];
            if class != instance.target_class as usize {
                problems.push(format!("row {i}: forest predicts {class}, target {}", instance.target_class));
            }
            let original = setup.schema.decode(&widen(setup.input(i)), "original")?;
            let changed = setup.schema.decode(&best.row, "counterfactual")?;
            let differing: Vec<usize> = (0..original.len()).filter(|&f| original[f] != changed[f]).collect();
            if differing != best.changed {
                problems.push(format!("row {i}: lists {:?} as changed, row differs in {differing:?}", best.changed));
            }
            if let Some(f) = differing.iter().find(|&&f| !self.allowed[f]) {
                problems.push(format!("row {i}: changes feature {f}, which may not change"));
            }
        }
        Ok(problems)
    }
}

/// Per attacked row, whether some candidate built by `candidates` flips the forest to the
/// row's target class. `candidates` gets the row's logical values and returns the logical
/// candidates to try.
fn exhaustive(
    setup: &Setup,
    attack: &Attack,
    candidates: impl Fn(&[f64]) -> Vec<Vec<f64>>,
) -> Result<(Vec<bool>, usize)> {
    let mut flippable = Vec::with_capacity(setup.rows.len());
    let mut evaluated = 0;
    for (i, instance) in attack.result.instances.iter().enumerate() {
        let input = widen(setup.input(i));
        let original = setup.schema.decode(&input, "original")?;
        let mut found = false;
        for batch in candidates(&original).chunks(CHECK_BATCH_ROWS) {
            let mut rows = Vec::with_capacity(batch.len() * setup.row_len);
            for candidate in batch {
                let start = rows.len();
                rows.extend_from_slice(&input);
                setup.schema.encode_into(candidate, &mut rows[start..]);
            }
            evaluated += batch.len();
            let rows: Vec<f32> = rows.iter().map(|&v| v as f32).collect();
            if setup.classes(&rows)?.contains(&(instance.target_class as usize)) {
                found = true;
                break;
            }
        }
        flippable.push(found);
    }
    Ok((flippable, evaluated))
}

/// Every candidate that changes exactly one of `features` to another training value.
fn single_changes(setup: &Setup, features: &[usize]) -> impl Fn(&[f64]) -> Vec<Vec<f64>> {
    let pools: Vec<(usize, Vec<f64>)> = features.iter().map(|&f| (f, setup.pool_values(f))).collect();
    move |original: &[f64]| {
        let mut candidates = Vec::new();
        for (f, values) in &pools {
            for &value in values.iter().filter(|&&v| v != original[*f]) {
                let mut candidate = original.to_vec();
                candidate[*f] = value;
                candidates.push(candidate);
            }
        }
        candidates
    }
}

/// Every candidate that sets `features` to any combination of their training values
/// (the original row itself excepted).
fn all_combinations(setup: &Setup, features: &[usize]) -> impl Fn(&[f64]) -> Vec<Vec<f64>> {
    let pools: Vec<(usize, Vec<f64>)> = features.iter().map(|&f| (f, setup.pool_values(f))).collect();
    move |original: &[f64]| {
        let mut candidates = vec![original.to_vec()];
        for (f, values) in &pools {
            candidates = candidates
                .iter()
                .flat_map(|base| {
                    values.iter().map(move |&value| {
                        let mut candidate = base.clone();
                        candidate[*f] = value;
                        candidate
                    })
                })
                .collect();
        }
        candidates.retain(|candidate| candidate.as_slice() != original);
        candidates
    }
}

/// How often one Gibbs draw of `feature` alone (the search's mutation) changes its value,
/// per attacked row with `DRAWS_PER_ROW` draws each, ascending.
fn gibbs_change_rates(setup: &Setup, params: &PermuteAttackParams, feature: usize, seed: u64) -> Result<Vec<f64>> {
    let Sampling::Gibbs { bins, iterations } = params.sampling else {
        return Err(Error::invalid("sampling", "expected Gibbs sampling"));
    };
    let options = GibbsOptions { bins, iterations, ..GibbsOptions::default() };
    let sampler = GibbsResampler::with_options(&setup.schema, &setup.table, options)?;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut rates = Vec::with_capacity(setup.rows.len());
    for i in 0..setup.rows.len() {
        let original = setup.schema.decode(&widen(setup.input(i)), "original")?;
        let mut changed = 0usize;
        for _ in 0..DRAWS_PER_ROW {
            let mut candidate = original.clone();
            sampler.resample(&mut candidate, &[feature], &mut rng);
            changed += usize::from(candidate[feature] != original[feature]);
        }
        rates.push(changed as f64 / DRAWS_PER_ROW as f64);
    }
    rates.sort_by(f64::total_cmp);
    Ok(rates)
}

/// Mean changed attributes if every success that a single change could flip changed one
/// attribute and every other success changed two: a lower bound on the audit's mean.
fn mean_changed_bound(attack: &Attack, single: &[bool]) -> f64 {
    let successes: Vec<bool> = attack
        .result
        .instances
        .iter()
        .zip(single)
        .filter(|(instance, _)| instance.counterfactuals[0].success)
        .map(|(_, &one)| one)
        .collect();
    let total: usize = successes.iter().map(|&one| if one { 1 } else { 2 }).sum();
    total as f64 / successes.len().max(1) as f64
}

/// `count / total` as a percentage with the counts.
fn rate(count: usize, total: usize) -> String {
    format!("{:.2}% ({count}/{total})", 100.0 * count as f64 / total.max(1) as f64)
}

/// P(good) given the probability of `target_class`.
fn p_good(target_class: u32, target_probability: f64) -> f64 {
    let p = target_probability;
    if target_class as usize == GOOD_CREDIT_CLASS {
        p
    } else {
        1.0 - p
    }
}

/// The scorecard's points for `p` after clamping it half a vote from 0 and 1.
fn score(card: &Scorecard, p: f64) -> Result<f64> {
    card.score(p.clamp(MIN_P_GOOD, 1.0 - MIN_P_GOOD))
}

/// Prints the mean P(good) and score of originals and best counterfactuals over the
/// successes of `attack`, one line per direction.
fn print_scores(name: &str, attack: &Attack) -> Result<()> {
    let card = Scorecard::default();
    for (from, to) in [(GOOD_CREDIT_CLASS, BAD_CREDIT_CLASS), (BAD_CREDIT_CLASS, GOOD_CREDIT_CLASS)] {
        let mut sums = [0.0f64; 4];
        let mut n = 0usize;
        for instance in attack.result.instances.iter().filter(|i| i.original_class as usize == from) {
            let best = &instance.counterfactuals[0];
            if !best.success {
                continue;
            }
            let before = p_good(instance.target_class, instance.original_probability);
            let after = p_good(instance.target_class, best.target_probability);
            for (sum, value) in sums.iter_mut().zip([before, after, score(&card, before)?, score(&card, after)?]) {
                *sum += value;
            }
            n += 1;
        }
        let mean = |k: usize| sums[k] / n.max(1) as f64;
        println!(
            "  {name} {:>11} {n:>9}   {:>9.3} -> {:<9.3}  {:>7.1} -> {:<7.1} ({:+.1})",
            format!("{} -> {}", class_name(from), class_name(to)),
            mean(0),
            mean(1),
            mean(2),
            mean(3),
            mean(3) - mean(2)
        );
    }
    Ok(())
}

/// "good" or "bad".
fn class_name(class: usize) -> &'static str {
    if class == GOOD_CREDIT_CLASS {
        "good"
    } else {
        "bad"
    }
}

fn main() -> Result<()> {
    let options = Options::parse()?;
    let setup = Setup::new(options.every)?;
    let engine = Engine::new(EngineConfig {
        backend: BackendChoice::Cpu,
        threads: 0,
        seed: options.seed,
        ..EngineConfig::default()
    })?;
    let names: Vec<String> = setup.schema.features().iter().map(|f| f.name.clone()).collect();
    let base = PermuteAttackParams::new(setup.schema.clone(), setup.training.clone());
    let Sampling::Gibbs { bins, iterations } = base.sampling else {
        return Err(Error::invalid("sampling", "the paper's defaults sample with Gibbs"));
    };

    println!("PermuteAttack on German Credit: the paper's figures beside Lumen's");
    println!(
        "forest: {} smartcore trees, {} training / {} test rows, test accuracy {:.3}",
        setup.forest.trees(),
        setup.forest.train_rows().len(),
        setup.forest.test_rows().len(),
        setup.forest.test_accuracy()
    );
    let subset = if options.every == 1 { "all".to_owned() } else { format!("every {}-th of the", options.every) };
    println!(
        "attacked: {} rows ({subset} {} test rows, --every {}), target: the opposite class",
        setup.rows.len(),
        setup.forest.test_rows().len(),
        options.every
    );
    println!(
        "engine: cpu, {} threads, seed {} | population {}, parents {}, generations {}, runs {}, \
         Gibbs {bins} bins x {iterations} sweeps, k = {}, rho0 {}, rho1 {}",
        engine.threads(),
        engine.seed(),
        base.population,
        base.parents,
        base.generations,
        base.runs,
        base.counterfactuals,
        base.rho0,
        base.rho1
    );
    let mut votes = [0usize; 11];
    let mut outputs = vec![0.0; setup.rows.len() * 2];
    setup.forest.predict(&setup.inputs, setup.rows.len(), &mut outputs)?;
    for pair in outputs.chunks_exact(2) {
        votes[(pair[GOOD_CREDIT_CLASS] * 10.0).round() as usize] += 1;
    }
    println!("attacked rows by trees voting good (0..=10): {votes:?}");

    let total = Instant::now();
    println!("\nrunning (a) any attribute may change ...");
    let a = Attack::run(&engine, &setup, &base)?;
    println!("running (b) only the sensitive attributes may change ...");
    let b = Attack::run(
        &engine,
        &setup,
        &PermuteAttackParams { allow_list: Some(SENSITIVE_ATTRIBUTES.to_vec()), ..base.clone() },
    )?;
    let mut ranking: Vec<usize> = (0..names.len()).collect();
    ranking.sort_by(|&f, &g| a.audit.change_counts[g].cmp(&a.audit.change_counts[f]).then(f.cmp(&g)));
    let top_three = ranking[..3].to_vec();
    println!("running (c) the three attributes (a) changes most may not change ...");
    let c = Attack::run(&engine, &setup, &PermuteAttackParams { immutable: top_three.clone(), ..base.clone() })?;
    let search_wall = total.elapsed();

    let sensitive_product = exhaustive(&setup, &b, all_combinations(&setup, &SENSITIVE_ATTRIBUTES))?;
    let singles: Vec<(Vec<bool>, usize)> = [&a, &b, &c]
        .iter()
        .map(|attack| exhaustive(&setup, attack, single_changes(&setup, &attack.allowed_features())))
        .collect::<Result<_>>()?;

    let n = setup.rows.len();
    println!("\nmost important attributes (most often changed by (a)'s best counterfactuals):");
    for &f in &ranking[..6] {
        let mark = if top_three.contains(&f) { " <- immutable in (c)" } else { "" };
        println!("  {:>4}  {}{mark}", a.audit.change_counts[f], names[f]);
    }

    println!("\n{:<58} {:>8}  Lumen", "figure", "paper");
    let row = |figure: &str, paper: String, lumen: String| println!("{figure:<58} {paper:>8}  {lumen}");
    let percent = |p: f64| format!("{:.2}%", 100.0 * p);
    row("(a) success rate, any attribute may change", percent(paper::SUCCESS_RATE), rate(a.audit.successes, n));
    row("(a) mean changed attributes", format!("{}", paper::MEAN_CHANGED), format!("{:.2}", a.audit.mean_changed));
    row(
        "(b) success rate, only the sensitive attributes",
        percent(paper::SENSITIVE_SUCCESS_RATE),
        rate(b.audit.successes, n),
    );
    row(
        "(c) mean changed attributes, top three immutable",
        format!("{}", paper::MEAN_CHANGED_WITHOUT_TOP_THREE),
        format!("{:.2}", c.audit.mean_changed),
    );
    row("(b) mean changed attributes", "-".into(), format!("{:.2}", b.audit.mean_changed));
    row("(c) success rate", "-".into(), rate(c.audit.successes, n));
    row(
        "(a) mean changed model columns, category change = 2",
        "-".into(),
        format!("{:.2}", a.mean_changed_columns(&setup)),
    );
    row("(c) mean changed model columns", "-".into(), format!("{:.2}", c.mean_changed_columns(&setup)));

    println!("\nsuccess by direction:          good -> bad          bad -> good");
    for (name, attack) in [("(a)", &a), ("(b)", &b), ("(c)", &c)] {
        let (good, good_total) = attack.successes_from(GOOD_CREDIT_CLASS as u32);
        let (bad, bad_total) = attack.successes_from(BAD_CREDIT_CLASS as u32);
        println!("  {name}  {:>26}  {:>19}", rate(good, good_total), rate(bad, bad_total));
    }

    println!("\nchecks against the forest (candidates use training values only):");
    let flips = sensitive_product.0.iter().filter(|&&f| f).count();
    println!(
        "  (b) every combination of the sensitive attributes' values flips {} ({} model rows); the search {}",
        rate(flips, n),
        sensitive_product.1,
        rate(b.audit.successes, n)
    );
    let missed = b
        .result
        .instances
        .iter()
        .zip(&sensitive_product.0)
        .filter(|(instance, &flippable)| flippable && !instance.counterfactuals[0].success)
        .count();
    println!("      rows the combinations flip but the search does not: {missed}");
    let counts: Vec<String> =
        SENSITIVE_ATTRIBUTES.iter().map(|&f| format!("{} {}", names[f], b.audit.change_counts[f])).collect();
    println!("      (b)'s best counterfactuals change: {}", counts.join(", "));
    let draws: Vec<String> = SENSITIVE_ATTRIBUTES
        .iter()
        .map(|&f| {
            let rates = gibbs_change_rates(&setup, &base, f, options.seed)?;
            let mean = rates.iter().sum::<f64>() / rates.len() as f64;
            Ok(format!("{} {:.1}% / {:.1}%", names[f], 100.0 * mean, 100.0 * rates[rates.len() / 2]))
        })
        .collect::<Result<_>>()?;
    println!("      one Gibbs draw changes the value (mean / median over the attacked rows): {}", draws.join(", "));
    for (name, attack) in [("(a)", &a), ("(b)", &b), ("(c)", &c)] {
        let failed: Vec<_> = attack.result.instances.iter().filter(|i| !i.counterfactuals[0].success).collect();
        let away = failed.iter().filter(|i| i.counterfactuals[0].target_probability < i.original_probability).count();
        let tied = failed.iter().filter(|i| i.counterfactuals[0].target_probability == 0.5).count();
        println!(
            "  {name} failed rows: {}; fittest candidate at a 5 : 5 tie: {tied}; \
             moved away from the target: {away}",
            failed.len()
        );
    }
    for ((name, attack), (single, evaluated)) in [("(a)", &a), ("(b)", &b), ("(c)", &c)].iter().zip(&singles) {
        let one = single.iter().filter(|&&s| s).count();
        println!(
            "  {name} one allowed attribute alone can flip {}; the search changes one for {} \
             ({evaluated} model rows); mean changed >= {:.2}",
            rate(one, n),
            attack.audit.changed_histogram[1],
            mean_changed_bound(attack, single)
        );
    }
    let mut problems = Vec::new();
    for (name, attack) in [("(a)", &a), ("(b)", &b), ("(c)", &c)] {
        problems.extend(attack.self_check(&setup)?.into_iter().map(|p| format!("{name} {p}")));
    }
    println!(
        "  every successful counterfactual re-evaluated and decoded: {}",
        if problems.is_empty() {
            "predicts its target, changes what it lists, only allowed attributes"
        } else {
            "PROBLEMS"
        }
    );
    for problem in &problems {
        println!("    {problem}");
    }

    println!("\n(a) changed attributes per best counterfactual:");
    let widest = a.audit.changed_histogram.iter().copied().max().unwrap_or(1).max(1);
    let last = a.audit.changed_histogram.iter().rposition(|&count| count > 0).unwrap_or(0);
    for (m, &count) in a.audit.changed_histogram.iter().enumerate().take(last + 1).skip(1) {
        println!("  {m:>2}  {count:>4}  {}", "#".repeat((count * 50).div_ceil(widest)));
    }

    println!("\n(a) attribute pairs changed together most often:");
    let mut pairs: Vec<(usize, usize, usize)> = (0..names.len())
        .flat_map(|f| (f + 1..names.len()).map(move |g| (f, g)))
        .map(|(f, g)| (a.audit.co_occurrence(f, g), f, g))
        .filter(|&(count, _, _)| count > 0)
        .collect();
    pairs.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    for (count, f, g) in pairs.into_iter().take(TOP_PAIRS) {
        println!("  {count:>4}  {} + {}", names[f], names[g]);
    }

    println!("\nwork:      instances  model rows  rows / instance    wall (s)  per instance (s)");
    for (name, attack) in [("(a)", &a), ("(b)", &b), ("(c)", &c)] {
        let rows = attack.result.audit.model_rows_evaluated;
        let instances = attack.result.instances.len();
        println!(
            "  {name} {instances:>14} {rows:>11} {:>16.0} {:>11.1} {:>17.3}",
            rows as f64 / instances as f64,
            attack.wall.as_secs_f64(),
            attack.wall.as_secs_f64() / instances as f64
        );
    }
    println!("  three searches: {:.1} s", search_wall.as_secs_f64());

    println!(
        "\ncredit scores (600 at 20:1, PDO 15; P(good) clamped to [{MIN_P_GOOD}, {}]), means over successes:",
        1.0 - MIN_P_GOOD
    );
    println!("  run   direction   successes   P(good) orig -> cf   score orig -> cf");
    for (name, attack) in [("(a)", &a), ("(b)", &b), ("(c)", &c)] {
        print_scores(name, attack)?;
    }
    if !problems.is_empty() {
        return Err(Error::invalid("counterfactuals", format!("{} failed checks", problems.len())));
    }
    Ok(())
}

/// Model-input floats as the f64 the counterfactual schema reads (exact).
fn widen(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}
