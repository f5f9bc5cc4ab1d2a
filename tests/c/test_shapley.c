/*
 * test_shapley.c: lumen_engine_explain_kernel_shap and lumen_engine_explain_shapley_sampling
 * on models written in C, against Shapley values computed here from the definition
 * (shapley_models.h): exact and sampled KernelSHAP, local accuracy, standard errors,
 * players and their names, reason codes, the logit link, Shapley Value Sampling,
 * determinism across thread counts, and every documented error.
 */

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"
#include "shapley_models.h"

/* Exact methods against the brute-force definition. */
#define EXACT_TOLERANCE 1e-5
/* Sampled estimates of additive games (exact up to float rounding). */
#define LINEAR_TOLERANCE 1e-4
/* Local accuracy: Σφ + base − prediction, in the f32 values reported. */
#define GAP_TOLERANCE 1e-4
/* How many standard errors a sampled estimate may stray from the exact value. */
#define SE_BOUND 6.0
/* Value stored in buffers that a failing call must leave untouched. */
#define UNTOUCHED (-12345.0f)

/* Opaque, never-dereferenced pointer value that a failing call must leave in `out`. */
static char sentinel_storage;
#define SENTINEL ((lumen_explanation *)(void *)&sentinel_storage)

/* Records that every one of the `n` local-accuracy gaps is within GAP_TOLERANCE of 0, and
 * that Σφ + base == prediction holds for the values the getters return. */
static void check_local_accuracy(const lumen_explanation *ex) {
    lumen_attribution_shape shape;
    if (!CHECK_OK(lumen_explanation_shape(ex, &shape))) {
        return;
    }
    size_t n = shape.rows * shape.outputs, len = n * shape.features;
    double *gaps = (double *)malloc(n * sizeof(double));
    float *phi = (float *)malloc(len * sizeof(float));
    float *pred = (float *)malloc(n * sizeof(float));
    float *base = (float *)malloc(n * sizeof(float));
    if (CHECK(gaps != NULL && phi != NULL && pred != NULL && base != NULL) &&
        CHECK_OK(lumen_explanation_completeness_gaps(ex, gaps, n)) &&
        CHECK_OK(lumen_explanation_attributions(ex, phi, len)) &&
        CHECK_OK(lumen_explanation_predictions(ex, pred, n)) && CHECK_OK(lumen_explanation_base_values(ex, base, n))) {
        size_t bad = 0;
        for (size_t k = 0; k < n; k++) {
            double sum = 0.0;
            for (size_t f = 0; f < shape.features; f++) {
                sum += phi[k * shape.features + f];
            }
            double direct = sum + base[k] - pred[k];
            if (!(fabs(gaps[k]) <= GAP_TOLERANCE && fabs(direct) <= GAP_TOLERANCE)) {
                fprintf(stderr, "     local accuracy [%zu]: gap %.9g, Σφ + base − f(x) = %.9g\n", k, gaps[k], direct);
                bad++;
            }
        }
        CHECK(bad == 0);
        for (size_t r = 0; r < shape.rows; r++) {
            lumen_row_diagnostics diag;
            CHECK_OK(lumen_explanation_row_diagnostics(ex, r, &diag));
            CHECK(diag.has_completeness_gap == 1 && diag.model_rows_evaluated > 0);
        }
    }
    free(gaps);
    free(phi);
    free(pred);
    free(base);
}

/* Copies the standard errors (len floats) into a new buffer; NULL and a failed check on failure. */
static float *standard_errors(const lumen_explanation *ex, size_t len) {
    float *se = (float *)malloc(len * sizeof(float));
    if (!CHECK(se != NULL) || !CHECK_OK(lumen_explanation_standard_errors(ex, se, len))) {
        free(se);
        return NULL;
    }
    return se;
}

static lumen_explanation *kernel(lumen_engine *engine, lumen_model *model, const float *x, size_t inputs_len,
                                 size_t rows, const lumen_kernel_shap_options *options) {
    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_kernel_shap(engine, model, x, inputs_len, rows, options, &ex))) {
        return NULL;
    }
    return ex;
}

static lumen_explanation *sampling(lumen_engine *engine, lumen_model *model, const float *x, size_t inputs_len,
                                   size_t rows, const lumen_shapley_sampling_options *options) {
    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_shapley_sampling(engine, model, x, inputs_len, rows, options, &ex))) {
        return NULL;
    }
    return ex;
}

/* ---------------------------------------------------------------------------------- */
/* KernelSHAP, exact mode.                                                              */

#define EX_N 6
#define EX_OUTPUTS 2
#define EX_ROWS 2
#define EX_BG 3

