//! Credit-scorecard points from a probability of good (PermuteAttack, equation 4).
//!
//! A scorecard maps the odds of good to points on a log scale anchored at a base score:
//! `score = base_score + PDO / ln 2 · ln(odds / base_odds)` with `odds = p / (1 − p)`, so the
//! base odds score `base_score` and every doubling of the odds adds `PDO` points.

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// The scaling of a scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scorecard {
    /// Points at the base odds (600 by default).
    pub base_score: f64,
    /// Good:bad odds that score `base_score` (20, i.e. 20:1, by default).
    pub base_odds: f64,
    /// Points that double the odds (15 by default).
    pub points_to_double_odds: f64,
}

impl Default for Scorecard {
    /// 600 points at 20:1 odds, 15 points to double the odds.
    fn default() -> Self {
        Self { base_score: 600.0, base_odds: 20.0, points_to_double_odds: 15.0 }
    }
}

impl Scorecard {
    /// Fails unless the base score is finite and the base odds and PDO are finite and positive.
    pub fn validate(&self) -> Result<()> {
        if !self.base_score.is_finite() {
            return Err(Error::invalid("base_score", format!("is {}, expected a finite number", self.base_score)));
        }
        ensure_positive("base_odds", self.base_odds)?;
        ensure_positive("points_to_double_odds", self.points_to_double_odds)
    }

    /// Points per unit of natural-log odds: `PDO / ln 2`.
    pub fn factor(&self) -> f64 {
        self.points_to_double_odds / std::f64::consts::LN_2
    }

    /// The score of a probability of good `p_good ∈ (0, 1)`:
    /// `base_score + PDO / ln 2 · ln(odds / base_odds)` with `odds = p_good / (1 − p_good)`.
    /// Fails if the scorecard is invalid or `p_good` is non-finite or outside `(0, 1)`.
    pub fn score(&self, p_good: f64) -> Result<f64> {
        self.validate()?;
        if !(p_good.is_finite() && p_good > 0.0 && p_good < 1.0) {
            return Err(Error::invalid(
                "p_good",
                format!("is {p_good}, expected a probability strictly between 0 and 1"),
            ));
        }
        let odds = p_good / (1.0 - p_good);
        let score = self.base_score + self.factor() * (odds / self.base_odds).ln();
        if !score.is_finite() {
            return Err(Error::new(
                ErrorKind::NonFiniteResult,
                format!(
                    "score: is {score} for p_good {p_good} (base_score {}, base_odds {}, points_to_double_odds {}): \
                     the scorecard's numbers overflow a double",
                    self.base_score, self.base_odds, self.points_to_double_odds
                ),
            ));
        }
        Ok(score)
    }
}

/// Fails unless `value` is finite and `> 0`.
fn ensure_positive(argument: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(argument, format!("is {value}, expected a finite number > 0")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// The probability of good whose odds are `odds`.
    fn p_of_odds(odds: f64) -> f64 {
        odds / (1.0 + odds)
    }

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 1e-9, "{actual} vs {expected}");
    }

    #[test]
    fn hand_computed_scores() {
        let card = Scorecard::default();
        close(card.score(p_of_odds(20.0)).expect("valid p"), 600.0);
        close(card.score(p_of_odds(40.0)).expect("valid p"), 615.0);
        close(card.score(p_of_odds(10.0)).expect("valid p"), 585.0);
        close(card.score(p_of_odds(80.0)).expect("valid p"), 630.0);
        // p = 0.5: odds 1 = 20 / 2^(ln 20 / ln 2), i.e. 600 − 15·log2(20) ≈ 535.17.
        close(card.score(0.5).expect("valid p"), 600.0 + 15.0 / std::f64::consts::LN_2 * (1.0_f64 / 20.0).ln());
        close(card.score(0.5).expect("valid p"), 600.0 - 15.0 * 20.0_f64.log2());
    }

    #[test]
    fn custom_scaling() {
        let card = Scorecard { base_score: 500.0, base_odds: 1.0, points_to_double_odds: 20.0 };
        close(card.score(0.5).expect("valid p"), 500.0);
        close(card.score(0.8).expect("valid p"), 540.0);
        close(card.factor(), 20.0 / std::f64::consts::LN_2);
    }

    #[test]
    fn probabilities_outside_the_open_interval_fail() {
        let card = Scorecard::default();
        for p in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            let error = card.score(p).expect_err("invalid p");
            assert_eq!(error.kind(), ErrorKind::InvalidArgument, "p = {p}");
        }
    }

    #[test]
    fn invalid_scalings_fail() {
        assert!(Scorecard::default().validate().is_ok());
        for card in [
            Scorecard { base_odds: 0.0, ..Scorecard::default() },
            Scorecard { base_odds: -20.0, ..Scorecard::default() },
            Scorecard { points_to_double_odds: 0.0, ..Scorecard::default() },
            Scorecard { points_to_double_odds: f64::NAN, ..Scorecard::default() },
            Scorecard { base_score: f64::INFINITY, ..Scorecard::default() },
        ] {
            assert!(card.validate().is_err(), "{card:?}");
            assert!(card.score(0.9).is_err(), "{card:?}");
        }
    }
}
