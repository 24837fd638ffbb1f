//! The base and fine-tuned checkpoints of a task-vector analysis, opened
//! and checked to fit together, and the tasks' default names.

use std::collections::HashSet;
use std::path::Path;

use super::CHUNK;
use crate::data::checkpoint::{Checkpoint, TensorInfo};
use crate::data::safetensors_io::dtype_name;
use crate::error::{Error, Result};

/// Task names for fine-tuned checkpoint paths: the file stems (`math` for
/// `math.safetensors`); when stems repeat (`math/model.safetensors`,
/// `code/model.safetensors`), the names of the parent folders; when those
/// repeat too, the paths as given.
pub fn task_names<P: AsRef<Path>>(paths: &[P]) -> Vec<String> {
    let unique = |names: &[String]| names.iter().collect::<HashSet<_>>().len() == names.len();
    let name_of = |p: Option<&std::ffi::OsStr>| p.map(|s| s.to_string_lossy().into_owned());
    let stems: Vec<String> = paths
        .iter()
        .map(|p| name_of(p.as_ref().file_stem()).unwrap_or_default())
        .collect();
    if unique(&stems) {
        return stems;
    }
    let folders: Option<Vec<String>> = paths
        .iter()
        .map(|p| name_of(p.as_ref().parent().and_then(Path::file_name)))
        .collect();
    match folders {
        Some(f) if unique(&f) => f,
        _ => paths
            .iter()
            .map(|p| p.as_ref().display().to_string())
            .collect(),
    }
}

/// The base and fine-tuned checkpoints, checked to fit together (names,
/// shapes, dtypes); values are checked as they are read.
pub(super) struct Inputs {
    pub(super) base: Checkpoint,
    pub(super) finetuned: Vec<Checkpoint>,
    pub(super) tasks: Vec<String>,
}

impl Inputs {
    pub(super) fn open<P: AsRef<Path>>(
        base: &Path,
        finetuned: &[P],
        names: Option<&[String]>,
    ) -> Result<Inputs> {
        let bad = |detail: String| Error::TaskVectorInput { detail };
        if finetuned.is_empty() {
            return Err(bad(
                "task vectors need at least one fine-tuned checkpoint besides the base".into(),
            ));
        }
        let tasks = match names {
            Some(names) => {
                if names.len() != finetuned.len() {
                    return Err(bad(format!(
                        "{} task names for {} fine-tuned checkpoints; give one name per checkpoint",
                        names.len(),
                        finetuned.len()
                    )));
                }
                let mut seen = HashSet::new();
                if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
                    return Err(bad(format!(
                        "the task name '{dup}' is given twice; task names must be unique"
                    )));
                }
                names.to_vec()
            }
            None => task_names(finetuned),
        };
        let base = Checkpoint::open(base)?;
        let finetuned = finetuned
            .iter()
            .map(|p| {
                let c = Checkpoint::open(p.as_ref())?;
                check_fits(&base, &c)?;
                Ok(c)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Inputs {
            base,
            finetuned,
            tasks,
        })
    }

    /// Calls `f(start, base, tuned)` on consecutive slices of a float
    /// tensor: elements `start..start + base.len()` of the base and of each
    /// fine-tuned checkpoint, as f64, all checked finite.
    pub(super) fn for_each_chunk(
        &self,
        info: &TensorInfo,
        mut f: impl FnMut(usize, &[f64], &[Vec<f64>]) -> Result<()>,
    ) -> Result<()> {
        let numel = info.numel();
        let read = |c: &Checkpoint, range: std::ops::Range<usize>| {
            let values = c.read_f64(&info.name, range.clone())?;
            if let Some(i) = values.iter().position(|v| !v.is_finite()) {
                return Err(Error::NonFiniteTensor {
                    tensor: info.name.clone(),
                    checkpoint: c.path().display().to_string(),
                    index: unravel(range.start + i, &info.shape),
                    value: values[i],
                });
            }
            Ok(values)
        };
        for start in (0..numel).step_by(CHUNK) {
            let range = start..(start + CHUNK).min(numel);
            let base = read(&self.base, range.clone())?;
            let tuned = self
                .finetuned
                .iter()
                .map(|c| read(c, range.clone()))
                .collect::<Result<Vec<_>>>()?;
            f(start, &base, &tuned)?;
        }
        Ok(())
    }

    /// Checks that a non-float tensor is equal in every checkpoint, passing
    /// the base's bytes to `sink` slice by slice.
    pub(super) fn copy_checked(
        &self,
        info: &TensorInfo,
        mut sink: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let len = info.byte_len();
        for start in (0..len).step_by(CHUNK * 8) {
            let range = start..(start + CHUNK * 8).min(len);
            let base = self.base.read_bytes(&info.name, range.clone())?;
            for c in &self.finetuned {
                if c.read_bytes(&info.name, range.clone())? != base {
                    return Err(Error::NotArithmetic {
                        tensor: info.name.clone(),
                        checkpoint: c.path().display().to_string(),
                        base_dtype: info.dtype_name(),
                        dtype: info.dtype_name(),
                    });
                }
            }
            sink(&base)?;
        }
        Ok(())
    }
}

/// Checks that a fine-tuned checkpoint holds the base's tensors, with the
/// same shapes, floats where the base has floats and the same dtype elsewhere.
fn check_fits(base: &Checkpoint, tuned: &Checkpoint) -> Result<()> {
    let checkpoint = tuned.path().display().to_string();
    let names = |c: &Checkpoint, other: &Checkpoint| -> Vec<String> {
        c.tensors()
            .iter()
            .filter(|t| other.get(&t.name).is_none())
            .map(|t| t.name.clone())
            .collect()
    };
    let (missing, extra) = (names(base, tuned), names(tuned, base));
    if !missing.is_empty() || !extra.is_empty() {
        return Err(Error::TensorsDiffer {
            checkpoint,
            missing,
            extra,
        });
    }
    for b in base.tensors() {
        let t = tuned.get(&b.name).expect("names were checked");
        if t.shape != b.shape {
            return Err(Error::TensorShapeMismatch {
                tensor: b.name.clone(),
                checkpoint,
                base_shape: b.shape.clone(),
                shape: t.shape.clone(),
            });
        }
        let fits = if b.is_float() {
            t.is_float()
        } else {
            t.dtype == b.dtype
        };
        if !fits {
            return Err(Error::NotArithmetic {
                tensor: b.name.clone(),
                checkpoint,
                base_dtype: dtype_name(b.dtype),
                dtype: dtype_name(t.dtype),
            });
        }
    }
    Ok(())
}

/// The C-order index of flat position `flat` in a tensor of `shape`.
pub(super) fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, &n) in shape.iter().enumerate().rev() {
        if n > 0 {
            index[i] = flat % n;
            flat /= n;
        }
    }
    index
}
