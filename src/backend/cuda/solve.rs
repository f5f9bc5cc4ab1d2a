//! KernelSHAP's constrained weighted least squares on the device (`kernels/solve.cu`):
//! deterministic normal equations after eliminating the last player, then a Cholesky
//! solve in one block. The CPU reference (`explain::shapley::solve`, pivoted QR) stays the
//! engine's solver; this is the device primitive for callers that keep values on the GPU.

use cudarc::driver::PushKernelArg;

use super::gpu::{download, grid, launched, upload, zeros};
use super::CudaBackend;
use crate::error::{Error, ErrorKind, Result};
use crate::explain::shapley::schedule::Coalitions;

/// KernelSHAP's weighted least squares: coalitions `z_k` (packed `words` u64 each over
/// `players` players, at least 2), weights `w_k`, values `y_k`, and the constraint
/// `Σ φ = total − base`.
#[derive(Debug, Clone, Copy)]
pub struct WlsProblem<'a> {
    /// Packed coalitions.
    pub coalitions: &'a [u64],
    /// `u64` words per coalition (`⌈players / 64⌉`).
    pub words: usize,
    /// Number of players.
    pub players: usize,
    /// One weight per coalition.
    pub weights: &'a [f64],
    /// One value per coalition.
    pub values: &'a [f64],
    /// The empty coalition's value.
    pub base: f64,
    /// The full coalition's value.
    pub total: f64,
}

impl<'a> WlsProblem<'a> {
    /// The problem over `coalitions` (their packing, words and players as they hold them),
    /// with one weight and one value per coalition.
    pub fn new(coalitions: &'a Coalitions, weights: &'a [f64], values: &'a [f64], base: f64, total: f64) -> Self {
        Self {
            coalitions: coalitions.packed(),
            words: coalitions.words(),
            players: coalitions.players(),
            weights,
            values,
            base,
            total,
        }
    }
}

impl CudaBackend {
    /// φ minimising `Σ_k w_k (y_k − base − z_k·φ)²` subject to `Σ φ = total − base`.
    /// Fails on a rank-deficient design.
    pub fn constrained_wls(&self, problem: &WlsProblem<'_>) -> Result<Vec<f64>> {
        let WlsProblem { coalitions, words, players, weights, values, base, total } = *problem;
        let count = weights.len();
        if players < 2 || words != players.div_ceil(64) || coalitions.len() != count * words || values.len() != count {
            return Err(Error::invalid(
                "coalitions",
                format!(
                    "{players} players, {words} words, {} packed words, {count} weights and {} values do not agree",
                    coalitions.len(),
                    values.len()
                ),
            ));
        }
        let stream = self.device.stream();
        let delta = total - base;
        let coalitions_device = upload(stream, coalitions)?;
        let weights_device = upload(stream, weights)?;
        let values_device = upload(stream, values)?;
        let mut gram = zeros::<f64>(stream, (players - 1) * players)?;
        let (words, players_u, count_u) = (words as u64, players as u64, count as u64);
        let function = self.device.function("wls_normal_equations")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&coalitions_device).arg(&words).arg(&players_u).arg(&count_u).arg(&weights_device);
        launch.arg(&values_device).arg(&base).arg(&delta).arg(&mut gram);
        // SAFETY: matches wls_normal_equations in kernels/solve.cu; `gram` holds
        // (players − 1) × players values and every coalition `words` words.
        launched("wls_normal_equations", unsafe { launch.launch(grid(((players - 1) * players) as u64)) })?;
        let mut phi = zeros::<f64>(stream, players)?;
        let mut status = zeros::<i32>(stream, 1)?;
        let function = self.device.function("wls_cholesky_solve")?;
        let mut launch = stream.launch_builder(&function);
        launch.arg(&mut gram).arg(&players_u).arg(&delta).arg(&mut phi).arg(&mut status);
        let one = cudarc::driver::LaunchConfig { grid_dim: (1, 1, 1), block_dim: (1, 1, 1), shared_mem_bytes: 0 };
        // SAFETY: matches wls_cholesky_solve in kernels/solve.cu (one thread); buffers as above.
        launched("wls_cholesky_solve", unsafe { launch.launch(one) })?;
        let mut code = [0i32];
        download(stream, &status, &mut code)?;
        if code[0] != 0 {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "coalitions: the design is rank-deficient (pivot {} of the device Cholesky is not positive)",
                    code[0] - 1
                ),
            ));
        }
        let mut out = vec![0.0; players];
        download(stream, &phi, &mut out)?;
        Ok(out)
    }
}
