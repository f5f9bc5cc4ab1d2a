//! JNI glue between Lumen and its Java API (`dev.lumen`, in `bindings/java`).
//!
//! The Java classes call the `native` methods of `dev.lumen.NativeLumen` ([`exports`]);
//! each is a thin wrapper that runs an `inner_*` function returning a `Result` inside
//! `catch_unwind` (jni's `EnvUnowned::with_env`) and resolves failures with
//! [`error::ThrowLumenException`]: a Lumen error becomes the matching Java exception and a
//! panic a `LumenException`, never an abort of the JVM. The glue calls Lumen's Rust API
//! directly; the Java model (float `Model` or `DoubleModel`: one bridge, a `Model<E>` for
//! both element types, the exports dispatching on the model's declared type) runs behind
//! [`java_model::JavaModel`], called from the
//! engine's worker threads, which attach to the JVM as daemon threads ([`java_call`],
//! [`daemon`]), and a Java sequence
//! model (TimeSHAP) behind [`java_sequence_model::JavaSequenceModel`]. Every explain export
//! first refuses a call from inside a callback and installs the call's control
//! ([`calls`]: cancel token, deadline, progress). No maths happens here.

pub mod arrays;
pub mod calls;
pub mod daemon;
pub mod error;
pub mod exports;
pub mod handles;
pub mod java_call;
pub mod java_model;
pub mod java_sequence_model;
