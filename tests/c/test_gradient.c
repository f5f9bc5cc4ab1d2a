/*
 * test_gradient.c: the gradient methods of the C ABI on models written in C with analytic
 * gradients (gradient_models.h): Integrated Gradients against its closed form and the
 * convergence of every quadrature rule, Saliency, GradientSHAP (exactness, reproducibility
 * across thread counts and seeds), NoiseTunnel, Grad-CAM against hand-computed maps, the
 * options' defaults, and every documented error.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradient_models.h"
#include "harness.h"
#include "lumen.h"
#include "models.h"

/* Closed forms evaluated in f32 arithmetic along the path (values of order 10). */
#define EXACT_TOLERANCE 2e-4
/* Convergence deltas of rules that are exact for the model, in f32. */
#define GAP_TOLERANCE 2e-4
/* Value stored in buffers that a failing call must leave untouched. */
#define UNTOUCHED (-12345.0f)

/* Opaque, never-dereferenced pointer value that a failing call must leave in `out`. */
static char sentinel_storage;
#define SENTINEL ((lumen_explanation *)(void *)&sentinel_storage)

/* Copies the `len` attributions of `ex` into `out`; returns 0 (and a failed check) on failure. */
static int attributions(const lumen_explanation *ex, float *out, size_t len) {
    lumen_attribution_shape shape;
    if (!CHECK_OK(lumen_explanation_shape(ex, &shape))) {
        return 0;
    }
    if (!CHECK(shape.rows * shape.outputs * shape.features == len)) {
        fprintf(stderr, "     shape %zu × %zu × %zu, expected %zu values\n", shape.rows, shape.outputs,
                shape.features, len);
        return 0;
    }
    return CHECK_OK(lumen_explanation_attributions(ex, out, len));
}

/* Checks the `len` attributions of `ex` (copied into `got`) against `want` within `tol`. */
static void check_attributions(const lumen_explanation *ex, float *got, const double *want, size_t len, double tol,
                               const char *label) {
    if (attributions(ex, got, len)) {
        check_values(got, want, len, tol, label);
    }
}

/* Records that the explanation defines no completeness gap (and that asking leaves `out` alone). */
static void check_no_gaps(const lumen_explanation *ex) {
    double gaps[2] = {UNTOUCHED, UNTOUCHED};
    CHECK_STATUS(lumen_explanation_completeness_gaps(ex, gaps, 2), LUMEN_STATUS_NOT_AVAILABLE);
    CHECK(gaps[0] == UNTOUCHED && gaps[1] == UNTOUCHED);
    lumen_row_diagnostics diag;
    CHECK_OK(lumen_explanation_row_diagnostics(ex, 0, &diag));
    CHECK(diag.has_completeness_gap == 0 && diag.model_rows_evaluated > 0);
}

static lumen_explanation *ig(lumen_engine *engine, lumen_model *model, const float *x, size_t inputs_len, size_t rows,
                             const lumen_integrated_gradients_options *options) {
    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_integrated_gradients(engine, model, x, inputs_len, rows, options, &ex))) {
        return NULL;
    }
    return ex;
}

/* ---------------------------------------------------------------------------------- */
/* Defaults.                                                                             */

static void test_defaults(void) {
    SECTION("options defaults (Captum's)");
    lumen_integrated_gradients_options ig_opt = lumen_integrated_gradients_options_default();
    CHECK(ig_opt.baseline == NULL && ig_opt.baseline_len == 0 && ig_opt.baseline_scalar == 0.0f);
    CHECK(ig_opt.n_steps == 50 && ig_opt.method == LUMEN_IG_GAUSS_LEGENDRE && ig_opt.internal_batch_size == 0);
    CHECK(ig_opt.multiply_by_inputs == 1 && ig_opt.targets == NULL && ig_opt.targets_len == 0);
    lumen_saliency_options sal = lumen_saliency_options_default();
    CHECK(sal.abs == 1 && sal.targets == NULL && sal.targets_len == 0);
    lumen_gradient_shap_options gs = lumen_gradient_shap_options_default();
    CHECK(gs.baselines == NULL && gs.baselines_len == 0 && gs.n_samples == 5 && gs.stdevs == 0.0f);
    CHECK(gs.internal_batch_size == 0 && gs.targets == NULL && gs.targets_len == 0);
    lumen_noise_tunnel_options nt = lumen_noise_tunnel_options_default();
    CHECK(nt.nt_type == LUMEN_NOISE_SMOOTHGRAD && nt.nt_samples == 5 && nt.stdevs == 1.0f);
    CHECK(nt.base == LUMEN_NT_BASE_SALIENCY && nt.saliency == NULL && nt.integrated_gradients == NULL);
    CHECK(nt.gradient_shap == NULL);
    CHECK(nt.struct_size == sizeof nt && ig_opt.struct_size == sizeof ig_opt && sal.struct_size == sizeof sal);
    CHECK(gs.struct_size == sizeof gs);
    lumen_grad_cam_options gc = lumen_grad_cam_options_default();
    CHECK(gc.targets == NULL && gc.targets_len == 0 && gc.relu_attributions == 0 && gc.upsample == 1);
    CHECK(gc.internal_batch_size == 0);
    CHECK(LUMEN_IG_RIEMANN_LEFT == 0 && LUMEN_IG_RIEMANN_RIGHT == 1 && LUMEN_IG_RIEMANN_MIDDLE == 2 &&
          LUMEN_IG_RIEMANN_TRAPEZOID == 3 && LUMEN_IG_GAUSS_LEGENDRE == 4 &&
          LUMEN_IG_RIEMANN_TRAPEZOID_CAPTUM == 5 && LUMEN_IG_GAUSS_LEGENDRE_CAPTUM == 6);
    CHECK(LUMEN_NOISE_SMOOTHGRAD == 0 && LUMEN_NOISE_SMOOTHGRAD_SQ == 1 && LUMEN_NOISE_VARGRAD == 2);
    CHECK(LUMEN_NT_BASE_SALIENCY == 0 && LUMEN_NT_BASE_INTEGRATED_GRADIENTS == 1 && LUMEN_NT_BASE_GRADIENT_SHAP == 2);
}

/* ---------------------------------------------------------------------------------- */
/* Integrated Gradients.                                                                 */

#define IG_N 5
#define IG_OUTPUTS 2
#define IG_ROWS 2

/* f_o = Σ a x + Σ a x²: the quadratic model of the closed-form tests. */
static const float ig_a[IG_OUTPUTS * IG_N] = {0.5f, -1.0f, 1.5f, 0.25f, -0.75f, 1.0f, 0.5f, -0.5f, 2.0f, 0.125f};

/* Expected IG of every row and output of `m` (rows × outputs × n doubles) with baseline
 * row `b(r)`: `baselines` holds one row per input row (stride n) or one shared row (stride 0). */
static void ig_expected(const grad_poly_model *m, const float *x, const float *baselines, size_t stride, size_t rows,
                        const uint32_t *targets, size_t t, double *want) {
    size_t n = m->input_len;
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < t; k++) {
            for (size_t i = 0; i < n; i++) {
                want[(r * t + k) * n + i] =
                    grad_poly_ig(m, targets[k], i, (double)x[r * n + i], (double)baselines[r * stride + i]);
            }
        }
    }
}

