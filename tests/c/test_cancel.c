/*
 * test_cancel.c: stopping a call. A cancel token triggered from another thread or from
 * inside a model callback stops the call with LUMEN_STATUS_CANCELLED; a timeout stops it
 * with LUMEN_STATUS_DEADLINE_EXCEEDED; a progress callback sees non-decreasing fractions
 * ending at 1 and may stop the call; max_model_threads bounds how many model calls
 * overlap. Nothing is written on a stopped call, and the engine, the model and the token
 * (after lumen_cancel_token_reset) work again afterwards.
 */

#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

#define N 8
#define BACKGROUND_ROWS 4
/* Each model call sleeps this long, so a call lasts long enough to be stopped. */
#define CALL_NANOSECONDS 2000000L

/* A linear model that sleeps in every call, counts calls and overlapping calls, and may
 * cancel a token on its `cancel_on_call`-th call (0: never). */
typedef struct slow_model {
    atomic_int calls;
    atomic_int inside;
    atomic_int most_inside;
    int cancel_on_call;
    const lumen_cancel_token *token;
} slow_model;

static int32_t slow_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    slow_model *m = (slow_model *)user_data;
    int now = atomic_fetch_add(&m->inside, 1) + 1;
    int most = atomic_load(&m->most_inside);
    while (now > most && !atomic_compare_exchange_weak(&m->most_inside, &most, now)) {
    }
    int call = atomic_fetch_add(&m->calls, 1) + 1;
    if (m->cancel_on_call != 0 && call == m->cancel_on_call) {
        lumen_cancel_token_cancel(m->token);
    }
    struct timespec pause = {0, CALL_NANOSECONDS};
    nanosleep(&pause, NULL);
    for (size_t r = 0; r < rows; r++) {
        double sum = 0.0;
        for (size_t i = 0; i < N; i++) {
            sum += (double)(i + 1) * inputs[r * N + i];
        }
        outputs[r] = (float)sum;
    }
    atomic_fetch_sub(&m->inside, 1);
    return 0;
}

static lumen_model *slow_new(slow_model *m, uint32_t flags) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = flags;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = N;
    desc.output_len = 1;
    desc.max_batch_rows = 16;
    desc.predict = slow_predict;
    desc.user_data = m;
    return new_model(&desc);
}

static float x[N] = {1, 2, 3, 4, 5, 6, 7, 8};
static float background[BACKGROUND_ROWS * N];

/* KernelSHAP over all 2^8 - 2 coalitions: 254 × 4 rows in batches of 16, 64 slow calls. */
static lumen_kernel_shap_options shap_options(const lumen_call_control *control) {
    lumen_kernel_shap_options options = lumen_kernel_shap_options_default();
    options.game.background = background;
    options.game.background_len = BACKGROUND_ROWS * N;
    options.control = control;
    return options;
}

static lumen_status explain(lumen_engine *engine, lumen_model *model, const lumen_call_control *control,
                            lumen_explanation **out) {
    lumen_kernel_shap_options options = shap_options(control);
    return lumen_engine_explain_kernel_shap(engine, model, x, N, 1, &options, out);
}

typedef struct canceller {
    const lumen_cancel_token *token;
    slow_model *model;
} canceller;

/* Waits until the model has been called a few times, then cancels from this thread. */
static int cancel_later(void *arg) {
    canceller *c = (canceller *)arg;
    struct timespec pause = {0, 1000000L};
    while (atomic_load(&c->model->calls) < 3) {
        nanosleep(&pause, NULL);
    }
    return lumen_cancel_token_cancel(c->token) == LUMEN_STATUS_OK ? 0 : 1;
}

