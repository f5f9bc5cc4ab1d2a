//! The beeswarm: one row per feature (largest mean |attribution| at the top), one dot per
//! explained row at its attribution, stacked where dots crowd, coloured by the feature's
//! value in that row (blue low, red high) when the values are known, with a colour bar
//! beside the chart (as shap draws it), never a legend over the data.

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

/// Pixel width kept right of the chart for the colour bar and its labels.
pub const COLOUR_BAR_AREA: u32 = 110;
/// Pixel width of the colour bar itself.
const COLOUR_BAR_WIDTH: i32 = 14;

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

impl Beeswarm {
    /// The width of the chart left of the colour bar (the whole width without values).
    pub fn chart_width(&self, width: u32) -> u32 {
        if self.feature_values.is_some() {
            width - COLOUR_BAR_AREA
        } else {
            width
        }
    }
}

/// The colour bar in `area` from pixel row `top` (high values) to `bottom` (low), with
/// "high", "low" and a vertical "feature value" title; grey dots are explained below it.
fn draw_colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, top: i32, bottom: i32) -> PlotResult {
    let x = 12;
    let steps = (bottom - top).max(1);
    for i in 0..steps {
        let t = 1.0 - f64::from(i) / f64::from(steps);
        area.draw(&Rectangle::new([(x, top + i), (x + COLOUR_BAR_WIDTH, top + i + 1)], low_high(t).filled()))
            .map_err(drawing)?;
    }
    let style = (FONT, SMALL).into_font().color(&TEXT).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw(&Text::new("high", (x + COLOUR_BAR_WIDTH + 6, top + 6), style.clone())).map_err(drawing)?;
    area.draw(&Text::new("low", (x + COLOUR_BAR_WIDTH + 6, bottom - 6), style)).map_err(drawing)?;
    let vertical = (FONT, SMALL)
        .into_font()
        .transform(FontTransform::Rotate270)
        .color(&TEXT)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new("feature value", (x + COLOUR_BAR_WIDTH + 58, (top + bottom) / 2), vertical))
        .map_err(drawing)?;
    let note = (FONT, SMALL).into_font().color(&NEUTRAL).pos(Pos::new(HPos::Left, VPos::Top));
    area.draw(&Text::new("grey: no order", (x - 8, bottom + 10), note)).map_err(drawing)?;
    Ok(())
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
        let (width, _) = self.size();
        let (plot_area, bar_area) = root.split_horizontally(self.chart_width(width));
        let mut chart = category_chart(&plot_area, &self.title, &self.labels, (lo, hi), &self.x_label)?;
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
            let (_, top) = chart.backend_coord(&(lo, SegmentValue::Exact(rows as i32)));
            let (_, bottom) = chart.backend_coord(&(lo, SegmentValue::Exact(0)));
            draw_colour_bar(&bar_area, top, bottom)?;
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
        assert_eq!(count(&figure, "<circle"), 10, "10 dots, no legend dots");
        assert!(
            (text_count(&figure, "debt") == 1)
                && (text_count(&figure, "income") == 1)
                && text_count(&figure, "age") == 0
        );
        for text in ["high", "low", "feature value"] {
            assert_eq!(text_count(&figure, text), 1, "{text}");
        }
        // The colour bar lies right of the chart: every dot is left of it.
        let (width, _) = swarm.size();
        let bar_left = swarm.chart_width(width) as f64;
        let dots: Vec<f64> = figure
            .svg
            .split("<circle cx=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(dots.len(), 10);
        assert!(dots.iter().all(|&x| x < bar_left - 20.0), "{dots:?} vs {bar_left}");
        assert!(figure.svg.contains("fill=\"#FF0D57\""), "the bar's top is the high colour");
        assert_png(&figure);
        // Without values: no bar, the chart takes the whole width.
        let plain = Beeswarm { feature_values: None, ..swarm };
        assert_eq!(plain.chart_width(width), width);
        assert_eq!(text_count(&render(&plain).expect("renders"), "high"), 0);
    }
}
