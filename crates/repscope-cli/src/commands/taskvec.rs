//! `repscope taskvec BASE FT...`: task vector norms and cosines, and their
//! composition into a new checkpoint.

use std::io::Write;
use std::path::Path;

use repscope::data::atomic::write_atomically;
use repscope::taskvec::{Coefficients, TaskVectors, compose, task_vectors};

use crate::UsageError;
use crate::cli::{Global, TaskvecArgs};
use crate::output::{csv_field, matrix_json, matrix_table};

pub fn run(args: &TaskvecArgs, g: &Global) -> anyhow::Result<()> {
    let coefficients = coefficients(args)?;
    match (&coefficients, &args.output) {
        (Some(_), None) => {
            return Err(UsageError(
                "--coef/--coef-file give the coefficients of a composition; add \
                 -o composed.safetensors to write it"
                    .into(),
            )
            .into());
        }
        (None, Some(_)) => {
            return Err(UsageError(
                "-o writes a composed checkpoint: give its coefficients with --coef L1,L2,... \
                 (one per task) or --coef-file blocks.csv"
                    .into(),
            )
            .into());
        }
        _ => {}
    }
    // An -o naming an input checkpoint is refused for every command before
    // it runs (lib.rs, `output_is_not_an_input`).
    let report = task_vectors(&args.base, &args.finetuned, args.names.as_deref())?;
    if let (Some(c), Some(out)) = (&coefficients, &args.output) {
        compose(&args.base, &args.finetuned, c, out)?;
    }
    present(&report, args, g)?;
    if let Some(path) = &args.table {
        write_block_table(path, &report)?;
    }
    if let Some(path) = &args.plot {
        repscope_plot::heatmap(
            path,
            &repscope_plot::Heatmap {
                values: report.cosines.as_ref(),
                row_labels: &report.tasks,
                col_labels: &report.tasks,
                title: "task vector cosine similarity",
                row_axis: "task",
                col_axis: "task",
                value_label: "cosine",
                range: Some((-1.0, 1.0)),
                subtitle: "",
            },
        )?;
    }
    Ok(())
}

/// The coefficients of `--coef` and `--coef-file`, if any.
fn coefficients(args: &TaskvecArgs) -> anyhow::Result<Option<Coefficients>> {
    let n_tasks = args.finetuned.len();
    let default_per_task = match &args.coef {
        Some(text) => {
            let values = numbers(text).map_err(|bad| {
                UsageError(format!(
                    "--coef '{text}': '{bad}' is not a number; give one coefficient per task, \
                     comma-separated (e.g. --coef 0.5,0.3), or one for all tasks"
                ))
            })?;
            // One value scales every task alike.
            Some(match values[..] {
                [one] => vec![one; n_tasks],
                _ => values,
            })
        }
        None => None,
    };
    let per_block = match &args.coef_file {
        Some(path) => read_coefficient_file(path)?,
        None => Vec::new(),
    };
    if default_per_task.is_none() && args.coef_file.is_none() {
        return Ok(None);
    }
    Ok(Some(Coefficients {
        default_per_task,
        per_block,
    }))
}

/// Comma-separated numbers; the offending field on error.
fn numbers(text: &str) -> Result<Vec<f64>, String> {
    text.split(',')
        .map(|f| f.trim().parse::<f64>().map_err(|_| f.trim().to_string()))
        .collect()
}

