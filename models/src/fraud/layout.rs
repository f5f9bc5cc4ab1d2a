//! Where each of the GRU's parameters lives in its flat parameter vector, shared by the
//! forward pass, the backward pass, the optimiser and the weights file.
//!
//! The cell follows PyTorch's `torch.nn.GRU` (gate order reset r, update z, candidate n):
//!
//! ```text
//! r  = σ(W_ir x + b_ir + W_hr h + b_hr)
//! z  = σ(W_iz x + b_iz + W_hz h + b_hz)
//! n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//! h' = (1 − z) ⊙ n + z ⊙ h
//! ```
//!
//! starting from h = 0, and the head reads the last state: `p = σ(w_out · h + b_out)`.

/// Views of a flat parameter (or gradient) vector, in this order:
///
/// - `weight_ih`: 3H × F, rows `[r; z; n]` (PyTorch's `weight_ih_l0`);
/// - `weight_hh`: 3H × H, rows `[r; z; n]` (`weight_hh_l0`);
/// - `bias_ih`: 3H (`bias_ih_l0`);
/// - `bias_hh`: 3H (`bias_hh_l0`);
/// - `weight_out`: H, the head's weights;
/// - `bias_out`: 1, the head's bias.
#[derive(Debug)]
pub struct GruLayers<T> {
    /// Input-to-gate weights, 3H × F.
    pub weight_ih: T,
    /// State-to-gate weights, 3H × H.
    pub weight_hh: T,
    /// Input-side gate biases, 3H.
    pub bias_ih: T,
    /// State-side gate biases, 3H.
    pub bias_hh: T,
    /// Head weights, H.
    pub weight_out: T,
    /// Head bias, 1.
    pub bias_out: T,
}

/// The sizes of a GRU: features per event and hidden units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GruShape {
    /// Features per event, F.
    pub features: usize,
    /// Hidden units, H.
    pub hidden: usize,
}

impl GruShape {
    /// Number of parameters: 3H·F + 3H·H + 3H + 3H + H + 1.
    pub fn parameter_count(&self) -> usize {
        let gates = 3 * self.hidden;
        gates * self.features + gates * self.hidden + 2 * gates + self.hidden + 1
    }

    fn lengths(&self) -> [usize; 5] {
        let gates = 3 * self.hidden;
        [gates * self.features, gates * self.hidden, gates, gates, self.hidden]
    }

    /// Splits `values` into its layers.
    ///
    /// # Panics
    /// When `values` does not hold [`GruShape::parameter_count`] values.
    pub fn layers<'a, T>(&self, values: &'a [T]) -> GruLayers<&'a [T]> {
        assert_eq!(
            values.len(),
            self.parameter_count(),
            "a GRU of shape {self:?} has {} parameters",
            self.parameter_count()
        );
        let [ih, hh, bih, bhh, out] = self.lengths();
        let (weight_ih, rest) = values.split_at(ih);
        let (weight_hh, rest) = rest.split_at(hh);
        let (bias_ih, rest) = rest.split_at(bih);
        let (bias_hh, rest) = rest.split_at(bhh);
        let (weight_out, bias_out) = rest.split_at(out);
        GruLayers { weight_ih, weight_hh, bias_ih, bias_hh, weight_out, bias_out }
    }

    /// Splits `values` into its layers, mutably.
    ///
    /// # Panics
    /// When `values` does not hold [`GruShape::parameter_count`] values.
    pub fn layers_mut<'a, T>(&self, values: &'a mut [T]) -> GruLayers<&'a mut [T]> {
        assert_eq!(
            values.len(),
            self.parameter_count(),
            "a GRU of shape {self:?} has {} parameters",
            self.parameter_count()
        );
        let [ih, hh, bih, bhh, out] = self.lengths();
        let (weight_ih, rest) = values.split_at_mut(ih);
        let (weight_hh, rest) = rest.split_at_mut(hh);
        let (bias_ih, rest) = rest.split_at_mut(bih);
        let (bias_hh, rest) = rest.split_at_mut(bhh);
        let (weight_out, bias_out) = rest.split_at_mut(out);
        GruLayers { weight_ih, weight_hh, bias_ih, bias_hh, weight_out, bias_out }
    }
}
