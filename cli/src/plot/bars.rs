//! Horizontal bar charts with one labelled row per feature, event or attribute: the global
//! mean |attribution| chart and signed bars (TimeSHAP's event and feature bars), plus the
//! labelled category axis the waterfall and beeswarm share.

use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordi32};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colour::{signed, LIGHT, NEUTRAL, TEXT};
use super::{drawing, number, padded_range, shorten, Plot, PlotResult, FONT, LABEL, SMALL, TITLE};

/// Most characters of a row label.
pub const LABEL_CHARS: usize = 44;

/// The chart of a category axis: x a value, y the rows (`CenterOf(k)` is row `k` from the
/// bottom).
pub type CategoryChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordi32>>>;

/// Pixel height of one row.
pub const ROW_HEIGHT: u32 = 26;

/// Width of the label area for `labels` at 13 px text.
pub fn label_area(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count().min(LABEL_CHARS)).max().unwrap_or(4) as u32;
    (longest * 8 + 16).max(60)
}

/// The y coordinate of row `k` counted from the top of `rows` rows.
pub fn row(k: usize, rows: usize) -> i32 {
    (rows - 1 - k) as i32
}

/// A chart whose rows carry `labels` (the first at the top), with an x axis over
/// `x_range` described by `x_label`, its mesh drawn.
pub fn category_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    x_range: (f64, f64),
    x_label: &str,
) -> PlotResult<CategoryChart<'a, DB>> {
    let rows = labels.len().max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, TITLE))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(46)
        .y_label_area_size(label_area(labels))
        .build_cartesian_2d(x_range.0..x_range.1, (0..rows as i32 - 1).into_segmented())
        .map_err(drawing)?;
    let label_of = |value: &SegmentValue<i32>| match value {
        SegmentValue::CenterOf(y) if (0..rows as i32).contains(y) => {
            labels.get(rows - 1 - *y as usize).map_or_else(String::new, |l| shorten(l, LABEL_CHARS))
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE.mix(0.0))
        .bold_line_style(LIGHT)
        .x_labels(8)
        .y_labels(rows)
        .y_label_formatter(&label_of)
        .x_label_formatter(&|x| axis_number(*x, x_range.1 - x_range.0))
        .label_style((FONT, LABEL))
        .axis_desc_style((FONT, LABEL))
        .x_desc(x_label)
        .draw()
        .map_err(drawing)?;
    Ok(chart)
}

/// An axis tick: `number`, with values within rounding noise of 0 shown as 0.
pub fn axis_number(value: f64, span: f64) -> String {
    if value.abs() < span.abs() * 1e-9 {
        "0".to_owned()
    } else {
        number(value)
    }
}

/// A bar of row `y` from `x0` to `x1`, inset from the row's edges.
pub fn bar(x0: f64, x1: f64, y: i32, colour: RGBColor) -> Rectangle<(f64, SegmentValue<i32>)> {
    let mut rectangle = Rectangle::new(
        [(x0.min(x1), SegmentValue::Exact(y)), (x0.max(x1), SegmentValue::Exact(y + 1))],
        colour.filled(),
    );
    rectangle.set_margin(5, 5, 0, 0);
    rectangle
}

/// A value label beside the end of a bar: right of it for positive values, left for negative.
pub fn value_label(text: String, x: f64, y: i32, negative: bool) -> Text<'static, (f64, SegmentValue<i32>), String> {
    let anchor = if negative { HPos::Right } else { HPos::Left };
    Text::new(
        format!("{}{text}{}", if negative { "" } else { " " }, if negative { " " } else { "" }),
        (x, SegmentValue::CenterOf(y)),
        (FONT, SMALL).into_font().color(&TEXT).pos(Pos::new(anchor, VPos::Center)),
    )
}

/// One labelled bar per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// File stem.
    pub name: String,
    /// Title drawn above the chart.
    pub title: String,
    /// The x axis: what the values are, with their unit.
    pub x_label: String,
    /// Row labels, top to bottom.
    pub labels: Vec<String>,
    /// One value per row.
    pub values: Vec<f64>,
    /// Colour bars by sign (red raises, blue lowers) instead of one neutral colour.
    pub signed: bool,
}

