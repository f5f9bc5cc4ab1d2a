//! The per-row waterfall as shap draws it: bars stacked from the expected output E[f(X)]
//! (bottom) to the row's output f(x) (top), largest contributions at the top and the rest
//! summed at the bottom, the x axis zoomed to the range the walk covers (not from 0), a
//! ± one-standard-error whisker at the end of each bar whose value was sampled, and long
//! labels wrapped over two lines instead of cut.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::bars::axis_number;
use super::colour::{signed, LIGHT, NEUTRAL, TEXT};
use super::{drawing, number, Plot, PlotResult, FONT, LABEL, SMALL, TITLE};

/// Characters per line of a wrapped label.
pub const WRAP_CHARS: usize = 34;
/// Lines of a wrapped label at most (the last one ends with "…" if still too long).
pub const WRAP_LINES: usize = 2;
/// Pixel height of one step's row.
pub const STEP_HEIGHT: u32 = 38;
/// Pixel width of the label column.
const LABEL_WIDTH: u32 = WRAP_CHARS as u32 * 8 + 20;
/// Space above the first row (title, f(x) label) and below the last (axis, E[f(X)]).
const TOP: u32 = 66;
const BOTTOM: u32 = 78;

/// A waterfall of one explained row.
#[derive(Debug, Clone, PartialEq)]
pub struct Waterfall {
    /// File stem.
    pub name: String,
    /// Title drawn above the chart.
    pub title: String,
    /// The x axis: the model output and its unit, e.g. "P(good credit)".
    pub output_label: String,
    /// Where the waterfall starts: E[f(X)] (or f(baseline)).
    pub base: f64,
    /// The contributions, top to bottom, with their labels.
    pub steps: Vec<(String, f64)>,
    /// One standard error per step, where the step's value was sampled.
    pub errors: Vec<Option<f64>>,
}

/// `text` in lines of at most `width` characters, broken at spaces (words longer than a
/// line are broken inside), at most `lines` lines, the last ending in "…" when cut.
pub fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let width = width.max(2);
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = current.chars().count();
            let room = if used == 0 { width } else { width.saturating_sub(used + 1) };
            if word.len() <= room {
                if used > 0 {
                    current.push(' ');
                }
                current.extend(word.iter());
                break;
            }
            if used == 0 {
                current.extend(word.drain(..width));
            }
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    if out.len() > lines {
        out.truncate(lines);
        let last = &mut out[lines - 1];
        let mut chars: Vec<char> = last.chars().collect();
        chars.truncate(width - 1);
        *last = chars.into_iter().collect::<String>().trim_end().to_owned() + "…";
    }
    out
}