static void check_usable(lumen_engine *engine, lumen_model *model, const lumen_call_control *control) {
    lumen_explanation *ex = NULL;
    if (CHECK_OK(explain(engine, model, control, &ex))) {
        float values[N];
        CHECK_OK(lumen_explanation_attributions(ex, values, N));
        /* Exact KernelSHAP of a linear model: w_i (x_i - mean background_i). */
        double want[N];
        for (size_t i = 0; i < N; i++) {
            double mean = 0.0;
            for (size_t b = 0; b < BACKGROUND_ROWS; b++) {
                mean += background[b * N + i];
            }
            want[i] = (double)(i + 1) * ((double)x[i] - mean / BACKGROUND_ROWS);
        }
        check_values(values, want, N, 1e-3, "the values after a stopped call");
    }
    lumen_explanation_free(ex);
}

static void test_token(lumen_engine *engine) {
    SECTION("a token cancelled from another thread stops the call; reset makes it usable again");
    slow_model m = {0};
    lumen_model *model = slow_new(&m, 0);
    lumen_cancel_token *token = NULL;
    if (model == NULL || !CHECK_OK(lumen_cancel_token_new(&token))) {
        lumen_model_free(model);
        return;
    }
    uint32_t cancelled = 7;
    CHECK_OK(lumen_cancel_token_is_cancelled(token, &cancelled));
    CHECK(cancelled == 0);
    lumen_call_control control = lumen_call_control_default();
    CHECK(control.struct_size == sizeof control && control.cancel == NULL && control.timeout_ms == 0);
    control.cancel = token;
    canceller c = {token, &m};
    thrd_t thread;
    CHECK(thrd_create(&thread, cancel_later, &c) == thrd_success);
    lumen_explanation *ex = (lumen_explanation *)0x1;
    CHECK_FAILS(explain(engine, model, &control, &ex), LUMEN_STATUS_CANCELLED, "cancel token was triggered");
    int result = 1;
    thrd_join(thread, &result);
    CHECK(result == 0);
    CHECK(ex == (lumen_explanation *)0x1);
    CHECK(atomic_load(&m.calls) < 64); /* stopped well before the 64 calls of the whole run */
    CHECK_OK(lumen_cancel_token_is_cancelled(token, &cancelled));
    CHECK(cancelled == 1);
    /* Still cancelled: a new call stops before its first model call. */
    int before = atomic_load(&m.calls);
    CHECK_FAILS(explain(engine, model, &control, &ex), LUMEN_STATUS_CANCELLED, "cancelled");
    CHECK(atomic_load(&m.calls) == before);
    CHECK_OK(lumen_cancel_token_reset(token));
    check_usable(engine, model, &control);

    SECTION("a model callback may cancel its own call");
    m.cancel_on_call = atomic_load(&m.calls) + 2;
    m.token = token;
    CHECK_FAILS(explain(engine, model, &control, &ex), LUMEN_STATUS_CANCELLED, "cancel token");
    CHECK(atomic_load(&m.calls) <= m.cancel_on_call + 1);
    m.cancel_on_call = 0;
    CHECK_OK(lumen_cancel_token_reset(token));
    check_usable(engine, model, &control);
    lumen_cancel_token_free(token);
    lumen_model_free(model);
}

static void test_deadline(lumen_engine *engine) {
    SECTION("a timeout stops a slow call with LUMEN_STATUS_DEADLINE_EXCEEDED");
    slow_model m = {0};
    lumen_model *model = slow_new(&m, 0);
    if (model == NULL) {
        return;
    }
    lumen_call_control control = lumen_call_control_default();
    control.timeout_ms = 10;
    lumen_explanation *ex = (lumen_explanation *)0x1;
    CHECK_FAILS(explain(engine, model, &control, &ex), LUMEN_STATUS_DEADLINE_EXCEEDED, "timeout of 10 ms");
    CHECK(ex == (lumen_explanation *)0x1);
    CHECK(atomic_load(&m.calls) < 64);
    control.timeout_ms = 600000;
    check_usable(engine, model, &control);
    lumen_model_free(model);
}

typedef struct progress_log {
    double fractions[256];
    int count;
    int decreasing;
    double stop_after;
} progress_log;

