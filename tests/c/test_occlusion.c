/*
 * test_occlusion.c: lumen_engine_explain_occlusion on linear models written in C, over
 * 1-D and 2-D inputs, against hand-computed values and the reference in models.h; the
 * explanation getters, the audit JSON and determinism across thread counts.
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

/* Attributions of exactly representable linear models are computed exactly up to the
 * final division by the cover count, so the tolerance only absorbs float rounding. */
#define TOLERANCE 1e-5

/* 2-D test input: 4 rows × 5 columns, 2 outputs. */
#define GRID_H 4
#define GRID_W 5
#define GRID_LEN (GRID_H * GRID_W)
#define GRID_OUTPUTS 2
#define GRID_ROWS 3

/* A seed whose top bit is set, so a u64 that went through a double or an i64 would show. */
#define AUDIT_SEED UINT64_C(0xFEDCBA9876543210)

/* Non-empty window positions along a dimension of n elements: Captum's ceil((n - w) / s) + 1
 * starts k * s, less those at or past the border (possible when s > w), which cover
 * nothing and which Lumen leaves out. */
static size_t window_positions(size_t n, size_t w, size_t s) {
    size_t captum = (n - w + s - 1) / s + 1;
    size_t inside = (n + s - 1) / s; /* starts k * s < n */
    return captum < inside ? captum : inside;
}

/* The explanation's attributions, malloc'ed (NULL and a failed check on failure). */
/* The windows of a 2-D grid that change row `x` under baseline `b` (some element's bits
 * differ); the others leave the row as it is and cost no model row. */
static size_t changing_windows(const size_t *shape, const size_t *window, const size_t *strides, const float *x,
                               const float *b) {
    size_t count = 0;
    for (size_t p = 0; p < window_positions(shape[0], window[0], strides[0]); p++) {
        for (size_t q = 0; q < window_positions(shape[1], window[1], strides[1]); q++) {
            int changes = 0;
            for (size_t i = p * strides[0]; i < p * strides[0] + window[0] && i < shape[0]; i++) {
                for (size_t j = q * strides[1]; j < q * strides[1] + window[1] && j < shape[1]; j++) {
                    changes |= memcmp(&x[i * shape[1] + j], &b[i * shape[1] + j], sizeof(float)) != 0;
                }
            }
            count += (size_t)changes;
        }
    }
    return count;
}

static float *attributions_of(const lumen_explanation *ex, size_t expected_len) {
    lumen_attribution_shape shape;
    if (!CHECK_OK(lumen_explanation_shape(ex, &shape))) {
        return NULL;
    }
    size_t len = shape.rows * shape.outputs * shape.features;
    CHECK(len == expected_len);
    float *values = (float *)malloc((len > 0 ? len : 1) * sizeof(float));
    if (!CHECK(values != NULL) || !CHECK_OK(lumen_explanation_attributions(ex, values, len))) {
        free(values);
        return NULL;
    }
    return values;
}

/* ---------------------------------------------------------------------------------- */
/* 1-D, hand-computed.                                                                 */

/* f(x) = 1·x0 + 2·x1 + ... + 6·x5 + 0.5 at x = 1, baseline 0: element i contributes i+1. */
static const float ramp_weights[6] = {1, 2, 3, 4, 5, 6};
static const float ramp_bias[1] = {0.5f};
static const float ones[6] = {1, 1, 1, 1, 1, 1};

static void check_1d_case(lumen_engine *engine, lumen_model *model, size_t window, size_t stride,
                          const double expected[6], const char *label) {
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = &window;
    options.window_rank = 1;
    if (stride > 0) {
        options.strides = &stride;
        options.strides_rank = 1;
    }
    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_occlusion(engine, model, ones, 6, 1, &options, &ex))) {
        return;
    }
    float *got = attributions_of(ex, 6);
    if (got != NULL) {
        check_values(got, expected, 6, TOLERANCE, label);
    }
    /* A model that declared only input_len has a one-dimensional input shape. */
    size_t rank = 0, dims[1] = {0};
    CHECK_OK(lumen_explanation_feature_rank(ex, &rank));
    CHECK_OK(lumen_explanation_feature_shape(ex, dims, 1));
    CHECK(rank == 1 && dims[0] == 6);
    free(got);
    lumen_explanation_free(ex);
}

