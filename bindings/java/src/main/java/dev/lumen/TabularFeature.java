package dev.lumen;

/**
 * A logical feature of a tabular row for counterfactual search: one numeric column, or a
 * one-hot group of columns changed as one feature.
 *
 * @param name the feature's name
 * @param categorical whether it is a one-hot group
 * @param columns its model columns (one for a numeric feature, at least two for a group)
 */
public record TabularFeature(String name, boolean categorical, int[] columns) {
    /**
     * A numeric feature held in {@code column}.
     *
     * @param name the feature's name
     * @param column its column
     * @return the feature
     */
    public static TabularFeature numeric(String name, int column) {
        return new TabularFeature(name, false, new int[] {column});
    }

    /**
     * A one-hot group: category {@code c} sets {@code columns[c]} to 1 and the others to 0.
     *
     * @param name the feature's name
     * @param columns its one-hot columns
     * @return the feature
     */
    public static TabularFeature categorical(String name, int... columns) {
        return new TabularFeature(name, true, columns);
    }
}
