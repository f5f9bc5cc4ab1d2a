/*
 * test_crash_safety.c: hostile-but-legal arguments must come back as a status, never
 * take the host process down. Each case runs in a forked child, so that a case that
 * aborts is reported as one failed check and the other cases still run.
 */

#define _POSIX_C_SOURCE 200809L /* fork(), pipe(), waitpid() */

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "lumen.h"
#include "models.h"

#define N 6
static const float weights[N] = {1, 2, 3, 4, 5, 6};
static const float bias[1] = {0};
static const float x[2 * N] = {1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1};

/* One case: a call on a fresh engine and 1-D linear model, returning its status. */
typedef uint32_t (*case_fn)(lumen_engine *engine, lumen_model *model);

/* What a child reports: the status it got and the message. */
typedef struct child_report {
    uint32_t status;
    char message[512];
} child_report;

/* In the child: builds the engine and model, runs `fn`, frees everything and writes the
 * status and last error message to `fd`. Never returns. */
static void run_in_child(case_fn fn, int fd) {
    child_report report;
    memset(&report, 0, sizeof report);
    linear_model m = {N, 1, weights, bias};
    lumen_model_desc desc = linear_desc(&m);
    lumen_engine *engine = NULL;
    lumen_model *model = NULL;
    if (lumen_engine_new(NULL, &engine) == LUMEN_STATUS_OK && lumen_model_new(&desc, &model) == LUMEN_STATUS_OK) {
        report.status = fn(engine, model);
        snprintf(report.message, sizeof report.message, "%s", lumen_last_error_message());
    } else {
        report.status = UINT32_MAX;
    }
    lumen_model_free(model);
    lumen_engine_free(engine);
    ssize_t written = write(fd, &report, sizeof report);
    close(fd);
    _exit(written == (ssize_t)sizeof report ? 0 : 1);
}

/* Runs `fn` in a child; records that the child exited normally with status `want` and a
 * message naming `needle`. */
static void check_isolated(case_fn fn, uint32_t want, const char *needle, const char *label) {
    int fds[2];
    if (!CHECK(pipe(fds) == 0)) {
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        run_in_child(fn, fds[1]);
    }
    close(fds[1]);
    child_report report;
    memset(&report, 0, sizeof report);
    ssize_t got = pid > 0 ? read(fds[0], &report, sizeof report) : -1;
    close(fds[0]);
    int wstatus = 0;
    if (pid > 0) {
        waitpid(pid, &wstatus, 0);
    }
    int survived = pid > 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 && got == (ssize_t)sizeof report;
    if (!CHECK(survived)) {
        if (pid > 0 && WIFSIGNALED(wstatus)) {
            fprintf(stderr, "     %s: the call killed the process with signal %d\n", label, WTERMSIG(wstatus));
        } else {
            fprintf(stderr, "     %s: the child did not report (exit status %d)\n", label,
                    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
        }
        return;
    }
    if (!CHECK(report.status == want)) {
        fprintf(stderr, "     %s: got %s, expected %s; message \"%s\"\n", label, lumen_status_name(report.status),
                lumen_status_name(want), report.message);
    }
    CHECK_CONTAINS(report.message, needle);
}

/* A feature mask whose largest id is UINT32_MAX: at most input_len groups can all be
 * used, so this is simply an invalid mask. */
static uint32_t huge_group_id(lumen_engine *engine, lumen_model *model) {
    const uint32_t mask[N] = {0, 0, 0, 0, 0, UINT32_MAX};
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    options.feature_mask = mask;
    options.feature_mask_len = N;
    lumen_explanation *ex = NULL;
    uint32_t status = lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &options, &ex);
    lumen_explanation_free(ex);
    return status;
}

/* A group id equal to input_len: one past the largest possible group count. */
static uint32_t group_id_past_input_len(lumen_engine *engine, lumen_model *model) {
    const uint32_t mask[N] = {0, 1, 2, 3, 4, N};
    lumen_feature_ablation_options options = lumen_feature_ablation_options_default();
    options.feature_mask = mask;
    options.feature_mask_len = N;
    lumen_explanation *ex = NULL;
    uint32_t status = lumen_engine_explain_feature_ablation(engine, model, x, N, 1, &options, &ex);
    lumen_explanation_free(ex);
    return status;
}

/* rows so large that rows × input_len overflows size_t (2^63 + 2 rows of 6 elements
 * wrap around to 12), with a 12-element baseline that the wrapped product would accept. */
static uint32_t overflowing_rows(lumen_engine *engine, lumen_model *model) {
    const size_t window = 2;
    const float baseline[2 * N] = {0};
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = &window;
    options.window_rank = 1;
    options.baseline = baseline;
    options.baseline_len = 2 * N;
    lumen_explanation *ex = NULL;
    uint32_t status = lumen_engine_explain_occlusion(engine, model, x, 2 * N, (SIZE_MAX / 2) + 3, &options, &ex);
    lumen_explanation_free(ex);
    return status;
}

/* A window of SIZE_MAX elements and a stride of SIZE_MAX. */
static uint32_t huge_window(lumen_engine *engine, lumen_model *model) {
    const size_t window = SIZE_MAX;
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = &window;
    options.window_rank = 1;
    lumen_explanation *ex = NULL;
    uint32_t status = lumen_engine_explain_occlusion(engine, model, x, N, 1, &options, &ex);
    lumen_explanation_free(ex);
    return status;
}

static uint32_t huge_stride(lumen_engine *engine, lumen_model *model) {
    const size_t window = 2, stride = SIZE_MAX;
    lumen_occlusion_options options = lumen_occlusion_options_default();
    options.window_shape = &window;
    options.window_rank = 1;
    options.strides = &stride;
    options.strides_rank = 1;
    lumen_explanation *ex = NULL;
    uint32_t status = lumen_engine_explain_occlusion(engine, model, x, N, 1, &options, &ex);
    lumen_explanation_free(ex);
    return status;
}

int main(void) {
    SECTION("hostile arguments come back as a status (each case in a child process)");
    check_isolated(huge_group_id, LUMEN_STATUS_INVALID_ARGUMENT, "feature_mask", "feature_mask id UINT32_MAX");
    check_isolated(group_id_past_input_len, LUMEN_STATUS_INVALID_ARGUMENT, "feature_mask",
                   "feature_mask id input_len");
    check_isolated(overflowing_rows, LUMEN_STATUS_INVALID_ARGUMENT, "rows", "rows x input_len overflows");
    check_isolated(huge_window, LUMEN_STATUS_INVALID_ARGUMENT, "window_shape", "window SIZE_MAX");
    check_isolated(huge_stride, LUMEN_STATUS_OK, "", "stride SIZE_MAX (one window)");
    return harness_report("test_crash_safety");
}
