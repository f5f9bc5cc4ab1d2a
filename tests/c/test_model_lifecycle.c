/*
 * test_model_lifecycle.c: how Lumen calls a C model: batches within max_batch_rows, a
 * model without LUMEN_MODEL_CONCURRENT never entered twice at once (from the engine's
 * threads or from several host threads), rows counted, the finalizer called exactly once
 * by lumen_model_free and never when lumen_model_new fails, the last error per thread,
 * and the engine's threads gone after lumen_engine_free.
 */

#define _POSIX_C_SOURCE 200809L /* opendir() for counting this process's threads */

#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

/* The model's input: 4 × 5, two outputs. */
#define H 4
#define W 5
#define LEN (H * W)
#define OUTPUTS 2
#define ROWS 3
/* How long each model call lingers, so that overlapping calls would really overlap. */
#define CALL_NANOSECONDS 200000L
/* Host threads that share one model in the cross-thread test, and runs per thread. */
#define HOST_THREADS 4
#define RUNS_PER_HOST_THREAD 3
/* How long to wait for the kernel to reap joined threads: 100 polls of 10 ms. */
#define THREAD_REAP_POLLS 100
#define THREAD_REAP_POLL_NANOSECONDS 10000000L

/* A linear model that records how it is called. */
typedef struct probe {
    linear_model linear;
    atomic_int in_flight;     /* calls running right now */
    atomic_int max_in_flight; /* the most calls ever running at once */
    atomic_size_t largest_batch;
    atomic_ullong rows_seen;
    atomic_int finalized; /* times the finalizer ran */
} probe;

static void atomic_max_int(atomic_int *slot, int value) {
    int seen = atomic_load(slot);
    while (value > seen && !atomic_compare_exchange_weak(slot, &seen, value)) {
    }
}

static void atomic_max_size(atomic_size_t *slot, size_t value) {
    size_t seen = atomic_load(slot);
    while (value > seen && !atomic_compare_exchange_weak(slot, &seen, value)) {
    }
}

static int32_t probe_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    probe *p = (probe *)user_data;
    atomic_max_int(&p->max_in_flight, atomic_fetch_add(&p->in_flight, 1) + 1);
    atomic_max_size(&p->largest_batch, rows);
    atomic_fetch_add(&p->rows_seen, (unsigned long long)rows);
    struct timespec pause = {0, CALL_NANOSECONDS};
    thrd_sleep(&pause, NULL);
    int32_t code = linear_predict(&p->linear, inputs, rows, outputs);
    atomic_fetch_sub(&p->in_flight, 1);
    return code;
}

static void probe_finalize(void *user_data) {
    atomic_fetch_add(&((probe *)user_data)->finalized, 1);
}

static float weights[OUTPUTS * LEN], bias[OUTPUTS], inputs[ROWS * LEN];
static const size_t shape[2] = {H, W};

static void init_data(void) {
    for (size_t i = 0; i < OUTPUTS * LEN; i++) {
        weights[i] = (float)((int)((i * 3) % 7) - 3) * 0.5f;
    }
    bias[0] = 1;
    bias[1] = -1;
    for (size_t i = 0; i < ROWS * LEN; i++) {
        inputs[i] = (float)((i * 5) % 11) * 0.25f;
    }
}

static void probe_init(probe *p) {
    p->linear.input_len = LEN;
    p->linear.output_len = OUTPUTS;
    p->linear.weights = weights;
    p->linear.bias = bias;
    atomic_init(&p->in_flight, 0);
    atomic_init(&p->max_in_flight, 0);
    atomic_init(&p->largest_batch, 0);
    atomic_init(&p->rows_seen, 0);
    atomic_init(&p->finalized, 0);
}

static lumen_model_desc probe_desc(probe *p, uint32_t flags, size_t max_batch_rows) {
    lumen_model_desc desc = linear_desc(&p->linear);
    desc.predict = probe_predict;
    desc.finalize = probe_finalize;
    desc.user_data = p;
    desc.flags = flags;
    desc.max_batch_rows = max_batch_rows;
    desc.input_shape = shape;
    desc.input_rank = 2;
    return desc;
}

/* Overlapping 2×3 windows (3 × 3 = 9 positions per row). */
static const size_t window[2] = {2, 3};
static lumen_occlusion_options occlusion_options(size_t perturbations_per_eval) {
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = window;
    options.window_rank = 2;
    options.perturbations_per_eval = perturbations_per_eval;
    return options;
}

/* Runs occlusion; on success copies the attributions into `out` and returns the rows
 * the explanation says it evaluated; 0 on failure. */
