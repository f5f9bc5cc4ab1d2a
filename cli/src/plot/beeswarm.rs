//! The beeswarm: one row per feature (largest mean |attribution| at the top), one dot per
//! explained row at its attribution, stacked where dots crowd, coloured by the feature's
//! value in that row (blue low, red high) when the values are known.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::{category_chart, row, ROW_HEIGHT};
use super::colour::{low_high, NEUTRAL, TEXT};
use super::{drawing, padded_range, Plot, PlotResult, FONT, SMALL};

/// Horizontal bins over the x range in which dots stack.
const BINS: usize = 90;

/// Dot radius in pixels.
const RADIUS: i32 = 3;

/// A beeswarm of `rows` explained rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Beeswarm {
    /// File stem.
    pub name: String,
    /// Title drawn above the chart.
    pub title: String,
    /// The x axis: what an attribution is, with its unit.
    pub x_label: String,
    /// The features shown, top to bottom.
    pub labels: Vec<String>,
    /// Per shown feature, the attribution of every row.
    pub values: Vec<Vec<f64>>,
    /// Per shown feature, its value in every row (for the colour), when known.
    pub feature_values: Option<Vec<Vec<f64>>>,
}

impl Beeswarm {
    /// The `top` features of largest mean |attribution| from row-major
    /// `rows × labels.len()` attributions and, optionally, feature values of the same shape.
    pub fn top(
        name: &str,
        title: &str,
        x_label: &str,
        labels: &[String],
        attributions: &[f64],
        feature_values: Option<&[f64]>,
        top: usize,
    ) -> Self {
        let features = labels.len().max(1);
        let column = |matrix: &[f64], f: usize| matrix.iter().skip(f).step_by(features).copied().collect::<Vec<f64>>();
        let mean_abs = |f: usize| column(attributions, f).iter().map(|v| v.abs()).sum::<f64>();
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by(|&a, &b| mean_abs(b).total_cmp(&mean_abs(a)).then(a.cmp(&b)));
        order.truncate(top);
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            labels: order.iter().map(|&f| labels[f].clone()).collect(),
            values: order.iter().map(|&f| column(attributions, f)).collect(),
            feature_values: feature_values.map(|m| order.iter().map(|&f| column(m, f)).collect()),
        }
    }

    /// Per shown feature, each dot's colour position in [0, 1] (NaN: no value known or a
    /// constant feature).
    fn colour_positions(&self, k: usize) -> Vec<f64> {
        let Some(values) = self.feature_values.as_ref().and_then(|m| m.get(k)) else {
            return vec![f64::NAN; self.values[k].len()];
        };
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        values.iter().map(|v| if hi > lo { (v - lo) / (hi - lo) } else { f64::NAN }).collect()
    }
}

/// Vertical pixel offsets that stack the dots of one row where their x values share a bin:
/// 0, +d, −d, +2d, … within the row's height.
pub fn swarm_offsets(xs: &[f64], lo: f64, hi: f64) -> Vec<i32> {
    let max_step = (ROW_HEIGHT as i32 / 2 - RADIUS) / (RADIUS - 1);
    let mut filled = vec![0i32; BINS];
    xs.iter()
        .map(|&x| {
            let bin = (((x - lo) / (hi - lo)) * BINS as f64).clamp(0.0, BINS as f64 - 1.0) as usize;
            let j = filled[bin] % (2 * max_step + 1);
            filled[bin] += 1;
            let step = (j + 1) / 2;
            (if j % 2 == 1 { step } else { -step }) * (RADIUS - 1)
        })
        .collect()
}

impl Plot for Beeswarm {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn caption(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        (900, 130 + ROW_HEIGHT * self.labels.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let (lo, hi) = padded_range(self.values.iter().flatten().copied());
        let mut chart = category_chart(root, &self.title, &self.labels, (lo, hi), &self.x_label)?;
        let rows = self.labels.len();
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Exact(rows as i32))],
                NEUTRAL.stroke_width(1),
            )))
            .map_err(drawing)?;
        for (k, xs) in self.values.iter().enumerate() {
            let offsets = swarm_offsets(xs, lo, hi);
            let colours = self.colour_positions(k);
            let y = row(k, rows);
            chart
                .draw_series(xs.iter().zip(&offsets).zip(&colours).map(|((&x, &dy), &c)| {
                    EmptyElement::at((x, SegmentValue::CenterOf(y)))
                        + Circle::new((0, dy), RADIUS, low_high(c).mix(0.85).filled())
                }))
                .map_err(drawing)?;
        }
        if self.feature_values.is_some() {
            let (width, _) = self.size();
            let style = (FONT, SMALL).into_font().color(&TEXT).pos(Pos::new(HPos::Right, VPos::Center));
            let right = width as i32 - 30;
            root.draw(&Text::new("feature value: low", (right - 100, 40), style.clone())).map_err(drawing)?;
            root.draw(&Circle::new((right - 92, 40), 5, low_high(0.0).filled())).map_err(drawing)?;
            root.draw(&Circle::new((right - 78, 40), 5, low_high(1.0).filled())).map_err(drawing)?;
            root.draw(&Text::new("high", (right - 40, 40), style.pos(Pos::new(HPos::Center, VPos::Center))))
                .map_err(drawing)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::test_support::{assert_png, count, text_count};
    use super::*;

    #[test]
    fn offsets_stack_crowded_dots_within_the_row() {
        let offsets = swarm_offsets(&[0.5, 0.5, 0.5, 0.9], 0.0, 1.0);
        assert_eq!(offsets, [0, 2, -2, 0]);
        let many = swarm_offsets(&[0.5; 200], 0.0, 1.0);
        assert!(many.iter().all(|dy| dy.abs() <= ROW_HEIGHT as i32 / 2 - RADIUS), "{many:?}");
    }

    #[test]
    fn one_dot_per_row_and_feature() {
        let labels: Vec<String> = ["income", "debt", "age"].map(String::from).to_vec();
        // 5 rows × 3 features: debt matters most, then income.
        let attributions = [0.1, -0.5, 0.0, -0.2, 0.4, 0.01, 0.3, -0.3, 0.0, 0.0, 0.6, 0.02, -0.1, -0.2, 0.0];
        let values = [1.0, 5.0, 30.0, 2.0, 1.0, 40.0, 3.0, 4.0, 50.0, 4.0, 0.0, 60.0, 5.0, 3.0, 70.0];
        let swarm = Beeswarm::top(
            "b",
            "Attributions of 5 rows",
            "attribution (P(default))",
            &labels,
            &attributions,
            Some(&values),
            2,
        );
        assert_eq!(swarm.labels, ["debt", "income"]);
        assert_eq!(swarm.values[0], [-0.5, 0.4, -0.3, 0.6, -0.2]);
        let figure = render(&swarm).expect("renders");
        assert_eq!(count(&figure, "<circle"), 10 + 2, "10 dots and the 2 legend dots");
        assert!(
            (text_count(&figure, "debt") == 1)
                && (text_count(&figure, "income") == 1)
                && text_count(&figure, "age") == 0
        );
        assert!((text_count(&figure, "feature value: low") == 1));
        assert_png(&figure);
    }
}
