package dev.lumen;

import java.util.ArrayList;
import java.util.List;

/**
 * A global TimeSHAP report: an immutable copy made when it is computed (nothing to close).
 *
 * @param sequences sequences explained
 * @param eventImportance entry d: the event-level values at distance d from the most recent event
 * @param featureImportance one summary per feature of its feature-level values
 * @param mostRecentShare φ(most recent event) / (f(x) − base) over the sequences
 * @param pruningTable one row per η, in the order given
 * @param json the report as JSON (parameters, distributions, audit)
 */
public record TimeShapGlobal(int sequences, List<Summary> eventImportance, List<Summary> featureImportance,
        Summary mostRecentShare, List<PruningRow> pruningTable, String json) {
    /** Copies the native report behind {@code handle} and frees it. */
    static TimeShapGlobal read(long handle) {
        try {
            double[] t = NativeLumen.timeshapGlobalValues(handle, 3);
            List<PruningRow> table = new ArrayList<>();
            for (int i = 0; i + 5 < t.length; i += 6) {
                table.add(new PruningRow(t[i], t[i + 1], t[i + 2], (int) t[i + 3], t[i + 4], t[i + 5]));
            }
            return new TimeShapGlobal((int) NativeLumen.timeshapGlobalValues(handle, 4)[0],
                    Summary.decode(NativeLumen.timeshapGlobalValues(handle, 0)),
                    Summary.decode(NativeLumen.timeshapGlobalValues(handle, 1)),
                    Summary.decode(NativeLumen.timeshapGlobalValues(handle, 2)).get(0), List.copyOf(table),
                    NativeLumen.timeshapGlobalToJson(handle));
        } finally {
            NativeLumen.timeshapGlobalFree(handle);
        }
    }
}
