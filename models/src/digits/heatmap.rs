//! Text renderings of small maps (an 8 × 8 image, saliency or Grad-CAM map) for terminal
//! demos. Each cell takes two characters so that the map looks roughly square.

/// The intensity ramp, from nothing to the map's largest magnitude.
pub const RAMP: [char; 10] = [' ', '.', ':', '-', '=', '+', '*', '#', '%', '@'];

/// How a map's values become characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatmapStyle {
    /// Each cell is its magnitude's ramp character, twice (`@@` for the largest |value|).
    Magnitude,
    /// Each cell is its sign (`+` or `-`) then its magnitude's ramp character (`+@`,
    /// `-:`); cells that round to the ramp's first level are blank.
    Signed,
}

/// Renders `map` (row-major, `width` values per row) as text, one line per row, each
/// line ending in a newline. Magnitudes are scaled by the map's largest finite |value|
/// and rounded to one of the [`RAMP`]'s 10 levels; a map of zeros is blank and a
/// non-finite value shows as `??`.
///
/// # Panics
/// When `width` is 0 or does not divide `map.len()`.
pub fn render_heatmap(map: &[f32], width: usize, style: HeatmapStyle) -> String {
    assert!(width > 0 && map.len() % width == 0, "a map of {} values cannot have rows of {width}", map.len());
    let largest = map.iter().filter(|v| v.is_finite()).fold(0.0f32, |largest, v| largest.max(v.abs()));
    let top_level = RAMP.len() - 1;
    let mut text = String::with_capacity(map.len() / width * (2 * width + 1));
    for row in map.chunks_exact(width) {
        for &value in row {
            if !value.is_finite() {
                text.push_str("??");
                continue;
            }
            let level = if largest > 0.0 {
                ((value.abs() / largest) * top_level as f32).round().clamp(0.0, top_level as f32) as usize
            } else {
                0
            };
            let glyph = RAMP[level];
            match style {
                HeatmapStyle::Magnitude => {
                    text.push(glyph);
                    text.push(glyph);
                }
                HeatmapStyle::Signed => {
                    text.push(match (level, value < 0.0) {
                        (0, _) => ' ',
                        (_, true) => '-',
                        (_, false) => '+',
                    });
                    text.push(glyph);
                }
            }
        }
        text.push('\n');
    }
    text
}
