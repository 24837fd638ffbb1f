//! repscope: measure, compare, probe and compress neural representations.
//!
//! A *representation* is a stimuli × units matrix: the activations of one
//! model layer, or the responses of one brain region, to a set of stimuli.
//! A [`RepSet`] holds several of them over the same stimuli.
//!
//! The modules, from the data up (docs/ARCHITECTURE.md draws the layers):
//!
//! - [`error`]: the one error type; [`choice`]: named options (the string ↔
//!   enum bridge of every front end); [`interrupt`]: stopping long work
//!   early; [`parallel`]: threads; [`rng`]: seeded random streams.
//! - [`linalg`]: dense kernels (products, norms, centring, k-means, kNN,
//!   PCA, assignment); [`stats`]: ranks, quantiles, covariance, sign-flip
//!   tests, Pearson.
//! - [`data`]: the data model and its files (`.npy`, `.npz`,
//!   `.safetensors`, NIfTI, HDF5, MATLAB, GIfTI/CIFTI, checkpoints, labels);
//!   [`bids`]: beta series found in BIDS derivatives, with their events.
//! - [`measures`]: similarity measures, one registry looked up by name;
//!   [`pairwise`]: every representation against every other, prepared once.
//! - [`rsa`]: RDMs, their comparison and inference, searchlights, movies.
//! - [`encode`]: encoding models (ridge, banded ridge, reverse encoding,
//!   noise ceilings); [`probe`]: linear probes of every layer and the
//!   concept depth.
//! - [`units`]: units matched across networks (one-to-one, best partner,
//!   sparse prediction, spectral groups).
//! - [`alignment`]: two representations of the same items, aligned by a
//!   learned map; [`graph`]: Dirichlet energy on a graph over the stimuli.
//! - [`compress`]: exact search, 8-bit and binary codes, product
//!   quantisation, Matryoshka prefixes, retrieval metrics, compatibility.
//! - [`sdr`]: sparse distributed representations; [`taskvec`]: task vectors
//!   of fine-tuned checkpoints and their composition.
//! - `extract` (feature `extract`): hidden states of BERT-family models.
//!
//! This crate computes and returns values; it never prints. The `repscope`
//! binary and the Python package are thin layers over it.

pub mod alignment;
pub mod bids;
pub mod choice;
pub mod compress;
pub mod data;
pub mod encode;
pub mod error;
#[cfg(feature = "extract")]
pub mod extract;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod interrupt;
pub mod linalg;
pub mod measures;
pub mod memory;
pub mod pairwise;
pub mod parallel;
pub mod preflight;
pub mod probe;
pub mod rng;
pub mod rsa;
pub mod sdr;
pub mod shape_space;
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
