//! Heat maps of a matrix of attributions with a colour bar: over an input image (the
//! image in grey ink under the attributions, e.g. the digits), or as labelled cells (e.g.
//! TimeSHAP's event × feature cells).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::colour::{diverging, ink, TEXT};
use super::{drawing, number, shorten, Plot, PlotResult, FONT, LABEL, SMALL, TITLE};

/// Width of the colour bar panel.
const COLOUR_BAR: u32 = 130;

/// A heat map of `rows × cols` values.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// File stem.
    pub name: String,
    /// Title drawn above the map.
    pub title: String,
    /// Row-major `rows × cols` values.
    pub values: Vec<f64>,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The input under the map, `rows × cols` intensities in [0, 1] drawn as ink.
    pub background: Option<Vec<f64>>,
    /// Row labels (top to bottom); empty: row numbers.
    pub row_labels: Vec<String>,
    /// Column labels (left to right); empty: column numbers.
    pub col_labels: Vec<String>,
    /// What the horizontal axis indexes.
    pub x_label: String,
    /// What the vertical axis indexes.
    pub y_label: String,
    /// What a value is, with its unit (the colour bar's caption).
    pub value_label: String,
    /// Pixel size of one cell.
    pub cell: (u32, u32),
    /// Write each cell's value in it (for small labelled maps).
    pub annotate: bool,
}

/// Most characters of a row label.
const ROW_LABEL_CHARS: usize = 40;

impl Heatmap {
    /// Attributions over an image of `height × width` pixels (intensities in [0, 1]).
    pub fn over_image(
        name: &str,
        title: &str,
        image: &[f64],
        height: usize,
        width: usize,
        values: &[f64],
        value_label: &str,
    ) -> Self {
        let side = (380 / height.max(width).max(1)).clamp(6, 48) as u32;
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            values: values.to_vec(),
            rows: height,
            cols: width,
            background: Some(image.to_vec()),
            row_labels: Vec::new(),
            col_labels: Vec::new(),
            x_label: "pixel column".to_owned(),
            y_label: "pixel row".to_owned(),
            value_label: value_label.to_owned(),
            cell: (side, side),
            annotate: false,
        }
    }

    /// Labelled cells, e.g. events × features.
    pub fn cells(
        name: &str,
        title: &str,
        row_labels: Vec<String>,
        col_labels: Vec<String>,
        values: &[f64],
        axes: (&str, &str),
        value_label: &str,
    ) -> Self {
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            values: values.to_vec(),
            rows: row_labels.len(),
            cols: col_labels.len(),
            background: None,
            row_labels,
            col_labels,
            x_label: axes.0.to_owned(),
            y_label: axes.1.to_owned(),
            value_label: value_label.to_owned(),
            cell: (84, 28),
            annotate: false,
        }
    }

    /// The largest finite |value|, or 1 when every value is 0.
    pub fn scale(&self) -> f64 {
        let largest = self.values.iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
        if largest > 0.0 {
            largest
        } else {
            1.0
        }
    }

    fn row_label_width(&self) -> u32 {
        let longest = self.row_labels.iter().map(|l| l.chars().count().min(ROW_LABEL_CHARS)).max().unwrap_or(2) as u32;
        longest * 8 + 34
    }

    /// The colour of cell `i`: the signed value's colour, over the image's ink where there is one.
    fn colour(&self, i: usize, scale: f64) -> RGBColor {
        let t = self.values[i] / scale;
        let over = diverging(t);
        match &self.background {
            None => over,
            Some(image) => {
                let under = ink(image.get(i).copied().unwrap_or(0.0) * 0.75);
                let alpha = t.abs().powf(0.7).clamp(0.0, 1.0) * 0.9;
                let blend = |a: u8, b: u8| (f64::from(a) * (1.0 - alpha) + f64::from(b) * alpha).round() as u8;
                RGBColor(blend(under.0, over.0), blend(under.1, over.1), blend(under.2, over.2))
            }
        }
    }
}

