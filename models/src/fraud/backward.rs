//! The GRU's exact gradient by backpropagation through time, in `f64`: a forward pass that
//! keeps every gate of every event, then the backward pass from the head's logit to every
//! parameter. Training ([`super::training`]) uses it; the tests check it against central
//! finite differences.

use super::layout::GruShape;

/// Everything one forward pass over a sequence computes, kept for the backward pass.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// States h_0 = 0, h_1, …, h_L, (L + 1) × H.
    states: Vec<f64>,
    /// Reset gates r_t, L × H.
    reset: Vec<f64>,
    /// Update gates z_t, L × H.
    update: Vec<f64>,
    /// Candidates n_t, L × H.
    candidate: Vec<f64>,
    /// W_hn h_{t−1} + b_hn, L × H.
    state_n: Vec<f64>,
    /// The head's logit.
    logit: f64,
}

impl Trace {
    /// An empty trace (buffers grow on first use and are reused afterwards).
    pub fn new() -> Self {
        Self::default()
    }

    /// The head's logit of the last forward pass.
    pub fn logit(&self) -> f64 {
        self.logit
    }

    /// The state after the last event of the last forward pass.
    pub fn last_state(&self, hidden: usize) -> &[f64] {
        &self.states[self.states.len() - hidden..]
    }
}

/// Runs the GRU of `shape` with `parameters` over `events` (L × F) from the zero state,
/// keeps everything in `trace` and returns the head's logit.
///
/// # Panics
/// When the parameter count does not match `shape` or `events` is not whole events.
pub fn forward(shape: GruShape, parameters: &[f64], events: &[f32], trace: &mut Trace) -> f64 {
    let GruShape { features, hidden } = shape;
    assert_eq!(events.len() % features, 0, "events hold whole events of {features} features");
    let len = events.len() / features;
    let layers = shape.layers(parameters);
    for buffer in [&mut trace.reset, &mut trace.update, &mut trace.candidate, &mut trace.state_n] {
        buffer.clear();
        buffer.resize(len * hidden, 0.0);
    }
    trace.states.clear();
    trace.states.resize((len + 1) * hidden, 0.0);
    let mut from_input = vec![0.0; 3 * hidden];
    let mut from_state = vec![0.0; 3 * hidden];
    for (t, event) in events.chunks_exact(features).enumerate() {
        let (before, after) = trace.states.split_at_mut((t + 1) * hidden);
        let previous = &before[t * hidden..];
        let next = &mut after[..hidden];
        for gate in 0..3 * hidden {
            let w_i = &layers.weight_ih[gate * features..][..features];
            from_input[gate] =
                layers.bias_ih[gate] + w_i.iter().zip(event).map(|(&w, &x)| w * f64::from(x)).sum::<f64>();
            let w_h = &layers.weight_hh[gate * hidden..][..hidden];
            from_state[gate] = layers.bias_hh[gate] + w_h.iter().zip(previous).map(|(&w, &h)| w * h).sum::<f64>();
        }
        for unit in 0..hidden {
            let reset = sigmoid(from_input[unit] + from_state[unit]);
            let update = sigmoid(from_input[hidden + unit] + from_state[hidden + unit]);
            let state_n = from_state[2 * hidden + unit];
            let candidate = (from_input[2 * hidden + unit] + reset * state_n).tanh();
            next[unit] = (1.0 - update) * candidate + update * previous[unit];
            let at = t * hidden + unit;
            trace.reset[at] = reset;
            trace.update[at] = update;
            trace.candidate[at] = candidate;
            trace.state_n[at] = state_n;
        }
    }
    let last = &trace.states[len * hidden..];
    trace.logit = layers.bias_out[0] + layers.weight_out.iter().zip(last).map(|(&w, &h)| w * h).sum::<f64>();
    trace.logit
}

/// Adds ∂loss/∂parameters to `gradient`, given ∂loss/∂logit for the sequence `events`
/// whose forward pass `trace` holds.
///
/// # Panics
/// When the lengths do not match `shape` and the trace.
pub fn backward(
    shape: GruShape,
    parameters: &[f64],
    events: &[f32],
    trace: &Trace,
    d_logit: f64,
    gradient: &mut [f64],
) {
    let GruShape { features, hidden } = shape;
    let len = events.len() / features;
    assert_eq!(trace.states.len(), (len + 1) * hidden, "the trace belongs to these events");
    let layers = shape.layers(parameters);
    let grads = shape.layers_mut(gradient);
    let last = &trace.states[len * hidden..];
    grads.bias_out[0] += d_logit;
    let mut d_state: Vec<f64> = layers.weight_out.to_vec();
    for ((g, &h), d) in grads.weight_out.iter_mut().zip(last).zip(&mut d_state) {
        *g += d_logit * h;
        *d *= d_logit;
    }
    // Pre-activation gradients of one event: reset, update, candidate (input side), and
    // the candidate's state side W_hn h + b_hn.
    let mut d_gates_input = vec![0.0; 3 * hidden];
    let mut d_gates_state = vec![0.0; 3 * hidden];
    for t in (0..len).rev() {
        let previous = &trace.states[t * hidden..][..hidden];
        let event = &events[t * features..][..features];
        for unit in 0..hidden {
            let at = t * hidden + unit;
            let (reset, update, candidate, state_n) =
                (trace.reset[at], trace.update[at], trace.candidate[at], trace.state_n[at]);
            let d_next = d_state[unit];
            let d_candidate_pre = d_next * (1.0 - update) * (1.0 - candidate * candidate);
            let d_update_pre = d_next * (previous[unit] - candidate) * update * (1.0 - update);
            let d_reset_pre = d_candidate_pre * state_n * reset * (1.0 - reset);
            d_gates_input[unit] = d_reset_pre;
            d_gates_input[hidden + unit] = d_update_pre;
            d_gates_input[2 * hidden + unit] = d_candidate_pre;
            d_gates_state[unit] = d_reset_pre;
            d_gates_state[hidden + unit] = d_update_pre;
            d_gates_state[2 * hidden + unit] = d_candidate_pre * reset;
            d_state[unit] = d_next * update;
        }
        for gate in 0..3 * hidden {
            let d_input = d_gates_input[gate];
            let d_from_state = d_gates_state[gate];
            grads.bias_ih[gate] += d_input;
            grads.bias_hh[gate] += d_from_state;
            for (g, &x) in grads.weight_ih[gate * features..][..features].iter_mut().zip(event) {
                *g += d_input * f64::from(x);
            }
            let w_h = &layers.weight_hh[gate * hidden..][..hidden];
            for ((g, &h), (d, &w)) in
                grads.weight_hh[gate * hidden..][..hidden].iter_mut().zip(previous).zip(d_state.iter_mut().zip(w_h))
            {
                *g += d_from_state * h;
                *d += d_from_state * w;
            }
        }
    }
}

/// The logistic function in `f64`.
pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}
