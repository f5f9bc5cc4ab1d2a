package dev.lumen;

import java.util.ArrayList;
import java.util.List;

/**
 * Summary statistics of a set of values (all zero when it is empty).
 *
 * @param count number of values
 * @param mean mean
 * @param std sample standard deviation
 * @param median median
 * @param min smallest value
 * @param max largest value
 */
public record Summary(int count, double mean, double std, double median, double min, double max) {
    /** Decodes the natives' 6 values per summary. */
    static List<Summary> decode(double[] v) {
        List<Summary> out = new ArrayList<>();
        for (int i = 0; i + 5 < v.length; i += 6) {
            out.add(new Summary((int) v[i], v[i + 1], v[i + 2], v[i + 3], v[i + 4], v[i + 5]));
        }
        return List.copyOf(out);
    }
}
