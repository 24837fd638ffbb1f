//! `repscope match A [B]`: units of one network matched to another's
//! (Li et al. 2016, convergent learning).

use faer::Par;
use repscope::units::sparse::{SparseOptions, sparse_prediction};
use repscope::units::spectral::{SpectralOptions, spectral_groups};
use repscope::units::{Matching, hungarian, semi, unit_correlations};

use super::pick;
use crate::UsageError;
use crate::cli::{Global, MatchArgs};
use crate::output::{text_table, write_table_csv};

pub fn run(args: &MatchArgs, g: &Global) -> anyhow::Result<()> {
    let a_set = repscope::load(&args.a)?;
    let b_set = args.b.as_deref().map(repscope::load).transpose()?;
    let (a_name, x) = pick(&a_set, args.layer_a.as_deref(), "A", "--layer-a")?;
    let (b_name, y) = pick(
        b_set.as_ref().unwrap_or(&a_set),
        args.layer_b.as_deref(),
        "B",
        "--layer-b",
    )?;
    let title = format!("{a_name} -> {b_name}");
    match args.method.as_str() {
        "hungarian" | "semi" => {
            let c = unit_correlations(x, y, Par::rayon(g.threads.unwrap_or(0)))?;
            let m = if args.method == "hungarian" {
                hungarian(c.as_ref())?
            } else {
                semi(c.as_ref())
            };
            one_to_one(args, g, &m, &title)
        }
        "sparse" => {
            let options = SparseOptions {
                n_alphas: args.alphas,
                test_fraction: args.test_fraction,
                seed: args.seed,
                ..SparseOptions::default()
            };
            let s = sparse_prediction(x, y, &options)?;
            if !s.converged && !g.json {
                eprintln!(
                    "warning: some lasso fits stopped at the iteration limit before converging"
                );
            }
            sparse(args, g, &s, &title)
        }
        "spectral" => {
            let options = SpectralOptions {
                groups: args.groups,
                seed: args.seed,
                ..SpectralOptions::default()
            };
            let s = spectral_groups(x, y, &options)?;
            spectral(args, g, &s, &title)
        }
        other => Err(UsageError(format!(
            "unknown --method '{other}'; use hungarian, semi, sparse or spectral"
        ))
        .into()),
    }
}

fn summary(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    let median = if v.is_empty() {
        f64::NAN
    } else if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        0.5 * (v[v.len() / 2 - 1] + v[v.len() / 2])
    };
    (mean, median)
}

fn one_to_one(args: &MatchArgs, g: &Global, m: &Matching, title: &str) -> anyhow::Result<()> {
    let header = ["unit_a", "unit_b", "correlation"];
    let rows: Vec<Vec<String>> = m
        .pairs
        .iter()
        .zip(&m.correlations)
        .map(|(&(i, j), r)| vec![i.to_string(), j.to_string(), r.to_string()])
        .collect();
    let (mean, median) = summary(&m.correlations);
    if g.json {
        let doc = serde_json::json!({
            "method": args.method, "pairs": m.pairs, "correlations": m.correlations,
            "mean": mean, "median": median,
        });
        println!("{doc}");
    } else {
        let above = |t: f64| m.correlations.iter().filter(|&&r| r > t).count();
        println!(
            "{title}, {}: {} pairs, mean correlation {mean:.4}, median {median:.4}; \
             r > 0.9: {}, r > 0.5: {}",
            args.method,
            m.pairs.len(),
            above(0.9),
            above(0.5)
        );
    }
    if let Some(path) = &args.output {
        write_table_csv(path, &header, &rows)?;
    }
    if let Some(path) = &args.plot {
        let sorted = m.sorted_correlations();
        let rank: Vec<f64> = (1..=sorted.len()).map(|i| i as f64).collect();
        repscope_plot::lines(
            path,
            &repscope_plot::Lines {
                series: &[repscope_plot::Series {
                    name: &args.method,
                    x: &rank,
                    y: &sorted,
                }],
                title: &format!("{title}: matched unit correlations ({})", args.method),
                x_label: "pair (sorted by correlation)",
                y_label: "correlation",
                log_x: false,
            },
        )?;
    }
    Ok(())
}

