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
 *     A double-precision model sets element_type = LUMEN_ELEMENT_F64 and predict_f64 (and
 *     gradient_f64, layer_gradient_f64) instead: lumen then reads the CSV's encoded input
 *     columns as doubles and hands them over unrounded (examples/plugin/scorecard64.c).
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
 * Optional export: raw attributes
 *   int32_t lumen_plugin_schema(const lumen_plugin_attribute **attributes, size_t *len);
 *     Declares the model's raw attributes (what an analyst's CSV holds: numbers in real
 *     units, categories by label or code) and how each is encoded into model inputs. Set
 *     `*attributes` to an array of `*len` attributes in static storage and return 0 (any
 *     other value is reported as the plugin's error). lumen calls it once, after
 *     `lumen_plugin_model`, copies everything and checks that the attributes cover every
 *     model input exactly once. With a schema, `lumen explain --input` also reads raw CSV
 *     files (header: the attribute names), explains one player per attribute, and writes
 *     every output in raw units and labels; CSV files of the encoded inputs still work.
 *     Kinds:
 *       LUMEN_PLUGIN_NUMERIC: input[column] = (raw - offset) / scale; `unit` (NULL or e.g.
 *         "EUR per year") and `decimals` (shown for decoded values; -1 as computed).
 *       LUMEN_PLUGIN_ONE_HOT: categories_len consecutive one-hot inputs from `column`;
 *         category c sets input[column + c] to 1, the others to 0.
 *       LUMEN_PLUGIN_CODED: one input, `column`, set to the category's `value`.
 *     A category has a `code` (as data files record it) and a `label` (in words, shown in
 *     outputs; NULL: the code); a raw cell may hold either. Names must be unique.
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

/** The name of the optional schema of raw attributes. */
#define LUMEN_PLUGIN_SCHEMA "lumen_plugin_schema"

/** A numeric raw attribute: one input, (raw - offset) / scale. */
#define LUMEN_PLUGIN_NUMERIC 0u
/** A categorical raw attribute over consecutive one-hot inputs. */
#define LUMEN_PLUGIN_ONE_HOT 1u
/** A categorical raw attribute whose category writes its value into one input. */
#define LUMEN_PLUGIN_CODED 2u

/** One category of a categorical raw attribute. */
typedef struct lumen_plugin_category {
    /** The code as data files record it, e.g. "A151" (required). */
    const char *code;
    /** What it means in words, e.g. "rent" (NULL: the code). */
    const char *label;
    /** LUMEN_PLUGIN_CODED: the number written into the attribute's input. */
    float value;
} lumen_plugin_category;

/** One raw attribute and its encoding into model inputs. */
typedef struct lumen_plugin_attribute {
    /** The name: the raw CSV column and every output's label (required, unique). */
    const char *name;
    /** LUMEN_PLUGIN_NUMERIC, LUMEN_PLUGIN_ONE_HOT or LUMEN_PLUGIN_CODED. */
    uint32_t kind;
    /** The model input (ONE_HOT: the first of categories_len consecutive inputs). */
    size_t column;
    /** NUMERIC: the unit of raw values, or NULL. */
    const char *unit;
    /** NUMERIC: subtracted from the raw value. */
    double offset;
    /** NUMERIC: divides the shifted value (finite, not 0). */
    double scale;
    /** NUMERIC: decimals shown for decoded values (-1: as computed). */
    int32_t decimals;
    /** ONE_HOT, CODED: the categories, in input order. */
    const lumen_plugin_category *categories;
    /** ONE_HOT, CODED: how many. */
    size_t categories_len;
} lumen_plugin_attribute;

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

/** Optional: the raw attributes and their encoding; returns 0 on success. */
LUMEN_PLUGIN_EXPORT int32_t lumen_plugin_schema(const lumen_plugin_attribute **attributes, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* LUMEN_PLUGIN_H */
