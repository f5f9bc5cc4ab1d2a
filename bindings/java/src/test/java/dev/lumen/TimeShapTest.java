package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * TimeSHAP from Java against a decaying linear model with a closed form:
 * f(seq) = Σ_t γ^(L−1−t) Σ_j w_j x_{t,j}, whose value for any set of cells is the sum of their
 * γ^(L−1−t) w_j (x_{t,j} − b_j).
 */
class TimeShapTest {
    private static final int F = 2;
    private static final double GAMMA = 0.7;
    private static final double[] W = {0.8, -0.5};
    private static final float[] B = {0.1f, 0.2f};
    private static final double TOLERANCE = 1e-5;

    /** The recurrence h_t = γ h_{t−1} + w·x_t from {@code h} over one sequence starting at {@code offset}. */
    private static double run(double h, float[] x, int offset, int seqLen) {
        for (int t = 0; t < seqLen; t++) {
            double s = 0;
            for (int j = 0; j < F; j++) {
                s += W[j] * x[offset + t * F + j];
            }
            h = GAMMA * h + s;
        }
        return h;
    }

    /** γ^(L−1−t) w_j (x_{t,j} − b_j). */
    private static double cell(float[] x, int seqLen, int t, int j) {
        return Math.pow(GAMMA, seqLen - 1 - t) * W[j] * (x[t * F + j] - B[j]);
    }

    private static final SequenceModel DECAYING = (in, rows, seqLen, out) -> {
        for (int r = 0; r < rows; r++) {
            out[r] = (float) run(0, in, r * seqLen * F, seqLen);
        }
    };

    /** The decaying model with its state h exposed. */
    private static final class Stateful implements SequenceModel {
        final AtomicInteger fromState = new AtomicInteger();

        @Override
        public void predict(float[] in, int rows, int seqLen, float[] out) throws Exception {
            DECAYING.predict(in, rows, seqLen, out);
        }

        @Override
        public void runPrefix(float[] initial, float[] in, int rows, int seqLen, float[] states) {
            for (int r = 0; r < rows; r++) {
                states[r] = (float) run(initial == null ? 0 : initial[r], in, r * seqLen * F, seqLen);
            }
        }

        @Override
        public void predictFromState(float[] states, float[] in, int rows, int seqLen, float[] out) {
            fromState.incrementAndGet();
            for (int r = 0; r < rows; r++) {
                out[r] = (float) run(states[r], in, r * seqLen * F, seqLen);
            }
        }
    }

