/*
 * test_errors.c: every failure the C API documents: its status, a last-error message that
 * names the argument, and no output written on failure. Also status names, the version
 * and the no-op _free(NULL)s.
 *
 * Written in the common subset of C11 and C++17 (no designated initialisers, no compound
 * literals, explicit casts from void *): run.sh also compiles it with g++ to prove the
 * header works from C++.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

/* 1-D model of N inputs and 2 outputs. */
#define N 6
#define OUTPUTS 2
#define ROWS 2
/* Number of statuses lumen_status defines (0 ..= LUMEN_STATUS_PANIC). */
#define STATUS_COUNT 23
/* A status number no status has. */
#define UNKNOWN_STATUS 999
/* A model error code the message must carry back. */
#define MODEL_ERROR_CODE 7
/* Value stored in buffers that a failing getter must leave untouched. */
#define UNTOUCHED (-12345.0f)

static const float weights[OUTPUTS * N] = {1, 2, 3, 4, 5, 6, -1, 0.5f, 0, 2, -3, 1};
static const float bias[OUTPUTS] = {0.5f, -2};
static const float x[ROWS * N] = {1, 2, 3, 4, 5, 6, -1, -2, 0.5f, 0, 3, 1};

/* Opaque, never-dereferenced pointer values that a failing call must leave in `out`. */
static char sentinel_storage;
#define SENTINEL(type) ((type *)(void *)&sentinel_storage)

/* Everything a test of the explain functions needs, built once. */
typedef struct fixture {
    lumen_engine *engine;
    linear_model linear;
    lumen_model *model;
} fixture;

static size_t one_window = 2;

static lumen_occlusion_options window_options(void) {
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = &one_window;
    options.window_rank = 1;
    return options;
}

static void test_status_names_and_version(void) {
    SECTION("status names and the library version");
    static const char *const names[STATUS_COUNT] = {
        "LUMEN_STATUS_OK",
        "LUMEN_STATUS_NULL_POINTER",
        "LUMEN_STATUS_INVALID_ARGUMENT",
        "LUMEN_STATUS_LENGTH_MISMATCH",
        "LUMEN_STATUS_NON_FINITE_INPUT",
        "LUMEN_STATUS_MODEL_FAILED",
        "LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT",
        "LUMEN_STATUS_MODEL_CAPABILITY_MISSING",
        "LUMEN_STATUS_BACKEND_UNAVAILABLE",
        "LUMEN_STATUS_BUDGET_TOO_SMALL",
        "LUMEN_STATUS_ABI_VERSION_MISMATCH",
        "LUMEN_STATUS_BUFFER_TOO_SMALL",
        "LUMEN_STATUS_INVALID_UTF8",
        "LUMEN_STATUS_NOT_AVAILABLE",
        "LUMEN_STATUS_INTERNAL",
        "LUMEN_STATUS_PANIC",
        "LUMEN_STATUS_INVALID_STATE",
        "LUMEN_STATUS_OUT_OF_MEMORY",
        "LUMEN_STATUS_NON_FINITE_RESULT",
        "LUMEN_STATUS_CANCELLED",
        "LUMEN_STATUS_DEADLINE_EXCEEDED",
        "LUMEN_STATUS_ELEMENT_TYPE_MISMATCH",
        "LUMEN_STATUS_ELEMENT_TYPE_UNSUPPORTED",
    };
    size_t wrong = 0;
    for (uint32_t s = 0; s < STATUS_COUNT; s++) {
        const char *name = lumen_status_name(s);
        if (name == NULL || strcmp(name, names[s]) != 0) {
            fprintf(stderr, "     status %u is named %s, expected %s\n", (unsigned)s, name ? name : "(NULL)", names[s]);
            wrong++;
        }
    }
    CHECK(wrong == 0);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_MODEL_FAILED), "LUMEN_STATUS_MODEL_FAILED") == 0);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_PANIC), "LUMEN_STATUS_PANIC") == 0);
    CHECK(strcmp(lumen_status_name(STATUS_COUNT), "LUMEN_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(lumen_status_name(UNKNOWN_STATUS), "LUMEN_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(lumen_status_name(UINT32_MAX), "LUMEN_STATUS_UNKNOWN") == 0);

    char version[64];
    snprintf(version, sizeof version, "%d.%d.%d", LUMEN_VERSION_MAJOR, LUMEN_VERSION_MINOR, LUMEN_VERSION_PATCH);
    CHECK(strcmp(lumen_version(), version) == 0);
}

