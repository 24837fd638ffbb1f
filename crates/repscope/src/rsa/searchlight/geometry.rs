//! Searchlight geometry: the mask's voxels, the sphere around a centre
//! (voxels or mm, cut at the mask), and volumes gathered onto the mask.

use faer::Mat;

use crate::data::nifti::Volume;
use crate::error::{Error, Result};

/// The radius of a searchlight sphere.
#[derive(Clone, Copy, Debug)]
pub enum Radius {
    /// In voxels (index units).
    Voxels(f64),
    /// In world units (mm), through the voxel-to-world affine.
    Millimetres(f64, [[f64; 4]; 4]),
}

/// The geometry of a searchlight: the mask's voxels and the sphere offsets.
#[derive(Clone, Debug)]
pub struct Searchlight {
    pub(super) shape: [usize; 3],
    /// Grid coordinates of the mask voxels, in C order.
    pub(super) voxels: Vec<[usize; 3]>,
    /// For every grid position (C order): its column, or `u32::MAX` outside the mask.
    pub(super) column: Vec<u32>,
    /// Offsets of the sphere around a centre (the centre first).
    pub(super) offsets: Vec<[isize; 3]>,
}

const OUTSIDE: u32 = u32::MAX;

impl Searchlight {
    /// The searchlight over the `true` voxels of `mask` (C order, `shape`).
    pub fn new(shape: [usize; 3], mask: &[bool], radius: Radius) -> Result<Self> {
        let n: usize = shape.iter().product();
        if mask.len() != n {
            return Err(Error::ShapeMismatch {
                what: format!("mask of a {}×{}×{} grid", shape[0], shape[1], shape[2]),
                expected: n,
                found: mask.len(),
            });
        }
        if n >= OUTSIDE as usize {
            return Err(Error::Invalid {
                what: "searchlight".into(),
                detail: format!("the grid has {n} voxels, more than 2³² − 1"),
            });
        }
        let mut column = vec![OUTSIDE; n];
        let mut voxels = Vec::new();
        for (flat, _) in mask.iter().enumerate().filter(|(_, inside)| **inside) {
            column[flat] = voxels.len() as u32;
            let (i, rest) = (flat / (shape[1] * shape[2]), flat % (shape[1] * shape[2]));
            voxels.push([i, rest / shape[2], rest % shape[2]]);
        }
        if voxels.is_empty() {
            return Err(Error::Invalid {
                what: "searchlight mask".into(),
                detail: "it selects no voxel".into(),
            });
        }
        Ok(Self {
            shape,
            voxels,
            column,
            offsets: sphere_offsets(radius)?,
        })
    }

    /// The grid shape.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Grid coordinates of the mask voxels (the data columns), in C order.
    pub fn voxels(&self) -> &[[usize; 3]] {
        &self.voxels
    }

    /// Number of voxels in a full sphere (away from any boundary).
    pub fn sphere_size(&self) -> usize {
        self.offsets.len()
    }

    /// The columns (mask voxels) in the sphere around mask voxel `centre`.
    pub fn sphere(&self, centre: usize, out: &mut Vec<usize>) {
        out.clear();
        let c = self.voxels[centre];
        for o in &self.offsets {
            let mut flat = 0usize;
            let mut inside = true;
            for axis in 0..3 {
                let v = c[axis] as isize + o[axis];
                if v < 0 || v >= self.shape[axis] as isize {
                    inside = false;
                    break;
                }
                flat = flat * self.shape[axis] + v as usize;
            }
            if inside && self.column[flat] != OUTSIDE {
                out.push(self.column[flat] as usize);
            }
        }
    }

    /// A full grid (C order) holding `values` (one per mask voxel) inside
    /// the mask and NaN outside.
    pub fn to_grid(&self, values: &[f64]) -> Vec<f64> {
        let mut grid = vec![f64::NAN; self.column.len()];
        for (flat, &col) in self.column.iter().enumerate() {
            if col != OUTSIDE {
                grid[flat] = values[col as usize];
            }
        }
        grid
    }

    /// `values` (one per mask voxel) as a 3-D NIfTI volume with `affine`:
    /// NaN outside the mask, the voxels in NIfTI's order (first index
    /// fastest).
    pub fn to_volume(&self, values: &[f64], affine: [[f64; 4]; 4]) -> Volume {
        let grid = self.to_grid(values);
        let [nx, ny, nz] = self.shape;
        let data = (0..nx * ny * nz)
            .map(|f| {
                let (i, j, k) = (f % nx, (f / nx) % ny, f / (nx * ny));
                grid[(i * ny + j) * nz + k]
            })
            .collect();
        Volume {
            shape: vec![nx, ny, nz],
            affine,
            data,
        }
    }
}

impl super::Neighbourhoods for Searchlight {
    fn n_columns(&self) -> usize {
        self.voxels.len()
    }

    fn members(&self, centre: usize, out: &mut Vec<usize>) {
        self.sphere(centre, out);
    }

    fn place(&self, col: usize) -> String {
        let [i, j, k] = self.voxels[col];
        format!("voxel ({i}, {j}, {k})")
    }
}

