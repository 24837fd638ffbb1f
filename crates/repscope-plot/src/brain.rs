//! Charts of brain maps (a value per voxel or per mesh vertex, NaN where
//! nothing was computed): the three orthogonal slices of a volume through
//! its peak, and the two side views of a cortical mesh.

use crate::chart::{Chart, MapChart, MapPanel};
use crate::table::{Cell, Table};

/// A map over the voxels of a grid.
pub struct VolumeMap<'a> {
    pub title: &'a str,
    pub value_label: &'a str,
    /// One value per voxel of `voxels` (NaN where not computed).
    pub values: &'a [f64],
    /// Grid indices (i, j, k) of each value.
    pub voxels: &'a [[usize; 3]],
    pub shape: [usize; 3],
    /// Voxel indices to millimetres (the NIfTI's affine).
    pub affine: [[f64; 4]; 4],
}

/// The slices at i, j and k of the peak (the largest finite value), each
/// drawn with the other two voxel axes (up is the larger index), and
/// crosshairs on the peak; `None` when the map has no finite value.
pub fn volume_slices(m: &VolumeMap<'_>) -> Option<Chart> {
    let [nx, ny, nz] = m.shape;
    let peak = peak_of(m.values)?;
    let [pi, pj, pk] = m.voxels[peak];
    let mut grid = vec![f64::NAN; nx * ny * nz];
    let at = |i: usize, j: usize, k: usize| i + nx * (j + ny * k);
    for (v, &[i, j, k]) in m.values.iter().zip(m.voxels) {
        grid[at(i, j, k)] = *v;
    }
    // Rows run down the page, so row r shows index (n - 1 - r).
    let slice = |rows: usize, cols: usize, value: &dyn Fn(usize, usize) -> f64| {
        (0..rows)
            .map(|r| (0..cols).map(|c| value(rows - 1 - r, c)).collect())
            .collect::<Vec<Vec<f64>>>()
    };
    let panels = vec![
        MapPanel {
            title: format!("i = {pi}"),
            x_label: "j".into(),
            y_label: "k".into(),
            values: slice(nz, ny, &|k, j| grid[at(pi, j, k)]),
            mark: Some((nz - 1 - pk, pj)),
        },
        MapPanel {
            title: format!("j = {pj}"),
            x_label: "i".into(),
            y_label: "k".into(),
            values: slice(nz, nx, &|k, i| grid[at(i, pj, k)]),
            mark: Some((nz - 1 - pk, pi)),
        },
        MapPanel {
            title: format!("k = {pk}"),
            x_label: "i".into(),
            y_label: "j".into(),
            values: slice(ny, nx, &|j, i| grid[at(i, j, pk)]),
            mark: Some((ny - 1 - pj, pi)),
        },
    ];
    let mm = millimetres(m.affine, m.voxels[peak]);
    Some(Chart::Maps(MapChart {
        title: m.title.into(),
        subtitle: format!(
            "peak {} at voxel ({pi}, {pj}, {pk}) = ({:.1}, {:.1}, {:.1}) mm; slices through it",
            crate::tick_label(m.values[peak]),
            mm[0],
            mm[1],
            mm[2]
        ),
        value_label: m.value_label.into(),
        range: None,
        panels,
    }))
}

/// The `n` largest finite values of a volume map, with their voxel and
/// millimetre coordinates, largest first.
pub fn volume_peaks(m: &VolumeMap<'_>, n: usize) -> Table {
    let mut t = Table::new([
        "rank",
        "i",
        "j",
        "k",
        "x (mm)",
        "y (mm)",
        "z (mm)",
        m.value_label,
    ]);
    for (rank, c) in largest(m.values, n).into_iter().enumerate() {
        let [i, j, k] = m.voxels[c];
        let mm = millimetres(m.affine, m.voxels[c]);
        t.push(vec![
            Cell::count(Some(rank + 1)),
            Cell::count(Some(i)),
            Cell::count(Some(j)),
            Cell::count(Some(k)),
            mm[0].into(),
            mm[1].into(),
            mm[2].into(),
            m.values[c].into(),
        ]);
    }
    t
}

/// A map over the vertices of a mesh.
pub struct SurfaceMap<'a> {
    pub title: &'a str,
    pub value_label: &'a str,
    /// One value per vertex (NaN where not searched).
    pub values: &'a [f64],
    pub coords: &'a [[f64; 3]],
}