static void test_free_null(void) {
    SECTION("every _free(NULL) is a no-op");
    lumen_engine_free(NULL);
    lumen_model_free(NULL);
    lumen_explanation_free(NULL);
    lumen_string_free(NULL);
    CHECK(1); /* reaching this line is the check */
}

static void test_engine_options(void) {
    SECTION("engine options: backends, budget, NULL pointers");
    lumen_engine *engine = SENTINEL(lumen_engine);
    lumen_engine_options options = lumen_engine_options_default();
    CHECK(options.backend == LUMEN_BACKEND_AUTO && options.threads == 0 && options.seed == 0 &&
          options.memory_budget_bytes == LUMEN_DEFAULT_MEMORY_BUDGET_BYTES);

    options.backend = 3; /* one past LUMEN_BACKEND_CUDA */
    CHECK_FAILS(lumen_engine_new(&options, &engine), LUMEN_STATUS_INVALID_ARGUMENT, "backend");
    CHECK_MESSAGE("3");
    CHECK(engine == SENTINEL(lumen_engine));

    options.backend = LUMEN_BACKEND_CUDA; /* this build has no CUDA backend */
    CHECK_FAILS(lumen_engine_new(&options, &engine), LUMEN_STATUS_BACKEND_UNAVAILABLE, "cuda");
    CHECK(engine == SENTINEL(lumen_engine));

    options = lumen_engine_options_default();
    options.memory_budget_bytes = 0;
    CHECK_FAILS(lumen_engine_new(&options, &engine), LUMEN_STATUS_INVALID_ARGUMENT, "memory_budget_bytes");
    CHECK(engine == SENTINEL(lumen_engine));

    CHECK_FAILS(lumen_engine_new(&options, NULL), LUMEN_STATUS_NULL_POINTER, "out");

    /* NULL options means the defaults; auto resolves to the CPU here. */
    engine = NULL;
    if (CHECK_OK(lumen_engine_new(NULL, &engine))) {
        uint32_t backend = 99;
        CHECK_OK(lumen_engine_backend(engine, &backend));
        CHECK(backend == LUMEN_BACKEND_CPU);
        CHECK_FAILS(lumen_engine_backend(engine, NULL), LUMEN_STATUS_NULL_POINTER, "out");
    }
    lumen_engine_free(engine);
    uint32_t backend = 99;
    CHECK_FAILS(lumen_engine_backend(NULL, &backend), LUMEN_STATUS_NULL_POINTER, "engine");
    CHECK(backend == 99);
}

static void test_model_descriptor(fixture *f) {
    SECTION("model descriptor errors");
    lumen_model *model = SENTINEL(lumen_model);
    lumen_model_desc desc = linear_desc(&f->linear);

    CHECK_FAILS(lumen_model_new(NULL, &model), LUMEN_STATUS_NULL_POINTER, "desc");
    CHECK_FAILS(lumen_model_new(&desc, NULL), LUMEN_STATUS_NULL_POINTER, "out");

    desc.abi_version = 0;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_ABI_VERSION_MISMATCH, "abi_version");
    desc.abi_version = LUMEN_MODEL_ABI_VERSION + 1;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_ABI_VERSION_MISMATCH, "abi_version");

    desc = linear_desc(&f->linear);
    desc.predict = NULL;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_NULL_POINTER, "desc.predict");

    /* ABI 2 descriptors (no device fields) are still read; they cannot describe a device model. */
    desc = linear_desc(&f->linear);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION_OLDEST;
    lumen_model *old = NULL;
    if (CHECK_OK(lumen_model_new(&desc, &old))) {
        lumen_model_free(old);
    }
    desc.memory_space = LUMEN_MEMORY_DEVICE;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_ARGUMENT, "predict_device");
    desc = linear_desc(&f->linear);
    desc.input_dtype = LUMEN_DTYPE_BF16; /* only device models read f16/bf16 */
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_ARGUMENT, "input_dtype");

    desc = linear_desc(&f->linear);
    desc.input_len = 0;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_ARGUMENT, "input_len");

    desc = linear_desc(&f->linear);
    desc.memory_space = 2; /* neither host nor device */
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_ARGUMENT, "memory_space");

    /* input_shape whose product (2 × 4 = 8) is not input_len (6). */
    const size_t wrong_shape[2] = {2, 4};
    desc = linear_desc(&f->linear);
    desc.input_shape = wrong_shape;
    desc.input_rank = 2;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_LENGTH_MISMATCH,
                "input_shape: [2, 4] has 8 elements, expected desc.input_len = 6");
    /* A shape whose product overflows size_t: said in words, no Rust internals. */
    const size_t huge_shape[2] = {SIZE_MAX, 2};
    desc.input_shape = huge_shape;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_LENGTH_MISMATCH,
                "has more elements than a size_t counts");
    desc.input_shape = NULL; /* NULL with rank 2 */
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_NULL_POINTER, "input_shape");

    /* Feature names: wrong count, NULL entry, invalid UTF-8. */
    const char *const two_names[2] = {"a", "b"};
    desc = linear_desc(&f->linear);
    desc.feature_names = two_names;
    desc.feature_names_len = 2;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_LENGTH_MISMATCH, "feature_names");
    const char *const with_null[N] = {"a", "b", NULL, "d", "e", "f"};
    desc.feature_names = with_null;
    desc.feature_names_len = N;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_NULL_POINTER, "feature_names[2]");
    const char *const bad_utf8[N] = {"a", "b", "c", "\xff\xfe", "e", "f"};
    desc.feature_names = bad_utf8;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_UTF8, "feature_names[3]");

    CHECK(model == SENTINEL(lumen_model));
}

