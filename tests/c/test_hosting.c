/*
 * test_hosting.c: what a host process (a bank's scoring service) may rely on when a
 * caller is careless: a model callback that calls back into Lumen gets
 * LUMEN_STATUS_INVALID_STATE instead of deadlocking on the model's lock, a callback that
 * frees the engine or the model frees nothing (they are in use), the outer call then
 * finishes and the engine stays usable; an absurd thread count is refused at once; the
 * new statuses have names.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

#define N 3

/* A model (not concurrent) whose predict tries to use Lumen from inside the callback. */
typedef struct reentrant_model {
    lumen_engine *engine;
    lumen_model *self;
    int mode; /* 0: explain again with itself; 1: free the engine; 2: free the model */
    int attempts;
    uint32_t inner_status;
    char inner_message[512];
} reentrant_model;

static int32_t reentrant_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    reentrant_model *m = (reentrant_model *)user_data;
    if (m->attempts == 0 && m->self != NULL) {
        m->attempts++;
        if (m->mode == 0) {
            lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
            lumen_explanation *inner = NULL;
            m->inner_status = lumen_engine_explain_feature_ablation(m->engine, m->self, inputs, N, 1, &options, &inner);
            lumen_explanation_free(inner);
        } else if (m->mode == 1) {
            lumen_engine_free(m->engine);
        } else {
            lumen_model_free(m->self);
        }
        snprintf(m->inner_message, sizeof m->inner_message, "%s", lumen_last_error_message());
    }
    for (size_t r = 0; r < rows; r++) {
        outputs[r] = inputs[r * N] + 2.0f * inputs[r * N + 1] - inputs[r * N + 2];
    }
    return 0;
}

static void test_reentry(int mode, const char *label, const char *needle) {
    SECTION(label);
    lumen_engine *engine = new_engine(2, 0);
    reentrant_model m = {engine, NULL, mode, 0, 0, {0}};
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = 0; /* not concurrent: every call holds the model's lock */
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = N;
    desc.output_len = 1;
    desc.predict = reentrant_predict;
    desc.user_data = &m;
    lumen_model *model = engine != NULL ? new_model(&desc) : NULL;
    if (model == NULL) {
        lumen_engine_free(engine);
        return;
    }
    m.self = model;
    const float x[N] = {1.0f, 2.0f, 3.0f};
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    lumen_explanation *ex = NULL;
    /* Returns (no deadlock), with the exact attributions a(x - 0) = {1, 4, -3}. */
    if (CHECK_OK(lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &options, &ex))) {
        float got[N];
        const double want[N] = {1.0, 4.0, -3.0};
        if (CHECK_OK(lumen_explanation_attributions(ex, got, N))) {
            check_values(got, want, N, 1e-6, "attributions of the outer call");
        }
        lumen_explanation_free(ex);
    }
    CHECK(m.attempts == 1);
    if (mode == 0) {
        CHECK(m.inner_status == LUMEN_STATUS_INVALID_STATE);
    }
    CHECK(strstr(m.inner_message, needle) != NULL);
    CHECK(strstr(m.inner_message, "called from inside a model callback") != NULL);
    /* The engine and the model still work (neither was freed). */
    m.self = NULL;
    ex = NULL;
    if (CHECK_OK(lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &options, &ex))) {
        lumen_explanation_free(ex);
    }
    lumen_model_free(model);
    lumen_engine_free(engine);
}

static void test_thread_cap(void) {
    SECTION("threads above LUMEN_MAX_THREADS are refused at once, naming the limit");
    const uint32_t counts[3] = {UINT32_MAX, 100000u, LUMEN_MAX_THREADS + 1u};
    for (size_t i = 0; i < 3; i++) {
        lumen_engine_options options = lumen_engine_options_default();
        options.threads = counts[i];
        lumen_engine *engine = NULL;
        CHECK_FAILS(lumen_engine_new(&options, &engine), LUMEN_STATUS_INVALID_ARGUMENT, "expected at most 1024");
        CHECK(engine == NULL);
    }
}

static void test_status_names(void) {
    SECTION("the hosting statuses have stable numbers and names");
    CHECK(LUMEN_STATUS_INVALID_STATE == 16 && LUMEN_STATUS_OUT_OF_MEMORY == 17);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_INVALID_STATE), "LUMEN_STATUS_INVALID_STATE") == 0);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_OUT_OF_MEMORY), "LUMEN_STATUS_OUT_OF_MEMORY") == 0);
    CHECK(strcmp(lumen_status_name(18), "LUMEN_STATUS_UNKNOWN") == 0);
}

int main(void) {
    test_reentry(0, "a callback that explains with its own (locked) model gets INVALID_STATE, no deadlock",
                 "lumen_engine_explain_feature_ablation");
    test_reentry(1, "a callback that frees the engine running it frees nothing", "nothing was freed");
    test_reentry(2, "a callback that frees its own model frees nothing", "lumen_model_free");
    test_thread_cap();
    test_status_names();
    return harness_report("test_hosting");
}
