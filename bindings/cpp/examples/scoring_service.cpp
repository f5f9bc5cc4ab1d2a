// A small "scoring service" over Lumen's C++ wrapper: a credit scorecard model written in
// C++ scores a few applicants, KernelSHAP explains each score in scorecard points, the
// declined applicants get their reason codes, and the first one gets counterfactuals
// that would be approved (age stays fixed).
//
// Build (bindings/run-tests.sh does it):
//   g++ -std=c++17 -I include -I bindings/cpp/include bindings/cpp/examples/scoring_service.cpp
//       -L target/release -llumen -Wl,-rpath,$PWD/target/release -o scoring_service
#include <lumen/lumen.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

// The applicant's columns, in model order.
const std::vector<std::string> kColumns = {"income_k", "debt_ratio", "years_employed", "late_payments",
                                           "credit_years", "age"};

// A logistic scorecard: log-odds of "good" = intercept + Σ coefficient · column.
struct Scorecard {
    double intercept = -0.4;
    std::vector<double> coefficients = {0.025, -3.0, 0.12, -0.55, 0.08, 0.01};

    double probability_good(const float* row) const {
        double z = intercept;
        for (std::size_t i = 0; i < coefficients.size(); ++i) z += coefficients[i] * row[i];
        return 1.0 / (1.0 + std::exp(-z));
    }
};

// A deterministic pool of past applicants (a linear congruential generator, no RNG state
// shared with Lumen): the KernelSHAP background and PermuteAttack's value pool.
std::vector<float> past_applicants(std::size_t count) {
    std::uint64_t state = 20240611;
    auto uniform = [&state] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return double(state >> 11) / double(1ULL << 53);
    };
    std::vector<float> rows;
    for (std::size_t r = 0; r < count; ++r) {
        rows.push_back(float(std::round(20 + 80 * uniform())));      // income, k€
        rows.push_back(float(std::round(100 * 0.6 * uniform()) / 100));  // debt ratio
        rows.push_back(float(std::round(20 * uniform())));            // years employed
        rows.push_back(float(std::floor(5 * uniform() * uniform())));  // late payments
        rows.push_back(float(std::round(25 * uniform())));            // credit history
        rows.push_back(float(std::round(21 + 45 * uniform())));       // age
    }
    return rows;
}

constexpr double kApprovalProbability = 0.8;  // approve when P(good) >= 0.8

}  // namespace

int main() {
    try {
        const Scorecard scorecard;
        lumen::ModelConfig config;
        config.input_len = kColumns.size();
        config.output_len = 1;
        config.concurrent = true;  // the scorecard is a pure function
        config.feature_names = kColumns;
        lumen::Model model(config, [&](lumen::Span<const float> in, std::size_t rows, lumen::Span<float> out) {
            for (std::size_t r = 0; r < rows; ++r) out[r] = float(scorecard.probability_good(&in[r * 6]));
        });

        lumen::EngineOptions engine_options;
        engine_options.seed = 7;
        lumen::Engine engine(engine_options);

        const std::vector<float> pool = past_applicants(64);
        const std::vector<float> applicants = {
            62, 0.18f, 9, 0, 12, 41,   // steady
            28, 0.52f, 1, 3, 2, 24,    // thin file, high debt
            45, 0.35f, 4, 2, 6, 33,    // borderline
        };
        const std::size_t count = applicants.size() / 6;

        // KernelSHAP in log-odds (logit link): values add up to the score's log-odds, and
        // points_per_log_odds turns them into scorecard points.
        lumen::KernelShapOptions shap;
        shap.game.background = std::vector<float>(pool.begin(), pool.begin() + 6 * 32);
        shap.game.link = lumen::Link::Logit;
        const lumen::Explanation explanation = engine.kernel_shap(model, applicants, shap);
        const std::vector<float> values = explanation.attributions();
        const std::vector<float> base = explanation.base_values();
        const double points_per_log_odds = 15.0 / std::log(2.0);

        std::size_t first_declined = count;
        for (std::size_t a = 0; a < count; ++a) {
            const double p = scorecard.probability_good(&applicants[a * 6]);
            const bool approved = p >= kApprovalProbability;
            std::printf("applicant %zu: P(good) %.3f, score %.0f, %s\n", a, p, lumen::scorecard_score(p),
                        approved ? "approved" : "declined");
            std::printf("  base score %.0f", lumen::scorecard_score(1.0 / (1.0 + std::exp(-base[a]))));
            double total = lumen::scorecard_score(1.0 / (1.0 + std::exp(-base[a])));
            for (std::size_t f = 0; f < kColumns.size(); ++f) {
                std::printf(", %s %+.1f", kColumns[f].c_str(), values[a * 6 + f] * points_per_log_odds);
                total += values[a * 6 + f] * points_per_log_odds;
            }
            std::printf(" points (sum %.0f)\n", total);
            if (!approved) {
                if (first_declined == count) first_declined = a;
                for (const lumen::ReasonCode& code : explanation.reason_codes(a, 0, 3, lumen::Direction::Lowered))
                    std::printf("  reason: %s (%+.1f points)\n", code.name.c_str(),
                                code.contribution * points_per_log_odds);
            }
        }
        if (first_declined == count) return 0;

        // Counterfactuals for the first declined applicant: what would reach the cutoff?
        lumen::PermuteAttackOptions options;
        options.training = pool;
        options.target_class = 1;  // "good"
        options.success_probability = kApprovalProbability;
        options.immutable = {5};   // age
        options.counterfactuals = 2;
        const std::vector<float> declined(applicants.begin() + long(first_declined * 6),
                                          applicants.begin() + long(first_declined * 6 + 6));
        const lumen::Counterfactuals found = engine.counterfactuals(model, declined, options);
        std::printf("counterfactuals for applicant %zu:\n", first_declined);
        for (const lumen::Counterfactual& cf : found.all(0)) {
            std::printf("  %s, P(good) %.3f, score %.0f:", cf.success ? "approved" : "closest",
                        double(cf.target_probability), lumen::scorecard_score(cf.target_probability));
            for (std::uint32_t f : cf.changed)
                std::printf(" %s %g -> %g;", kColumns[f].c_str(), double(declined[f]), double(cf.row[f]));
            std::printf("\n");
        }
    } catch (const lumen::Error& e) {
        std::fprintf(stderr, "lumen error (%s): %s\n", e.status_name(), e.what());
        return 1;
    }
    return 0;
}
