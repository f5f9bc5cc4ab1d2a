// Explaining a double-precision model with Lumen's C++ wrapper: a loan-book valuation
// model written on `double` (balances in cents reach 1e10, beyond float's 24-bit
// mantissa) explained by exact KernelSHAP. The model sees the caller's doubles bit for
// bit, and the values, base value and prediction come back as doubles whose sum checks
// local accuracy to rounding error.
//
// Build:
//   g++ -std=c++17 -I include -I bindings/cpp/include bindings/cpp/examples/double_precision.cpp
//       -L target/release -llumen -Wl,-rpath,$PWD/target/release -o double_precision
#include <lumen/lumen.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
    try {
        // Value in cents of a book: balance · (1 − default rate) · discount^years + fee.
        lumen::ModelConfig config;
        config.input_len = 4;
        config.output_len = 1;
        config.feature_names = {"balance_cents", "default_rate", "years", "fee_cents"};
        // Callables on Span<const double> make a double model (lumen::ElementType::F64).
        const lumen::Model model(config, [](lumen::Span<const double> in, std::size_t rows,
                                            lumen::Span<double> out) {
            for (std::size_t r = 0; r < rows; ++r) {
                const double* x = &in[r * 4];
                out[r] = x[0] * (1.0 - x[1]) * std::pow(0.97, x[2]) + x[3];
            }
        });

        // Two books and a background of three typical ones, all in double.
        const std::vector<double> books = {12345678901.23, 0.021, 3.0, 1999.99,  //
                                           9876543210.98, 0.034, 5.0, 2500.01};
        lumen::KernelShapOptionsF64 options;
        options.game.background = {10000000000.0, 0.025, 4.0, 2000.0,  //
                                   11000000000.0, 0.030, 3.0, 2100.0,  //
                                   9000000000.0, 0.020, 5.0, 1900.0};
        const lumen::Engine engine;
        const lumen::Explanation ex = engine.kernel_shap(model, books, options);  // the _f64 export

        const std::vector<double> values = ex.attributions_f64();
        const std::vector<double> base = ex.base_values_f64();
        const std::vector<double> prediction = ex.predictions_f64();
        const std::vector<std::string> names = ex.feature_names();
        std::printf("element type: %s\n", ex.element_type() == lumen::ElementType::F64 ? "double" : "float");
        for (std::size_t r = 0; r < 2; ++r) {
            std::printf("book %zu: value %.2f cents, base %.2f\n", r, prediction[r], base[r]);
            double sum = base[r];
            for (std::size_t i = 0; i < names.size(); ++i) {
                std::printf("  %-14s %+.4f\n", names[i].c_str(), values[r * names.size() + i]);
                sum += values[r * names.size() + i];
            }
            std::printf("  local accuracy gap: %.3g cents\n", sum - prediction[r]);
        }

        // Float inputs for this double model are refused.
        try {
            lumen::KernelShapOptions float_options;
            float_options.game.background = {1.0f, 0.0f, 1.0f, 0.0f};
            engine.kernel_shap(model, std::vector<float>{1.0f, 0.0f, 1.0f, 0.0f}, float_options);
        } catch (const lumen::ElementTypeError& e) {
            std::printf("float inputs refused: %s\n", e.status_name());
        }
        return 0;
    } catch (const lumen::Error& e) {
        std::fprintf(stderr, "lumen error %s: %s\n", e.status_name(), e.what());
        return 1;
    }
}
