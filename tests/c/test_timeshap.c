/*
 * test_timeshap.c: lumen_sequence_model and the lumen_timeshap_* / lumen_engine_*timeshap*
 * exports on sequence models written in C: pruning of a model that reads only its last k
 * events, event level against Shapley values computed here from the definition, local
 * accuracy at every level, the state-carrying path against full re-evaluation, the global
 * report, determinism across thread counts, the documented errors, and the timeshap
 * package's conventions: a fixed pruning index (pruning_idx), the (t, value) curve with
 * its end points, and the package's player names.
 */

#include <stddef.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

#define F 3
#define H 4
#define TOL 1e-5
#define UNTOUCHED_SIZE ((size_t)777)

static char sentinel_storage;
#define SENTINEL_EX ((lumen_explanation *)(void *)&sentinel_storage)

/* An Elman RNN h_t = tanh(W x_t + U h_{t-1} + b), f = sigmoid(v . h_L + 0.1), in double.
 * Pure: safe to call concurrently. `fail` makes predict return 7; `nan` writes NaN. */
typedef struct rnn_model {
    double w[H][F], u[H][H], b[H], v[H];
    int fail, nan, finalized;
} rnn_model;

static void rnn_init(rnn_model *m) {
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < H; i++) {
        for (size_t j = 0; j < F; j++) {
            m->w[i][j] = 0.5 * (double)wobble(i * F + j, 3);
        }
        for (size_t k = 0; k < H; k++) {
            m->u[i][k] = 0.15 * (double)wobble(i * H + k, 4);
        }
        m->b[i] = 0.2 * (double)wobble(i, 5);
        m->v[i] = (double)wobble(i, 6);
    }
}

static void rnn_run(const rnn_model *m, float *h, const float *events, size_t seq_len) {
    for (size_t t = 0; t < seq_len; t++) {
        const float *x = events + t * F;
        double next[H];
        for (size_t i = 0; i < H; i++) {
            double s = m->b[i];
            for (size_t j = 0; j < F; j++) {
                s += m->w[i][j] * (double)x[j];
            }
            for (size_t k = 0; k < H; k++) {
                s += m->u[i][k] * (double)h[k];
            }
            next[i] = tanh(s);
        }
        for (size_t i = 0; i < H; i++) {
            h[i] = (float)next[i];
        }
    }
}

static float rnn_head(const rnn_model *m, const float *h) {
    double z = 0.1;
    for (size_t i = 0; i < H; i++) {
        z += m->v[i] * (double)h[i];
    }
    return (float)(1.0 / (1.0 + exp(-z)));
}

static int32_t rnn_predict(void *user_data, const float *inputs, size_t rows, size_t seq_len, float *outputs) {
    const rnn_model *m = (const rnn_model *)user_data;
    if (m->fail) {
        return 7;
    }
    for (size_t r = 0; r < rows; r++) {
        float h[H] = {0};
        rnn_run(m, h, inputs + r * seq_len * F, seq_len);
        outputs[r] = m->nan ? NAN : rnn_head(m, h);
    }
    return 0;
}

static int32_t rnn_run_prefix(void *user_data, const float *initial, const float *inputs, size_t rows, size_t seq_len,
                              float *states) {
    const rnn_model *m = (const rnn_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        float *h = states + r * H;
        for (size_t i = 0; i < H; i++) {
            h[i] = initial != NULL ? initial[r * H + i] : 0.0f;
        }
        rnn_run(m, h, inputs + r * seq_len * F, seq_len);
    }
    return 0;
}

static int32_t rnn_predict_from_state(void *user_data, const float *states, const float *inputs, size_t rows,
                                      size_t seq_len, float *outputs) {
    const rnn_model *m = (const rnn_model *)user_data;
    for (size_t r = 0; r < rows; r++) {
        float h[H];
        memcpy(h, states + r * H, sizeof h);
        rnn_run(m, h, inputs + r * seq_len * F, seq_len);
        outputs[r] = rnn_head(m, h);
    }
    return 0;
}

static void rnn_finalize(void *user_data) {
    ((rnn_model *)user_data)->finalized++;
}

/* Reads only the last K_LAST events: tanh of a weighted sum of them. Pure. */
#define K_LAST 3
static int32_t last_k_predict(void *user_data, const float *inputs, size_t rows, size_t seq_len, float *outputs) {
    (void)user_data;
    for (size_t r = 0; r < rows; r++) {
        const float *x = inputs + r * seq_len * F;
        double s = 0.0;
        for (size_t t = seq_len - K_LAST; t < seq_len; t++) {
            for (size_t j = 0; j < F; j++) {
                s += (0.3 + 0.1 * (double)j) * (double)x[t * F + j];
            }
        }
        outputs[r] = (float)(tanh(s) + (double)x[(seq_len - 1) * F] * (double)x[(seq_len - 2) * F + 1]);
    }
    return 0;
}

