package dev.lumen;

/** Groups given as lists of element indices (Captum's and shap's habit), turned into one id per element. */
final class Groups {
    private Groups() {}

    /**
     * One group id per element from {@code groups}, where group {@code g} lists its element
     * indices. Every element {@code 0..n-1} ({@code n} the members in all) must be in exactly
     * one group, as in Captum's {@code feature_mask}; the engine then checks {@code n}
     * against the model's input length.
     */
    static int[] elementIds(int[][] groups, String argument) {
        Checks.notNull(groups, argument);
        int n = 0;
        for (int g = 0; g < groups.length; g++) {
            if (groups[g] == null || groups[g].length == 0) {
                throw invalid(argument, "group " + g + " is empty or null, expected element indices");
            }
            n += groups[g].length;
        }
        int[] ids = new int[n];
        java.util.Arrays.fill(ids, -1);
        for (int g = 0; g < groups.length; g++) {
            for (int element : groups[g]) {
                if (element < 0 || element >= n) {
                    throw invalid(argument, "element " + element + " of group " + g + " is out of range 0.."
                            + (n - 1) + " (the groups hold " + n + " elements, each in one group)");
                }
                if (ids[element] >= 0) {
                    throw invalid(argument, "element " + element + " is in groups " + ids[element] + " and " + g
                            + "; each element in one group");
                }
                ids[element] = g;
            }
        }
        return ids;
    }

    private static InvalidArgumentException invalid(String argument, String message) {
        return new InvalidArgumentException(Status.INVALID_ARGUMENT, argument + ": " + message);
    }
}
