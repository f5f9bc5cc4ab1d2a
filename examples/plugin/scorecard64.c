/*
 * scorecard64.c: the example credit scorecard of scorecard.c as a double-precision plugin
 * (LUMEN_ELEMENT_F64): `lumen explain --plugin scorecard64.so` reads the CSV cells as
 * doubles and hands them to `predict_f64` unrounded. It declares no raw schema: its input
 * is the encoded columns (examples/plugin/applicants.csv).
 *
 * Build: gcc -shared -fPIC -O2 -I include -I examples/plugin -o scorecard64.so examples/plugin/scorecard64.c -lm
 */
#include <math.h>
#include <stddef.h>

#include "lumen_plugin.h"

#define NUMBERS 5
#define HOUSING 3
#define FEATURES (NUMBERS + HOUSING)

static const char *const NAMES[FEATURES] = {
    "income (kEUR per year)", "debt to income (%)", "years at address", "late payments (last 12 months)", "age (years)",
    "housing = rent",         "housing = own",      "housing = free",
};

static const double WEIGHTS[NUMBERS] = {0.9, -1.1, 0.35, -1.4, 0.25};
static const double MEANS[NUMBERS] = {42.0, 30.0, 5.0, 1.0, 40.0};
static const double SCALES[NUMBERS] = {15.0, 12.0, 4.0, 1.2, 12.0};
static const double HOUSING_POINTS[HOUSING] = {-0.35, 0.3, 0.0};
static const double INTERCEPT = 1.2;

static double probability(const double *row) {
    double z = INTERCEPT;
    for (size_t i = 0; i < NUMBERS; i++) {
        z += WEIGHTS[i] * (row[i] - MEANS[i]) / SCALES[i];
    }
    for (size_t h = 0; h < HOUSING; h++) {
        z += HOUSING_POINTS[h] * row[NUMBERS + h];
    }
    return 1.0 / (1.0 + exp(-z));
}

static int32_t predict(void *user_data, const double *inputs, size_t rows, double *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        outputs[r] = probability(inputs + r * FEATURES);
    }
    return 0;
}

/* dP/dx_i = P (1 - P) w_i / s_i (numbers) or P (1 - P) h_i (housing). */
static int32_t gradient(void *user_data, const double *inputs, size_t rows, const uint32_t *targets, double *gradients,
                        double *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        if (targets[r] != 0) {
            return 22; /* no such output */
        }
        double p = probability(inputs + r * FEATURES);
        for (size_t i = 0; i < NUMBERS; i++) {
            gradients[r * FEATURES + i] = p * (1.0 - p) * WEIGHTS[i] / SCALES[i];
        }
        for (size_t h = 0; h < HOUSING; h++) {
            gradients[r * FEATURES + NUMBERS + h] = p * (1.0 - p) * HOUSING_POINTS[h];
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
    desc->element_type = LUMEN_ELEMENT_F64;
    desc->flags = LUMEN_MODEL_CONCURRENT;
    desc->memory_space = LUMEN_MEMORY_HOST;
    desc->input_len = FEATURES;
    desc->output_len = 1;
    desc->predict_f64 = predict;
    desc->gradient_f64 = gradient;
    desc->feature_names = (const char *const *)NAMES;
    desc->feature_names_len = FEATURES;
    return 0;
}

const char *lumen_plugin_output_label(void) { return "P(good credit)"; }
