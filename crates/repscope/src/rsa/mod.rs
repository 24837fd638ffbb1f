//! Representational similarity analysis (Kriegeskorte et al. 2008).
//!
//! - [`condensed`]: the condensed RDM layout (scipy `pdist` order).
//! - [`dissimilarity`]: RDMs from condition patterns (euclidean,
//!   correlation, cosine, mahalanobis, crossnobis, poisson).
//! - [`compare`]: RDM against RDM (cosine, corr, spearman, rho_a, kendall_a,
//!   kendall_b, cosine_cov, corr_cov, bures).
//! - [`inference`]: bootstrap model evaluation and noise ceilings.
//! - [`dual`]: the dual bootstrap (subjects and conditions, combined).
//! - [`models`]: weighted model RDMs (non-negative fit) and cross-validation.
//! - [`fitting`]: flexible models fitted for any comparison (search).
//! - [`mds`]: classical MDS of an RDM (for pictures).
//! - [`files`]: RDMs in `.npz` files.
//! - [`searchlight`]: an RDM per sphere of a brain volume, maps per model.
//! - [`movie`]: time-resolved RDMs, one per time point or window.
//! - [`transform`]: rank, geo-topological and geodesic transforms (tRSA).
//!
//! Conventions follow rsatoolbox, the field's reference implementation, so
//! numbers agree with it; where repscope deliberately differs the function
//! documentation says so.

pub mod bootcv;
pub mod compare;
pub mod condensed;
pub mod cross;
pub mod dissimilarity;
pub mod dual;
pub mod files;
pub mod fitting;
mod folds;
pub mod inference;
pub mod mds;
pub mod models;
pub mod movie;
pub mod pool;
pub mod preflight;
pub mod riemann;
pub mod searchlight;
pub mod transform;
pub mod unbalanced;

pub use compare::{CompareMethod, compare};
pub use dissimilarity::{RdmMethod, RdmSpec, rdm};
pub use preflight::{estimate_rdm, estimate_rdms};
pub use transform::{geodesic, geotopological};