static int32_t record_progress(void *user_data, double fraction) {
    progress_log *log = (progress_log *)user_data;
    if (log->count > 0 && fraction < log->fractions[log->count - 1]) {
        log->decreasing = 1;
    }
    if (log->count < 256) {
        log->fractions[log->count++] = fraction;
    }
    return log->stop_after > 0.0 && fraction >= log->stop_after ? 1 : 0;
}

static void test_progress(lumen_engine *engine) {
    SECTION("progress: non-decreasing fractions in [0, 1], 1 at the end; non-zero stops the call");
    slow_model m = {0};
    lumen_model *model = slow_new(&m, 0);
    if (model == NULL) {
        return;
    }
    progress_log log;
    memset(&log, 0, sizeof log);
    lumen_call_control control = lumen_call_control_default();
    control.progress = record_progress;
    control.progress_user_data = &log;
    check_usable(engine, model, &control);
    CHECK(log.count >= 3);
    CHECK(log.decreasing == 0);
    CHECK(log.count > 0 && log.fractions[0] > 0.0 && log.fractions[log.count - 1] == 1.0);
    for (int i = 0; i + 1 < log.count; i++) {
        CHECK(log.fractions[i] < 1.0);
    }
    memset(&log, 0, sizeof log);
    log.stop_after = 0.3;
    lumen_explanation *ex = (lumen_explanation *)0x1;
    CHECK_FAILS(explain(engine, model, &control, &ex), LUMEN_STATUS_CANCELLED, "progress callback asked to stop");
    CHECK(ex == (lumen_explanation *)0x1);
    CHECK(log.count > 0 && log.fractions[log.count - 1] < 1.0);
    lumen_model_free(model);
}

static void test_max_model_threads(void) {
    SECTION("max_model_threads bounds the overlapping calls of a concurrent model");
    lumen_engine *engine = new_engine(4, 0);
    slow_model m = {0};
    lumen_model *model = engine != NULL ? slow_new(&m, LUMEN_MODEL_CONCURRENT) : NULL;
    if (model != NULL) {
        lumen_call_control control = lumen_call_control_default();
        control.max_model_threads = 1;
        check_usable(engine, model, &control);
        CHECK(atomic_load(&m.most_inside) == 1);
    }
    lumen_model_free(model);
    lumen_engine_free(engine);
}

static void test_bad_control(lumen_engine *engine) {
    SECTION("a control with an unknown struct_size is refused before any model call");
    slow_model m = {0};
    lumen_model *model = slow_new(&m, 0);
    lumen_call_control control = lumen_call_control_default();
    control.struct_size = 0;
    lumen_explanation *ex = NULL;
    if (model != NULL) {
        CHECK_FAILS(explain(engine, model, &control, &ex), LUMEN_STATUS_ABI_VERSION_MISMATCH,
                    "options.control.struct_size: is 0");
        CHECK(atomic_load(&m.calls) == 0);
    }
    lumen_model_free(model);
    CHECK(LUMEN_STATUS_CANCELLED == 19 && LUMEN_STATUS_DEADLINE_EXCEEDED == 20);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_CANCELLED), "LUMEN_STATUS_CANCELLED") == 0);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_DEADLINE_EXCEEDED), "LUMEN_STATUS_DEADLINE_EXCEEDED") == 0);
    CHECK_FAILS(lumen_cancel_token_cancel(NULL), LUMEN_STATUS_NULL_POINTER, "token");
    lumen_cancel_token_free(NULL);
}

int main(void) {
    for (size_t i = 0; i < BACKGROUND_ROWS * N; i++) {
        background[i] = (float)((i * 7) % 5) - 2.0f;
    }
    lumen_engine *engine = new_engine(2, 0);
    if (engine != NULL) {
        test_token(engine);
        test_deadline(engine);
        test_progress(engine);
        test_bad_control(engine);
    }
    lumen_engine_free(engine);
    test_max_model_threads();
    return harness_report("test_cancel");
}