static uint64_t run_occlusion(const lumen_engine *engine, const lumen_model *model, size_t perturbations_per_eval,
                              float *out) {
    lumen_occlusion_options options = occlusion_options(perturbations_per_eval);
    lumen_explanation *ex = NULL;
    uint64_t evaluated = 0;
    if (CHECK_OK(lumen_engine_explain_occlusion(engine, model, inputs, ROWS * LEN, ROWS, &options, &ex))) {
        CHECK_OK(lumen_explanation_attributions(ex, out, ROWS * OUTPUTS * LEN));
        CHECK_OK(lumen_explanation_model_rows_evaluated(ex, &evaluated));
    }
    lumen_explanation_free(ex);
    return evaluated;
}

/* Records that `got` is the reference occlusion of the test inputs. */
static void check_against_reference(const float *got) {
    const size_t unit[2] = {1, 1};
    const float zero[LEN] = {0};
    linear_model m = {LEN, OUTPUTS, weights, bias};
    size_t bad = 0;
    for (size_t r = 0; r < ROWS; r++) {
        for (size_t o = 0; o < OUTPUTS; o++) {
            double want[LEN];
            reference_occlusion(&m, o, shape, 2, window, unit, inputs + r * LEN, zero, want);
            for (size_t i = 0; i < LEN; i++) {
                double diff = got[(r * OUTPUTS + o) * LEN + i] - want[i];
                bad += diff > 1e-5 || diff < -1e-5;
            }
        }
    }
    CHECK(bad == 0);
}

/* Model rows of one occlusion run: the rows, one scalar baseline row, 9 windows per row. */
#define OCCLUSION_MODEL_ROWS (ROWS + 1 + ROWS * 9)

static void test_batches_and_serialisation(void) {
    SECTION("max_batch_rows respected; a non-concurrent model never entered twice at once");
    /* Eight engine threads, so that the engine could overlap calls if it wanted to. */
    lumen_engine *engine = new_engine(8, 0);
    static float serial[ROWS * OUTPUTS * LEN], parallel[ROWS * OUTPUTS * LEN], limited[ROWS * OUTPUTS * LEN];

    /* Not concurrent, at most 2 rows per call, 1 perturbation per eval: many calls. */
    probe p;
    probe_init(&p);
    lumen_model_desc desc = probe_desc(&p, 0, 2);
    lumen_model *model = new_model(&desc);
    if (engine != NULL && model != NULL) {
        uint64_t evaluated = run_occlusion(engine, model, 1, serial);
        CHECK(atomic_load(&p.max_in_flight) == 1);
        CHECK(atomic_load(&p.largest_batch) >= 1 && atomic_load(&p.largest_batch) <= 2);
        CHECK(evaluated == OCCLUSION_MODEL_ROWS);
        CHECK(atomic_load(&p.rows_seen) == evaluated);
        check_against_reference(serial);

        /* Feature ablation through the same model obeys the same rules. */
        lumen_feature_ablation_options fa = lumen_feature_ablation_options_default();
        lumen_explanation *ex = NULL;
        CHECK_OK(lumen_engine_explain_feature_ablation(engine, model, inputs, ROWS * LEN, ROWS, &fa, &ex));
        lumen_explanation_free(ex);
        CHECK(atomic_load(&p.max_in_flight) == 1);
        CHECK(atomic_load(&p.largest_batch) <= 2);
    }
    CHECK(atomic_load(&p.finalized) == 0);
    lumen_model_free(model);
    CHECK(atomic_load(&p.finalized) == 1);

    /* Concurrent, at most 3 rows per call, 2 perturbations per eval: many parallel calls,
     * still within the limit, and the very same attributions. */
    probe q;
    probe_init(&q);
    desc = probe_desc(&q, LUMEN_MODEL_CONCURRENT, 3);
    model = new_model(&desc);
    if (engine != NULL && model != NULL) {
        uint64_t evaluated = run_occlusion(engine, model, 2, parallel);
        CHECK(atomic_load(&q.largest_batch) >= 1 && atomic_load(&q.largest_batch) <= 3);
        CHECK(evaluated == OCCLUSION_MODEL_ROWS);
        CHECK(atomic_load(&q.rows_seen) == evaluated);
        CHECK(memcmp(serial, parallel, sizeof serial) == 0);
        printf("   concurrent model: up to %d calls at once on 8 engine threads\n", atomic_load(&q.max_in_flight));
    }
    lumen_model_free(model);
    CHECK(atomic_load(&q.finalized) == 1);

    /* A limit of 4 with the engine choosing the batch size: every call still <= 4. */
    probe r;
    probe_init(&r);
    desc = probe_desc(&r, 0, 4);
    model = new_model(&desc);
    if (engine != NULL && model != NULL) {
        run_occlusion(engine, model, 0, limited);
        CHECK(atomic_load(&r.largest_batch) == 4); /* 31 rows of work fill batches of 4 */
        CHECK(memcmp(serial, limited, sizeof serial) == 0);
    }
    lumen_model_free(model);
    CHECK(atomic_load(&r.finalized) == 1);
    lumen_engine_free(engine);
}

