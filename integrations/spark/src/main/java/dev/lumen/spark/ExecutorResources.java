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
 * model per model factory (by content: {@link #identity}), built on first use, shared by every task of the JVM and closed by a
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

    /**
     * The cache identity of a model: {@code kind}, the SHA-256 of the factory's serialized form
     * and the feature names, so explainers with equal factories (a TabularSHAP transforming batch
     * after batch, say) share one model per executor instead of building one each.
     *
     * @throws IllegalArgumentException when the factory is not serializable (Spark could not ship it)
     */
    static String identity(String kind, Object factory, String[] features) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
            out.writeObject(factory);
            out.writeObject(features);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("factory: " + factory.getClass().getName() + " is not serializable ("
                    + e + "); Spark ships it to every executor", e);
        }
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray());
            return kind + ":" + java.util.HexFormat.of().formatHex(hash);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256, which every Java platform has", e);
        }
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
