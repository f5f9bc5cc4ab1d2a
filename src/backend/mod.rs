//! Compute backends: the primitives every explanation method is built from. The CPU
//! backend ([`cpu`]) defines their semantics; a CUDA backend must match it by test.

pub mod ablation;
pub mod coalition;
pub mod cpu;
#[cfg(feature = "cuda")]
pub mod cuda;
pub mod grad_cam;
pub mod path;
pub mod philox;
mod stream_store;

use std::fmt;
use std::ops::Range;

use crate::element::Element;
use crate::error::Result;

pub use ablation::{AblationJob, AblationScratch, AblationSlots, BaselineRow, Baselines, GroupMap, Masks, WindowGrid};
pub use coalition::CoalitionJob;
pub use cpu::CpuBackend;
pub use grad_cam::{bilinear_taps, BilinearTap};
pub use path::{GradientShapDrawJob, PathJob, PathPoint};

/// Element type of the batches a backend builds for a device model (outputs and
/// gradients are f32; the CPU backend builds f32 only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputDtype {
    /// IEEE binary32.
    #[default]
    F32,
    /// IEEE binary16 (rounded to nearest even from the f32 the engine computes).
    F16,
    /// bfloat16 (rounded to nearest even from f32).
    Bf16,
}

impl InputDtype {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 | Self::Bf16 => 2,
        }
    }
}

/// Which implementation runs the primitives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// rayon on the host: the reference.
    Cpu,
    /// Hand-written kernels on an NVIDIA GPU.
    Cuda,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cpu => "cpu",
            Self::Cuda => "cuda",
        })
    }
}

/// The primitives shared by the backends, on rows of element type `E`. Every method is
/// deterministic: its result does not depend on the thread count or on scheduling. The
/// CPU backend serves every element type and never fails; the CUDA backend serves f32
/// and reports launch, copy and memory failures as errors.
pub trait Backend<E: Element = f32>: Send + Sync + fmt::Debug {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// The CUDA backend itself, for device-resident runs (`None` on every other backend).
    #[cfg(feature = "cuda")]
    fn as_cuda(&self) -> Option<&cuda::CudaBackend> {
        None
    }

    /// Builds items `items` of `job` into the first `items.len()` of `slots`.
    fn build_ablation_batch(
        &self,
        job: &AblationJob<'_, E>,
        items: Range<usize>,
        slots: AblationSlots<'_, E>,
    ) -> Result<()>;

    /// Builds the listed `items` of `job` (in order) into the first `items.len()` of
    /// `slots`: the rows [`Backend::build_ablation_batch`] writes for those items, bit for
    /// bit (a run that skips the perturbations that change nothing).
    fn build_listed_ablation_rows(
        &self,
        job: &AblationJob<'_, E>,
        items: &[u32],
        slots: AblationSlots<'_, E>,
    ) -> Result<()>;

    /// Turns per-perturbation output deltas `f(x) - f(x_p)` into per-element
    /// attributions, for independent blocks (one per explained row and output): `deltas`
    /// holds `blocks × masks.len()` values, and the result `blocks × masks.row_len()`. Each
    /// element gets the mean of the deltas of the windows covering it, summed in
    /// increasing window order (0 where no window covers it), or its group's delta; each
    /// value rounded to `E` (and held in f64, as explanations hold their values). The
    /// backend allocates the result, so that it is written once, not cleared first.
    fn gather_ablation(&self, masks: &Masks, deltas: &[f64]) -> Result<Vec<f64>>;

    /// The host bytes [`Backend::gather_ablation`] holds besides its result and its
    /// deltas, at most, for `blocks` blocks on `threads` threads: counted in a call's
    /// working set before anything is evaluated.
    fn gather_ablation_scratch_bytes(&self, masks: &Masks, blocks: usize, threads: usize) -> usize;

    /// Builds items `items` of `job` into `rows` (`items.len() × row_len`): each row is
    /// its background row with the coalition's players copied from `x`.
    fn build_coalition_batch(&self, job: &CoalitionJob<'_, E>, items: Range<usize>, rows: &mut [E]) -> Result<()>;

    /// Builds the listed `items` of `job` into `rows` (`items.len() × row_len`), in order:
    /// the rows [`Backend::build_coalition_batch`] writes for those items, bit for bit
    /// (a run that evaluates only a coalition's distinct rows).
    fn build_listed_coalition_rows(&self, job: &CoalitionJob<'_, E>, items: &[u32], rows: &mut [E]) -> Result<()>;

    /// The weighted mean over background rows of each coalition's outputs: `outputs` holds
    /// `coalitions × background_rows × output_len` model outputs, `weights` one weight per
    /// background row (summing to 1); `values` receives `coalitions × targets.len()`
    /// means, each summed in background-row order.
    fn reduce_background(
        &self,
        outputs: &[E],
        output_len: usize,
        weights: &[f64],
        targets: &[u32],
        values: &mut [f64],
    ) -> Result<()>;

    /// Writes points `points` of `job` (a range of its point list) into `rows`.
    fn build_path_batch(&self, job: &PathJob<'_, E>, points: Range<usize>, rows: &mut [E]) -> Result<()>;

    /// Adds each point's weighted gradient to its accumulator row: for point `i` of
    /// `points`, `accumulator[target] += weight · gradients[i - points.start]` (times
    /// `input − baseline` with `times_difference`), in point order (deterministic).
    fn accumulate_path_gradients(
        &self,
        job: &PathJob<'_, E>,
        points: Range<usize>,
        gradients: &[E],
        accumulator: &mut [f64],
    ) -> Result<()>;

    /// Multiplies accumulator rows (of `row_len`) by `input − baseline` elementwise:
    /// accumulator row `r · per_input + k` by input row `r` minus baseline row `r`.
    fn scale_by_difference(
        &self,
        inputs: &[E],
        baselines: &[E],
        row_len: usize,
        per_input: usize,
        accumulator: &mut [f64],
    ) -> Result<()>;

    /// GradientSHAP's draws for samples `samples` of `job` (see [`GradientShapDrawJob`]):
    /// `baseline_index` and `alpha` receive one value per sample, `noisy_inputs` one row
    /// per sample. Bit-identical on every backend (counter-based RNG).
    fn draw_gradient_shap(
        &self,
        job: &GradientShapDrawJob<'_, E>,
        samples: Range<usize>,
        baseline_index: &mut [u32],
        alpha: &mut [E],
        noisy_inputs: &mut [E],
    ) -> Result<()>;

    /// Grad-CAM's map for each of `maps.len() / (h · w)` rows, with `layer = [C, h, w]`:
    /// `activations` and `gradients` hold `rows × C × h × w` values (finite), and row `r`'s
    /// map is `Σ_c w_c · A_c` with `w_c` the mean over the h × w positions of channel
    /// `c`'s gradients, summed in f64 in channel order; with `relu`, negative values
    /// become 0. `maps` receives `rows × h × w` values.
    fn grad_cam_map(
        &self,
        layer: [usize; 3],
        activations: &[E],
        gradients: &[E],
        relu: bool,
        maps: &mut [E],
    ) -> Result<()>;

    /// Resamples each `from = [h, w]` map of `maps` to `to = [H, W]` (PyTorch's
    /// `F.interpolate(mode="bilinear", align_corners=False)`, taps from
    /// [`bilinear_taps`]): `resampled` receives `maps.len() / (h · w)` maps of `H × W`.
    fn upsample_bilinear(&self, maps: &[E], from: [usize; 2], to: [usize; 2], resampled: &mut [E]) -> Result<()>;
}
