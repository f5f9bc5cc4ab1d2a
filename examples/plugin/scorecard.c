/*
 * An example Lumen plugin: a small logistic credit scorecard over five applicant
 * attributes. Its one output is the probability of good credit,
 *   P(good) = 1 / (1 + exp(-(b + sum_i w_i * (x_i - m_i) / s_i))),
 * with a closed-form gradient, so every `lumen explain` method that needs predictions or
 * gradients runs on it.
 *
 * Build: gcc -shared -fPIC -O2 -I include -o scorecard.so examples/plugin/scorecard.c -lm
 * Use:   lumen explain --plugin ./scorecard.so --input examples/plugin/applicants.csv \
 *          --method kernel-shap --output out/
 */
#include <math.h>
#include <stddef.h>

#include "lumen_plugin.h"

#define FEATURES 5

static const char *const NAMES[FEATURES] = {
    "income (kEUR per year)", "debt to income (%)", "years at address", "late payments (last 12 months)", "age (years)",
};

/* Points of log-odds per standard deviation of each attribute, the means and deviations. */
static const float WEIGHTS[FEATURES] = {0.9f, -1.1f, 0.35f, -1.4f, 0.25f};
static const float MEANS[FEATURES] = {42.0f, 30.0f, 5.0f, 1.0f, 40.0f};
static const float SCALES[FEATURES] = {15.0f, 12.0f, 4.0f, 1.2f, 12.0f};
static const float INTERCEPT = 1.2f;

static float probability(const float *row) {
    float z = INTERCEPT;
    for (size_t i = 0; i < FEATURES; i++) {
        z += WEIGHTS[i] * (row[i] - MEANS[i]) / SCALES[i];
    }
    return 1.0f / (1.0f + expf(-z));
}

static int32_t predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        outputs[r] = probability(inputs + r * FEATURES);
    }
    return 0;
}

/* dP/dx_i = P (1 - P) w_i / s_i; the only output is target 0. */
static int32_t gradient(void *user_data, const float *inputs, size_t rows, const uint32_t *targets, float *gradients,
                        float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        if (targets[r] != 0) {
            return 22; /* no such output */
        }
        float p = probability(inputs + r * FEATURES);
        for (size_t i = 0; i < FEATURES; i++) {
            gradients[r * FEATURES + i] = p * (1.0f - p) * WEIGHTS[i] / SCALES[i];
        }
        if (outputs != NULL) {
            outputs[r] = p;
        }
    }
    return 0;
}

int32_t lumen_plugin_model(lumen_model_desc *desc) {
    if (desc == NULL) {
        return 1;
    }
    desc->abi_version = LUMEN_MODEL_ABI_VERSION;
    desc->flags = LUMEN_MODEL_CONCURRENT;
    desc->memory_space = LUMEN_MEMORY_HOST;
    desc->input_len = FEATURES;
    desc->output_len = 1;
    desc->predict = predict;
    desc->gradient = gradient;
    desc->feature_names = (const char *const *)NAMES;
    desc->feature_names_len = FEATURES;
    return 0;
}

const char *lumen_plugin_output_label(void) { return "P(good credit)"; }
