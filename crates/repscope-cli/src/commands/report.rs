//! The HTML report: `repscope report FILES… -o report.html` gathers the
//! tables (CSV) and figures (PNG, SVG) that commands wrote into one page;
//! `--report PATH` on an analysis command (and `repscope demo`) writes the
//! page of that analysis directly, with its provenance.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use repscope_plot::Chart;
use repscope_plot::chart::MatrixChart;
use repscope_plot::report::{InputFile, Provenance, Report, Section, files_in};
use repscope_plot::table::{Cell, Table};

use crate::UsageError;
use crate::cli::{Global, ReportArgs};

/// When the running command started (its report's wall time counts from
/// there, not from when the report is assembled).
static STARTED: std::sync::Mutex<Option<Instant>> = std::sync::Mutex::new(None);

/// Marks the start of a command.
pub(crate) fn mark_start() {
    if let Ok(mut started) = STARTED.lock() {
        *started = Some(Instant::now());
    }
}

/// What an analysis records while it runs, for its report.
pub struct Recorder {
    started: Instant,
    inputs: Vec<InputFile>,
    parameters: BTreeMap<String, serde_json::Value>,
    seed: Option<u64>,
    pub sections: Vec<Section>,
}

impl Recorder {
    pub fn new() -> Recorder {
        let started = STARTED.lock().ok().and_then(|s| *s);
        Recorder {
            started: started.unwrap_or_else(Instant::now),
            inputs: Vec::new(),
            parameters: BTreeMap::new(),
            seed: None,
            sections: Vec::new(),
        }
    }

    /// An input file or folder (size and SHA-256 of the content).
    pub fn input(&mut self, path: &Path) -> repscope::Result<()> {
        self.inputs.push(InputFile::of_path(path)?);
        Ok(())
    }

    /// Several input files or folders.
    pub fn inputs<P: AsRef<Path>>(
        &mut self,
        paths: impl IntoIterator<Item = P>,
    ) -> repscope::Result<()> {
        for p in paths {
            self.input(p.as_ref())?;
        }
        Ok(())
    }

    /// Bytes read from elsewhere than a file (the demo's bundled data).
    pub fn input_bytes(&mut self, name: &str, bytes: &[u8]) {
        self.inputs.push(InputFile::of_bytes(name, bytes));
    }

    pub fn parameter(&mut self, name: &str, value: impl Into<serde_json::Value>) {
        self.parameters.insert(name.into(), value.into());
    }

    pub fn seed(&mut self, seed: u64) {
        self.seed = Some(seed);
    }

    pub fn add(&mut self, section: Section) {
        self.sections.push(section);
    }

    /// Writes the page to `path`.
    pub fn write(self, path: &Path, title: &str, g: &Global) -> repscope::Result<()> {
        let provenance = Provenance {
            version: env!("CARGO_PKG_VERSION").into(),
            command: command_line(),
            inputs: self.inputs,
            parameters: self.parameters,
            seed: self.seed,
            threads: Some(
                g.threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            ),
            seconds: Some(self.started.elapsed().as_secs_f64()),
            machine: repscope_plot::report::machine(),
            created: repscope_plot::report::now_utc(),
        };
        Report {
            title: title.into(),
            sections: self.sections,
            provenance,
        }
        .write(path)
    }
}

