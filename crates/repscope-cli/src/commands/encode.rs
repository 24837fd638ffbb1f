//! `repscope encode FEATURES TARGETS`: layer-wise encoding models — a
//! cross-validated ridge from every feature representation to every
//! target set, the penalty chosen per target.

use std::path::Path;

use repscope::data::source::shapes;
use repscope::encode::folds::kfold;
use repscope::encode::preflight::estimate_ridge_cv;
use repscope::encode::ridge::{RidgeCvOptions, default_alphas, parse_alphas, select_by_cv};
use repscope::preflight::{Estimate, f64s};
use repscope::stats::mean;
use repscope::stats::quantile::median;

use crate::UsageError;
use crate::cli::{EncodeArgs, Global};
use crate::output::Table;
use crate::progress;

const HEADER: [&str; 7] = [
    "features",
    "targets",
    "n_targets",
    "mean_score",
    "median_score",
    "max_score",
    "median_alpha",
];

/// The positions of the representations named in `only` (all when
/// empty) among `names`, in file order; none is a usage error naming `file`.
fn selected(
    names: &[&str],
    only: &[String],
    option: &str,
    file: &Path,
) -> anyhow::Result<Vec<usize>> {
    if let Some(missing) = only.iter().find(|n| !names.contains(&n.as_str())) {
        return Err(UsageError(format!(
            "{option} {missing:?} is not in the file; it holds {}",
            names.join(", ")
        ))
        .into());
    }
    let picked: Vec<usize> = (0..names.len())
        .filter(|&i| only.is_empty() || only.iter().any(|n| n == names[i]))
        .collect();
    if picked.is_empty() {
        return Err(UsageError(format!("{} holds no representations", file.display())).into());
    }
    Ok(picked)
}

/// The names of representations, from their shapes.
fn names(shapes: &[(String, (usize, usize))]) -> Vec<&str> {
    shapes.iter().map(|(n, _)| n.as_str()).collect()
}

/// The peak of the command: both files as read, the largest (features,
/// targets) pair's cross-validation, and the scores kept for every pair.
fn estimate(
    features: &[(String, (usize, usize))],
    fi: &[usize],
    targets: &[(String, (usize, usize))],
    ti: &[usize],
    options: &RidgeCvOptions,
) -> Estimate {
    let mut largest: Option<Estimate> = None;
    let mut flops = 0.0;
    let mut kept = 0;
    for &t in ti {
        let v = targets[t].1.1;
        for &f in fi {
            let (n, p) = features[f].1;
            let e = estimate_ridge_cv(n, p, v, options, false);
            flops += e.flops;
            kept += 2 * v;
            if largest
                .as_ref()
                .is_none_or(|l| e.peak_bytes() > l.peak_bytes())
            {
                largest = Some(e);
            }
        }
    }
    let mut e = largest.unwrap_or_else(|| estimate_ridge_cv(0, 0, 0, options, false));
    e.what = format!("encode: {}", e.what);
    e.flops = flops;
    e.add("scores and alphas of every pair", f64s(kept));
    super::preflight::inputs_part(
        &mut e,
        "features and targets",
        &[features, targets].concat(),
    );
    e
}

/// Per-target results of one (features, targets) pair.
struct Fitted {
    features: String,
    targets: String,
    cv_scores: Vec<f64>,
    best_alphas: Vec<f64>,
}

