//! `repscope match A [B]`: units of one network matched to another's
//! (Li et al. 2016, convergent learning). The core chooses and runs the
//! method; this presents each kind of result.

use repscope::stats::mean;
use repscope::stats::quantile::median;
use repscope::units::sparse::{SparseOptions, SparsePrediction};
use repscope::units::spectral::{SpectralGroups, SpectralOptions};
use repscope::units::{MatchOptions, Matching, UnitMatch, match_units};

use super::{deprecated, pick};
use crate::cli::{Global, MatchArgs};
use crate::output::{Cell, Table};

pub fn run(args: &MatchArgs, g: &Global) -> anyhow::Result<()> {
    let a_set = repscope::load(&args.a)?;
    let b_set = args.b.as_deref().map(repscope::load).transpose()?;
    let layer = match &args.layer_a {
        Some(name) => {
            deprecated("--layer-a", "--layer");
            Some(name.as_str())
        }
        None => args.layer.as_deref(),
    };
    let n_alphas = match args.alphas {
        Some(n) => {
            deprecated("--alphas N (a count) in `match`", "--n-alphas N");
            n
        }
        None => args.n_alphas,
    };
    let (a_name, x) = pick(&a_set, layer, "A", "--layer")?;
    let (b_name, y) = pick(
        b_set.as_ref().unwrap_or(&a_set),
        args.layer_b.as_deref(),
        "B",
        "--layer-b",
    )?;
    let title = format!("{a_name} -> {b_name}");
    let options = MatchOptions {
        sparse: SparseOptions {
            n_alphas,
            test_fraction: args.test_fraction,
            seed: args.seed,
            ..SparseOptions::default()
        },
        spectral: SpectralOptions {
            groups: args.groups,
            seed: args.seed,
            ..SpectralOptions::default()
        },
        ..MatchOptions::new(args.method)
    };
    match match_units(x, y, &options)? {
        UnitMatch::Pairs(m) => one_to_one(args, g, &m, &title),
        UnitMatch::Sparse(s) => {
            if !s.converged && !g.json {
                eprintln!(
                    "warning: some lasso fits stopped at the iteration limit before converging"
                );
            }
            sparse(args, g, &s, &title)
        }
        UnitMatch::Spectral(s) => spectral(args, g, &s, &title),
        _ => unreachable!("every kind of unit match is presented"),
    }
}

fn one_to_one(args: &MatchArgs, g: &Global, m: &Matching, title: &str) -> anyhow::Result<()> {
    let mut table = Table::new(["unit_a", "unit_b", "correlation"]);
    for (&(i, j), &r) in m.pairs.iter().zip(&m.correlations) {
        table.push(vec![i.into(), j.into(), r.into()]);
    }
    let s = m.summary();
    if g.json {
        let doc = serde_json::json!({
            "method": m.method.name(), "pairs": m.pairs, "correlations": m.correlations,
            "mean": s.mean, "median": s.median,
        });
        println!("{doc}");
    } else {
        println!(
            "{title}, {}: {} pairs, mean correlation {:.4}, median {:.4}; r > 0.9: {}, \
             r > 0.5: {}",
            m.method.name(),
            s.pairs,
            s.mean,
            s.median,
            s.above_0_9,
            s.above_0_5
        );
    }
    if let Some(path) = &args.output {
        table.write_csv(path)?;
    }
    if let Some(path) = &args.plot {
        let sorted = m.sorted_correlations();
        let rank: Vec<f64> = (1..=sorted.len()).map(|i| i as f64).collect();
        repscope_plot::lines(
            path,
            &repscope_plot::Lines {
                series: &[repscope_plot::Series {
                    name: m.method.name(),
                    x: &rank,
                    y: &sorted,
                    band: None,
                }],
                title: &format!("{title}: matched unit correlations ({})", m.method.name()),
                x_label: "pair (sorted by correlation)",
                y_label: "correlation",
                ..Default::default()
            },
        )?;
    }
    Ok(())
}

fn sparse(args: &MatchArgs, g: &Global, s: &SparsePrediction, title: &str) -> anyhow::Result<()> {
    let mean_r = s.mean_correlation_per_alpha();
    let mean_nz = s.mean_nonzero_per_alpha();
    let mut table = Table::new([
        "unit_b",
        "best_correlation",
        "units_needed",
        "top_predictor",
        "best_alpha",
    ]);
    for t in 0..s.best.len() {
        table.push(vec![
            t.into(),
            s.best_correlation[t].into(),
            s.units_needed[t].into(),
            Cell::count(s.top_predictor[t]),
            s.alphas[s.best[t]].into(),
        ]);
    }
    if g.json {
        let doc = serde_json::json!({
            "method": "sparse", "alphas": s.alphas, "mean_correlation": mean_r,
            "mean_nonzero": mean_nz, "best_correlation": s.best_correlation,
            "units_needed": s.units_needed, "top_predictor": s.top_predictor,
            "test_rows": s.test_rows,
        });
        println!("{doc}");
    } else {
        let mut path_table = Table::new(["alpha", "mean_heldout_r", "mean_units_used"]);
        for a in 0..s.alphas.len() {
            path_table.push(vec![
                format!("{:.4e}", s.alphas[a]).into(),
                mean_r[a].into(),
                format!("{:.1}", mean_nz[a]).into(),
            ]);
        }
        println!(
            "{title}, sparse prediction of each B-unit from A's units ({} held-out stimuli):",
            s.test_rows.len()
        );
        print!("{}", path_table.text(4));
        let needed: Vec<f64> = s.units_needed.iter().map(|&v| v as f64).collect();
        println!(
            "at each unit's best alpha: held-out r mean {:.4} (median {:.4}); A-units needed \
             mean {:.1} (median {:.0})",
            mean(&s.best_correlation),
            median(&s.best_correlation),
            mean(&needed),
            median(&needed)
        );
    }
    if let Some(path) = &args.output {
        table.write_csv(path)?;
    }
    if let Some(path) = &args.plot {
        repscope_plot::lines(
            path,
            &repscope_plot::Lines {
                series: &[repscope_plot::Series {
                    name: "mean held-out correlation",
                    x: &mean_nz,
                    y: &mean_r,
                    band: None,
                }],
                title: &format!("{title}: sparse prediction (lasso path)"),
                x_label: "mean A-units used per B-unit",
                y_label: "held-out correlation",
                ..Default::default()
            },
        )?;
    }
    Ok(())
}

fn spectral(args: &MatchArgs, g: &Global, s: &SpectralGroups, title: &str) -> anyhow::Result<()> {
    let mut units = Table::new(["network", "unit", "group"]);
    for (network, labels) in [("A", &s.a_labels), ("B", &s.b_labels)] {
        for (i, l) in labels.iter().enumerate() {
            units.push(vec![network.into(), i.into(), Cell::count(*l)]);
        }
    }
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
        let mut table = Table::new(["group", "a_units", "b_units", "mean_cross_|r|"]);
        for (k, gr) in s.groups.iter().enumerate() {
            table.push(vec![
                k.into(),
                gr.a_units.len().into(),
                gr.b_units.len().into(),
                gr.mean_cross_correlation.into(),
            ]);
        }
        print!("{}", table.text(4));
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
        units.write_csv(path)?;
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
                marks: &[],
                subtitle: "",
            },
        )?;
    }
    Ok(())
}
