package dev.lumen;

import java.util.ArrayList;
import java.util.List;

/**
 * The result of a PermuteAttack search over several instances: an immutable copy made when the
 * search ends (nothing to close).
 *
 * @param featureNames the logical features' names
 * @param instances one entry per instance searched
 * @param json the audit record (method, parameters, seed, version, results)
 */
public record Counterfactuals(List<String> featureNames, List<InstanceCounterfactuals> instances, String json) {
    /** Copies the native result behind {@code handle} and frees it. */
    static Counterfactuals read(long handle) {
        try {
            List<InstanceCounterfactuals> instances = new ArrayList<>();
            int n = NativeLumen.counterfactualsInstances(handle);
            for (int i = 0; i < n; i++) {
                double[] s = NativeLumen.counterfactualsInstance(handle, i);
                List<Counterfactual> found = new ArrayList<>();
                for (int j = 0; j < (int) s[4]; j++) {
                    double[] c = NativeLumen.counterfactualsGet(handle, i, j);
                    double[] row = NativeLumen.counterfactualsRow(handle, i, j);
                    found.add(new Counterfactual(Counterfactual.narrow(row),
                            NativeLumen.counterfactualsChanged(handle, i, j), (float) c[0], (int) c[1], c[2] != 0,
                            (float) c[3], row, c[0], c[3]));
                }
                instances.add(new InstanceCounterfactuals((int) s[0], (int) s[1], (float) s[2], s[3] != 0,
                        List.copyOf(found), (long) s[5]));
            }
            return new Counterfactuals(List.of(NativeLumen.counterfactualsFeatureNames(handle)),
                    List.copyOf(instances), NativeLumen.counterfactualsToJson(handle));
        } finally {
            NativeLumen.counterfactualsFree(handle);
        }
    }
}
