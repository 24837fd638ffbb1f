//! Statistics support: seeded random numbers (more to come: bootstrap,
//! permutation tests, noise ceilings).

pub mod covariance;
pub mod rank;
pub mod rng;
