/*
 * test_counterfactual.c: lumen_engine_explain_counterfactuals (PermuteAttack) and
 * lumen_scorecard_score on classifiers written in C whose decision boundaries are known
 * (counterfactual_models.h): the minimal counterfactual across a threshold, one-hot
 * groups, immutable features, the allow-list, ranges and limits, values drawn from the
 * training columns, every getter, determinism across thread counts, scorecard points
 * against hand-computed values, every documented error, and categoricals given as integer
 * codes (LUMEN_FEATURE_CODED) searched exactly as their one-hot groups.
 */

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counterfactual_models.h"
#include "harness.h"
#include "lumen.h"
#include "models.h"

/* Searches small enough to stay fast under valgrind. */
#define SMALL_GENERATIONS 20
#define SMALL_RUNS 3
/* Value stored in buffers that a failing call must leave untouched. */
#define UNTOUCHED (-12345.0f)

/* Opaque, never-dereferenced pointer value that a failing call must leave in `out`. */
static char sentinel_storage;
#define SENTINEL ((lumen_counterfactuals *)(void *)&sentinel_storage)

/* The instance every single-row test starts from: x = (2, 4, 7), colour 1; class 0 for
 * every model below. */
static const float instance_x[CF_N] = {2, 4, 7, 0, 1, 0};

static float training[CF_TRAINING_ROWS * CF_N];
static lumen_tabular_feature features[CF_FEATURES];

/* Default options over the test schema and training rows, with a small search. */
static lumen_permute_attack_options small_options(uint32_t sampling) {
    lumen_permute_attack_options o = lumen_permute_attack_options_default();
    o.features = features;
    o.features_len = CF_FEATURES;
    o.training = training;
    o.training_len = CF_TRAINING_ROWS * CF_N;
    o.generations = SMALL_GENERATIONS;
    o.runs = SMALL_RUNS;
    o.sampling = sampling;
    return o;
}

static lumen_counterfactuals *search(lumen_engine *engine, lumen_model *model, const float *x, size_t rows,
                                     const lumen_permute_attack_options *options) {
    lumen_counterfactuals *cf = NULL;
    if (!CHECK_OK(lumen_engine_explain_counterfactuals(engine, model, x, rows * CF_N, rows, options, &cf))) {
        return NULL;
    }
    return cf;
}

/* Which logical features a search may change: a bit set. */
#define ALL_FEATURES ((1u << CF_FEATURES) - 1)

/*
 * Checks every counterfactual of every instance of `cf` (searched for the `rows` rows
 * `x` on threshold model `m`): the row and the changed list agree with each other and
 * with the instance, the colour group is one-hot, every numeric value comes from its
 * training column (or is the instance's), only features in `movable` change, the
 * distance is the Euclidean distance, the predicted class and target probability are
 * the model's, and success means the target class. Returns how many counterfactuals it
 * looked at.
 */
static size_t check_every_counterfactual(const lumen_counterfactuals *cf, const threshold_model *m, const float *x,
                                         size_t rows, unsigned movable) {
    size_t count = 0, seen = 0;
    if (!CHECK_OK(lumen_counterfactuals_count(cf, &count)) || !CHECK(count == rows)) {
        return 0;
    }
    size_t bad_one_hot = 0, bad_training = 0, bad_changed = 0, bad_movable = 0, bad_model = 0, bad_distance = 0;
    for (size_t i = 0; i < rows; i++) {
        const float *xi = x + i * CF_N;
        lumen_instance_counterfactuals inst;
        if (!CHECK_OK(lumen_counterfactuals_instance(cf, i, &inst))) {
            continue;
        }
        CHECK(inst.original_class == (uint32_t)threshold_class(m, xi));
        CHECK(inst.count >= 1 && inst.model_rows_evaluated > 0);
        for (size_t j = 0; j < inst.count; j++) {
            lumen_counterfactual c;
            float row[CF_N];
            uint32_t changed[CF_FEATURES];
            if (!CHECK_OK(lumen_counterfactuals_get(cf, i, j, &c)) ||
                !CHECK_OK(lumen_counterfactuals_row(cf, i, j, row, CF_N)) || !CHECK(c.changed_len <= CF_FEATURES) ||
                !CHECK_OK(lumen_counterfactuals_changed(cf, i, j, changed, CF_FEATURES))) {
                continue;
            }
            seen++;
            bad_one_hot += !cf_one_hot(row);
            for (size_t col = 0; col < CF_COLOUR; col++) {
                bad_training += row[col] != xi[col] && !cf_in_training(training, col, row[col]);
            }
            unsigned listed = 0;
            for (size_t k = 0; k < c.changed_len; k++) {
                bad_changed += changed[k] >= CF_FEATURES || (k > 0 && changed[k] <= changed[k - 1]);
                listed |= 1u << (changed[k] % 32);
            }
            unsigned differs = cf_changed_set(row, xi);
            bad_changed += listed != differs;
            bad_movable += (differs & ~movable) != 0;
            int cls = threshold_class(m, row);
            float p_target = inst.target_class == 1 ? (cls ? 0.9f : 0.1f) : (cls ? 0.1f : 0.9f);
            bad_model += c.predicted_class != (uint32_t)cls || fabsf(c.target_probability - p_target) > 1e-6f;
            bad_model += c.success && (c.predicted_class != inst.target_class || c.changed_len == 0);
            double d2 = 0.0;
            for (size_t col = 0; col < CF_N; col++) {
                d2 += ((double)row[col] - xi[col]) * ((double)row[col] - xi[col]);
            }
            bad_distance += fabs(sqrt(d2) - c.distance) > 1e-5;
        }
    }
    CHECK(bad_one_hot == 0);
    CHECK(bad_training == 0);
    CHECK(bad_changed == 0);
    CHECK(bad_movable == 0);
    CHECK(bad_model == 0);
    CHECK(bad_distance == 0);
    if (bad_one_hot + bad_training + bad_changed + bad_movable + bad_model + bad_distance > 0) {
        fprintf(stderr,
                "     of %zu counterfactuals: %zu not one-hot, %zu values not from training, %zu changed lists "
                "wrong, %zu immovable changes, %zu model disagreements, %zu distances wrong\n",
                seen, bad_one_hot, bad_training, bad_changed, bad_movable, bad_model, bad_distance);
    }
    return seen;
}

