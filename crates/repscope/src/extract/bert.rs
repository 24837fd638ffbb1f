//! A BERT encoder that returns every hidden state.
//!
//! Devlin et al. (2019), "BERT: Pre-training of Deep Bidirectional
//! Transformers for Language Understanding": token + position + segment
//! embeddings with LayerNorm, then post-LayerNorm encoder layers
//! (self-attention, residual, LayerNorm; feed-forward, residual, LayerNorm).
//! Weight names follow the Hugging Face checkpoints (`embeddings.…`,
//! `encoder.layer.{i}.…`, optionally under a `bert.` prefix).
//!
//! Written here rather than taken from candle-transformers because that
//! model returns only the last layer, and representational analyses need
//! all of them.

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};

/// The fields of a Hugging Face `config.json` that the encoder needs.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub model_type: Option<String>,
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn default_act() -> String {
    "gelu".into()
}
fn default_type_vocab() -> usize {
    2
}
fn default_eps() -> f64 {
    1e-12
}

#[derive(Clone, Copy, Debug)]
enum Activation {
    /// The exact GELU, x Φ(x) (BERT's "gelu").
    GeluErf,
    /// The tanh approximation ("gelu_new", "gelu_pytorch_tanh").
    GeluTanh,
    Relu,
}

impl Activation {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "gelu" => Some(Self::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(Self::GeluTanh),
            "relu" => Some(Self::Relu),
            _ => None,
        }
    }

    fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::GeluErf => x.gelu_erf(),
            Self::GeluTanh => x.gelu(),
            Self::Relu => x.relu(),
        }
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

/// BERT encoder weights.
pub struct Bert {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    activation: Activation,
    pub(crate) max_positions: usize,
}

impl Bert {
    /// Builds the encoder from weights in `vb`; `Err` names what is missing
    /// or unsupported.
    pub fn load(vb: VarBuilder<'_>, config: &BertConfig) -> Result<Self, String> {
        if let Some(kind) = &config.model_type
            && kind != "bert"
        {
            return Err(format!(
                "model_type '{kind}' is not supported; repscope extract reads BERT-family \
                 checkpoints (model_type 'bert', e.g. MiniLM, BERT, BGE, E5)"
            ));
        }
        if let Some(kind) = &config.position_embedding_type
            && kind != "absolute"
        {
            return Err(format!(
                "position_embedding_type '{kind}' is not supported (only 'absolute')"
            ));
        }
        if config.hidden_size % config.num_attention_heads != 0 {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                config.hidden_size, config.num_attention_heads
            ));
        }
        let activation = Activation::parse(&config.hidden_act).ok_or_else(|| {
            format!(
                "hidden_act '{}' is not supported (gelu, gelu_new, relu)",
                config.hidden_act
            )
        })?;
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let load = || -> candle_core::Result<Self> {
            let e = vb.pp("embeddings");
            let layers = (0..config.num_hidden_layers)
                .map(|i| {
                    let l = vb.pp(format!("encoder.layer.{i}"));
                    let a = l.pp("attention");
                    Ok(Layer {
                        query: linear(h, h, a.pp("self.query"))?,
                        key: linear(h, h, a.pp("self.key"))?,
                        value: linear(h, h, a.pp("self.value"))?,
                        attention_out: linear(h, h, a.pp("output.dense"))?,
                        attention_norm: layer_norm(h, eps, a.pp("output.LayerNorm"))?,
                        intermediate: linear(
                            h,
                            config.intermediate_size,
                            l.pp("intermediate.dense"),
                        )?,
                        output: linear(config.intermediate_size, h, l.pp("output.dense"))?,
                        output_norm: layer_norm(h, eps, l.pp("output.LayerNorm"))?,
                    })
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            Ok(Self {
                word: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
                position: embedding(
                    config.max_position_embeddings,
                    h,
                    e.pp("position_embeddings"),
                )?,
                token_type: embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?,
                embedding_norm: layer_norm(h, eps, e.pp("LayerNorm"))?,
                layers,
                heads: config.num_attention_heads,
                activation,
                max_positions: config.max_position_embeddings,
            })
        };
        load().map_err(|e| format!("the weights do not fit config.json ({e})"))
    }

    /// Number of hidden states [`Bert::hidden_states`] returns: the
    /// embedding output plus one per layer.
    pub fn n_hidden_states(&self) -> usize {
        self.layers.len() + 1
    }

    /// All hidden states for a padded batch: `ids` and `type_ids` are
    /// (batch, tokens) u32, `mask` is (batch, tokens) f32 with 1 for real
    /// tokens. Each state is (batch, tokens, hidden).
    pub fn hidden_states(
        &self,
        ids: &Tensor,
        type_ids: &Tensor,
        mask: &Tensor,
    ) -> candle_core::Result<Vec<Tensor>> {
        let (batch, tokens) = ids.dims2()?;
        let positions = Tensor::arange(0u32, tokens as u32, ids.device())?
            .unsqueeze(0)?
            .broadcast_as((batch, tokens))?;
        let embedded = (self.word.forward(ids)?
            + self.position.forward(&positions)?
            + self.token_type.forward(type_ids)?)?;
        let mut h = self.embedding_norm.forward(&embedded)?;
        // Additive mask: 0 for real tokens, the most negative f32 for padding,
        // so padding gets exactly zero attention weight.
        let bias =
            ((mask.ones_like()? - mask)? * f64::from(f32::MIN))?.reshape((batch, 1, 1, tokens))?;
        let mut states = Vec::with_capacity(self.n_hidden_states());
        states.push(h.clone());
        for layer in &self.layers {
            h = self.layer_forward(layer, &h, &bias)?;
            states.push(h.clone());
        }
        Ok(states)
    }

    fn layer_forward(&self, l: &Layer, h: &Tensor, bias: &Tensor) -> candle_core::Result<Tensor> {
        let (batch, tokens, hidden) = h.dims3()?;
        let head_dim = hidden / self.heads;
        let split = |t: Tensor| -> candle_core::Result<Tensor> {
            t.reshape((batch, tokens, self.heads, head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let q = split(l.query.forward(h)?)?;
        let k = split(l.key.forward(h)?)?;
        let v = split(l.value.forward(h)?)?;
        let scores = (q.matmul(&k.t()?)? / (head_dim as f64).sqrt())?.broadcast_add(bias)?;
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = weights
            .matmul(&v)?
            .transpose(1, 2)?
            .reshape((batch, tokens, hidden))?;
        let attended = l
            .attention_norm
            .forward(&(l.attention_out.forward(&context)? + h)?)?;
        let inner = self.activation.apply(&l.intermediate.forward(&attended)?)?;
        l.output_norm
            .forward(&(l.output.forward(&inner)? + &attended)?)
    }
}

/// Loads `model.safetensors` as f32 on the CPU.
pub fn var_builder(weights: Vec<u8>) -> candle_core::Result<VarBuilder<'static>> {
    VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
}

/// Pools (batch, tokens, hidden) states into (batch, hidden): the mean over
/// real tokens (`mask` = 1), or the first token.
pub fn pool(state: &Tensor, mask: &Tensor, mean: bool) -> candle_core::Result<Tensor> {
    if mean {
        let m = mask.unsqueeze(D::Minus1)?;
        let summed = state.broadcast_mul(&m)?.sum(1)?;
        summed.broadcast_div(&m.sum(1)?)
    } else {
        state.narrow(1, 0, 1)?.squeeze(1)
    }
}