/* Records that every completeness gap of `ex` (count values) is within `tol` of 0. */
static void check_gaps_near_zero(const lumen_explanation *ex, size_t count, double tol) {
    double gaps[16];
    if (!CHECK(count <= 16) || !CHECK_OK(lumen_explanation_completeness_gaps(ex, gaps, count))) {
        return;
    }
    size_t bad = 0;
    for (size_t k = 0; k < count; k++) {
        if (!(fabs(gaps[k]) <= tol)) {
            fprintf(stderr, "     gap [%zu] = %.9g\n", k, gaps[k]);
            bad++;
        }
    }
    CHECK(bad == 0);
}

static void test_ig_closed_form(lumen_engine *engine) {
    SECTION("Integrated Gradients with Gauss-Legendre equals a(x - b) + a(x^2 - b^2); delta ~ 0");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 1.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[IG_ROWS * IG_N], b[IG_ROWS * IG_N];
    fill(x, IG_ROWS * IG_N, 1);
    fill(b, IG_ROWS * IG_N, 2);
    const uint32_t all[IG_OUTPUTS] = {0, 1};
    enum { LEN = IG_ROWS * IG_OUTPUTS * IG_N, PAIRS = IG_ROWS * IG_OUTPUTS };
    double want[LEN];
    float got[LEN];

    /* One baseline per row, the default 50 Gauss-Legendre steps. */
    lumen_integrated_gradients_options options = lumen_integrated_gradients_options_default();
    options.baseline = b;
    options.baseline_len = IG_ROWS * IG_N;
    lumen_explanation *ex = ig(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options);
    if (ex != NULL) {
        ig_expected(&m, x, b, IG_N, IG_ROWS, all, IG_OUTPUTS, want);
        check_attributions(ex, got, want, LEN, EXACT_TOLERANCE, "IG, Gauss-Legendre 50, per-row baselines");
        check_gaps_near_zero(ex, PAIRS, GAP_TOLERANCE);
        float pred[PAIRS], base[PAIRS];
        double want_pred[PAIRS], want_base[PAIRS];
        for (size_t r = 0; r < IG_ROWS; r++) {
            for (size_t o = 0; o < IG_OUTPUTS; o++) {
                want_pred[r * IG_OUTPUTS + o] = grad_poly_value(&m, o, x + r * IG_N);
                want_base[r * IG_OUTPUTS + o] = grad_poly_value(&m, o, b + r * IG_N);
            }
        }
        CHECK_OK(lumen_explanation_predictions(ex, pred, PAIRS));
        CHECK_OK(lumen_explanation_base_values(ex, base, PAIRS));
        check_values(pred, want_pred, PAIRS, 1e-5, "predictions f(x)");
        check_values(base, want_base, PAIRS, 1e-5, "base values f(b)");
        lumen_row_diagnostics diag;
        CHECK_OK(lumen_explanation_row_diagnostics(ex, 1, &diag));
        CHECK(diag.has_completeness_gap == 1 && diag.model_rows_evaluated > 0);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"integrated_gradients\"");
            CHECK_CONTAINS(json, "\"gauss_legendre\"");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }

    /* One Gauss-Legendre node is exact too: the integrand is linear in α. A shared
     * baseline row, and a batch of 1 point per gradient call. */
    options.n_steps = 1;
    options.baseline_len = IG_N;
    options.internal_batch_size = 1;
    ex = ig(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options);
    if (ex != NULL) {
        ig_expected(&m, x, b, 0, IG_ROWS, all, IG_OUTPUTS, want);
        check_attributions(ex, got, want, LEN, EXACT_TOLERANCE, "IG, Gauss-Legendre 1, shared baseline");
        check_gaps_near_zero(ex, PAIRS, GAP_TOLERANCE);
        lumen_explanation_free(ex);
    }

    /* Scalar baseline 0.5 and output 1 only. */
    const uint32_t target = 1;
    float scalar_row[IG_N];
    for (size_t i = 0; i < IG_N; i++) {
        scalar_row[i] = 0.5f;
    }
    options = lumen_integrated_gradients_options_default();
    options.baseline_scalar = 0.5f;
    options.n_steps = 7;
    options.targets = &target;
    options.targets_len = 1;
    ex = ig(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options);
    if (ex != NULL) {
        ig_expected(&m, x, scalar_row, 0, IG_ROWS, &target, 1, want);
        check_attributions(ex, got, want, IG_ROWS * IG_N, EXACT_TOLERANCE, "IG, scalar baseline, output 1");
        uint32_t outputs[2] = {99, 99};
        CHECK_OK(lumen_explanation_outputs(ex, outputs, 2));
        CHECK(outputs[0] == 1 && outputs[1] == 99);
        check_gaps_near_zero(ex, IG_ROWS, GAP_TOLERANCE);
        lumen_explanation_free(ex);
    }

    /* Without multiplying by the inputs: the path integral of the gradient alone,
     * ∫ a(1 + 2(b + α(x − b))) dα = a(1 + x + b); no completeness gap. */
    options = lumen_integrated_gradients_options_default();
    options.baseline = b;
    options.baseline_len = IG_ROWS * IG_N;
    options.multiply_by_inputs = 0;
    ex = ig(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options);
    if (ex != NULL) {
        for (size_t r = 0; r < IG_ROWS; r++) {
            for (size_t o = 0; o < IG_OUTPUTS; o++) {
                for (size_t i = 0; i < IG_N; i++) {
                    want[(r * IG_OUTPUTS + o) * IG_N + i] =
                        (double)ig_a[o * IG_N + i] * (1.0 + (double)x[r * IG_N + i] + (double)b[r * IG_N + i]);
                }
            }
        }
        check_attributions(ex, got, want, LEN, EXACT_TOLERANCE, "IG without multiply_by_inputs");
        check_no_gaps(ex);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* f = Σ a (x + x² + 0.5 x³): the integrand is quadratic in α, so no Riemann rule is
 * exact, while Gauss-Legendre with 2 nodes is. Positive a and x > b keep the elements'
 * errors from cancelling. */
#define CV_N 4
static const float cv_a[CV_N] = {1.0f, 0.5f, 2.0f, 1.5f};
static const float cv_x[CV_N] = {1.5f, 2.0f, 0.5f, 1.0f};
static const float cv_b[CV_N] = {-0.5f, 0.0f, -1.5f, -1.0f};

/* The completeness gap of IG on the cubic model with `method` and `steps`; NAN on failure. */
static double convergence_gap(lumen_engine *engine, lumen_model *model, uint32_t method, size_t steps) {
    lumen_integrated_gradients_options options = lumen_integrated_gradients_options_default();
    options.baseline = cv_b;
    options.baseline_len = CV_N;
    options.method = method;
    options.n_steps = steps;
    lumen_explanation *ex = ig(engine, model, cv_x, CV_N, 1, &options);
    double gap = NAN;
    if (ex != NULL && !CHECK_OK(lumen_explanation_completeness_gaps(ex, &gap, 1))) {
        gap = NAN;
    }
    lumen_explanation_free(ex);
    return gap;
}

static void test_ig_convergence(lumen_engine *engine) {
    SECTION("Integrated Gradients: every Riemann rule's delta shrinks as n_steps grows");
    grad_poly_model m = {CV_N, 1, cv_a, 1.0, 0.5, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    static const uint32_t rules[5] = {LUMEN_IG_RIEMANN_LEFT, LUMEN_IG_RIEMANN_RIGHT, LUMEN_IG_RIEMANN_MIDDLE,
                                      LUMEN_IG_RIEMANN_TRAPEZOID, LUMEN_IG_RIEMANN_TRAPEZOID_CAPTUM};
    static const char *const names[5] = {"left", "right", "middle", "trapezoid", "trap-captum"};
    static const size_t steps[4] = {4, 16, 64, 256};
    for (size_t k = 0; k < 5; k++) {
        double gaps[4];
        for (size_t s = 0; s < 4; s++) {
            gaps[s] = convergence_gap(engine, model, rules[k], steps[s]);
        }
        printf("   riemann %-9s deltas: %.3g (4), %.3g (16), %.3g (64), %.3g (256)\n", names[k], gaps[0], gaps[1],
               gaps[2], gaps[3]);
        /* The coarse rule is visibly wrong; each 4× refinement at least halves the error
         * (first-order rules divide it by ~4, second-order ones by ~16) until f32 noise. */
        CHECK(fabs(gaps[0]) > 1e-2);
        CHECK(fabs(gaps[1]) < 0.5 * fabs(gaps[0]));
        CHECK(fabs(gaps[2]) < 0.5 * fabs(gaps[1]));
        CHECK(fabs(gaps[3]) < 0.5 * fabs(gaps[2]) || fabs(gaps[3]) < 1e-4);
        CHECK(fabs(gaps[3]) < 0.1);
    }
    /* Gauss-Legendre: exact from 2 nodes on, not with 1. */
    double gl1 = convergence_gap(engine, model, LUMEN_IG_GAUSS_LEGENDRE, 1);
    double gl2 = convergence_gap(engine, model, LUMEN_IG_GAUSS_LEGENDRE, 2);
    double gl50 = convergence_gap(engine, model, LUMEN_IG_GAUSS_LEGENDRE, 50);
    /* Captum's float32-rounded rule is as exact, to the rounding of its weights. */
    double gl50_captum = convergence_gap(engine, model, LUMEN_IG_GAUSS_LEGENDRE_CAPTUM, 50);
    printf("   gauss-legendre deltas: %.3g (1), %.3g (2), %.3g (50)\n", gl1, gl2, gl50);
    CHECK(fabs(gl1) > 1e-2);
    CHECK_NEAR(gl2, 0.0, GAP_TOLERANCE);
    CHECK_NEAR(gl50, 0.0, GAP_TOLERANCE);
    CHECK_NEAR(gl50_captum, 0.0, GAP_TOLERANCE);
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Saliency.                                                                             */

static void test_saliency(lumen_engine *engine) {
    SECTION("Saliency = |gradient| (abs) or the signed gradient");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 1.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[IG_ROWS * IG_N];
    fill(x, IG_ROWS * IG_N, 3);
    enum { LEN = IG_ROWS * IG_OUTPUTS * IG_N, PAIRS = IG_ROWS * IG_OUTPUTS };
    double signed_want[LEN], abs_want[LEN];
    size_t negative = 0;
    for (size_t r = 0; r < IG_ROWS; r++) {
        for (size_t o = 0; o < IG_OUTPUTS; o++) {
            for (size_t i = 0; i < IG_N; i++) {
                double g = grad_poly_derivative(&m, o, i, (double)x[r * IG_N + i]);
                signed_want[(r * IG_OUTPUTS + o) * IG_N + i] = g;
                abs_want[(r * IG_OUTPUTS + o) * IG_N + i] = fabs(g);
                negative += g < 0.0;
            }
        }
    }
    CHECK(negative > 0); /* the test would not tell abs from signed otherwise */
    float got[LEN];
    lumen_saliency_options options = lumen_saliency_options_default();
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_saliency(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options, &ex))) {
        check_attributions(ex, got, abs_want, LEN, 1e-6, "saliency, abs");
        float pred[PAIRS], base[PAIRS];
        double want_pred[PAIRS], zeros[PAIRS] = {0};
        for (size_t r = 0; r < IG_ROWS; r++) {
            for (size_t o = 0; o < IG_OUTPUTS; o++) {
                want_pred[r * IG_OUTPUTS + o] = grad_poly_value(&m, o, x + r * IG_N);
            }
        }
        CHECK_OK(lumen_explanation_predictions(ex, pred, PAIRS));
        CHECK_OK(lumen_explanation_base_values(ex, base, PAIRS));
        check_values(pred, want_pred, PAIRS, 1e-5, "saliency predictions");
        check_values(base, zeros, PAIRS, 0.0, "saliency base values");
        check_no_gaps(ex);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"saliency\"");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    options.abs = 0;
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_saliency(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options, &ex))) {
        check_attributions(ex, got, signed_want, LEN, 1e-6, "saliency, signed");
        lumen_explanation_free(ex);
    }
    const uint32_t target = 0;
    options.targets = &target;
    options.targets_len = 1;
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_saliency(engine, model, x, IG_N, 1, &options, &ex))) {
        check_attributions(ex, got, signed_want, IG_N, 1e-6, "saliency, output 0 of row 0");
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* GradientSHAP.                                                                         */

static void test_row_targets(lumen_engine *engine) {
    SECTION("per-row targets: each row's saliency of its own output, as one call per row");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 1.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[IG_ROWS * IG_N];
    fill(x, IG_ROWS * IG_N, 3);
    uint32_t targets[IG_ROWS];
    for (size_t r = 0; r < IG_ROWS; r++) {
        targets[r] = (uint32_t)((r + 1) % IG_OUTPUTS);
    }
    lumen_call_control control = lumen_call_control_default();
    CHECK(control.row_targets == NULL && control.n_row_targets == 0);
    control.row_targets = targets;
    control.n_row_targets = IG_ROWS;
    lumen_saliency_options options = lumen_saliency_options_default();
    options.control = &control;
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_saliency(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options, &ex))) {
        lumen_attribution_shape shape;
        CHECK_OK(lumen_explanation_shape(ex, &shape));
        CHECK(shape.rows == IG_ROWS && shape.outputs == 1 && shape.features == IG_N);
        uint32_t back[IG_ROWS];
        CHECK_OK(lumen_explanation_row_targets(ex, back, IG_ROWS));
        CHECK(memcmp(back, targets, sizeof targets) == 0);
        uint32_t outputs[1];
        CHECK_FAILS(lumen_explanation_outputs(ex, outputs, 1), LUMEN_STATUS_NOT_AVAILABLE, "per-row targets");
        float all[IG_ROWS * IG_N];
        CHECK_OK(lumen_explanation_attributions(ex, all, IG_ROWS * IG_N));
        for (size_t r = 0; r < IG_ROWS; r++) {
            lumen_saliency_options own = lumen_saliency_options_default();
            own.targets = &targets[r];
            own.targets_len = 1;
            lumen_explanation *alone = NULL;
            float one[IG_N];
            if (CHECK_OK(lumen_engine_explain_saliency(engine, model, x + r * IG_N, IG_N, 1, &own, &alone)) &&
                CHECK_OK(lumen_explanation_attributions(alone, one, IG_N))) {
                CHECK(memcmp(one, all + r * IG_N, sizeof one) == 0);
                CHECK_FAILS(lumen_explanation_row_targets(alone, back, 1), LUMEN_STATUS_NOT_AVAILABLE, "");
            }
            lumen_explanation_free(alone);
        }
    }
    lumen_explanation_free(ex);
    ex = NULL;
    targets[1] = IG_OUTPUTS;
    CHECK_FAILS(lumen_engine_explain_saliency(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "row 1's target is");
    targets[1] = 0;
    control.n_row_targets = IG_ROWS - 1;
    CHECK_FAILS(lumen_engine_explain_saliency(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options, &ex),
                LUMEN_STATUS_LENGTH_MISMATCH, "control.row_targets");
    CHECK(ex == NULL);
    lumen_model_free(model);
}

