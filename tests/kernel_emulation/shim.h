// Compiles kernels/*.cu as host C++ for tests/kernel_emulation.rs: one block of one
// thread runs every grid-stride loop sequentially, so each kernel's indexing and
// arithmetic can be checked against the CPU reference on a machine without a GPU.
// (What this cannot check: the device's own conversion instructions, warp scheduling,
// launch shapes and the cudarc launch code; scripts/gpu-check.sh covers those.)
#include <cmath>
#include <cstdint>
#include <cstring>

struct LumenDim3 {
    unsigned int x, y, z;
};
static const LumenDim3 blockIdx = {0, 0, 0};
static const LumenDim3 threadIdx = {0, 0, 0};
static const LumenDim3 blockDim = {1, 1, 1};
static const LumenDim3 gridDim = {1, 1, 1};

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(threads)

static inline void __syncthreads() {}
static inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * b) >> 32);
}
using std::isfinite;

// Round-to-nearest-even f32 -> f16 / bf16 (what cvt.rn does on the device).
static inline unsigned short lumen_host_bf16(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((bits >> 16) | 0x40u);
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (unsigned short)(bits >> 16);
}

static inline unsigned short lumen_host_f16(float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    uint32_t sign = (bits >> 16) & 0x8000u;
    uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u) return (unsigned short)(sign | 0x7e00u);
    if (abs >= 0x477ff000u) return (unsigned short)(sign | 0x7c00u); // rounds to infinity
    if (abs < 0x38800000u) {                                           // subnormal or zero in f16
        float magnitude;
        std::memcpy(&magnitude, &abs, 4);
        // Scale so the f16 subnormal unit (2^-24) is 1, then round to nearest even.
        float scaled = magnitude * 16777216.0f;
        return (unsigned short)(sign | (uint32_t)std::nearbyint(scaled));
    }
    uint32_t mantissa = abs & 0x7fffffu;
    uint32_t exponent = (abs >> 23) - 127 + 15;
    uint32_t half = (exponent << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) half += 1;
    return (unsigned short)(sign | half);
}
