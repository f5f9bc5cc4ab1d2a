/*
 * test_float64.c: double-precision models through the C ABI. A LUMEN_ELEMENT_F64 model
 * (descriptor ABI 4) sees exactly its caller's doubles, every method's _f64 export runs it,
 * exact KernelSHAP equals brute-force Shapley values computed here to 1e-12, results read
 * back as doubles, and every mix of float and double gives LUMEN_STATUS_ELEMENT_TYPE_MISMATCH.
 */

#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "models.h"

#define N 4
#define BACKGROUND_ROWS 2

/* y0 = Σ w_i x_i + x0 x1 x2 (interactions make Shapley values non-trivial), y1 = sin(x3);
 * it records whether it ever saw the probe value. */
typedef struct double_model {
    double w[N];
    double probe;
    int saw_probe;
} double_model;

static double double_output(const double_model *m, const double *x, size_t k) {
    if (k == 1) {
        return sin(x[3]);
    }
    double y = x[0] * x[1] * x[2];
    for (size_t i = 0; i < N; i++) {
        y += m->w[i] * x[i];
    }
    return y;
}

static int32_t double_predict(void *user_data, const double *inputs, size_t rows, double *outputs) {
    double_model *m = (double_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        const double *x = inputs + r * N;
        for (size_t i = 0; i < N; i++) {
            if (x[i] == m->probe) {
                m->saw_probe = 1;
            }
        }
        outputs[2 * r] = double_output(m, x, 0);
        outputs[2 * r + 1] = double_output(m, x, 1);
    }
    return 0;
}

static int32_t double_gradient(void *user_data, const double *inputs, size_t rows, const uint32_t *targets,
                               double *gradients, double *outputs) {
    double_model *m = (double_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        const double *x = inputs + r * N;
        double *g = gradients + r * N;
        if (targets[r] == 1) {
            g[0] = g[1] = g[2] = 0.0;
            g[3] = cos(x[3]);
        } else {
            g[0] = m->w[0] + x[1] * x[2];
            g[1] = m->w[1] + x[0] * x[2];
            g[2] = m->w[2] + x[0] * x[1];
            g[3] = m->w[3];
        }
    }
    return outputs == NULL ? 0 : double_predict(user_data, inputs, rows, outputs);
}

/* The layer of Grad-CAM: 2 channels of 1 × 2, activations x_i, gradients ∂y0/∂x_i. */
static int32_t double_layer(void *user_data, const double *inputs, size_t rows, const uint32_t *targets,
                            double *activations, double *gradients) {
    for (size_t r = 0; r < rows; r++) {
        memcpy(activations + r * N, inputs + r * N, N * sizeof(double));
    }
    return double_gradient(user_data, inputs, rows, targets, gradients, NULL);
}

static lumen_model_desc double_desc(double_model *m) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.element_type = LUMEN_ELEMENT_F64;
    desc.input_len = N;
    desc.output_len = 2;
    desc.predict_f64 = double_predict;
    desc.gradient_f64 = double_gradient;
    desc.layer_gradient_f64 = double_layer;
    desc.layer_shape[0] = 2;
    desc.layer_shape[1] = 1;
    desc.layer_shape[2] = 2;
    desc.user_data = m;
    return desc;
}

static const double X[N] = {123456789.01e-8, 0.1, -0.7, 1.0 / 3.0};
static const double BACKGROUND[BACKGROUND_ROWS * N] = {0.2, -0.3, 0.05, 0.9, -0.4, 0.6, 0.25, -1.1};

/* Σ_b f(x_S, b_notS) / B over the background, for subset `s` (bit i = element i). */
static double coalition_value(const double_model *m, unsigned s, size_t k) {
    double sum = 0.0;
    for (size_t b = 0; b < BACKGROUND_ROWS; b++) {
        double row[N];
        for (size_t i = 0; i < N; i++) {
            row[i] = (s >> i & 1u) ? X[i] : BACKGROUND[b * N + i];
        }
        sum += double_output(m, row, k);
    }
    return sum / BACKGROUND_ROWS;
}

