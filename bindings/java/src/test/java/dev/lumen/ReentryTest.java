package dev.lumen;

import static dev.lumen.Fixtures.BASELINE;
import static dev.lumen.Fixtures.BIAS;
import static dev.lumen.Fixtures.TOLERANCE;
import static dev.lumen.Fixtures.WEIGHTS;
import static dev.lumen.Fixtures.X;
import static dev.lumen.Fixtures.assertClose;
import static dev.lumen.Fixtures.linearAttributions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A model callback that calls back into Lumen gets an {@link InvalidStateException} instead of
 * a deadlock (the serial model's lock is held while it runs). The generous timeouts turn a
 * regression into a failure instead of a hung build.
 */
class ReentryTest {
    private final LinearModel linear = LinearModel.of(BIAS, WEIGHTS);

    /** A serial model that, on its first batch, explains with itself and keeps what happened. */
    private static final class Reentrant implements Model {
        final LinearModel inner;
        final Engine engine;
        final AtomicReference<ModelHandle> self = new AtomicReference<>();
        final AtomicReference<Throwable> seen = new AtomicReference<>();
        final boolean propagate;

        Reentrant(LinearModel inner, Engine engine, boolean propagate) {
            this.inner = inner;
            this.engine = engine;
            this.propagate = propagate;
        }

        @Override
        public void predict(float[] inputs, int rows, float[] outputs) {
            if (seen.get() == null) {
                try {
                    engine.occlusion(self.get(), X, 2, new OcclusionOptions(1)).close();
                    seen.set(new AssertionError("the nested call returned"));
                } catch (LumenException e) {
                    seen.set(e);
                    if (propagate) {
                        throw e;
                    }
                }
            }
            inner.predict(inputs, rows, outputs);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aNestedCallIsRefusedAndTheOuterCallCompletes() {
        try (Engine engine = new Engine(new EngineOptions().threads(2))) {
            Reentrant model = new Reentrant(linear, engine, false);
            try (ModelHandle handle = new ModelHandle(model, linear.spec())) {
                model.self.set(handle);
                try (Explanation e = engine.occlusion(handle, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
                    assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
                }
                InvalidStateException refused = assertInstanceOf(InvalidStateException.class, model.seen.get());
                assertEquals(Status.INVALID_STATE, refused.status());
                assertTrue(refused.getMessage().startsWith("called from inside a model callback"),
                        refused.getMessage());
                // The engine and the model serve the next call as usual.
                try (Explanation e = engine.occlusion(handle, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
                    assertClose(linearAttributions(BASELINE), e.attributions(), TOLERANCE);
                }
            }
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aRefusalThatEscapesTheModelBecomesTheCauseOfAModelException() {
        try (Engine engine = new Engine(new EngineOptions().threads(2));
                Engine other = new Engine(new EngineOptions().threads(1))) {
            // Calling another engine from inside the callback is refused too.
            Reentrant model = new Reentrant(linear, other, true);
            try (ModelHandle handle = new ModelHandle(model, linear.spec());
                    ModelHandle plain = new ModelHandle(linear, linear.spec())) {
                model.self.set(plain);
                ModelException e = assertThrows(ModelException.class,
                        () -> engine.kernelShap(handle, X, 2, new KernelShapOptions(BASELINE)));
                assertEquals(Status.MODEL_FAILED, e.status());
                InvalidStateException cause = assertInstanceOf(InvalidStateException.class, e.getCause());
                assertEquals(Status.INVALID_STATE, cause.status());
                assertNotNull(model.seen.get());
                try (Explanation again = other.occlusion(plain, X, 2, new OcclusionOptions(1).baseline(BASELINE))) {
                    assertClose(linearAttributions(BASELINE), again.attributions(), TOLERANCE);
                }
            }
        }
    }
}