fn sparse(
    args: &MatchArgs,
    g: &Global,
    s: &repscope::units::sparse::SparsePrediction,
    title: &str,
) -> anyhow::Result<()> {
    let q = s.best.len();
    let steps = s.alphas.len();
    let column_mean = |m: &faer::Mat<f64>, a: usize| m.row(a).iter().sum::<f64>() / q as f64;
    let mean_r: Vec<f64> = (0..steps).map(|a| column_mean(&s.correlation, a)).collect();
    let mean_nz: Vec<f64> = (0..steps).map(|a| column_mean(&s.nonzero, a)).collect();
    let header = [
        "unit_b",
        "best_correlation",
        "units_needed",
        "top_predictor",
        "best_alpha",
    ];
    let rows: Vec<Vec<String>> = (0..q)
        .map(|t| {
            vec![
                t.to_string(),
                s.best_correlation[t].to_string(),
                s.units_needed[t].to_string(),
                s.top_predictor[t].map_or(String::new(), |j| j.to_string()),
                s.alphas[s.best[t]].to_string(),
            ]
        })
        .collect();
    if g.json {
        let doc = serde_json::json!({
            "method": "sparse", "alphas": s.alphas, "mean_correlation": mean_r,
            "mean_nonzero": mean_nz, "best_correlation": s.best_correlation,
            "units_needed": s.units_needed, "top_predictor": s.top_predictor,
            "test_rows": s.test_rows,
        });
        println!("{doc}");
    } else {
        let path_rows: Vec<Vec<String>> = (0..steps)
            .map(|a| {
                vec![
                    format!("{:.4e}", s.alphas[a]),
                    format!("{:.4}", mean_r[a]),
                    format!("{:.1}", mean_nz[a]),
                ]
            })
            .collect();
        println!(
            "{title}, sparse prediction of each B-unit from A's units ({} held-out stimuli):",
            s.test_rows.len()
        );
        print!(
            "{}",
            text_table(&["alpha", "mean_heldout_r", "mean_units_used"], &path_rows)
        );
        let (mean, median) = summary(&s.best_correlation);
        let needed: Vec<f64> = s.units_needed.iter().map(|&v| v as f64).collect();
        let (need_mean, need_median) = summary(&needed);
        println!(
            "at each unit's best alpha: held-out r mean {mean:.4} (median {median:.4}); \
             A-units needed mean {need_mean:.1} (median {need_median:.0})"
        );
    }
    if let Some(path) = &args.output {
        write_table_csv(path, &header, &rows)?;
    }
    if let Some(path) = &args.plot {
        repscope_plot::lines(
            path,
            &repscope_plot::Lines {
                series: &[repscope_plot::Series {
                    name: "mean held-out correlation",
                    x: &mean_nz,
                    y: &mean_r,
                }],
                title: &format!("{title}: sparse prediction (lasso path)"),
                x_label: "mean A-units used per B-unit",
                y_label: "held-out correlation",
                log_x: false,
            },
        )?;
    }
    Ok(())
}

fn spectral(
    args: &MatchArgs,
    g: &Global,
    s: &repscope::units::spectral::SpectralGroups,
    title: &str,
) -> anyhow::Result<()> {
    let label = |l: &Option<usize>| l.map_or(String::new(), |v| v.to_string());
    let rows: Vec<Vec<String>> = s
        .a_labels
        .iter()
        .enumerate()
        .map(|(i, l)| vec!["A".to_string(), i.to_string(), label(l)])
        .chain(
            s.b_labels
                .iter()
                .enumerate()
                .map(|(i, l)| vec!["B".to_string(), i.to_string(), label(l)]),
        )
        .collect();
    if g.json {
        let groups: Vec<serde_json::Value> = s
            .groups
            .iter()
            .map(|gr| {
                serde_json::json!({"a_units": gr.a_units, "b_units": gr.b_units,
                    "mean_cross_correlation": if gr.mean_cross_correlation.is_nan() { None } else { Some(gr.mean_cross_correlation) }})
            })
            .collect();
        let doc = serde_json::json!({"method": "spectral", "eigenvalues": s.eigenvalues, "groups": groups,
            "a_labels": s.a_labels, "b_labels": s.b_labels});
        println!("{doc}");
    } else {
        println!("{title}, spectral groups of the joint |correlation| graph:");
        let table: Vec<Vec<String>> = s
            .groups
            .iter()
            .enumerate()
            .map(|(k, gr)| {
                vec![
                    k.to_string(),
                    gr.a_units.len().to_string(),
                    gr.b_units.len().to_string(),
                    format!("{:.4}", gr.mean_cross_correlation),
                ]
            })
            .collect();
        print!(
            "{}",
            text_table(&["group", "a_units", "b_units", "mean_cross_|r|"], &table)
        );
        let left_out = s
            .a_labels
            .iter()
            .chain(&s.b_labels)
            .filter(|l| l.is_none())
            .count();
        if left_out > 0 {
            println!("{left_out} constant unit(s) left out");
        }
    }
    if let Some(path) = &args.output {
        write_table_csv(path, &["network", "unit", "group"], &rows)?;
    }
    if let Some(path) = &args.plot {
        let names: Vec<String> = s
            .groups
            .iter()
            .enumerate()
            .map(|(k, gr)| format!("{k} ({}A+{}B)", gr.a_units.len(), gr.b_units.len()))
            .collect();
        let values: Vec<f64> = s
            .groups
            .iter()
            .map(|gr| {
                if gr.mean_cross_correlation.is_nan() {
                    0.0
                } else {
                    gr.mean_cross_correlation
                }
            })
            .collect();
        repscope_plot::bars(
            path,
            &repscope_plot::Bars {
                names: &names,
                values: &values,
                error_low: &values,
                error_high: &values,
                noise_ceiling: None,
                title: &format!("{title}: spectral groups"),
                value_label: "mean |r| between the group's A- and B-units",
            },
        )?;
    }
    Ok(())
}