/* Checks that the best counterfactual of instance 0 succeeds by changing exactly
 * feature `feature` and that its row is `want` (CF_N values). */
static void check_best(const lumen_counterfactuals *cf, uint32_t feature, const float *want) {
    lumen_counterfactual best;
    float row[CF_N];
    uint32_t changed[CF_FEATURES];
    if (!CHECK_OK(lumen_counterfactuals_get(cf, 0, 0, &best)) || !CHECK_OK(lumen_counterfactuals_row(cf, 0, 0, row, CF_N)) ||
        !CHECK_OK(lumen_counterfactuals_changed(cf, 0, 0, changed, CF_FEATURES))) {
        return;
    }
    CHECK(best.success == 1);
    CHECK(best.predicted_class == 1);
    CHECK_NEAR(best.target_probability, 0.9, 1e-6);
    if (CHECK(best.changed_len == 1)) {
        CHECK(changed[0] == feature);
    }
    size_t differ = 0;
    for (size_t col = 0; col < CF_N; col++) {
        differ += row[col] != want[col];
    }
    if (!CHECK(differ == 0)) {
        fprintf(stderr, "     best row: %g %g %g | %g %g %g\n", (double)row[0], (double)row[1], (double)row[2],
                (double)row[3], (double)row[4], (double)row[5]);
    }
}

/* ---------------------------------------------------------------------------------- */

static void test_defaults(void) {
    SECTION("options: the documented defaults");
    lumen_permute_attack_options o = lumen_permute_attack_options_default();
    CHECK(o.features == NULL && o.features_len == 0 && o.training == NULL && o.training_len == 0);
    CHECK(o.target_class == LUMEN_TARGET_OPPOSITE && o.target_class == -1);
    CHECK(o.immutable_len == 0 && o.allow_list_len == 0 && o.ranges_len == 0);
    CHECK(o.population == 30 && o.parents == 10 && o.generations == 100 && o.runs == 10);
    CHECK(o.rho0 == 0.05 && o.rho1 == 0.01 && o.temperature == 0.5 && o.decay == 0.96);
    CHECK(o.max_changed == 0 && o.max_distance == 0.0 && o.counterfactuals == 3);
    CHECK(o.sampling == LUMEN_SAMPLING_GIBBS && o.gibbs_bins == 5 && o.gibbs_iterations == 5);
}

static void test_minimal_counterfactual(lumen_engine *engine) {
    SECTION("threshold x0 > 5.5: only x0 changes, to 6, the nearest training value across");
    threshold_model m = threshold_one(0, 5.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const float want[CF_N] = {6, 4, 7, 0, 1, 0};
    for (uint32_t sampling = LUMEN_SAMPLING_COLUMN; sampling <= LUMEN_SAMPLING_GIBBS; sampling++) {
        printf("   sampling %u\n", (unsigned)sampling);
        lumen_permute_attack_options o = small_options(sampling);
        lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
        if (cf == NULL) {
            continue;
        }
        lumen_instance_counterfactuals inst;
        if (CHECK_OK(lumen_counterfactuals_instance(cf, 0, &inst))) {
            CHECK(inst.original_class == 0 && inst.target_class == 1);
            CHECK_NEAR(inst.original_probability, 0.1, 1e-6);
            CHECK(inst.count == o.counterfactuals);
            /* One model row for the instance, then each run's distinct candidates: at
               most population × generations × runs, fewer since the elite and repeated
               candidates keep the outputs computed for them. */
            CHECK(inst.model_rows_evaluated > 1 + o.population * o.runs);
            CHECK(inst.model_rows_evaluated < 1 + o.population * o.generations * o.runs);
        }
        check_best(cf, 0, want);
        lumen_counterfactual best;
        if (CHECK_OK(lumen_counterfactuals_get(cf, 0, 0, &best))) {
            CHECK_NEAR(best.distance, 4.0, 1e-6);
        }
        check_every_counterfactual(cf, &m, instance_x, 1, ALL_FEATURES);
        char *json = NULL;
        if (CHECK_OK(lumen_counterfactuals_to_json(cf, &json))) {
            CHECK_CONTAINS(json, "\"method\":\"permute_attack\"");
            CHECK_CONTAINS(json, "\"feature_names\":[\"x0\",\"x1\",\"x2\",\"colour\"]");
            CHECK_CONTAINS(json, sampling == LUMEN_SAMPLING_GIBBS ? "\"gibbs\"" : "\"column\"");
            CHECK_CONTAINS(json, "\"training_rows\":30");
        }
        lumen_string_free(json);
        lumen_counterfactuals_free(cf);
    }

    SECTION("an explicit target class, and a one-output model (P(class 1))");
    lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_COLUMN);
    o.target_class = 1;
    lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        check_best(cf, 0, want);
    }
    lumen_counterfactuals_free(cf);
    lumen_model_free(model);

    threshold_model m1 = threshold_one(0, 5.5f);
    m1.output_len = 1;
    lumen_model_desc d1 = threshold_desc(&m1);
    lumen_model *one = new_model(&d1);
    if (one != NULL) {
        o.target_class = LUMEN_TARGET_OPPOSITE;
        cf = search(engine, one, instance_x, 1, &o);
        lumen_instance_counterfactuals inst;
        if (cf != NULL && CHECK_OK(lumen_counterfactuals_instance(cf, 0, &inst))) {
            CHECK(inst.original_class == 0 && inst.target_class == 1);
            CHECK_NEAR(inst.original_probability, 0.1, 1e-6);
            check_best(cf, 0, want);
            check_every_counterfactual(cf, &m1, instance_x, 1, ALL_FEATURES);
        }
        lumen_counterfactuals_free(cf);
    }
    lumen_model_free(one);
}

