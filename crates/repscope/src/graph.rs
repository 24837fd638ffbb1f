//! How well a representation follows a graph over its stimuli (Park et al.
//! 2025, "ICLR: In-Context Learning of Representations"): the Dirichlet
//! energy
//!
//! ```text
//! E(X) = Σᵢⱼ Aᵢⱼ ‖xᵢ − xⱼ‖²
//! ```
//!
//! over ordered pairs with a symmetric adjacency A (so each undirected edge
//! counts twice). E grows with the scale of X, so it is also reported
//! normalised by the representation's total dispersion: the mean squared
//! distance across edges divided by the mean squared distance across all
//! pairs of distinct stimuli,
//!
//! ```text
//! (E / Σᵢⱼ Aᵢⱼ) / (Σᵢⱼ ‖xᵢ − xⱼ‖² / (n(n−1)))  =  E (n−1) / (2 Σᵢⱼ Aᵢⱼ · Σᵢ ‖xᵢ − x̄‖²)
//! ```
//!
//! which is 1 when the graph's neighbours are no closer than any two
//! stimuli and tends to 0 as the representation takes the graph's shape.
//!
//! Edge files are text, one edge per line: `i j [weight]`, separated by
//! tabs (if the line has one), else commas, else spaces; `#` starts a
//! comment. An endpoint is a stimulus label (when the representations carry
//! labels) or a 0-based row index. A first line whose endpoints are neither
//! (a header such as `source<TAB>target`) is skipped.

use std::path::Path;

use faer::MatRef;

use crate::error::{Error, Result};

/// An undirected, weighted graph over `n` stimuli.
#[derive(Clone, Debug, PartialEq)]
pub struct Graph {
    n: usize,
    edges: Vec<(usize, usize, f64)>,
}

impl Graph {
    /// A graph over `n` stimuli from `(i, j, weight)` edges.
    pub fn new(n: usize, edges: Vec<(usize, usize, f64)>) -> Result<Graph> {
        for (k, &(i, j, w)) in edges.iter().enumerate() {
            check_edge(n, i, j, w).map_err(|detail| invalid(format!("edge {k}: {detail}")))?;
        }
        if edges.iter().all(|e| e.2 == 0.0) {
            return Err(invalid(
                "the graph has no edge with a positive weight".into(),
            ));
        }
        Ok(Graph { n, edges })
    }

    /// Reads an edge file (see the module docs) for `n` stimuli with
    /// optional labels.
    pub fn read(path: &Path, n: usize, stimuli: Option<&[String]>) -> Result<Graph> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Graph::parse(&text, n, stimuli).map_err(|e| e.context(path.display().to_string()))
    }

    /// Parses edge-file text (see the module docs).
    pub fn parse(text: &str, n: usize, stimuli: Option<&[String]>) -> Result<Graph> {
        let resolve = |token: &str| -> Option<usize> {
            stimuli
                .and_then(|s| s.iter().position(|name| name == token))
                .or_else(|| token.parse::<usize>().ok())
        };
        let mut edges = Vec::new();
        let mut first = true;
        for (number, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim_end_matches('\r');
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = if line.contains('\t') {
                line.split('\t').map(str::trim).collect()
            } else if line.contains(',') {
                line.split(',').map(str::trim).collect()
            } else {
                line.split_whitespace().collect()
            };
            let at = |detail: String| invalid(format!("line {}: {detail}", number + 1));
            if !(2..=3).contains(&fields.len()) {
                return Err(at(format!(
                    "expected 'i j' or 'i j weight', found {} fields",
                    fields.len()
                )));
            }
            let (i, j) = (resolve(fields[0]), resolve(fields[1]));
            if first && i.is_none() && j.is_none() {
                first = false;
                continue; // a header
            }
            first = false;
            let endpoint = |token: &str, found: Option<usize>| {
                found.ok_or_else(|| {
                    at(format!(
                        "'{token}' is neither a stimulus label nor a row index (0 to {})",
                        n.saturating_sub(1)
                    ))
                })
            };
            let (i, j) = (endpoint(fields[0], i)?, endpoint(fields[1], j)?);
            let w = match fields.get(2) {
                None => 1.0,
                Some(t) => t
                    .parse::<f64>()
                    .map_err(|_| at(format!("weight '{t}' is not a number")))?,
            };
            check_edge(n, i, j, w).map_err(at)?;
            edges.push((i, j, w));
        }
        if edges.is_empty() {
            return Err(invalid("the edge list is empty".into()));
        }
        Graph::new(n, edges)
    }

    /// Stimuli the graph is over.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The edges as given: `(i, j, weight)`.
    pub fn edges(&self) -> &[(usize, usize, f64)] {
        &self.edges
    }
}

