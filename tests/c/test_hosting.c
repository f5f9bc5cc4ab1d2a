/*
 * test_hosting.c: what a host process (a bank's scoring service) may rely on when a
 * caller is careless: a model callback that calls back into Lumen gets
 * LUMEN_STATUS_INVALID_STATE instead of deadlocking on the model's lock, a callback that
 * frees the engine or the model frees nothing (they are in use), the outer call then
 * finishes and the engine stays usable; an absurd thread count is refused at once; sizes
 * above their documented maxima are refused with LUMEN_STATUS_INVALID_ARGUMENT before
 * anything is allocated (they used to abort the process or panic); results that overflow
 * are LUMEN_STATUS_NON_FINITE_RESULT, never OK with ±Inf; freed or wrong-typed handles
 * are refused, and an engine or model in use is not freed; the new statuses have names;
 * the memory budget refuses work it cannot hold (BUDGET_TOO_SMALL with the minimum) and
 * chunks what it can; an engine of one thread calls the model on the thread that asked,
 * one of two on its workers. Run under `prlimit --as` by tests/c/run.sh, so an allocation of the
 * old sizes fails, and an allocation the system cannot give is OUT_OF_MEMORY.
 */

#define _POSIX_C_SOURCE 200809L /* nanosleep */

#include <stdatomic.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <threads.h>
#include <time.h>

#include "harness.h"
#include "lumen.h"
#include "counterfactual_models.h"
#include "gradient_models.h"
#include "models.h"

#define N 3

/* Output pointer values that a refused call must leave alone. */
#define UNTOUCHED_MODEL ((lumen_model *)0x1)
#define UNTOUCHED_EXPLANATION ((lumen_explanation *)0x1)
#define UNTOUCHED_COUNTERFACTUALS ((lumen_counterfactuals *)0x1)

static const float ig_weights[N] = {0.5f, -1.0f, 2.0f};
static const float lin_weights[N] = {1.0f, -1.0f, 0.5f};
static const float lin_bias[1] = {0.0f};

/* The descriptor of a host model of N inputs and one output, not concurrent, calling
 * `predict` with `user_data`. */
static lumen_model_desc host_desc(lumen_predict_fn predict, void *user_data) {
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = N;
    desc.output_len = 1;
    desc.predict = predict;
    desc.user_data = user_data;
    return desc;
}

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

static void test_reentry(int mode, uint32_t threads, const char *label, const char *needle) {
    SECTION(label);
    lumen_engine *engine = new_engine(threads, 0);
    reentrant_model m = {engine, NULL, mode, 0, 0, {0}};
    /* Not concurrent: every call holds the model's lock. */
    lumen_model_desc desc = host_desc(reentrant_predict, &m);
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

/* A model (not concurrent) that counts its calls and those made on the thread that asked
 * for the explanation. */
typedef struct thread_probe {
    thrd_t caller;
    atomic_int calls;
    atomic_int on_caller;
} thread_probe;

static int32_t probe_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    thread_probe *p = (thread_probe *)user_data;
    atomic_fetch_add(&p->calls, 1);
    if (thrd_equal(thrd_current(), p->caller)) {
        atomic_fetch_add(&p->on_caller, 1);
    }
    for (size_t r = 0; r < rows; r++) {
        const float *x = inputs + r * N;
        outputs[r] = lin_weights[0] * x[0] + lin_weights[1] * x[1] + lin_weights[2] * x[2];
    }
    return 0;
}

/* An engine of one thread runs the call, and so the model, on the calling thread; an
 * engine of two runs it on its workers. The attributions are the same either way. */
static void test_callback_threads(uint32_t threads, const char *label) {
    SECTION(label);
    lumen_engine *engine = new_engine(threads, 0);
    thread_probe probe;
    probe.caller = thrd_current();
    atomic_init(&probe.calls, 0);
    atomic_init(&probe.on_caller, 0);
    lumen_model_desc desc = host_desc(probe_predict, &probe);
    lumen_model *model = engine != NULL ? new_model(&desc) : NULL;
    const float x[N] = {1.0f, 2.0f, 3.0f};
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    lumen_explanation *ex = NULL;
    if (model != NULL && CHECK_OK(lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &options, &ex))) {
        float got[N];
        const double want[N] = {1.0, -2.0, 1.5};
        if (CHECK_OK(lumen_explanation_attributions(ex, got, N))) {
            check_values(got, want, N, 1e-6, "attributions of a linear model");
        }
        lumen_explanation_free(ex);
        int calls = atomic_load(&probe.calls);
        int on_caller = atomic_load(&probe.on_caller);
        CHECK(calls > 0);
        CHECK(on_caller == (threads == 1 ? calls : 0));
    }
    lumen_model_free(model);
    lumen_engine_free(engine);
}