static void test_gradient_shap_linear(lumen_engine *engine) {
    SECTION("GradientSHAP on a linear model with one baseline row = a (x - b), delta ~ 0");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 0.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[IG_ROWS * IG_N], b[IG_N];
    fill(x, IG_ROWS * IG_N, 4);
    fill(b, IG_N, 5);
    const uint32_t all[IG_OUTPUTS] = {0, 1};
    enum { LEN = IG_ROWS * IG_OUTPUTS * IG_N, PAIRS = IG_ROWS * IG_OUTPUTS };
    double want[LEN];
    ig_expected(&m, x, b, 0, IG_ROWS, all, IG_OUTPUTS, want);
    lumen_gradient_shap_options options = lumen_gradient_shap_options_default();
    options.baselines = b;
    options.baselines_len = IG_N;
    for (size_t batch = 0; batch < 2; batch++) {
        options.internal_batch_size = batch == 0 ? 0 : 3;
        lumen_explanation *ex = NULL;
        if (!CHECK_OK(lumen_engine_explain_gradient_shap(engine, model, x, IG_ROWS * IG_N, IG_ROWS, &options, &ex))) {
            continue;
        }
        float got[LEN], base[PAIRS];
        check_attributions(ex, got, want, LEN, 1e-5, "GradientSHAP, linear, one baseline");
        check_gaps_near_zero(ex, PAIRS, 1e-5);
        double want_base[PAIRS];
        for (size_t r = 0; r < IG_ROWS; r++) {
            for (size_t o = 0; o < IG_OUTPUTS; o++) {
                want_base[r * IG_OUTPUTS + o] = grad_poly_value(&m, o, b);
            }
        }
        CHECK_OK(lumen_explanation_base_values(ex, base, PAIRS));
        check_values(base, want_base, PAIRS, 1e-5, "GradientSHAP base values f(b)");
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"gradient_shap\"");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

#define GS_ROWS 3
#define GS_DIST 4
#define GS_LEN (GS_ROWS * IG_OUTPUTS * IG_N)

/* GradientSHAP of the quadratic model on an engine with `threads` and `seed`: copies the
 * attributions into `values` and returns the JSON (free it), or NULL on failure. */
static char *gradient_shap_run(lumen_model *model, const float *x, const lumen_gradient_shap_options *options,
                               uint32_t threads, uint64_t seed, float *values) {
    lumen_engine *engine = new_engine(threads, seed);
    lumen_explanation *ex = NULL;
    char *json = NULL;
    if (engine != NULL &&
        CHECK_OK(lumen_engine_explain_gradient_shap(engine, model, x, GS_ROWS * IG_N, GS_ROWS, options, &ex)) &&
        attributions(ex, values, GS_LEN)) {
        CHECK_OK(lumen_explanation_to_json(ex, &json));
    }
    lumen_explanation_free(ex);
    lumen_engine_free(engine);
    return json;
}

static void test_gradient_shap_reproducible(void) {
    SECTION("GradientSHAP: same JSON for 1, 2 and 8 threads; another seed draws other samples");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 1.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[GS_ROWS * IG_N], dist[GS_DIST * IG_N];
    fill(x, GS_ROWS * IG_N, 6);
    fill(dist, GS_DIST * IG_N, 7);
    lumen_gradient_shap_options options = lumen_gradient_shap_options_default();
    options.baselines = dist;
    options.baselines_len = GS_DIST * IG_N;
    options.n_samples = 16;
    options.stdevs = 0.25f;
    static const uint32_t threads[3] = {1, 2, 8};
    float values[4][GS_LEN];
    char *json[4] = {NULL, NULL, NULL, NULL};
    for (size_t t = 0; t < 3; t++) {
        json[t] = gradient_shap_run(model, x, &options, threads[t], 7, values[t]);
    }
    /* A batch of 5 points per call does not change a bit either. */
    options.internal_batch_size = 5;
    float batched[GS_LEN];
    char *batched_json = gradient_shap_run(model, x, &options, 4, 7, batched);
    options.internal_batch_size = 0;
    json[3] = gradient_shap_run(model, x, &options, 2, 8, values[3]);
    if (CHECK(json[0] != NULL && json[1] != NULL && json[2] != NULL && json[3] != NULL && batched_json != NULL)) {
        CHECK(strcmp(json[0], json[1]) == 0);
        CHECK(strcmp(json[0], json[2]) == 0);
        CHECK(memcmp(values[0], values[1], sizeof values[0]) == 0);
        CHECK(memcmp(values[0], values[2], sizeof values[0]) == 0);
        CHECK(memcmp(values[0], batched, sizeof batched) == 0);
        CHECK(strcmp(json[0], json[3]) != 0);
        CHECK(memcmp(values[0], values[3], sizeof values[0]) != 0);
        CHECK_CONTAINS(json[0], "\"seed\":7");
    }
    for (size_t t = 0; t < 4; t++) {
        lumen_string_free(json[t]);
    }
    lumen_string_free(batched_json);
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* NoiseTunnel.                                                                          */

static lumen_explanation *tunnel(lumen_engine *engine, lumen_model *model, const float *x, size_t rows,
                                 const lumen_noise_tunnel_options *options) {
    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_noise_tunnel(engine, model, x, rows * IG_N, rows, options, &ex))) {
        return NULL;
    }
    return ex;
}