/// The mesh seen from −x and from +x (the lateral and medial sides of a
/// hemisphere), each pixel showing the nearest vertex to the viewer among
/// those within half a vertex spacing, y to the
/// right (from −x; to the left from +x, as a mirror would not) and z up;
/// crosshairs on the peak where it is in view. `None` when the map has no
/// finite value.
pub fn surface_views(m: &SurfaceMap<'_>) -> Option<Chart> {
    let peak = peak_of(m.values)?;
    let (lo, hi) = m.coords.iter().fold(
        ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]),
        |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1]), lo[2].min(p[2])],
                [hi[0].max(p[0]), hi[1].max(p[1]), hi[2].max(p[2])],
            )
        },
    );
    // Pixels of about half the vertices' spacing (a visible side holds
    // about half the vertices), at most 160 across; each vertex covers the
    // pixels within half a spacing, so the surface shows without holes.
    let (width, height) = ((hi[1] - lo[1]).max(1e-9), (hi[2] - lo[2]).max(1e-9));
    let spacing = (width * height / (m.coords.len() as f64 / 2.0).max(1.0)).sqrt();
    let across = ((2.0 * width.max(height) / spacing).ceil() as usize).clamp(16, 160);
    let pixel = width.max(height) / (across - 1) as f64;
    let reach = ((spacing / pixel / 2.0).round() as usize).min(3);
    let cols = (width / pixel) as usize + 1;
    let rows = (height / pixel) as usize + 1;
    let view = |from_minus: bool| {
        let mut depth = vec![f64::INFINITY; rows * cols];
        let mut vertex = vec![usize::MAX; rows * cols];
        let mut centre = None;
        for (v, p) in m.coords.iter().enumerate() {
            let c = ((p[1] - lo[1]) / pixel) as usize;
            let c = if from_minus { c } else { cols - 1 - c };
            let r = rows - 1 - ((p[2] - lo[2]) / pixel) as usize;
            let d = if from_minus { p[0] } else { -p[0] };
            for rr in r.saturating_sub(reach)..=(r + reach).min(rows - 1) {
                for cc in c.saturating_sub(reach)..=(c + reach).min(cols - 1) {
                    // The vertex's own pixel wins ties against a neighbour's reach.
                    let own = rr == r && cc == c;
                    let at = rr * cols + cc;
                    if d < depth[at] || (own && d <= depth[at]) {
                        depth[at] = d;
                        vertex[at] = v;
                    }
                }
            }
            if v == peak {
                centre = Some((r * cols + c, d));
            }
        }
        let values = (0..rows)
            .map(|r| {
                (0..cols)
                    .map(|c| {
                        m.values
                            .get(vertex[r * cols + c])
                            .copied()
                            .unwrap_or(f64::NAN)
                    })
                    .collect()
            })
            .collect();
        // The peak is in view when nothing covers it by more than a spacing
        // (a neighbour's reach may take its pixel on the same side).
        let mark = centre
            .filter(|&(at, d)| d <= depth[at] + spacing)
            .map(|(at, _)| (at / cols, at % cols));
        MapPanel {
            title: if from_minus { "from −x" } else { "from +x" }.into(),
            x_label: if from_minus { "y" } else { "−y" }.into(),
            y_label: "z".into(),
            values,
            mark,
        }
    };
    let p = m.coords[peak];
    Some(Chart::Maps(MapChart {
        title: m.title.into(),
        subtitle: format!(
            "peak {} at vertex {peak} = ({:.1}, {:.1}, {:.1}) mm",
            crate::tick_label(m.values[peak]),
            p[0],
            p[1],
            p[2]
        ),
        value_label: m.value_label.into(),
        range: None,
        panels: vec![view(true), view(false)],
    }))
}

/// The `n` largest finite values of a surface map with their vertex and
/// coordinates, largest first.
pub fn surface_peaks(m: &SurfaceMap<'_>, n: usize) -> Table {
    let mut t = Table::new(["rank", "vertex", "x", "y", "z", m.value_label]);
    for (rank, v) in largest(m.values, n).into_iter().enumerate() {
        let p = m.coords[v];
        t.push(vec![
            Cell::count(Some(rank + 1)),
            Cell::count(Some(v)),
            p[0].into(),
            p[1].into(),
            p[2].into(),
            m.values[v].into(),
        ]);
    }
    t
}

fn peak_of(values: &[f64]) -> Option<usize> {
    largest(values, 1).first().copied()
}

/// Indices of the `n` largest finite values, largest first (ties by index).
fn largest(values: &[f64], n: usize) -> Vec<usize> {
    let mut finite: Vec<usize> = (0..values.len())
        .filter(|&i| values[i].is_finite())
        .collect();
    finite.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    finite.truncate(n);
    finite
}