static void test_kernel_exact(lumen_engine *engine) {
    SECTION("KernelSHAP exact mode (M = 6) equals brute-force Shapley values of a non-linear model");
    poly_model m = {EX_N, EX_OUTPUTS};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[EX_ROWS * EX_N], background[EX_BG * EX_N];
    fill(x, EX_ROWS * EX_N, 1);
    fill(background, EX_BG * EX_N, 2);
    const double weights[EX_BG] = {1, 2, 5};
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    CHECK(options.budget == 0 && options.error_batches == 0 && options.game.link == LUMEN_LINK_IDENTITY);
    CHECK(options.game.background == NULL && options.game.background_len == 0 && options.game.players_len == 0);
    options.game.background = background;
    options.game.background_len = EX_BG * EX_N;
    options.game.background_weights = weights;
    options.game.background_weights_len = EX_BG;
    lumen_explanation *ex = kernel(engine, model, x, EX_ROWS * EX_N, EX_ROWS, &options);
    if (ex != NULL) {
        enum { LEN = EX_ROWS * EX_OUTPUTS * EX_N };
        double want[LEN], want_base[EX_ROWS * EX_OUTPUTS], want_pred[EX_ROWS * EX_OUTPUTS];
        int ok = 1;
        for (size_t r = 0; r < EX_ROWS; r++) {
            for (size_t o = 0; o < EX_OUTPUTS; o++) {
                size_t k = r * EX_OUTPUTS + o;
                ok &= brute_force_shapley(poly_predict, &m, EX_N, EX_OUTPUTS, o, x + r * EX_N, background, weights,
                                          EX_BG, NULL, EX_N, want + k * EX_N, want_base + k, want_pred + k);
            }
        }
        CHECK(ok);
        lumen_attribution_shape shape;
        CHECK_OK(lumen_explanation_shape(ex, &shape));
        CHECK(shape.rows == EX_ROWS && shape.outputs == EX_OUTPUTS && shape.features == EX_N &&
              shape.feature_axis == LUMEN_FEATURE_AXIS_ELEMENTS);
        float got[LEN], base[EX_ROWS * EX_OUTPUTS], pred[EX_ROWS * EX_OUTPUTS];
        CHECK_OK(lumen_explanation_attributions(ex, got, LEN));
        check_values(got, want, LEN, EXACT_TOLERANCE, "exact KernelSHAP");
        CHECK_OK(lumen_explanation_base_values(ex, base, EX_ROWS * EX_OUTPUTS));
        CHECK_OK(lumen_explanation_predictions(ex, pred, EX_ROWS * EX_OUTPUTS));
        check_values(base, want_base, EX_ROWS * EX_OUTPUTS, EXACT_TOLERANCE, "base values Σ_b w_b f(b)");
        check_values(pred, want_pred, EX_ROWS * EX_OUTPUTS, EXACT_TOLERANCE, "predictions f(x)");
        check_local_accuracy(ex);
        /* Every coalition was enumerated: every standard error is exactly 0. */
        float *se = standard_errors(ex, LEN);
        if (se != NULL) {
            size_t nonzero = 0;
            for (size_t i = 0; i < LEN; i++) {
                nonzero += se[i] != 0.0f;
            }
            CHECK(nonzero == 0);
        }
        free(se);
        /* Too small a buffer: BUFFER_TOO_SMALL and the buffer untouched. */
        float small[2] = {UNTOUCHED, UNTOUCHED};
        CHECK_FAILS(lumen_explanation_standard_errors(ex, small, 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
        CHECK(small[0] == UNTOUCHED && small[1] == UNTOUCHED);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"kernel_shap\"");
            CHECK_CONTAINS(json, "\"budget\":2060"); /* 2M + 2048 with M = 6 */
        }
        lumen_string_free(json);
        /* Unnamed elements of a model without feature names. */
        const char *name = NULL;
        CHECK_OK(lumen_explanation_feature_name(ex, 3, &name));
        CHECK(name != NULL && strcmp(name, "feature 3") == 0);
        lumen_explanation_free(ex);
    }

    /* Only output 1, uniform weights. */
    const uint32_t target = 1;
    options.game.targets = &target;
    options.game.targets_len = 1;
    options.game.background_weights_len = 0;
    ex = kernel(engine, model, x, EX_ROWS * EX_N, EX_ROWS, &options);
    if (ex != NULL) {
        double want[EX_ROWS * EX_N];
        int ok = 1;
        for (size_t r = 0; r < EX_ROWS; r++) {
            ok &= brute_force_shapley(poly_predict, &m, EX_N, EX_OUTPUTS, target, x + r * EX_N, background, NULL,
                                      EX_BG, NULL, EX_N, want + r * EX_N, NULL, NULL);
        }
        CHECK(ok);
        float got[EX_ROWS * EX_N];
        uint32_t outputs[2] = {99, 99};
        CHECK_OK(lumen_explanation_outputs(ex, outputs, 2));
        CHECK(outputs[0] == target && outputs[1] == 99);
        CHECK_OK(lumen_explanation_attributions(ex, got, EX_ROWS * EX_N));
        check_values(got, want, EX_ROWS * EX_N, EXACT_TOLERANCE, "exact KernelSHAP, output 1, uniform weights");
        check_local_accuracy(ex);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* A small memory budget splits the coalitions into many chunks and model calls. */
static void test_small_memory_budget(void) {
    SECTION("KernelSHAP exact mode (M = 8) with a 56 KiB memory budget: 35 KB held, batches chunked, same values");
    enum { N = 8, OUTPUTS = 2, BG = 3 };
    lumen_engine_options eo = lumen_engine_options_default();
    eo.backend = LUMEN_BACKEND_CPU;
    eo.threads = 3;
    eo.memory_budget_bytes = 56 << 10;
    lumen_engine *engine = NULL;
    if (!CHECK_OK(lumen_engine_new(&eo, &engine))) {
        return;
    }
    poly_model m = {N, OUTPUTS};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    float x[N], background[BG * N];
    fill(x, N, 17);
    fill(background, BG * N, 18);
    const double weights[BG] = {3, 1, 1};
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    options.game.background = background;
    options.game.background_len = BG * N;
    options.game.background_weights = weights;
    options.game.background_weights_len = BG;
    lumen_explanation *ex = model != NULL ? kernel(engine, model, x, N, 1, &options) : NULL;
    if (ex != NULL) {
        double want[OUTPUTS * N];
        int ok = 1;
        for (size_t o = 0; o < OUTPUTS; o++) {
            ok &= brute_force_shapley(poly_predict, &m, N, OUTPUTS, o, x, background, weights, BG, NULL, N,
                                      want + o * N, NULL, NULL);
        }
        CHECK(ok);
        float got[OUTPUTS * N];
        CHECK_OK(lumen_explanation_attributions(ex, got, OUTPUTS * N));
        check_values(got, want, OUTPUTS * N, EXACT_TOLERANCE, "exact KernelSHAP, chunked");
        check_local_accuracy(ex);
        /* Every coalition but the empty and the full one over every background row, the
         * background alone (the empty coalition) and the row itself. */
        uint64_t evaluated = 0;
        CHECK_OK(lumen_explanation_model_rows_evaluated(ex, &evaluated));
        CHECK(evaluated == ((1u << N) - 2) * BG + BG + 1);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
    lumen_engine_free(engine);
}

/* ---------------------------------------------------------------------------------- */
/* Players (groups of elements) and their names.                                        */

#define GR_N 8
#define GR_M 4
static const uint32_t group_of[GR_N] = {0, 0, 1, 2, 2, 3, 1, 3};
static const char *const group_names[GR_M] = {"age", "income", "debt", "history"};

static void test_players_and_names(lumen_engine *engine) {
    SECTION("players map and player names (KernelSHAP exact and Shapley Value Sampling)");
    poly_model m = {GR_N, 1};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[GR_N], background[2 * GR_N];
    fill(x, GR_N, 3);
    fill(background, 2 * GR_N, 4);
    double want[GR_M];
    CHECK(brute_force_shapley(poly_predict, &m, GR_N, 1, 0, x, background, NULL, 2, group_of, GR_M, want, NULL,
                              NULL));

    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    options.game.background = background;
    options.game.background_len = 2 * GR_N;
    options.game.players = group_of;
    options.game.players_len = GR_N;
    options.game.player_names = group_names;
    options.game.player_names_len = GR_M;
    lumen_explanation *ex = kernel(engine, model, x, GR_N, 1, &options);
    if (ex != NULL) {
        lumen_attribution_shape shape;
        CHECK_OK(lumen_explanation_shape(ex, &shape));
        CHECK(shape.rows == 1 && shape.outputs == 1 && shape.features == GR_M &&
              shape.feature_axis == LUMEN_FEATURE_AXIS_GROUPS);
        float got[GR_M];
        CHECK_OK(lumen_explanation_attributions(ex, got, GR_M));
        check_values(got, want, GR_M, EXACT_TOLERANCE, "grouped players");
        check_local_accuracy(ex);
        for (size_t f = 0; f < GR_M; f++) {
            const char *name = NULL;
            CHECK_OK(lumen_explanation_feature_name(ex, f, &name));
            CHECK(name != NULL && strcmp(name, group_names[f]) == 0);
            /* The string belongs to the explanation: the same pointer every time. */
            const char *again = NULL;
            CHECK_OK(lumen_explanation_feature_name(ex, f, &again));
            CHECK(again == name);
        }
        const char *name = "untouched";
        CHECK_FAILS(lumen_explanation_feature_name(ex, GR_M, &name), LUMEN_STATUS_INVALID_ARGUMENT, "feature");
        CHECK(strcmp(name, "untouched") == 0);
        CHECK_FAILS(lumen_explanation_feature_name(ex, 0, NULL), LUMEN_STATUS_NULL_POINTER, "out");
        CHECK_FAILS(lumen_explanation_feature_name(NULL, 0, &name), LUMEN_STATUS_NULL_POINTER, "explanation");
        CHECK(strcmp(name, "untouched") == 0);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"feature_names\":[\"age\",\"income\",\"debt\",\"history\"]");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }

    /* The same game by Shapley Value Sampling: grouped, within its standard errors. */
    lumen_shapley_sampling_options sopt = lumen_shapley_sampling_options_default();
    sopt.game = options.game;
    sopt.permutation_pairs = 8;
    ex = sampling(engine, model, x, GR_N, 1, &sopt);
    if (ex != NULL) {
        float got[GR_M], se[GR_M];
        CHECK_OK(lumen_explanation_attributions(ex, got, GR_M));
        CHECK_OK(lumen_explanation_standard_errors(ex, se, GR_M));
        size_t bad = 0;
        for (size_t f = 0; f < GR_M; f++) {
            bad += !(fabs(got[f] - want[f]) <= SE_BOUND * se[f] + LINEAR_TOLERANCE);
        }
        CHECK(bad == 0);
        check_local_accuracy(ex);
        const char *name = NULL;
        CHECK_OK(lumen_explanation_feature_name(ex, 2, &name));
        CHECK(name != NULL && strcmp(name, "debt") == 0);
        lumen_explanation_free(ex);
    }

    /* A players map without names: "feature N". */
    options.game.player_names_len = 0;
    ex = kernel(engine, model, x, GR_N, 1, &options);
    if (ex != NULL) {
        const char *name = NULL;
        CHECK_OK(lumen_explanation_feature_name(ex, 1, &name));
        CHECK(name != NULL && strcmp(name, "feature 1") == 0);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);

    /* One player per element and no player names: the model's feature names. */
    static const char *const model_names[GR_N] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    desc.feature_names = model_names;
    desc.feature_names_len = GR_N;
    model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    options.game.players_len = 0;
    ex = kernel(engine, model, x, GR_N, 1, &options);
    if (ex != NULL) {
        for (size_t f = 0; f < GR_N; f++) {
            const char *name = NULL;
            CHECK_OK(lumen_explanation_feature_name(ex, f, &name));
            CHECK(name != NULL && strcmp(name, model_names[f]) == 0);
        }
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* KernelSHAP, sampled mode, on linear models.                                          */

/* Expected Shapley values of a linear model: w_i (x_i − Σ_b ŵ_b b_i). */
static void linear_shapley(const float *w, const float *x, const float *background, const double *weights,
                           size_t bg_rows, size_t n, double *out) {
    double total = 0.0;
    for (size_t b = 0; b < bg_rows; b++) {
        total += weights != NULL ? weights[b] : 1.0;
    }
    for (size_t i = 0; i < n; i++) {
        double mean = 0.0;
        for (size_t b = 0; b < bg_rows; b++) {
            mean += (weights != NULL ? weights[b] : 1.0) / total * (double)background[b * n + i];
        }
        out[i] = (double)w[i] * ((double)x[i] - mean);
    }
}

static void check_sampled_linear(lumen_engine *engine, size_t n, size_t budget, const char *label) {
    enum { MAX_N = 16, BG = 3 };
    float w[MAX_N], x[MAX_N], background[BG * MAX_N];
    const float bias[1] = {0.75f};
    const double weights[BG] = {0.5, 1.5, 2};
    fill(w, n, 5);
    fill(x, n, 6);
    fill(background, BG * n, 7);
    linear_model m = {n, 1, w, bias};
    lumen_model_desc desc = linear_desc(&m);
    desc.flags = LUMEN_MODEL_CONCURRENT;
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    options.game.background = background;
    options.game.background_len = BG * n;
    options.game.background_weights = weights;
    options.game.background_weights_len = BG;
    options.budget = budget;
    lumen_explanation *ex = kernel(engine, model, x, n, 1, &options);
    if (ex != NULL) {
        double want[MAX_N];
        float got[MAX_N];
        linear_shapley(w, x, background, weights, BG, n, want);
        CHECK_OK(lumen_explanation_attributions(ex, got, n));
        check_values(got, want, n, LINEAR_TOLERANCE, label);
        check_local_accuracy(ex);
        float *se = standard_errors(ex, n);
        if (se != NULL) {
            size_t bad = 0;
            for (size_t i = 0; i < n; i++) {
                bad += !(se[i] >= 0.0f && isfinite(se[i]));
            }
            CHECK(bad == 0);
        }
        free(se);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

static void test_kernel_sampled_linear(lumen_engine *engine) {
    SECTION("KernelSHAP sampled mode on linear models: w_i (x_i − E[b_i])");
    check_sampled_linear(engine, 12, 200, "M = 12, budget 200");
    check_sampled_linear(engine, 16, 0, "M = 16, default budget");
}

static void test_kernel_sampled_nonlinear(lumen_engine *engine) {
    SECTION("KernelSHAP sampled mode on a non-linear model: standard errors present and meaningful");
    enum { N = 10, BG = 2 };
    poly_model m = {N, 1};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[N], background[BG * N];
    fill(x, N, 8);
    fill(background, BG * N, 9);
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    options.game.background = background;
    options.game.background_len = BG * N;
    options.budget = 300;
    lumen_explanation *ex = kernel(engine, model, x, N, 1, &options);
    if (ex != NULL) {
        double want[N];
        float got[N];
        CHECK(brute_force_shapley(poly_predict, &m, N, 1, 0, x, background, NULL, BG, NULL, N, want, NULL, NULL));
        CHECK_OK(lumen_explanation_attributions(ex, got, N));
        check_local_accuracy(ex);
        float *se = standard_errors(ex, N);
        if (se != NULL) {
            size_t negative = 0, positive = 0, outside = 0;
            for (size_t i = 0; i < N; i++) {
                negative += !(se[i] >= 0.0f);
                positive += se[i] > 0.0f;
                if (!(fabs(got[i] - want[i]) <= SE_BOUND * se[i] + LINEAR_TOLERANCE)) {
                    fprintf(stderr, "     player %zu: got %.6g, exact %.6g, standard error %.3g\n", i, got[i],
                            want[i], se[i]);
                    outside++;
                }
            }
            CHECK(negative == 0);
            CHECK(positive > 0);
            CHECK(outside == 0);
        }
        free(se);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* KernelSHAP estimators, accuracy-driven budgets, unavailable standard errors.          */

static void test_kernel_estimators_and_targets(lumen_engine *engine) {
    SECTION("KernelSHAP estimators, target_standard_error rounds, thin budgets without standard errors");
    enum { N = 10, BG = 2 };
    poly_model m = {N, 1};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[N], background[BG * N];
    fill(x, N, 8);
    fill(background, BG * N, 9);
    double want[N];
    CHECK(brute_force_shapley(poly_predict, &m, N, 1, 0, x, background, NULL, BG, NULL, N, want, NULL, NULL));
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    CHECK(options.struct_size == sizeof(lumen_kernel_shap_options));
    CHECK(options.estimator == LUMEN_ESTIMATOR_DEFAULT && options.target_standard_error == 0.0 &&
          options.max_budget == 0);
    options.game.background = background;
    options.game.background_len = BG * N;
    options.budget = 300;

    /* Every estimator: one finite value and standard error per player, locally accurate,
     * within SE_BOUND standard errors of the definition. */
    const uint32_t estimators[6] = {LUMEN_ESTIMATOR_DEFAULT,
                                    LUMEN_ESTIMATOR_SHAP,
                                    LUMEN_ESTIMATOR_LEVERAGE,
                                    LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED,
                                    LUMEN_ESTIMATOR_LEVERAGE_INTERACTIONS,
                                    LUMEN_ESTIMATOR_LEVERAGE_TOP_TRIPLES};
    const char *names[6] = {"\"estimator\":\"leverage_top_triples\"", "\"estimator\":\"shap\"",
                            "\"estimator\":\"leverage\"",             "\"estimator\":\"leverage_stratified\"",
                            "\"estimator\":\"leverage_interactions\"", "\"estimator\":\"leverage_top_triples\""};
    for (size_t e = 0; e < 6; e++) {
        options.estimator = estimators[e];
        lumen_explanation *ex = kernel(engine, model, x, N, 1, &options);
        if (ex == NULL) {
            continue;
        }
        lumen_attribution_shape shape;
        if (CHECK_OK(lumen_explanation_shape(ex, &shape))) {
            CHECK(shape.rows == 1 && shape.outputs == 1 && shape.features == N);
        }
        float got[N];
        CHECK_OK(lumen_explanation_attributions(ex, got, N));
        check_local_accuracy(ex);
        float *se = standard_errors(ex, N);
        if (se != NULL) {
            size_t nonfinite = 0, outside = 0;
            for (size_t i = 0; i < N; i++) {
                nonfinite += !(isfinite(got[i]) && isfinite(se[i]) && se[i] >= 0.0f);
                outside += !(fabs(got[i] - want[i]) <= SE_BOUND * se[i] + LINEAR_TOLERANCE);
            }
            CHECK(nonfinite == 0);
            CHECK(outside == 0);
        }
        free(se);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, names[e]);
            CHECK_CONTAINS(json, "\"rounds\":1");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }

    /* A target standard error: rounds until every error is at or below it. */
    options.estimator = LUMEN_ESTIMATOR_DEFAULT;
    options.budget = 0;
    options.target_standard_error = 2e-3;
    options.max_budget = 1000;
    lumen_explanation *ex = kernel(engine, model, x, N, 1, &options);
    if (ex != NULL) {
        float *se = standard_errors(ex, N);
        if (se != NULL) {
            size_t above = 0;
            for (size_t i = 0; i < N; i++) {
                above += !(se[i] <= 2e-3f);
            }
            CHECK(above == 0);
        }
        free(se);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"target_met\":true");
            CHECK_CONTAINS(json, "\"max_budget\":1000");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }

    /* Budget M − 1: the values are identified, their errors are not: NOT_AVAILABLE, never NaN. */
    options.target_standard_error = 0.0;
    options.max_budget = 0;
    options.budget = N - 1;
    ex = kernel(engine, model, x, N, 1, &options);
    if (ex != NULL) {
        check_local_accuracy(ex);
        float se[N];
        se[0] = UNTOUCHED;
        CHECK_FAILS(lumen_explanation_standard_errors(ex, se, N), LUMEN_STATUS_NOT_AVAILABLE, "standard errors");
        CHECK(se[0] == UNTOUCHED);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"standard_errors_available\":false");
            CHECK_CONTAINS(json, "\"standard_errors\":null");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }

    /* Bad values: INVALID_ARGUMENT naming the field, nothing written. */
    options.budget = 300;
    lumen_explanation *out = SENTINEL;
    options.estimator = 7;
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, N, 1, &options, &out),
                LUMEN_STATUS_INVALID_ARGUMENT, "options.estimator");
    options.estimator = LUMEN_ESTIMATOR_DEFAULT;
    const double bad_targets[3] = {-1.0, NAN, INFINITY};
    for (size_t i = 0; i < 3; i++) {
        options.target_standard_error = bad_targets[i];
        CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, N, 1, &options, &out),
                    LUMEN_STATUS_INVALID_ARGUMENT, "target_standard_error");
    }
    options.target_standard_error = 0.0;
    options.max_budget = 500;
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, N, 1, &options, &out),
                LUMEN_STATUS_INVALID_ARGUMENT, "max_budget");
    CHECK(out == SENTINEL);

    /* A caller built against 0.2.0's header (the struct ended after error_batches) gets the
     * defaults of the fields appended since. */
    options.max_budget = 0;
    options.struct_size = offsetof(lumen_kernel_shap_options, target_standard_error);
    options.estimator = 7; /* beyond the old struct: not read */
    ex = kernel(engine, model, x, N, 1, &options);
    if (ex != NULL) {
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"estimator\":\"leverage_top_triples\"");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Standard errors of an unsampled method.                                              */

