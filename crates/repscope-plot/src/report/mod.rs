//! The one-page HTML report of an analysis: every result as a figure with
//! its table (downloadable as CSV), and a provenance panel (version,
//! inputs with sizes and SHA-256, parameters, seed, threads, time,
//! machine).
//!
//! The page is self-contained: styles, scripts and data are inlined, and
//! its Content-Security-Policy forbids every fetch, so it opens the same
//! from a file:// URL on an offline machine. Heatmaps are drawn by the
//! page's script (hover for names and values, click a name to sort,
//! "cluster" for the average-linkage order computed here); bars, curves
//! and scatter plots are the same SVG drawings the CLI writes. Every
//! number shown is also in a table cell whose `data-value` holds it at full
//! precision, as in the CSV.

mod cluster;
mod html;
mod inputs;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::chart::Chart;
use crate::table::Table;
use repscope::Error;

pub use html::fragment;
pub use inputs::files_in;

/// `bytes` as a `data:` URL (base64), the only kind of URL the page loads.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    use base64::Engine;
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A whole report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub title: String,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub provenance: Provenance,
}

/// One result: a figure, the table behind it, or both.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub title: String,
    /// What was computed, in a sentence or two.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub chart: Option<Chart>,
    /// The table shown and offered as CSV; the chart's own table when
    /// absent.
    #[serde(default)]
    pub table: Option<Table>,
    /// File name of the CSV download (from the title when empty).
    #[serde(default)]
    pub csv_name: String,
    /// A figure made elsewhere, as a `data:image/png;base64,…` or
    /// `data:image/svg+xml;base64,…` URL (shown as an image, so an SVG's
    /// scripts never run).
    #[serde(default)]
    pub image: Option<String>,
}

impl Section {
    /// A section showing `chart` and its table.
    pub fn of_chart(
        title: impl Into<String>,
        description: impl Into<String>,
        chart: Chart,
    ) -> Section {
        Section {
            title: title.into(),
            description: description.into(),
            chart: Some(chart),
            ..Section::default()
        }
    }

    /// A section showing a brain map's chart ([`crate::brain`]), or saying
    /// the map has no finite value when there is none to draw.
    pub fn of_map(
        title: impl Into<String>,
        description: impl Into<String>,
        chart: Option<Chart>,
    ) -> Section {
        let description = description.into();
        match chart {
            Some(chart) => Section::of_chart(title, description, chart),
            None => Section {
                title: title.into(),
                description: format!("{description} The map has no finite value."),
                ..Section::default()
            },
        }
    }

    /// The same section whose CSV download is named `name`.
    pub fn csv(mut self, name: impl Into<String>) -> Section {
        self.csv_name = name.into();
        self
    }

    /// The same section showing `table` (instead of the chart's own).
    pub fn with_table(mut self, table: Table) -> Section {
        self.table = Some(table);
        self
    }

    /// The table shown: the given one, else the chart's.
    pub fn shown_table(&self) -> Option<Table> {
        self.table
            .clone()
            .or_else(|| self.chart.as_ref().map(Chart::table))
    }
}

/// Where the results came from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// repscope's version.
    #[serde(default)]
    pub version: String,
    /// The command line (CLI) or the call (Python).
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub inputs: Vec<InputFile>,
    /// Every parameter of the analysis, by name.
    #[serde(default)]
    pub parameters: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub threads: Option<usize>,
    /// Wall time of the analysis.
    #[serde(default)]
    pub seconds: Option<f64>,
    /// Operating system, CPU count and memory.
    #[serde(default)]
    pub machine: String,
    /// When the report was made (UTC, ISO 8601).
    #[serde(default)]
    pub created: String,
}

/// An input file: its path, size and content hash.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    /// SHA-256 of the content, hex (`sha256sum` prints the same).
    pub sha256: String,
}