impl Bars {
    /// The mean |value| of each feature over `rows` rows of `values` (row-major,
    /// `rows × labels.len()`), the `top` largest first, the others summed into one row.
    pub fn mean_abs(name: &str, title: &str, x_label: &str, labels: &[String], values: &[f64], top: usize) -> Self {
        let features = labels.len();
        let rows = values.len().checked_div(features).unwrap_or(0).max(1);
        let mut means = vec![0.0f64; features];
        for row in values.chunks_exact(features.max(1)) {
            means.iter_mut().zip(row).for_each(|(m, v)| *m += v.abs() / rows as f64);
        }
        let mut order: Vec<usize> = (0..features).collect();
        order.sort_by(|&a, &b| means[b].total_cmp(&means[a]).then(a.cmp(&b)));
        let mut shown_labels: Vec<String> = order.iter().take(top).map(|&f| labels[f].clone()).collect();
        let mut shown: Vec<f64> = order.iter().take(top).map(|&f| means[f]).collect();
        if features > top {
            shown_labels.push(format!("sum of {} other features", features - top));
            shown.push(order.iter().skip(top).map(|&f| means[f]).sum());
        }
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            labels: shown_labels,
            values: shown,
            signed: false,
        }
    }
}

impl Bars {
    /// The `top` largest |values| of one row, signed, largest first.
    pub fn top_signed(name: &str, title: &str, x_label: &str, labels: &[String], values: &[f64], top: usize) -> Self {
        let mut order: Vec<usize> = (0..values.len().min(labels.len())).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
        order.truncate(top);
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            x_label: x_label.to_owned(),
            labels: order.iter().map(|&f| labels[f].clone()).collect(),
            values: order.iter().map(|&f| values[f]).collect(),
            signed: true,
        }
    }
}

impl Plot for Bars {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn caption(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        (900, 110 + ROW_HEIGHT * self.labels.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let (lo, hi) = padded_range(self.values.iter().copied());
        // Room for the value labels beside the bars.
        let x_range = (lo - (hi - lo) * 0.1 * f64::from(u8::from(lo < 0.0)), hi + (hi - lo) * 0.12);
        let mut chart = category_chart(root, &self.title, &self.labels, x_range, &self.x_label)?;
        let rows = self.labels.len();
        let colour = |v: f64| if self.signed { signed(v) } else { NEUTRAL };
        chart
            .draw_series(self.values.iter().enumerate().map(|(k, &v)| bar(0.0, v, row(k, rows), colour(v))))
            .map_err(drawing)?;
        chart
            .draw_series(self.values.iter().enumerate().map(|(k, &v)| value_label(number(v), v, row(k, rows), v < 0.0)))
            .map_err(drawing)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::test_support::{assert_png, count, text_count};
    use super::*;

    #[test]
    fn top_signed_keeps_the_largest_magnitudes_and_ticks_snap_to_zero() {
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let bars = Bars::top_signed("s", "t", "x", &labels, &[0.1, -0.5, 0.3], 2);
        assert_eq!((bars.labels.clone(), bars.values.clone()), (vec!["b".to_owned(), "c".to_owned()], vec![-0.5, 0.3]));
        assert_eq!(axis_number(-1.39e-17, 0.3), "0");
        assert_eq!(axis_number(0.05, 0.3), "0.050");
    }

    #[test]
    fn mean_abs_orders_features_and_sums_the_rest() {
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let bars = Bars::mean_abs("g", "t", "x", &labels, &[1.0, -4.0, 0.5, 3.0, 2.0, -0.5], 2);
        assert_eq!(bars.labels, ["b", "a", "sum of 1 other features"]);
        assert_eq!(bars.values, [3.0, 2.0, 0.5]);
    }

    #[test]
    fn one_bar_and_one_label_per_row() {
        let bars = Bars {
            name: "events".into(),
            title: "Event-level attributions".into(),
            x_label: "Shapley value (probability of fraud)".into(),
            labels: vec!["event −1 (most recent)".into(), "event −2".into(), "older events (pruned)".into()],
            values: vec![0.25, -0.125, 0.0625],
            signed: true,
        };
        let figure = render(&bars).expect("renders");
        for label in &bars.labels {
            assert_eq!(text_count(&figure, label), 1, "{label}: {}", figure.svg);
        }
        assert!(figure.svg.contains("Shapley value (probability of fraud)"));
        // Bars are filled rectangles in the series colours: two red, one blue.
        assert_eq!(count(&figure, "fill=\"#D62728\""), 2, "{}", figure.svg);
        assert_eq!(count(&figure, "fill=\"#1F77B4\""), 1);
        assert_eq!(text_count(&figure, "-0.125"), 1, "{}", figure.svg);
        assert_png(&figure);
    }
}
