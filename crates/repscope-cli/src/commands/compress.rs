//! `repscope compress EMB`: how small can embeddings get, and what does it
//! cost in retrieval quality? Quantised codes, and the dims × precision
//! table of quality, memory per vector and search time.

use std::path::Path;

use faer::Mat;
use repscope::compress::evaluate::{
    EvalOptions, Funnel, Precision, Row, evaluate_compression, parse_dim,
};
use repscope::compress::metrics::relevant_by_label;
use repscope::compress::scalar::{Precision8, Ranges, quantize8};
use repscope::data::labels::{check_label_count, labels_to_codes, read_labels};

use super::pick;
use crate::UsageError;
use crate::cli::{CompressArgs, Global};
use crate::output::{Cell, Table};

pub fn run(args: &CompressArgs, g: &Global) -> anyhow::Result<()> {
    if args.report.report.is_some() && args.eval.is_none() {
        return Err(UsageError(
            "a compression report shows retrieval quality: give --eval LABELS with --report".into(),
        )
        .into());
    }
    let set = repscope::load(&args.path)?;
    let (name, x) = pick(&set, args.layer.as_deref(), "EMB", "--layer")?;
    let precisions = args.precision.clone();
    if args.codes.is_some() {
        write_codes(args, x.as_ref(), &precisions, g)?;
    }
    let Some(labels_path) = &args.eval else {
        if args.codes.is_none() {
            return Err(UsageError(
                "nothing to do: give --eval LABELS to measure retrieval, or --codes OUT.npy to quantise".into(),
            )
            .into());
        }
        return Ok(());
    };
    let labels = read_labels(labels_path)?;
    check_label_count(
        &format!(
            "labels in {} (one per item of '{name}')",
            labels_path.display()
        ),
        labels.len(),
        x.nrows(),
    )?;
    let dims = args
        .dims
        .iter()
        .map(|d| parse_dim(d).map(|d| d.min(x.ncols())))
        .collect::<repscope::Result<Vec<_>>>()?;
    let (_, codes) = labels_to_codes(&labels);
    let own: Vec<usize> = (0..x.nrows()).collect();
    let relevant = relevant_by_label(&codes, &codes, Some(&own));
    let options = EvalOptions {
        dims,
        precisions,
        ks: args.k.clone(),
        metric: args.metric,
        ap: args.map,
        funnel: args.funnel.as_deref().map(Funnel::parse).transpose()?,
    };
    let rows = evaluate_compression(x, x, &relevant, Some(&own), &options)?;
    present(&rows, &options, g)?;
    if let Some(path) = &args.output {
        table(&rows, &options.ks).write_csv(path)?;
    }
    if let Some(path) = &args.plot {
        chart(&rows, &options, &name).write(path)?;
    }
    if let Some(path) = &args.report.report {
        let mut recorder = super::report::Recorder::new();
        recorder.input(&args.path)?;
        recorder.input(labels_path)?;
        recorder.parameter("layer", name.as_str());
        recorder.parameter(
            "precision",
            options
                .precisions
                .iter()
                .map(|p| p.name())
                .collect::<Vec<_>>(),
        );
        recorder.parameter("dims", options.dims.clone());
        recorder.parameter("k", options.ks.clone());
        recorder.parameter("metric", options.metric.name());
        recorder.parameter("map", args.map.name());
        recorder.parameter("funnel", args.funnel.clone());
        recorder.add(
            repscope_plot::report::Section::of_chart(
                format!("{name}: retrieval quality"),
                format!(
                    "Each item of '{name}' queries all the others; items with its label are the \
                     relevant ones. Quality, memory and search time per prefix dimension and \
                     precision ({} items × {} dimensions).",
                    x.nrows(),
                    x.ncols()
                ),
                chart(&rows, &options, &name),
            )
            .with_table(table(&rows, &options.ks))
            .csv("compression.csv"),
        );
        recorder.write(path, "repscope compress", g)?;
    }
    Ok(())
}

fn write_codes(
    args: &CompressArgs,
    x: faer::MatRef<'_, f64>,
    precisions: &[Precision],
    g: &Global,
) -> anyhow::Result<()> {
    let out = args.codes.as_deref().unwrap_or(Path::new("codes.npy"));
    let precision = match precisions {
        [one] => one.eight_bit(),
        _ => None,
    }
    .ok_or_else(|| {
        UsageError("--codes writes 8-bit codes: give exactly one --precision, int8 or uint8".into())
    })?;
    let given = match &args.ranges {
        Some(p) => {
            let m = repscope::data::npy::read_npy_file(p)?;
            if m.nrows() != 2 {
                return Err(UsageError(format!(
                    "{}: ranges must be a 2 × dims array (minima, maxima), got {} × {}",
                    p.display(),
                    m.nrows(),
                    m.ncols()
                ))
                .into());
            }
            Some(Ranges {
                lo: m.row(0).iter().copied().collect(),
                hi: m.row(1).iter().copied().collect(),
            })
        }
        None => None,
    };
    let (bytes, ranges) = quantize8(x, precision, given.as_ref())?;
    repscope::data::npy::write_npy_codes(
        out,
        x.nrows(),
        x.ncols(),
        &bytes,
        precision == Precision8::Int8,
    )?;
    if args.ranges.is_none() {
        let ranges_path = out.with_extension("ranges.npy");
        let m = Mat::from_fn(2, x.ncols(), |i, j| {
            if i == 0 { ranges.lo[j] } else { ranges.hi[j] }
        });
        repscope::data::npy::write_npy_file(&ranges_path, m.as_ref())?;
        if !g.quiet && !g.json {
            eprintln!(
                "wrote {} and its ranges {}",
                out.display(),
                ranges_path.display()
            );
        }
    }
    Ok(())
}

