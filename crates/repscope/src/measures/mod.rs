//! Similarity measures between two representations of the same stimuli.
//!
//! A measure is two steps (see DESIGN.md, "prepare once, score many"):
//! [`Measure::prepare`] does the per-representation work (centring, a Gram
//! matrix, a decomposition) and [`Measure::score`] compares two prepared
//! states. Comparing L representations with each other thus costs L
//! prepares and L² cheap scores.
//!
//! Measures are looked up by name through [`registry`], which hands out
//! [`AnyMeasure`] trait objects so the CLI, Python and the pairwise engine
//! share one list.

pub mod cka;
pub mod registry;

use std::any::Any;

use faer::Par;

pub use registry::{ParamValue, Params, build, measures};

use crate::data::RepRef;
use crate::error::{Error, Result};

/// Whether larger values mean more alike or less alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    Similarity,
    Distance,
}

/// Transformations of one representation that leave a measure unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Invariance {
    /// Reordering the units (columns).
    Permutation,
    /// Any orthogonal transform of the units (rotations, reflections).
    Orthogonal,
    /// Multiplying all values by one positive number.
    IsotropicScaling,
    /// Adding a constant vector to every stimulus.
    Translation,
    /// Any invertible linear transform of the units.
    InvertibleLinear,
}

/// What the registry tells about a measure.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MeasureInfo {
    pub name: &'static str,
    pub kind: Kind,
    /// True when both representations must have the same number of units.
    pub needs_same_dim: bool,
    pub invariances: &'static [Invariance],
    /// One line: what the measure computes.
    pub summary: &'static str,
    /// Where the definition comes from.
    pub reference: &'static str,
}

/// A similarity measure with a typed prepared state.
pub trait Measure: Send + Sync {
    /// Per-representation work, reused for every pair it takes part in.
    type Prepared: Send + Sync + 'static;

    fn info(&self) -> &MeasureInfo;

    /// Prepares one representation (finite and non-empty, as checked by the caller).
    fn prepare(&self, x: RepRef<'_>, par: Par) -> Result<Self::Prepared>;

    /// Compares two prepared representations of the same stimuli.
    fn score(&self, a: &Self::Prepared, b: &Self::Prepared, par: Par) -> Result<f64>;
}

/// A prepared state whose type is known only to the measure that made it.
pub struct Prepared(Box<dyn Any + Send + Sync>);

/// The object-safe face of [`Measure`], used through the registry.
pub trait AnyMeasure: Send + Sync {
    fn info(&self) -> &MeasureInfo;
    fn prepare(&self, x: RepRef<'_>, par: Par) -> Result<Prepared>;
    fn score(&self, a: &Prepared, b: &Prepared, par: Par) -> Result<f64>;
}

impl<M: Measure> AnyMeasure for M {
    fn info(&self) -> &MeasureInfo {
        Measure::info(self)
    }

    fn prepare(&self, x: RepRef<'_>, par: Par) -> Result<Prepared> {
        Ok(Prepared(Box::new(Measure::prepare(self, x, par)?)))
    }

    fn score(&self, a: &Prepared, b: &Prepared, par: Par) -> Result<f64> {
        Measure::score(self, downcast::<M>(self, a)?, downcast::<M>(self, b)?, par)
    }
}

fn downcast<'p, M: Measure>(measure: &M, p: &'p Prepared) -> Result<&'p M::Prepared> {
    p.0.downcast_ref::<M::Prepared>().ok_or_else(|| {
        Error::internal(format!(
            "a state prepared by another measure was passed to '{}'",
            measure.info().name
        ))
    })
}

/// Checks one representation before it is prepared: non-empty and finite.
pub fn check_input(x: RepRef<'_>) -> Result<()> {
    crate::data::check_not_empty(x.name, x.x)?;
    crate::data::check_finite(x.name, x.x)
}

/// Compares two representations with one measure: the one-pair function,
/// sharing `prepare` and `score` with the pairwise engine so both give the
/// same bits.
pub fn similarity(x: RepRef<'_>, y: RepRef<'_>, measure: &dyn AnyMeasure) -> Result<f64> {
    check_input(x)?;
    check_input(y)?;
    crate::data::check_same_stimuli(&[x], &[y])?;
    let par = Par::Seq;
    let a = measure.prepare(x, par)?;
    let b = measure.prepare(y, par)?;
    measure.score(&a, &b, par)
}
