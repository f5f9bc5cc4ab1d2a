//! The per-row waterfall: from the base value, each contribution moves the running total
//! until it reaches the row's score, largest contributions first and the rest summed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{bar, category_chart, row, value_label, ROW_HEIGHT};
use super::colour::{signed, LIGHT, NEUTRAL};
use super::{drawing, number, padded_range, Plot, PlotResult};

/// A waterfall of one explained row.
#[derive(Debug, Clone, PartialEq)]
pub struct Waterfall {
    /// File stem.
    pub name: String,
    /// Title drawn above the chart.
    pub title: String,
    /// The x axis: the model output and its unit, e.g. "P(good credit)".
    pub output_label: String,
    /// Where the waterfall starts (the expected output, or f(baseline)).
    pub base: f64,
    /// The contributions shown, in the order drawn (top to bottom), with their labels.
    pub steps: Vec<(String, f64)>,
}

impl Waterfall {
    /// The `top` largest |contributions| of `labels`/`values` in decreasing order, then
    /// the sum of the others as one step.
    pub fn top(
        name: &str,
        title: &str,
        output_label: &str,
        base: f64,
        labels: &[String],
        values: &[f64],
        top: usize,
    ) -> Self {
        let mut order: Vec<usize> = (0..values.len().min(labels.len())).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
        let mut steps: Vec<(String, f64)> = order.iter().take(top).map(|&f| (labels[f].clone(), values[f])).collect();
        if order.len() > top {
            let rest: f64 = order.iter().skip(top).map(|&f| values[f]).sum();
            steps.push((format!("{} other features", order.len() - top), rest));
        }
        Self { name: name.to_owned(), title: title.to_owned(), output_label: output_label.to_owned(), base, steps }
    }

    /// The score the waterfall ends at: base + Σ steps.
    pub fn score(&self) -> f64 {
        self.base + self.steps.iter().map(|(_, v)| v).sum::<f64>()
    }

    fn labels(&self) -> Vec<String> {
        let mut labels = vec![format!("base value {}", number(self.base))];
        labels.extend(self.steps.iter().map(|(label, _)| label.clone()));
        labels.push(format!("score {}", number(self.score())));
        labels
    }
}

impl Plot for Waterfall {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn caption(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        (900, 110 + ROW_HEIGHT * (self.steps.len() as u32 + 2))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let labels = self.labels();
        let rows = labels.len();
        let mut totals = vec![self.base];
        for (_, v) in &self.steps {
            totals.push(totals.last().copied().unwrap_or(0.0) + v);
        }
        let (lo, hi) = padded_range(totals.iter().copied());
        let span = hi - lo;
        let mut chart =
            category_chart(root, &self.title, &labels, (lo - span * 0.08, hi + span * 0.12), &self.output_label)?;
        // The base and the score as neutral bars from 0, the steps floating between totals.
        let mut bars =
            vec![bar(0.0, self.base, row(0, rows), NEUTRAL), bar(0.0, self.score(), row(rows - 1, rows), NEUTRAL)];
        let mut texts = Vec::new();
        for (k, (_, v)) in self.steps.iter().enumerate() {
            let (from, to) = (totals[k], totals[k + 1]);
            bars.push(bar(from, to, row(k + 1, rows), signed(*v)));
            texts.push(value_label(format!("{v:+.3}"), to, row(k + 1, rows), *v < 0.0));
        }
        chart.draw_series(bars).map_err(drawing)?;
        chart.draw_series(texts).map_err(drawing)?;
        // Connectors: each step starts where the previous one ended.
        let connectors = (0..rows - 1).map(|k| {
            let x = totals[k.min(totals.len() - 1)];
            PathElement::new(
                vec![(x, SegmentValue::Exact(row(k, rows))), (x, SegmentValue::Exact(row(k, rows) + 1))],
                LIGHT.stroke_width(1),
            )
        });
        chart.draw_series(connectors).map_err(drawing)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::test_support::{assert_png, count, text_count};
    use super::*;

    #[test]
    fn waterfall_runs_from_base_to_score() {
        let labels: Vec<String> = ["duration (months) = 48", "checking account = < 0 DM", "savings = none", "age = 30"]
            .map(String::from)
            .to_vec();
        let waterfall =
            Waterfall::top("w", "Applicant #800", "P(good credit)", 0.7, &labels, &[-0.2, -0.3, 0.05, 0.01], 2);
        assert_eq!(waterfall.steps[0], (labels[1].clone(), -0.3));
        assert_eq!(waterfall.steps[1], (labels[0].clone(), -0.2));
        assert_eq!(waterfall.steps[2].0, "2 other features");
        assert!((waterfall.score() - 0.26).abs() < 1e-12);
        let figure = render(&waterfall).expect("renders");
        assert!((text_count(&figure, "base value 0.700") == 1), "{}", figure.svg);
        assert!((text_count(&figure, "score 0.260") == 1));
        assert!((text_count(&figure, "checking account = < 0 DM") == 1));
        assert!((text_count(&figure, "P(good credit)") == 1));
        assert_eq!(text_count(&figure, "-0.300"), 1);
        assert_eq!(text_count(&figure, "+0.060"), 1, "{}", figure.svg);
        // Two neutral bars (base, score), two blue steps and one red.
        assert_eq!(count(&figure, "fill=\"#5A5A5A\""), 2);
        assert_eq!(count(&figure, "fill=\"#1F77B4\""), 2);
        assert_eq!(count(&figure, "fill=\"#D62728\""), 1);
        assert_png(&figure);
    }
}
