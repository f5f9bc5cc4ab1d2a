package dev.lumen;

import java.util.List;

/**
 * The counterfactuals of one instance.
 *
 * @param originalClass the class the model predicts for the instance
 * @param targetClass the class the search aimed for
 * @param originalProbability the instance's probability of the target class
 * @param alreadyAtTarget the instance already reaches the target (nothing was searched)
 * @param counterfactuals up to k counterfactuals, successful ones first, fewest changes first
 * @param modelRowsEvaluated model rows evaluated for this instance
 */
public record InstanceCounterfactuals(int originalClass, int targetClass, float originalProbability,
        boolean alreadyAtTarget, List<Counterfactual> counterfactuals, long modelRowsEvaluated) {}
