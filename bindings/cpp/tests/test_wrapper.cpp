// Tests of the C++ wrapper (bindings/cpp/include/lumen/lumen.hpp): every engine method
// against closed forms on linear models, every accessor, error mapping, exceptions from
// model callables, move semantics and use from several threads. Prints
// "test_wrapper: N passed, N failed" and exits non-zero when a check failed.
#include <lumen/lumen.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <numeric>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

int passed = 0;
int failed = 0;

void record(bool ok, const char* what, const char* file, int line) {
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::fflush(stdout);
        std::fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what);
    }
}

#define CHECK(condition) record((condition), #condition, __FILE__, __LINE__)

void check_near(double got, double want, double tol, const char* what, const char* file, int line) {
    const bool ok = std::fabs(got - want) <= tol;
    record(ok, what, file, line);
    if (!ok) std::fprintf(stderr, "     got %.9g, expected %.9g (tolerance %.3g)\n", got, want, tol);
}

#define CHECK_NEAR(got, want, tol) check_near((got), (want), (tol), #got " ~ " #want, __FILE__, __LINE__)

// Runs `body` and checks that it throws `E` with `status` (and `needle` in the message).
template <class E, class Body>
void check_throws(Body body, lumen::Status status, const char* needle, const char* what, const char* file,
                  int line) {
    try {
        body();
        record(false, what, file, line);
        std::fprintf(stderr, "     nothing was thrown\n");
    } catch (const E& e) {
        const bool ok = e.status() == status && std::strstr(e.what(), needle) != nullptr;
        record(ok, what, file, line);
        if (!ok) std::fprintf(stderr, "     got %s \"%s\", expected %s with \"%s\"\n", e.status_name(), e.what(),
                              lumen::status_name(status), needle);
    } catch (const std::exception& e) {
        record(false, what, file, line);
        std::fprintf(stderr, "     threw another type: \"%s\"\n", e.what());
    }
}

#define CHECK_THROWS(E, status, needle, ...) \
    check_throws<E>([&] { __VA_ARGS__; }, (status), (needle), #__VA_ARGS__, __FILE__, __LINE__)

void section(const char* name) { std::printf("-- %s\n", name); }

// f_o(x) = W[o]·x + b[o], accumulated in double.
struct Linear {
    std::size_t n;
    std::vector<float> w;  // outputs × n
    std::vector<float> b;  // outputs

    std::size_t outputs() const { return b.size(); }
    template <class T>  // float or double inputs, accumulated in double
    double eval(std::size_t o, const T* x) const {
        double acc = b[o];
        for (std::size_t i = 0; i < n; ++i) acc += double(w[o * n + i]) * x[i];
        return acc;
    }
    lumen::PredictFunction predict() const {
        return [this](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t o = 0; o < outputs(); ++o) out[r * outputs() + o] = float(eval(o, &in[r * n]));
        };
    }
    lumen::GradientFunction gradient() const {
        return [this](lumen::Span<const float> in, std::size_t rows, lumen::Span<const std::uint32_t> targets,
                      lumen::Span<float> grads, lumen::Span<float> out) {
            for (std::size_t r = 0; r < rows; ++r) {
                for (std::size_t i = 0; i < n; ++i) grads[r * n + i] = w[targets[r] * n + i];
                if (!out.empty())
                    for (std::size_t o = 0; o < outputs(); ++o) out[r * outputs() + o] = float(eval(o, &in[r * n]));
            }
        };
    }
    lumen::ModelConfig config(bool concurrent = true) const {
        lumen::ModelConfig c;
        c.input_len = n;
        c.output_len = outputs();
        c.concurrent = concurrent;
        return c;
    }
};

// Two outputs over four inputs.
const Linear linear{4, {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f, 0.5f, -2.0f}, {0.1f, -0.3f}};
const std::vector<float> rows2 = {1.0f, 2.0f, -1.0f, 0.5f, -0.5f, 1.0f, 3.0f, 2.0f};
const std::vector<float> baseline = {0.25f, -0.5f, 1.0f, 0.0f};

lumen::Engine cpu_engine(std::uint32_t threads = 2, std::uint64_t seed = 7) {
    lumen::EngineOptions options;
    options.backend = lumen::Backend::Cpu;
    options.threads = threads;
    options.seed = seed;
    return lumen::Engine(options);
}

// Checks attributions rows × outputs × n against w[o][i] (x_i − b_i) (`scale` of it).
void check_linear_attributions(const std::vector<float>& got, const std::vector<float>& x,
                               const std::vector<float>& b, double tol, const char* what) {
    const std::size_t n = linear.n, outs = linear.outputs(), rows = x.size() / n;
    bool shape_ok = got.size() == rows * outs * n;
    record(shape_ok, what, __FILE__, __LINE__);
    if (!shape_ok) return;
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t o = 0; o < outs; ++o)
            for (std::size_t i = 0; i < n; ++i)
                check_near(got[(r * outs + o) * n + i], double(linear.w[o * n + i]) * (x[r * n + i] - b[i]), tol,
                           what, __FILE__, __LINE__);
}

void test_engine_and_version() {
    section("engine, version, status names");
    lumen::Engine engine = cpu_engine();
    CHECK(engine.backend() == lumen::Backend::Cpu);
    const std::string v = lumen::version();
    CHECK(v == std::to_string(LUMEN_VERSION_MAJOR) + "." + std::to_string(LUMEN_VERSION_MINOR) + "." +
                   std::to_string(LUMEN_VERSION_PATCH));
    CHECK(std::string(lumen::status_name(lumen::Status::ModelFailed)) == "LUMEN_STATUS_MODEL_FAILED");
    lumen::Engine defaults;
    CHECK(defaults.get() != nullptr);
    lumen::EngineOptions zero_budget;
    zero_budget.memory_budget_bytes = 0;
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "memory_budget_bytes",
                 lumen::Engine{zero_budget});
}

void test_occlusion() {
    section("occlusion: w (x - b) per element with 1-wide windows; window 2 averages");
    lumen::Engine engine = cpu_engine();
    lumen::Model model(linear.config(), linear.predict());
    lumen::OcclusionOptions options;
    options.window_shape = {1};
    options.baseline = baseline;
    lumen::Explanation ex = engine.occlusion(model, rows2, options);
    check_linear_attributions(ex.attributions(), rows2, baseline, 1e-5, "occlusion attributions");
    const lumen::AttributionShape shape = ex.shape();
    CHECK(shape.rows == 2 && shape.outputs == 2 && shape.features == 4);
    CHECK(ex.feature_shape() == std::vector<std::size_t>{4});
    CHECK(shape.feature_axis == lumen::FeatureAxis::Elements);
    // Predictions f(x), base values f(baseline).
    const std::vector<float> pred = ex.predictions(), base = ex.base_values();
    CHECK(pred.size() == 4 && base.size() == 4);
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t o = 0; o < 2; ++o) {
            CHECK_NEAR(pred[r * 2 + o], linear.eval(o, &rows2[r * 4]), 1e-5);
            CHECK_NEAR(base[r * 2 + o], linear.eval(o, baseline.data()), 1e-5);
        }
    CHECK((ex.outputs() == std::vector<std::uint32_t>{0, 1}));
    // Occlusion has no standard errors.
    CHECK_THROWS(lumen::NotAvailableError, lumen::Status::NotAvailable, "", ex.standard_errors());
    // Targets and a scalar baseline; the caller's buffer overload.
    lumen::OcclusionOptions one;
    one.window_shape = {1};
    one.targets = {1};
    one.baseline_scalar = 0.5f;
    lumen::Explanation ex1 = engine.occlusion(model, rows2, one);
    std::vector<float> buffer(8);
    ex1.attributions(buffer);
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t i = 0; i < 4; ++i) CHECK_NEAR(buffer[r * 4 + i], linear.w[4 + i] * (rows2[r * 4 + i] - 0.5), 1e-5);
    std::vector<float> small(3);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::BufferTooSmall, "", ex1.attributions(small));
    CHECK(ex1.outputs() == std::vector<std::uint32_t>{1});
    // Window 2, stride 2 over 4 elements: each window's delta lands on its two elements.
    lumen::OcclusionOptions pairs;
    pairs.window_shape = {2};
    pairs.strides = {2};
    pairs.baseline = baseline;
    pairs.targets = {0};
    const std::vector<float> got = engine.occlusion(model, lumen::Span<const float>(rows2.data(), 4), pairs).attributions();
    for (std::size_t i = 0; i < 4; ++i) {
        const std::size_t lo = i / 2 * 2;
        double delta = 0;
        for (std::size_t j = lo; j < lo + 2; ++j) delta += linear.w[j] * (rows2[j] - baseline[j]);
        CHECK_NEAR(got[i], delta, 1e-5);
    }
}

void test_feature_ablation() {
    section("feature ablation: group sums of w (x - b), both layouts, names, gaps");
    lumen::Engine engine = cpu_engine();
    lumen::Model model(linear.config(), linear.predict());
    lumen::FeatureAblationOptions options;
    options.feature_mask = {0, 0, 1, 1};
    options.group_names = {"first", "second"};
    options.baseline = baseline;
    options.group_attributions = true;
    lumen::Explanation ex = engine.feature_ablation(model, rows2, options);
    const lumen::AttributionShape shape = ex.shape();
    CHECK(shape.features == 2 && shape.feature_axis == lumen::FeatureAxis::Groups);
    CHECK((ex.feature_names() == std::vector<std::string>{"first", "second"}));
    const std::vector<float> got = ex.attributions();
    // Groups as lists of element indices give the same mask and the same values.
    CHECK((lumen::group_ids({{1, 0}, {3, 2}}) == std::vector<std::uint32_t>{0, 0, 1, 1}));
    lumen::FeatureAblationOptions listed = options;
    listed.feature_mask = lumen::group_ids({{0, 1}, {2, 3}});
    CHECK(engine.feature_ablation(model, rows2, listed).attributions() == got);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "element 1 is in groups 0 and 1",
                 lumen::group_ids({{0, 1}, {1, 2}}));
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "element 3 of group 1 is out of range",
                 lumen::group_ids({{0, 1}, {3}}));
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t o = 0; o < 2; ++o)
            for (std::size_t g = 0; g < 2; ++g) {
                double want = 0;
                for (std::size_t i = 2 * g; i < 2 * g + 2; ++i)
                    want += linear.w[o * 4 + i] * (rows2[r * 4 + i] - baseline[i]);
                CHECK_NEAR(got[(r * 2 + o) * 2 + g], want, 1e-5);
            }
    // An additive model has no completeness gap; every row reports one.
    for (double gap : ex.completeness_gaps()) CHECK_NEAR(gap, 0.0, 1e-5);
    CHECK(ex.row_diagnostics(0).has_completeness_gap);
    // Per row: the row itself and one perturbation per group, at least; the total also
    // counts the shared evaluations (the baseline).
    const std::uint64_t row0 = ex.row_diagnostics(0).model_rows_evaluated;
    const std::uint64_t row1 = ex.row_diagnostics(1).model_rows_evaluated;
    CHECK(row0 >= 3 && row1 >= 3 && ex.model_rows_evaluated() >= row0 + row1);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "row", ex.row_diagnostics(2));
    // Defaults: each element its own group, baseline 0.
    lumen::Explanation plain = engine.feature_ablation(model, rows2);
    check_linear_attributions(plain.attributions(), rows2, {0, 0, 0, 0}, 1e-5, "ablation, defaults");
}

// Background rows for the Shapley tests and their (weighted) mean.
const std::vector<float> background = {0.0f, 1.0f, -1.0f, 2.0f, 1.0f, -1.0f, 0.5f, 0.0f, 2.0f, 0.0f, 1.5f, -2.0f};
const std::vector<double> weights = {1.0, 2.0, 1.0};

std::vector<float> weighted_mean(const std::vector<float>& rows, const std::vector<double>& w) {
    std::vector<float> mean(4, 0.0f);
    double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (std::size_t r = 0; r < w.size(); ++r)
        for (std::size_t i = 0; i < 4; ++i) mean[i] += float(w[r] / total * rows[r * 4 + i]);
    return mean;
}

