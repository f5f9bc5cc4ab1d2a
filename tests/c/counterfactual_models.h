/*
 * counterfactual_models.h: classifiers with known decision boundaries for the
 * counterfactual tests, a small tabular data set, and checks of returned rows written
 * independently of Lumen. Valid C11 and C++17.
 *
 * The rows have six columns: three numeric features x0, x1, x2 (each taking the values
 * 1..10 in the training rows) and a three-way one-hot "colour" (columns 3, 4, 5). A
 * threshold model predicts class 1 (P = 0.9) when any of its rules x[column] > threshold
 * holds, else class 0 (P(class 1) = 0.1), so the smallest change that flips a class-0
 * instance is known exactly: one feature moved to the nearest training value across
 * one rule's threshold.
 */

#ifndef LUMEN_TEST_COUNTERFACTUAL_MODELS_H
#define LUMEN_TEST_COUNTERFACTUAL_MODELS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"

/* Columns of a row, logical features, training rows. */
#define CF_N 6
#define CF_FEATURES 4
#define CF_TRAINING_ROWS 30
/* The one-hot colour group. */
#define CF_COLOUR 3
#define CF_COLOURS 3
/* The most rules a threshold model holds. */
#define CF_MAX_RULES 4

/* One rule: class 1 when x[column] > threshold. */
typedef struct cf_rule {
    size_t column;
    float threshold;
} cf_rule;

/*
 * Class 1 (P = 0.9) when any rule holds, else class 0 (P(class 1) = 0.1). With
 * `output_len == 2` the outputs are (P(class 0), P(class 1)); with 1, P(class 1). After
 * `good_calls` calls (when `nan_after` is non-zero) every output is NaN. The call counter
 * makes a model with `nan_after` non-concurrent; the others are pure.
 */
typedef struct threshold_model {
    size_t input_len;
    size_t output_len;
    cf_rule rules[CF_MAX_RULES];
    size_t rules_len;
    int nan_after;
    size_t good_calls;
    size_t calls;
} threshold_model;

/* Whether `m` predicts class 1 for row `x`. */
static inline int threshold_class(const threshold_model *m, const float *x) {
    for (size_t k = 0; k < m->rules_len; k++) {
        if (x[m->rules[k].column] > m->rules[k].threshold) {
            return 1;
        }
    }
    return 0;
}

static inline int32_t threshold_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    threshold_model *m = (threshold_model *)user_data;
    int bad = m->nan_after && m->calls >= m->good_calls;
    if (m->nan_after) {
        m->calls++;
    }
    for (size_t r = 0; r < rows; r++) {
        float p1 = threshold_class(m, inputs + r * m->input_len) ? 0.9f : 0.1f;
        float *out = outputs + r * m->output_len;
        if (m->output_len == 1) {
            out[0] = bad ? NAN : p1;
        } else {
            out[0] = bad ? NAN : 1.0f - p1;
            out[1] = bad ? NAN : p1;
        }
    }
    return 0;
}

/* A descriptor for `m`: host memory, concurrent unless `m->nan_after`. */
static inline lumen_model_desc threshold_desc(threshold_model *m) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = m->nan_after ? 0 : LUMEN_MODEL_CONCURRENT;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = m->input_len;
    desc.output_len = m->output_len;
    desc.predict = threshold_predict;
    desc.user_data = m;
    return desc;
}

/* A two-class threshold model over CF_N columns with one rule. */
static inline threshold_model threshold_one(size_t column, float threshold) {
    threshold_model m;
    memset(&m, 0, sizeof m);
    m.input_len = CF_N;
    m.output_len = 2;
    m.rules[0].column = column;
    m.rules[0].threshold = threshold;
    m.rules_len = 1;
    return m;
}

/* The training rows: x0 = i % 10 + 1, x1 = 3i % 10 + 1, x2 = 7i % 10 + 1, colour i % 3. */
static inline void cf_training(float *rows) {
    for (size_t i = 0; i < CF_TRAINING_ROWS; i++) {
        float *row = rows + i * CF_N;
        row[0] = (float)(i % 10 + 1);
        row[1] = (float)((i * 3) % 10 + 1);
        row[2] = (float)((i * 7) % 10 + 1);
        for (size_t c = 0; c < CF_COLOURS; c++) {
            row[CF_COLOUR + c] = c == i % 3 ? 1.0f : 0.0f;
        }
    }
}

/* The columns of the four logical features. */
static const size_t cf_column_x0[1] = {0};
static const size_t cf_column_x1[1] = {1};
static const size_t cf_column_x2[1] = {2};
static const size_t cf_columns_colour[CF_COLOURS] = {3, 4, 5};