static void test_numeric_schema(lumen_engine *engine) {
    SECTION("features_len 0: every column its own numeric feature, named \"feature N\"");
    threshold_model m = threshold_one(2, 8.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_COLUMN);
    o.features = NULL;
    o.features_len = 0;
    const uint32_t colour_columns[3] = {3, 4, 5}; /* keep the colour columns as they are */
    o.immutable = colour_columns;
    o.immutable_len = 3;
    lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        const float want[CF_N] = {2, 4, 9, 0, 1, 0};
        check_best(cf, 2, want);
        char *json = NULL;
        if (CHECK_OK(lumen_counterfactuals_to_json(cf, &json))) {
            CHECK_CONTAINS(json, "\"feature_names\":[\"feature 0\",\"feature 1\",\"feature 2\",\"feature 3\"");
        }
        lumen_string_free(json);
    }
    lumen_counterfactuals_free(cf);
    lumen_model_free(model);
}

static void test_categorical(lumen_engine *engine) {
    SECTION("categorical: colour 2 flips the model; rows stay one-hot");
    threshold_model m = threshold_one(CF_COLOUR + 2, 0.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    for (uint32_t sampling = LUMEN_SAMPLING_COLUMN; sampling <= LUMEN_SAMPLING_GIBBS; sampling++) {
        lumen_permute_attack_options o = small_options(sampling);
        lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
        if (cf != NULL) {
            const float want[CF_N] = {2, 4, 7, 0, 0, 1};
            check_best(cf, CF_COLOUR, want);
            CHECK(check_every_counterfactual(cf, &m, instance_x, 1, ALL_FEATURES) == o.counterfactuals);
        }
        lumen_counterfactuals_free(cf);
    }
    lumen_model_free(model);
}

/* x0 > 5.5 or x1 > 8.5: two single-feature ways across. */
static threshold_model two_rules(void) {
    threshold_model m = threshold_one(0, 5.5f);
    m.rules[1].column = 1;
    m.rules[1].threshold = 8.5f;
    m.rules_len = 2;
    return m;
}

static void test_immutable_and_allow_list(lumen_engine *engine) {
    SECTION("immutable x0: the search goes through x1 and x0 never changes");
    threshold_model m = two_rules();
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const float via_x1[CF_N] = {2, 9, 7, 0, 1, 0};
    const uint32_t x0_only[1] = {0};
    lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_GIBBS);
    o.immutable = x0_only;
    o.immutable_len = 1;
    lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        check_best(cf, 1, via_x1);
        check_every_counterfactual(cf, &m, instance_x, 1, ALL_FEATURES & ~1u);
    }
    lumen_counterfactuals_free(cf);

    SECTION("immutable x0 and x1: nothing flips the model; fallbacks flagged unsuccessful");
    const uint32_t x0_x1[2] = {0, 1};
    o.immutable = x0_x1;
    o.immutable_len = 2;
    cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        lumen_counterfactual c;
        if (CHECK_OK(lumen_counterfactuals_get(cf, 0, 0, &c))) {
            CHECK(c.success == 0 && c.predicted_class == 0);
        }
        check_every_counterfactual(cf, &m, instance_x, 1, ALL_FEATURES & ~3u);
    }
    lumen_counterfactuals_free(cf);

    SECTION("allow-list {x1, colour}: only those change");
    const uint32_t allowed[2] = {1, CF_COLOUR};
    o = small_options(LUMEN_SAMPLING_COLUMN);
    o.allow_list = allowed;
    o.allow_list_len = 2;
    cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        check_best(cf, 1, via_x1);
        check_every_counterfactual(cf, &m, instance_x, 1, (1u << 1) | (1u << CF_COLOUR));
    }
    lumen_counterfactuals_free(cf);

    SECTION("allow-list {x2, colour}: nothing flips the model");
    const uint32_t useless[2] = {2, CF_COLOUR};
    o.allow_list = useless;
    cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        lumen_counterfactual c;
        if (CHECK_OK(lumen_counterfactuals_get(cf, 0, 0, &c))) {
            CHECK(c.success == 0);
        }
        check_every_counterfactual(cf, &m, instance_x, 1, (1u << 2) | (1u << CF_COLOUR));
    }
    lumen_counterfactuals_free(cf);
    lumen_model_free(model);
}

static void test_ranges_and_limits(lumen_engine *engine) {
    SECTION("ranges: x0 in [6.5, 10] moves x0 to 7, not 6");
    threshold_model m = threshold_one(0, 5.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const lumen_feature_range range = {0, 6.5f, 10.0f};
    lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_COLUMN);
    o.ranges = &range;
    o.ranges_len = 1;
    lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        const float want[CF_N] = {7, 4, 7, 0, 1, 0};
        check_best(cf, 0, want);
        check_every_counterfactual(cf, &m, instance_x, 1, ALL_FEATURES);
        size_t bad = 0;
        lumen_instance_counterfactuals inst;
        if (CHECK_OK(lumen_counterfactuals_instance(cf, 0, &inst))) {
            for (size_t j = 0; j < inst.count; j++) {
                float row[CF_N];
                if (CHECK_OK(lumen_counterfactuals_row(cf, 0, j, row, CF_N))) {
                    bad += row[0] != instance_x[0] && (row[0] < 6.5f || row[0] > 10.0f);
                }
            }
        }
        CHECK(bad == 0);
    }
    lumen_counterfactuals_free(cf);

    SECTION("max_distance 3.5: the nearest crossing is 4 away, so no success");
    o = small_options(LUMEN_SAMPLING_COLUMN);
    o.max_distance = 3.5;
    cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        lumen_instance_counterfactuals inst;
        size_t successes = 0;
        if (CHECK_OK(lumen_counterfactuals_instance(cf, 0, &inst))) {
            for (size_t j = 0; j < inst.count; j++) {
                lumen_counterfactual c;
                if (CHECK_OK(lumen_counterfactuals_get(cf, 0, j, &c))) {
                    successes += c.success;
                }
            }
        }
        CHECK(successes == 0);
    }
    lumen_counterfactuals_free(cf);

    SECTION("max_changed 1: every counterfactual changes at most one feature");
    o = small_options(LUMEN_SAMPLING_GIBBS);
    o.max_changed = 1;
    o.counterfactuals = 5;
    cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        lumen_instance_counterfactuals inst;
        size_t bad = 0;
        if (CHECK_OK(lumen_counterfactuals_instance(cf, 0, &inst))) {
            CHECK(inst.count >= 1 && inst.count <= 5);
            for (size_t j = 0; j < inst.count; j++) {
                lumen_counterfactual c;
                if (CHECK_OK(lumen_counterfactuals_get(cf, 0, j, &c))) {
                    bad += c.changed_len > 1;
                }
            }
        }
        CHECK(bad == 0);
        check_every_counterfactual(cf, &m, instance_x, 1, ALL_FEATURES);
    }
    lumen_counterfactuals_free(cf);
    lumen_model_free(model);
}