static void test_1d_hand_computed(lumen_engine *engine) {
    SECTION("1-D occlusion, hand-computed");
    linear_model m = {6, 1, ramp_weights, ramp_bias};
    lumen_model_desc desc = linear_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    /* Window 3, stride 2: windows [0,3) [2,5) [4,6) (last clipped), deltas 6, 12, 11;
     * elements 2 and 4 are covered twice (overlap). */
    const double w3s2[6] = {6, 6, (6 + 12) / 2.0, 12, (12 + 11) / 2.0, 11};
    check_1d_case(engine, model, 3, 2, w3s2, "window 3 stride 2");
    /* Window 4, stride 3: windows [0,4) [3,6) (clipped), deltas 10 and 15. */
    const double w4s3[6] = {10, 10, 10, (10 + 15) / 2.0, 15, 15};
    check_1d_case(engine, model, 4, 3, w4s3, "window 4 stride 3");
    /* Window 2, default stride 1: deltas 3 5 7 9 11 over [0,2) .. [4,6). */
    const double w2[6] = {3, (3 + 5) / 2.0, (5 + 7) / 2.0, (7 + 9) / 2.0, (9 + 11) / 2.0, 11};
    check_1d_case(engine, model, 2, 0, w2, "window 2 default stride");
    /* Window 1: each element alone, attribution = its contribution i+1. */
    const double w1[6] = {1, 2, 3, 4, 5, 6};
    check_1d_case(engine, model, 1, 0, w1, "window 1");
    /* Window = whole input: every element gets f(x) - f(0) = 21. */
    const double w6[6] = {21, 21, 21, 21, 21, 21};
    check_1d_case(engine, model, 6, 1, w6, "window 6");
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* 2-D.                                                                                */

/* W[o][i] and x: multiples of 1/8 and 1/2, so every output is exact in float. */
static void grid_weights(float *weights, float *bias) {
    for (size_t o = 0; o < GRID_OUTPUTS; o++) {
        for (size_t i = 0; i < GRID_LEN; i++) {
            weights[o * GRID_LEN + i] = (float)((int)((i * 7 + o * 3) % 11) - 5) * 0.25f + 0.125f * (float)o;
        }
        bias[o] = 1.5f - (float)o;
    }
}

static void grid_inputs(float *x, size_t rows) {
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < GRID_LEN; i++) {
            x[r * GRID_LEN + i] = (float)((int)((r * 13 + i * 5) % 17) - 8) * 0.5f;
        }
    }
}

static void grid_per_row_baseline(float *b, size_t rows) {
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < GRID_LEN; i++) {
            b[r * GRID_LEN + i] = (float)((r + i) % 3) * 0.5f;
        }
    }
}

