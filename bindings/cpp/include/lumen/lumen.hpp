// lumen.hpp: a header-only C++17 wrapper over Lumen's C ABI (include/lumen.h).
//
// Move-only RAII handles (Engine, Model, Explanation, Counterfactuals, and for TimeSHAP
// SequenceModel, TimeShapExplanation, TimeShapGlobal), exceptions from
// statuses (a lumen::Error hierarchy carrying the status and lumen_last_error_message()),
// models written as any C++ callable, and option structs with the library's defaults.
// The wrapper does no maths: every number comes from the C ABI.
//
// Element types: a model is declared on `float` (the default) or on `double`, by the spans
// its callables take. A double model (LUMEN_ELEMENT_F64) is explained with `double`
// inputs and the `...F64` option structs (BasicOcclusionOptions<double>, ...), which call
// the C ABI's `_f64` exports: the model sees the caller's doubles bit for bit, and the
// results read back as doubles (Explanation::attributions_f64(), ...). Mixing element
// types (double inputs for a float model, or float ones for a double model) throws
// ElementTypeError (Status::ElementTypeMismatch).
//
// Exceptions never cross the C ABI: a model callable that throws is caught in the
// trampoline, the engine stops with LUMEN_STATUS_MODEL_FAILED, and the original exception
// is rethrown from the Engine method that ran the explanation.
//
// Threading: Engine, Model, Explanation and Counterfactuals may be used from several
// threads at once (all their methods are const); a handle must not be destroyed or moved
// from while another thread uses it. A model's callables run on engine worker threads (on
// the calling thread for an engine of one thread); with ModelConfig::concurrent = false
// (the default) the engine never overlaps two calls of one model.
#ifndef LUMEN_LUMEN_HPP
#define LUMEN_LUMEN_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lumen.h"

namespace lumen {

// ---------------------------------------------------------------------------------------
// Buffers

/// A non-owning view of `size()` contiguous elements (C++17 has no std::span). Built from
/// a pointer and a length, a std::vector, a std::array or a C array.
template <class T>
class Span {
   public:
    /// The element type, const-qualified for read-only views.
    using element_type = T;

    /// An empty view.
    constexpr Span() noexcept = default;
    /// A view of `size` elements starting at `data`.
    constexpr Span(T* data, std::size_t size) noexcept : data_(data), size_(size) {}
    /// A view of a vector's elements (const vectors give read-only views).
    template <class U, class A,
              class = std::enable_if_t<std::is_convertible<U (*)[], T (*)[]>::value>>
    Span(std::vector<U, A>& values) noexcept : data_(values.data()), size_(values.size()) {}
    /// A read-only view of a const vector's elements.
    template <class U, class A,
              class = std::enable_if_t<std::is_convertible<const U (*)[], T (*)[]>::value>>
    Span(const std::vector<U, A>& values) noexcept : data_(values.data()), size_(values.size()) {}
    /// A view of a std::array's elements.
    template <class U, std::size_t N, class = std::enable_if_t<std::is_convertible<U (*)[], T (*)[]>::value>>
    constexpr Span(std::array<U, N>& values) noexcept : data_(values.data()), size_(N) {}
    /// A read-only view of a const std::array's elements.
    template <class U, std::size_t N,
              class = std::enable_if_t<std::is_convertible<const U (*)[], T (*)[]>::value>>
    constexpr Span(const std::array<U, N>& values) noexcept : data_(values.data()), size_(N) {}
    /// A view of a C array.
    template <std::size_t N>
    constexpr Span(T (&values)[N]) noexcept : data_(values), size_(N) {}

    /// The first element (may be NULL when empty).
    constexpr T* data() const noexcept { return data_; }
    /// The number of elements.
    constexpr std::size_t size() const noexcept { return size_; }
    /// Whether the view holds no element.
    constexpr bool empty() const noexcept { return size_ == 0; }
    /// Element `i` (unchecked).
    constexpr T& operator[](std::size_t i) const noexcept { return data_[i]; }
    /// Iterator to the first element.
    constexpr T* begin() const noexcept { return data_; }
    /// Iterator past the last element.
    constexpr T* end() const noexcept { return data_ + size_; }
    /// The `count` elements starting at `offset` (unchecked).
    constexpr Span subspan(std::size_t offset, std::size_t count) const noexcept {
        return Span(data_ + offset, count);
    }

   private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
};

// ---------------------------------------------------------------------------------------
// Statuses and errors

/// The C ABI's statuses (`lumen_status`), with the same numbers.
enum class Status : std::uint32_t {
    Ok = LUMEN_STATUS_OK,                                          ///< Success.
    NullPointer = LUMEN_STATUS_NULL_POINTER,                       ///< A required pointer was NULL.
    InvalidArgument = LUMEN_STATUS_INVALID_ARGUMENT,               ///< An argument is out of range.
    LengthMismatch = LUMEN_STATUS_LENGTH_MISMATCH,                 ///< A buffer has the wrong length.
    NonFiniteInput = LUMEN_STATUS_NON_FINITE_INPUT,                ///< An input holds NaN or ±Inf.
    ModelFailed = LUMEN_STATUS_MODEL_FAILED,                       ///< A model callback failed.
    ModelNonFiniteOutput = LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT,   ///< The model wrote NaN or ±Inf.
    ModelCapabilityMissing = LUMEN_STATUS_MODEL_CAPABILITY_MISSING,///< The model lacks a callback.
    BackendUnavailable = LUMEN_STATUS_BACKEND_UNAVAILABLE,         ///< The backend cannot run here.
    BudgetTooSmall = LUMEN_STATUS_BUDGET_TOO_SMALL,                ///< The memory budget is too small.
    AbiVersionMismatch = LUMEN_STATUS_ABI_VERSION_MISMATCH,        ///< Wrong model ABI version.
    BufferTooSmall = LUMEN_STATUS_BUFFER_TOO_SMALL,                ///< An output buffer is too small.
    InvalidUtf8 = LUMEN_STATUS_INVALID_UTF8,                       ///< A string is not UTF-8.
    NotAvailable = LUMEN_STATUS_NOT_AVAILABLE,                     ///< The value is not defined here.
    Internal = LUMEN_STATUS_INTERNAL,                              ///< A bug in Lumen.
    Panic = LUMEN_STATUS_PANIC,                                    ///< Lumen panicked (contained).
    InvalidState = LUMEN_STATUS_INVALID_STATE,                     ///< Not allowed now (e.g. in a callback).
    OutOfMemory = LUMEN_STATUS_OUT_OF_MEMORY,                      ///< Memory could not be allocated.
    NonFiniteResult = LUMEN_STATUS_NON_FINITE_RESULT,              ///< A result overflowed.
    Cancelled = LUMEN_STATUS_CANCELLED,                            ///< The call was cancelled.
    DeadlineExceeded = LUMEN_STATUS_DEADLINE_EXCEEDED,             ///< The call ran past its timeout.
    /// Buffers of one element type given for a model of the other (double inputs for a
    /// float model, or float ones for a double model).
    ElementTypeMismatch = LUMEN_STATUS_ELEMENT_TYPE_MISMATCH,
    /// The element type is not supported where it was declared (a double device model).
    ElementTypeUnsupported = LUMEN_STATUS_ELEMENT_TYPE_UNSUPPORTED,
};

/// The C name of a status, e.g. "LUMEN_STATUS_MODEL_FAILED".
inline const char* status_name(Status status) noexcept {
    return lumen_status_name(static_cast<std::uint32_t>(status));
}

/// The library's version, "MAJOR.MINOR.PATCH" (compare with LUMEN_VERSION_* of the header).
inline std::string version() { return lumen_version(); }

/// Base of every exception the wrapper throws for a failing status: `what()` is
/// lumen_last_error_message() of the failing call, `status()` its status.
class Error : public std::runtime_error {
   public:
    /// An error for `status` with Lumen's message.
    Error(Status status, const std::string& message) : std::runtime_error(message), status_(status) {}
    /// The status of the failing call.
    Status status() const noexcept { return status_; }
    /// The C name of the status.
    const char* status_name() const noexcept { return lumen::status_name(status_); }

   private:
    Status status_;
};

/// Bad input from the caller: NULL, wrong lengths, NaN/Inf, out-of-range options, a buffer
/// too small, invalid UTF-8, a model descriptor of another ABI version, a budget too small.
class InvalidInputError : public Error {
    using Error::Error;
};

/// The model failed: a callback returned an error (or threw and the exception was not
/// kept), wrote NaN/Inf, or lacks a callback the method needs.
class ModelError : public Error {
    using Error::Error;
};

/// The value or backend asked for is not available (e.g. standard errors of occlusion,
/// the CUDA backend on a machine without a GPU).
class NotAvailableError : public Error {
    using Error::Error;
};

/// A bug in Lumen (an internal invariant or a contained panic).
class InternalError : public Error {
    using Error::Error;
};

/// Memory for the work could not be allocated (`Status::OutOfMemory`); nothing was written.
class OutOfMemoryError : public Error {
    using Error::Error;
};

/// The element types of a call do not fit its model (`Status::ElementTypeMismatch`:
/// double inputs or options for a float model, float ones for a double model) or a model
/// declares an element type Lumen cannot run there (`Status::ElementTypeUnsupported`).
/// A kind of InvalidInputError, so handlers of bad input catch it too.
class ElementTypeError : public InvalidInputError {
    using InvalidInputError::InvalidInputError;
};

namespace detail {

/// Throws the Error subclass of a failing status with the thread's last error message.
[[noreturn]] inline void throw_status(lumen_status raw) {
    const Status status = static_cast<Status>(raw);
    const std::string message = lumen_last_error_message();
    switch (status) {
        case Status::ModelFailed:
        case Status::ModelNonFiniteOutput:
        case Status::ModelCapabilityMissing:
            throw ModelError(status, message);
        case Status::BackendUnavailable:
        case Status::NotAvailable:
            throw NotAvailableError(status, message);
        case Status::Internal:
        case Status::Panic:
            throw InternalError(status, message);
        case Status::OutOfMemory:
            throw OutOfMemoryError(status, message);
        case Status::ElementTypeMismatch:
        case Status::ElementTypeUnsupported:
            throw ElementTypeError(status, message);
        default:
            throw InvalidInputError(status, message);
    }
}

/// Throws when `status` is not LUMEN_STATUS_OK.
inline void check(lumen_status status) {
    if (status != LUMEN_STATUS_OK) throw_status(status);
}

/// The error code a model callback returned, parsed from a LUMEN_STATUS_MODEL_FAILED
/// message ("... returned error code N ..."); 0 when the message carries none.
inline std::int32_t callback_code(const char* message) {
    static const char marker[] = "returned error code ";
    const std::string text = message;
    const std::size_t at = text.find(marker);
    if (at == std::string::npos) return 0;
    return static_cast<std::int32_t>(std::strtol(text.c_str() + at + sizeof marker - 1, nullptr, 10));
}

/// Frees a handle with its C `_free` function.
template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* handle) const noexcept { Free(handle); }
};

/// NUL-terminated pointers into a list of strings, kept alive for one C call.
struct CStrings {
    std::vector<const char*> pointers;
    explicit CStrings(const std::vector<std::string>& strings) {
        pointers.reserve(strings.size());
        for (const std::string& s : strings) pointers.push_back(s.c_str());
    }
    const char* const* data() const noexcept { return pointers.empty() ? nullptr : pointers.data(); }
    std::size_t size() const noexcept { return pointers.size(); }
};

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Element types

/// The element type of a model's buffers (`lumen_model_desc.element_type`), which is also
/// the precision its explanations' results are rounded to.
enum class ElementType : std::uint32_t {
    F32 = LUMEN_ELEMENT_F32,  ///< `float` (the default).
    F64 = LUMEN_ELEMENT_F64,  ///< `double`: the `_f64` exports and option fields.
};