void test_kernel_shap() {
    section("KernelSHAP: w (x - E_w[b]) for a linear model, exact; reason codes; groups; JSON");
    lumen::Engine engine = cpu_engine();
    lumen::ModelConfig config = linear.config();
    config.feature_names = {"income", "debt", "age", "tenure"};
    lumen::Model model(config, linear.predict());
    lumen::KernelShapOptions options;
    options.game.background = background;
    options.game.background_weights = weights;
    lumen::Explanation ex = engine.kernel_shap(model, rows2, options);
    const std::vector<float> mean = weighted_mean(background, weights);
    check_linear_attributions(ex.attributions(), rows2, mean, 1e-4, "KernelSHAP values");
    for (float se : ex.standard_errors()) CHECK(se == 0.0f);  // 4 players: every coalition enumerated
    for (double gap : ex.completeness_gaps()) CHECK_NEAR(gap, 0.0, 1e-4);
    const std::vector<float> base = ex.base_values();
    CHECK_NEAR(base[0], linear.eval(0, mean.data()), 1e-5);
    CHECK(ex.feature_name(1) == "debt");
    // Row 0, output 0: contributions 0.5·(1−mean0), −1·(2−mean1), 2·(−1−mean2), 0.25·(0.5−mean3).
    std::vector<std::pair<double, std::size_t>> lowered;
    for (std::size_t i = 0; i < 4; ++i) {
        const double c = linear.w[i] * (rows2[i] - mean[i]);
        if (c < 0) lowered.emplace_back(c, i);
    }
    std::sort(lowered.begin(), lowered.end());
    const std::vector<lumen::ReasonCode> codes = ex.reason_codes(0, 0, 4, lumen::Direction::Lowered);
    CHECK(codes.size() == lowered.size());
    for (std::size_t k = 0; k < codes.size() && k < lowered.size(); ++k) {
        CHECK(codes[k].feature == lowered[k].second);
        CHECK(codes[k].name == config.feature_names[lowered[k].second]);
        CHECK_NEAR(codes[k].contribution, lowered[k].first, 1e-4);
    }
    const std::vector<lumen::ReasonCode> raised = ex.reason_codes(0, 0, 1, lumen::Direction::Raised);
    CHECK(raised.size() == 1 && raised[0].contribution > 0);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "output", ex.reason_codes(0, 5, 2));
    // Post-hoc group sums keep local accuracy and name the groups.
    lumen::Explanation grouped = ex.sum_groups(std::vector<std::uint32_t>{0, 1, 1, 0}, {"stable", "volatile"});
    CHECK(grouped.shape().features == 2 && grouped.feature_name(1) == "volatile");
    const std::vector<float> all = ex.attributions(), sums = grouped.attributions();
    CHECK_NEAR(sums[0], all[0] + all[3], 1e-5);
    CHECK_NEAR(sums[1], all[1] + all[2], 1e-5);
    // Player groups in the game itself: a linear model's group value is the group's sum.
    lumen::KernelShapOptions players = options;
    players.game.players = {0, 1, 1, 0};
    players.game.player_names = {"stable", "volatile"};
    players.game.targets = {0};
    const std::vector<float> by_player = engine.kernel_shap(model, rows2, players).attributions();
    CHECK(by_player.size() == 4);
    CHECK_NEAR(by_player[0], all[0] + all[3], 1e-4);
    CHECK_NEAR(by_player[1], all[1] + all[2], 1e-4);
    // The audit JSON names the method and the seed.
    const std::string json = ex.to_json();
    CHECK(json.find("kernel_shap") != std::string::npos);
    CHECK(json.find("\"seed\":7") != std::string::npos);
    CHECK(json.front() == '{' && json.back() == '}');
    // Every estimator, sampled (10 of the 14 coalitions): one finite value per player and
    // output, locally accurate, the estimator named in the JSON.
    const std::array<std::pair<lumen::Estimator, const char*>, 6> estimators = {{
        {lumen::Estimator::Default, "\"estimator\":\"leverage_top_triples\""},
        {lumen::Estimator::Shap, "\"estimator\":\"shap\""},
        {lumen::Estimator::Leverage, "\"estimator\":\"leverage\""},
        {lumen::Estimator::LeverageStratified, "\"estimator\":\"leverage_stratified\""},
        {lumen::Estimator::LeverageInteractions, "\"estimator\":\"leverage_interactions\""},
        {lumen::Estimator::LeverageTopTriples, "\"estimator\":\"leverage_top_triples\""},
    }};
    for (const auto& [estimator, name] : estimators) {
        lumen::KernelShapOptions sampled = options;
        sampled.estimator = estimator;
        sampled.budget = 10;
        const lumen::Explanation e = engine.kernel_shap(model, rows2, sampled);
        const std::vector<float> values = e.attributions();
        CHECK(values.size() == all.size());
        CHECK(std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); }));
        for (double gap : e.completeness_gaps()) CHECK_NEAR(gap, 0.0, 1e-4);
        CHECK(e.to_json().find(name) != std::string::npos);
    }
}

void test_shapley_sampling() {
    section("Shapley Value Sampling: exact on a linear model (every permutation agrees)");
    lumen::Engine engine = cpu_engine();
    lumen::Model model(linear.config(), linear.predict());
    lumen::ShapleySamplingOptions options;
    options.game.background = background;
    options.permutation_pairs = 4;
    lumen::Explanation ex = engine.shapley_sampling(model, rows2, options);
    check_linear_attributions(ex.attributions(), rows2, weighted_mean(background, {1, 1, 1}), 1e-4,
                              "sampling values");
    for (float se : ex.standard_errors()) CHECK_NEAR(se, 0.0, 1e-5);

    // A target standard error the linear model's exact pairs meet at once, then a bad one.
    options.target_standard_error = 1e-3;
    options.max_permutation_pairs = 40;
    const std::string json = engine.shapley_sampling(model, rows2, options).to_json();
    CHECK(json.find("\"target_met\":true") != std::string::npos);
    CHECK(json.find("\"max_permutation_pairs\":40") != std::string::npos);
    options.target_standard_error = -1.0;
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "target_standard_error",
                 engine.shapley_sampling(model, rows2, options));
}

void test_gradient_methods() {
    section("gradient methods: IG, Saliency, GradientSHAP, NoiseTunnel on a linear model");
    lumen::Engine engine = cpu_engine();
    lumen::Model model(linear.config(), linear.predict(), linear.gradient());

    lumen::IntegratedGradientsOptions ig;
    ig.baseline = baseline;
    ig.n_steps = 8;
    lumen::Explanation ex = engine.integrated_gradients(model, rows2, ig);
    check_linear_attributions(ex.attributions(), rows2, baseline, 1e-5, "IG, Gauss-Legendre");
    for (double gap : ex.completeness_gaps()) CHECK_NEAR(gap, 0.0, 1e-4);
    ig.method = lumen::IgMethod::RiemannTrapezoid;
    check_linear_attributions(engine.integrated_gradients(model, rows2, ig).attributions(), rows2, baseline, 1e-5,
                              "IG, trapezoid");
    ig.multiply_by_inputs = false;
    ig.targets = {1};
    const std::vector<float> integral = engine.integrated_gradients(model, rows2, ig).attributions();
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t i = 0; i < 4; ++i) CHECK_NEAR(integral[r * 4 + i], linear.w[4 + i], 1e-5);

    const std::vector<float> sal = engine.saliency(model, rows2).attributions();
    lumen::SaliencyOptions signed_options;
    signed_options.abs = false;
    const std::vector<float> sal_signed = engine.saliency(model, rows2, signed_options).attributions();
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t k = 0; k < 8; ++k) {
            CHECK_NEAR(sal[r * 8 + k], std::fabs(linear.w[k]), 1e-6);
            CHECK_NEAR(sal_signed[r * 8 + k], linear.w[k], 1e-6);
        }

    lumen::GradientShapOptions gs;
    gs.baselines = baseline;  // one baseline row: every sample has the same x − b
    gs.n_samples = 6;
    lumen::Explanation gse = engine.gradient_shap(model, rows2, gs);
    check_linear_attributions(gse.attributions(), rows2, baseline, 1e-5, "GradientSHAP, one baseline");
    for (double gap : gse.completeness_gaps()) CHECK_NEAR(gap, 0.0, 1e-4);

    lumen::NoiseTunnelOptions nt;
    nt.nt_samples = 4;
    nt.stdevs = 0.5f;
    nt.saliency.abs = false;
    const std::vector<float> smooth = engine.noise_tunnel(model, rows2, nt).attributions();
    nt.nt_type = lumen::NoiseType::SmoothGradSq;
    const std::vector<float> squares = engine.noise_tunnel(model, rows2, nt).attributions();
    nt.nt_type = lumen::NoiseType::VarGrad;
    const std::vector<float> variance = engine.noise_tunnel(model, rows2, nt).attributions();
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t k = 0; k < 8; ++k) {
            CHECK_NEAR(smooth[r * 8 + k], linear.w[k], 1e-6);  // a constant gradient is noise-free
            CHECK_NEAR(squares[r * 8 + k], double(linear.w[k]) * linear.w[k], 1e-6);
            CHECK_NEAR(variance[r * 8 + k], 0.0, 1e-6);
        }
    nt.nt_type = lumen::NoiseType::SmoothGrad;
    nt.base = lumen::NoiseTunnelBase::IntegratedGradients;
    nt.stdevs = 0.0f;
    nt.integrated_gradients.baseline = baseline;
    check_linear_attributions(engine.noise_tunnel(model, rows2, nt).attributions(), rows2, baseline, 1e-5,
                              "NoiseTunnel over IG, no noise");
    nt.base = lumen::NoiseTunnelBase::GradientShap;
    nt.gradient_shap.baselines = baseline;
    check_linear_attributions(engine.noise_tunnel(model, rows2, nt).attributions(), rows2, baseline, 1e-5,
                              "NoiseTunnel over GradientSHAP, no noise");

    // A model without a gradient.
    lumen::Model forward_only(linear.config(), linear.predict());
    CHECK_THROWS(lumen::ModelError, lumen::Status::ModelCapabilityMissing, "gradient",
                 engine.saliency(forward_only, rows2));
}

void test_grad_cam() {
    section("Grad-CAM: identity layer {2, 2, 3} with constant gradients G[o][c]: map = sum_c G[o][c] x_c");
    // Input shape {2, 2, 3}; f_o(x) = Σ_c G[o][c] Σ_p x[c][p]; the layer is the input itself.
    const float G[2][2] = {{1.0f, -0.5f}, {0.25f, 2.0f}};
    const std::size_t C = 2, P = 6;
    lumen::ModelConfig config;
    config.input_len = C * P;
    config.output_len = 2;
    config.input_shape = {2, 2, 3};
    config.layer_shape = {2, 2, 3};
    auto predict = [&](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t o = 0; o < 2; ++o) {
                double acc = 0;
                for (std::size_t c = 0; c < C; ++c)
                    for (std::size_t p = 0; p < P; ++p) acc += G[o][c] * in[r * C * P + c * P + p];
                out[r * 2 + o] = float(acc);
            }
    };
    auto layer = [&](lumen::Span<const float> in, std::size_t rows, lumen::Span<const std::uint32_t> targets,
                     lumen::Span<float> activations, lumen::Span<float> gradients) {
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t c = 0; c < C; ++c)
                for (std::size_t p = 0; p < P; ++p) {
                    activations[r * C * P + c * P + p] = in[r * C * P + c * P + p];
                    gradients[r * C * P + c * P + p] = G[targets[r]][c];
                }
    };
    lumen::Model model(config, predict, nullptr, layer);
    lumen::Engine engine = cpu_engine();
    std::vector<float> x(2 * C * P);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(int(i % 7) - 3) * 0.5f;
    for (bool upsample : {false, true}) {
        lumen::GradCamOptions options;
        options.upsample = upsample;  // the layer is already H × W: upsampling is the identity
        lumen::Explanation ex = engine.grad_cam(model, x, options);
        const std::vector<float> got = ex.attributions();
        CHECK(ex.shape().features == P && got.size() == 2 * 2 * P);
        CHECK((ex.feature_shape() == std::vector<std::size_t>{2, 3}));
        for (std::size_t r = 0; r < 2; ++r)
            for (std::size_t o = 0; o < 2; ++o)
                for (std::size_t p = 0; p < P; ++p) {
                    double want = 0;
                    for (std::size_t c = 0; c < C; ++c) want += G[o][c] * x[r * C * P + c * P + p];
                    CHECK_NEAR(got[(r * 2 + o) * P + p], want, 1e-5);
                }
    }
    lumen::GradCamOptions relu;
    relu.relu_attributions = true;
    for (float v : engine.grad_cam(model, x, relu).attributions()) CHECK(v >= 0.0f);
}

