//! TimeSHAP's temporal-coalition pruning curve: for each number of most recent events kept
//! apart, the |contribution| of all older events taken together, the tolerance below which
//! older events are lumped into one, and the chosen pruning point.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colour::{LIGHT, LOWERS, NEUTRAL, RAISES, TEXT};
use super::{drawing, number, Plot, PlotResult, FONT, LABEL, SMALL, TITLE};

/// A pruning curve.
#[derive(Debug, Clone, PartialEq)]
pub struct PruningCurve {
    /// File stem.
    pub name: String,
    /// Title drawn above the chart.
    pub title: String,
    /// `(events kept, |contribution of the older events|)`, by increasing events kept.
    pub points: Vec<(usize, f64)>,
    /// The pruning tolerance η.
    pub tolerance: f64,
    /// The number of events kept after pruning, when pruning applies.
    pub pruned_at: Option<usize>,
    /// The unit of the contributions, e.g. "probability of fraud".
    pub unit: String,
}

impl Plot for PruningCurve {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn caption(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        (900, 420)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let x_max = self.points.iter().map(|p| p.0).max().unwrap_or(1).max(1) as f64;
        let y_max =
            self.points.iter().map(|p| p.1).chain([self.tolerance]).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let y_max = if y_max > 0.0 { y_max * 1.12 } else { 1.0 };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, TITLE))
            .margin(14)
            .margin_right(30)
            .x_label_area_size(46)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..x_max + 0.5, 0.0..y_max)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(LIGHT)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| number(*y))
            .label_style((FONT, LABEL))
            .axis_desc_style((FONT, LABEL))
            .x_desc("most recent events kept apart")
            .y_desc(format!("|older events' contribution| ({})", self.unit))
            .draw()
            .map_err(drawing)?;
        let line: Vec<(f64, f64)> = self.points.iter().map(|&(x, y)| (x as f64, y)).collect();
        chart.draw_series(LineSeries::new(line.clone(), LOWERS.stroke_width(2))).map_err(drawing)?;
        chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, LOWERS.filled()))).map_err(drawing)?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, self.tolerance), (x_max + 0.5, self.tolerance)],
                6,
                4,
                NEUTRAL.stroke_width(1),
            ))
            .map_err(drawing)?;
        let label = |text: String, at: (f64, f64), h: HPos| {
            Text::new(text, at, (FONT, SMALL).into_font().color(&TEXT).pos(Pos::new(h, VPos::Bottom)))
        };
        chart
            .draw_series(std::iter::once(label(
                format!("tolerance {}", number(self.tolerance)),
                (x_max + 0.4, self.tolerance),
                HPos::Right,
            )))
            .map_err(drawing)?;
        if let Some(kept) = self.pruned_at {
            let x = kept as f64;
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(x, 0.0), (x, y_max)], RAISES.stroke_width(2))))
                .map_err(drawing)?;
            chart
                .draw_series(std::iter::once(label(
                    format!(" pruned: {kept} events kept"),
                    (x, y_max * 0.93),
                    HPos::Left,
                )))
                .map_err(drawing)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::test_support::{assert_png, count, text_count, texts};
    use super::*;

    #[test]
    fn curve_tolerance_and_pruning_point() {
        let curve = PruningCurve {
            name: "pruning".into(),
            title: "Temporal coalition pruning".into(),
            points: (1..=12).map(|k| (k, 0.4 / k as f64)).collect(),
            tolerance: 0.05,
            pruned_at: Some(8),
            unit: "probability of fraud".into(),
        };
        let figure = render(&curve).expect("renders");
        assert_eq!(count(&figure, "<circle"), 12);
        assert!((text_count(&figure, "tolerance 0.050") == 1), "{}", figure.svg);
        assert!((text_count(&figure, "pruned: 8 events kept") == 1));
        assert!((text_count(&figure, "most recent events kept apart") == 1));
        assert!(texts(&figure).iter().any(|t| t.ends_with("(probability of fraud)")));
        assert_png(&figure);
    }
}
