//! Surface searchlight geometry: discs on a cortical mesh.
//!
//! A disc holds the data columns whose mesh vertex lies within `radius`
//! (mm) of the centre's vertex *along the mesh*: the distance is the
//! shortest path over the mesh's edges (Dijkstra on the edge graph, each
//! edge weighted by its Euclidean length). A path along edges is never
//! shorter than the true geodesic, and longer by at most the zigzag across
//! the triangles it passes (on a regular triangulation, up to about 15 %),
//! so a disc holds every vertex whose geodesic distance is ≤ `radius`
//! minus that excess, and no vertex beyond `radius`: its edge is within
//! about one edge length of the exact geodesic disc. (Exact geodesics,
//! e.g. the heat method or MMP, are not computed.)
//!
//! Paths may cross vertices without data (a medial-wall mask only removes
//! vertices from the discs, not from the surface), and several meshes
//! (two hemispheres) are one graph of disconnected parts, so no disc
//! crosses from one to the other.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::Neighbourhoods;
use crate::error::{Error, Result};

/// The discs around every data column of a surface.
#[derive(Clone, Debug)]
pub struct SurfaceSearchlight {
    /// The mesh vertex of each data column.
    vertices: Vec<usize>,
    /// Disc of column `c`: `members[starts[c]..starts[c + 1]]`, nearest
    /// first (the centre first; ties by column).
    starts: Vec<usize>,
    members: Vec<u32>,
    max_edge: f64,
}

const NO_COLUMN: u32 = u32::MAX;

/// The edge graph of a mesh: neighbours of each vertex with the edge
/// lengths, in compressed rows.
struct EdgeGraph {
    starts: Vec<usize>,
    to: Vec<u32>,
    length: Vec<f64>,
}

impl EdgeGraph {
    fn new(coords: &[[f64; 3]], faces: &[[usize; 3]]) -> Result<(Self, f64)> {
        let n = coords.len();
        if let Some(v) = coords.iter().position(|c| c.iter().any(|x| !x.is_finite())) {
            return Err(Error::Invalid {
                what: "surface mesh".into(),
                detail: format!("vertex {v} has a non-finite coordinate {:?}", coords[v]),
            });
        }
        let mut edges: Vec<(u32, u32)> = Vec::with_capacity(faces.len() * 6);
        for (f, face) in faces.iter().enumerate() {
            if let Some(&bad) = face.iter().find(|&&v| v >= n) {
                return Err(Error::Invalid {
                    what: "surface mesh".into(),
                    detail: format!("face {f} names vertex {bad}, but the mesh has {n} vertices"),
                });
            }
            for (a, b) in [(0, 1), (1, 2), (2, 0)] {
                let (a, b) = (face[a] as u32, face[b] as u32);
                if a != b {
                    edges.push((a, b));
                    edges.push((b, a));
                }
            }
        }
        edges.sort_unstable();
        edges.dedup();
        let mut starts = vec![0usize; n + 1];
        for &(a, _) in &edges {
            starts[a as usize + 1] += 1;
        }
        for v in 0..n {
            starts[v + 1] += starts[v];
        }
        let length: Vec<f64> = edges
            .iter()
            .map(|&(a, b)| {
                let (p, q) = (coords[a as usize], coords[b as usize]);
                ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
            })
            .collect();
        let max_edge = length.iter().copied().fold(0.0, f64::max);
        let to = edges.into_iter().map(|(_, b)| b).collect();
        Ok((Self { starts, to, length }, max_edge))
    }

    fn neighbours(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.starts[v]..self.starts[v + 1];
        self.to[r.clone()]
            .iter()
            .zip(&self.length[r])
            .map(|(&t, &l)| (t as usize, l))
    }
}

/// Per-thread scratch of one Dijkstra run: distances (∞ where untouched)
/// and the vertices touched, to reset only those.
struct Scratch {
    dist: Vec<f64>,
    touched: Vec<usize>,
    heap: BinaryHeap<Reverse<(u64, usize)>>,
}

