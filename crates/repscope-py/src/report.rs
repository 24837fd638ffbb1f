//! Bindings of `repscope_plot::report` and the charts of results: the
//! Python package describes a report or a chart as JSON (the serde form of
//! `Report`, `Section` and `Chart`), and these draw and write it, so a
//! notebook, `rs.report` and the CLI show the same figures.

use std::path::PathBuf;

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;

use crate::errors::enter_core;
use repscope::probe::depth::ConceptDepth;
use repscope_plot::Chart;
use repscope_plot::brain::{VolumeMap, volume_peaks, volume_slices};
use repscope_plot::report::{Report, Section};
use repscope_plot::results::{DepthCurve, probe_depth};

fn parsed<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> repscope::Result<T> {
    serde_json::from_str(json).map_err(|e| repscope::Error::Invalid {
        what: what.into(),
        detail: format!("not a valid {what} description: {e}"),
    })
}

/// Writes the HTML report described by ``report_json`` to ``path``.
#[pyfunction]
fn write_report(py: Python<'_>, report_json: &str, path: PathBuf) -> PyResult<()> {
    enter_core(py, || parsed::<Report>("report", report_json)?.write(&path))
}

/// One section as an HTML fragment with static SVG figures (a notebook's
/// ``_repr_html_``).
#[pyfunction]
fn section_html(py: Python<'_>, section_json: &str) -> PyResult<String> {
    enter_core(py, || {
        repscope_plot::report::fragment(&parsed::<Section>("report section", section_json)?)
    })
}

/// Draws the chart described by ``chart_json`` to ``path`` (``.png``/``.svg``).
#[pyfunction]
fn write_chart(py: Python<'_>, chart_json: &str, path: PathBuf) -> PyResult<()> {
    enter_core(py, || parsed::<Chart>("chart", chart_json)?.write(&path))
}

/// The table behind a chart, as CSV text.
#[pyfunction]
fn chart_csv(py: Python<'_>, chart_json: &str) -> PyResult<String> {
    enter_core(py, || {
        Ok(parsed::<Chart>("chart", chart_json)?.table().csv())
    })
}

/// The machine in a line and the time now (UTC), for a report's provenance.
#[pyfunction]
fn report_environment() -> (String, String) {
    (
        repscope_plot::report::machine(),
        repscope_plot::report::now_utc(),
    )
}

/// Path, size and SHA-256 of an input file or folder (as the CLI's
/// reports record them).
#[pyfunction]
fn report_input(py: Python<'_>, path: PathBuf) -> PyResult<(String, u64, String)> {
    let f = enter_core(py, || repscope_plot::report::InputFile::of_path(&path))?;
    Ok((f.path, f.bytes, f.sha256))
}

/// The concept-depth chart of a probe, as JSON.
#[pyfunction]
#[pyo3(signature = (layers, fold_accuracy, accuracy, control, chance, n_classes, n_stimuli, depth))]
#[allow(clippy::too_many_arguments)]
fn probe_depth_chart(
    layers: Vec<String>,
    fold_accuracy: Vec<Vec<f64>>,
    accuracy: Vec<f64>,
    control: Option<Vec<f64>>,
    chance: f64,
    n_classes: usize,
    n_stimuli: usize,
    depth: &crate::probe::PyConceptDepth,
) -> String {
    let depth: &ConceptDepth = &depth.0;
    let chart = probe_depth(
        &DepthCurve {
            layers: &layers,
            fold_accuracy: &fold_accuracy,
            accuracy: &accuracy,
            control: control.as_deref(),
            chance,
            n_classes,
            n_stimuli,
        },
        depth,
    );
    serde_json::to_string(&chart).unwrap_or_default()
}

/// The report section of a brain map (a value per voxel, C order, NaN
/// outside the mask): slices through its peak and its 10 largest values,
/// as JSON.
#[pyfunction]
#[pyo3(signature = (title, values, shape, affine, value_label))]
fn volume_map_section<'py>(
    py: Python<'py>,
    title: &str,
    values: PyReadonlyArray1<'py, f64>,
    shape: [usize; 3],
    affine: [[f64; 4]; 4],
    value_label: &str,
) -> PyResult<String> {
    let flat = values.as_slice()?;
    enter_core(py, || {
        let [_, ny, nz] = shape;
        if flat.len() != shape.iter().product::<usize>() {
            return Err(repscope::Error::Invalid {
                what: "brain map".into(),
                detail: format!("{} values for a {shape:?} grid", flat.len()),
            });
        }
        let (mut voxels, mut kept) = (Vec::new(), Vec::new());
        for (at, &v) in flat.iter().enumerate() {
            if v.is_finite() {
                voxels.push([at / (ny * nz), (at / nz) % ny, at % nz]);
                kept.push(v);
            }
        }
        let map = VolumeMap {
            title,
            value_label,
            values: &kept,
            voxels: &voxels,
            shape,
            affine,
        };
        let chart = volume_slices(&map).ok_or_else(|| repscope::Error::Invalid {
            what: "brain map".into(),
            detail: format!("'{title}' has no finite value to show"),
        })?;
        let section = Section::of_chart(
            title,
            "Slices through the map's peak (voxel axes i, j, k; up is the larger index); \
             the table lists its 10 largest values.",
            chart,
        )
        .with_table(volume_peaks(&map, 10));
        serde_json::to_string(&section).map_err(|e| repscope::Error::Internal {
            detail: format!("describing the map's section: {e}"),
        })
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(volume_map_section, m)?)?;
    m.add_function(wrap_pyfunction!(write_report, m)?)?;
    m.add_function(wrap_pyfunction!(section_html, m)?)?;
    m.add_function(wrap_pyfunction!(write_chart, m)?)?;
    m.add_function(wrap_pyfunction!(chart_csv, m)?)?;
    m.add_function(wrap_pyfunction!(report_environment, m)?)?;
    m.add_function(wrap_pyfunction!(report_input, m)?)?;
    m.add_function(wrap_pyfunction!(probe_depth_chart, m)?)?;
    Ok(())
}

/// A section of one chart as a notebook fragment.
pub fn chart_html(py: Python<'_>, title: &str, chart: Chart) -> PyResult<String> {
    let section = Section::of_chart(title, "", chart);
    enter_core(py, || repscope_plot::report::fragment(&section))
}
