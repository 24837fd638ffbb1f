//! `repscope info PATH`: what a file or folder holds.
//!
//! A `.safetensors` or HDF5 file is summarised block by block of rows
//! (memory stays at one block, whatever the file's size); other files and
//! folders are loaded.

use std::path::Path;

use repscope::data::source::{Summary, open_source, summarize, summarize_matrix};

use crate::cli::Global;

/// The summaries of every representation, the number of stimuli and
/// whether the stimuli are labelled.
type Contents = (Vec<(String, Summary)>, Option<usize>, bool);

/// Streams the representations of a single file, when its format allows
/// and its representations agree on the number of stimuli (otherwise
/// `load` reports the disagreement).
fn streamed(path: &Path) -> Option<repscope::Result<Contents>> {
    if path.is_dir() {
        return None;
    }
    let source = open_source(path).ok()?;
    let shapes: Vec<(usize, usize)> = (0..source.len())
        .map(|i| source.shape(i))
        .collect::<repscope::Result<_>>()
        .ok()?;
    let n = shapes.first().map(|s| s.0);
    if shapes
        .iter()
        .any(|s| Some(s.0) != n || s.0 == 0 || s.1 == 0)
    {
        return None;
    }
    let rows = (0..source.len())
        .map(|i| Ok((source.name(i).to_string(), summarize(source.as_ref(), i)?)))
        .collect::<repscope::Result<Vec<_>>>();
    Some(rows.map(|rows| (rows, n, source.stimuli().is_some())))
}

fn loaded(path: &Path) -> repscope::Result<Contents> {
    let set = repscope::load(path)?;
    let rows = set
        .views()
        .iter()
        .map(|r| (r.name.to_string(), summarize_matrix(r.x)))
        .collect();
    Ok((rows, set.n_stimuli(), set.stimuli().is_some()))
}

pub fn run(path: &Path, g: &Global) -> anyhow::Result<()> {
    let (rows, n_stimuli, labelled) = streamed(path).unwrap_or_else(|| loaded(path))?;
    if g.json {
        let reps: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, s)| {
                serde_json::json!({
                    "name": name, "stimuli": s.stimuli, "units": s.units,
                    "min": s.min, "max": s.max, "mean": s.mean, "non_finite": s.non_finite,
                })
            })
            .collect();
        let doc = serde_json::json!({
            "path": path.display().to_string(),
            "stimuli": n_stimuli,
            "stimulus_labels": labelled,
            "representations": reps,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "{}: {} representation(s) over {} stimuli{}",
        path.display(),
        rows.len(),
        n_stimuli.unwrap_or(0),
        if labelled {
            " (with stimulus labels)"
        } else {
            ""
        }
    );
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(4).max(4);
    println!(
        "{:width$}  {:>8}  {:>7}  {:>11}  {:>11}  {:>11}  {:>10}",
        "name", "stimuli", "units", "min", "max", "mean", "non-finite"
    );
    for (name, s) in &rows {
        println!(
            "{:width$}  {:>8}  {:>7}  {:>11.4e}  {:>11.4e}  {:>11.4e}  {:>10}",
            name, s.stimuli, s.units, s.min, s.max, s.mean, s.non_finite,
        );
    }
    Ok(())
}
