//! Activations of many layers of an ONNX graph, streamed to disk batch by
//! batch.
//!
//! One forward pass per batch captures every requested layer; each is
//! pooled ([`super::pool`]) and appended to a `.safetensors` file written
//! in place ([`crate::data::safetensors_stream`]). Memory holds the model,
//! one batch of inputs and activations and the writer's row buffer,
//! whatever the number of stimuli; the file appears only when every row is
//! in, and an error or an interruption (checked between batches) leaves no
//! output.

use std::path::Path;

use super::onnx::OnnxModel;
use super::pool::{Captured, Projection, TensorPool, pool_batch, pooled_units};
use super::stimuli::Stimuli;
use crate::data::safetensors_stream::StreamedSafetensors;
use crate::error::{Error, Result};

/// What to capture and how.
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    /// Layer names (tensor, node or module; see [`super::onnx`]).
    pub layers: Vec<String>,
    /// One pooling per layer.
    pub pools: Vec<TensorPool>,
    /// Stimuli per forward pass.
    pub batch_size: usize,
    /// Width of `project` pooling.
    pub projection_width: usize,
    /// Seed of `project` pooling's matrices (layer i uses `seed + i`).
    pub seed: u64,
    /// Threads a batch is split across.
    pub threads: usize,
}

/// One pooling per layer from specs: one name for every layer, or
/// `LAYER=POOL` entries overriding it for one layer (the last plain name,
/// else `auto`, for the rest).
pub fn pools_for(layers: &[String], specs: &[String]) -> Result<Vec<TensorPool>> {
    let mut default = TensorPool::Auto;
    let mut by_layer = std::collections::HashMap::new();
    for spec in specs {
        match spec.rsplit_once('=') {
            Some((layer, pool)) => {
                if !layers.iter().any(|l| l == layer) {
                    return Err(Error::Invalid {
                        what: format!("pooling '{spec}'"),
                        detail: format!(
                            "names layer '{layer}', which is not captured (layers: {})",
                            layers.join(", ")
                        ),
                    });
                }
                by_layer.insert(layer.to_string(), TensorPool::from_name(pool)?);
            }
            None => default = TensorPool::from_name(spec)?,
        }
    }
    Ok(layers
        .iter()
        .map(|l| by_layer.get(l).copied().unwrap_or(default))
        .collect())
}

/// What an extraction wrote.
#[derive(Clone, Debug)]
pub struct Written {
    pub stimuli: usize,
    /// (layer, units) in the file's order.
    pub layers: Vec<(String, usize)>,
    /// Forward passes run.
    pub passes: usize,
}

/// Runs `model` on every stimulus and writes the pooled layers to `out`
/// (`.safetensors`); `progress(done, total)` after each batch.
pub fn extract_to_file(
    model: &OnnxModel,
    stimuli: &mut Stimuli,
    options: &CaptureOptions,
    out: &Path,
    progress: &dyn Fn(usize, usize),
) -> Result<Written> {
    if options.layers.is_empty() {
        return Err(Error::Invalid {
            what: "layers".into(),
            detail: "name at least one layer to capture".into(),
        });
    }
    if options.pools.len() != options.layers.len() {
        return Err(Error::internal("one pooling per layer"));
    }
    if options.batch_size == 0 {
        return Err(Error::OutOfRange {
            what: "batch size".into(),
            value: "0".into(),
            expected: "at least 1".into(),
        });
    }
    if options.pools.contains(&TensorPool::Project) && options.projection_width == 0 {
        return Err(Error::OutOfRange {
            what: "projection width".into(),
            value: "0".into(),
            expected: "at least 1".into(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = options.layers.iter().find(|l| !seen.insert(*l)) {
        return Err(Error::Invalid {
            what: format!("layer '{dup}'"),
            detail: "is named twice".into(),
        });
    }
    let inputs = model.inputs().to_vec();
    stimuli.check(&inputs)?;
    let capture = model.capture(&options.layers)?;
    let n = stimuli.len();
    let labels = stimuli.labels();
    let mut writer: Option<StreamedSafetensors> = None;
    let mut projections: Vec<Option<Projection>> = Vec::new();
    let mut units: Vec<usize> = Vec::new();
    let mut passes = 0;
    let mut start = 0;
    while start < n {
        crate::interrupt::check()?;
        let count = options.batch_size.min(n - start);
        let batch = stimuli.batch(&inputs, start, count)?;
        let outputs = capture.run(&batch.feeds, options.threads)?;
        passes += 1;
        if writer.is_none() {
            for (i, (layer, out)) in options.layers.iter().zip(&outputs).enumerate() {
                let pool = options.pools[i];
                units.push(pooled_units(
                    layer,
                    pool,
                    &out.shape,
                    options.projection_width,
                )?);
                projections.push(if pool == TensorPool::Project {
                    let d: usize = out.shape[1..].iter().product();
                    Some(Projection::new(
                        d,
                        options.projection_width,
                        options.seed.wrapping_add(i as u64),
                    )?)
                } else {
                    None
                });
            }
            let layout: Vec<(String, usize)> = options
                .layers
                .iter()
                .cloned()
                .zip(units.iter().copied())
                .collect();
            writer = Some(StreamedSafetensors::create(out, &layout, n, Some(&labels))?);
        }
        let w = writer
            .as_mut()
            .ok_or_else(|| Error::internal("no writer"))?;
        let mut rows = Vec::new();
        for (i, out) in outputs.iter().enumerate() {
            let first = units[i];
            // Shapes that change between batches (a text batch's length)
            // must still pool to the first batch's width.
            let now = pooled_units(
                &options.layers[i],
                options.pools[i],
                &out.shape,
                options.projection_width,
            )?;
            let per_stimulus: usize = out.shape[1..].iter().product();
            let projected_from = projections[i].as_ref().map(Projection::input_units);
            if now != first || projected_from.is_some_and(|d| d != per_stimulus) {
                return Err(Error::Invalid {
                    what: format!("layer '{}'", options.layers[i]),
                    detail: format!(
                        "its output is {} in this batch, a different size from the first batch's; \
                         pool token sequences with cls, token_mean or last",
                        super::pool::format_shape(&out.shape)
                    ),
                });
            }
            rows.clear();
            pool_batch(
                &Captured {
                    values: &out.values,
                    shape: &out.shape,
                },
                options.pools[i],
                batch.tokens.as_deref(),
                projections[i].as_ref(),
                &mut rows,
            );
            w.append(i, &rows)?;
        }
        start += count;
        progress(start, n);
    }
    let writer = writer.ok_or_else(|| Error::Invalid {
        what: "stimuli".into(),
        detail: "there are none".into(),
    })?;
    writer.finish()?;
    Ok(Written {
        stimuli: n,
        layers: options.layers.iter().cloned().zip(units).collect(),
        passes,
    })
}