// P(class 1) = sigmoid(2 x0 − x1 + 0.5 x2 − 1).
float logistic(const float* x) { return float(1.0 / (1.0 + std::exp(-(2.0 * x[0] - x[1] + 0.5 * x[2] - 1.0)))); }

void test_counterfactuals_and_scorecard() {
    section("PermuteAttack counterfactuals on a logistic model; scorecard points");
    lumen::ModelConfig config;
    config.input_len = 3;
    config.output_len = 1;
    config.concurrent = true;
    lumen::Model model(config, [](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = logistic(&in[r * 3]);
    });
    lumen::Engine engine = cpu_engine(2, 42);
    lumen::PermuteAttackOptions options;
    for (int i = 0; i < 40; ++i) {
        options.training.push_back(float(i % 8) * 0.5f - 1.0f);
        options.training.push_back(float(i % 5) * 0.5f);
        options.training.push_back(float(i % 3) - 1.0f);
    }
    options.features = {{"income", false, {0}}, {"debt", false, {1}}, {"age", false, {2}}};
    options.immutable = {2};
    options.generations = 30;
    options.runs = 3;
    options.sampling = lumen::Sampling::Column;
    const std::vector<float> declined = {-0.5f, 1.0f, 0.0f};  // p ≈ 0.047: class 0
    lumen::Counterfactuals found = engine.counterfactuals(model, declined, options);
    CHECK(found.count() == 1);
    const lumen::InstanceCounterfactuals outcome = found.instance(0);
    CHECK(outcome.original_class == 0 && outcome.target_class == 1 && !outcome.already_at_target);
    CHECK_NEAR(outcome.original_probability, logistic(declined.data()), 1e-6);
    CHECK(outcome.count >= 1 && outcome.model_rows_evaluated > 0);
    const std::vector<lumen::Counterfactual> all = found.all(0);
    CHECK(all.size() == outcome.count);
    for (const lumen::Counterfactual& cf : all) {
        CHECK(cf.success && cf.predicted_class == 1);
        CHECK_NEAR(cf.target_probability, logistic(cf.row.data()), 1e-6);
        CHECK(cf.row[2] == declined[2]);  // immutable
        double d2 = 0;
        for (std::size_t i = 0; i < 3; ++i) d2 += double(cf.row[i] - declined[i]) * (cf.row[i] - declined[i]);
        CHECK_NEAR(cf.distance, std::sqrt(d2), 1e-5);
        for (std::size_t i = 0; i < 3; ++i) {
            const bool listed = std::find(cf.changed.begin(), cf.changed.end(), i) != cf.changed.end();
            CHECK(listed == (cf.row[i] != declined[i]));
        }
    }
    CHECK(found.to_json().find("\"income\"") != std::string::npos);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "instance", found.instance(1));
    // A row already approved is not searched.
    const std::vector<float> approved = {2.0f, 0.0f, 0.0f};  // p ≈ 0.95: class 1
    options.target_class = 1;
    lumen::Counterfactuals none = engine.counterfactuals(model, approved, options);
    CHECK(none.instance(0).already_at_target && none.instance(0).count == 0);

    CHECK_NEAR(lumen::scorecard_score(0.8), 600.0 + 15.0 / std::log(2.0) * std::log(4.0 / 20.0), 1e-9);
    CHECK_NEAR(lumen::scorecard_score(0.5, 500.0, 1.0, 20.0), 500.0, 1e-12);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "p_good", lumen::scorecard_score(1.5));
    lumen::PermuteAttackOptions no_training;
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "training",
                 engine.counterfactuals(model, declined, no_training));
}

// Two trees over (x0, x1, colour index): P(class 1).
float colour_forest(float x0, float x1, int colour) {
    const float t1 = colour == 2 ? (x0 > 4.5f ? 0.9f : 0.6f) : (x1 > 7.5f ? 0.7f : 0.1f);
    const float t2 = x0 > 8.5f ? 0.9f : (colour == 1 ? 0.45f : 0.1f);
    return (t1 + t2) / 2;
}

void test_coded_counterfactuals() {
    section("PermuteAttack: a colour as integer codes gives the one-hot search");
    const std::vector<float> codes = {10.0f, 20.0f, 5.0f};
    auto model_of = [&](bool one_hot) {
        lumen::ModelConfig config;
        config.input_len = one_hot ? 5 : 3;
        config.output_len = 1;
        config.concurrent = true;
        return lumen::Model(config, [one_hot, codes](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
            const std::size_t n = one_hot ? 5 : 3;
            for (std::size_t r = 0; r < rows; ++r) {
                const float* x = &in[r * n];
                const int colour = one_hot ? (x[2] == 1.0f ? 0 : x[3] == 1.0f ? 1 : 2)
                                           : int(std::find(codes.begin(), codes.end(), x[2]) - codes.begin());
                out[r] = colour_forest(x[0], x[1], colour);
            }
        });
    };
    // Logical rows (x0, x1, colour index) as model rows.
    auto encode = [&](const std::vector<std::array<float, 3>>& logical, bool one_hot) {
        std::vector<float> rows;
        for (const auto& l : logical) {
            rows.push_back(l[0]);
            rows.push_back(l[1]);
            for (int c = 0; c < 3 && one_hot; ++c) rows.push_back(int(l[2]) == c ? 1.0f : 0.0f);
            if (!one_hot) rows.push_back(codes[std::size_t(l[2])]);
        }
        return rows;
    };
    std::vector<std::array<float, 3>> training;
    for (int i = 0; i < 36; ++i) training.push_back({float(i % 10 + 1), float((i * 3) % 10 + 1), float(i % 3)});
    const std::vector<std::array<float, 3>> instances = {{2, 4, 0}, {3, 2, 1}, {1, 9, 0}};
    auto search = [&](bool one_hot) {
        lumen::PermuteAttackOptions options;
        options.training = encode(training, one_hot);
        options.features = {{"x0", false, {0}}, {"x1", false, {1}},
                            one_hot ? lumen::TabularFeature{"colour", true, {2, 3, 4}}
                                    : lumen::TabularFeature::coded("colour", 2, codes)};
        options.generations = 25;
        options.runs = 3;
        return cpu_engine(2, 7).counterfactuals(model_of(one_hot), encode(instances, one_hot), options);
    };
    const lumen::Counterfactuals one_hot = search(true);
    const lumen::Counterfactuals coded = search(false);
    int colour_changes = 0;
    for (std::size_t i = 0; i < instances.size(); ++i) {
        const lumen::InstanceCounterfactuals a = coded.instance(i), b = one_hot.instance(i);
        CHECK(a.original_class == b.original_class && a.target_class == b.target_class);
        CHECK(a.original_probability == b.original_probability && a.count == b.count);
        CHECK(a.model_rows_evaluated == b.model_rows_evaluated);
        const std::vector<lumen::Counterfactual> xs = coded.all(i), ys = one_hot.all(i);
        for (std::size_t k = 0; k < xs.size() && k < ys.size(); ++k) {
            const lumen::Counterfactual &x = xs[k], &y = ys[k];
            CHECK(x.success == y.success && x.predicted_class == y.predicted_class && x.changed == y.changed);
            CHECK(x.target_probability == y.target_probability && x.distance == y.distance);
            const auto code = std::find(codes.begin(), codes.end(), x.row[2]);
            CHECK(code != codes.end());
            const std::array<float, 3> decoded = {x.row[0], x.row[1], float(code - codes.begin())};
            CHECK(encode({decoded}, true) == y.row);
            colour_changes += x.success && std::find(x.changed.begin(), x.changed.end(), 2u) != x.changed.end();
        }
    }
    CHECK(colour_changes > 0);
    lumen::PermuteAttackOptions duplicated;
    duplicated.training = encode(training, false);
    duplicated.features = {{"x0", false, {0}}, {"x1", false, {1}},
                           lumen::TabularFeature::coded("colour", 2, {10.0f, 20.0f, 10.0f})};
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "lists code 10 twice",
                 cpu_engine(1, 1).counterfactuals(model_of(false), encode(instances, false), duplicated));
}

struct ModelBroke : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void test_errors() {
    section("errors: lengths, NaN, empty input, throwing and NaN models");
    lumen::Engine engine = cpu_engine();
    lumen::Model model(linear.config(), linear.predict());
    lumen::FeatureAblationOptions options;
    const std::vector<float> seven(7, 1.0f);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::LengthMismatch, "inputs",
                 engine.feature_ablation(model, seven, options));
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "rows",
                 engine.feature_ablation(model, std::vector<float>{}, options));
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::NullPointer, "inputs",
                 engine.feature_ablation(model, lumen::Span<const float>(nullptr, 8), options));
    // std::array and C arrays convert to spans too.
    const std::array<float, 4> array_row = {1.0f, 2.0f, -1.0f, 0.5f};
    float c_row[4] = {1.0f, 2.0f, -1.0f, 0.5f};
    CHECK(engine.feature_ablation(model, array_row).attributions() ==
          engine.feature_ablation(model, c_row).attributions());
    std::vector<float> nan_row = {1.0f, NAN, 0.0f, 0.0f};
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::NonFiniteInput, "inputs",
                 engine.feature_ablation(model, nan_row, options));
    options.baseline = {1.0f, 2.0f};
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::LengthMismatch, "baseline",
                 engine.feature_ablation(model, rows2, options));
    lumen::KernelShapOptions no_background;
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "background",
                 engine.kernel_shap(model, rows2, no_background));
    lumen::OcclusionOptions no_window;
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::InvalidArgument, "window",
                 engine.occlusion(model, rows2, no_window));
    lumen::ModelConfig bad_shape = linear.config();
    bad_shape.input_shape = {3, 2};
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::LengthMismatch, "input_shape",
                 lumen::Model(bad_shape, linear.predict()));
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::NullPointer, "predict",
                 lumen::Model(linear.config(), lumen::PredictFunction()));
    lumen::EngineOptions cuda;
    cuda.backend = lumen::Backend::Cuda;
    try {
        lumen::Engine gpu(cuda);
        CHECK(gpu.backend() == lumen::Backend::Cuda);  // a build and machine with CUDA
    } catch (const lumen::NotAvailableError& e) {
        CHECK(e.status() == lumen::Status::BackendUnavailable);
    }

    // A throwing callable: its own exception comes back, after the engine stopped cleanly.
    std::atomic<int> calls{0};
    lumen::Model throwing(linear.config(false), [&](lumen::Span<const float>, std::size_t, lumen::Span<float>) {
        if (++calls >= 2) throw ModelBroke("scoring backend down");
    });
    try {
        engine.feature_ablation(throwing, rows2);
        CHECK(!"a throwing model must fail the explanation");
    } catch (const ModelBroke& e) {
        CHECK(std::string(e.what()) == "scoring backend down");
    } catch (const std::exception& e) {
        CHECK(!"the model's own exception type must come back");
        std::fprintf(stderr, "     got \"%s\"\n", e.what());
    }
    // A callable throwing something that is not a std::exception.
    lumen::Model throws_int(linear.config(), [](lumen::Span<const float>, std::size_t, lumen::Span<float>) {
        throw 42;
    });
    try {
        engine.feature_ablation(throws_int, rows2);
        CHECK(!"expected the int");
    } catch (int value) {
        CHECK(value == 42);
    }
    // A gradient callable that throws.
    lumen::Model bad_gradient(linear.config(), linear.predict(),
                              [](lumen::Span<const float>, std::size_t, lumen::Span<const std::uint32_t>,
                                 lumen::Span<float>, lumen::Span<float>) { throw ModelBroke("no gradient today"); });
    try {
        engine.integrated_gradients(bad_gradient, rows2);
        CHECK(!"expected ModelBroke");
    } catch (const ModelBroke& e) {
        CHECK(std::string(e.what()) == "no gradient today");
    }
    // A model writing NaN.
    lumen::Model nan_model(linear.config(), [](lumen::Span<const float>, std::size_t, lumen::Span<float> out) {
        for (float& v : out) v = NAN;
    });
    CHECK_THROWS(lumen::ModelError, lumen::Status::ModelNonFiniteOutput, "", engine.feature_ablation(nan_model, rows2));
    lumen::KernelShapOptions shap;
    shap.game.background = background;
    CHECK_THROWS(lumen::ModelError, lumen::Status::ModelNonFiniteOutput, "", engine.kernel_shap(nan_model, rows2, shap));
    // The Error base catches everything, with its status name.
    try {
        engine.feature_ablation(model, seven);
    } catch (const lumen::Error& e) {
        CHECK(std::string(e.status_name()) == "LUMEN_STATUS_LENGTH_MISMATCH");
    }
}

