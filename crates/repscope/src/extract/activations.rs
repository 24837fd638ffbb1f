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

use super::onnx::{LayerOutput, OnnxModel};
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

impl CaptureOptions {
    /// Checks the options before anything runs.
    pub fn validate(&self) -> Result<()> {
        if self.layers.is_empty() {
            return Err(Error::Invalid {
                what: "layers".into(),
                detail: "name at least one layer to capture".into(),
            });
        }
        if self.pools.len() != self.layers.len() {
            return Err(Error::internal("one pooling per layer"));
        }
        if self.batch_size == 0 {
            return Err(Error::OutOfRange {
                what: "batch size".into(),
                value: "0".into(),
                expected: "at least 1".into(),
            });
        }
        if self.pools.contains(&TensorPool::Project) && self.projection_width == 0 {
            return Err(Error::OutOfRange {
                what: "projection width".into(),
                value: "0".into(),
                expected: "at least 1".into(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.layers.iter().find(|l| !seen.insert(*l)) {
            return Err(Error::Invalid {
                what: format!("layer '{dup}'"),
                detail: "is named twice".into(),
            });
        }
        Ok(())
    }
}

/// Pools each batch's captured layers and streams them to a
/// `.safetensors` file: the one writer behind the ONNX path and PyTorch's
/// forward hooks (the Python binding), so both store the same units in the
/// same order. The file is laid out from the first batch's shapes.
pub struct ActivationSink {
    out: std::path::PathBuf,
    options: CaptureOptions,
    labels: Vec<String>,
    writer: Option<StreamedSafetensors>,
    units: Vec<usize>,
    projections: Vec<Option<Projection>>,
    rows_written: usize,
    passes: usize,
}

impl ActivationSink {
    /// A sink for `labels.len()` stimuli; nothing is written before the
    /// first batch.
    pub fn new(out: &Path, options: CaptureOptions, labels: Vec<String>) -> Result<Self> {
        options.validate()?;
        if labels.is_empty() {
            return Err(Error::Invalid {
                what: "stimuli".into(),
                detail: "there are none".into(),
            });
        }
        Ok(Self {
            out: out.to_path_buf(),
            options,
            labels,
            writer: None,
            units: Vec::new(),
            projections: Vec::new(),
            rows_written: 0,
            passes: 0,
        })
    }

    /// Stimuli written so far.
    pub fn rows_written(&self) -> usize {
        self.rows_written
    }

    /// Pools and appends one forward pass's layers (in the options' order,
    /// batch first); `tokens`, per stimulus, its real tokens.
    pub fn write_batch(&mut self, outputs: &[LayerOutput], tokens: Option<&[usize]>) -> Result<()> {
        let o = &self.options;
        if outputs.len() != o.layers.len() {
            return Err(Error::internal(format!(
                "{} layer outputs for {} layers",
                outputs.len(),
                o.layers.len()
            )));
        }
        let count = outputs[0].shape.first().copied().unwrap_or(0);
        for (layer, out) in o.layers.iter().zip(outputs) {
            let expected: usize = out.shape.iter().product();
            if out.shape.first() != Some(&count) || out.values.len() != expected {
                return Err(Error::Invalid {
                    what: format!("layer '{layer}'"),
                    detail: format!(
                        "its output is {} with {} values; every captured layer needs the batch's {count} stimuli first",
                        super::pool::format_shape(&out.shape),
                        out.values.len()
                    ),
                });
            }
        }
        if tokens.is_some_and(|t| t.len() != count) {
            return Err(Error::internal("one token count per stimulus"));
        }
        if self.rows_written + count > self.labels.len() {
            return Err(Error::Invalid {
                what: "stimuli".into(),
                detail: format!(
                    "more than the {} announced were run through the model",
                    self.labels.len()
                ),
            });
        }
        if self.writer.is_none() {
            for (i, (layer, out)) in o.layers.iter().zip(outputs).enumerate() {
                let pool = o.pools[i];
                self.units
                    .push(pooled_units(layer, pool, &out.shape, o.projection_width)?);
                self.projections.push(if pool == TensorPool::Project {
                    let d: usize = out.shape[1..].iter().product();
                    Some(Projection::new(
                        d,
                        o.projection_width,
                        o.seed.wrapping_add(i as u64),
                    )?)
                } else {
                    None
                });
            }
            let layout: Vec<(String, usize)> = o
                .layers
                .iter()
                .cloned()
                .zip(self.units.iter().copied())
                .collect();
            self.writer = Some(StreamedSafetensors::create(
                &self.out,
                &layout,
                self.labels.len(),
                Some(&self.labels),
            )?);
        }
        let Some(writer) = self.writer.as_mut() else {
            return Err(Error::internal("no writer"));
        };
        let mut rows = Vec::new();
        for (i, out) in outputs.iter().enumerate() {
            // Shapes that change between batches (a text batch's length)
            // must still pool to the first batch's width.
            let now = pooled_units(&o.layers[i], o.pools[i], &out.shape, o.projection_width)?;
            let per_stimulus: usize = out.shape[1..].iter().product();
            let projected_from = self.projections[i].as_ref().map(Projection::input_units);
            if now != self.units[i] || projected_from.is_some_and(|d| d != per_stimulus) {
                return Err(Error::Invalid {
                    what: format!("layer '{}'", o.layers[i]),
                    detail: format!(
                        "its output is {} in this batch, a different size from the first \
                         batch's; pool token sequences with cls, token_mean or last",
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
                o.pools[i],
                tokens,
                self.projections[i].as_ref(),
                &mut rows,
            );
            writer.append(i, &rows)?;
        }
        self.rows_written += count;
        self.passes += 1;
        Ok(())
    }

    /// Publishes the file; an error if any stimulus is missing.
    pub fn finish(self) -> Result<Written> {
        let Some(writer) = self.writer else {
            return Err(Error::Invalid {
                what: "extraction".into(),
                detail: "no batch was written".into(),
            });
        };
        if self.rows_written != self.labels.len() {
            return Err(Error::Invalid {
                what: "extraction".into(),
                detail: format!(
                    "{} of {} stimuli were run; the output was not written",
                    self.rows_written,
                    self.labels.len()
                ),
            });
        }
        writer.finish()?;
        Ok(Written {
            stimuli: self.rows_written,
            layers: self
                .options
                .layers
                .iter()
                .cloned()
                .zip(self.units)
                .collect(),
            passes: self.passes,
        })
    }
}

/// The predicted peak memory of [`extract_to_file`] (and, with
/// `calibrate`, its time, from one stimulus's forward pass, timed). The
/// shapes come from running the capture on the first stimulus:
///
/// ```text
/// graph      3 × the file (the parsed graph, the typed copy, the plan's packed weights)
/// states     threads × every intermediate tensor of one stimulus (an upper bound:
///            tract reuses buffers)
/// batch      B × (inputs, twice: decoded and as a tensor)
///            + B × captured values, twice (copied out, merged) + B × pooled units
/// ```
///
/// all float32; the output goes to disk, not memory.
pub fn estimate(
    model: &OnnxModel,
    stimuli: &mut Stimuli,
    options: &CaptureOptions,
    calibrate: bool,
) -> Result<crate::preflight::Estimate> {
    options.validate()?;
    let inputs = model.inputs().to_vec();
    stimuli.check(&inputs)?;
    let n = stimuli.len();
    let one = stimuli.batch(&inputs, 0, 1)?;
    let shapes: Vec<Vec<usize>> = one.feeds.iter().map(|t| t.shape().to_vec()).collect();
    let values = |shape: &[usize]| shape.iter().product::<usize>() as u64;
    let every_tensor: u64 = model
        .tensors(&shapes)?
        .iter()
        .filter_map(|t| t.shape.as_deref())
        .map(values)
        .sum();
    let capture = model.capture(&options.layers)?;
    let clock = std::time::Instant::now();
    let outputs = capture.run(&one.feeds, 1)?;
    let seconds = clock.elapsed().as_secs_f64();
    let captured: u64 = outputs.iter().map(|o| values(&o.shape)).sum();
    let mut pooled = 0u64;
    for ((layer, pool), out) in options.layers.iter().zip(&options.pools).zip(&outputs) {
        pooled += pooled_units(layer, *pool, &out.shape, options.projection_width)? as u64;
    }
    let input_values: u64 = shapes.iter().map(|s| values(s)).sum();
    let (b, threads) = (
        options.batch_size.min(n) as u64,
        options.threads.max(1) as u64,
    );
    let graph_bytes = std::fs::metadata(model.path()).map_or(0, |m| m.len());
    let mut e = crate::preflight::Estimate::new(
        format!("extract ({n} stimuli, {} layers)", options.layers.len()),
        "a smaller --batch-size, fewer threads, or pooled layers (mean, project) instead of flatten; \
         or force it (--force)",
    );
    e.add("the graph, loaded and optimised", 3 * graph_bytes);
    e.add(
        "each thread's running state (every intermediate tensor of one stimulus)",
        4 * threads * every_tensor,
    );
    e.add(
        "one batch: its inputs, its captured layers and their pooled rows",
        4 * b * (2 * input_values + 2 * captured + pooled),
    );
    e.add(
        "the stimulus labels",
        stimuli.labels().iter().map(|l| l.len() as u64 + 24).sum(),
    );
    if calibrate {
        e.seconds = Some(seconds * n as f64 / threads as f64);
    }
    Ok(e)
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
    options.validate()?;
    let inputs = model.inputs().to_vec();
    stimuli.check(&inputs)?;
    let capture = model.capture(&options.layers)?;
    let n = stimuli.len();
    let mut sink = ActivationSink::new(out, options.clone(), stimuli.labels())?;
    while sink.rows_written() < n {
        crate::interrupt::check()?;
        let start = sink.rows_written();
        let count = options.batch_size.min(n - start);
        let batch = stimuli.batch(&inputs, start, count)?;
        let outputs = capture.run(&batch.feeds, options.threads)?;
        sink.write_batch(&outputs, batch.tokens.as_deref())?;
        progress(start + count, n);
    }
    sink.finish()
}
