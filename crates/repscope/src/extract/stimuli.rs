//! What a model is run on, one batch at a time: image files, rows of a
//! `.npy` array, or texts.
//!
//! Order is part of the data: a folder's images are taken in the byte
//! order of their file names (Python's `sorted()`, as torchvision's
//! `ImageFolder` and thingsvision take them); a list file keeps its own
//! order, one path per line, relative to the list's folder. Nothing is
//! read before its batch, so memory holds one batch.

use std::path::{Path, PathBuf};

use tokenizers::Tokenizer;
use tract_onnx::prelude::{DatumType, Tensor};

use super::image::{ImagePrep, preprocess_files, resized_size};
use super::onnx::GraphInput;
use crate::data::npy::NpyRows;
use crate::error::{Error, Result};

/// The image extensions a folder is scanned for.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg"];

/// Stimuli for a model.
pub enum Stimuli {
    Images {
        paths: Vec<PathBuf>,
        prep: ImagePrep,
    },
    Arrays(NpyRows),
    /// Rows already in memory (a numpy array from Python), row-major.
    Memory {
        values: Vec<f32>,
        shape: Vec<usize>,
    },
    Texts {
        texts: Vec<String>,
        tokenizer: Box<Tokenizer>,
    },
}

/// One batch's graph inputs, and per stimulus its real tokens (texts).
pub struct Batch {
    pub feeds: Vec<Tensor>,
    pub tokens: Option<Vec<usize>>,
}

/// The images of a folder (sorted by name) or of a list file.
pub fn image_paths(source: &Path) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = if source.is_dir() {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(source).map_err(|e| Error::io(source, e))? {
            let path = entry.map_err(|e| Error::io(source, e))?.path();
            let is_image = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if is_image && path.is_file() {
                found.push(path);
            }
        }
        found.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        found
    } else {
        let text = std::fs::read_to_string(source).map_err(|e| Error::io(source, e))?;
        let base = source.parent().unwrap_or(Path::new("."));
        let mut lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
        while lines.last().is_some_and(|l| l.trim().is_empty()) {
            lines.pop();
        }
        if let Some(i) = lines.iter().position(|l| l.trim().is_empty()) {
            return Err(Error::format(
                source,
                format!("line {} is empty", i + 1),
                "every line is one image path; remove the empty line",
            ));
        }
        lines.iter().map(|l| base.join(l.trim())).collect()
    };
    if paths.is_empty() {
        return Err(Error::Invalid {
            what: format!("images {}", source.display()),
            detail: "there are no .png, .jpg or .jpeg images there".into(),
        });
    }
    Ok(paths)
}

impl Stimuli {
    /// Texts for a graph fed by a tokenizer (`tokenizer.json`); batches are
    /// padded to their longest text.
    pub fn texts(texts: Vec<String>, tokenizer: &Path) -> Result<Self> {
        let mut t = Tokenizer::from_file(tokenizer).map_err(|e| Error::Model {
            detail: format!("{}: not a tokenizer ({e})", tokenizer.display()),
        })?;
        t.with_padding(None);
        Ok(Stimuli::Texts {
            texts,
            tokenizer: Box::new(t),
        })
    }