void test_move_semantics() {
    section("move semantics: handles move, moved-from handles fail cleanly");
    static_assert(!std::is_copy_constructible<lumen::Engine>::value, "Engine is move-only");
    static_assert(!std::is_copy_constructible<lumen::Model>::value, "Model is move-only");
    static_assert(!std::is_copy_constructible<lumen::Explanation>::value, "Explanation is move-only");
    static_assert(!std::is_copy_constructible<lumen::Counterfactuals>::value, "Counterfactuals is move-only");
    static_assert(std::is_nothrow_move_constructible<lumen::Engine>::value, "Engine moves");
    static_assert(std::is_nothrow_move_constructible<lumen::Model>::value, "Model moves");
    static_assert(std::is_nothrow_move_constructible<lumen::Explanation>::value, "Explanation moves");
    lumen::Engine a = cpu_engine();
    lumen::Engine b = std::move(a);
    lumen::Model m1(linear.config(), linear.predict());
    lumen::Model m2(std::move(m1));
    lumen::Model m3(linear.config(), linear.predict());
    m3 = std::move(m2);  // frees m3's own model
    lumen::Explanation e1 = b.feature_ablation(m3, rows2);
    lumen::Explanation e2 = std::move(e1);
    check_linear_attributions(e2.attributions(), rows2, {0, 0, 0, 0}, 1e-5, "after moves");
    CHECK(a.get() == nullptr && m1.get() == nullptr && m2.get() == nullptr && e1.get() == nullptr);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::NullPointer, "engine", a.feature_ablation(m3, rows2));
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::NullPointer, "model", b.feature_ablation(m1, rows2));
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::NullPointer, "explanation", e1.shape());
    std::vector<lumen::Model> models;
    for (int i = 0; i < 3; ++i) models.emplace_back(linear.config(), linear.predict());  // reallocation moves
    for (const lumen::Model& m : models) CHECK(b.feature_ablation(m, rows2).shape().rows == 2);
}

void test_threads() {
    section("threads: one engine and model shared by four threads; serialised models never overlap");
    lumen::Engine engine = cpu_engine(4, 11);
    lumen::Model model(linear.config(true), linear.predict());
    // Eight players and a small budget: sampled, so the seed matters.
    const Linear wide{8, {0.5f, -1.0f, 2.0f, 0.25f, 1.0f, -0.5f, 0.75f, -2.0f}, {0.0f}};
    lumen::Model wide_model(wide.config(true), [&](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
        for (std::size_t r = 0; r < rows; ++r) {
            const float* x = &in[r * 8];
            out[r] = float(wide.eval(0, x) + 0.3 * x[0] * x[1] - 0.2 * x[2] * x[5]);
        }
    });
    std::vector<float> x(8), bg(16);
    for (std::size_t i = 0; i < 8; ++i) x[i] = float(i) * 0.5f - 1.0f;
    for (std::size_t i = 0; i < 16; ++i) bg[i] = float(i % 5) * 0.25f;
    lumen::KernelShapOptions shap;
    shap.game.background = bg;
    shap.budget = 40;
    const std::vector<float> reference = engine.kernel_shap(wide_model, x, shap).attributions();
    CHECK(!engine.kernel_shap(wide_model, x, shap).standard_errors().empty());

    std::vector<std::vector<float>> results(4);
    std::vector<int> errors_seen(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            try {
                results[t] = engine.kernel_shap(wide_model, x, shap).attributions();
                engine.feature_ablation(model, std::vector<float>(7, 1.0f));
            } catch (const lumen::InvalidInputError& e) {
                errors_seen[t] = e.status() == lumen::Status::LengthMismatch ? 1 : 2;
            }
        });
    for (std::thread& thread : threads) thread.join();
    for (std::size_t t = 0; t < 4; ++t) {
        CHECK(results[t] == reference);  // bit-identical: same seed, same numbers
        CHECK(errors_seen[t] == 1);      // each thread got its own error message
    }
    // Results do not depend on the engine's thread count.
    lumen::Engine single = cpu_engine(1, 11);
    CHECK(single.kernel_shap(wide_model, x, shap).attributions() == reference);

    // A model without the concurrent flag is never called twice at once.
    std::atomic<int> in_flight{0}, overlaps{0};
    lumen::Model serial(linear.config(false), [&](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
        if (++in_flight > 1) ++overlaps;
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        linear.predict()(in, rows, out);
        --in_flight;
    });
    lumen::FeatureAblationOptions small_batches;
    small_batches.perturbations_per_eval = 1;
    std::vector<std::thread> callers;
    for (int t = 0; t < 3; ++t) callers.emplace_back([&] { engine.feature_ablation(serial, rows2, small_batches); });
    for (std::thread& thread : callers) thread.join();
    CHECK(overlaps.load() == 0);

    // Exceptions thrown concurrently come back to the thread whose call failed.
    lumen::Model throwing(linear.config(true), [](lumen::Span<const float> in, std::size_t, lumen::Span<float>) {
        throw ModelBroke("row starts with " + std::to_string(int(in[0])));
    });
    std::vector<std::string> messages(4);
    std::vector<std::thread> failing;
    for (std::size_t t = 0; t < 4; ++t)
        failing.emplace_back([&, t] {
            const std::vector<float> row = {float(t), 0.0f, 0.0f, 0.0f};
            try {
                engine.feature_ablation(throwing, row);
            } catch (const ModelBroke& e) {
                messages[t] = e.what();
            } catch (...) {
                messages[t] = "wrong exception";
            }
        });
    for (std::thread& thread : failing) thread.join();
    for (std::size_t t = 0; t < 4; ++t) {
        const bool ok = messages[t].rfind("row starts with", 0) == 0;
        CHECK(ok);
    }
}

// ---------------------------------------------------------------------------------------
// TimeSHAP

// f(seq) = Σ_t γ^(L−1−t) Σ_j w_j x_{t,j}: additive over cells, so every TimeSHAP value
// is the sum of its cells' γ^(L−1−t) w_j (x_{t,j} − b_j).
struct Decaying {
    static constexpr std::size_t F = 2;
    double gamma = 0.7;
    std::array<double, F> w{{0.8, -0.5}};
    std::array<float, F> b{{0.1f, 0.2f}};

    template <class T>
    double event_sum(const T* event) const {
        double acc = 0.0;
        for (std::size_t j = 0; j < F; ++j) acc += w[j] * event[j];
        return acc;
    }
    // The recurrence h_t = γ h_{t−1} + w·x_t from `h`, over `seq_len` events.
    template <class T>
    double run(double h, const T* x, std::size_t seq_len) const {
        for (std::size_t t = 0; t < seq_len; ++t) h = gamma * h + event_sum(x + t * F);
        return h;
    }
    template <class T>
    double cell(const std::vector<T>& x, std::size_t seq_len, std::size_t t, std::size_t j) const {
        return std::pow(gamma, double(seq_len - 1 - t)) * w[j] * (double(x[t * F + j]) - b[j]);
    }
    lumen::SequencePredictFunction predict() const {
        return [this](lumen::Span<const float> in, std::size_t rows, std::size_t seq_len, lumen::Span<float> out) {
            for (std::size_t r = 0; r < rows; ++r) out[r] = float(run(0.0, in.data() + r * seq_len * F, seq_len));
        };
    }
};

lumen::SequenceModelConfig sequence_config(std::size_t state_len = 0) {
    lumen::SequenceModelConfig config;
    config.features = Decaying::F;
    config.state_len = state_len;
    config.feature_names = {"amount", "hour"};
    return config;
}

std::vector<float> make_sequence(std::size_t seq_len, std::size_t salt) {
    std::vector<float> x(seq_len * Decaying::F);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.37 * double(i + 1) + double(salt)));
    return x;
}

void test_timeshap_local() {
    section("TimeSHAP: event, feature and cell level against the decaying linear model; the estimator");
    using namespace lumen;
    const Decaying d;
    const SequenceModel model(sequence_config(), d.predict());
    const Engine engine;
    const std::size_t L = 6;
    const std::vector<float> x = make_sequence(L, 1);
    TimeShapOptions o;
    o.background.assign(d.b.begin(), d.b.end());

    const TimeShapExplanation events = engine.explain_timeshap(model, x, L, TimeShapLevel::Event, o);
    const std::vector<float> ev = events.values();
    CHECK(ev.size() == L && events.players().size() == L && events.exact());
    CHECK(events.level() == TimeShapLevel::Event);
    double sum = 0.0;
    for (std::size_t i = 0; i < ev.size(); ++i) {
        const std::size_t t = L - 1 - i;  // most recent first
        CHECK(events.players()[i].kind == PlayerKind::Event && events.players()[i].event == std::int64_t(t));
        CHECK(events.players()[i].feature == -1);
        CHECK(events.players()[i].name == "Event -" + std::to_string(i + 1));
        CHECK_NEAR(ev[i], d.cell(x, L, t, 0) + d.cell(x, L, t, 1), 1e-5);
        sum += ev[i];
    }
    CHECK_NEAR(events.prediction(), d.run(0.0, x.data(), L), 1e-5);
    const std::vector<float> background_sequence = [&] {
        std::vector<float> s;
        for (std::size_t t = 0; t < L; ++t) s.insert(s.end(), d.b.begin(), d.b.end());
        return s;
    }();
    CHECK_NEAR(events.base_value(), d.run(0.0, background_sequence.data(), L), 1e-5);
    CHECK_NEAR(sum, double(events.prediction()) - events.base_value(), 1e-5);
    CHECK(events.to_json().find("\"method\":\"time_shap\"") != std::string::npos);
    for (float se : events.standard_errors()) CHECK(se == 0.0f);

    const TimeShapExplanation features = engine.explain_timeshap(model, x, L, TimeShapLevel::Feature, o);
    CHECK(features.values().size() == Decaying::F && features.exact());
    for (std::size_t j = 0; j < Decaying::F; ++j) {
        double want = 0.0;
        for (std::size_t t = 0; t < L; ++t) want += d.cell(x, L, t, j);
        CHECK(features.players()[j].kind == PlayerKind::Feature && features.players()[j].feature == std::int64_t(j));
        CHECK_NEAR(features.values()[j], want, 1e-5);
    }
    CHECK(features.players()[0].name == "amount" && features.players()[1].name == "hour");

    o.top_events = 2;
    o.top_features = 1;
    const TimeShapExplanation cells = engine.explain_timeshap(model, x, L, TimeShapLevel::Cell, o);
    const std::vector<float> cv = cells.values();
    std::size_t cell_players = 0;
    bool has_other = false;
    double cell_sum = 0.0;
    for (std::size_t i = 0; i < cv.size(); ++i) {
        const Player& p = cells.players()[i];
        cell_sum += cv[i];
        if (p.kind == PlayerKind::Cell) {
            ++cell_players;
            CHECK_NEAR(cv[i], d.cell(x, L, std::size_t(p.event), std::size_t(p.feature)), 1e-5);
        }
        has_other = has_other || p.kind == PlayerKind::OtherCells;
    }
    CHECK(cell_players == 2 && has_other);
    CHECK_NEAR(cell_sum, double(cells.prediction()) - cells.base_value(), 1e-5);

    // 16 events at budget 300 are sampled: the default estimator and 0.2's linear fit are
    // recorded by name and give different values.
    const std::size_t long_len = 16;
    const std::vector<float> long_x = make_sequence(long_len, 5);
    o.budget = 300;
    CHECK(o.estimator == Estimator::Default);
    const TimeShapExplanation by_default = engine.explain_timeshap(model, long_x, long_len, TimeShapLevel::Event, o);
    o.estimator = Estimator::LeverageStratified;
    const TimeShapExplanation linear = engine.explain_timeshap(model, long_x, long_len, TimeShapLevel::Event, o);
    CHECK(!by_default.exact() && !linear.exact());
    CHECK(by_default.to_json().find("\"estimator\":\"leverage_top_triples\"") != std::string::npos);
    CHECK(linear.to_json().find("\"estimator\":\"leverage_stratified\"") != std::string::npos);
    CHECK(by_default.values() != linear.values());
}

