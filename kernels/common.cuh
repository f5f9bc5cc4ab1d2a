// Shared prelude of every Lumen kernel file (prepended by the CUDA backend before NVRTC
// compiles a family). Kernels must be compiled with --fmad=false: the CPU reference
// (src/backend/cpu.rs) rounds every product before adding it, and the kernels follow the
// same operation order so that results agree bit for bit where the summation order agrees.

typedef unsigned short lumen_u16;
typedef unsigned int lumen_u32;
typedef unsigned long long lumen_u64;

// Grid-stride loop over `total` items.
#define LUMEN_FOR_EACH(i, total)                                                                \
    for (lumen_u64 i = (lumen_u64)blockIdx.x * blockDim.x + threadIdx.x; i < (total);          \
         i += (lumen_u64)gridDim.x * blockDim.x)

// Grid-stride loops over the rows of a batch (y) and the elements of one row (x), for
// kernels launched with the row grid (src/backend/cuda/gpu.rs, rows_grid): a row's index
// and an element's come without 64-bit divisions per element.
#define LUMEN_FOR_EACH_ROW(r, rows)                                                             \
    for (lumen_u64 r = (lumen_u64)blockIdx.y * blockDim.y + threadIdx.y; r < (rows);           \
         r += (lumen_u64)gridDim.y * blockDim.y)
#define LUMEN_FOR_EACH_IN_ROW(e, row_len)                                                       \
    for (lumen_u64 e = (lumen_u64)blockIdx.x * blockDim.x + threadIdx.x; e < (row_len);        \
         e += (lumen_u64)gridDim.x * blockDim.x)

// Model input element types: f32, f16 and bf16 (round to nearest even from f32).
__device__ __forceinline__ void lumen_store_f32(float* out, lumen_u64 i, float v) { out[i] = v; }

#ifdef __CUDACC_RTC__
__device__ __forceinline__ void lumen_store_f16(lumen_u16* out, lumen_u64 i, float v) {
    lumen_u16 h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v));
    out[i] = h;
}

__device__ __forceinline__ void lumen_store_bf16(lumen_u16* out, lumen_u64 i, float v) {
    lumen_u16 h;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(v));
    out[i] = h;
}
#else
// Host emulation of the kernels (tests/kernel_emulation.rs): the shim provides the
// conversions that the device does with cvt.rn instructions.
__device__ __forceinline__ void lumen_store_f16(lumen_u16* out, lumen_u64 i, float v) { out[i] = lumen_host_f16(v); }
__device__ __forceinline__ void lumen_store_bf16(lumen_u16* out, lumen_u64 i, float v) { out[i] = lumen_host_bf16(v); }
#endif

// Instantiates one batch-building kernel body for the three input types:
// LUMEN_FOR_EACH_DTYPE(MACRO) expands MACRO(suffix, element type, store function).
#define LUMEN_FOR_EACH_DTYPE(MACRO)                                                             \
    MACRO(f32, float, lumen_store_f32)                                                          \
    MACRO(f16, lumen_u16, lumen_store_f16)                                                      \
    MACRO(bf16, lumen_u16, lumen_store_bf16)

// How perturbed elements read their baseline (src/backend/ablation.rs, Baselines).
#define LUMEN_BASELINE_SCALAR 0u
#define LUMEN_BASELINE_SHARED 1u
#define LUMEN_BASELINE_PER_ROW 2u

__device__ __forceinline__ float lumen_baseline_at(const float* baseline, float scalar, lumen_u32 mode,
                                                   lumen_u64 row, lumen_u64 row_len, lumen_u64 e) {
    if (mode == LUMEN_BASELINE_SCALAR) return scalar;
    if (mode == LUMEN_BASELINE_SHARED) return baseline[e];
    return baseline[row * row_len + e];
}
