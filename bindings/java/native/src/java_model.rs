//! A Lumen [`Model`] backed by a Java object: the engine's worker threads attach to the
//! JVM and call the Java bridge (`dev.lumen.ModelBridge` for a float `Model`,
//! `dev.lumen.DoubleModelBridge` for a `DoubleModel`) with direct `ByteBuffer`s over
//! Lumen's own batch buffers (no copy on this side). The bridge is the same for both
//! element types: [`ModelCall`] is a `Model<E>` for every `E`, and the Java bridge reads the
//! bytes as floats or doubles; the signature's element type says which `E` the model serves. A Java exception is caught on the worker
//! thread, kept as a global reference and reported as Lumen's `ModelFailed`, which stops
//! the explanation; the export then rethrows it as the cause of a `ModelException`.

use jni::ids::JMethodID;
use jni::objects::{JByteBuffer, JObject, JValue};
use jni::signature::{Primitive, ReturnType};
use jni::sys::jvalue;
use jni::{jni_sig, jni_str, Env};
use lumen::{Element, Error, ErrorKind, Model, ModelSignature};

use crate::java_call::{JavaTarget, Thrown};

/// What the Java model can do beyond `predict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// The model implements `gradient`.
    pub gradient: bool,
    /// The model implements `layerGradient` (Grad-CAM).
    pub layer_gradient: bool,
}

/// The bridge methods the engine calls, looked up once: the bridge's
/// class stays loaded while the model's global reference to the bridge lives.
#[derive(Debug, Clone, Copy)]
struct BridgeMethods {
    /// `void predict(ByteBuffer, int, ByteBuffer)`.
    predict: JMethodID,
    /// `void gradient(ByteBuffer, int, ByteBuffer, ByteBuffer, ByteBuffer)`.
    gradient: JMethodID,
    /// `void layerGradient(ByteBuffer, int, ByteBuffer, ByteBuffer, ByteBuffer)`.
    layer_gradient: JMethodID,
}

impl BridgeMethods {
    fn of(env: &mut Env<'_>, bridge: &JObject<'_>) -> jni::errors::Result<Self> {
        let class = env.get_object_class(bridge)?;
        let five = jni_sig!("(Ljava/nio/ByteBuffer;ILjava/nio/ByteBuffer;Ljava/nio/ByteBuffer;Ljava/nio/ByteBuffer;)V");
        Ok(Self {
            predict: env.get_method_id(
                &class,
                jni_str!("predict"),
                jni_sig!("(Ljava/nio/ByteBuffer;ILjava/nio/ByteBuffer;)V"),
            )?,
            gradient: env.get_method_id(&class, jni_str!("gradient"), &five)?,
            layer_gradient: env.get_method_id(&class, jni_str!("layerGradient"), &five)?,
        })
    }
}

/// The Java model registered with Lumen (behind a `dev.lumen.ModelHandle`).
#[derive(Debug)]
pub struct JavaModel {
    signature: ModelSignature,
    capabilities: Capabilities,
    target: JavaTarget,
    methods: BridgeMethods,
}

impl JavaModel {
    /// Wraps the Java bridge `bridge` (a `ModelBridge` or `DoubleModelBridge`, matching
    /// `signature.element_type`); the global reference keeps it alive until the handle is
    /// closed, whichever thread drops it.
    pub fn new(
        env: &mut Env<'_>,
        bridge: &JObject<'_>,
        signature: ModelSignature,
        capabilities: Capabilities,
    ) -> crate::error::BindingResult<Self> {
        signature.validate()?;
        if bridge.is_null() {
            return Err(crate::error::BindingError::Null { argument: "model", expected: "a dev.lumen.Model" });
        }
        let methods = BridgeMethods::of(env, bridge)?;
        let target = JavaTarget::new(env, bridge, signature.concurrent)?;
        Ok(Self { signature, capabilities, target, methods })
    }

    /// The model's signature.
    pub fn signature(&self) -> &ModelSignature {
        &self.signature
    }
}

/// One explanation's use of a [`JavaModel`], keeping the first exception it throws.
pub struct ModelCall<'a> {
    model: &'a JavaModel,
    thrown: Thrown,
}

impl<'a> ModelCall<'a> {
    /// A fresh call on `model`.
    pub fn new(model: &'a JavaModel) -> Self {
        Self { model, thrown: Thrown::default() }
    }

    /// Turns the engine's error into the binding's, attaching the Java exception that
    /// caused it when the model threw.
    pub fn failure(&self, error: Error) -> crate::error::BindingError {
        self.thrown.failure(error)
    }

    /// Maps an engine result through [`ModelCall::failure`].
    pub fn check<T>(&self, result: lumen::Result<T>) -> crate::error::BindingResult<T> {
        self.thrown.check(result)
    }

    fn call(
        &self,
        method: &str,
        invoke: impl FnOnce(&mut Env<'_>, &JObject<'static>) -> jni::errors::Result<()>,
    ) -> lumen::Result<()> {
        self.thrown.call(&self.model.target, method, invoke)
    }
}

