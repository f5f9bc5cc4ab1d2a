//! The kernels' argument structs, laid out exactly as `kernels/*.cu` declares them, and
//! their conversion from the host-side primitive descriptions.

use cudarc::driver::DeviceRepr;

use crate::backend::{BilinearTap, PathPoint, WindowGrid};
use crate::error::{Error, Result};

/// `WindowGeometry` of `kernels/ablation.cu`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowGeometry {
    rank: u32,
    shape: [u32; 8],
    window: [u32; 8],
    strides: [u32; 8],
    positions: [u32; 8],
}

// SAFETY: plain `repr(C)` data of u32s, identical to the CUDA struct.
unsafe impl DeviceRepr for WindowGeometry {}

/// A size as the kernels' 32-bit fields hold it.
pub fn to_u32(value: usize, what: &str) -> Result<u32> {
    u32::try_from(value)
        .map_err(|_| Error::invalid(what, format!("{value} is above the CUDA backend's limit of 2^32 - 1")))
}

impl WindowGeometry {
    /// The geometry of `grid` (rank at most 8, as [`WindowGrid`] guarantees).
    pub fn new(grid: &WindowGrid) -> Result<Self> {
        let mut geometry = Self { rank: to_u32(grid.shape().len(), "input rank")?, ..Self::default() };
        for d in 0..grid.shape().len() {
            geometry.shape[d] = to_u32(grid.shape()[d], "input_shape")?;
            geometry.window[d] = to_u32(grid.window()[d], "window_shape")?;
            geometry.strides[d] = to_u32(grid.strides()[d], "strides")?;
            geometry.positions[d] = to_u32(grid.positions()[d], "window positions")?;
        }
        Ok(geometry)
    }
}

/// `PathPointDevice` of `kernels/path.cu`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PathPointDevice {
    input: u32,
    baseline: u32,
    alpha: f32,
    target: u32,
    weight: f64,
}

// SAFETY: plain `repr(C)` data (24 bytes, no padding), identical to the CUDA struct.
unsafe impl DeviceRepr for PathPointDevice {}

impl PathPointDevice {
    /// The device form of `point`.
    pub fn new(point: &PathPoint) -> Result<Self> {
        Ok(Self {
            input: to_u32(point.input, "path input row")?,
            baseline: to_u32(point.baseline, "path baseline row")?,
            alpha: point.alpha,
            target: to_u32(point.target, "path accumulator row")?,
            weight: point.weight,
        })
    }
}

/// `BilinearTapDevice` of `kernels/grad_cam.cu`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct BilinearTapDevice {
    lo: u32,
    hi: u32,
    lo_weight: f64,
    hi_weight: f64,
}

// SAFETY: plain `repr(C)` data (24 bytes, no padding), identical to the CUDA struct.
unsafe impl DeviceRepr for BilinearTapDevice {}

impl BilinearTapDevice {
    /// The device form of `tap`.
    pub fn new(tap: &BilinearTap) -> Result<Self> {
        Ok(Self {
            lo: to_u32(tap.lo, "map size")?,
            hi: to_u32(tap.hi, "map size")?,
            lo_weight: tap.lo_weight,
            hi_weight: tap.hi_weight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_have_the_cuda_sizes() {
        assert_eq!(std::mem::size_of::<WindowGeometry>(), 4 + 4 * 32);
        assert_eq!(std::mem::size_of::<PathPointDevice>(), 24);
        assert_eq!(std::mem::size_of::<BilinearTapDevice>(), 24);
    }
}
