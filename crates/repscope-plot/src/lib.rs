//! repscope's figures, shared by the CLI and the Python package.
//!
//! Drawn with plotters; text uses the DejaVu Sans font compiled into the
//! binary, so figures render the same on a machine with no fonts installed.
//! The format follows the extension: `.png` or `.svg`. Files are written
//! under a temporary name and renamed when complete.

mod bars;
pub mod brain;
pub mod chart;
mod heatmap;
mod lines;
pub mod palette;
mod panels;
pub mod report;
pub mod results;
mod scatter;
pub mod table;

use std::path::{Path, PathBuf};
use std::sync::Once;

pub use bars::{Bars, bars};
pub use chart::Chart;
pub use heatmap::{Heatmap, heatmap};
pub use lines::{Lines, Reference, Series, XAxis, lines};
pub use panels::{Panel, Panels, panels};
pub use scatter::{Scatter, scatter};

use repscope::Error;

/// The font family every figure uses.
const FONT: &str = "sans-serif";

// Font sizes are even: plotters' glyph placement (ab_glyph) offsets each
// glyph by half the size truncated to whole pixels, so an odd size lifts
// small glyphs such as the decimal point by a pixel ("1·00").
/// Figure titles.
const TITLE_SIZE: u32 = 20;
/// The line under the title saying what was computed.
const SUBTITLE_SIZE: u32 = 12;
/// Axis titles.
const AXIS_SIZE: u32 = 14;
/// Tick labels, legends and cell values.
const LABEL_SIZE: u32 = 12;

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a known-good TTF compiled in: failure would be a bug.
        let _ = plotters::style::register_font(
            FONT,
            plotters::style::FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font(
            FONT,
            plotters::style::FontStyle::Bold,
            dejavu::sans::bold(),
        );
    });
}

/// Image formats a figure can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ImageFormat {
    Png,
    Svg,
}

fn image_format(path: &Path) -> Result<ImageFormat, Error> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => Ok(ImageFormat::Png),
        Some("svg") => Ok(ImageFormat::Svg),
        _ => Err(Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "figures are written as .png or .svg; change the extension".into(),
        }),
    }
}

/// A temporary path beside `path`, with the same extension (plotters picks
/// the PNG encoder from it).
fn partial_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "figure.png".into());
    path.with_file_name(format!(".{}.partial-{name}", std::process::id()))
}

/// Something that can draw itself on any plotters backend.
trait Figure {
    fn draw<DB: plotters::prelude::DrawingBackend>(
        &self,
        root: &plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), Error>;
}

/// The figure as an SVG document.
fn svg_string(size: (u32, u32), figure: &impl Figure) -> Result<String, Error> {
    use plotters::prelude::{IntoDrawingArea, SVGBackend};
    register_font();
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        figure.draw(&area)?;
        area.present().map_err(draw_error)?;
    }
    Ok(svg)
}

/// The figure as the bytes of a PNG file (for data: URLs).
fn png_bytes(size: (u32, u32), figure: &impl Figure) -> Result<Vec<u8>, Error> {
    use plotters::prelude::{BitMapBackend, IntoDrawingArea};
    register_font();
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        figure.draw(&area)?;
        area.present().map_err(draw_error)?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(draw_error)?;
    writer.write_image_data(&rgb).map_err(draw_error)?;
    writer.finish().map_err(draw_error)?;
    Ok(out)
}

/// Draws `figure` on a `size` canvas and writes `path` (PNG or SVG) under
/// a temporary name, renamed when complete.
fn render(path: &Path, size: (u32, u32), figure: &impl Figure) -> Result<(), Error> {
    use plotters::prelude::{BitMapBackend, IntoDrawingArea};
    match image_format(path)? {
        ImageFormat::Svg => {
            let svg = svg_string(size, figure)?;
            repscope::data::atomic::write_atomically(path, |w| {
                std::io::Write::write_all(w, svg.as_bytes())
            })
        }
        ImageFormat::Png => {
            let partial = partial_path(path);
            let result = (|| {
                let area = BitMapBackend::new(&partial, size).into_drawing_area();
                figure.draw(&area)?;
                area.present().map_err(draw_error)
            })()
            .and_then(|()| {
                std::fs::rename(&partial, path).map_err(|e| Error::Io {
                    path: path.to_path_buf(),
                    source: e,
                })
            });
            if result.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            result
        }
    }
}

/// A pairwise matrix as a heatmap, coloured over the measure's range (from
/// the registry) when it is bounded; `rows` and `cols` name the axes.
pub fn pairwise_heatmap(
    path: &Path,
    result: &repscope::PairwiseMatrix,
    rows: &str,
    cols: &str,
) -> Result<(), Error> {
    Chart::pairwise(result, rows, cols).write(path)
}

/// Draws the title and, under it, the smaller grey line saying what was
/// computed (when not empty); returns the area left for the chart.
fn titled<DB: plotters::prelude::DrawingBackend>(
    root: &plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    subtitle: &str,
) -> Result<plotters::drawing::DrawingArea<DB, plotters::coord::Shift>, Error> {
    use plotters::style::{IntoFont, RGBColor, TextStyle};
    let area = root
        .titled(title, (FONT, TITLE_SIZE).into_font())
        .map_err(draw_error)?;
    if subtitle.is_empty() {
        return Ok(area);
    }
    let grey = RGBColor(90, 90, 90);
    area.titled(
        subtitle,
        TextStyle::from((FONT, SUBTITLE_SIZE).into_font()).color(&grey),
    )
    .map_err(draw_error)
}

/// A number as a tick or cell label: integers without decimals, others
/// with up to three significant decimals.
pub fn tick_label(v: f64) -> String {
    if !v.is_finite() {
        return "NaN".into();
    }
    if v == v.round() && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" || text == "0" {
        format!("{v:.2e}")
    } else {
        text.to_string()
    }
}

fn draw_error(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        detail: format!("drawing the figure: {e}"),
    }
}
