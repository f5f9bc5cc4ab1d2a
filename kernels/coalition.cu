// KernelSHAP and Shapley Value Sampling: z*x + (1 - z)*b for every (coalition, background
// row) pair with z packed as bits per player, and the weighted mean of the model's outputs
// over background rows per coalition. Semantics: src/backend/cpu.rs
// (build_coalition_batch, reduce_background).

// Slot s holds item item_start + s: coalition item / B over background row item % B.
// Element e takes x[e] when bit player_of[e] of its coalition is set.
#define LUMEN_COALITION_BUILD(SUFFIX, T, STORE)                                                 \
    extern "C" __global__ void coalition_build_##SUFFIX(                                       \
        const float* x, const float* background, lumen_u64 background_rows, const lumen_u32* player_of, \
        const unsigned long long* coalitions, lumen_u64 words, lumen_u64 row_len, lumen_u64 item_start, \
        lumen_u64 items, T* out) {                                                              \
        LUMEN_FOR_EACH_ROW(s, items) {                                                          \
            lumen_u64 item = item_start + s;                                                    \
            const unsigned long long* coalition = coalitions + (item / background_rows) * words; \
            const float* b = background + (item % background_rows) * row_len;                   \
            LUMEN_FOR_EACH_IN_ROW(e, row_len) {                                                 \
                lumen_u32 player = player_of[e];                                                \
                bool from_x = (coalition[player / 64] >> (player % 64)) & 1ull;                 \
                STORE(out, s * row_len + e, from_x ? x[e] : b[e]);                              \
            }                                                                                   \
        }                                                                                       \
    }
LUMEN_FOR_EACH_DTYPE(LUMEN_COALITION_BUILD)

// values[c * T + k] = sum over background rows b (in order) of weights[b] * outputs of
// (c, b) at targets[k], in f64 from -0.0 (as Rust's f64 sum).
extern "C" __global__ void reduce_background(const float* outputs, lumen_u64 output_len, const double* weights,
                                             lumen_u64 background_rows, const lumen_u32* targets,
                                             lumen_u64 target_count, lumen_u64 coalitions, double* values) {
    LUMEN_FOR_EACH(i, coalitions * target_count) {
        lumen_u64 c = i / target_count, t = targets[i % target_count];
        const float* rows = outputs + c * background_rows * output_len;
        double sum = -0.0;
        for (lumen_u64 b = 0; b < background_rows; ++b) sum += weights[b] * (double)rows[b * output_len + t];
        values[i] = sum;
    }
}
