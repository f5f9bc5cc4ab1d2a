package dev.lumen;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole pruning curve of one sequence in the {@code timeshap} package's form, as its
 * {@code temp_coalition_pruning(..., ret_plot_data=True)} returns it.
 *
 * @param pruningIndex the package's {@code pruning_idx}: {@code −prunedLength} ({@code −seqLen}
 *     when nothing is pruned)
 * @param points one point per t = 0, −1, …, −seqLen, both end points included
 */
public record TimeShapPruningCurve(int pruningIndex, List<TimeShapCurvePoint> points) {
    /** Decodes the natives' {@code {pruningIndex, then t, older, newer per point}}. */
    static TimeShapPruningCurve decode(double[] values) {
        List<TimeShapCurvePoint> points = new ArrayList<>();
        for (int i = 1; i + 2 < values.length; i += 3) {
            points.add(new TimeShapCurvePoint((int) values[i], values[i + 1], values[i + 2]));
        }
        return new TimeShapPruningCurve((int) values[0], List.copyOf(points));
    }
}
