//! Surface and grayordinate data as representations: GIfTI (`.gii`, see
//! [`gifti`](super::gifti)) and CIFTI-2 (`.dscalar.nii`, `.dtseries.nii`,
//! …: a NIfTI-2 payload with the CIFTI XML in header extension 32, see
//! [`cifti_xml`](super::cifti_xml)).
//!
//! Rows are maps (conditions, betas, time points) and columns are
//! vertices or grayordinates, so a file reads as one stimuli × units
//! representation:
//! - GIfTI: every data array other than the mesh's point set and
//!   triangles is a map; 1-D arrays (or `n × 1`) are one map each, in file
//!   order, and a single 2-D array `vertices × maps` is transposed. Maps
//!   named in their metadata (`Name`) label the stimuli.
//! - CIFTI-2: the matrix is CIFTI dimension 0 (maps) × dimension 1
//!   (grayordinates), as nibabel's `get_fdata()` gives it; dimension 1 must
//!   be brain models, so each column knows its structure and its vertex or
//!   voxel ([`Cifti::structures`], `vertices`, `voxels`). Scalar and label
//!   map names label the stimuli.

use std::path::Path;

use faer::Mat;

use super::RepSet;
use super::cifti_xml::{BrainModel, CiftiHeader, IndexMap, ModelType, parse_cifti_xml};
use super::gifti::{DataArray, Gifti, Mesh, read_gifti};
use super::nifti::read_nifti_with_extensions;
use crate::error::{Error, Result};

/// The NIfTI extension code of the CIFTI-2 XML.
const CIFTI_ECODE: i32 = 32;

/// True for names CIFTI-2 uses (`x.dscalar.nii`, `x.dtseries.nii`, …).
pub fn is_cifti_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    [
        ".dscalar.nii",
        ".dtseries.nii",
        ".dlabel.nii",
        ".pscalar.nii",
        ".ptseries.nii",
        ".dconn.nii",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

/// The representation name of a surface file: its name without the
/// extensions (`sub-01_hemi-L.func.gii` → `sub-01_hemi-L.func`).
fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "surface".into());
    let lower = name.to_ascii_lowercase();
    for ext in [".gii", ".nii"] {
        if lower.ends_with(ext) {
            return name[..name.len() - ext.len()].to_string();
        }
    }
    name
}

fn is_mesh(a: &DataArray) -> bool {
    a.intent == "NIFTI_INTENT_POINTSET" || a.intent == "NIFTI_INTENT_TRIANGLE"
}

/// The maps of a GIfTI file as maps × vertices, and their names when every
/// map has one.
pub fn gifti_maps(g: &Gifti) -> Result<(Mat<f64>, Option<Vec<String>>)> {
    let maps: Vec<&DataArray> = g.arrays.iter().filter(|a| !is_mesh(a)).collect();
    let bad = |detail: String| {
        Error::format(
            &g.path,
            detail,
            "a GIfTI of maps holds 1-D arrays of one length, or one vertices × maps array",
        )
    };
    let name_of = |a: &DataArray| {
        a.metadata
            .iter()
            .find(|(k, _)| k == "Name")
            .map(|(_, v)| v.clone())
    };
    match maps[..] {
        [] => Err(Error::UnsupportedFile {
            path: g.path.clone(),
            detail: "the GIfTI holds no data arrays besides a mesh; read the mesh with \
                     read_surface, or pass the maps' .func.gii/.shape.gii"
                .into(),
        }),
        [one] if one.dims.len() == 2 && one.dims[1] > 1 => {
            let (v, k) = (one.dims[0], one.dims[1]);
            Ok((Mat::from_fn(k, v, |i, j| one.data[j * k + i]), None))
        }
        _ => {
            let n = maps[0].data.len();
            for (i, a) in maps.iter().enumerate() {
                let one_column = a.dims.len() == 1 || a.dims[1..].iter().all(|&d| d == 1);
                if !one_column || a.data.len() != n {
                    return Err(bad(format!(
                        "data array {i} has dimensions {:?}, the first map {n} values",
                        a.dims
                    )));
                }
            }
            let names: Option<Vec<String>> = maps.iter().map(|a| name_of(a)).collect();
            Ok((Mat::from_fn(maps.len(), n, |i, j| maps[i].data[j]), names))
        }
    }
}

/// A GIfTI file as one representation (maps × vertices).
pub fn load_gifti(path: &Path) -> Result<RepSet> {
    let g = read_gifti(path)?;
    let (x, names) = gifti_maps(&g)?;
    let mut set = RepSet::new();
    set.push(stem(path), x)?;
    if let Some(names) = names.filter(|n| has_distinct(n)) {
        set.set_stimuli(names)?;
    }
    Ok(set)
}

fn has_distinct(names: &[String]) -> bool {
    let mut seen = std::collections::HashSet::new();
    names.iter().all(|n| !n.is_empty() && seen.insert(n))
}