    pub fn len(&self) -> usize {
        match self {
            Stimuli::Images { paths, .. } => paths.len(),
            Stimuli::Arrays(rows) => rows.shape[0],
            Stimuli::Memory { shape, .. } => shape[0],
            Stimuli::Texts { texts, .. } => texts.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One label per stimulus: the image paths as given, the texts, or the
    /// row numbers.
    pub fn labels(&self) -> Vec<String> {
        match self {
            Stimuli::Images { paths, .. } => paths
                .iter()
                .map(|p| {
                    p.file_name().map_or_else(
                        || p.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect(),
            Stimuli::Arrays(_) | Stimuli::Memory { .. } => {
                (0..self.len()).map(|i| i.to_string()).collect()
            }
            Stimuli::Texts { texts, .. } => texts.clone(),
        }
    }

    /// Checks before anything runs what can be checked cheaply: every
    /// image decodes to one size when there is no crop (read from the
    /// headers only), the graph takes what is given.
    pub fn check(&self, inputs: &[GraphInput]) -> Result<()> {
        match self {
            Stimuli::Images { paths, prep } => {
                prep.validate()?;
                if inputs.len() != 1 {
                    return Err(Error::Invalid {
                        what: "image stimuli".into(),
                        detail: format!(
                            "the graph has {} inputs ({}); images feed a graph with one",
                            inputs.len(),
                            input_names(inputs)
                        ),
                    });
                }
                if prep.crop.is_none() {
                    let mut first: Option<(&Path, (usize, usize))> = None;
                    for p in paths {
                        let (w, h) = image::image_dimensions(p).map_err(|e| {
                            Error::format(
                                p,
                                format!("is not a readable PNG or JPEG image ({e})"),
                                "re-save it as PNG or JPEG, or remove it from the list",
                            )
                        })?;
                        let size = match prep.resize {
                            Some(s) => resized_size(w as usize, h as usize, s),
                            None => (w as usize, h as usize),
                        };
                        match first {
                            None => first = Some((p, size)),
                            Some((q, s)) if s != size => {
                                return Err(Error::Invalid {
                                    what: "image sizes".into(),
                                    detail: format!(
                                        "{} is {}×{} but {} is {}×{}; images of different sizes need a crop \
                                         (--crop, with --resize) to one size",
                                        q.display(),
                                        s.0,
                                        s.1,
                                        p.display(),
                                        size.0,
                                        size.1
                                    ),
                                });
                            }
                            _ => {}
                        }
                    }
                }
                Ok(())
            }
            Stimuli::Arrays(NpyRows { shape, .. }) | Stimuli::Memory { shape, .. } => {
                if inputs.len() != 1 {
                    return Err(Error::Invalid {
                        what: "array stimuli".into(),
                        detail: format!(
                            "the graph has {} inputs ({}); a .npy feeds a graph with one",
                            inputs.len(),
                            input_names(inputs)
                        ),
                    });
                }
                let expected = &inputs[0].shape;
                let given = &shape[1..];
                let fits = expected.len() == given.len() + 1
                    && expected[1..]
                        .iter()
                        .zip(given)
                        .all(|(e, g)| e.is_none_or(|e| e == *g));
                if !fits {
                    return Err(Error::Invalid {
                        what: "array stimuli".into(),
                        detail: format!(
                            "rows of shape {given:?} do not fit input '{}' of shape {}",
                            inputs[0].name,
                            describe_shape(expected)
                        ),
                    });
                }
                Ok(())
            }
            Stimuli::Texts { .. } => {
                for i in inputs {
                    if text_feed(&i.name).is_none() {
                        return Err(Error::Invalid {
                            what: "text stimuli".into(),
                            detail: format!(
                                "the graph's input '{}' is not input_ids, attention_mask or \
                                 token_type_ids, so texts cannot feed it",
                                i.name
                            ),
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// The graph inputs for stimuli `start..start + count`.
    pub fn batch(&mut self, inputs: &[GraphInput], start: usize, count: usize) -> Result<Batch> {
        match self {
            Stimuli::Images { paths, prep } => {
                let (values, (h, w)) = preprocess_files(&paths[start..start + count], prep)?;
                let t = tensor(&[count, 3, h, w], values)?;
                Ok(Batch {
                    feeds: vec![cast_for(t, &inputs[0])?],
                    tokens: None,
                })
            }
            Stimuli::Arrays(rows) => {
                let values = rows.read(start, count)?;
                array_batch(values, &rows.shape, count, &inputs[0])
            }
            Stimuli::Memory { values, shape } => {
                let per: usize = shape[1..].iter().product();
                let values = values[start * per..(start + count) * per].to_vec();
                array_batch(values, shape, count, &inputs[0])
            }
            Stimuli::Texts { texts, tokenizer } => {
                let encodings = tokenizer
                    .encode_batch(texts[start..start + count].to_vec(), true)
                    .map_err(|e| Error::Model {
                        detail: format!("tokenizing: {e}"),
                    })?;
                let len = encodings.iter().map(|e| e.len()).max().unwrap_or(0).max(1);
                let mut fields = [Vec::new(), Vec::new(), Vec::new()];
                for e in &encodings {
                    let pad = len - e.len();
                    let padded = |v: &[u32]| {
                        v.iter()
                            .map(|&x| i64::from(x))
                            .chain(std::iter::repeat_n(0, pad))
                            .collect::<Vec<_>>()
                    };
                    fields[0].extend(padded(e.get_ids()));
                    fields[1].extend(
                        std::iter::repeat_n(1i64, e.len()).chain(std::iter::repeat_n(0, pad)),
                    );
                    fields[2].extend(padded(e.get_type_ids()));
                }
                let feeds = inputs
                    .iter()
                    .map(|i| {
                        let field = text_feed(&i.name).unwrap_or(0);
                        Tensor::from_shape(&[count, len], &fields[field])
                            .map_err(|e| Error::internal(format!("building '{}': {e}", i.name)))
                    })
                    .collect::<Result<_>>()?;
                Ok(Batch {
                    feeds,
                    tokens: Some(encodings.iter().map(|e| e.len()).collect()),
                })
            }
        }
    }
}

/// A batch of `count` rows of an array of `shape` (stimuli first).
fn array_batch(
    values: Vec<f32>,
    shape: &[usize],
    count: usize,
    input: &GraphInput,
) -> Result<Batch> {
    let mut batch_shape = vec![count];
    batch_shape.extend_from_slice(&shape[1..]);
    let t = tensor(&batch_shape, values)?;
    Ok(Batch {
        feeds: vec![cast_for(t, input)?],
        tokens: None,
    })
}

/// Which tokenizer field feeds a graph input named `name`.
fn text_feed(name: &str) -> Option<usize> {
    let n = name.to_ascii_lowercase();
    if n.contains("input_ids") {
        Some(0)
    } else if n.contains("attention_mask") {
        Some(1)
    } else if n.contains("token_type_ids") {
        Some(2)
    } else {
        None
    }
}

fn input_names(inputs: &[GraphInput]) -> String {
    inputs
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_shape(shape: &[Option<usize>]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .map(|d| d.map_or("?".into(), |d| d.to_string()))
        .collect();
    format!("[{}]", dims.join(", "))
}

fn tensor(shape: &[usize], values: Vec<f32>) -> Result<Tensor> {
    tract_onnx::prelude::tract_ndarray::ArrayD::from_shape_vec(shape.to_vec(), values)
        .map(Tensor::from)
        .map_err(|e| Error::internal(format!("building an input tensor: {e}")))
}

/// `t` in the element type the graph input declares (token ids stored as
/// floats in a `.npy`, say).
fn cast_for(t: Tensor, input: &GraphInput) -> Result<Tensor> {
    let target = match input.dtype.as_str() {
        "I64" => DatumType::I64,
        "I32" => DatumType::I32,
        "F16" => DatumType::F16,
        "F64" => DatumType::F64,
        _ => return Ok(t),
    };
    t.cast_to_dt(target)
        .map(|c| c.into_owned())
        .map_err(|e| Error::internal(format!("casting the input to {target:?}: {e}")))
}
