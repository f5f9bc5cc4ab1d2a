/*
 * An example Lumen plugin: a small logistic credit scorecard over six applicant
 * attributes, five numbers and the housing (rent, own, free) as three one-hot inputs. Its
 * one output is the probability of good credit,
 *   P(good) = 1 / (1 + exp(-(b + sum_i w_i * (x_i - m_i) / s_i + h_housing))),
 * with a closed-form gradient, so every `lumen explain` method that needs predictions or
 * gradients runs on it. It also exports its raw attributes (lumen_plugin_schema): income
 * in EUR per year (the model reads kEUR), the housing by label or code, so an analyst's
 * CSV (applicants-raw.csv) is read as it is and every output names the housing in words.
 *
 * Build: gcc -shared -fPIC -O2 -I include -o scorecard.so examples/plugin/scorecard.c -lm
 * Use:   lumen explain --plugin ./scorecard.so --input examples/plugin/applicants-raw.csv \
 *          --id-column applicant_id --method kernel-shap --output out/
 *        (applicants.csv holds the same applicants as the model's encoded inputs.)
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

/* Points of log-odds per standard deviation of each number, the means and deviations. */
static const float WEIGHTS[NUMBERS] = {0.9f, -1.1f, 0.35f, -1.4f, 0.25f};
static const float MEANS[NUMBERS] = {42.0f, 30.0f, 5.0f, 1.0f, 40.0f};
static const float SCALES[NUMBERS] = {15.0f, 12.0f, 4.0f, 1.2f, 12.0f};
/* Log-odds of each housing, added when its one-hot input is 1. */
static const float HOUSING_POINTS[HOUSING] = {-0.35f, 0.3f, 0.0f};
static const float INTERCEPT = 1.2f;

static float probability(const float *row) {
    float z = INTERCEPT;
    for (size_t i = 0; i < NUMBERS; i++) {
        z += WEIGHTS[i] * (row[i] - MEANS[i]) / SCALES[i];
    }
    for (size_t h = 0; h < HOUSING; h++) {
        z += HOUSING_POINTS[h] * row[NUMBERS + h];
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

/* dP/dx_i = P (1 - P) w_i / s_i (numbers) or P (1 - P) h_i (housing); the only output is target 0. */
static int32_t gradient(void *user_data, const float *inputs, size_t rows, const uint32_t *targets, float *gradients,
                        float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        if (targets[r] != 0) {
            return 22; /* no such output */
        }
        float p = probability(inputs + r * FEATURES);
        for (size_t i = 0; i < NUMBERS; i++) {
            gradients[r * FEATURES + i] = p * (1.0f - p) * WEIGHTS[i] / SCALES[i];
        }
        for (size_t h = 0; h < HOUSING; h++) {
            gradients[r * FEATURES + NUMBERS + h] = p * (1.0f - p) * HOUSING_POINTS[h];
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

static const lumen_plugin_category HOUSING_CATEGORIES[HOUSING] = {
    {"A151", "rent", 0.0f},
    {"A152", "own", 0.0f},
    {"A153", "for free", 0.0f},
};

/* Raw attributes: income in EUR per year (the model reads kEUR), four numbers as the model
 * reads them, and the housing as three one-hot inputs from input 5. */
static const lumen_plugin_attribute ATTRIBUTES[NUMBERS + 1] = {
    {"income", LUMEN_PLUGIN_NUMERIC, 0, "EUR per year", 0.0, 1000.0, 0, NULL, 0},
    {"debt to income (%)", LUMEN_PLUGIN_NUMERIC, 1, "%", 0.0, 1.0, 0, NULL, 0},
    {"years at address", LUMEN_PLUGIN_NUMERIC, 2, "years", 0.0, 1.0, 0, NULL, 0},
    {"late payments (last 12 months)", LUMEN_PLUGIN_NUMERIC, 3, NULL, 0.0, 1.0, 0, NULL, 0},
    {"age (years)", LUMEN_PLUGIN_NUMERIC, 4, "years", 0.0, 1.0, 0, NULL, 0},
    {"housing", LUMEN_PLUGIN_ONE_HOT, NUMBERS, NULL, 0.0, 1.0, -1, HOUSING_CATEGORIES, HOUSING},
};

int32_t lumen_plugin_schema(const lumen_plugin_attribute **attributes, size_t *len) {
    if (attributes == NULL || len == NULL) {
        return 1;
    }
    *attributes = ATTRIBUTES;
    *len = NUMBERS + 1;
    return 0;
}