/* PermuteAttack on the threshold classifier with `population` and `counterfactuals`
 * (0: the defaults) must fail with `want`, a message containing `needle`, and nothing
 * written. */
static void refuse_permute_attack(lumen_engine *engine, size_t population, size_t counterfactuals, lumen_status want,
                                  const char *needle) {
    threshold_model tm = threshold_one(0, 5.5f);
    lumen_model_desc desc = threshold_desc(&tm);
    lumen_model *classifier = new_model(&desc);
    float training[CF_TRAINING_ROWS * CF_N];
    cf_training(training);
    float applicant[CF_N] = {0};
    memcpy(applicant, training, sizeof applicant);
    lumen_permute_attack_options o = lumen_permute_attack_options_default();
    o.training = training;
    o.training_len = CF_TRAINING_ROWS * CF_N;
    if (population != 0) {
        o.population = population;
    }
    if (counterfactuals != 0) {
        o.counterfactuals = counterfactuals;
    }
    lumen_counterfactuals *found = UNTOUCHED_COUNTERFACTUALS;
    if (engine != NULL && classifier != NULL) {
        CHECK_FAILS(lumen_engine_explain_counterfactuals(engine, classifier, applicant, CF_N, 1, &o, &found), want,
                    needle);
    }
    CHECK(found == UNTOUCHED_COUNTERFACTUALS);
    lumen_model_free(classifier);
}

static void test_size_limits(lumen_engine *engine) {
    SECTION("model sizes above LUMEN_MAX_INPUT_LEN / LUMEN_MAX_OUTPUT_LEN are refused at lumen_model_new");
    linear_model m = {N, 1, NULL, NULL};
    lumen_model_desc desc = linear_desc(&m);
    lumen_model *model = UNTOUCHED_MODEL;
    desc.input_len = (size_t)1 << 32;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_ARGUMENT, "input_len: is 4294967296");
    CHECK_MESSAGE("expected at most 268435456");
    desc.input_len = N;
    desc.output_len = SIZE_MAX;
    CHECK_FAILS(lumen_model_new(&desc, &model), LUMEN_STATUS_INVALID_ARGUMENT, "output_len: is");
    CHECK(model == UNTOUCHED_MODEL);

    SECTION("Integrated Gradients: n_steps SIZE_MAX and 1e9 (Riemann), 5000 (Gauss-Legendre) are refused");
    grad_poly_model g = {N, 1, ig_weights, 0.0, 0.0, 0, 0};
    lumen_model_desc gdesc = grad_poly_desc(&g);
    lumen_model *gradient_model = new_model(&gdesc);
    const float x[N] = {1.0f, 2.0f, 3.0f};
    lumen_explanation *ex = UNTOUCHED_EXPLANATION;
    lumen_integrated_gradients_options ig = lumen_integrated_gradients_options_default();
    ig.method = LUMEN_IG_RIEMANN_LEFT;
    const size_t steps[2] = {SIZE_MAX, 1000000000u};
    for (size_t i = 0; gradient_model != NULL && i < 2; i++) {
        ig.n_steps = steps[i];
        CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, gradient_model, x, N, 1, &ig, &ex),
                    LUMEN_STATUS_INVALID_ARGUMENT, "n_steps: is");
        CHECK_MESSAGE("expected at most 1048576");
    }
    ig.method = LUMEN_IG_GAUSS_LEGENDRE;
    ig.n_steps = LUMEN_MAX_GAUSS_LEGENDRE_STEPS + 1;
    if (gradient_model != NULL) {
        CHECK_FAILS(lumen_engine_explain_integrated_gradients(engine, gradient_model, x, N, 1, &ig, &ex),
                    LUMEN_STATUS_INVALID_ARGUMENT, "expected at most 4096");
    }

    SECTION("GradientSHAP and NoiseTunnel sample counts above LUMEN_MAX_SAMPLES are refused");
    const float baseline[N] = {0.0f, 0.0f, 0.0f};
    lumen_gradient_shap_options gs = lumen_gradient_shap_options_default();
    gs.baselines = baseline;
    gs.baselines_len = N;
    gs.n_samples = SIZE_MAX;
    lumen_noise_tunnel_options nt = lumen_noise_tunnel_options_default();
    nt.nt_samples = LUMEN_MAX_SAMPLES + 1;
    if (gradient_model != NULL) {
        CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, gradient_model, x, N, 1, &gs, &ex),
                    LUMEN_STATUS_INVALID_ARGUMENT, "n_samples: is");
        CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, gradient_model, x, N, 1, &nt, &ex),
                    LUMEN_STATUS_INVALID_ARGUMENT, "nt_samples: is");
    }

    SECTION("GradientSHAP noise of 3e38 would overflow the inputs: refused, not OK with -inf");
    gs.n_samples = 5;
    gs.stdevs = 3e38f;
    nt.nt_samples = 5;
    nt.stdevs = 3e38f;
    if (gradient_model != NULL) {
        CHECK_FAILS(lumen_engine_explain_gradient_shap(engine, gradient_model, x, N, 1, &gs, &ex),
                    LUMEN_STATUS_INVALID_ARGUMENT, "stdevs: is 300000000000000000000000000000000000000");
        CHECK_MESSAGE("overflows float32 inputs");
        CHECK_FAILS(lumen_engine_explain_noise_tunnel(engine, gradient_model, x, N, 1, &nt, &ex),
                    LUMEN_STATUS_INVALID_ARGUMENT, "overflows float32 inputs");
    }
    CHECK(ex == UNTOUCHED_EXPLANATION);
    lumen_model_free(gradient_model);

    SECTION("PermuteAttack: population and counterfactuals of SIZE_MAX are refused, not a panic");
    refuse_permute_attack(engine, SIZE_MAX, 0, LUMEN_STATUS_INVALID_ARGUMENT, "population: is");
    CHECK_MESSAGE("expected at most 1048576");
    refuse_permute_attack(engine, 0, SIZE_MAX, LUMEN_STATUS_INVALID_ARGUMENT, "counterfactuals: is");
    CHECK_MESSAGE("expected at most 1048576");
}