static void test_standard_errors_not_available(lumen_engine *engine) {
    SECTION("standard errors: NOT_AVAILABLE for occlusion");
    const float w[4] = {1, 2, 3, 4}, bias[1] = {0}, x[4] = {1, 1, 1, 1};
    linear_model m = {4, 1, w, bias};
    lumen_model_desc desc = linear_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    size_t window = 1;
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = &window;
    options.window_rank = 1;
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_occlusion(engine, model, x, 4, 1, &options, &ex))) {
        float se[4] = {UNTOUCHED, UNTOUCHED, UNTOUCHED, UNTOUCHED};
        CHECK_FAILS(lumen_explanation_standard_errors(ex, se, 4), LUMEN_STATUS_NOT_AVAILABLE, "standard errors");
        CHECK(se[0] == UNTOUCHED && se[3] == UNTOUCHED);
        const char *name = NULL;
        CHECK_OK(lumen_explanation_feature_name(ex, 0, &name));
        CHECK(name != NULL && strcmp(name, "feature 0") == 0);
    }
    lumen_explanation_free(ex);
    float se[1] = {UNTOUCHED};
    CHECK_FAILS(lumen_explanation_standard_errors(NULL, se, 1), LUMEN_STATUS_NULL_POINTER, "explanation");
    CHECK(se[0] == UNTOUCHED);
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Reason codes.                                                                         */

