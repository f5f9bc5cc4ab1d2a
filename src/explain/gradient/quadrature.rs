//! Integration rules along the path from the baseline (α = 0) to the input (α = 1), with
//! Captum's conventions (`captum.attr._utils.approximation_methods`).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::limits::{at_most, MAX_GAUSS_LEGENDRE_STEPS, MAX_SAMPLES};

/// How Integrated Gradients approximates the path integral.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrature {
    /// α_k = k/n, weights 1/n.
    RiemannLeft,
    /// α_k = (k+1)/n, weights 1/n.
    RiemannRight,
    /// α_k = (k+½)/n, weights 1/n.
    RiemannMiddle,
    /// α_k = k/(n−1) (n ≥ 2), weights 1/(n−1) with half weights at both ends: the
    /// textbook trapezoid rule, whose weights sum to 1.
    RiemannTrapezoid,
    /// Captum's `riemann_trapezoid`: α_k = k/(n−1) (n ≥ 2), weights 1/n with half weights
    /// at both ends, so they sum to (n−1)/n and every attribution is the textbook rule's
    /// scaled by about (n−1)/n (exactly, for a linear model).
    RiemannTrapezoidCaptum,
    /// Gauss–Legendre nodes and weights on [0, 1] (Captum's default).
    #[default]
    GaussLegendre,
    /// Gauss–Legendre as Captum applies it: the nodes and weights on [0, 1] rounded to
    /// float32 (Captum's `torch.tensor(step_sizes)` and float32 path points), so its
    /// attributions are reproduced to the float32 rounding of its own arithmetic rather
    /// than to the float32 floor of the exact rule.
    GaussLegendreCaptum,
}

impl Quadrature {
    /// The `steps` points α and their weights (summing to 1).
    pub fn rule(self, steps: usize) -> Result<(Vec<f64>, Vec<f64>)> {
        if steps == 0 {
            return Err(Error::invalid("n_steps", "is 0, expected at least 1"));
        }
        let gauss = matches!(self, Self::GaussLegendre | Self::GaussLegendreCaptum);
        let limit = if gauss { MAX_GAUSS_LEGENDRE_STEPS } else { MAX_SAMPLES };
        at_most("n_steps", steps, limit)?;
        let n = steps as f64;
        let uniform = |offset: f64| ((0..steps).map(|k| (k as f64 + offset) / n).collect(), vec![1.0 / n; steps]);
        Ok(match self {
            Self::RiemannLeft => uniform(0.0),
            Self::RiemannRight => uniform(1.0),
            Self::RiemannMiddle => uniform(0.5),
            Self::RiemannTrapezoid => trapezoid(steps, 1.0 / (n - 1.0))?,
            Self::RiemannTrapezoidCaptum => trapezoid(steps, 1.0 / n)?,
            Self::GaussLegendre => unit_gauss_legendre(steps),
            Self::GaussLegendreCaptum => {
                let (alphas, weights) = unit_gauss_legendre(steps);
                let float32 = |v: Vec<f64>| v.into_iter().map(|x| f64::from(x as f32)).collect();
                (float32(alphas), float32(weights))
            }
        })
    }
}

/// Gauss–Legendre nodes and weights moved to [0, 1].
fn unit_gauss_legendre(steps: usize) -> (Vec<f64>, Vec<f64>) {
    let (nodes, weights) = gauss_legendre(steps);
    (nodes.iter().map(|x| (x + 1.0) / 2.0).collect(), weights.iter().map(|w| w / 2.0).collect())
}

/// The trapezoid points α_k = k/(n−1) with weight `step`, halved at both ends.
fn trapezoid(steps: usize, step: f64) -> Result<(Vec<f64>, Vec<f64>)> {
    if steps < 2 {
        return Err(Error::invalid("n_steps", "is 1, the trapezoid rule needs at least 2"));
    }
    let alphas = (0..steps).map(|k| k as f64 / (steps - 1) as f64).collect();
    let mut weights = vec![step; steps];
    weights[0] = step / 2.0;
    weights[steps - 1] = step / 2.0;
    Ok((alphas, weights))
}

/// Gauss–Legendre nodes (ascending) and weights on [−1, 1], by Newton's method on the
/// Legendre polynomial P_n from the Chebyshev-like initial guesses.
fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut nodes = vec![0.0; n];
    let mut weights = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut x = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut derivative = 0.0;
        for _ in 0..100 {
            let (p, dp) = legendre(n, x);
            derivative = dp;
            let step = p / dp;
            x -= step;
            if step.abs() < 1e-16 {
                break;
            }
        }
        let (_, dp) = legendre(n, x);
        derivative = if dp != 0.0 { dp } else { derivative };
        let w = 2.0 / ((1.0 - x * x) * derivative * derivative);
        nodes[i] = -x;
        nodes[n - 1 - i] = x;
        weights[i] = w;
        weights[n - 1 - i] = w;
    }
    (nodes, weights)
}