/* A model whose finite outputs sit at the ends of the float range: +FLT_MAX or -FLT_MAX. */
static int32_t extreme_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        outputs[r] = inputs[r * N] > 0.5f ? 3.4e38f : -3.4e38f;
    }
    return 0;
}

static void test_non_finite_results(lumen_engine *engine) {
    SECTION("a model with finite outputs of ±3.4e38: Feature Ablation's overflow is NON_FINITE_RESULT");
    lumen_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.memory_space = LUMEN_MEMORY_HOST;
    desc.input_len = N;
    desc.output_len = 1;
    desc.predict = extreme_predict;
    lumen_model *model = new_model(&desc);
    const float x[N] = {1.0f, 0.0f, 0.0f};
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    lumen_explanation *ex = UNTOUCHED_EXPLANATION;
    if (model != NULL) {
        CHECK_FAILS(lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &options, &ex),
                    LUMEN_STATUS_NON_FINITE_RESULT, "attributions: row 0, output 0, feature 0 is");
    }
    CHECK(ex == UNTOUCHED_EXPLANATION);
    lumen_model_free(model);

    SECTION("lumen_scorecard_score(0.5, 600, 1e-320, 1e308) overflows: NON_FINITE_RESULT, nothing written");
    double score = 42.0;
    CHECK_FAILS(lumen_scorecard_score(0.5, 600.0, 1e-320, 1e308, &score), LUMEN_STATUS_NON_FINITE_RESULT,
                "score: is inf");
    CHECK(score == 42.0);
}

/* A model whose calls linger, so that another thread can act while a call runs. */
typedef struct lingering_model {
    atomic_int calls;
} lingering_model;

static int32_t lingering_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    lingering_model *m = (lingering_model *)user_data;
    atomic_fetch_add(&m->calls, 1);
    struct timespec pause = {0, 20000000L};
    nanosleep(&pause, NULL);
    for (size_t r = 0; r < rows; r++) {
        outputs[r] = inputs[r * N] - inputs[r * N + 1];
    }
    return 0;
}

typedef struct busy_call {
    lumen_engine *engine;
    lumen_model *model;
    lumen_status status;
} busy_call;

static int run_busy_call(void *arg) {
    busy_call *call = (busy_call *)arg;
    const float x[N] = {1.0f, 2.0f, 3.0f};
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    lumen_explanation *ex = NULL;
    call->status = lumen_engine_explain_feature_ablation(call->engine, call->model, x, N, 1, &options, &ex);
    lumen_explanation_free(ex);
    return 0;
}