/// The command line as typed (arguments quoted where they need it).
fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"\\$".contains(c)) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `repscope report FILES… -o report.html`.
pub fn run(args: &ReportArgs, g: &Global) -> anyhow::Result<()> {
    let mut recorder = Recorder::new();
    let mut files = Vec::new();
    for p in &args.files {
        if p.is_dir() {
            let inside = files_in(p)?;
            files.extend(inside.into_iter().filter(|f| section_kind(f).is_some()));
        } else if section_kind(p).is_some() {
            files.push(p.clone());
        } else {
            return Err(UsageError(format!(
                "{}: a report gathers .csv tables, .png/.svg figures and 3-D NIfTI maps; give one of those or a folder",
                p.display()
            ))
            .into());
        }
    }
    if files.is_empty() {
        return Err(UsageError("no .csv, .png, .svg or .nii(.gz) files to report".into()).into());
    }
    for f in &files {
        recorder.input(f)?;
        recorder.add(section_of_file(f)?);
    }
    let title = args
        .title
        .clone()
        .unwrap_or_else(|| "repscope report".into());
    let n = recorder.sections.len();
    recorder.write(&args.output, &title, g)?;
    if g.json {
        println!(
            "{}",
            serde_json::json!({ "report": args.output.display().to_string(), "sections": n })
        );
    } else {
        println!("wrote {} ({n} sections)", args.output.display());
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum FileKind {
    Csv,
    Png,
    Svg,
    /// A 3-D brain map (a searchlight's output): slices through its peak.
    Nifti,
}

fn section_kind(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    // CIFTI files are NIfTI containers of surface data, not volumes.
    let cifti = [".dscalar.nii", ".dtseries.nii", ".dlabel.nii"]
        .iter()
        .any(|s| name.ends_with(s));
    if (name.ends_with(".nii") || name.ends_with(".nii.gz")) && !cifti {
        return Some(FileKind::Nifti);
    }
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "csv" => Some(FileKind::Csv),
        "png" => Some(FileKind::Png),
        "svg" => Some(FileKind::Svg),
        _ => None,
    }
}

/// A 3-D NIfTI map as the slices through its peak and its peaks table
/// (NaN voxels are outside the map).
fn section_of_volume(path: &Path, title: String) -> anyhow::Result<Section> {
    use repscope_plot::brain::{VolumeMap, volume_peaks, volume_slices};
    let volume = repscope::data::nifti::read_nifti(path)?;
    if volume.n_volumes() != 1 {
        return Err(UsageError(format!(
            "{}: a report shows 3-D maps; this file holds {} volumes",
            path.display(),
            volume.n_volumes()
        ))
        .into());
    }
    let [nx, ny, _] = volume.spatial_shape();
    let (mut voxels, mut values) = (Vec::new(), Vec::new());
    for (f, &v) in volume.data.iter().enumerate() {
        if v.is_finite() {
            voxels.push([f % nx, (f / nx) % ny, f / (nx * ny)]);
            values.push(v);
        }
    }
    let map = VolumeMap {
        title: &title,
        value_label: "value",
        values: &values,
        voxels: &voxels,
        shape: volume.spatial_shape(),
        affine: volume.affine,
    };
    let description = format!(
        "{}: slices through the map's peak (voxel axes i, j, k; up is the larger index); \
         the table lists its 10 largest values.",
        path.display()
    );
    let csv = format!("{title}_peaks.csv");
    Ok(
        Section::of_map(title.clone(), description, volume_slices(&map))
            .with_table(volume_peaks(&map, 10))
            .csv(csv),
    )
}

/// A CSV as a table, shown as a heatmap when it is a labelled matrix (a
/// text first column, numbers everywhere else); a figure as an image.
fn section_of_file(path: &Path) -> anyhow::Result<Section> {
    let title = path.file_stem().map_or_else(
        || path.display().to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| repscope::Error::Io {
            path: p.to_path_buf(),
            source: e,
        })
    };
    let kind = section_kind(path)
        .ok_or_else(|| UsageError(format!("{}: not a table or figure", path.display())))?;
    if matches!(kind, FileKind::Nifti) {
        let title = title.trim_end_matches(".nii").to_string();
        return section_of_volume(path, title);
    }
    let bytes = read(path)?;
    let description = format!("from {}", path.display());
    Ok(match kind {
        FileKind::Csv => {
            let text = String::from_utf8(bytes)
                .map_err(|_| UsageError(format!("{}: not UTF-8 text", path.display())))?;
            let table = Table::from_csv(&text)
                .map_err(|detail| UsageError(format!("{}: {detail}", path.display())))?;
            let csv_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let section = Section {
                title: title.clone(),
                description,
                csv_name,
                ..Section::default()
            };
            match matrix_of(&table, &title) {
                Some(chart) => Section {
                    chart: Some(chart),
                    table: Some(table),
                    ..section
                },
                None => Section {
                    table: Some(table),
                    ..section
                },
            }
        }
        FileKind::Nifti => section_of_volume(path, title)?,
        FileKind::Png | FileKind::Svg => {
            let mime = if matches!(kind, FileKind::Png) {
                "image/png"
            } else {
                "image/svg+xml"
            };
            Section {
                title,
                description,
                image: Some(repscope_plot::report::data_url(mime, &bytes)),
                ..Section::default()
            }
        }
    })
}

/// A table whose first column names the rows and whose other cells are
/// all numbers, as a matrix chart.
fn matrix_of(t: &Table, title: &str) -> Option<Chart> {
    if t.header.len() < 2 || t.rows.is_empty() {
        return None;
    }
    let mut rows = Vec::new();
    let mut values = Vec::new();
    for r in &t.rows {
        let Some(Cell::Text(name)) = r.first() else {
            return None;
        };
        let numbers: Option<Vec<f64>> = r[1..]
            .iter()
            .map(|c| match c {
                Cell::Number(x) => Some(*x),
                Cell::Count(n) => Some(*n as f64),
                Cell::Empty => Some(f64::NAN),
                Cell::Text(_) => None,
            })
            .collect();
        rows.push(name.clone());
        values.push(numbers?);
    }
    Some(Chart::Matrix(MatrixChart {
        title: title.into(),
        subtitle: String::new(),
        rows,
        cols: t.header[1..].to_vec(),
        values,
        value_label: t.header[0].clone(),
        row_axis: String::new(),
        col_axis: String::new(),
        range: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_labelled_numeric_table_is_a_matrix() {
        let t = Table::from_csv("m,a,b\nx,1,2\ny,3,\n").unwrap();
        let Some(Chart::Matrix(m)) = matrix_of(&t, "m") else {
            panic!("not a matrix")
        };
        assert_eq!(m.cols, vec!["a", "b"]);
        assert!(m.values[1][1].is_nan());
        let t = Table::from_csv("m,a\nx,hello\n").unwrap();
        assert!(matrix_of(&t, "m").is_none());
    }
}