namespace detail {

/// Whether `T` is `double` (the element type of an F64 model); `float` otherwise.
template <class T>
inline constexpr bool is_f64 = std::is_same<T, double>::value;

/// The ElementType of `T`, which must be `float` or `double`.
template <class T>
constexpr ElementType element_type_of() noexcept {
    static_assert(std::is_same<T, float>::value || std::is_same<T, double>::value,
                  "lumen: the element type is float or double");
    return is_f64<T> ? ElementType::F64 : ElementType::F32;
}

/// Selects an element type in private constructors.
template <class T>
struct ElementTag {};

/// `f64` when `T` is `double`, else `f32`: the C export (or field) for element type `T`.
template <class T, class F32, class F64>
constexpr auto pick(F32 f32, F64 f64) noexcept {
    if constexpr (is_f64<T>) {
        (void)f32;
        return f64;
    } else {
        (void)f64;
        return f32;
    }
}

/// Points the float or the double field of C options at `values` as `T` says (the other
/// stays NULL, as an `_f64` call requires) and sets the shared length.
template <class T>
void set_buffer(const float*& f32, const double*& f64, std::size_t& len, const std::vector<T>& values) noexcept {
    if constexpr (is_f64<T>)
        f64 = values.data();
    else
        f32 = values.data();
    len = values.size();
}

/// Sets a scalar option with a double twin: a float call reads `f32`; a double call reads
/// `f64` when non-zero, else `f32` widened, so `f32` becomes 0 there (never a narrowing).
template <class T>
void set_scalar(float& f32, double& f64, T value) noexcept {
    if constexpr (is_f64<T>) {
        f32 = 0.0f;
        f64 = value;
    } else {
        f32 = value;
    }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Enumerations of the options

/// Where an engine computes (`lumen_engine_options.backend`).
enum class Backend : std::uint32_t {
    Auto = LUMEN_BACKEND_AUTO,  ///< CUDA when available, else the CPU.
    Cpu = LUMEN_BACKEND_CPU,    ///< The rayon CPU backend, the reference.
    Cuda = LUMEN_BACKEND_CUDA,  ///< The CUDA backend (NotAvailableError where it cannot run).
};

/// The Shapley methods' link (`lumen_shapley_game.link`).
enum class Link : std::uint32_t {
    Identity = LUMEN_LINK_IDENTITY,  ///< Values in the model's output space.
    Logit = LUMEN_LINK_LOGIT,        ///< Values in log-odds (outputs must be probabilities).
};

/// How KernelSHAP samples its coalitions (`lumen_kernel_shap_options.estimator`).
enum class Estimator : std::uint32_t {
    Default = LUMEN_ESTIMATOR_DEFAULT,                            ///< The library's default (leverage top triples).
    Shap = LUMEN_ESTIMATOR_SHAP,                                  ///< shap's KernelExplainer schedule.
    Leverage = LUMEN_ESTIMATOR_LEVERAGE,                          ///< Leverage SHAP (Musco & Witter, 2025).
    LeverageStratified = LUMEN_ESTIMATOR_LEVERAGE_STRATIFIED,     ///< Leverage SHAP, counts fixed per size.
    LeverageInteractions = LUMEN_ESTIMATOR_LEVERAGE_INTERACTIONS, ///< Stratified draws, third-order fit (PolySHAP).
    LeverageTopTriples = LUMEN_ESTIMATOR_LEVERAGE_TOP_TRIPLES,    ///< The same fit, triples of the top five players, size and score terms.
};

/// Which reason codes to list (`lumen_explanation_reason_codes` direction).
enum class Direction : std::uint32_t {
    Lowered = LUMEN_DIRECTION_LOWERED,  ///< Negative contributions, most negative first.
    Raised = LUMEN_DIRECTION_RAISED,    ///< Positive contributions, most positive first.
};

/// What the feature axis of an explanation counts.
enum class FeatureAxis : std::uint32_t {
    Elements = LUMEN_FEATURE_AXIS_ELEMENTS,  ///< One value per input element.
    Groups = LUMEN_FEATURE_AXIS_GROUPS,      ///< One value per group or player.
};

/// Integrated Gradients' integration rule.
enum class IgMethod : std::uint32_t {
    RiemannLeft = LUMEN_IG_RIEMANN_LEFT,            ///< α_k = k/n.
    RiemannRight = LUMEN_IG_RIEMANN_RIGHT,          ///< α_k = (k+1)/n.
    RiemannMiddle = LUMEN_IG_RIEMANN_MIDDLE,        ///< α_k = (k+½)/n.
    RiemannTrapezoid = LUMEN_IG_RIEMANN_TRAPEZOID,  ///< Textbook trapezoid rule (n ≥ 2).
    GaussLegendre = LUMEN_IG_GAUSS_LEGENDRE,        ///< Gauss–Legendre (Captum's default).
    /// Captum's trapezoid: weights 1/n halved at the ends, summing to (n−1)/n (n ≥ 2).
    RiemannTrapezoidCaptum = LUMEN_IG_RIEMANN_TRAPEZOID_CAPTUM,
    /// Gauss–Legendre with Captum's float32-rounded nodes and weights.
    GaussLegendreCaptum = LUMEN_IG_GAUSS_LEGENDRE_CAPTUM,
};

/// NoiseTunnel's aggregation of the noisy attributions.
enum class NoiseType : std::uint32_t {
    SmoothGrad = LUMEN_NOISE_SMOOTHGRAD,       ///< Their mean.
    SmoothGradSq = LUMEN_NOISE_SMOOTHGRAD_SQ,  ///< The mean of their squares.
    VarGrad = LUMEN_NOISE_VARGRAD,             ///< Their variance.
};

/// The method under NoiseTunnel.
enum class NoiseTunnelBase : std::uint32_t {
    Saliency = LUMEN_NT_BASE_SALIENCY,                          ///< Saliency.
    IntegratedGradients = LUMEN_NT_BASE_INTEGRATED_GRADIENTS,  ///< Integrated Gradients.
    GradientShap = LUMEN_NT_BASE_GRADIENT_SHAP,                 ///< GradientSHAP.
};

/// How PermuteAttack draws new feature values.
enum class Sampling : std::uint32_t {
    Column = LUMEN_SAMPLING_COLUMN,  ///< Uniform draws from the training column.
    Gibbs = LUMEN_SAMPLING_GIBBS,    ///< Gibbs sampling over quantile bins.
};

/// PermuteAttack's `target_class` meaning "the other class".
constexpr std::int64_t target_opposite = LUMEN_TARGET_OPPOSITE;

// ---------------------------------------------------------------------------------------
// Option structs (defaults come from the library's lumen_*_options_default())

/// How to build an Engine.
struct EngineOptions {
    Backend backend;                  ///< Where to compute (default Auto).
    std::uint32_t threads;            ///< Worker threads; 0: one per core. Results never depend on it.
    std::uint64_t seed;               ///< Seed of every random choice.
    std::size_t memory_budget_bytes;  ///< Bytes of perturbed rows held at once (> 0).

    /// The library's defaults: auto backend, all cores, seed 0, 256 MiB.
    EngineOptions() {
        const lumen_engine_options d = lumen_engine_options_default();
        backend = static_cast<Backend>(d.backend);
        threads = d.threads;
        seed = d.seed;
        memory_budget_bytes = d.memory_budget_bytes;
    }
};

/// Options of Engine::occlusion (Captum's Occlusion) for a model on `T` (float or
/// double): OcclusionOptions and OcclusionOptionsF64.
template <class T>
struct BasicOcclusionOptions {
    std::vector<std::size_t> window_shape;  ///< Window extent per input dimension (required).
    std::vector<std::size_t> strides;       ///< Step per dimension; empty: all 1.
    std::vector<T> baseline;                ///< input_len (shared) or rows × input_len values; empty: scalar.
    T baseline_scalar = T(0);               ///< The baseline value when `baseline` is empty.
    std::vector<std::uint32_t> targets;     ///< Outputs to explain; empty: all.
    std::size_t perturbations_per_eval = 0; ///< Most perturbed rows per model call; 0: engine's choice.
};
/// Options of Engine::occlusion for a float model.
using OcclusionOptions = BasicOcclusionOptions<float>;
/// Options of Engine::occlusion for a double model (its baseline in doubles).
using OcclusionOptionsF64 = BasicOcclusionOptions<double>;

/// One group id per element from groups given as lists of element indices, as Captum and
/// shap users write them (for `FeatureAblationOptions::feature_mask` and
/// `ShapleyGame::players`). Every element 0..n−1 (n the members in all) must be in exactly
/// one group; InvalidInputError names an empty group, an element out of range, or one in
/// two groups.
inline std::vector<std::uint32_t> group_ids(const std::vector<std::vector<std::size_t>>& groups) {
    std::size_t n = 0;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        if (groups[g].empty())
            throw InvalidInputError(Status::InvalidArgument, "groups: group " + std::to_string(g) + " is empty");
        n += groups[g].size();
    }
    constexpr std::uint32_t unset = UINT32_MAX;
    std::vector<std::uint32_t> ids(n, unset);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (std::size_t element : groups[g]) {
            if (element >= n)
                throw InvalidInputError(Status::InvalidArgument,
                                        "groups: element " + std::to_string(element) + " of group " +
                                            std::to_string(g) + " is out of range 0.." + std::to_string(n - 1) +
                                            " (each element in one group)");
            if (ids[element] != unset)
                throw InvalidInputError(Status::InvalidArgument,
                                        "groups: element " + std::to_string(element) + " is in groups " +
                                            std::to_string(ids[element]) + " and " + std::to_string(g) +
                                            "; each element in one group");
            ids[element] = static_cast<std::uint32_t>(g);
        }
    }
    return ids;
}

/// Options of Engine::feature_ablation (Captum's FeatureAblation) for a model on `T`.
template <class T>
struct BasicFeatureAblationOptions {
    std::vector<std::uint32_t> feature_mask;  ///< Group id of each input element (0..G); empty: one group each.
    std::vector<std::string> group_names;     ///< Optional names of the G groups.
    std::vector<T> baseline;                  ///< input_len or rows × input_len values; empty: scalar.
    T baseline_scalar = T(0);                 ///< The baseline value when `baseline` is empty.
    std::vector<std::uint32_t> targets;       ///< Outputs to explain; empty: all.
    std::size_t perturbations_per_eval = 0;   ///< Most perturbed rows per model call; 0: engine's choice.
    bool group_attributions = false;          ///< One value per group instead of per element.
};
/// Options of Engine::feature_ablation for a float model.
using FeatureAblationOptions = BasicFeatureAblationOptions<float>;
/// Options of Engine::feature_ablation for a double model (its baseline in doubles).
using FeatureAblationOptionsF64 = BasicFeatureAblationOptions<double>;

/// The cooperative game of the Shapley methods for a model on `T`.
template <class T>
struct BasicShapleyGame {
    std::vector<T> background;               ///< B × input_len rows (required).
    std::vector<double> background_weights;  ///< One weight per background row; empty: equal.
    std::vector<std::uint32_t> players;      ///< Player of each input element (0..M); empty: one each.
    std::vector<std::string> player_names;   ///< Optional names of the M players.
    std::vector<std::uint32_t> targets;      ///< Outputs to explain; empty: all.
    Link link = Link::Identity;              ///< Identity or logit link.
};
/// The game of a float model.
using ShapleyGame = BasicShapleyGame<float>;
/// The game of a double model (its background in doubles).
using ShapleyGameF64 = BasicShapleyGame<double>;

/// How one explain call draws: its seed instead of the engine's, and one key per explained
/// row (an application id through lumen::row_key, say). A row's random draws depend only on
/// the seed and its key (by default a hash of the row's values), never on the other rows of
/// the call.
struct CallOptions {
    std::optional<std::uint64_t> seed;     ///< The call's seed; empty: the engine's.
    std::vector<std::uint64_t> row_keys;   ///< One key per row; empty: a hash of each row.
    /// One output per row that the row explains (Captum's per-row target; the gradient and
    /// perturbation methods, their own targets unset); empty: the method's targets.
    std::vector<std::uint32_t> row_targets;
    std::uint64_t timeout_ms = 0;          ///< Stop with DeadlineExceeded after this long; 0: no deadline.
    std::uint32_t max_model_threads = 0;   ///< Concurrent model calls; 0: the engine's threads.
};

/// The row key of an identifier (its bytes, e.g. UTF-8): the same key every binding and the
/// `lumen` command's `--id-column` derive from it.
inline std::uint64_t row_key(std::string_view id) {
    std::uint64_t key = 0;
    detail::check(lumen_row_key_of_bytes(reinterpret_cast<const std::uint8_t*>(id.data()), id.size(), &key));
    return key;
}

namespace detail {
inline lumen_call_control to_c(const CallOptions& call) {
    lumen_call_control c = lumen_call_control_default();
    c.timeout_ms = call.timeout_ms;
    c.max_model_threads = call.max_model_threads;
    if (call.seed) {
        c.seed = *call.seed;
        c.has_seed = 1;
    }
    if (!call.row_keys.empty()) {
        c.row_keys = call.row_keys.data();
        c.n_row_keys = call.row_keys.size();
    }
    if (!call.row_targets.empty()) {
        c.row_targets = call.row_targets.data();
        c.n_row_targets = call.row_targets.size();
    }
    return c;
}
}  // namespace detail

/// Options of Engine::kernel_shap for a model on `T`.
template <class T>
struct BasicKernelShapOptions {
    BasicShapleyGame<T> game;             ///< Background, players, outputs, link.
    std::size_t budget = 0;               ///< Coalitions per row (first round with a target); 0: 2M + 2048.
    std::uint32_t error_batches = 0;      ///< Jackknife groups for the standard errors; 0: 64.
    Estimator estimator = Estimator::Default;  ///< How coalitions are sampled.
    double target_standard_error = 0.0;   ///< > 0: sample in rounds until every standard error is at most this.
    std::size_t max_budget = 0;           ///< Coalition cap with a target; 0: 16 × (2M + 2048).
};
/// Options of Engine::kernel_shap for a float model.
using KernelShapOptions = BasicKernelShapOptions<float>;
/// Options of Engine::kernel_shap for a double model.
using KernelShapOptionsF64 = BasicKernelShapOptions<double>;

/// Options of Engine::shapley_sampling for a model on `T`.
template <class T>
struct BasicShapleySamplingOptions {
    BasicShapleyGame<T> game;             ///< Background, players, outputs, link.
    std::size_t permutation_pairs = 0;    ///< Antithetic permutation pairs per row (first round with a target); 0: 25.
    double target_standard_error = 0.0;   ///< > 0: walk more pairs in rounds until every standard error is at most this.
    std::size_t max_permutation_pairs = 0;  ///< Pair cap with a target; 0: 16 × the first round's pairs.
};
/// Options of Engine::shapley_sampling for a float model.
using ShapleySamplingOptions = BasicShapleySamplingOptions<float>;
/// Options of Engine::shapley_sampling for a double model.
using ShapleySamplingOptionsF64 = BasicShapleySamplingOptions<double>;

/// Options of Engine::integrated_gradients (Captum's IntegratedGradients) for a model on `T`.
template <class T>
struct BasicIntegratedGradientsOptions {
    std::vector<T> baseline;             ///< input_len or rows × input_len values; empty: scalar.
    T baseline_scalar;                   ///< The baseline value when `baseline` is empty.
    std::size_t n_steps;                 ///< Points on each path.
    IgMethod method;                     ///< The integration rule.
    std::size_t internal_batch_size;     ///< Path points per gradient call; 0: engine's choice.
    bool multiply_by_inputs;             ///< Multiply by (x − baseline) (Captum's default).
    std::vector<std::uint32_t> targets;  ///< Outputs to explain; empty: all.

    /// The library's defaults: baseline 0, 50 steps, Gauss–Legendre, multiplied by inputs.
    BasicIntegratedGradientsOptions() {
        const lumen_integrated_gradients_options d = lumen_integrated_gradients_options_default();
        baseline_scalar = d.baseline_scalar;
        n_steps = d.n_steps;
        method = static_cast<IgMethod>(d.method);
        internal_batch_size = d.internal_batch_size;
        multiply_by_inputs = d.multiply_by_inputs != 0;
    }
};
/// Options of Engine::integrated_gradients for a float model.
using IntegratedGradientsOptions = BasicIntegratedGradientsOptions<float>;
/// Options of Engine::integrated_gradients for a double model (its baseline in doubles).
using IntegratedGradientsOptionsF64 = BasicIntegratedGradientsOptions<double>;

/// Options of Engine::saliency (Captum's Saliency).
struct SaliencyOptions {
    bool abs;                            ///< Report |∇f| (default) or the signed gradient.
    std::vector<std::uint32_t> targets;  ///< Outputs to explain; empty: all.

    /// The library's defaults: absolute gradients, every output.
    SaliencyOptions() { abs = lumen_saliency_options_default().abs != 0; }
};

/// Options of Engine::gradient_shap (Captum's GradientShap) for a model on `T`.
template <class T>
struct BasicGradientShapOptions {
    std::vector<T> baselines;            ///< m × input_len baseline rows (required).
    std::size_t n_samples;               ///< Samples per input row.
    T stdevs;                            ///< Deviation of the Gaussian input noise.
    std::size_t internal_batch_size;     ///< Path points per gradient call; 0: engine's choice.
    std::vector<std::uint32_t> targets;  ///< Outputs to explain; empty: all.

    /// The library's defaults: 5 samples, no noise.
    BasicGradientShapOptions() {
        const lumen_gradient_shap_options d = lumen_gradient_shap_options_default();
        n_samples = d.n_samples;
        stdevs = d.stdevs;
        internal_batch_size = d.internal_batch_size;
    }
};
/// Options of Engine::gradient_shap for a float model.
using GradientShapOptions = BasicGradientShapOptions<float>;
/// Options of Engine::gradient_shap for a double model (baselines and σ in doubles).
using GradientShapOptionsF64 = BasicGradientShapOptions<double>;

