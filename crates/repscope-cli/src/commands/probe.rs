//! `repscope probe REPS --labels L`: a cross-validated logistic-regression
//! probe of every layer, the per-layer table and the concept-depth curve.

use std::path::Path;

use repscope::data::labels::labels_to_codes;
use repscope::encode::depth::{ConceptDepth, concept_depth};
use repscope::encode::logistic::LogisticOptions;
use repscope::encode::probe::{CrossValidation, LayerProbe, ProbeOptions, probe};

use crate::UsageError;
use crate::cli::{Global, ProbeArgs};
use crate::output::{rows_json, text_table, write_table_csv};

pub fn run(args: &ProbeArgs, g: &Global) -> anyhow::Result<()> {
    let set = repscope::load(&args.path)?;
    let labels = super::compress::read_labels(&args.labels)?;
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
    let accuracy: Vec<f64> = layers.iter().map(|l| l.task.accuracy).collect();
    let depth = concept_depth(&accuracy, args.fraction)?;
    let (header, cells) = table(&layers, &depth, false);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    if let Some(path) = &args.output {
        write_table_csv(path, &header, &cells)?;
    }
    if let Some(path) = &args.plot {
        plot(path, &layers, &depth)?;
    }
    if g.json {
        println!("{}", rows_json(&header, &cells));
    } else {
        let (header, cells) = table(&layers, &depth, true);
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        println!(
            "{}-fold probe of {} layers, {} classes, {} stimuli",
            args.cv,
            layers.len(),
            classes.len(),
            codes.len()
        );
        print!("{}", text_table(&header, &cells));
        println!("{}", describe_depth(&depth, &layers, args.fraction));
    }
    Ok(())
}

/// One line: the threshold and jump layers by name.
pub(super) fn describe_depth(depth: &ConceptDepth, layers: &[LayerProbe], fraction: f64) -> String {
    let name = |i: usize| layers[i].name.as_str();
    let jump = match (depth.jump_layer, depth.jump) {
        (Some(l), Some(j)) => format!("largest rise at {} (+{j:.3})", name(l)),
        _ => "accuracy never rises between layers".into(),
    };
    format!(
        "concept depth: {:.0}% of the best accuracy ({:.3} at {}) first reached at {}; {jump}",
        100.0 * fraction,
        depth.best_accuracy,
        name(depth.best_layer),
        name(depth.threshold_layer),
    )
}

/// Header and cells: layer index and name, metrics, control and
/// selectivity when probed, and the depth markers.
pub(super) fn table(
    layers: &[LayerProbe],
    depth: &ConceptDepth,
    short: bool,
) -> (Vec<String>, Vec<Vec<String>>) {
    let control = layers.iter().any(|l| l.control.is_some());
    let mut header: Vec<String> = ["index", "layer", "accuracy", "f1_macro", "roc_auc"]
        .map(String::from)
        .to_vec();
    if control {
        header.extend(["control_accuracy", "selectivity"].map(String::from));
    }
    header.extend(["threshold_layer", "jump_layer"].map(String::from));
    let num = |v: f64| {
        if short {
            format!("{v:.4}")
        } else {
            v.to_string()
        }
    };
    let cells = layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut row = vec![
                i.to_string(),
                l.name.clone(),
                num(l.task.accuracy),
                num(l.task.f1_macro),
                num(l.task.roc_auc),
            ];
            if control {
                let c = l.control.as_ref().map_or(f64::NAN, |c| c.accuracy);
                row.push(num(c));
                row.push(num(l.selectivity().unwrap_or(f64::NAN)));
            }
            row.push(u8::from(depth.threshold_layer == i).to_string());
            row.push(u8::from(depth.jump_layer == Some(i)).to_string());
            row
        })
        .collect();
    (header, cells)
}

/// The depth curve: accuracy (and control accuracy) against layer index.
pub(super) fn plot(path: &Path, layers: &[LayerProbe], depth: &ConceptDepth) -> anyhow::Result<()> {
    let x: Vec<f64> = (0..layers.len()).map(|i| i as f64).collect();
    let acc: Vec<f64> = layers.iter().map(|l| l.task.accuracy).collect();
    let control: Option<Vec<f64>> = layers
        .iter()
        .map(|l| l.control.as_ref().map(|c| c.accuracy))
        .collect();
    let mut series = vec![repscope_plot::Series {
        name: "probe accuracy",
        x: &x,
        y: &acc,
    }];
    if let Some(c) = &control {
        series.push(repscope_plot::Series {
            name: "control accuracy",
            x: &x,
            y: c,
        });
    }
    if layers.is_empty() {
        return Err(UsageError("nothing to plot: no layers".into()).into());
    }
    repscope_plot::lines(
        path,
        &repscope_plot::Lines {
            series: &series,
            title: &format!(
                "concept depth: threshold at layer {}, jump at {}",
                depth.threshold_layer,
                depth
                    .jump_layer
                    .map_or_else(|| "none".to_string(), |j| j.to_string())
            ),
            x_label: "layer index",
            y_label: "cross-validated accuracy",
            log_x: false,
        },
    )?;
    Ok(())
}
