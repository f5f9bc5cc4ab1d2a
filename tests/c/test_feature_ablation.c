/*
 * test_feature_ablation.c: lumen_engine_explain_feature_ablation on models written in C:
 * feature masks, per-element and per-group layouts, completeness gaps, baselines,
 * targets, group names in the audit JSON.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

/* Inputs and weights below are small multiples of 1/2 and 1/4, so every model output is
 * exact in float; the tolerance only absorbs rounding of the final float conversion. */
#define TOLERANCE 1e-5
/* Completeness gaps are sums of float deltas, computed in double. */
#define GAP_TOLERANCE 1e-4

/* Element i of the 1-D model has weight i + 1. */
#define N 6
static const float ramp_weights[N] = {1, 2, 3, 4, 5, 6};
static const float ramp_bias[1] = {0.5f};
/* Contributions w_i x_i at baseline 0: {1, 4, 9, 2, -5, 12}, f(x) = 23.5, f(0) = 0.5. */
static const float ramp_x[N] = {1, 2, 3, 0.5f, -1, 2};
/* Groups {0,1}, {2,5}, {3,4}: group deltas 1+4 = 5, 9+12 = 21, 2-5 = -3. */
static const uint32_t ramp_mask[N] = {0, 0, 1, 2, 2, 1};
#define RAMP_GROUPS 3

/* Runs feature ablation and returns the explanation (NULL and a failed check on failure). */
static lumen_explanation *ablate(lumen_engine *engine, lumen_model *model, const float *x, size_t inputs_len,
                                 size_t rows, const lumen_feature_ablation_options *options) {
    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_feature_ablation(engine, model, x, inputs_len, rows, options, &ex))) {
        return NULL;
    }
    return ex;
}

/* Records that the explanation has `rows × outputs` gaps, all within GAP_TOLERANCE of `want`. */
static void check_gaps(const lumen_explanation *ex, size_t rows, size_t outputs, const double *want) {
    double gaps[64];
    size_t n = rows * outputs;
    if (!CHECK(n <= COUNT_OF(gaps)) || !CHECK_OK(lumen_explanation_completeness_gaps(ex, gaps, n))) {
        return;
    }
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double expected = want != NULL ? want[i] : 0.0;
        if (gaps[i] - expected > GAP_TOLERANCE || gaps[i] - expected < -GAP_TOLERANCE) {
            fprintf(stderr, "     gap[%zu] = %.9g, expected %.9g\n", i, gaps[i], expected);
            bad++;
        }
    }
    CHECK(bad == 0);
    for (size_t r = 0; r < rows; r++) {
        lumen_row_diagnostics diag;
        CHECK_OK(lumen_explanation_row_diagnostics(ex, r, &diag));
        CHECK(diag.has_completeness_gap == 1);
    }
}

static void test_hand_computed(lumen_engine *engine) {
    SECTION("1-D feature ablation with a mask, hand-computed");
    linear_model m = {N, 1, ramp_weights, ramp_bias};
    lumen_model_desc desc = linear_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    options.feature_mask = ramp_mask;
    options.feature_mask_len = N;

    /* group_attributions = 0: every element carries its group's value (Captum's layout). */
    lumen_explanation *ex = ablate(engine, model, ramp_x, N, 1, &options);
    if (ex != NULL) {
        const double per_element[N] = {5, 5, 21, -3, -3, 21};
        float got[N];
        lumen_attribution_shape shape;
        CHECK_OK(lumen_explanation_shape(ex, &shape));
        CHECK(shape.rows == 1 && shape.outputs == 1 && shape.features == N &&
              shape.feature_axis == LUMEN_FEATURE_AXIS_ELEMENTS);
        CHECK_OK(lumen_explanation_attributions(ex, got, N));
        check_values(got, per_element, N, TOLERANCE, "per element");
        float fx = 0, fb = 0;
        CHECK_OK(lumen_explanation_predictions(ex, &fx, 1));
        CHECK_OK(lumen_explanation_base_values(ex, &fb, 1));
        CHECK(fx == 23.5f);
        CHECK(fb == 0.5f);
        check_gaps(ex, 1, 1, NULL);
        /* The input row, the scalar baseline row and one row per group. */
        uint64_t evaluated = 0;
        CHECK_OK(lumen_explanation_model_rows_evaluated(ex, &evaluated));
        CHECK(evaluated == 1 + 1 + RAMP_GROUPS);
        lumen_row_diagnostics diag;
        CHECK_OK(lumen_explanation_row_diagnostics(ex, 0, &diag));
        CHECK(diag.model_rows_evaluated == 1 + RAMP_GROUPS);
        CHECK_FAILS(lumen_explanation_row_diagnostics(ex, 1, &diag), LUMEN_STATUS_INVALID_ARGUMENT, "row");
        lumen_explanation_free(ex);
    }

    /* group_attributions = 1: one value per group, with the group names in the JSON. */
    const char *const names[RAMP_GROUPS] = {"head", "odd pair", "middle"};
    options.group_attributions = 1;
    options.group_names = names;
    options.group_names_len = RAMP_GROUPS;
    ex = ablate(engine, model, ramp_x, N, 1, &options);
    if (ex != NULL) {
        const double per_group[RAMP_GROUPS] = {5, 21, -3};
        float got[RAMP_GROUPS];
        lumen_attribution_shape shape;
        CHECK_OK(lumen_explanation_shape(ex, &shape));
        CHECK(shape.rows == 1 && shape.outputs == 1 && shape.features == RAMP_GROUPS &&
              shape.feature_axis == LUMEN_FEATURE_AXIS_GROUPS);
        CHECK_OK(lumen_explanation_attributions(ex, got, RAMP_GROUPS));
        check_values(got, per_group, RAMP_GROUPS, TOLERANCE, "per group");
        check_gaps(ex, 1, 1, NULL);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"feature_ablation\"");
            CHECK_CONTAINS(json, "\"feature_names\":[\"head\",\"odd pair\",\"middle\"]");
            CHECK_CONTAINS(json, "\"group_attributions\":true");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* A non-linear model, f(x) = x0 · x1: ablating each element alone gives deltas x0·x1 and
 * x0·x1 (baseline 0), so the completeness gap is 2·x0·x1 − x0·x1 = x0·x1, not 0. */
static int32_t product_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        outputs[r] = inputs[2 * r] * inputs[2 * r + 1];
    }
    return 0;
}

