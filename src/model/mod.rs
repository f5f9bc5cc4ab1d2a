//! The caller's model: its signature, the [`Model`] trait every model implements, the
//! function-pointer adapter for C callers ([`host`]) and the batch scheduler that calls a
//! model within its limits ([`evaluator`]).

pub mod callback_scope;
pub mod device;
pub mod device_run;
pub mod evaluator;
pub mod host;
pub mod host_sequence;
pub mod sequence;
pub mod sequence_evaluator;

use crate::element::{Element, ElementType};
use crate::error::{Error, ErrorKind, Result};

pub use device::{DeviceModel, InputDtype};
pub use evaluator::{BatchPlan, Evaluator};
pub use host::HostModel;
pub use host_sequence::HostSequenceModel;
pub use sequence::{SequenceModel, SequenceSignature};
pub use sequence_evaluator::SequenceEvaluator;

/// Where a model's input and output buffers live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemorySpace {
    /// Ordinary host memory.
    Host,
    /// CUDA device memory: the model is a [`DeviceModel`], served by the CUDA backend.
    Device,
}

/// What the engine needs to know about a model before calling it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelSignature {
    /// Shape of one input row, e.g. `[3, 224, 224]`; its product is the row length.
    pub input_shape: Vec<usize>,
    /// Number of outputs per row (classes, scores).
    pub output_len: usize,
    /// The largest number of rows one call accepts; `None` means no limit.
    pub max_batch_rows: Option<usize>,
    /// Whether the model may be called from several threads at once. When false, an
    /// explanation calls it from one thread at a time; a [`HostModel`] also serialises
    /// calls from explanations that run at once.
    pub concurrent: bool,
    /// Where the buffers handed to the callbacks live.
    pub memory_space: MemorySpace,
    /// Optional names of the input elements (one per element of a row).
    pub feature_names: Option<Vec<String>>,
    /// Shape `[C, h, w]` of the layer the `layer_gradient` callback exposes (Grad-CAM),
    /// when the model has one.
    pub layer_shape: Option<[usize; 3]>,
    /// The element type of the model's host buffers: explanations of rows of another
    /// type fail with `ElementTypeMismatch`.
    pub element_type: ElementType,
}

impl ModelSignature {
    /// A signature for flat rows of `input_len` elements and `output_len` outputs.
    pub fn flat(input_len: usize, output_len: usize) -> Self {
        Self {
            input_shape: vec![input_len],
            output_len,
            max_batch_rows: None,
            concurrent: true,
            memory_space: MemorySpace::Host,
            feature_names: None,
            layer_shape: None,
            element_type: ElementType::F32,
        }
    }

    /// Number of elements in one input row.
    pub fn input_len(&self) -> usize {
        self.input_shape.iter().product()
    }

    /// Fails with `ElementTypeMismatch` unless the model takes elements of type `E`.
    pub fn expect_element<E: Element>(&self) -> Result<()> {
        self.element_type.expect("inputs", E::TYPE)
    }

    /// Checks the signature's own consistency.
    pub fn validate(&self) -> Result<()> {
        if self.input_shape.is_empty() || self.input_shape.contains(&0) {
            return Err(Error::invalid(
                "input_shape",
                format!("{:?} has a zero or missing dimension; expected every dimension >= 1", self.input_shape),
            ));
        }
        let input_len = self.input_shape.iter().try_fold(1usize, |len, &d| len.checked_mul(d));
        match input_len {
            Some(len) => crate::limits::at_most("input_len", len, crate::limits::MAX_INPUT_LEN)?,
            None => {
                return Err(Error::invalid(
                    "input_shape",
                    format!("{:?} has more elements than a usize counts", self.input_shape),
                ))
            }
        }
        if self.output_len == 0 {
            return Err(Error::invalid("output_len", "is 0, expected >= 1"));
        }
        crate::limits::at_most("output_len", self.output_len, crate::limits::MAX_OUTPUT_LEN)?;
        if self.max_batch_rows == Some(0) {
            return Err(Error::invalid("max_batch_rows", "is 0 inside Some; use None for no limit"));
        }
        if let Some(names) = &self.feature_names {
            if names.len() != self.input_len() {
                return Err(Error::length("feature_names", names.len(), self.input_len()));
            }
        }
        if let Some(shape) = self.layer_shape {
            if shape.contains(&0) {
                return Err(Error::invalid("layer_shape", format!("{shape:?} has a zero dimension")));
            }
        }
        if self.element_type == ElementType::F64 && self.memory_space == MemorySpace::Device {
            return Err(Error::new(
                ErrorKind::ElementTypeUnsupported,
                "element_type: double is for host-memory models; a device-memory model takes float, half or bfloat16 rows",
            ));
        }
        Ok(())
    }
}

/// A model the engine can explain, on rows of element type `E` (`f32` unless the model
/// declares `f64`). Implemented by [`HostModel`] for C callers and by the built-in demo
/// models; implementations must be deterministic functions of each row.
pub trait Model<E: Element = f32>: Send + Sync {
    /// The model's shape, limits and concurrency policy.
    fn signature(&self) -> &ModelSignature;

    /// Writes `rows × output_len` outputs for `rows × input_len` inputs.
    fn predict(&self, inputs: &[E], rows: usize, outputs: &mut [E]) -> Result<()>;

    /// Writes ∂f_target/∂input (`rows × input_len`) for each row's target output and,
    /// when `outputs` is given, the model's outputs (`rows × output_len`) too.
    fn gradient(
        &self,
        inputs: &[E],
        rows: usize,
        targets: &[u32],
        gradients: &mut [E],
        outputs: Option<&mut [E]>,
    ) -> Result<()> {
        let _ = (inputs, rows, targets, gradients, outputs);
        Err(Error::new(ErrorKind::ModelCapabilityMissing, "model: this model has no gradient callback"))
    }

    /// Grad-CAM's access to a layer: for each row, writes the layer's activations and the
    /// gradients of the row's target output with respect to them (both
    /// `rows × C × h × w`, with `[C, h, w]` = `signature().layer_shape`).
    fn layer_gradient(
        &self,
        inputs: &[E],
        rows: usize,
        targets: &[u32],
        activations: &mut [E],
        gradients: &mut [E],
    ) -> Result<()> {
        let _ = (inputs, rows, targets, activations, gradients);
        Err(Error::new(ErrorKind::ModelCapabilityMissing, "model: this model has no layer callback"))
    }

    /// The model's device-memory interface, when its buffers live on a CUDA device
    /// (`signature().memory_space == Device`).
    fn device(&self) -> Option<&dyn DeviceModel> {
        None
    }
}
