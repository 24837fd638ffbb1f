//! Activations of models: any ONNX graph on images, arrays or texts, and
//! BERT-family models from their Hugging Face folder.
//!
//! - [`onnx`]: a graph run in pure Rust (tract), any set of intermediate
//!   tensors captured in one pass, named by tensor, node or PyTorch module;
//! - [`stimuli`]: image files ([`image`]: torchvision's preprocessing,
//!   pixel for pixel), `.npy` rows or texts, one batch at a time;
//! - [`pool`]: captured tensor → one row per stimulus;
//! - [`activations`]: the loop, streaming every layer to a `.safetensors`
//!   file batch by batch;
//! - [`hidden_states`]: the BERT path (candle): every hidden state, pooled
//!   per text, as a [`crate::data::RepSet`].

pub mod activations;
mod bert;
mod hidden_states;
pub mod image;
pub mod onnx;
pub mod pool;
pub mod stimuli;

pub use bert::BertConfig;
pub use hidden_states::{ExtractOptions, Extractor, Pooling};
