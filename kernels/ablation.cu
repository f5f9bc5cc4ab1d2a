// Occlusion and Feature Ablation: batches of perturbed rows built straight from the
// inputs and the baseline, the output deltas f(x) - f(x_p), and the gather that turns
// per-perturbation deltas into per-element attributions. Semantics: src/backend/cpu.rs
// (build_ablation_batch, gather_ablation) and src/explain/ablation_run.rs.

#define LUMEN_MAX_RANK 8

// Captum's sliding windows (src/backend/ablation.rs, WindowGrid): along dimension d,
// positions[d] windows start at k * strides[d] and cover [start, min(start + window, shape)).
// Window p enumerates the positions with the last dimension fastest.
struct WindowGeometry {
    lumen_u32 rank;
    lumen_u32 shape[LUMEN_MAX_RANK];
    lumen_u32 window[LUMEN_MAX_RANK];
    lumen_u32 strides[LUMEN_MAX_RANK];
    lumen_u32 positions[LUMEN_MAX_RANK];
};

__device__ __forceinline__ lumen_u64 window_count(const WindowGeometry& g) {
    lumen_u64 n = 1;
    for (lumen_u32 d = 0; d < g.rank; ++d) n *= g.positions[d];
    return n;
}

// The box window p covers: along dimension d, [lo[d], hi[d]). Loops run over every rank
// up to LUMEN_MAX_RANK, unrolled, so that the box stays in registers.
// The last dimension's bounds are also kept on their own (last_lo, last_hi), for the
// column test that needs no division.
struct WindowBox {
    lumen_u32 lo[LUMEN_MAX_RANK];
    lumen_u32 hi[LUMEN_MAX_RANK];
    lumen_u32 last_lo, last_hi;
};

// U is the unsigned type p fits in: 32-bit divisions whenever the windows allow.
template <typename U>
__device__ __forceinline__ WindowBox window_box(const WindowGeometry& g, U p) {
    WindowBox box;
#pragma unroll
    for (int d = LUMEN_MAX_RANK - 1; d >= 0; --d) {
        box.lo[d] = 0;
        box.hi[d] = 0;
        if (d < (int)g.rank) {
            lumen_u32 k = (lumen_u32)(p % g.positions[d]);
            p /= g.positions[d];
            lumen_u32 lo = k * g.strides[d];
            box.lo[d] = lo;
            box.hi[d] = g.shape[d] - lo > g.window[d] ? lo + g.window[d] : g.shape[d];
            if (d == (int)g.rank - 1) {
                box.last_lo = box.lo[d];
                box.last_hi = box.hi[d];
            }
        }
    }
    return box;
}

// Whether the box holds line `line` (the index of a row's last-dimension line: the
// element's coordinates in every dimension but the last), leaving at the first dimension
// outside it. U is the unsigned type the line fits in: 32-bit divisions when it can.
template <typename U>
__device__ __forceinline__ bool box_holds_line(const WindowGeometry& g, const WindowBox& box, U line) {
#pragma unroll
    for (int d = LUMEN_MAX_RANK - 2; d >= 0; --d) {
        if (d < (int)g.rank - 1) {
            lumen_u32 c = (lumen_u32)(line % g.shape[d]);
            line /= g.shape[d];
            if (c < box.lo[d] || c >= box.hi[d]) return false;
        }
    }
    return true;
}

__device__ __forceinline__ bool window_box_holds_line(const WindowGeometry& g, const WindowBox& box, lumen_u64 line) {
    return line <= 0xFFFFFFFFull ? box_holds_line<lumen_u32>(g, box, (lumen_u32)line)
                                 : box_holds_line<lumen_u64>(g, box, line);
}

__device__ __forceinline__ WindowBox window_box_of(const WindowGeometry& g, lumen_u64 p) {
    return p <= 0xFFFFFFFFull ? window_box<lumen_u32>(g, (lumen_u32)p) : window_box<lumen_u64>(g, p);
}