static lumen_sequence_model_desc rnn_desc(rnn_model *m, int with_state) {
    lumen_sequence_model_desc desc;
    memset(&desc, 0, sizeof desc);
    desc.abi_version = LUMEN_SEQUENCE_MODEL_ABI_VERSION;
    desc.flags = LUMEN_MODEL_CONCURRENT;
    desc.features = F;
    desc.output_len = 1;
    desc.max_batch_rows = 13;
    desc.predict = rnn_predict;
    if (with_state) {
        desc.state_len = H;
        desc.run_prefix = rnn_run_prefix;
        desc.predict_from_state = rnn_predict_from_state;
    }
    desc.user_data = m;
    return desc;
}

static lumen_sequence_model *new_sequence_model(const lumen_sequence_model_desc *desc) {
    lumen_sequence_model *model = NULL;
    CHECK_OK(lumen_sequence_model_new(desc, &model));
    return model;
}

static const float BACKGROUND[F] = {0.1f, -0.2f, 0.05f};

static void make_sequence(float *x, size_t seq_len, size_t salt) {
    fill(x, seq_len * F, salt);
    for (size_t i = 0; i < seq_len * F; i++) {
        x[i] *= 0.6f;
    }
}

/* Event-level Shapley values from the definition, no pruning: event t is player L-1-t. */
static void brute_force_events(const rnn_model *m, const float *x, size_t seq_len, double *phi) {
    size_t players = seq_len, count = (size_t)1 << players;
    double *v = (double *)malloc(count * sizeof *v);
    float *row = (float *)malloc(seq_len * F * sizeof *row);
    if (v == NULL || row == NULL) {
        free(v);
        free(row);
        CHECK(0);
        return;
    }
    for (size_t s = 0; s < count; s++) {
        for (size_t t = 0; t < seq_len; t++) {
            int on = (int)((s >> (seq_len - 1 - t)) & 1u);
            for (size_t j = 0; j < F; j++) {
                row[t * F + j] = on ? x[t * F + j] : BACKGROUND[j];
            }
        }
        float out;
        rnn_predict((void *)m, row, 1, seq_len, &out);
        v[s] = (double)out;
    }
    double fact[32] = {1.0};
    for (size_t i = 1; i < 32; i++) {
        fact[i] = fact[i - 1] * (double)i;
    }
    for (size_t i = 0; i < players; i++) {
        double acc = 0.0;
        for (size_t s = 0; s < count; s++) {
            if ((s >> i) & 1u) {
                continue;
            }
            size_t size = 0;
            for (size_t k = 0; k < players; k++) {
                size += (s >> k) & 1u;
            }
            acc += fact[size] * fact[players - size - 1] / fact[players] * (v[s | ((size_t)1 << i)] - v[s]);
        }
        phi[i] = acc;
    }
    free(v);
    free(row);
}

/* A new sequence model over `m`, initialised here, with state callbacks when `state`. */
static lumen_sequence_model *new_rnn_model(rnn_model *m, int state) {
    rnn_init(m);
    lumen_sequence_model_desc desc = rnn_desc(m, state);
    return new_sequence_model(&desc);
}

static lumen_timeshap_options options_with_background(void) {
    lumen_timeshap_options o = lumen_timeshap_options_default();
    o.background = BACKGROUND;
    o.background_len = F;
    return o;
}

/* Σ values == prediction − base within TOL, and the gap reported says so too. */
static void check_accuracy(const lumen_explanation *ex) {
    lumen_attribution_shape shape;
    if (!CHECK_OK(lumen_explanation_shape(ex, &shape)) || !CHECK(shape.rows == 1 && shape.outputs == 1)) {
        return;
    }
    CHECK(shape.feature_axis == LUMEN_FEATURE_AXIS_GROUPS);
    float values[256], pred, base;
    double gap;
    if (!CHECK(shape.features <= 256) || !CHECK_OK(lumen_explanation_attributions(ex, values, shape.features)) ||
        !CHECK_OK(lumen_explanation_predictions(ex, &pred, 1)) || !CHECK_OK(lumen_explanation_base_values(ex, &base, 1)) ||
        !CHECK_OK(lumen_explanation_completeness_gaps(ex, &gap, 1))) {
        return;
    }
    double sum = 0.0;
    for (size_t i = 0; i < shape.features; i++) {
        sum += (double)values[i];
    }
    CHECK_NEAR(sum, (double)pred - (double)base, TOL);
    CHECK_NEAR(gap, 0.0, TOL);
}

