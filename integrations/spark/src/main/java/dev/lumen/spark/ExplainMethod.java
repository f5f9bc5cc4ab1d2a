package dev.lumen.spark;

import java.io.Serializable;

/**
 * A Lumen method with its options, as a Spark job carries it to the executors: serializable,
 * built on the driver, turned into Lumen's option objects on each executor. The methods are
 * {@link KernelShap}, {@link FeatureAblation} (attributions) and {@link PermuteAttack}
 * (counterfactuals); TimeSHAP has its own explainer, {@link SequenceExplainer}.
 */
public abstract class ExplainMethod implements Serializable {
    private static final long serialVersionUID = 1L;

    ExplainMethod() {}

    /**
     * The method's name, as Lumen's audit records write it ({@code kernel_shap}, ...).
     *
     * @return the method's name
     */
    public abstract String name();

    /**
     * Checks the options against the feature columns, on the driver, before any task starts.
     *
     * @param features the feature columns, in model-input order
     * @throws IllegalArgumentException naming the option and what was expected
     */
    abstract void check(String[] features);
}