/// Options of Engine::noise_tunnel (Captum's NoiseTunnel) for a model on `T`; only the
/// chosen base's options are read.
template <class T>
struct BasicNoiseTunnelOptions {
    NoiseType nt_type;                                        ///< The aggregation.
    std::size_t nt_samples;                                   ///< Noisy copies per row.
    T stdevs;                                                 ///< Deviation of the noise.
    NoiseTunnelBase base;                                     ///< The method under the tunnel.
    SaliencyOptions saliency;                                 ///< Read when base is Saliency.
    BasicIntegratedGradientsOptions<T> integrated_gradients;  ///< Read when base is IntegratedGradients.
    BasicGradientShapOptions<T> gradient_shap;                ///< Read when base is GradientShap.

    /// The library's defaults: smoothgrad over 5 copies, σ = 1, Saliency.
    BasicNoiseTunnelOptions() {
        const lumen_noise_tunnel_options d = lumen_noise_tunnel_options_default();
        nt_type = static_cast<NoiseType>(d.nt_type);
        nt_samples = d.nt_samples;
        stdevs = d.stdevs;
        base = static_cast<NoiseTunnelBase>(d.base);
    }
};
/// Options of Engine::noise_tunnel for a float model.
using NoiseTunnelOptions = BasicNoiseTunnelOptions<float>;
/// Options of Engine::noise_tunnel for a double model.
using NoiseTunnelOptionsF64 = BasicNoiseTunnelOptions<double>;

/// Options of Engine::grad_cam (Captum's LayerGradCam + interpolate).
struct GradCamOptions {
    std::vector<std::uint32_t> targets;  ///< Outputs to explain; empty: all.
    bool relu_attributions;              ///< ReLU on the map before upsampling.
    bool upsample;                       ///< Resample bilinearly to the input's H × W.
    std::size_t internal_batch_size;     ///< Rows per layer_gradient call; 0: engine's choice.

    /// The library's defaults: no ReLU, upsampled.
    GradCamOptions() {
        const lumen_grad_cam_options d = lumen_grad_cam_options_default();
        relu_attributions = d.relu_attributions != 0;
        upsample = d.upsample != 0;
        internal_batch_size = d.internal_batch_size;
    }
};

/// One logical feature of a tabular row for PermuteAttack: a numeric column, a one-hot
/// group, or (with `codes`) one column holding an integer category code.
struct TabularFeature {
    std::string name;                  ///< Its name (empty: "feature N").
    bool categorical = false;          ///< A one-hot group (at least 2 columns) or a numeric column.
    std::vector<std::size_t> columns;  ///< Its model columns.
    /// Non-empty: a coded feature (LUMEN_FEATURE_CODED) in the one column of `columns`,
    /// category c being the code `codes[c]` (finite integers, distinct); searched exactly
    /// as the one-hot group with column c for it, and counterfactual rows hold codes.
    std::vector<float> codes;

    /// A numeric feature with no name and no columns (set them before use).
    TabularFeature() = default;
    /// A feature from its fields (`codes` empty: numeric or one-hot, as `categorical` says).
    TabularFeature(std::string name_, bool categorical_, std::vector<std::size_t> columns_,
                   std::vector<float> codes_ = {})
        : name(std::move(name_)),
          categorical(categorical_),
          columns(std::move(columns_)),
          codes(std::move(codes_)) {}

    /// A categorical feature held as integer codes in `column`, category c being `codes[c]`.
    static TabularFeature coded(std::string name, std::size_t column, std::vector<float> codes) {
        return TabularFeature(std::move(name), true, {column}, std::move(codes));
    }
};

/// Allowed values [min, max] of a numeric feature.
struct FeatureRange {
    std::uint32_t feature = 0;  ///< Index of the logical feature.
    float min = 0.0f;           ///< Smallest allowed value.
    float max = 0.0f;           ///< Largest allowed value.
};

/// Options of Engine::counterfactuals (PermuteAttack) for a model on `T` (feature codes
/// and ranges stay floats for either).
template <class T>
struct BasicPermuteAttackOptions {
    std::vector<TabularFeature> features;  ///< Logical features; empty: one numeric per column.
    std::vector<T> training;               ///< n × input_len training rows (required).
    std::int64_t target_class;             ///< target_opposite or a class index.
    std::vector<std::uint32_t> immutable;  ///< Features that never change.
    std::vector<std::uint32_t> allow_list; ///< Only these may change; empty: all but immutable.
    std::vector<FeatureRange> ranges;      ///< Allowed ranges of numeric features.
    std::size_t population;                ///< Candidates per generation.
    std::size_t parents;                   ///< Parents per generation.
    std::size_t generations;               ///< Generations per run.
    std::size_t runs;                      ///< Runs per instance.
    double rho0;                           ///< Penalty per changed feature.
    double rho1;                           ///< Penalty per unit of L2 distance.
    double temperature;                    ///< Softmax temperature of parent selection.
    double decay;                          ///< Penalty decay after a generation without success.
    std::size_t max_changed;               ///< Most features changed; 0: no limit.
    double max_distance;                   ///< Largest L2 distance; 0: no limit.
    double success_probability;            ///< Target probability to reach; 0: predicted class.
    std::size_t counterfactuals;           ///< Counterfactuals reported per instance.
    Sampling sampling;                     ///< Column draws or Gibbs sampling.
    std::size_t gibbs_bins;                ///< Quantile bins per numeric feature.
    std::size_t gibbs_iterations;          ///< Gibbs sweeps per draw.

    /// The library's defaults (the paper's settings).
    BasicPermuteAttackOptions() {
        const lumen_permute_attack_options d = lumen_permute_attack_options_default();
        target_class = d.target_class;
        population = d.population;
        parents = d.parents;
        generations = d.generations;
        runs = d.runs;
        rho0 = d.rho0;
        rho1 = d.rho1;
        temperature = d.temperature;
        decay = d.decay;
        max_changed = d.max_changed;
        max_distance = d.max_distance;
        success_probability = d.success_probability;
        counterfactuals = d.counterfactuals;
        sampling = static_cast<Sampling>(d.sampling);
        gibbs_bins = d.gibbs_bins;
        gibbs_iterations = d.gibbs_iterations;
    }
};
/// Options of Engine::counterfactuals for a float model.
using PermuteAttackOptions = BasicPermuteAttackOptions<float>;
/// Options of Engine::counterfactuals for a double model (its training rows in doubles).
using PermuteAttackOptionsF64 = BasicPermuteAttackOptions<double>;

// ---------------------------------------------------------------------------------------
// Models

/// `predict(inputs, rows, outputs)` on elements of type `T` (float or double): reads
/// `rows × input_len` values, writes `rows × output_len` values. Throw to fail the explanation.
template <class T>
using BasicPredictFunction = std::function<void(Span<const T> inputs, std::size_t rows, Span<T> outputs)>;
/// `predict` of a float model.
using PredictFunction = BasicPredictFunction<float>;
/// `predict` of a double model.
using PredictFunctionF64 = BasicPredictFunction<double>;

/// `gradient(inputs, rows, targets, gradients, outputs)` on `T`: per row,
/// ∂f_targets[r]/∂input into `gradients` (`rows × input_len`) and, when `outputs` is not
/// empty, f(x) into it (`rows × output_len`). Throw to fail the explanation.
template <class T>
using BasicGradientFunction = std::function<void(Span<const T> inputs, std::size_t rows,
                                                 Span<const std::uint32_t> targets, Span<T> gradients,
                                                 Span<T> outputs)>;
/// `gradient` of a float model.
using GradientFunction = BasicGradientFunction<float>;
/// `gradient` of a double model.
using GradientFunctionF64 = BasicGradientFunction<double>;

/// `layer_gradient(inputs, rows, targets, activations, gradients)` on `T`: per row, the
/// exposed layer's activations and ∂f_targets[r]/∂activations (`rows × C × h × w` each).
template <class T>
using BasicLayerGradientFunction = std::function<void(Span<const T> inputs, std::size_t rows,
                                                      Span<const std::uint32_t> targets, Span<T> activations,
                                                      Span<T> gradients)>;
/// `layer_gradient` of a float model.
using LayerGradientFunction = BasicLayerGradientFunction<float>;
/// `layer_gradient` of a double model.
using LayerGradientFunctionF64 = BasicLayerGradientFunction<double>;

/// The shape and capabilities of a model.
struct ModelConfig {
    std::size_t input_len = 0;                    ///< Elements per input row (flattened).
    std::size_t output_len = 1;                   ///< Outputs per row.
    std::vector<std::size_t> input_shape;         ///< Optional shape of a row (product = input_len).
    std::size_t max_batch_rows = 0;               ///< Most rows per call; 0: no limit.
    bool concurrent = false;                      ///< The callables may run on several threads at once.
    std::vector<std::string> feature_names;       ///< Optional names of the input_len elements.
    std::array<std::size_t, 3> layer_shape{};     ///< {C, h, w} of the Grad-CAM layer (with layer_gradient).
};

namespace detail {

/// The exceptions model callables threw, each kept under the unique error code its
/// trampoline returned, until the Engine method that ran the explanation rethrows it.
struct ThrownExceptions {
    std::mutex mutex;
    std::map<std::int32_t, std::exception_ptr> thrown;
    std::int32_t next_code = 1;

    /// Keeps `error` and returns the code that identifies it (never 0; 1 if keeping failed).
    std::int32_t keep(std::exception_ptr error) noexcept {
        try {
            std::lock_guard<std::mutex> lock(mutex);
            const std::int32_t code = next_code;
            next_code = next_code == INT32_MAX ? 1 : next_code + 1;
            thrown[code] = std::move(error);
            return code;
        } catch (...) {
            return 1;
        }
    }

    /// Removes and returns the exception kept under `code` (null if none).
    std::exception_ptr take(std::int32_t code) noexcept {
        std::lock_guard<std::mutex> lock(mutex);
        const auto found = thrown.find(code);
        if (found == thrown.end()) return nullptr;
        std::exception_ptr error = std::move(found->second);
        thrown.erase(found);
        return error;
    }

    /// Rethrows the exception a callable threw during a failed call, if the status and
    /// the thread's last error message show one; returns otherwise.
    void rethrow_for(lumen_status status) {
        if (status != LUMEN_STATUS_MODEL_FAILED) return;
        const std::int32_t code = callback_code(lumen_last_error_message());
        if (code == 0) return;
        std::exception_ptr error = take(code);
        if (error) std::rethrow_exception(error);
    }
};

/// Whether a callable `F` takes double spans and not float ones (`Args` after the input
/// span): a callable for a double model. The float test runs first, so a generic lambda
/// that works on floats keeps its float meaning and is never instantiated on doubles.
template <class F, template <class> class Args>
struct takes_f64_only
    : std::conjunction<std::negation<typename Args<float>::template invocable<F>>,
                       typename Args<double>::template invocable<F>> {};

/// The argument list of a model's predict callable on `T`.
template <class T>
struct PredictArgs {
    template <class F>
    using invocable = std::is_invocable<F&, Span<const T>, std::size_t, Span<T>>;
};

/// What a model's trampolines reach through `user_data`: the callables (on `T`) and the
/// exceptions they threw.
template <class T>
struct ModelState : ThrownExceptions {
    std::size_t input_len;
    std::size_t output_len;
    std::size_t layer_len;
    BasicPredictFunction<T> predict;
    BasicGradientFunction<T> gradient;
    BasicLayerGradientFunction<T> layer_gradient;
};

/// lumen_predict_fn (`T` float) or lumen_predict_f64_fn (`T` double) trampoline: calls the
/// model's predict callable; an exception becomes its error code.
template <class T>
std::int32_t call_predict(void* user_data, const T* inputs, std::size_t rows, T* outputs) noexcept {
    ModelState<T>* state = static_cast<ModelState<T>*>(user_data);
    try {
        state->predict(Span<const T>(inputs, rows * state->input_len), rows,
                       Span<T>(outputs, rows * state->output_len));
        return 0;
    } catch (...) {
        return state->keep(std::current_exception());
    }
}

/// Gradient trampoline on `T`: calls the gradient callable (empty `outputs` when Lumen passes NULL).
template <class T>
std::int32_t call_gradient(void* user_data, const T* inputs, std::size_t rows, const std::uint32_t* targets,
                           T* gradients, T* outputs) noexcept {
    ModelState<T>* state = static_cast<ModelState<T>*>(user_data);
    try {
        state->gradient(Span<const T>(inputs, rows * state->input_len), rows,
                        Span<const std::uint32_t>(targets, rows), Span<T>(gradients, rows * state->input_len),
                        outputs != nullptr ? Span<T>(outputs, rows * state->output_len) : Span<T>());
        return 0;
    } catch (...) {
        return state->keep(std::current_exception());
    }
}

/// Layer-gradient trampoline on `T`: calls the layer_gradient callable.
template <class T>
std::int32_t call_layer_gradient(void* user_data, const T* inputs, std::size_t rows, const std::uint32_t* targets,
                                 T* activations, T* gradients) noexcept {
    ModelState<T>* state = static_cast<ModelState<T>*>(user_data);
    try {
        state->layer_gradient(Span<const T>(inputs, rows * state->input_len), rows,
                              Span<const std::uint32_t>(targets, rows),
                              Span<T>(activations, rows * state->layer_len),
                              Span<T>(gradients, rows * state->layer_len));
        return 0;
    } catch (...) {
        return state->keep(std::current_exception());
    }
}

/// lumen_finalize_fn: frees the ModelState<T> when Lumen frees the model.
template <class T>
void finalize_state(void* user_data) noexcept {
    delete static_cast<ModelState<T>*>(user_data);
}

/// Sets the element type and the trampolines of `state`'s callables in `desc`: the float
/// callbacks for `T` float, the `_f64` ones (float ones NULL) for `T` double.
template <class T>
void set_callbacks(lumen_model_desc& desc, const ModelState<T>& state) noexcept {
    desc.element_type = static_cast<std::uint32_t>(element_type_of<T>());
    if constexpr (is_f64<T>) {
        desc.predict_f64 = call_predict<T>;
        desc.gradient_f64 = state.gradient ? call_gradient<T> : nullptr;
        desc.layer_gradient_f64 = state.layer_gradient ? call_layer_gradient<T> : nullptr;
    } else {
        desc.predict = call_predict<T>;
        desc.gradient = state.gradient ? call_gradient<T> : nullptr;
        desc.layer_gradient = state.layer_gradient ? call_layer_gradient<T> : nullptr;
    }
    desc.finalize = finalize_state<T>;
}

}  // namespace detail

class Engine;

/// A model: C++ callables behind Lumen's model descriptor. Move-only; thread-safe (its
/// callables run as ModelConfig::concurrent allows). Its element type comes from its
/// callables: ones on `Span<const float>` make a float model, ones on `Span<const double>`
/// a double model (LUMEN_ELEMENT_F64), explained with double inputs and the `...F64` options.
class Model {
   public:
    /// A float model with a forward pass only (enough for occlusion, ablation, the
    /// Shapley methods and counterfactuals). Any callable converts to PredictFunction.
    Model(const ModelConfig& config, PredictFunction predict) : Model(config, std::move(predict), nullptr, nullptr) {}

    /// A float model with a forward pass and a gradient (for the gradient methods).
    Model(const ModelConfig& config, PredictFunction predict, GradientFunction gradient)
        : Model(config, std::move(predict), std::move(gradient), nullptr) {}

