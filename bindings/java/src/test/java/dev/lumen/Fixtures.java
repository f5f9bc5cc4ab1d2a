package dev.lumen;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shared data and checks of the tests. */
final class Fixtures {
    static final float[] WEIGHTS = {0.5f, -0.8f, 0.1f, 2.0f};
    static final float BIAS = 0.25f;
    /** Two rows of four features. */
    static final float[] X = {1.0f, 2.0f, -1.0f, 0.5f, 0.0f, -3.0f, 4.0f, 1.5f};
    static final float[] BASELINE = {0.2f, 0.1f, 0.3f, -0.4f};
    static final double TOLERANCE = 1e-4;

    private Fixtures() {}

    /** w_i · (x_i − b_i) for every row of {@link #X}. */
    static float[] linearAttributions(float[] baseline) {
        int n = WEIGHTS.length;
        float[] expected = new float[X.length];
        for (int r = 0; r < X.length / n; r++) {
            for (int i = 0; i < n; i++) {
                expected[r * n + i] = WEIGHTS[i] * (X[r * n + i] - baseline[i]);
            }
        }
        return expected;
    }

    static void assertClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "element " + i);
        }
    }
}