static void test_pruning(lumen_engine *engine) {
    SECTION("pruning keeps exactly the events the model reads");
    lumen_sequence_model_desc desc = rnn_desc(NULL, 0);
    desc.predict = last_k_predict;
    lumen_sequence_model *model = new_sequence_model(&desc);
    float x[20 * F];
    make_sequence(x, 20, 1);
    lumen_timeshap_options o = options_with_background();
    o.prune = 1;
    o.tolerance = 0.0;
    size_t pruned = 0, written = 0;
    lumen_pruning_point curve[19];
    if (CHECK_OK(lumen_engine_timeshap_prune(engine, model, x, 20 * F, 20, &o, 0, &pruned, curve, 19, &written))) {
        CHECK(pruned == K_LAST);
        CHECK(written == K_LAST);
        CHECK(curve[0].split == 19 && curve[0].newer_len == 1);
        CHECK(curve[written - 1].older_value == 0.0 && curve[written - 1].newer_len == K_LAST);
        CHECK(fabs(curve[0].older_value) > 0.0);
    }
    /* The full curve: every split, and the same pruned length. */
    if (CHECK_OK(lumen_engine_timeshap_prune(engine, model, x, 20 * F, 20, &o, 1, &pruned, curve, 19, &written))) {
        CHECK(pruned == K_LAST && written == 19);
        CHECK(curve[18].split == 1);
    }
    /* Too small a buffer for the full curve: refused before any work, nothing written. */
    size_t untouched = UNTOUCHED_SIZE;
    CHECK_FAILS(lumen_engine_timeshap_prune(engine, model, x, 20 * F, 20, &o, 1, &untouched, curve, 5, &written),
                LUMEN_STATUS_BUFFER_TOO_SMALL, "curve_len: is 5, the full curve of 20 events has 19 points");
    CHECK(untouched == UNTOUCHED_SIZE);
    /* Skipping the curve is allowed. */
    CHECK_OK(lumen_engine_timeshap_prune(engine, model, x, 20 * F, 20, &o, 0, &pruned, NULL, 0, &written));
    CHECK(pruned == K_LAST);
    lumen_sequence_model_free(model);
}

static void test_event_level_exact(lumen_engine *engine) {
    SECTION("event level equals brute-force Shapley values");
    rnn_model m;
    rnn_init(&m);
    lumen_sequence_model_desc desc = rnn_desc(&m, 0);
    desc.finalize = rnn_finalize;
    lumen_sequence_model *model = new_sequence_model(&desc);
    enum { L = 7 };
    float x[L * F];
    make_sequence(x, L, 2);
    lumen_timeshap_options o = options_with_background();
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_timeshap(engine, model, x, L * F, L, LUMEN_TIMESHAP_EVENT, &o, &ex))) {
        double want[L];
        float got[L];
        brute_force_events(&m, x, L, want);
        CHECK_OK(lumen_explanation_attributions(ex, got, L));
        check_values(got, want, L, TOL, "event values");
        check_accuracy(ex);
        const char *name = NULL;
        CHECK_OK(lumen_explanation_feature_name(ex, 0, &name));
        CHECK(name != NULL && strcmp(name, "Event -1") == 0);
        lumen_timeshap_summary summary;
        if (CHECK_OK(lumen_explanation_timeshap_summary(ex, &summary))) {
            CHECK(summary.level == LUMEN_TIMESHAP_EVENT && summary.exact != 0);
            CHECK(summary.sequence_len == L && summary.pruned_len == L && summary.players == L);
        }
        lumen_timeshap_player players[L];
        CHECK_FAILS(lumen_explanation_timeshap_players(ex, players, L - 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
        if (CHECK_OK(lumen_explanation_timeshap_players(ex, players, L))) {
            for (size_t i = 0; i < L; i++) {
                /* Most recent event first. */
                CHECK(players[i].kind == LUMEN_TIMESHAP_PLAYER_EVENT);
                CHECK(players[i].event == (int64_t)(L - 1 - i) && players[i].feature == -1);
            }
        }
        CHECK_FAILS(lumen_explanation_timeshap_summary(NULL, &summary), LUMEN_STATUS_NULL_POINTER, "explanation");
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"time_shap\"");
            CHECK_CONTAINS(json, "\"level\":\"event\"");
            CHECK_CONTAINS(json, "\"exact\":true");
            CHECK_CONTAINS(json, "\"pruned_len\":7");
        }
        lumen_string_free(json);
    }
    lumen_explanation_free(ex);
    lumen_sequence_model_free(model);
    CHECK(m.finalized == 1);
}

