package dev.lumen;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How KernelSHAP samples and weights coalitions ({@link KernelShapOptions#estimator(Estimator)}).
 * All five estimate the same Shapley values; they differ in the error at a given number of model
 * evaluations.
 */
public enum Estimator {
    /**
     * shap's {@code KernelExplainer} schedule: complete subset sizes from the outside in while the
     * budget holds them, then paired samples drawn from the kernel's size distribution, weighted by
     * their draw counts (Lumen's schedule before 0.3).
     */
    SHAP(1),
    /**
     * Leverage SHAP (Musco and Witter, ICLR 2025): every coalition included independently with a
     * probability set by its leverage score, in complementary pairs, weighted by kernel over
     * probability.
     */
    LEVERAGE(2),
    /**
     * Leverage SHAP with the number of coalitions of every size fixed to its expectation
     * (stratified by size): the same weights, less variance. The lowest mean error at equal model
     * evaluations of the three linear fits in Lumen's comparison benches.
     */
    LEVERAGE_STRATIFIED(3),
    /**
     * The stratified Leverage SHAP draws, fitted with third-order interactions among the players
     * with the largest linear values and read off as Shapley values (PolySHAP, Fumagalli et al.,
     * 2025): 2.6–4.1× fewer model evaluations than shap for its accuracy on Lumen's comparison
     * MLP, at 3–14 ms of fitting per row and output, so for models whose evaluations cost more.
     * Since 0.3.
     */
    LEVERAGE_INTERACTIONS(4),
    /**
     * The stratified Leverage SHAP draws, fitted like {@link #LEVERAGE_INTERACTIONS} but with the
     * triples among only the five players with the largest linear values (at most 10 triples),
     * plus each player's size term (its effect changing with the coalition's size; from 16
     * coalitions per player) and score term (its effect changing with the coalition's linear
     * score; from 24): most of its accuracy for a fraction of its fitting time. The engine's default: the least time to shap's accuracy in Lumen's
     * comparison benches. Since 0.3.
     */
    LEVERAGE_TOP_TRIPLES(5);

    private final int code;

    Estimator(int code) {
        this.code = code;
    }

    /**
     * The estimator of a name: the constant's name in any case, or the snake_case name of the
     * C, Python and command-line APIs ({@code "leverage_stratified"}, also with hyphens).
     *
     * @param name the estimator's name
     * @return the estimator
     * @throws InvalidArgumentException ({@code NULL_POINTER}) when {@code name} is null, and
     *     ({@code INVALID_ARGUMENT}) naming the valid names when it names no estimator
     */
    public static Estimator named(String name) {
        String constant = Checks.notNull(name, "name").trim().replace('-', '_').toUpperCase(Locale.ROOT);
        for (Estimator estimator : values()) {
            if (estimator.name().equals(constant)) {
                return estimator;
            }
        }
        List<String> names = Arrays.stream(values()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList();
        throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                "estimator: is '" + name + "', expected one of " + String.join(", ", names));
    }

    /** The C ABI's {@code LUMEN_ESTIMATOR_*} number. */
    int code() {
        return code;
    }
}
