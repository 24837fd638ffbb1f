//! The CIFTI-2 XML header (the NIfTI-2 extension with ecode 32 of a
//! `.dscalar.nii`, `.dtseries.nii`, `.dlabel.nii`, `.pscalar.nii`, …).
//!
//! What is read: the `Version` and every `MatrixIndicesMap`: for brain
//! models each `BrainModel` (offset, count, type, structure, vertex or
//! voxel indices) and the `Volume` (dimensions and the voxel-to-mm
//! affine, `MeterExponent` applied); for scalars and labels the map
//! names; for series the start, step (`SeriesExponent` applied, as
//! nibabel's `SeriesAxis` does), unit and length; for parcels the parcel
//! names. Metadata, label tables and the members of parcels are skipped.
//!
//! Checked: the brain models tile their dimension (each starts where the
//! one before it ends, the first at 0); a surface model lists
//! `IndexCount` distinct vertices below `SurfaceNumberOfVertices`; a
//! voxel model lists `IndexCount` distinct voxels inside the volume; no
//! matrix dimension is described twice. Failures are [`Error::Format`]
//! naming the map and the structure. A header whose `Version` is not 2
//! (CIFTI-1) is [`Error::UnsupportedFile`]. A header without a
//! brain-models map is not an error here ([`CiftiHeader::brain_models`]
//! is `None`): whether that is usable is for the caller to say.
//!
//! The XML is untrusted input: counts in it are compared with the lists
//! actually present, never used to size an allocation.

use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};

/// The hint for every header that is corrupt or inconsistent.
const HINT: &str = "re-export the file (Connectome Workbench wb_command, nibabel)";

/// Whether a brain model covers surface vertices or volume voxels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelType {
    Surface,
    Voxels,
}

/// One `BrainModel`: the rows (or columns) `index_offset ..
/// index_offset + index_count` of its dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct BrainModel {
    pub index_offset: usize,
    pub index_count: usize,
    pub model_type: ModelType,
    /// `BrainStructure`, e.g. `CIFTI_STRUCTURE_CORTEX_LEFT`.
    pub structure: String,
    /// `SurfaceNumberOfVertices` (surface models only).
    pub surface_vertices: Option<usize>,
    /// `VertexIndices`, one per index (surface models; empty otherwise).
    pub vertices: Vec<usize>,
    /// `VoxelIndicesIJK`, one per index (voxel models; empty otherwise).
    pub voxels: Vec<[usize; 3]>,
}

/// One `MatrixIndicesMap`; `applies_to` lists the matrix dimensions
/// (0-based) it describes.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexMap {
    BrainModels {
        applies_to: Vec<usize>,
        models: Vec<BrainModel>,
        volume_dims: Option<[usize; 3]>,
        /// Voxel indices (i, j, k, 1) to millimetres.
        volume_affine: Option<[[f64; 4]; 4]>,
    },
    Scalars {
        applies_to: Vec<usize>,
        names: Vec<String>,
    },
    Labels {
        applies_to: Vec<usize>,
        names: Vec<String>,
    },
    Series {
        applies_to: Vec<usize>,
        start: f64,
        step: f64,
        unit: String,
        count: usize,
    },
    Parcels {
        applies_to: Vec<usize>,
        names: Vec<String>,
    },
}

/// The parsed header.
#[derive(Clone, Debug, PartialEq)]
pub struct CiftiHeader {
    /// The `Version` attribute ("2" or "2.0").
    pub version: String,
    /// The maps in file order.
    pub maps: Vec<IndexMap>,
}

impl CiftiHeader {
    /// The brain models of the (first) brain-models map, if there is one.
    pub fn brain_models(&self) -> Option<&[BrainModel]> {
        self.maps.iter().find_map(|m| match m {
            IndexMap::BrainModels { models, .. } => Some(models.as_slice()),
            _ => None,
        })
    }
}