/* An explanation attempt that must fail: `out` stays at the sentinel. */
#define CHECK_OCCLUSION_FAILS(engine, model, inputs, inputs_len, rows, options, want, needle)                    \
    do {                                                                                                        \
        lumen_explanation *out_ = SENTINEL(lumen_explanation);                                                  \
        CHECK_FAILS(lumen_engine_explain_occlusion(engine, model, inputs, inputs_len, rows, options, &out_), want, \
                    needle);                                                                                    \
        CHECK(out_ == SENTINEL(lumen_explanation));                                                             \
    } while (0)

#define CHECK_ABLATION_FAILS(engine, model, inputs, inputs_len, rows, options, want, needle)                      \
    do {                                                                                                        \
        lumen_explanation *out_ = SENTINEL(lumen_explanation);                                                  \
        CHECK_FAILS(lumen_engine_explain_feature_ablation(engine, model, inputs, inputs_len, rows, options, &out_), \
                    want, needle);                                                                              \
        CHECK(out_ == SENTINEL(lumen_explanation));                                                             \
    } while (0)

static void test_null_pointers(fixture *f) {
    SECTION("NULL pointers in the explain calls");
    lumen_occlusion_options o = window_options();
    lumen_feature_ablation_options a = lumen_feature_ablation_options_default();
    CHECK_OCCLUSION_FAILS(NULL, f->model, x, N, 1, &o, LUMEN_STATUS_NULL_POINTER, "engine");
    CHECK_OCCLUSION_FAILS(f->engine, NULL, x, N, 1, &o, LUMEN_STATUS_NULL_POINTER, "model");
    CHECK_OCCLUSION_FAILS(f->engine, f->model, NULL, N, 1, &o, LUMEN_STATUS_NULL_POINTER, "inputs");
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, NULL, LUMEN_STATUS_NULL_POINTER, "options");
    CHECK_FAILS(lumen_engine_explain_occlusion(f->engine, f->model, x, N, 1, &o, NULL), LUMEN_STATUS_NULL_POINTER,
                "out");
    CHECK_ABLATION_FAILS(NULL, f->model, x, N, 1, &a, LUMEN_STATUS_NULL_POINTER, "engine");
    CHECK_ABLATION_FAILS(f->engine, NULL, x, N, 1, &a, LUMEN_STATUS_NULL_POINTER, "model");
    CHECK_ABLATION_FAILS(f->engine, f->model, NULL, N, 1, &a, LUMEN_STATUS_NULL_POINTER, "inputs");
    CHECK_ABLATION_FAILS(f->engine, f->model, x, N, 1, NULL, LUMEN_STATUS_NULL_POINTER, "options");
    CHECK_FAILS(lumen_engine_explain_feature_ablation(f->engine, f->model, x, N, 1, &a, NULL),
                LUMEN_STATUS_NULL_POINTER, "out");

    /* Arrays in the options: NULL with a non-zero length. */
    o.window_shape = NULL;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_NULL_POINTER, "window_shape");
    o = window_options();
    o.strides_rank = 1;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_NULL_POINTER, "strides");
    o = window_options();
    o.baseline_len = N;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_NULL_POINTER, "baseline");
    o = window_options();
    o.targets_len = 1;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_NULL_POINTER, "targets");
    a.feature_mask_len = N;
    CHECK_ABLATION_FAILS(f->engine, f->model, x, N, 1, &a, LUMEN_STATUS_NULL_POINTER, "feature_mask");
    a = lumen_feature_ablation_options_default();
    a.group_names_len = N;
    CHECK_ABLATION_FAILS(f->engine, f->model, x, N, 1, &a, LUMEN_STATUS_NULL_POINTER, "group_names");
}

