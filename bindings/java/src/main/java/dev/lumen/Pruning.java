package dev.lumen;

import java.util.ArrayList;
import java.util.List;

/**
 * Temporal coalition pruning of one sequence, in Lumen's form (for the {@code timeshap}
 * package's, end points included, see {@link Engine#timeshapPruningCurve}).
 *
 * @param prunedLength events kept (the sequence's length without pruning)
 * @param curve the points from the most recent split back
 */
public record Pruning(int prunedLength, List<PruningPoint> curve) {
    /**
     * The {@code timeshap} package's {@code pruning_idx} of this pruning.
     *
     * @return {@code −prunedLength} ({@code −seqLen} when nothing was pruned)
     */
    public int pruningIndex() {
        return -prunedLength;
    }

    /** Decodes the natives' {@code {prunedLen, then split, newerLen, older, newer per point}}. */
    static Pruning decode(double[] values) {
        List<PruningPoint> points = new ArrayList<>();
        for (int i = 1; i + 3 < values.length; i += 4) {
            points.add(new PruningPoint((int) values[i], (int) values[i + 1], values[i + 2], values[i + 3]));
        }
        return new Pruning((int) values[0], List.copyOf(points));
    }
}
