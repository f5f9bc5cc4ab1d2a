/*
 * gradient_models.h: models with analytic gradients for the gradient-method tests,
 * written in C and independent of Lumen, and the closed forms their attributions have.
 * Valid C11 and C++17.
 *
 * The polynomial model f_o(x) = Σ_i a_oi (x_i + c2 x_i² + c3 x_i³) has the gradient
 * ∂f_o/∂x_i = a_oi (1 + 2 c2 x_i + 3 c3 x_i²). Along the straight path from b to x the
 * integrated gradient of element i is exactly f_oi(x_i) − f_oi(b_i), that is
 * a_oi ((x_i − b_i) + c2 (x_i² − b_i²) + c3 (x_i³ − b_i³)). Its integrand is a polynomial
 * in α of degree 1 (c3 = 0) or 2, so Gauss–Legendre with n nodes (exact to degree 2n − 1)
 * integrates it exactly, while the Riemann rules converge as n grows.
 */

#ifndef LUMEN_TEST_GRADIENT_MODELS_H
#define LUMEN_TEST_GRADIENT_MODELS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lumen.h"

/* f_o(x) = Σ_i a[o][i] (x_i + c2 x_i² + c3 x_i³); `a` is `output_len × input_len`. */
typedef struct grad_poly_model {
    size_t input_len;
    size_t output_len;
    const float *a;
    double c2;
    double c3;
    /* Faults of the gradient callback: a non-zero return code, or NaN written into the
     * gradient of element 0 of every row. Predict stays healthy. */
    int32_t gradient_error;
    int nan_gradient;
} grad_poly_model;

/* The contribution of element i to output o at value v, in double. */
static inline double grad_poly_term(const grad_poly_model *m, size_t o, size_t i, double v) {
    return (double)m->a[o * m->input_len + i] * (v + m->c2 * v * v + m->c3 * v * v * v);
}

/* ∂f_o/∂x_i at value v, in double. */
static inline double grad_poly_derivative(const grad_poly_model *m, size_t o, size_t i, double v) {
    return (double)m->a[o * m->input_len + i] * (1.0 + 2.0 * m->c2 * v + 3.0 * m->c3 * v * v);
}

/* f_o(x) for one row, in double. */
static inline double grad_poly_value(const grad_poly_model *m, size_t o, const float *x) {
    double acc = 0.0;
    for (size_t i = 0; i < m->input_len; i++) {
        acc += grad_poly_term(m, o, i, (double)x[i]);
    }
    return acc;
}

static inline int32_t grad_poly_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    const grad_poly_model *m = (const grad_poly_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        for (size_t o = 0; o < m->output_len; o++) {
            outputs[r * m->output_len + o] = (float)grad_poly_value(m, o, inputs + r * m->input_len);
        }
    }
    return 0;
}

/* lumen_gradient_fn: per row, ∂f_target/∂x (and f(x) when `outputs` is not NULL). */
static inline int32_t grad_poly_gradient(void *user_data, const float *inputs, size_t rows, const uint32_t *targets,
                                         float *gradients, float *outputs) {
    const grad_poly_model *m = (const grad_poly_model *)user_data;
    if (m->gradient_error != 0) {
        return m->gradient_error;
    }
    size_t n = m->input_len;
    for (size_t r = 0; r < rows; r++) {
        if (targets[r] >= m->output_len) {
            return -1; /* Lumen must never ask for an output the model lacks */
        }
        for (size_t i = 0; i < n; i++) {
            gradients[r * n + i] = (float)grad_poly_derivative(m, targets[r], i, (double)inputs[r * n + i]);
        }
        if (m->nan_gradient) {
            gradients[r * n] = NAN;
        }
    }
    if (outputs != NULL) {
        grad_poly_predict(user_data, inputs, rows, outputs);
    }
    return 0;
}

/* A descriptor for `m`: host memory, concurrent (the callbacks only read `m`), with a
 * gradient callback. */
static inline lumen_model_desc grad_poly_desc(grad_poly_model *m) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = m->input_len;
    desc.output_len = m->output_len;
    desc.predict = grad_poly_predict;
    desc.gradient = grad_poly_gradient;
    desc.user_data = m;
    return desc;
}