static void test_lengths_and_rows(fixture *f) {
    SECTION("wrong lengths, zero rows");
    lumen_occlusion_options o = window_options();
    lumen_feature_ablation_options a = lumen_feature_ablation_options_default();

    /* inputs_len is not rows × input_len. */
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N + 1, 1, &o, LUMEN_STATUS_LENGTH_MISMATCH, "inputs");
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, ROWS, &o, LUMEN_STATUS_LENGTH_MISMATCH, "inputs");
    CHECK_ABLATION_FAILS(f->engine, f->model, x, ROWS * N - 1, ROWS, &a, LUMEN_STATUS_LENGTH_MISMATCH, "inputs");

    /* Zero rows: with no inputs at all, and with inputs but rows = 0. */
    CHECK_OCCLUSION_FAILS(f->engine, f->model, NULL, 0, 0, &o, LUMEN_STATUS_INVALID_ARGUMENT, "rows");
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 0, &o, LUMEN_STATUS_INVALID_ARGUMENT, "rows");
    CHECK_ABLATION_FAILS(f->engine, f->model, x, 0, 0, &a, LUMEN_STATUS_INVALID_ARGUMENT, "rows");

    /* A baseline neither input_len nor rows × input_len long. */
    const float baseline[ROWS * N + 1] = {0};
    o.baseline = baseline;
    o.baseline_len = N + 1;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, ROWS * N, ROWS, &o, LUMEN_STATUS_LENGTH_MISMATCH, "baseline");
    o.baseline_len = ROWS * N + 1;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, ROWS * N, ROWS, &o, LUMEN_STATUS_LENGTH_MISMATCH, "baseline");
    a.baseline = baseline;
    a.baseline_len = N - 1;
    CHECK_ABLATION_FAILS(f->engine, f->model, x, ROWS * N, ROWS, &a, LUMEN_STATUS_LENGTH_MISMATCH, "baseline");

    /* A feature mask of the wrong length, and one that skips group id 1. */
    const uint32_t mask[N] = {0, 0, 2, 2, 0, 2};
    a = lumen_feature_ablation_options_default();
    a.feature_mask = mask;
    a.feature_mask_len = N - 1;
    CHECK_ABLATION_FAILS(f->engine, f->model, x, N, 1, &a, LUMEN_STATUS_LENGTH_MISMATCH, "feature_mask");
    a.feature_mask_len = N;
    CHECK_ABLATION_FAILS(f->engine, f->model, x, N, 1, &a, LUMEN_STATUS_INVALID_ARGUMENT, "feature_mask");

    /* Group names: the default mask makes N groups, so 3 names are the wrong count. */
    const char *const names[3] = {"a", "b", "c"};
    a = lumen_feature_ablation_options_default();
    a.group_names = names;
    a.group_names_len = 3;
    CHECK_ABLATION_FAILS(f->engine, f->model, x, N, 1, &a, LUMEN_STATUS_LENGTH_MISMATCH, "group_names");

    /* Targets out of range, repeated. */
    const uint32_t bad_target[1] = {OUTPUTS};
    const uint32_t repeated[2] = {1, 1};
    o = window_options();
    o.targets = bad_target;
    o.targets_len = 1;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_INVALID_ARGUMENT, "targets");
    o.targets = repeated;
    o.targets_len = 2;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_INVALID_ARGUMENT, "targets");
}

