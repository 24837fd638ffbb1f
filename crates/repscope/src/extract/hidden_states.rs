//! Hidden states of a BERT-family model, pooled per text.
//!
//! [`Extractor::load`] reads a model folder (`config.json`,
//! `model.safetensors`, `tokenizer.json`: the Hugging Face layout) with no
//! Python and no network; [`Extractor::extract`] returns a [`RepSet`] with
//! one representation per hidden state: `layer0` is the embedding output,
//! `layer1` … `layerN` the encoder layers, each texts × hidden.

use std::path::Path;

use candle_core::{Device, Tensor};
use faer::Mat;
use tokenizers::Tokenizer;

use super::bert::{Bert, BertConfig, pool, var_builder};

use crate::data::RepSet;
use crate::error::{Error, Result};

crate::choice! {
    /// How token states become one vector per text.
    pub enum Pooling: "pooling" {
        /// Mean over the real (attention-masked) tokens, as sentence-transformers.
        Mean = "mean",
        /// The first token ([CLS]).
        Cls = "cls",
    }
}

// The enum is written by `choice!`, which does not take `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for Pooling {
    fn default() -> Self {
        Pooling::Mean
    }
}

/// Options for [`Extractor::extract`].
#[derive(Clone, Debug)]
pub struct ExtractOptions {
    pub pooling: Pooling,
    /// Texts per forward pass.
    pub batch_size: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        Self {
            pooling: Pooling::Mean,
            batch_size: 32,
        }
    }
}

/// A loaded model and its tokenizer.
pub struct Extractor {
    model: Bert,
    tokenizer: Tokenizer,
    /// The architecture, for the preflight ([`Extractor::estimate`]).
    config: BertConfig,
    /// Bytes of `model.safetensors`, read whole while the model loads.
    weights_bytes: u64,
}

fn model_error(detail: impl Into<String>) -> Error {
    Error::Model {
        detail: detail.into(),
    }
}

