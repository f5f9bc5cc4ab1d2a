// Integrated Gradients and GradientSHAP: points baseline + alpha * (input - baseline) on
// straight paths, the weighted sum of the model's gradients at those points, and
// GradientSHAP's random draws from Philox4x32-10 keyed by the seed (the CPU twin is
// src/backend/philox.rs). Semantics: src/backend/cpu.rs (build_path_batch,
// accumulate_path_gradients, scale_by_difference).

// src/backend/path.rs PathPoint, as the device sees it (24 bytes).
struct PathPointDevice {
    lumen_u32 input;
    lumen_u32 baseline;
    float alpha;
    lumen_u32 target;
    double weight;
};

// Row s of the batch: point points[s] (s < count), in f32 arithmetic as on the CPU.
#define LUMEN_PATH_BUILD(SUFFIX, T, STORE)                                                      \
    extern "C" __global__ void path_build_##SUFFIX(const float* inputs, const float* baselines, \
                                                  const PathPointDevice* points, lumen_u64 count, \
                                                  lumen_u64 row_len, T* out) {                 \
        LUMEN_FOR_EACH_ROW(s, count) {                                                          \
            PathPointDevice point = points[s];                                                  \
            const float* input = inputs + (lumen_u64)point.input * row_len;                     \
            const float* baseline = baselines + (lumen_u64)point.baseline * row_len;            \
            LUMEN_FOR_EACH_IN_ROW(e, row_len) {                                                 \
                float x = input[e], b = baseline[e];                                            \
                STORE(out, s * row_len + e, b + point.alpha * (x - b));                         \
            }                                                                                   \
        }                                                                                       \
    }
LUMEN_FOR_EACH_DTYPE(LUMEN_PATH_BUILD)

// Adds a chunk's weighted gradients to the accumulator rows they target. The chunk's
// points are grouped by target: segment s covers order[segment_start[s]..segment_start[s+1]]
// (point indices in increasing order) and targets accumulator row segment_target[s].
// Each (segment, element) thread adds its points in order: deterministic, no atomics.
extern "C" __global__ void path_accumulate(const float* inputs, const float* baselines,
                                           const PathPointDevice* points, const lumen_u32* order,
                                           const lumen_u32* segment_start, const lumen_u32* segment_target,
                                           lumen_u64 segments, const float* gradients, lumen_u64 row_len,
                                           lumen_u32 times_difference, double* accumulator) {
    LUMEN_FOR_EACH_ROW(s, segments) {
        LUMEN_FOR_EACH_IN_ROW(e, row_len) {
            double* acc = accumulator + (lumen_u64)segment_target[s] * row_len + e;
            double a = *acc;
            lumen_u32 begin = segment_start[s], end = segment_start[s + 1];
            // Unrolled, with the branch outside, so that several points' loads are in
            // flight; the adds keep their order.
            if (times_difference) {
#pragma unroll 8
                for (lumen_u32 j = begin; j < end; ++j) {
                    lumen_u32 q = order[j];
                    PathPointDevice point = points[q];
                    double g = (double)gradients[(lumen_u64)q * row_len + e];
                    double x = (double)inputs[(lumen_u64)point.input * row_len + e];
                    double b = (double)baselines[(lumen_u64)point.baseline * row_len + e];
                    a += point.weight * g * (x - b);
                }
            } else {
#pragma unroll 8
                for (lumen_u32 j = begin; j < end; ++j) {
                    lumen_u32 q = order[j];
                    a += points[q].weight * (double)gradients[(lumen_u64)q * row_len + e];
                }
            }
            *acc = a;
        }
    }
}

// accumulator row r * per_input + k *= inputs[r] - baselines[r], elementwise in f64.
extern "C" __global__ void path_scale_by_difference(const float* inputs, const float* baselines, lumen_u64 row_len,
                                                    lumen_u64 per_input, lumen_u64 accumulator_rows,
                                                    double* accumulator) {
    LUMEN_FOR_EACH(i, accumulator_rows * row_len) {
        lumen_u64 r = i / row_len / per_input, e = i % row_len;
        accumulator[i] *= (double)inputs[r * row_len + e] - (double)baselines[r * row_len + e];
    }
}

// ---- Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3") ----

struct Philox4 {
    lumen_u32 v[4];
};

