"""Lumen's TimeSHAP against the `timeshap` package (1.0.4) on the same model and numbers.

Not a benchmark: a conventions check. A small Elman RNN in numpy (float64) is handed to
Lumen as a C `predict` callback (ctypes, `lumen_sequence_model_desc`) and to timeshap as
`f`, so both sides call the very same function. For a few (η, L) settings it compares:
  - the pruned length and the pruning curve (timeshap's `temp_coalition_pruning`);
  - event-, feature- and cell-level values on the pruned sequence (timeshap's
    `TimeShapKernel` with nsamples = 32000, cell level with the relevant events and
    features Lumen chose, top-2/top-2), player order included.
  - the package's conventions: `lumen_engine_timeshap_pruning_curve` against every row of
    `temp_coalition_pruning(..., ret_plot_data=True)` (end points t = 0 and t = -L
    included) and its `pruning_idx`; a fixed `pruning_index` against the tolerance run
    that lands on it (bit-identical values); the players' names
    (`lumen_explanation_timeshap_player_name`) against the names of the package's
    `event_level`, `feature_level` and `cell_level` DataFrames, with their values.
Exact settings must agree to 1e-6. One sampled event-level setting (17 players) is
printed for the record, not checked: both sides sample, and timeshap inherits shap's
`l1_reg="auto"` (AIC Lasso selection when less than 20 % of the coalitions are
evaluated), which may zero the weakest players; Lumen does not select.

Needs: liblumen (`cargo build --release -p lumen`), numpy, `pip install shap==0.51.*`
and the timeshap 1.0.4 wheel unpacked (`pip download timeshap==1.0.4 --no-deps` and
unzip) with TIMESHAP_SRC pointing at the folder holding `timeshap/`. The package's
`__init__` needs altair/plotly; this script loads only its explainer modules.

    python3 benches/compare/timeshap_conventions.py
Prints one line per check and "N passed, N failed"; exits 1 on a failure.
"""
import ctypes as C
import json
import os
import sys
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SRC = os.environ.get("TIMESHAP_SRC", "/tmp/ts")
pkg = types.ModuleType("timeshap")
pkg.__path__ = [str(Path(SRC) / "timeshap")]
sys.modules["timeshap"] = pkg
import shap.explainers._kernel as kernel  # noqa: E402

kernel.Kernel = kernel.KernelExplainer
from timeshap.explainer.kernel import TimeShapKernel  # noqa: E402
from timeshap.explainer.cell_level import cell_level  # noqa: E402
from timeshap.explainer.event_level import event_level  # noqa: E402
from timeshap.explainer.feature_level import feature_level  # noqa: E402
from timeshap.explainer.pruning import temp_coalition_pruning  # noqa: E402

F, H = 3, 6
rng = np.random.default_rng(0)
W = rng.normal(size=(H, F)) * 0.6
U = rng.normal(size=(H, H)) * 0.25
B = rng.normal(size=H) * 0.2
V = rng.normal(size=H) * 1.5
BACKGROUND = np.array([[0.1, -0.2, 0.05]], dtype=np.float32)


def f(x):
    """(n, L, F) -> (n, 1) scores."""
    x = np.asarray(x, dtype=np.float64)
    h = np.zeros((x.shape[0], H))
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t, :] @ W.T + h @ U.T + B)
    return (1 / (1 + np.exp(-(h @ V + 0.1))))[:, None]


lib = C.CDLL(str(ROOT / "target/release/liblumen.so"))
PREDICT = C.CFUNCTYPE(C.c_int32, C.c_void_p, C.POINTER(C.c_float), C.c_size_t, C.c_size_t, C.POINTER(C.c_float))


@PREDICT
def predict(_user_data, inputs, rows, seq_len, outputs):
    x = np.ctypeslib.as_array(inputs, shape=(rows * seq_len * F,)).reshape(rows, seq_len, F)
    for i, value in enumerate(f(x)[:, 0]):
        outputs[i] = value
    return 0


class SequenceDesc(C.Structure):
    _fields_ = [("abi_version", C.c_uint32), ("flags", C.c_uint32), ("features", C.c_size_t),
                ("output_len", C.c_size_t), ("max_batch_rows", C.c_size_t), ("state_len", C.c_size_t),
                ("predict", PREDICT), ("run_prefix", C.c_void_p), ("predict_from_state", C.c_void_p),
                ("user_data", C.c_void_p), ("finalize", C.c_void_p), ("feature_names", C.c_void_p),
                ("feature_names_len", C.c_size_t)]


