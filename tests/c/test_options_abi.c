/*
 * test_options_abi.c: every options struct of the C ABI begins with `struct_size`, filled
 * by its _default() function with the size this header declares. Each export that takes
 * options accepts that size, and refuses with LUMEN_STATUS_ABI_VERSION_MISMATCH (naming
 * the struct, the size given and the sizes it knows) a struct not started from _default()
 * (size 0), one from a newer header (larger) and a corrupted one (an unknown smaller
 * size), before it reads any other field and without writing its outputs. NoiseTunnel's
 * base options are pointed to, each with a size of its own. Also: the version macros
 * agree with lumen_version().
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

#define N 4
#define SEQ_FEATURES 2
#define SEQ_LEN 3

/* An output pointer value that a refused call must leave alone. */
#define UNTOUCHED ((void *)0x1)

/* Sets `opt.struct_size` to 0, to a newer header's size and to an unknown smaller size;
 * each time `CALL` (an expression reading `opt`) must fail with
 * LUMEN_STATUS_ABI_VERSION_MISMATCH and a message naming `TYPE`. Then restores the size. */
#define CHECK_SIZES_REFUSED(TYPE, opt, CALL)                                                          \
    do {                                                                                              \
        CHECK((opt).struct_size == sizeof(TYPE));                                                     \
        const size_t sizes[3] = {0, sizeof(TYPE) + 8, sizeof(TYPE) - 1}; /* none ever published */     \
        const char *hints[3] = {"_default()", "newer than this library", "corrupted"};                \
        for (size_t k = 0; k < 3; k++) {                                                              \
            (opt).struct_size = sizes[k];                                                             \
            CHECK_FAILS(CALL, LUMEN_STATUS_ABI_VERSION_MISMATCH, "struct_size: is");                  \
            CHECK_MESSAGE(#TYPE);                                                                     \
            CHECK_MESSAGE(hints[k]);                                                                  \
        }                                                                                             \
        (opt).struct_size = sizeof(TYPE);                                                             \
    } while (0)

static const float weights[N] = {1.0f, -2.0f, 0.5f, 3.0f};
static const float bias[1] = {0.25f};

static int32_t sequence_sum(void *user_data, const float *inputs, size_t rows, size_t seq_len, float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        double sum = 0.0;
        for (size_t i = 0; i < seq_len * SEQ_FEATURES; i++) {
            sum += inputs[r * seq_len * SEQ_FEATURES + i];
        }
        outputs[r] = (float)sum;
    }
    return 0;
}

static void test_versions(void) {
    SECTION("the version macros match lumen_version(); the header's ABI line is 0.2");
    char expected[32];
    snprintf(expected, sizeof expected, "%d.%d.%d", LUMEN_VERSION_MAJOR, LUMEN_VERSION_MINOR, LUMEN_VERSION_PATCH);
    CHECK(strcmp(lumen_version(), expected) == 0);
    CHECK(LUMEN_VERSION_MAJOR == 0 && LUMEN_VERSION_MINOR >= 2);
}

static void test_engine_options(void) {
    SECTION("lumen_engine_new: NULL options are the defaults; a wrong struct_size is refused");
    lumen_engine *engine = NULL;
    CHECK_OK(lumen_engine_new(NULL, &engine));
    lumen_engine_free(engine);
    lumen_engine_options options = lumen_engine_options_default();
    options.threads = 1;
    engine = UNTOUCHED;
    CHECK_SIZES_REFUSED(lumen_engine_options, options, lumen_engine_new(&options, &engine));
    CHECK(engine == UNTOUCHED);
    engine = NULL;
    CHECK_OK(lumen_engine_new(&options, &engine));
    lumen_engine_free(engine);
}