/* A fixed pruning index gives the values of the tolerance run that lands on the same index. */
static void test_pruning_index(lumen_engine *engine) {
    SECTION("pruning_index equals the tolerance run that lands on it");
    lumen_sequence_model_desc desc = rnn_desc(NULL, 0);
    desc.predict = last_k_predict;
    lumen_sequence_model *model = new_sequence_model(&desc);
    enum { L = 8 };
    float x[L * F];
    make_sequence(x, L, 11);
    lumen_timeshap_options by_tolerance = options_with_background();
    by_tolerance.prune = 1;
    by_tolerance.tolerance = 0.0;
    lumen_timeshap_options by_index = options_with_background();
    CHECK(by_index.pruning_index == 0);
    by_index.pruning_index = -K_LAST;
    for (uint32_t level = LUMEN_TIMESHAP_EVENT; level <= LUMEN_TIMESHAP_CELL; level++) {
        lumen_explanation *a = NULL, *b = NULL;
        if (CHECK_OK(lumen_engine_explain_timeshap(engine, model, x, L * F, L, level, &by_tolerance, &a)) &&
            CHECK_OK(lumen_engine_explain_timeshap(engine, model, x, L * F, L, level, &by_index, &b))) {
            lumen_timeshap_summary sa, sb;
            float va[64], vb[64];
            if (CHECK_OK(lumen_explanation_timeshap_summary(a, &sa)) && CHECK_OK(lumen_explanation_timeshap_summary(b, &sb)) &&
                CHECK(sa.players == sb.players && sa.players <= 64)) {
                CHECK(sa.pruned_len == K_LAST && sb.pruned_len == K_LAST);
                CHECK_OK(lumen_explanation_attributions(a, va, sa.players));
                CHECK_OK(lumen_explanation_attributions(b, vb, sb.players));
                CHECK(memcmp(va, vb, sa.players * sizeof va[0]) == 0);
            }
        }
        lumen_explanation_free(a);
        lumen_explanation_free(b);
    }
    /* The package's names, events counted from the newest. */
    lumen_explanation *ex = NULL;
    if (CHECK_OK(lumen_engine_explain_timeshap(engine, model, x, L * F, L, LUMEN_TIMESHAP_EVENT, &by_index, &ex))) {
        const char *want[] = {"Event -1", "Event -2", "Event -3", "Pruned Events"};
        for (size_t i = 0; i < 4; i++) {
            const char *name = NULL;
            CHECK_OK(lumen_explanation_timeshap_player_name(ex, i, &name));
            CHECK(name != NULL && strcmp(name, want[i]) == 0);
        }
        const char *untouched = "untouched";
        CHECK_FAILS(lumen_explanation_timeshap_player_name(ex, 4, &untouched), LUMEN_STATUS_INVALID_ARGUMENT,
                    "player: is 4, expected < 4");
        CHECK(strcmp(untouched, "untouched") == 0);
        CHECK_FAILS(lumen_explanation_timeshap_player_name(ex, 0, NULL), LUMEN_STATUS_NULL_POINTER, "out");
        char *json = NULL;
        if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
            CHECK_CONTAINS(json, "\"fixed_index\":-3");
        }
        lumen_string_free(json);
    }
    lumen_explanation_free(ex);
    lumen_explanation *cell = NULL;
    if (CHECK_OK(lumen_engine_explain_timeshap(engine, model, x, L * F, L, LUMEN_TIMESHAP_CELL, &by_index, &cell))) {
        lumen_timeshap_summary summary;
        const char *name = NULL;
        if (CHECK_OK(lumen_explanation_timeshap_summary(cell, &summary)) &&
            CHECK_OK(lumen_explanation_timeshap_player_name(cell, summary.players - 1, &name))) {
            CHECK(strcmp(name, "(Pruned Events, Pruned Events)") == 0);
        }
    }
    lumen_explanation_free(cell);
    /* Without a fixed index the prune export walks; with one it evaluates no split. */
    size_t pruned = 0, written = 0;
    lumen_pruning_point points[L - 1];
    if (CHECK_OK(lumen_engine_timeshap_prune(engine, model, x, L * F, L, &by_index, 0, &pruned, points, L - 1, &written))) {
        CHECK(pruned == K_LAST && written == 0);
    }
    /* An old caller's struct (0.2.0 ended after `control`) never sets an index: no pruning. */
    lumen_timeshap_options old = by_index;
    old.struct_size = offsetof(lumen_timeshap_options, pruning_index);
    if (CHECK_OK(lumen_engine_timeshap_prune(engine, model, x, L * F, L, &old, 0, &pruned, NULL, 0, &written))) {
        CHECK(pruned == L);
    }
    /* Errors: an index with a tolerance, a non-negative index, one past the sequence. */
    lumen_explanation *none = SENTINEL_EX;
    lumen_timeshap_options both = by_index;
    both.prune = 1;
    both.tolerance = 0.1;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, L * F, L, 0, &both, &none), LUMEN_STATUS_INVALID_ARGUMENT,
                "options.pruning_index: is -3 and options.prune is set");
    lumen_timeshap_options positive = options_with_background();
    positive.pruning_index = 2;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, L * F, L, 0, &positive, &none),
                LUMEN_STATUS_INVALID_ARGUMENT, "expected a negative index");
    lumen_timeshap_options too_far = options_with_background();
    too_far.pruning_index = -(L + 1);
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, L * F, L, 0, &too_far, &none),
                LUMEN_STATUS_INVALID_ARGUMENT, "-8 <= index <= -1");
    CHECK(none == SENTINEL_EX);
    lumen_sequence_model_free(model);
}

