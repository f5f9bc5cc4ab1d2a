//! [`LANES`] small symmetric systems factored and solved at once, one system per vector
//! lane, for the jackknife's leave-one-group-out fits.
//!
//! A leave-one-out system is `(M − 1) × (M − 1)`: at 16 players its Cholesky factor is
//! about 560 multiply-adds in dot products of at most 14 terms, too short to fill a vector
//! register, so one system at a time waits on latencies and loop overhead. Here entry
//! `(i, j)` of [`LANES`] systems is one `[f64; LANES]`, and every step of the factor and
//! of the substitutions runs across the systems side by side. Each lane goes through
//! exactly the operations of [`cholesky_relative_to`](super::jackknife::cholesky_relative_to),
//! [`forward_substitute`](super::jackknife::forward_substitute) and
//! [`backward_substitute`](super::jackknife::backward_substitute), in their order (the
//! sums in [`dot`](super::solve::dot)'s order), so the results are the same bits as
//! solving each system alone.

use super::jackknife::{stopped, SINGULAR_TOLERANCE};
use super::solve::DOT_LANES;
use crate::wide::avx2_dispatch;

/// Systems solved side by side: one AVX2 register of `f64`.
pub(super) const LANES: usize = 4;

/// One entry of [`LANES`] systems.
pub(super) type Lanes = [f64; LANES];

avx2_dispatch! {
    /// Factors the upper triangles of [`LANES`] symmetric `n × n` systems (`a`, row-major,
    /// entry by entry across the systems) in place into their lower triangles, as
    /// [`cholesky_relative_to`](super::jackknife::cholesky_relative_to) does each one
    /// with its own `scale`; `false` when any system's pivot falls to
    /// [`SINGULAR_TOLERANCE`] times its scale, or the call was stopped.
    pub(super) fn factor_lanes(a: &mut [Lanes], n: usize, scale: &Lanes) -> bool => factor;
}

#[inline(always)]
fn factor(a: &mut [Lanes], n: usize, scale: &Lanes) -> bool {
    if scale.iter().any(|&s| s <= 0.0 || !s.is_finite()) {
        return false;
    }
    for i in 0..n {
        for j in 0..i {
            a[i * n + j] = a[j * n + i];
        }
    }
    let mut pivot_row = vec![[0.0; LANES]; n];
    for j in 0..n {
        if j % 8 == 7 && stopped() {
            return false;
        }
        pivot_row[..j].copy_from_slice(&a[j * n..j * n + j]);
        let pivot = &pivot_row[..j];
        let squares = lane_dot(pivot, pivot);
        let mut d = [0.0; LANES];
        for lane in 0..LANES {
            d[lane] = a[j * n + j][lane] - squares[lane];
            if d[lane] <= SINGULAR_TOLERANCE * scale[lane] {
                return false;
            }
            d[lane] = d[lane].sqrt();
        }
        a[j * n + j] = d;
        for i in j + 1..n {
            let row = &mut a[i * n..i * n + j + 1];
            let products = lane_dot(&row[..j], pivot);
            for lane in 0..LANES {
                row[j][lane] = (row[j][lane] - products[lane]) / d[lane];
            }
        }
    }
    true
}

avx2_dispatch! {
    /// Replaces `b` (`n` entries across [`LANES`] systems) by `(L Lᵀ)⁻¹ b` for the factors
    /// `l` of [`factor_lanes`], as [`cholesky_solve`](super::jackknife::cholesky_solve)
    /// does for each system.
    pub(super) fn solve_lanes(l: &[Lanes], n: usize, b: &mut [Lanes]) => solve;
}

#[inline(always)]
fn solve(l: &[Lanes], n: usize, b: &mut [Lanes]) {
    for i in 0..n {
        let sums = lane_dot(&l[i * n..i * n + i], &b[..i]);
        let pivot = l[i * n + i];
        for lane in 0..LANES {
            b[i][lane] = (b[i][lane] - sums[lane]) / pivot[lane];
        }
    }
    for i in (0..n).rev() {
        let pivot = l[i * n + i];
        b[i].iter_mut().zip(pivot).for_each(|(v, p)| *v /= p);
        let (above, rest) = b.split_at_mut(i);
        let known = rest[0];
        for (v, lik) in above.iter_mut().zip(&l[i * n..i * n + i]) {
            for lane in 0..LANES {
                v[lane] -= lik[lane] * known[lane];
            }
        }
    }
}