#define RC_N 8
/* With a zero background and x = 1 the Shapley values are the weights themselves. */
static const float rc_weights[RC_N] = {3, -2, 0.5f, 5, -7, 1, -1.5f, 4};
static const char *const rc_names[RC_N] = {"w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"};

static int check_codes(const lumen_reason_code *codes, size_t written, const size_t *features, size_t n) {
    int ok = written == n;
    for (size_t i = 0; ok && i < n; i++) {
        ok = codes[i].feature == features[i] && fabs(codes[i].contribution - rc_weights[features[i]]) <= 1e-4;
    }
    if (!ok) {
        fprintf(stderr, "     reason codes: written %zu, expected %zu:", written, n);
        for (size_t i = 0; i < written; i++) {
            fprintf(stderr, " (%zu, %g)", codes[i].feature, (double)codes[i].contribution);
        }
        fprintf(stderr, "\n");
    }
    return ok;
}

static void test_reason_codes(lumen_engine *engine) {
    SECTION("reason codes: order, direction, k and out_len, written count, errors");
    const float bias[1] = {0.25f};
    float x[2 * RC_N], background[RC_N];
    for (size_t i = 0; i < RC_N; i++) {
        x[i] = 1.0f;
        x[RC_N + i] = -1.0f; /* row 1: every contribution flips sign */
        background[i] = 0.0f;
    }
    linear_model m = {RC_N, 1, rc_weights, bias};
    lumen_model_desc desc = linear_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    options.game.background = background;
    options.game.background_len = RC_N;
    options.game.player_names = rc_names;
    options.game.player_names_len = RC_N;
    lumen_explanation *ex = kernel(engine, model, x, 2 * RC_N, 2, &options);
    if (ex == NULL) {
        lumen_model_free(model);
        return;
    }
    lumen_reason_code codes[RC_N];
    size_t written = 99;

    /* Raised, k = 3: w3 (5), w7 (4), w0 (3). */
    const size_t raised[5] = {3, 7, 0, 5, 2};
    CHECK_OK(lumen_explanation_reason_codes(ex, 0, 0, 3, LUMEN_DIRECTION_RAISED, codes, RC_N, &written));
    CHECK(check_codes(codes, written, raised, 3));
    const char *name = NULL;
    CHECK_OK(lumen_explanation_feature_name(ex, codes[0].feature, &name));
    CHECK(name != NULL && strcmp(name, "w3") == 0);

    /* Lowered, k larger than available: only the three negative ones, most negative first. */
    const size_t lowered[3] = {4, 1, 6};
    CHECK_OK(lumen_explanation_reason_codes(ex, 0, 0, 100, LUMEN_DIRECTION_LOWERED, codes, RC_N, &written));
    CHECK(check_codes(codes, written, lowered, 3));

    /* Every raised one when k == out_len == 8: the five positive ones. */
    CHECK_OK(lumen_explanation_reason_codes(ex, 0, 0, RC_N, LUMEN_DIRECTION_RAISED, codes, RC_N, &written));
    CHECK(check_codes(codes, written, raised, 5));

    /* out_len smaller than k: min(k, out_len) codes, the rest of the buffer untouched. */
    for (size_t i = 0; i < RC_N; i++) {
        codes[i].feature = 99;
        codes[i].contribution = UNTOUCHED;
    }
    CHECK_OK(lumen_explanation_reason_codes(ex, 0, 0, 5, LUMEN_DIRECTION_RAISED, codes, 2, &written));
    CHECK(check_codes(codes, written, raised, 2));
    CHECK(codes[2].feature == 99 && codes[2].contribution == UNTOUCHED);

    /* The double export of a float explanation: the same features, the floats widened. */
    lumen_reason_code_f64 wide[RC_N];
    size_t wide_written = 99;
    CHECK_OK(lumen_explanation_reason_codes(ex, 0, 0, RC_N, LUMEN_DIRECTION_RAISED, codes, RC_N, &written));
    CHECK_OK(lumen_explanation_reason_codes_f64(ex, 0, 0, RC_N, LUMEN_DIRECTION_RAISED, wide, RC_N, &wide_written));
    CHECK(wide_written == written && written == 5);
    for (size_t i = 0; i < written && i < RC_N; i++) {
        CHECK(wide[i].feature == codes[i].feature && wide[i].contribution == (double)codes[i].contribution);
    }

    /* Row 1 flips every sign: w3 lowered it most. */
    const size_t row1_lowered[2] = {3, 7};
    CHECK_OK(lumen_explanation_reason_codes(ex, 1, 0, 2, LUMEN_DIRECTION_LOWERED, codes, RC_N, &written));
    CHECK(written == 2 && codes[0].feature == row1_lowered[0] && codes[1].feature == row1_lowered[1]);
    CHECK(written == 2 && fabs(codes[0].contribution + 5) <= 1e-4 && codes[1].contribution < 0);

    /* k = 0 and out_len = 0 (out may be NULL): nothing, written = 0. */
    written = 99;
    CHECK_OK(lumen_explanation_reason_codes(ex, 0, 0, 0, LUMEN_DIRECTION_RAISED, codes, RC_N, &written));
    CHECK(written == 0);
    written = 99;
    CHECK_OK(lumen_explanation_reason_codes(ex, 0, 0, 3, LUMEN_DIRECTION_RAISED, NULL, 0, &written));
    CHECK(written == 0);

    /* Errors: nothing written. */
    written = 99;
    codes[0].feature = 99;
    CHECK_FAILS(lumen_explanation_reason_codes(ex, 0, 0, 3, 2, codes, RC_N, &written), LUMEN_STATUS_INVALID_ARGUMENT,
                "direction");
    CHECK_FAILS(lumen_explanation_reason_codes(ex, 2, 0, 3, LUMEN_DIRECTION_RAISED, codes, RC_N, &written),
                LUMEN_STATUS_INVALID_ARGUMENT, "row");
    CHECK_FAILS(lumen_explanation_reason_codes(ex, 0, 1, 3, LUMEN_DIRECTION_RAISED, codes, RC_N, &written),
                LUMEN_STATUS_INVALID_ARGUMENT, "output");
    CHECK_FAILS(lumen_explanation_reason_codes(ex, 0, 0, 3, LUMEN_DIRECTION_RAISED, NULL, 3, &written),
                LUMEN_STATUS_NULL_POINTER, "out");
    CHECK_FAILS(lumen_explanation_reason_codes(NULL, 0, 0, 3, LUMEN_DIRECTION_RAISED, codes, RC_N, &written),
                LUMEN_STATUS_NULL_POINTER, "explanation");
    CHECK(written == 99 && codes[0].feature == 99);
    CHECK_FAILS(lumen_explanation_reason_codes(ex, 0, 0, 3, LUMEN_DIRECTION_RAISED, codes, RC_N, NULL),
                LUMEN_STATUS_NULL_POINTER, "written");
    CHECK(codes[0].feature == 99);
    lumen_explanation_free(ex);
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* The logit link.                                                                      */

static void test_logit_link(lumen_engine *engine) {
    SECTION("logit link on a sigmoid model: φ_i = w_i x_i in log-odds over a zero background");
    enum { N = 5 };
    const float w[N] = {0.5f, -1.0f, 0.25f, 1.5f, -0.75f};
    const float x[N] = {1.0f, 0.5f, -2.0f, 0.25f, 1.0f};
    const float zero[N] = {0, 0, 0, 0, 0};
    logistic_model m = {N, w, -0.3f};
    lumen_model_desc desc = logistic_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    double want[N], z = -0.3;
    for (size_t i = 0; i < N; i++) {
        want[i] = (double)w[i] * (double)x[i];
        z += want[i];
    }
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    options.game.background = zero;
    options.game.background_len = N;
    options.game.link = LUMEN_LINK_LOGIT;
    lumen_shapley_sampling_options sopt = lumen_shapley_sampling_options_default();
    sopt.game = options.game;
    for (int method = 0; method < 2; method++) {
        lumen_explanation *ex = method == 0 ? kernel(engine, model, x, N, 1, &options)
                                            : sampling(engine, model, x, N, 1, &sopt);
        if (ex == NULL) {
            continue;
        }
        float got[N], base = 0, pred = 0;
        CHECK_OK(lumen_explanation_attributions(ex, got, N));
        check_values(got, want, N, LINEAR_TOLERANCE, method == 0 ? "logit KernelSHAP" : "logit sampling");
        CHECK_OK(lumen_explanation_base_values(ex, &base, 1));
        CHECK_OK(lumen_explanation_predictions(ex, &pred, 1));
        CHECK_NEAR(base, -0.3, LINEAR_TOLERANCE); /* logit(σ(b)) */
        CHECK_NEAR(pred, z, LINEAR_TOLERANCE);    /* logit(σ(w·x + b)) */
        check_local_accuracy(ex);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"link\":\"logit\"");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);

    /* A model whose outputs are not probabilities cannot be explained in log-odds. */
    const float bias[1] = {2};
    linear_model lin = {N, 1, w, bias};
    desc = linear_desc(&lin);
    model = new_model(&desc);
    if (model != NULL) {
        lumen_explanation *ex = SENTINEL;
        CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, N, 1, &options, &ex),
                    LUMEN_STATUS_INVALID_ARGUMENT, "link");
        CHECK(ex == SENTINEL);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Shapley Value Sampling.                                                               */