static void test_2d_hand_computed(lumen_engine *engine) {
    SECTION("2-D occlusion 4x5, window 2x2 stride 2, hand-computed");
    /* W = 1 everywhere, x[r][c] = 5r + c + 1, baseline 0: each element contributes its
     * own value. Windows: rows [0,2) [2,4); columns [0,2) [2,4) [4,5) (clipped). */
    float weights[GRID_LEN], x[GRID_LEN];
    const float bias[1] = {0};
    for (size_t i = 0; i < GRID_LEN; i++) {
        weights[i] = 1;
        x[i] = (float)(i + 1);
    }
    const double expected[GRID_LEN] = {
        16, 16, 24, 24, 15, /* 1+2+6+7, 3+4+8+9, 5+10 */
        16, 16, 24, 24, 15, /* */
        56, 56, 64, 64, 35, /* 11+12+16+17, 13+14+18+19, 15+20 */
        56, 56, 64, 64, 35,
    };
    linear_model m = {GRID_LEN, 1, weights, bias};
    const size_t shape[2] = {GRID_H, GRID_W};
    lumen_model_desc desc = linear_desc(&m);
    desc.input_shape = shape;
    desc.input_rank = 2;
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const size_t window[2] = {2, 2}, strides[2] = {2, 2};
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = window;
    options.window_rank = 2;
    options.strides = strides;
    options.strides_rank = 2;
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_occlusion(engine, model, x, GRID_LEN, 1, &options, &ex))) {
        float *got = attributions_of(ex, GRID_LEN);
        if (got != NULL) {
            check_values(got, expected, GRID_LEN, TOLERANCE, "2x2 stride 2");
        }
        free(got);
        /* The attributions of the row fill the declared 4 × 5 input shape. */
        size_t rank = 0, dims[3] = {0, 0, 0};
        CHECK_OK(lumen_explanation_feature_rank(ex, &rank));
        CHECK(rank == 2);
        CHECK_FAILS(lumen_explanation_feature_shape(ex, dims, 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
        CHECK(dims[0] == 0);
        CHECK_OK(lumen_explanation_feature_shape(ex, dims, 3));
        CHECK(dims[0] == GRID_H && dims[1] == GRID_W && dims[2] == 0);
        /* 2 × 3 windows, plus the input row and the (scalar) baseline row. */
        uint64_t evaluated = 0;
        CHECK_OK(lumen_explanation_model_rows_evaluated(ex, &evaluated));
        CHECK(evaluated == 2 * 3 + 1 + 1);
    }
    lumen_explanation_free(ex);
    lumen_model_free(model);
}

/* One window configuration of the reference-checked 2-D runs. */
typedef struct window_case {
    size_t window[2];
    size_t strides[2]; /* {0, 0}: leave strides unset (Captum's default of 1) */
    const char *label;
} window_case;

/* Which baseline a reference-checked run uses. */
typedef enum baseline_kind { BASELINE_SCALAR, BASELINE_SHARED, BASELINE_PER_ROW } baseline_kind;

/* Baseline scalar used by the BASELINE_SCALAR runs (non-zero, exactly representable). */
#define BASELINE_SCALAR_VALUE 0.25f

/* Runs occlusion on GRID_ROWS rows and checks every value the explanation exposes. */
static void check_2d_reference(lumen_engine *engine, lumen_model *model, const linear_model *m,
                               const window_case *wc, baseline_kind kind, const uint32_t *targets,
                               size_t targets_len) {
    const size_t shape[2] = {GRID_H, GRID_W};
    const size_t unit[2] = {1, 1};
    float x[GRID_ROWS * GRID_LEN], per_row[GRID_ROWS * GRID_LEN], expanded[GRID_ROWS * GRID_LEN];
    grid_inputs(x, GRID_ROWS);
    grid_per_row_baseline(per_row, GRID_ROWS);
    for (size_t r = 0; r < GRID_ROWS; r++) {
        for (size_t i = 0; i < GRID_LEN; i++) {
            float shared = per_row[i]; /* row 0 of the per-row baseline doubles as the shared one */
            expanded[r * GRID_LEN + i] = kind == BASELINE_SCALAR   ? BASELINE_SCALAR_VALUE
                                         : kind == BASELINE_SHARED ? shared
                                                                   : per_row[r * GRID_LEN + i];
        }
    }
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = wc->window;
    options.window_rank = 2;
    if (wc->strides[0] != 0) {
        options.strides = wc->strides;
        options.strides_rank = 2;
    }
    if (kind == BASELINE_SCALAR) {
        options.baseline_scalar = BASELINE_SCALAR_VALUE;
    } else {
        options.baseline = per_row;
        options.baseline_len = kind == BASELINE_SHARED ? GRID_LEN : GRID_ROWS * GRID_LEN;
    }
    options.targets = targets;
    options.targets_len = targets_len;

    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_occlusion(engine, model, x, GRID_ROWS * GRID_LEN, GRID_ROWS, &options, &ex))) {
        fprintf(stderr, "     case %s\n", wc->label);
        return;
    }
    uint32_t all_outputs[GRID_OUTPUTS] = {0, 1};
    const uint32_t *outputs = targets_len > 0 ? targets : all_outputs;
    size_t n_outputs = targets_len > 0 ? targets_len : GRID_OUTPUTS;

    lumen_attribution_shape got_shape;
    CHECK_OK(lumen_explanation_shape(ex, &got_shape));
    CHECK(got_shape.rows == GRID_ROWS && got_shape.outputs == n_outputs && got_shape.features == GRID_LEN &&
          got_shape.feature_axis == LUMEN_FEATURE_AXIS_ELEMENTS);

    uint32_t got_outputs[GRID_OUTPUTS] = {99, 99};
    CHECK_OK(lumen_explanation_outputs(ex, got_outputs, GRID_OUTPUTS));
    CHECK(memcmp(got_outputs, outputs, n_outputs * sizeof(uint32_t)) == 0);

    /* Attributions, f(x) and f(baseline) for every row and explained output. */
    float *got = attributions_of(ex, GRID_ROWS * n_outputs * GRID_LEN);
    float predictions[GRID_ROWS * GRID_OUTPUTS], base_values[GRID_ROWS * GRID_OUTPUTS];
    CHECK_OK(lumen_explanation_predictions(ex, predictions, GRID_ROWS * GRID_OUTPUTS));
    CHECK_OK(lumen_explanation_base_values(ex, base_values, GRID_ROWS * GRID_OUTPUTS));
    size_t fx_bad = 0;
    for (size_t r = 0; r < GRID_ROWS; r++) {
        float fx[GRID_OUTPUTS], fb[GRID_OUTPUTS];
        linear_eval_row(m, x + r * GRID_LEN, fx);
        linear_eval_row(m, expanded + r * GRID_LEN, fb);
        for (size_t k = 0; k < n_outputs; k++) {
            fx_bad += predictions[r * n_outputs + k] != fx[outputs[k]];
            fx_bad += base_values[r * n_outputs + k] != fb[outputs[k]];
            double want[GRID_LEN];
            const size_t *strides = wc->strides[0] != 0 ? wc->strides : unit;
            CHECK(reference_occlusion(m, outputs[k], shape, 2, wc->window, strides, x + r * GRID_LEN,
                                      expanded + r * GRID_LEN, want));
            if (got != NULL) {
                check_values(got + (r * n_outputs + k) * GRID_LEN, want, GRID_LEN, TOLERANCE, wc->label);
            }
        }
    }
    CHECK(fx_bad == 0);
    free(got);

    /* Model rows: each row, its windows that change it, and one baseline row (shared) or
     * one per row. */
    const size_t *strides = wc->strides[0] != 0 ? wc->strides : unit;
    size_t baseline_rows = kind == BASELINE_PER_ROW ? GRID_ROWS : 1;
    size_t all_windows = 0;
    for (size_t r = 0; r < GRID_ROWS; r++) {
        size_t windows = changing_windows(shape, wc->window, strides, x + r * GRID_LEN, expanded + r * GRID_LEN);
        all_windows += windows;
        lumen_row_diagnostics diag;
        CHECK_OK(lumen_explanation_row_diagnostics(ex, r, &diag));
        CHECK(diag.model_rows_evaluated == windows + 1 + (kind == BASELINE_PER_ROW ? 1 : 0));
        CHECK(diag.has_completeness_gap == 0);
    }
    uint64_t evaluated = 0;
    CHECK_OK(lumen_explanation_model_rows_evaluated(ex, &evaluated));
    CHECK(evaluated == GRID_ROWS + baseline_rows + all_windows);
    double gaps[GRID_ROWS * GRID_OUTPUTS];
    CHECK_FAILS(lumen_explanation_completeness_gaps(ex, gaps, GRID_ROWS * GRID_OUTPUTS), LUMEN_STATUS_NOT_AVAILABLE,
                "completeness gap");
    lumen_explanation_free(ex);
}

