//! The coalition sampling schemes KernelSHAP can use, and the sampler that grows the
//! chosen one in rounds.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::drawn_set::DrawnSet;
use super::interactions::InteractionTerms;
use super::leverage::LeverageSampler;
use super::sampled_rows::SampledRows;
use super::schedule::{draws_pairs, reserved_coalitions, Schedule, ShapSampler};
use super::solve::constrained_wls;

/// A schedule this small (in coalitions per player) is checked for a full-rank design
/// before any model evaluation, and redrawn when it has none.
const CHECKED_ROWS_PER_PLAYER: usize = 8;

/// Redraws of a first round whose design does not determine the values.
const REDRAWS: usize = 16;

/// How KernelSHAP chooses and weights its coalitions (all solve the same constrained
/// weighted least squares; exact enumeration whenever the budget covers every coalition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Estimator {
    /// shap's `KernelExplainer` schedule: complete subset sizes from the outside in while
    /// the budget holds them, then paired samples drawn from the kernel's size
    /// distribution, weighted by their draw counts. Lumen's schedule before 0.3.
    Shap,
    /// Leverage SHAP (Musco & Witter, ICLR 2025): every coalition included independently
    /// with probability `min(1, c / C(M, s))` (uniform over sizes, the regression's
    /// leverage scores), in complementary pairs, weighted by kernel over probability.
    Leverage,
    /// Leverage SHAP with the number of coalitions of every size fixed to its expectation
    /// (stratified by size): the same weights, less variance. The lowest mean error at equal
    /// model evaluations of the three linear fits in `benches/compare/` (12 and 16 players),
    /// by a small margin. The default in 0.2.
    LeverageStratified,
    /// The stratified Leverage SHAP draws, fitted with third-order interactions: the
    /// game's antisymmetric part on the players' ±1 terms plus the triples among the
    /// players with the largest linear values (at most 256 coefficients; those the pairs do
    /// not support on their own under a ridge penalty), read off as Shapley values
    /// (PolySHAP, Fumagalli et al., 2025). On the comparison MLP (`benches/compare/`, 16
    /// and 12 players) its mean absolute error at equal model evaluations is 0.43–0.60×
    /// and 0.08–0.51× shap's, and shap's accuracy at its default budget takes 2.6× and
    /// 4.1× fewer evaluations. The fit costs about 3.5–6.5 ms per row and output (one
    /// thread), so it pays where model evaluations cost more than that; not the default.
    /// The linear fit stands from 256 players (`src/explain/shapley/interactions.rs`
    /// documents the fit).
    LeverageInteractions,
    /// The stratified Leverage SHAP draws, fitted with the triples among only the
    /// five players with the largest linear values (at most 10 triples), from 16
    /// coalitions per player each player's size term (its effect changing with the
    /// coalition's size) and from 24 its score term (its effect changing with the
    /// coalition's linear score; `src/explain/shapley/interactions.rs`), by the same fit,
    /// penalty and jackknife as [`LeverageInteractions`](Self::LeverageInteractions). The
    /// default: on the comparison MLP (`benches/compare/`, 16 and 12 players) its mean
    /// absolute error at equal model evaluations is 0.42–0.48× and 0.36–0.50× shap's (the
    /// stratified linear fit's 0.73–0.83× and 0.65–0.71×), it reaches shap's accuracy at
    /// its default budget with 3.0× and 2.6× fewer model evaluations (the linear fit 1.3×
    /// and 1.5×) and in the least time of the five (25× and 26× less than shap on one
    /// thread; the linear fit 13× and 17×, in the same runs). Its fit adds about 0.2 ms
    /// per row and output at budget 2080 (M = 16); where no triple fits (256 players and
    /// more) the linear fit stands.
    #[default]
    LeverageTopTriples,
}

/// The most players whose triples [`Estimator::LeverageTopTriples`] fits: with the score
/// terms, five gave the error of six with 10 fewer coefficients (`benches/compare/README.md`).
const TOP_TRIPLE_PLAYERS: usize = 5;

impl Estimator {
    /// Every estimator, in the order of the C ABI's codes `LUMEN_ESTIMATOR_SHAP` (1),
    /// `_LEVERAGE` (2), `_LEVERAGE_STRATIFIED` (3), `_LEVERAGE_INTERACTIONS` (4) and
    /// `_LEVERAGE_TOP_TRIPLES` (5).
    pub const ALL: [Estimator; 5] = [
        Estimator::Shap,
        Estimator::Leverage,
        Estimator::LeverageStratified,
        Estimator::LeverageInteractions,
        Estimator::LeverageTopTriples,
    ];

