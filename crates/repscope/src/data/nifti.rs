//! NIfTI-1 and NIfTI-2 volumes (`.nii`, `.nii.gz`): brain maps, masks and
//! 4-D series of beta maps.
//!
//! Only what an analysis needs is read: the shape, the voxel-to-world
//! affine and the voxel values (as f64, intensity scaling applied). The
//! affine follows nibabel's choice (`get_best_affine`): the sform when its
//! code is non-zero, else the qform, else a scaling by the voxel sizes
//! centred on the volume. Values keep NIfTI's order: the first index varies
//! fastest (Fortran order). Maps are written as NIfTI-1 float64 with the
//! affine as sform (and no qform), gzipped when the name ends in `.gz`.
//!
//! Written by hand (a header and raw data) rather than through a NIfTI
//! crate: those pull in a second ndarray and nalgebra for an affine that is
//! 16 numbers; the gzip layer is flate2, already used by the zip reader.

use std::io::Write;
use std::path::Path;

use crate::data::atomic::write_atomically;
use crate::error::{Error, Result};

/// A volume: up to 7 dimensions, values in Fortran order, and the affine
/// from voxel indices (i, j, k, 1) to world coordinates (mm).
#[derive(Clone, Debug, PartialEq)]
pub struct Volume {
    pub shape: Vec<usize>,
    pub affine: [[f64; 4]; 4],
    pub data: Vec<f64>,
}

impl Volume {
    /// The spatial shape (the first three dimensions; missing ones are 1).
    pub fn spatial_shape(&self) -> [usize; 3] {
        let d = |i: usize| self.shape.get(i).copied().unwrap_or(1);
        [d(0), d(1), d(2)]
    }

    /// The number of 3-D volumes (the product of dimensions 4 and up).
    pub fn n_volumes(&self) -> usize {
        self.shape.iter().skip(3).product()
    }
}

const NIFTI1_HEADER: usize = 348;
const NIFTI2_HEADER: usize = 540;

/// Reads a `.nii` or `.nii.gz` file (gzip is recognised by its magic
/// bytes, not by the name).
pub fn read_nifti(path: &Path) -> Result<Volume> {
    decode(&read_bytes(path)?, path)
}

/// Header extensions: `(ecode, content)` in file order.
pub type Extensions = Vec<(i32, Vec<u8>)>;

/// A volume and its header extensions (`(ecode, content)`, in file order):
/// CIFTI-2 keeps its XML in the extension with code 32.
pub fn read_nifti_with_extensions(path: &Path) -> Result<(Volume, Extensions)> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode_nifti_bytes(raw, path)
}

/// The extensions between the header and the data: a 4-byte extender
/// whose first byte says whether any follow, then `esize`, `ecode` and
/// `esize - 8` bytes each.
fn extensions(bytes: &[u8], path: &Path) -> Result<Extensions> {
    let h = header(bytes, path)?;
    let f = Fields { bytes, big: h.big };
    let mut at = h.header_size;
    if bytes.get(at).copied().unwrap_or(0) == 0 {
        return Ok(Vec::new());
    }
    at += 4;
    let end = h.vox_offset.min(bytes.len());
    let mut out = Vec::new();
    while at + 8 <= end {
        let size = f.i32(at);
        let code = f.i32(at + 4);
        let Ok(size) = usize::try_from(size) else {
            break;
        };
        if size < 8 || at + size > end {
            return Err(Error::format(
                path,
                format!("header extension at byte {at} declares {size} bytes, past the data"),
                "the file is corrupt; re-export it",
            ));
        }
        out.push((code, bytes[at + 8..at + size].to_vec()));
        at += size;
    }
    Ok(out)
}

/// The file's bytes, gunzipped when they start with gzip's magic.
fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    gunzip_if_gzip(raw, path)
}

