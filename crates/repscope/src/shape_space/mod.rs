//! Shape space: representations as points of a metric space (Williams et
//! al. 2021; netrep), for comparing many networks.
//!
//! - `fit`: alignments fitted on training stimuli and scored on held-out
//!   ones (partially whitened rotations or unit permutations), and their
//!   cross-validated distance.
//! - `many`: the K × K distances of many networks on training and test
//!   stimuli, the Fréchet (Procrustes) mean of a set, and k-means in shape
//!   space.
//! - `stochastic`: distances between noisy (stochastic) representations:
//!   Gaussian (2-Wasserstein/Bures, netrep's alpha) and energy distances.

pub mod fit;
pub mod many;
pub mod stochastic;