void test_timeshap_pruning() {
    section("TimeSHAP: pruning keeps exactly the events a model reads");
    using namespace lumen;
    const std::size_t K = 3;
    const Decaying d;
    // Reads only the last K events.
    const SequenceModel last_k(sequence_config(),
                               [&d, K](Span<const float> in, std::size_t rows, std::size_t seq_len, Span<float> out) {
                                   for (std::size_t r = 0; r < rows; ++r)
                                       out[r] = float(d.run(0.0, in.data() + (r * seq_len + seq_len - K) * 2, K));
                               });
    const Engine engine;
    const std::size_t L = 12;
    const std::vector<float> x = make_sequence(L, 2);
    TimeShapOptions o;
    o.background.assign(d.b.begin(), d.b.end());
    o.prune = true;
    o.tolerance = 0.0;
    const Pruning pruning = engine.timeshap_prune(last_k, x, L, o);
    CHECK(pruning.pruned_len == K && pruning.curve.size() == K);
    CHECK(pruning.curve.front().split == L - 1 && pruning.curve.front().newer_len == 1);
    CHECK(pruning.curve.back().older_value == 0.0 && pruning.curve.back().newer_len == K);
    const Pruning full = engine.timeshap_prune(last_k, x, L, o, true);
    CHECK(full.pruned_len == K && full.curve.size() == L - 1 && full.curve.back().split == 1);
    for (const PruningPoint& p : full.curve)
        CHECK_NEAR(p.older_value + p.newer_value, full.curve.front().older_value + full.curve.front().newer_value,
                   1e-5);

    const TimeShapExplanation events = engine.explain_timeshap(last_k, x, L, TimeShapLevel::Event, o);
    CHECK(events.players().size() == K + 1 && events.players().back().kind == PlayerKind::PrunedEvents);
    CHECK(events.players().back().name == "Pruned Events");
    CHECK_NEAR(events.values().back(), 0.0, 1e-6);
    CHECK(events.to_json().find("\"pruned_len\":3") != std::string::npos);
    CHECK(events.pruned_len() == K);
    for (std::size_t i = 0; i < K; ++i)  // most recent event first
        CHECK(events.players()[i].kind == PlayerKind::Event &&
              events.players()[i].event == static_cast<std::int64_t>(L - 1 - i) && events.players()[i].feature == -1);

    // The decaying model: a large η prunes more than a small one.
    const SequenceModel decaying(sequence_config(), d.predict());
    o.tolerance = 0.05;
    const std::size_t loose = engine.timeshap_prune(decaying, x, L, o).pruned_len;
    o.tolerance = 1e-4;
    const std::size_t tight = engine.timeshap_prune(decaying, x, L, o).pruned_len;
    CHECK(loose < tight && tight <= L);
}

void test_timeshap_package_conventions() {
    section("TimeSHAP: pruning_index, the (t, value) curve and the timeshap package's names");
    using namespace lumen;
    const std::size_t K = 3;
    const Decaying d;
    const SequenceModel last_k(sequence_config(),
                               [&d, K](Span<const float> in, std::size_t rows, std::size_t seq_len, Span<float> out) {
                                   for (std::size_t r = 0; r < rows; ++r)
                                       out[r] = float(d.run(0.0, in.data() + (r * seq_len + seq_len - K) * 2, K));
                               });
    const Engine engine;
    const std::size_t L = 10;
    const std::vector<float> x = make_sequence(L, 5);
    TimeShapOptions by_tolerance;
    by_tolerance.background.assign(d.b.begin(), d.b.end());
    by_tolerance.prune = true;
    by_tolerance.tolerance = 0.0;
    TimeShapOptions by_index;
    CHECK(by_index.pruning_index == 0);
    by_index.background.assign(d.b.begin(), d.b.end());
    by_index.pruning_index = -static_cast<std::int64_t>(K);
    for (TimeShapLevel level : {TimeShapLevel::Event, TimeShapLevel::Feature, TimeShapLevel::Cell}) {
        const TimeShapExplanation a = engine.explain_timeshap(last_k, x, L, level, by_tolerance);
        const TimeShapExplanation b = engine.explain_timeshap(last_k, x, L, level, by_index);
        CHECK(a.pruned_len() == K && b.pruned_len() == K && b.pruning_index() == -3);
        CHECK(a.values() == b.values());
    }
    const TimeShapExplanation events = engine.explain_timeshap(last_k, x, L, TimeShapLevel::Event, by_index);
    const std::vector<TimeShapPlayer>& players = events.timeshap_players();
    CHECK(players.size() == K + 1);
    for (std::size_t i = 0; i < K; ++i) {
        CHECK(players[i].name == "Event -" + std::to_string(i + 1));
        CHECK(players[i].has_event && players[i].event == -static_cast<std::int64_t>(i + 1));
    }
    CHECK(players[K].name == "Pruned Events" && !players[K].has_event);

    const TimeShapPruningCurve curve = engine.timeshap_pruning_curve(last_k, x, L, by_tolerance);
    const Pruning lumen_form = engine.timeshap_prune(last_k, x, L, by_tolerance, true);
    CHECK(curve.pruning_index == -3 && lumen_form.pruning_index() == -3);
    CHECK(curve.points.size() == L + 1);
    if (curve.points.size() == L + 1) {
        const double total = curve.points.front().older_value;
        CHECK(curve.points.front().t == 0 && curve.points.front().newer_value == 0.0);
        CHECK(curve.points.back().t == -static_cast<std::int64_t>(L) && curve.points.back().older_value == 0.0 &&
              curve.points.back().newer_value == total);
        for (std::size_t i = 1; i < L; ++i) {
            CHECK(curve.points[i].t == static_cast<std::int64_t>(lumen_form.curve[i - 1].split) -
                                           static_cast<std::int64_t>(L));
            CHECK(curve.points[i].older_value == lumen_form.curve[i - 1].older_value);
        }
    }
    TimeShapOptions both = by_index;
    both.prune = true;
    CHECK_THROWS(InvalidInputError, Status::InvalidArgument, "set one of them",
                 engine.explain_timeshap(last_k, x, L, TimeShapLevel::Event, both));
    TimeShapOptions far = by_index;
    far.pruning_index = -11;
    CHECK_THROWS(InvalidInputError, Status::InvalidArgument, "-10 <= index <= -1",
                 engine.timeshap_pruning_curve(last_k, x, L, far));
}

void test_timeshap_state_path() {
    section("TimeSHAP: the state path gives the same values");
    using namespace lumen;
    const Decaying d;
    std::atomic<int> from_state_calls{0};
    const SequenceModel stateful(
        sequence_config(1), d.predict(),
        [&d](Span<const float> initial, Span<const float> in, std::size_t rows, std::size_t seq_len,
             Span<float> states) {
            for (std::size_t r = 0; r < rows; ++r)
                states[r] = float(d.run(initial.empty() ? 0.0 : initial[r], in.data() + r * seq_len * 2, seq_len));
        },
        [&d, &from_state_calls](Span<const float> states, Span<const float> in, std::size_t rows, std::size_t seq_len,
                                Span<float> out) {
            ++from_state_calls;
            for (std::size_t r = 0; r < rows; ++r) out[r] = float(d.run(states[r], in.data() + r * seq_len * 2, seq_len));
        });
    const SequenceModel plain(sequence_config(), d.predict());
    const Engine engine;
    const std::size_t L = 10;
    const std::vector<float> x = make_sequence(L, 3);
    TimeShapOptions o;
    o.background.assign(d.b.begin(), d.b.end());
    o.prune = true;
    o.tolerance = 0.01;
    const std::vector<float> with_state = engine.explain_timeshap(stateful, x, L, TimeShapLevel::Event, o).values();
    CHECK(from_state_calls.load() > 0);
    const std::vector<float> without = engine.explain_timeshap(plain, x, L, TimeShapLevel::Event, o).values();
    CHECK(with_state.size() == without.size());
    for (std::size_t i = 0; i < std::min(with_state.size(), without.size()); ++i)
        CHECK_NEAR(with_state[i], without[i], 1e-5);
    o.use_state = false;
    from_state_calls = 0;
    engine.explain_timeshap(stateful, x, L, TimeShapLevel::Event, o);
    CHECK(from_state_calls.load() == 0);
}

void test_timeshap_global() {
    section("TimeSHAP: the global report");
    using namespace lumen;
    const Decaying d;
    const SequenceModel model(sequence_config(), d.predict());
    const Engine engine;
    const std::vector<std::size_t> lengths = {5, 6, 7};
    std::vector<float> all;
    std::vector<std::vector<float>> each;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
        each.push_back(make_sequence(lengths[i], 10 + i));
        all.insert(all.end(), each.back().begin(), each.back().end());
    }
    TimeShapOptions o;
    o.background.assign(d.b.begin(), d.b.end());
    const std::vector<double> tolerances = {0.0, 0.05};
    const TimeShapGlobal report = engine.timeshap_global(model, all, lengths, o, tolerances, 2);
    CHECK(report.sequences() == 3);
    const std::vector<Summary> by_distance = report.event_importance();
    CHECK(by_distance.size() == 7);
    double last_mean = 0.0, amount_mean = 0.0;
    for (std::size_t i = 0; i < each.size(); ++i) {
        const std::size_t L = lengths[i];
        last_mean += (d.cell(each[i], L, L - 1, 0) + d.cell(each[i], L, L - 1, 1)) / 3.0;
        for (std::size_t t = 0; t < L; ++t) amount_mean += d.cell(each[i], L, t, 0) / 3.0;
    }
    CHECK(by_distance[0].count == 3 && by_distance[6].count == 1);
    CHECK_NEAR(by_distance[0].mean, last_mean, 1e-5);
    const std::vector<Summary> features = report.feature_importance();
    CHECK(features.size() == 2 && features[0].count == 3);
    CHECK_NEAR(features[0].mean, amount_mean, 1e-5);
    CHECK(report.most_recent_share().count == 3);
    const std::vector<PruningRow> table = report.pruning_table();
    CHECK(table.size() == 2 && table[0].tolerance == 0.0 && table[1].tolerance == 0.05);
    CHECK(table[1].mean_len <= table[0].mean_len && table[0].max_len <= 7);
    CHECK(report.to_json().find("\"pruning_table\"") != std::string::npos);
}

struct SequenceBroke : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void test_timeshap_errors() {
    section("TimeSHAP: bad input and failing models");
    using namespace lumen;
    const Decaying d;
    const SequenceModel model(sequence_config(), d.predict());
    const Engine engine;
    const std::size_t L = 4;
    const std::vector<float> x = make_sequence(L, 4);
    TimeShapOptions o;
    CHECK_THROWS(InvalidInputError, Status::InvalidArgument, "background",
                 engine.explain_timeshap(model, x, L, TimeShapLevel::Event, o));
    o.background.assign(d.b.begin(), d.b.end());
    CHECK_THROWS(InvalidInputError, Status::InvalidArgument, "seq_len",
                 engine.explain_timeshap(model, Span<const float>(x.data(), 2), 1, TimeShapLevel::Event, o));
    CHECK_THROWS(InvalidInputError, Status::LengthMismatch, "sequence",
                 engine.explain_timeshap(model, Span<const float>(x.data(), x.size() - 1), L, TimeShapLevel::Event, o));
    std::vector<float> nan = x;
    nan[3] = std::nanf("");
    CHECK_THROWS(InvalidInputError, Status::NonFiniteInput, "sequence",
                 engine.explain_timeshap(model, nan, L, TimeShapLevel::Event, o));
    o.prune = true;
    o.tolerance = -0.5;
    CHECK_THROWS(InvalidInputError, Status::InvalidArgument, "tolerance", engine.timeshap_prune(model, x, L, o));
    o.prune = false;
    o.background = {0.1f, 0.2f, 0.3f};
    CHECK_THROWS(InvalidInputError, Status::LengthMismatch, "background",
                 engine.explain_timeshap(model, x, L, TimeShapLevel::Event, o));
    o.background.assign(d.b.begin(), d.b.end());
    const std::vector<std::size_t> short_lengths = {L, 1};
    std::vector<float> two = x;
    two.insert(two.end(), x.begin(), x.begin() + 2);
    const std::vector<double> tolerances = {0.0};
    CHECK_THROWS(InvalidInputError, Status::InvalidArgument, "sequence 1: seq_len",
                 engine.timeshap_global(model, two, short_lengths, o, tolerances, 2));
    CHECK_THROWS(InvalidInputError, Status::NullPointer, "predict",
                 SequenceModel(sequence_config(), SequencePredictFunction()));
    CHECK_THROWS(InvalidInputError, Status::InvalidArgument, "features",
                 SequenceModel(SequenceModelConfig(), d.predict()));

