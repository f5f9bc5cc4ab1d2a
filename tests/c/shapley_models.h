/*
 * shapley_models.h: models and reference computations for the Shapley tests, written
 * in C and independent of Lumen. Valid C11 and C++17.
 *
 * brute_force_shapley() computes Shapley values from the definition: it enumerates every
 * coalition S of the M players, evaluates the interventional value
 * v(S) = Σ_b w_b f(x_S, b_notS) by calling the model's predict callback one row at a
 * time, and forms φ_i = Σ_{S ∌ i} |S|! (M − |S| − 1)! / M! · (v(S ∪ {i}) − v(S)).
 */

#ifndef LUMEN_TEST_SHAPLEY_MODELS_H
#define LUMEN_TEST_SHAPLEY_MODELS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lumen.h"
#include "models.h"

/* The largest number of players brute_force_shapley() enumerates. */
#define BRUTE_FORCE_MAX_PLAYERS 16
/* The largest model (input_len or output_len) brute_force_shapley() handles. */
#define BRUTE_FORCE_MAX_LEN 64

/*
 * A non-linear model of `input_len` inputs and `output_len` outputs: per output o a
 * linear part, pairwise products of neighbours, a three-way product and a tanh, so that
 * players interact and every Shapley estimator has something to get wrong. Pure: safe to
 * call concurrently.
 */
typedef struct poly_model {
    size_t input_len;
    size_t output_len;
} poly_model;

static inline void poly_eval_row(const poly_model *m, const float *x, float *out) {
    size_t n = m->input_len;
    for (size_t o = 0; o < m->output_len; o++) {
        double acc = 0.25 * (double)o - 0.5;
        for (size_t i = 0; i < n; i++) {
            acc += (double)((int)((i * 3 + o * 5) % 7) - 3) * 0.25 * (double)x[i];
            acc += 0.5 * (double)x[i] * (double)x[(i + 1 + o) % n];
        }
        acc += 0.75 * (double)x[0] * (double)x[n / 2] * (double)x[n - 1];
        acc += 2.0 * tanh((double)x[o % n] - 0.5 * (double)x[(o + 2) % n]);
        out[o] = (float)acc;
    }
}

static inline int32_t poly_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    const poly_model *m = (const poly_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        poly_eval_row(m, inputs + r * m->input_len, outputs + r * m->output_len);
    }
    return 0;
}

/* A descriptor for `m`: host memory, concurrent (poly_predict only reads `m`). */
static inline lumen_model_desc poly_desc(poly_model *m) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = m->input_len;
    desc.output_len = m->output_len;
    desc.predict = poly_predict;
    desc.user_data = m;
    return desc;
}

/* p(x) = σ(w·x + b), one output, computed in double. Pure. */
typedef struct logistic_model {
    size_t input_len;
    const float *weights;
    float bias;
} logistic_model;

static inline int32_t logistic_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    const logistic_model *m = (const logistic_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        double z = m->bias;
        for (size_t i = 0; i < m->input_len; i++) {
            z += (double)m->weights[i] * (double)inputs[r * m->input_len + i];
        }
        outputs[r] = (float)(1.0 / (1.0 + exp(-z)));
    }
    return 0;
}

static inline lumen_model_desc logistic_desc(logistic_model *m) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.input_len = m->input_len;
    desc.output_len = 1;
    desc.predict = logistic_predict;
    desc.user_data = m;
    return desc;
}

/*
 * Shapley values of output `output` of the model (`predict`, `user_data`, `input_len`,
 * `output_len`) at row `x`, by the definition, into `phi` (m doubles). `background` holds
 * `bg_rows` rows; `weights` one weight per row (NULL: uniform; normalised here).
 * `players` maps each element to its player 0..m (NULL: element i is player i). Also
 * writes v(∅) and v(N) into `base` and `full` when they are not NULL. Returns 0 when the
 * sizes are out of range, memory runs out or the model fails.
 */
static inline int brute_force_shapley(lumen_predict_fn predict, void *user_data, size_t input_len, size_t output_len,
                                      size_t output, const float *x, const float *background,
                                      const double *weights, size_t bg_rows, const uint32_t *players, size_t m,
                                      double *phi, double *base, double *full) {
    if (m == 0 || m > BRUTE_FORCE_MAX_PLAYERS || input_len > BRUTE_FORCE_MAX_LEN ||
        output_len > BRUTE_FORCE_MAX_LEN || output >= output_len) {
        return 0;
    }
    size_t subsets = (size_t)1 << m;
    double *v = (double *)calloc(subsets, sizeof(double));
    if (v == NULL) {
        return 0;
    }
    double total_weight = 0.0;
    for (size_t b = 0; b < bg_rows; b++) {
        total_weight += weights != NULL ? weights[b] : 1.0;
    }
    float row[BRUTE_FORCE_MAX_LEN], out[BRUTE_FORCE_MAX_LEN];
    for (size_t s = 0; s < subsets; s++) {
        double value = 0.0;
        for (size_t b = 0; b < bg_rows; b++) {
            for (size_t e = 0; e < input_len; e++) {
                size_t player = players != NULL ? players[e] : e;
                row[e] = (s >> player) & 1 ? x[e] : background[b * input_len + e];
            }
            if (predict(user_data, row, 1, out) != 0) {
                free(v);
                return 0;
            }
            value += (weights != NULL ? weights[b] : 1.0) / total_weight * (double)out[output];
        }
        v[s] = value;
    }
    /* |S|! (m − |S| − 1)! / m! for each coalition size |S| < m. */
    double size_weight[BRUTE_FORCE_MAX_PLAYERS];
    for (size_t k = 0; k < m; k++) {
        double w = 1.0 / (double)m; /* 1 / (m · C(m − 1, k)) */
        for (size_t j = 0; j < k; j++) {
            w *= (double)(j + 1) / (double)(m - 1 - j);
        }
        size_weight[k] = w;
    }
    for (size_t i = 0; i < m; i++) {
        double sum = 0.0;
        for (size_t s = 0; s < subsets; s++) {
            if ((s >> i) & 1) {
                continue;
            }
            size_t size = 0;
            for (size_t j = 0; j < m; j++) {
                size += (s >> j) & 1;
            }
            sum += size_weight[size] * (v[s | ((size_t)1 << i)] - v[s]);
        }
        phi[i] = sum;
    }
    if (base != NULL) {
        *base = v[0];
    }
    if (full != NULL) {
        *full = v[subsets - 1];
    }
    free(v);
    return 1;
}

#endif /* LUMEN_TEST_SHAPLEY_MODELS_H */