    /// The estimator's name, as in the audit JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Shap => "shap",
            Self::Leverage => "leverage",
            Self::LeverageStratified => "leverage_stratified",
            Self::LeverageInteractions => "leverage_interactions",
            Self::LeverageTopTriples => "leverage_top_triples",
        }
    }

    /// The bytes its sampler's set of drawn coalitions holds once `coalitions` coalitions
    /// of `players` players are drawn, the first round within `budget`: shap's sampler keys
    /// each sampled coalition with its row, a complementary pair once ([`SampledRows`]);
    /// the leverage samplers key each unit, a pair once ([`draws_pairs`]), in a bitmap over
    /// every coalition where that is smaller ([`DrawnSet`]).
    pub(super) fn drawn_set_bytes(self, players: usize, coalitions: usize, budget: usize) -> usize {
        let paired = draws_pairs(players, budget);
        match self {
            Self::Shap => SampledRows::bytes(players, reserved_coalitions(players, budget), coalitions, paired),
            _ => DrawnSet::bytes(players, if paired { coalitions.div_ceil(2) } else { coalitions }),
        }
    }

    /// The odd functions the estimator fits beside the players' own terms; `None` for the
    /// linear fits.
    pub(super) fn interaction_terms(self) -> Option<InteractionTerms> {
        match self {
            Self::Shap | Self::Leverage | Self::LeverageStratified => None,
            Self::LeverageInteractions => {
                Some(InteractionTerms { triple_players: usize::MAX, size_terms: false, score_terms: false })
            }
            Self::LeverageTopTriples => {
                Some(InteractionTerms { triple_players: TOP_TRIPLE_PLAYERS, size_terms: true, score_terms: true })
            }
        }
    }
}

/// One estimator's schedule, grown in rounds.
pub(super) enum Sampler {
    /// shap's schedule.
    Shap(ShapSampler),
    /// Leverage SHAP, Bernoulli or stratified.
    Leverage(LeverageSampler),
}

impl Sampler {
    /// The first round of `estimator` for `players` players within `budget` coalitions.
    /// A small schedule whose design cannot determine the values is redrawn (up to
    /// [`REDRAWS`] times) before anything is evaluated.
    pub(super) fn new(
        estimator: Estimator,
        players: usize,
        budget: usize,
        rng: &mut impl Rng,
    ) -> crate::error::Result<Self> {
        let mut sampler = Self::draw(estimator, players, budget, rng)?;
        for _ in 0..REDRAWS {
            let schedule = sampler.schedule();
            if schedule.exact || schedule.len() > CHECKED_ROWS_PER_PLAYER * players || identifies(schedule) {
                break;
            }
            // Dropped first: the memory plan counts one sampler.
            drop(sampler);
            sampler = Self::draw(estimator, players, budget, rng)?;
        }
        Ok(sampler)
    }

    fn draw(estimator: Estimator, players: usize, budget: usize, rng: &mut impl Rng) -> crate::error::Result<Self> {
        Ok(match estimator {
            Estimator::Shap => Self::Shap(ShapSampler::new(players, budget, rng)?),
            Estimator::Leverage => Self::Leverage(LeverageSampler::new(players, budget, false, rng)?),
            Estimator::LeverageStratified | Estimator::LeverageInteractions | Estimator::LeverageTopTriples => {
                Self::Leverage(LeverageSampler::new(players, budget, true, rng)?)
            }
        })
    }

    /// Grows the schedule to at most `budget` coalitions; earlier coalitions stay, in order.
    pub(super) fn grow(&mut self, budget: usize, rng: &mut impl Rng) {
        match self {
            Self::Shap(s) => s.grow(budget, rng),
            Self::Leverage(s) => s.grow(budget, rng),
        }
    }

    /// The schedule so far.
    pub(super) fn schedule(&self) -> &Schedule {
        match self {
            Self::Shap(s) => &s.schedule,
            Self::Leverage(s) => &s.schedule,
        }
    }
}

/// Whether the coalitions of `schedule` determine the values (a full-rank design).
fn identifies(schedule: &Schedule) -> bool {
    let zeros = vec![0.0; schedule.len()];
    constrained_wls(&schedule.coalitions, &schedule.weights, &zeros, 0.0, 0.0).is_ok()
}
