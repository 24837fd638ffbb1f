//! `repscope encode FEATURES TARGETS`: layer-wise encoding models — a
//! cross-validated ridge from every feature representation to every
//! target set, the penalty chosen per target.

use std::path::Path;

use repscope::RepSet;
use repscope::encode::folds::kfold;
use repscope::encode::ridge::{RidgeCvOptions, Score, Solver, ridge_cv};

use crate::UsageError;
use crate::cli::{EncodeArgs, Global};
use crate::output::{four_decimals, rows_json, text_table, write_table_csv};
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

/// Candidate penalties from `LOW:HIGH:N` (N values evenly spaced in log10)
/// or a comma-separated list.
pub fn parse_alphas(spec: &str) -> anyhow::Result<Vec<f64>> {
    let bad = || {
        UsageError(format!(
            "--alphas {spec:?}: give LOW:HIGH:N (e.g. 1e-2:1e5:15) or a comma-separated list of positive numbers"
        ))
    };
    let alphas: Vec<f64> = if let [lo, hi, n] = spec.split(':').collect::<Vec<_>>()[..] {
        let (lo, hi): (f64, f64) = (
            lo.trim().parse().map_err(|_| bad())?,
            hi.trim().parse().map_err(|_| bad())?,
        );
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if !(lo > 0.0 && hi >= lo && n >= 1) {
            return Err(bad().into());
        }
        let (a, b) = (lo.log10(), hi.log10());
        (0..n)
            .map(|i| {
                let t = if n == 1 {
                    0.0
                } else {
                    i as f64 / (n - 1) as f64
                };
                10f64.powf(a + t * (b - a))
            })
            .collect()
    } else {
        spec.split(',')
            .map(|v| v.trim().parse::<f64>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?
    };
    if alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
        return Err(bad().into());
    }
    Ok(alphas)
}

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

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Per-target results of one (features, targets) pair.
struct Fitted {
    features: String,
    targets: String,
    cv_scores: Vec<f64>,
    best_alphas: Vec<f64>,
}

pub fn run(args: &EncodeArgs, g: &Global) -> anyhow::Result<()> {
    let alphas = parse_alphas(&args.alphas)?;
    let score = Score::parse(&args.score)?;
    let solver = Solver::parse(&args.solver)?;
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
    let rows: Vec<Vec<String>> = fitted
        .iter()
        .map(|f| {
            let mean = f.cv_scores.iter().sum::<f64>() / f.cv_scores.len() as f64;
            let max = f
                .cv_scores
                .iter()
                .cloned()
                .fold(f64::NEG_INFINITY, f64::max);
            vec![
                f.features.clone(),
                f.targets.clone(),
                f.cv_scores.len().to_string(),
                mean.to_string(),
                median(&f.cv_scores).to_string(),
                max.to_string(),
                median(&f.best_alphas).to_string(),
            ]
        })
        .collect();
    if let Some(path) = &args.output {
        write_per_target(path, &fitted)?;
    }
    if let Some(path) = &args.plot {
        plot(path, &fitted, &args.score)?;
    }
    if g.json {
        println!("{}", rows_json(&HEADER, &rows));
    } else {
        let short = four_decimals(&rows, 3);
        print!("{}", text_table(&HEADER, &short));
        println!(
            "scores: cross-validated {} ({} contiguous folds), penalty chosen {}",
            args.score,
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
        let rows: Vec<Vec<String>> = fitted
            .iter()
            .flat_map(|f| {
                (0..f.cv_scores.len()).map(move |j| {
                    vec![
                        f.features.clone(),
                        f.targets.clone(),
                        j.to_string(),
                        f.cv_scores[j].to_string(),
                        f.best_alphas[j].to_string(),
                    ]
                })
            })
            .collect();
        let header = ["features", "targets", "target", "cv_score", "best_alpha"];
        write_table_csv(path, &header, &rows)?;
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
                .map(|f| f.cv_scores.iter().sum::<f64>() / f.cv_scores.len() as f64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_ranges_and_lists_parse() {
        let a = parse_alphas("1e-2:1e2:5").unwrap();
        let expected = [0.01, 0.1, 1.0, 10.0, 100.0];
        assert!(
            a.iter()
                .zip(expected)
                .all(|(x, y)| (x / y - 1.0).abs() < 1e-12),
            "{a:?}"
        );
        assert_eq!(parse_alphas("1, 10").unwrap(), vec![1.0, 10.0]);
        for bad in ["0:1:3", "1:x:3", "-1", "", "5:1:3"] {
            assert!(parse_alphas(bad).is_err(), "{bad}");
        }
    }
}