/// The rows of a coefficient file (see [`Coefficients::parse_table`]).
fn read_coefficient_file(path: &Path) -> anyhow::Result<Vec<(String, Vec<f64>)>> {
    let text = std::fs::read_to_string(path).map_err(|e| repscope::Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    Coefficients::parse_table(&text)
        .map_err(|detail| UsageError(format!("{}: {detail}", path.display())).into())
}

fn present(r: &TaskVectors, args: &TaskvecArgs, g: &Global) -> anyhow::Result<()> {
    if g.json {
        let blocks: Vec<serde_json::Value> = r
            .blocks
            .iter()
            .enumerate()
            .map(|(b, block)| {
                let row = |m: &faer::Mat<f64>| (0..r.tasks.len()).map(|t| m[(b, t)]).collect::<Vec<_>>();
                serde_json::json!({
                    "name": block.name,
                    "shape": block.shape,
                    "dtype": block.dtype,
                    "numel": block.numel,
                    "base_norm": r.base_norms[b],
                    "norms": row(&r.norms),
                    "relative_norms": row(&r.relative_norms),
                    "cosines": matrix_json(r.block_cosines[b].as_ref(), &r.tasks, &r.tasks)["values"],
                })
            })
            .collect();
        let doc = serde_json::json!({
            "base": args.base,
            "tasks": r.tasks,
            "task_norms": r.task_norms,
            "task_relative_norms": r.task_relative_norms,
            "base_norm": r.base_norm,
            "cosines": matrix_json(r.cosines.as_ref(), &r.tasks, &r.tasks),
            "blocks": blocks,
            "copied": r.copied,
            "output": args.output,
        });
        println!("{}", serde_json::to_string(&doc)?);
        return Ok(());
    }
    let parameters: usize = r.blocks.iter().map(|b| b.numel).sum();
    let mut head = format!(
        "task vectors against {}: {} tasks, {} blocks ({parameters} parameters)",
        args.base.display(),
        r.tasks.len(),
        r.blocks.len()
    );
    if !r.copied.is_empty() {
        head.push_str(&format!(
            "; {} non-float tensor(s) equal everywhere, copied",
            r.copied.len()
        ));
    }
    println!("{head}");
    let width = r.tasks.iter().map(String::len).max().unwrap_or(0).max(4);
    println!("{:width$}  {:>11}  {:>13}", "task", "norm", "relative_norm");
    for (t, name) in r.tasks.iter().enumerate() {
        println!(
            "{name:width$}  {:>11.4e}  {:>13.4e}",
            r.task_norms[t], r.task_relative_norms[t]
        );
    }
    println!("\ncosine similarity");
    print!("{}", matrix_table(r.cosines.as_ref(), &r.tasks, &r.tasks));
    if let Some(out) = &args.output {
        println!("\ncomposed checkpoint: {}", out.display());
    }
    Ok(())
}

/// One row per block and task: block, task, numel, norm, relative_norm,
/// then cos_<task> for every task.
fn write_block_table(path: &Path, r: &TaskVectors) -> repscope::Result<()> {
    write_atomically(path, |w| {
        let mut header = vec!["block", "task", "numel", "norm", "relative_norm"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        header.extend(r.tasks.iter().map(|t| csv_field(&format!("cos_{t}"))));
        writeln!(w, "{}", header.join(","))?;
        for (b, block) in r.blocks.iter().enumerate() {
            for (t, task) in r.tasks.iter().enumerate() {
                let mut line = format!(
                    "{},{},{},{},{}",
                    csv_field(&block.name),
                    csv_field(task),
                    block.numel,
                    r.norms[(b, t)],
                    r.relative_norms[(b, t)]
                );
                for u in 0..r.tasks.len() {
                    line.push_str(&format!(",{}", r.block_cosines[b][(t, u)]));
                }
                writeln!(w, "{line}")?;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficient_files_take_commas_tabs_comments_and_a_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blocks.tsv");
        std::fs::write(
            &path,
            "block\tmath\tcode\n# attention only\nenc.q.weight\t0.5\t-1e-1\n\nenc.q.bias,1,2 # note\n",
        )
        .unwrap();
        let rows = read_coefficient_file(&path).unwrap();
        assert_eq!(
            rows,
            [
                ("enc.q.weight".to_string(), vec![0.5, -0.1]),
                ("enc.q.bias".to_string(), vec![1.0, 2.0])
            ]
        );
        std::fs::write(&path, "w,0.5,x\n").unwrap();
        let e = read_coefficient_file(&path).unwrap_err().to_string();
        assert!(
            e.ends_with("blocks.tsv: line 1: 'x' is not a number"),
            "{e}"
        );
        assert_eq!(numbers("0.5, -2").unwrap(), [0.5, -2.0]);
        assert_eq!(numbers("0.5,,1").unwrap_err(), "");
    }
}