pub fn run(args: &EncodeArgs, g: &Global) -> anyhow::Result<()> {
    let alphas = match &args.alphas {
        Some(spec) => parse_alphas(spec)?,
        None => default_alphas(),
    };
    let (score, solver) = (args.score, args.solver);
    // Sizes from the files' headers: the preflight runs before the data is read.
    let feature_shapes = shapes(&args.features)?;
    let target_shapes = shapes(&args.targets)?;
    let fi = selected(
        &names(&feature_shapes),
        &args.layer,
        "--layer",
        &args.features,
    )?;
    let ti = selected(
        &names(&target_shapes),
        &args.target,
        "--target",
        &args.targets,
    )?;
    let n = feature_shapes[fi[0]].1.0;
    let options = RidgeCvOptions {
        alphas,
        splits: kfold(n, args.cv)?,
        per_target: !args.shared_alpha,
        fit_intercept: !args.no_intercept,
        score,
        solver,
        target_batch: None,
    };
    if super::preflight::gate(
        estimate(&feature_shapes, &fi, &target_shapes, &ti, &options),
        args.preflight,
        g,
    )? {
        return Ok(());
    }
    let features = repscope::load(&args.features)?;
    let targets = repscope::load(&args.targets)?;
    let (fs, ts) = (features.views(), targets.views());
    let bar = progress::bar((fi.len() * ti.len()) as u64, "encode", g.quiet);
    let mut fitted = Vec::new();
    for y in ti.iter().map(|&i| &ts[i]) {
        for x in fi.iter().map(|&i| &fs[i]) {
            let fit = select_by_cv(x.x, y.x, &options)
                .map_err(|e| e.context(format!("features {} → targets {}", x.name, y.name)))?;
            fitted.push(Fitted {
                features: x.name.to_string(),
                targets: y.name.to_string(),
                cv_scores: fit.cv_scores,
                best_alphas: fit.best_alphas,
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let mut table = Table::new(HEADER);
    for f in &fitted {
        let max = f
            .cv_scores
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        table.push(vec![
            f.features.as_str().into(),
            f.targets.as_str().into(),
            f.cv_scores.len().into(),
            mean(&f.cv_scores).into(),
            median(&f.cv_scores).into(),
            max.into(),
            median(&f.best_alphas).into(),
        ]);
    }
    if let Some(path) = &args.output {
        write_per_target(path, &fitted)?;
    }
    if let Some(path) = &args.plot {
        chart(&fitted, score.name(), args.cv).write(path)?;
    }
    if let Some(path) = &args.report.report {
        let mut recorder = super::report::Recorder::new();
        recorder.input(&args.features)?;
        recorder.input(&args.targets)?;
        recorder.parameter("alphas", options.alphas.clone());
        recorder.parameter("cv", args.cv);
        recorder.parameter("score", score.name());
        recorder.parameter("solver", solver.name());
        recorder.parameter("per_target_alpha", !args.shared_alpha);
        recorder.parameter("fit_intercept", !args.no_intercept);
        recorder.add(
            repscope_plot::report::Section::of_chart(
                "Encoding models",
                "A ridge regression from every feature representation to every target set, \
                 its penalty chosen by cross-validation; the score is that of held-out folds.",
                chart(&fitted, score.name(), args.cv),
            )
            .with_table(table.clone())
            .csv("encode.csv"),
        );
        recorder.write(path, "repscope encode", g)?;
    }
    if g.json {
        println!("{}", table.json());
    } else {
        print!("{}", table.text(4));
        println!(
            "scores: cross-validated {} ({} contiguous folds), penalty chosen {}",
            score.name(),
            args.cv,
            if args.shared_alpha {
                "once for all targets"
            } else {
                "per target"
            }
        );
    }
    Ok(())
}

/// `.npz`: FEATURES/TARGETS/cv_score and /best_alpha per pair; `.csv`: one
/// row per target.
fn write_per_target(path: &Path, fitted: &[Fitted]) -> anyhow::Result<()> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        let mut table = Table::new(["features", "targets", "target", "cv_score", "best_alpha"]);
        for f in fitted {
            for j in 0..f.cv_scores.len() {
                table.push(vec![
                    f.features.as_str().into(),
                    f.targets.as_str().into(),
                    j.into(),
                    f.cv_scores[j].into(),
                    f.best_alphas[j].into(),
                ]);
            }
        }
        table.write_csv(path)?;
    } else {
        let names: Vec<[String; 2]> = fitted
            .iter()
            .map(|f| {
                let key = format!("{}/{}", f.features, f.targets);
                [format!("{key}/cv_score"), format!("{key}/best_alpha")]
            })
            .collect();
        let vectors: Vec<(&str, &[f64])> = fitted
            .iter()
            .zip(&names)
            .flat_map(|(f, [score, alpha])| {
                [
                    (score.as_str(), f.cv_scores.as_slice()),
                    (alpha.as_str(), f.best_alphas.as_slice()),
                ]
            })
            .collect();
        repscope::data::npy::write_npz_vectors(path, &vectors, &[])?;
    }
    Ok(())
}

/// Mean CV score per feature representation (named on the axis), one
/// curve per target set, with the targets' interquartile range as a band.
fn chart(fitted: &[Fitted], score: &str, cv: usize) -> repscope_plot::Chart {
    use repscope::stats::quantile::quantile;
    use repscope_plot::chart::{Curve, CurveChart};
    let mut features: Vec<&str> = Vec::new();
    let mut targets: Vec<&str> = Vec::new();
    for f in fitted {
        if !features.contains(&f.features.as_str()) {
            features.push(&f.features);
        }
        if !targets.contains(&f.targets.as_str()) {
            targets.push(&f.targets);
        }
    }
    let series = targets
        .iter()
        .map(|&t| {
            let per_feature: Vec<&Fitted> = features
                .iter()
                .filter_map(|&x| fitted.iter().find(|f| f.features == x && f.targets == t))
                .collect();
            let quartile = |q: f64| -> Vec<f64> {
                per_feature
                    .iter()
                    .map(|f| {
                        let mut finite: Vec<f64> = f
                            .cv_scores
                            .iter()
                            .copied()
                            .filter(|v| v.is_finite())
                            .collect();
                        finite.sort_by(f64::total_cmp);
                        quantile(&finite, q)
                    })
                    .collect()
            };
            Curve {
                name: format!("{t} (band: interquartile range over targets)"),
                y: per_feature.iter().map(|f| mean(&f.cv_scores)).collect(),
                low: Some(quartile(0.25)),
                high: Some(quartile(0.75)),
            }
        })
        .collect();
    let n_targets: Vec<String> = targets
        .iter()
        .map(|&t| {
            let n = fitted
                .iter()
                .find(|f| f.targets == t)
                .map_or(0, |f| f.cv_scores.len());
            format!("{t}: {n}")
        })
        .collect();
    repscope_plot::Chart::Curves(CurveChart {
        title: "encoding model per feature representation".into(),
        subtitle: format!(
            "ridge, penalty chosen by {cv}-fold CV; targets {}",
            n_targets.join(", ")
        ),
        x_label: "feature representation".into(),
        y_label: format!("mean cross-validated {score}"),
        x: (0..features.len()).map(|i| i as f64).collect(),
        x_names: Some(features.iter().map(|f| f.to_string()).collect()),
        log_x: false,
        series,
        reference: None,
    })
}
