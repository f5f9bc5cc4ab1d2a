//! The `native` methods of `dev.lumen.NativeLumen`, one module per family. Every export
//! is a thin wrapper: `with_env` (which runs the body inside `catch_unwind`) around an
//! `inner_*` function returning a [`BindingResult`],
//! resolved by [`ThrowLumenException`](crate::error::ThrowLumenException).
//!
//! The explain exports take the rows (and every option in the model's element type) as a
//! Java `Object` that is a `float[]` or a `double[]`; each `inner_*` is generic over the
//! element type `E` and `per_element!` runs it with the `E` the model declared, so an
//! array of the other type fails with `ElementTypeMismatch` ([`crate::arrays::elements`]).

pub mod call;
pub mod counterfactual;
pub mod engine;
pub mod explanation;
pub mod gradient;
pub mod perturbation;
pub mod shapley;
pub mod timeshap;

use jni::sys::jlong;
use lumen::engine::call_control::finish_current;
use lumen::explanation::Counterfactuals;
use lumen::ElementType;
use lumen::{Engine, Explanation};

use crate::error::BindingResult;
use crate::handles::{borrow, into_handle};
use crate::java_model::{JavaModel, ModelCall};

/// Runs the generic `inner::<E>(args)` with `E` = the element type `$element` (an
/// [`ElementType`]) names: `f32` or `f64`.
macro_rules! per_element {
    ($element:expr, $inner:ident($($arg:expr),* $(,)?)) => {
        match $element {
            lumen::ElementType::F32 => $inner::<f32>($($arg),*),
            lumen::ElementType::F64 => $inner::<f64>($($arg),*),
        }
    };
}
pub(crate) use per_element;

/// A result whose numbers are checked before it is handed to Java: every value returned
/// without an exception is finite, as through the C ABI.
trait Finite {
    /// Fails with `NonFiniteResult` on the first value that overflowed.
    fn ensure_finite(&self) -> lumen::Result<()>;
}

impl Finite for Explanation {
    fn ensure_finite(&self) -> lumen::Result<()> {
        Explanation::ensure_finite(self)
    }
}

impl Finite for Counterfactuals {
    fn ensure_finite(&self) -> lumen::Result<()> {
        Counterfactuals::ensure_finite(self)
    }
}

/// Runs one explanation of the model behind `model` on the engine behind `engine` and
/// returns the handle of its result, once every number in it is known to be finite (and
/// then reports progress 1 to the call's control, which the export installed). A Java
/// exception thrown by the model becomes the cause of the error.
fn explain<R: Finite>(
    engine: jlong,
    model: jlong,
    run: impl FnOnce(&Engine, &ModelCall<'_>) -> lumen::Result<R>,
) -> BindingResult<jlong> {
    // SAFETY: both handles come from the Java handles that guard this call (see `handles`).
    let engine = unsafe { borrow::<Engine>(engine, "engine") }?;
    // SAFETY: as above.
    let model = unsafe { borrow::<JavaModel>(model, "model") }?;
    let call = ModelCall::new(model);
    let result = call.check(run(engine, &call))?;
    result.ensure_finite()?;
    finish_current();
    Ok(into_handle(result))
}

/// The element type of the model behind `model`.
fn element_of(model: jlong) -> BindingResult<ElementType> {
    // SAFETY: the handle comes from the Java handle that guards this call.
    let model = unsafe { borrow::<JavaModel>(model, "model") }?;
    Ok(model.signature().element_type)
}

/// The input length of the model behind `model`.
fn input_len(model: jlong) -> BindingResult<usize> {
    // SAFETY: the handle comes from the Java handle that guards this call.
    let model = unsafe { borrow::<JavaModel>(model, "model") }?;
    Ok(model.signature().input_len())
}
