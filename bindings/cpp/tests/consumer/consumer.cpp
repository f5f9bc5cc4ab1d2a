// An installed-Lumen consumer in C++17: Occlusion of a linear model through the wrapper.
// Prints "consumer: lumen VERSION, attributions OK" and exits 0 when the values match the
// closed form w_i (x_i - b_i).
#include <lumen/lumen.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
    const std::vector<float> w = {0.5f, -1.0f, 2.0f};
    lumen::ModelConfig config;
    config.input_len = 3;
    lumen::Model model(config, [&](lumen::Span<const float> x, std::size_t rows, lumen::Span<float> out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = w[0] * x[r * 3] + w[1] * x[r * 3 + 1] + w[2] * x[r * 3 + 2];
    });
    lumen::Engine engine;
    lumen::OcclusionOptions options;
    options.window_shape = {1};
    options.baseline_scalar = 1.0f;
    const std::vector<float> x = {3.0f, -2.0f, 0.5f};
    const std::vector<float> got = engine.occlusion(model, x, options).attributions();
    for (std::size_t i = 0; i < 3; ++i) {
        if (std::fabs(got[i] - w[i] * (x[i] - 1.0f)) > 1e-5f) {
            std::printf("consumer: attribution %zu is %g, expected %g\n", i, double(got[i]), double(w[i] * (x[i] - 1.0f)));
            return 1;
        }
    }
    std::printf("consumer: lumen %s, attributions OK\n", lumen::version().c_str());
    return 0;
}
