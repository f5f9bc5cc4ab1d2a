/*
 * The contract of a Lumen model plugin: a shared library that `lumen explain --plugin
 * FILE.so` loads (dlopen through libloading) to explain a model it cannot link.
 *
 * Required export
 *   int32_t lumen_plugin_model(lumen_model_desc *desc);
 *     `desc` points to a zero-initialised descriptor owned by the caller. Fill it in exactly
 *     as for `lumen_model_new` (include/lumen.h): abi_version = LUMEN_MODEL_ABI_VERSION,
 *     input_len, output_len, predict (required), and optionally gradient, layer_gradient +
 *     layer_shape, input_shape, feature_names, flags, max_batch_rows, user_data + finalize.
 *     Return 0 on success, any other value on failure (lumen reports the code and stops).
 *     Every pointer stored in `desc` (feature names, shape, user_data) must stay valid until
 *     `finalize(user_data)` is called, or for the library's lifetime when there is none:
 *     static storage is the simple choice. lumen checks the descriptor with
 *     `lumen_model_new`, so a wrong ABI version, a NULL predict or inconsistent lengths are
 *     reported as such. It calls the entry point once, from the main thread.
 *   Feature names, when given, are the CSV header `lumen explain --input` expects (any
 *   column order); without them the CSV must have input_len columns in model order.
 *
 * Optional export
 *   const char *lumen_plugin_output_label(void);
 *     What the explained output is, with its unit, e.g. "P(good credit)", used on plot axes
 *     and in the report. NULL or a static NUL-terminated UTF-8 string.
 *
 * Threads: callbacks follow LUMEN_MODEL_CONCURRENT exactly as for C hosts. The library
 * stays loaded until the model has been freed (finalize runs before dlclose).
 *
 * Build: gcc -shared -fPIC -O2 -I include -o scorecard.so examples/plugin/scorecard.c -lm
 * (the plugin includes lumen.h for the types only; it does not link liblumen).
 */
#ifndef LUMEN_PLUGIN_H
#define LUMEN_PLUGIN_H

#include "lumen.h"

/** The name of the required entry point. */
#define LUMEN_PLUGIN_ENTRY_POINT "lumen_plugin_model"

/** The name of the optional output label. */
#define LUMEN_PLUGIN_OUTPUT_LABEL "lumen_plugin_output_label"

#if defined(_WIN32)
#define LUMEN_PLUGIN_EXPORT __declspec(dllexport)
#else
#define LUMEN_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Fills `desc`; returns 0 on success. See the contract above. */
LUMEN_PLUGIN_EXPORT int32_t lumen_plugin_model(lumen_model_desc *desc);

/** Optional: what the output is, with its unit (static string or NULL). */
LUMEN_PLUGIN_EXPORT const char *lumen_plugin_output_label(void);

#ifdef __cplusplus
}
#endif

#endif /* LUMEN_PLUGIN_H */