impl Waterfall {
    /// The `top` largest |contributions| of `labels`/`values` in decreasing order, then
    /// the sum of the others as one step; `errors` (one per value) give the whiskers.
    #[allow(clippy::too_many_arguments)]
    pub fn top(
        name: &str,
        title: &str,
        output_label: &str,
        base: f64,
        labels: &[String],
        values: &[f64],
        errors: Option<&[f64]>,
        top: usize,
    ) -> Self {
        let mut order: Vec<usize> = (0..values.len().min(labels.len())).collect();
        order.sort_by(|&a, &b| values[b].abs().total_cmp(&values[a].abs()).then(a.cmp(&b)));
        let mut steps: Vec<(String, f64)> = order.iter().take(top).map(|&f| (labels[f].clone(), values[f])).collect();
        let mut step_errors: Vec<Option<f64>> =
            order.iter().take(top).map(|&f| errors.and_then(|e| e.get(f).copied()).filter(|e| e.is_finite())).collect();
        if order.len() > top {
            let rest: f64 = order.iter().skip(top).map(|&f| values[f]).sum();
            steps.push((format!("{} other features", order.len() - top), rest));
            // The others' errors are correlated (one regression), so their sum has none.
            step_errors.push(None);
        }
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            output_label: output_label.to_owned(),
            base,
            steps,
            errors: step_errors,
        }
    }

    /// Appends a step without a standard error (e.g. what the values leave unattributed).
    pub fn push(&mut self, label: String, value: f64) {
        self.steps.push((label, value));
        self.errors.push(None);
    }

    /// The score the waterfall ends at: base + Σ steps.
    pub fn score(&self) -> f64 {
        self.base + self.steps.iter().map(|(_, v)| v).sum::<f64>()
    }

    /// Where each step's bar starts and ends, top to bottom. The walk runs from the bottom
    /// step (starting at the base) up to the top step (ending at the score).
    pub fn spans(&self) -> Vec<(f64, f64)> {
        let mut end = self.score();
        self.steps
            .iter()
            .map(|(_, v)| {
                let span = (end - v, end);
                end -= v;
                span
            })
            .collect()
    }

    /// The ± one-standard-error whiskers: per step with an error, its row (from the top),
    /// the bar's end and the whisker's two ends.
    pub fn whiskers(&self) -> Vec<(usize, f64, f64, f64)> {
        self.spans()
            .iter()
            .zip(&self.errors)
            .enumerate()
            .filter_map(|(k, (&(_, end), error))| error.map(|e| (k, end, end - e, end + e)))
            .collect()
    }

    /// The x range: every bar end, whisker, the base and the score, padded by 8 % on each
    /// side plus room for value labels; 0 is included only when the walk reaches it.
    pub fn axis_range(&self) -> (f64, f64) {
        let mut points: Vec<f64> = vec![self.base, self.score()];
        points.extend(self.spans().iter().flat_map(|&(a, b)| [a, b]));
        points.extend(self.whiskers().iter().flat_map(|&(_, _, lo, hi)| [lo, hi]));
        let lo = points.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = points.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let span = if hi - lo > 1e-12 { hi - lo } else { hi.abs().max(1.0) * 0.1 };
        (lo - span * 0.14, hi + span * 0.14)
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
        (960, TOP + BOTTOM + STEP_HEIGHT * self.steps.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let rows = self.steps.len().max(1);
        let (lo, hi) = self.axis_range();
        let title = (FONT, TITLE).into_font().color(&TEXT).pos(Pos::new(HPos::Left, VPos::Top));
        root.draw(&Text::new(self.title.clone(), (12, 8), title)).map_err(drawing)?;
        let (_, height) = self.size();
        let area = root.margin(TOP, BOTTOM - 46, LABEL_WIDTH, 28);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(46)
            .build_cartesian_2d(lo..hi, 0.0..rows as f64)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .light_line_style(WHITE.mix(0.0))
            .bold_line_style(LIGHT)
            .x_labels(8)
            .x_label_formatter(&|x| axis_number(*x, hi - lo))
            .label_style((FONT, LABEL))
            .axis_desc_style((FONT, LABEL))
            .x_desc(self.output_label.clone())
            .draw()
            .map_err(drawing)?;
        // Row k (from the top) spans y in [rows - k - 1, rows - k].
        let y = |k: usize, t: f64| (rows - k) as f64 - t;
        let dashed = |x: f64| {
            (0..rows * 4).map(move |i| {
                let top = rows as f64 - i as f64 * 0.25;
                PathElement::new(vec![(x, top), (x, top - 0.12)], NEUTRAL.stroke_width(1))
            })
        };
        chart.draw_series(dashed(self.base)).map_err(drawing)?;
        chart.draw_series(dashed(self.score())).map_err(drawing)?;
        let spans = self.spans();
        for (k, ((_, v), &(from, to))) in self.steps.iter().zip(&spans).enumerate() {
            let colour = signed(*v);
            chart
                .draw_series(std::iter::once(Rectangle::new([(from, y(k, 0.22)), (to, y(k, 0.78))], colour.filled())))
                .map_err(drawing)?;
            // The value beside the bar, on the side away from the walk's direction.
            let (anchor, x) = if *v < 0.0 { (HPos::Right, from.min(to)) } else { (HPos::Left, from.max(to)) };
            let text = if *v < 0.0 { format!("{v:+.3} ") } else { format!(" {v:+.3}") };
            let style = (FONT, SMALL).into_font().color(&TEXT).pos(Pos::new(anchor, VPos::Center));
            chart.draw_series(std::iter::once(Text::new(text, (x, y(k, 0.5)), style))).map_err(drawing)?;
            if k + 1 < spans.len() {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(from, y(k, 0.78)), (from, y(k + 1, 0.22))],
                        NEUTRAL.stroke_width(1),
                    )))
                    .map_err(drawing)?;
            }
        }
        for (k, _, lo, hi) in self.whiskers() {
            let ink = TEXT.stroke_width(2);
            chart
                .draw_series([
                    PathElement::new(vec![(lo, y(k, 0.5)), (hi, y(k, 0.5))], ink),
                    PathElement::new(vec![(lo, y(k, 0.36)), (lo, y(k, 0.64))], ink),
                    PathElement::new(vec![(hi, y(k, 0.36)), (hi, y(k, 0.64))], ink),
                ])
                .map_err(drawing)?;
        }
        // E[f(X)] under the axis, f(x) above the first row, at their x positions (chart
        // coordinates map to the whole canvas's pixels).
        let note = (FONT, SMALL).into_font().color(&TEXT);
        let (bx, _) = chart.backend_coord(&(self.base, 0.0));
        let (sx, top_y) = chart.backend_coord(&(self.score(), rows as f64));
        let below = height as i32 - 14;
        root.draw(&Text::new(
            format!("E[f(X)] = {}", number(self.base)),
            (bx, below),
            note.clone().pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))
        .map_err(drawing)?;
        root.draw(&Text::new(
            format!("f(x) = {}", number(self.score())),
            (sx, top_y - 6),
            note.pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))
        .map_err(drawing)?;
        // Labels, wrapped, right-aligned against the plot.
        let label = (FONT, LABEL).into_font().color(&TEXT);
        for (k, (text, _)) in self.steps.iter().enumerate() {
            let lines = wrap(text, WRAP_CHARS, WRAP_LINES);
            let (_, cy) = chart.backend_coord(&(lo, y(k, 0.5)));
            let first = cy - (lines.len() as i32 - 1) * 8;
            for (i, line) in lines.iter().enumerate() {
                root.draw(&Text::new(
                    line.clone(),
                    (LABEL_WIDTH as i32 - 10, first + 16 * i as i32),
                    label.clone().pos(Pos::new(HPos::Right, VPos::Center)),
                ))
                .map_err(drawing)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::test_support::{assert_png, count, text_count};
    use super::*;

    fn sample() -> Waterfall {
        let labels: Vec<String> = [
            "duration (months) = 48",
            "checking account = >= 200 DM / salary assignments for at least 1 year",
            "savings = none",
            "age = 30",
        ]
        .map(String::from)
        .to_vec();
        Waterfall::top(
            "w",
            "Applicant #800",
            "P(good credit)",
            0.7,
            &labels,
            &[-0.2, -0.3, 0.05, 0.01],
            Some(&[0.01, 0.02, 0.03, 0.04]),
            2,
        )
    }

    #[test]
    fn steps_stack_from_the_base_to_the_score_on_a_zoomed_axis() {
        let waterfall = sample();
        assert_eq!(waterfall.steps[0].1, -0.3);
        assert_eq!(waterfall.steps[2].0, "2 other features");
        assert!((waterfall.score() - 0.26).abs() < 1e-12);
        // Bottom step starts at the base, top step ends at the score, each step starts
        // where the one below ends.
        let spans = waterfall.spans();
        assert!((spans[2].0 - 0.7).abs() < 1e-12 && (spans[0].1 - 0.26).abs() < 1e-12, "{spans:?}");
        assert!((spans[0].0 - spans[1].1).abs() < 1e-12 && (spans[1].0 - spans[2].1).abs() < 1e-12);
        // The axis covers 0.26 (minus a whisker) to 0.76 with padding, not 0.
        let (lo, hi) = waterfall.axis_range();
        assert!(lo > 0.15 && lo < 0.24, "{lo}");
        assert!(hi > 0.76 && hi < 0.85, "{hi}");
        // Whiskers at the end of each sampled step: ± SE around the total after it.
        let whiskers = waterfall.whiskers();
        assert_eq!(whiskers.len(), 2, "the summed rest has none: {whiskers:?}");
        let (k, end, w_lo, w_hi) = whiskers[0];
        assert_eq!(k, 0);
        assert!((end - 0.26).abs() < 1e-12 && (w_lo - 0.24).abs() < 1e-12 && (w_hi - 0.28).abs() < 1e-12);
        let (k, end, w_lo, _) = whiskers[1];
        assert!(k == 1 && (end - 0.56).abs() < 1e-12 && (w_lo - 0.55).abs() < 1e-12, "{whiskers:?}");
    }

    #[test]
    fn long_labels_wrap_onto_two_lines() {
        assert_eq!(wrap("savings = none", 34, 2), ["savings = none"]);
        assert_eq!(
            wrap("checking account = >= 200 DM / salary assignments for at least 1 year", 34, 2),
            ["checking account = >= 200 DM /", "salary assignments for at least 1…"]
        );
        assert_eq!(wrap("abcdefghij", 4, 3), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4, 2), [""]);
        for line in wrap("installment rate (% of income) = 4 and a very long tail of words", 20, 2) {
            assert!(line.chars().count() <= 20, "{line}");
        }
    }

    #[test]
    fn renders_bars_whiskers_and_both_ends() {
        let figure = render(&sample()).expect("renders");
        assert_eq!(text_count(&figure, "E[f(X)] = 0.700"), 1, "{}", figure.svg);
        assert_eq!(text_count(&figure, "f(x) = 0.260"), 1);
        assert_eq!(text_count(&figure, "checking account = >= 200 DM /"), 1);
        assert_eq!(text_count(&figure, "salary assignments for at least 1…"), 1);
        assert_eq!(text_count(&figure, "-0.300"), 1);
        assert_eq!(text_count(&figure, "+0.060"), 1);
        assert_eq!(text_count(&figure, "P(good credit)"), 1);
        // Two blue steps, one red; no neutral bars from 0.
        assert_eq!(count(&figure, "fill=\"#1F77B4\""), 2);
        assert_eq!(count(&figure, "fill=\"#D62728\""), 1);
        assert_eq!(count(&figure, "fill=\"#5A5A5A\""), 0);
        assert_png(&figure);
    }
}