/* The exact integrated gradient of element i of output o from b_i to x_i. */
static inline double grad_poly_ig(const grad_poly_model *m, size_t o, size_t i, double x, double b) {
    return grad_poly_term(m, o, i, x) - grad_poly_term(m, o, i, b);
}

/*
 * A model exposing one convolutional layer for Grad-CAM: the layer callback writes fixed
 * activations and gradients (`C × h × w` each; the activations optionally scaled by the
 * row's first element) and counts its calls; predict sums the row, times o + 1 for
 * output o. The input has shape {1, in_h, in_w}.
 */
typedef struct cam_model {
    size_t channels, h, w;
    size_t in_h, in_w;
    size_t output_len;
    const float *activations; /* C × h × w */
    const float *gradients;   /* output_len × C × h × w: the gradients of each output */
    size_t layer_calls;
    /* Non-zero: the activations of a row are scaled by the row's first input element, so
     * that a row's map is that multiple of the fixed map. */
    int scale_by_first_input;
} cam_model;

static inline int32_t cam_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    const cam_model *m = (const cam_model *)user_data;
    size_t n = m->in_h * m->in_w;
    for (size_t r = 0; r < rows; r++) {
        double sum = 0.0;
        for (size_t i = 0; i < n; i++) {
            sum += inputs[r * n + i];
        }
        for (size_t o = 0; o < m->output_len; o++) {
            outputs[r * m->output_len + o] = (float)(sum * (double)(o + 1));
        }
    }
    return 0;
}

static inline int32_t cam_layer_gradient(void *user_data, const float *inputs, size_t rows, const uint32_t *targets,
                                         float *activations, float *gradients) {
    cam_model *m = (cam_model *)user_data;
    size_t len = m->channels * m->h * m->w, n = m->in_h * m->in_w;
    m->layer_calls++;
    for (size_t r = 0; r < rows; r++) {
        if (targets[r] >= m->output_len) {
            return -1;
        }
        float scale = m->scale_by_first_input ? inputs[r * n] : 1.0f;
        for (size_t i = 0; i < len; i++) {
            activations[r * len + i] = scale * m->activations[i];
        }
        memcpy(gradients + r * len, m->gradients + targets[r] * len, len * sizeof(float));
    }
    return 0;
}

/* A descriptor for `m` with input shape {1, in_h, in_w} (`shape` must outlive the call
 * to lumen_model_new); not concurrent (the callback counts its calls). */
static inline lumen_model_desc cam_desc(cam_model *m, size_t shape[3]) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    shape[0] = 1;
    shape[1] = m->in_h;
    shape[2] = m->in_w;
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = m->in_h * m->in_w;
    desc.input_shape = shape;
    desc.input_rank = 3;
    desc.output_len = m->output_len;
    desc.predict = cam_predict;
    desc.layer_gradient = cam_layer_gradient;
    desc.layer_shape[0] = m->channels;
    desc.layer_shape[1] = m->h;
    desc.layer_shape[2] = m->w;
    desc.user_data = m;
    return desc;
}

/*
 * The Grad-CAM map of output o (Selvaraju et al.; Captum's LayerGradCam): channel weights
 * α_c = mean over the h × w positions of the gradients, map = Σ_c α_c A_c, then ReLU when
 * `relu`. Writes h × w doubles into `map`.
 */
static inline void cam_reference(const cam_model *m, size_t o, int relu, double *map) {
    size_t hw = m->h * m->w, len = m->channels * hw;
    for (size_t p = 0; p < hw; p++) {
        map[p] = 0.0;
    }
    for (size_t c = 0; c < m->channels; c++) {
        double alpha = 0.0;
        for (size_t p = 0; p < hw; p++) {
            alpha += (double)m->gradients[o * len + c * hw + p];
        }
        alpha /= (double)hw;
        for (size_t p = 0; p < hw; p++) {
            map[p] += alpha * (double)m->activations[c * hw + p];
        }
    }
    if (relu) {
        for (size_t p = 0; p < hw; p++) {
            map[p] = map[p] > 0.0 ? map[p] : 0.0;
        }
    }
}

#endif /* LUMEN_TEST_GRADIENT_MODELS_H */
