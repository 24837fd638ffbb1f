//! `repscope rdm` and `repscope compare`.

use std::path::{Path, PathBuf};

use faer::Mat;
use repscope::data::labels::{check_label_count, labels_to_codes, read_labels};
use repscope::preflight::Estimate;
use repscope::rsa::condensed::{n_conditions, to_square};
use repscope::rsa::files::{RdmSet, load_rdms, save_rdms};
use repscope::rsa::mds::classical_mds;
use repscope::rsa::{RdmSpec, estimate_rdms};

use repscope::rsa::RdmMethod;
use repscope_plot::Chart;
use repscope_plot::chart::{MapChart, MapPanel, MatrixChart, ScatterChart};
use repscope_plot::report::Section;
use repscope_plot::table::{Cell, Table};

use crate::cli::{CompareArgs, Global, RdmArgs};
use crate::output::{matrix_json, matrix_table, write_matrix_csv};

/// The labels in `path` (when given), which must number one per row.
pub(super) fn row_labels(
    path: Option<&Path>,
    rows: usize,
    what: &str,
) -> anyhow::Result<Option<Vec<String>>> {
    let Some(p) = path else { return Ok(None) };
    let labels = read_labels(p)?;
    check_label_count(
        &format!("{what} labels in {} (one per row)", p.display()),
        labels.len(),
        rows,
    )?;
    Ok(Some(labels))
}

/// A name usable in a file name: letters, digits, `-` and `_` kept, every
/// other character replaced by `_`.
pub(super) fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `figure.png` for one representation, `figure_NAME.png` for several.
pub(super) fn figure_path(base: &Path, name: &str, several: bool) -> PathBuf {
    if !several {
        return base.to_path_buf();
    }
    let stem = base
        .file_stem()
        .map_or_else(|| "figure".into(), |s| s.to_string_lossy().into_owned());
    let ext = base
        .extension()
        .map_or_else(|| "png".into(), |s| s.to_string_lossy().into_owned());
    let safe = file_safe(name);
    base.with_file_name(format!("{stem}_{safe}.{ext}"))
}