static void test_success_probability_and_reached_targets(lumen_engine *engine) {
    SECTION("success_probability: a cutoff of 0.85 is reachable (P = 0.9), 0.95 is not");
    threshold_model m = threshold_one(0, 5.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const double cutoffs[2] = {0.85, 0.95};
    for (int i = 0; i < 2; i++) {
        lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_COLUMN);
        o.success_probability = cutoffs[i];
        lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
        lumen_counterfactual c;
        if (cf != NULL && CHECK_OK(lumen_counterfactuals_get(cf, 0, 0, &c))) {
            CHECK(c.success == (i == 0 ? 1u : 0u));
        }
        lumen_counterfactuals_free(cf);
    }

    SECTION("an instance already at its target is not searched");
    const float class_one[CF_N] = {9, 4, 7, 0, 1, 0};
    lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_COLUMN);
    o.target_class = 1;
    lumen_counterfactuals *cf = search(engine, model, class_one, 1, &o);
    lumen_instance_counterfactuals inst;
    if (cf != NULL && CHECK_OK(lumen_counterfactuals_instance(cf, 0, &inst))) {
        CHECK(inst.already_at_target == 1 && inst.count == 0 && inst.model_rows_evaluated == 1);
    }
    lumen_counterfactuals_free(cf);
    o.success_probability = NAN;
    lumen_counterfactuals *untouched = (lumen_counterfactuals *)&sentinel_storage;
    CHECK_STATUS(lumen_engine_explain_counterfactuals(engine, model, class_one, CF_N, 1, &o, &untouched),
                 LUMEN_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("success_probability");
    CHECK(untouched == (lumen_counterfactuals *)&sentinel_storage);
    lumen_model_free(model);
}