/* φ_i from the definition, every coalition enumerated. */
static double brute_force_shapley(const double_model *m, size_t i, size_t k) {
    static const double weight[N] = {1.0 / 4.0, 1.0 / 12.0, 1.0 / 12.0, 1.0 / 4.0};
    double phi = 0.0;
    for (unsigned s = 0; s < (1u << N); s++) {
        if (s >> i & 1u) {
            continue;
        }
        unsigned size = 0;
        for (size_t j = 0; j < N; j++) {
            size += s >> j & 1u;
        }
        phi += weight[size] * (coalition_value(m, s | 1u << i, k) - coalition_value(m, s, k));
    }
    return phi;
}

static void test_descriptors(void) {
    SECTION("double descriptors: element type, callbacks, versions");
    double_model m = {{0.5, -1.25, 2.0, 0.75}, 0.0, 0};
    lumen_model_desc desc = double_desc(&m);
    lumen_model *model = NULL;
    desc.predict_f64 = NULL;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_NULL_POINTER, "desc.predict_f64");
    desc = double_desc(&m);
    desc.predict = (lumen_predict_fn)linear_predict;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "float callbacks");
    desc = double_desc(&m);
    desc.element_type = LUMEN_ELEMENT_F32;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "element_type");
    desc = double_desc(&m);
    desc.element_type = 7;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_ARGUMENT, "desc.element_type");
    desc = double_desc(&m);
    desc.memory_space = LUMEN_MEMORY_DEVICE;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_ELEMENT_TYPE_UNSUPPORTED, "host-memory");
    CHECK(model == NULL);

    /* A version-3 caller's shorter descriptor is still read (a float model). */
    static const float weights[N] = {1.0f, 2.0f, 3.0f, 4.0f};
    static const float bias[1] = {0.0f};
    linear_model lm = {N, 1, weights, bias};
    lumen_model_desc old = linear_desc(&lm);
    old.abi_version = 3;
    old.element_type = 99; /* past the version-3 layout: never read */
    model = new_model(&old);
    lumen_model_free(model);
}