/// `raw`, gunzipped when it starts with gzip's magic (the output capped,
/// [`super::limits::read_inflated`]).
fn gunzip_if_gzip(raw: Vec<u8>, path: &Path) -> Result<Vec<u8>> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut decoder = flate2::read::MultiGzDecoder::new(&raw[..]);
    super::limits::read_inflated(&mut decoder, raw.len() as u64, path, "the gzip stream")
}

/// Decodes the bytes of a `.nii` or `.nii.gz` file (`path` names it in
/// messages), with its header extensions.
pub fn decode_nifti_bytes(raw: Vec<u8>, path: &Path) -> Result<(Volume, Extensions)> {
    let bytes = gunzip_if_gzip(raw, path)?;
    let volume = decode(&bytes, path)?;
    Ok((volume, extensions(&bytes, path)?))
}

/// Little- or big-endian reads at byte offsets of the header.
struct Fields<'a> {
    bytes: &'a [u8],
    big: bool,
}

impl Fields<'_> {
    fn take<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut b = [0u8; N];
        b.copy_from_slice(&self.bytes[at..at + N]);
        if self.big {
            b.reverse();
        }
        b
    }
    fn i16(&self, at: usize) -> i16 {
        i16::from_le_bytes(self.take(at))
    }
    fn i32(&self, at: usize) -> i32 {
        i32::from_le_bytes(self.take(at))
    }
    fn i64(&self, at: usize) -> i64 {
        i64::from_le_bytes(self.take(at))
    }
    fn f32(&self, at: usize) -> f64 {
        f64::from(f32::from_le_bytes(self.take(at)))
    }
    fn f64(&self, at: usize) -> f64 {
        f64::from_le_bytes(self.take(at))
    }
}

/// The header fields an analysis needs, from either version.
struct Header {
    big: bool,
    header_size: usize,
    dims: Vec<i64>,
    datatype: i16,
    pixdim: [f64; 8],
    vox_offset: usize,
    scl_slope: f64,
    scl_inter: f64,
    qform_code: i32,
    sform_code: i32,
    quatern: [f64; 6],
    srow: [[f64; 4]; 3],
}

fn header(bytes: &[u8], path: &Path) -> Result<Header> {
    let bad = |detail: String| Error::format(path, detail, "is it a NIfTI-1 or NIfTI-2 file?");
    if bytes.len() < NIFTI1_HEADER {
        return Err(bad(format!(
            "{} bytes is too short for a NIfTI header",
            bytes.len()
        )));
    }
    let size_le = i32::from_le_bytes(bytes[0..4].try_into().unwrap_or_default());
    let size_be = i32::from_be_bytes(bytes[0..4].try_into().unwrap_or_default());
    let (version, big) = match (size_le, size_be) {
        (348, _) => (1, false),
        (_, 348) => (1, true),
        (540, _) => (2, false),
        (_, 540) => (2, true),
        _ => {
            return Err(bad(format!(
                "the header size field is {size_le}, neither 348 (NIfTI-1) nor 540 (NIfTI-2)"
            )));
        }
    };
    let f = Fields { bytes, big };
    if version == 1 {
        if &bytes[344..347] != b"n+1" {
            return Err(Error::format(
                path,
                "the magic string is not 'n+1' (a single-file NIfTI-1)",
                "a .hdr/.img pair must be converted to .nii first",
            ));
        }
        let dims = (0..8).map(|i| i64::from(f.i16(40 + 2 * i))).collect();
        let mut pixdim = [0.0; 8];
        (0..8).for_each(|i| pixdim[i] = f.f32(76 + 4 * i));
        let mut quatern = [0.0; 6];
        (0..6).for_each(|i| quatern[i] = f.f32(256 + 4 * i));
        let mut srow = [[0.0; 4]; 3];
        (0..12).for_each(|i| srow[i / 4][i % 4] = f.f32(280 + 4 * i));
        Ok(Header {
            big,
            header_size: NIFTI1_HEADER,
            dims,
            datatype: f.i16(70),
            pixdim,
            vox_offset: f.f32(108).max(0.0) as usize,
            scl_slope: f.f32(112),
            scl_inter: f.f32(116),
            qform_code: i32::from(f.i16(252)),
            sform_code: i32::from(f.i16(254)),
            quatern,
            srow,
        })
    } else {
        if bytes.len() < NIFTI2_HEADER {
            return Err(bad(format!(
                "{} bytes is too short for a NIfTI-2 header",
                bytes.len()
            )));
        }
        if &bytes[4..7] != b"n+2" {
            return Err(Error::format(
                path,
                "the magic string is not 'n+2' (a single-file NIfTI-2)",
                "a .hdr/.img pair must be converted to .nii first",
            ));
        }
        let dims = (0..8).map(|i| f.i64(16 + 8 * i)).collect();
        let mut pixdim = [0.0; 8];
        (0..8).for_each(|i| pixdim[i] = f.f64(104 + 8 * i));
        let mut quatern = [0.0; 6];
        (0..6).for_each(|i| quatern[i] = f.f64(352 + 8 * i));
        let mut srow = [[0.0; 4]; 3];
        (0..12).for_each(|i| srow[i / 4][i % 4] = f.f64(400 + 8 * i));
        Ok(Header {
            big,
            header_size: NIFTI2_HEADER,
            dims,
            datatype: f.i16(12),
            pixdim,
            vox_offset: f.i64(168).max(0) as usize,
            scl_slope: f.f64(176),
            scl_inter: f.f64(184),
            qform_code: f.i32(344),
            sform_code: f.i32(348),
            quatern,
            srow,
        })
    }
}

