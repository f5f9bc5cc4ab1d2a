// Buffers handed to and from device models: f32 rows converted to the model's input type,
// and the finiteness of model outputs and gradients.

#define LUMEN_CONVERT(SUFFIX, T, STORE)                                                         \
    extern "C" __global__ void convert_f32_to_##SUFFIX(const float* values, lumen_u64 count, T* out) { \
        LUMEN_FOR_EACH(i, count) { STORE(out, i, values[i]); }                                  \
    }
LUMEN_CONVERT(f16, lumen_u16, lumen_store_f16)
LUMEN_CONVERT(bf16, lumen_u16, lumen_store_bf16)

// Finiteness of model outputs and gradients on the device. Each block writes the smallest
// index of a NaN or infinity it saw (or `count` when none) into block_first[blockIdx.x];
// the host takes the minimum over the blocks. A shared-memory tree inside the block, no
// atomics: the answer does not depend on scheduling.

#define LUMEN_CHECK_THREADS 256

extern "C" __global__ void __launch_bounds__(LUMEN_CHECK_THREADS)
    first_non_finite(const float* values, lumen_u64 count, lumen_u64* block_first) {
    __shared__ lumen_u64 first[LUMEN_CHECK_THREADS];
    lumen_u64 mine = count;
    LUMEN_FOR_EACH(i, count) {
        if (!isfinite(values[i]) && i < mine) mine = i;
    }
    first[threadIdx.x] = mine;
    __syncthreads();
    for (unsigned int half = blockDim.x / 2; half > 0; half /= 2) {
        if (threadIdx.x < half && first[threadIdx.x + half] < first[threadIdx.x])
            first[threadIdx.x] = first[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) block_first[blockIdx.x] = first[0];
}