static void test_methods(void) {
    SECTION("every method's _f64 export on a double model");
    double_model m = {{0.5, -1.25, 2.0, 0.75}, 123456789.01e-8, 0};
    lumen_model_desc desc = double_desc(&m);
    lumen_model *model = new_model(&desc);
    lumen_engine *engine = new_engine(2, 11);
    lumen_explanation *e = NULL;
    double values[2 * N];
    float floats[2 * N];
    uint32_t element = 99;

    lumen_kernel_shap_options shap = lumen_kernel_shap_options_default();
    shap.background_f64 = BACKGROUND;
    shap.game.background_len = BACKGROUND_ROWS * N;
    CHECK_OK(lumen_engine_explain_kernel_shap_f64(engine, model, X, N, 1, &shap, &e));
    CHECK(m.saw_probe);
    CHECK_OK(lumen_explanation_element_type(e, &element));
    CHECK(element == LUMEN_ELEMENT_F64);
    CHECK_OK(lumen_explanation_attributions_f64(e, values, 2 * N));
    CHECK_OK(lumen_explanation_attributions(e, floats, 2 * N));
    double worst = 0.0;
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < N; i++) {
            double error = fabs(values[k * N + i] - brute_force_shapley(&m, i, k));
            worst = error > worst ? error : worst;
            CHECK(floats[k * N + i] == (float)values[k * N + i]);
        }
    }
    CHECK_NEAR(worst, 0.0, 1e-12);
    /* Reason codes as doubles: the exact attributions, the float export's features and floats. */
    size_t listed = 0;
    for (uint32_t direction = LUMEN_DIRECTION_LOWERED; direction <= LUMEN_DIRECTION_RAISED; direction++) {
        lumen_reason_code_f64 exact[N];
        lumen_reason_code rounded[N];
        size_t n_exact = 99, n_rounded = 98;
        CHECK_OK(lumen_explanation_reason_codes_f64(e, 0, 1, N, direction, exact, N, &n_exact));
        CHECK_OK(lumen_explanation_reason_codes(e, 0, 1, N, direction, rounded, N, &n_rounded));
        CHECK(n_exact == n_rounded && n_exact <= N);
        for (size_t i = 0; i < n_exact && i < N; i++) {
            CHECK(exact[i].feature == rounded[i].feature && exact[i].feature < N);
            CHECK(exact[i].feature < N && exact[i].contribution == values[N + exact[i].feature]);
            CHECK(rounded[i].contribution == (float)exact[i].contribution);
        }
        listed += n_exact;
    }
    CHECK(listed > 0);
    lumen_reason_code_f64 untouched = {99, 0.5};
    size_t written = 99;
    CHECK_FAILS(lumen_explanation_reason_codes_f64(e, 0, 0, 2, 7, &untouched, 1, &written),
                LUMEN_STATUS_INVALID_ARGUMENT, "direction");
    CHECK_FAILS(lumen_explanation_reason_codes_f64(e, 0, 0, 2, LUMEN_DIRECTION_RAISED, NULL, 1, &written),
                LUMEN_STATUS_NULL_POINTER, "out");
    CHECK_FAILS(lumen_explanation_reason_codes_f64(e, 1, 0, 2, LUMEN_DIRECTION_RAISED, &untouched, 1, &written),
                LUMEN_STATUS_INVALID_ARGUMENT, "row");
    CHECK(written == 99 && untouched.feature == 99 && untouched.contribution == 0.5);
    double prediction[2], base[2];
    CHECK_OK(lumen_explanation_predictions_f64(e, prediction, 2));
    CHECK_OK(lumen_explanation_base_values_f64(e, base, 2));
    CHECK_NEAR(prediction[0], double_output(&m, X, 0), 1e-15);
    CHECK_NEAR(base[0], coalition_value(&m, 0, 0), 1e-15);
    CHECK_OK(lumen_explanation_standard_errors_f64(e, values, 2 * N));
    CHECK(values[0] == 0.0);
    lumen_explanation_free(e);

    lumen_shapley_sampling_options sampling = lumen_shapley_sampling_options_default();
    sampling.background_f64 = BACKGROUND;
    sampling.game.background_len = BACKGROUND_ROWS * N;
    CHECK_OK(lumen_engine_explain_shapley_sampling_f64(engine, model, X, N, 1, &sampling, &e));
    lumen_explanation_free(e);

    lumen_occlusion_options occlusion = lumen_occlusion_options_default();
    size_t window = 1;
    occlusion.window_shape = &window;
    occlusion.window_rank = 1;
    occlusion.baseline_scalar_f64 = 0.1;
    CHECK_OK(lumen_engine_explain_occlusion_f64(engine, model, X, N, 1, &occlusion, &e));
    CHECK_OK(lumen_explanation_attributions_f64(e, values, 2 * N));
    CHECK_NEAR(values[N + 3], sin(X[3]) - sin(0.1), 1e-15);
    lumen_explanation_free(e);

    lumen_feature_ablation_options ablation = lumen_feature_ablation_options_default();
    ablation.baseline_f64 = BACKGROUND;
    ablation.baseline_len = N;
    CHECK_OK(lumen_engine_explain_feature_ablation_f64(engine, model, X, N, 1, &ablation, &e));
    lumen_explanation_free(e);

    lumen_integrated_gradients_options ig = lumen_integrated_gradients_options_default();
    ig.baseline_f64 = BACKGROUND;
    ig.baseline_len = N;
    CHECK_OK(lumen_engine_explain_integrated_gradients_f64(engine, model, X, N, 1, &ig, &e));
    CHECK_OK(lumen_explanation_attributions_f64(e, values, 2 * N));
    /* Output 0 is linear in x3: IG there is exactly w3 (x3 − b3). */
    CHECK_NEAR(values[3], m.w[3] * (X[3] - BACKGROUND[3]), 1e-15);
    lumen_explanation_free(e);

    lumen_saliency_options saliency = lumen_saliency_options_default();
    saliency.abs = 0;
    CHECK_OK(lumen_engine_explain_saliency_f64(engine, model, X, N, 1, &saliency, &e));
    CHECK_OK(lumen_explanation_attributions_f64(e, values, 2 * N));
    CHECK(values[N + 3] == cos(X[3]));
    lumen_explanation_free(e);

    lumen_gradient_shap_options gradient_shap = lumen_gradient_shap_options_default();
    gradient_shap.baselines_f64 = BACKGROUND;
    gradient_shap.baselines_len = BACKGROUND_ROWS * N;
    gradient_shap.stdevs_f64 = 0.01;
    CHECK_OK(lumen_engine_explain_gradient_shap_f64(engine, model, X, N, 1, &gradient_shap, &e));
    lumen_explanation_free(e);

    lumen_noise_tunnel_options tunnel = lumen_noise_tunnel_options_default();
    tunnel.stdevs_f64 = 0.001;
    CHECK_OK(lumen_engine_explain_noise_tunnel_f64(engine, model, X, N, 1, &tunnel, &e));
    lumen_explanation_free(e);

    lumen_grad_cam_options cam = lumen_grad_cam_options_default();
    cam.upsample = 0;
    CHECK_OK(lumen_engine_explain_grad_cam_f64(engine, model, X, N, 1, &cam, &e));
    lumen_explanation_free(e);

    SECTION("float and double never mix");
    e = NULL;
    CHECK_FAILS(lumen_engine_explain_kernel_shap(engine, model, floats, N, 1, &shap, &e),
                LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "_f64 exports");
    shap.game.background = floats;
    CHECK_FAILS(lumen_engine_explain_kernel_shap_f64(engine, model, X, N, 1, &shap, &e),
                LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "options.game.background: is set");
    occlusion.baseline_scalar_f64 = 0.0;
    double nan_row[N] = {0.0, NAN, 0.0, 0.0};
    CHECK_FAILS(lumen_engine_explain_occlusion_f64(engine, model, nan_row, N, 1, &occlusion, &e),
                LUMEN_STATUS_NON_FINITE_INPUT, "inputs");
    CHECK(e == NULL);

    static const float weights[N] = {1.0f, 2.0f, 3.0f, 4.0f};
    static const float bias[1] = {0.0f};
    linear_model lm = {N, 1, weights, bias};
    lumen_model_desc float_desc = linear_desc(&lm);
    lumen_model *float_model = new_model(&float_desc);
    CHECK_FAILS(lumen_engine_explain_occlusion_f64(engine, float_model, X, N, 1, &occlusion, &e),
                LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "without _f64");
    lumen_occlusion_options float_occlusion = occlusion;
    float_occlusion.baseline_f64 = BACKGROUND;
    float_occlusion.baseline_len = N;
    CHECK_FAILS(lumen_engine_explain_occlusion(engine, float_model, floats, N, 1, &float_occlusion, &e),
                LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "options.baseline_f64: is set");
    float_occlusion.baseline_f64 = NULL;
    float_occlusion.baseline_len = 0;
    float_occlusion.baseline_scalar_f64 = 0.5;
    CHECK_FAILS(lumen_engine_explain_occlusion(engine, float_model, floats, N, 1, &float_occlusion, &e),
                LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "baseline_scalar_f64");
    CHECK(e == NULL);
    lumen_model_free(float_model);
    lumen_model_free(model);
    lumen_engine_free(engine);
}