impl SurfaceSearchlight {
    /// Discs of `radius` mm around every data column. `coords` and `faces`
    /// are the mesh (several hemispheres concatenated, their faces offset);
    /// `vertices[c]` is the mesh vertex of data column `c` (vertices without
    /// a column, e.g. the medial wall, are in no disc).
    pub fn new(
        coords: &[[f64; 3]],
        faces: &[[usize; 3]],
        vertices: &[usize],
        radius: f64,
    ) -> Result<Self> {
        if !(radius.is_finite() && radius >= 0.0) {
            return Err(Error::OutOfRange {
                what: "surface searchlight radius (mm)".into(),
                value: radius.to_string(),
                expected: "a finite number ≥ 0".into(),
            });
        }
        if vertices.is_empty() {
            return Err(Error::Invalid {
                what: "surface searchlight".into(),
                detail: "no vertex has data (the mask selects none)".into(),
            });
        }
        let n = coords.len();
        if n >= NO_COLUMN as usize {
            return Err(Error::Invalid {
                what: "surface mesh".into(),
                detail: format!("{n} vertices, more than 2³² − 1"),
            });
        }
        let (graph, max_edge) = EdgeGraph::new(coords, faces)?;
        let mut column = vec![NO_COLUMN; n];
        for (c, &v) in vertices.iter().enumerate() {
            if v >= n {
                return Err(Error::Invalid {
                    what: "surface searchlight".into(),
                    detail: format!("data column {c} is vertex {v}, but the mesh has {n} vertices"),
                });
            }
            if column[v] != NO_COLUMN {
                return Err(Error::Invalid {
                    what: "surface searchlight".into(),
                    detail: format!(
                        "data columns {} and {c} are both vertex {v}; give each vertex one column",
                        column[v]
                    ),
                });
            }
            column[v] = c as u32;
        }
        let discs: Vec<Vec<u32>> = vertices
            .par_iter()
            .map_init(
                || Scratch {
                    dist: vec![f64::INFINITY; n],
                    touched: Vec::new(),
                    heap: BinaryHeap::new(),
                },
                |s, &centre| {
                    crate::interrupt::check()?;
                    Ok(disc(&graph, &column, centre, radius, s))
                },
            )
            .collect::<Result<_>>()?;
        let mut starts = Vec::with_capacity(discs.len() + 1);
        starts.push(0);
        let mut members = Vec::with_capacity(discs.iter().map(Vec::len).sum());
        for d in discs {
            members.extend_from_slice(&d);
            starts.push(members.len());
        }
        Ok(Self {
            vertices: vertices.to_vec(),
            starts,
            members,
            max_edge,
        })
    }

    /// The mesh vertex of each data column.
    pub fn vertices(&self) -> &[usize] {
        &self.vertices
    }

    /// The columns of the disc around column `c`, nearest first.
    pub fn disc(&self, c: usize) -> &[u32] {
        &self.members[self.starts[c]..self.starts[c + 1]]
    }

    /// The longest edge of the mesh (mm): the discs' edges are within
    /// about this of exact geodesic discs.
    pub fn max_edge_length(&self) -> f64 {
        self.max_edge
    }
}

/// Dijkstra from `centre`, stopped beyond `radius`: the columns reached,
/// nearest first (ties by column).
fn disc(
    graph: &EdgeGraph,
    column: &[u32],
    centre: usize,
    radius: f64,
    s: &mut Scratch,
) -> Vec<u32> {
    // Non-negative floats order as their bit patterns do.
    s.dist[centre] = 0.0;
    s.touched.push(centre);
    s.heap.push(Reverse((0f64.to_bits(), centre)));
    let mut found: Vec<(f64, u32)> = Vec::new();
    while let Some(Reverse((bits, v))) = s.heap.pop() {
        let d = f64::from_bits(bits);
        if d > s.dist[v] {
            continue; // a stale entry
        }
        if column[v] != NO_COLUMN {
            found.push((d, column[v]));
        }
        for (w, l) in graph.neighbours(v) {
            let dw = d + l;
            if dw <= radius && dw < s.dist[w] {
                if s.dist[w].is_infinite() {
                    s.touched.push(w);
                }
                s.dist[w] = dw;
                s.heap.push(Reverse((dw.to_bits(), w)));
            }
        }
    }
    for &v in &s.touched {
        s.dist[v] = f64::INFINITY;
    }
    s.touched.clear();
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    found.into_iter().map(|(_, c)| c).collect()
}