static void test_sampling(lumen_engine *engine) {
    SECTION("Shapley Value Sampling: exact on a linear model, within its standard errors otherwise");
    enum { N = 7, BG = 4, ROWS = 2 };
    float w[N], x[ROWS * N], background[BG * N];
    const float bias[1] = {-1};
    const double weights[BG] = {1, 2, 3, 4};
    fill(w, N, 10);
    fill(x, ROWS * N, 11);
    fill(background, BG * N, 12);
    linear_model lin = {N, 1, w, bias};
    lumen_model_desc desc = linear_desc(&lin);
    desc.flags = LUMEN_MODEL_CONCURRENT;
    lumen_model *model = new_model(&desc);
    lumen_shapley_sampling_options options = lumen_shapley_sampling_options_default();
    CHECK(options.permutation_pairs == 0 && options.game.link == LUMEN_LINK_IDENTITY);
    options.game.background = background;
    options.game.background_len = BG * N;
    options.game.background_weights = weights;
    options.game.background_weights_len = BG;
    /* One pair: the values, and no standard errors (no spread to estimate them from). */
    const size_t pairs[4] = {1, 2, 3, 0};
    for (size_t p = 0; p < 4 && model != NULL; p++) {
        options.permutation_pairs = pairs[p];
        lumen_explanation *ex = sampling(engine, model, x, ROWS * N, ROWS, &options);
        if (ex == NULL) {
            continue;
        }
        double want[ROWS * N];
        float got[ROWS * N];
        for (size_t r = 0; r < ROWS; r++) {
            linear_shapley(w, x + r * N, background, weights, BG, N, want + r * N);
        }
        CHECK_OK(lumen_explanation_attributions(ex, got, ROWS * N));
        check_values(got, want, ROWS * N, LINEAR_TOLERANCE, "sampling, linear model");
        check_local_accuracy(ex);
        if (pairs[p] == 1) {
            float se[ROWS * N];
            se[0] = UNTOUCHED;
            CHECK_FAILS(lumen_explanation_standard_errors(ex, se, ROWS * N), LUMEN_STATUS_NOT_AVAILABLE,
                        "standard errors");
            CHECK(se[0] == UNTOUCHED);
            char *json = NULL;
            if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
                CHECK_CONTAINS(json, "\"standard_errors_available\":false");
            }
            lumen_string_free(json);
            lumen_explanation_free(ex);
            continue;
        }
        float *se = standard_errors(ex, ROWS * N);
        if (se != NULL) {
            size_t bad = 0;
            for (size_t i = 0; i < ROWS * N; i++) {
                bad += !(se[i] >= 0.0f && se[i] <= LINEAR_TOLERANCE);
            }
            CHECK(bad == 0);
        }
        free(se);
        if (pairs[p] == 0) {
            char *json = NULL;
            if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
                CHECK_CONTAINS(json, "\"method\":\"shapley_value_sampling\"");
                CHECK_CONTAINS(json, "\"permutation_pairs\":25");
                CHECK_CONTAINS(json, "\"standard_errors_available\":true");
            }
            lumen_string_free(json);
        }
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);

    poly_model poly = {N, 2};
    desc = poly_desc(&poly);
    model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    options.permutation_pairs = 10;
    lumen_explanation *ex = sampling(engine, model, x, ROWS * N, ROWS, &options);
    if (ex != NULL) {
        enum { LEN = ROWS * 2 * N };
        double want[LEN];
        float got[LEN];
        int ok = 1;
        for (size_t r = 0; r < ROWS; r++) {
            for (size_t o = 0; o < 2; o++) {
                ok &= brute_force_shapley(poly_predict, &poly, N, 2, o, x + r * N, background, weights, BG, NULL, N,
                                          want + (r * 2 + o) * N, NULL, NULL);
            }
        }
        CHECK(ok);
        CHECK_OK(lumen_explanation_attributions(ex, got, LEN));
        check_local_accuracy(ex);
        float *se = standard_errors(ex, LEN);
        if (se != NULL) {
            size_t outside = 0, positive = 0;
            for (size_t i = 0; i < LEN; i++) {
                positive += se[i] > 0.0f;
                if (!(se[i] >= 0.0f && fabs(got[i] - want[i]) <= SE_BOUND * se[i] + LINEAR_TOLERANCE)) {
                    fprintf(stderr, "     [%zu]: got %.6g, exact %.6g, standard error %.3g\n", i, got[i], want[i],
                            se[i]);
                    outside++;
                }
            }
            CHECK(outside == 0);
            CHECK(positive > 0);
        }
        free(se);
        lumen_explanation_free(ex);
    }

    /* A target standard error: more pairs in rounds until every error meets it. */
    options.permutation_pairs = 4;
    options.target_standard_error = 0.3;
    options.max_permutation_pairs = 400;
    ex = sampling(engine, model, x, ROWS * N, ROWS, &options);
    if (ex != NULL) {
        enum { LEN = ROWS * 2 * N };
        float *se = standard_errors(ex, LEN);
        if (se != NULL) {
            float largest = 0.0f;
            for (size_t i = 0; i < LEN; i++) {
                largest = se[i] > largest ? se[i] : largest;
            }
            CHECK(largest <= 0.3f);
        }
        free(se);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"target_met\":true");
            CHECK_CONTAINS(json, "\"max_permutation_pairs\":400");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    lumen_explanation *out = SENTINEL;
    const double bad_targets[3] = {-1.0, NAN, INFINITY};
    for (size_t i = 0; i < 3; i++) {
        options.target_standard_error = bad_targets[i];
        CHECK_FAILS(lumen_engine_explain_shapley_sampling(engine, model, x, ROWS * N, ROWS, &options, &out),
                    LUMEN_STATUS_INVALID_ARGUMENT, "target_standard_error");
    }
    options.target_standard_error = 0.0;
    CHECK_FAILS(lumen_engine_explain_shapley_sampling(engine, model, x, ROWS * N, ROWS, &options, &out),
                LUMEN_STATUS_INVALID_ARGUMENT, "max_permutation_pairs");
    CHECK(out == SENTINEL);
    /* A caller built against the header before the target (the struct ended after
     * background_f64) gets one round: the fields beyond its struct are not read. */
    options.target_standard_error = 0.3;
    options.struct_size = offsetof(lumen_shapley_sampling_options, target_standard_error);
    ex = sampling(engine, model, x, ROWS * N, ROWS, &options);
    if (ex != NULL) {
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"target_standard_error\":null");
            CHECK_CONTAINS(json, "\"rounds\":1");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Determinism across thread counts.                                                    */