impl Report {
    /// Every chart checked and the page written to `path` (`.html`),
    /// under a temporary name renamed when complete.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let page = self.html()?;
        repscope::data::atomic::write_atomically(path, |w| {
            std::io::Write::write_all(w, page.as_bytes())
        })
    }

    /// The page as a string.
    pub fn html(&self) -> Result<String, Error> {
        for s in &self.sections {
            if let Some(c) = &s.chart {
                c.check()?;
            }
        }
        html::page(self)
    }
}

/// The machine in a line: OS, architecture, CPUs, memory.
pub fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = repscope::memory::available_bytes()
        .map(|b| format!(", {} available", crate::report::html::human_bytes(b)))
        .unwrap_or_default();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| format!("{} ", h.trim()))
        .unwrap_or_default();
    format!(
        "{host}({} {}, {cpus} logical CPUs{memory})",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Now as `YYYY-MM-DDTHH:MM:SSZ` (UTC), from the system clock.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{BarChart, MatrixChart};

    fn matrix() -> Chart {
        Chart::Matrix(MatrixChart {
            title: "m".into(),
            subtitle: "linear_cka, 10 stimuli".into(),
            rows: vec!["a".into(), "b<".into()],
            cols: vec!["a".into(), "b<".into()],
            values: vec![vec![1.0, 0.25], vec![0.25, f64::NAN]],
            value_label: "cka".into(),
            row_axis: String::new(),
            col_axis: String::new(),
            range: None,
        })
    }

    #[test]
    fn page_is_self_contained_and_escapes_names() {
        let report = Report {
            title: "t & t".into(),
            sections: vec![
                Section::of_chart("matrix", "a matrix", matrix()).csv("m.csv"),
                Section::of_chart(
                    "bars",
                    "",
                    Chart::Bars(BarChart {
                        title: "b".into(),
                        subtitle: String::new(),
                        names: vec!["x".into()],
                        values: vec![0.5],
                        low: vec![0.4],
                        high: vec![0.6],
                        noise_ceiling: Some((0.7, 0.8)),
                        marks: vec!["*".into()],
                        value_label: "tau".into(),
                        interval: "95% CI".into(),
                    }),
                ),
            ],
            provenance: Provenance {
                version: "0.1.0".into(),
                ..Provenance::default()
            },
        };
        let page = report.html().unwrap();
        assert!(page.starts_with("<!doctype html>"));
        assert!(page.contains("Content-Security-Policy"));
        assert!(!page.contains("src=\"http"), "nothing fetched");
        assert!(page.contains("t &amp; t"));
        assert!(page.contains("b&lt;"));
        // The full-precision values and the CSV download.
        assert!(page.contains("data-value=\"0.25\""));
        assert!(page.contains("download=\"m.csv\""));
        // The embedded JSON cannot close its script element.
        let data = page.split("id=\"repscope-data\">").nth(1).unwrap();
        let data = data.split("</script>").next().unwrap();
        assert!(!data.contains("</"));
        let back: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(back["heatmaps"][0]["rows"][1], "b<");
        assert!(back["heatmaps"][0]["values"][1][1].is_null());
    }

    #[test]
    fn charts_round_trip_through_json_with_nan() {
        let c = matrix();
        let text = serde_json::to_string(&c).unwrap();
        let back: Chart = serde_json::from_str(&text).unwrap();
        let (Chart::Matrix(a), Chart::Matrix(b)) = (&c, &back) else {
            panic!("kind changed")
        };
        assert!(b.values[1][1].is_nan());
        assert_eq!(a.values[0], b.values[0]);
        // Every bit survives (serde_json's default parser can be an ulp off).
        for v in [
            0.9181720833729061_f64,
            0.9177294921136097,
            0.9083920237302227,
        ] {
            let back: f64 = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(back.to_bits(), v.to_bits());
        }
    }

    #[test]
    fn dates_are_civil() {
        let now = now_utc();
        assert_eq!(now.len(), 20);
        assert!(now.starts_with("20"));
    }
}