/// Integer offsets within the radius, nearest first (ties in C order).
pub(super) fn sphere_offsets(radius: Radius) -> Result<Vec<[isize; 3]>> {
    let (r, axes) = match radius {
        Radius::Voxels(r) => (r, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
        Radius::Millimetres(r, a) => (
            r,
            // Column j of the affine: the world step of one voxel along axis j.
            [0, 1, 2].map(|j| [a[0][j], a[1][j], a[2][j]]),
        ),
    };
    let bad = |detail: String| Error::Invalid {
        what: "searchlight radius".into(),
        detail,
    };
    if !(r.is_finite() && r >= 0.0) {
        return Err(bad(format!("{r} must be a non-negative number")));
    }
    let step = |j: usize| axes[j].iter().map(|v| v * v).sum::<f64>().sqrt();
    if let Some(j) = (0..3).find(|&j| !(step(j) > 0.0 && step(j).is_finite())) {
        return Err(bad(format!(
            "the affine gives axis {j} a voxel size of {}; it must be positive",
            step(j)
        )));
    }
    // The box that holds the sphere (the smallest voxel size bounds it).
    let min_step = (0..3).map(step).fold(f64::INFINITY, f64::min);
    let reach = (r / min_step).floor() as isize;
    if reach > 50 {
        return Err(bad(format!(
            "{r} spans {reach} voxels; a searchlight sphere is a few voxels across"
        )));
    }
    // Tolerance so that a radius of exactly 3 includes offsets at distance 3.
    let limit = r * r * (1.0 + 1e-9);
    let mut offsets: Vec<([isize; 3], f64)> = Vec::new();
    for i in -reach..=reach {
        for j in -reach..=reach {
            for k in -reach..=reach {
                let world: [f64; 3] = [0, 1, 2]
                    .map(|a| i as f64 * axes[0][a] + j as f64 * axes[1][a] + k as f64 * axes[2][a]);
                let d2: f64 = world.iter().map(|v| v * v).sum();
                if d2 <= limit {
                    offsets.push(([i, j, k], d2));
                }
            }
        }
    }
    offsets.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(offsets.into_iter().map(|(o, _)| o).collect())
}

/// Volumes on a mask's grid: the mask (C order), the data as volumes ×
/// mask voxels, and the grid's affine.
#[derive(Clone, Debug)]
pub struct MaskedData {
    pub shape: [usize; 3],
    pub affine: [[f64; 4]; 4],
    pub mask: Vec<bool>,
    pub data: Mat<f64>,
}

/// Stacks 3-D or 4-D `volumes` (named for messages) and keeps the voxels
/// where `mask` is non-zero. Every volume must have the mask's grid: the
/// same spatial shape and the same affine (to 1e-4 mm, the precision of
/// float32 headers).
pub fn masked_data(volumes: &[(String, Volume)], mask: &Volume) -> Result<MaskedData> {
    let shape = mask.spatial_shape();
    if mask.n_volumes() != 1 {
        return Err(Error::Invalid {
            what: "searchlight mask".into(),
            detail: format!(
                "it must be one 3-D volume, but its shape is {:?}",
                mask.shape
            ),
        });
    }
    if volumes.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the list of volumes".into(),
        });
    }
    for (name, v) in volumes {
        if v.spatial_shape() != shape {
            return Err(Error::Invalid {
                what: format!("volume {name}"),
                detail: format!(
                    "its grid is {:?} but the mask's is {shape:?}; resample the mask to the \
                     volumes' grid",
                    v.spatial_shape()
                ),
            });
        }
        let worst = (0..3)
            .flat_map(|i| (0..4).map(move |j| (i, j)))
            .map(|(i, j)| (v.affine[i][j] - mask.affine[i][j]).abs())
            .fold(0.0, f64::max);
        if worst.is_nan() || worst > 1e-4 {
            return Err(Error::Invalid {
                what: format!("volume {name}"),
                detail: format!(
                    "its affine differs from the mask's (by up to {worst} mm): they are not on \
                     the same grid in space; resample the mask to the volumes"
                ),
            });
        }
    }
    let [nx, ny, nz] = shape;
    // C-order position of Fortran-order index f.
    let c_order = |f: usize| {
        let (i, j, k) = (f % nx, (f / nx) % ny, f / (nx * ny));
        (i * ny + j) * nz + k
    };
    let mut inside = vec![false; nx * ny * nz];
    for (f, &v) in mask.data.iter().enumerate() {
        inside[c_order(f)] = v != 0.0 && !v.is_nan();
    }
    // The Fortran-order position of each data column (mask voxels in C order).
    let mut fortran = Vec::new();
    for (c, &ins) in inside.iter().enumerate() {
        if ins {
            let (i, j, k) = (c / (ny * nz), (c / nz) % ny, c % nz);
            fortran.push(i + nx * (j + ny * k));
        }
    }
    let n_rows: usize = volumes.iter().map(|(_, v)| v.n_volumes()).sum();
    let grid = nx * ny * nz;
    let mut data = Mat::zeros(n_rows, fortran.len());
    let mut row = 0;
    for (_, v) in volumes {
        for t in 0..v.n_volumes() {
            for (col, &f) in fortran.iter().enumerate() {
                data[(row, col)] = v.data[t * grid + f];
            }
            row += 1;
        }
    }
    Ok(MaskedData {
        shape,
        affine: mask.affine,
        mask: inside,
        data,
    })
}
