//! `repscope extract MODEL … -o OUT`: activations of an ONNX graph's layers
//! on images, arrays or texts (streamed to disk), or every hidden state of a
//! BERT folder's model per text.

use std::path::Path;

use repscope::data::StoreAs;
use repscope::extract::activations::{CaptureOptions, estimate, extract_to_file};
use repscope::extract::image::{ImagePrep, parse_crop};
use repscope::extract::onnx::OnnxModel;
use repscope::extract::stimuli::{Stimuli, image_paths};
use repscope::extract::{ExtractOptions, Extractor, Pooling};

use crate::UsageError;
use crate::cli::{ExtractArgs, Global};
use crate::progress;

pub fn run(args: &ExtractArgs, g: &Global) -> anyhow::Result<()> {
    if args.batch_size == 0 {
        return Err(UsageError("--batch-size must be at least 1".into()).into());
    }
    if args.model.is_dir() {
        return run_bert_folder(args, g);
    }
    run_onnx(args, g)
}

/// A Hugging Face BERT folder: every hidden state of every text.
fn run_bert_folder(args: &ExtractArgs, g: &Global) -> anyhow::Result<()> {
    let refused = [
        (args.images.is_some(), "--images"),
        (args.arrays.is_some(), "--arrays"),
        (!args.layers.is_empty(), "--layers"),
        (args.list, "--list"),
        (args.tokenizer.is_some(), "--tokenizer"),
    ];
    if let Some((_, flag)) = refused.iter().find(|(given, _)| *given) {
        return Err(UsageError(format!(
            "{flag} is for ONNX graphs; {} is a BERT folder, which takes --texts and gives every hidden state",
            args.model.display()
        ))
        .into());
    }
    let Some(texts_path) = &args.texts else {
        return Err(UsageError("a BERT folder needs --texts FILE".into()).into());
    };
    let texts = read_texts(texts_path)?;
    let output = output_path(args)?;
    if repscope::data::Format::from_path(output).is_none() {
        return Err(UsageError(format!(
            "{}: write the hidden states as .safetensors or .npz",
            output.display()
        ))
        .into());
    }
    let pool = match args.pool.as_slice() {
        [one] if one == "auto" => Pooling::Mean,
        [one] => <Pooling as repscope::choice::Choice>::from_name(one)?,
        _ => return Err(UsageError("a BERT folder takes one --pool (mean or cls)".into()).into()),
    };
    let extractor = Extractor::load(&args.model)?;
    let options = ExtractOptions {
        pooling: pool,
        batch_size: args.batch_size,
    };
    let format = repscope::data::Format::from_path(output);
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
    repscope::save(output, &set, StoreAs::F32)?;
    let units = set.views().first().map(|r| r.x.ncols());
    report(g, output, texts.len(), set.names(), units, None);
    Ok(())
}

fn output_path(args: &ExtractArgs) -> anyhow::Result<&Path> {
    args.output
        .as_deref()
        .ok_or_else(|| UsageError("give the output file (-o FILE)".into()).into())
}

fn report(
    g: &Global,
    output: &Path,
    stimuli: usize,
    names: &[String],
    units: Option<usize>,
    passes: Option<usize>,
) {
    if g.json {
        let doc = serde_json::json!({
            "output": output.display().to_string(),
            "texts": stimuli,
            "stimuli": stimuli,
            "representations": names,
            "units": units,
            "passes": passes,
        });
        println!("{doc}");
    } else {
        eprintln!(
            "wrote {} representations × {stimuli} stimuli to {}",
            names.len(),
            output.display()
        );
    }
}