/* A double classifier for PermuteAttack: P(class 1) = σ(4 (x0 + x1 − 1)). */
static int32_t double_classifier(void *user_data, const double *inputs, size_t rows, double *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        outputs[r] = 1.0 / (1.0 + exp(-4.0 * (inputs[2 * r] + inputs[2 * r + 1] - 1.0)));
    }
    return 0;
}

static void test_counterfactuals(void) {
    SECTION("PermuteAttack on a double model: rows of the caller's doubles");
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.element_type = LUMEN_ELEMENT_F64;
    desc.input_len = 2;
    desc.output_len = 1;
    desc.predict_f64 = double_classifier;
    lumen_model *model = new_model(&desc);
    lumen_engine *engine = new_engine(1, 5);
    double training[2 * 20];
    for (size_t i = 0; i < 20; i++) {
        training[2 * i] = 0.1 * (double)i + 1e-13;
        training[2 * i + 1] = 0.05 * (double)i;
    }
    const double instance[2] = {0.1 + 1e-13, 0.05};
    lumen_permute_attack_options options = lumen_permute_attack_options_default();
    options.training_f64 = training;
    options.training_len = 40;
    lumen_counterfactuals *result = NULL;
    CHECK_OK(lumen_engine_explain_counterfactuals_f64(engine, model, instance, 2, 1, &options, &result));
    lumen_instance_counterfactuals outcome;
    CHECK_OK(lumen_counterfactuals_instance(result, 0, &outcome));
    CHECK(outcome.count > 0);
    double row[2], original = 0.0, target = 0.0, distance = 0.0;
    CHECK_OK(lumen_counterfactuals_row_f64(result, 0, 0, row, 2));
    int from_training = 1;
    for (size_t f = 0; f < 2; f++) {
        int found = row[f] == instance[f];
        for (size_t i = 0; i < 20; i++) {
            found |= row[f] == training[2 * i + f];
        }
        from_training &= found;
    }
    CHECK(from_training);
    CHECK_OK(lumen_counterfactuals_probabilities_f64(result, 0, 0, &original, &target, &distance));
    double at_row = 0.0;
    double_classifier(NULL, row, 1, &at_row);
    CHECK_NEAR(target, at_row, 1e-15);
    CHECK(original < 0.5 && target > original && distance > 0.0);
    lumen_counterfactuals_free(result);
    lumen_model_free(model);
    lumen_engine_free(engine);
}