/// Calls the bridge's void method `method` with `args`.
///
/// # Safety
/// `method` is one of the bridge's [`BridgeMethods`], and `args` match its signature.
pub(crate) unsafe fn call_void(
    env: &mut Env<'_>,
    bridge: &JObject<'_>,
    method: JMethodID,
    args: &[JValue<'_>],
) -> jni::errors::Result<()> {
    let args: Vec<jvalue> = args.iter().map(JValue::as_jni).collect();
    // SAFETY: per this function's contract, `method` belongs to `bridge`'s class and `args`
    // match its signature; it returns void.
    unsafe { env.call_method_unchecked(bridge, method, ReturnType::Primitive(Primitive::Void), &args) }?;
    Ok(())
}

/// A direct `ByteBuffer` over `values` for the duration of one callback.
///
/// The buffer aliases Lumen's batch memory, which outlives the callback; the bridge
/// makes read-only views of input buffers and the Java `Model` contract forbids keeping
/// any buffer after the call returns.
pub(crate) fn buffer<'local, T>(env: &mut Env<'local>, values: &[T]) -> jni::errors::Result<JByteBuffer<'local>> {
    if values.is_empty() {
        return Err(jni::errors::Error::NullPtr("an empty model buffer"));
    }
    // SAFETY: `values` is a live allocation of `size_of_val(values)` bytes for the whole
    // callback (see above); Java writes only into the output buffers, which Lumen handed
    // over as `&mut` slices.
    unsafe { env.new_direct_byte_buffer(values.as_ptr() as *mut u8, std::mem::size_of_val(values)) }
}

/// Fails with `ElementTypeMismatch` unless a callback on elements `E` suits a model whose
/// signature declares `element` (the engine checks it first; this keeps the bridge from
/// ever reading bytes as the wrong type).
pub(crate) fn same_element<E: Element>(element: lumen::ElementType) -> lumen::Result<()> {
    element.expect("model buffers", E::TYPE)
}

/// A batch's row count as a Java `int`.
pub(crate) fn rows_arg(rows: usize) -> lumen::Result<i32> {
    i32::try_from(rows).map_err(|_| {
        Error::new(ErrorKind::ModelFailed, format!("model: a batch of {rows} rows does not fit a Java int"))
    })
}

impl<E: Element> Model<E> for ModelCall<'_> {
    fn signature(&self) -> &ModelSignature {
        &self.model.signature
    }

    fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> lumen::Result<()> {
        same_element::<E>(self.model.signature.element_type)?;
        let rows = rows_arg(rows)?;
        self.call("predict", |env, bridge| {
            let input = buffer(env, inputs)?;
            let output = buffer(env, outputs)?;
            let args = [JValue::Object(&input), JValue::Int(rows), JValue::Object(&output)];
            // SAFETY: `predict` takes (ByteBuffer, int, ByteBuffer) and returns void.
            unsafe { call_void(env, bridge, self.model.methods.predict, &args) }
        })
    }

    fn gradient(
        &self,
        inputs: &[E],
        rows: usize,
        targets: &[u32],
        gradients: &mut [E],
        outputs: Option<&mut [E]>,
    ) -> lumen::Result<()> {
        same_element::<E>(self.model.signature.element_type)?;
        if !self.model.capabilities.gradient {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: the Java model declares no gradient (ModelSpec.withGradient())",
            ));
        }
        let rows = rows_arg(rows)?;
        self.call("gradient", |env, bridge| {
            let input = buffer(env, inputs)?;
            let target = buffer(env, targets)?;
            let gradient = buffer(env, gradients)?;
            let output = match outputs.as_deref() {
                Some(o) => JObject::from(buffer(env, o)?),
                None => JObject::null(),
            };
            let args = [
                JValue::Object(&input),
                JValue::Int(rows),
                JValue::Object(&target),
                JValue::Object(&gradient),
                JValue::Object(&output),
            ];
            // SAFETY: `gradient` takes (ByteBuffer, int, ByteBuffer, ByteBuffer, ByteBuffer).
            unsafe { call_void(env, bridge, self.model.methods.gradient, &args) }
        })
    }

    fn layer_gradient(
        &self,
        inputs: &[E],
        rows: usize,
        targets: &[u32],
        activations: &mut [E],
        gradients: &mut [E],
    ) -> lumen::Result<()> {
        same_element::<E>(self.model.signature.element_type)?;
        if !self.model.capabilities.layer_gradient {
            return Err(Error::new(
                ErrorKind::ModelCapabilityMissing,
                "model: the Java model declares no layer gradient (ModelSpec.layerShape)",
            ));
        }
        let rows = rows_arg(rows)?;
        self.call("layerGradient", |env, bridge| {
            let input = buffer(env, inputs)?;
            let target = buffer(env, targets)?;
            let activation = buffer(env, activations)?;
            let gradient = buffer(env, gradients)?;
            let args = [
                JValue::Object(&input),
                JValue::Int(rows),
                JValue::Object(&target),
                JValue::Object(&activation),
                JValue::Object(&gradient),
            ];
            // SAFETY: `layerGradient` takes (ByteBuffer, int, ByteBuffer, ByteBuffer, ByteBuffer).
            unsafe { call_void(env, bridge, self.model.methods.layer_gradient, &args) }
        })
    }
}