#define DET_N 12
#define DET_ROWS 3
#define DET_BG 3

static void test_determinism(void) {
    SECTION("determinism: 1, 2 and 8 threads give bit-identical values and standard errors");
    poly_model m = {DET_N, 2};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[DET_ROWS * DET_N], background[DET_BG * DET_N];
    fill(x, DET_ROWS * DET_N, 13);
    fill(background, DET_BG * DET_N, 14);
    lumen_kernel_shap_options kopt = lumen_kernel_shap_options_default();
    kopt.game.background = background;
    kopt.game.background_len = DET_BG * DET_N;
    kopt.budget = 200;
    lumen_shapley_sampling_options sopt = lumen_shapley_sampling_options_default();
    sopt.game = kopt.game;
    sopt.permutation_pairs = 4;

    enum { LEN = DET_ROWS * 2 * DET_N };
    const uint32_t threads[3] = {1, 2, 8};
    for (int method = 0; method < 2; method++) {
        float values[3][LEN], se[3][LEN];
        char *json[3] = {NULL, NULL, NULL};
        int all_ok = 1;
        for (size_t t = 0; t < 3 && all_ok; t++) {
            lumen_engine *engine = new_engine(threads[t], 7);
            lumen_explanation *ex = NULL;
            all_ok = engine != NULL &&
                     (method == 0 ? CHECK_OK(lumen_engine_explain_kernel_shap(engine, model, x, DET_ROWS * DET_N,
                                                                              DET_ROWS, &kopt, &ex))
                                  : CHECK_OK(lumen_engine_explain_shapley_sampling(engine, model, x, DET_ROWS * DET_N,
                                                                                   DET_ROWS, &sopt, &ex))) &&
                     CHECK_OK(lumen_explanation_attributions(ex, values[t], LEN)) &&
                     CHECK_OK(lumen_explanation_standard_errors(ex, se[t], LEN)) &&
                     CHECK_OK(lumen_explanation_to_json(ex, &json[t]));
            lumen_explanation_free(ex);
            lumen_engine_free(engine);
        }
        if (all_ok) {
            CHECK(memcmp(values[0], values[1], sizeof values[0]) == 0);
            CHECK(memcmp(values[0], values[2], sizeof values[0]) == 0);
            CHECK(memcmp(se[0], se[1], sizeof se[0]) == 0);
            CHECK(memcmp(se[0], se[2], sizeof se[0]) == 0);
            CHECK(strcmp(json[0], json[1]) == 0);
            CHECK(strcmp(json[0], json[2]) == 0);
        }
        for (size_t t = 0; t < 3; t++) {
            lumen_string_free(json[t]);
        }
    }

    /* Another seed draws other coalitions: the sampled values change. */
    lumen_engine *a = new_engine(2, 7), *b = new_engine(2, 8);
    lumen_explanation *ea = NULL, *eb = NULL;
    if (a != NULL && b != NULL &&
        CHECK_OK(lumen_engine_explain_kernel_shap(a, model, x, DET_ROWS * DET_N, DET_ROWS, &kopt, &ea)) &&
        CHECK_OK(lumen_engine_explain_kernel_shap(b, model, x, DET_ROWS * DET_N, DET_ROWS, &kopt, &eb))) {
        float va[LEN], vb[LEN];
        CHECK_OK(lumen_explanation_attributions(ea, va, LEN));
        CHECK_OK(lumen_explanation_attributions(eb, vb, LEN));
        CHECK(memcmp(va, vb, sizeof va) != 0);
    }
    lumen_explanation_free(ea);
    lumen_explanation_free(eb);
    lumen_engine_free(a);
    lumen_engine_free(b);
    lumen_model_free(model);
}

/* Explains `rows` rows of `x` by KernelSHAP under `control`; writes their attributions. */
static int keyed_values(lumen_engine *engine, lumen_model *model, const float *x, size_t rows,
                        const lumen_call_control *control, const float *background, float *out) {
    lumen_kernel_shap_options kopt = lumen_kernel_shap_options_default();
    kopt.game.background = background;
    kopt.game.background_len = DET_BG * DET_N;
    kopt.budget = 60;
    kopt.control = control;
    lumen_explanation *ex = NULL;
    int ok = CHECK_OK(lumen_engine_explain_kernel_shap(engine, model, x, rows * DET_N, rows, &kopt, &ex)) &&
             CHECK_OK(lumen_explanation_attributions(ex, out, rows * 2 * DET_N));
    lumen_explanation_free(ex);
    return ok;
}