__device__ __forceinline__ Philox4 philox4x32_10(Philox4 counter, lumen_u32 key0, lumen_u32 key1) {
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            key0 += 0x9E3779B9u;
            key1 += 0xBB67AE85u;
        }
        lumen_u32 hi0 = __umulhi(0xD2511F53u, counter.v[0]), lo0 = 0xD2511F53u * counter.v[0];
        lumen_u32 hi1 = __umulhi(0xCD9E8D57u, counter.v[2]), lo1 = 0xCD9E8D57u * counter.v[2];
        Philox4 next = {{hi1 ^ counter.v[1] ^ key0, lo1, hi0 ^ counter.v[3] ^ key1, lo0}};
        counter = next;
    }
    return counter;
}

// The four words at (stream, index) of the seed's Philox: counter (index, stream), key seed.
__device__ __forceinline__ Philox4 lumen_random_words(lumen_u64 seed, lumen_u64 stream, lumen_u64 index) {
    Philox4 counter = {{(lumen_u32)index, (lumen_u32)(index >> 32), (lumen_u32)stream, (lumen_u32)(stream >> 32)}};
    return philox4x32_10(counter, (lumen_u32)seed, (lumen_u32)(seed >> 32));
}

// A uniform float in [0, 1) from the top 24 bits of a word.
__device__ __forceinline__ float lumen_uniform(lumen_u32 word) { return (float)(word >> 8) * (1.0f / 16777216.0f); }

// Stream purposes (top 16 bits of the stream; the explained row in the low 48 bits).
#define LUMEN_STREAM_GRADIENT_SHAP_DRAWS 3ull
#define LUMEN_STREAM_GRADIENT_SHAP_NOISE 4ull

// GradientSHAP's draws for samples sample_start .. sample_start + samples of explained row
// `row`: sample j takes baseline floor(w0 * baseline_count / 2^32) and alpha uniform(w1)
// from the words at index j of the draws stream; its noisy input element e is
// x[e] + stdev * z with z the Box-Muller normal (in f64) from words w0, w1 at index
// j * ceil(row_len / 2) + e / 2 of the noise stream (cosine for even e, sine for odd).
extern "C" __global__ void gradient_shap_draw(lumen_u64 seed, lumen_u64 row, lumen_u64 sample_start,
                                              lumen_u64 samples, lumen_u32 baseline_count, const float* x,
                                              lumen_u64 row_len, float stdev, lumen_u32* baseline_index,
                                              float* alpha, float* noisy_inputs) {
    lumen_u64 pairs = (row_len + 1) / 2;
    LUMEN_FOR_EACH(i, samples * row_len) {
        lumen_u64 j = sample_start + i / row_len, e = i % row_len;
        if (e == 0) {
            Philox4 w = lumen_random_words(seed, (LUMEN_STREAM_GRADIENT_SHAP_DRAWS << 48) | row, j);
            baseline_index[i / row_len] = (lumen_u32)(((lumen_u64)w.v[0] * baseline_count) >> 32);
            alpha[i / row_len] = lumen_uniform(w.v[1]);
        }
        float noise = 0.0f;
        if (stdev != 0.0f) {
            Philox4 w = lumen_random_words(seed, (LUMEN_STREAM_GRADIENT_SHAP_NOISE << 48) | row, j * pairs + e / 2);
            double u1 = ((double)w.v[0] + 1.0) * (1.0 / 4294967296.0);
            double u2 = (double)w.v[1] * (1.0 / 4294967296.0);
            double radius = sqrt(-2.0 * log(u1));
            double angle = 6.283185307179586 * u2;
            double z = (e % 2 == 0) ? radius * cos(angle) : radius * sin(angle);
            noise = stdev * (float)z;
        }
        noisy_inputs[i] = x[e] + noise;
    }
}

// Raw Philox words for testing the CPU twin: words[4 * i .. 4 * i + 4] at index start + i.
extern "C" __global__ void philox_words(lumen_u64 seed, lumen_u64 stream, lumen_u64 start, lumen_u64 count,
                                        lumen_u32* words) {
    LUMEN_FOR_EACH(i, count) {
        Philox4 w = lumen_random_words(seed, stream, start + i);
        for (int k = 0; k < 4; ++k) words[4 * i + k] = w.v[k];
    }
}
