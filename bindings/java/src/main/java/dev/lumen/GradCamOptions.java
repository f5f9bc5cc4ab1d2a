package dev.lumen;

/** Grad-CAM's options (Captum's defaults: no ReLU, upsampled to the input's last two dimensions). */
public final class GradCamOptions {
    int[] targets;
    boolean reluAttributions;
    boolean upsample = true;
    int internalBatchSize;

    /**
     * The outputs to explain (default: all).
     *
     * @param targets the outputs to explain (default: all)
     * @return these options
     */
    public GradCamOptions targets(int... targets) {
        this.targets = targets;
        return this;
    }

    /**
     * Pass the map through a ReLU before upsampling (default false).
     *
     * @param relu pass the map through a ReLU before upsampling (default false)
     * @return these options
     */
    public GradCamOptions reluAttributions(boolean relu) {
        this.reluAttributions = relu;
        return this;
    }

    /**
     * Resample the layer's map to the input's last two dimensions (default true).
     *
     * @param upsample resample the layer's map to the input's last two dimensions (default true)
     * @return these options
     */
    public GradCamOptions upsample(boolean upsample) {
        this.upsample = upsample;
        return this;
    }

    /**
     * Most rows per layer-gradient call; 0 (default) lets the memory budget decide.
     *
     * @param rows most rows per layer-gradient call; 0 (default) lets the memory budget decide
     * @return these options
     */
    public GradCamOptions internalBatchSize(int rows) {
        this.internalBatchSize = rows;
        return this;
    }
}