    private static float[] sequence(int seqLen, int salt) {
        float[] x = new float[seqLen * F];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(0.37 * (i + 1) + salt);
        }
        return x;
    }

    private static SequenceModelHandle decaying() {
        return new SequenceModelHandle(DECAYING, SequenceModelSpec.of(F, 1).featureNames("amount", "hour"));
    }

    private static double sum(float[] values) {
        double s = 0;
        for (float v : values) {
            s += v;
        }
        return s;
    }

    @Test
    void eventLevelMatchesTheClosedForm() {
        int L = 6;
        float[] x = sequence(L, 1);
        try (Engine engine = new Engine();
                SequenceModelHandle model = decaying();
                TimeShapExplanation e = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT,
                        new TimeShapOptions(B))) {
            float[] values = e.values();
            assertEquals(L, values.length);
            assertTrue(e.exact());
            assertEquals(L, e.prunedLength());
            for (int i = 0; i < L; i++) {
                int t = L - 1 - i;
                Player p = e.players().get(i);
                assertEquals(new Player(Player.Kind.EVENT, t, -1, "Event -" + (i + 1)), p);
                assertEquals(cell(x, L, t, 0) + cell(x, L, t, 1), values[i], TOLERANCE);
            }
            float[] background = new float[L * F];
            for (int t = 0; t < L; t++) {
                System.arraycopy(B, 0, background, t * F, F);
            }
            assertEquals(run(0, x, 0, L), e.prediction(), TOLERANCE);
            assertEquals(run(0, background, 0, L), e.baseValue(), TOLERANCE);
            assertEquals(e.prediction() - e.baseValue(), sum(values), TOLERANCE);
            for (float se : e.standardErrors()) {
                assertEquals(0f, se, 0f);
            }
            assertTrue(e.toJson().contains("\"method\":\"time_shap\""));
            assertEquals("time_shap", e.explanation().method());
        }
    }

    @Test
    void featureAndCellLevels() {
        int L = 6;
        float[] x = sequence(L, 2);
        try (Engine engine = new Engine(); SequenceModelHandle model = decaying()) {
            try (TimeShapExplanation e = engine.explainTimeShap(model, x, L, TimeShapLevel.FEATURE,
                    new TimeShapOptions(B))) {
                assertEquals(List.of(new Player(Player.Kind.FEATURE, -1, 0, "amount"),
                        new Player(Player.Kind.FEATURE, -1, 1, "hour")), e.players());
                for (int j = 0; j < F; j++) {
                    double want = 0;
                    for (int t = 0; t < L; t++) {
                        want += cell(x, L, t, j);
                    }
                    assertEquals(want, e.values()[j], TOLERANCE);
                }
            }
            try (TimeShapExplanation e = engine.explainTimeShap(model, x, L, TimeShapLevel.CELL,
                    new TimeShapOptions(B).topK(2, 1))) {
                float[] values = e.values();
                int cells = 0;
                boolean other = false;
                for (int i = 0; i < values.length; i++) {
                    Player p = e.players().get(i);
                    if (p.kind() == Player.Kind.CELL) {
                        cells++;
                        assertEquals(cell(x, L, p.event(), p.feature()), values[i], TOLERANCE);
                    }
                    other |= p.kind() == Player.Kind.OTHER_CELLS;
                }
                assertEquals(2, cells);
                assertTrue(other);
                assertEquals(e.prediction() - e.baseValue(), sum(values), TOLERANCE);
            }
            try (TimeShapExplanation e = engine.explainTimeShap(model, x, L, TimeShapLevel.CELL,
                    new TimeShapOptions(B).thresholds(1e9, 1e9))) {
                assertEquals(List.of(Player.Kind.OTHER_CELLS), e.players().stream().map(Player::kind).toList());
            }
        }
    }

    @Test
    void pruningKeepsExactlyTheEventsTheModelReads() {
        int k = 3;
        int L = 12;
        SequenceModel lastK = (in, rows, seqLen, out) -> {
            for (int r = 0; r < rows; r++) {
                out[r] = (float) run(0, in, (r * seqLen + seqLen - k) * F, k);
            }
        };
        float[] x = sequence(L, 3);
        TimeShapOptions o = new TimeShapOptions(B).tolerance(0.0);
        try (Engine engine = new Engine(); SequenceModelHandle model = new SequenceModelHandle(lastK,
                SequenceModelSpec.of(F, 1))) {
            Pruning pruning = engine.timeshapPrune(model, x, L, o, false);
            assertEquals(k, pruning.prunedLength());
            assertEquals(k, pruning.curve().size());
            assertEquals(L - 1, pruning.curve().get(0).split());
            assertEquals(1, pruning.curve().get(0).newerLength());
            assertEquals(0.0, pruning.curve().get(k - 1).olderValue(), 0.0);
            Pruning full = engine.timeshapPrune(model, x, L, o, true);
            assertEquals(k, full.prunedLength());
            assertEquals(L - 1, full.curve().size());
            assertEquals(1, full.curve().get(L - 2).split());
            try (TimeShapExplanation e = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT, o)) {
                assertEquals(k + 1, e.players().size());
                assertEquals(new Player(Player.Kind.PRUNED_EVENTS, -1, -1, "Pruned Events"), e.players().get(k));
                assertEquals(0.0, e.values()[k], 1e-6);
                assertEquals(k, e.prunedLength());
            }
        }
        try (Engine engine = new Engine(); SequenceModelHandle model = decaying()) {
            assertEquals(L, engine.timeshapPrune(model, x, L, new TimeShapOptions(B), false).prunedLength());
            int loose = engine.timeshapPrune(model, x, L, new TimeShapOptions(B).tolerance(0.05), false)
                    .prunedLength();
            int tight = engine.timeshapPrune(model, x, L, new TimeShapOptions(B).tolerance(1e-4), false)
                    .prunedLength();
            assertTrue(loose < tight && tight <= L, loose + " < " + tight);
        }
    }

    private static SequenceModelHandle lastK(int k) {
        SequenceModel lastK = (in, rows, seqLen, out) -> {
            for (int r = 0; r < rows; r++) {
                out[r] = (float) run(0, in, (r * seqLen + seqLen - k) * F, k);
            }
        };
        return new SequenceModelHandle(lastK, SequenceModelSpec.of(F, 1).featureNames("amount", "hour"));
    }

    @Test
    void aFixedPruningIndexEqualsTheToleranceRunThatLandsOnIt() {
        int k = 3;
        int L = 12;
        float[] x = sequence(L, 3);
        try (Engine engine = new Engine(); SequenceModelHandle model = lastK(k)) {
            for (TimeShapLevel level : TimeShapLevel.values()) {
                try (TimeShapExplanation byTolerance = engine.explainTimeShap(model, x, L, level,
                                new TimeShapOptions(B).tolerance(0.0).topK(2, 1));
                        TimeShapExplanation byIndex = engine.explainTimeShap(model, x, L, level,
                                TimeShapOptions.builder(B).pruningIndex(-k).topK(2, 1).build())) {
                    assertEquals(k, byTolerance.prunedLength());
                    assertEquals(-k, byTolerance.pruningIndex());
                    assertEquals(k, byIndex.prunedLength());
                    assertEquals(byTolerance.players(), byIndex.players());
                    assertArrayEquals(byTolerance.values(), byIndex.values());
                }
            }
            Pruning fixed = engine.timeshapPrune(model, x, L, new TimeShapOptions(B).pruningIndex(-k), false);
            assertEquals(k, fixed.prunedLength());
            assertEquals(-k, fixed.pruningIndex());
            assertEquals(List.of(), fixed.curve());
            InvalidArgumentException both = assertThrows(InvalidArgumentException.class, () -> engine.explainTimeShap(
                    model, x, L, TimeShapLevel.EVENT, new TimeShapOptions(B).tolerance(0.1).pruningIndex(-2)).close());
            assertTrue(both.getMessage().contains("set one of them"), both.getMessage());
            InvalidArgumentException far = assertThrows(InvalidArgumentException.class, () -> engine.explainTimeShap(
                    model, x, L, TimeShapLevel.EVENT, new TimeShapOptions(B).pruningIndex(-13)).close());
            assertTrue(far.getMessage().contains("-12 <= index <= -1"), far.getMessage());
            InvalidArgumentException positive = assertThrows(InvalidArgumentException.class, () -> engine
                    .explainTimeShap(model, x, L, TimeShapLevel.EVENT, new TimeShapOptions(B).pruningIndex(2)).close());
            assertTrue(positive.getMessage().contains("expected a negative index"), positive.getMessage());
        }
    }

    @Test
    void thePruningCurveInTheTimeshapFormHasBothEndPoints() {
        int k = 3;
        int L = 12;
        float[] x = sequence(L, 3);
        try (Engine engine = new Engine(); SequenceModelHandle model = lastK(k)) {
            TimeShapOptions o = new TimeShapOptions(B).tolerance(0.0);
            TimeShapPruningCurve curve = engine.timeshapPruningCurve(model, x, L, o);
            Pruning lumen = engine.timeshapPrune(model, x, L, o, true);
            assertEquals(-k, curve.pruningIndex());
            assertEquals(lumen.pruningIndex(), curve.pruningIndex());
            assertEquals(L + 1, curve.points().size());
            TimeShapCurvePoint first = curve.points().get(0);
            TimeShapCurvePoint last = curve.points().get(L);
            assertEquals(0, first.t());
            assertEquals(0.0, first.newerValue(), 0.0);
            assertEquals(new TimeShapCurvePoint(-L, 0.0, first.olderValue()), last);
            for (int i = 1; i < L; i++) {
                TimeShapCurvePoint p = curve.points().get(i);
                PruningPoint ours = lumen.curve().get(i - 1);
                assertEquals(-i, p.t());
                assertEquals(ours.split() - L, p.t());
                assertEquals(ours.olderValue(), p.olderValue(), 0.0);
                assertEquals(ours.newerValue(), p.newerValue(), 0.0);
            }
            assertEquals(-L, engine.timeshapPruningCurve(model, x, L, new TimeShapOptions(B)).pruningIndex());
        }
    }

    @Test
    void timeshapPlayersAreNamedAndNumberedLikeThePackage() {
        int k = 3;
        int L = 8;
        float[] x = sequence(L, 4);
        TimeShapOptions o = new TimeShapOptions(B).pruningIndex(-k).topK(1, 1);
        try (Engine engine = new Engine(); SequenceModelHandle model = lastK(k);
                TimeShapExplanation events = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT, o);
                TimeShapExplanation features = engine.explainTimeShap(model, x, L, TimeShapLevel.FEATURE, o);
                TimeShapExplanation cells = engine.explainTimeShap(model, x, L, TimeShapLevel.CELL, o)) {
            assertEquals(List.of(new TimeShapPlayer("Event -1", OptionalInt.of(-1), OptionalInt.empty()),
                    new TimeShapPlayer("Event -2", OptionalInt.of(-2), OptionalInt.empty()),
                    new TimeShapPlayer("Event -3", OptionalInt.of(-3), OptionalInt.empty()),
                    new TimeShapPlayer("Pruned Events", OptionalInt.empty(), OptionalInt.empty())),
                    events.timeshapPlayers());
            assertEquals(L - 1, events.players().get(0).event());
            assertEquals(List.of("amount", "hour", "Pruned Events"),
                    features.timeshapPlayers().stream().map(TimeShapPlayer::name).toList());
            TimeShapPlayer cell = cells.timeshapPlayers().get(0);
            String feature = List.of("amount", "hour").get(cell.feature().getAsInt());
            String event = "Event " + cell.event().getAsInt();
            assertEquals(List.of("(" + event + ", " + feature + ")", "(" + event + ", Other Features)",
                    "(Other Events, " + feature + ")", "(Other Events, Other Features)",
                    "(Pruned Events, Pruned Events)"),
                    cells.timeshapPlayers().stream().map(TimeShapPlayer::name).toList());
            assertEquals("Other Cells", cells.players().get(3).name());
        }
    }

    @Test
    void theOptionsBuilderTakesTimeshapNamesAndRefusesUnknownOnes() {
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("nsamples", 200);
        settings.put("pruning_idx", -3);
        settings.put("top_x_events", 2);
        settings.put("top_x_feats", 1);
        settings.put("useState", false);
        TimeShapOptions built = TimeShapOptions.builder(B).setAll(settings).build();
        TimeShapOptions typed = new TimeShapOptions(B).budget(200).pruningIndex(-3).topK(2, 1).useState(false);
        assertArrayEquals(typed.ints(), built.ints());
        assertArrayEquals(typed.reals(), built.reals());
        assertArrayEquals(new TimeShapOptions(B).tolerance(0.5).reals(),
                TimeShapOptions.builder(B).set("tol", 0.5).build().reals());
        InvalidArgumentException unknown = assertThrows(InvalidArgumentException.class,
                () -> TimeShapOptions.builder(B).set("tolerence", 0.1));
        assertTrue(unknown.getMessage().contains("unknown setting 'tolerence'"), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("valid settings: tolerance, pruningIndex, budget"),
                unknown.getMessage());
        assertTrue(unknown.getMessage().contains("nsamples (= budget)"), unknown.getMessage());
        InvalidArgumentException twice = assertThrows(InvalidArgumentException.class,
                () -> TimeShapOptions.builder(B).set("budget", 10).set("nsamples", 20));
        assertTrue(twice.getMessage().contains("budget is given twice"), twice.getMessage());
        InvalidArgumentException type = assertThrows(InvalidArgumentException.class,
                () -> TimeShapOptions.builder(B).set("budget", "many"));
        assertTrue(type.getMessage().contains("budget is String, expected a Number"), type.getMessage());
        TimeShapOptions linear = new TimeShapOptions(B).estimator(Estimator.LEVERAGE_STRATIFIED);
        for (Object name : List.of(Estimator.LEVERAGE_STRATIFIED, "leverage_stratified", "LEVERAGE_STRATIFIED",
                "leverage-stratified")) {
            assertArrayEquals(linear.ints(), TimeShapOptions.builder(B).set("estimator", name).build().ints());
        }
        assertArrayEquals(new TimeShapOptions(B).ints(),
                TimeShapOptions.builder(B).set("estimator", "default").build().ints());
        InvalidArgumentException estimator = assertThrows(InvalidArgumentException.class,
                () -> TimeShapOptions.builder(B).set("estimator", "kernel"));
        assertTrue(estimator.getMessage().contains("estimator: is 'kernel', expected one of shap, leverage, "
                + "leverage_stratified"), estimator.getMessage());
        InvalidArgumentException estimatorType = assertThrows(InvalidArgumentException.class,
                () -> TimeShapOptions.builder(B).set("estimator", 3));
        assertTrue(estimatorType.getMessage().contains("estimator is Integer, expected an Estimator or its name"),
                estimatorType.getMessage());
        InvalidArgumentException both = assertThrows(InvalidArgumentException.class,
                () -> TimeShapOptions.builder(B).tolerance(0.1).pruningIndex(-2).build());
        assertTrue(both.getMessage().contains("set one of them"), both.getMessage());
    }

    /** The decaying model through tanh: not linear, so a sampled level has an error to fit. */
    private static SequenceModel squashed() {
        return (in, rows, seqLen, out) -> {
            for (int r = 0; r < rows; r++) {
                out[r] = (float) Math.tanh(run(0, in, r * seqLen * F, seqLen));
            }
        };
    }

    @Test
    void sampledLevelsUseTheEnginesJackknifeGroupsAndTheChosenEstimator() {
        int L = 12;
        float[] x = sequence(L, 2);
        SequenceModel squashed = squashed();
        CallOptions seeded = new CallOptions().seed(5);
        try (Engine engine = new Engine();
                SequenceModelHandle model = new SequenceModelHandle(squashed, SequenceModelSpec.of(F, 1));
                TimeShapExplanation byDefault = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT,
                        new TimeShapOptions(B).budget(200), seeded);
                TimeShapExplanation engines = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT,
                        new TimeShapOptions(B).budget(200).errorBatches(64), seeded);
                TimeShapExplanation ten = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT,
                        new TimeShapOptions(B).budget(200).errorBatches(10), seeded);
                TimeShapExplanation topTriples = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT,
                        new TimeShapOptions(B).budget(200).estimator(Estimator.LEVERAGE_TOP_TRIPLES), seeded);
                TimeShapExplanation linear = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT,
                        new TimeShapOptions(B).budget(200).estimator(Estimator.LEVERAGE_STRATIFIED), seeded);
                TimeShapExplanation zeroBudget = engine.explainTimeShap(model, x, L, TimeShapLevel.EVENT,
                        new TimeShapOptions(B).budget(0), seeded)) {
            // Budget 0 is the default, 32000 coalitions: every one of the 4094 here.
            assertTrue(zeroBudget.toJson().contains("\"budget\":32000"), zeroBudget.toJson());
            assertTrue(zeroBudget.exact());
            assertFalse(byDefault.exact());
            assertArrayEquals(engines.values(), byDefault.values());
            assertArrayEquals(engines.standardErrors(), byDefault.standardErrors());
            assertArrayEquals(ten.values(), byDefault.values());
            assertFalse(Arrays.equals(ten.standardErrors(), byDefault.standardErrors()));
            // The default estimator, recorded by name; 0.2's linear fit gives other values.
            assertTrue(byDefault.toJson().contains("\"estimator\":\"leverage_top_triples\""));
            assertArrayEquals(topTriples.values(), byDefault.values());
            assertTrue(linear.toJson().contains("\"estimator\":\"leverage_stratified\""));
            assertFalse(Arrays.equals(linear.values(), byDefault.values()));
        }
        assertThrows(InvalidArgumentException.class, () -> new TimeShapOptions(B).estimator(null));
    }

    @Test
    void theStatePathGivesTheSameValues() {
        int L = 10;
        float[] x = sequence(L, 4);
        Stateful stateful = new Stateful();
        TimeShapOptions o = new TimeShapOptions(B).tolerance(0.01);
        try (Engine engine = new Engine();
                SequenceModelHandle withState = new SequenceModelHandle(stateful,
                        SequenceModelSpec.of(F, 1).withState(1));
                SequenceModelHandle plain = decaying();
                TimeShapExplanation a = engine.explainTimeShap(withState, x, L, TimeShapLevel.EVENT, o);
                TimeShapExplanation b = engine.explainTimeShap(plain, x, L, TimeShapLevel.EVENT, o)) {
            assertTrue(stateful.fromState.get() > 0);
            Fixtures.assertClose(b.values(), a.values(), TOLERANCE);
            stateful.fromState.set(0);
            engine.explainTimeShap(withState, x, L, TimeShapLevel.EVENT, o.useState(false)).close();
            assertEquals(0, stateful.fromState.get());
        }
    }

    @Test
    void trainingEventsGiveTheirMeanEvent() {
        float[] x = sequence(5, 5);
        try (Engine engine = new Engine();
                SequenceModelHandle model = decaying();
                TimeShapExplanation a = engine.explainTimeShap(model, x, 5, TimeShapLevel.EVENT,
                        TimeShapOptions.averageEventOf(new float[] {0.0f, 0.1f, 0.2f, 0.3f}));
                TimeShapExplanation b = engine.explainTimeShap(model, x, 5, TimeShapLevel.EVENT,
                        new TimeShapOptions(B))) {
            Fixtures.assertClose(b.values(), a.values(), TOLERANCE);
        }
    }

    @Test
    void globalReport() {
        int[] lengths = {5, 6, 7};
        float[][] each = new float[3][];
        float[] all = new float[(5 + 6 + 7) * F];
        int at = 0;
        double lastMean = 0;
        double amountMean = 0;
        double shareMean = 0;
        for (int i = 0; i < 3; i++) {
            each[i] = sequence(lengths[i], 10 + i);
            System.arraycopy(each[i], 0, all, at, each[i].length);
            at += each[i].length;
            int L = lengths[i];
            double last = cell(each[i], L, L - 1, 0) + cell(each[i], L, L - 1, 1);
            double total = 0;
            for (int t = 0; t < L; t++) {
                amountMean += cell(each[i], L, t, 0) / 3;
                total += cell(each[i], L, t, 0) + cell(each[i], L, t, 1);
            }
            lastMean += last / 3;
            shareMean += last / total / 3;
        }
        try (Engine engine = new Engine(); SequenceModelHandle model = decaying()) {
            TimeShapGlobal report = engine.timeshapGlobal(model, all, lengths, new TimeShapOptions(B),
                    new double[] {0.0, 0.05}, 2);
            assertEquals(3, report.sequences());
            assertEquals(7, report.eventImportance().size());
            assertEquals(3, report.eventImportance().get(0).count());
            assertEquals(1, report.eventImportance().get(6).count());
            assertEquals(lastMean, report.eventImportance().get(0).mean(), TOLERANCE);
            assertEquals(F, report.featureImportance().size());
            assertEquals(amountMean, report.featureImportance().get(0).mean(), TOLERANCE);
            assertEquals(shareMean, report.mostRecentShare().mean(), 1e-4);
            assertEquals(2, report.pruningTable().size());
            assertEquals(0.05, report.pruningTable().get(1).tolerance(), 0.0);
            assertTrue(report.pruningTable().get(1).meanLength() <= report.pruningTable().get(0).meanLength());
            assertTrue(report.json().contains("\"pruning_table\""));
        }
    }

    private static <T extends LumenException> T fails(Class<T> type, Status status, String needle, Executable call) {
        T e = assertThrows(type, call);
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().contains(needle), e.getMessage());
        return e;
    }

    @Test
    void badInputGivesClearErrors() {
        float[] x = sequence(4, 6);
        try (Engine engine = new Engine(); SequenceModelHandle model = decaying()) {
            TimeShapOptions o = new TimeShapOptions(B);
            fails(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "seq_len",
                    () -> engine.explainTimeShap(model, new float[] {1f, 2f}, 1, TimeShapLevel.EVENT, o));
            fails(InvalidArgumentException.class, Status.LENGTH_MISMATCH, "sequence",
                    () -> engine.explainTimeShap(model, new float[7], 4, TimeShapLevel.EVENT, o));
            float[] nan = x.clone();
            nan[3] = Float.NaN;
            fails(InvalidArgumentException.class, Status.NON_FINITE_INPUT, "sequence",
                    () -> engine.explainTimeShap(model, nan, 4, TimeShapLevel.EVENT, o));
            fails(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "tolerance",
                    () -> engine.timeshapPrune(model, x, 4, new TimeShapOptions(B).tolerance(-0.5), false));
            fails(InvalidArgumentException.class, Status.LENGTH_MISMATCH, "background",
                    () -> engine.explainTimeShap(model, x, 4, TimeShapLevel.EVENT,
                            new TimeShapOptions(new float[] {1f, 2f, 3f})));
            fails(InvalidArgumentException.class, Status.NULL_POINTER, "sequence",
                    () -> engine.explainTimeShap(model, (float[]) null, 4, TimeShapLevel.EVENT, o));
            fails(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "seqLen",
                    () -> engine.explainTimeShap(model, x, -4, TimeShapLevel.EVENT, o));
            fails(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "sequence 1: seq_len",
                    () -> engine.timeshapGlobal(model, new float[10], new int[] {4, 1}, o, new double[] {0.0}, 2));
            fails(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "seeds",
                    () -> engine.timeshapGlobal(model, new float[16], new int[] {4, 4}, o, new double[] {0.0}, 1));
            fails(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "budget: is -5",
                    () -> engine.explainTimeShap(model, x, 4, TimeShapLevel.EVENT, new TimeShapOptions(B).budget(-5)));
            fails(InvalidArgumentException.class, Status.NULL_POINTER, "background",
                    () -> new TimeShapOptions((float[]) null));
            fails(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "features",
                    () -> new SequenceModelHandle(DECAYING, SequenceModelSpec.of(0, 1)));
            fails(InvalidArgumentException.class, Status.NULL_POINTER, "model",
                    () -> new SequenceModelHandle(null, SequenceModelSpec.of(F, 1)));
        }
    }

    @Test
    void failingModelsComeBackWithTheirCause() {
        float[] x = sequence(4, 7);
        SequenceModel broken = (in, rows, seqLen, out) -> {
            throw new IllegalStateException("feature store down for " + seqLen + " events");
        };
        SequenceModel nan = (in, rows, seqLen, out) -> java.util.Arrays.fill(out, Float.NaN);
        try (Engine engine = new Engine();
                SequenceModelHandle throwing = new SequenceModelHandle(broken, SequenceModelSpec.of(F, 1));
                SequenceModelHandle nanModel = new SequenceModelHandle(nan, SequenceModelSpec.of(F, 1))) {
            ModelException e = fails(ModelException.class, Status.MODEL_FAILED, "feature store down",
                    () -> engine.explainTimeShap(throwing, x, 4, TimeShapLevel.EVENT, new TimeShapOptions(B)));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            fails(ModelException.class, Status.MODEL_NON_FINITE_OUTPUT, "",
                    () -> engine.explainTimeShap(nanModel, x, 4, TimeShapLevel.EVENT, new TimeShapOptions(B)));
            // A stateful spec whose model does not implement the state methods.
            try (SequenceModelHandle missing = new SequenceModelHandle(DECAYING,
                    SequenceModelSpec.of(F, 1).withState(1))) {
                ModelException m = fails(ModelException.class, Status.MODEL_FAILED, "exposes no state",
                        () -> engine.explainTimeShap(missing, x, 4, TimeShapLevel.EVENT,
                                new TimeShapOptions(B).tolerance(0.0)));
                assertInstanceOf(UnsupportedOperationException.class, m.getCause());
            }
        }
    }
}
