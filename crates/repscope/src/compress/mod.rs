//! Smaller embeddings that stay right: exact search, quantisation,
//! Matryoshka prefixes, retrieval metrics and backward compatibility.
//!
//! - [`search`]: exact top-k (inner product, cosine, L2), blocked GEMM.
//! - [`scalar`]: int8/uint8 codes with calibration ranges.
//! - [`binary`]: sign bits packed 8 per byte, Hamming top-k, float rescoring.
//! - [`pq`]: product quantisation with asymmetric distance search.
//! - [`matryoshka`]: renormalised prefixes and the adaptive funnel.
//! - [`metrics`]: recall, precision, hit rate, mAP, nDCG, MRR at k.
//! - [`evaluate`]: the dims × precision table of quality, memory and time.
//! - [`compat`]: BCT compatibility of an old and a new model.
//!
//! Every search is exact over what it searches and returns the top k per
//! query, ties going to the lower corpus index.

pub mod binary;
pub mod compat;
pub mod evaluate;
pub mod matryoshka;
pub mod metrics;
pub mod pq;
pub mod scalar;
pub mod search;
