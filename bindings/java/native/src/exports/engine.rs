//! Engines, models and the library version.

use jni::objects::{JClass, JIntArray, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};
use lumen::model::MemorySpace;
use lumen::{BackendChoice, Engine, EngineConfig, Error, ModelSignature};

use crate::arrays::{count, element_type, indices, optional_indices, optional_strings};
use crate::error::{BindingResult, ThrowLumenException};
use crate::handles::{borrow, free, into_handle};
use crate::java_model::{Capabilities, JavaModel};

fn inner_engine_new(backend: jint, threads: jint, seed: jlong, memory_budget: jlong) -> BindingResult<jlong> {
    let backend = match backend {
        0 => BackendChoice::Auto,
        1 => BackendChoice::Cpu,
        2 => BackendChoice::Cuda,
        other => {
            return Err(Error::invalid("backend", format!("is {other}, expected 0 (auto), 1 (cpu) or 2 (cuda)")).into())
        }
    };
    let memory_budget_bytes = usize::try_from(memory_budget)
        .map_err(|_| Error::invalid("memoryBudgetBytes", format!("is {memory_budget}, expected > 0")))?;
    let config = EngineConfig { backend, threads: count(threads, "threads")?, seed: seed as u64, memory_budget_bytes };
    // The model runs on the engine's workers, never on the Java thread that asked: that
    // thread waits interruptibly (see `NativeCall`).
    Ok(into_handle(Engine::new(config)?.with_calls_on_workers()))
}

/// `long engineNew(int backend, int threads, long seed, long memoryBudgetBytes)`: a new
/// engine (backend 0 auto, 1 cpu, 2 cuda; 0 threads = one per core); the seed's bits are
/// read as unsigned.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_engineNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    backend: jint,
    threads: jint,
    seed: jlong,
    memory_budget: jlong,
) -> jlong {
    env.with_env(|_| inner_engine_new(backend, threads, seed, memory_budget)).resolve::<ThrowLumenException>()
}

/// `void engineFree(long engine)`: frees the engine, once; 0 is a no-op. Its worker threads
/// are joined, and each detaches from the JVM as it exits ([`crate::daemon`]).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_engineFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    engine: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.Engine` frees its handle exactly once, after its last use.
        unsafe { free::<Engine>(engine) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}

fn inner_engine_info(engine: jlong) -> BindingResult<jlong> {
    // SAFETY: the handle comes from the Java `Engine` that guards this call.
    let engine = unsafe { borrow::<Engine>(engine, "engine") }?;
    let backend = match engine.backend_kind() {
        lumen::backend::BackendKind::Cpu => 1,
        lumen::backend::BackendKind::Cuda => 2,
    };
    Ok(((engine.threads() as jlong) << 8) | backend)
}

/// `long engineInfo(long engine)`: the backend in use (bits 0-7: 1 cpu, 2 cuda) and the
/// worker threads (bits 8 and up).
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_engineInfo<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    engine: jlong,
) -> jlong {
    env.with_env(|_| inner_engine_info(engine)).resolve::<ThrowLumenException>()
}

/// `String version()`: the library version, e.g. `0.1.0`.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_version<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
) -> JObject<'l> {
    env.with_env(|env| -> BindingResult<JObject<'l>> {
        Ok(env.new_string(lumen::explanation::LIBRARY_VERSION)?.into())
    })
    .resolve::<ThrowLumenException>()
}

#[allow(clippy::too_many_arguments)]
fn inner_model_new(
    env: &mut Env<'_>,
    bridge: &JObject<'_>,
    input_shape: &JIntArray<'_>,
    output_len: jint,
    max_batch_rows: jint,
    concurrent: jboolean,
    feature_names: &JObjectArray<'_, JString<'_>>,
    layer_shape: &JIntArray<'_>,
    gradient: jboolean,
    element: jint,
) -> BindingResult<jlong> {
    let layer_shape = match optional_indices(env, layer_shape, "layerShape")? {
        None => None,
        Some(shape) => Some(
            <[usize; 3]>::try_from(shape.as_slice())
                .map_err(|_| Error::length("layerShape", shape.len(), "3 ([channels, height, width])"))?,
        ),
    };
    let signature = ModelSignature {
        input_shape: indices(env, input_shape, "inputShape")?,
        output_len: count(output_len, "outputLen")?,
        max_batch_rows: Some(count(max_batch_rows, "maxBatchRows")?).filter(|&n| n > 0),
        concurrent,
        memory_space: MemorySpace::Host,
        feature_names: optional_strings(env, feature_names, "featureNames")?,
        layer_shape,
        element_type: element_type(element)?,
    };
    let capabilities = Capabilities { gradient, layer_gradient: layer_shape.is_some() };
    Ok(into_handle(JavaModel::new(env, bridge, signature, capabilities)?))
}

/// `long modelNew(Object bridge, int[] inputShape, int outputLen, int maxBatchRows,
/// boolean concurrent, String[] featureNames, int[] layerShape, boolean gradient, int
/// elementType)`: registers a Java model (`maxBatchRows` 0 = no limit;
/// `featureNames`/`layerShape` may be null; a layer shape enables Grad-CAM's
/// `layerGradient`; `elementType` 0: a `ModelBridge` over floats, 1: a
/// `DoubleModelBridge` over doubles).
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_lumen_NativeLumen_modelNew<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    bridge: JObject<'l>,
    input_shape: JIntArray<'l>,
    output_len: jint,
    max_batch_rows: jint,
    concurrent: jboolean,
    feature_names: JObjectArray<'l, JString<'l>>,
    layer_shape: JIntArray<'l>,
    gradient: jboolean,
    element: jint,
) -> jlong {
    env.with_env(|env| {
        inner_model_new(
            env,
            &bridge,
            &input_shape,
            output_len,
            max_batch_rows,
            concurrent,
            &feature_names,
            &layer_shape,
            gradient,
            element,
        )
    })
    .resolve::<ThrowLumenException>()
}

/// `void modelFree(long model)`: releases a model once (and its global reference to the
/// Java model); 0 is a no-op.
#[no_mangle]
pub extern "system" fn Java_dev_lumen_NativeLumen_modelFree<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    model: jlong,
) {
    env.with_env(|_| -> BindingResult<()> {
        // SAFETY: `dev.lumen.ModelHandle` frees its handle exactly once, after its last use.
        unsafe { free::<JavaModel>(model) };
        Ok(())
    })
    .resolve::<ThrowLumenException>()
}