/// Up to [`LANES`] symmetric systems (`systems`, each `r × r` row-major, its upper
/// triangle read) side by side, each padded to `size` unknowns with the identity, and lanes
/// past the last system the identity: ready for [`factor_lanes`]. Padding leaves a
/// system's factor and solution the same bits: none of its own rows reads a padded column,
/// and the backward pass subtracts exact zeros.
pub(super) fn padded_systems(systems: &[(&[f64], usize)], size: usize) -> Vec<Lanes> {
    let mut lanes = vec![[0.0; LANES]; size * size];
    (0..size).for_each(|t| lanes[t * size + t] = [1.0; LANES]);
    for (lane, &(system, r)) in systems.iter().enumerate() {
        for t in 0..r {
            for s in t..r {
                lanes[t * size + s][lane] = system[t * r + s];
            }
        }
    }
    lanes
}

/// Up to [`LANES`] right sides side by side, each padded with zeros to `size` entries (see
/// [`padded_systems`]): ready for [`solve_lanes`].
pub(super) fn padded_right_sides(sides: &[&[f64]], size: usize) -> Vec<Lanes> {
    let mut lanes = vec![[0.0; LANES]; size];
    for (lane, side) in sides.iter().enumerate() {
        side.iter().zip(&mut lanes).for_each(|(&value, entry)| entry[lane] = value);
    }
    lanes
}

/// [`dot`](super::solve::dot) in every lane: below [`DOT_LANES`] terms one running sum
/// (then `0 + sum`); else [`DOT_LANES`] interleaved partial sums and a running tail, added
/// as [`sum_lanes`](super::solve::sum_lanes) adds them.
#[inline(always)]
fn lane_dot(a: &[Lanes], b: &[Lanes]) -> Lanes {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let whole = len - len % DOT_LANES;
    let mut tail = [0.0; LANES];
    for (x, y) in a[whole..].iter().zip(&b[whole..]) {
        for lane in 0..LANES {
            tail[lane] += x[lane] * y[lane];
        }
    }
    if whole == 0 {
        return tail.map(|t| 0.0 + t);
    }
    let mut partial = [[0.0; LANES]; DOT_LANES];
    for (x, y) in a[..whole].chunks_exact(DOT_LANES).zip(b[..whole].chunks_exact(DOT_LANES)) {
        for ((sums, x), y) in partial.iter_mut().zip(x).zip(y) {
            for lane in 0..LANES {
                sums[lane] += x[lane] * y[lane];
            }
        }
    }
    std::array::from_fn(|lane| {
        let p = |k: usize| partial[k][lane];
        let halves = [p(0) + p(4), p(1) + p(5), p(2) + p(6), p(3) + p(7)];
        (halves[0] + halves[2]) + (halves[1] + halves[3]) + tail[lane]
    })
}

#[cfg(test)]
mod tests {
    use super::super::jackknife::{cholesky_relative_to, cholesky_solve};
    use super::super::solve::dot;
    use super::*;
    use rand::{Rng, RngExt, SeedableRng};