static void test_windows(fixture *f) {
    SECTION("bad windows and strides");
    lumen_occlusion_options o = window_options();
    size_t too_big = N + 1, zero = 0, two[2] = {1, 1};

    o.window_shape = &too_big;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_INVALID_ARGUMENT, "window_shape");
    o.window_shape = &zero;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_INVALID_ARGUMENT, "window_shape");
    o.window_rank = 0; /* no window at all */
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_INVALID_ARGUMENT, "window_shape");
    o.window_shape = two; /* rank 2 for a 1-D model */
    o.window_rank = 2;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_LENGTH_MISMATCH, "window_shape");

    o = window_options();
    o.strides = &zero;
    o.strides_rank = 1;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_INVALID_ARGUMENT, "strides");
    o.strides = two;
    o.strides_rank = 2;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_LENGTH_MISMATCH, "strides");

    /* 2-D model: a window larger than the input in the second dimension only. */
    const size_t shape[2] = {2, 3};
    lumen_model_desc desc = linear_desc(&f->linear);
    desc.input_shape = shape;
    desc.input_rank = 2;
    lumen_model *grid = new_model(&desc);
    const size_t wide[2] = {1, 4}, flat[1] = {2};
    if (grid != NULL) {
        o = window_options();
        o.window_shape = wide;
        o.window_rank = 2;
        CHECK_OCCLUSION_FAILS(f->engine, grid, x, N, 1, &o, LUMEN_STATUS_INVALID_ARGUMENT, "window_shape");
        o.window_shape = flat; /* rank 1 for a 2-D model */
        o.window_rank = 1;
        CHECK_OCCLUSION_FAILS(f->engine, grid, x, N, 1, &o, LUMEN_STATUS_LENGTH_MISMATCH, "window_shape");
    }
    lumen_model_free(grid);
}

static void test_non_finite_inputs(fixture *f) {
    SECTION("NaN and Inf in inputs and baselines");
    float bad[N];
    memcpy(bad, x, sizeof bad);
    bad[3] = NAN;
    lumen_occlusion_options o = window_options();
    lumen_feature_ablation_options a = lumen_feature_ablation_options_default();
    CHECK_OCCLUSION_FAILS(f->engine, f->model, bad, N, 1, &o, LUMEN_STATUS_NON_FINITE_INPUT, "inputs");
    bad[3] = -INFINITY;
    CHECK_ABLATION_FAILS(f->engine, f->model, bad, N, 1, &a, LUMEN_STATUS_NON_FINITE_INPUT, "inputs");

    o.baseline = bad;
    o.baseline_len = N;
    bad[3] = NAN;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_NON_FINITE_INPUT, "baseline");
    a.baseline = bad;
    a.baseline_len = N;
    bad[3] = INFINITY;
    CHECK_ABLATION_FAILS(f->engine, f->model, x, N, 1, &a, LUMEN_STATUS_NON_FINITE_INPUT, "baseline");

    o = window_options();
    o.baseline_scalar = NAN;
    CHECK_OCCLUSION_FAILS(f->engine, f->model, x, N, 1, &o, LUMEN_STATUS_NON_FINITE_INPUT, "baseline");
}

static void test_model_failures(fixture *f) {
    SECTION("model callback errors and non-finite outputs");
    lumen_occlusion_options o = window_options();
    lumen_feature_ablation_options a = lumen_feature_ablation_options_default();
    char needle[32];
    snprintf(needle, sizeof needle, "error code %d", MODEL_ERROR_CODE);

    /* good_calls = 0 fails on the first call (the input rows); 1 on the perturbed rows. */
    for (size_t good_calls = 0; good_calls <= 1; good_calls++) {
        faulty_model fm;
        memset(&fm, 0, sizeof fm);
        fm.input_len = N;
        fm.output_len = OUTPUTS;
        fm.good_calls = good_calls;
        fm.error_code = MODEL_ERROR_CODE;
        lumen_model_desc desc = faulty_desc(&fm);
        lumen_model *model = new_model(&desc);
        if (model == NULL) {
            continue;
        }
        CHECK_OCCLUSION_FAILS(f->engine, model, x, N, 1, &o, LUMEN_STATUS_MODEL_FAILED, needle);
        fm.calls = 0;
        CHECK_ABLATION_FAILS(f->engine, model, x, ROWS * N, ROWS, &a, LUMEN_STATUS_MODEL_FAILED, needle);

        fm.error_code = 0; /* now it "succeeds" but writes NaN, then +Inf */
        fm.bad_value = NAN;
        fm.calls = 0;
        CHECK_OCCLUSION_FAILS(f->engine, model, x, N, 1, &o, LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT, "NaN");
        fm.bad_value = INFINITY;
        fm.calls = 0;
        CHECK_ABLATION_FAILS(f->engine, model, x, N, 1, &a, LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT, "inf");
        lumen_model_free(model);
    }

    /* A negative code is carried back too. */
    faulty_model fm;
    memset(&fm, 0, sizeof fm);
    fm.input_len = N;
    fm.output_len = 1;
    fm.error_code = -2;
    lumen_model_desc desc = faulty_desc(&fm);
    lumen_model *model = new_model(&desc);
    if (model != NULL) {
        CHECK_OCCLUSION_FAILS(f->engine, model, x, N, 1, &o, LUMEN_STATUS_MODEL_FAILED, "-2");
    }
    lumen_model_free(model);
}

