//! Small helpers every launch uses: copies to and from the device with their errors, and
//! the launch shape of the grid-stride kernels.

use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream, DeviceRepr, LaunchConfig, ValidAsZeroBits};

use super::device::driver_error;
use crate::error::Result;

/// Threads per block of the grid-stride kernels.
const THREADS: u32 = 256;
/// Most blocks of one launch; grid-stride loops cover the rest.
const MAX_BLOCKS: u64 = 1 << 16;

/// The launch shape for `total` independent items (at least one block).
pub fn grid(total: u64) -> LaunchConfig {
    let blocks = total.div_ceil(u64::from(THREADS)).clamp(1, MAX_BLOCKS) as u32;
    LaunchConfig { grid_dim: (blocks, 1, 1), block_dim: (THREADS, 1, 1), shared_mem_bytes: 0 }
}

/// Most blocks along the row grid's y dimension (CUDA's limit).
const MAX_BLOCKS_Y: u64 = 65_535;

/// Blocks a row-grid launch aims for: every SM of the largest devices busy several times
/// over. More blocks along a row would only repeat the per-row setup (a window's box, a
/// coalition's word) that each thread does before its elements.
const ROW_GRID_BLOCKS: u64 = 8192;

/// The launch shape for kernels that loop with `LUMEN_FOR_EACH_ROW` and
/// `LUMEN_FOR_EACH_IN_ROW` (`kernels/common.cuh`) over `rows` rows of `row_len` elements:
/// a block spans a row's elements along x (the row rounded up to a power of two, from a
/// warp to a whole block) and as many rows along y as fill the block, so that short rows
/// still fill warps; long rows of many-row batches are split into only as many blocks as
/// bring the grid to about [`ROW_GRID_BLOCKS`], so each thread covers several elements.
pub fn rows_grid(rows: u64, row_len: u64) -> LaunchConfig {
    let along_row = row_len.next_power_of_two().clamp(32, u64::from(THREADS)) as u32;
    let rows_per_block = THREADS / along_row;
    let blocks_y = rows.div_ceil(u64::from(rows_per_block)).clamp(1, MAX_BLOCKS_Y);
    let blocks_x = row_len.div_ceil(u64::from(along_row)).min(ROW_GRID_BLOCKS.div_ceil(blocks_y)).clamp(1, MAX_BLOCKS);
    let (blocks_x, blocks_y) = (blocks_x as u32, blocks_y as u32);
    LaunchConfig { grid_dim: (blocks_x, blocks_y, 1), block_dim: (along_row, rows_per_block, 1), shared_mem_bytes: 0 }
}

/// Most blocks of a reduction whose blocks each leave one value for the host: a grid-stride
/// loop covers the rest, and the host reads at most this many values.
pub(super) const MAX_REDUCTION_BLOCKS: u64 = 1024;

/// A device copy of `data` (one zero element when `data` is empty, so that every kernel
/// argument is a valid pointer).
pub fn upload<T: DeviceRepr + ValidAsZeroBits>(stream: &Arc<CudaStream>, data: &[T]) -> Result<CudaSlice<T>> {
    if data.is_empty() {
        return zeros(stream, 1);
    }
    stream.clone_htod(data).map_err(|e| driver_error("copying to the device", e))
}

/// A device copy of `data`, which must not be empty (structs without a zero pattern).
pub fn upload_structs<T: DeviceRepr>(stream: &Arc<CudaStream>, data: &[T]) -> Result<CudaSlice<T>> {
    debug_assert!(!data.is_empty());
    stream.clone_htod(data).map_err(|e| driver_error("copying to the device", e))
}

/// `len` zeroed device elements (at least one).
pub fn zeros<T: DeviceRepr + ValidAsZeroBits>(stream: &Arc<CudaStream>, len: usize) -> Result<CudaSlice<T>> {
    stream.alloc_zeros(len.max(1)).map_err(|e| driver_error("allocating device memory", e))
}

/// Copies the first `out.len()` elements of `src` into `out` and waits for the copy.
pub fn download<T: DeviceRepr>(stream: &Arc<CudaStream>, src: &CudaSlice<T>, out: &mut [T]) -> Result<()> {
    if out.is_empty() {
        return Ok(());
    }
    stream.memcpy_dtoh(&src.slice(..out.len()), out).map_err(|e| driver_error("copying from the device", e))?;
    stream.synchronize().map_err(|e| driver_error("waiting for the device", e))
}

/// Maps a launch failure of `kernel` to an engine error.
pub fn launched<T>(kernel: &str, result: std::result::Result<T, cudarc::driver::DriverError>) -> Result<()> {
    result.map(|_| ()).map_err(|e| driver_error(&format!("launching {kernel}"), e))
}
