//! Tiny in-process models behind the C descriptors: a linear model (with its gradient)
//! and a sequence model that sums its events, each able to fail or to return NaN on
//! request so the checks reach the model-error paths.

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a model's callbacks behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Correct outputs.
    Correct,
    /// Every call returns error code 7.
    Fails,
    /// Every output is NaN.
    NonFinite,
}

impl Behaviour {
    /// Mostly correct, sometimes failing or NaN, from one byte.
    pub fn from_byte(byte: u8) -> Self {
        match byte % 16 {
            14 => Self::Fails,
            15 => Self::NonFinite,
            _ => Self::Correct,
        }
    }
}

/// `f_k(x) = Σ_i (i + k + 1) · x_i / 8`: the state behind a linear model's `user_data`.
#[derive(Debug)]
pub struct Linear {
    /// Inputs per row.
    pub input_len: usize,
    /// Outputs per row.
    pub output_len: usize,
    /// How the callbacks behave.
    pub behaviour: Behaviour,
    /// Calls of [`linear_finalize`] so far.
    pub finalized: AtomicUsize,
}

impl Linear {
    /// A linear model of `input_len` inputs and `output_len` outputs, not yet finalized.
    pub fn new(input_len: usize, output_len: usize, behaviour: Behaviour) -> Self {
        Self { input_len, output_len, behaviour, finalized: AtomicUsize::new(0) }
    }

    fn weight(input: usize, output: usize) -> f32 {
        (input + output + 1) as f32 / 8.0
    }

    fn output(&self, row: &[f32], output: usize) -> f32 {
        match self.behaviour {
            Behaviour::NonFinite => f32::NAN,
            _ => row.iter().enumerate().map(|(i, x)| Self::weight(i, output) * x).sum(),
        }
    }
}

/// The linear model's `predict` callback.
///
/// # Safety
/// `user_data` is a live [`Linear`]; `inputs` holds `rows × input_len` floats and
/// `outputs` `rows × output_len` writable floats (the library's contract with callbacks).
pub unsafe extern "C" fn linear_predict(
    user_data: *mut c_void,
    inputs: *const f32,
    rows: usize,
    outputs: *mut f32,
) -> i32 {
    // SAFETY: `user_data` is the `Linear` the descriptor was given; it outlives the model.
    let model = unsafe { &*user_data.cast::<Linear>() };
    if model.behaviour == Behaviour::Fails {
        return 7;
    }
    // SAFETY: the library passes buffers of the sizes its contract states.
    let (inputs, outputs) = unsafe {
        (
            std::slice::from_raw_parts(inputs, rows * model.input_len),
            std::slice::from_raw_parts_mut(outputs, rows * model.output_len),
        )
    };
    for (row, out) in inputs.chunks_exact(model.input_len).zip(outputs.chunks_exact_mut(model.output_len)) {
        for (k, value) in out.iter_mut().enumerate() {
            *value = model.output(row, k);
        }
    }
    0
}

/// The linear model's `gradient` callback: the weights of each row's target output.
///
/// # Safety
/// As for [`linear_predict`]; `targets` holds `rows` indices below `output_len`,
/// `gradients` `rows × input_len` writable floats, and a non-NULL `outputs`
/// `rows × output_len` writable floats.
pub unsafe extern "C" fn linear_gradient(
    user_data: *mut c_void,
    inputs: *const f32,
    rows: usize,
    targets: *const u32,
    gradients: *mut f32,
    outputs: *mut f32,
) -> i32 {
    // SAFETY: `user_data` is the `Linear` the descriptor was given; it outlives the model.
    let model = unsafe { &*user_data.cast::<Linear>() };
    if model.behaviour == Behaviour::Fails {
        return 7;
    }
    // SAFETY: the library passes buffers of the sizes its contract states.
    let (targets, gradients) = unsafe {
        (std::slice::from_raw_parts(targets, rows), std::slice::from_raw_parts_mut(gradients, rows * model.input_len))
    };
    for (&target, row) in targets.iter().zip(gradients.chunks_exact_mut(model.input_len)) {
        for (i, value) in row.iter_mut().enumerate() {
            *value = match model.behaviour {
                Behaviour::NonFinite => f32::NAN,
                _ => Linear::weight(i, target as usize),
            };
        }
    }
    if outputs.is_null() {
        return 0;
    }
    // SAFETY: same contract as `linear_predict` for `inputs` and `outputs`.
    unsafe { linear_predict(user_data, inputs, rows, outputs) }
}

/// The linear model's `finalize` callback: counts its calls.
///
/// # Safety
/// `user_data` is a live [`Linear`].
pub unsafe extern "C" fn linear_finalize(user_data: *mut c_void) {
    // SAFETY: `user_data` is the `Linear` the descriptor was given; it outlives the model.
    let model = unsafe { &*user_data.cast::<Linear>() };
    model.finalized.fetch_add(1, Ordering::SeqCst);
}

/// `f_k(sequence) = Σ events Σ features x / 4 + k`: the state behind a sequence model.
#[derive(Debug)]
pub struct EventSum {
    /// Values per event.
    pub features: usize,
    /// Outputs per sequence.
    pub output_len: usize,
    /// How the callback behaves.
    pub behaviour: Behaviour,
}

/// The sequence model's `predict` callback.
///
/// # Safety
/// `user_data` is a live [`EventSum`]; `inputs` holds `rows × seq_len × features` floats
/// and `outputs` `rows × output_len` writable floats.
pub unsafe extern "C" fn event_sum_predict(
    user_data: *mut c_void,
    inputs: *const f32,
    rows: usize,
    seq_len: usize,
    outputs: *mut f32,
) -> i32 {
    // SAFETY: `user_data` is the `EventSum` the descriptor was given; it outlives the model.
    let model = unsafe { &*user_data.cast::<EventSum>() };
    if model.behaviour == Behaviour::Fails {
        return 7;
    }
    let row_len = seq_len * model.features;
    // SAFETY: the library passes buffers of the sizes its contract states.
    let (inputs, outputs) = unsafe {
        (
            std::slice::from_raw_parts(inputs, rows * row_len),
            std::slice::from_raw_parts_mut(outputs, rows * model.output_len),
        )
    };
    for (row, out) in inputs.chunks_exact(row_len.max(1)).zip(outputs.chunks_exact_mut(model.output_len)) {
        let sum: f32 = row.iter().sum::<f32>() / 4.0;
        for (k, value) in out.iter_mut().enumerate() {
            *value = if model.behaviour == Behaviour::NonFinite { f32::NAN } else { sum + k as f32 };
        }
    }
    0
}
