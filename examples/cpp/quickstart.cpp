// Lumen quickstart in C++17 over the C header: RAII handles and a lambda as the model.
// Build: g++ -std=c++17 -I include examples/cpp/quickstart.cpp -L target/release -llumen
//            -Wl,-rpath,target/release -o quickstart_cpp && ./quickstart_cpp
#include <cstdio>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "lumen.h"

namespace {

void check(lumen_status status) {
    if (status != LUMEN_STATUS_OK) throw std::runtime_error(lumen_last_error_message());
}

using Engine = std::unique_ptr<lumen_engine, decltype(&lumen_engine_free)>;
using Model = std::unique_ptr<lumen_model, decltype(&lumen_model_free)>;
using Explanation = std::unique_ptr<lumen_explanation, decltype(&lumen_explanation_free)>;
using Predict = std::function<void(const float *inputs, size_t rows, float *outputs)>;

// Trampoline: C callback → std::function; exceptions become a non-zero return code.
int32_t call_predict(void *user_data, const float *inputs, size_t rows, float *outputs) {
    try {
        (*static_cast<Predict *>(user_data))(inputs, rows, outputs);
        return 0;
    } catch (...) {
        return 1;
    }
}

}  // namespace

int main() {
    Predict predict = [](const float *x, size_t rows, float *out) {
        for (size_t r = 0; r < rows; ++r) out[r] = x[r * 4] * x[r * 4 + 1] + x[r * 4 + 2] - x[r * 4 + 3];
    };
    lumen_model_desc desc{};
    desc.abi_version = LUMEN_MODEL_ABI_VERSION;
    desc.input_len = 4;
    desc.output_len = 1;
    desc.predict = call_predict;
    desc.user_data = &predict;

    try {
        lumen_engine *engine_raw = nullptr;
        lumen_model *model_raw = nullptr;
        check(lumen_engine_new(nullptr, &engine_raw));
        Engine engine(engine_raw, lumen_engine_free);
        check(lumen_model_new(&desc, &model_raw));
        Model model(model_raw, lumen_model_free);

        std::vector<float> row{2.0f, 3.0f, 1.0f, 0.5f};
        const size_t window[1] = {2};
        lumen_occlusion_options options = lumen_occlusion_options_default();
        options.window_shape = window;
        options.window_rank = 1;
        lumen_explanation *explanation_raw = nullptr;
        check(lumen_engine_explain_occlusion(engine.get(), model.get(), row.data(), row.size(), 1, &options,
                                             &explanation_raw));
        Explanation explanation(explanation_raw, lumen_explanation_free);

        std::vector<float> attributions(row.size());
        check(lumen_explanation_attributions(explanation.get(), attributions.data(), attributions.size()));
        for (size_t i = 0; i < attributions.size(); ++i) std::printf("x%zu %+.3f\n", i, attributions[i]);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "lumen: %s\n", e.what());
        return 1;
    }
    return 0;
}