pub fn run_rdm(args: &RdmArgs, g: &Global) -> anyhow::Result<()> {
    let method = args.method;
    // Sizes from the files' headers: the preflight runs before the data is read.
    let shapes = repscope::data::source::shapes(&args.path)?;
    let rows = shapes.first().map_or(0, |(_, (n, _))| *n);
    let conditions = row_labels(args.conditions.as_deref(), rows, "condition")?;
    let folds = row_labels(args.folds.as_deref(), rows, "fold")?;
    let (condition_names, condition_codes) = match &conditions {
        Some(c) => {
            let (names, codes) = labels_to_codes(c);
            (Some(names), Some(codes))
        }
        None => (None, None),
    };
    let fold_codes = folds.as_ref().map(|f| labels_to_codes(f).1);
    let noise = match &args.noise {
        Some(p) => Some(repscope::data::npy::read_npy_file(p)?),
        None => None,
    };
    let spec = RdmSpec {
        method,
        precision: noise.as_ref().map(Mat::as_ref),
        conditions: condition_codes.as_deref(),
        folds: fold_codes.as_deref(),
        ..RdmSpec::new(method)
    };
    if super::preflight::gate(estimate(rows, &shapes, &spec), args.preflight, g)? {
        return Ok(());
    }
    let set = repscope::load(&args.path)?;
    let condition_names = condition_names.or_else(|| set.stimuli().map(<[String]>::to_vec));
    let mut out = RdmSet {
        conditions: condition_names,
        ..RdmSet::default()
    };
    for rep in set.views() {
        let d = repscope::rsa::rdm(rep.x, &spec)
            .map_err(|e| e.context(format!("RDM of '{}'", rep.name)))?;
        out.names.push(rep.name.to_string());
        out.rdms.push(d);
    }
    if let Some(path) = &args.output {
        save_rdms(path, &out)?;
    }
    let several = out.rdms.len() > 1;
    let mut sections = Vec::new();
    for (name, d) in out.names.iter().zip(&out.rdms) {
        let n = n_conditions(d.len())?;
        let cond_names: Vec<String> = out
            .conditions
            .clone()
            .unwrap_or_else(|| (0..n).map(|i| i.to_string()).collect());
        if let Some(base) = &args.plot {
            Chart::Matrix(rdm_chart(name, d, &cond_names, method)?)
                .write(&figure_path(base, name, several))?;
        }
        if let Some(base) = &args.mds {
            mds_chart(name, d, &cond_names, method)?.write(&figure_path(base, name, several))?;
        }
        if args.report.report.is_some() {
            sections.push(rdm_section(name, d, &cond_names, method)?);
            if n >= 3 {
                sections.push(
                    Section::of_chart(
                        format!("{name}: MDS"),
                        "Classical multidimensional scaling of the RDM: distances between \
                         points approximate the dissimilarities.",
                        mds_chart(name, d, &cond_names, method)?,
                    )
                    .csv(format!("mds_{}.csv", file_safe(name))),
                );
            }
        }
    }
    if let Some(path) = &args.report.report {
        let mut recorder = super::report::Recorder::new();
        recorder.inputs(
            [&args.conditions, &args.folds, &args.noise]
                .into_iter()
                .flatten()
                .chain([&args.path]),
        )?;
        recorder.parameter("method", method.name());
        for section in sections {
            recorder.add(section);
        }
        recorder.write(path, &format!("repscope rdm: {}", method.name()), g)?;
    }
    if g.json {
        let doc: Vec<serde_json::Value> = out
            .names
            .iter()
            .zip(&out.rdms)
            .map(|(n, d)| serde_json::json!({ "name": n, "pairs": d.len(), "rdm": d }))
            .collect();
        println!("{}", serde_json::Value::from(doc));
    } else {
        println!("{} RDMs ({})", out.rdms.len(), method.name());
        for (n, d) in out.names.iter().zip(&out.rdms) {
            let mean = d.iter().sum::<f64>() / d.len() as f64;
            println!(
                "  {n}: {} conditions, {} pairs, mean dissimilarity {mean:.6}",
                n_conditions(d.len())?,
                d.len()
            );
        }
    }
    Ok(())
}

/// RDMs of more conditions than this are shown in a report as a picture
/// (an interactive heatmap would embed every cell and label).
const MAX_INTERACTIVE: usize = 300;

/// The RDM `d` (condensed) as a labelled heatmap.
pub(super) fn rdm_chart(
    name: &str,
    d: &[f64],
    conditions: &[String],
    method: RdmMethod,
) -> anyhow::Result<MatrixChart> {
    let square = to_square(d)?;
    Ok(MatrixChart {
        title: format!("{name}: {} RDM", method.name()),
        subtitle: format!("{} conditions", conditions.len()),
        rows: conditions.to_vec(),
        cols: conditions.to_vec(),
        values: (0..square.nrows())
            .map(|i| square.row(i).iter().copied().collect())
            .collect(),
        value_label: "dissimilarity".into(),
        row_axis: "condition".into(),
        col_axis: "condition".into(),
        range: None,
    })
}

/// The 2-D classical MDS of the RDM `d`, points labelled by condition.
fn mds_chart(
    name: &str,
    d: &[f64],
    conditions: &[String],
    method: RdmMethod,
) -> anyhow::Result<Chart> {
    let xy = classical_mds(d, 2)?;
    let n = xy.nrows();
    Ok(Chart::Scatter(ScatterChart {
        title: format!("{name}: MDS of the {} RDM", method.name()),
        subtitle: format!("classical MDS, {n} conditions"),
        x: (0..n).map(|i| xy[(i, 0)]).collect(),
        y: (0..n).map(|i| xy[(i, 1)]).collect(),
        labels: conditions.to_vec(),
        groups: None,
    }))
}

