//! `repscope probe REPS --labels L`: a cross-validated logistic-regression
//! probe of every layer, the per-layer table and the concept-depth curve.

use repscope::data::labels::{labels_to_codes, read_labels};
use repscope::probe::depth::{ConceptDepth, depth_of_probe};
use repscope::probe::logistic::LogisticOptions;
use repscope::probe::{CrossValidation, LayerProbe, ProbeOptions, probe};

use crate::UsageError;
use crate::cli::{Global, ProbeArgs};
use crate::output::{Cell, Table};

pub fn run(args: &ProbeArgs, g: &Global) -> anyhow::Result<()> {
    let set = repscope::load(&args.path)?;
    let labels = read_labels(&args.labels)?;
    let (classes, codes) = labels_to_codes(&labels);
    let options = ProbeOptions {
        logistic: LogisticOptions {
            c: args.c,
            tol: args.tol,
            max_iter: args.max_iter,
            ..LogisticOptions::default()
        },
        cs: args.cs.clone(),
        inner_folds: args.inner_cv,
        standardize: !args.no_standardize,
        control: args.control,
        seed: args.seed,
    };
    let layers = probe(
        &set.views(),
        &codes,
        classes.len(),
        &CrossValidation::Stratified(args.cv),
        &options,
    )?;
    let depth = depth_of_probe(&layers, args.fraction)?;
    let table = table(&layers, &depth);
    if let Some(path) = &args.output {
        table.write_csv(path)?;
    }
    let figure = if args.plot.is_some() || args.report.report.is_some() {
        Some(chart(&layers, &depth, &codes, classes.len())?)
    } else {
        None
    };
    if let (Some(path), Some(figure)) = (&args.plot, &figure) {
        figure.write(path)?;
    }
    if let (Some(path), Some(figure)) = (&args.report.report, figure) {
        let mut recorder = super::report::Recorder::new();
        recorder.input(&args.path)?;
        recorder.input(&args.labels)?;
        recorder.parameter("cv", args.cv);
        recorder.parameter("C", args.c);
        recorder.parameter("control", args.control);
        recorder.parameter("fraction", args.fraction);
        recorder.seed(args.seed);
        recorder.add(
            repscope_plot::report::Section::of_chart(
                "Concept depth",
                describe_depth(&depth, &layers),
                figure,
            )
            .with_table(table.clone())
            .csv("probe.csv"),
        );
        recorder.write(path, "repscope probe", g)?;
    }
    if g.json {
        println!("{}", table.json());
    } else {
        println!(
            "{}-fold probe of {} layers, {} classes, {} stimuli",
            args.cv,
            layers.len(),
            classes.len(),
            codes.len()
        );
        print!("{}", table.text(4));
        println!("{}", describe_depth(&depth, &layers));
    }
    Ok(())
}

/// One line: the threshold and jump layers by name.
pub(super) fn describe_depth(depth: &ConceptDepth, layers: &[LayerProbe]) -> String {
    let name = |i: usize| layers[i].name.as_str();
    let jump = match (depth.jump_layer, depth.jump) {
        (Some(l), Some(j)) => format!("largest rise at {} (+{j:.3})", name(l)),
        _ => "accuracy never rises between layers".into(),
    };
    format!(
        "concept depth: {:.0}% of the best accuracy ({:.3} at {}) first reached at {}; {jump}",
        100.0 * depth.fraction,
        depth.best_accuracy,
        name(depth.best_layer),
        name(depth.threshold_layer),
    )
}

/// Layer index and name, metrics, control and selectivity when probed,
/// and the depth markers.
pub(super) fn table(layers: &[LayerProbe], depth: &ConceptDepth) -> Table {
    let control = layers.iter().any(|l| l.control.is_some());
    let mut header: Vec<&str> = vec!["index", "layer", "accuracy", "f1_macro", "roc_auc"];
    if control {
        header.extend(["control_accuracy", "selectivity"]);
    }
    header.extend(["threshold_layer", "jump_layer"]);
    let mut table = Table::new(header);
    for (i, l) in layers.iter().enumerate() {
        let mut row: Vec<Cell> = vec![
            i.into(),
            l.name.as_str().into(),
            l.task.accuracy.into(),
            l.task.f1_macro.into(),
            l.task.roc_auc.into(),
        ];
        if control {
            row.push(Cell::number(l.control.as_ref().map(|c| c.accuracy)));
            row.push(Cell::number(l.selectivity()));
        }
        row.push(usize::from(depth.threshold_layer == i).into());
        row.push(usize::from(depth.jump_layer == Some(i)).into());
        table.push(row);
    }
    table
}

/// The depth curve of the layers (see `repscope_plot::results::probe_depth`).
pub(super) fn chart(
    layers: &[LayerProbe],
    depth: &ConceptDepth,
    codes: &[usize],
    n_classes: usize,
) -> anyhow::Result<repscope_plot::Chart> {
    use repscope_plot::results::{DepthCurve, majority_rate, probe_depth};
    if layers.is_empty() {
        return Err(UsageError("nothing to plot: no layers".into()).into());
    }
    let names: Vec<String> = layers.iter().map(|l| l.name.clone()).collect();
    let folds: Vec<Vec<f64>> = layers
        .iter()
        .map(|l| l.task.folds.iter().map(|f| f.accuracy).collect())
        .collect();
    let accuracy: Vec<f64> = layers.iter().map(|l| l.task.accuracy).collect();
    let control: Option<Vec<f64>> = layers
        .iter()
        .map(|l| l.control.as_ref().map(|c| c.accuracy))
        .collect();
    Ok(probe_depth(
        &DepthCurve {
            layers: &names,
            fold_accuracy: &folds,
            accuracy: &accuracy,
            control: control.as_deref(),
            chance: majority_rate(codes),
            n_classes,
            n_stimuli: codes.len(),
        },
        depth,
    ))
}