/* A device-memory forward pass that a CPU engine must never call. */
static int32_t device_predict_never_called(void *user_data, uint64_t inputs, size_t rows, uint64_t outputs,
                                           void *stream) {
    (void)user_data, (void)inputs, (void)rows, (void)outputs, (void)stream;
    return 99;
}

static void test_budget_and_memory_space(fixture *f) {
    SECTION("memory budget smaller than one row; device-memory model");
    lumen_engine_options options = lumen_engine_options_default();
    options.backend = LUMEN_BACKEND_CPU;
    options.memory_budget_bytes = N * sizeof(float) - 1; /* one byte short of a row */
    lumen_engine *small = NULL;
    lumen_occlusion_options o = window_options();
    size_t minimum = 0;
    if (CHECK_OK(lumen_engine_new(&options, &small))) {
        CHECK_OCCLUSION_FAILS(small, f->model, x, N, 1, &o, LUMEN_STATUS_BUDGET_TOO_SMALL, "memory_budget_bytes");
        const char *at = strstr(lumen_last_error_message(), "expected at least ");
        CHECK(at != NULL);
        minimum = at != NULL ? (size_t)strtoull(at + strlen("expected at least "), NULL, 10) : 0;
        CHECK(minimum >= N * sizeof(float));
    }
    lumen_engine_free(small);

    /* The minimum the refusal names (the call's outputs, deltas and gather scratch, and one
     * row) is exact: the explanation succeeds there, one model row per call, and a byte
     * less is refused. */
    lumen_engine *tight = NULL;
    options.memory_budget_bytes = minimum;
    if (minimum > 0 && CHECK_OK(lumen_engine_new(&options, &tight))) {
        lumen_explanation *ex = NULL;
        CHECK_OK(lumen_engine_explain_occlusion(tight, f->model, x, N, 1, &o, &ex));
        lumen_explanation_free(ex);
    }
    lumen_engine_free(tight);
    tight = NULL;
    options.memory_budget_bytes = minimum - 1;
    if (minimum > 0 && CHECK_OK(lumen_engine_new(&options, &tight))) {
        CHECK_OCCLUSION_FAILS(tight, f->model, x, N, 1, &o, LUMEN_STATUS_BUDGET_TOO_SMALL, "expected at least");
    }
    lumen_engine_free(tight);

    lumen_model_desc desc = linear_desc(&f->linear);
    desc.memory_space = LUMEN_MEMORY_DEVICE;
    desc.predict_device = device_predict_never_called;
    lumen_model *device = new_model(&desc);
    if (device != NULL) {
        CHECK_OCCLUSION_FAILS(f->engine, device, x, N, 1, &o, LUMEN_STATUS_BACKEND_UNAVAILABLE, "model");
    }
    lumen_model_free(device);
}