class EngineOptions(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("backend", C.c_uint32), ("threads", C.c_uint32), ("seed", C.c_uint64),
                ("budget", C.c_size_t)]


class Options(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("background", C.POINTER(C.c_float)), ("background_len", C.c_size_t),
                ("training_events", C.c_void_p), ("training_events_len", C.c_size_t), ("prune", C.c_uint32),
                ("tolerance", C.c_double), ("budget", C.c_size_t), ("error_batches", C.c_uint32),
                ("target", C.c_uint32), ("link", C.c_uint32), ("disable_state", C.c_uint32),
                ("relevance", C.c_uint32), ("top_events", C.c_size_t), ("top_features", C.c_size_t),
                ("event_threshold", C.c_double), ("feature_threshold", C.c_double), ("control", C.c_void_p),
                ("pruning_index", C.c_int64)]


class Point(C.Structure):
    _fields_ = [("split", C.c_size_t), ("newer_len", C.c_size_t), ("older", C.c_double), ("newer", C.c_double)]


class CurvePoint(C.Structure):
    _fields_ = [("t", C.c_int64), ("older", C.c_double), ("newer", C.c_double)]


lib.lumen_engine_options_default.restype = EngineOptions
lib.lumen_timeshap_options_default.restype = Options
lib.lumen_last_error_message.restype = C.c_char_p
passed = failed = 0


def check(ok, what):
    global passed, failed
    passed += bool(ok)
    failed += not ok
    print(("ok   " if ok else "FAIL ") + what)


def explain(engine, model, xs, seq_len, level, options):
    ex = C.c_void_p()
    status = lib.lumen_engine_explain_timeshap(engine, model, xs, seq_len * F, seq_len, level, C.byref(options),
                                               C.byref(ex))
    assert status == 0, lib.lumen_last_error_message()
    text = C.c_char_p()
    assert lib.lumen_explanation_to_json(ex, C.byref(text)) == 0
    doc = json.loads(text.value)
    lib.lumen_string_free(text)
    names = []
    for i in range(len(doc["parameters"]["players"])):
        name = C.c_char_p()
        assert lib.lumen_explanation_timeshap_player_name(ex, C.c_size_t(i), C.byref(name)) == 0
        names.append(name.value.decode())
    doc["timeshap_names"] = names
    lib.lumen_explanation_free(ex)
    return doc


def compare_curve(engine, model, xs, x, seq_len, eta, options, label):
    """The package-form curve and pruning index against temp_coalition_pruning's."""
    index, written, points = C.c_int64(), C.c_size_t(), (CurvePoint * (seq_len + 1))()
    assert lib.lumen_engine_timeshap_pruning_curve(engine, model, xs, seq_len * F, seq_len, C.byref(options),
                                                   C.byref(index), points, seq_len + 1, C.byref(written)) == 0
    their_index, plot = temp_coalition_pruning(f, x, BACKGROUND, eta, ret_plot_data=True)
    check(index.value == their_index, f"{label}: pruning_idx timeshap {their_index}, Lumen {index.value}")
    ours = {}
    for p in points[: written.value]:
        ours[("Sum of contribution of events \u2264 t", p.t)] = p.older
        ours[("Sum of contribution of events \u003E t", p.t)] = p.newer
    theirs = {(row[0], int(row[1])): float(row[2]) for row in plot.itertuples(index=False)}
    same_rows = set(ours) == set(theirs)
    diff = max(abs(ours[k] - theirs[k]) for k in theirs) if same_rows else float("inf")
    ends = [t for t in (0, -seq_len) if any(k[1] == t for k in theirs)]
    check(same_rows and diff < 1e-6 and len(ends) == 2,
          f"{label}: (t, value) curve, {len(theirs)} rows with t = 0 and t = -{seq_len}, max |diff| {diff:.2e}")
    return index.value


def compare_names(values, names, frame, label, mode, exact):
    """Lumen's timeshap names and values against one of the package's level DataFrames."""
    if mode == "cell":
        theirs = {f"({e}, {feat})" if e != "Pruned Events" else "(Pruned Events, Pruned Events)": float(v)
                  for e, feat, v in zip(frame["Event"], frame["Feature"], frame["Shapley Value"])}
    else:
        theirs = {name: float(v) for name, v in zip(frame["Feature"], frame["Shapley Value"])}
    ours = dict(zip(names, values))
    same = set(ours) == set(theirs) and len(ours) == len(names)
    if mode != "cell":
        same = same and names == list(frame["Feature"])  # same order, too
    diff = max(abs(ours[k] - theirs[k]) for k in theirs) if same else float("inf")
    ok = same and (diff < 1e-6 or (mode == "event" and not exact))
    check(ok, f"{label}: {mode} level names as the package writes them ({names[0]!r} ...), max |diff| {diff:.2e}")


