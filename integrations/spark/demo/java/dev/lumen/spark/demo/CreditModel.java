package dev.lumen.spark.demo;

import dev.lumen.Model;
import dev.lumen.spark.ModelFactory;

/**
 * A logistic-regression credit model over the 20 German Credit attributes: standardized inputs,
 * weights fitted on the driver by {@link #fit} (full-batch gradient descent, a fixed number of
 * steps: deterministic), outputs {@code [P(good), P(bad)]}. Its factory carries only the
 * coefficients, so every executor rebuilds the same model; it computes in double with
 * {@link StrictMath#exp}, so its outputs are the same bits on every JVM.
 */
public final class CreditModel implements ModelFactory {
    private static final long serialVersionUID = 1L;

    private final double[] mean;
    private final double[] scale;
    private final double[] weights;
    private final double bias;

    private CreditModel(double[] mean, double[] scale, double[] weights, double bias) {
        this.mean = mean;
        this.scale = scale;
        this.weights = weights;
        this.bias = bias;
    }

    /**
     * Fits the model to {@code data} (rows of 20 attributes then the label, as
     * {@link GermanCredit#load} returns them): 500 steps of gradient descent with step 0.5 and an
     * L2 penalty of 0.01 on the standardized attributes.
     *
     * @param data the labelled rows
     * @return the fitted model's factory
     */
    public static CreditModel fit(float[][] data) {
        int n = data.length;
        int d = 20;
        double[] mean = new double[d];
        double[] scale = new double[d];
        for (float[] row : data) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j] / n;
            }
        }
        for (float[] row : data) {
            for (int j = 0; j < d; j++) {
                scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
            }
        }
        for (int j = 0; j < d; j++) {
            scale[j] = scale[j] > 0 ? Math.sqrt(scale[j]) : 1;
        }
        double[] w = new double[d];
        double b = 0;
        for (int step = 0; step < 500; step++) {
            double[] gw = new double[d];
            double gb = 0;
            for (float[] row : data) {
                double z = b;
                for (int j = 0; j < d; j++) {
                    z += w[j] * (row[j] - mean[j]) / scale[j];
                }
                double err = 1 / (1 + StrictMath.exp(-z)) - row[20];
                gb += err / n;
                for (int j = 0; j < d; j++) {
                    gw[j] += err * (row[j] - mean[j]) / scale[j] / n;
                }
            }
            for (int j = 0; j < d; j++) {
                w[j] -= 0.5 * (gw[j] + 0.01 * w[j]);
            }
            b -= 0.5 * gb;
        }
        return new CreditModel(mean, scale, w, b);
    }

    /**
     * P(bad) of one applicant (20 attributes).
     *
     * @param x the attributes
     * @param at where the applicant starts in {@code x}
     * @return the probability of a bad risk
     */
    public double probabilityBad(float[] x, int at) {
        double z = bias;
        for (int j = 0; j < weights.length; j++) {
            z += weights[j] * (x[at + j] - mean[j]) / scale[j];
        }
        return 1 / (1 + StrictMath.exp(-z));
    }

    /**
     * The coefficients, for a port of the model to another language: the 20 means, the 20
     * scales, the 20 weights, then the bias.
     *
     * @return 61 values
     */
    public double[] coefficients() {
        double[] out = new double[61];
        System.arraycopy(mean, 0, out, 0, 20);
        System.arraycopy(scale, 0, out, 20, 20);
        System.arraycopy(weights, 0, out, 40, 20);
        out[60] = bias;
        return out;
    }

    @Override
    public Model create() {
        int d = weights.length;
        return (inputs, rows, outputs) -> {
            for (int r = 0; r < rows; r++) {
                double bad = probabilityBad(inputs, r * d);
                outputs[2 * r] = (float) (1 - bad);
                outputs[2 * r + 1] = (float) bad;
            }
        };
    }

    @Override
    public int outputLen() {
        return 2;
    }

    @Override
    public boolean concurrent() {
        return true;
    }
}
