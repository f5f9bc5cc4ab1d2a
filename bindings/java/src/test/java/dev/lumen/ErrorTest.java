package dev.lumen;

import static dev.lumen.Fixtures.BASELINE;
import static dev.lumen.Fixtures.BIAS;
import static dev.lumen.Fixtures.TOLERANCE;
import static dev.lumen.Fixtures.WEIGHTS;
import static dev.lumen.Fixtures.X;
import static dev.lumen.Fixtures.assertClose;
import static dev.lumen.Fixtures.linearAttributions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad input from Java, and failures of the Java model, each give a Java exception (never a crash). */
class ErrorTest {
    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);
    private Engine engine;
    private ModelHandle model;

    @BeforeEach
    void open() {
        engine = new Engine(new EngineOptions().threads(4));
        model = new ModelHandle(linear, linear.spec());
    }

    @AfterEach
    void close() {
        model.close();
        engine.close();
    }

    private static <T extends LumenException> T expect(Class<T> type, Status status, String messageStart,
            org.junit.jupiter.api.function.Executable call) {
        T e = assertThrows(type, call);
        assertEquals(status, e.status(), e.getMessage());
        assertTrue(e.getMessage().startsWith(messageStart), "message: " + e.getMessage());
        return e;
    }

    @Test
    void nullArraysAreRefusedByName() {
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "inputs: is null",
                () -> engine.occlusion(model, (float[]) null, 2, new OcclusionOptions(1)));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "windowShape: is null",
                () -> engine.occlusion(model, X, 2, new OcclusionOptions((int[]) null)));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "background: is null",
                () -> engine.kernelShap(model, X, 2, new KernelShapOptions((float[]) null)));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "baselines: is null",
                () -> engine.gradientShap(model, X, 2, new GradientShapOptions((float[]) null)));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "training: is null",
                () -> engine.counterfactuals(model, X, 2, new PermuteAttackOptions((float[]) null)));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "options: is null",
                () -> engine.saliency(model, X, 2, null));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "model: is null",
                () -> engine.saliency(null, X, 2, new SaliencyOptions()));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "model: is null",
                () -> new ModelHandle(null, ModelSpec.of(4, 1)));
        expect(InvalidArgumentException.class, Status.NULL_POINTER, "inputShape: is null",
                () -> new ModelHandle(linear, ModelSpec.shaped(null, 1)));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "playerNames: element 1 is null",
                () -> engine.kernelShap(model, X, 2, new KernelShapOptions(BASELINE).playerNames("a", null, "c", "d")));
    }

    @Test
    void wrongLengthsNameTheArgumentAndTheExpectedLength() {
        expect(InvalidArgumentException.class, Status.LENGTH_MISMATCH,
                "inputs: length 7, expected rows × input_len = 2 × 4 = 8",
                () -> engine.occlusion(model, new float[7], 2, new OcclusionOptions(1)));
        expect(InvalidArgumentException.class, Status.LENGTH_MISMATCH, "feature_mask: length 3",
                () -> engine.featureAblation(model, X, 2, new FeatureAblationOptions().featureMask(0, 1, 2)));
        expect(InvalidArgumentException.class, Status.LENGTH_MISMATCH, "background: length 5",
                () -> engine.kernelShap(model, X, 2, new KernelShapOptions(new float[5])));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "rows: is -1",
                () -> engine.occlusion(model, X, -1, new OcclusionOptions(1)));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "rows: is 0",
                () -> engine.occlusion(model, new float[0], 0, new OcclusionOptions(1)));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "targets: element 0 is 3",
                () -> engine.saliency(model, X, 2, new SaliencyOptions().targets(3)));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "targets: element 0 is -1",
                () -> engine.saliency(model, X, 2, new SaliencyOptions().targets(-1)));
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "output_len: is 0",
                () -> new ModelHandle(linear, ModelSpec.of(4, 0)));
    }

    @Test
    void nanAndInfinityInInputsAreRefused() {
        float[] nan = X.clone();
        nan[5] = Float.NaN;
        expect(InvalidArgumentException.class, Status.NON_FINITE_INPUT, "inputs: element 5 is NaN",
                () -> engine.featureAblation(model, nan, 2, new FeatureAblationOptions()));
        float[] inf = BASELINE.clone();
        inf[2] = Float.POSITIVE_INFINITY;
        expect(InvalidArgumentException.class, Status.NON_FINITE_INPUT, "background: element 2 is inf",
                () -> engine.kernelShap(model, X, 2, new KernelShapOptions(inf)));
    }

    @Test
    void aModelThatThrowsStopsTheExplanationAndBecomesTheCause() {
        IllegalStateException boom = new IllegalStateException("scoring service unavailable");
        AtomicInteger calls = new AtomicInteger();
        Model failing = (inputs, rows, outputs) -> {
            if (calls.incrementAndGet() > 1) {
                throw boom;
            }
            linear.predict(inputs, rows, outputs);
        };
        try (ModelHandle handle = new ModelHandle(failing, ModelSpec.of(4, 1).maxBatchRows(1))) {
            float[] many = new float[50 * 4];
            ModelException e = expect(ModelException.class, Status.MODEL_FAILED,
                    "model: the Java predict method threw java.lang.IllegalStateException: scoring service unavailable",
                    () -> engine.occlusion(handle, many, 50, new OcclusionOptions(1)));
            assertSame(boom, e.getCause());
            // 250 single-row batches were planned; the workers stop at the first failure.
            int made = calls.get();
            assertTrue(made < 50, "the explanation stopped early: " + made + " calls of 250");
        }
        // The engine is still usable.
        try (Explanation e = engine.occlusion(model, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
            assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
        }
    }

    @Test
    void checkedExceptionsFromTheGradientAreCausesToo() {
        IOException io = new IOException("feature store timeout");
        Model throwing = new Model() {
            @Override
            public void predict(float[] inputs, int rows, float[] outputs) {
                linear.predict(inputs, rows, outputs);
            }

            @Override
            public void gradient(float[] inputs, int rows, int[] targets, float[] gradients, float[] outputs)
                    throws IOException {
                throw io;
            }
        };
        try (ModelHandle handle = new ModelHandle(throwing, ModelSpec.of(4, 1).withGradient())) {
            ModelException e = expect(ModelException.class, Status.MODEL_FAILED, "model: the Java gradient method threw",
                    () -> engine.integratedGradients(handle, X, 2, new IntegratedGradientsOptions()));
            assertSame(io, e.getCause());
        }
    }

    @Test
    void aModelReturningNanGivesLumensNonFiniteOutputError() {
        Model nan = (inputs, rows, outputs) -> java.util.Arrays.fill(outputs, 0, rows, Float.NaN);
        try (ModelHandle handle = new ModelHandle(nan, ModelSpec.of(4, 1))) {
            ModelException e = assertThrows(ModelException.class,
                    () -> engine.kernelShap(handle, X, 2, new KernelShapOptions(BASELINE)));
            assertEquals(Status.MODEL_NON_FINITE_OUTPUT, e.status());
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            assertEquals(null, e.getCause());
        }
    }

    @Test
    void missingCapabilitiesAndBackends() {
        try (ModelHandle predictOnly = new ModelHandle(linear, ModelSpec.of(4, 1))) {
            expect(ModelException.class, Status.MODEL_CAPABILITY_MISSING,
                    "model: the Java model declares no gradient (ModelSpec.withGradient())",
                    () -> engine.saliency(predictOnly, X, 2, new SaliencyOptions()));
            expect(ModelException.class, Status.MODEL_CAPABILITY_MISSING, "model: ",
                    () -> engine.gradCam(predictOnly, X, 2, new GradCamOptions()));
        }
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> new Engine(new EngineOptions().backend(Backend.CUDA)).close());
        assertTrue(e.getMessage().contains("cuda"), e.getMessage());
        expect(InvalidArgumentException.class, Status.INVALID_ARGUMENT, "memory_budget_bytes: is 0",
                () -> new Engine(new EngineOptions().memoryBudgetBytes(0)).close());
    }
}