/* One host thread of the cross-thread test. */
typedef struct host_job {
    const lumen_engine *engine;
    const lumen_model *model;
    uint32_t failures; /* explanations that did not return LUMEN_STATUS_OK */
    float attributions[ROWS * OUTPUTS * LEN];
} host_job;

static int host_thread(void *arg) {
    host_job *job = (host_job *)arg;
    lumen_occlusion_options options = occlusion_options(1);
    for (int run = 0; run < RUNS_PER_HOST_THREAD; run++) {
        lumen_explanation *ex = NULL;
        if (lumen_engine_explain_occlusion(job->engine, job->model, inputs, ROWS * LEN, ROWS, &options, &ex) !=
                LUMEN_STATUS_OK ||
            lumen_explanation_attributions(ex, job->attributions, ROWS * OUTPUTS * LEN) != LUMEN_STATUS_OK) {
            job->failures++;
        }
        lumen_explanation_free(ex);
    }
    return 0;
}

static void test_shared_model_across_host_threads(void) {
    SECTION("one non-concurrent model explained from several host threads at once");
    lumen_engine *engine = new_engine(4, 0);
    probe p;
    probe_init(&p);
    lumen_model_desc desc = probe_desc(&p, 0, 0);
    lumen_model *model = new_model(&desc);
    static host_job jobs[HOST_THREADS];
    thrd_t threads[HOST_THREADS];
    int started = 0;
    if (engine != NULL && model != NULL) {
        for (int t = 0; t < HOST_THREADS; t++) {
            jobs[t].engine = engine;
            jobs[t].model = model;
            jobs[t].failures = 0;
            if (thrd_create(&threads[t], host_thread, &jobs[t]) == thrd_success) {
                started++;
            }
        }
        for (int t = 0; t < started; t++) {
            thrd_join(threads[t], NULL);
        }
        CHECK(started == HOST_THREADS);
        uint32_t failures = 0;
        for (int t = 0; t < started; t++) {
            failures += jobs[t].failures;
            check_against_reference(jobs[t].attributions);
        }
        CHECK(failures == 0);
        /* The header: "Without it [LUMEN_MODEL_CONCURRENT] the engine never overlaps two
         * calls", and one engine "may run explanations from several threads at once". */
        if (!CHECK(atomic_load(&p.max_in_flight) == 1)) {
            fprintf(stderr, "     a model without LUMEN_MODEL_CONCURRENT ran %d calls at once\n",
                    atomic_load(&p.max_in_flight));
        }
        CHECK(atomic_load(&p.rows_seen) == (unsigned long long)HOST_THREADS * RUNS_PER_HOST_THREAD * OCCLUSION_MODEL_ROWS);
    }
    lumen_model_free(model);
    CHECK(atomic_load(&p.finalized) == 1);
    lumen_engine_free(engine);
}

static void test_finalizer_on_failed_new(void) {
    SECTION("the finalizer is not called when lumen_model_new fails; out untouched");
    probe p;
    probe_init(&p);
    static char sentinel_storage;
    lumen_model *const sentinel = (lumen_model *)(void *)&sentinel_storage;
    const size_t bad_shape[2] = {3, 5}; /* 15 elements, not LEN = 20 */

    lumen_model_desc desc = probe_desc(&p, 0, 0);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION + 1;
    lumen_model *out = sentinel;
    CHECK_FAILS(lumen_model_new(&desc, &out), LUMEN_STATUS_ABI_VERSION_MISMATCH, "abi_version");
    CHECK(out == sentinel);

    desc = probe_desc(&p, 0, 0);
    desc.predict = NULL;
    CHECK_FAILS(lumen_model_new(&desc, &out), LUMEN_STATUS_NULL_POINTER, "desc.predict");
    CHECK(out == sentinel);

    desc = probe_desc(&p, 0, 0);
    desc.input_shape = bad_shape;
    CHECK_FAILS(lumen_model_new(&desc, &out), LUMEN_STATUS_LENGTH_MISMATCH, "input_shape");
    CHECK(out == sentinel);

    desc = probe_desc(&p, 0, 0);
    desc.flags = 0x80; /* not a LUMEN_MODEL_* flag */
    CHECK_FAILS(lumen_model_new(&desc, &out), LUMEN_STATUS_INVALID_ARGUMENT, "flags");
    CHECK(out == sentinel);

    desc = probe_desc(&p, 0, 0);
    desc.output_len = 0;
    CHECK_FAILS(lumen_model_new(&desc, &out), LUMEN_STATUS_INVALID_ARGUMENT, "output_len");
    CHECK(out == sentinel);

    CHECK(atomic_load(&p.finalized) == 0);

    /* The user data still belongs to us and still works: a good descriptor now succeeds,
     * and its finalizer runs once, at lumen_model_free. */
    desc = probe_desc(&p, 0, 0);
    lumen_model *model = new_model(&desc);
    CHECK(atomic_load(&p.finalized) == 0);
    lumen_model_free(model);
    CHECK(atomic_load(&p.finalized) == (model != NULL ? 1 : 0));
    lumen_model_free(NULL);
    CHECK(atomic_load(&p.finalized) == (model != NULL ? 1 : 0));
}

