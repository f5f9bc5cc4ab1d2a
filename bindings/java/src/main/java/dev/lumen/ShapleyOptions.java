package dev.lumen;

/**
 * The game every Shapley method plays: a weighted background set, players (groups of
 * elements), outputs and link. Setters return {@code this}.
 *
 * @param <T> the concrete options type
 */
public abstract class ShapleyOptions<T extends ShapleyOptions<T>> {
    /** A float[] or a double[] (the model's element type). */
    final Object background;
    double[] backgroundWeights;
    int[] players;
    String[] playerNames;
    int[] targets;
    boolean logit;

    ShapleyOptions(Object background) {
        this.background = background;
    }

    abstract T self();

    /**
     * {@code standardError} if it is a target standard error: finite and above 0.
     *
     * @param standardError the target standard error a setter was given
     * @return {@code standardError}
     * @throws InvalidArgumentException when it is not finite or not above 0
     */
    static double checkedTargetStandardError(double standardError) {
        if (!(Double.isFinite(standardError) && standardError > 0)) {
            throw new InvalidArgumentException(Status.INVALID_ARGUMENT,
                    "targetStandardError: is " + standardError + ", expected a finite standard error > 0");
        }
        return standardError;
    }

    /**
     * One weight per background row (default uniform).
     *
     * @param weights one weight per background row (default uniform)
     * @return these options
     */
    public T backgroundWeights(double... weights) {
        this.backgroundWeights = weights;
        return self();
    }

    /**
     * The player ({@code 0..M-1}, all used) of each input element; default: each element alone.
     *
     * @param players the player ({@code 0..M-1}, all used) of each input element; default: each element alone
     * @return these options
     */
    public T players(int... players) {
        this.players = players;
        return self();
    }

    /**
     * The players as lists of element indices, as shap and Captum users write groups: player
     * {@code p} lists its elements, and every input element is in exactly one player.
     *
     * @param groups the element indices of each player
     * @return these options
     * @throws InvalidArgumentException when a group is empty, an element is out of range, or
     *     an element is in two groups or in none
     */
    public T playerGroups(int[]... groups) {
        this.players = Groups.elementIds(groups, "playerGroups");
        return self();
    }

    /**
     * Names of the M players.
     *
     * @param names names of the M players
     * @return these options
     */
    public T playerNames(String... names) {
        this.playerNames = names;
        return self();
    }

    /**
     * The outputs to explain (default: all).
     *
     * @param targets the outputs to explain (default: all)
     * @return these options
     */
    public T targets(int... targets) {
        this.targets = targets;
        return self();
    }

    /**
     * Explain a probability in log-odds (default: the model's own output).
     *
     * @param logit explain a probability in log-odds (default: the model's own output)
     * @return these options
     */
    public T logitLink(boolean logit) {
        this.logit = logit;
        return self();
    }
}
