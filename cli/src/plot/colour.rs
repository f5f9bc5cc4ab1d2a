//! The colours every plot shares: red raises the output, blue lowers it (as in shap's
//! plots), diverging and sequential ramps for heat maps.

use plotters::style::RGBColor;

/// Contributions that raise the output.
pub const RAISES: RGBColor = RGBColor(214, 39, 40);
/// Contributions that lower the output.
pub const LOWERS: RGBColor = RGBColor(31, 119, 180);
/// Neutral marks: base values, totals, grid.
pub const NEUTRAL: RGBColor = RGBColor(90, 90, 90);
/// Text drawn on plots.
pub const TEXT: RGBColor = RGBColor(40, 40, 40);
/// Light grid and frames.
pub const LIGHT: RGBColor = RGBColor(220, 220, 220);

const WHITE: [u8; 3] = [255, 255, 255];

/// The colour of a signed contribution.
pub fn signed(value: f64) -> RGBColor {
    if value >= 0.0 {
        RAISES
    } else {
        LOWERS
    }
}

fn mix(from: [u8; 3], to: [u8; 3], t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let channel = |i: usize| (f64::from(from[i]) + (f64::from(to[i]) - f64::from(from[i])) * t).round() as u8;
    RGBColor(channel(0), channel(1), channel(2))
}

/// Blue (−1) through white (0) to red (+1), the end colours of ColorBrewer's RdBu;
/// values beyond ±1 saturate, NaN is white.
pub fn diverging(t: f64) -> RGBColor {
    if t.is_nan() {
        return RGBColor(255, 255, 255);
    }
    if t < 0.0 {
        mix(WHITE, [33, 102, 172], -t)
    } else {
        mix(WHITE, [178, 24, 43], t)
    }
}

/// Low (0, blue) to high (1, red) through purple: the feature-value colour of beeswarms.
pub fn low_high(t: f64) -> RGBColor {
    if t.is_nan() {
        return NEUTRAL;
    }
    mix([30, 136, 229], [255, 13, 87], t)
}

/// White (0) through yellow and orange to dark red (1), after ColorBrewer's YlOrRd: the
/// colour of magnitudes such as Grad-CAM maps.
pub fn sequential(t: f64) -> RGBColor {
    const STOPS: [(f64, [u8; 3]); 4] =
        [(0.0, WHITE), (1.0 / 3.0, [254, 217, 118]), (2.0 / 3.0, [240, 59, 32]), (1.0, [128, 0, 38])];
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    STOPS
        .windows(2)
        .find(|pair| t <= pair[1].0)
        .map_or(RGBColor(128, 0, 38), |pair| mix(pair[0].1, pair[1].1, (t - pair[0].0) / (pair[1].0 - pair[0].0)))
}

/// Ink on paper: white (0) to black (1), for the input image under a heat map.
pub fn ink(t: f64) -> RGBColor {
    mix(WHITE, [0, 0, 0], t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_end_where_documented() {
        assert_eq!(diverging(0.0), RGBColor(255, 255, 255));
        assert_eq!(diverging(1.0), RGBColor(178, 24, 43));
        assert_eq!(diverging(-3.0), RGBColor(33, 102, 172));
        assert_eq!(ink(1.0), RGBColor(0, 0, 0));
        assert_eq!(low_high(0.0), RGBColor(30, 136, 229));
        assert_eq!(signed(-0.1), LOWERS);
        assert_eq!(signed(0.0), RAISES);
        assert_eq!((sequential(0.0), sequential(1.0)), (RGBColor(255, 255, 255), RGBColor(128, 0, 38)));
        let brightness = |c: RGBColor| u32::from(c.0) + u32::from(c.1) + u32::from(c.2);
        let steps: Vec<u32> = (0..=10).map(|i| brightness(sequential(f64::from(i) / 10.0))).collect();
        assert!(steps.windows(2).all(|pair| pair[1] < pair[0]), "{steps:?}");
        // Equal magnitudes fade from white by the same share on both sides.
        let fade = |c: RGBColor, end: f64| (255.0 - f64::from(c.1)) / (255.0 - end);
        assert!((fade(diverging(0.5), 24.0) - fade(diverging(-0.5), 102.0)).abs() < 0.01);
    }
}