static void test_row_keys(void) {
    SECTION("row keys: a row draws the same alone and in a batch; caller keys and a per-call seed");
    uint64_t key = 0;
    CHECK_OK(lumen_row_key_of_bytes((const uint8_t *)"A-1042", 6, &key));
    CHECK(key == UINT64_C(0x0f55bc8b4b53e024)); /* pinned: the same in every binding and release */
    CHECK_FAILS(lumen_row_key_of_bytes(NULL, 3, &key), LUMEN_STATUS_NULL_POINTER, "bytes");
    CHECK_OK(lumen_row_key_of_bytes(NULL, 0, &key));

    poly_model m = {DET_N, 2};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    lumen_engine *engine = new_engine(2, 7), *engine8 = new_engine(1, 8);
    if (model == NULL || engine == NULL || engine8 == NULL) {
        lumen_model_free(model);
        lumen_engine_free(engine);
        lumen_engine_free(engine8);
        return;
    }
    enum { ROW = 2 * DET_N };
    float x[DET_ROWS * DET_N], background[DET_BG * DET_N];
    fill(x, DET_ROWS * DET_N, 13);
    fill(background, DET_BG * DET_N, 14);
    float batch[DET_ROWS * ROW], batch8[DET_ROWS * ROW], alone[ROW], other[ROW];
    if (keyed_values(engine, model, x, DET_ROWS, NULL, background, batch) &&
        keyed_values(engine, model, x + DET_N, 1, NULL, background, alone)) {
        CHECK(memcmp(batch + ROW, alone, sizeof alone) == 0);
    }

    const char *ids[DET_ROWS] = {"A-1", "A-2", "A-3"};
    uint64_t keys[DET_ROWS];
    for (size_t r = 0; r < DET_ROWS; r++) {
        CHECK_OK(lumen_row_key_of_bytes((const uint8_t *)ids[r], strlen(ids[r]), &keys[r]));
    }
    lumen_call_control control = lumen_call_control_default();
    CHECK(control.row_keys == NULL && control.n_row_keys == 0 && control.has_seed == 0);
    control.row_keys = keys;
    control.n_row_keys = DET_ROWS;
    if (keyed_values(engine, model, x, DET_ROWS, &control, background, batch)) {
        control.row_keys = keys + 1;
        control.n_row_keys = 1;
        if (keyed_values(engine, model, x + DET_N, 1, &control, background, other)) {
            CHECK(memcmp(batch + ROW, other, sizeof other) == 0);
            CHECK(memcmp(alone, other, sizeof other) != 0); /* the caller's key, not the hash, drives the draws */
        }
    }
    lumen_explanation *ex = NULL;
    lumen_kernel_shap_options kopt = lumen_kernel_shap_options_default();
    kopt.game.background = background;
    kopt.game.background_len = DET_BG * DET_N;
    kopt.control = &control;
    control.n_row_keys = 2;
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, DET_ROWS * DET_N, DET_ROWS, &kopt, &ex),
                LUMEN_STATUS_LENGTH_MISMATCH, "control.row_keys");
    control.row_keys = NULL;
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, DET_ROWS * DET_N, DET_ROWS, &kopt, &ex),
                LUMEN_STATUS_NULL_POINTER, "options.control.row_keys");
    CHECK(ex == NULL);

    /* A per-call seed is the engine seed it names. */
    lumen_call_control seeded = lumen_call_control_default();
    seeded.seed = 8;
    seeded.has_seed = 1;
    if (keyed_values(engine, model, x, DET_ROWS, &seeded, background, batch) &&
        keyed_values(engine8, model, x, DET_ROWS, NULL, background, batch8)) {
        CHECK(memcmp(batch, batch8, sizeof batch) == 0);
    }
    /* A 0.2 caller's shorter struct still works: no seed, no keys. */
    lumen_call_control old = lumen_call_control_default();
    old.struct_size = offsetof(lumen_call_control, seed);
    old.has_seed = 1;
    old.seed = 8;
    if (keyed_values(engine, model, x + DET_N, 1, &old, background, other)) {
        CHECK(memcmp(alone, other, sizeof other) == 0);
    }
    lumen_engine_free(engine);
    lumen_engine_free(engine8);
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Errors.                                                                               */

#define ER_N 6
#define ER_BG 2

/* Runs both methods with `game` and checks each fails with `want` and a message naming
 * `needle`, leaving `out` untouched. */
static void check_game_fails(lumen_engine *engine, lumen_model *model, const float *x, size_t input_len,
                             const lumen_shapley_game *game, lumen_status want, const char *needle) {
    lumen_kernel_shap_options kopt = lumen_kernel_shap_options_default();
    kopt.game = *game;
    lumen_shapley_sampling_options sopt = lumen_shapley_sampling_options_default();
    sopt.game = *game;
    lumen_explanation *ex = SENTINEL;
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, input_len, 1, &kopt, &ex), want, needle);
    CHECK(ex == SENTINEL);
    CHECK_FAILS(lumen_engine_explain_shapley_sampling(engine, model, x, input_len, 1, &sopt, &ex), want, needle);
    CHECK(ex == SENTINEL);
}

