package dev.lumen;

/**
 * A logical feature of a tabular row for counterfactual search: one numeric column, a
 * one-hot group of columns changed as one feature, or one column holding an integer
 * category code.
 *
 * @param name the feature's name
 * @param categorical whether it is categorical (a one-hot group, or coded when
 *     {@code codes} is given)
 * @param columns its model columns (one for a numeric or coded feature, at least two for a
 *     one-hot group)
 * @param codes a coded feature's allowed codes, one per category ({@code null} for other
 *     features)
 */
public record TabularFeature(String name, boolean categorical, int[] columns, float[] codes) {
    /**
     * A numeric feature or a one-hot group, without codes.
     *
     * @param name the feature's name
     * @param categorical whether it is a one-hot group
     * @param columns its model columns (one for a numeric feature, at least two for a group)
     */
    public TabularFeature(String name, boolean categorical, int[] columns) {
        this(name, categorical, columns, null);
    }

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

    /**
     * A categorical feature held as an integer code in {@code column} (PermuteAttack's
     * reference encoding): category {@code c} is {@code codes[c]}. The search treats it
     * exactly as the one-hot group whose column {@code c} is that category (the same draws,
     * distances and counterfactuals), and counterfactual rows hold codes. The codes must be
     * finite integers, distinct, at least one; every row must hold one of them.
     *
     * @param name the feature's name
     * @param column its column
     * @param codes its allowed codes, one per category
     * @return the feature
     */
    public static TabularFeature coded(String name, int column, float... codes) {
        return new TabularFeature(name, true, new int[] {column}, codes);
    }
}