/// Writes the full table as CSV.
/// dim, precision, retrieval, bytes, time, then metrics per k, mrr.
pub(super) fn table(rows: &[Row], ks: &[usize]) -> Table {
    let mut header: Vec<String> = [
        "dim",
        "precision",
        "retrieval",
        "bytes_per_vector",
        "search_ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for k in ks {
        for m in ["recall", "precision", "hit", "map", "ndcg"] {
            header.push(format!("{m}@{k}"));
        }
    }
    header.push("mrr".into());
    let mut table = Table::new(header);
    for r in rows {
        let mut c: Vec<Cell> = vec![
            r.dim.into(),
            r.precision.name().into(),
            r.retrieval().into(),
            r.bytes_per_vector.into(),
            (1e3 * r.search_seconds).into(),
        ];
        for a in &r.scores.at {
            c.extend([a.recall, a.precision, a.hit, a.map, a.ndcg].map(Cell::from));
        }
        c.push(r.scores.mrr.into());
        table.push(c);
    }
    table
}

fn present(rows: &[Row], options: &EvalOptions, g: &Global) -> anyhow::Result<()> {
    if g.json {
        println!("{}", table(rows, &options.ks).json());
        return Ok(());
    }
    print!("{}", summary_table(rows, options));
    if let Some(r) = rows.first() {
        println!(
            "({} queries, each against all other items; {} without a relevant item skipped)",
            r.scores.queries, r.scores.skipped
        );
    }
    Ok(())
}

/// The short text table: dim, precision, bytes, time, hit@first k, and
/// mAP, nDCG at the last k, MRR.
pub(super) fn summary_table(rows: &[Row], options: &EvalOptions) -> String {
    let k = *options.ks.iter().max().unwrap_or(&1);
    let k1 = options.ks[0];
    let mut table = Table::new([
        "dim".to_string(),
        "precision".into(),
        "retrieval".into(),
        "bytes".into(),
        "search_ms".into(),
        format!("hit@{k1}"),
        format!("map@{k}"),
        format!("ndcg@{k}"),
        "mrr".into(),
    ]);
    for r in rows {
        let at = r
            .scores
            .at
            .iter()
            .find(|a| a.k == k)
            .copied()
            .unwrap_or(r.scores.at[0]);
        table.push(vec![
            r.dim.into(),
            r.precision.name().into(),
            r.retrieval().into(),
            r.bytes_per_vector.into(),
            format!("{:.2}", 1e3 * r.search_seconds).into(),
            r.scores.at[0].hit.into(),
            at.map.into(),
            at.ndcg.into(),
            r.scores.mrr.into(),
        ]);
    }
    table.text(4)
}

/// Retrieval quality against the prefix dimension, one curve per
/// precision (exact-search rows; a funnel row has no dimension axis of its
/// own), on a log axis ticked at the evaluated dimensions.
pub(super) fn chart(rows: &[Row], options: &EvalOptions, name: &str) -> repscope_plot::Chart {
    use repscope_plot::chart::{Curve, CurveChart};
    let k = *options.ks.iter().max().unwrap_or(&1);
    let mut dims: Vec<usize> = rows
        .iter()
        .filter(|r| r.funnel.is_none())
        .map(|r| r.dim)
        .collect();
    dims.sort_unstable();
    dims.dedup();
    let series = options
        .precisions
        .iter()
        .map(|&p| Curve {
            name: p.name().to_string(),
            y: dims
                .iter()
                .map(|&d| {
                    rows.iter()
                        .find(|r| r.precision == p && r.funnel.is_none() && r.dim == d)
                        .and_then(|r| r.scores.at.iter().find(|a| a.k == k))
                        .map_or(f64::NAN, |a| a.map)
                })
                .collect(),
            low: None,
            high: None,
        })
        .collect();
    let queries = rows.first().map_or(0, |r| r.scores.queries);
    repscope_plot::Chart::Curves(CurveChart {
        title: format!("{name}: retrieval quality vs dimension"),
        subtitle: format!(
            "mAP@{k} of {} search over {queries} queries, Matryoshka prefixes",
            options.metric.name()
        ),
        x_label: "dimensions (prefix)".into(),
        y_label: format!("mAP@{k}"),
        x: dims.iter().map(|&d| d as f64).collect(),
        x_names: None,
        log_x: true,
        series,
        reference: None,
    })
}
