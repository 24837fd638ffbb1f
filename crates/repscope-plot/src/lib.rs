//! repscope's figures, shared by the CLI and the Python package.
//!
//! Drawn with plotters; text uses the DejaVu Sans font compiled into the
//! binary, so figures render the same on a machine with no fonts installed.
//! The format follows the extension: `.png` or `.svg`. Files are written
//! under a temporary name and renamed when complete.

mod bars;
mod heatmap;
mod lines;
mod scatter;

use std::path::{Path, PathBuf};
use std::sync::Once;

pub use bars::{Bars, bars};
pub use heatmap::{Heatmap, heatmap};
pub use lines::{Lines, Series, lines};
pub use scatter::{Scatter, scatter};

use repscope::Error;

/// The font family every figure uses.
const FONT: &str = "sans-serif";

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

/// Draws `figure` on a `size` canvas and writes `path` (PNG or SVG) under
/// a temporary name, renamed when complete.
fn render(path: &Path, size: (u32, u32), figure: &impl Figure) -> Result<(), Error> {
    use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};
    match image_format(path)? {
        ImageFormat::Svg => {
            let mut svg = String::new();
            {
                let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                figure.draw(&area)?;
                area.present().map_err(draw_error)?;
            }
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
    let range = repscope::measures()
        .into_iter()
        .find(|m| m.name == result.measure)
        .and_then(|m| m.range);
    heatmap(
        path,
        &Heatmap {
            values: result.values.as_ref(),
            row_labels: &result.names_a,
            col_labels: &result.names_b,
            title: &result.measure,
            row_axis: rows,
            col_axis: cols,
            value_label: &result.measure,
            range,
        },
    )
}

fn draw_error(e: impl std::fmt::Display) -> Error {
    Error::Internal {
        detail: format!("drawing the figure: {e}"),
    }
}