static void test_handles(lumen_engine *engine) {
    SECTION("a freed handle, or a handle of another type, is refused before Lumen reads through it");
    linear_model lm = {N, 1, lin_weights, lin_bias};
    lumen_model_desc desc = linear_desc(&lm);
    lumen_model *model = new_model(&desc);
    const float x[N] = {1.0f, 2.0f, 3.0f};
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    lumen_explanation *ex = NULL;
    if (model == NULL || !CHECK_OK(lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &options, &ex))) {
        lumen_model_free(model);
        return;
    }
    float values[N];
    CHECK_FAILS(lumen_engine_explain_feature_ablation((lumen_engine *)ex, model, x, N, 1, &options, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "engine: is a lumen_explanation, expected a lumen_engine");
    lumen_explanation *stale = ex;
    lumen_explanation_free(ex);
    CHECK_FAILS(lumen_explanation_attributions(stale, values, N), LUMEN_STATUS_INVALID_ARGUMENT,
                "is not a live lumen_explanation (already freed");
    /* A second free of the same pointer is refused too, and says so. */
    lumen_explanation_free(stale);
    CHECK_MESSAGE("lumen_explanation_free: explanation:");

    SECTION("an engine or model that a running call uses is not freed under it");
    lingering_model slow = {0};
    lumen_model_desc slow_desc = host_desc(lingering_predict, &slow);
    slow_desc.max_batch_rows = 1;
    lumen_model *slow_model = new_model(&slow_desc);
    lumen_engine *own = new_engine(1, 0);
    if (slow_model != NULL && own != NULL) {
        busy_call call = {own, slow_model, LUMEN_STATUS_INTERNAL};
        thrd_t thread;
        CHECK(thrd_create(&thread, run_busy_call, &call) == thrd_success);
        struct timespec pause = {0, 1000000L};
        while (atomic_load(&slow.calls) == 0) {
            nanosleep(&pause, NULL);
        }
        lumen_engine_free(own);
        CHECK_MESSAGE("lumen_engine_free: engine: the lumen_engine is in use by 1 running call(s); nothing was freed");
        lumen_model_free(slow_model);
        CHECK_MESSAGE("lumen_model_free: model: the lumen_model is in use");
        thrd_join(thread, NULL);
        CHECK(call.status == LUMEN_STATUS_OK);
    }
    lumen_model_free(slow_model);
    lumen_engine_free(own);
    lumen_model_free(model);
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
    CHECK(LUMEN_STATUS_INVALID_STATE == 16 && LUMEN_STATUS_OUT_OF_MEMORY == 17 &&
          LUMEN_STATUS_NON_FINITE_RESULT == 18);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_NON_FINITE_RESULT), "LUMEN_STATUS_NON_FINITE_RESULT") == 0);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_INVALID_STATE), "LUMEN_STATUS_INVALID_STATE") == 0);
    CHECK(strcmp(lumen_status_name(LUMEN_STATUS_OUT_OF_MEMORY), "LUMEN_STATUS_OUT_OF_MEMORY") == 0);
    CHECK(strcmp(lumen_status_name(23), "LUMEN_STATUS_UNKNOWN") == 0);
}

/* An engine on the CPU with `budget` bytes of memory budget. */
static lumen_engine *budget_engine(size_t budget) {
    lumen_engine_options options = lumen_engine_options_default();
    options.backend = LUMEN_BACKEND_CPU;
    options.threads = 2;
    options.memory_budget_bytes = budget;
    lumen_engine *engine = NULL;
    CHECK_OK(lumen_engine_new(&options, &engine));
    return engine;
}

/* Whether the process's address space is capped at 4 GiB or less (prlimit --as). */
static int address_space_capped(void) {
    struct rlimit limit;
    return getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
           limit.rlim_cur <= ((rlim_t)1 << 30);
}

#define WIDE 4000

