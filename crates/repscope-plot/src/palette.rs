//! Colours every figure shares: Okabe & Ito's colour-blind-safe qualitative
//! palette for lines, bars and groups (without its yellow, which is
//! unreadable on white), and viridis for maps (perceptually uniform,
//! readable in grey and with colour-vision deficiencies).

use plotters::style::RGBColor;
use plotters::style::colors::colormaps::ViridisRGB;

/// Okabe & Ito (2008), "Color Universal Design": blue, vermillion, bluish
/// green, reddish purple, orange, sky blue, black.
pub const QUALITATIVE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

/// The `i`-th qualitative colour (cycling).
pub fn pick(i: usize) -> RGBColor {
    QUALITATIVE[i % QUALITATIVE.len()]
}

/// `#rrggbb` of a colour, for HTML.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Viridis at `t` in 0..=1.
pub fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    ViridisRGB::get_color(t)
}

/// Viridis sampled at `n` evenly spaced points, as `#rrggbb` (the report's
/// scripts interpolate between them).
pub fn viridis_stops(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| hex(viridis(i as f64 / (n.max(2) - 1) as f64)))
        .collect()
}