    const SequenceModel throwing(sequence_config(), [](Span<const float>, std::size_t, std::size_t seq_len,
                                                       Span<float>) {
        throw SequenceBroke("sequence of " + std::to_string(seq_len) + " events refused");
    });
    std::string message;
    try {
        engine.explain_timeshap(throwing, x, L, TimeShapLevel::Event, o);
    } catch (const SequenceBroke& e) {
        message = e.what();
    } catch (const std::exception& e) {
        message = std::string("wrong exception: ") + e.what();
    }
    CHECK(message.find("events refused") != std::string::npos);
    const SequenceModel nan_model(sequence_config(), [](Span<const float>, std::size_t rows, std::size_t,
                                                        Span<float> out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = std::nanf("");
    });
    CHECK_THROWS(ModelError, Status::ModelNonFiniteOutput, "",
                 engine.explain_timeshap(nan_model, x, L, TimeShapLevel::Event, o));
}

// ---------------------------------------------------------------------------------------
// float64: double models, double inputs and options, results read as doubles

std::vector<double> widen(const std::vector<float>& values) { return std::vector<double>(values.begin(), values.end()); }

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Checks that a double model's values `d` equal a float model's `f` to float precision.
void check_agree(const std::vector<float>& f, const std::vector<double>& d, const char* what) {
    double worst = f.size() == d.size() ? 0.0 : HUGE_VAL;
    for (std::size_t i = 0; i < f.size() && i < d.size(); ++i)
        worst = std::max(worst, std::fabs(double(f[i]) - d[i]) / (1.0 + std::fabs(d[i])));
    const bool ok = !d.empty() && worst <= 1e-5;
    record(ok, what, __FILE__, __LINE__);
    if (!ok) std::fprintf(stderr, "     %zu float vs %zu double values, worst relative gap %.3g\n", f.size(), d.size(),
                          worst);
}

// A float model's explanation `f` against a double model's `d` of the same method and data.
void check_agree(const lumen::Explanation& f, const lumen::Explanation& d, const char* what) {
    record(f.element_type() == lumen::ElementType::F32 && d.element_type() == lumen::ElementType::F64, what, __FILE__,
           __LINE__);
    const lumen::AttributionShape fs = f.shape(), ds = d.shape();
    record(fs.rows == ds.rows && fs.outputs == ds.outputs && fs.features == ds.features, what, __FILE__, __LINE__);
    check_agree(f.attributions(), d.attributions_f64(), what);
    check_agree(f.predictions(), d.predictions_f64(), what);
}

// `linear` on element type T: one templated definition makes the float and the double model.
template <class T>
lumen::Model linear_model() {
    auto predict = [](lumen::Span<const T> in, std::size_t rows, lumen::Span<T> out) {
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t o = 0; o < linear.outputs(); ++o)
                out[r * linear.outputs() + o] = T(linear.eval(o, &in[r * linear.n]));
    };
    auto gradient = [predict](lumen::Span<const T> in, std::size_t rows, lumen::Span<const std::uint32_t> targets,
                              lumen::Span<T> grads, lumen::Span<T> out) {
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t i = 0; i < linear.n; ++i) grads[r * linear.n + i] = T(linear.w[targets[r] * linear.n + i]);
        if (!out.empty()) predict(in, rows, out);
    };
    return lumen::Model(linear.config(), predict, gradient);
}

// The Grad-CAM model of test_grad_cam on element type T (the layer is the input).
template <class T>
lumen::Model grad_cam_model() {
    static const double G[2][2] = {{1.0, -0.5}, {0.25, 2.0}};
    constexpr std::size_t C = 2, P = 6;
    lumen::ModelConfig config;
    config.input_len = C * P;
    config.output_len = 2;
    config.input_shape = {2, 2, 3};
    config.layer_shape = {2, 2, 3};
    auto predict = [](lumen::Span<const T> in, std::size_t rows, lumen::Span<T> out) {
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t o = 0; o < 2; ++o) {
                double acc = 0;
                for (std::size_t k = 0; k < C * P; ++k) acc += G[o][k / P] * in[r * C * P + k];
                out[r * 2 + o] = T(acc);
            }
    };
    auto layer = [](lumen::Span<const T> in, std::size_t rows, lumen::Span<const std::uint32_t> targets,
                    lumen::Span<T> activations, lumen::Span<T> gradients) {
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t k = 0; k < C * P; ++k) {
                activations[r * C * P + k] = in[r * C * P + k];
                gradients[r * C * P + k] = T(G[targets[r]][k / P]);
            }
    };
    return lumen::Model(config, predict, nullptr, layer);
}

void test_f64_exact_inputs() {
    section("float64: a double model sees the caller's doubles bit for bit; results keep every bit");
    std::mutex mutex;
    std::vector<double> seen;
    const std::vector<double> w = {0.5, -1.0, 2.0, 0.25};
    auto f = [&w](const double* x) {
        double acc = 0.125;
        for (std::size_t i = 0; i < 4; ++i) acc += w[i] * x[i];
        return acc;
    };
    lumen::ModelConfig config;
    config.input_len = 4;
    config.output_len = 1;
    lumen::Model model(config, [&](lumen::Span<const double> in, std::size_t rows, lumen::Span<double> out) {
        std::lock_guard<std::mutex> lock(mutex);
        seen.insert(seen.end(), in.begin(), in.end());
        for (std::size_t r = 0; r < rows; ++r) out[r] = f(&in[r * 4]);
    });
    CHECK(model.element_type() == lumen::ElementType::F64);
    const std::vector<double> x = {123456789.01, 0.1, 1.0 / 3.0, -7.25};
    CHECK(double(float(x[0])) != x[0]);  // float cannot hold it
    lumen::FeatureAblationOptionsF64 options;
    options.baseline = {0.1, 0.2, 0.3, 1e-3};
    lumen::Engine engine = cpu_engine();
    const lumen::Explanation ex = engine.feature_ablation(model, x, options);

    // Every row the model saw holds, element by element, the bits of x or of the baseline.
    bool exact = !seen.empty() && seen.size() % 4 == 0, saw_x = false;
    for (std::size_t r = 0; r + 4 <= seen.size(); r += 4) {
        saw_x = saw_x || std::memcmp(&seen[r], x.data(), 4 * sizeof(double)) == 0;
        for (std::size_t i = 0; i < 4; ++i)
            exact = exact && (same_bits(seen[r + i], x[i]) || same_bits(seen[r + i], options.baseline[i]));
    }
    CHECK(exact);
    CHECK(saw_x);

    CHECK(ex.element_type() == lumen::ElementType::F64);
    const std::vector<double> predictions = ex.predictions_f64();
    CHECK(predictions.size() == 1 && same_bits(predictions.at(0), f(x.data())));  // the model's own double
    const std::vector<double> a = ex.attributions_f64();
    CHECK(a.size() == 4);
    for (std::size_t i = 0; i < 4 && i < a.size(); ++i) {
        std::vector<double> ablated = x;
        ablated[i] = options.baseline[i];
        CHECK_NEAR(a[i], f(x.data()) - f(ablated.data()), 1e-7);
        CHECK(ex.attributions()[i] == float(a[i]));  // the float getter rounds
    }
    // 0.5 (x0 − 0.1): a float model would see 123456792 and be off by ~1.5.
    CHECK_NEAR(a.at(0), 0.5 * (123456789.01 - 0.1), 1e-6);
    // Reason codes carry the attributions' doubles, not their floats.
    std::size_t coded = 0;
    for (lumen::Direction direction : {lumen::Direction::Lowered, lumen::Direction::Raised}) {
        for (const lumen::ReasonCode& code : ex.reason_codes(0, 0, 4, direction)) {
            CHECK(code.feature < a.size() && same_bits(code.contribution, a[code.feature]));
            ++coded;
        }
    }
    CHECK(coded == 4);
    CHECK(ex.attributions_as<double>() == a);
    std::vector<double> buffer(4);
    ex.attributions(buffer);
    CHECK(buffer == a);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::BufferTooSmall, "",
                 ex.attributions(lumen::Span<double>(buffer.data(), 2)));
    CHECK(ex.base_values_f64().size() == 1);

    // The same through occlusion with a scalar baseline in double (0.1: no float holds it).
    seen.clear();
    lumen::OcclusionOptionsF64 occlusion;
    occlusion.window_shape = {1};
    occlusion.baseline_scalar = 0.1;
    const std::vector<double> oa = engine.occlusion(model, x, occlusion).attributions_f64();
    bool scalar_exact = !seen.empty();
    for (std::size_t r = 0; r + 4 <= seen.size(); r += 4)
        for (std::size_t i = 0; i < 4; ++i)
            scalar_exact = scalar_exact && (same_bits(seen[r + i], x[i]) || same_bits(seen[r + i], 0.1));
    CHECK(scalar_exact);
    for (std::size_t i = 0; i < 4 && i < oa.size(); ++i) CHECK_NEAR(oa[i], w[i] * (x[i] - 0.1), 1e-7);
}