static void test_row_methods(lumen_engine *engine, lumen_model *model) {
    SECTION("every row method's options: the default size works, others are refused before any work");
    float x[N] = {1.0f, 2.0f, -1.0f, 0.5f};
    float background[2 * N] = {0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 1.0f};
    lumen_explanation *ex = UNTOUCHED;

    const size_t window[1] = {2};
    lumen_occlusion_options occlusion = lumen_occlusion_options_default();
    occlusion.window_shape = window;
    occlusion.window_rank = 1;
    CHECK_SIZES_REFUSED(lumen_occlusion_options, occlusion,
                        lumen_engine_explain_occlusion(engine, model, x, N, 1, &occlusion, &ex));
    CHECK(ex == UNTOUCHED);
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_occlusion(engine, model, x, N, 1, &occlusion, &ex))) {
        lumen_explanation_free(ex);
    }

    ex = UNTOUCHED;
    lumen_feature_ablation_options ablation = lumen_feature_ablation_options_default();
    CHECK_SIZES_REFUSED(lumen_feature_ablation_options, ablation,
                        lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &ablation, &ex));
    CHECK(ex == UNTOUCHED);

    lumen_kernel_shap_options kernel = lumen_kernel_shap_options_default();
    kernel.game.background = background;
    kernel.game.background_len = 2 * N;
    CHECK_SIZES_REFUSED(lumen_kernel_shap_options, kernel,
                        lumen_engine_explain_kernel_shap(engine, model, x, N, 1, &kernel, &ex));
    CHECK(ex == UNTOUCHED);
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_kernel_shap(engine, model, x, N, 1, &kernel, &ex))) {
        lumen_explanation_free(ex);
    }

    ex = UNTOUCHED;
    lumen_shapley_sampling_options sampling = lumen_shapley_sampling_options_default();
    sampling.game.background = background;
    sampling.game.background_len = 2 * N;
    CHECK_SIZES_REFUSED(lumen_shapley_sampling_options, sampling,
                        lumen_engine_explain_shapley_sampling(engine, model, x, N, 1, &sampling, &ex));

    /* The gradient methods read their options before they look for the gradient callback. */
    lumen_integrated_gradients_options ig = lumen_integrated_gradients_options_default();
    CHECK_SIZES_REFUSED(lumen_integrated_gradients_options, ig,
                        lumen_engine_explain_integrated_gradients(engine, model, x, N, 1, &ig, &ex));
    lumen_saliency_options saliency = lumen_saliency_options_default();
    CHECK_SIZES_REFUSED(lumen_saliency_options, saliency,
                        lumen_engine_explain_saliency(engine, model, x, N, 1, &saliency, &ex));
    lumen_gradient_shap_options gradient_shap = lumen_gradient_shap_options_default();
    CHECK_SIZES_REFUSED(lumen_gradient_shap_options, gradient_shap,
                        lumen_engine_explain_gradient_shap(engine, model, x, N, 1, &gradient_shap, &ex));
    lumen_noise_tunnel_options tunnel = lumen_noise_tunnel_options_default();
    CHECK_SIZES_REFUSED(lumen_noise_tunnel_options, tunnel,
                        lumen_engine_explain_noise_tunnel(engine, model, x, N, 1, &tunnel, &ex));
    lumen_grad_cam_options grad_cam = lumen_grad_cam_options_default();
    CHECK_SIZES_REFUSED(lumen_grad_cam_options, grad_cam,
                        lumen_engine_explain_grad_cam(engine, model, x, N, 1, &grad_cam, &ex));
    CHECK(ex == UNTOUCHED);

    SECTION("NoiseTunnel's base options carry their own struct_size; NULL means the base's defaults");
    CHECK(tunnel.saliency == NULL && tunnel.integrated_gradients == NULL && tunnel.gradient_shap == NULL);
    /* With the base's defaults the call gets as far as the missing gradient callback. */
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, N, 1, &tunnel, &ex),
                LUMEN_STATUS_MODEL_CAPABILITY_MISSING, "gradient");
    tunnel.saliency = &saliency;
    saliency.struct_size = 3;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, N, 1, &tunnel, &ex),
                LUMEN_STATUS_ABI_VERSION_MISMATCH, "options.saliency.struct_size: is 3");
    saliency.struct_size = sizeof saliency;
    tunnel.base = LUMEN_NT_BASE_INTEGRATED_GRADIENTS;
    tunnel.integrated_gradients = &ig;
    ig.struct_size = 0;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, N, 1, &tunnel, &ex),
                LUMEN_STATUS_ABI_VERSION_MISMATCH, "options.integrated_gradients.struct_size: is 0");
    tunnel.base = LUMEN_NT_BASE_GRADIENT_SHAP;
    CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, model, x, N, 1, &tunnel, &ex), LUMEN_STATUS_NULL_POINTER,
                "options.gradient_shap: is NULL");
    CHECK(ex == UNTOUCHED);

    SECTION("PermuteAttack's options");
    lumen_counterfactuals *found = UNTOUCHED;
    lumen_permute_attack_options permute = lumen_permute_attack_options_default();
    permute.training = background;
    permute.training_len = 2 * N;
    CHECK_SIZES_REFUSED(lumen_permute_attack_options, permute,
                        lumen_engine_explain_counterfactuals(engine, model, x, N, 1, &permute, &found));
    CHECK(found == UNTOUCHED);
}

static void test_timeshap_options(lumen_engine *engine) {
    SECTION("TimeSHAP's options, in every TimeSHAP export");
    lumen_sequence_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_SEQUENCE_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.features = SEQ_FEATURES;
    desc.output_len = 1;
    desc.predict = sequence_sum;
    lumen_sequence_model *model = NULL;
    if (!CHECK_OK(lumen_sequence_model_new(&desc, &model))) {
        return;
    }
    float sequence[SEQ_LEN * SEQ_FEATURES] = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f};
    float background[SEQ_FEATURES] = {0.0f, 0.0f};
    lumen_timeshap_options options = lumen_timeshap_options_default();
    options.background = background;
    options.background_len = SEQ_FEATURES;
    size_t pruned = 99, written = 99;
    lumen_pruning_point curve[SEQ_LEN];
    CHECK_SIZES_REFUSED(lumen_timeshap_options, options,
                        lumen_engine_timeshap_prune(engine, model, sequence, SEQ_LEN * SEQ_FEATURES, SEQ_LEN,
                                                    &options, 1, &pruned, curve, SEQ_LEN, &written));
    CHECK(pruned == 99 && written == 99);
    lumen_explanation *ex = UNTOUCHED;
    CHECK_SIZES_REFUSED(lumen_timeshap_options, options,
                        lumen_engine_explain_timeshap(engine, model, sequence, SEQ_LEN * SEQ_FEATURES, SEQ_LEN,
                                                      LUMEN_TIMESHAP_EVENT, &options, &ex));
    CHECK(ex == UNTOUCHED);
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_timeshap(engine, model, sequence, SEQ_LEN * SEQ_FEATURES, SEQ_LEN,
                                               LUMEN_TIMESHAP_EVENT, &options, &ex))) {
        lumen_explanation_free(ex);
    }
    lumen_sequence_model_free(model);
}

int main(void) {
    test_versions();
    test_engine_options();
    lumen_engine *engine = new_engine(2, 1);
    linear_model m = {N, 1, weights, bias};
    lumen_model_desc desc = linear_desc(&m);
    lumen_model *model = new_model(&desc);
    if (engine != NULL && model != NULL) {
        test_row_methods(engine, model);
        test_timeshap_options(engine);
    }
    lumen_model_free(model);
    lumen_engine_free(engine);
    return harness_report("test_options_abi");
}
