//! Encoding models: how well features predict measured responses, and how
//! well they could at best.
//!
//! - [`noise_ceiling`]: split-half reliability of repeated measurements
//!   per target (Spearman–Brown corrected) and noise-normalised scores.
//!
//! Ridge regression with per-target regularisation, banded ridge, probes
//! and concept depth (issue 6) are to follow in this module.

pub mod depth;
pub mod logistic;
pub mod noise_ceiling;
pub mod probe;