/* What a thread saw of the thread-local last error. */
typedef struct error_probe {
    char before[256]; /* lumen_last_error_message() before any failure on the thread */
    uint32_t status;  /* status of a failing call made on the thread */
    char after[256];  /* the message after it */
} error_probe;

static int error_thread(void *arg) {
    error_probe *e = (error_probe *)arg;
    snprintf(e->before, sizeof e->before, "%s", lumen_last_error_message());
    lumen_engine_options options = lumen_engine_options_default();
    options.backend = LUMEN_BACKEND_CUDA;
    lumen_engine *engine = NULL;
    e->status = lumen_engine_new(&options, &engine);
    snprintf(e->after, sizeof e->after, "%s", lumen_last_error_message());
    lumen_engine_free(engine);
    return 0;
}

static void test_last_error_is_per_thread(void) {
    SECTION("lumen_last_error_message() is per thread");
    lumen_engine_options options = lumen_engine_options_default();
    options.backend = 42; /* no such backend */
    lumen_engine *engine = NULL;
    CHECK_FAILS(lumen_engine_new(&options, &engine), LUMEN_STATUS_INVALID_ARGUMENT, "backend");
    char mine[256];
    snprintf(mine, sizeof mine, "%s", lumen_last_error_message());

    error_probe e;
    memset(&e, 0, sizeof e);
    thrd_t thread;
    if (CHECK(thrd_create(&thread, error_thread, &e) == thrd_success)) {
        thrd_join(thread, NULL);
        CHECK(e.before[0] == '\0');
        CHECK_STATUS(e.status, LUMEN_STATUS_BACKEND_UNAVAILABLE);
        CHECK_CONTAINS(e.after, "cuda");
    }
    /* The other thread's failure did not touch this thread's message. */
    CHECK(strcmp(lumen_last_error_message(), mine) == 0);
}

/* Threads of this process (Linux: entries of /proc/self/task); -1 if unknown. */
static int thread_count(void) {
    DIR *dir = opendir("/proc/self/task");
    if (dir == NULL) {
        return -1;
    }
    int count = 0;
    for (struct dirent *entry = readdir(dir); entry != NULL; entry = readdir(dir)) {
        count += entry->d_name[0] != '.';
    }
    closedir(dir);
    return count;
}

static void test_engine_threads_joined(void) {
    SECTION("lumen_engine_free leaves no engine thread running");
    int before = thread_count();
    if (before < 0) {
        printf("   /proc/self/task unavailable: skipped\n");
        return;
    }
    lumen_engine *engine = new_engine(8, 0);
    CHECK(thread_count() >= before + 8);
    probe p;
    probe_init(&p);
    lumen_model_desc desc = probe_desc(&p, LUMEN_MODEL_CONCURRENT, 0);
    lumen_model *model = new_model(&desc);
    static float out[ROWS * OUTPUTS * LEN];
    if (engine != NULL && model != NULL) {
        run_occlusion(engine, model, 1, out);
    }
    lumen_model_free(model);
    lumen_engine_free(engine);
    /* A joined thread can linger in /proc for a moment while the kernel reaps it: poll. */
    int after = thread_count();
    for (int poll = 0; poll < THREAD_REAP_POLLS && after != before; poll++) {
        struct timespec pause = {0, THREAD_REAP_POLL_NANOSECONDS};
        thrd_sleep(&pause, NULL);
        after = thread_count();
    }
    if (!CHECK(after == before)) {
        fprintf(stderr, "     %d threads before the engine, %d after lumen_engine_free\n", before, after);
    }
}

int main(void) {
    init_data();
    test_batches_and_serialisation();
    test_shared_model_across_host_threads();
    test_finalizer_on_failed_new();
    test_last_error_is_per_thread();
    test_engine_threads_joined();
    return harness_report("test_model_lifecycle");
}