/// Decodes a whole (uncompressed) NIfTI file.
fn decode(bytes: &[u8], path: &Path) -> Result<Volume> {
    let h = header(bytes, path)?;
    let ndim = h.dims[0];
    if !(1..=7).contains(&ndim) || h.dims[1..=ndim as usize].iter().any(|&d| d < 1) {
        return Err(Error::format(
            path,
            format!("the header's dimensions {:?} are invalid", &h.dims),
            "dim[0] must be 1..7 and every used dimension at least 1",
        ));
    }
    let shape: Vec<usize> = h.dims[1..=ndim as usize]
        .iter()
        .map(|&d| d as usize)
        .collect();
    // Checked: a corrupt header's dimensions can overflow a product.
    let n = shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let (width, convert): (usize, fn(&[u8]) -> f64) = match h.datatype {
        2 => (1, |b| f64::from(b[0])),
        256 => (1, |b| f64::from(b[0] as i8)),
        4 => (2, |b| f64::from(i16::from_le_bytes([b[0], b[1]]))),
        512 => (2, |b| f64::from(u16::from_le_bytes([b[0], b[1]]))),
        8 => (4, |b| {
            f64::from(i32::from_le_bytes(b.try_into().unwrap_or_default()))
        }),
        768 => (4, |b| {
            f64::from(u32::from_le_bytes(b.try_into().unwrap_or_default()))
        }),
        16 => (4, |b| {
            f64::from(f32::from_le_bytes(b.try_into().unwrap_or_default()))
        }),
        1024 => (8, |b| {
            i64::from_le_bytes(b.try_into().unwrap_or_default()) as f64
        }),
        1280 => (8, |b| {
            u64::from_le_bytes(b.try_into().unwrap_or_default()) as f64
        }),
        64 => (8, |b| f64::from_le_bytes(b.try_into().unwrap_or_default())),
        other => {
            return Err(Error::format(
                path,
                format!("NIfTI data type {other} is not supported"),
                "store the volume as an integer, float32 or float64 type",
            ));
        }
    };
    let end = n
        .and_then(|n| n.checked_mul(width))
        .and_then(|b| b.checked_add(h.vox_offset));
    let Some(end) = end.filter(|&end| h.vox_offset >= NIFTI1_HEADER && end <= bytes.len()) else {
        return Err(Error::format(
            path,
            format!(
                "the data ({} values of {width} bytes from offset {}) extend past the end of \
                 the file ({} bytes)",
                shape
                    .iter()
                    .map(usize::to_string)
                    .collect::<Vec<_>>()
                    .join(" × "),
                h.vox_offset,
                bytes.len()
            ),
            "the file is truncated, or its header is corrupt",
        ));
    };
    // nibabel's rule: a slope of 0 or NaN means no scaling.
    let (slope, inter) = if h.scl_slope == 0.0 || h.scl_slope.is_nan() {
        (1.0, 0.0)
    } else {
        (
            h.scl_slope,
            if h.scl_inter.is_nan() {
                0.0
            } else {
                h.scl_inter
            },
        )
    };
    let mut element = [0u8; 8];
    let data = bytes[h.vox_offset..end]
        .chunks_exact(width)
        .map(|b| {
            let e = &mut element[..width];
            e.copy_from_slice(b);
            if h.big {
                e.reverse();
            }
            convert(e) * slope + inter
        })
        .collect();
    Ok(Volume {
        affine: affine(&h, &shape),
        shape,
        data,
    })
}