def compare(engine, model, eta, seq_len, exact):
    x = (rng.normal(size=(1, seq_len, F)) * 0.8).astype(np.float32)
    xs = (C.c_float * (seq_len * F))(*x.ravel())
    options = lib.lumen_timeshap_options_default()
    background = (C.c_float * F)(*BACKGROUND[0])
    options.background, options.background_len = background, F
    options.prune, options.tolerance = 1, eta
    options.top_events = options.top_features = 2
    pruned, written, curve = C.c_size_t(), C.c_size_t(), (Point * (seq_len - 1))()
    assert lib.lumen_engine_timeshap_prune(engine, model, xs, seq_len * F, seq_len, C.byref(options), 1,
                                           C.byref(pruned), curve, seq_len - 1, C.byref(written)) == 0
    index, plot = temp_coalition_pruning(f, x, BACKGROUND, eta, ret_plot_data=True)
    label = f"η={eta} L={seq_len}"
    check(-index == pruned.value, f"{label}: pruned length timeshap {-index}, Lumen {pruned.value}")
    ours = {curve[i].split: curve[i].older for i in range(written.value)}
    older = plot[plot["Coalition"].str.contains("\u2264")]
    diffs = [abs(ours[seq_len + int(t)] - v) for t, v in zip(older["t (event index)"], older["Shapley Value"])
             if seq_len + int(t) in ours]
    check(max(diffs) < 1e-6, f"{label}: pruning curve, max |diff| {max(diffs):.2e} over {len(diffs)} splits")
    split = seq_len - pruned.value
    index = compare_curve(engine, model, xs, x, seq_len, eta, options, label)
    fixed = Options.from_buffer_copy(options)
    fixed.prune, fixed.pruning_index = 0, index
    frames = {}
    for mode, level in [("event", 0), ("feature", 1), ("cell", 2)]:
        doc = explain(engine, model, xs, seq_len, level, options)
        by_index = explain(engine, model, xs, seq_len, level, fixed)
        check(by_index["attributions"] == doc["attributions"] and by_index["timeshap_names"] == doc["timeshap_names"],
              f"{label}: {mode} level at pruning_index {index} equals the tolerance run, bit for bit")
        if mode == "event":
            frames[mode] = event_level(f, x, BACKGROUND, split, 0, 32000)
        elif mode == "feature":
            frames[mode] = feature_level(f, x, BACKGROUND, split, 0, 32000)
        else:
            frames[mode] = cell_level(f, x, BACKGROUND, frames["event"], frames["feature"], 0, 32000,
                                      {"top_x_events": 2, "top_x_feats": 2}, split)
        compare_names(doc["attributions"], doc["timeshap_names"], frames[mode], label, mode, exact)
        varying = None
        if mode == "cell":
            cells = [p for p in doc["parameters"]["players"] if p["kind"] == "cell"]
            varying = (sorted({p["event"] for p in cells}), sorted({p["feature"] for p in cells}))
        theirs = np.asarray(TimeShapKernel(f, BACKGROUND, 0, mode, varying=varying)
                            .shap_values(x, pruning_idx=split, nsamples=32000)).ravel()
        lumen = np.asarray(doc["attributions"])
        diff = float(np.max(np.abs(theirs - lumen)))
        if exact or mode != "event":
            check(diff < 1e-6, f"{label}: {mode} level, {len(lumen)} players, max |diff| {diff:.2e}")
        else:
            print(f"note {label}: sampled {mode} level, {len(lumen)} players, max |diff| {diff:.2e}; "
                  f"timeshap zeroes {int(np.sum(theirs == 0))} players (shap's l1_reg='auto')")


def main():
    engine_options = lib.lumen_engine_options_default()
    engine_options.backend, engine_options.threads = 1, 2
    engine = C.c_void_p()
    assert lib.lumen_engine_new(C.byref(engine_options), C.byref(engine)) == 0
    desc = SequenceDesc(abi_version=1, features=F, output_len=1, predict=predict)
    model = C.c_void_p()
    assert lib.lumen_sequence_model_new(C.byref(desc), C.byref(model)) == 0
    for eta, seq_len, exact in [(0.01, 12, True), (1e-3, 20, True), (1e-4, 20, True), (1e-6, 30, False)]:
        compare(engine, model, eta, seq_len, exact)
    lib.lumen_sequence_model_free(model)
    lib.lumen_engine_free(engine)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