/* The curve in the package's (t, value) form: t = 0 .. -L, both end points included. */
static void test_timeshap_curve(lumen_engine *engine) {
    SECTION("the pruning curve in timeshap's (t, value) form");
    rnn_model m;
    lumen_sequence_model *model = new_rnn_model(&m, 1);
    enum { L = 9 };
    float x[L * F];
    make_sequence(x, L, 12);
    lumen_timeshap_options o = options_with_background();
    o.prune = 1;
    o.tolerance = 0.01;
    lumen_timeshap_curve_point curve[L + 1];
    lumen_pruning_point lumen_curve[L - 1];
    int64_t index = 0;
    size_t written = 0, pruned = 0, lumen_written = 0;
    if (CHECK_OK(lumen_engine_timeshap_pruning_curve(engine, model, x, L * F, L, &o, &index, curve, L + 1, &written)) &&
        CHECK_OK(lumen_engine_timeshap_prune(engine, model, x, L * F, L, &o, 1, &pruned, lumen_curve, L - 1,
                                             &lumen_written)) &&
        CHECK(written == L + 1 && lumen_written == L - 1)) {
        CHECK(index == -(int64_t)pruned);
        double total = curve[0].older_value;
        CHECK(curve[0].t == 0 && curve[0].newer_value == 0.0);
        CHECK(curve[L].t == -L && curve[L].older_value == 0.0 && curve[L].newer_value == total);
        for (size_t k = 1; k < L; k++) {
            CHECK(curve[k].t == -(int64_t)k);
            CHECK(curve[k].t == (int64_t)lumen_curve[k - 1].split - L);
            CHECK(curve[k].older_value == lumen_curve[k - 1].older_value);
            CHECK(curve[k].newer_value == lumen_curve[k - 1].newer_value);
            CHECK_NEAR(curve[k].older_value + curve[k].newer_value, total, 1e-12);
        }
    }
    /* The curve beside a fixed index reports that index. */
    lumen_timeshap_options fixed = options_with_background();
    fixed.pruning_index = -4;
    if (CHECK_OK(lumen_engine_timeshap_pruning_curve(engine, model, x, L * F, L, &fixed, &index, curve, L + 1, &written))) {
        CHECK(index == -4 && written == L + 1);
    }
    /* Without pruning the package's index is -L. */
    lumen_timeshap_options plain = options_with_background();
    if (CHECK_OK(lumen_engine_timeshap_pruning_curve(engine, model, x, L * F, L, &plain, &index, curve, L + 1, &written))) {
        CHECK(index == -L);
    }
    int64_t untouched = 5;
    size_t untouched_written = UNTOUCHED_SIZE;
    CHECK_FAILS(lumen_engine_timeshap_pruning_curve(engine, model, x, L * F, L, &o, &untouched, curve, L,
                                                    &untouched_written),
                LUMEN_STATUS_BUFFER_TOO_SMALL, "curve_len: is 9, the curve of 9 events has 10 points");
    CHECK(untouched == 5 && untouched_written == UNTOUCHED_SIZE);
    CHECK_FAILS(lumen_engine_timeshap_pruning_curve(engine, model, x, L * F, L, &o, NULL, curve, L + 1, &written),
                LUMEN_STATUS_NULL_POINTER, "pruning_index");
    CHECK_FAILS(lumen_engine_timeshap_pruning_curve(engine, model, x, L * F, L, &o, &index, NULL, L + 1, &written),
                LUMEN_STATUS_NULL_POINTER, "out");
    lumen_sequence_model_free(model);
}

