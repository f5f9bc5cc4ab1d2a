/*
 * harness.h: a tiny check harness for Lumen's C tests. Valid C11 and C++17.
 *
 * Every CHECK* macro counts one check. A failing check prints where it failed (and, for
 * status checks, the status names and lumen_last_error_message()) but does not stop the
 * program, so one run reports every failure. harness_report() prints the program's
 * summary line "NAME: N passed, N failed" that tests/c/run.sh parses and sums.
 *
 * The counters are plain ints: call the CHECK* macros from the main thread only (worker
 * threads record what they saw and the main thread checks it).
 */

#ifndef LUMEN_TEST_HARNESS_H
#define LUMEN_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lumen.h"

static int harness_passed;
static int harness_failed;

/* Records one check; prints the failure with its source location. */
static inline int harness_check(int ok, const char *what, const char *file, int line) {
    if (ok) {
        harness_passed++;
    } else {
        harness_failed++;
        fflush(stdout); /* keep the report in order when stdout and stderr share a file */
        fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
    return ok;
}

/* Records a status check; on mismatch prints both names and the thread's last error. */
static inline int harness_check_status(uint32_t got, uint32_t want, const char *what, const char *file, int line) {
    int ok = got == want;
    if (!harness_check(ok, what, file, line)) {
        fprintf(stderr, "     got %s (%u), expected %s (%u); last error: \"%s\"\n", lumen_status_name(got),
                (unsigned)got, lumen_status_name(want), (unsigned)want, lumen_last_error_message());
    }
    return ok;
}

/* Records a check that the thread's last error message is non-empty and contains `needle`. */
static inline int harness_check_message(const char *needle, const char *file, int line) {
    const char *message = lumen_last_error_message();
    int ok = message != NULL && message[0] != '\0' && strstr(message, needle) != NULL;
    if (!harness_check(ok, "lumen_last_error_message() names the argument", file, line)) {
        fprintf(stderr, "     expected \"%s\" in \"%s\"\n", needle, message != NULL ? message : "(NULL)");
    }
    return ok;
}

/* Records |got - want| <= tol. */
static inline int harness_check_near(double got, double want, double tol, const char *what, const char *file,
                                     int line) {
    int ok = fabs(got - want) <= tol;
    if (!harness_check(ok, what, file, line)) {
        fprintf(stderr, "     got %.9g, expected %.9g (tolerance %.3g)\n", got, want, tol);
    }
    return ok;
}

/* Records strstr(text, needle) != NULL. */
static inline int harness_check_contains(const char *text, const char *needle, const char *file, int line) {
    int ok = text != NULL && strstr(text, needle) != NULL;
    if (!harness_check(ok, "text contains the expected substring", file, line)) {
        fprintf(stderr, "     expected \"%s\" in \"%.300s%s\"\n", needle, text != NULL ? text : "(NULL)",
                text != NULL && strlen(text) > 300 ? "..." : "");
    }
    return ok;
}

/* Prints "NAME: N passed, N failed" (the line run.sh parses); returns the exit status. */
static inline int harness_report(const char *program) {
    printf("%s: %d passed, %d failed\n", program, harness_passed, harness_failed);
    fflush(stdout);
    return harness_failed == 0 ? 0 : 1;
}

/* Prints a section heading so a failure is easy to place in the output. */
#define SECTION(name) printf("-- %s\n", name)

#define CHECK(cond) harness_check((cond) != 0, #cond, __FILE__, __LINE__)
#define CHECK_STATUS(expr, want) \
    harness_check_status((uint32_t)(expr), (uint32_t)(want), #expr " == " #want, __FILE__, __LINE__)
#define CHECK_OK(expr) CHECK_STATUS(expr, LUMEN_STATUS_OK)
#define CHECK_MESSAGE(needle) harness_check_message(needle, __FILE__, __LINE__)
#define CHECK_NEAR(got, want, tol) \
    harness_check_near((double)(got), (double)(want), (double)(tol), #got " ~= " #want, __FILE__, __LINE__)
#define CHECK_CONTAINS(text, needle) harness_check_contains(text, needle, __FILE__, __LINE__)

/* A failing call: its status, then a last-error message that names `needle`. */
#define CHECK_FAILS(expr, want, needle)   \
    do {                                  \
        CHECK_STATUS(expr, want);         \
        CHECK_MESSAGE(needle);            \
    } while (0)

/* Test data and value checks shared by the test programs. */

/* A deterministic, irregular value in about [-2, 2] for index `i` of stream `salt`. */
static inline float wobble(size_t i, size_t salt) {
    return (float)((int)((i * 37 + salt * 11) % 29) - 14) / 7.0f + 0.01f * (float)(salt % 5);
}

static inline void fill(float *values, size_t n, size_t salt) {
    for (size_t i = 0; i < n; i++) {
        values[i] = wobble(i, salt);
    }
}

/* Records one check that `got` matches `want` (n values) within `tol`. */
static inline void check_values(const float *got, const double *want, size_t n, double tol, const char *label) {
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = (double)got[i] - want[i];
        if (!(diff <= tol && diff >= -tol)) {
            if (bad++ == 0) {
                first = i;
            }
        }
    }
    if (!CHECK(bad == 0)) {
        fprintf(stderr, "     %s: %zu of %zu values differ; first at [%zu]: got %.9g, expected %.9g\n", label, bad, n,
                first, (double)got[first], want[first]);
    }
}

#endif /* LUMEN_TEST_HARNESS_H */