/* A double sequence model: y = tanh(Σ_t (t + 1) (x_t0 − 2 x_t1)) over the sequence. */
static int32_t double_sequence(void *user_data, const double *inputs, size_t rows, size_t seq_len, double *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        double z = 0.0;
        for (size_t t = 0; t < seq_len; t++) {
            const double *e = inputs + (r * seq_len + t) * 2;
            z += (double)(t + 1) * (e[0] - 2.0 * e[1]);
        }
        outputs[r] = tanh(z / 10.0);
    }
    return 0;
}

static void test_timeshap(void) {
    SECTION("TimeSHAP on a double sequence model: exact event values to 1e-12");
    lumen_sequence_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_SEQUENCE_MODEL_ABI_VERSION;
    desc.element_type = LUMEN_ELEMENT_F64;
    desc.features = 2;
    desc.output_len = 1;
    desc.predict_f64 = double_sequence;
    lumen_sequence_model *model = NULL;
    CHECK_OK(lumen_sequence_model_new(&desc, &model));
    lumen_engine *engine = new_engine(1, 3);
    const double sequence[4 * 2] = {0.3, 0.1, -0.2, 0.45, 0.7, -0.05, 0.125, 0.2};
    const double background[2] = {0.01, 0.02};
    lumen_timeshap_options options = lumen_timeshap_options_default();
    options.background_f64 = background;
    options.background_len = 2;
    lumen_explanation *e = NULL;
    CHECK_OK(lumen_engine_explain_timeshap_f64(engine, model, sequence, 8, 4, LUMEN_TIMESHAP_EVENT, &options, &e));
    double values[4];
    CHECK_OK(lumen_explanation_attributions_f64(e, values, 4));
    /* Players are the events, most recent first; brute force over the 16 coalitions. */
    double worst = 0.0;
    for (size_t p = 0; p < 4; p++) {
        size_t event = 3 - p;
        static const double weight[4] = {1.0 / 4.0, 1.0 / 12.0, 1.0 / 12.0, 1.0 / 4.0};
        double phi = 0.0;
        for (unsigned s = 0; s < 16; s++) {
            if (s >> event & 1u) {
                continue;
            }
            double with[8], without[8], y1 = 0.0, y0 = 0.0;
            unsigned size = 0;
            for (size_t t = 0; t < 4; t++) {
                size += s >> t & 1u;
                for (size_t f = 0; f < 2; f++) {
                    without[t * 2 + f] = (s >> t & 1u) ? sequence[t * 2 + f] : background[f];
                    with[t * 2 + f] = ((s | 1u << event) >> t & 1u) ? sequence[t * 2 + f] : background[f];
                }
            }
            double_sequence(NULL, with, 1, 4, &y1);
            double_sequence(NULL, without, 1, 4, &y0);
            phi += weight[size] * (y1 - y0);
        }
        double error = fabs(values[p] - phi);
        worst = error > worst ? error : worst;
    }
    CHECK_NEAR(worst, 0.0, 1e-12);
    lumen_explanation_free(e);

    SECTION("TimeSHAP pruning and the global report on a double sequence model");
    double whole = 0.0, base = 0.0, background_sequence[8];
    for (size_t t = 0; t < 4; t++) {
        memcpy(background_sequence + 2 * t, background, sizeof background);
    }
    double_sequence(NULL, sequence, 1, 4, &whole);
    double_sequence(NULL, background_sequence, 1, 4, &base);
    size_t pruned_len = 0, written = 0;
    lumen_pruning_point points[3];
    CHECK_OK(lumen_engine_timeshap_prune_f64(engine, model, sequence, 8, 4, &options, 1, &pruned_len, points, 3,
                                             &written));
    CHECK(pruned_len == 4 && written == 3);
    for (size_t i = 0; i < written; i++) {
        /* The two halves of every split share f(x) − f(background) exactly. */
        CHECK_NEAR(points[i].older_value + points[i].newer_value, whole - base, 1e-15);
    }
    int64_t pruning_index = 0;
    lumen_timeshap_curve_point curve[5];
    CHECK_OK(lumen_engine_timeshap_pruning_curve_f64(engine, model, sequence, 8, 4, &options, &pruning_index, curve,
                                                     5, &written));
    CHECK(written == 5 && pruning_index == -4 && curve[0].t == 0 && curve[4].t == -4);
    CHECK_NEAR(curve[4].newer_value, whole - base, 1e-15);
    const size_t lengths[2] = {4, 3};
    double sequences[14];
    memcpy(sequences, sequence, sizeof sequence);
    memcpy(sequences + 8, sequence + 2, 6 * sizeof(double));
    const double tolerances[1] = {0.0};
    lumen_timeshap_global *global = NULL;
    CHECK_OK(lumen_engine_timeshap_global_f64(engine, model, sequences, 14, lengths, 2, &options, tolerances, 1, 2,
                                              &global));
    lumen_timeshap_global_sizes sizes;
    CHECK_OK(lumen_timeshap_global_shape(global, &sizes));
    CHECK(sizes.sequences == 2);
    lumen_timeshap_global_free(global);
    CHECK_FAILS(lumen_engine_timeshap_prune_f64(engine, model, sequence, 8, 4, NULL, 1, &pruned_len, points, 3,
                                                &written),
                LUMEN_STATUS_NULL_POINTER, "options");

    options.background = (const float *)NULL;
    float floats[8] = {0};
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, floats, 8, 4, LUMEN_TIMESHAP_EVENT, &options, &e),
                LUMEN_STATUS_ELEMENT_TYPE_MISMATCH, "sequence");
    lumen_sequence_model_free(model);
    lumen_engine_free(engine);
}

int main(void) {
    test_descriptors();
    test_methods();
    test_counterfactuals();
    test_timeshap();
    return harness_report("test_float64");
}