/* Every level with pruning, with and without the state path: local accuracy and equal values. */
static void test_levels_and_state_path(lumen_engine *engine) {
    SECTION("levels keep local accuracy; the state path equals full re-evaluation");
    rnn_model m;
    rnn_init(&m);
    lumen_sequence_model_desc with_desc = rnn_desc(&m, 1), without_desc = rnn_desc(&m, 0);
    lumen_sequence_model *with_state = new_sequence_model(&with_desc);
    lumen_sequence_model *without = new_sequence_model(&without_desc);
    enum { L = 30 };
    float x[L * F];
    make_sequence(x, L, 3);
    lumen_timeshap_options o = options_with_background();
    o.prune = 1;
    o.tolerance = 0.01;
    o.top_events = 2;
    o.top_features = 2;
    size_t pruned_a = 0, pruned_b = 0, na = 0, nb = 0;
    lumen_pruning_point ca[L - 1], cb[L - 1];
    CHECK_OK(lumen_engine_timeshap_prune(engine, with_state, x, L * F, L, &o, 1, &pruned_a, ca, L - 1, &na));
    CHECK_OK(lumen_engine_timeshap_prune(engine, without, x, L * F, L, &o, 1, &pruned_b, cb, L - 1, &nb));
    CHECK(pruned_a == pruned_b && na == nb && na == L - 1);
    CHECK(pruned_a < L);
    for (size_t i = 0; i < na && i < nb; i++) {
        if (!CHECK_NEAR(ca[i].older_value, cb[i].older_value, 1e-9)) {
            break;
        }
    }
    uint32_t levels[3] = {LUMEN_TIMESHAP_EVENT, LUMEN_TIMESHAP_FEATURE, LUMEN_TIMESHAP_CELL};
    for (size_t k = 0; k < 3; k++) {
        lumen_explanation *a = NULL, *b = NULL;
        if (CHECK_OK(lumen_engine_explain_timeshap(engine, with_state, x, L * F, L, levels[k], &o, &a)) &&
            CHECK_OK(lumen_engine_explain_timeshap(engine, without, x, L * F, L, levels[k], &o, &b))) {
            check_accuracy(a);
            lumen_attribution_shape sa, sb;
            CHECK_OK(lumen_explanation_shape(a, &sa));
            CHECK_OK(lumen_explanation_shape(b, &sb));
            if (CHECK(sa.features == sb.features && sa.features <= 64)) {
                float va[64];
                float vb[64];
                double want[64];
                CHECK_OK(lumen_explanation_attributions(a, va, sa.features));
                CHECK_OK(lumen_explanation_attributions(b, vb, sb.features));
                for (size_t i = 0; i < sb.features; i++) {
                    want[i] = (double)vb[i];
                }
                check_values(va, want, sa.features, 1e-6, "state path vs full re-evaluation");
            }
            const char *last = NULL;
            CHECK_OK(lumen_explanation_feature_name(a, sa.features - 1, &last));
            CHECK(last != NULL && strcmp(last, "Pruned Events") == 0);
            lumen_timeshap_summary summary;
            lumen_timeshap_player players[64];
            if (CHECK_OK(lumen_explanation_timeshap_summary(a, &summary)) &&
                CHECK(summary.players == sa.features && summary.level == levels[k]) &&
                CHECK_OK(lumen_explanation_timeshap_players(a, players, 64))) {
                CHECK(summary.pruned_len == pruned_a && summary.sequence_len == L);
                CHECK(players[sa.features - 1].kind == LUMEN_TIMESHAP_PLAYER_PRUNED_EVENTS);
                for (size_t i = 0; i + 1 < sa.features; i++) {
                    const lumen_timeshap_player p = players[i];
                    /* Every named event is one of the unpruned ones; every feature index is in range. */
                    CHECK(p.event == -1 || (p.event >= (int64_t)(L - pruned_a) && p.event < L));
                    CHECK(p.feature == -1 || (p.feature >= 0 && p.feature < F));
                    CHECK(levels[k] != LUMEN_TIMESHAP_EVENT || p.kind == LUMEN_TIMESHAP_PLAYER_EVENT);
                    CHECK(levels[k] != LUMEN_TIMESHAP_FEATURE || p.kind == LUMEN_TIMESHAP_PLAYER_FEATURE);
                }
            }
        }
        lumen_explanation_free(a);
        lumen_explanation_free(b);
    }
    /* Threshold relevance, and the average event of training events as background. */
    lumen_timeshap_options t = lumen_timeshap_options_default();
    float training[4 * F];
    fill(training, 4 * F, 9);
    t.training_events = training;
    t.training_events_len = 4 * F;
    t.relevance = LUMEN_TIMESHAP_RELEVANCE_THRESHOLD;
    t.event_threshold = 0.01;
    t.feature_threshold = 0.01;
    lumen_explanation *c = NULL;
    if (CHECK_OK(lumen_engine_explain_timeshap(engine, with_state, x, 8 * F, 8, LUMEN_TIMESHAP_CELL, &t, &c))) {
        check_accuracy(c);
    }
    lumen_explanation_free(c);
    lumen_sequence_model_free(with_state);
    lumen_sequence_model_free(without);
}

static void test_global(lumen_engine *engine) {
    SECTION("global report");
    rnn_model m;
    lumen_sequence_model *model = new_rnn_model(&m, 1);
    size_t lengths[3] = {5, 8, 11};
    float data[24 * F];
    make_sequence(data, 24, 4);
    lumen_timeshap_options o = options_with_background();
    o.prune = 1;
    o.tolerance = 0.01;
    o.budget = 100;
    double tolerances[2] = {0.0, 0.05};
    lumen_timeshap_global *global = NULL;
    if (CHECK_OK(lumen_engine_timeshap_global(engine, model, data, 24 * F, lengths, 3, &o, tolerances, 2, 3, &global))) {
        lumen_timeshap_global_sizes shape;
        CHECK_OK(lumen_timeshap_global_shape(global, &shape));
        CHECK(shape.sequences == 3 && shape.features == F && shape.tolerances == 2 && shape.distances >= 1);
        lumen_pruning_row rows[2];
        if (CHECK_OK(lumen_timeshap_global_pruning_table(global, rows, 2))) {
            CHECK(rows[0].tolerance == 0.0 && rows[0].max_len == 11);
            CHECK(rows[1].mean_len <= rows[0].mean_len);
            CHECK(rows[0].exact_share < 1.0 && rows[0].relative_std > 0.0);
        }
        lumen_summary events[16], features[F], share;
        if (CHECK(shape.distances <= 16) && CHECK_OK(lumen_timeshap_global_event_importance(global, events, 16))) {
            CHECK(events[0].count == 3);
        }
        CHECK_FAILS(lumen_timeshap_global_feature_importance(global, features, F - 1), LUMEN_STATUS_BUFFER_TOO_SMALL,
                    "out_len");
        CHECK_OK(lumen_timeshap_global_feature_importance(global, features, F));
        CHECK(features[0].count == 3);
        CHECK_OK(lumen_timeshap_global_most_recent_share(global, &share));
        CHECK(share.count <= 3);
        char *json = NULL;
        if (CHECK_OK(lumen_timeshap_global_to_json(global, &json))) {
            CHECK_CONTAINS(json, "\"pruning_table\"");
        }
        lumen_string_free(json);
    }
    lumen_timeshap_global_free(global);
    lumen_timeshap_global_free(NULL);
    lumen_sequence_model_free(model);
}