static void test_2d_reference(lumen_engine *engine) {
    SECTION("2-D occlusion 4x5, two outputs, several windows and baselines, vs reference");
    float weights[GRID_OUTPUTS * GRID_LEN], bias[GRID_OUTPUTS];
    grid_weights(weights, bias);
    linear_model m = {GRID_LEN, GRID_OUTPUTS, weights, bias};
    const size_t shape[2] = {GRID_H, GRID_W};
    lumen_model_desc desc = linear_desc(&m);
    desc.input_shape = shape;
    desc.input_rank = 2;
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const window_case cases[] = {
        {{3, 3}, {1, 1}, "3x3 stride 1 (overlapping, 2x3 positions)"},
        {{2, 3}, {1, 2}, "2x3 stride 1x2 (last column window clipped)"},
        {{3, 2}, {2, 3}, "3x2 stride 2x3 (clipped in both dimensions)"},
        {{2, 2}, {3, 3}, "2x2 stride 3 (elements between windows uncovered -> 0)"},
        {{1, 1}, {0, 0}, "1x1 default stride"},
        {{4, 5}, {0, 0}, "whole input"},
        {{2, 4}, {0, 0}, "2x4 default stride (overlapping)"},
    };
    const uint32_t second[1] = {1};
    const uint32_t reversed[2] = {1, 0};
    for (size_t c = 0; c < COUNT_OF(cases); c++) {
        check_2d_reference(engine, model, &m, &cases[c], BASELINE_SCALAR, NULL, 0);
        check_2d_reference(engine, model, &m, &cases[c], BASELINE_SHARED, second, 1);
        check_2d_reference(engine, model, &m, &cases[c], BASELINE_PER_ROW, reversed, 2);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Strides larger than the window.                                                      */

/*
 * With s > w, ceil((n - w) / s) + 1 positions can put the last window's start at or past
 * the border, so it covers nothing, and elements between windows are covered by none.
 * Either is acceptable from the library: a result that matches the reference (empty
 * windows change nothing, uncovered elements get 0) or INVALID_ARGUMENT naming strides.
 * A contained panic (LUMEN_STATUS_PANIC) or any other status is a bug.
 */
static void check_sparse_case(lumen_engine *engine, lumen_model *model, const linear_model *m, const size_t *shape,
                              size_t rank, const size_t *window, const size_t *strides, const float *x,
                              const char *label) {
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = window;
    options.window_rank = rank;
    options.strides = strides;
    options.strides_rank = rank;
    lumen_explanation *ex = NULL;
    uint32_t status = lumen_engine_explain_occlusion(engine, model, x, m->input_len, 1, &options, &ex);
    if (status == LUMEN_STATUS_OK) {
        double *want = (double *)malloc(m->input_len * sizeof(double));
        float *zero = (float *)calloc(m->input_len, sizeof(float));
        float *got = attributions_of(ex, m->input_len);
        if (CHECK(want != NULL && zero != NULL) &&
            CHECK(reference_occlusion(m, 0, shape, rank, window, strides, x, zero, want)) && got != NULL) {
            check_values(got, want, m->input_len, TOLERANCE, label);
        }
        free(want);
        free(zero);
        free(got);
        lumen_explanation_free(ex);
    } else {
        if (!CHECK_STATUS(status, LUMEN_STATUS_INVALID_ARGUMENT)) {
            fprintf(stderr, "     case %s\n", label);
        }
        CHECK_MESSAGE("strides");
    }
}

static void test_stride_larger_than_window(lumen_engine *engine) {
    SECTION("strides larger than the window (empty last windows, uncovered elements)");
    linear_model ramp = {6, 1, ramp_weights, ramp_bias};
    lumen_model_desc desc = linear_desc(&ramp);
    lumen_model *model = new_model(&desc);
    const size_t n = 6;
    /* Window 2, stride 3: [0,2) [3,5) and an empty third window starting at 6 = n. */
    const size_t w2 = 2, s3 = 3;
    /* Window 1, stride 4: [0,1) [4,5) and a third window starting at 8 > n. */
    const size_t w1 = 1, s4 = 4;
    if (model != NULL) {
        check_sparse_case(engine, model, &ramp, &n, 1, &w2, &s3, ones, "1-D window 2 stride 3");
        check_sparse_case(engine, model, &ramp, &n, 1, &w1, &s4, ones, "1-D window 1 stride 4");
    }
    lumen_model_free(model);

    float weights[GRID_OUTPUTS * GRID_LEN], bias[GRID_OUTPUTS], x[GRID_LEN];
    grid_weights(weights, bias);
    grid_inputs(x, 1);
    linear_model grid = {GRID_LEN, 1, weights, bias};
    const size_t shape[2] = {GRID_H, GRID_W};
    desc = linear_desc(&grid);
    desc.input_shape = shape;
    desc.input_rank = 2;
    model = new_model(&desc);
    /* Rows: starts 0, 2, 4 with window 1, so the third row window starts at 4 = GRID_H. */
    const size_t window[2] = {1, 2}, strides[2] = {2, 2};
    if (model != NULL) {
        check_sparse_case(engine, model, &grid, shape, 2, window, strides, x, "2-D window 1x2 stride 2x2");
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Audit JSON and version.                                                             */

static void test_json_and_version(void) {
    SECTION("audit JSON, seed and library version");
    char expected_version[64];
    snprintf(expected_version, sizeof expected_version, "%d.%d.%d", LUMEN_VERSION_MAJOR, LUMEN_VERSION_MINOR,
             LUMEN_VERSION_PATCH);
    CHECK(strcmp(lumen_version(), expected_version) == 0);

    lumen_engine *engine = new_engine(2, AUDIT_SEED);
    linear_model m = {6, 1, ramp_weights, ramp_bias};
    lumen_model_desc desc = linear_desc(&m);
    lumen_model *model = new_model(&desc);
    if (engine == NULL || model == NULL) {
        lumen_engine_free(engine);
        lumen_model_free(model);
        return;
    }
    const size_t window = 3;
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = &window;
    options.window_rank = 1;
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_occlusion(engine, model, ones, 6, 1, &options, &ex))) {
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json)) && CHECK(json != NULL)) {
            char needle[128];
            CHECK(json[0] == '{');
            CHECK_CONTAINS(json, "\"method\":\"occlusion\"");
            snprintf(needle, sizeof needle, "\"seed\":%" PRIu64, AUDIT_SEED);
            CHECK_CONTAINS(json, needle);
            snprintf(needle, sizeof needle, "\"library_version\":\"%s\"", lumen_version());
            CHECK_CONTAINS(json, needle);
            CHECK_CONTAINS(json, "\"backend\":\"cpu\"");
            CHECK_CONTAINS(json, "\"window_shape\":[3]");
            /* The JSON is deterministic: a second serialisation is the same text. */
            char *again = NULL;
            CHECK_OK(lumen_explanation_to_json(ex, &again));
            CHECK(again != NULL && strcmp(json, again) == 0);
            lumen_string_free(again);
        }
        lumen_string_free(json);
    }
    lumen_explanation_free(ex);
    lumen_model_free(model);
    lumen_engine_free(engine);
}

