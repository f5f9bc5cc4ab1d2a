//! The engine's error type: a kind that maps one-to-one onto a C status, and a message
//! that names the offending argument and the value that was expected.

use std::fmt;

/// What went wrong, independent of how it is reported (C status, Rust `Result`, Java exception).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// An argument is out of its documented range or inconsistent with another one.
    InvalidArgument,
    /// A buffer's length does not match the length implied by the other arguments.
    LengthMismatch,
    /// An input, baseline or option holds NaN or ±Inf.
    NonFiniteInput,
    /// The model's callback returned a non-zero code.
    ModelFailed,
    /// The model wrote NaN or ±Inf into its outputs.
    ModelNonFiniteOutput,
    /// The model lacks a capability the method needs (e.g. no gradient callback).
    ModelCapabilityMissing,
    /// The requested compute backend cannot run here.
    BackendUnavailable,
    /// The memory budget cannot hold even one row of the work.
    BudgetTooSmall,
    /// An invariant of the engine itself was broken (a bug: please report it).
    Internal,
    /// The call is not allowed in the state it was made in (e.g. from inside a model
    /// callback).
    InvalidState,
    /// Memory for the work could not be allocated.
    OutOfMemory,
    /// A result overflowed to ±Inf (or became NaN) although every input was finite.
    NonFiniteResult,
    /// The call was cancelled (its cancel token, or its progress callback asked to stop).
    Cancelled,
    /// The call ran past its deadline.
    DeadlineExceeded,
    /// A buffer's element type (float, double) is not the one the model declares.
    ElementTypeMismatch,
    /// The element type cannot be used where it was given (a double-precision model on
    /// device memory: the CUDA kernels build f32, f16 and bf16 rows only).
    ElementTypeUnsupported,
}

/// An engine error: its kind plus a human-readable message for `lumen_last_error_message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The engine's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// `argument` is invalid; `message` says what was expected.
    pub fn invalid(argument: &str, message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::InvalidArgument, format!("{argument}: {message}"))
    }

    /// `argument` has `actual` elements where `expected` were needed.
    pub fn length(argument: &str, actual: usize, expected: impl fmt::Display) -> Self {
        Self::new(ErrorKind::LengthMismatch, format!("{argument}: length {actual}, expected {expected}"))
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable detail.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Fails with [`ErrorKind::NonFiniteInput`] naming `argument` and the first bad index.
pub fn ensure_finite<E: crate::element::Element>(argument: &str, values: &[E]) -> Result<()> {
    match crate::element::first_non_finite(values) {
        None => Ok(()),
        Some(i) => Err(Error::new(
            ErrorKind::NonFiniteInput,
            format!("{argument}: element {i} is {}, expected a finite number", values[i]),
        )),
    }
}