static void test_determinism(void) {
    SECTION("results do not depend on the thread count");
    rnn_model m;
    lumen_sequence_model *model = new_rnn_model(&m, 0);
    enum { L = 18 };
    float x[L * F];
    make_sequence(x, L, 5);
    lumen_timeshap_options o = options_with_background();
    o.budget = 300;
    float values[2][L];
    for (int k = 0; k < 2; k++) {
        lumen_engine *engine = new_engine(k == 0 ? 1 : 4, 99);
        lumen_explanation *ex = NULL;
        memset(values[k], 0, sizeof values[k]);
        if (CHECK_OK(lumen_engine_explain_timeshap(engine, model, x, L * F, L, LUMEN_TIMESHAP_EVENT, &o, &ex))) {
            CHECK_OK(lumen_explanation_attributions(ex, values[k], L));
        }
        lumen_explanation_free(ex);
        lumen_engine_free(engine);
    }
    CHECK(memcmp(values[0], values[1], sizeof values[0]) == 0);
    lumen_sequence_model_free(model);
}

/* The sampled event level's estimator: the default records its name; 0.2's linear fit gives
 * other values, also locally accurate; an unknown code is refused. */
static void test_estimator(lumen_engine *engine) {
    SECTION("options.estimator chooses the sampled levels' KernelSHAP estimator");
    rnn_model m;
    lumen_sequence_model *model = new_rnn_model(&m, 0);
    enum { L = 18 };
    float x[L * F];
    make_sequence(x, L, 5);
    lumen_timeshap_options o = options_with_background();
    CHECK(o.estimator == LUMEN_ESTIMATOR_DEFAULT);
    o.budget = 300;
    const uint32_t codes[2] = {LUMEN_ESTIMATOR_DEFAULT, LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED};
    const char *names[2] = {"\"estimator\":\"leverage_top_triples\"", "\"estimator\":\"leverage_stratified\""};
    float values[2][L];
    for (int k = 0; k < 2; k++) {
        o.estimator = codes[k];
        lumen_explanation *ex = NULL;
        memset(values[k], 0, sizeof values[k]);
        if (CHECK_OK(lumen_engine_explain_timeshap(engine, model, x, L * F, L, LUMEN_TIMESHAP_EVENT, &o, &ex))) {
            CHECK_OK(lumen_explanation_attributions(ex, values[k], L));
            char *json = NULL;
            if (CHECK_OK(lumen_explanation_to_json(ex, &json))) {
                CHECK_CONTAINS(json, names[k]);
                CHECK_CONTAINS(json, "\"exact\":false");
            }
            lumen_string_free(json);
            check_accuracy(ex);
        }
        lumen_explanation_free(ex);
    }
    CHECK(memcmp(values[0], values[1], sizeof values[0]) != 0);
    o.estimator = 9;
    lumen_explanation *ex = SENTINEL_EX;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, L * F, L, LUMEN_TIMESHAP_EVENT, &o, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "options.estimator: is 9");
    CHECK(ex == SENTINEL_EX);
    lumen_sequence_model_free(model);
}

