//! `repscope encode FEATURES TARGETS`: layer-wise encoding models — a
//! cross-validated ridge from every feature representation to every
//! target set, the penalty chosen per target.

use std::path::Path;

use repscope::RepSet;
use repscope::encode::folds::kfold;
use repscope::encode::ridge::{RidgeCvOptions, default_alphas, parse_alphas, ridge_cv};
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

/// The representations of `set` named in `only` (all when empty).
fn selected<'a>(
    set: &'a RepSet,
    only: &[String],
    option: &str,
) -> anyhow::Result<Vec<(String, faer::MatRef<'a, f64>)>> {
    if let Some(missing) = only.iter().find(|n| set.get(n).is_none()) {
        return Err(UsageError(format!(
            "{option} {missing:?} is not in the file; it holds {}",
            set.names().join(", ")
        ))
        .into());
    }
    Ok(set
        .views()
        .into_iter()
        .filter(|r| only.is_empty() || only.iter().any(|n| n == r.name))
        .map(|r| (r.name.to_string(), r.x))
        .collect())
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
    let features = repscope::load(&args.features)?;
    let targets = repscope::load(&args.targets)?;
    let fs = selected(&features, &args.layer, "--layer")?;
    let ts = selected(&targets, &args.target, "--target")?;
    let Some((_, first)) = fs.first() else {
        return Err(UsageError(format!(
            "{} holds no representations",
            args.features.display()
        ))
        .into());
    };
    if ts.is_empty() {
        return Err(UsageError(format!(
            "{} holds no representations",
            args.targets.display()
        ))
        .into());
    }
    let n = first.nrows();
    let splits = kfold(n, args.cv)?;
    let bar = progress::bar((fs.len() * ts.len()) as u64, "encode", g.quiet);
    let mut fitted = Vec::new();
    for (tname, y) in &ts {
        for (fname, x) in &fs {
            let options = RidgeCvOptions {
                alphas: alphas.clone(),
                splits: splits.clone(),
                per_target: !args.shared_alpha,
                fit_intercept: !args.no_intercept,
                score,
                solver,
                target_batch: None,
            };
            let fit = ridge_cv(*x, *y, &options)
                .map_err(|e| e.context(format!("features {fname} → targets {tname}")))?;
            fitted.push(Fitted {
                features: fname.clone(),
                targets: tname.clone(),
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
        plot(path, &fitted, score.name())?;
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
        let vectors: Vec<(String, Vec<f64>)> = fitted
            .iter()
            .flat_map(|f| {
                let key = format!("{}/{}", f.features, f.targets);
                [
                    (format!("{key}/cv_score"), f.cv_scores.clone()),
                    (format!("{key}/best_alpha"), f.best_alphas.clone()),
                ]
            })
            .collect();
        repscope::data::npy::write_npz_vectors(path, &vectors, &[])?;
    }
    Ok(())
}

/// Mean CV score against the feature representation's position (layer
/// index), one line per target set.
fn plot(path: &Path, fitted: &[Fitted], score: &str) -> anyhow::Result<()> {
    let mut targets: Vec<&str> = Vec::new();
    for f in fitted {
        if !targets.contains(&f.targets.as_str()) {
            targets.push(&f.targets);
        }
    }
    let curves: Vec<(Vec<f64>, Vec<f64>)> = targets
        .iter()
        .map(|t| {
            let ys: Vec<f64> = fitted
                .iter()
                .filter(|f| f.targets == *t)
                .map(|f| mean(&f.cv_scores))
                .collect();
            ((0..ys.len()).map(|i| i as f64).collect(), ys)
        })
        .collect();
    let series: Vec<repscope_plot::Series<'_>> = curves
        .iter()
        .zip(&targets)
        .map(|((x, y), name)| repscope_plot::Series { name, x, y })
        .collect();
    repscope_plot::lines(
        path,
        &repscope_plot::Lines {
            series: &series,
            title: "encoding model per feature representation",
            x_label: "feature representation (file order)",
            y_label: &format!("mean cross-validated {score}"),
            log_x: false,
        },
    )?;
    Ok(())
}
