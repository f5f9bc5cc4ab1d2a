package dev.lumen;

/**
 * f_k(x) = Σ_i w[k][i] · x_i + bias_k, with its exact gradient: the closed forms of every
 * attribution method are known for it.
 */
final class LinearModel implements Model {
    final float[][] weights;
    final float[] bias;

    LinearModel(float[][] weights, float[] bias) {
        this.weights = weights;
        this.bias = bias;
    }

    /** One output. */
    static LinearModel of(float bias, float... weights) {
        return new LinearModel(new float[][] {weights}, new float[] {bias});
    }

    int inputLen() {
        return weights[0].length;
    }

    ModelSpec spec() {
        return ModelSpec.of(inputLen(), weights.length).withGradient();
    }

    @Override
    public void predict(float[] inputs, int rows, float[] outputs) {
        int n = inputLen();
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < weights.length; k++) {
                double sum = bias[k];
                for (int i = 0; i < n; i++) {
                    sum += weights[k][i] * inputs[r * n + i];
                }
                outputs[r * weights.length + k] = (float) sum;
            }
        }
    }

    @Override
    public void gradient(float[] inputs, int rows, int[] targets, float[] gradients, float[] outputs) {
        int n = inputLen();
        for (int r = 0; r < rows; r++) {
            System.arraycopy(weights[targets[r]], 0, gradients, r * n, n);
        }
        if (outputs != null) {
            predict(inputs, rows, outputs);
        }
    }
}