/// Parses the XML of a CIFTI-2 extension; `path` names the file in
/// messages.
pub fn parse_cifti_xml(xml: &[u8], path: &Path) -> Result<CiftiHeader> {
    let mut reader = Reader::from_reader(xml);
    reader.config_mut().expand_empty_elements = true;
    let mut builder = Builder::new(path);
    loop {
        let event = reader.read_event().map_err(|e| {
            Error::format(
                path,
                format!("CIFTI-2 XML error at byte {}: {e}", reader.error_position()),
                HINT,
            )
        })?;
        match event {
            Event::Start(e) => builder.start(&e, &reader)?,
            Event::End(_) => builder.end()?,
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_) if builder.collects_text() => {
                push_text(&event, &mut builder.text, path)?;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    builder.finish()
}

/// Appends the characters of a text, CDATA or entity-reference event.
fn push_text(event: &Event, out: &mut String, path: &Path) -> Result<()> {
    let bad = |what: String| Error::format(path, what, HINT);
    match event {
        Event::Text(t) => out.push_str(&t.decode().map_err(|e| bad(format!("bad text: {e}")))?),
        Event::CData(c) => out.push_str(&c.decode().map_err(|e| bad(format!("bad CDATA: {e}")))?),
        Event::GeneralRef(r) => {
            let name = r.decode().map_err(|e| bad(format!("bad entity: {e}")))?;
            if let Some(c) = r
                .resolve_char_ref()
                .map_err(|e| bad(format!("&{name};: {e}")))?
            {
                out.push(c);
            } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&name) {
                out.push_str(s);
            } else {
                return Err(bad(format!("unknown XML entity &{name};")));
            }
        }
        _ => {}
    }
    Ok(())
}

/// The attributes of an element, unescaped, in file order.
fn attributes(
    e: &BytesStart,
    reader: &Reader<&[u8]>,
    path: &Path,
) -> Result<Vec<(String, String)>> {
    let element = String::from_utf8_lossy(e.local_name().into_inner()).into_owned();
    let bad = |detail: String| Error::format(path, format!("<{element}>: {detail}"), HINT);
    e.attributes()
        .map(|attr| {
            let attr = attr.map_err(|err| bad(format!("bad attribute: {err}")))?;
            let key = String::from_utf8_lossy(attr.key.local_name().into_inner()).into_owned();
            let value = attr
                .decode_and_unescape_value(reader.decoder())
                .map_err(|err| bad(format!("bad value of {key}: {err}")))?;
            Ok((key, value.trim().to_string()))
        })
        .collect()
}

fn lookup<'a>(attrs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The elements the parser acts on; everything else (metadata, label
/// tables, parcel members) is skipped whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Elem {
    Cifti,
    Matrix,
    Map,
    NamedMap,
    MapName,
    Volume,
    Transform,
    BrainModel,
    VertexIndices,
    VoxelIndices,
    Parcel,
    Other,
}

impl Elem {
    /// What an element called `name` is, given its parent and the type
    /// of the map it is in.
    fn of(parent: Elem, name: &[u8], kind: Option<MapKind>) -> Elem {
        use Elem::*;
        let named = matches!(kind, Some(MapKind::Scalars | MapKind::Labels));
        let models = kind == Some(MapKind::BrainModels);
        match (parent, name) {
            (Cifti, b"Matrix") => Matrix,
            (Matrix, b"MatrixIndicesMap") => Map,
            (Map, b"NamedMap") if named => NamedMap,
            (NamedMap, b"MapName") => MapName,
            (Map, b"Volume") if models => Volume,
            (Volume, b"TransformationMatrixVoxelIndicesIJKtoXYZ") => Transform,
            (Map, b"BrainModel") if models => BrainModel,
            (BrainModel, b"VertexIndices") => VertexIndices,
            (BrainModel, b"VoxelIndicesIJK") => VoxelIndices,
            (Map, b"Parcel") if kind == Some(MapKind::Parcels) => Parcel,
            _ => Other,
        }
    }

