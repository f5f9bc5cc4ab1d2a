/**
 * Lumen for Java: explanations (attributions and counterfactuals) of the caller's own model,
 * computed by Lumen's native engine.
 *
 * <p>Start with an {@link dev.lumen.Engine}, wrap the model in a {@link dev.lumen.ModelHandle}
 * and call one of the engine's methods; every object holding native memory is
 * {@link java.lang.AutoCloseable}. The JAR carries the native library for the platform it was
 * built on and loads it by itself; the system property {@code lumen.library.path} (the library
 * file or its folder) takes precedence when set.
 */
package dev.lumen;
