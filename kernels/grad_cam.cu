// Grad-CAM: channel weights (mean gradient per channel), the weighted sum of activation
// planes with an optional ReLU, and PyTorch's bilinear (align_corners=False) upsampling
// with taps computed on the host by src/backend/grad_cam.rs bilinear_taps. Semantics:
// src/backend/cpu.rs (grad_cam_map, upsample_bilinear).

// weights[r * C + c] = (sum of the plane's gradients in order, from -0.0) / plane, f64.
extern "C" __global__ void grad_cam_channel_weights(const float* gradients, lumen_u64 planes, lumen_u64 plane,
                                                    double* weights) {
    LUMEN_FOR_EACH(i, planes) {
        const float* g = gradients + i * plane;
        double sum = -0.0;
        for (lumen_u64 k = 0; k < plane; ++k) sum += (double)g[k];
        weights[i] = sum / (double)plane;
    }
}

// maps[r * plane + e] = sum over channels c (in order, from 0.0) of weights[r * C + c] *
// activations of (r, c) at e; with relu, values below 0 (and NaN) become 0.
extern "C" __global__ void grad_cam_combine(const float* activations, const double* weights, lumen_u64 rows,
                                            lumen_u64 channels, lumen_u64 plane, lumen_u32 relu, float* maps) {
    LUMEN_FOR_EACH(i, rows * plane) {
        lumen_u64 r = i / plane, e = i % plane;
        double sum = 0.0;
        for (lumen_u64 c = 0; c < channels; ++c)
            sum += weights[r * channels + c] * (double)activations[(r * channels + c) * plane + e];
        maps[i] = relu ? (float)(sum > 0.0 ? sum : 0.0) : (float)sum;
    }
}

// src/backend/grad_cam.rs BilinearTap as the device sees it (24 bytes).
struct BilinearTapDevice {
    lumen_u32 lo;
    lumen_u32 hi;
    double lo_weight;
    double hi_weight;
};

// Each out_h × out_w map from its h × w source: row tap t, column tap k:
// t.lo_weight * (k.lo_weight * src[t.lo][k.lo] + k.hi_weight * src[t.lo][k.hi]) + t.hi_weight * (...t.hi...).
extern "C" __global__ void upsample_bilinear(const float* maps, lumen_u64 count, lumen_u64 h, lumen_u64 w,
                                             const BilinearTapDevice* row_taps, lumen_u64 out_h,
                                             const BilinearTapDevice* col_taps, lumen_u64 out_w, float* out) {
    LUMEN_FOR_EACH(i, count * out_h * out_w) {
        lumen_u64 m = i / (out_h * out_w), y = i / out_w % out_h, xo = i % out_w;
        const float* map = maps + m * h * w;
        BilinearTapDevice t = row_taps[y], k = col_taps[xo];
        const float* lo = map + (lumen_u64)t.lo * w;
        const float* hi = map + (lumen_u64)t.hi * w;
        double at_lo = k.lo_weight * (double)lo[k.lo] + k.hi_weight * (double)lo[k.hi];
        double at_hi = k.lo_weight * (double)hi[k.lo] + k.hi_weight * (double)hi[k.hi];
        out[i] = (float)(t.lo_weight * at_lo + t.hi_weight * at_hi);
    }
}
