//! Composition: θ = θ_base + Σ_t λ_{t,b} τ_{t,b} written as a new
//! checkpoint, with one coefficient per task or per block and task.

use std::collections::HashMap;
use std::path::Path;

use super::inputs::{Inputs, unravel};
use crate::data::checkpoint::{TensorSpec, write_checkpoint};
use crate::data::safetensors_io::{encode_le, float_limits};
use crate::error::{Error, Result};

/// Metadata key of a composed checkpoint recording how it was made.
pub const PROVENANCE_KEY: &str = "repscope.task_arithmetic";

/// The coefficients λ_{t,b} of a composition.
///
/// A block the table names uses its row; every other float block uses
/// `default_per_task`. Without a default, the table must name every block.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Coefficients {
    /// One λ_t per task, for the blocks `per_block` does not name.
    pub default_per_task: Option<Vec<f64>>,
    /// Block name → one λ per task (aTLAS's anisotropic scaling).
    pub per_block: Vec<(String, Vec<f64>)>,
}

impl Coefficients {
    /// The rows of a coefficient table: lines `block,L1,L2,...` (or
    /// tab-separated); `#` comments, blank lines and a leading `block...`
    /// header are skipped. An error names the line (1-based) and what is
    /// wrong with it.
    pub fn parse_table(text: &str) -> std::result::Result<Vec<(String, Vec<f64>)>, String> {
        let mut rows = Vec::new();
        let mut first = true;
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let separator = if line.contains('\t') { '\t' } else { ',' };
            let (block, rest) = line.split_once(separator).unwrap_or((line, ""));
            let block = block.trim();
            let is_header = first && block.eq_ignore_ascii_case("block");
            first = false;
            if is_header {
                continue;
            }
            let bad = |detail: String| format!("line {}: {detail}", i + 1);
            if rest.trim().is_empty() {
                return Err(bad(format!(
                    "block '{block}' has no coefficients; write `block,L1,L2,...` with one \
                     coefficient per task"
                )));
            }
            let values: Vec<f64> = rest
                .split(separator)
                .map(|f| {
                    f.trim()
                        .parse::<f64>()
                        .map_err(|_| bad(format!("'{}' is not a number", f.trim())))
                })
                .collect::<std::result::Result<_, _>>()?;
            rows.push((block.to_string(), values));
        }
        Ok(rows)
    }

    /// The same λ_t for every block (Ilharco et al.'s task arithmetic).
    pub fn per_task(lambdas: Vec<f64>) -> Coefficients {
        Coefficients {
            default_per_task: Some(lambdas),
            per_block: Vec::new(),
        }
    }
}

/// Writes θ = θ_base + Σ_t λ_{t,b} τ_{t,b} to `out` (`.safetensors`),
/// atomically: every tensor of the base, with its dtype and shape, and the
/// base's metadata plus a [`PROVENANCE_KEY`] entry.
pub fn compose<P: AsRef<Path>>(
    base: &Path,
    finetuned: &[P],
    coefficients: &Coefficients,
    out: &Path,
) -> Result<()> {
    let inputs = Inputs::open(base, finetuned, None)?;
    let lambdas = coefficients.resolve(&inputs)?;
    let tensors = inputs.base.tensors();
    let specs: Vec<TensorSpec> = tensors
        .iter()
        .map(|t| TensorSpec {
            name: t.name.clone(),
            dtype: t.dtype,
            shape: t.shape.clone(),
        })
        .collect();
    let mut metadata = inputs.base.metadata().clone();
    metadata.insert(
        PROVENANCE_KEY.to_string(),
        provenance(&inputs, coefficients).to_string(),
    );
    let io = |e: std::io::Error| Error::io(out, e);
    write_checkpoint(out, &specs, Some(metadata), |i, w| {
        let info = &tensors[i];
        let Some(lambda) = &lambdas[i] else {
            return inputs.copy_checked(info, |bytes| w.write_all(bytes).map_err(io));
        };
        let (max, limit) = float_limits(info.dtype)
            .ok_or_else(|| Error::internal(format!("no range for {:?}", info.dtype)))?;
        inputs.for_each_chunk(info, |start, base, tuned| {
            let theta: Vec<f64> = (0..base.len())
                .map(|i| {
                    let delta = tuned
                        .iter()
                        .zip(lambda)
                        .map(|(t, l)| l * (t[i] - base[i]))
                        .reduce(|sum, term| sum + term)
                        .unwrap_or(0.0);
                    base[i] + delta
                })
                .collect();
            if let Some(i) = theta.iter().position(|v| v.is_nan() || v.abs() >= limit) {
                return Err(Error::Overflow {
                    tensor: info.name.clone(),
                    index: unravel(start + i, &info.shape),
                    value: theta[i],
                    dtype: info.dtype_name(),
                    max,
                });
            }
            let bytes = encode_le(info.dtype, &theta)
                .ok_or_else(|| Error::internal(format!("encoding {:?}", info.dtype)))?;
            w.write_all(&bytes).map_err(io)
        })
    })
}

