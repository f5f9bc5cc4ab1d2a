//! Plots as SVG and PNG, drawn once with plotters and rendered on both backends: the
//! attribution plots (waterfall, global bars, beeswarm, heat maps), the counterfactual
//! table and co-occurrence graph, and the generic pieces TimeSHAP's report will use
//! (pruning curve, signed bars, cell heat map).
//!
//! PNG text is drawn with the bundled DejaVu Sans (`cli/assets/`, plotters' `ab_glyph`
//! renderer), so no system font is needed; SVG text names the same family and leaves the
//! glyphs to the viewer.

pub mod bars;
pub mod beeswarm;
pub mod colour;
pub mod counterfactual_table;
pub mod graph;
pub mod heatmap;
pub mod pruning;
pub mod waterfall;

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// The bundled font, registered with plotters on first use.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The font family every plot names.
pub const FONT: &str = "sans-serif";

/// Font size of titles (plotters draws text at 1/1.24 of the size given).
pub const TITLE: u32 = 21;
/// Font size of axis labels, descriptions and table text.
pub const LABEL: u32 = 16;
/// Font size of value labels and notes.
pub const SMALL: u32 = 15;

/// A plot's failure, as text for the one-line error.
pub type PlotResult<T = ()> = Result<T, String>;

/// A plot that draws itself on any plotters backend.
pub trait Plot {
    /// The file stem of the plot (e.g. `waterfall-row-0`).
    fn name(&self) -> String;
    /// A one-line caption for the report.
    fn caption(&self) -> String;
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the plot on `root`, which covers [`Plot::size`] and is already white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult;
}

/// A rendered plot.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File stem.
    pub name: String,
    /// Caption.
    pub caption: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// The SVG document.
    pub svg: String,
    /// The PNG file.
    pub png: Vec<u8>,
}

/// Turns a drawing error into text.
pub(crate) fn drawing<E: std::error::Error + Send + Sync>(error: DrawingAreaErrorKind<E>) -> String {
    format!("plot: {error}")
}

fn register_font() -> PlotResult {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            for family in [FONT, "serif", "monospace"] {
                plotters::style::register_font(family, FontStyle::Normal, DEJAVU_SANS)
                    .map_err(|_| "plot: the bundled DejaVu Sans font does not parse".to_owned())?;
            }
            Ok(())
        })
        .clone()
}

/// Renders `plot` as SVG and as PNG.
pub fn render(plot: &impl Plot) -> PlotResult<Figure> {
    register_font()?;
    let (width, height) = plot.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        plot.draw(&root)?;
        root.present().map_err(drawing)?;
    }
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        plot.draw(&root)?;
        root.present().map_err(drawing)?;
    }
    Ok(Figure {
        name: plot.name(),
        caption: plot.caption(),
        size: (width, height),
        svg,
        png: encode_png(&pixels, width, height)?,
    })
}

/// Encodes an RGB buffer as a PNG file.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> PlotResult<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| format!("plot: PNG encoding: {e}"))?;
    writer.write_image_data(pixels).map_err(|e| format!("plot: PNG encoding: {e}"))?;
    writer.finish().map_err(|e| format!("plot: PNG encoding: {e}"))?;
    Ok(bytes)
}

/// Shortens `text` to at most `max` characters, ending with "…" when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// A range `[lo, hi]` that holds every value and 0, padded by 8 % on each side.
pub fn padded_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if hi - lo < 1e-12 {
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.08;
    (lo - pad, hi + pad)
}

/// Formats a value with about four significant digits.
pub fn number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude != 0.0 && !(1e-3..1e5).contains(&magnitude) {
        format!("{value:.2e}")
    } else if magnitude >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::Figure;

    /// How many times `needle` occurs in the figure's SVG.
    pub fn count(figure: &Figure, needle: &str) -> usize {
        figure.svg.matches(needle).count()
    }

    /// The texts of the figure's SVG, trimmed, with `&lt;` and `&gt;` unescaped.
    pub fn texts(figure: &Figure) -> Vec<String> {
        figure
            .svg
            .split("<text")
            .skip(1)
            .filter_map(|t| t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")))
            .map(|(text, _)| text.trim().replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
            .collect()
    }

    /// How many texts of the figure are exactly `text`.
    pub fn text_count(figure: &Figure, text: &str) -> usize {
        texts(figure).iter().filter(|t| *t == text).count()
    }

    /// Checks the PNG header and size, and that the image is not blank.
    pub fn assert_png(figure: &Figure) {
        let decoder = png::Decoder::new(std::io::Cursor::new(&figure.png));
        let mut reader = decoder.read_info().expect("a PNG");
        let (w, h) = (reader.info().width, reader.info().height);
        assert_eq!((w, h), figure.size);
        let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
        reader.next_frame(&mut buf).expect("one frame");
        let mut colours: Vec<&[u8]> = buf.chunks_exact(3).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() > 8, "{}: only {} colours", figure.name, colours.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        let (lo, hi) = padded_range([1.0, 3.0, f64::NAN]);
        assert!(lo < 0.0 && hi > 3.0);
        assert_eq!(padded_range([]), (-0.08, 1.08));
        assert_eq!(number(0.12345), "0.123");
        assert_eq!(number(123.45), "123.5");
        assert_eq!(number(1.5e-5), "1.50e-5");
    }
}