static void test_memory_ceiling(void) {
    static float weights[WIDE];
    static float background[WIDE];
    static float wide_x[WIDE];
    for (size_t i = 0; i < WIDE; i++) {
        weights[i] = (float)(i % 7) - 3.0f;
        wide_x[i] = (float)(i % 5) * 0.25f;
    }
    const float bias[1] = {0.0f};
    linear_model wide = {WIDE, 1, weights, bias};
    lumen_model_desc desc = linear_desc(&wide);
    lumen_model *model = new_model(&desc);
    lumen_explanation *ex = UNTOUCHED_EXPLANATION;
    lumen_kernel_shap_options shap = lumen_kernel_shap_options_default();
    shap.game.background = background;
    shap.game.background_len = WIDE;

    SECTION("KernelSHAP, 4000 players, 60000 coalitions, 16 MiB budget: BUDGET_TOO_SMALL with the minimum");
    lumen_engine *small = budget_engine((size_t)16 << 20);
    shap.budget = 60000;
    if (small != NULL && model != NULL) {
        CHECK_FAILS(lumen_engine_explain_kernel_shap(small, model, wide_x, WIDE, 1, &shap, &ex),
                    LUMEN_STATUS_BUDGET_TOO_SMALL, "memory_budget_bytes: 16777216 cannot hold");
        CHECK_MESSAGE("the least-squares design or the jackknife's normal equations");
        CHECK_MESSAGE("expected at least");
    }

    SECTION("Integrated Gradients with 500 000 steps runs within a 16 MiB budget");
    grad_poly_model g = {N, 1, ig_weights, 0.0, 0.0, 0, 0};
    lumen_model_desc gdesc = grad_poly_desc(&g);
    lumen_model *gradient_model = new_model(&gdesc);
    const float x[N] = {1.0f, 2.0f, 3.0f};
    lumen_integrated_gradients_options ig = lumen_integrated_gradients_options_default();
    ig.method = LUMEN_IG_RIEMANN_TRAPEZOID;
    ig.n_steps = 500000;
    lumen_explanation *ig_ex = NULL;
    if (small != NULL && gradient_model != NULL) {
        CHECK_OK(lumen_engine_explain_integrated_gradients(small, gradient_model, x, N, 1, &ig, &ig_ex));
    }
    lumen_explanation_free(ig_ex);
    lumen_model_free(gradient_model);

    SECTION("PermuteAttack with a population of 1e6 under a 16 MiB budget: BUDGET_TOO_SMALL");
    refuse_permute_attack(small, 1000000, 0, LUMEN_STATUS_BUDGET_TOO_SMALL, "the populations searched at once");
    lumen_engine_free(small);

    SECTION("an unbounded budget and a 740 MB design under a 1 GiB address space: OUT_OF_MEMORY");
    if (!address_space_capped()) {
        printf("  (skipped here: run.sh runs this program again under prlimit --as)\n");
    } else {
        /* 22 players enumerated exactly: 2^22 - 2 coalitions, a 4.2M x 22 doubles design. */
        linear_model narrow22 = {22, 1, weights, bias};
        lumen_model_desc desc22 = linear_desc(&narrow22);
        lumen_model *model22 = new_model(&desc22);
        lumen_engine *unbounded = budget_engine(SIZE_MAX);
        lumen_kernel_shap_options exact = lumen_kernel_shap_options_default();
        exact.game.background = background;
        exact.game.background_len = 22;
        exact.budget = ((size_t)1 << 22) - 2;
        if (unbounded != NULL && model22 != NULL) {
            CHECK_FAILS(lumen_engine_explain_kernel_shap(unbounded, model22, wide_x, 22, 1, &exact, &ex),
                        LUMEN_STATUS_OUT_OF_MEMORY, "the least-squares design: could not allocate");
            /* The engine and the model stay usable. */
            exact.budget = 0;
            lumen_explanation *again = NULL;
            CHECK_OK(lumen_engine_explain_kernel_shap(unbounded, model22, wide_x, 22, 1, &exact, &again));
            lumen_explanation_free(again);
        }
        lumen_engine_free(unbounded);
        lumen_model_free(model22);
    }
    CHECK(ex == UNTOUCHED_EXPLANATION);
    lumen_model_free(model);
}

int main(void) {
    test_reentry(0, 2, "a callback that explains with its own (locked) model gets INVALID_STATE, no deadlock",
                 "lumen_engine_explain_feature_ablation");
    test_reentry(0, 1, "the same on a one-thread engine, which calls the model on the calling thread",
                 "lumen_engine_explain_feature_ablation");
    test_reentry(1, 2, "a callback that frees the engine running it frees nothing", "nothing was freed");
    test_reentry(1, 1, "the same on a one-thread engine", "nothing was freed");
    test_reentry(2, 2, "a callback that frees its own model frees nothing", "lumen_model_free");
    test_callback_threads(1, "an engine of one thread calls the model on the calling thread");
    test_callback_threads(2, "an engine of two threads calls the model on its workers");
    test_thread_cap();
    lumen_engine *engine = new_engine(2, 3);
    if (engine != NULL) {
        test_size_limits(engine);
        test_non_finite_results(engine);
        test_handles(engine);
    }
    lumen_engine_free(engine);
    test_memory_ceiling();
    test_status_names();
    return harness_report("test_hosting");
}