fn millimetres(affine: [[f64; 4]; 4], [i, j, k]: [usize; 3]) -> [f64; 3] {
    let v = [i as f64, j as f64, k as f64, 1.0];
    let row = |r: usize| (0..4).map(|c| affine[r][c] * v[c]).sum::<f64>();
    [row(0), row(1), row(2)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: [[f64; 4]; 4] = [
        [2.0, 0.0, 0.0, -10.0],
        [0.0, 2.0, 0.0, 0.0],
        [0.0, 0.0, 2.0, 0.0],
        [0.0, 0.0, 0.0, 1.0],
    ];

    #[test]
    fn slices_pass_through_the_peak_with_up_as_the_larger_index() {
        let shape = [4, 5, 6];
        let voxels: Vec<[usize; 3]> = (0..4)
            .flat_map(|i| (0..5).flat_map(move |j| (0..6).map(move |k| [i, j, k])))
            .filter(|v| v != &[0, 0, 0])
            .collect();
        // The value is a code of the voxel; the peak is the last voxel.
        let values: Vec<f64> = voxels
            .iter()
            .map(|&[i, j, k]| (100 * i + 10 * j + k) as f64)
            .collect();
        let m = VolumeMap {
            title: "t",
            value_label: "v",
            values: &values,
            voxels: &voxels,
            shape,
            affine: IDENTITY,
        };
        let Some(Chart::Maps(c)) = volume_slices(&m) else {
            panic!("no chart")
        };
        assert!(
            c.subtitle
                .contains("voxel (3, 4, 5) = (-4.0, 8.0, 10.0) mm")
        );
        let [sag, cor, axi] = &c.panels[..] else {
            panic!("three panels")
        };
        assert_eq!(sag.title, "i = 3");
        // Top-left of i = 3 is (j = 0, k = 5); bottom-right (j = 4, k = 0).
        assert_eq!(sag.values[0][0], 305.0);
        assert_eq!(sag.values[5][4], 340.0);
        assert_eq!(sag.mark, Some((0, 4)));
        assert_eq!(cor.values.len(), 6);
        assert_eq!(cor.values[0].len(), 4);
        assert_eq!(axi.values[4][0], 5.0);
        // (0, 0, 0) was not computed.
        assert!(axi.values.iter().flatten().all(|v| v.is_finite()));
        let grid_origin = &cor.values;
        assert_eq!(grid_origin[0][3], 345.0);
        let t = volume_peaks(&m, 2);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0][7], Cell::Number(345.0));
        assert_eq!(t.rows[1][7], Cell::Number(344.0));
        assert_eq!(t.rows[0][4], Cell::Number(-4.0));
        let none = VolumeMap {
            values: &vec![f64::NAN; voxels.len()],
            ..m
        };
        assert!(volume_slices(&none).is_none());
    }

    #[test]
    fn a_surface_is_seen_from_both_sides() {
        // Two parallel sheets at x = 0 (value 1) and x = 1 (value 2).
        let mut coords = Vec::new();
        let mut values = Vec::new();
        for (x, v) in [(0.0, 1.0), (1.0, 2.0)] {
            for y in 0..20 {
                for z in 0..20 {
                    coords.push([x, y as f64, z as f64]);
                    values.push(v);
                }
            }
        }
        values[400] = 3.0; // the peak: x = 1, y = 0, z = 0
        let m = SurfaceMap {
            title: "s",
            value_label: "v",
            values: &values,
            coords: &coords,
        };
        let Some(Chart::Maps(c)) = surface_views(&m) else {
            panic!("no chart")
        };
        let [minus, plus] = &c.panels[..] else {
            panic!("two panels")
        };
        let seen = |p: &MapPanel| -> Vec<f64> {
            p.values
                .iter()
                .flatten()
                .copied()
                .filter(|v| v.is_finite())
                .collect()
        };
        assert!(seen(minus).len() >= 300);
        assert!(seen(minus).iter().all(|&v| v == 1.0));
        assert!(minus.mark.is_none());
        assert!(seen(plus).iter().all(|&v| v >= 2.0));
        // From +x, y = 0 is at the right; z = 0 at the bottom.
        let rows = plus.values.len();
        let cols = plus.values[0].len();
        assert_eq!(plus.mark, Some((rows - 1, cols - 1)));
        assert_eq!(plus.values[rows - 1][cols - 1], 3.0);
        assert_eq!(surface_peaks(&m, 1).rows[0][1], Cell::Count(400));
    }
}