void test_f64_methods() {
    section("float64: every method on a double model agrees with the float model to float precision");
    lumen::Engine engine = cpu_engine();
    const lumen::Model fm = linear_model<float>(), dm = linear_model<double>();
    CHECK(fm.element_type() == lumen::ElementType::F32 && dm.element_type() == lumen::ElementType::F64);
    const std::vector<double> x = widen(rows2), b = widen(baseline), bg = widen(background);
    lumen::CallOptions call;  // the same draws for both element types
    call.row_keys = {11, 12};

    lumen::OcclusionOptions fo;
    fo.window_shape = {2};
    fo.baseline = baseline;
    lumen::OcclusionOptionsF64 d_o;
    d_o.window_shape = {2};
    d_o.baseline = b;
    check_agree(engine.occlusion(fm, rows2, fo, call), engine.occlusion(dm, x, d_o, call), "occlusion");
    fo.baseline.clear();
    fo.baseline_scalar = 0.5f;
    d_o.baseline.clear();
    d_o.baseline_scalar = 0.5;
    check_agree(engine.occlusion(fm, rows2, fo), engine.occlusion(dm, x, d_o), "occlusion, scalar baseline");

    lumen::FeatureAblationOptions fa;
    fa.feature_mask = {0, 1, 1, 0};
    fa.baseline = baseline;
    lumen::FeatureAblationOptionsF64 da;
    da.feature_mask = fa.feature_mask;
    da.baseline = b;
    check_agree(engine.feature_ablation(fm, rows2, fa), engine.feature_ablation(dm, x, da), "feature ablation");
    check_agree(engine.feature_ablation(fm, rows2), engine.feature_ablation(dm, x), "feature ablation, defaults");

    lumen::KernelShapOptions fk;
    fk.game.background = background;
    fk.game.background_weights = weights;
    lumen::KernelShapOptionsF64 dk;
    dk.game.background = bg;
    dk.game.background_weights = weights;
    const lumen::Explanation fke = engine.kernel_shap(fm, rows2, fk, call), dke = engine.kernel_shap(dm, x, dk, call);
    check_agree(fke, dke, "KernelSHAP");
    check_agree(fke.base_values(), dke.base_values_f64(), "KernelSHAP base values");
    check_agree(fke.standard_errors(), dke.standard_errors_f64(), "KernelSHAP standard errors");
    dk.game.players = {0, 1, 1, 0};
    dk.game.player_names = {"stable", "volatile"};
    const lumen::Explanation grouped = engine.kernel_shap(dm, x, dk);
    CHECK(grouped.shape().features == 2 && grouped.feature_name(1) == "volatile");

    lumen::ShapleySamplingOptions fs;
    fs.game.background = background;
    fs.permutation_pairs = 4;
    lumen::ShapleySamplingOptionsF64 ds;
    ds.game.background = bg;
    ds.permutation_pairs = 4;
    check_agree(engine.shapley_sampling(fm, rows2, fs, call), engine.shapley_sampling(dm, x, ds, call),
                "Shapley sampling");

    lumen::IntegratedGradientsOptions fi;
    fi.baseline = baseline;
    fi.n_steps = 8;
    lumen::IntegratedGradientsOptionsF64 di;
    di.baseline = b;
    di.n_steps = 8;
    const lumen::Explanation fie = engine.integrated_gradients(fm, rows2, fi);
    const lumen::Explanation die = engine.integrated_gradients(dm, x, di);
    check_agree(fie, die, "integrated gradients");
    for (double gap : die.completeness_gaps()) CHECK_NEAR(gap, 0.0, 1e-12);
    check_agree(engine.integrated_gradients(fm, rows2), engine.integrated_gradients(dm, x),
                "integrated gradients, defaults");

    check_agree(engine.saliency(fm, rows2), engine.saliency(dm, x), "saliency");
    lumen::SaliencyOptions signed_saliency;
    signed_saliency.abs = false;
    check_agree(engine.saliency(fm, rows2, signed_saliency, call), engine.saliency(dm, x, signed_saliency, call),
                "saliency, signed");

    lumen::GradientShapOptions fg;
    fg.baselines = background;
    fg.n_samples = 6;
    fg.stdevs = 0.25f;
    lumen::GradientShapOptionsF64 dg;
    dg.baselines = bg;
    dg.n_samples = 6;
    dg.stdevs = 0.25;
    check_agree(engine.gradient_shap(fm, rows2, fg, call), engine.gradient_shap(dm, x, dg, call), "GradientSHAP");

    lumen::NoiseTunnelOptions fn;
    fn.nt_samples = 4;
    fn.stdevs = 0.5f;
    fn.base = lumen::NoiseTunnelBase::IntegratedGradients;
    fn.integrated_gradients.baseline = baseline;
    lumen::NoiseTunnelOptionsF64 dn;
    dn.nt_samples = 4;
    dn.stdevs = 0.5;
    dn.base = lumen::NoiseTunnelBase::IntegratedGradients;
    dn.integrated_gradients.baseline = b;
    check_agree(engine.noise_tunnel(fm, rows2, fn, call), engine.noise_tunnel(dm, x, dn, call),
                "NoiseTunnel over IG");
    fn.stdevs = 0.0f;  // σ = 0 in double stays 0 (the float twin is not read instead)
    dn.stdevs = 0.0;
    fn.base = dn.base = lumen::NoiseTunnelBase::GradientShap;
    fn.gradient_shap.baselines = baseline;
    dn.gradient_shap.baselines = b;
    const lumen::Explanation dne = engine.noise_tunnel(dm, x, dn, call);
    check_agree(engine.noise_tunnel(fm, rows2, fn, call), dne, "NoiseTunnel over GradientSHAP, no noise");
    const std::vector<double> dna = dne.attributions_f64();
    for (std::size_t r = 0; r < 2; ++r)
        for (std::size_t o = 0; o < 2; ++o)
            for (std::size_t i = 0; i < 4; ++i)
                CHECK_NEAR(dna.at((r * 2 + o) * 4 + i), double(linear.w[o * 4 + i]) * (x[r * 4 + i] - b[i]), 1e-12);

    const lumen::Model fc = grad_cam_model<float>(), dc = grad_cam_model<double>();
    std::vector<float> image(2 * 12);
    for (std::size_t i = 0; i < image.size(); ++i) image[i] = float(int(i % 7) - 3) * 0.5f;
    const std::vector<double> image_d = widen(image);
    check_agree(engine.grad_cam(fc, image), engine.grad_cam(dc, image_d), "Grad-CAM");
    lumen::GradCamOptions relu;
    relu.relu_attributions = true;
    relu.upsample = false;
    check_agree(engine.grad_cam(fc, image, relu), engine.grad_cam(dc, image_d, relu), "Grad-CAM, ReLU");
}

void test_f64_kernel_shap_exact() {
    section("float64: exact KernelSHAP on a nonlinear double model equals brute-force Shapley values to 1e-12");
    constexpr std::size_t M = 4;
    auto g = [](const double* x) {
        return x[0] * x[1] + std::sin(x[2]) * x[3] + std::exp(0.3 * x[0] * x[3]) - 0.7 * x[1] * x[2] * x[3];
    };
    lumen::ModelConfig config;
    config.input_len = M;
    config.output_len = 1;
    config.concurrent = true;
    const lumen::Model model(config, [g](lumen::Span<const double> in, std::size_t rows, lumen::Span<double> out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = g(&in[r * M]);
    });
    const std::vector<double> x = {0.3, -1.2, 2.1, 0.7, 1.5, 0.25, -0.8, -1.1};
    const std::vector<double> bg = {0.0, 1.0, -1.0, 2.0, 1.0, -1.0, 0.5, 0.0, 2.0, 0.0, 1.5, -2.0};
    const std::vector<double> w = {1.0, 2.0, 1.0};
    lumen::KernelShapOptionsF64 options;
    options.game.background = bg;
    options.game.background_weights = w;
    const lumen::Explanation ex = cpu_engine().kernel_shap(model, x, options);
    const std::vector<double> phi = ex.attributions_f64(), base = ex.base_values_f64(), pred = ex.predictions_f64();
    CHECK(phi.size() == 2 * M && base.size() == 2 && pred.size() == 2);
    for (double se : ex.standard_errors_f64()) CHECK(se == 0.0);  // every coalition enumerated

    const double total = w[0] + w[1] + w[2];
    for (std::size_t r = 0; r < 2 && phi.size() == 2 * M; ++r) {
        const double* xr = &x[r * M];
        // v(S) = Σ_b w_b g(x_S, b_rest) / Σ w: the interventional game over the background.
        auto v = [&](unsigned mask) {
            double acc = 0.0;
            for (std::size_t k = 0; k < w.size(); ++k) {
                double z[M];
                for (std::size_t i = 0; i < M; ++i) z[i] = (mask >> i) & 1u ? xr[i] : bg[k * M + i];
                acc += w[k] * g(z);
            }
            return acc / total;
        };
        const double factorial[M + 1] = {1, 1, 2, 6, 24};
        for (std::size_t i = 0; i < M; ++i) {
            double want = 0.0;
            for (unsigned mask = 0; mask < (1u << M); ++mask) {
                if ((mask >> i) & 1u) continue;
                std::size_t s = 0;
                for (std::size_t j = 0; j < M; ++j) s += (mask >> j) & 1u;
                want += factorial[s] * factorial[M - s - 1] / factorial[M] * (v(mask | (1u << i)) - v(mask));
            }
            CHECK_NEAR(phi[r * M + i], want, 1e-12);
        }
        CHECK_NEAR(base[r], v(0), 1e-12);
        CHECK_NEAR(pred[r], g(xr), 1e-12);
    }
}

// P(class 1) = sigmoid(2 x0 − x1 + 0.5 x2 − 1) in double.
double logistic_d(const double* x) { return 1.0 / (1.0 + std::exp(-(2.0 * x[0] - x[1] + 0.5 * x[2] - 1.0))); }

void test_f64_counterfactuals() {
    section("float64: PermuteAttack on a double model returns the caller's doubles");
    lumen::ModelConfig config;
    config.input_len = 3;
    config.output_len = 1;
    config.concurrent = true;
    const lumen::Model dm(config, [](lumen::Span<const double> in, std::size_t rows, lumen::Span<double> out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = logistic_d(&in[r * 3]);
    });
    const lumen::Model fm(config, [](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = logistic(&in[r * 3]);
    });
    lumen::PermuteAttackOptionsF64 options;
    lumen::PermuteAttackOptions float_options;
    for (int i = 0; i < 40; ++i) {
        const float row[3] = {float(i % 8) * 0.5f - 1.0f, float(i % 5) * 0.5f, float(i % 3) - 1.0f};
        options.training.insert(options.training.end(), row, row + 3);
        float_options.training.insert(float_options.training.end(), row, row + 3);
    }
    options.features = float_options.features = {{"income", false, {0}}, {"debt", false, {1}}, {"age", false, {2}}};
    options.immutable = float_options.immutable = {2};
    options.generations = float_options.generations = 30;
    options.runs = float_options.runs = 3;
    options.sampling = float_options.sampling = lumen::Sampling::Column;
    const lumen::Engine engine = cpu_engine(2, 42);
    const std::vector<double> declined = {-0.5, 1.0, 0.1};  // p ≈ 0.05: class 0; 0.1 is immutable
    const lumen::Counterfactuals found = engine.counterfactuals(dm, declined, options);
    const lumen::Counterfactuals float_found =
        engine.counterfactuals(fm, std::vector<float>{-0.5f, 1.0f, 0.1f}, float_options);
    const lumen::InstanceCounterfactuals outcome = found.instance(0), float_outcome = float_found.instance(0);
    CHECK(outcome.original_class == float_outcome.original_class && outcome.target_class == float_outcome.target_class);
    CHECK_NEAR(outcome.original_probability, float_outcome.original_probability, 1e-6);
    CHECK(outcome.count >= 1 && float_outcome.count >= 1);
    for (const lumen::Counterfactual& cf : found.all(0)) {
        CHECK(cf.success && cf.predicted_class == 1 && cf.row_f64.size() == 3);
        CHECK(same_bits(cf.row_f64.at(2), declined[2]));  // immutable: the caller's double, not 0.1f
        CHECK_NEAR(cf.target_probability_f64, logistic_d(cf.row_f64.data()), 1e-12);
        CHECK_NEAR(cf.original_probability_f64, logistic_d(declined.data()), 1e-12);
        double d2 = 0;
        for (std::size_t i = 0; i < 3; ++i) d2 += (cf.row_f64[i] - declined[i]) * (cf.row_f64[i] - declined[i]);
        CHECK_NEAR(cf.distance_f64, std::sqrt(d2), 1e-12);
        for (std::size_t i = 0; i < 3; ++i) CHECK(cf.row[i] == float(cf.row_f64[i]));
    }
    for (const lumen::Counterfactual& cf : float_found.all(0))  // a float model's rows, widened
        for (std::size_t i = 0; i < 3; ++i) CHECK(cf.row_f64.at(i) == double(cf.row[i]));
}

