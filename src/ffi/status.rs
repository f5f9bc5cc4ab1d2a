//! `lumen_status`: the result of every fallible export. Numbers are stable and never reused.

use crate::error::ErrorKind;

/// The result of a fallible Lumen call. `LUMEN_STATUS_OK` is 0; every other value is a
/// failure whose detail `lumen_last_error_message()` gives on the same thread.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum lumen_status {
    /// Success; outputs were written.
    Ok = 0,
    /// A required pointer was NULL.
    NullPointer = 1,
    /// An argument is out of range or inconsistent with another one.
    InvalidArgument = 2,
    /// A buffer's length does not match the length the other arguments imply.
    LengthMismatch = 3,
    /// An input, baseline or option holds NaN or ±Inf.
    NonFiniteInput = 4,
    /// The model's callback returned a non-zero code (the message carries it).
    ModelFailed = 5,
    /// The model wrote NaN or ±Inf into its outputs.
    ModelNonFiniteOutput = 6,
    /// The model lacks a callback the method needs (e.g. `gradient`).
    ModelCapabilityMissing = 7,
    /// The requested backend cannot run here (e.g. `cuda` without a GPU or in this build).
    BackendUnavailable = 8,
    /// The memory budget cannot hold one row of the work.
    BudgetTooSmall = 9,
    /// A model descriptor's `abi_version` or an options struct's `struct_size` names a
    /// layout this library does not know (a newer header, or a struct not started from its
    /// `_default()` function).
    AbiVersionMismatch = 10,
    /// An output buffer is smaller than the result.
    BufferTooSmall = 11,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 12,
    /// A value was requested that this explanation does not define.
    NotAvailable = 13,
    /// An internal invariant broke (a bug in Lumen: please report the message).
    Internal = 14,
    /// Lumen panicked; the panic was contained and the host process is unaffected.
    Panic = 15,
    /// The call is not allowed now: it came from inside a model callback (callbacks must
    /// not call back into Lumen), or the handle is in a state that forbids it.
    InvalidState = 16,
    /// Memory for the work could not be allocated; nothing was written.
    OutOfMemory = 17,
    /// A result overflowed to ±Inf (or became NaN) although the inputs and the model's
    /// outputs were finite (values near the float range's ends); the message names the
    /// value. Nothing was written: every number returned with `LUMEN_STATUS_OK` is finite.
    NonFiniteResult = 18,
    /// The call was cancelled: its cancel token was triggered or its progress callback
    /// returned non-zero. Nothing was written; the engine and model stay usable.
    Cancelled = 19,
    /// The call ran past its `timeout_ms`. Nothing was written; the engine and model stay
    /// usable.
    DeadlineExceeded = 20,
    /// A buffer's element type does not match the model's: `double` inputs (an `_f64`
    /// export, a `*_f64` options field) for a `float` model, or `float` ones for a
    /// `double` model. Nothing was written.
    ElementTypeMismatch = 21,
    /// The element type is not supported where it was declared: a `double` model whose
    /// buffers live in device memory (the CUDA kernels build float, half and bfloat16 rows).
    ElementTypeUnsupported = 22,
}

impl From<ErrorKind> for lumen_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => Self::InvalidArgument,
            ErrorKind::LengthMismatch => Self::LengthMismatch,
            ErrorKind::NonFiniteInput => Self::NonFiniteInput,
            ErrorKind::ModelFailed => Self::ModelFailed,
            ErrorKind::ModelNonFiniteOutput => Self::ModelNonFiniteOutput,
            ErrorKind::ModelCapabilityMissing => Self::ModelCapabilityMissing,
            ErrorKind::BackendUnavailable => Self::BackendUnavailable,
            ErrorKind::BudgetTooSmall => Self::BudgetTooSmall,
            ErrorKind::Internal => Self::Internal,
            ErrorKind::InvalidState => Self::InvalidState,
            ErrorKind::OutOfMemory => Self::OutOfMemory,
            ErrorKind::NonFiniteResult => Self::NonFiniteResult,
            ErrorKind::Cancelled => Self::Cancelled,
            ErrorKind::DeadlineExceeded => Self::DeadlineExceeded,
            ErrorKind::ElementTypeMismatch => Self::ElementTypeMismatch,
            ErrorKind::ElementTypeUnsupported => Self::ElementTypeUnsupported,
        }
    }
}