impl Extractor {
    /// Loads `config.json`, `model.safetensors` and `tokenizer.json` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let file = |name: &str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(model_error(format!(
                    "{} has no {name}; a model folder needs config.json, model.safetensors \
                     and tokenizer.json (the Hugging Face layout)",
                    dir.display()
                )))
            }
        };
        let config_path = file("config.json")?;
        let weights_path = file("model.safetensors")?;
        let tokenizer_path = file("tokenizer.json")?;
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| Error::io(&config_path, e))?;
        let config: BertConfig = serde_json::from_str(&config_text).map_err(|e| {
            model_error(format!(
                "{} is not a BERT config ({e})",
                config_path.display()
            ))
        })?;
        let weights = std::fs::read(&weights_path).map_err(|e| Error::io(&weights_path, e))?;
        let weights_bytes = weights.len() as u64;
        let vb = var_builder(weights).map_err(|e| {
            model_error(format!("{} is not readable ({e})", weights_path.display()))
        })?;
        let model = Bert::load(vb, &config).map_err(model_error)?;
        let mut tokenizer = Tokenizer::from_file(&tokenizer_path).map_err(|e| {
            model_error(format!(
                "{} is not a tokenizer ({e})",
                tokenizer_path.display()
            ))
        })?;
        // Batches are padded here, to their longest text; truncation stays
        // as the tokenizer file sets it, but never beyond the position table.
        tokenizer.with_padding(None);
        let max_length = tokenizer.get_truncation().map_or(model.max_positions, |t| {
            t.max_length.min(model.max_positions)
        });
        let truncation = tokenizers::TruncationParams {
            max_length,
            ..tokenizer.get_truncation().cloned().unwrap_or_default()
        };
        tokenizer
            .with_truncation(Some(truncation))
            .map_err(|e| model_error(format!("setting truncation: {e}")))?;
        Ok(Self {
            model,
            tokenizer,
            config,
            weights_bytes,
        })
    }

    /// The predicted peak memory (model included) and work of extracting
    /// `texts`, from the model's sizes and each batch's padded length (the
    /// texts are tokenized, nothing runs). All values in float32 bytes:
    ///
    /// ```text
    /// model     4·P (P: embeddings + L·(4H² + 2HI + 9H + I))
    /// busiest   max( the weights file, read whole while loading
    ///              , one batch: 4·(L·B·T·H + 2·B·A·T² + B·T·(5H + 2I)) + what is pooled
    ///              , the end: the set as float64 plus what is still float32,
    ///                then the writer's buffers (safetensors: 8, npz/h5: 16 bytes a value) )
    /// pooled    (L+1)·N·(4H + 40)   (one row of H per text and state)
    /// ```
    ///
    /// with B texts per batch, T its padded tokens, H hidden units, A heads,
    /// I the feed-forward width and N texts; work ≈ 2·P'·T + 4·L·T²·H per
    /// text (P' the parameters outside the embeddings). With `calibrate`,
    /// the time is the first batch's forward pass, timed, scaled by the work.
    pub fn estimate(
        &self,
        texts: &[String],
        options: &ExtractOptions,
        output: crate::data::Format,
        calibrate: bool,
    ) -> Result<crate::preflight::Estimate> {
        let c = &self.config;
        let (h, l, a, i) = (
            c.hidden_size as f64,
            c.num_hidden_layers as f64,
            c.num_attention_heads as f64,
            c.intermediate_size as f64,
        );
        let embeddings =
            (c.vocab_size + c.max_position_embeddings + c.type_vocab_size + 2) as f64 * h;
        let per_layer = 4.0 * h * h + 2.0 * h * i + 9.0 * h + i;
        let params = embeddings + l * per_layer;
        let mut batch_peak: f64 = 0.0;
        let mut flops = 0.0;
        let mut first_flops = None;
        for chunk in texts.chunks(options.batch_size.max(1)) {
            let encodings = self
                .tokenizer
                .encode_batch(chunk.to_vec(), true)
                .map_err(|e| model_error(format!("tokenizing: {e}")))?;
            let t = encodings.iter().map(|e| e.len()).max().unwrap_or(0) as f64;
            let b = chunk.len() as f64;
            batch_peak = batch_peak
                .max(4.0 * (l * b * t * h + 2.0 * b * a * t * t + b * t * (5.0 * h + 2.0 * i)));
            flops += b * (2.0 * l * per_layer * t + 4.0 * l * t * t * h);
            first_flops.get_or_insert(flops);
        }
        let (n, states) = (texts.len() as f64, (l + 1.0));
        let pooled = states * n * (4.0 * h + 40.0);
        let values = states * n * h;
        let writer = match output {
            crate::data::Format::Safetensors => 8.0,
            _ => 16.0,
        };
        let end = (8.0 * values + 4.0 * n * h).max(8.0 * values + writer * values);
        let texts_bytes: usize = texts.iter().map(|t| t.len() + 24).sum();
        let mut e = crate::preflight::Estimate::new(
            format!(
                "extract ({} texts, {} hidden states)",
                texts.len(),
                self.n_hidden_states()
            ),
            "extract fewer texts per run (split the list and concatenate the outputs), a \
             smaller --batch-size, or write .safetensors (float32); or force it (--force)",
        );
        e.add("model weights (float32)", (4.0 * params) as u64);
        e.add(
            "the busiest phase: loading the weights, a batch's activations with the pooled \
             states, or converting and writing the output",
            (self.weights_bytes as f64)
                .max(batch_peak + pooled)
                .max(end) as u64,
        );
        e.add(
            "the texts, and their copy as stimulus labels",
            2 * texts_bytes as u64,
        );
        e.flops = flops;
        if calibrate && let Some(first) = first_flops {
            let chunk = &texts[..options.batch_size.max(1).min(texts.len())];
            let clock = std::time::Instant::now();
            self.forward_batch(chunk, options.pooling)
                .map_err(|e| Error::internal(format!("model forward pass: {e}")))?;
            e.seconds = Some(clock.elapsed().as_secs_f64() * flops / first.max(1.0));
        }
        Ok(e)
    }

    /// Number of representations [`Extractor::extract`] returns.
    pub fn n_hidden_states(&self) -> usize {
        self.model.n_hidden_states()
    }

    /// Pooled hidden states of every text; `progress(done, total)` is called
    /// after each batch with the number of texts processed.
    pub fn extract(
        &self,
        texts: &[String],
        options: &ExtractOptions,
        progress: &dyn Fn(usize, usize),
    ) -> Result<RepSet> {
        if texts.is_empty() {
            return Err(Error::NoRepresentations {
                what: "the text list (no texts to encode)".into(),
            });
        }
        let n_states = self.n_hidden_states();
        let mut pooled: Vec<Vec<Vec<f32>>> = vec![Vec::with_capacity(texts.len()); n_states];
        let batch_size = options.batch_size.max(1);
        for (b, chunk) in texts.chunks(batch_size).enumerate() {
            let states = self
                .forward_batch(chunk, options.pooling)
                .map_err(|e| Error::internal(format!("model forward pass: {e}")))?;
            for (layer, rows) in states.into_iter().enumerate() {
                pooled[layer].extend(rows);
            }
            progress((b * batch_size + chunk.len()).min(texts.len()), texts.len());
        }
        let mut set = RepSet::new();
        for (layer, rows) in pooled.into_iter().enumerate() {
            let width = rows[0].len();
            let x = Mat::from_fn(rows.len(), width, |i, j| f64::from(rows[i][j]));
            set.push(format!("layer{layer}"), x)?;
        }
        set.set_stimuli(texts.to_vec())?;
        Ok(set)
    }

    /// Pooled states of one batch: `[layer][text][unit]`.
    fn forward_batch(
        &self,
        texts: &[String],
        pooling: Pooling,
    ) -> std::result::Result<Vec<Vec<Vec<f32>>>, String> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| format!("tokenizing: {e}"))?;
        let tokens = encodings.iter().map(|e| e.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(texts.len() * tokens);
        let mut type_ids = Vec::with_capacity(texts.len() * tokens);
        let mut mask = Vec::with_capacity(texts.len() * tokens);
        for e in &encodings {
            let pad = tokens - e.len();
            ids.extend(
                e.get_ids()
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, pad)),
            );
            type_ids.extend(
                e.get_type_ids()
                    .iter()
                    .copied()
                    .chain(std::iter::repeat_n(0, pad)),
            );
            mask.extend(std::iter::repeat_n(1f32, e.len()).chain(std::iter::repeat_n(0.0, pad)));
        }
        let shape = (texts.len(), tokens);
        let run = || -> candle_core::Result<Vec<Vec<Vec<f32>>>> {
            let ids = Tensor::from_vec(ids, shape, &Device::Cpu)?;
            let type_ids = Tensor::from_vec(type_ids, shape, &Device::Cpu)?;
            let mask = Tensor::from_vec(mask, shape, &Device::Cpu)?;
            self.model
                .hidden_states(&ids, &type_ids, &mask)?
                .iter()
                .map(|state| pool(state, &mask, pooling == Pooling::Mean)?.to_vec2::<f32>())
                .collect()
        };
        run().map_err(|e| e.to_string())
    }
}