    /// A random symmetric positive definite `n × n` matrix (row-major): `B Bᵀ + n I`.
    fn spd(n: usize, rng: &mut impl Rng) -> Vec<f64> {
        let b: Vec<f64> = (0..n * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] =
                    (0..n).map(|k| b[i * n + k] * b[j * n + k]).sum::<f64>() + if i == j { n as f64 } else { 0.0 };
            }
        }
        a
    }

    /// Entry `e` of every lane's matrix, side by side.
    fn interleave(matrices: &[Vec<f64>]) -> Vec<Lanes> {
        (0..matrices[0].len()).map(|e| std::array::from_fn(|lane| matrices[lane][e])).collect()
    }

    #[test]
    fn lane_dot_is_dot_bit_for_bit_in_every_lane() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for len in 0..40 {
            let columns: Vec<Vec<f64>> = (0..2 * LANES)
                .map(|_| {
                    (0..len).map(|_| if rng.random_bool(0.1) { -0.0 } else { rng.random_range(-1e3..1e3) }).collect()
                })
                .collect();
            let (a, b) = (interleave(&columns[..LANES]), interleave(&columns[LANES..]));
            let sums = lane_dot(&a, &b);
            for lane in 0..LANES {
                let alone = dot(&columns[lane], &columns[LANES + lane]);
                assert_eq!(sums[lane].to_bits(), alone.to_bits(), "length {len}, lane {lane}");
            }
        }
    }

    #[test]
    fn lanes_factor_and_solve_as_each_system_alone_bit_for_bit() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for n in 1..=24 {
            let matrices: Vec<Vec<f64>> = (0..LANES).map(|_| spd(n, &mut rng)).collect();
            let scale: Lanes =
                std::array::from_fn(|lane| (0..n).map(|i| matrices[lane][i * n + i]).fold(0.0, f64::max));
            let rhs: Vec<Vec<f64>> =
                (0..LANES).map(|_| (0..n).map(|_| rng.random_range(-5.0..5.0)).collect()).collect();
            let mut factors = interleave(&matrices);
            assert!(factor_lanes(&mut factors, n, &scale), "n = {n}");
            let mut solutions = interleave(&rhs);
            solve_lanes(&factors, n, &mut solutions);
            for lane in 0..LANES {
                let alone = cholesky_relative_to(matrices[lane].clone(), n, scale[lane]).expect("positive definite");
                let factor: Vec<f64> = factors.iter().map(|e| e[lane]).collect();
                // The strict upper triangle is scratch in both; the lower one is the factor.
                for i in 0..n {
                    for j in 0..=i {
                        assert_eq!(factor[i * n + j].to_bits(), alone[i * n + j].to_bits(), "n = {n}, ({i}, {j})");
                    }
                }
                let solution = cholesky_solve(&alone, n, rhs[lane].clone());
                let lanes: Vec<u64> = solutions.iter().map(|e| e[lane].to_bits()).collect();
                assert_eq!(lanes, solution.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "n = {n}");
            }
        }
    }

    #[test]
    fn a_system_padded_with_the_identity_keeps_its_bits() {
        // Systems of 1 to 12 unknowns side by side, each padded to 12 with the identity
        // (and 0 on the right) by the helpers the interaction fit's removals pad their
        // groups with.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let size = 12;
        for sizes in [[12, 9, 11, 1], [3, 12, 7, 12]] {
            let systems: Vec<Vec<f64>> = sizes.iter().map(|&r| spd(r, &mut rng)).collect();
            let rhs: Vec<Vec<f64>> =
                sizes.iter().map(|&r| (0..r).map(|_| rng.random_range(-5.0..5.0)).collect()).collect();
            let padded: Vec<(&[f64], usize)> = systems.iter().map(Vec::as_slice).zip(sizes).collect();
            let mut lanes = padded_systems(&padded, size);
            let mut right = padded_right_sides(&rhs.iter().map(Vec::as_slice).collect::<Vec<_>>(), size);
            assert!(factor_lanes(&mut lanes, size, &[1.0; LANES]));
            solve_lanes(&lanes, size, &mut right);
            for (lane, (system, &r)) in systems.iter().zip(&sizes).enumerate() {
                let alone = cholesky_relative_to(system.clone(), r, 1.0).expect("positive definite");
                let solution = cholesky_solve(&alone, r, rhs[lane].clone());
                for t in 0..r {
                    for s in 0..=t {
                        assert_eq!(lanes[t * size + s][lane].to_bits(), alone[t * r + s].to_bits(), "{sizes:?}");
                    }
                    assert_eq!(right[t][lane].to_bits(), solution[t].to_bits(), "{sizes:?}");
                }
            }
        }
    }

    #[test]
    fn vector_width_does_not_change_the_bits() {
        // Whatever the dispatched loops run on this CPU (AVX2 or not), the plain loops give
        // the same bits.
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let n = 19;
        let matrices: Vec<Vec<f64>> = (0..LANES).map(|_| spd(n, &mut rng)).collect();
        let scale = [n as f64; LANES];
        let (mut dispatched, mut portable) = (interleave(&matrices), interleave(&matrices));
        assert!(factor_lanes(&mut dispatched, n, &scale) && factor(&mut portable, n, &scale));
        let rhs: Vec<Lanes> = (0..n).map(|_| std::array::from_fn(|_| rng.random_range(-5.0..5.0))).collect();
        let (mut solved, mut solved_portably) = (rhs.clone(), rhs);
        solve_lanes(&dispatched, n, &mut solved);
        solve(&portable, n, &mut solved_portably);
        let bits = |v: &[Lanes]| -> Vec<u64> { v.iter().flatten().map(|x| x.to_bits()).collect() };
        assert_eq!(bits(&dispatched), bits(&portable));
        assert_eq!(bits(&solved), bits(&solved_portably));
    }

    #[test]
    fn a_singular_system_in_any_lane_fails_the_factor() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let n = 6;
        for singular in 0..LANES {
            let mut matrices: Vec<Vec<f64>> = (0..LANES).map(|_| spd(n, &mut rng)).collect();
            // Row and column 2 the same as row and column 1: rank n − 1.
            let m = &mut matrices[singular];
            for k in 0..n {
                m[2 * n + k] = m[n + k];
            }
            for k in 0..n {
                m[k * n + 2] = m[k * n + 1];
            }
            let scale: Lanes =
                std::array::from_fn(|lane| (0..n).map(|i| matrices[lane][i * n + i]).fold(0.0, f64::max));
            assert!(!factor_lanes(&mut interleave(&matrices), n, &scale), "lane {singular}");
        }
        let matrices: Vec<Vec<f64>> = (0..LANES).map(|_| spd(n, &mut rng)).collect();
        let mut scale = [1.0; LANES];
        scale[LANES - 1] = f64::NAN;
        assert!(!factor_lanes(&mut interleave(&matrices), n, &scale), "a scale that is not a number");
    }
}