fn invalid(detail: String) -> Error {
    Error::Invalid {
        what: "graph".into(),
        detail,
    }
}

fn check_edge(n: usize, i: usize, j: usize, w: f64) -> std::result::Result<(), String> {
    if i >= n || j >= n {
        return Err(format!(
            "stimulus {} is out of range: the representations have {n} stimuli (0 to {})",
            i.max(j),
            n.saturating_sub(1)
        ));
    }
    if i == j {
        return Err(format!("edge from stimulus {i} to itself"));
    }
    if !(w.is_finite() && w >= 0.0) {
        return Err(format!("weight {w} must be finite and ≥ 0"));
    }
    Ok(())
}

/// The Dirichlet energy of a representation on a graph.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Energy {
    /// Σᵢⱼ Aᵢⱼ ‖xᵢ − xⱼ‖² (ordered pairs).
    pub energy: f64,
    /// Σᵢ ‖xᵢ − x̄‖², the total dispersion.
    pub dispersion: f64,
    /// Mean squared edge length over mean squared distance of all pairs
    /// (NaN when every stimulus has the same representation).
    pub normalised: f64,
}

/// The Dirichlet energy of `x` (stimuli × units) on `graph`.
pub fn dirichlet_energy(x: MatRef<'_, f64>, graph: &Graph) -> Result<Energy> {
    if x.nrows() != graph.n {
        return Err(Error::ShapeMismatch {
            what: "the representation's stimuli (rows) for this graph".into(),
            expected: graph.n,
            found: x.nrows(),
        });
    }
    crate::data::repset::check_finite("representation", x)?;
    if x.ncols() == 0 {
        return Err(Error::Empty {
            array: "representation".into(),
            rows: x.nrows(),
            cols: 0,
        });
    }
    let n = x.nrows();
    let mut energy = 0.0;
    let mut weight = 0.0;
    for &(i, j, w) in &graph.edges {
        let d2: f64 = (0..x.ncols())
            .map(|c| (x[(i, c)] - x[(j, c)]).powi(2))
            .sum();
        energy += 2.0 * w * d2;
        weight += 2.0 * w;
    }
    let dispersion = crate::linalg::sum_of_squares(crate::linalg::center_columns(x).as_ref());
    let normalised = if dispersion > 0.0 {
        energy * (n as f64 - 1.0) / (2.0 * weight * dispersion)
    } else {
        f64::NAN
    };
    Ok(Energy {
        energy,
        dispersion,
        normalised,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    #[test]
    fn energy_by_hand_on_a_path() {
        // Points 0, 1, 3 on a line; edges 0-1 and 1-2 (weight 2).
        let x = Mat::from_fn(3, 1, |i, _| [0.0, 1.0, 3.0][i]);
        let g = Graph::new(3, vec![(0, 1, 1.0), (1, 2, 2.0)]).unwrap();
        let e = dirichlet_energy(x.as_ref(), &g).unwrap();
        assert_eq!(e.energy, 2.0 * (1.0 + 2.0 * 4.0));
        let mean = 4.0 / 3.0;
        let disp = [0.0, 1.0, 3.0]
            .iter()
            .map(|v: &f64| (v - mean).powi(2))
            .sum::<f64>();
        assert!((e.dispersion - disp).abs() < 1e-12);
        // Mean squared edge length 9/3 = 3; all pairs (1 + 9 + 4) / 3.
        assert!((e.normalised - 3.0 / (14.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn files_accept_labels_indices_headers_and_weights() {
        let labels: Vec<String> = ["a b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let g = Graph::parse(
            "source\ttarget\n# comment\na b\tc\n1\t2\t0.5\n",
            3,
            Some(&labels),
        )
        .unwrap();
        assert_eq!(g.edges(), &[(0, 1, 1.0), (1, 2, 0.5)]);
        let g = Graph::parse("0,1\n2 1 3\n", 3, None).unwrap();
        assert_eq!(g.edges(), &[(0, 1, 1.0), (2, 1, 3.0)]);
    }

    #[test]
    fn edges_to_missing_stimuli_are_errors_with_the_line() {
        let e = Graph::parse("0 1\n0 7\n", 3, None).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(e.to_string().contains("out of range"), "{e}");
        let e = Graph::parse("0 1\nx 2\n", 3, None).unwrap_err();
        assert!(e.to_string().contains("'x' is neither"), "{e}");
        assert!(Graph::parse("0 0\n", 3, None).is_err());
        assert!(Graph::parse("0 1 -1\n", 3, None).is_err());
        assert!(Graph::parse("", 3, None).is_err());
        let g = Graph::new(4, vec![(0, 1, 1.0)]).unwrap();
        let x = Mat::<f64>::zeros(3, 2);
        assert!(dirichlet_energy(x.as_ref(), &g).is_err());
    }
}
