//! `repscope info PATH`: what a file or folder holds.

use std::path::Path;

use crate::cli::Global;

pub fn run(path: &Path, g: &Global) -> anyhow::Result<()> {
    let set = repscope::load(path)?;
    let rows: Vec<serde_json::Value> = set
        .views()
        .iter()
        .map(|r| {
            let values =
                r.x.col_iter()
                    .flat_map(|c| c.iter().copied().collect::<Vec<_>>());
            let (mut min, mut max, mut sum, mut finite, mut non_finite) =
                (f64::INFINITY, f64::NEG_INFINITY, 0.0, 0usize, 0usize);
            for v in values {
                if v.is_finite() {
                    min = min.min(v);
                    max = max.max(v);
                    sum += v;
                    finite += 1;
                } else {
                    non_finite += 1;
                }
            }
            let mean = if finite > 0 {
                sum / finite as f64
            } else {
                f64::NAN
            };
            serde_json::json!({
                "name": r.name, "stimuli": r.x.nrows(), "units": r.x.ncols(),
                "min": min, "max": max, "mean": mean, "non_finite": non_finite,
            })
        })
        .collect();
    if g.json {
        let doc = serde_json::json!({
            "path": path.display().to_string(),
            "stimuli": set.n_stimuli(),
            "stimulus_labels": set.stimuli().is_some(),
            "representations": rows,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!(
        "{}: {} representation(s) over {} stimuli{}",
        path.display(),
        set.len(),
        set.n_stimuli().unwrap_or(0),
        if set.stimuli().is_some() {
            " (with stimulus labels)"
        } else {
            ""
        }
    );
    let width = set
        .names()
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:width$}  {:>8}  {:>7}  {:>11}  {:>11}  {:>11}  {:>10}",
        "name", "stimuli", "units", "min", "max", "mean", "non-finite"
    );
    for r in &rows {
        println!(
            "{:width$}  {:>8}  {:>7}  {:>11.4e}  {:>11.4e}  {:>11.4e}  {:>10}",
            r["name"].as_str().unwrap_or(""),
            r["stimuli"].as_u64().unwrap_or(0),
            r["units"].as_u64().unwrap_or(0),
            r["min"].as_f64().unwrap_or(f64::NAN),
            r["max"].as_f64().unwrap_or(f64::NAN),
            r["mean"].as_f64().unwrap_or(f64::NAN),
            r["non_finite"].as_u64().unwrap_or(0),
        );
    }
    Ok(())
}
