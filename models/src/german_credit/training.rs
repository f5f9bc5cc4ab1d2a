//! Deterministic training of an [`Mlp`]: full-batch Adam on the mean binary cross-entropy
//! plus an L2 penalty on the weights, for a fixed number of epochs. Everything runs on
//! one thread in a fixed order, so the same inputs and configuration give bit-identical
//! weights on every run.

use super::mlp::{layers, layers_mut, parameter_count, Mlp, HIDDEN_UNITS};

/// How a network is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainingConfig {
    /// Seed of the weight initialisation.
    pub seed: u64,
    /// Number of full-batch Adam steps.
    pub epochs: usize,
    /// Adam's step size.
    pub learning_rate: f32,
    /// Coefficient λ of the penalty λ/2 · Σ w² on the weights (not the biases).
    pub l2_penalty: f32,
}

impl TrainingConfig {
    /// The configuration of the built-in German Credit model. The penalty is strong enough
    /// that training converges within the epochs: other seeds (1 to 4), step sizes (0.003
    /// to 0.03) or epoch counts (100 to 1000) move the hold-out AUC by less than 0.002.
    /// The seed spells "LUMEN" in ASCII.
    pub const GERMAN_CREDIT: Self = Self { seed: 0x004C_554D_454E, epochs: 200, learning_rate: 0.01, l2_penalty: 0.03 };
}

const ADAM_BETA1: f32 = 0.9;
const ADAM_BETA2: f32 = 0.999;
const ADAM_EPSILON: f32 = 1e-8;

/// Trains a network on `targets.len()` rows of `inputs` (row-major, `input_len` columns)
/// with targets 1.0 / 0.0; its output is the probability of target 1.
///
/// # Panics
/// When `inputs` does not hold `targets.len() × input_len` values or `targets` is empty.
pub fn train(inputs: &[f32], targets: &[f32], input_len: usize, config: &TrainingConfig) -> Mlp {
    assert!(!targets.is_empty(), "training needs at least one row");
    assert_eq!(inputs.len(), targets.len() * input_len, "inputs must hold one row of input_len values per target");
    let mut mlp = Mlp::initialise(input_len, config.seed);
    let mut optimiser = Adam::new(parameter_count(input_len), config.learning_rate);
    let mut gradient = vec![0.0; parameter_count(input_len)];
    for _ in 0..config.epochs {
        loss_gradient(&mlp, inputs, targets, config.l2_penalty, &mut gradient);
        optimiser.step(mlp.parameters_mut(), &gradient);
    }
    mlp
}

/// Writes the gradient of mean cross-entropy + λ/2 · Σ w² with respect to every parameter.
fn loss_gradient(mlp: &Mlp, inputs: &[f32], targets: &[f32], l2_penalty: f32, gradient: &mut [f32]) {
    let input_len = mlp.input_len();
    let weights = layers(mlp.parameters(), input_len);
    gradient.fill(0.0);
    let grad = layers_mut(gradient, input_len);
    let row_weight = 1.0 / targets.len() as f32;
    let mut hidden = [0.0; HIDDEN_UNITS];
    for (row, &target) in inputs.chunks_exact(input_len).zip(targets) {
        let probability = mlp.forward(row, &mut hidden);
        let d_logit = (probability - target) * row_weight;
        grad.output_bias[0] += d_logit;
        for (unit, &activation) in hidden.iter().enumerate() {
            grad.output_weights[unit] += d_logit * activation;
            let d_pre_activation = d_logit * weights.output_weights[unit] * (1.0 - activation * activation);
            grad.hidden_biases[unit] += d_pre_activation;
            let unit_grad = &mut grad.hidden_weights[unit * input_len..(unit + 1) * input_len];
            for (g, &x) in unit_grad.iter_mut().zip(row) {
                *g += d_pre_activation * x;
            }
        }
    }
    for (g, &w) in grad.hidden_weights.iter_mut().zip(weights.hidden_weights) {
        *g += l2_penalty * w;
    }
    for (g, &w) in grad.output_weights.iter_mut().zip(weights.output_weights) {
        *g += l2_penalty * w;
    }
}

/// Adam (Kingma & Ba, 2015) with bias correction.
struct Adam {
    learning_rate: f32,
    steps: i32,
    first_moment: Vec<f32>,
    second_moment: Vec<f32>,
}

impl Adam {
    fn new(parameters: usize, learning_rate: f32) -> Self {
        Self { learning_rate, steps: 0, first_moment: vec![0.0; parameters], second_moment: vec![0.0; parameters] }
    }

    fn step(&mut self, parameters: &mut [f32], gradient: &[f32]) {
        self.steps += 1;
        let first_correction = 1.0 - ADAM_BETA1.powi(self.steps);
        let second_correction = 1.0 - ADAM_BETA2.powi(self.steps);
        let moments = self.first_moment.iter_mut().zip(self.second_moment.iter_mut());
        for ((parameter, &g), (m, v)) in parameters.iter_mut().zip(gradient).zip(moments) {
            *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
            *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
            let m_hat = *m / first_correction;
            let v_hat = *v / second_correction;
            *parameter -= self.learning_rate * m_hat / (v_hat.sqrt() + ADAM_EPSILON);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cross_entropy(mlp: &Mlp, inputs: &[f32], targets: &[f32]) -> f64 {
        let mut outputs = vec![0.0; targets.len()];
        mlp.predict(inputs, &mut outputs);
        let total: f64 = outputs
            .iter()
            .zip(targets)
            .map(|(&p, &t)| -(f64::from(t) * f64::from(p).ln() + f64::from(1.0 - t) * f64::from(1.0 - p).ln()))
            .sum();
        total / targets.len() as f64
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let inputs = [0.5, -1.0, 2.0, 0.0, 1.0, -0.5, 1.5, 0.25, -2.0];
        let targets = [1.0, 0.0, 1.0];
        let mlp = Mlp::initialise(3, 11);
        let mut gradient = vec![0.0; parameter_count(3)];
        loss_gradient(&mlp, &inputs, &targets, 0.0, &mut gradient);
        let step = 1e-2;
        for index in [0, 7, 47, 50, 60, 70, parameter_count(3) - 1] {
            let mut plus = mlp.clone();
            plus.parameters_mut()[index] += step;
            let mut minus = mlp.clone();
            minus.parameters_mut()[index] -= step;
            let numeric = (cross_entropy(&plus, &inputs, &targets) - cross_entropy(&minus, &inputs, &targets))
                / (2.0 * f64::from(step));
            let analytic = f64::from(gradient[index]);
            assert!((numeric - analytic).abs() < 1e-3, "parameter {index}: numeric {numeric}, analytic {analytic}");
        }
    }

    #[test]
    fn training_separates_a_separable_problem() {
        let inputs = [-2.0, -1.0, 1.0, 2.0];
        let targets = [0.0, 0.0, 1.0, 1.0];
        let config = TrainingConfig { seed: 3, epochs: 200, learning_rate: 0.05, l2_penalty: 0.0 };
        let mlp = train(&inputs, &targets, 1, &config);
        assert!(mlp.predict_row(&[-2.0]) < 0.1 && mlp.predict_row(&[2.0]) > 0.9);
    }
}