/// A surface mesh from a GIfTI file: vertex coordinates and triangles.
pub fn read_surface(path: &Path) -> Result<Mesh> {
    read_gifti(path)?
        .mesh()?
        .ok_or_else(|| Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "the GIfTI has no mesh (a NIFTI_INTENT_POINTSET and a NIFTI_INTENT_TRIANGLE \
                 array); is it a .surf.gii?"
                .into(),
        })
}

/// A CIFTI-2 file: the maps × grayordinates matrix, what each column is,
/// and the header it came from.
#[derive(Clone, Debug)]
pub struct Cifti {
    /// Maps × grayordinates.
    pub data: Mat<f64>,
    /// The names of the maps (rows) when dimension 0 names them (scalar
    /// and label files).
    pub map_names: Option<Vec<String>>,
    /// Each column's brain structure (`CIFTI_STRUCTURE_CORTEX_LEFT`, …).
    pub structures: Vec<String>,
    /// Each column's vertex on its structure's surface (surface models).
    pub vertices: Vec<Option<usize>>,
    /// Each column's voxel (i, j, k) in the CIFTI volume (voxel models).
    pub voxels: Vec<Option<[usize; 3]>>,
    pub header: CiftiHeader,
}

fn map_names(header: &CiftiHeader) -> Option<Vec<String>> {
    header.maps.iter().find_map(|m| match m {
        IndexMap::Scalars { applies_to, names } | IndexMap::Labels { applies_to, names }
            if applies_to.contains(&0) =>
        {
            Some(names.clone())
        }
        _ => None,
    })
}

/// Each grayordinate's structure, vertex and voxel, in column order.
type Columns = (Vec<String>, Vec<Option<usize>>, Vec<Option<[usize; 3]>>);

fn columns(models: &[BrainModel]) -> Columns {
    let (mut structures, mut vertices, mut voxels) = (Vec::new(), Vec::new(), Vec::new());
    for m in models {
        let n = m.index_count;
        structures.extend(std::iter::repeat_n(m.structure.clone(), n));
        match m.model_type {
            ModelType::Surface => {
                vertices.extend(m.vertices.iter().map(|&v| Some(v)));
                voxels.extend(std::iter::repeat_n(None, n));
            }
            ModelType::Voxels => {
                vertices.extend(std::iter::repeat_n(None, n));
                voxels.extend(m.voxels.iter().map(|&v| Some(v)));
            }
        }
    }
    (structures, vertices, voxels)
}

/// Reads a CIFTI-2 file whose dimension 1 is brain models.
pub fn read_cifti(path: &Path) -> Result<Cifti> {
    let (volume, extensions) = read_nifti_with_extensions(path)?;
    let xml = extensions
        .iter()
        .find(|(code, _)| *code == CIFTI_ECODE)
        .map(|(_, xml)| xml)
        .ok_or_else(|| {
            Error::format(
                path,
                "no CIFTI-2 header (NIfTI extension 32) in this file",
                "is it a CIFTI-2 file? plain NIfTI volumes are read with read_nifti",
            )
        })?;
    let header = parse_cifti_xml(xml, path)?;
    let models = header
        .brain_models()
        .ok_or_else(|| Error::UnsupportedFile {
            path: path.to_path_buf(),
            detail: "the CIFTI has no brain models, so its columns are not grayordinates; \
                 repscope reads dense files (.dscalar.nii, .dtseries.nii, .dlabel.nii)"
                .into(),
        })?;
    let g: usize = models.iter().map(|m| m.index_count).sum();
    // CIFTI dimensions are NIfTI dimensions 5 and 6 (shape[4], shape[5]);
    // the data are in Fortran order, so (row, column) is at row + rows·column.
    let dims: Vec<usize> = volume.shape.iter().skip(4).copied().collect();
    let (rows, cols) = match dims[..] {
        [r, c] => (r, c),
        [c] => (1, c),
        _ => (0, 0),
    };
    if cols != g || volume.shape.iter().take(4).any(|&d| d != 1) {
        return Err(Error::format(
            path,
            format!(
                "the matrix has NIfTI shape {:?} but the brain models describe {g} \
                 grayordinates in dimension 1",
                volume.shape
            ),
            "re-export the file (Connectome Workbench, nibabel)",
        ));
    }
    let data = Mat::from_fn(rows, cols, |i, j| volume.data[i + rows * j]);
    let (structures, vertices, voxels) = columns(models);
    Ok(Cifti {
        data,
        map_names: map_names(&header),
        structures,
        vertices,
        voxels,
        header,
    })
}

/// A CIFTI-2 file as one representation (maps × grayordinates).
pub fn load_cifti(path: &Path) -> Result<RepSet> {
    let cifti = read_cifti(path)?;
    let names = cifti.map_names;
    let mut set = RepSet::new();
    set.push(stem(path), cifti.data)?;
    if let Some(names) =
        names.filter(|n| has_distinct(n) && n.len() == set.n_stimuli().unwrap_or(0))
    {
        set.set_stimuli(names)?;
    }
    Ok(set)
}