static void test_noise_tunnel(lumen_engine *engine) {
    SECTION("NoiseTunnel: smoothgrad of saliency on a linear model = a; smoothgrad_sq = a^2; vargrad = 0");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 0.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[IG_ROWS * IG_N];
    fill(x, IG_ROWS * IG_N, 8);
    enum { LEN = IG_ROWS * IG_OUTPUTS * IG_N, PAIRS = IG_ROWS * IG_OUTPUTS };
    double a[LEN], abs_a[LEN], a2[LEN], zeros[LEN];
    for (size_t r = 0; r < IG_ROWS; r++) {
        for (size_t j = 0; j < IG_OUTPUTS * IG_N; j++) {
            double v = ig_a[j];
            a[r * IG_OUTPUTS * IG_N + j] = v;
            abs_a[r * IG_OUTPUTS * IG_N + j] = fabs(v);
            a2[r * IG_OUTPUTS * IG_N + j] = v * v;
            zeros[r * IG_OUTPUTS * IG_N + j] = 0.0;
        }
    }
    float got[LEN];
    lumen_saliency_options saliency = lumen_saliency_options_default();
    lumen_noise_tunnel_options options = lumen_noise_tunnel_options_default();
    options.saliency = &saliency;
    options.nt_samples = 10;
    saliency.abs = 0;
    lumen_explanation *ex = tunnel(engine, model, x, IG_ROWS, &options);
    if (ex != NULL) {
        check_attributions(ex, got, a, LEN, 1e-6, "smoothgrad of signed saliency");
        float pred[PAIRS];
        double want_pred[PAIRS];
        for (size_t r = 0; r < IG_ROWS; r++) {
            for (size_t o = 0; o < IG_OUTPUTS; o++) {
                want_pred[r * IG_OUTPUTS + o] = grad_poly_value(&m, o, x + r * IG_N);
            }
        }
        CHECK_OK(lumen_explanation_predictions(ex, pred, PAIRS));
        check_values(pred, want_pred, PAIRS, 1e-5, "NoiseTunnel predictions f(x) of the clean rows");
        check_no_gaps(ex);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"noise_tunnel\"");
            CHECK_CONTAINS(json, "\"smoothgrad\"");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }
    saliency.abs = 1;
    ex = tunnel(engine, model, x, IG_ROWS, &options);
    if (ex != NULL) {
        check_attributions(ex, got, abs_a, LEN, 1e-6, "smoothgrad of |saliency|");
        lumen_explanation_free(ex);
    }
    saliency.abs = 0;
    options.nt_type = LUMEN_NOISE_SMOOTHGRAD_SQ;
    ex = tunnel(engine, model, x, IG_ROWS, &options);
    if (ex != NULL) {
        check_attributions(ex, got, a2, LEN, 1e-6, "smoothgrad_sq of saliency");
        lumen_explanation_free(ex);
    }
    options.nt_type = LUMEN_NOISE_VARGRAD;
    ex = tunnel(engine, model, x, IG_ROWS, &options);
    if (ex != NULL) {
        check_attributions(ex, got, zeros, LEN, 1e-6, "vargrad of saliency");
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

static void test_noise_tunnel_bases(lumen_engine *engine) {
    SECTION("NoiseTunnel without noise (stdevs 0) reproduces its base: IG (per-row baselines) and GradientSHAP");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 1.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[IG_ROWS * IG_N], b[IG_ROWS * IG_N];
    fill(x, IG_ROWS * IG_N, 9);
    fill(b, IG_ROWS * IG_N, 10);
    const uint32_t all[IG_OUTPUTS] = {0, 1};
    enum { LEN = IG_ROWS * IG_OUTPUTS * IG_N };
    double want[LEN];
    float got[LEN];
    lumen_integrated_gradients_options ig = lumen_integrated_gradients_options_default();
    lumen_gradient_shap_options gs = lumen_gradient_shap_options_default();
    lumen_saliency_options saliency = lumen_saliency_options_default();
    lumen_noise_tunnel_options options = lumen_noise_tunnel_options_default();
    options.saliency = &saliency;
    options.integrated_gradients = &ig;
    options.gradient_shap = &gs;
    options.stdevs = 0.0f;
    options.nt_samples = 3;
    options.base = LUMEN_NT_BASE_INTEGRATED_GRADIENTS;
    ig.baseline = b;
    ig.baseline_len = IG_ROWS * IG_N;
    ig.n_steps = 4;
    /* An unused member's bad number is ignored. */
    gs.n_samples = 0;
    saliency.targets_len = 3;
    lumen_explanation *ex = tunnel(engine, model, x, IG_ROWS, &options);
    if (ex != NULL) {
        ig_expected(&m, x, b, IG_N, IG_ROWS, all, IG_OUTPUTS, want);
        check_attributions(ex, got, want, LEN, EXACT_TOLERANCE, "NoiseTunnel(IG, per-row baselines), no noise");
        lumen_explanation_free(ex);
    }

    /* GradientSHAP on the linear model, one baseline row: a (x - b) whatever α. */
    grad_poly_model lin = {IG_N, IG_OUTPUTS, ig_a, 0.0, 0.0, 0, 0};
    lumen_model_desc lin_desc = grad_poly_desc(&lin);
    lumen_model *linear = new_model(&lin_desc);
    options = lumen_noise_tunnel_options_default();
    gs = lumen_gradient_shap_options_default();
    options.gradient_shap = &gs;
    options.stdevs = 0.0f;
    options.base = LUMEN_NT_BASE_GRADIENT_SHAP;
    gs.baselines = b;
    gs.baselines_len = IG_N;
    ex = linear != NULL ? tunnel(engine, linear, x, IG_ROWS, &options) : NULL;
    if (ex != NULL) {
        ig_expected(&lin, x, b, 0, IG_ROWS, all, IG_OUTPUTS, want);
        check_attributions(ex, got, want, LEN, 1e-5, "NoiseTunnel(GradientSHAP), linear, no noise");
        lumen_explanation_free(ex);
    }
    lumen_model_free(linear);

    /* With noise: the same JSON for 1 and 8 threads. */
    options = lumen_noise_tunnel_options_default();
    ig = lumen_integrated_gradients_options_default();
    options.integrated_gradients = &ig;
    options.base = LUMEN_NT_BASE_INTEGRATED_GRADIENTS;
    options.nt_type = LUMEN_NOISE_VARGRAD;
    options.stdevs = 0.5f;
    ig.n_steps = 8;
    char *json[2] = {NULL, NULL};
    for (size_t t = 0; t < 2; t++) {
        lumen_engine *e = new_engine(t == 0 ? 1 : 8, 3);
        lumen_explanation *run = e != NULL ? tunnel(e, model, x, IG_ROWS, &options) : NULL;
        if (run != NULL) {
            CHECK_OK(lumen_explanation_to_json(run, &json[t]));
        }
        lumen_explanation_free(run);
        lumen_engine_free(e);
    }
    if (CHECK(json[0] != NULL && json[1] != NULL)) {
        CHECK(strcmp(json[0], json[1]) == 0);
        CHECK_CONTAINS(json[0], "\"vargrad\"");
    }
    lumen_string_free(json[0]);
    lumen_string_free(json[1]);
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Grad-CAM.                                                                             */

#define CAM_C 2
#define CAM_H 2
#define CAM_W 3
#define CAM_IN_H 4
#define CAM_IN_W 6
#define CAM_PLANE (CAM_H * CAM_W)
#define CAM_IN (CAM_IN_H * CAM_IN_W)

static const float cam_activations[CAM_C * CAM_PLANE] = {1, 2, 3, 4, 5, 6, /* A_0 */ -1, 0, 2, 1, -3, 0 /* A_1 */};
/* Output 0: mean(G_0) = 0.5, mean(G_1) = -0.5. Output 1: mean(G_0) = -0.25, mean(G_1) = 1. */
static const float cam_gradients[2 * CAM_C * CAM_PLANE] = {
    0.5f,  0.5f,  0.5f,  0.5f,  0.5f,  0.5f,  1.0f, -1.0f, 0.0f, 2.0f, 0.0f, -5.0f, /* output 0 */
    -1.0f, 0.5f,  -0.5f, 0.0f,  -0.5f, 0.0f,  1.0f, 1.0f,  1.0f, 1.0f, 1.0f, 1.0f, /* output 1 */
};
/* By hand: 0.5 A_0 − 0.5 A_1 and −0.25 A_0 + A_1. */
static const double cam_by_hand[2][CAM_PLANE] = {{1.0, 1.0, 0.5, 1.5, 4.0, 3.0},
                                                 {-1.25, -0.5, 1.25, 0.0, -4.25, -1.5}};
static const double cam_by_hand_relu[2][CAM_PLANE] = {{1.0, 1.0, 0.5, 1.5, 4.0, 3.0}, {0, 0, 1.25, 0, 0, 0}};

/* PyTorch's bilinear interpolation (align_corners=False) of an h × w map to H × W. */
static void bilinear_reference(const double *map, size_t h, size_t w, size_t out_h, size_t out_w, double *out) {
    for (size_t y = 0; y < out_h; y++) {
        double sy = ((double)y + 0.5) * (double)h / (double)out_h - 0.5;
        sy = sy < 0.0 ? 0.0 : sy;
        size_t y0 = (size_t)sy < h - 1 ? (size_t)sy : h - 1;
        size_t y1 = y0 + 1 < h ? y0 + 1 : h - 1;
        double wy = sy - (double)y0;
        for (size_t x = 0; x < out_w; x++) {
            double sx = ((double)x + 0.5) * (double)w / (double)out_w - 0.5;
            sx = sx < 0.0 ? 0.0 : sx;
            size_t x0 = (size_t)sx < w - 1 ? (size_t)sx : w - 1;
            size_t x1 = x0 + 1 < w ? x0 + 1 : w - 1;
            double wx = sx - (double)x0;
            double top = (1.0 - wx) * map[y0 * w + x0] + wx * map[y0 * w + x1];
            double bottom = (1.0 - wx) * map[y1 * w + x0] + wx * map[y1 * w + x1];
            out[y * out_w + x] = (1.0 - wy) * top + wy * bottom;
        }
    }
}

static void test_grad_cam(lumen_engine *engine) {
    SECTION("Grad-CAM equals hand-computed maps (layer h x w, ReLU, bilinear upsampling to H x W)");
    cam_model m = {CAM_C, CAM_H, CAM_W, CAM_IN_H, CAM_IN_W, 2, cam_activations, cam_gradients, 0, 0};
    size_t shape[3];
    lumen_model_desc desc = cam_desc(&m, shape);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    /* The reference agrees with the hand-computed maps. */
    for (size_t o = 0; o < 2; o++) {
        double ref[CAM_PLANE], ref_relu[CAM_PLANE];
        cam_reference(&m, o, 0, ref);
        cam_reference(&m, o, 1, ref_relu);
        for (size_t p = 0; p < CAM_PLANE; p++) {
            CHECK_NEAR(ref[p], cam_by_hand[o][p], 1e-12);
            CHECK_NEAR(ref_relu[p], cam_by_hand_relu[o][p], 1e-12);
        }
    }
    enum { ROWS = 2 };
    float x[ROWS * CAM_IN];
    fill(x, ROWS * CAM_IN, 11);

    /* Not upsampled: the layer's h × w map of each row and output. */
    lumen_grad_cam_options options = lumen_grad_cam_options_default();
    options.upsample = 0;
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_grad_cam(engine, model, x, ROWS * CAM_IN, ROWS, &options, &ex))) {
        enum { LEN = ROWS * 2 * CAM_PLANE };
        double want[LEN];
        for (size_t r = 0; r < ROWS; r++) {
            for (size_t o = 0; o < 2; o++) {
                memcpy(want + (r * 2 + o) * CAM_PLANE, cam_by_hand[o], sizeof cam_by_hand[o]);
            }
        }
        float got[LEN];
        lumen_attribution_shape shape_out;
        CHECK_OK(lumen_explanation_shape(ex, &shape_out));
        CHECK(shape_out.rows == ROWS && shape_out.outputs == 2 && shape_out.features == CAM_PLANE);
        check_attributions(ex, got, want, LEN, 1e-6, "Grad-CAM map, no upsampling");
        float pred[ROWS * 2], base[ROWS * 2];
        double want_pred[ROWS * 2], zeros[ROWS * 2] = {0};
        for (size_t r = 0; r < ROWS; r++) {
            float out[2];
            cam_predict(&m, x + r * CAM_IN, 1, out);
            want_pred[r * 2] = out[0];
            want_pred[r * 2 + 1] = out[1];
        }
        CHECK_OK(lumen_explanation_predictions(ex, pred, ROWS * 2));
        CHECK_OK(lumen_explanation_base_values(ex, base, ROWS * 2));
        check_values(pred, want_pred, ROWS * 2, 1e-6, "Grad-CAM predictions");
        check_values(base, zeros, ROWS * 2, 0.0, "Grad-CAM base values");
        check_no_gaps(ex);
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"grad_cam\"");
        }
        lumen_string_free(json);
        lumen_explanation_free(ex);
    }

    /* ReLU, output 1 only, one row per layer call. */
    const uint32_t target = 1;
    options.relu_attributions = 1;
    options.targets = &target;
    options.targets_len = 1;
    options.internal_batch_size = 1;
    m.layer_calls = 0;
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_grad_cam(engine, model, x, ROWS * CAM_IN, ROWS, &options, &ex))) {
        double want[ROWS * CAM_PLANE];
        memcpy(want, cam_by_hand_relu[1], sizeof cam_by_hand_relu[1]);
        memcpy(want + CAM_PLANE, cam_by_hand_relu[1], sizeof cam_by_hand_relu[1]);
        float got[ROWS * CAM_PLANE];
        check_attributions(ex, got, want, ROWS * CAM_PLANE, 1e-6, "Grad-CAM map, ReLU, output 1");
        CHECK(m.layer_calls == ROWS);
        lumen_explanation_free(ex);
    }

    /* Both outputs of three rows whose maps differ (activations scaled by the row's first
     * element), 5 points per layer call: batches straddle rows. */
    {
        enum { R3 = 3, LEN = R3 * 2 * CAM_PLANE };
        float x3[R3 * CAM_IN];
        fill(x3, R3 * CAM_IN, 12);
        x3[0] = 2.0f;
        x3[CAM_IN] = -1.0f;
        x3[2 * CAM_IN] = 0.5f;
        options = lumen_grad_cam_options_default();
        options.upsample = 0;
        options.internal_batch_size = 5;
        m.scale_by_first_input = 1;
        m.layer_calls = 0;
        ex = NULL;
        if (CHECK_OK(lumen_engine_explain_grad_cam(engine, model, x3, R3 * CAM_IN, R3, &options, &ex))) {
            double want[LEN];
            for (size_t r = 0; r < R3; r++) {
                for (size_t o = 0; o < 2; o++) {
                    for (size_t p = 0; p < CAM_PLANE; p++) {
                        want[(r * 2 + o) * CAM_PLANE + p] = (double)x3[r * CAM_IN] * cam_by_hand[o][p];
                    }
                }
            }
            float got[LEN];
            check_attributions(ex, got, want, LEN, 1e-6, "Grad-CAM maps of 3 rows x 2 outputs in batches of 5");
            CHECK(m.layer_calls == 2);
            lumen_explanation_free(ex);
        }
        m.scale_by_first_input = 0;
    }

    /* Upsampled (the default) to the input's 4 × 6 plane. */
    options = lumen_grad_cam_options_default();
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_grad_cam(engine, model, x, ROWS * CAM_IN, ROWS, &options, &ex))) {
        enum { LEN = ROWS * 2 * CAM_IN };
        double want[LEN];
        for (size_t r = 0; r < ROWS; r++) {
            for (size_t o = 0; o < 2; o++) {
                bilinear_reference(cam_by_hand[o], CAM_H, CAM_W, CAM_IN_H, CAM_IN_W, want + (r * 2 + o) * CAM_IN);
            }
        }
        /* Spot checks by hand: the scale is 1/2 on both axes, so output (1, 1) reads
         * source (0.25, 0.25) and output (3, 5) clamps to source (1, 2). */
        double corner = 0.75 * (0.75 * 1.0 + 0.25 * 1.0) + 0.25 * (0.75 * 1.5 + 0.25 * 4.0);
        CHECK_NEAR(want[1 * CAM_IN_W + 1], corner, 1e-12);
        CHECK_NEAR(want[3 * CAM_IN_W + 5], 3.0, 1e-12);
        CHECK_NEAR(want[0], 1.0, 1e-12);
        float got[LEN];
        lumen_attribution_shape shape_out;
        CHECK_OK(lumen_explanation_shape(ex, &shape_out));
        CHECK(shape_out.features == CAM_IN && shape_out.feature_axis == LUMEN_FEATURE_AXIS_ELEMENTS);
        check_attributions(ex, got, want, LEN, 1e-5, "Grad-CAM map, bilinear upsampling");
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
}