static void test_getters(fixture *f) {
    SECTION("explanation getters: small buffers, NULL pointers, completeness gaps");
    lumen_occlusion_options o = window_options();
    lumen_explanation *ex = NULL;
    if (!CHECK_OK(lumen_engine_explain_occlusion(f->engine, f->model, x, ROWS * N, ROWS, &o, &ex))) {
        return;
    }
    const size_t len = ROWS * OUTPUTS * N;
    float buffer[ROWS * OUTPUTS * N];
    size_t changed = 0;
    for (size_t i = 0; i < len; i++) {
        buffer[i] = UNTOUCHED;
    }
    CHECK_FAILS(lumen_explanation_attributions(ex, buffer, len - 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
    CHECK_FAILS(lumen_explanation_attributions(ex, buffer, 0), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
    CHECK_FAILS(lumen_explanation_predictions(ex, buffer, ROWS * OUTPUTS - 1), LUMEN_STATUS_BUFFER_TOO_SMALL,
                "out_len");
    CHECK_FAILS(lumen_explanation_base_values(ex, buffer, 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
    for (size_t i = 0; i < len; i++) {
        changed += buffer[i] != UNTOUCHED;
    }
    CHECK(changed == 0);
    uint32_t outputs[OUTPUTS] = {77, 77};
    CHECK_FAILS(lumen_explanation_outputs(ex, outputs, 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
    CHECK(outputs[0] == 77 && outputs[1] == 77);
    CHECK_FAILS(lumen_explanation_attributions(ex, NULL, len), LUMEN_STATUS_NULL_POINTER, "out");

    /* Completeness gaps are not defined for occlusion. */
    double gaps[ROWS * OUTPUTS] = {1, 1, 1, 1};
    CHECK_FAILS(lumen_explanation_completeness_gaps(ex, gaps, ROWS * OUTPUTS), LUMEN_STATUS_NOT_AVAILABLE,
                "completeness gap");
    CHECK(gaps[0] == 1 && gaps[3] == 1);

    /* NULL explanation and NULL outputs. */
    lumen_attribution_shape shape;
    memset(&shape, 0, sizeof shape);
    CHECK_FAILS(lumen_explanation_shape(NULL, &shape), LUMEN_STATUS_NULL_POINTER, "explanation");
    CHECK_FAILS(lumen_explanation_shape(ex, NULL), LUMEN_STATUS_NULL_POINTER, "out");
    CHECK_FAILS(lumen_explanation_attributions(NULL, buffer, len), LUMEN_STATUS_NULL_POINTER, "explanation");
    uint64_t rows = 0;
    CHECK_FAILS(lumen_explanation_model_rows_evaluated(NULL, &rows), LUMEN_STATUS_NULL_POINTER, "explanation");
    CHECK_FAILS(lumen_explanation_model_rows_evaluated(ex, NULL), LUMEN_STATUS_NULL_POINTER, "out");
    size_t rank = 0, dims[4] = {0};
    CHECK_FAILS(lumen_explanation_feature_rank(NULL, &rank), LUMEN_STATUS_NULL_POINTER, "explanation");
    CHECK_FAILS(lumen_explanation_feature_rank(ex, NULL), LUMEN_STATUS_NULL_POINTER, "rank");
    CHECK_FAILS(lumen_explanation_feature_shape(NULL, dims, 4), LUMEN_STATUS_NULL_POINTER, "explanation");
    CHECK_FAILS(lumen_explanation_feature_shape(ex, NULL, 4), LUMEN_STATUS_NULL_POINTER, "out");
    lumen_row_diagnostics diag;
    CHECK_FAILS(lumen_explanation_row_diagnostics(ex, ROWS, &diag), LUMEN_STATUS_INVALID_ARGUMENT, "row");
    CHECK_FAILS(lumen_explanation_row_diagnostics(ex, 0, NULL), LUMEN_STATUS_NULL_POINTER, "out");
    char *json = SENTINEL(char);
    CHECK_FAILS(lumen_explanation_to_json(NULL, &json), LUMEN_STATUS_NULL_POINTER, "explanation");
    CHECK(json == SENTINEL(char));
    CHECK_FAILS(lumen_explanation_to_json(ex, NULL), LUMEN_STATUS_NULL_POINTER, "out");

    /* A success after failures leaves the buffers filled and the values sensible. */
    CHECK_OK(lumen_explanation_shape(ex, &shape));
    CHECK(shape.rows == ROWS && shape.outputs == OUTPUTS && shape.features == N);
    lumen_explanation_free(ex);
}

int main(void) {
    test_status_names_and_version();
    test_free_null();
    test_engine_options();

    fixture f;
    f.linear.input_len = N;
    f.linear.output_len = OUTPUTS;
    f.linear.weights = weights;
    f.linear.bias = bias;
    f.engine = new_engine(2, 0);
    lumen_model_desc desc = linear_desc(&f.linear);
    f.model = new_model(&desc);
    if (f.engine != NULL && f.model != NULL) {
        test_model_descriptor(&f);
        test_null_pointers(&f);
        test_lengths_and_rows(&f);
        test_windows(&f);
        test_non_finite_inputs(&f);
        test_model_failures(&f);
        test_budget_and_memory_space(&f);
        test_getters(&f);
    }
    lumen_model_free(f.model);
    lumen_engine_free(f.engine);
#ifdef __cplusplus
    return harness_report("test_errors (C++)");
#else
    return harness_report("test_errors");
#endif
}
