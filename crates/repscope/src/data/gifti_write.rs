//! Writing per-vertex maps as a GIfTI file (`.func.gii` / `.shape.gii`):
//! one `DataArray` per map, float32 (the type FreeSurfer, Workbench and
//! nilearn read), zlib-compressed base64 (`GZipBase64Binary`), each map's
//! name in its `Name` metadata. NaN (a vertex without a value) is kept as
//! NaN. The file is written atomically: complete or not at all.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use flate2::Compression;
use flate2::write::ZlibEncoder;

use super::atomic::write_atomically;
use crate::error::{Error, Result};

/// Text for an XML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The `Data` text of one map: float32, little-endian, zlib, base64.
fn encode(values: &[f64]) -> std::io::Result<String> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    for &v in values {
        z.write_all(&(v as f32).to_le_bytes())?;
    }
    Ok(base64::engine::general_purpose::STANDARD.encode(z.finish()?))
}

/// Writes `maps` (each one value per vertex, all the same length) named
/// `names` to `path`.
pub fn write_gifti_maps(path: &Path, names: &[String], maps: &[Vec<f64>]) -> Result<()> {
    let n = maps.first().map_or(0, Vec::len);
    if maps.is_empty() || names.len() != maps.len() {
        return Err(Error::Invalid {
            what: format!("GIfTI maps for {}", path.display()),
            detail: format!(
                "{} maps and {} names; give one name per map",
                maps.len(),
                names.len()
            ),
        });
    }
    if let Some(m) = maps.iter().position(|m| m.len() != n) {
        return Err(Error::ShapeMismatch {
            what: format!("map '{}' (one value per vertex)", names[m]),
            expected: n,
            found: maps[m].len(),
        });
    }
    write_atomically(path, |w| {
        writeln!(w, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            w,
            r#"<GIFTI Version="1.0" NumberOfDataArrays="{}">"#,
            maps.len()
        )?;
        writeln!(w, "<MetaData/>\n<LabelTable/>")?;
        for (name, map) in names.iter().zip(maps) {
            writeln!(
                w,
                r#"<DataArray Intent="NIFTI_INTENT_NONE" DataType="NIFTI_TYPE_FLOAT32" ArrayIndexingOrder="RowMajorOrder" Dimensionality="1" Dim0="{n}" Encoding="GZipBase64Binary" Endian="LittleEndian" ExternalFileName="" ExternalFileOffset="">"#
            )?;
            writeln!(
                w,
                "<MetaData><MD><Name>Name</Name><Value>{}</Value></MD></MetaData>",
                escape(name)
            )?;
            writeln!(w, "<Data>{}</Data>\n</DataArray>", encode(map)?)?;
        }
        writeln!(w, "</GIFTI>")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::gifti::read_gifti;
    use crate::data::surface::gifti_maps;

    #[test]
    fn maps_read_back_as_float32_with_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("maps.func.gii");
        let a = vec![0.5, f64::NAN, -2.25, 1e-3];
        let b = vec![1.0, 2.0, 3.0, 4.0];
        let names = vec!["model <a> & b".to_string(), "b".to_string()];
        write_gifti_maps(&path, &names, &[a.clone(), b]).unwrap();
        let (m, labels) = gifti_maps(&read_gifti(&path).unwrap()).unwrap();
        assert_eq!((m.nrows(), m.ncols()), (2, 4));
        assert_eq!(labels.unwrap(), names);
        assert!(m[(0, 1)].is_nan());
        assert_eq!(m[(0, 3)], f64::from(1e-3f32));
        assert_eq!(m[(1, 2)], 3.0);
        let e = write_gifti_maps(&path, &names[..1], &[vec![1.0], vec![1.0, 2.0]]).unwrap_err();
        assert!(e.to_string().contains("one name per map"), "{e}");
    }
}
