//! `repscope rdm --time`: an RDM per time point (or window) of a
//! measurements × channels × time array, compared with model RDMs over
//! time (a time course per model, drawn with `--plot`).

use std::path::Path;

use faer::Mat;
use repscope::data::labels::labels_to_codes;
use repscope::data::npy::{NpyArray, decode_npy};
use repscope::rsa::files::{RdmSet, load_rdms, save_rdms};
use repscope::rsa::{RdmMethod, RdmSpec};
use repscope_plot::Chart;
use repscope_plot::chart::{Curve, CurveChart};
use repscope_plot::report::Section;

use super::rsa::row_labels;
use crate::UsageError;
use crate::cli::{Global, RdmArgs};
use crate::output::write_matrix_csv;

/// The 3-D array of a `.npy` file as (C-order values, shape).
fn read_3d(path: &Path) -> anyhow::Result<(Vec<f64>, [usize; 3])> {
    let bytes = std::fs::read(path).map_err(|e| repscope::Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let name = repscope::data::npy::array_name_from_path(path);
    match decode_npy(&bytes, path, &name)? {
        NpyArray::Numeric(a) if a.ndim() == 3 => {
            let s = a.shape();
            let shape = [s[0], s[1], s[2]];
            Ok((a.iter().copied().collect(), shape))
        }
        NpyArray::Numeric(a) => Err(UsageError(format!(
            "{}: --time needs a 3-D array (measurements × channels × time), this one has shape {:?}",
            path.display(),
            a.shape()
        ))
        .into()),
        NpyArray::Text(_) => Err(UsageError(format!("{}: holds text, not numbers", path.display())).into()),
    }
}

pub fn run(args: &RdmArgs, g: &Global) -> anyhow::Result<()> {
    let method = args.method;
    let (data, shape) = read_3d(&args.path)?;
    let rows = shape[0];
    let conditions = row_labels(args.conditions.as_deref(), rows, "condition")?;
    let folds = row_labels(args.folds.as_deref(), rows, "fold")?;
    let (names, codes) = match &conditions {
        Some(c) => {
            let (n, k) = labels_to_codes(c);
            (Some(n), Some(k))
        }
        None => (None, None),
    };
    let fold_codes = folds.as_ref().map(|f| labels_to_codes(f).1);
    let noise = match &args.noise {
        Some(p) => Some(repscope::data::npy::read_npy_file(p)?),
        None => None,
    };
    let spec = RdmSpec {
        precision: noise.as_ref().map(Mat::as_ref),
        conditions: codes.as_deref(),
        folds: fold_codes.as_deref(),
        ..RdmSpec::new(method)
    };
    let movie = repscope::rsa::movie::rdm_movie(&data, shape, &spec, args.window, args.step)?;
    let starts: Vec<usize> = (0..movie.nrows()).map(|w| w * args.step).collect();
    let frame_names: Vec<String> = starts.iter().map(|s| format!("t{s:05}")).collect();
    let frames: Vec<Vec<f64>> = (0..movie.nrows())
        .map(|w| movie.row(w).iter().copied().collect())
        .collect();
    if let Some(path) = &args.output {
        save_rdms(
            path,
            &RdmSet {
                names: frame_names.clone(),
                rdms: frames.clone(),
                conditions: names,
                ..RdmSet::default()
            },
        )?;
    }
    let views: Vec<&[f64]> = frames.iter().map(Vec::as_slice).collect();
    let course = match &args.models {
        Some(path) => {
            let models = load_rdms(path)?;
            let compare = args.compare;
            let values = repscope::rsa::compare(&models.views(), &views, compare, None)?;
            if let Some(csv) = &args.table {
                write_matrix_csv(
                    csv,
                    compare.name(),
                    values.as_ref(),
                    &models.names,
                    &frame_names,
                )?;
            }
            if let Some(plot) = &args.plot {
                course_chart(
                    "model RDMs over time",
                    compare.name(),
                    &starts,
                    &models.names,
                    &values,
                    method,
                )
                .write(plot)?;
            }
            Some((models.names, values))
        }
        None => None,
    };
    if let Some(path) = &args.report.report {
        let mut recorder = super::report::Recorder::new();
        recorder.inputs(
            [&args.conditions, &args.folds, &args.noise, &args.models]
                .into_iter()
                .flatten()
                .chain([&args.path]),
        )?;
        recorder.parameter("method", method.name());
        recorder.parameter("window", args.window);
        recorder.parameter("step", args.step);
        let section = match &course {
            Some((names, values)) => {
                recorder.parameter("compare", args.compare.name());
                Section::of_chart(
                    "Model RDMs over time",
                    format!(
                        "An RDM per time window ({} samples, every {}), compared with each model RDM.",
                        args.window, args.step
                    ),
                    course_chart(
                        "model RDMs over time",
                        args.compare.name(),
                        &starts,
                        names,
                        values,
                        method,
                    ),
                )
            }
            None => {
                let mean = Mat::from_fn(1, movie.nrows(), |_, w| {
                    let row = movie.row(w);
                    row.iter().sum::<f64>() / row.ncols() as f64
                });
                Section::of_chart(
                    "Mean dissimilarity over time",
                    format!(
                        "An RDM per time window ({} samples, every {}); the curve is the mean of \
                         its dissimilarities.",
                        args.window, args.step
                    ),
                    course_chart(
                        "mean dissimilarity over time",
                        "mean dissimilarity",
                        &starts,
                        &["mean dissimilarity".to_string()],
                        &mean,
                        method,
                    ),
                )
            }
        };
        recorder.add(section.csv("time_course.csv"));
        recorder.write(path, "repscope rdm --time", g)?;
    }
    if g.json {
        let mut doc = serde_json::json!({
            "method": method.name(),
            "windows": movie.nrows(),
            "window": args.window,
            "step": args.step,
            "pairs": movie.ncols(),
        });
        if let Some((names, values)) = &course {
            doc["models"] = serde_json::json!(
                names
                    .iter()
                    .enumerate()
                    .map(|(m, n)| serde_json::json!({
                        "name": n,
                        "values": values.row(m).iter().copied().collect::<Vec<f64>>()
                    }))
                    .collect::<Vec<_>>()
            );
        }
        println!("{doc}");
    } else {
        println!(
            "{} RDMs over time ({}; window {}, step {}), {} pairs each",
            movie.nrows(),
            method.name(),
            args.window,
            args.step,
            movie.ncols()
        );
        if let Some((names, values)) = &course {
            for (m, n) in names.iter().enumerate() {
                let row: Vec<f64> = values.row(m).iter().copied().collect();
                let (best, peak) =
                    row.iter()
                        .enumerate()
                        .fold(
                            (0, f64::NEG_INFINITY),
                            |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc },
                        );
                println!("  {n}: peak {peak:.4} at t = {}", starts[best]);
            }
        }
    }
    Ok(())
}

/// One curve per row of `values` (a model, or the mean) over the windows'
/// start times.
fn course_chart(
    title: &str,
    y_label: &str,
    starts: &[usize],
    names: &[String],
    values: &Mat<f64>,
    method: RdmMethod,
) -> Chart {
    Chart::Curves(CurveChart {
        title: format!("{title} ({} RDMs)", method.name()),
        subtitle: format!("{} windows", starts.len()),
        x_label: "time point (window start)".into(),
        y_label: y_label.into(),
        x: starts.iter().map(|&s| s as f64).collect(),
        x_names: None,
        log_x: false,
        series: names
            .iter()
            .enumerate()
            .map(|(m, name)| Curve {
                name: name.clone(),
                y: values.row(m).iter().copied().collect(),
                low: None,
                high: None,
            })
            .collect(),
        reference: None,
    })
}