static void test_gap_of_a_nonlinear_model(lumen_engine *engine) {
    SECTION("completeness gap is reported (non-zero) for a non-linear model");
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.input_len = 2;
    desc.output_len = 1;
    desc.predict = product_predict;
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const float x[4] = {3, 2, -1.5f, 4}; /* two rows: products 6 and -6 */
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    lumen_explanation *ex = ablate(engine, model, x, 4, 2, &options);
    if (ex != NULL) {
        const double want_gaps[2] = {6, -6};
        check_gaps(ex, 2, 1, want_gaps);
        const double want[4] = {6, 6, -6, -6};
        float got[4];
        CHECK_OK(lumen_explanation_attributions(ex, got, 4));
        check_values(got, want, 4, TOLERANCE, "product model");
        /* Too small a gap buffer: BUFFER_TOO_SMALL and the buffer untouched. */
        double gaps[2] = {-7, -7};
        CHECK_FAILS(lumen_explanation_completeness_gaps(ex, gaps, 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
        CHECK(gaps[0] == -7 && gaps[1] == -7);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* Rows and outputs of the multi-row runs. */
#define ROWS 3
#define OUTPUTS 2

static void test_rows_baselines_targets(lumen_engine *engine) {
    SECTION("several rows, per-row and shared baselines, targets of a two-output model");
    float weights[OUTPUTS * N], bias[OUTPUTS], x[ROWS * N], per_row[ROWS * N];
    for (size_t o = 0; o < OUTPUTS; o++) {
        for (size_t i = 0; i < N; i++) {
            weights[o * N + i] = (float)((int)((i * 5 + o * 2) % 7) - 3) * 0.5f;
        }
        bias[o] = (float)o - 0.25f;
    }
    for (size_t i = 0; i < ROWS * N; i++) {
        x[i] = (float)((int)((i * 11) % 9) - 4) * 0.5f;
        per_row[i] = (float)(i % 4) * 0.25f;
    }
    linear_model m = {N, OUTPUTS, weights, bias};
    lumen_model_desc desc = linear_desc(&m);
    desc.flags = LUMEN_MODEL_CONCURRENT; /* linear_predict only reads shared state */
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }

    for (int per_row_baseline = 0; per_row_baseline <= 1; per_row_baseline++) {
        for (uint32_t grouped = 0; grouped <= 1; grouped++) {
            /* Explain output 1 only; with the mask, groups {0,1}, {2,5}, {3,4}. */
            const uint32_t target = 1;
            lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
            options.baseline = per_row;
            options.baseline_len = per_row_baseline ? ROWS * N : N;
            options.targets = &target;
            options.targets_len = 1;
            options.feature_mask = ramp_mask;
            options.feature_mask_len = N;
            options.group_attributions = grouped;
            lumen_explanation *ex = ablate(engine, model, x, ROWS * N, ROWS, &options);
            if (ex == NULL) {
                continue;
            }
            size_t features = grouped ? RAMP_GROUPS : N;
            float got[ROWS * N];
            double want[ROWS * N];
            uint32_t outputs[OUTPUTS] = {99, 99};
            CHECK_OK(lumen_explanation_outputs(ex, outputs, OUTPUTS));
            CHECK(outputs[0] == target && outputs[1] == 99);
            for (size_t r = 0; r < ROWS; r++) {
                const float *b = per_row + (per_row_baseline ? r * N : 0);
                double group_delta[RAMP_GROUPS] = {0, 0, 0};
                for (size_t i = 0; i < N; i++) {
                    group_delta[ramp_mask[i]] += (double)weights[target * N + i] * ((double)x[r * N + i] - b[i]);
                }
                for (size_t f = 0; f < features; f++) {
                    want[r * features + f] = grouped ? group_delta[f] : group_delta[ramp_mask[f]];
                }
            }
            CHECK_OK(lumen_explanation_attributions(ex, got, ROWS * features));
            check_values(got, want, ROWS * features, TOLERANCE, grouped ? "groups" : "elements");
            check_gaps(ex, ROWS, 1, NULL);
            /* Rows, their baselines (one shared row or one per row) and 3 groups per row. */
            uint64_t evaluated = 0;
            CHECK_OK(lumen_explanation_model_rows_evaluated(ex, &evaluated));
            CHECK(evaluated == ROWS + (per_row_baseline ? ROWS : 1) + ROWS * RAMP_GROUPS);
            lumen_explanation_free(ex);
        }
    }

    /* Every output, each element its own group: attribution = W[o][i] (x_i − 0.75). */
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    options.baseline_scalar = 0.75f;
    lumen_explanation *ex = ablate(engine, model, x, ROWS * N, ROWS, &options);
    if (ex != NULL) {
        float got[ROWS * OUTPUTS * N];
        double want[ROWS * OUTPUTS * N];
        for (size_t r = 0; r < ROWS; r++) {
            for (size_t o = 0; o < OUTPUTS; o++) {
                for (size_t i = 0; i < N; i++) {
                    want[(r * OUTPUTS + o) * N + i] = (double)weights[o * N + i] * ((double)x[r * N + i] - 0.75);
                }
            }
        }
        CHECK_OK(lumen_explanation_attributions(ex, got, ROWS * OUTPUTS * N));
        check_values(got, want, ROWS * OUTPUTS * N, TOLERANCE, "all outputs, scalar baseline");
        check_gaps(ex, ROWS, OUTPUTS, NULL);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

static void test_2d_mask(lumen_engine *engine) {
    SECTION("feature ablation over a 4x5 input with quadrant groups");
    enum { H = 4, W = 5, LEN = H * W, GROUPS = 4 };
    float weights[LEN], x[LEN];
    const float bias[1] = {2};
    uint32_t mask[LEN];
    for (size_t i = 0; i < LEN; i++) {
        size_t row = i / W, col = i % W;
        weights[i] = (float)((int)(i % 5) - 2) * 0.5f;
        x[i] = (float)(i % 3) + 0.5f;
        mask[i] = (uint32_t)((row >= 2) * 2 + (col >= 3)); /* quadrants, the right ones 2 wide */
    }
    linear_model m = {LEN, 1, weights, bias};
    const size_t shape[2] = {H, W};
    lumen_model_desc desc = linear_desc(&m);
    desc.input_shape = shape;
    desc.input_rank = 2;
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    options.feature_mask = mask;
    options.feature_mask_len = LEN;
    options.group_attributions = 1;
    lumen_explanation *ex = ablate(engine, model, x, LEN, 1, &options);
    if (ex != NULL) {
        double want[GROUPS] = {0, 0, 0, 0};
        for (size_t i = 0; i < LEN; i++) {
            want[mask[i]] += (double)weights[i] * x[i];
        }
        float got[GROUPS];
        CHECK_OK(lumen_explanation_attributions(ex, got, GROUPS));
        check_values(got, want, GROUPS, TOLERANCE, "quadrants");
        check_gaps(ex, 1, 1, NULL);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

int main(void) {
    /* Three threads: the happy path runs on a multi-threaded engine. */
    lumen_engine *engine = new_engine(3, 0);
    if (engine != NULL) {
        test_hand_computed(engine);
        test_gap_of_a_nonlinear_model(engine);
        test_rows_baselines_targets(engine);
        test_2d_mask(engine);
    }
    lumen_engine_free(engine);
    return harness_report("test_feature_ablation");
}