    /// A float model with every callback; `gradient` and `layer_gradient` may be empty.
    Model(const ModelConfig& config, PredictFunction predict, GradientFunction gradient,
          LayerGradientFunction layer_gradient)
        : Model(detail::ElementTag<float>(), config, std::move(predict), std::move(gradient),
                std::move(layer_gradient)) {}

    /// A double model (LUMEN_ELEMENT_F64): `predict` takes `Span<const double>` inputs and
    /// writes a `Span<double>` (converting to PredictFunctionF64); the optional `gradient`
    /// and `layer_gradient` (nullptr or empty: none) convert to GradientFunctionF64 and
    /// LayerGradientFunctionF64. Chosen for a `predict` callable on double spans but not on
    /// float ones; a generic lambda that accepts both makes a float model.
    template <class Predict, class Gradient = std::nullptr_t, class LayerGradient = std::nullptr_t,
              std::enable_if_t<detail::takes_f64_only<Predict, detail::PredictArgs>::value, int> = 0>
    Model(const ModelConfig& config, Predict predict, Gradient gradient = nullptr,
          LayerGradient layer_gradient = nullptr)
        : Model(detail::ElementTag<double>(), config, PredictFunctionF64(std::move(predict)),
                GradientFunctionF64(std::move(gradient)), LayerGradientFunctionF64(std::move(layer_gradient))) {}

    /// Takes over `other`'s handle; `other` is left empty (explaining with it throws).
    Model(Model&& other) noexcept
        : handle_(std::move(other.handle_)),
          state_(std::exchange(other.state_, nullptr)),
          input_len_(std::exchange(other.input_len_, 0)),
          output_len_(std::exchange(other.output_len_, 0)),
          element_type_(other.element_type_) {}
    /// Frees this model's handle and takes over `other`'s.
    Model& operator=(Model&& other) noexcept {
        if (this != &other) {
            handle_ = std::move(other.handle_);
            state_ = std::exchange(other.state_, nullptr);
            input_len_ = std::exchange(other.input_len_, 0);
            output_len_ = std::exchange(other.output_len_, 0);
            element_type_ = other.element_type_;
        }
        return *this;
    }
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    ~Model() = default;

    /// Elements per input row.
    std::size_t input_len() const noexcept { return input_len_; }
    /// Outputs per row.
    std::size_t output_len() const noexcept { return output_len_; }
    /// The element type of its buffers: F32 or F64 (as its callables were declared).
    ElementType element_type() const noexcept { return element_type_; }
    /// The C handle (still owned by this object).
    const lumen_model* get() const noexcept { return handle_.get(); }

    /// Rethrows the exception a callable threw during a failed call, if the status and the
    /// message show one; returns otherwise. Used by Engine after every failing call.
    void rethrow_callback_exception(lumen_status status) const {
        if (state_ != nullptr) state_->rethrow_for(status);
    }

   private:
    /// The one construction path of both element types: the callables on `T`.
    template <class T>
    Model(detail::ElementTag<T>, const ModelConfig& config, BasicPredictFunction<T> predict,
          BasicGradientFunction<T> gradient, BasicLayerGradientFunction<T> layer_gradient) {
        if (!predict) throw InvalidInputError(Status::NullPointer, "lumen::Model: predict is empty");
        std::unique_ptr<detail::ModelState<T>> state(new detail::ModelState<T>());
        state->input_len = config.input_len;
        state->output_len = config.output_len;
        state->layer_len = config.layer_shape[0] * config.layer_shape[1] * config.layer_shape[2];
        state->predict = std::move(predict);
        state->gradient = std::move(gradient);
        state->layer_gradient = std::move(layer_gradient);

        const detail::CStrings names(config.feature_names);
        lumen_model_desc desc{};
        desc.abi_version = LUMEN_MODEL_ABI_VERSION;
        desc.flags = config.concurrent ? LUMEN_MODEL_CONCURRENT : 0u;
        desc.memory_space = LUMEN_MEMORY_HOST;
        desc.input_len = config.input_len;
        desc.input_shape = config.input_shape.data();
        desc.input_rank = config.input_shape.size();
        desc.output_len = config.output_len;
        desc.max_batch_rows = config.max_batch_rows;
        detail::set_callbacks(desc, *state);
        desc.user_data = state.get();
        desc.feature_names = names.data();
        desc.feature_names_len = names.size();
        for (std::size_t d = 0; d < 3; ++d) desc.layer_shape[d] = config.layer_shape[d];

        lumen_model* raw = nullptr;
        detail::check(lumen_model_new(&desc, &raw));  // on failure `state` is still ours
        handle_.reset(raw);
        state_ = state.release();  // now owned by the handle's finalize
        input_len_ = config.input_len;
        output_len_ = config.output_len;
        element_type_ = detail::element_type_of<T>();
    }

    std::unique_ptr<lumen_model, detail::Deleter<lumen_model, lumen_model_free>> handle_;
    detail::ThrownExceptions* state_ = nullptr;
    std::size_t input_len_ = 0;
    std::size_t output_len_ = 0;
    ElementType element_type_ = ElementType::F32;
};

// ---------------------------------------------------------------------------------------
// Results

/// The shape of an explanation's attributions: rows × outputs × features, row-major.
struct AttributionShape {
    std::size_t rows = 0;                        ///< Input rows explained.
    std::size_t outputs = 0;                     ///< Model outputs explained per row.
    std::size_t features = 0;                    ///< Length of the feature axis.
    FeatureAxis feature_axis = FeatureAxis::Elements;  ///< What the feature axis counts.
    /// rows × outputs × features.
    std::size_t size() const noexcept { return rows * outputs * features; }
};

/// Diagnostics of one explained row.
struct RowDiagnostics {
    std::uint64_t model_rows_evaluated = 0;  ///< Model rows evaluated for it.
    bool has_completeness_gap = false;       ///< Whether the method defines a completeness gap.
};

/// One reason code: a feature and its contribution.
struct ReasonCode {
    std::size_t feature = 0;     ///< Index along the feature axis.
    std::string name;            ///< Its name.
    double contribution = 0.0;   ///< Its attribution (exact: a double explanation's double).
};

/// An explanation: attributions, predictions, base values, diagnostics and the audit JSON.
/// Move-only and immutable; every method is thread-safe.
class Explanation {
   public:
    /// Takes ownership of a C explanation.
    explicit Explanation(lumen_explanation* raw) noexcept : handle_(raw) {}

    /// The C handle (still owned by this object).
    const lumen_explanation* get() const noexcept { return handle_.get(); }

    /// The attributions' shape.
    AttributionShape shape() const {
        lumen_attribution_shape s{};
        detail::check(lumen_explanation_shape(handle_.get(), &s));
        AttributionShape shape;
        shape.rows = s.rows;
        shape.outputs = s.outputs;
        shape.features = s.features;
        shape.feature_axis = static_cast<FeatureAxis>(s.feature_axis);
        return shape;
    }

    /// The feature axis's own shape (its product is `shape().features`): the model's
    /// input shape for per-element methods, a Grad-CAM map's `{H, W}`, `{features}` for
    /// groups. The values of one row and output fill it row-major, as Captum returns them.
    std::vector<std::size_t> feature_shape() const {
        std::size_t rank = 0;
        detail::check(lumen_explanation_feature_rank(handle_.get(), &rank));
        std::vector<std::size_t> dims(rank);
        detail::check(lumen_explanation_feature_shape(handle_.get(), dims.data(), dims.size()));
        return dims;
    }

    /// The element type of the model it was made with: its results are rounded to it
    /// (read a double model's with the `_f64` getters to keep every bit).
    ElementType element_type() const {
        std::uint32_t out = 0;
        detail::check(lumen_explanation_element_type(handle_.get(), &out));
        return static_cast<ElementType>(out);
    }

    /// The rows × outputs × features attributions (a double model's rounded to float).
    std::vector<float> attributions() const { return attributions_as<float>(); }
    /// The attributions as doubles: a double model's to their last bit (a float model's widened).
    std::vector<double> attributions_f64() const { return attributions_as<double>(); }
    /// The attributions as `T` (float or double): attributions() or attributions_f64().
    template <class T>
    std::vector<T> attributions_as() const {
        std::vector<T> out(shape().size());
        attributions(Span<T>(out.data(), out.size()));
        return out;
    }
    /// Copies the attributions into `out` (InvalidInputError if it is too small).
    void attributions(Span<float> out) const {
        detail::check(lumen_explanation_attributions(handle_.get(), out.data(), out.size()));
    }
    /// Copies the attributions as doubles into `out` (InvalidInputError if it is too small).
    void attributions(Span<double> out) const {
        detail::check(lumen_explanation_attributions_f64(handle_.get(), out.data(), out.size()));
    }
    /// The rows × outputs model outputs f(x).
    std::vector<float> predictions() const {
        return read<float>(lumen_explanation_predictions, lumen_explanation_predictions_f64, per_output());
    }
    /// The predictions as doubles (a double model's full precision).
    std::vector<double> predictions_f64() const {
        return read<double>(lumen_explanation_predictions, lumen_explanation_predictions_f64, per_output());
    }
    /// The rows × outputs base values f(baseline).
    std::vector<float> base_values() const {
        return read<float>(lumen_explanation_base_values, lumen_explanation_base_values_f64, per_output());
    }
    /// The base values as doubles (a double model's full precision).
    std::vector<double> base_values_f64() const {
        return read<double>(lumen_explanation_base_values, lumen_explanation_base_values_f64, per_output());
    }
    /// Each row's explained output when the call gave per-row targets
    /// (CallOptions::row_targets); empty when every row explains outputs().
    std::vector<std::uint32_t> row_targets() const {
        std::vector<std::uint32_t> out(shape().rows);
        const lumen_status status = lumen_explanation_row_targets(handle_.get(), out.data(), out.size());
        if (status == LUMEN_STATUS_NOT_AVAILABLE) return {};
        detail::check(status);
        return out;
    }
    /// The model output indices explained for every row (`outputs` of them); with per-row
    /// targets NotAvailableError (see row_targets()).
    std::vector<std::uint32_t> outputs() const {
        std::vector<std::uint32_t> out(shape().outputs);
        detail::check(lumen_explanation_outputs(handle_.get(), out.data(), out.size()));
        return out;
    }
    /// Row `row`'s diagnostics (InvalidInputError if out of range).
    RowDiagnostics row_diagnostics(std::size_t row) const {
        lumen_row_diagnostics d{};
        detail::check(lumen_explanation_row_diagnostics(handle_.get(), row, &d));
        RowDiagnostics out;
        out.model_rows_evaluated = d.model_rows_evaluated;
        out.has_completeness_gap = d.has_completeness_gap != 0;
        return out;
    }
    /// The rows × outputs completeness gaps (NotAvailableError if the method has none).
    std::vector<double> completeness_gaps() const {
        std::vector<double> out(per_output());
        detail::check(lumen_explanation_completeness_gaps(handle_.get(), out.data(), out.size()));
        return out;
    }
    /// The rows × outputs × features standard errors (NotAvailableError if not sampled).
    std::vector<float> standard_errors() const {
        return read<float>(lumen_explanation_standard_errors, lumen_explanation_standard_errors_f64, shape().size());
    }
    /// The standard errors as doubles (NotAvailableError if not sampled).
    std::vector<double> standard_errors_f64() const {
        return read<double>(lumen_explanation_standard_errors, lumen_explanation_standard_errors_f64,
                            shape().size());
    }
    /// The name of feature `feature` along the feature axis.
    std::string feature_name(std::size_t feature) const {
        const char* name = nullptr;
        detail::check(lumen_explanation_feature_name(handle_.get(), feature, &name));
        return name;
    }
    /// The names of every feature along the feature axis.
    std::vector<std::string> feature_names() const {
        const std::size_t n = shape().features;
        std::vector<std::string> out;
        out.reserve(n);
        for (std::size_t f = 0; f < n; ++f) out.push_back(feature_name(f));
        return out;
    }
    /// Up to `k` reason codes of row `row` and explained output `output` (an index into
    /// outputs()) in `direction`, strongest first, with their names.
    std::vector<ReasonCode> reason_codes(std::size_t row, std::size_t output, std::size_t k,
                                         Direction direction = Direction::Lowered) const {
        std::vector<lumen_reason_code_f64> raw(k);
        std::size_t written = 0;
        detail::check(lumen_explanation_reason_codes_f64(handle_.get(), row, output, k,
                                                     static_cast<std::uint32_t>(direction), raw.data(), raw.size(),
                                                     &written));
        std::vector<ReasonCode> out;
        out.reserve(written);
        for (std::size_t i = 0; i < written; ++i) {
            ReasonCode code;
            code.feature = raw[i].feature;
            code.name = feature_name(raw[i].feature);
            code.contribution = raw[i].contribution;
            out.push_back(std::move(code));
        }
        return out;
    }
    /// Total model rows evaluated.
    std::uint64_t model_rows_evaluated() const {
        std::uint64_t n = 0;
        detail::check(lumen_explanation_model_rows_evaluated(handle_.get(), &n));
        return n;
    }
    /// The audit record as JSON text.
    std::string to_json() const {
        char* text = nullptr;
        detail::check(lumen_explanation_to_json(handle_.get(), &text));
        std::unique_ptr<char, detail::Deleter<char, lumen_string_free>> owned(text);
        return std::string(owned.get());
    }
    /// A new explanation whose features are the sums of this one's over `groups`
    /// (`groups[f]` the group of feature f, ids 0..G all used), with optional names.
    Explanation sum_groups(Span<const std::uint32_t> groups, const std::vector<std::string>& names = {}) const {
        const detail::CStrings c_names(names);
        lumen_explanation* raw = nullptr;
        detail::check(lumen_explanation_sum_groups(handle_.get(), groups.data(), groups.size(), c_names.data(),
                                                   c_names.size(), &raw));
        return Explanation(raw);
    }

   private:
    std::size_t per_output() const {
        const AttributionShape s = shape();
        return s.rows * s.outputs;
    }
    /// `n` values read as `T` by the float getter `f32` or its `_f64` twin `f64`.
    template <class T, class F32, class F64>
    std::vector<T> read(F32 f32, F64 f64, std::size_t n) const {
        std::vector<T> out(n);
        detail::check(detail::pick<T>(f32, f64)(handle_.get(), out.data(), out.size()));
        return out;
    }
    std::unique_ptr<lumen_explanation, detail::Deleter<lumen_explanation, lumen_explanation_free>> handle_;
};

/// The outcome of one instance's counterfactual search.
struct InstanceCounterfactuals {
    std::uint32_t original_class = 0;      ///< The class predicted for the instance.
    std::uint32_t target_class = 0;        ///< The class aimed for.
    float original_probability = 0.0f;    ///< The instance's probability of the target class.
    bool already_at_target = false;        ///< Nothing was searched: it already reaches the target.
    std::size_t count = 0;                 ///< Counterfactuals reported for it.
    std::uint64_t model_rows_evaluated = 0;///< Model rows evaluated for it.
};