static void test_errors(lumen_engine *engine) {
    SECTION("errors");
    rnn_model m;
    lumen_sequence_model *model = new_rnn_model(&m, 0);
    float x[6 * F];
    make_sequence(x, 6, 6);
    lumen_timeshap_options o = options_with_background();
    lumen_explanation *ex = SENTINEL_EX;
    CHECK_FAILS(lumen_engine_explain_timeshap(NULL, model, x, 6 * F, 6, 0, &o, &ex), LUMEN_STATUS_NULL_POINTER, "engine");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, NULL, x, 6 * F, 6, 0, &o, &ex), LUMEN_STATUS_NULL_POINTER, "model");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, NULL, &ex), LUMEN_STATUS_NULL_POINTER,
                "options");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, NULL, 6 * F, 6, 0, &o, &ex), LUMEN_STATUS_NULL_POINTER,
                "sequence");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &o, NULL), LUMEN_STATUS_NULL_POINTER, "out");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 0, 0, 0, &o, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "seq_len: is 0");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, F, 1, 0, &o, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "at least 2 events");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F - 1, 6, 0, &o, &ex), LUMEN_STATUS_LENGTH_MISMATCH,
                "sequence");
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 3, &o, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "level");
    float bad[6 * F];
    memcpy(bad, x, sizeof bad);
    bad[5] = NAN;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, bad, 6 * F, 6, 0, &o, &ex), LUMEN_STATUS_NON_FINITE_INPUT,
                "sequence");
    lumen_timeshap_options neg = o;
    neg.prune = 1;
    neg.tolerance = -0.5;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &neg, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "tolerance");
    neg.tolerance = NAN;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &neg, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "tolerance");
    lumen_timeshap_options shape = o;
    shape.background_len = F + 1;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &shape, &ex), LUMEN_STATUS_LENGTH_MISMATCH,
                "background");
    lumen_timeshap_options none = lumen_timeshap_options_default();
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &none, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "training_events");
    lumen_timeshap_options rel = o;
    rel.relevance = 9;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, LUMEN_TIMESHAP_CELL, &rel, &ex),
                LUMEN_STATUS_INVALID_ARGUMENT, "relevance");
    lumen_timeshap_options target = o;
    target.target = 1;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &target, &ex), LUMEN_STATUS_INVALID_ARGUMENT,
                "target");
    m.fail = 1;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &o, &ex), LUMEN_STATUS_MODEL_FAILED,
                "error code 7");
    m.fail = 0;
    m.nan = 1;
    CHECK_FAILS(lumen_engine_explain_timeshap(engine, model, x, 6 * F, 6, 0, &o, &ex),
                LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT, "predict");
    m.nan = 0;
    CHECK(ex == SENTINEL_EX);
    size_t pruned = UNTOUCHED_SIZE, written = UNTOUCHED_SIZE;
    CHECK_FAILS(lumen_engine_timeshap_prune(engine, model, x, 6 * F, 6, &neg, 0, &pruned, NULL, 0, &written),
                LUMEN_STATUS_INVALID_ARGUMENT, "tolerance");
    CHECK(pruned == UNTOUCHED_SIZE && written == UNTOUCHED_SIZE);
    CHECK_FAILS(lumen_engine_timeshap_prune(engine, model, x, 6 * F, 6, &o, 0, NULL, NULL, 0, &written),
                LUMEN_STATUS_NULL_POINTER, "pruned_len");
    lumen_timeshap_global *global = (lumen_timeshap_global *)(void *)&sentinel_storage;
    size_t lengths[1] = {5};
    double tol = 0.1;
    CHECK_FAILS(lumen_engine_timeshap_global(engine, model, x, 6 * F, lengths, 1, &o, &tol, 1, 10, &global),
                LUMEN_STATUS_LENGTH_MISMATCH, "sequences");
    CHECK_FAILS(lumen_engine_timeshap_global(engine, model, x, 6 * F, NULL, 1, &o, &tol, 1, 10, &global),
                LUMEN_STATUS_NULL_POINTER, "lengths");
    CHECK(global == (lumen_timeshap_global *)(void *)&sentinel_storage);
    CHECK_FAILS(lumen_timeshap_global_shape(NULL, NULL), LUMEN_STATUS_NULL_POINTER, "out");
    lumen_sequence_model_free(model);

    SECTION("descriptor errors");
    lumen_sequence_model *out = NULL;
    lumen_sequence_model_desc d = rnn_desc(&m, 1);
    d.abi_version = 99;
    CHECK_FAILS(lumen_sequence_model_new(&d, &out), LUMEN_STATUS_ABI_VERSION_MISMATCH, "abi_version");
    d = rnn_desc(&m, 1);
    d.state_len = 0;
    CHECK_FAILS(lumen_sequence_model_new(&d, &out), LUMEN_STATUS_INVALID_ARGUMENT, "state_len");
    d = rnn_desc(&m, 1);
    d.predict_from_state = NULL;
    CHECK_FAILS(lumen_sequence_model_new(&d, &out), LUMEN_STATUS_INVALID_ARGUMENT, "predict_from_state");
    d = rnn_desc(&m, 0);
    d.predict = NULL;
    CHECK_FAILS(lumen_sequence_model_new(&d, &out), LUMEN_STATUS_NULL_POINTER, "predict");
    d = rnn_desc(&m, 0);
    d.features = 0;
    CHECK_FAILS(lumen_sequence_model_new(&d, &out), LUMEN_STATUS_INVALID_ARGUMENT, "features");
    d = rnn_desc(&m, 0);
    d.flags = 8;
    CHECK_FAILS(lumen_sequence_model_new(&d, &out), LUMEN_STATUS_INVALID_ARGUMENT, "flags");
    d = rnn_desc(&m, 0);
    d.feature_names_len = 2;
    CHECK_FAILS(lumen_sequence_model_new(&d, &out), LUMEN_STATUS_NULL_POINTER, "feature_names");
    CHECK_FAILS(lumen_sequence_model_new(NULL, &out), LUMEN_STATUS_NULL_POINTER, "desc");
    CHECK(out == NULL);
    lumen_sequence_model_free(NULL);
}

int main(void) {
    lumen_engine *engine = new_engine(4, 0);
    if (engine != NULL) {
        test_pruning(engine);
        test_event_level_exact(engine);
        test_levels_and_state_path(engine);
        test_global(engine);
        test_pruning_index(engine);
        test_timeshap_curve(engine);
        test_errors(engine);
        test_estimator(engine);
    }
    lumen_engine_free(engine);
    test_determinism();
    return harness_report("test_timeshap");
}