/// nibabel's best affine: sform, else qform, else the centred scaling.
fn affine(h: &Header, shape: &[usize]) -> [[f64; 4]; 4] {
    let mut a = [
        [0.0, 0.0, 0.0, 0.0],
        [0.0; 4],
        [0.0; 4],
        [0.0, 0.0, 0.0, 1.0],
    ];
    let zoom = |i: usize| h.pixdim[i + 1];
    if h.sform_code > 0 {
        a[..3].copy_from_slice(&h.srow);
    } else if h.qform_code > 0 {
        let [b, c, d, qx, qy, qz] = h.quatern;
        let a2 = 1.0 - (b * b + c * c + d * d);
        let w = if a2 > 0.0 { a2.sqrt() } else { 0.0 };
        // Normalised (as nibabel's quat2mat), for (b, c, d) rounded to
        // float32 just past unit length.
        let norm = w * w + b * b + c * c + d * d;
        let (w, b, c, d) = if norm > 0.0 {
            let s = norm.sqrt();
            (w / s, b / s, c / s, d / s)
        } else {
            (1.0, 0.0, 0.0, 0.0)
        };
        let r = [
            [
                w * w + b * b - c * c - d * d,
                2.0 * (b * c - w * d),
                2.0 * (b * d + w * c),
            ],
            [
                2.0 * (b * c + w * d),
                w * w + c * c - b * b - d * d,
                2.0 * (c * d - w * b),
            ],
            [
                2.0 * (b * d - w * c),
                2.0 * (c * d + w * b),
                w * w + d * d - c * c - b * b,
            ],
        ];
        let qfac = if h.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
        let zooms = [zoom(0), zoom(1), zoom(2) * qfac];
        for (i, row) in r.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                a[i][j] = v * zooms[j];
            }
        }
        a[0][3] = qx;
        a[1][3] = qy;
        a[2][3] = qz;
    } else {
        for (i, row) in a.iter_mut().take(3).enumerate() {
            let z = if shape.len() > i { zoom(i) } else { 1.0 };
            let z = if i == 0 { -z } else { z };
            let origin = (shape.get(i).copied().unwrap_or(1) as f64 - 1.0) / 2.0;
            row[i] = z;
            row[3] = -origin * z;
        }
    }
    a
}

/// Writes a float64 NIfTI-1 volume (values in Fortran order), gzipped when
/// the name ends in `.gz`; atomically.
pub fn write_nifti(path: &Path, volume: &Volume) -> Result<()> {
    let n: usize = volume.shape.iter().product();
    if volume.shape.is_empty() || volume.shape.len() > 7 || n != volume.data.len() {
        return Err(Error::Invalid {
            what: "NIfTI volume".into(),
            detail: format!(
                "shape {:?} does not hold {} values (1 to 7 dimensions)",
                volume.shape,
                volume.data.len()
            ),
        });
    }
    if let Some(&d) = volume.shape.iter().find(|&&d| d > i16::MAX as usize) {
        return Err(Error::Invalid {
            what: "NIfTI volume".into(),
            detail: format!("dimension {d} is larger than NIfTI-1 allows ({})", i16::MAX),
        });
    }
    let bytes = encode(volume);
    let gzip = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".gz"));
    write_atomically(path, |w| {
        if gzip {
            let mut z = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
            z.write_all(&bytes)?;
            z.finish().map(|_| ())
        } else {
            w.write_all(&bytes)
        }
    })
}