/// One counterfactual.
struct Counterfactual {
    bool success = false;                ///< The model predicts the target (and every limit holds).
    std::uint32_t predicted_class = 0;   ///< The class the model predicts for it.
    float target_probability = 0.0f;     ///< The model's probability of the target class.
    float distance = 0.0f;               ///< Distance to the instance (√2 per changed category).
    std::vector<float> row;              ///< The counterfactual model input (a double model's rounded).
    std::vector<std::uint32_t> changed;  ///< The logical features it changes, increasing.
    /// The row as doubles: a double model's exact values (a float model's widened).
    std::vector<double> row_f64;
    double original_probability_f64 = 0.0;  ///< The instance's probability of the target class, as a double.
    double target_probability_f64 = 0.0;    ///< `target_probability` as a double (a double model's full precision).
    double distance_f64 = 0.0;              ///< `distance` as a double.
};

/// The result of a counterfactual search. Move-only and immutable; thread-safe.
class Counterfactuals {
   public:
    /// Takes ownership of a C result; `input_len` is the model's row length.
    Counterfactuals(lumen_counterfactuals* raw, std::size_t input_len) noexcept
        : handle_(raw), input_len_(input_len) {}

    /// The C handle (still owned by this object).
    const lumen_counterfactuals* get() const noexcept { return handle_.get(); }

    /// Instances searched.
    std::size_t count() const {
        std::size_t n = 0;
        detail::check(lumen_counterfactuals_count(handle_.get(), &n));
        return n;
    }
    /// The outcome of instance `instance`.
    InstanceCounterfactuals instance(std::size_t instance) const {
        lumen_instance_counterfactuals raw{};
        detail::check(lumen_counterfactuals_instance(handle_.get(), instance, &raw));
        InstanceCounterfactuals out;
        out.original_class = raw.original_class;
        out.target_class = raw.target_class;
        out.original_probability = raw.original_probability;
        out.already_at_target = raw.already_at_target != 0;
        out.count = raw.count;
        out.model_rows_evaluated = raw.model_rows_evaluated;
        return out;
    }
    /// Counterfactual `index` of instance `instance`, with its row and changed features.
    Counterfactual get(std::size_t instance, std::size_t index) const {
        lumen_counterfactual raw{};
        detail::check(lumen_counterfactuals_get(handle_.get(), instance, index, &raw));
        Counterfactual out;
        out.success = raw.success != 0;
        out.predicted_class = raw.predicted_class;
        out.target_probability = raw.target_probability;
        out.distance = raw.distance;
        out.row.resize(input_len_);
        detail::check(lumen_counterfactuals_row(handle_.get(), instance, index, out.row.data(), out.row.size()));
        out.row_f64.resize(input_len_);
        detail::check(
            lumen_counterfactuals_row_f64(handle_.get(), instance, index, out.row_f64.data(), out.row_f64.size()));
        detail::check(lumen_counterfactuals_probabilities_f64(handle_.get(), instance, index,
                                                              &out.original_probability_f64,
                                                              &out.target_probability_f64, &out.distance_f64));
        out.changed.resize(raw.changed_len);
        detail::check(
            lumen_counterfactuals_changed(handle_.get(), instance, index, out.changed.data(), out.changed.size()));
        return out;
    }
    /// Every counterfactual of instance `instance`, best first.
    std::vector<Counterfactual> all(std::size_t instance) const {
        const std::size_t n = this->instance(instance).count;
        std::vector<Counterfactual> out;
        out.reserve(n);
        for (std::size_t i = 0; i < n; ++i) out.push_back(get(instance, i));
        return out;
    }
    /// The audit record as JSON text.
    std::string to_json() const {
        char* text = nullptr;
        detail::check(lumen_counterfactuals_to_json(handle_.get(), &text));
        std::unique_ptr<char, detail::Deleter<char, lumen_string_free>> owned(text);
        return std::string(owned.get());
    }

   private:
    std::unique_ptr<lumen_counterfactuals, detail::Deleter<lumen_counterfactuals, lumen_counterfactuals_free>>
        handle_;
    std::size_t input_len_;
};

/// Credit-scorecard points of a probability of good `p_good` in (0, 1):
/// base_score + points_to_double_odds / ln 2 · ln(odds / base_odds).
inline double scorecard_score(double p_good, double base_score = 600.0, double base_odds = 20.0,
                              double points_to_double_odds = 15.0) {
    double out = 0.0;
    detail::check(lumen_scorecard_score(p_good, base_score, base_odds, points_to_double_odds, &out));
    return out;
}

// ---------------------------------------------------------------------------------------
// The engine

