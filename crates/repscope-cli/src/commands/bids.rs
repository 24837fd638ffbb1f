//! `repscope bids ROOT --subject S --task T -o betas.nii.gz`: the beta
//! series of every run, concatenated, with a condition and a run label
//! per volume, written for `repscope searchlight`.

use std::io::Write;
use std::path::Path;

use repscope::bids::{BidsQuery, load_betas};
use repscope::data::atomic::write_atomically;
use repscope::data::nifti::write_nifti;

use crate::UsageError;
use crate::cli::{BidsArgs, Global};

fn write_lines(path: &Path, lines: &[String]) -> anyhow::Result<()> {
    write_atomically(path, |w| {
        for l in lines {
            writeln!(w, "{l}")?;
        }
        Ok(())
    })?;
    Ok(())
}

pub fn run(args: &BidsArgs, g: &Global) -> anyhow::Result<()> {
    let query = BidsQuery {
        space: args.space.clone(),
        desc: args.desc.clone(),
        session: args.session.clone(),
        suffix: args.suffix.clone(),
        raw: args.raw.clone(),
        condition_column: args.condition_column.clone(),
        ..BidsQuery::new(&args.root, &args.subject, &args.task)
    };
    let conditions = args
        .output
        .with_extension("")
        .with_extension("conditions.txt");
    let runs = args.output.with_extension("").with_extension("runs.txt");
    let conditions = args.conditions_out.clone().unwrap_or(conditions);
    let runs = args.folds_out.clone().unwrap_or(runs);
    // The three outputs go together: a missing folder is found before any
    // of them is written, so a failure leaves none behind.
    for path in [&args.output, &conditions, &runs] {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        if folder.is_some_and(|f| !f.is_dir()) {
            return Err(UsageError(format!(
                "cannot write {}: its folder does not exist",
                path.display()
            ))
            .into());
        }
    }
    let betas = load_betas(&query)?;
    write_lines(&conditions, &betas.conditions)?;
    write_lines(&runs, &betas.runs)?;
    write_nifti(&args.output, &betas.volume)?;
    if g.json {
        let doc = serde_json::json!({
            "volume": args.output.display().to_string(),
            "shape": betas.volume.shape,
            "conditions": conditions.display().to_string(),
            "runs": runs.display().to_string(),
            "files": betas.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
            "events": betas.events.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!(
            "{} runs, {} volumes of {:?} voxels -> {} (conditions: {}, runs: {})",
            betas.files.len(),
            betas.conditions.len(),
            &betas.volume.shape[..3],
            args.output.display(),
            conditions.display(),
            runs.display()
        );
    }
    Ok(())
}
