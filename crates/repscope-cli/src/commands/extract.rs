//! `repscope extract MODEL_DIR --texts FILE -o OUT`: hidden states per text.

use std::path::Path;

use repscope::data::StoreAs;
use repscope::extract::{ExtractOptions, Extractor};

use crate::UsageError;
use crate::cli::{ExtractArgs, Global};
use crate::progress;

pub fn run(args: &ExtractArgs, g: &Global) -> anyhow::Result<()> {
    let texts = read_texts(&args.texts)?;
    if args.batch_size == 0 {
        return Err(UsageError("--batch-size must be at least 1".into()).into());
    }
    if repscope::data::Format::from_path(&args.output).is_none() {
        return Err(UsageError(format!(
            "{}: write the hidden states as .safetensors or .npz",
            args.output.display()
        ))
        .into());
    }
    let extractor = Extractor::load(&args.model_dir)?;
    let options = ExtractOptions {
        pooling: args.pool,
        batch_size: args.batch_size,
    };
    let format = repscope::data::Format::from_path(&args.output);
    let prediction = extractor.estimate(
        &texts,
        &options,
        format.unwrap_or(repscope::data::Format::Npz),
        args.preflight.dry_run,
    )?;
    if super::preflight::gate(prediction, args.preflight, g)? {
        return Ok(());
    }
    let bar = progress::bar(texts.len() as u64, "encoding texts", g.quiet);
    let set = extractor.extract(&texts, &options, &|done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    repscope::save(&args.output, &set, StoreAs::F32)?;
    if g.json {
        let doc = serde_json::json!({
            "output": args.output.display().to_string(),
            "texts": texts.len(),
            "representations": set.names(),
            "units": set.views().first().map(|r| r.x.ncols()),
        });
        println!("{doc}");
    } else {
        eprintln!(
            "wrote {} hidden states × {} texts to {}",
            set.len(),
            texts.len(),
            args.output.display()
        );
    }
    Ok(())
}

/// Texts, one per line; from a `.tsv`, the `sentence` or `text` column
/// (the first line is the header). An empty line is an error, not skipped:
/// every line is one stimulus, and a silently dropped one would shift every
/// row after it against the user's labels. Blank lines at the end are fine.
fn read_texts(path: &Path) -> anyhow::Result<Vec<String>> {
    let content = std::fs::read_to_string(path).map_err(|e| repscope::Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut all: Vec<&str> = content.lines().map(|l| l.trim_end_matches('\r')).collect();
    while all.last().is_some_and(|l| l.trim().is_empty()) {
        all.pop();
    }
    if let Some(i) = all.iter().position(|l| l.trim().is_empty()) {
        return Err(UsageError(format!(
            "{}: line {} is empty; every line is one stimulus, so remove the line or put its text there",
            path.display(),
            i + 1
        ))
        .into());
    }
    let mut lines = all.into_iter();
    let is_tsv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tsv"));
    let texts: Vec<String> = if is_tsv {
        let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
        let column = header
            .iter()
            .position(|h| *h == "sentence" || *h == "text")
            .ok_or_else(|| {
                UsageError(format!(
                    "{}: the header has no 'sentence' or 'text' column (found: {})",
                    path.display(),
                    header.join(", ")
                ))
            })?;
        lines
            .enumerate()
            .map(|(i, l)| {
                l.split('\t')
                    .nth(column)
                    .map(str::to_string)
                    .ok_or_else(|| {
                        UsageError(format!(
                            "{}: line {} has no column {}",
                            path.display(),
                            i + 2,
                            column + 1
                        ))
                    })
            })
            .collect::<Result<_, _>>()?
    } else {
        lines.map(str::to_string).collect()
    };
    if texts.is_empty() {
        return Err(UsageError(format!("{}: no texts found", path.display())).into());
    }
    Ok(texts)
}