/// An ONNX graph: the named layers of every stimulus, streamed to disk.
fn run_onnx(args: &ExtractArgs, g: &Global) -> anyhow::Result<()> {
    let model = OnnxModel::load(&args.model)?;
    if args.list {
        return list(&model, g);
    }
    let output = output_path(args)?;
    if repscope::data::Format::from_path(output) != Some(repscope::data::Format::Safetensors) {
        return Err(UsageError(format!(
            "{}: an ONNX extraction streams to a .safetensors file",
            output.display()
        ))
        .into());
    }
    if args.layers.is_empty() {
        return Err(UsageError(format!(
            "name the layers to capture (--layers a,b,…); `repscope extract {} --list` shows them",
            args.model.display()
        ))
        .into());
    }
    let mut stimuli = stimuli(args)?;
    let options = CaptureOptions {
        layers: args.layers.clone(),
        pools: repscope::extract::activations::pools_for(&args.layers, &args.pool)?,
        batch_size: args.batch_size,
        projection_width: args.projection_width,
        seed: args.seed,
        threads: rayon::current_num_threads(),
    };
    let prediction = estimate(&model, &mut stimuli, &options, args.preflight.dry_run)?;
    if super::preflight::gate(prediction, args.preflight, g)? {
        return Ok(());
    }
    let bar = progress::bar(stimuli.len() as u64, "extracting", g.quiet);
    let written = extract_to_file(&model, &mut stimuli, &options, output, &|done, _| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let names: Vec<String> = written.layers.iter().map(|(n, _)| n.clone()).collect();
    report(
        g,
        output,
        written.stimuli,
        &names,
        written.layers.first().map(|l| l.1),
        Some(written.passes),
    );
    Ok(())
}

/// The stimuli the flags name.
fn stimuli(args: &ExtractArgs) -> anyhow::Result<Stimuli> {
    if let Some(source) = &args.images {
        let crop = args.crop.as_deref().map(parse_crop).transpose()?;
        let triple = |v: &Option<Vec<f32>>| v.as_ref().map(|v| [v[0], v[1], v[2]]);
        let prep = ImagePrep::from_preset(
            &args.preset,
            args.resize,
            crop,
            triple(&args.mean),
            triple(&args.std),
            args.bgr,
        )?;
        return Ok(Stimuli::Images {
            paths: image_paths(source)?,
            prep,
        });
    }
    if let Some(path) = &args.arrays {
        return Ok(Stimuli::Arrays(repscope::data::npy::NpyRows::open(path)?));
    }
    if let Some(path) = &args.texts {
        let Some(tokenizer) = &args.tokenizer else {
            return Err(UsageError(
                "texts into an ONNX graph need its --tokenizer tokenizer.json".into(),
            )
            .into());
        };
        return Ok(Stimuli::texts(read_texts(path)?, tokenizer)?);
    }
    Err(
        UsageError("give the stimuli: --images DIR|LIST, --arrays FILE.npy or --texts FILE".into())
            .into(),
    )
}

/// `--list`: the inputs and every capturable tensor.
fn list(model: &OnnxModel, g: &Global) -> anyhow::Result<()> {
    let shapes = model.one_stimulus_shapes();
    let tensors = model.tensors(&shapes)?;
    if g.json {
        let doc = serde_json::json!({
            "inputs": model.inputs().iter().map(|i| serde_json::json!({
                "name": i.name, "shape": i.shape, "dtype": i.dtype})).collect::<Vec<_>>(),
            "tensors": tensors.iter().map(|t| serde_json::json!({
                "name": t.name, "node": t.node, "op": t.op, "shape": t.shape, "module": t.module})).collect::<Vec<_>>(),
        });
        println!("{doc}");
        return Ok(());
    }
    for i in model.inputs() {
        let dims: Vec<String> = i
            .shape
            .iter()
            .map(|d| d.map_or("?".into(), |d| d.to_string()))
            .collect();
        println!("input\t{}\t[{}]\t{}", i.name, dims.join(", "), i.dtype);
    }
    println!("tensor\top\tshape (batch 1)\tmodule");
    for t in &tensors {
        let shape = t.shape.as_ref().map_or("?".into(), |s| format!("{s:?}"));
        println!(
            "{}\t{}\t{}\t{}",
            t.name,
            t.op,
            shape,
            t.module.as_deref().unwrap_or("-")
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