    fn holds_text(self) -> bool {
        matches!(
            self,
            Elem::MapName | Elem::Transform | Elem::VertexIndices | Elem::VoxelIndices
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MapKind {
    BrainModels,
    Scalars,
    Labels,
    Series,
    Parcels,
}

impl MapKind {
    fn from_name(name: &str) -> Option<MapKind> {
        Some(match name {
            "CIFTI_INDEX_TYPE_BRAIN_MODELS" => MapKind::BrainModels,
            "CIFTI_INDEX_TYPE_SCALARS" => MapKind::Scalars,
            "CIFTI_INDEX_TYPE_LABELS" => MapKind::Labels,
            "CIFTI_INDEX_TYPE_SERIES" => MapKind::Series,
            "CIFTI_INDEX_TYPE_PARCELS" => MapKind::Parcels,
            _ => return None,
        })
    }
}

/// The series attributes of a map.
struct Series {
    start: f64,
    step: f64,
    unit: String,
    count: usize,
}

/// A `MatrixIndicesMap` whose end tag has not been reached yet.
struct PendingMap {
    /// Its position among the maps, for messages.
    index: usize,
    kind: MapKind,
    kind_name: String,
    applies_to: Vec<usize>,
    names: Vec<String>,
    series: Option<Series>,
    models: Vec<BrainModel>,
    volume_dims: Option<[usize; 3]>,
    volume_affine: Option<[[f64; 4]; 4]>,
    /// The `MeterExponent` of the pending transformation matrix.
    meter_exponent: i32,
}

/// Builds a [`CiftiHeader`] from the XML events.
struct Builder<'p> {
    path: &'p Path,
    stack: Vec<Elem>,
    text: String,
    version: Option<String>,
    maps: Vec<IndexMap>,
    map: Option<PendingMap>,
    map_name: Option<String>,
}

impl<'p> Builder<'p> {
    fn new(path: &'p Path) -> Self {
        Builder {
            path,
            stack: Vec::new(),
            text: String::new(),
            version: None,
            maps: Vec::new(),
            map: None,
            map_name: None,
        }
    }

    fn err(&self, detail: impl Into<String>) -> Error {
        Error::format(self.path, detail, HINT)
    }

    fn collects_text(&self) -> bool {
        self.stack.last().is_some_and(|e| e.holds_text())
    }

    /// "MatrixIndicesMap 1 (CIFTI_INDEX_TYPE_BRAIN_MODELS)".
    fn map_label(&self) -> String {
        match &self.map {
            Some(m) => format!("MatrixIndicesMap {} ({})", m.index, m.kind_name),
            None => "MatrixIndicesMap".to_string(),
        }
    }

    fn start(&mut self, e: &BytesStart, reader: &Reader<&[u8]>) -> Result<()> {
        let name = e.local_name();
        let kind = self.map.as_ref().map(|m| m.kind);
        let elem = match self.stack.last() {
            Some(&parent) => Elem::of(parent, name.as_ref(), kind),
            None if name.as_ref() == b"CIFTI" && self.version.is_none() => Elem::Cifti,
            None if self.version.is_some() => Elem::Other,
            None => {
                return Err(self.err(format!(
                    "the root element is <{}>, not <CIFTI>: not a CIFTI-2 header",
                    String::from_utf8_lossy(name.as_ref())
                )));
            }
        };
        let attrs = || attributes(e, reader, self.path);
        match elem {
            Elem::Cifti => self.start_cifti(&attrs()?)?,
            Elem::Map => self.map = Some(self.start_map(&attrs()?)?),
            Elem::NamedMap => self.map_name = None,
            Elem::Volume => self.start_volume(&attrs()?)?,
            Elem::Transform => self.start_transform(&attrs()?)?,
            Elem::BrainModel => self.start_model(&attrs()?)?,
            Elem::Parcel => self.start_parcel(&attrs()?)?,
            _ => {}
        }
        if elem.holds_text() {
            self.text.clear();
        }
        self.stack.push(elem);
        Ok(())
    }

    fn start_cifti(&mut self, attrs: &[(String, String)]) -> Result<()> {
        let version =
            lookup(attrs, "Version").ok_or_else(|| self.err("the CIFTI element has no Version"))?;
        // CIFTI-1 headers have a different structure altogether.
        if !(version == "2" || version.starts_with("2.")) {
            return Err(Error::UnsupportedFile {
                path: self.path.to_path_buf(),
                detail: format!("CIFTI version {version}: only CIFTI-2 is read"),
            });
        }
        self.version = Some(version.to_string());
        Ok(())
    }

    fn start_map(&self, attrs: &[(String, String)]) -> Result<PendingMap> {
        let index = self.maps.len();
        let bad = |detail: String| self.err(format!("MatrixIndicesMap {index}: {detail}"));
        let kind_name = lookup(attrs, "IndicesMapToDataType")
            .ok_or_else(|| bad("no IndicesMapToDataType".to_string()))?;
        let kind = MapKind::from_name(kind_name)
            .ok_or_else(|| bad(format!("unknown IndicesMapToDataType \"{kind_name}\"")))?;
        let applies = lookup(attrs, "AppliesToMatrixDimension")
            .ok_or_else(|| bad("no AppliesToMatrixDimension".to_string()))?;
        let applies_to = applies
            .split(',')
            .map(|d| d.trim().parse::<usize>())
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| {
                bad(format!(
                    "AppliesToMatrixDimension \"{applies}\" is not a list of dimensions"
                ))
            })?;
        let series = match kind {
            MapKind::Series => Some(parse_series(attrs, &bad)?),
            _ => None,
        };
        Ok(PendingMap {
            index,
            kind,
            kind_name: kind_name.to_string(),
            applies_to,
            names: Vec::new(),
            series,
            models: Vec::new(),
            volume_dims: None,
            volume_affine: None,
            meter_exponent: -3,
        })
    }

    fn start_volume(&mut self, attrs: &[(String, String)]) -> Result<()> {
        let label = self.map_label();
        let text = lookup(attrs, "VolumeDimensions")
            .ok_or_else(|| self.err(format!("{label}: the Volume has no VolumeDimensions")))?;
        let dims: Option<[usize; 3]> = parse_csv(text).and_then(|d: Vec<usize>| d.try_into().ok());
        let dims = dims.ok_or_else(|| {
            self.err(format!(
                "{label}: VolumeDimensions \"{text}\" is not three sizes"
            ))
        })?;
        if let Some(map) = self.map.as_mut() {
            map.volume_dims = Some(dims);
        }
        Ok(())
    }

    fn start_transform(&mut self, attrs: &[(String, String)]) -> Result<()> {
        // The standard requires MeterExponent; -3 (millimetres) is what
        // every writer uses.
        let exponent = match lookup(attrs, "MeterExponent") {
            None => -3,
            Some(s) => s.parse().map_err(|_| {
                self.err(format!(
                    "{}: MeterExponent \"{s}\" is not an integer",
                    self.map_label()
                ))
            })?,
        };
        if let Some(map) = self.map.as_mut() {
            map.meter_exponent = exponent;
        }
        Ok(())
    }

    fn start_model(&mut self, attrs: &[(String, String)]) -> Result<()> {
        let n = self.map.as_ref().map_or(0, |m| m.models.len());
        let structure = lookup(attrs, "BrainStructure").unwrap_or("").to_string();
        let label = format!("{}, brain model {n} ({structure})", self.map_label());
        let bad = |detail: String| self.err(format!("{label}: {detail}"));
        if structure.is_empty() {
            return Err(bad("no BrainStructure".to_string()));
        }
        let size = |key: &str| -> Result<Option<usize>> {
            lookup(attrs, key)
                .map(|s| {
                    s.parse()
                        .map_err(|_| bad(format!("{key} \"{s}\" is not a count")))
                })
                .transpose()
        };
        let need = |key: &str| size(key)?.ok_or_else(|| bad(format!("no {key}")));
        let model_type = match lookup(attrs, "ModelType") {
            Some("CIFTI_MODEL_TYPE_SURFACE") => ModelType::Surface,
            Some("CIFTI_MODEL_TYPE_VOXELS") => ModelType::Voxels,
            Some(other) => return Err(bad(format!("unknown ModelType \"{other}\""))),
            None => return Err(bad("no ModelType".to_string())),
        };
        let surface_vertices = match model_type {
            ModelType::Surface => Some(need("SurfaceNumberOfVertices")?),
            ModelType::Voxels => size("SurfaceNumberOfVertices")?,
        };
        let model = BrainModel {
            index_offset: need("IndexOffset")?,
            index_count: need("IndexCount")?,
            model_type,
            structure,
            surface_vertices,
            vertices: Vec::new(),
            voxels: Vec::new(),
        };
        if let Some(map) = self.map.as_mut() {
            map.models.push(model);
        }
        Ok(())
    }

    fn start_parcel(&mut self, attrs: &[(String, String)]) -> Result<()> {
        let name = lookup(attrs, "Name")
            .ok_or_else(|| self.err(format!("{}: a Parcel has no Name", self.map_label())))?;
        let name = name.to_string();
        if let Some(map) = self.map.as_mut() {
            map.names.push(name);
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        let Some(elem) = self.stack.pop() else {
            return Ok(());
        };
        let text = if elem.holds_text() {
            std::mem::take(&mut self.text)
        } else {
            String::new()
        };
        match elem {
            Elem::MapName => self.map_name = Some(text.trim().to_string()),
            Elem::NamedMap => self.end_named_map()?,
            Elem::Transform => self.end_transform(&text)?,
            Elem::VertexIndices => self.end_vertices(&text)?,
            Elem::VoxelIndices => self.end_voxels(&text)?,
            Elem::Map => self.end_map()?,
            _ => {}
        }
        Ok(())
    }

    fn end_named_map(&mut self) -> Result<()> {
        let n = self.map.as_ref().map_or(0, |m| m.names.len());
        let name = self.map_name.take().ok_or_else(|| {
            self.err(format!("{}: NamedMap {n} has no MapName", self.map_label()))
        })?;
        if let Some(map) = self.map.as_mut() {
            map.names.push(name);
        }
        Ok(())
    }

    fn end_transform(&mut self, text: &str) -> Result<()> {
        let label = self.map_label();
        let values: Vec<f64> = parse_words(text)
            .filter(|v: &Vec<f64>| v.iter().all(|x| x.is_finite()))
            .ok_or_else(|| {
                self.err(format!(
                    "{label}: the voxel-to-world matrix is not 16 finite numbers"
                ))
            })?;
        if values.len() != 16 {
            return Err(self.err(format!(
                "{label}: the voxel-to-world matrix has {} numbers instead of 16",
                values.len()
            )));
        }
        let Some(map) = self.map.as_mut() else {
            return Ok(());
        };
        // To millimetres: the matrix gives metres × 10^MeterExponent.
        let scale = 10f64.powi(map.meter_exponent.saturating_add(3));
        let mut affine = [[0.0; 4]; 4];
        for (r, row) in affine.iter_mut().enumerate() {
            for (c, cell) in row.iter_mut().enumerate() {
                let v = values[r * 4 + c];
                *cell = if r < 3 { v * scale } else { v };
            }
        }
        map.volume_affine = Some(affine);
        Ok(())
    }

    fn end_vertices(&mut self, text: &str) -> Result<()> {
        let label = self.model_label();
        let vertices = parse_words(text).ok_or_else(|| {
            self.err(format!("{label}: VertexIndices are not all vertex numbers"))
        })?;
        if let Some(model) = self.map.as_mut().and_then(|m| m.models.last_mut()) {
            model.vertices = vertices;
        }
        Ok(())
    }

    fn end_voxels(&mut self, text: &str) -> Result<()> {
        let label = self.model_label();
        let flat: Vec<usize> = parse_words(text).ok_or_else(|| {
            self.err(format!(
                "{label}: VoxelIndicesIJK are not all voxel indices"
            ))
        })?;
        if flat.len() % 3 != 0 {
            return Err(self.err(format!(
                "{label}: VoxelIndicesIJK holds {} numbers, not a multiple of 3",
                flat.len()
            )));
        }
        let voxels = flat.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect();
        if let Some(model) = self.map.as_mut().and_then(|m| m.models.last_mut()) {
            model.voxels = voxels;
        }
        Ok(())
    }

    /// "MatrixIndicesMap 1 (…), brain model 0 (CIFTI_STRUCTURE_CORTEX_LEFT)".
    fn model_label(&self) -> String {
        let model = self.map.as_ref().and_then(|m| {
            let n = m.models.len().checked_sub(1)?;
            Some((n, m.models.get(n)?.structure.clone()))
        });
        match model {
            Some((n, s)) => format!("{}, brain model {n} ({s})", self.map_label()),
            None => self.map_label(),
        }
    }

    fn end_map(&mut self) -> Result<()> {
        let label = self.map_label();
        let Some(map) = self.map.take() else {
            return Ok(());
        };
        let bad = |detail: String| self.err(format!("{label}: {detail}"));
        for &dim in &map.applies_to {
            if self.maps.iter().any(|m| applies_to(m).contains(&dim)) {
                return Err(bad(format!(
                    "matrix dimension {dim} is already described by an earlier MatrixIndicesMap"
                )));
            }
        }
        if map.kind == MapKind::BrainModels {
            check_models(&map, &bad)?;
        }
        let PendingMap {
            kind,
            applies_to,
            names,
            series,
            models,
            volume_dims,
            volume_affine,
            ..
        } = map;
        let built = match (kind, series) {
            (MapKind::BrainModels, _) => IndexMap::BrainModels {
                applies_to,
                models,
                volume_dims,
                volume_affine,
            },
            (MapKind::Scalars, _) => IndexMap::Scalars { applies_to, names },
            (MapKind::Labels, _) => IndexMap::Labels { applies_to, names },
            (MapKind::Parcels, _) => IndexMap::Parcels { applies_to, names },
            (MapKind::Series, Some(s)) => IndexMap::Series {
                applies_to,
                start: s.start,
                step: s.step,
                unit: s.unit,
                count: s.count,
            },
            // start_map reads the series attributes of every series map.
            (MapKind::Series, None) => return Err(bad("no series attributes".to_string())),
        };
        self.maps.push(built);
        Ok(())
    }

    fn finish(self) -> Result<CiftiHeader> {
        if !self.stack.is_empty() {
            return Err(self.err("the CIFTI-2 XML ends before </CIFTI> (truncated?)"));
        }
        let version = self.version.ok_or_else(|| {
            Error::format(
                self.path,
                "no <CIFTI> element in the CIFTI-2 extension",
                HINT,
            )
        })?;
        Ok(CiftiHeader {
            version,
            maps: self.maps,
        })
    }
}

fn applies_to(map: &IndexMap) -> &[usize] {
    match map {
        IndexMap::BrainModels { applies_to, .. }
        | IndexMap::Scalars { applies_to, .. }
        | IndexMap::Labels { applies_to, .. }
        | IndexMap::Series { applies_to, .. }
        | IndexMap::Parcels { applies_to, .. } => applies_to,
    }
}

/// Reads the series attributes, applying `SeriesExponent`.
fn parse_series(attrs: &[(String, String)], bad: &dyn Fn(String) -> Error) -> Result<Series> {
    let need = |key: &str| lookup(attrs, key).ok_or_else(|| bad(format!("no {key}")));
    let number = |key: &str| -> Result<f64> {
        let s = need(key)?;
        s.parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| bad(format!("{key} \"{s}\" is not a finite number")))
    };
    let count = need("NumberOfSeriesPoints")?;
    let count = count
        .parse()
        .map_err(|_| bad(format!("NumberOfSeriesPoints \"{count}\" is not a count")))?;
    let exponent: i32 = match lookup(attrs, "SeriesExponent") {
        None => 0,
        Some(s) => s
            .parse()
            .map_err(|_| bad(format!("SeriesExponent \"{s}\" is not an integer")))?,
    };
    let scale = 10f64.powi(exponent);
    Ok(Series {
        start: number("SeriesStart")? * scale,
        step: number("SeriesStep")? * scale,
        unit: need("SeriesUnit")?.to_string(),
        count,
    })
}

/// Parses whitespace-separated numbers.
fn parse_words<T: std::str::FromStr>(text: &str) -> Option<Vec<T>> {
    text.split_ascii_whitespace()
        .map(|s| s.parse().ok())
        .collect()
}

/// Parses comma-separated numbers.
fn parse_csv<T: std::str::FromStr>(text: &str) -> Option<Vec<T>> {
    text.split(',').map(|s| s.trim().parse().ok()).collect()
}

/// Checks that the brain models tile their dimension and that each one's
/// indices fit its surface or volume.
fn check_models(map: &PendingMap, bad: &dyn Fn(String) -> Error) -> Result<()> {
    let mut next = 0usize;
    for (n, model) in map.models.iter().enumerate() {
        let bad = |detail: String| bad(format!("brain model {n} ({}): {detail}", model.structure));
        if model.index_offset != next {
            return Err(bad(format!(
                "IndexOffset is {} but the models before it end at {next}",
                model.index_offset
            )));
        }
        next = next
            .checked_add(model.index_count)
            .ok_or_else(|| bad(format!("IndexCount {} is too large", model.index_count)))?;
        match model.model_type {
            ModelType::Surface => check_surface(model, &bad)?,
            ModelType::Voxels => check_voxels(model, map.volume_dims, &bad)?,
        }
    }
    Ok(())
}

fn check_surface(model: &BrainModel, bad: &dyn Fn(String) -> Error) -> Result<()> {
    if model.vertices.len() != model.index_count {
        return Err(bad(format!(
            "IndexCount is {} but VertexIndices lists {} vertices",
            model.index_count,
            model.vertices.len()
        )));
    }
    let n = model.surface_vertices.unwrap_or(0);
    if let Some(&v) = model.vertices.iter().find(|&&v| v >= n) {
        return Err(bad(format!(
            "vertex {v} is listed but the surface has {n} vertices (SurfaceNumberOfVertices)"
        )));
    }
    if let Some(v) = first_duplicate(&model.vertices) {
        return Err(bad(format!("vertex {v} is listed twice")));
    }
    Ok(())
}

fn check_voxels(
    model: &BrainModel,
    dims: Option<[usize; 3]>,
    bad: &dyn Fn(String) -> Error,
) -> Result<()> {
    if model.voxels.len() != model.index_count {
        return Err(bad(format!(
            "IndexCount is {} but VoxelIndicesIJK lists {} voxels",
            model.index_count,
            model.voxels.len()
        )));
    }
    let Some(dims) = dims else {
        return Err(bad("a voxel model but the map has no Volume".to_string()));
    };
    if let Some(v) = model
        .voxels
        .iter()
        .find(|v| v.iter().zip(dims).any(|(&i, d)| i >= d))
    {
        return Err(bad(format!(
            "voxel {v:?} lies outside the volume of {}×{}×{} voxels",
            dims[0], dims[1], dims[2]
        )));
    }
    if let Some(v) = first_duplicate(&model.voxels) {
        return Err(bad(format!("voxel {v:?} is listed twice")));
    }
    Ok(())
}

/// A value that occurs more than once, if any.
fn first_duplicate<T: Ord + Copy>(values: &[T]) -> Option<T> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path() -> &'static Path {
        Path::new("test.dscalar.nii")
    }

    const SURFACE: &str = r#"<BrainModel IndexOffset="0" IndexCount="3"
        ModelType="CIFTI_MODEL_TYPE_SURFACE" BrainStructure="CIFTI_STRUCTURE_CORTEX_LEFT"
        SurfaceNumberOfVertices="10"><VertexIndices>0 4 9</VertexIndices></BrainModel>"#;
    const VOXELS: &str = r#"<BrainModel IndexOffset="3" IndexCount="2"
        ModelType="CIFTI_MODEL_TYPE_VOXELS" BrainStructure="CIFTI_STRUCTURE_THALAMUS_LEFT">
        <VoxelIndicesIJK>0 1 2
        1 2 3</VoxelIndicesIJK></BrainModel>"#;
    const VOLUME: &str = r#"<Volume VolumeDimensions="2,3,4">
        <TransformationMatrixVoxelIndicesIJKtoXYZ MeterExponent="-3">
        2 0 0 -90 0 2 0 -126 0 0 2 -72 0 0 0 1
        </TransformationMatrixVoxelIndicesIJKtoXYZ></Volume>"#;
    const SCALARS: &str = r#"<MatrixIndicesMap AppliesToMatrixDimension="0"
        IndicesMapToDataType="CIFTI_INDEX_TYPE_SCALARS">
        <NamedMap><MetaData><MD><Name>k</Name><Value>v</Value></MD></MetaData>
        <MapName>thickness</MapName></NamedMap>
        <NamedMap><MapName><![CDATA[curv & sulc]]></MapName></NamedMap>
        </MatrixIndicesMap>"#;

    fn header(maps: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CIFTI Version=\"2\"><Matrix>\
             <MetaData><MD><Name>a</Name><Value>b</Value></MD></MetaData>{maps}</Matrix></CIFTI>"
        )
    }

    fn models_map(dim: &str, body: &str) -> String {
        format!(
            "<MatrixIndicesMap AppliesToMatrixDimension=\"{dim}\" \
             IndicesMapToDataType=\"CIFTI_INDEX_TYPE_BRAIN_MODELS\">{body}</MatrixIndicesMap>"
        )
    }

    fn dscalar() -> String {
        header(&format!(
            "{SCALARS}{}",
            models_map("1", &format!("{VOLUME}{SURFACE}{VOXELS}"))
        ))
    }

    fn parse(xml: &str) -> Result<CiftiHeader> {
        parse_cifti_xml(xml.as_bytes(), path())
    }

    fn format_detail(xml: &str) -> String {
        match parse(xml).unwrap_err() {
            Error::Format { detail, hint, .. } => {
                assert_eq!(hint, HINT);
                detail
            }
            other => panic!("expected a Format error, got {other:?}"),
        }
    }

    #[test]
    fn dscalar_header() {
        let h = parse(&dscalar()).unwrap();
        assert_eq!(h.version, "2");
        assert_eq!(h.maps.len(), 2);
        assert_eq!(
            h.maps[0],
            IndexMap::Scalars {
                applies_to: vec![0],
                names: vec!["thickness".into(), "curv & sulc".into()]
            }
        );
        let IndexMap::BrainModels {
            applies_to,
            models,
            volume_dims,
            volume_affine,
        } = &h.maps[1]
        else {
            panic!("{:?}", h.maps[1]);
        };
        assert_eq!(applies_to, &[1]);
        assert_eq!(volume_dims, &Some([2, 3, 4]));
        let affine = volume_affine.unwrap();
        assert_eq!(affine[0], [2.0, 0.0, 0.0, -90.0]);
        assert_eq!(affine[3], [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(h.brain_models(), Some(models.as_slice()));
        assert_eq!(
            models[0],
            BrainModel {
                index_offset: 0,
                index_count: 3,
                model_type: ModelType::Surface,
                structure: "CIFTI_STRUCTURE_CORTEX_LEFT".into(),
                surface_vertices: Some(10),
                vertices: vec![0, 4, 9],
                voxels: vec![],
            }
        );
        assert_eq!(models[1].model_type, ModelType::Voxels);
        assert_eq!(models[1].voxels, vec![[0, 1, 2], [1, 2, 3]]);
        assert_eq!(models[1].surface_vertices, None);
    }

    #[test]
    fn meter_exponent_is_applied() {
        let metres = VOLUME.replace("MeterExponent=\"-3\"", "MeterExponent=\"0\"");
        let h = parse(&header(&models_map("0", &format!("{metres}{SURFACE}")))).unwrap();
        let IndexMap::BrainModels { volume_affine, .. } = &h.maps[0] else {
            panic!()
        };
        assert_eq!(volume_affine.unwrap()[0], [2000.0, 0.0, 0.0, -90000.0]);
    }

    #[test]
    fn series_labels_parcels() {
        let series = r#"<MatrixIndicesMap AppliesToMatrixDimension="0"
            IndicesMapToDataType="CIFTI_INDEX_TYPE_SERIES" NumberOfSeriesPoints="7"
            SeriesExponent="-3" SeriesStart="500" SeriesStep="720" SeriesUnit="SECOND"/>"#;
        let parcels = r#"<MatrixIndicesMap AppliesToMatrixDimension="1"
            IndicesMapToDataType="CIFTI_INDEX_TYPE_PARCELS">
            <Surface BrainStructure="CIFTI_STRUCTURE_CORTEX_LEFT" SurfaceNumberOfVertices="5"/>
            <Parcel Name="V1"><Vertices BrainStructure="CIFTI_STRUCTURE_CORTEX_LEFT">0 1</Vertices>
            </Parcel><Parcel Name="MT"/></MatrixIndicesMap>"#;
        let h = parse(&header(&format!("{series}{parcels}"))).unwrap();
        assert_eq!(
            h.maps[0],
            IndexMap::Series {
                applies_to: vec![0],
                start: 0.5,
                step: 0.72,
                unit: "SECOND".into(),
                count: 7
            }
        );
        assert_eq!(
            h.maps[1],
            IndexMap::Parcels {
                applies_to: vec![1],
                names: vec!["V1".into(), "MT".into()]
            }
        );
        assert_eq!(h.brain_models(), None);

        let labels = SCALARS
            .replace("CIFTI_INDEX_TYPE_SCALARS", "CIFTI_INDEX_TYPE_LABELS")
            .replace(
                "AppliesToMatrixDimension=\"0\"",
                "AppliesToMatrixDimension=\"0, 1\"",
            )
            .replace(
                "<MapName>thickness</MapName>",
                "<LabelTable><Label Key=\"0\">???</Label></LabelTable><MapName>atlas</MapName>",
            );
        let h = parse(&header(&labels)).unwrap();
        assert_eq!(
            h.maps[0],
            IndexMap::Labels {
                applies_to: vec![0, 1],
                names: vec!["atlas".into(), "curv & sulc".into()]
            }
        );
    }

    #[test]
    fn models_must_tile_their_dimension() {
        let gap = dscalar().replace("IndexOffset=\"3\"", "IndexOffset=\"4\"");
        let d = format_detail(&gap);
        assert!(
            d.contains("brain model 1 (CIFTI_STRUCTURE_THALAMUS_LEFT)")
                && d.contains("IndexOffset is 4 but the models before it end at 3"),
            "{d}"
        );
        let late_start = dscalar().replace("IndexOffset=\"0\"", "IndexOffset=\"1\"");
        assert!(format_detail(&late_start).contains("CORTEX_LEFT"));
    }

    #[test]
    fn model_errors() {
        let cases = [
            (
                "<VertexIndices>0 4 9</VertexIndices>",
                "<VertexIndices>0 4</VertexIndices>",
                "IndexCount is 3 but VertexIndices lists 2 vertices",
            ),
            (
                "<VertexIndices>0 4 9</VertexIndices>",
                "<VertexIndices>0 4 10</VertexIndices>",
                "vertex 10 is listed but the surface has 10 vertices",
            ),
            (
                "<VertexIndices>0 4 9</VertexIndices>",
                "<VertexIndices>0 4 4</VertexIndices>",
                "vertex 4 is listed twice",
            ),
            (
                "<VertexIndices>0 4 9</VertexIndices>",
                "<VertexIndices>0 -4 9</VertexIndices>",
                "not all vertex numbers",
            ),
            (
                " SurfaceNumberOfVertices=\"10\"",
                "",
                "no SurfaceNumberOfVertices",
            ),
            (
                "IndexCount=\"3\"",
                "IndexCount=\"x\"",
                "IndexCount \"x\" is not a count",
            ),
            (
                "CIFTI_MODEL_TYPE_SURFACE",
                "CIFTI_MODEL_TYPE_MESH",
                "unknown ModelType",
            ),
            (
                "1 2 3</Voxel",
                "1 2 4</Voxel",
                "voxel [1, 2, 4] lies outside the volume of 2×3×4",
            ),
            (
                "1 2 3</Voxel",
                "0 1 2</Voxel",
                "voxel [0, 1, 2] is listed twice",
            ),
            ("1 2 3</Voxel", "1 2</Voxel", "not a multiple of 3"),
            (
                "IndexCount=\"2\"",
                "IndexCount=\"3\"",
                "VoxelIndicesIJK lists 2 voxels",
            ),
            ("2 0 0 -90 ", "2 0 0 ", "15 numbers instead of 16"),
            ("2 0 0 -90 ", "2 0 0 nan ", "not 16 finite numbers"),
            (
                "VolumeDimensions=\"2,3,4\"",
                "VolumeDimensions=\"2,3\"",
                "not three sizes",
            ),
        ];
        for (from, to, want) in cases {
            let xml = dscalar();
            assert!(xml.contains(from), "{from}");
            let d = format_detail(&xml.replacen(from, to, 1));
            assert!(d.contains(want), "{d} / {want}");
        }
        // Model errors name the map and the structure.
        let d = format_detail(&dscalar().replace("0 4 9", "0 4"));
        assert!(
            d.starts_with(
                "MatrixIndicesMap 1 (CIFTI_INDEX_TYPE_BRAIN_MODELS): brain model 0 \
                 (CIFTI_STRUCTURE_CORTEX_LEFT): "
            ),
            "{d}"
        );
    }

    #[test]
    fn voxels_need_a_volume() {
        let d = format_detail(&header(&models_map("0", &format!("{SURFACE}{VOXELS}"))));
        assert!(d.contains("no Volume"), "{d}");
    }

    #[test]
    fn map_errors() {
        let xml = dscalar();
        let d = format_detail(&xml.replace(
            "AppliesToMatrixDimension=\"1\"",
            "AppliesToMatrixDimension=\"0\"",
        ));
        assert!(d.contains("matrix dimension 0 is already described"), "{d}");
        let d =
            format_detail(&xml.replace("CIFTI_INDEX_TYPE_SCALARS", "CIFTI_INDEX_TYPE_TIME_POINTS"));
        assert!(d.contains("unknown IndicesMapToDataType"), "{d}");
        let d = format_detail(&xml.replace(
            "AppliesToMatrixDimension=\"1\"",
            "AppliesToMatrixDimension=\"a\"",
        ));
        assert!(d.contains("AppliesToMatrixDimension"), "{d}");
        let d = format_detail(&xml.replace("<MapName>thickness</MapName>", ""));
        assert!(d.contains("NamedMap 0 has no MapName"), "{d}");
        let series = r#"<MatrixIndicesMap AppliesToMatrixDimension="0"
            IndicesMapToDataType="CIFTI_INDEX_TYPE_SERIES" NumberOfSeriesPoints="2"
            SeriesStart="0" SeriesUnit="SECOND"/>"#;
        assert!(format_detail(&header(series)).contains("no SeriesStep"));
        let series = series.replace("SeriesStart=\"0\"", "SeriesStart=\"inf\" SeriesStep=\"1\"");
        assert!(
            format_detail(&header(&series)).contains("SeriesStart \"inf\" is not a finite number")
        );
    }

    #[test]
    fn version_and_structure() {
        match parse(&dscalar().replace("Version=\"2\"", "Version=\"1.0\"")).unwrap_err() {
            Error::UnsupportedFile { detail, .. } => assert!(detail.contains("CIFTI version 1.0")),
            other => panic!("{other:?}"),
        }
        assert!(parse(&dscalar().replace("Version=\"2\"", "Version=\"2.0\"")).is_ok());
        assert!(format_detail(&dscalar().replace("Version=\"2\"", "")).contains("no Version"));
        assert!(format_detail("<GIFTI/>").contains("not a CIFTI-2 header"));
        assert!(format_detail("").contains("no <CIFTI> element"));
        let full = dscalar();
        let cut = &full[..full.len() - 30];
        assert!(parse(cut).is_err());
        assert!(format_detail("<CIFTI Version=\"2\"><Matrix>").contains("ends before </CIFTI>"));
    }

    #[test]
    fn empty_matrix_has_no_brain_models() {
        let h = parse(&header("")).unwrap();
        assert!(h.maps.is_empty());
        assert!(h.brain_models().is_none());
    }

    #[test]
    fn garbage_never_panics() {
        let good = dscalar();
        let bytes = good.as_bytes();
        for end in 0..bytes.len() {
            let _ = parse_cifti_xml(&bytes[..end], path());
        }
        for i in 0..bytes.len() {
            for flip in [0x01, 0x55] {
                let mut b = bytes.to_vec();
                b[i] ^= flip;
                let _ = parse_cifti_xml(&b, path());
            }
        }
    }
}
