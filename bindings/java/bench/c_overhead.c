/*
 * The C side of the Java binding's overhead benchmark (run by OverheadBench.java).
 *
 * Times Feature Ablation through Lumen's C ABI with a C model that computes a dot product
 * and busy-waits `cost_ns` per row: the same explanation and the same model cost that the
 * Java harness runs through JNI with a Java model.
 *
 * usage: c_overhead FEATURES ROWS PER_EVAL COST_NS THREADS
 * For every "run" line on stdin it runs one explanation and prints
 * "ns N inside I batches B rows M": its wall time, the time spent inside the model callback
 * (entry to exit, summed), model calls and model rows. The harness interleaves these runs with
 * its own JNI runs, so both paths see the same machine load.
 */
#define _POSIX_C_SOURCE 199309L
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lumen.h"

typedef struct {
    size_t features;
    int64_t cost_ns;
    atomic_ullong batches;
    atomic_ullong rows;
    atomic_ullong inside_ns;
} bench_model;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* out[r] = Σ_i w_i · x_ri with w_i = 1 / (i + 1), then a busy-wait of rows × cost_ns. */
static int32_t predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    bench_model *m = user_data;
    int64_t start = now_ns();
    int64_t end = start + (int64_t)rows * m->cost_ns;
    for (size_t r = 0; r < rows; r++) {
        float sum = 0.0f;
        for (size_t i = 0; i < m->features; i++) {
            sum += inputs[r * m->features + i] / (float)(i + 1);
        }
        outputs[r] = sum;
    }
    int64_t exit_time;
    while ((exit_time = now_ns()) < end) {
    }
    atomic_fetch_add(&m->inside_ns, (unsigned long long)(exit_time - start));
    atomic_fetch_add(&m->batches, 1);
    atomic_fetch_add(&m->rows, rows);
    return 0;
}

static void fail(const char *what) {
    fprintf(stderr, "c_overhead: %s: %s\n", what, lumen_last_error_message());
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: c_overhead FEATURES ROWS PER_EVAL COST_NS THREADS\n");
        return 2;
    }
    size_t features = strtoul(argv[1], NULL, 10), rows = strtoul(argv[2], NULL, 10);
    size_t per_eval = strtoul(argv[3], NULL, 10);
    bench_model model_state = {features, strtoll(argv[4], NULL, 10), 0, 0, 0};
    uint32_t threads = (uint32_t)strtoul(argv[5], NULL, 10);

    lumen_engine_options engine_options = lumen_engine_options_default();
    engine_options.backend = LUMEN_BACKEND_CPU;
    engine_options.threads = threads;
    lumen_engine *engine;
    if (lumen_engine_new(&engine_options, &engine) != LUMEN_STATUS_OK) fail("lumen_engine_new");

    lumen_model_desc desc = {0};
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.input_len = features;
    desc.output_len = 1;
    desc.predict = predict;
    desc.user_data = &model_state;
    lumen_model *model;
    if (lumen_model_new(&desc, &model) != LUMEN_STATUS_OK) fail("lumen_model_new");

    float *inputs = malloc(rows * features * sizeof(float));
    for (size_t i = 0; i < rows * features; i++) inputs[i] = (float)((i * 7) % 13) / 13.0f;
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    options.perturbations_per_eval = per_eval;

    char command[16];
    while (fgets(command, sizeof command, stdin) != NULL) {
        atomic_store(&model_state.batches, 0);
        atomic_store(&model_state.rows, 0);
        atomic_store(&model_state.inside_ns, 0);
        lumen_explanation *explanation;
        int64_t start = now_ns();
        if (lumen_engine_explain_feature_ablation(engine, model, inputs, rows * features, rows, &options,
                                                  &explanation) != LUMEN_STATUS_OK)
            fail("lumen_engine_explain_feature_ablation");
        int64_t elapsed = now_ns() - start;
        lumen_explanation_free(explanation);
        printf("ns %lld inside %llu batches %llu rows %llu\n", (long long)elapsed,
               (unsigned long long)atomic_load(&model_state.inside_ns),
               (unsigned long long)atomic_load(&model_state.batches), (unsigned long long)atomic_load(&model_state.rows));
        fflush(stdout);
    }
    free(inputs);
    lumen_model_free(model);
    lumen_engine_free(engine);
    return 0;
}