static void test_getters(lumen_engine *engine) {
    SECTION("getters: ranges, buffer sizes, NULLs; nothing written on failure");
    threshold_model m = threshold_one(0, 5.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_COLUMN);
    lumen_counterfactuals *cf = search(engine, model, instance_x, 1, &o);
    if (cf != NULL) {
        size_t count = 99;
        lumen_instance_counterfactuals inst;
        memset(&inst, 0xab, sizeof inst);
        lumen_instance_counterfactuals inst_before = inst;
        lumen_counterfactual c;
        memset(&c, 0xab, sizeof c);
        lumen_counterfactual c_before = c;
        float row[CF_N + 1];
        uint32_t changed[CF_FEATURES] = {77, 77, 77, 77};
        for (size_t k = 0; k < CF_N + 1; k++) {
            row[k] = UNTOUCHED;
        }
        CHECK_FAILS(lumen_counterfactuals_count(NULL, &count), LUMEN_STATUS_NULL_POINTER, "counterfactuals");
        CHECK_FAILS(lumen_counterfactuals_count(cf, NULL), LUMEN_STATUS_NULL_POINTER, "out");
        CHECK(count == 99);
        CHECK_FAILS(lumen_counterfactuals_instance(cf, 1, &inst), LUMEN_STATUS_INVALID_ARGUMENT, "instance: is 1");
        CHECK_FAILS(lumen_counterfactuals_instance(cf, 0, NULL), LUMEN_STATUS_NULL_POINTER, "out");
        CHECK_FAILS(lumen_counterfactuals_instance(NULL, 0, &inst), LUMEN_STATUS_NULL_POINTER, "counterfactuals");
        CHECK(memcmp(&inst, &inst_before, sizeof inst) == 0);
        CHECK_FAILS(lumen_counterfactuals_get(cf, 0, o.counterfactuals, &c), LUMEN_STATUS_INVALID_ARGUMENT,
                    "index: is 3");
        CHECK_FAILS(lumen_counterfactuals_get(cf, 2, 0, &c), LUMEN_STATUS_INVALID_ARGUMENT, "instance");
        CHECK_FAILS(lumen_counterfactuals_get(cf, 0, 0, NULL), LUMEN_STATUS_NULL_POINTER, "out");
        CHECK(memcmp(&c, &c_before, sizeof c) == 0);
        CHECK_FAILS(lumen_counterfactuals_row(cf, 0, 0, row, CF_N - 1), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
        CHECK_FAILS(lumen_counterfactuals_row(cf, 0, 0, NULL, CF_N), LUMEN_STATUS_NULL_POINTER, "out");
        CHECK_FAILS(lumen_counterfactuals_row(cf, 0, 9, row, CF_N), LUMEN_STATUS_INVALID_ARGUMENT, "index");
        CHECK(row[0] == UNTOUCHED && row[CF_N - 1] == UNTOUCHED);
        /* A larger buffer is fine; the extra element is left alone. */
        CHECK_OK(lumen_counterfactuals_row(cf, 0, 0, row, CF_N + 1));
        CHECK(row[0] == 6.0f && row[CF_N] == UNTOUCHED);
        CHECK_FAILS(lumen_counterfactuals_changed(cf, 0, 0, changed, 0), LUMEN_STATUS_BUFFER_TOO_SMALL, "out_len");
        CHECK_FAILS(lumen_counterfactuals_changed(cf, 1, 0, changed, CF_FEATURES), LUMEN_STATUS_INVALID_ARGUMENT,
                    "instance");
        CHECK(changed[0] == 77);
        char *json = (char *)&sentinel_storage;
        CHECK_FAILS(lumen_counterfactuals_to_json(cf, NULL), LUMEN_STATUS_NULL_POINTER, "out");
        CHECK_FAILS(lumen_counterfactuals_to_json(NULL, &json), LUMEN_STATUS_NULL_POINTER, "counterfactuals");
        CHECK(json == (char *)&sentinel_storage);
    }
    lumen_counterfactuals_free(cf);
    lumen_counterfactuals_free(NULL); /* a no-op */
    CHECK(1);
    lumen_model_free(model);
}

static void test_scorecard(void) {
    SECTION("scorecard: 600 at odds 20, 15 points to double (equation 4)");
    const double odds[5] = {20, 40, 10, 80, 1};
    const double want[5] = {600, 615, 585, 630, 600 - 15 * 4.321928094887363};
    for (size_t k = 0; k < 5; k++) {
        double score = -1;
        double p = odds[k] / (1 + odds[k]);
        if (CHECK_OK(lumen_scorecard_score(p, 600, 20, 15, &score))) {
            CHECK_NEAR(score, want[k], 1e-9);
        }
    }
    double score = -1;
    CHECK_OK(lumen_scorecard_score(0.8, 500, 1, 20, &score)); /* odds 4 = 2 doublings of 1 */
    CHECK_NEAR(score, 540, 1e-9);
    score = -1;
    CHECK_FAILS(lumen_scorecard_score(0.0, 600, 20, 15, &score), LUMEN_STATUS_INVALID_ARGUMENT, "p_good");
    CHECK_FAILS(lumen_scorecard_score(1.0, 600, 20, 15, &score), LUMEN_STATUS_INVALID_ARGUMENT, "p_good");
    CHECK_FAILS(lumen_scorecard_score(NAN, 600, 20, 15, &score), LUMEN_STATUS_INVALID_ARGUMENT, "p_good");
    CHECK_FAILS(lumen_scorecard_score(0.9, 600, 0, 15, &score), LUMEN_STATUS_INVALID_ARGUMENT, "base_odds");
    CHECK_FAILS(lumen_scorecard_score(0.9, 600, 20, NAN, &score), LUMEN_STATUS_INVALID_ARGUMENT,
                "points_to_double_odds");
    CHECK_FAILS(lumen_scorecard_score(0.9, INFINITY, 20, 15, &score), LUMEN_STATUS_INVALID_ARGUMENT, "base_score");
    CHECK_FAILS(lumen_scorecard_score(0.9, 600, 20, 15, NULL), LUMEN_STATUS_NULL_POINTER, "out");
    CHECK(score == -1);
}

static void test_determinism(void) {
    SECTION("determinism: 1, 2 and 8 threads give the same JSON");
    threshold_model m = threshold_one(2, 8.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const float rows[2 * CF_N] = {2, 4, 7, 0, 1, 0, 9, 1, 1, 1, 0, 0};
    const uint32_t threads[3] = {1, 2, 8};
    char *json[3] = {NULL, NULL, NULL};
    for (size_t t = 0; t < 3; t++) {
        lumen_engine *engine = new_engine(threads[t], 4);
        if (engine == NULL) {
            continue;
        }
        lumen_permute_attack_options o = small_options(LUMEN_SAMPLING_GIBBS);
        lumen_counterfactuals *cf = search(engine, model, rows, 2, &o);
        if (cf != NULL) {
            CHECK(check_every_counterfactual(cf, &m, rows, 2, ALL_FEATURES) > 0);
            CHECK_OK(lumen_counterfactuals_to_json(cf, &json[t]));
        }
        lumen_counterfactuals_free(cf);
        lumen_engine_free(engine);
    }
    if (json[0] != NULL && json[1] != NULL && json[2] != NULL) {
        CHECK(strcmp(json[0], json[1]) == 0);
        CHECK(strcmp(json[0], json[2]) == 0);
        CHECK_CONTAINS(json[0], "\"seed\":4");
    }
    for (size_t t = 0; t < 3; t++) {
        lumen_string_free(json[t]);
    }
    lumen_model_free(model);
}

/* A search with options `o` fails with `want`, names `needle` and writes nothing. */
static void check_fails(lumen_engine *engine, lumen_model *model, const float *x, size_t inputs_len,
                        const lumen_permute_attack_options *o, lumen_status want, const char *needle, int line) {
    lumen_counterfactuals *cf = SENTINEL;
    harness_check_status(lumen_engine_explain_counterfactuals(engine, model, x, inputs_len, 1, o, &cf), want,
                         "lumen_engine_explain_counterfactuals fails as expected", __FILE__, line);
    harness_check_message(needle, __FILE__, line);
    harness_check(cf == SENTINEL, "out untouched", __FILE__, line);
    if (cf != SENTINEL) {
        lumen_counterfactuals_free(cf);
    }
}
#define CHECK_SEARCH_FAILS(o, want, needle) check_fails(engine, model, instance_x, CF_N, o, want, needle, __LINE__)

/* The coded schema: x0, x1, x2 numeric in columns 0..2, colour LUMEN_FEATURE_CODED in column 3. */
static lumen_tabular_feature coded_features[CF_FEATURES];
static const size_t coded_colour_column[1] = {CF_COLOUR};
static float coded_training[CF_TRAINING_ROWS * CF_CODED_N];
static lumen_feature_codes colour_codes;

static lumen_permute_attack_options coded_options(uint32_t sampling) {
    lumen_permute_attack_options o = small_options(sampling);
    o.features = coded_features;
    o.training = coded_training;
    o.training_len = CF_TRAINING_ROWS * CF_CODED_N;
    o.feature_codes = &colour_codes;
    o.feature_codes_len = 1;
    return o;
}

static void coded_setup(void) {
    memcpy(coded_features, features, sizeof coded_features);
    coded_features[CF_COLOUR].kind = LUMEN_FEATURE_CODED;
    coded_features[CF_COLOUR].columns = coded_colour_column;
    coded_features[CF_COLOUR].columns_len = 1;
    for (size_t i = 0; i < CF_TRAINING_ROWS; i++) {
        cf_coded_of_one_hot(training + i * CF_N, coded_training + i * CF_CODED_N);
    }
    colour_codes.feature = CF_COLOUR;
    colour_codes.codes = cf_colour_codes;
    colour_codes.codes_len = CF_COLOURS;
}

/* Whether coded search `coded` and one-hot search `one_hot` of the same `rows` instances
 * found the same counterfactuals: equal outcomes, probabilities, distances and changed
 * features, and rows that are the same once decoded, the coded ones holding codes. */
static void check_same_search(const lumen_counterfactuals *coded, const lumen_counterfactuals *one_hot, size_t rows,
                              size_t *colour_changes) {
    for (size_t i = 0; i < rows; i++) {
        lumen_instance_counterfactuals a, b;
        if (!CHECK_OK(lumen_counterfactuals_instance(coded, i, &a)) ||
            !CHECK_OK(lumen_counterfactuals_instance(one_hot, i, &b))) {
            return;
        }
        CHECK(a.original_class == b.original_class && a.target_class == b.target_class);
        CHECK(a.original_probability == b.original_probability && a.already_at_target == b.already_at_target);
        CHECK(a.count == b.count && a.model_rows_evaluated == b.model_rows_evaluated);
        for (size_t k = 0; k < a.count && k < b.count; k++) {
            lumen_counterfactual x, y;
            uint32_t changed_x[CF_FEATURES], changed_y[CF_FEATURES];
            float row_x[CF_CODED_N], row_y[CF_N], decoded[CF_N];
            if (!CHECK_OK(lumen_counterfactuals_get(coded, i, k, &x)) ||
                !CHECK_OK(lumen_counterfactuals_get(one_hot, i, k, &y)) ||
                !CHECK_OK(lumen_counterfactuals_row(coded, i, k, row_x, CF_CODED_N)) ||
                !CHECK_OK(lumen_counterfactuals_row(one_hot, i, k, row_y, CF_N)) ||
                !CHECK_OK(lumen_counterfactuals_changed(coded, i, k, changed_x, CF_FEATURES)) ||
                !CHECK_OK(lumen_counterfactuals_changed(one_hot, i, k, changed_y, CF_FEATURES))) {
                return;
            }
            CHECK(x.success == y.success && x.predicted_class == y.predicted_class);
            CHECK(x.target_probability == y.target_probability && x.distance == y.distance);
            CHECK(x.changed_len == y.changed_len && memcmp(changed_x, changed_y, x.changed_len * sizeof(uint32_t)) == 0);
            CHECK(cf_one_hot_of_coded(row_x, decoded) && memcmp(decoded, row_y, sizeof decoded) == 0);
            for (size_t c = 0; c < x.changed_len; c++) {
                *colour_changes += x.success && changed_x[c] == CF_COLOUR;
            }
        }
    }
}

static void test_coded(lumen_engine *engine) {
    SECTION("coded categoricals: the same search as the one-hot group, rows in codes");
    /* Class 1 when the colour is 2 (code 5) or x0 > 5.5. */
    threshold_model m = threshold_one(CF_COLOUR + 2, 0.5f);
    m.rules[1].column = 0;
    m.rules[1].threshold = 5.5f;
    m.rules_len = 2;
    lumen_model_desc one_hot_desc = threshold_desc(&m);
    lumen_model_desc desc = coded_desc(&m);
    lumen_model *one_hot_model = new_model(&one_hot_desc);
    lumen_model *model = new_model(&desc);
    const float rows[2 * CF_N] = {2, 4, 7, 0, 1, 0, 3, 1, 1, 1, 0, 0};
    float coded_rows[2 * CF_CODED_N];
    cf_coded_of_one_hot(rows, coded_rows);
    cf_coded_of_one_hot(rows + CF_N, coded_rows + CF_CODED_N);
    size_t colour_changes = 0;
    for (uint32_t sampling = LUMEN_SAMPLING_COLUMN; model != NULL && one_hot_model != NULL && sampling <= LUMEN_SAMPLING_GIBBS;
         sampling++) {
        lumen_permute_attack_options o = coded_options(sampling);
        lumen_permute_attack_options p = small_options(sampling);
        lumen_counterfactuals *coded = NULL, *one_hot = NULL;
        CHECK_OK(lumen_engine_explain_counterfactuals(engine, model, coded_rows, 2 * CF_CODED_N, 2, &o, &coded));
        one_hot = search(engine, one_hot_model, rows, 2, &p);
        if (coded != NULL && one_hot != NULL) {
            check_same_search(coded, one_hot, 2, &colour_changes);
            /* The best change is the colour to category 2: code 5, distance √2 (x0 → 6 is 4). */
            lumen_counterfactual best;
            float row[CF_CODED_N];
            if (CHECK_OK(lumen_counterfactuals_get(coded, 0, 0, &best)) &&
                CHECK_OK(lumen_counterfactuals_row(coded, 0, 0, row, CF_CODED_N))) {
                CHECK(best.success && best.changed_len == 1 && row[CF_COLOUR] == 5.0f);
                CHECK(best.distance == sqrtf(2.0f));
            }
        }
        lumen_counterfactuals_free(coded);
        lumen_counterfactuals_free(one_hot);
    }
    CHECK(colour_changes > 0);

    /* A caller built against the 0.2 header (no feature_codes) keeps its one-hot searches;
     * its coded features have no codes. */
    lumen_permute_attack_options old = small_options(LUMEN_SAMPLING_COLUMN);
    old.struct_size = offsetof(lumen_permute_attack_options, feature_codes);
    old.feature_codes = &colour_codes; /* beyond the old struct: never read */
    old.feature_codes_len = 1;
    lumen_counterfactuals *cf = search(engine, one_hot_model, instance_x, 1, &old);
    lumen_counterfactuals_free(cf);
    CHECK(cf != NULL);
    if (model != NULL) {
        float x[CF_CODED_N];
        cf_coded_of_one_hot(instance_x, x);
        lumen_permute_attack_options o = coded_options(LUMEN_SAMPLING_COLUMN);
        o.struct_size = offsetof(lumen_permute_attack_options, feature_codes);
        check_fails(engine, model, x, CF_CODED_N, &o, LUMEN_STATUS_INVALID_ARGUMENT,
                    "options.features[3]: is LUMEN_FEATURE_CODED, but options.feature_codes gives no codes", __LINE__);
    }
    lumen_model_free(model);
    lumen_model_free(one_hot_model);
}

static void test_coded_errors(lumen_engine *engine) {
    SECTION("coded categoricals: bad codes and bad rows are refused, nothing written");
    threshold_model m = threshold_one(CF_COLOUR + 2, 0.5f);
    lumen_model_desc desc = coded_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    float x[CF_CODED_N];
    cf_coded_of_one_hot(instance_x, x);
#define CHECK_CODED_FAILS(o, want, needle) check_fails(engine, model, x, CF_CODED_N, o, want, needle, __LINE__)
    const lumen_permute_attack_options good = coded_options(LUMEN_SAMPLING_GIBBS);
    lumen_permute_attack_options o = good;
    lumen_feature_codes bad = colour_codes;
    o.feature_codes = &bad;
    const float duplicated[3] = {10, 20, 10};
    bad.codes = duplicated;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "lists code 10 twice (at 0 and 2)");
    const float not_a_number[3] = {10, NAN, 5};
    bad.codes = not_a_number;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "code NaN at 1, expected a finite integer");
    const float fraction[3] = {10, 20, 5.5f};
    bad.codes = fraction;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "code 5.5 at 2, expected a finite integer");
    bad.codes_len = 0;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "has no codes, expected at least one");
    bad.codes = NULL;
    bad.codes_len = 3;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_NULL_POINTER, "options.feature_codes[0].codes");
    bad = colour_codes;
    bad.feature = 4;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.feature_codes[0].feature: is 4, expected < features_len = 4");
    bad.feature = 0;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "gives codes for feature 0, which is not LUMEN_FEATURE_CODED");
    lumen_feature_codes twice[2] = {colour_codes, colour_codes};
    o.feature_codes = twice;
    o.feature_codes_len = 2;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.feature_codes[1].feature: gives feature 3 codes twice");
    o = good;
    o.feature_codes_len = 0;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "gives no codes for feature 3");
    o = good;
    o.feature_codes = NULL;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_NULL_POINTER, "options.feature_codes");
    lumen_tabular_feature two_columns[CF_FEATURES];
    memcpy(two_columns, coded_features, sizeof two_columns);
    two_columns[CF_COLOUR].columns = cf_columns_colour;
    two_columns[CF_COLOUR].columns_len = 2;
    o = good;
    o.features = two_columns;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "columns_len: is 2, expected 1 for a LUMEN_FEATURE_CODED");
    /* A code the feature does not allow, in the instance and in the training rows. */
    o = good;
    float unknown[CF_CODED_N];
    memcpy(unknown, x, sizeof unknown);
    unknown[CF_COLOUR] = 7.0f;
    check_fails(engine, model, unknown, CF_CODED_N, &o, LUMEN_STATUS_INVALID_ARGUMENT,
                "inputs: feature colour has code 7 in column 3, expected one of its codes [10.0, 20.0, 5.0]", __LINE__);
    float bad_training[2 * CF_CODED_N];
    memcpy(bad_training, coded_training, sizeof bad_training);
    bad_training[CF_CODED_N + CF_COLOUR] = 1.0f;
    o.training = bad_training;
    o.training_len = 2 * CF_CODED_N;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "training row 1: feature colour has code 1");
    /* Ranges are for numeric features only. */
    o = good;
    const lumen_feature_range range = {CF_COLOUR, 5.0f, 20.0f};
    o.ranges = &range;
    o.ranges_len = 1;
    CHECK_CODED_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "feature 3 is categorical, expected numeric");
