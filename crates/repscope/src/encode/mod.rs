//! Encoding models: how well features predict measured responses, and how
//! well they could at best.
//!
//! - [`noise_ceiling`]: split-half reliability of repeated measurements
//!   per target (Spearman–Brown corrected) and noise-normalised scores.
//! - [`ridge`]: ridge regression for many targets, α chosen per target by
//!   cross-validation (himalaya's `RidgeCV`), primal or kernel path.
//! - [`banded`]: banded ridge, one penalty per feature space, by random
//!   search over the simplex (himalaya's `BandedRidgeCV`).
//! - [`reverse`]: reverse encoding, the variance of a representation each
//!   known feature of the stimuli explains (alone and uniquely).
//! - [`logistic`], [`probe`], [`depth`]: linear probes (L2 logistic
//!   regression by L-BFGS, stratified folds, control tasks, selectivity)
//!   over every layer, and the concept depth of the accuracy curve.
//! - [`folds`]: the cross-validation splits they share.

pub mod banded;
pub mod depth;
pub mod folds;
pub mod logistic;
pub mod noise_ceiling;
pub mod probe;
pub mod reverse;
pub mod ridge;