namespace detail {

/// The C game of `game` without its background (see set_game); `names` must outlive the
/// call that uses it.
template <class T>
lumen_shapley_game to_c(const BasicShapleyGame<T>& game, const CStrings& names) {
    lumen_shapley_game c{};
    c.background_weights = game.background_weights.data();
    c.background_weights_len = game.background_weights.size();
    c.players = game.players.data();
    c.players_len = game.players.size();
    c.player_names = names.data();
    c.player_names_len = names.size();
    c.targets = game.targets.data();
    c.targets_len = game.targets.size();
    c.link = static_cast<std::uint32_t>(game.link);
    return c;
}

/// The C options of a Shapley method on `T`, its game filled from `game` (the float
/// background in `c.game.background`, a double one in `c.background_f64`); `names` must
/// outlive the call that uses them.
template <class COptions, class T>
void set_game(COptions& c, const BasicShapleyGame<T>& game, const CStrings& names) {
    c.game = to_c(game, names);
    set_buffer(c.game.background, c.background_f64, c.game.background_len, game.background);
}

/// The C options of Integrated Gradients on `T` (borrowing `o`'s vectors).
template <class T>
lumen_integrated_gradients_options to_c(const BasicIntegratedGradientsOptions<T>& o) {
    lumen_integrated_gradients_options c = lumen_integrated_gradients_options_default();
    set_buffer(c.baseline, c.baseline_f64, c.baseline_len, o.baseline);
    set_scalar(c.baseline_scalar, c.baseline_scalar_f64, o.baseline_scalar);
    c.n_steps = o.n_steps;
    c.method = static_cast<std::uint32_t>(o.method);
    c.internal_batch_size = o.internal_batch_size;
    c.multiply_by_inputs = o.multiply_by_inputs ? 1u : 0u;
    c.targets = o.targets.data();
    c.targets_len = o.targets.size();
    return c;
}

/// The C options of Saliency (borrowing `o`'s vectors).
inline lumen_saliency_options to_c(const SaliencyOptions& o) {
    lumen_saliency_options c = lumen_saliency_options_default();
    c.abs = o.abs ? 1u : 0u;
    c.targets = o.targets.data();
    c.targets_len = o.targets.size();
    return c;
}

/// The C options of GradientSHAP on `T` (borrowing `o`'s vectors).
template <class T>
lumen_gradient_shap_options to_c(const BasicGradientShapOptions<T>& o) {
    lumen_gradient_shap_options c = lumen_gradient_shap_options_default();
    set_buffer(c.baselines, c.baselines_f64, c.baselines_len, o.baselines);
    c.n_samples = o.n_samples;
    set_scalar(c.stdevs, c.stdevs_f64, o.stdevs);
    c.internal_batch_size = o.internal_batch_size;
    c.targets = o.targets.data();
    c.targets_len = o.targets.size();
    return c;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------
// TimeSHAP: sequence models, options and results

/// `predict(inputs, rows, seq_len, outputs)` on `T` (float or double): reads
/// `rows × seq_len × features` values (event-major within a row), writes `rows × output_len`
/// values. Throw to fail.
template <class T>
using BasicSequencePredictFunction =
    std::function<void(Span<const T> inputs, std::size_t rows, std::size_t seq_len, Span<T> outputs)>;
/// `predict` of a float sequence model.
using SequencePredictFunction = BasicSequencePredictFunction<float>;
/// `predict` of a double sequence model.
using SequencePredictFunctionF64 = BasicSequencePredictFunction<double>;

/// `run_prefix(initial_states, inputs, rows, seq_len, states)` on `T`: runs `rows`
/// sequences of `seq_len` events from `initial_states` (`rows × state_len`; empty: the
/// model's own initial state) and writes the hidden states after the last event
/// (`rows × state_len`).
template <class T>
using BasicRunPrefixFunction = std::function<void(Span<const T> initial_states, Span<const T> inputs,
                                                  std::size_t rows, std::size_t seq_len, Span<T> states)>;
/// `run_prefix` of a float sequence model.
using RunPrefixFunction = BasicRunPrefixFunction<float>;
/// `run_prefix` of a double sequence model.
using RunPrefixFunctionF64 = BasicRunPrefixFunction<double>;

/// `predict_from_state(states, inputs, rows, seq_len, outputs)` on `T`: the outputs of the
/// whole sequences whose prefixes left `states` (`rows × state_len`), given their tails.
template <class T>
using BasicPredictFromStateFunction = std::function<void(Span<const T> states, Span<const T> inputs,
                                                         std::size_t rows, std::size_t seq_len, Span<T> outputs)>;
/// `predict_from_state` of a float sequence model.
using PredictFromStateFunction = BasicPredictFromStateFunction<float>;
/// `predict_from_state` of a double sequence model.
using PredictFromStateFunctionF64 = BasicPredictFromStateFunction<double>;

/// The shape and capabilities of a sequence model.
struct SequenceModelConfig {
    std::size_t features = 0;                ///< Values per event (F >= 1).
    std::size_t output_len = 1;              ///< Outputs per sequence.
    std::size_t max_batch_rows = 0;          ///< Most sequences per call; 0: no limit.
    bool concurrent = false;                 ///< The callables may run on several threads at once.
    std::size_t state_len = 0;               ///< Values of hidden state (with the state callables), else 0.
    std::vector<std::string> feature_names;  ///< Optional names of the F features.
};

namespace detail {

/// What a sequence model's trampolines reach through `user_data`: its callables on `T`.
template <class T>
struct SequenceModelState : ThrownExceptions {
    std::size_t features;
    std::size_t output_len;
    std::size_t state_len;
    BasicSequencePredictFunction<T> predict;
    BasicRunPrefixFunction<T> run_prefix;
    BasicPredictFromStateFunction<T> predict_from_state;
};

/// The argument list of a sequence model's predict callable on `T`.
template <class T>
struct SequencePredictArgs {
    template <class F>
    using invocable = std::is_invocable<F&, Span<const T>, std::size_t, std::size_t, Span<T>>;
};

/// Sequence predict trampoline on `T` (lumen_sequence_predict_fn or its `_f64` twin).
template <class T>
std::int32_t call_sequence_predict(void* user_data, const T* inputs, std::size_t rows, std::size_t seq_len,
                                   T* outputs) noexcept {
    SequenceModelState<T>* state = static_cast<SequenceModelState<T>*>(user_data);
    try {
        state->predict(Span<const T>(inputs, rows * seq_len * state->features), rows, seq_len,
                       Span<T>(outputs, rows * state->output_len));
        return 0;
    } catch (...) {
        return state->keep(std::current_exception());
    }
}

/// run_prefix trampoline on `T` (empty `initial_states` when Lumen passes NULL).
template <class T>
std::int32_t call_run_prefix(void* user_data, const T* initial_states, const T* inputs, std::size_t rows,
                             std::size_t seq_len, T* states) noexcept {
    SequenceModelState<T>* state = static_cast<SequenceModelState<T>*>(user_data);
    try {
        const std::size_t state_values = rows * state->state_len;
        state->run_prefix(
            initial_states != nullptr ? Span<const T>(initial_states, state_values) : Span<const T>(),
            Span<const T>(inputs, rows * seq_len * state->features), rows, seq_len, Span<T>(states, state_values));
        return 0;
    } catch (...) {
        return state->keep(std::current_exception());
    }
}

/// predict_from_state trampoline on `T`.
template <class T>
std::int32_t call_predict_from_state(void* user_data, const T* states, const T* inputs, std::size_t rows,
                                     std::size_t seq_len, T* outputs) noexcept {
    SequenceModelState<T>* state = static_cast<SequenceModelState<T>*>(user_data);
    try {
        state->predict_from_state(Span<const T>(states, rows * state->state_len),
                                  Span<const T>(inputs, rows * seq_len * state->features), rows, seq_len,
                                  Span<T>(outputs, rows * state->output_len));
        return 0;
    } catch (...) {
        return state->keep(std::current_exception());
    }
}

/// lumen_finalize_fn: frees the SequenceModelState<T> when Lumen frees the model.
template <class T>
void finalize_sequence_state(void* user_data) noexcept {
    delete static_cast<SequenceModelState<T>*>(user_data);
}

/// Sets the element type and the trampolines of `state`'s callables in `desc`.
template <class T>
void set_callbacks(lumen_sequence_model_desc& desc, const SequenceModelState<T>& state) noexcept {
    desc.element_type = static_cast<std::uint32_t>(element_type_of<T>());
    if constexpr (is_f64<T>) {
        desc.predict_f64 = call_sequence_predict<T>;
        desc.run_prefix_f64 = state.run_prefix ? call_run_prefix<T> : nullptr;
        desc.predict_from_state_f64 = state.predict_from_state ? call_predict_from_state<T> : nullptr;
    } else {
        desc.predict = call_sequence_predict<T>;
        desc.run_prefix = state.run_prefix ? call_run_prefix<T> : nullptr;
        desc.predict_from_state = state.predict_from_state ? call_predict_from_state<T> : nullptr;
    }
    desc.finalize = finalize_sequence_state<T>;
}

}  // namespace detail

/// A sequence model for TimeSHAP: C++ callables behind Lumen's sequence-model descriptor.
/// A row is a sequence of `seq_len` events of `features` values, and `seq_len` may change
/// from call to call. Callables on `Span<const float>` make a float model, ones on
/// `Span<const double>` a double model (explained with double sequences and
/// TimeShapOptionsF64). Move-only; thread-safe (its callables run as `concurrent` allows).
class SequenceModel {
   public:
    /// A float model that predicts whole sequences only.
    SequenceModel(const SequenceModelConfig& config, SequencePredictFunction predict)
        : SequenceModel(config, std::move(predict), nullptr, nullptr) {}

    /// A float model that also exposes its hidden state (`config.state_len` floats per
    /// sequence): TimeSHAP then runs shared prefixes once. Both state callables or neither.
    SequenceModel(const SequenceModelConfig& config, SequencePredictFunction predict, RunPrefixFunction run_prefix,
                  PredictFromStateFunction predict_from_state)
        : SequenceModel(detail::ElementTag<float>(), config, std::move(predict), std::move(run_prefix),
                        std::move(predict_from_state)) {}

    /// A double model (LUMEN_ELEMENT_F64): `predict` on `Span<const double>` (converting to
    /// SequencePredictFunctionF64), with optional `run_prefix` and `predict_from_state` on
    /// doubles (both or neither; nullptr: none). Chosen for a `predict` callable on double
    /// spans but not on float ones.
    template <class Predict, class RunPrefix = std::nullptr_t, class PredictFromState = std::nullptr_t,
              std::enable_if_t<detail::takes_f64_only<Predict, detail::SequencePredictArgs>::value, int> = 0>
    SequenceModel(const SequenceModelConfig& config, Predict predict, RunPrefix run_prefix = nullptr,
                  PredictFromState predict_from_state = nullptr)
        : SequenceModel(detail::ElementTag<double>(), config, SequencePredictFunctionF64(std::move(predict)),
                        RunPrefixFunctionF64(std::move(run_prefix)),
                        PredictFromStateFunctionF64(std::move(predict_from_state))) {}

    /// Takes over `other`'s handle; `other` is left empty (explaining with it throws).
    SequenceModel(SequenceModel&& other) noexcept
        : handle_(std::move(other.handle_)),
          state_(std::exchange(other.state_, nullptr)),
          features_(std::exchange(other.features_, 0)),
          element_type_(other.element_type_) {}
    /// Frees this model's handle and takes over `other`'s.
    SequenceModel& operator=(SequenceModel&& other) noexcept {
        if (this != &other) {
            handle_ = std::move(other.handle_);
            state_ = std::exchange(other.state_, nullptr);
            features_ = std::exchange(other.features_, 0);
            element_type_ = other.element_type_;
        }
        return *this;
    }
    SequenceModel(const SequenceModel&) = delete;
    SequenceModel& operator=(const SequenceModel&) = delete;
    ~SequenceModel() = default;

    /// Values per event.
    std::size_t features() const noexcept { return features_; }
    /// The element type of its buffers: F32 or F64 (as its callables were declared).
    ElementType element_type() const noexcept { return element_type_; }
    /// The C handle (still owned by this object).
    const lumen_sequence_model* get() const noexcept { return handle_.get(); }

    /// Rethrows the exception a callable threw during a failed call, if any; returns otherwise.
    void rethrow_callback_exception(lumen_status status) const {
        if (state_ != nullptr) state_->rethrow_for(status);
    }

   private:
    /// The one construction path of both element types: the callables on `T`.
    template <class T>
    SequenceModel(detail::ElementTag<T>, const SequenceModelConfig& config, BasicSequencePredictFunction<T> predict,
                  BasicRunPrefixFunction<T> run_prefix, BasicPredictFromStateFunction<T> predict_from_state) {
        if (!predict) throw InvalidInputError(Status::NullPointer, "lumen::SequenceModel: predict is empty");
        if (bool(run_prefix) != bool(predict_from_state))
            throw InvalidInputError(Status::InvalidArgument,
                                    "lumen::SequenceModel: run_prefix and predict_from_state go together");
        std::unique_ptr<detail::SequenceModelState<T>> state(new detail::SequenceModelState<T>());
        state->features = config.features;
        state->output_len = config.output_len;
        state->state_len = config.state_len;
        state->predict = std::move(predict);
        state->run_prefix = std::move(run_prefix);
        state->predict_from_state = std::move(predict_from_state);

        const detail::CStrings names(config.feature_names);
        lumen_sequence_model_desc desc{};
        desc.abi_version = LUMEN_SEQUENCE_MODEL_ABI_VERSION;
        desc.flags = config.concurrent ? LUMEN_MODEL_CONCURRENT : 0u;
        desc.features = config.features;
        desc.output_len = config.output_len;
        desc.max_batch_rows = config.max_batch_rows;
        desc.state_len = config.state_len;
        detail::set_callbacks(desc, *state);
        desc.user_data = state.get();
        desc.feature_names = names.data();
        desc.feature_names_len = names.size();

        lumen_sequence_model* raw = nullptr;
        detail::check(lumen_sequence_model_new(&desc, &raw));  // on failure `state` is still ours
        handle_.reset(raw);
        state_ = state.release();  // now owned by the handle's finalize
        features_ = config.features;
        element_type_ = detail::element_type_of<T>();
    }

    std::unique_ptr<lumen_sequence_model, detail::Deleter<lumen_sequence_model, lumen_sequence_model_free>> handle_;
    detail::ThrownExceptions* state_ = nullptr;
    std::size_t features_ = 0;
    ElementType element_type_ = ElementType::F32;
};

/// The granularity of a TimeSHAP explanation.
enum class TimeShapLevel : std::uint32_t {
    Event = LUMEN_TIMESHAP_EVENT,      ///< One value per unpruned event (most recent first), then the pruned events.
    Feature = LUMEN_TIMESHAP_FEATURE,  ///< One value per feature, then the pruned events.
    Cell = LUMEN_TIMESHAP_CELL,        ///< The paper's cell groups.
};

/// How cell level picks the relevant events and features.
enum class CellRelevance : std::uint32_t {
    TopK = LUMEN_TIMESHAP_RELEVANCE_TOP_K,            ///< The top_events / top_features of largest |value|.
    Threshold = LUMEN_TIMESHAP_RELEVANCE_THRESHOLD,   ///< |value| >= event_threshold / feature_threshold.
};

/// Options of the TimeSHAP methods for a sequence model on `T` (defaults from
/// lumen_timeshap_options_default()). Set a background: `background` (one event of F
/// values, or a whole sequence of seq_len × F) or `training_events` (n × F; their mean
/// event is the background).
template <class T>
struct BasicTimeShapOptions {
    std::vector<T> background;           ///< One event or one whole sequence.
    std::vector<T> training_events;      ///< Used (their mean event) when `background` is empty.
    bool prune;                          ///< Temporal coalition pruning with `tolerance` (default off).
    double tolerance;                    ///< η, finite and >= 0.
    std::size_t budget;                  ///< Coalitions per explanation; 0: 32000.
    std::uint32_t error_batches;         ///< Sample batches for standard errors; 0: 10.
    std::uint32_t target;                ///< The output explained.
    Link link;                           ///< Identity or logit.
    bool use_state;                      ///< Use the model's state callables when it has them.
    CellRelevance relevance;             ///< Cell level's relevance rule.
    std::size_t top_events;              ///< Relevant events kept by TopK.
    std::size_t top_features;            ///< Relevant features kept by TopK.
    double event_threshold;              ///< Threshold's event threshold.
    double feature_threshold;            ///< Threshold's feature threshold.
    /// The `timeshap` package's `pruning_idx`: a negative -k keeps the last k events and
    /// lumps the older ones (-seq_len keeps every event), without the tolerance search;
    /// 0 (the default): none. With `prune`, positive or below -seq_len: InvalidInputError.
    std::int64_t pruning_index;
    /// The KernelSHAP estimator of the sampled levels (Default: the library's; since 0.3).
    Estimator estimator;

    /// The library's defaults.
    BasicTimeShapOptions() {
        const lumen_timeshap_options d = lumen_timeshap_options_default();
        prune = d.prune != 0;
        tolerance = d.tolerance;
        budget = d.budget;
        error_batches = d.error_batches;
        target = d.target;
        link = static_cast<Link>(d.link);
        use_state = d.disable_state == 0;
        relevance = static_cast<CellRelevance>(d.relevance);
        top_events = d.top_events;
        top_features = d.top_features;
        event_threshold = d.event_threshold;
        feature_threshold = d.feature_threshold;
        pruning_index = d.pruning_index;
        estimator = static_cast<Estimator>(d.estimator);
    }
};
/// Options of the TimeSHAP methods for a float sequence model.
using TimeShapOptions = BasicTimeShapOptions<float>;
/// Options of the TimeSHAP methods for a double sequence model (background in doubles).
using TimeShapOptionsF64 = BasicTimeShapOptions<double>;

/// One point of the pruning curve.
struct PruningPoint {
    std::size_t split = 0;     ///< Events [0, split) are the older part.
    std::size_t newer_len = 0; ///< Events in the newer part.
    double older_value = 0.0;  ///< Exact Shapley value of the older events.
    double newer_value = 0.0;  ///< Exact Shapley value of the newer events.
};

/// The result of temporal coalition pruning, in Lumen's form (for the `timeshap`
/// package's, end points included, see Engine::timeshap_pruning_curve).
struct Pruning {
    std::size_t pruned_len = 0;        ///< Events kept (seq_len without pruning).
    std::vector<PruningPoint> curve;   ///< From the most recent split back.

    /// The `timeshap` package's `pruning_idx`: -pruned_len (-seq_len when nothing was pruned).
    std::int64_t pruning_index() const noexcept { return -static_cast<std::int64_t>(pruned_len); }
};

/// One t of the pruning curve in the `timeshap` package's form.
struct TimeShapCurvePoint {
    std::int64_t t = 0;        ///< The package's "t (event index)": split − seq_len, 0 down to −seq_len.
    double older_value = 0.0;  ///< Its row "Sum of contribution of events ≤ t".
    double newer_value = 0.0;  ///< Its row "Sum of contribution of events > t" (the last −t events).
};

/// The whole pruning curve in the `timeshap` package's form (its
/// `temp_coalition_pruning(..., ret_plot_data=True)`).
struct TimeShapPruningCurve {
    std::int64_t pruning_index = 0;          ///< The package's `pruning_idx`: −pruned_len.
    std::vector<TimeShapCurvePoint> points;  ///< t = 0, −1, …, −seq_len, both end points included.
};

/// What a TimeSHAP player stands for.
enum class PlayerKind : std::uint32_t {
    Event = LUMEN_TIMESHAP_PLAYER_EVENT,                                  ///< One event (`event`).
    Feature = LUMEN_TIMESHAP_PLAYER_FEATURE,                              ///< One feature (`feature`).
    Cell = LUMEN_TIMESHAP_PLAYER_CELL,                                    ///< One cell (`event`, `feature`).
    OtherFeaturesOfEvent = LUMEN_TIMESHAP_PLAYER_OTHER_FEATURES_OF_EVENT,  ///< Other features of event `event`.
    OtherEventsOfFeature = LUMEN_TIMESHAP_PLAYER_OTHER_EVENTS_OF_FEATURE,  ///< Feature `feature` on other events.
    OtherCells = LUMEN_TIMESHAP_PLAYER_OTHER_CELLS,                       ///< Every other unpruned cell.
    PrunedEvents = LUMEN_TIMESHAP_PLAYER_PRUNED_EVENTS,                   ///< The events lumped by pruning.
};

/// One player of a TimeSHAP explanation; `event` (0 = oldest) and `feature` are -1 where
/// the kind has none.
struct Player {
    PlayerKind kind = PlayerKind::Event;  ///< What it stands for.
    std::int64_t event = -1;              ///< Position in the sequence, or -1.
    std::int64_t feature = -1;            ///< Feature index, or -1.
    std::string name;                     ///< Its name ("Event -1" is the most recent event).
};

/// A TimeSHAP player as the `timeshap` package names and numbers it.
struct TimeShapPlayer {
    /// The package's name: "Event -1", a feature's name (or "Feature j"), at cell level its
    /// (Event, Feature) row such as "(Event -1, amount)" or "(Other Events, Other Features)",
    /// and "Pruned Events" ("(Pruned Events, Pruned Events)" at cell level).
    std::string name;
    bool has_event = false;    ///< Whether the player stands for one event.
    std::int64_t event = 0;    ///< That event counted from the newest (-1 is the most recent).
    std::int64_t feature = -1; ///< Feature index, or -1.
};


/// A TimeSHAP explanation of one sequence: one value per player, the players, base value
/// link(f(background)), prediction link(f(x)), whether the values are exact, and the
/// underlying Explanation (standard errors, audit JSON with the pruning curve).
/// Move-only and immutable; every method is thread-safe.
class TimeShapExplanation {
   public:
    /// Wraps the explanation of a TimeSHAP call at `level`.
    TimeShapExplanation(Explanation explanation, TimeShapLevel level)
        : explanation_(std::move(explanation)), level_(level) {
        lumen_timeshap_summary summary{};
        detail::check(lumen_explanation_timeshap_summary(explanation_.get(), &summary));
        std::vector<lumen_timeshap_player> raw(summary.players);
        detail::check(lumen_explanation_timeshap_players(explanation_.get(), raw.data(), raw.size()));
        const std::vector<std::string> names = explanation_.feature_names();
        if (names.size() != raw.size())
            throw InternalError(Status::Internal, "lumen::TimeShapExplanation: players and names differ in number");
        players_.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i)
            players_.push_back(Player{static_cast<PlayerKind>(raw[i].kind), raw[i].event, raw[i].feature, names[i]});
        exact_ = summary.exact != 0;
        pruned_len_ = summary.pruned_len;
        timeshap_players_.reserve(raw.size());
        for (std::size_t i = 0; i < raw.size(); ++i) {
            const char* name = nullptr;
            detail::check(lumen_explanation_timeshap_player_name(explanation_.get(), i, &name));
            const PlayerKind kind = players_[i].kind;
            const bool one_event = kind == PlayerKind::Event || kind == PlayerKind::Cell ||
                                   kind == PlayerKind::OtherFeaturesOfEvent;
            const std::int64_t from_newest = raw[i].event - static_cast<std::int64_t>(summary.sequence_len);
            timeshap_players_.push_back(
                TimeShapPlayer{name != nullptr ? name : "", one_event, one_event ? from_newest : 0, raw[i].feature});
        }
    }

    /// The level.
    TimeShapLevel level() const noexcept { return level_; }
    /// One value per player; they sum to prediction() − base_value().
    std::vector<float> values() const { return explanation_.attributions(); }
    /// The values as doubles (a double model's to their last bit).
    std::vector<double> values_f64() const { return explanation_.attributions_f64(); }
    /// The players, in the order of values().
    const std::vector<Player>& players() const noexcept { return players_; }
    /// The players as the `timeshap` package names and numbers them, in the order of values().
    const std::vector<TimeShapPlayer>& timeshap_players() const noexcept { return timeshap_players_; }
    /// The `timeshap` package's `pruning_idx` the values were computed at: −pruned_len().
    std::int64_t pruning_index() const noexcept { return -static_cast<std::int64_t>(pruned_len_); }
    /// link(f(background sequence)).
    float base_value() const { return explanation_.base_values().at(0); }
    /// base_value() as a double.
    double base_value_f64() const { return explanation_.base_values_f64().at(0); }
    /// link(f(x)).
    float prediction() const { return explanation_.predictions().at(0); }
    /// prediction() as a double.
    double prediction_f64() const { return explanation_.predictions_f64().at(0); }
    /// The element type of the sequence model it was made with.
    ElementType element_type() const { return explanation_.element_type(); }
    /// Whether every coalition was enumerated (values exact, standard errors 0).
    bool exact() const noexcept { return exact_; }
    /// Events kept as individual players (the sequence length when nothing was pruned).
    std::size_t pruned_len() const noexcept { return pruned_len_; }
    /// Standard errors of the values (0 when exact).
    std::vector<float> standard_errors() const { return explanation_.standard_errors(); }
    /// The standard errors as doubles.
    std::vector<double> standard_errors_f64() const { return explanation_.standard_errors_f64(); }
    /// The audit record as JSON text (parameters, players, pruning curve and length).
    std::string to_json() const { return explanation_.to_json(); }
    /// The underlying explanation.
    const Explanation& explanation() const noexcept { return explanation_; }

   private:
    Explanation explanation_;
    TimeShapLevel level_;
    std::vector<Player> players_;
    std::vector<TimeShapPlayer> timeshap_players_;
    bool exact_ = false;
    std::size_t pruned_len_ = 0;
};

/// Summary statistics of a set of values (all zero when it is empty).
struct Summary {
    std::size_t count = 0;  ///< Number of values.
    double mean = 0.0;      ///< Mean.
    double std = 0.0;       ///< Sample standard deviation.
    double median = 0.0;    ///< Median.
    double min = 0.0;       ///< Smallest value.
    double max = 0.0;       ///< Largest value.
};

/// One row of the global pruning table.
struct PruningRow {
    double tolerance = 0.0;     ///< η.
    double mean_len = 0.0;      ///< Mean pruned length.
    double median_len = 0.0;    ///< Median pruned length.
    std::size_t max_len = 0;    ///< Largest pruned length.
    double exact_share = 0.0;   ///< Share of sequences whose event-level players fit exact enumeration.
    double relative_std = 0.0;  ///< Mean relative std of event-level values over the seeds.
};

/// A global TimeSHAP report over many sequences. Move-only and immutable; thread-safe.
class TimeShapGlobal {
   public:
    /// Takes ownership of a C report.
    explicit TimeShapGlobal(lumen_timeshap_global* raw) noexcept : handle_(raw) {}