/// The report's section of one RDM: an interactive heatmap with its
/// table, or, past [`MAX_INTERACTIVE`] conditions, a picture and a summary.
fn rdm_section(
    name: &str,
    d: &[f64],
    conditions: &[String],
    method: RdmMethod,
) -> anyhow::Result<Section> {
    let description = format!(
        "{} dissimilarity between the patterns of every pair of conditions.",
        method.name()
    );
    let csv = format!("rdm_{}.csv", file_safe(name));
    let m = rdm_chart(name, d, conditions, method)?;
    if conditions.len() <= MAX_INTERACTIVE {
        return Ok(Section::of_chart(name, description, Chart::Matrix(m)).csv(csv));
    }
    let finite: Vec<f64> = d.iter().copied().filter(|v| v.is_finite()).collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let mut summary = Table::new(["conditions", "pairs", "mean", "min", "max"]);
    summary.push(vec![
        Cell::from(conditions.len()),
        Cell::from(d.len()),
        Cell::from(finite.iter().sum::<f64>() / finite.len() as f64),
        Cell::from(lo),
        Cell::from(hi),
    ]);
    let picture = Chart::Maps(MapChart {
        title: m.title,
        subtitle: m.subtitle,
        value_label: m.value_label,
        range: None,
        panels: vec![MapPanel {
            title: String::new(),
            x_label: "condition".into(),
            y_label: "condition (first at the top)".into(),
            values: m.values,
            mark: None,
        }],
    });
    Ok(Section::of_chart(
        name,
        format!(
            "{description} Too many conditions to label each one: the whole RDM is in the file \
             given to --output."
        ),
        picture,
    )
    .with_table(summary)
    .csv(csv))
}

/// The peak of `rdm` over every representation, and the inputs as read.
fn estimate(rows: usize, shapes: &[(String, (usize, usize))], spec: &RdmSpec<'_>) -> Estimate {
    let channels: Vec<usize> = shapes.iter().map(|(_, (_, d))| *d).collect();
    let mut e = estimate_rdms(rows, &channels, spec);
    super::preflight::inputs_part(&mut e, "representations", shapes);
    e
}

pub fn run_compare(args: &CompareArgs, g: &Global) -> anyhow::Result<()> {
    let method = match args.method {
        Some(m) => {
            super::deprecated("--method (of `compare`)", "--compare");
            m
        }
        None => args.compare,
    };
    let a = load_rdms(&args.a)?;
    let b = args.b.as_deref().map(load_rdms).transpose()?;
    let b_ref = b.as_ref().unwrap_or(&a);
    let values = repscope::rsa::compare(&a.views(), &b_ref.views(), method, None)?;
    if g.json {
        let mut doc = matrix_json(values.as_ref(), &a.names, &b_ref.names);
        doc["method"] = serde_json::Value::from(method.name());
        println!("{doc}");
    } else {
        println!("{}", method.name());
        print!("{}", matrix_table(values.as_ref(), &a.names, &b_ref.names));
    }
    if let Some(path) = &args.output {
        write_matrix_csv(path, method.name(), values.as_ref(), &a.names, &b_ref.names)?;
    }
    let chart = || {
        Chart::Matrix(MatrixChart {
            title: format!("RDM comparison ({})", method.name()),
            subtitle: format!("{} × {} RDMs", a.names.len(), b_ref.names.len()),
            rows: a.names.clone(),
            cols: b_ref.names.clone(),
            values: (0..values.nrows())
                .map(|i| values.row(i).iter().copied().collect())
                .collect(),
            value_label: method.name().into(),
            row_axis: "A".into(),
            col_axis: "B".into(),
            range: None,
        })
    };
    if let Some(path) = &args.plot {
        chart().write(path)?;
    }
    if let Some(path) = &args.report.report {
        let mut recorder = super::report::Recorder::new();
        recorder.inputs(std::iter::once(&args.a).chain(&args.b))?;
        recorder.parameter("compare", method.name());
        recorder.add(
            Section::of_chart(
                "RDM comparison",
                format!(
                    "{} between every RDM of A and every RDM of {}.",
                    method.name(),
                    if args.b.is_some() { "B" } else { "A" }
                ),
                chart(),
            )
            .csv("compare.csv"),
        );
        recorder.write(path, &format!("repscope compare: {}", method.name()), g)?;
    }
    Ok(())
}