/* ---------------------------------------------------------------------------------- */
/* Determinism across thread counts.                                                    */

/* Rows for the determinism run: enough work for many batches. */
#define DET_ROWS 5
/* Small batches so that several engine threads really share the work. */
#define DET_BATCH 3

static void test_determinism(void) {
    SECTION("determinism: 1, 2 and 8 threads give bit-identical results");
    float weights[GRID_OUTPUTS * GRID_LEN], bias[GRID_OUTPUTS];
    grid_weights(weights, bias);
    /* Irregular values so that any change in summation order would change low bits. */
    for (size_t i = 0; i < GRID_OUTPUTS * GRID_LEN; i++) {
        weights[i] += 0.001f * (float)(i % 7) / 3.0f;
    }
    linear_model m = {GRID_LEN, GRID_OUTPUTS, weights, bias};
    const size_t shape[2] = {GRID_H, GRID_W};
    lumen_model_desc desc = linear_desc(&m);
    desc.input_shape = shape;
    desc.input_rank = 2;
    desc.flags = LUMEN_MODEL_CONCURRENT; /* linear_predict only reads shared state */
    lumen_model *model = new_model(&desc);
    float x[DET_ROWS * GRID_LEN];
    for (size_t i = 0; i < DET_ROWS * GRID_LEN; i++) {
        x[i] = (float)((i * 37) % 23) / 7.0f - 1.3f;
    }
    const size_t window[2] = {2, 3}, strides[2] = {1, 2};
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = window;
    options.window_rank = 2;
    options.strides = strides;
    options.strides_rank = 2;
    options.baseline_scalar = 0.1f;
    options.perturbations_per_eval = DET_BATCH;

    const uint32_t threads[3] = {1, 2, 8};
    const size_t len = DET_ROWS * GRID_OUTPUTS * GRID_LEN;
    float results[3][DET_ROWS * GRID_OUTPUTS * GRID_LEN];
    char *json[3] = {NULL, NULL, NULL};
    int all_ok = model != NULL;
    for (size_t t = 0; t < 3 && all_ok; t++) {
        lumen_engine *engine = new_engine(threads[t], 7);
        lumen_explanation *ex = NULL;
        all_ok = engine != NULL &&
                 CHECK_OK(lumen_engine_explain_occlusion(engine, model, x, DET_ROWS * GRID_LEN, DET_ROWS, &options, &ex)) &&
                 CHECK_OK(lumen_explanation_attributions(ex, results[t], len)) &&
                 CHECK_OK(lumen_explanation_to_json(ex, &json[t]));
        lumen_explanation_free(ex);
        lumen_engine_free(engine);
    }
    if (all_ok) {
        CHECK(memcmp(results[0], results[1], sizeof results[0]) == 0);
        CHECK(memcmp(results[0], results[2], sizeof results[0]) == 0);
        CHECK(strcmp(json[0], json[1]) == 0);
        CHECK(strcmp(json[0], json[2]) == 0);
    }
    for (size_t t = 0; t < 3; t++) {
        lumen_string_free(json[t]);
    }
    lumen_model_free(model);
}

int main(void) {
    /* Four threads: the happy path runs on a multi-threaded engine. */
    lumen_engine *engine = new_engine(4, 0);
    if (engine != NULL) {
        uint32_t backend = 99;
        CHECK_OK(lumen_engine_backend(engine, &backend));
        CHECK(backend == LUMEN_BACKEND_CPU);
        test_1d_hand_computed(engine);
        test_2d_hand_computed(engine);
        test_2d_reference(engine);
        test_stride_larger_than_window(engine);
    }
    lumen_engine_free(engine);
    test_json_and_version();
    test_determinism();
    return harness_report("test_occlusion");
}
