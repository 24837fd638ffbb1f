//! `repscope rdm --time`: an RDM per time point (or window) of a
//! measurements × channels × time array, compared with model RDMs over
//! time (a time course per model, drawn with `--plot`).

use std::path::Path;

use faer::Mat;
use repscope::data::labels::labels_to_codes;
use repscope::data::npy::{NpyArray, decode_npy};
use repscope::rsa::RdmSpec;
use repscope::rsa::files::{RdmSet, load_rdms, save_rdms};

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
                let x: Vec<f64> = starts.iter().map(|&s| s as f64).collect();
                let ys: Vec<Vec<f64>> = (0..values.nrows())
                    .map(|m| values.row(m).iter().copied().collect())
                    .collect();
                let series: Vec<repscope_plot::Series<'_>> = models
                    .names
                    .iter()
                    .zip(&ys)
                    .map(|(name, y)| repscope_plot::Series {
                        name,
                        x: &x,
                        y,
                        band: None,
                    })
                    .collect();
                repscope_plot::lines(
                    plot,
                    &repscope_plot::Lines {
                        series: &series,
                        title: &format!("model RDMs over time ({} RDMs)", method.name()),
                        x_label: "time point (window start)",
                        y_label: compare.name(),
                        ..Default::default()
                    },
                )?;
            }
            Some((models.names, values))
        }
        None => None,
    };
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