/// P_n(x) and P_n'(x) by the three-term recurrence.
fn legendre(n: usize, x: f64) -> (f64, f64) {
    let (mut p0, mut p1) = (1.0, x);
    if n == 0 {
        return (1.0, 0.0);
    }
    for k in 2..=n {
        let k = k as f64;
        let p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
    }
    let dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
    (p1, dp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_matches_published_values() {
        // Abramowitz & Stegun, table 25.4: n = 3 nodes ±√(3/5), 0; weights 5/9, 8/9.
        let (x, w) = gauss_legendre(3);
        let r = (0.6f64).sqrt();
        for (got, want) in x.iter().zip([-r, 0.0, r]).chain(w.iter().zip([5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0])) {
            assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        }
        // n = 5: 0.9061798459386640, 0.5384693101056831; weights 0.2369268850561891,
        // 0.4786286704993665, 0.5688888888888889.
        let (x, w) = gauss_legendre(5);
        let want_x =
            [-0.906_179_845_938_664, -0.538_469_310_105_683_1, 0.0, 0.538_469_310_105_683_1, 0.906_179_845_938_664];
        let want_w = [
            0.236_926_885_056_189_1,
            0.478_628_670_499_366_5,
            0.568_888_888_888_888_9,
            0.478_628_670_499_366_5,
            0.236_926_885_056_189_1,
        ];
        for i in 0..5 {
            assert!((x[i] - want_x[i]).abs() < 1e-14 && (w[i] - want_w[i]).abs() < 1e-14, "node {i}");
        }
        for n in [1, 2, 7, 50, 100] {
            let (_, w) = gauss_legendre(n);
            assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-12, "weights of n = {n} sum to 2");
        }
    }

    #[test]
    fn captums_gauss_legendre_is_the_rule_rounded_to_float32() {
        for n in [1, 2, 5, 50, 300] {
            let (exact_a, exact_w) = Quadrature::GaussLegendre.rule(n).unwrap();
            let (a, w) = Quadrature::GaussLegendreCaptum.rule(n).unwrap();
            for (got, want) in a.iter().zip(&exact_a).chain(w.iter().zip(&exact_w)) {
                assert_eq!(*got, f64::from(*want as f32), "n = {n}");
                assert!((got - want).abs() <= want.abs() * f64::from(f32::EPSILON), "n = {n}");
            }
            assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-6, "n = {n}: the rounded weights still sum to ~1");
        }
        // The rounding is visible: not every float64 node is a float32 value.
        let (exact, _) = Quadrature::GaussLegendre.rule(50).unwrap();
        assert!(exact.iter().any(|&a| f64::from(a as f32) != a));
    }

    #[test]
    fn riemann_rules_match_hand_computed_sums() {
        let (a, w) = Quadrature::RiemannLeft.rule(4).unwrap();
        assert_eq!((a, w), (vec![0.0, 0.25, 0.5, 0.75], vec![0.25; 4]));
        assert_eq!(Quadrature::RiemannRight.rule(2).unwrap().0, vec![0.5, 1.0]);
        assert_eq!(Quadrature::RiemannMiddle.rule(2).unwrap().0, vec![0.25, 0.75]);
        let (a, w) = Quadrature::RiemannTrapezoid.rule(3).unwrap();
        assert_eq!((a, w), (vec![0.0, 0.5, 1.0], vec![0.25, 0.5, 0.25]));
        // ∫₀¹ α² dα = 1/3: exact for Gauss–Legendre with 2 nodes.
        let (a, w) = Quadrature::GaussLegendre.rule(2).unwrap();
        let integral: f64 = a.iter().zip(&w).map(|(a, w)| w * a * a).sum();
        assert!((integral - 1.0 / 3.0).abs() < 1e-15);
        assert!(Quadrature::RiemannTrapezoid.rule(1).is_err());
        assert!(Quadrature::RiemannTrapezoidCaptum.rule(1).is_err());
        // Captum's weights: torch.linspace(0, 1, n) with [0.5/n] + [1/n]·(n−2) + [0.5/n].
        let (a, w) = Quadrature::RiemannTrapezoidCaptum.rule(4).unwrap();
        assert_eq!(a, vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
        assert_eq!(w, vec![0.125, 0.25, 0.25, 0.125]);
        let sum: f64 = Quadrature::RiemannTrapezoidCaptum.rule(50).unwrap().1.iter().sum();
        assert!((sum - 49.0 / 50.0).abs() < 1e-15, "Captum's weights sum to (n−1)/n, got {sum}");
        assert!(Quadrature::GaussLegendre.rule(0).unwrap_err().message().starts_with("n_steps"));
    }
}
