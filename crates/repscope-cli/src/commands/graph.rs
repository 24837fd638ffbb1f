//! `repscope graph REPS --edges FILE`: how closely each representation
//! follows a graph over the stimuli (Dirichlet energy), and its PCA drawn
//! with the graph's edges.

use repscope::graph::{Graph, dirichlet_energy};
use repscope::linalg::pca::pca;

use super::rsa::figure_path;
use crate::cli::{Global, GraphArgs};
use crate::output::{text_table, write_table_csv};

const HEADER: [&str; 4] = ["representation", "energy", "dispersion", "normalised"];

pub fn run(args: &GraphArgs, g: &Global) -> anyhow::Result<()> {
    let set = repscope::load(&args.path)?;
    let n = set.n_stimuli().unwrap_or(0);
    let graph = Graph::read(&args.edges, n, set.stimuli())?;
    let mut rows = Vec::new();
    for rep in set.views() {
        let e = dirichlet_energy(rep.x, &graph).map_err(|e| e.context(rep.name.to_string()))?;
        rows.push(vec![
            rep.name.to_string(),
            e.energy.to_string(),
            e.dispersion.to_string(),
            e.normalised.to_string(),
        ]);
    }
    if g.json {
        let doc: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "representation": r[0],
                    "energy": r[1].parse::<f64>().ok(),
                    "dispersion": r[2].parse::<f64>().ok(),
                    "normalised": r[3].parse::<f64>().ok(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::from(doc));
    } else {
        let short: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let num = |s: &str| format!("{:.4e}", s.parse::<f64>().unwrap_or(f64::NAN));
                vec![
                    r[0].clone(),
                    num(&r[1]),
                    num(&r[2]),
                    format!("{:.4}", r[3].parse::<f64>().unwrap_or(f64::NAN)),
                ]
            })
            .collect();
        print!("{}", text_table(&HEADER, &short));
        println!(
            "(normalised: mean squared edge length / mean squared distance of all pairs; \
             1 = the graph is invisible, 0 = neighbours coincide; {} edges)",
            graph.edges().len()
        );
    }
    if let Some(path) = &args.output {
        write_table_csv(path, &HEADER, &rows)?;
    }
    if let Some(base) = &args.plot {
        let edges: Vec<(usize, usize)> = graph.edges().iter().map(|e| (e.0, e.1)).collect();
        let labels = vec![String::new(); n];
        let groups: Option<Vec<usize>> = None;
        for (rep, row) in set.views().iter().zip(&rows) {
            let projection = pca(rep.x, 2.min(rep.x.ncols()).min(n))?;
            let x: Vec<f64> = projection.scores.col(0).iter().copied().collect();
            let y: Vec<f64> = if projection.scores.ncols() > 1 {
                projection.scores.col(1).iter().copied().collect()
            } else {
                vec![0.0; n]
            };
            let title = format!(
                "{}: PCA, graph edges (normalised energy {:.3})",
                rep.name,
                row[3].parse::<f64>().unwrap_or(f64::NAN)
            );
            repscope_plot::scatter(
                &figure_path(base, rep.name, set.len() > 1),
                &repscope_plot::Scatter {
                    x: &x,
                    y: &y,
                    labels: &labels,
                    groups: groups.as_deref(),
                    edges: &edges,
                    title: &title,
                },
            )?;
        }
    }
    Ok(())
}
