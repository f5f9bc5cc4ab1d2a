/*
 * models.h: models written in C for Lumen's C tests, a reference implementation of
 * occlusion for linear models, and small helpers. Valid C11 and C++17.
 *
 * For a linear model f(x) = W·x + b, occluding a set S of elements changes output o by
 * f_o(x) − f_o(x_S) = Σ_{i∈S} W[o][i] (x_i − baseline_i), so every expected attribution
 * can be computed exactly in double precision without calling the model.
 */

#ifndef LUMEN_TEST_MODELS_H
#define LUMEN_TEST_MODELS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"

/* The largest input rank reference_occlusion() handles. */
#define REFERENCE_MAX_RANK 4

/* Number of elements of a fixed-size array. */
#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

/* f(x) = W·x + b with W `output_len × input_len` (row-major) and b `output_len`. */
typedef struct linear_model {
    size_t input_len;
    size_t output_len;
    const float *weights;
    const float *bias;
} linear_model;

/* The outputs of one row `x`, accumulated in double (deterministic per row). */
static inline void linear_eval_row(const linear_model *m, const float *x, float *out) {
    for (size_t o = 0; o < m->output_len; o++) {
        double acc = m->bias[o];
        for (size_t i = 0; i < m->input_len; i++) {
            acc += (double)m->weights[o * m->input_len + i] * (double)x[i];
        }
        out[o] = (float)acc;
    }
}

/* lumen_predict_fn of a linear model; `user_data` is a `const linear_model *`. */
static inline int32_t linear_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    const linear_model *m = (const linear_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        linear_eval_row(m, inputs + r * m->input_len, outputs + r * m->output_len);
    }
    return 0;
}

/* A descriptor for `m`: host memory, not concurrent, 1-D rows unless the caller sets a shape. */
static inline lumen_model_desc linear_desc(linear_model *m) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = 0;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = m->input_len;
    desc.output_len = m->output_len;
    desc.predict = linear_predict;
    desc.user_data = m;
    return desc;
}

/* A model that behaves for `good_calls` calls (outputs = sum of the row) and then either
 * returns `error_code` (when non-zero) or writes `bad_value` into every output. Not
 * concurrent (its call counter is a plain integer). */
typedef struct faulty_model {
    size_t input_len;
    size_t output_len;
    size_t good_calls;
    int32_t error_code;
    float bad_value;
    size_t calls;
} faulty_model;

static inline int32_t faulty_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    faulty_model *m = (faulty_model *)user_data;
    int good = m->calls < m->good_calls;
    m->calls++;
    if (!good && m->error_code != 0) {
        return m->error_code;
    }
    for (size_t r = 0; r < rows; r++) {
        float sum = 0.0f;
        for (size_t i = 0; i < m->input_len; i++) {
            sum += inputs[r * m->input_len + i];
        }
        for (size_t o = 0; o < m->output_len; o++) {
            outputs[r * m->output_len + o] = good ? sum : m->bad_value;
        }
    }
    return 0;
}

static inline lumen_model_desc faulty_desc(faulty_model *m) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.input_len = m->input_len;
    desc.output_len = m->output_len;
    desc.predict = faulty_predict;
    desc.user_data = m;
    return desc;
}

/* A CPU engine with `threads` workers and `seed`; NULL (and a failed check) on failure. */
static inline lumen_engine *new_engine(uint32_t threads, uint64_t seed) {
    lumen_engine_options options = lumen_engine_options_default();
    options.backend = LUMEN_BACKEND_CPU;
    options.threads = threads;
    options.seed = seed;
    lumen_engine *engine = NULL;
    CHECK_OK(lumen_engine_new(&options, &engine));
    return engine;
}

/* A model from `desc`; NULL (and a failed check) on failure. */
static inline lumen_model *new_model(const lumen_model_desc *desc) {
    lumen_model *model = NULL;
    CHECK_OK(lumen_model_new(desc, &model));
    return model;
}

/* Advances the multi-index `at` through the box [lo, hi) (last dimension fastest);
 * returns 0 once every index has been visited and `at` is back at `lo`. */
static inline int box_next(size_t *at, const size_t *lo, const size_t *hi, size_t rank) {
    for (size_t d = rank; d-- > 0;) {
        if (++at[d] < hi[d]) {
            return 1;
        }
        at[d] = lo[d];
    }
    return 0;
}

/*
 * Expected occlusion attributions of output `o` of linear model `m` for one row `x`
 * with baseline row `b`, written into `out` (input_len doubles). Independent of Lumen's
 * own window arithmetic: it enumerates the windows (per dimension d, positions
 * ceil((n_d - w_d) / s_d) + 1 starting at k * s_d, the last clipped at the border), adds
 * each window's delta to every element it covers, and divides by the cover count (0 for
 * an element no window covers). Returns 0 if the rank is out of range or memory runs out.
 */
static inline int reference_occlusion(const linear_model *m, size_t o, const size_t *shape, size_t rank,
                                      const size_t *window, const size_t *strides, const float *x, const float *b,
                                      double *out) {
    if (rank == 0 || rank > REFERENCE_MAX_RANK) {
        return 0;
    }
    size_t positions[REFERENCE_MAX_RANK], dim_stride[REFERENCE_MAX_RANK];
    size_t zero[REFERENCE_MAX_RANK] = {0};
    size_t k[REFERENCE_MAX_RANK] = {0};
    for (size_t d = 0; d < rank; d++) {
        positions[d] = (shape[d] - window[d] + strides[d] - 1) / strides[d] + 1;
    }
    dim_stride[rank - 1] = 1;
    for (size_t d = rank - 1; d > 0; d--) {
        dim_stride[d - 1] = dim_stride[d] * shape[d];
    }
    size_t n = m->input_len;
    double *sums = (double *)calloc(n, sizeof(double));
    size_t *counts = (size_t *)calloc(n, sizeof(size_t));
    if (sums == NULL || counts == NULL) {
        free(sums);
        free(counts);
        return 0;
    }
    do { /* every window position k */
        size_t lo[REFERENCE_MAX_RANK], hi[REFERENCE_MAX_RANK], at[REFERENCE_MAX_RANK];
        int empty = 0; /* a stride larger than the window can put the last start past the end */
        for (size_t d = 0; d < rank; d++) {
            lo[d] = k[d] * strides[d];
            hi[d] = lo[d] + window[d] < shape[d] ? lo[d] + window[d] : shape[d];
            at[d] = lo[d];
            empty |= lo[d] >= hi[d];
        }
        if (empty) {
            continue; /* covers nothing; `continue` in a do-while still advances k */
        }
        double delta = 0.0;
        do {
            size_t e = 0;
            for (size_t d = 0; d < rank; d++) {
                e += at[d] * dim_stride[d];
            }
            delta += (double)m->weights[o * n + e] * ((double)x[e] - (double)b[e]);
        } while (box_next(at, lo, hi, rank));
        do {
            size_t e = 0;
            for (size_t d = 0; d < rank; d++) {
                e += at[d] * dim_stride[d];
            }
            sums[e] += delta;
            counts[e]++;
        } while (box_next(at, lo, hi, rank));
    } while (box_next(k, zero, positions, rank));
    for (size_t e = 0; e < n; e++) {
        out[e] = counts[e] == 0 ? 0.0 : sums[e] / (double)counts[e];
    }
    free(sums);
    free(counts);
    return 1;
}

#endif /* LUMEN_TEST_MODELS_H */