void test_f64_timeshap() {
    section("float64: TimeSHAP on a double sequence model");
    using namespace lumen;
    const Decaying d;
    auto predict = [&d](Span<const double> in, std::size_t rows, std::size_t seq_len, Span<double> out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = d.run(0.0, in.data() + r * seq_len * Decaying::F, seq_len);
    };
    const SequenceModel fm(sequence_config(), d.predict());
    const SequenceModel dm(sequence_config(), predict);
    CHECK(fm.element_type() == ElementType::F32 && dm.element_type() == ElementType::F64);
    const Engine engine = cpu_engine();
    const std::size_t L = 6;
    const std::vector<float> xf = make_sequence(L, 1);
    const std::vector<double> xd = widen(xf);
    TimeShapOptions fo;
    fo.background.assign(d.b.begin(), d.b.end());
    TimeShapOptionsF64 od;
    od.background.assign(d.b.begin(), d.b.end());
    for (TimeShapLevel level : {TimeShapLevel::Event, TimeShapLevel::Feature, TimeShapLevel::Cell}) {
        const TimeShapExplanation ef = engine.explain_timeshap(fm, xf, L, level, fo);
        const TimeShapExplanation ed = engine.explain_timeshap(dm, xd, L, level, od);
        CHECK(ed.element_type() == ElementType::F64 && ed.exact());
        check_agree(ef.values(), ed.values_f64(), "TimeSHAP values");
        CHECK(ef.players().size() == ed.players().size());
        double sum = 0.0;
        for (double v : ed.values_f64()) sum += v;
        CHECK_NEAR(sum, ed.prediction_f64() - ed.base_value_f64(), 1e-12);
    }
    const TimeShapExplanation events = engine.explain_timeshap(dm, xd, L, TimeShapLevel::Event, od);
    const std::vector<double> ev = events.values_f64();
    for (std::size_t i = 0; i < L && i < ev.size(); ++i)
        CHECK_NEAR(ev[i], d.cell(xd, L, L - 1 - i, 0) + d.cell(xd, L, L - 1 - i, 1), 1e-12);
    CHECK(same_bits(events.prediction_f64(), d.run(0.0, xd.data(), L)));
    for (double se : events.standard_errors_f64()) CHECK(se == 0.0);

    // Pruning, the pruning curve and the global report agree with the float model's.
    fo.prune = od.prune = true;
    fo.tolerance = od.tolerance = 0.05;
    const std::size_t long_len = 12;
    const std::vector<float> long_f = make_sequence(long_len, 2);
    const std::vector<double> long_d = widen(long_f);
    const Pruning pf = engine.timeshap_prune(fm, long_f, long_len, fo, true);
    const Pruning pd = engine.timeshap_prune(dm, long_d, long_len, od, true);
    CHECK(pf.pruned_len == pd.pruned_len && pf.curve.size() == pd.curve.size());
    for (std::size_t i = 0; i < pf.curve.size() && i < pd.curve.size(); ++i)
        CHECK_NEAR(pf.curve[i].older_value, pd.curve[i].older_value, 1e-5);
    const TimeShapPruningCurve cf = engine.timeshap_pruning_curve(fm, long_f, long_len, fo);
    const TimeShapPruningCurve cd = engine.timeshap_pruning_curve(dm, long_d, long_len, od);
    CHECK(cf.pruning_index == cd.pruning_index && cf.points.size() == cd.points.size());
    for (std::size_t i = 0; i < cf.points.size() && i < cd.points.size(); ++i)
        CHECK_NEAR(cf.points[i].newer_value, cd.points[i].newer_value, 1e-5);
    check_agree(engine.explain_timeshap(fm, long_f, long_len, TimeShapLevel::Event, fo).values(),
                engine.explain_timeshap(dm, long_d, long_len, TimeShapLevel::Event, od).values_f64(),
                "TimeSHAP values after pruning");

    std::vector<float> many_f = make_sequence(5, 3);
    const std::vector<float> second = make_sequence(7, 4);
    many_f.insert(many_f.end(), second.begin(), second.end());
    const std::vector<double> many_d = widen(many_f);
    const std::vector<std::size_t> lengths = {5, 7};
    const std::vector<double> tolerances = {0.0, 0.05};
    const TimeShapGlobal gf = engine.timeshap_global(fm, many_f, lengths, fo, tolerances, 2);
    const TimeShapGlobal gd = engine.timeshap_global(dm, many_d, lengths, od, tolerances, 2);
    CHECK(gd.sequences() == 2);
    const std::vector<Summary> ef = gf.feature_importance(), ed = gd.feature_importance();
    CHECK(ef.size() == ed.size() && ed.size() == Decaying::F);
    for (std::size_t j = 0; j < ef.size() && j < ed.size(); ++j) CHECK_NEAR(ef[j].mean, ed[j].mean, 1e-5);
    const std::vector<PruningRow> tf = gf.pruning_table(), td = gd.pruning_table();
    CHECK(tf.size() == td.size());
    for (std::size_t k = 0; k < tf.size() && k < td.size(); ++k) CHECK(tf[k].max_len == td[k].max_len);

    // The state path on doubles gives the same values as whole-sequence predictions.
    std::atomic<int> from_state_calls{0};
    const SequenceModel stateful(
        sequence_config(1), predict,
        [&d](Span<const double> initial, Span<const double> in, std::size_t rows, std::size_t seq_len,
             Span<double> states) {
            for (std::size_t r = 0; r < rows; ++r)
                states[r] = d.run(initial.empty() ? 0.0 : initial[r], in.data() + r * seq_len * 2, seq_len);
        },
        [&d, &from_state_calls](Span<const double> states, Span<const double> in, std::size_t rows,
                                std::size_t seq_len, Span<double> out) {
            ++from_state_calls;
            for (std::size_t r = 0; r < rows; ++r) out[r] = d.run(states[r], in.data() + r * seq_len * 2, seq_len);
        });
    const std::vector<double> with_state =
        engine.explain_timeshap(stateful, long_d, long_len, TimeShapLevel::Event, od).values_f64();
    const std::vector<double> without =
        engine.explain_timeshap(dm, long_d, long_len, TimeShapLevel::Event, od).values_f64();
    CHECK(from_state_calls.load() > 0 && with_state.size() == without.size());
    for (std::size_t i = 0; i < with_state.size() && i < without.size(); ++i)
        CHECK_NEAR(with_state[i], without[i], 1e-12);
}

struct DoubleBroke : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void test_f64_errors_and_types() {
    section("float64: mixing element types throws ElementTypeError; callables pick the element type");
    CHECK(std::string(lumen::status_name(lumen::Status::ElementTypeMismatch)) == "LUMEN_STATUS_ELEMENT_TYPE_MISMATCH");
    CHECK(std::string(lumen::status_name(lumen::Status::ElementTypeUnsupported)) ==
          "LUMEN_STATUS_ELEMENT_TYPE_UNSUPPORTED");
    CHECK((std::is_base_of<lumen::InvalidInputError, lumen::ElementTypeError>::value));
    lumen::Engine engine = cpu_engine();
    const lumen::Model fm = linear_model<float>(), dm = linear_model<double>();
    const std::vector<double> x = widen(rows2);
    lumen::OcclusionOptionsF64 od;
    od.window_shape = {1};
    lumen::OcclusionOptions of;
    of.window_shape = {1};
    // Double inputs for a float model, and float ones for a double model.
    CHECK_THROWS(lumen::ElementTypeError, lumen::Status::ElementTypeMismatch, "are double but the model declares float",
                 engine.occlusion(fm, x, od));
    CHECK_THROWS(lumen::ElementTypeError, lumen::Status::ElementTypeMismatch, "are float but the model declares double",
                 engine.occlusion(dm, rows2, of));
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::ElementTypeMismatch, "double", engine.saliency(fm, x));
    CHECK_THROWS(lumen::ElementTypeError, lumen::Status::ElementTypeMismatch, "double",
                 engine.integrated_gradients(dm, rows2));
    lumen::KernelShapOptionsF64 kd;
    kd.game.background = widen(background);
    CHECK_THROWS(lumen::ElementTypeError, lumen::Status::ElementTypeMismatch, "double", engine.kernel_shap(fm, x, kd));
    lumen::PermuteAttackOptionsF64 pd;
    pd.training = widen(background);
    CHECK_THROWS(lumen::ElementTypeError, lumen::Status::ElementTypeMismatch, "double",
                 engine.counterfactuals(fm, std::vector<double>{1, 2, 3, 4}, pd));
    const Decaying d;
    const lumen::SequenceModel sequence_model(sequence_config(), d.predict());
    lumen::TimeShapOptionsF64 td;
    td.background = {0.1, 0.2};
    CHECK_THROWS(lumen::ElementTypeError, lumen::Status::ElementTypeMismatch, "double",
                 engine.explain_timeshap(sequence_model, widen(make_sequence(4, 1)), 4, lumen::TimeShapLevel::Event,
                                         td));

    // A generic lambda that works on floats keeps making a float model (source compatible).
    lumen::ModelConfig config;
    config.input_len = 2;
    lumen::Model generic(config, [](auto in, std::size_t rows, auto out) {
        for (std::size_t r = 0; r < rows; ++r) out[r] = in[2 * r] + in[2 * r + 1];
    });
    CHECK(generic.element_type() == lumen::ElementType::F32);
    // A double callable's exception is rethrown from the engine method, as a float one's.
    lumen::Model broken(config, [](lumen::Span<const double>, std::size_t, lumen::Span<double>) {
        throw DoubleBroke("double model broke");
    });
    bool rethrown = false;
    try {
        engine.feature_ablation(broken, std::vector<double>{1.0, 2.0});
    } catch (const DoubleBroke& e) {
        rethrown = std::string(e.what()) == "double model broke";
    }
    CHECK(rethrown);
    // Moving keeps the element type.
    lumen::Model moved = linear_model<double>();
    lumen::Model target = std::move(moved);
    CHECK(target.element_type() == lumen::ElementType::F64);
    CHECK(engine.saliency(target, x).element_type() == lumen::ElementType::F64);
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::NullPointer, "predict",
                 lumen::Model(config, lumen::PredictFunctionF64()));
}

}  // namespace

void test_row_keys_and_call_seed() {
    section("row keys and the call seed: a row alone reproduces its batch values; ids key rows everywhere");
    CHECK(lumen::row_key("A-1042") == 0x0f55bc8b4b53e024ULL);  // pinned: the same in C, Python, Java, CLI
    lumen::ModelConfig config;
    config.input_len = 4;
    config.output_len = 1;
    lumen::Model model(config, [](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
        for (std::size_t r = 0; r < rows; ++r) {
            const float* x = &in[r * 4];
            out[r] = x[0] - 2 * x[1] + 0.5f * x[3] + x[0] * x[1] * x[2] + 0.3f * x[3] * x[3];
        }
    });
    lumen::KernelShapOptions options;
    options.game.background = background;
    options.budget = 8;
    lumen::Engine engine = cpu_engine(2, 5);
    const std::vector<float> row1(rows2.begin() + 4, rows2.end());
    const std::vector<float> batch = engine.kernel_shap(model, rows2, options).attributions();
    const std::vector<float> alone = engine.kernel_shap(model, row1, options).attributions();
    CHECK(std::equal(alone.begin(), alone.end(), batch.begin() + 4));

    lumen::CallOptions ids;
    ids.row_keys = {lumen::row_key("A-1"), lumen::row_key("A-2")};
    const std::vector<float> keyed = engine.kernel_shap(model, rows2, options, ids).attributions();
    lumen::CallOptions one;
    one.row_keys = {lumen::row_key("A-2")};
    const std::vector<float> again = engine.kernel_shap(model, row1, options, one).attributions();
    CHECK(std::equal(again.begin(), again.end(), keyed.begin() + 4));
    CHECK(again != alone);  // the caller's key, not the hash, drives the draws

    lumen::CallOptions seeded;
    seeded.seed = 7;
    const std::vector<float> by_call = engine.kernel_shap(model, rows2, options, seeded).attributions();
    CHECK(by_call == cpu_engine(1, 7).kernel_shap(model, rows2, options).attributions());
    CHECK(by_call != batch);
    one.row_keys = {1, 2, 3};
    CHECK_THROWS(lumen::InvalidInputError, lumen::Status::LengthMismatch, "control.row_keys",
                 engine.kernel_shap(model, rows2, options, one));

    // Per-row targets: each row explains its own output, as one call per row does.
    lumen::Model two(linear.config(), linear.predict(), linear.gradient());
    lumen::CallOptions per_row;
    per_row.row_targets = {1, 0};
    lumen::Explanation ex = engine.saliency(two, rows2, lumen::SaliencyOptions(), per_row);
    CHECK(ex.row_targets() == std::vector<std::uint32_t>({1, 0}));
    CHECK(ex.shape().outputs == 1);
    CHECK(engine.saliency(two, rows2).row_targets().empty());
    for (std::size_t r = 0; r < 2; ++r) {
        lumen::SaliencyOptions own;
        own.targets = {per_row.row_targets[r]};
        const std::vector<float> x(rows2.begin() + 4 * r, rows2.begin() + 4 * (r + 1));
        const std::vector<float> alone = engine.saliency(two, x, own).attributions();
        const std::vector<float> all = ex.attributions();
        CHECK(std::equal(alone.begin(), alone.end(), all.begin() + 4 * r));
    }
    CHECK_THROWS(lumen::NotAvailableError, lumen::Status::NotAvailable, "per-row targets", ex.outputs());
}

int main() {
    try {
        test_engine_and_version();
        test_occlusion();
        test_feature_ablation();
        test_kernel_shap();
        test_shapley_sampling();
        test_gradient_methods();
        test_grad_cam();
        test_counterfactuals_and_scorecard();
        test_coded_counterfactuals();
        test_errors();
        test_move_semantics();
        test_threads();
        test_timeshap_local();
        test_timeshap_pruning();
        test_timeshap_package_conventions();
        test_timeshap_state_path();
        test_timeshap_global();
        test_timeshap_errors();
        test_row_keys_and_call_seed();
        test_f64_exact_inputs();
        test_f64_methods();
        test_f64_kernel_shap_exact();
        test_f64_counterfactuals();
        test_f64_timeshap();
        test_f64_errors_and_types();
    } catch (const std::exception& e) {
        ++failed;
        std::fprintf(stderr, "FAIL: unexpected exception: %s\n", e.what());
    }
    std::printf("test_wrapper: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