impl Plot for Heatmap {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn caption(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        let width = self.row_label_width() + self.cell.0 * self.cols as u32 + COLOUR_BAR + 40;
        let height = 120 + self.cell.1 * self.rows as u32;
        (width.max(420), height)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let (width, _) = self.size();
        let titled = root.titled(&self.title, (FONT, TITLE)).map_err(drawing)?;
        let (map_area, bar_area) = titled.split_horizontally(width - COLOUR_BAR);
        let (rows, cols) = (self.rows, self.cols);
        let mut chart = ChartBuilder::on(&map_area)
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(self.row_label_width())
            .build_cartesian_2d((0..cols as i32 - 1).into_segmented(), (0..rows as i32 - 1).into_segmented())
            .map_err(drawing)?;
        let label = |labels: &[String], i: i32, n: usize| -> String {
            if i < 0 || i as usize >= n {
                String::new()
            } else if labels.is_empty() {
                i.to_string()
            } else {
                shorten(&labels[i as usize], ROW_LABEL_CHARS)
            }
        };
        let col_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(c) => shorten(&label(&self.col_labels, *c, cols), (self.cell.0 / 8) as usize),
            _ => String::new(),
        };
        let row_label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(y) => label(&self.row_labels, rows as i32 - 1 - *y, rows),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(cols)
            .y_labels(rows)
            .x_label_formatter(&col_label)
            .y_label_formatter(&row_label)
            .label_style((FONT, SMALL))
            .axis_desc_style((FONT, LABEL))
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .draw()
            .map_err(drawing)?;
        let scale = self.scale();
        chart
            .draw_series((0..rows * cols).map(|i| {
                let (r, c) = ((i / cols) as i32, (i % cols) as i32);
                let y = rows as i32 - 1 - r;
                Rectangle::new(
                    [
                        (SegmentValue::Exact(c), SegmentValue::Exact(y)),
                        (SegmentValue::Exact(c + 1), SegmentValue::Exact(y + 1)),
                    ],
                    self.colour(i, scale).filled(),
                )
            }))
            .map_err(drawing)?;
        if self.annotate {
            chart
                .draw_series((0..rows * cols).filter(|&i| self.values[i].is_finite()).map(|i| {
                    let (r, c) = ((i / cols) as i32, (i % cols) as i32);
                    let strong = (self.values[i] / scale).abs() > 0.6;
                    let colour = if strong { WHITE } else { TEXT };
                    Text::new(
                        number(self.values[i]),
                        (SegmentValue::CenterOf(c), SegmentValue::CenterOf(rows as i32 - 1 - r)),
                        (FONT, SMALL).into_font().color(&colour).pos(Pos::new(HPos::Center, VPos::Center)),
                    )
                }))
                .map_err(drawing)?;
        }
        draw_colour_bar(&bar_area, scale, &self.value_label)
    }
}

/// A vertical colour bar from −scale (blue) to +scale (red) with its caption.
fn draw_colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, scale: f64, caption: &str) -> PlotResult {
    let mut chart = ChartBuilder::on(area)
        .margin_top(44)
        .margin_bottom(56)
        .margin_left(8)
        .margin_right(8)
        .y_label_area_size(0)
        .right_y_label_area_size(64)
        .build_cartesian_2d(0.0..1.0, -scale..scale)
        .map_err(drawing)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(5)
        .y_label_formatter(&|v| if v.abs() < scale * 1e-6 { "0".to_owned() } else { number(*v) })
        .label_style((FONT, SMALL))
        .draw()
        .map_err(drawing)?;
    let steps = 60;
    chart
        .draw_series((0..steps).map(|k| {
            let (a, b) =
                (-scale + 2.0 * scale * k as f64 / steps as f64, -scale + 2.0 * scale * (k + 1) as f64 / steps as f64);
            Rectangle::new([(0.0, a), (1.0, b)], diverging((a + b) / 2.0 / scale).filled())
        }))
        .map_err(drawing)?;
    area.draw(&Text::new(shorten(caption, 18), (0, 14), (FONT, SMALL).into_font().color(&TEXT))).map_err(drawing)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::test_support::{assert_png, text_count};
    use super::*;

    #[test]
    fn image_heatmap_draws_one_cell_per_pixel() {
        let image: Vec<f64> = (0..64).map(|i| f64::from(i % 8) / 7.0).collect();
        let values: Vec<f64> = (0..64).map(|i| f64::from(i - 32) / 32.0).collect();
        let map = Heatmap::over_image("digit", "Integrated Gradients, class 1", &image, 8, 8, &values, "attribution");
        assert_eq!(map.scale(), 1.0);
        let figure = render(&map).expect("renders");
        // 64 square cells and a visible colour bar of 60 wide, flat steps.
        let rects: Vec<(f64, f64)> = figure
            .svg
            .split("<rect")
            .skip(1)
            .map(|r| {
                let attr = |name: &str| -> f64 {
                    r.split(&format!(" {name}=\""))
                        .nth(1)
                        .and_then(|v| v.split('"').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0.0)
                };
                (attr("width"), attr("height"))
            })
            .collect();
        let cells = rects.iter().filter(|(w, h)| *w >= 40.0 && (w - h).abs() <= 2.0 && *w < 60.0).count();
        let steps = rects.iter().filter(|(w, h)| *w >= 20.0 && *h <= 10.0).count();
        assert_eq!((cells, steps), (64, 60), "{rects:?}");
        assert!((text_count(&figure, "pixel column") == 1) && (text_count(&figure, "pixel row") == 1));
        assert!((text_count(&figure, "attribution") == 1));
        assert_eq!(text_count(&figure, "Integrated Gradients, class 1"), 1);
        assert_png(&figure);
    }

    #[test]
    fn cell_heatmap_labels_rows_and_columns() {
        let rows: Vec<String> = (1..=4).map(|e| format!("event −{e}")).collect();
        let cols: Vec<String> = ["amount", "merchant", "hour"].map(String::from).to_vec();
        let values: Vec<f64> = (0..12).map(|i| f64::from(i) / 10.0 - 0.5).collect();
        let map = Heatmap::cells(
            "cells",
            "Cell-level Shapley values",
            rows,
            cols,
            &values,
            ("feature", "event"),
            "Shapley value",
        );
        let figure = render(&map).expect("renders");
        for label in ["event −1", "event −4", "amount", "merchant", "hour", "feature", "event"] {
            assert_eq!(text_count(&figure, label), 1, "{label}");
        }
        // The largest |value| takes the end colour of the ramp.
        assert!(figure.svg.contains("fill=\"#B2182B\""), "{}", figure.svg);
        assert_png(&figure);
    }
}
