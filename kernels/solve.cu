// KernelSHAP's constrained weighted least squares on the device:
//   min sum_k w_k (y_k - base - z_k . phi)^2  subject to  sum_i phi_i = delta,
// by eliminating the last player (phi_{M-1} = delta - sum_{i<M-1} phi_i): with
// a_k[i] = z_k[i] - z_k[M-1] and r_k = y_k - base - z_k[M-1] * delta, the normal equations
// G u = h with G = sum_k w_k a_k a_k^T and h = sum_k w_k a_k r_k. One thread per entry
// sums the coalitions in order (deterministic, no atomics), then one block factorises G by
// Cholesky. The CPU reference (src/explain/shapley/solve.rs) uses pivoted QR; the two
// agree to the conditioning of the design.

__device__ __forceinline__ double lumen_bit(const unsigned long long* z, lumen_u64 words, lumen_u64 k, lumen_u64 j) {
    return (double)((z[k * words + j / 64] >> (j % 64)) & 1ull);
}

// gram holds (M - 1) × M values: row i is G[i][0..M-1] followed by h[i].
extern "C" __global__ void wls_normal_equations(const unsigned long long* coalitions, lumen_u64 words,
                                                lumen_u64 players, lumen_u64 count, const double* weights,
                                                const double* values, double base, double delta, double* gram) {
    lumen_u64 unknowns = players - 1;
    LUMEN_FOR_EACH(idx, unknowns * players) {
        lumen_u64 i = idx / players, j = idx % players;
        double sum = 0.0;
        for (lumen_u64 k = 0; k < count; ++k) {
            double last = lumen_bit(coalitions, words, k, unknowns);
            double ai = lumen_bit(coalitions, words, k, i) - last;
            double other = j < unknowns ? lumen_bit(coalitions, words, k, j) - last
                                        : values[k] - base - last * delta;
            sum += weights[k] * ai * other;
        }
        gram[idx] = sum;
    }
}

// Solves G u = h in place (one block; thread 0 factorises, which is ample for the tens of
// players KernelSHAP handles) and writes phi (M values) with phi_{M-1} = delta - sum u.
// status[0] = 0 on success, 1 + i when pivot i is not positive (rank-deficient design).
extern "C" __global__ void wls_cholesky_solve(double* gram, lumen_u64 players, double delta, double* phi,
                                              int* status) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    lumen_u64 n = players - 1, ld = players;
    double scale = 0.0;
    for (lumen_u64 i = 0; i < n; ++i) scale = fmax(scale, fabs(gram[i * ld + i]));
    for (lumen_u64 j = 0; j < n; ++j) {
        double d = gram[j * ld + j];
        for (lumen_u64 k = 0; k < j; ++k) d -= gram[j * ld + k] * gram[j * ld + k];
        if (!(d > 1e-12 * scale)) {
            status[0] = (int)(1 + j);
            return;
        }
        d = sqrt(d);
        gram[j * ld + j] = d;
        for (lumen_u64 i = j + 1; i < n; ++i) {
            double s = gram[i * ld + j];
            for (lumen_u64 k = 0; k < j; ++k) s -= gram[i * ld + k] * gram[j * ld + k];
            gram[i * ld + j] = s / d;
        }
    }
    // Forward (L y = h) then backward (L^T u = y) substitution; h lives in column n.
    for (lumen_u64 i = 0; i < n; ++i) {
        double s = gram[i * ld + n];
        for (lumen_u64 k = 0; k < i; ++k) s -= gram[i * ld + k] * phi[k];
        phi[i] = s / gram[i * ld + i];
    }
    for (lumen_u64 ii = n; ii-- > 0;) {
        double s = phi[ii];
        for (lumen_u64 k = ii + 1; k < n; ++k) s -= gram[k * ld + ii] * phi[k];
        phi[ii] = s / gram[ii * ld + ii];
    }
    double sum = 0.0;
    for (lumen_u64 i = 0; i < n; ++i) sum += phi[i];
    phi[n] = delta - sum;
    status[0] = 0;
}