/* ---------------------------------------------------------------------------------- */
/* Errors.                                                                               */

/* Runs every gradient method (IG, saliency, GradientSHAP, NoiseTunnel) on `model` with
 * healthy options and checks each fails with `want` and `needle`, leaving `out` alone. */
static void check_all_methods_fail(lumen_engine *engine, lumen_model *model, const float *x, lumen_status want,
                                   const char *needle) {
    static const float b[IG_N] = {0};
    lumen_integrated_gradients_options ig_opt = lumen_integrated_gradients_options_default();
    lumen_saliency_options sal = lumen_saliency_options_default();
    lumen_gradient_shap_options gs = lumen_gradient_shap_options_default();
    gs.baselines = b;
    gs.baselines_len = IG_N;
    lumen_noise_tunnel_options nt = lumen_noise_tunnel_options_default();
    lumen_explanation *ex = SENTINEL;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex), want, needle);
    CHECK_FAILS(lumen_engine_explain_saliency(engine, model, x, IG_N, 1, &sal, &ex), want, needle);
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), want, needle);
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), want, needle);
    CHECK(ex == SENTINEL);
}

static void test_model_errors(lumen_engine *engine) {
    SECTION("errors from the model: no gradient callback, failing and NaN gradients, no layer callback");
    float x[IG_N];
    fill(x, IG_N, 12);

    /* A model without a gradient callback. */
    const float bias[IG_OUTPUTS] = {0, 0};
    linear_model lin = {IG_N, IG_OUTPUTS, ig_a, bias};
    lumen_model_desc desc = linear_desc(&lin);
    lumen_model *model = new_model(&desc);
    if (model != NULL) {
        check_all_methods_fail(engine, model, x, LUMEN_STATUS_MODEL_CAPABILITY_MISSING, "gradient");
        /* ... nor a layer callback. */
        lumen_grad_cam_options gc = lumen_grad_cam_options_default();
        lumen_explanation *ex = SENTINEL;
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, model, x, IG_N, 1, &gc, &ex),
                    LUMEN_STATUS_MODEL_CAPABILITY_MISSING, "layer");
        CHECK(ex == SENTINEL);
    }
    lumen_model_free(model);

    /* A gradient callback that writes NaN, then one that returns an error code. */
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 1.0, 0.0, 0, 1};
    lumen_model_desc gdesc = grad_poly_desc(&m);
    model = new_model(&gdesc);
    if (model != NULL) {
        check_all_methods_fail(engine, model, x, LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT, "gradient");
        m.nan_gradient = 0;
        m.gradient_error = 42;
        check_all_methods_fail(engine, model, x, LUMEN_STATUS_MODEL_FAILED, "42");
        /* A gradient model has no layer callback either. */
        lumen_grad_cam_options gc = lumen_grad_cam_options_default();
        lumen_explanation *ex = SENTINEL;
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, model, x, IG_N, 1, &gc, &ex),
                    LUMEN_STATUS_MODEL_CAPABILITY_MISSING, "layer");
        CHECK(ex == SENTINEL);
    }
    lumen_model_free(model);

    /* Grad-CAM: NaN in the layer's activations; upsampling a 1-D input. */
    float bad_activations[CAM_C * CAM_PLANE];
    memcpy(bad_activations, cam_activations, sizeof bad_activations);
    bad_activations[4] = NAN;
    cam_model cam = {CAM_C, CAM_H, CAM_W, CAM_IN_H, CAM_IN_W, 2, bad_activations, cam_gradients, 0, 0};
    size_t shape[3];
    lumen_model_desc cdesc = cam_desc(&cam, shape);
    lumen_model *cam_nan = new_model(&cdesc);
    float cx[CAM_IN];
    fill(cx, CAM_IN, 13);
    lumen_grad_cam_options gc = lumen_grad_cam_options_default();
    lumen_explanation *ex = SENTINEL;
    if (cam_nan != NULL) {
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, cam_nan, cx, CAM_IN, 1, &gc, &ex),
                    LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT, "activation");
        CHECK(ex == SENTINEL);
    }
    lumen_model_free(cam_nan);
    cam.activations = cam_activations;
    cdesc.input_shape = NULL;
    cdesc.input_rank = 0; /* a 1-D row of CAM_IN elements */
    lumen_model *flat = new_model(&cdesc);
    if (flat != NULL) {
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, flat, cx, CAM_IN, 1, &gc, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                    "upsample");
        CHECK(ex == SENTINEL);
        gc.upsample = 0;
        ex = NULL;
        CHECK_OK(lumen_engine_explain_grad_cam(engine, flat, cx, CAM_IN, 1, &gc, &ex));
        lumen_explanation_free(ex);
        ex = SENTINEL;
        const uint32_t wrong = 2;
        gc.targets = &wrong;
        gc.targets_len = 1;
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, flat, cx, CAM_IN, 1, &gc, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                    "targets");
        gc.targets = NULL;
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, flat, cx, CAM_IN, 1, &gc, &ex), LUMEN_STATUS_NULL_POINTER,
                    "options.targets");
        gc.targets_len = 0;
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, flat, cx, CAM_IN, 1, &gc, NULL), LUMEN_STATUS_NULL_POINTER,
                    "out");
        CHECK_FAILS(lumen_engine_explain_grad_cam(engine, flat, cx, CAM_IN, 1, NULL, &ex), LUMEN_STATUS_NULL_POINTER,
                    "options");
        CHECK(ex == SENTINEL);
    }
    lumen_model_free(flat);

    /* lumen_model_new: a layer shape without a layer callback, and the reverse. */
    lumen_model_desc bad = grad_poly_desc(&m);
    bad.layer_shape[0] = 2;
    bad.layer_shape[1] = 2;
    bad.layer_shape[2] = 3;
    lumen_model *untouched = (lumen_model *)(void *)&sentinel_storage;
    CHECK_FAILS(lumen_model_new(&bad, &untouched), LUMEN_STATUS_INVALID_ARGUMENT, "layer_shape");
    CHECK(untouched == (lumen_model *)(void *)&sentinel_storage);
    bad.layer_shape[0] = 0;
    bad.layer_shape[1] = 0;
    bad.layer_shape[2] = 1;
    CHECK_FAILS(lumen_model_new(&bad, &untouched), LUMEN_STATUS_INVALID_ARGUMENT, "layer_shape");
    lumen_model_desc no_shape = cam_desc(&cam, shape);
    no_shape.layer_shape[1] = 0;
    CHECK_FAILS(lumen_model_new(&no_shape, &untouched), LUMEN_STATUS_INVALID_ARGUMENT, "layer_shape");
    CHECK(untouched == (lumen_model *)(void *)&sentinel_storage);
}