#undef CHECK_CODED_FAILS
    lumen_model_free(model);
}

static void test_errors(lumen_engine *engine) {
    SECTION("errors: statuses, messages naming the argument, nothing written");
    threshold_model m = threshold_one(0, 5.5f);
    lumen_model_desc desc = threshold_desc(&m);
    lumen_model *model = new_model(&desc);
    if (model == NULL) {
        return;
    }
    const lumen_permute_attack_options good = small_options(LUMEN_SAMPLING_COLUMN);
    lumen_permute_attack_options o;

    /* Training rows. */
    o = good;
    o.training = NULL;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_NULL_POINTER, "options.training");
    o = good;
    o.training_len = 0;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "training: has no rows");
    o = good;
    o.training_len = CF_TRAINING_ROWS * CF_N - 1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_LENGTH_MISMATCH, "multiple of input_len = 6");
    o = good;
    o.training_len = 5;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_LENGTH_MISMATCH, "training");
    float broken[CF_N * 2];
    memcpy(broken, training, sizeof broken);
    broken[CF_N + 3] = 1.0f; /* row 1 (colour 1) gets a second hot colour */
    o = good;
    o.training = broken;
    o.training_len = CF_N * 2;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "not one-hot");
    broken[CF_N + 3] = 0.0f;
    broken[1] = NAN;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_NON_FINITE_INPUT, "training row 0");

    /* Target class. */
    o = good;
    o.target_class = 2;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "target");
    o.target_class = -2;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.target_class: is -2");
    o.target_class = (int64_t)1 << 40;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.target_class");

    /* Immutable, allow-list, ranges. */
    const uint32_t all[CF_FEATURES] = {0, 1, 2, 3};
    o = good;
    o.immutable = all;
    o.immutable_len = CF_FEATURES;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "leaves no feature");
    const uint32_t x0_x1[2] = {0, 1};
    o.immutable_len = 2;
    o.allow_list = x0_x1;
    o.allow_list_len = 2;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "leaves no feature");
    const uint32_t beyond[1] = {CF_FEATURES};
    o = good;
    o.immutable = beyond;
    o.immutable_len = 1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "immutable");
    o = good;
    o.allow_list = beyond;
    o.allow_list_len = 1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "allow_list");
    o = good;
    o.immutable = NULL;
    o.immutable_len = 1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_NULL_POINTER, "options.immutable");
    const lumen_feature_range on_colour = {CF_COLOUR, 0, 1}, reversed = {0, 5, 1};
    o = good;
    o.ranges = &on_colour;
    o.ranges_len = 1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "categorical");
    o.ranges = &reversed;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "ranges");

    /* The schema. */
    lumen_tabular_feature bad[CF_FEATURES];
    memcpy(bad, features, sizeof bad);
    o = good;
    o.features = bad;
    bad[1].kind = 7;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.features[1].kind: is 7");
    memcpy(bad, features, sizeof bad);
    const size_t two_columns[2] = {0, 1};
    bad[0].columns = two_columns;
    bad[0].columns_len = 2;
    bad[1].columns_len = 0;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.features[0].columns_len: is 2");
    memcpy(bad, features, sizeof bad);
    bad[1].columns = cf_column_x0; /* column 0 in x0 and x1 */
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.features: column 0 belongs to features 0 and 1");
    memcpy(bad, features, sizeof bad);
    const size_t outside[1] = {CF_N};
    bad[2].columns = outside;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "expected < input_len = 6");
    memcpy(bad, features, sizeof bad);
    bad[CF_COLOUR].columns_len = 1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "expected at least 2");
    memcpy(bad, features, sizeof bad);
    bad[2].columns = NULL;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_NULL_POINTER, "options.features[2].columns");
    memcpy(bad, features, sizeof bad);
    bad[0].name = "\xff\xfe";
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_UTF8, "options.features[0].name");
    o = good;
    o.features = NULL;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_NULL_POINTER, "options.features");

    /* Sampling and the search's numbers. */
    o = good;
    o.sampling = 2;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.sampling: is 2");
    o = good;
    o.sampling = LUMEN_SAMPLING_GIBBS;
    o.gibbs_bins = 0;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "bins");
    o = good;
    o.rho0 = NAN;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "rho0");
    o = good;
    o.rho1 = -1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "rho1");
    o = good;
    o.temperature = NAN;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "temperature");
    o = good;
    o.decay = NAN;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "decay");
    o = good;
    o.max_distance = NAN;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.max_distance");
    o.max_distance = -1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "options.max_distance");
    o = good;
    o.population = 1;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "population");
    o = good;
    o.runs = 0;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "runs");
    o = good;
    o.counterfactuals = 0;
    CHECK_SEARCH_FAILS(&o, LUMEN_STATUS_INVALID_ARGUMENT, "counterfactuals");

    /* The instance rows. */
    const float not_one_hot[CF_N] = {2, 4, 7, 0.5f, 0.5f, 0};
    check_fails(engine, model, not_one_hot, CF_N, &good, LUMEN_STATUS_INVALID_ARGUMENT, "not one-hot", __LINE__);
    const float nan_row[CF_N] = {2, NAN, 7, 0, 1, 0};
    check_fails(engine, model, nan_row, CF_N, &good, LUMEN_STATUS_NON_FINITE_INPUT, "inputs", __LINE__);
    check_fails(engine, model, instance_x, CF_N - 1, &good, LUMEN_STATUS_LENGTH_MISMATCH, "inputs", __LINE__);
    check_fails(engine, model, NULL, CF_N, &good, LUMEN_STATUS_NULL_POINTER, "inputs", __LINE__);

    /* The shared arguments. */
    lumen_counterfactuals *cf = SENTINEL;
    CHECK_FAILS(lumen_engine_explain_counterfactuals(engine, model, instance_x, CF_N, 1, &good, NULL),
                LUMEN_STATUS_NULL_POINTER, "out");
    CHECK_FAILS(lumen_engine_explain_counterfactuals(engine, model, instance_x, CF_N, 1, NULL, &cf),
                LUMEN_STATUS_NULL_POINTER, "options");
    CHECK_FAILS(lumen_engine_explain_counterfactuals(NULL, model, instance_x, CF_N, 1, &good, &cf),
                LUMEN_STATUS_NULL_POINTER, "engine");
    CHECK_FAILS(lumen_engine_explain_counterfactuals(engine, NULL, instance_x, CF_N, 1, &good, &cf),
                LUMEN_STATUS_NULL_POINTER, "model");
    CHECK_FAILS(lumen_engine_explain_counterfactuals(engine, model, instance_x, 0, 0, &good, &cf),
                LUMEN_STATUS_INVALID_ARGUMENT, "rows");
    CHECK(cf == SENTINEL);
    lumen_model_free(model);

    /* A model returning NaN: at once, and in the middle of the search. */
    for (size_t good_calls = 0; good_calls <= 5; good_calls += 5) {
        threshold_model nan_model = threshold_one(0, 5.5f);
        nan_model.nan_after = 1;
        nan_model.good_calls = good_calls;
        lumen_model_desc nd = threshold_desc(&nan_model);
        lumen_model *nm = new_model(&nd);
        if (nm == NULL) {
            continue;
        }
        CHECK_FAILS(lumen_engine_explain_counterfactuals(engine, nm, instance_x, CF_N, 1, &good, &cf),
                    LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT, "model");
        CHECK(cf == SENTINEL);
        CHECK(nan_model.calls == good_calls + 1);
        lumen_model_free(nm);
    }
}

int main(void) {
    cf_training(training);
    cf_features(features);
    coded_setup();
    test_defaults();
    /* Four threads: the happy path runs on a multi-threaded engine. */
    lumen_engine *engine = new_engine(4, 1);
    if (engine != NULL) {
        test_minimal_counterfactual(engine);
        test_numeric_schema(engine);
        test_categorical(engine);
        test_immutable_and_allow_list(engine);
        test_ranges_and_limits(engine);
        test_success_probability_and_reached_targets(engine);
        test_getters(engine);
        test_errors(engine);
        test_coded(engine);
        test_coded_errors(engine);
    }
    lumen_engine_free(engine);
    test_scorecard();
    test_determinism();
    return harness_report("test_counterfactual");
}