/* The schema: x0, x1, x2 numeric, colour categorical. */
static inline void cf_features(lumen_tabular_feature *features) {
    static const char *const names[CF_FEATURES] = {"x0", "x1", "x2", "colour"};
    static const size_t *const columns[CF_FEATURES] = {cf_column_x0, cf_column_x1, cf_column_x2, cf_columns_colour};
    static const size_t lens[CF_FEATURES] = {1, 1, 1, CF_COLOURS};
    for (size_t f = 0; f < CF_FEATURES; f++) {
        features[f].name = names[f];
        features[f].kind = f == CF_COLOUR ? LUMEN_FEATURE_CATEGORICAL : LUMEN_FEATURE_NUMERIC;
        features[f].columns = columns[f];
        features[f].columns_len = lens[f];
    }
}

/* Whether `row`'s colour group is one-hot (exactly one 1, the others 0). */
static inline int cf_one_hot(const float *row) {
    int ones = 0, zeros = 0;
    for (size_t c = 0; c < CF_COLOURS; c++) {
        ones += row[CF_COLOUR + c] == 1.0f;
        zeros += row[CF_COLOUR + c] == 0.0f;
    }
    return ones == 1 && zeros == CF_COLOURS - 1;
}

/* Whether `value` occurs in column `column` of the training rows. */
static inline int cf_in_training(const float *training, size_t column, float value) {
    for (size_t i = 0; i < CF_TRAINING_ROWS; i++) {
        if (training[i * CF_N + column] == value) {
            return 1;
        }
    }
    return 0;
}

/* The logical features in which `row` differs from `x`, as a bit set. */
static inline unsigned cf_changed_set(const float *row, const float *x) {
    unsigned set = 0;
    for (size_t f = 0; f < CF_COLOUR; f++) {
        if (row[f] != x[f]) {
            set |= 1u << f;
        }
    }
    for (size_t c = 0; c < CF_COLOURS; c++) {
        if (row[CF_COLOUR + c] != x[CF_COLOUR + c]) {
            set |= 1u << CF_COLOUR;
        }
    }
    return set;
}

/*
 * The same rows with the colour as one column of integer codes (PermuteAttack's
 * reference encoding): x0, x1, x2, then colour c as cf_colour_codes[c] in column 3.
 */
#define CF_CODED_N 4
static const float cf_colour_codes[CF_COLOURS] = {10.0f, 20.0f, 5.0f};

/* The one-hot row of coded row `coded`; 0 if its code is none of cf_colour_codes. */
static inline int cf_one_hot_of_coded(const float *coded, float *one_hot) {
    int known = 0;
    memcpy(one_hot, coded, CF_COLOUR * sizeof(float));
    for (size_t c = 0; c < CF_COLOURS; c++) {
        one_hot[CF_COLOUR + c] = coded[CF_COLOUR] == cf_colour_codes[c] ? 1.0f : 0.0f;
        known |= coded[CF_COLOUR] == cf_colour_codes[c];
    }
    return known;
}

/*
 * The threshold model `m` (over one-hot rows) read through the coded encoding: each coded
 * row is turned one-hot and classified by `m`, so both encodings give the same outputs.
 * An unknown code fails the call with 7.
 */
static inline int32_t coded_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    const threshold_model *m = (const threshold_model *)user_data;
    float one_hot[CF_N];
    for (size_t r = 0; r < rows; r++) {
        if (!cf_one_hot_of_coded(inputs + r * CF_CODED_N, one_hot)) {
            return 7;
        }
        float p1 = threshold_class(m, one_hot) ? 0.9f : 0.1f;
        float *out = outputs + r * m->output_len;
        if (m->output_len == 1) {
            out[0] = p1;
        } else {
            out[0] = 1.0f - p1;
            out[1] = p1;
        }
    }
    return 0;
}

/* A concurrent host descriptor of `m` read through the coded encoding (`m->nan_after` unset). */
static inline lumen_model_desc coded_desc(threshold_model *m) {
    lumen_model_desc desc = threshold_desc(m);
    desc.input_len = CF_CODED_N;
    desc.predict = coded_predict;
    return desc;
}

/* The coded row of one-hot row `one_hot` (whose colour group is one-hot). */
static inline void cf_coded_of_one_hot(const float *one_hot, float *coded) {
    memcpy(coded, one_hot, CF_COLOUR * sizeof(float));
    for (size_t c = 0; c < CF_COLOURS; c++) {
        if (one_hot[CF_COLOUR + c] == 1.0f) {
            coded[CF_COLOUR] = cf_colour_codes[c];
        }
    }
}

#endif /* LUMEN_TEST_COUNTERFACTUAL_MODELS_H */