// Slot s of the batch holds item item_start + s: input row item / P with window item % P
// set to the baseline (P = number of windows). A thread walks its elements of the row as
// (line, column) pairs of the last dimension, stepping both without dividing; the other
// dimensions are tested only for columns inside the window.
#define LUMEN_OCCLUSION_BUILD(SUFFIX, T, STORE)                                                 \
    extern "C" __global__ void occlusion_build_##SUFFIX(                                       \
        const float* inputs, const float* baseline, float baseline_scalar, lumen_u32 baseline_mode, \
        WindowGeometry grid, lumen_u64 row_len, lumen_u64 item_start, lumen_u64 items, T* out) { \
        lumen_u64 per_row = window_count(grid);                                                 \
        /* A grid's x extent stays below 2^32 threads: 32-bit divisions set the walk up. */    \
        lumen_u32 width = grid.shape[grid.rank - 1];                                            \
        lumen_u32 first = blockIdx.x * blockDim.x + threadIdx.x, step = gridDim.x * blockDim.x; \
        lumen_u64 line_step = step / width, column_step = step % width;                         \
        LUMEN_FOR_EACH_ROW(s, items) {                                                          \
            lumen_u64 item = item_start + s, row, p;                                            \
            if (item <= 0xFFFFFFFFull && per_row <= 0xFFFFFFFFull) {                            \
                row = (lumen_u32)item / (lumen_u32)per_row;                                     \
                p = (lumen_u32)item % (lumen_u32)per_row;                                       \
            } else {                                                                            \
                row = item / per_row;                                                           \
                p = item % per_row;                                                             \
            }                                                                                   \
            WindowBox box = window_box_of(grid, p);                                             \
            const float* input = inputs + row * row_len;                                        \
            lumen_u64 line = first / width, column = first % width;                             \
            LUMEN_FOR_EACH_IN_ROW(e, row_len) {                                                 \
                bool inside = column >= box.last_lo && column < box.last_hi &&                  \
                              window_box_holds_line(grid, box, line);                           \
                float v = inside ? lumen_baseline_at(baseline, baseline_scalar, baseline_mode, row, row_len, e) \
                                 : input[e];                                                    \
                STORE(out, s * row_len + e, v);                                                 \
                column += column_step;                                                          \
                line += line_step;                                                              \
                if (column >= width) {                                                          \
                    column -= width;                                                            \
                    ++line;                                                                     \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }
LUMEN_FOR_EACH_DTYPE(LUMEN_OCCLUSION_BUILD)

// Feature Ablation: item = input row item / groups with group item % groups at the baseline.
#define LUMEN_GROUP_BUILD(SUFFIX, T, STORE)                                                     \
    extern "C" __global__ void group_ablation_build_##SUFFIX(                                  \
        const float* inputs, const float* baseline, float baseline_scalar, lumen_u32 baseline_mode, \
        const lumen_u32* group_of, lumen_u64 groups, lumen_u64 row_len, lumen_u64 item_start,  \
        lumen_u64 items, T* out) {                                                              \
        LUMEN_FOR_EACH_ROW(s, items) {                                                          \
            lumen_u64 item = item_start + s, row = item / groups, g = item % groups;            \
            const float* input = inputs + row * row_len;                                        \
            LUMEN_FOR_EACH_IN_ROW(e, row_len) {                                                 \
                float v = group_of[e] == g                                                      \
                              ? lumen_baseline_at(baseline, baseline_scalar, baseline_mode, row, row_len, e) \
                              : input[e];                                                       \
                STORE(out, s * row_len + e, v);                                                 \
            }                                                                                   \
        }                                                                                       \
    }
LUMEN_FOR_EACH_DTYPE(LUMEN_GROUP_BUILD)

// deltas[(r * T + k) * P + p] = f(x_r)[targets[k]] - f(x_r with p)[targets[k]], in f64.
// reference holds rows × output_len outputs at the inputs; perturbed (rows × P) × output_len.
extern "C" __global__ void ablation_deltas(const float* reference, const float* perturbed, const lumen_u32* targets,
                                           lumen_u64 target_count, lumen_u64 output_len, lumen_u64 per_row,
                                           lumen_u64 rows, double* deltas) {
    LUMEN_FOR_EACH(i, rows * target_count * per_row) {
        lumen_u64 p = i % per_row, k = (i / per_row) % target_count, r = i / (per_row * target_count);
        lumen_u64 t = targets[k];
        deltas[i] = (double)reference[r * output_len + t] - (double)perturbed[(r * per_row + p) * output_len + t];
    }
}

// Per element: the mean of the deltas of the windows covering it (0 where none covers it).
// Gather, not scatter: no atomics, deterministic. The sum goes in increasing window order,
// line by line (a line: the windows that differ only in their last-dimension position):
// each line's deltas are summed on their own, then added to the element's sum, exactly as
// the CPU backend adds its per-line column sums (src/backend/cpu.rs, gather_windows).
// deltas holds blocks × P values; out blocks × row_len.
extern "C" __global__ void occlusion_gather(const double* deltas, WindowGeometry grid, lumen_u64 row_len,
                                            lumen_u64 blocks, float* out) {
    lumen_u64 per_block = window_count(grid);
    LUMEN_FOR_EACH(i, blocks * row_len) {
        lumen_u64 block = i / row_len, e = i % row_len;
        lumen_u32 first[LUMEN_MAX_RANK], last[LUMEN_MAX_RANK], at[LUMEN_MAX_RANK];
        lumen_u64 place[LUMEN_MAX_RANK];
        lumen_u64 rest = e, count = 1, stride = 1;
        for (int d = (int)grid.rank - 1; d >= 0; --d) {
            lumen_u32 c = (lumen_u32)(rest % grid.shape[d]);
            rest /= grid.shape[d];
            // Windows k with k * s <= c < k * s + w, among positions[d].
            lumen_u32 lo = c >= grid.window[d] ? (c - grid.window[d]) / grid.strides[d] + 1 : 0;
            lumen_u32 hi = c / grid.strides[d];
            if (hi > grid.positions[d] - 1) hi = grid.positions[d] - 1;
            first[d] = lo;
            last[d] = hi;
            at[d] = lo;
            place[d] = stride;
            stride *= grid.positions[d];
            count = lo <= hi ? count * (hi - lo + 1) : 0;
        }
        if (count == 0) {
            out[i] = 0.0f;
            continue;
        }
        const double* block_deltas = deltas + block * per_block;
        double sum = 0.0, line = 0.0;
        // Odometer over the covering windows, last dimension fastest: increasing p.
        for (;;) {
            lumen_u64 p = 0;
            for (lumen_u32 d = 0; d < grid.rank; ++d) p += at[d] * place[d];
            line += block_deltas[p];
            int d = (int)grid.rank - 1;
            while (d >= 0) {
                if (at[d] < last[d]) {
                    ++at[d];
                    break;
                }
                at[d] = first[d];
                --d;
            }
            // Past the line's last window: its sum joins the element's.
            if (d < (int)grid.rank - 1) {
                sum += line;
                line = 0.0;
            }
            if (d < 0) break;
        }
        out[i] = (float)(sum / (double)count);
    }
}

// Feature Ablation's gather: every element takes its group's delta.
extern "C" __global__ void group_gather(const double* deltas, const lumen_u32* group_of, lumen_u64 groups,
                                       lumen_u64 row_len, lumen_u64 blocks, float* out) {
    LUMEN_FOR_EACH(i, blocks * row_len) {
        lumen_u64 block = i / row_len, e = i % row_len;
        out[i] = (float)deltas[block * groups + group_of[e]];
    }
}