impl Neighbourhoods for SurfaceSearchlight {
    fn n_columns(&self) -> usize {
        self.vertices.len()
    }

    fn members(&self, centre: usize, out: &mut Vec<usize>) {
        out.clear();
        out.extend(self.disc(centre).iter().map(|&c| c as usize));
    }

    fn place(&self, col: usize) -> String {
        format!("vertex {}", self.vertices[col])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An icosphere of radius `r` (mm), subdivided `levels` times.
    pub(crate) fn icosphere(r: f64, levels: usize) -> (Vec<[f64; 3]>, Vec<[usize; 3]>) {
        let t = (1.0 + 5f64.sqrt()) / 2.0;
        let mut v: Vec<[f64; 3]> = vec![
            [-1.0, t, 0.0],
            [1.0, t, 0.0],
            [-1.0, -t, 0.0],
            [1.0, -t, 0.0],
            [0.0, -1.0, t],
            [0.0, 1.0, t],
            [0.0, -1.0, -t],
            [0.0, 1.0, -t],
            [t, 0.0, -1.0],
            [t, 0.0, 1.0],
            [-t, 0.0, -1.0],
            [-t, 0.0, 1.0],
        ];
        let mut f: Vec<[usize; 3]> = vec![
            [0, 11, 5],
            [0, 5, 1],
            [0, 1, 7],
            [0, 7, 10],
            [0, 10, 11],
            [1, 5, 9],
            [5, 11, 4],
            [11, 10, 2],
            [10, 7, 6],
            [7, 1, 8],
            [3, 9, 4],
            [3, 4, 2],
            [3, 2, 6],
            [3, 6, 8],
            [3, 8, 9],
            [4, 9, 5],
            [2, 4, 11],
            [6, 2, 10],
            [8, 6, 7],
            [9, 8, 1],
        ];
        for _ in 0..levels {
            let mut mid = std::collections::HashMap::new();
            let mut next = Vec::new();
            for [a, b, c] in f {
                let mut m = |x: usize, y: usize| {
                    *mid.entry((x.min(y), x.max(y))).or_insert_with(|| {
                        let p = [0, 1, 2].map(|i| (v[x][i] + v[y][i]) / 2.0);
                        v.push(p);
                        v.len() - 1
                    })
                };
                let (ab, bc, ca) = (m(a, b), m(b, c), m(c, a));
                next.extend([[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
            }
            f = next;
        }
        for p in &mut v {
            let norm = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
            *p = p.map(|x| x / norm * r);
        }
        (v, f)
    }

    #[test]
    fn discs_agree_with_great_circles_within_one_edge() {
        let r = 50.0;
        let (coords, faces) = icosphere(r, 5);
        let all: Vec<usize> = (0..coords.len()).collect();
        let radius = 12.0;
        let light = SurfaceSearchlight::new(&coords, &faces, &all, radius).unwrap();
        let h = light.max_edge_length();
        assert!(h > 0.0 && h < radius / 2.0, "{h}");
        let great = |a: usize, b: usize| {
            let dot: f64 = (0..3).map(|i| coords[a][i] * coords[b][i]).sum::<f64>() / (r * r);
            r * dot.clamp(-1.0, 1.0).acos()
        };
        for centre in (0..coords.len()).step_by(97) {
            let disc = light.disc(centre);
            assert_eq!(disc[0] as usize, centre);
            for v in 0..coords.len() {
                let d = great(centre, v);
                let inside = disc.contains(&(v as u32));
                // Edge paths are never shorter than the geodesic ...
                assert!(!inside || d <= radius + 1e-9, "{centre} {v} {d}");
                // ... and longer by less than one edge.
                assert!(inside || d > radius - h, "{centre} {v} {d} {h}");
            }
        }
    }

    #[test]
    fn masked_vertices_leave_the_discs_and_hemispheres_stay_apart() {
        let (mut coords, mut faces) = icosphere(10.0, 1);
        let n = coords.len();
        let shifted: Vec<[f64; 3]> = coords.iter().map(|p| [p[0] + 100.0, p[1], p[2]]).collect();
        let offset: Vec<[usize; 3]> = faces.iter().map(|f| f.map(|v| v + n)).collect();
        coords.extend(shifted);
        faces.extend(offset);
        // Every vertex but 3 and n + 3 has data.
        let vertices: Vec<usize> = (0..2 * n).filter(|&v| v % n != 3).collect();
        let light = SurfaceSearchlight::new(&coords, &faces, &vertices, 1e6).unwrap();
        for c in 0..vertices.len() {
            let disc = light.disc(c);
            assert_eq!(disc.len(), n - 1);
            let left = vertices[c] < n;
            assert!(disc.iter().all(|&m| (vertices[m as usize] < n) == left));
        }
        let e = SurfaceSearchlight::new(&coords, &faces, &[0, 0], 5.0).unwrap_err();
        assert!(e.to_string().contains("both vertex 0"), "{e}");
        let e = SurfaceSearchlight::new(&coords, &[[0, 1, 9999]], &[0], 5.0).unwrap_err();
        assert!(e.to_string().contains("face 0 names vertex 9999"), "{e}");
    }

    #[test]
    fn maps_equal_a_direct_computation_per_disc() {
        use crate::rsa::compare::{CompareMethod, compare};
        use crate::rsa::dissimilarity::{RdmMethod, RdmSpec, rdm};
        use crate::rsa::searchlight::{SearchlightSpec, model_maps};
        use faer::Mat;
        let (coords, faces) = icosphere(20.0, 2);
        // A medial wall: vertices with x < -15 have no data.
        let vertices: Vec<usize> = (0..coords.len())
            .filter(|&v| coords[v][0] > -15.0)
            .collect();
        let light = SurfaceSearchlight::new(&coords, &faces, &vertices, 6.0).unwrap();
        let (k, runs) = (4, 3);
        let data = crate::testing::gaussian(k * runs, vertices.len(), 3);
        let conditions: Vec<usize> = (0..k * runs).map(|r| r % k).collect();
        let folds: Vec<usize> = (0..k * runs).map(|r| r / k).collect();
        let model: Vec<f64> = (0..6).map(|i| (i * 5 % 6) as f64).collect();
        for method in [RdmMethod::Crossnobis, RdmMethod::Correlation] {
            let spec = SearchlightSpec {
                rdm: RdmSpec {
                    conditions: Some(&conditions),
                    folds: Some(&folds),
                    ..RdmSpec::new(method)
                },
                min_voxels: 3,
                noise: None,
                centres: None,
                block_bytes: None,
            };
            let maps = model_maps(
                &light,
                data.as_ref(),
                &spec,
                &[&model],
                CompareMethod::Corr,
                &|_, _| {},
            )
            .unwrap();
            for (c, &got) in maps[0].iter().enumerate() {
                let disc = light.disc(c);
                if disc.len() < 3 {
                    assert!(got.is_nan());
                    continue;
                }
                let x = Mat::from_fn(data.nrows(), disc.len(), |i, j| data[(i, disc[j] as usize)]);
                let direct = rdm(x.as_ref(), &spec.rdm).unwrap();
                let expected = compare(&[&direct], &[&model], CompareMethod::Corr, None).unwrap();
                assert!((got - expected[(0, 0)]).abs() <= 1e-12, "{method:?} {c}");
            }
        }
    }
}