/// What a composed checkpoint was made of (file names, not paths).
fn provenance(inputs: &Inputs, coefficients: &Coefficients) -> serde_json::Value {
    let file_name = |p: &Path| {
        p.file_name().map_or_else(
            || p.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    let per_block: serde_json::Map<String, serde_json::Value> = coefficients
        .per_block
        .iter()
        .map(|(b, l)| (b.clone(), serde_json::Value::from(l.clone())))
        .collect();
    serde_json::json!({
        "formula": "theta = theta_base + sum_t lambda[t, block] * (theta_t - theta_base)",
        "base": file_name(inputs.base.path()),
        "finetuned": inputs.finetuned.iter().map(|c| file_name(c.path())).collect::<Vec<_>>(),
        "default_per_task": coefficients.default_per_task,
        "per_block": per_block,
    })
}

impl Coefficients {
    /// λ per task for each tensor of the base (`None` for copied tensors),
    /// after checking every name, count and value.
    fn resolve(&self, inputs: &Inputs) -> Result<Vec<Option<Vec<f64>>>> {
        let tasks = &inputs.tasks;
        let bad = |detail: String| Error::TaskVectorInput { detail };
        let check = |what: &str, lambdas: &[f64]| -> Result<()> {
            if lambdas.len() != tasks.len() {
                return Err(bad(format!(
                    "{what}: {} coefficients for {} tasks ({}); give one per task, in the order \
                     of the fine-tuned checkpoints",
                    lambdas.len(),
                    tasks.len(),
                    tasks.join(", ")
                )));
            }
            if let Some(i) = lambdas.iter().position(|l| !l.is_finite()) {
                return Err(bad(format!(
                    "{what}: the coefficient of task '{}' is {}; coefficients must be finite",
                    tasks[i], lambdas[i]
                )));
            }
            Ok(())
        };
        if let Some(default) = &self.default_per_task {
            check("per-task coefficients", default)?;
        }
        let tensors = inputs.base.tensors();
        let float_blocks: Vec<&str> = tensors
            .iter()
            .filter(|t| t.is_float())
            .map(|t| t.name.as_str())
            .collect();
        let mut table: HashMap<&str, &[f64]> = HashMap::new();
        for (block, lambdas) in &self.per_block {
            match inputs.base.get(block) {
                None => {
                    return Err(bad(format!(
                        "the coefficient table names block '{block}', which the base does not \
                         hold; its {} float blocks are {}",
                        float_blocks.len(),
                        few(&float_blocks)
                    )));
                }
                Some(t) if !t.is_float() => {
                    return Err(bad(format!(
                        "the coefficient table names block '{block}', which is copied from \
                         the base unchanged ({}, not a float tensor); only float blocks take \
                         coefficients",
                        t.dtype_name()
                    )));
                }
                Some(_) => {}
            }
            check(&format!("coefficients of block '{block}'"), lambdas)?;
            if table.insert(block, lambdas).is_some() {
                return Err(bad(format!(
                    "the coefficient table names block '{block}' twice"
                )));
            }
        }
        let uncovered: Vec<&str> = float_blocks
            .iter()
            .copied()
            .filter(|b| !table.contains_key(b))
            .collect();
        if self.default_per_task.is_none() && !uncovered.is_empty() {
            return Err(bad(format!(
                "the coefficient table has no row for {} of the {} blocks ({}) and no default; \
                 add rows for them or give default per-task coefficients",
                uncovered.len(),
                float_blocks.len(),
                few(&uncovered)
            )));
        }
        Ok(tensors
            .iter()
            .map(|t| {
                t.is_float().then(|| match table.get(t.name.as_str()) {
                    Some(row) => row.to_vec(),
                    None => self.default_per_task.clone().unwrap_or_default(),
                })
            })
            .collect())
    }
}

/// "'a', 'b', 'c', 'd', 'e' and 4 more".
fn few(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut out: Vec<String> = names.iter().take(SHOWN).map(|n| format!("'{n}'")).collect();
    if names.len() > SHOWN {
        out.push(format!("and {} more", names.len() - SHOWN));
    }
    if out.is_empty() {
        "none".into()
    } else {
        out.join(", ")
    }
}