/// The header and data of a little-endian float64 NIfTI-1 file.
fn encode(volume: &Volume) -> Vec<u8> {
    let mut h = vec![0u8; NIFTI1_HEADER + 4];
    let put = |h: &mut Vec<u8>, at: usize, b: &[u8]| h[at..at + b.len()].copy_from_slice(b);
    put(&mut h, 0, &348i32.to_le_bytes());
    put(&mut h, 38, b"r"); // "regular", as the standard asks
    put(&mut h, 40, &(volume.shape.len() as i16).to_le_bytes());
    for i in 0..7 {
        let d = volume.shape.get(i).copied().unwrap_or(1) as i16;
        put(&mut h, 42 + 2 * i, &d.to_le_bytes());
    }
    put(&mut h, 70, &64i16.to_le_bytes()); // float64
    put(&mut h, 72, &64i16.to_le_bytes());
    // Voxel sizes: the lengths of the affine's columns.
    put(&mut h, 76, &1f32.to_le_bytes());
    for j in 0..7 {
        let size = if j < 3 {
            (0..3)
                .map(|i| volume.affine[i][j].powi(2))
                .sum::<f64>()
                .sqrt()
        } else {
            1.0
        };
        put(&mut h, 80 + 4 * j, &(size as f32).to_le_bytes());
    }
    put(&mut h, 108, &352f32.to_le_bytes());
    put(&mut h, 112, &1f32.to_le_bytes());
    put(&mut h, 123, &[2u8]); // millimetres
    put(&mut h, 148, b"repscope");
    put(&mut h, 254, &2i16.to_le_bytes()); // sform: aligned to another volume
    for i in 0..3 {
        for j in 0..4 {
            put(
                &mut h,
                280 + 16 * i + 4 * j,
                &(volume.affine[i][j] as f32).to_le_bytes(),
            );
        }
    }
    put(&mut h, 344, b"n+1\0");
    h.reserve(volume.data.len() * 8);
    for v in &volume.data {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_volumes_read_back_equal_gzipped_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let affine = [
            [2.0, 0.0, 0.0, -10.0],
            [0.0, 2.5, 0.0, 4.0],
            [0.0, 0.0, 3.0, 1.5],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let shape = vec![3, 4, 2, 2];
        let data: Vec<f64> = (0..48).map(|i| i as f64 * 0.5 - 3.0).collect();
        let mut volume = Volume {
            shape,
            affine,
            data,
        };
        volume.data[5] = f64::NAN;
        for name in ["map.nii", "map.nii.gz"] {
            let path = dir.path().join(name);
            write_nifti(&path, &volume).unwrap();
            let back = read_nifti(&path).unwrap();
            assert_eq!(back.shape, volume.shape);
            assert_eq!(back.affine, volume.affine);
            assert!(back.data[5].is_nan());
            for (i, (a, b)) in back.data.iter().zip(&volume.data).enumerate() {
                assert!(i == 5 || a == b);
            }
            assert_eq!(back.spatial_shape(), [3, 4, 2]);
            assert_eq!(back.n_volumes(), 2);
        }
    }

    #[test]
    fn not_nifti_is_a_format_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.nii");
        std::fs::write(&path, vec![7u8; 400]).unwrap();
        let e = read_nifti(&path).unwrap_err();
        assert!(e.is_file_error(), "{e}");
        assert!(e.to_string().contains("header size"), "{e}");
    }
}
