package dev.lumen.spark;

import dev.lumen.Engine;
import dev.lumen.EngineOptions;
import dev.lumen.ModelHandle;
import dev.lumen.ModelSpec;
import dev.lumen.SequenceModelHandle;
import dev.lumen.SequenceModelSpec;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The Lumen objects of one executor JVM: one {@link Engine} per thread count and one registered
 * model per explainer, built on first use, shared by every task of the JVM and closed by a
 * shutdown hook (models first, then engines). A factory that fails is not cached: the next task
 * tries again, and each failure names the factory, the host and the cause.
 */
final class ExecutorResources {
    private static final ConcurrentHashMap<Integer, Engine> ENGINES = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, AutoCloseable> MODELS = new ConcurrentHashMap<>();
    private static final Object HOOK_LOCK = new Object();
    private static boolean hooked;

    private ExecutorResources() {}

    /** The JVM's engine with {@code threads} worker threads (0: one per core). */
    static Engine engine(int threads) {
        hook();
        return ENGINES.computeIfAbsent(threads, t -> new Engine(new EngineOptions().threads(t)));
    }

    /** The JVM's model for explainer {@code id}, built by {@code factory} on first use. */
    static ModelHandle model(String id, ModelFactory factory, String[] featureNames) {
        return (ModelHandle) cached(id, () -> {
            dev.lumen.Model model = build(factory::create, factory);
            return new ModelHandle(model, ModelSpec.of(featureNames.length, factory.outputLen())
                    .featureNames(featureNames).concurrent(factory.concurrent()).maxBatchRows(factory.maxBatchRows()));
        });
    }

    /** The JVM's sequence model for explainer {@code id}, built by {@code factory} on first use. */
    static SequenceModelHandle sequenceModel(String id, SequenceModelFactory factory, String[] featureNames) {
        return (SequenceModelHandle) cached(id, () -> {
            dev.lumen.SequenceModel model = build(factory::create, factory);
            return new SequenceModelHandle(model, SequenceModelSpec.of(featureNames.length, factory.outputLen())
                    .featureNames(featureNames).concurrent(factory.concurrent()));
        });
    }

    /** A model builder that may throw anything. */
    @FunctionalInterface
    private interface Builder<T> {
        T build() throws Exception;
    }

    private static <T> T build(Builder<T> builder, Object factory) {
        T model;
        try {
            model = builder.build();
        } catch (Exception | LinkageError e) {
            throw new LumenSparkException("the model factory " + factory.getClass().getName() + " failed on executor "
                    + where() + ": " + e, e);
        }
        if (model == null) {
            throw new LumenSparkException("the model factory " + factory.getClass().getName()
                    + " returned null on executor " + where() + ", expected a model");
        }
        return model;
    }

    private static AutoCloseable cached(String id, Supplier<AutoCloseable> create) {
        hook();
        return MODELS.computeIfAbsent(id, ignored -> create.get());
    }

    /** This JVM, as {@code pid@host}. */
    static String where() {
        return ManagementFactory.getRuntimeMXBean().getName();
    }

    private static void hook() {
        synchronized (HOOK_LOCK) {
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(ExecutorResources::closeAll, "lumen-close"));
                hooked = true;
            }
        }
    }

    /** Closes every model, then every engine (each at most once). */
    static void closeAll() {
        List<AutoCloseable> all = new ArrayList<>(MODELS.values());
        MODELS.clear();
        all.addAll(ENGINES.values());
        ENGINES.clear();
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception ignored) {
                // The JVM is going away; a failed release must not hide the others.
            }
        }
    }
}