/// Every status, in numeric order.
pub(crate) const ALL_STATUSES: [lumen_status; 23] = [
    lumen_status::Ok,
    lumen_status::NullPointer,
    lumen_status::InvalidArgument,
    lumen_status::LengthMismatch,
    lumen_status::NonFiniteInput,
    lumen_status::ModelFailed,
    lumen_status::ModelNonFiniteOutput,
    lumen_status::ModelCapabilityMissing,
    lumen_status::BackendUnavailable,
    lumen_status::BudgetTooSmall,
    lumen_status::AbiVersionMismatch,
    lumen_status::BufferTooSmall,
    lumen_status::InvalidUtf8,
    lumen_status::NotAvailable,
    lumen_status::Internal,
    lumen_status::Panic,
    lumen_status::InvalidState,
    lumen_status::OutOfMemory,
    lumen_status::NonFiniteResult,
    lumen_status::Cancelled,
    lumen_status::DeadlineExceeded,
    lumen_status::ElementTypeMismatch,
    lumen_status::ElementTypeUnsupported,
];

impl lumen_status {
    /// The C name of the status, NUL-terminated.
    pub fn name(self) -> &'static std::ffi::CStr {
        match self {
            Self::Ok => c"LUMEN_STATUS_OK",
            Self::NullPointer => c"LUMEN_STATUS_NULL_POINTER",
            Self::InvalidArgument => c"LUMEN_STATUS_INVALID_ARGUMENT",
            Self::LengthMismatch => c"LUMEN_STATUS_LENGTH_MISMATCH",
            Self::NonFiniteInput => c"LUMEN_STATUS_NON_FINITE_INPUT",
            Self::ModelFailed => c"LUMEN_STATUS_MODEL_FAILED",
            Self::ModelNonFiniteOutput => c"LUMEN_STATUS_MODEL_NON_FINITE_OUTPUT",
            Self::ModelCapabilityMissing => c"LUMEN_STATUS_MODEL_CAPABILITY_MISSING",
            Self::BackendUnavailable => c"LUMEN_STATUS_BACKEND_UNAVAILABLE",
            Self::BudgetTooSmall => c"LUMEN_STATUS_BUDGET_TOO_SMALL",
            Self::AbiVersionMismatch => c"LUMEN_STATUS_ABI_VERSION_MISMATCH",
            Self::BufferTooSmall => c"LUMEN_STATUS_BUFFER_TOO_SMALL",
            Self::InvalidUtf8 => c"LUMEN_STATUS_INVALID_UTF8",
            Self::NotAvailable => c"LUMEN_STATUS_NOT_AVAILABLE",
            Self::Internal => c"LUMEN_STATUS_INTERNAL",
            Self::Panic => c"LUMEN_STATUS_PANIC",
            Self::InvalidState => c"LUMEN_STATUS_INVALID_STATE",
            Self::OutOfMemory => c"LUMEN_STATUS_OUT_OF_MEMORY",
            Self::NonFiniteResult => c"LUMEN_STATUS_NON_FINITE_RESULT",
            Self::Cancelled => c"LUMEN_STATUS_CANCELLED",
            Self::DeadlineExceeded => c"LUMEN_STATUS_DEADLINE_EXCEEDED",
            Self::ElementTypeMismatch => c"LUMEN_STATUS_ELEMENT_TYPE_MISMATCH",
            Self::ElementTypeUnsupported => c"LUMEN_STATUS_ELEMENT_TYPE_UNSUPPORTED",
        }
    }
}

/// The name of `status` (e.g. `"LUMEN_STATUS_MODEL_FAILED"`), or `"LUMEN_STATUS_UNKNOWN"`
/// for a number no status has. The string is static: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn lumen_status_name(status: u32) -> *const std::ffi::c_char {
    ALL_STATUSES.iter().find(|s| **s as u32 == status).map_or(c"LUMEN_STATUS_UNKNOWN".as_ptr(), |s| s.name().as_ptr())
}
