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
//! - [`folds`]: the cross-validation splits (shared with [`crate::probe`]).

pub mod banded;
pub mod folds;
pub mod noise_ceiling;
pub mod preflight;
pub mod reverse;
pub mod ridge;
