//! The counterfactual table: the instance beside its counterfactuals, one row per feature
//! that any of them changes (unchanged cells shown as "·", changed cells highlighted),
//! then summary rows such as the probability and the credit score next to it, and the
//! approval cutoff those are compared with.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colour::{LIGHT, TEXT};
use super::{drawing, shorten, Plot, PlotResult, FONT, LABEL, SMALL, TITLE};

const LABEL_WIDTH: i32 = 270;
const CELL_WIDTH: i32 = 190;
const ROW_HEIGHT: i32 = 30;
const TOP: i32 = 52;
const CHANGED: RGBColor = RGBColor(255, 236, 179);
const HEADER: RGBColor = RGBColor(238, 238, 238);
const CUTOFF: RGBColor = RGBColor(221, 235, 247);

/// The table of one instance's counterfactuals.
#[derive(Debug, Clone, PartialEq)]
pub struct CounterfactualTable {
    /// File stem.
    pub name: String,
    /// Title drawn above the table.
    pub title: String,
    /// Per changed feature: its name, the instance's value and each counterfactual's value.
    pub features: Vec<(String, String, Vec<String>)>,
    /// Summary rows (e.g. "P(good credit)", "credit score"): label, instance, counterfactuals.
    pub summary: Vec<(String, String, Vec<String>)>,
    /// Number of counterfactuals (columns after the instance).
    pub counterfactuals: usize,
    /// The success threshold in words, e.g. "P(good credit) ≥ 0.833, credit score ≥ 570",
    /// shown as the table's last row.
    pub cutoff: Option<String>,
}

impl CounterfactualTable {
    fn rows(&self) -> usize {
        1 + self.features.len() + self.summary.len() + usize::from(self.cutoff.is_some())
    }
}

impl Plot for CounterfactualTable {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn caption(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        let width = LABEL_WIDTH + CELL_WIDTH * (1 + self.counterfactuals as i32) + 24;
        (width.max(600) as u32, (TOP + ROW_HEIGHT * self.rows() as i32 + 40) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let left = 12;
        let text = |s: &str, x: i32, y: i32, size: u32, h: HPos| {
            Text::new(s.to_owned(), (x, y), (FONT, size).into_font().color(&TEXT).pos(Pos::new(h, VPos::Center)))
        };
        root.draw(&text(&self.title, left, 22, TITLE, HPos::Left)).map_err(drawing)?;
        let column_x = |c: i32| left + LABEL_WIDTH + CELL_WIDTH * c;
        let width = column_x(1 + self.counterfactuals as i32) - left;
        let mut y = TOP;
        let cell =
            |x: i32, y: i32, w: i32, fill: RGBColor| Rectangle::new([(x, y), (x + w, y + ROW_HEIGHT)], fill.filled());
        root.draw(&cell(left, y, width, HEADER)).map_err(drawing)?;
        root.draw(&text("feature", left + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left)).map_err(drawing)?;
        root.draw(&text("instance", column_x(0) + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left)).map_err(drawing)?;
        for c in 0..self.counterfactuals {
            let title = format!("counterfactual {}", c + 1);
            root.draw(&text(&title, column_x(c as i32 + 1) + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left))
                .map_err(drawing)?;
        }
        y += ROW_HEIGHT;
        let max_chars = (CELL_WIDTH / 8) as usize;
        for (name, original, values) in &self.features {
            root.draw(&text(
                &shorten(name, (LABEL_WIDTH / 8) as usize),
                left + 8,
                y + ROW_HEIGHT / 2,
                LABEL,
                HPos::Left,
            ))
            .map_err(drawing)?;
            root.draw(&text(&shorten(original, max_chars), column_x(0) + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left))
                .map_err(drawing)?;
            for (c, value) in values.iter().enumerate() {
                let x = column_x(c as i32 + 1);
                if value == original {
                    root.draw(&text("·", x + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left)).map_err(drawing)?;
                } else {
                    root.draw(&cell(x + 2, y + 2, CELL_WIDTH - 4, CHANGED)).map_err(drawing)?;
                    root.draw(&text(&shorten(value, max_chars), x + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left))
                        .map_err(drawing)?;
                }
            }
            root.draw(&PathElement::new(vec![(left, y + ROW_HEIGHT), (left + width, y + ROW_HEIGHT)], LIGHT))
                .map_err(drawing)?;
            y += ROW_HEIGHT;
        }
        for (label, original, values) in &self.summary {
            root.draw(&cell(left, y, width, HEADER)).map_err(drawing)?;
            root.draw(&text(label, left + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left)).map_err(drawing)?;
            root.draw(&text(original, column_x(0) + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left)).map_err(drawing)?;
            for (c, value) in values.iter().enumerate() {
                root.draw(&text(value, column_x(c as i32 + 1) + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left))
                    .map_err(drawing)?;
            }
            y += ROW_HEIGHT;
        }
        if let Some(cutoff) = &self.cutoff {
            root.draw(&cell(left, y, width, CUTOFF)).map_err(drawing)?;
            root.draw(&text("approval cutoff", left + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left)).map_err(drawing)?;
            root.draw(&text(cutoff, column_x(0) + 8, y + ROW_HEIGHT / 2, LABEL, HPos::Left)).map_err(drawing)?;
            y += ROW_HEIGHT;
        }
        root.draw(&text("highlighted: changed from the instance;  ·: unchanged", left, y + 18, SMALL, HPos::Left))
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
    fn changed_cells_are_highlighted_and_unchanged_ones_dotted() {
        let table = CounterfactualTable {
            name: "cf".into(),
            title: "Counterfactuals of applicant #800".into(),
            features: vec![
                ("checking account".into(), "< 0 DM".into(), vec!["no checking account".into(), "< 0 DM".into()]),
                ("duration (months)".into(), "48".into(), vec!["48".into(), "12".into()]),
            ],
            summary: vec![
                ("P(good credit)".into(), "0.412".into(), vec!["0.871".into(), "0.902".into()]),
                ("credit score (600 at 20:1, PDO 15)".into(), "528".into(), vec!["574".into(), "579".into()]),
            ],
            counterfactuals: 2,
            cutoff: Some("P(good credit) ≥ 0.833, credit score ≥ 570".into()),
        };
        let (_, height) = table.size();
        assert_eq!(height, (TOP + ROW_HEIGHT * 6 + 40) as u32, "header, 2 features, 2 summary rows, the cutoff");
        let figure = render(&table).expect("renders");
        assert_eq!(count(&figure, "fill=\"#FFECB3\""), 2, "two changed cells");
        assert_eq!(text_count(&figure, "·"), 2);
        assert_eq!(count(&figure, "fill=\"#DDEBF7\""), 1, "the cutoff row");
        for text in [
            "no checking account",
            "12",
            "< 0 DM",
            "counterfactual 2",
            "0.902",
            "P(good credit)",
            "579",
            "approval cutoff",
            "P(good credit) ≥ 0.833, credit score ≥ 570",
        ] {
            assert_eq!(text_count(&figure, text), 1, "{text}");
        }
        assert_png(&figure);
    }
}
