package dev.lumen;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A TimeSHAP explanation of one sequence: one value per player (summing to
 * {@code prediction − baseValue}), the players (Lumen's {@link #players()}, events counted from
 * the oldest, and the {@code timeshap} package's {@link #timeshapPlayers()}, events counted from
 * the newest), whether the values are exact, the pruned length,
 * and the underlying {@link Explanation} (standard errors, audit JSON with the pruning curve).
 * Close it to release the native memory (closing twice is safe). Safe to read from several
 * threads.
 */
public final class TimeShapExplanation implements AutoCloseable {
    private final TimeShapLevel level;
    private final List<Player> players;
    private final List<TimeShapPlayer> timeshapPlayers;
    private final boolean exact;
    private final int prunedLength;
    private final Explanation explanation;

    private TimeShapExplanation(TimeShapLevel level, List<Player> players, List<TimeShapPlayer> timeshapPlayers,
            boolean exact, int prunedLength, Explanation explanation) {
        this.level = level;
        this.players = players;
        this.timeshapPlayers = timeshapPlayers;
        this.exact = exact;
        this.prunedLength = prunedLength;
        this.explanation = explanation;
    }

    /** Copies the native TimeSHAP explanation behind {@code handle} and frees it. */
    static TimeShapExplanation read(long handle, TimeShapLevel level) {
        try {
            int[] parts = NativeLumen.timeshapParts(handle);
            Explanation explanation = new Explanation(NativeLumen.timeshapExplanation(handle));
            List<String> names = explanation.featureNames();
            String[] timeshapNames = NativeLumen.timeshapNames(handle);
            Player.Kind[] kinds = Player.Kind.values();
            int sequenceLength = parts[3 + 3 * parts[2]];
            List<Player> players = new ArrayList<>();
            List<TimeShapPlayer> timeshapPlayers = new ArrayList<>();
            for (int i = 0; i < parts[2]; i++) {
                int at = 3 + 3 * i;
                Player player = new Player(kinds[parts[at]], parts[at + 1], parts[at + 2], names.get(i));
                players.add(player);
                boolean oneEvent = player.kind() == Player.Kind.EVENT || player.kind() == Player.Kind.CELL
                        || player.kind() == Player.Kind.OTHER_FEATURES_OF_EVENT;
                timeshapPlayers.add(new TimeShapPlayer(timeshapNames[i],
                        oneEvent ? OptionalInt.of(player.event() - sequenceLength) : OptionalInt.empty(),
                        player.feature() >= 0 ? OptionalInt.of(player.feature()) : OptionalInt.empty()));
            }
            return new TimeShapExplanation(level, List.copyOf(players), List.copyOf(timeshapPlayers), parts[0] != 0,
                    parts[1], explanation);
        } finally {
            NativeLumen.timeshapFree(handle);
        }
    }

    /**
     * The level.
     *
     * @return the level
     */
    public TimeShapLevel level() {
        return level;
    }

    /**
     * One value per player.
     *
     * @return one value per player
     */
    public float[] values() {
        return explanation.attributions();
    }

    /**
     * One value per player, in double precision (every bit of a {@link DoubleSequenceModel}'s).
     *
     * @return one value per player
     */
    public double[] valuesDouble() {
        return explanation.attributionsDouble();
    }

    /**
     * The players, in the order of {@link #values()}.
     *
     * @return the players, in the order of {@link #values()}
     */
    public List<Player> players() {
        return players;
    }

    /**
     * The players as the {@code timeshap} package names and numbers them, in the order of
     * {@link #values()}.
     *
     * @return the package's view of the players
     */
    public List<TimeShapPlayer> timeshapPlayers() {
        return timeshapPlayers;
    }

    /**
     * The {@code timeshap} package's {@code pruning_idx} the values were computed at.
     *
     * @return {@code −prunedLength()}
     */
    public int pruningIndex() {
        return -prunedLength;
    }

    /**
     * link(f(background sequence)).
     *
     * @return link(f(background sequence))
     */
    public float baseValue() {
        return explanation.baseValues()[0];
    }

    /**
     * link(f(background sequence)) in double precision.
     *
     * @return link(f(background sequence))
     */
    public double baseValueDouble() {
        return explanation.baseValuesDouble()[0];
    }

    /**
     * link(f(x)).
     *
     * @return link(f(x))
     */
    public float prediction() {
        return explanation.predictions()[0];
    }

    /**
     * link(f(x)) in double precision.
     *
     * @return link(f(x))
     */
    public double predictionDouble() {
        return explanation.predictionsDouble()[0];
    }

    /**
     * Whether every coalition was enumerated (values exact, standard errors 0).
     *
     * @return whether every coalition was enumerated (values exact, standard errors 0)
     */
    public boolean exact() {
        return exact;
    }

    /**
     * Events kept by pruning (the sequence's length without pruning).
     *
     * @return events kept by pruning (the sequence's length without pruning)
     */
    public int prunedLength() {
        return prunedLength;
    }

    /**
     * Standard errors of the values (0 when exact).
     *
     * @return standard errors of the values (0 when exact)
     */
    public float[] standardErrors() {
        return explanation.standardErrors();
    }

    /**
     * Standard errors of the values in double precision (0 when exact).
     *
     * @return standard errors of the values (0 when exact)
     */
    public double[] standardErrorsDouble() {
        return explanation.standardErrorsDouble();
    }

    /**
     * The audit record (parameters, players, pruning curve and length) as JSON.
     *
     * @return the audit record (parameters, players, pruning curve and length) as JSON
     */
    public String toJson() {
        return explanation.toJson();
    }

    /**
     * The underlying explanation (closed with this one).
     *
     * @return the underlying explanation (closed with this one)
     */
    public Explanation explanation() {
        return explanation;
    }

    @Override
    public void close() {
        explanation.close();
    }
}