static void test_sum_groups(lumen_engine *engine) {
    SECTION("lumen_explanation_sum_groups: per-feature values summed into named groups after the fact");
    poly_model m = {GR_N, 1};
    lumen_model_desc desc = poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[GR_N], background[2 * GR_N];
    fill(x, GR_N, 5);
    fill(background, 2 * GR_N, 6);
    lumen_shapley_sampling_options options = lumen_shapley_sampling_options_default();
    options.game.background = background;
    options.game.background_len = 2 * GR_N;
    lumen_explanation *per_feature = NULL;
    CHECK_OK(lumen_engine_explain_shapley_sampling(engine, model, x, GR_N, 1, &options, &per_feature));
    lumen_explanation *grouped = NULL;
    if (per_feature != NULL) {
        CHECK_OK(lumen_explanation_sum_groups(per_feature, group_of, GR_N, group_names, GR_M, &grouped));
    }
    if (grouped != NULL) {
        float features[GR_N], sums[GR_M];
        CHECK_OK(lumen_explanation_attributions(per_feature, features, GR_N));
        CHECK_OK(lumen_explanation_attributions(grouped, sums, GR_M));
        for (uint32_t g = 0; g < GR_M; g++) {
            double want = 0.0;
            for (size_t f = 0; f < GR_N; f++) {
                want += group_of[f] == g ? features[f] : 0.0;
            }
            CHECK_NEAR(sums[g], want, 1e-6);
            const char *name = NULL;
            CHECK_OK(lumen_explanation_feature_name(grouped, g, &name));
            CHECK(name != NULL && strcmp(name, group_names[g]) == 0);
        }
        lumen_attribution_shape shape;
        CHECK_OK(lumen_explanation_shape(grouped, &shape));
        CHECK(shape.features == GR_M && shape.feature_axis == LUMEN_FEATURE_AXIS_GROUPS);
        check_local_accuracy(grouped);
        float errors[GR_M];
        CHECK_STATUS(lumen_explanation_standard_errors(grouped, errors, GR_M), LUMEN_STATUS_NOT_AVAILABLE);
    }
    lumen_explanation *untouched = (lumen_explanation *)&untouched;
    CHECK_STATUS(lumen_explanation_sum_groups(per_feature, group_of, GR_N - 1, NULL, 0, &untouched),
                 LUMEN_STATUS_LENGTH_MISMATCH);
    CHECK_MESSAGE("groups");
    uint32_t gap[GR_N] = {0};
    gap[0] = 2; /* ids 0 and 2 used, 1 missing */
    CHECK_STATUS(lumen_explanation_sum_groups(per_feature, gap, GR_N, NULL, 0, &untouched),
                 LUMEN_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("groups: group ids");
    CHECK_STATUS(lumen_explanation_sum_groups(NULL, group_of, GR_N, NULL, 0, &untouched), LUMEN_STATUS_NULL_POINTER);
    CHECK(untouched == (lumen_explanation *)&untouched);
    lumen_explanation_free(grouped);
    lumen_explanation_free(per_feature);
    lumen_model_free(model);
}

static void test_errors(lumen_engine *engine) {
    SECTION("errors: statuses, messages naming the argument, nothing written");
    const float w[ER_N] = {1, 2, 3, 4, 5, 6}, bias[1] = {0};
    float x[ER_N], background[ER_BG * ER_N + 1];
    fill(x, ER_N, 15);
    fill(background, ER_BG * ER_N + 1, 16);
    linear_model lin = {ER_N, 1, w, bias};
    lumen_model_desc desc = linear_desc(&lin);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    lumen_shapley_game good = lumen_kernel_shap_options_default().game;
    good.background = background;
    good.background_len = ER_BG * ER_N;
    lumen_shapley_game game;

    game = good;
    game.background = NULL;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_NULL_POINTER, "options.game.background");
    game = good;
    game.background_len = ER_BG * ER_N + 1;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_LENGTH_MISMATCH, "background");
    game = good;
    game.background_len = 0;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_ARGUMENT, "background: has no rows");
    game = good;
    background[3] = NAN;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_NON_FINITE_INPUT, "background");
    background[3] = 0.5f;

    const double zero_weights[ER_BG] = {0, 0}, negative_weights[ER_BG] = {1, -1}, three_weights[3] = {1, 1, 1};
    game = good;
    game.background_weights = zero_weights;
    game.background_weights_len = ER_BG;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_ARGUMENT, "background_weights");
    game.background_weights = negative_weights;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_ARGUMENT, "background_weights");
    game.background_weights = three_weights;
    game.background_weights_len = 3;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_LENGTH_MISMATCH, "background_weights");
    game.background_weights = NULL;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_NULL_POINTER, "options.game.background_weights");

    const uint32_t short_map[ER_N - 1] = {0, 0, 1, 1, 2};
    const uint32_t unused_id[ER_N] = {0, 0, 2, 2, 3, 3};
    const uint32_t one_player[ER_N] = {0, 0, 0, 0, 0, 0};
    game = good;
    game.players = short_map;
    game.players_len = ER_N - 1;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_LENGTH_MISMATCH, "players");
    game.players = unused_id;
    game.players_len = ER_N;
    /* The message names the id that has no elements. */
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_ARGUMENT, "id 1 has no elements");
    game.players = one_player;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_ARGUMENT, "at least 2");
    game.players = NULL;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_NULL_POINTER, "options.game.players");

    const char *const two_names[2] = {"a", "b"};
    const char *const null_name[ER_N] = {"a", "b", NULL, "d", "e", "f"};
    const char *const bad_utf8[ER_N] = {"a", "b", "\xff\xfe", "d", "e", "f"};
    game = good;
    game.player_names = two_names;
    game.player_names_len = 2;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_LENGTH_MISMATCH, "player_names");
    game.player_names = null_name;
    game.player_names_len = ER_N;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_NULL_POINTER, "options.game.player_names[2]");
    game.player_names = bad_utf8;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_UTF8, "options.game.player_names[2]");

    game = good;
    game.link = 2;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_ARGUMENT, "options.game.link");
    const uint32_t bad_target = 1;
    game = good;
    game.targets = &bad_target;
    game.targets_len = 1;
    check_game_fails(engine, model, x, ER_N, &game, LUMEN_STATUS_INVALID_ARGUMENT, "targets");

    /* M = 1: a model of one input. */
    {
        const float w1[1] = {2}, b1[1] = {0}, x1[1] = {1}, bg1[1] = {0};
        linear_model single = {1, 1, w1, b1};
        lumen_model_desc d1 = linear_desc(&single);
        lumen_model *m1 = new_model(&d1);
        if (m1 != NULL) {
            game = good;
            game.background = bg1;
            game.background_len = 1;
            check_game_fails(engine, m1, x1, 1, &game, LUMEN_STATUS_INVALID_ARGUMENT, "at least 2");
        }
        lumen_model_free(m1);
    }

    /* Method options. */
    lumen_explanation *ex = SENTINEL;
    lumen_shapley_sampling_options sopt = lumen_shapley_sampling_options_default();
    sopt.game = good;
    lumen_kernel_shap_options kopt = lumen_kernel_shap_options_default();
    kopt.game = good;
    kopt.error_batches = 1;
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, ER_N, 1, &kopt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "error_batches");
    CHECK(ex == SENTINEL);
    kopt.error_batches = 0;

    /* The shared arguments. */
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, ER_N, 1, NULL, &ex), LUMEN_STATUS_NULL_POINTER,
                "options");
    CHECK_FAILS(lumen_engine_explain_shapley_sampling(engine, model, x, ER_N, 1, NULL, &ex), LUMEN_STATUS_NULL_POINTER,
                "options");
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, ER_N, 1, &kopt, NULL), LUMEN_STATUS_NULL_POINTER,
                "out");
    CHECK_FAILS(lumen_engine_explain_shapley_sampling(engine, model, x, ER_N, 1, &sopt, NULL),
                LUMEN_STATUS_NULL_POINTER, "out");
    CHECK_FAILS(lumen_engine_explain_kernel_shap(NULL, model, x, ER_N, 1, &kopt, &ex), LUMEN_STATUS_NULL_POINTER,
                "engine");
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, NULL, x, ER_N, 1, &kopt, &ex), LUMEN_STATUS_NULL_POINTER,
                "model");
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, ER_N - 1, 1, &kopt, &ex),
                LUMEN_STATUS_LENGTH_MISMATCH, "inputs");
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, x, 0, 0, &kopt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "rows");
    CHECK_FAILS(lumen_engine_explain_shapley_sampling(engine, model, NULL, ER_N, 1, &sopt, &ex),
                LUMEN_STATUS_NULL_POINTER, "inputs");
    CHECK(ex == SENTINEL);
    lumen_model_free(model);

    /* A model that fails or returns NaN. */
    for (int mode = 0; mode < 2; mode++) {
        faulty_model faulty = {ER_N, 1, 0, mode == 0 ? 7 : 0, NAN, 0};
        lumen_model_desc fd = faulty_desc(&faulty);
        lumen_model *fm = new_model(&fd);
        if (fm == NULL) {
            continue;
        }
        lumen_status want = mode == 0 ? LUMEN_STATUS_MODEL_FAILED : LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT;
        const char *needle = mode == 0 ? "7" : "model";
        sopt.permutation_pairs = 2;
        CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, fm, x, ER_N, 1, &kopt, &ex), want, needle);
        CHECK(ex == SENTINEL);
        CHECK_FAILS(lumen_engine_explain_shapley_sampling(engine, fm, x, ER_N, 1, &sopt, &ex), want, needle);
        CHECK(ex == SENTINEL);
        /* Failing after some good calls, in the middle of the coalitions. */
        faulty.calls = 0;
        faulty.good_calls = 2;
        CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, fm, x, ER_N, 1, &kopt, &ex), want, needle);
        CHECK(ex == SENTINEL);
        lumen_model_free(fm);
    }
}

int main(void) {
    /* Four threads: the happy path runs on a multi-threaded engine. */
    lumen_engine *engine = new_engine(4, 0);
    if (engine != NULL) {
        test_kernel_exact(engine);
        test_players_and_names(engine);
        test_kernel_sampled_linear(engine);
        test_kernel_sampled_nonlinear(engine);
        test_kernel_estimators_and_targets(engine);
        test_standard_errors_not_available(engine);
        test_reason_codes(engine);
        test_logit_link(engine);
        test_sampling(engine);
        test_sum_groups(engine);
        test_errors(engine);
    }
    lumen_engine_free(engine);
    test_small_memory_budget();
    test_determinism();
    test_row_keys();
    return harness_report("test_shapley");
}