    /// Sequences explained.
    std::size_t sequences() const { return sizes().sequences; }
    /// Event importance by distance d from the most recent event (entry d).
    std::vector<Summary> event_importance() const {
        std::vector<lumen_summary> raw(sizes().distances);
        detail::check(lumen_timeshap_global_event_importance(handle_.get(), raw.data(), raw.size()));
        return convert(raw);
    }
    /// One summary per feature of its feature-level values over the sequences.
    std::vector<Summary> feature_importance() const {
        std::vector<lumen_summary> raw(sizes().features);
        detail::check(lumen_timeshap_global_feature_importance(handle_.get(), raw.data(), raw.size()));
        return convert(raw);
    }
    /// φ(most recent event) / (f(x) − base) over the sequences.
    Summary most_recent_share() const {
        lumen_summary raw{};
        detail::check(lumen_timeshap_global_most_recent_share(handle_.get(), &raw));
        return convert(std::vector<lumen_summary>{raw}).front();
    }
    /// The pruning table, one row per η in the order given.
    std::vector<PruningRow> pruning_table() const {
        std::vector<lumen_pruning_row> raw(sizes().tolerances);
        detail::check(lumen_timeshap_global_pruning_table(handle_.get(), raw.data(), raw.size()));
        std::vector<PruningRow> out;
        for (const lumen_pruning_row& r : raw)
            out.push_back({r.tolerance, r.mean_len, r.median_len, r.max_len, r.exact_share, r.relative_std});
        return out;
    }
    /// The report as JSON text.
    std::string to_json() const {
        char* text = nullptr;
        detail::check(lumen_timeshap_global_to_json(handle_.get(), &text));
        std::unique_ptr<char, detail::Deleter<char, lumen_string_free>> owned(text);
        return std::string(owned.get());
    }

   private:
    lumen_timeshap_global_sizes sizes() const {
        lumen_timeshap_global_sizes s{};
        detail::check(lumen_timeshap_global_shape(handle_.get(), &s));
        return s;
    }
    static std::vector<Summary> convert(const std::vector<lumen_summary>& raw) {
        std::vector<Summary> out;
        for (const lumen_summary& s : raw) out.push_back({s.count, s.mean, s.std, s.median, s.min, s.max});
        return out;
    }
    std::unique_ptr<lumen_timeshap_global, detail::Deleter<lumen_timeshap_global, lumen_timeshap_global_free>>
        handle_;
};

namespace detail {

/// The C options of `o` on `T` (borrowing its vectors).
template <class T>
lumen_timeshap_options to_c(const BasicTimeShapOptions<T>& o) {
    lumen_timeshap_options c = lumen_timeshap_options_default();
    set_buffer(c.background, c.background_f64, c.background_len, o.background);
    set_buffer(c.training_events, c.training_events_f64, c.training_events_len, o.training_events);
    c.prune = o.prune ? 1u : 0u;
    c.tolerance = o.tolerance;
    c.budget = o.budget;
    c.error_batches = o.error_batches;
    c.target = o.target;
    c.link = static_cast<std::uint32_t>(o.link);
    c.disable_state = o.use_state ? 0u : 1u;
    c.relevance = static_cast<std::uint32_t>(o.relevance);
    c.top_events = o.top_events;
    c.top_features = o.top_features;
    c.event_threshold = o.event_threshold;
    c.feature_threshold = o.feature_threshold;
    c.pruning_index = o.pruning_index;
    c.estimator = static_cast<std::uint32_t>(o.estimator);
    return c;
}

}  // namespace detail

/// An engine: backend, worker threads, seed and memory budget. Move-only; thread-safe:
/// several threads may run explanations on one engine at once.
class Engine {
   public:
    /// An engine with the library's defaults.
    Engine() : Engine(EngineOptions()) {}

    /// An engine built from `options` (NotAvailableError for a backend that cannot run).
    explicit Engine(const EngineOptions& options) {
        lumen_engine_options c = lumen_engine_options_default();
        c.backend = static_cast<std::uint32_t>(options.backend);
        c.threads = options.threads;
        c.seed = options.seed;
        c.memory_budget_bytes = options.memory_budget_bytes;
        lumen_engine* raw = nullptr;
        detail::check(lumen_engine_new(&c, &raw));
        handle_.reset(raw);
    }

    /// The C handle (still owned by this object).
    const lumen_engine* get() const noexcept { return handle_.get(); }

    /// The backend the engine runs (Auto resolved).
    Backend backend() const {
        std::uint32_t out = 0;
        detail::check(lumen_engine_backend(handle_.get(), &out));
        return static_cast<Backend>(out);
    }

    // Each method has a float overload (float inputs and options, float model) and a
    // double one (double inputs and `...F64` options, double model, the `_f64` export);
    // both run the one templated implementation below. Mixing element types throws
    // ElementTypeError.

    /// Occlusion of the rows in `inputs` (rows = inputs.size() / model.input_len()).
    Explanation occlusion(const Model& model, Span<const float> inputs, const OcclusionOptions& options,
                          const CallOptions& call = CallOptions()) const {
        return occlusion_of(model, inputs, options, call);
    }
    /// Occlusion of a double model's rows.
    Explanation occlusion(const Model& model, Span<const double> inputs, const OcclusionOptionsF64& options,
                          const CallOptions& call = CallOptions()) const {
        return occlusion_of(model, inputs, options, call);
    }

    /// Feature Ablation of the rows in `inputs`.
    Explanation feature_ablation(const Model& model, Span<const float> inputs,
                                 const FeatureAblationOptions& options = FeatureAblationOptions(),
                                 const CallOptions& call = CallOptions()) const {
        return feature_ablation_of(model, inputs, options, call);
    }
    /// Feature Ablation of a double model's rows.
    Explanation feature_ablation(const Model& model, Span<const double> inputs,
                                 const FeatureAblationOptionsF64& options = FeatureAblationOptionsF64(),
                                 const CallOptions& call = CallOptions()) const {
        return feature_ablation_of(model, inputs, options, call);
    }

    /// KernelSHAP values of the rows in `inputs` over `options.game.background`.
    Explanation kernel_shap(const Model& model, Span<const float> inputs, const KernelShapOptions& options,
                            const CallOptions& call = CallOptions()) const {
        return kernel_shap_of(model, inputs, options, call);
    }
    /// KernelSHAP values of a double model's rows over a double background.
    Explanation kernel_shap(const Model& model, Span<const double> inputs, const KernelShapOptionsF64& options,
                            const CallOptions& call = CallOptions()) const {
        return kernel_shap_of(model, inputs, options, call);
    }

    /// Shapley Value Sampling of the rows in `inputs`.
    Explanation shapley_sampling(const Model& model, Span<const float> inputs,
                                 const ShapleySamplingOptions& options,
                                 const CallOptions& call = CallOptions()) const {
        return shapley_sampling_of(model, inputs, options, call);
    }
    /// Shapley Value Sampling of a double model's rows.
    Explanation shapley_sampling(const Model& model, Span<const double> inputs,
                                 const ShapleySamplingOptionsF64& options,
                                 const CallOptions& call = CallOptions()) const {
        return shapley_sampling_of(model, inputs, options, call);
    }

    /// Integrated Gradients of the rows in `inputs` (needs the model's gradient).
    Explanation integrated_gradients(const Model& model, Span<const float> inputs,
                                     const IntegratedGradientsOptions& options = IntegratedGradientsOptions(),
                                     const CallOptions& call = CallOptions()) const {
        return explain(model, inputs, detail::to_c(options), lumen_engine_explain_integrated_gradients,
                       lumen_engine_explain_integrated_gradients_f64,
                       call);
    }
    /// Integrated Gradients of a double model's rows (path points computed in double).
    Explanation integrated_gradients(const Model& model, Span<const double> inputs,
                                     const IntegratedGradientsOptionsF64& options = IntegratedGradientsOptionsF64(),
                                     const CallOptions& call = CallOptions()) const {
        return explain(model, inputs, detail::to_c(options), lumen_engine_explain_integrated_gradients,
                       lumen_engine_explain_integrated_gradients_f64,
                       call);
    }

    /// Saliency of the rows in `inputs` (needs the model's gradient).
    Explanation saliency(const Model& model, Span<const float> inputs,
                         const SaliencyOptions& options = SaliencyOptions(),
                         const CallOptions& call = CallOptions()) const {
        return explain(model, inputs, detail::to_c(options), lumen_engine_explain_saliency,
                       lumen_engine_explain_saliency_f64, call);
    }
    /// Saliency of a double model's rows.
    Explanation saliency(const Model& model, Span<const double> inputs,
                         const SaliencyOptions& options = SaliencyOptions(),
                         const CallOptions& call = CallOptions()) const {
        return explain(model, inputs, detail::to_c(options), lumen_engine_explain_saliency,
                       lumen_engine_explain_saliency_f64, call);
    }

    /// GradientSHAP of the rows in `inputs` over `options.baselines` (needs the gradient).
    Explanation gradient_shap(const Model& model, Span<const float> inputs, const GradientShapOptions& options,
                              const CallOptions& call = CallOptions()) const {
        return explain(model, inputs, detail::to_c(options), lumen_engine_explain_gradient_shap,
                       lumen_engine_explain_gradient_shap_f64, call);
    }
    /// GradientSHAP of a double model's rows over double baselines.
    Explanation gradient_shap(const Model& model, Span<const double> inputs, const GradientShapOptionsF64& options,
                              const CallOptions& call = CallOptions()) const {
        return explain(model, inputs, detail::to_c(options), lumen_engine_explain_gradient_shap,
                       lumen_engine_explain_gradient_shap_f64, call);
    }

    /// NoiseTunnel over the chosen base method (needs the model's gradient).
    Explanation noise_tunnel(const Model& model, Span<const float> inputs,
                             const NoiseTunnelOptions& options = NoiseTunnelOptions(),
                             const CallOptions& call = CallOptions()) const {
        return noise_tunnel_of(model, inputs, options, call);
    }
    /// NoiseTunnel of a double model's rows.
    Explanation noise_tunnel(const Model& model, Span<const double> inputs,
                             const NoiseTunnelOptionsF64& options = NoiseTunnelOptionsF64(),
                             const CallOptions& call = CallOptions()) const {
        return noise_tunnel_of(model, inputs, options, call);
    }

    /// Grad-CAM on the model's layer_gradient layer.
    Explanation grad_cam(const Model& model, Span<const float> inputs,
                         const GradCamOptions& options = GradCamOptions(),
                         const CallOptions& call = CallOptions()) const {
        return grad_cam_of(model, inputs, options, call);
    }
    /// Grad-CAM of a double model's rows (its layer_gradient on doubles).
    Explanation grad_cam(const Model& model, Span<const double> inputs,
                         const GradCamOptions& options = GradCamOptions(),
                         const CallOptions& call = CallOptions()) const {
        return grad_cam_of(model, inputs, options, call);
    }

    /// PermuteAttack counterfactuals of the rows in `inputs`.
    Counterfactuals counterfactuals(const Model& model, Span<const float> inputs,
                                    const PermuteAttackOptions& options) const {
        return counterfactuals_of(model, inputs, options);
    }
    /// PermuteAttack counterfactuals of a double model's rows (training rows in doubles;
    /// read the results with Counterfactual::row_f64 and the `_f64` fields).
    Counterfactuals counterfactuals(const Model& model, Span<const double> inputs,
                                    const PermuteAttackOptionsF64& options) const {
        return counterfactuals_of(model, inputs, options);
    }

    /// Temporal coalition pruning of one sequence (`sequence` holds seq_len × F floats,
    /// event-major, seq_len >= 2) with `options.tolerance` when `options.prune` is set.
    /// With `full_curve` every split is evaluated; otherwise the walk stops where pruning does.
    Pruning timeshap_prune(const SequenceModel& model, Span<const float> sequence, std::size_t seq_len,
                           const TimeShapOptions& options, bool full_curve = false) const {
        return timeshap_prune_of(model, sequence, seq_len, options, full_curve);
    }
    /// Temporal coalition pruning of one sequence of a double sequence model.
    Pruning timeshap_prune(const SequenceModel& model, Span<const double> sequence, std::size_t seq_len,
                           const TimeShapOptionsF64& options, bool full_curve = false) const {
        return timeshap_prune_of(model, sequence, seq_len, options, full_curve);
    }

    /// The whole pruning curve of one sequence in the `timeshap` package's form: its
    /// `pruning_idx` (chosen by `options.tolerance` with `options.prune`, or
    /// `options.pruning_index`; −seq_len with neither) and the points t = 0, −1, …, −seq_len,
    /// both end points included. Every split is evaluated.
    TimeShapPruningCurve timeshap_pruning_curve(const SequenceModel& model, Span<const float> sequence,
                                                std::size_t seq_len, const TimeShapOptions& options) const {
        return timeshap_pruning_curve_of(model, sequence, seq_len, options);
    }
    /// The whole pruning curve of one sequence of a double sequence model.
    TimeShapPruningCurve timeshap_pruning_curve(const SequenceModel& model, Span<const double> sequence,
                                                std::size_t seq_len, const TimeShapOptionsF64& options) const {
        return timeshap_pruning_curve_of(model, sequence, seq_len, options);
    }

    /// TimeSHAP of one sequence (seq_len × F floats, event-major, seq_len >= 2) at `level`,
    /// after pruning when `options.prune` is set (or at `options.pruning_index`).
    TimeShapExplanation explain_timeshap(const SequenceModel& model, Span<const float> sequence, std::size_t seq_len,
                                         TimeShapLevel level, const TimeShapOptions& options) const {
        return explain_timeshap_of(model, sequence, seq_len, level, options);
    }
    /// TimeSHAP of one sequence of a double sequence model (seq_len × F doubles).
    TimeShapExplanation explain_timeshap(const SequenceModel& model, Span<const double> sequence,
                                         std::size_t seq_len, TimeShapLevel level,
                                         const TimeShapOptionsF64& options) const {
        return explain_timeshap_of(model, sequence, seq_len, level, options);
    }

