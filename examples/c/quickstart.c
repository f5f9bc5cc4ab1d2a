/* Lumen quickstart in C: explain a scoring function with Feature Ablation, then with
 * KernelSHAP over a background set, and print the reason codes that lowered the score.
 * Build: cargo build --release -p lumen
 *        gcc -std=c11 -I include examples/c/quickstart.c -L target/release -llumen \
 *            -Wl,-rpath,target/release -o quickstart && ./quickstart */
#include <stdio.h>
#include "lumen.h"

/* The bank's model: a score from three features (income, debt, years at address). */
static int32_t score(void *user_data, const float *inputs, size_t rows, float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        const float *x = inputs + r * 3;
        outputs[r] = 0.5f * x[0] - 0.8f * x[1] + 0.1f * x[2];
    }
    return 0; /* non-zero stops the explanation with LUMEN_STATUS_MODEL_FAILED */
}

int main(void) {
    lumen_engine *engine = NULL;
    lumen_model *model = NULL;
    lumen_explanation *explanation = NULL;
    lumen_model_desc desc = {0};
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.input_len = 3;
    desc.output_len = 1;
    desc.predict = score;

    const float applicant[3] = {4.0f, 2.5f, 7.0f};
    const float average[3] = {3.0f, 1.0f, 5.0f}; /* the baseline: an average applicant */
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    options.baseline = average;
    options.baseline_len = 3;

    int ok = lumen_engine_new(NULL, &engine) == LUMEN_STATUS_OK
          && lumen_model_new(&desc, &model) == LUMEN_STATUS_OK
          && lumen_engine_explain_feature_ablation(engine, model, applicant, 3, 1, &options,
                                                   &explanation) == LUMEN_STATUS_OK;
    const char *names[3] = {"income", "debt", "years at address"};
    if (ok) {
        float attributions[3];
        lumen_explanation_attributions(explanation, attributions, 3);
        for (int i = 0; i < 3; i++) printf("%-17s %+.3f\n", names[i], attributions[i]);
    }
    lumen_explanation_free(explanation);
    explanation = NULL;

    /* KernelSHAP: absent features take their values from past applicants (the background). */
    const float past_applicants[3 * 3] = {3.0f, 1.0f, 5.0f, 2.0f, 0.5f, 9.0f, 5.0f, 2.0f, 1.0f};
    lumen_kernel_shap_options shap = lumen_kernel_shap_options_default();
    shap.game.background = past_applicants;
    shap.game.background_len = 9;
    shap.game.player_names = names;
    shap.game.player_names_len = 3;
    ok = ok && lumen_engine_explain_kernel_shap(engine, model, applicant, 3, 1, &shap, &explanation) == LUMEN_STATUS_OK;
    if (ok) {
        lumen_reason_code codes[3];
        size_t written = 0;
        lumen_explanation_reason_codes(explanation, 0, 0, 3, LUMEN_DIRECTION_LOWERED, codes, 3, &written);
        for (size_t i = 0; i < written; i++) {
            const char *name = NULL;
            lumen_explanation_feature_name(explanation, codes[i].feature, &name);
            printf("reason %zu: %s (%+.3f)\n", i + 1, name, codes[i].contribution);
        }
    } else {
        fprintf(stderr, "lumen: %s\n", lumen_last_error_message());
    }
    lumen_explanation_free(explanation);
    lumen_model_free(model);
    lumen_engine_free(engine);
    return ok ? 0 : 1;
}
