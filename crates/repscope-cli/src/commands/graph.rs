//! `repscope graph REPS --edges FILE`: how closely each representation
//! follows a graph over the stimuli (Dirichlet energy), and its PCA drawn
//! with the graph's edges.

use repscope::graph::{Graph, dirichlet_energy};
use repscope::linalg::pca::pca;

use super::rsa::figure_path;
use crate::cli::{Global, GraphArgs};
use crate::output::{Cell, Table};

const HEADER: [&str; 4] = ["representation", "energy", "dispersion", "normalised"];

pub fn run(args: &GraphArgs, g: &Global) -> anyhow::Result<()> {
    let set = repscope::load(&args.path)?;
    let n = set.n_stimuli().unwrap_or(0);
    let graph = Graph::read(&args.edges, n, set.stimuli())?;
    let mut table = Table::new(HEADER);
    let mut normalised = Vec::new();
    for rep in set.views() {
        let e = dirichlet_energy(rep.x, &graph).map_err(|e| e.context(rep.name.to_string()))?;
        table.push(vec![
            rep.name.into(),
            e.energy.into(),
            e.dispersion.into(),
            e.normalised.into(),
        ]);
        normalised.push(e.normalised);
    }
    if g.json {
        println!("{}", table.json());
    } else {
        let mut short = Table::new(HEADER);
        for (row, n) in table.rows.iter().zip(&normalised) {
            let sci = |c: &Cell| match c {
                Cell::Number(v) => Cell::Text(format!("{v:.4e}")),
                other => other.clone(),
            };
            short.push(vec![
                row[0].clone(),
                sci(&row[1]),
                sci(&row[2]),
                (*n).into(),
            ]);
        }
        print!("{}", short.text(4));
        println!(
            "(normalised: mean squared edge length / mean squared distance of all pairs; \
             1 = the graph is invisible, 0 = neighbours coincide; {} edges)",
            graph.edges().len()
        );
    }
    if let Some(path) = &args.output {
        table.write_csv(path)?;
    }
    if let Some(base) = &args.plot {
        let edges: Vec<(usize, usize)> = graph.edges().iter().map(|e| (e.0, e.1)).collect();
        let labels = vec![String::new(); n];
        let groups: Option<Vec<usize>> = None;
        for (rep, energy) in set.views().iter().zip(&normalised) {
            let projection = pca(rep.x, 2.min(rep.x.ncols()).min(n))?;
            let x: Vec<f64> = projection.scores.col(0).iter().copied().collect();
            let y: Vec<f64> = if projection.scores.ncols() > 1 {
                projection.scores.col(1).iter().copied().collect()
            } else {
                vec![0.0; n]
            };
            let title = format!(
                "{}: PCA, graph edges (normalised energy {:.3})",
                rep.name, energy
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
                    subtitle: "",
                },
            )?;
        }
    }
    Ok(())
}