    /// Global TimeSHAP over sequences concatenated in `sequences` (`lengths[i]` events
    /// each, >= 2): event importance by distance, feature importance, the most recent
    /// event's share and the pruning table at each η in `tolerances` over `seeds` (>= 2)
    /// random streams. The background must be one event (or training events).
    TimeShapGlobal timeshap_global(const SequenceModel& model, Span<const float> sequences,
                                   Span<const std::size_t> lengths, const TimeShapOptions& options,
                                   Span<const double> tolerances, std::uint32_t seeds = 10) const {
        return timeshap_global_of(model, sequences, lengths, options, tolerances, seeds);
    }
    /// Global TimeSHAP over the double sequences of a double sequence model.
    TimeShapGlobal timeshap_global(const SequenceModel& model, Span<const double> sequences,
                                   Span<const std::size_t> lengths, const TimeShapOptionsF64& options,
                                   Span<const double> tolerances, std::uint32_t seeds = 10) const {
        return timeshap_global_of(model, sequences, lengths, options, tolerances, seeds);
    }

   private:
    /// Rows in `inputs`: its length over the model's input length (a remainder is
    /// reported by Lumen as a length mismatch).
    template <class T>
    static std::size_t rows_of(const Model& model, Span<const T> inputs) noexcept {
        return model.input_len() == 0 ? 0 : inputs.size() / model.input_len();
    }

    /// Rethrows a model callable's exception, else throws the status's Error.
    static void fail_unless_ok(const Model& model, lumen_status status) {
        if (status == LUMEN_STATUS_OK) return;
        model.rethrow_callback_exception(status);
        detail::throw_status(status);
    }

    /// Rethrows a sequence model callable's exception, else throws the status's Error.
    static void fail_unless_ok(const SequenceModel& model, lumen_status status) {
        if (status == LUMEN_STATUS_OK) return;
        model.rethrow_callback_exception(status);
        detail::throw_status(status);
    }

    /// Runs one explain export on `T` inputs (`explain_f32`, or its `_f64` twin
    /// `explain_f64` for double) with C options and wraps the result.
    template <class T, class Options, class ExplainF32, class ExplainF64>
    Explanation explain(const Model& model, Span<const T> inputs, const Options& options, ExplainF32 explain_f32,
                        ExplainF64 explain_f64, const CallOptions& call) const {
        const lumen_call_control control = detail::to_c(call);
        Options with_control = options;
        with_control.control = &control;
        lumen_explanation* raw = nullptr;
        const lumen_status status = detail::pick<T>(explain_f32, explain_f64)(
            handle_.get(), model.get(), inputs.data(), inputs.size(), rows_of(model, inputs), &with_control, &raw);
        fail_unless_ok(model, status);
        return Explanation(raw);
    }

    /// Occlusion on `T`.
    template <class T>
    Explanation occlusion_of(const Model& model, Span<const T> inputs, const BasicOcclusionOptions<T>& options,
                             const CallOptions& call) const {
        lumen_occlusion_options c = lumen_occlusion_options_default();
        c.window_shape = options.window_shape.data();
        c.window_rank = options.window_shape.size();
        c.strides = options.strides.data();
        c.strides_rank = options.strides.size();
        detail::set_buffer(c.baseline, c.baseline_f64, c.baseline_len, options.baseline);
        detail::set_scalar(c.baseline_scalar, c.baseline_scalar_f64, options.baseline_scalar);
        c.targets = options.targets.data();
        c.targets_len = options.targets.size();
        c.perturbations_per_eval = options.perturbations_per_eval;
        return explain(model, inputs, c, lumen_engine_explain_occlusion, lumen_engine_explain_occlusion_f64, call);
    }

    /// Feature Ablation on `T`.
    template <class T>
    Explanation feature_ablation_of(const Model& model, Span<const T> inputs,
                                    const BasicFeatureAblationOptions<T>& options, const CallOptions& call) const {
        const detail::CStrings names(options.group_names);
        lumen_feature_ablation_options c = lumen_feature_ablation_options_default();
        c.feature_mask = options.feature_mask.data();
        c.feature_mask_len = options.feature_mask.size();
        c.group_names = names.data();
        c.group_names_len = names.size();
        detail::set_buffer(c.baseline, c.baseline_f64, c.baseline_len, options.baseline);
        detail::set_scalar(c.baseline_scalar, c.baseline_scalar_f64, options.baseline_scalar);
        c.targets = options.targets.data();
        c.targets_len = options.targets.size();
        c.perturbations_per_eval = options.perturbations_per_eval;
        c.group_attributions = options.group_attributions ? 1u : 0u;
        return explain(model, inputs, c, lumen_engine_explain_feature_ablation,
                       lumen_engine_explain_feature_ablation_f64, call);
    }

    /// KernelSHAP on `T`.
    template <class T>
    Explanation kernel_shap_of(const Model& model, Span<const T> inputs, const BasicKernelShapOptions<T>& options,
                               const CallOptions& call) const {
        const detail::CStrings names(options.game.player_names);
        lumen_kernel_shap_options c = lumen_kernel_shap_options_default();
        detail::set_game(c, options.game, names);
        c.budget = options.budget;
        c.error_batches = options.error_batches;
        c.estimator = static_cast<std::uint32_t>(options.estimator);
        c.target_standard_error = options.target_standard_error;
        c.max_budget = options.max_budget;
        return explain(model, inputs, c, lumen_engine_explain_kernel_shap, lumen_engine_explain_kernel_shap_f64,
                       call);
    }

    /// Shapley Value Sampling on `T`.
    template <class T>
    Explanation shapley_sampling_of(const Model& model, Span<const T> inputs,
                                    const BasicShapleySamplingOptions<T>& options, const CallOptions& call) const {
        const detail::CStrings names(options.game.player_names);
        lumen_shapley_sampling_options c = lumen_shapley_sampling_options_default();
        detail::set_game(c, options.game, names);
        c.permutation_pairs = options.permutation_pairs;
        c.target_standard_error = options.target_standard_error;
        c.max_permutation_pairs = options.max_permutation_pairs;
        return explain(model, inputs, c, lumen_engine_explain_shapley_sampling,
                       lumen_engine_explain_shapley_sampling_f64, call);
    }

    /// NoiseTunnel on `T`.
    template <class T>
    Explanation noise_tunnel_of(const Model& model, Span<const T> inputs, const BasicNoiseTunnelOptions<T>& options,
                                const CallOptions& call) const {
        lumen_noise_tunnel_options c = lumen_noise_tunnel_options_default();
        c.nt_type = static_cast<std::uint32_t>(options.nt_type);
        c.nt_samples = options.nt_samples;
        detail::set_scalar(c.stdevs, c.stdevs_f64, options.stdevs);
        c.base = static_cast<std::uint32_t>(options.base);
        const lumen_saliency_options saliency = detail::to_c(options.saliency);
        const lumen_integrated_gradients_options integrated_gradients = detail::to_c(options.integrated_gradients);
        const lumen_gradient_shap_options gradient_shap = detail::to_c(options.gradient_shap);
        c.saliency = &saliency;
        c.integrated_gradients = &integrated_gradients;
        c.gradient_shap = &gradient_shap;
        return explain(model, inputs, c, lumen_engine_explain_noise_tunnel, lumen_engine_explain_noise_tunnel_f64,
                       call);
    }

    /// Grad-CAM on `T`.
    template <class T>
    Explanation grad_cam_of(const Model& model, Span<const T> inputs, const GradCamOptions& options,
                            const CallOptions& call) const {
        lumen_grad_cam_options c = lumen_grad_cam_options_default();
        c.targets = options.targets.data();
        c.targets_len = options.targets.size();
        c.relu_attributions = options.relu_attributions ? 1u : 0u;
        c.upsample = options.upsample ? 1u : 0u;
        c.internal_batch_size = options.internal_batch_size;
        return explain(model, inputs, c, lumen_engine_explain_grad_cam, lumen_engine_explain_grad_cam_f64, call);
    }

    /// PermuteAttack on `T`.
    template <class T>
    Counterfactuals counterfactuals_of(const Model& model, Span<const T> inputs,
                                       const BasicPermuteAttackOptions<T>& options) const {
        std::vector<lumen_tabular_feature> features(options.features.size());
        std::vector<lumen_feature_codes> codes;
        for (std::size_t i = 0; i < features.size(); ++i) {
            const TabularFeature& f = options.features[i];
            features[i].name = f.name.empty() ? nullptr : f.name.c_str();
            features[i].kind = f.categorical ? LUMEN_FEATURE_CATEGORICAL : LUMEN_FEATURE_NUMERIC;
            features[i].columns = f.columns.data();
            features[i].columns_len = f.columns.size();
            if (!f.codes.empty()) {
                features[i].kind = LUMEN_FEATURE_CODED;
                lumen_feature_codes entry;
                entry.feature = static_cast<std::uint32_t>(i);
                entry.codes = f.codes.data();
                entry.codes_len = f.codes.size();
                codes.push_back(entry);
            }
        }
        std::vector<lumen_feature_range> ranges(options.ranges.size());
        for (std::size_t i = 0; i < ranges.size(); ++i) {
            ranges[i].feature = options.ranges[i].feature;
            ranges[i].min = options.ranges[i].min;
            ranges[i].max = options.ranges[i].max;
        }
        lumen_permute_attack_options c = lumen_permute_attack_options_default();
        c.features = features.data();
        c.features_len = features.size();
        detail::set_buffer(c.training, c.training_f64, c.training_len, options.training);
        c.target_class = options.target_class;
        c.immutable = options.immutable.data();
        c.immutable_len = options.immutable.size();
        c.allow_list = options.allow_list.data();
        c.allow_list_len = options.allow_list.size();
        c.ranges = ranges.data();
        c.ranges_len = ranges.size();
        c.population = options.population;
        c.parents = options.parents;
        c.generations = options.generations;
        c.runs = options.runs;
        c.rho0 = options.rho0;
        c.rho1 = options.rho1;
        c.temperature = options.temperature;
        c.decay = options.decay;
        c.max_changed = options.max_changed;
        c.max_distance = options.max_distance;
        c.success_probability = options.success_probability;
        c.counterfactuals = options.counterfactuals;
        c.sampling = static_cast<std::uint32_t>(options.sampling);
        c.gibbs_bins = options.gibbs_bins;
        c.gibbs_iterations = options.gibbs_iterations;
        c.feature_codes = codes.data();
        c.feature_codes_len = codes.size();
        lumen_counterfactuals* raw = nullptr;
        const lumen_status status =
            detail::pick<T>(lumen_engine_explain_counterfactuals, lumen_engine_explain_counterfactuals_f64)(
                handle_.get(), model.get(), inputs.data(), inputs.size(), rows_of(model, inputs), &c, &raw);
        fail_unless_ok(model, status);
        return Counterfactuals(raw, model.input_len());
    }

    /// Temporal coalition pruning on `T`.
    template <class T>
    Pruning timeshap_prune_of(const SequenceModel& model, Span<const T> sequence, std::size_t seq_len,
                              const BasicTimeShapOptions<T>& options, bool full_curve) const {
        const lumen_timeshap_options c = detail::to_c(options);
        std::vector<lumen_pruning_point> curve(seq_len > 1 ? seq_len - 1 : 1);
        std::size_t pruned_len = 0;
        std::size_t written = 0;
        const lumen_status status = detail::pick<T>(lumen_engine_timeshap_prune, lumen_engine_timeshap_prune_f64)(
            handle_.get(), model.get(), sequence.data(), sequence.size(), seq_len, &c, full_curve ? 1u : 0u,
            &pruned_len, curve.data(), curve.size(), &written);
        fail_unless_ok(model, status);
        Pruning out;
        out.pruned_len = pruned_len;
        for (std::size_t i = 0; i < written; ++i)
            out.curve.push_back({curve[i].split, curve[i].newer_len, curve[i].older_value, curve[i].newer_value});
        return out;
    }

    /// The pruning curve on `T`.
    template <class T>
    TimeShapPruningCurve timeshap_pruning_curve_of(const SequenceModel& model, Span<const T> sequence,
                                                   std::size_t seq_len, const BasicTimeShapOptions<T>& options) const {
        const lumen_timeshap_options c = detail::to_c(options);
        std::vector<lumen_timeshap_curve_point> curve(seq_len + 1);
        std::int64_t index = 0;
        std::size_t written = 0;
        const lumen_status status =
            detail::pick<T>(lumen_engine_timeshap_pruning_curve, lumen_engine_timeshap_pruning_curve_f64)(
                handle_.get(), model.get(), sequence.data(), sequence.size(), seq_len, &c, &index, curve.data(),
                curve.size(), &written);
        fail_unless_ok(model, status);
        TimeShapPruningCurve out;
        out.pruning_index = index;
        for (std::size_t i = 0; i < written; ++i)
            out.points.push_back({curve[i].t, curve[i].older_value, curve[i].newer_value});
        return out;
    }

    /// TimeSHAP on `T`.
    template <class T>
    TimeShapExplanation explain_timeshap_of(const SequenceModel& model, Span<const T> sequence, std::size_t seq_len,
                                            TimeShapLevel level, const BasicTimeShapOptions<T>& options) const {
        const lumen_timeshap_options c = detail::to_c(options);
        lumen_explanation* raw = nullptr;
        const lumen_status status = detail::pick<T>(lumen_engine_explain_timeshap, lumen_engine_explain_timeshap_f64)(
            handle_.get(), model.get(), sequence.data(), sequence.size(), seq_len, static_cast<std::uint32_t>(level),
            &c, &raw);
        fail_unless_ok(model, status);
        return TimeShapExplanation(Explanation(raw), level);
    }

    /// Global TimeSHAP on `T`.
    template <class T>
    TimeShapGlobal timeshap_global_of(const SequenceModel& model, Span<const T> sequences,
                                      Span<const std::size_t> lengths, const BasicTimeShapOptions<T>& options,
                                      Span<const double> tolerances, std::uint32_t seeds) const {
        const lumen_timeshap_options c = detail::to_c(options);
        lumen_timeshap_global* raw = nullptr;
        const lumen_status status = detail::pick<T>(lumen_engine_timeshap_global, lumen_engine_timeshap_global_f64)(
            handle_.get(), model.get(), sequences.data(), sequences.size(), lengths.data(), lengths.size(), &c,
            tolerances.data(), tolerances.size(), seeds, &raw);
        fail_unless_ok(model, status);
        return TimeShapGlobal(raw);
    }

    std::unique_ptr<lumen_engine, detail::Deleter<lumen_engine, lumen_engine_free>> handle_;
};

}  // namespace lumen

#endif  // LUMEN_LUMEN_HPP
