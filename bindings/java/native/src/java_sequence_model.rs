//! A Lumen [`SequenceModel`] backed by a Java object: the engine's worker threads attach
//! to the JVM and call the Java `dev.lumen.SequenceModelBridge` (or
//! `DoubleSequenceModelBridge`) with direct `ByteBuffer`s over Lumen's own buffers, as
//! [`java_model`](crate::java_model) does for row models: one bridge for both element types.
//! The state methods are called only when the Java model declared a state length.

use jni::ids::JMethodID;
use jni::objects::{JObject, JValue};
use jni::{jni_sig, jni_str, Env};
use lumen::{Element, Error, ErrorKind, SequenceModel, SequenceSignature};

use crate::error::{BindingError, BindingResult};
use crate::java_call::{JavaTarget, Thrown};
use crate::java_model::{buffer, call_void, rows_arg, same_element};

/// The `dev.lumen.SequenceModelBridge` methods the engine calls, looked up once.
#[derive(Debug, Clone, Copy)]
struct SequenceBridgeMethods {
    /// `void predict(ByteBuffer, int, int, ByteBuffer)`.
    predict: JMethodID,
    /// `void runPrefix(ByteBuffer, ByteBuffer, int, int, ByteBuffer)`.
    run_prefix: JMethodID,
    /// `void predictFromState(ByteBuffer, ByteBuffer, int, int, ByteBuffer)`.
    predict_from_state: JMethodID,
}

impl SequenceBridgeMethods {
    fn of(env: &mut Env<'_>, bridge: &JObject<'_>) -> jni::errors::Result<Self> {
        let class = env.get_object_class(bridge)?;
        let state = jni_sig!("(Ljava/nio/ByteBuffer;Ljava/nio/ByteBuffer;IILjava/nio/ByteBuffer;)V");
        Ok(Self {
            predict: env.get_method_id(
                &class,
                jni_str!("predict"),
                jni_sig!("(Ljava/nio/ByteBuffer;IILjava/nio/ByteBuffer;)V"),
            )?,
            run_prefix: env.get_method_id(&class, jni_str!("runPrefix"), &state)?,
            predict_from_state: env.get_method_id(&class, jni_str!("predictFromState"), &state)?,
        })
    }
}

/// The Java sequence model registered with Lumen (behind a `dev.lumen.SequenceModelHandle`).
#[derive(Debug)]
pub struct JavaSequenceModel {
    signature: SequenceSignature,
    target: JavaTarget,
    methods: SequenceBridgeMethods,
}

impl JavaSequenceModel {
    /// Wraps the Java `SequenceModelBridge` `bridge`.
    pub fn new(env: &mut Env<'_>, bridge: &JObject<'_>, signature: SequenceSignature) -> BindingResult<Self> {
        signature.validate()?;
        if bridge.is_null() {
            return Err(BindingError::Null { argument: "model", expected: "a dev.lumen.SequenceModel" });
        }
        let methods = SequenceBridgeMethods::of(env, bridge)?;
        let target = JavaTarget::new(env, bridge, signature.concurrent)?;
        Ok(Self { signature, target, methods })
    }

    /// The model's signature.
    pub fn signature(&self) -> &SequenceSignature {
        &self.signature
    }
}

/// One explanation's use of a [`JavaSequenceModel`], keeping the first exception it throws.
pub struct SequenceModelCall<'a> {
    model: &'a JavaSequenceModel,
    thrown: Thrown,
}

impl<'a> SequenceModelCall<'a> {
    /// A fresh call on `model`.
    pub fn new(model: &'a JavaSequenceModel) -> Self {
        Self { model, thrown: Thrown::default() }
    }

    /// Maps an engine result, attaching the Java exception that caused a failure.
    pub fn check<T>(&self, result: lumen::Result<T>) -> BindingResult<T> {
        self.thrown.check(result)
    }

    fn state_methods(&self) -> lumen::Result<()> {
        if self.model.signature.state_len.is_none() {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: the Java sequence model declares no state (SequenceModelSpec.withState)",
            ));
        }
        Ok(())
    }
}

/// A sequence length as a Java `int`.
fn seq_len_arg(seq_len: usize) -> lumen::Result<i32> {
    i32::try_from(seq_len).map_err(|_| {
        Error::new(ErrorKind::ModelFailed, format!("model: a sequence of {seq_len} events does not fit a Java int"))
    })
}

impl<E: Element> SequenceModel<E> for SequenceModelCall<'_> {
    fn signature(&self) -> &SequenceSignature {
        &self.model.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, seq_len: usize, outputs: &mut [E]) -> lumen::Result<()> {
        same_element::<E>(self.model.signature.element_type)?;
        let (rows, seq_len) = (rows_arg(rows)?, seq_len_arg(seq_len)?);
        self.thrown.call(&self.model.target, "predict", |env, bridge| {
            let input = buffer(env, inputs)?;
            let output = buffer(env, outputs)?;
            let args = [JValue::Object(&input), JValue::Int(rows), JValue::Int(seq_len), JValue::Object(&output)];
            // SAFETY: `predict` takes (ByteBuffer, int, int, ByteBuffer) and returns void.
            unsafe { call_void(env, bridge, self.model.methods.predict, &args) }
        })
    }

    fn run_prefix(
        &self,
        initial: Option<&[E]>,
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        states: &mut [E],
    ) -> lumen::Result<()> {
        same_element::<E>(self.model.signature.element_type)?;
        self.state_methods()?;
        let (rows, seq_len) = (rows_arg(rows)?, seq_len_arg(seq_len)?);
        self.thrown.call(&self.model.target, "runPrefix", |env, bridge| {
            let start = match initial {
                Some(s) => JObject::from(buffer(env, s)?),
                None => JObject::null(),
            };
            let input = buffer(env, inputs)?;
            let state = buffer(env, states)?;
            let args = [
                JValue::Object(&start),
                JValue::Object(&input),
                JValue::Int(rows),
                JValue::Int(seq_len),
                JValue::Object(&state),
            ];
            // SAFETY: `runPrefix` takes (ByteBuffer, ByteBuffer, int, int, ByteBuffer).
            unsafe { call_void(env, bridge, self.model.methods.run_prefix, &args) }
        })
    }

    fn predict_from_state(
        &self,
        states: &[E],
        inputs: &[E],
        rows: usize,
        seq_len: usize,
        outputs: &mut [E],
    ) -> lumen::Result<()> {
        same_element::<E>(self.model.signature.element_type)?;
        self.state_methods()?;
        let (rows, seq_len) = (rows_arg(rows)?, seq_len_arg(seq_len)?);
        self.thrown.call(&self.model.target, "predictFromState", |env, bridge| {
            let state = buffer(env, states)?;
            let input = buffer(env, inputs)?;
            let output = buffer(env, outputs)?;
            let args = [
                JValue::Object(&state),
                JValue::Object(&input),
                JValue::Int(rows),
                JValue::Int(seq_len),
                JValue::Object(&output),
            ];
            // SAFETY: `predictFromState` takes (ByteBuffer, ByteBuffer, int, int, ByteBuffer).
            unsafe { call_void(env, bridge, self.model.methods.predict_from_state, &args) }
        })
    }
}