static void test_option_errors(lumen_engine *engine) {
    SECTION("errors in the options: statuses, messages naming the field, nothing written");
    grad_poly_model m = {IG_N, IG_OUTPUTS, ig_a, 1.0, 0.0, 0, 0};
    lumen_model_desc desc = grad_poly_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[IG_N], dist[2 * IG_N + 1];
    fill(x, IG_N, 14);
    fill(dist, 2 * IG_N + 1, 15);
    lumen_explanation *ex = SENTINEL;
    const uint32_t wrong_target = IG_OUTPUTS, twice[2] = {1, 1};

    /* Integrated Gradients. */
    lumen_integrated_gradients_options ig_opt = lumen_integrated_gradients_options_default();
    ig_opt.n_steps = 0;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "n_steps");
    ig_opt.n_steps = 1;
    ig_opt.method = LUMEN_IG_RIEMANN_TRAPEZOID;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "n_steps");
    ig_opt = lumen_integrated_gradients_options_default();
    ig_opt.method = 7;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "options.method: is 7");
    ig_opt.method = LUMEN_IG_GAUSS_LEGENDRE;
    ig_opt.targets = &wrong_target;
    ig_opt.targets_len = 1;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "targets");
    ig_opt.targets = twice;
    ig_opt.targets_len = 2;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "twice");
    ig_opt.targets = NULL;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_NULL_POINTER, "options.targets");
    ig_opt.targets_len = 0;
    ig_opt.baseline = dist;
    ig_opt.baseline_len = IG_N + 1;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_LENGTH_MISMATCH, "baseline");
    ig_opt.baseline = NULL;
    ig_opt.baseline_len = IG_N;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_NULL_POINTER, "options.baseline");
    ig_opt.baseline_len = 0;
    ig_opt.baseline_scalar = INFINITY;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_NON_FINITE_INPUT, "baseline");
    ig_opt.baseline_scalar = 0.0f;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, &ig_opt, NULL),
                LUMEN_STATUS_NULL_POINTER, "out");
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N, 1, NULL, &ex),
                LUMEN_STATUS_NULL_POINTER, "options");
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(NULL, model, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_NULL_POINTER, "engine");
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, NULL, x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_NULL_POINTER, "model");
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, IG_N - 1, 1, &ig_opt, &ex),
                LUMEN_STATUS_LENGTH_MISMATCH, "inputs");
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, x, 0, 0, &ig_opt, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "rows");
    float nan_x[IG_N];
    memcpy(nan_x, x, sizeof nan_x);
    nan_x[2] = NAN;
    CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, model, nan_x, IG_N, 1, &ig_opt, &ex),
                LUMEN_STATUS_NON_FINITE_INPUT, "inputs");
    CHECK(ex == SENTINEL);

    /* Saliency. */
    lumen_saliency_options sal = lumen_saliency_options_default();
    sal.targets = &wrong_target;
    sal.targets_len = 1;
    CHECK_FAILS(lumen_engine_explain_saliency(engine, model, x, IG_N, 1, &sal, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "targets");
    sal.targets_len = 0;
    CHECK_FAILS(lumen_engine_explain_saliency(engine, model, x, IG_N, 1, &sal, NULL), LUMEN_STATUS_NULL_POINTER,
                "out");
    CHECK_FAILS(lumen_engine_explain_saliency(engine, model, NULL, IG_N, 1, &sal, &ex), LUMEN_STATUS_NULL_POINTER,
                "inputs");
    CHECK(ex == SENTINEL);

    /* GradientSHAP. */
    lumen_gradient_shap_options gs = lumen_gradient_shap_options_default();
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "baselines: is empty");
    gs.baselines = dist;
    gs.baselines_len = 2 * IG_N + 1;
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), LUMEN_STATUS_LENGTH_MISMATCH,
                "baselines");
    gs.baselines = NULL;
    gs.baselines_len = IG_N;
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), LUMEN_STATUS_NULL_POINTER,
                "options.baselines");
    gs.baselines = dist;
    gs.n_samples = 0;
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "n_samples");
    gs.n_samples = 5;
    gs.stdevs = -1.0f;
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "stdevs");
    gs.stdevs = NAN;
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "stdevs");
    gs.stdevs = 0.0f;
    gs.targets = &wrong_target;
    gs.targets_len = 1;
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "targets");
    gs.targets_len = 0;
    CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, model, x, IG_N, 1, &gs, NULL), LUMEN_STATUS_NULL_POINTER,
                "out");
    CHECK(ex == SENTINEL);

    /* NoiseTunnel: its own numbers, then errors in the chosen base's options. */
    lumen_saliency_options nt_saliency = lumen_saliency_options_default();
    lumen_integrated_gradients_options nt_ig = lumen_integrated_gradients_options_default();
    lumen_gradient_shap_options nt_gs = lumen_gradient_shap_options_default();
    lumen_noise_tunnel_options nt = lumen_noise_tunnel_options_default();
    nt.saliency = &nt_saliency;
    nt.nt_type = 3;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "options.nt_type: is 3");
    nt.nt_type = LUMEN_NOISE_SMOOTHGRAD;
    nt.base = 3;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "options.base: is 3");
    nt.base = LUMEN_NT_BASE_SALIENCY;
    nt.nt_samples = 0;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "nt_samples");
    nt.nt_samples = 5;
    nt.stdevs = -0.5f;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "stdevs");
    nt.stdevs = 1.0f;
    nt_saliency.targets = NULL;
    nt_saliency.targets_len = 1;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_NULL_POINTER,
                "options.saliency.targets");
    nt_saliency.targets = &wrong_target;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "targets");
    nt = lumen_noise_tunnel_options_default();
    nt.integrated_gradients = &nt_ig;
    nt.base = LUMEN_NT_BASE_INTEGRATED_GRADIENTS;
    nt_ig.method = 9;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "options.integrated_gradients.method: is 9");
    nt_ig.method = LUMEN_IG_RIEMANN_LEFT;
    nt_ig.n_steps = 0;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "n_steps");
    nt_ig.n_steps = 4;
    nt_ig.baseline_len = IG_N;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_NULL_POINTER,
                "options.integrated_gradients.baseline");
    nt = lumen_noise_tunnel_options_default();
    nt.base = LUMEN_NT_BASE_GRADIENT_SHAP;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_NULL_POINTER,
                "options.gradient_shap: is NULL");
    nt.gradient_shap = &nt_gs;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "baselines: is empty");
    nt_gs.struct_size = 0;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_ABI_VERSION_MISMATCH,
                "options.gradient_shap.struct_size: is 0");
    nt_gs.struct_size = sizeof nt_gs;
    nt_gs.baselines_len = IG_N;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, &ex), LUMEN_STATUS_NULL_POINTER,
                "options.gradient_shap.baselines");
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, IG_N, 1, &nt, NULL), LUMEN_STATUS_NULL_POINTER,
                "out");
    CHECK(ex == SENTINEL);
    lumen_model_free(model);
}

int main(void) {
    test_defaults();
    /* Four threads: the happy path runs on a multi-threaded engine. */
    lumen_engine *engine = new_engine(4, 0);
    if (engine != NULL) {
        test_ig_closed_form(engine);
        test_ig_convergence(engine);
        test_saliency(engine);
        test_row_targets(engine);
        test_gradient_shap_linear(engine);
        test_noise_tunnel(engine);
        test_noise_tunnel_bases(engine);
        test_grad_cam(engine);
        test_model_errors(engine);
        test_option_errors(engine);
    }
    lumen_engine_free(engine);
    test_gradient_shap_reproducible();
    return harness_report("test_gradient");
}
