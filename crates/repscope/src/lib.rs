//! repscope: measure, compare, probe and compress neural representations.
//!
//! A *representation* is a stimuli × units matrix: the activations of one
//! model layer, or the responses of one brain region, to a set of stimuli.
//! A [`RepSet`] holds several of them over the same stimuli.
//!
//! - [`data`]: the data model and its files (`.npy`, `.npz`, `.safetensors`).
//! - [`measures`]: similarity measures, one registry looked up by name.
//! - [`pairwise`]: every representation against every other, prepared once.
//! - [`stats`]: seeded random numbers (and, later, resampling statistics).
//! - [`compress`]: exact search, quantisation, Matryoshka, retrieval metrics, compatibility.
//! - [`encode`]: encoding models (so far: noise ceilings of repeated measurements).
//! - [`graph`]: Dirichlet energy of a representation on a graph over its stimuli.
//! - [`alignment`]: two representations of the same items, aligned by a learned map.
//! - [`units`]: units matched across networks (one-to-one, best partner,
//!   sparse prediction, spectral groups).
//! - [`compress`]: binary codes with Hamming search, product quantisation.
//! - [`taskvec`]: task vectors of fine-tuned checkpoints: norms, cosines,
//!   and their composition into a new checkpoint.
//! - `extract` (feature `extract`): hidden states of BERT-family models.
//!
//! This crate computes and returns values; it never prints. The `repscope`
//! binary and the Python package are thin layers over it.

pub mod alignment;
pub mod choice;
pub mod compress;
pub mod data;
pub mod encode;
pub mod error;
#[cfg(feature = "extract")]
pub mod extract;
pub mod graph;
pub mod interrupt;
pub mod linalg;
pub mod measures;
pub mod pairwise;
pub mod rsa;
pub mod sdr;
pub mod stats;
pub mod taskvec;
#[cfg(test)]
mod testing;
pub mod units;

pub use choice::Choice;
pub use data::{RepRef, RepSet, load, save};
pub use error::{Error, Result};
pub use measures::{AnyMeasure, MeasureInfo, measures, similarity};
pub use pairwise::streaming::pairwise_streaming;
pub use pairwise::{PairwiseMatrix, PairwiseOptions, Progress, pairwise};
