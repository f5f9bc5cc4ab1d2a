package dev.lumen;

/**
 * One t of the pruning curve in the {@code timeshap} package's form.
 *
 * @param t the package's "t (event index)": {@code split − seqLen}, from 0 (every event in the
 *     older part) down to {@code −seqLen} (none); the newer part is the last {@code −t} events
 * @param olderValue the row "Sum of contribution of events ≤ t": the older events' exact
 *     Shapley value
 * @param newerValue the row "Sum of contribution of events &gt; t": the newer events' exact
 *     Shapley value
 */
public record TimeShapCurvePoint(int t, double olderValue, double newerValue) {}
