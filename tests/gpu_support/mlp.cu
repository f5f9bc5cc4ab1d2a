// A small MLP that lives on the GPU, for the device-resident end-to-end checks and
// benches: h = softsign(W1 x + b1) (H hidden units), f = W2 h + b2 (K outputs). Every dot
// product is summed in a fixed order that the host twin in mod.rs reproduces exactly
// (256 strided partial sums, then a tree), and softsign s / (1 + |s|) uses only correctly
// rounded operations, so the CPU twin gives the same bits (compile with --fmad=false).

#define MLP_THREADS 256

typedef unsigned long long u64;

// hidden[r * H + j] = softsign(b1[j] + dot(W1[j], x_r)); one block per (r, j).
extern "C" __global__ void __launch_bounds__(MLP_THREADS)
    mlp_hidden(const float* x, u64 n, const float* w1, const float* b1, u64 hidden_units, float* hidden) {
    __shared__ float partial[MLP_THREADS];
    u64 r = blockIdx.x / hidden_units, j = blockIdx.x % hidden_units;
    const float* row = x + r * n;
    const float* w = w1 + j * n;
    float sum = 0.0f;
    for (u64 e = threadIdx.x; e < n; e += MLP_THREADS) sum += w[e] * row[e];
    partial[threadIdx.x] = sum;
    __syncthreads();
    for (unsigned int half = MLP_THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        float s = b1[j] + partial[0];
        hidden[blockIdx.x] = s / (1.0f + fabsf(s));
    }
}

// out[r * K + k] = b2[k] + sum_j W2[k][j] * hidden[r][j] (j in order).
extern "C" __global__ void mlp_output(const float* hidden, u64 rows, u64 hidden_units, const float* w2,
                                      const float* b2, u64 outputs, float* out) {
    u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= rows * outputs) return;
    u64 r = i / outputs, k = i % outputs;
    float sum = b2[k];
    for (u64 j = 0; j < hidden_units; ++j) sum += w2[k * hidden_units + j] * hidden[r * hidden_units + j];
    out[i] = sum;
}

// gradients[r * n + e] = sum_j W1[j][e] * (W2[t_r][j] * d_j), d_j = 1 / (1 + |s_j|)^2 from
// the pre-activation recovered as s = h / (1 - |h|) (j in order).
extern "C" __global__ void mlp_gradient(const float* hidden, u64 rows, u64 n, const float* w1, const float* w2,
                                        u64 hidden_units, const unsigned int* targets, float* gradients) {
    u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= rows * n) return;
    u64 r = i / n, e = i % n;
    unsigned int t = targets[r];
    float sum = 0.0f;
    for (u64 j = 0; j < hidden_units; ++j) {
        float h = hidden[r * hidden_units + j];
        float d = (1.0f - fabsf(h)) * (1.0f - fabsf(h));
        sum += w1[j * n + e] * (w2[t * hidden_units + j] * d);
    }
    gradients[i] = sum;
}
