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
pub mod correlation_match;
pub mod grounding;
pub mod gulp;
pub mod kernel_cka;
pub mod neighbours;
pub mod params;
#[cfg(test)]
mod properties;
pub mod registry;
pub mod rsa;
pub mod rsm;
pub mod sdr_overlap;
pub mod shape;
pub mod statistics;
pub mod subspace;

use std::any::Any;

use faer::Par;

pub use params::{ParamValue, Params};
pub use registry::{Sheet, build, measures, sheet, sheets};

use crate::data::RepRef;
use crate::error::{Error, Result};

crate::choice! {
    /// Whether larger values mean more alike or less alike.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Kind: "measure kind" {
        /// Larger values mean more alike.
        Similarity = "similarity",
        /// Larger values mean less alike.
        Distance = "distance",
    }
}

crate::choice! {
    /// Transformations of one representation that leave a measure unchanged.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Invariance: "invariance" {
        /// Reordering the units (columns).
        Permutation = "permutation",
        /// Any orthogonal transform of the units (rotations, reflections).
        Orthogonal = "orthogonal",
        /// Multiplying all values by one positive number.
        IsotropicScaling = "isotropic_scaling",
        /// Adding a constant vector to every stimulus.
        Translation = "translation",
        /// Any invertible linear transform of the units.
        InvertibleLinear = "invertible_linear",
    }
}

/// What the registry tells about a measure.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MeasureInfo {
    pub name: &'static str,
    pub kind: Kind,
    /// True when both representations must have the same number of units.
    pub needs_same_dim: bool,
    /// True when score(X, Y) = score(Y, X); the pairwise engine then
    /// computes one triangle of an A × A matrix.
    pub symmetric: bool,
    pub invariances: &'static [Invariance],
    /// One line: what the measure computes.
    pub summary: &'static str,
    /// Where the definition comes from.
    pub reference: &'static str,
    /// The values the measure can take, when bounded (figures use it as
    /// their colour range).
    pub range: Option<(f64, f64)>,
    /// The value of a representation compared with itself, where the
    /// measure has one (the best value: calibrated scores rescale towards
    /// it). Checked numerically for every measure.
    pub identical: Option<f64>,
    /// The work for n stimuli × d units, to leading order.
    pub cost: &'static str,
}

/// What `prepare` knows about the job it prepares for.
#[derive(Clone, Copy, Debug)]
pub struct PrepareContext {
    /// Parallelism allowed inside this one prepare.
    pub par: Par,
    /// How many representations this one will be scored against. A measure
    /// may pick a costlier prepared form that makes each score cheaper when
    /// there are many partners.
    pub partners: usize,
}

impl PrepareContext {
    /// One representation compared with one other, sequentially.
    pub const ONE_PAIR: PrepareContext = PrepareContext {
        par: Par::Seq,
        partners: 1,
    };
}

/// What a measure costs for representations of n stimuli × d units, in
/// float64 values and floating-point operations, to leading order: the
/// pairwise preflight adds these up (`pairwise::estimate_pairwise`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Footprint {
    /// Values a prepared state holds.
    pub kept: f64,
    /// Values alive at once while preparing, beyond the input and the kept state.
    pub prepare: f64,
    /// Values alive at once while scoring two states.
    pub score: f64,
    pub prepare_flops: f64,
    pub score_flops: f64,
    /// Pairs are scored all at once from packed Gram matrices (`score_block`),
    /// holding ⌈n/32⌉ partial sums per pair.
    pub block_scored: bool,
}

impl Footprint {
    /// A packed n × n matrix kept (a centred kernel or distances), built
    /// from a full Gram through `temporaries` n × n matrices alive at once,
    /// and scored by one packed dot (in blocks of pairs when `block_scored`).
    pub fn packed(n: usize, d: usize, temporaries: f64, block_scored: bool) -> Self {
        let (n, d) = (n as f64, d as f64);
        Self {
            kept: n * (n + 1.0) / 2.0,
            prepare: temporaries * n * n,
            score: 0.0,
            prepare_flops: 2.0 * n * n * d,
            score_flops: n * n,
            block_scored,
        }
    }

    /// A centred copy kept, scored through a d × d cross product.
    pub fn centred_copy(n: usize, d: usize) -> Self {
        let (n, d) = (n as f64, d as f64);
        Self {
            kept: n * d,
            score: d * d,
            prepare_flops: 2.0 * n * d,
            score_flops: 2.0 * n * d * d,
            ..Self::default()
        }
    }
}

/// A similarity measure with a typed prepared state.
pub trait Measure: Send + Sync {
    /// Per-representation work, reused for every pair it takes part in.
    type Prepared: Send + Sync + 'static;

    fn info(&self) -> &MeasureInfo;

    /// Prepares one representation (finite and non-empty, as checked by the caller).
    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<Self::Prepared>;

    /// Memory and work of preparing `n` × `d` representations for
    /// `partners` partners and of scoring two of them; it mirrors the
    /// allocations of `prepare` and `score`.
    fn footprint(&self, n: usize, d: usize, partners: usize) -> Footprint;

    /// A caveat about a prepared representation for the user (e.g. CCA on
    /// fewer stimuli than units), reported with the results.
    fn warning(&self, _prepared: &Self::Prepared) -> Option<String> {
        None
    }

    /// Compares two prepared representations of the same stimuli. Passing
    /// the same state twice (`a` and `b` the same reference) compares a
    /// representation with itself.
    fn score(&self, a: &Self::Prepared, b: &Self::Prepared, par: Par) -> Result<f64>;

    /// The state `prepare` would give for the rows `rows` of the
    /// representation (drawn with replacement by the bootstrap, shuffled by
    /// a permutation test), derived from the full state when that is
    /// cheaper than preparing the gathered rows again. It must agree with
    /// preparing the gathered rows to rounding. `None` means "prepare again".
    fn resample(
        &self,
        _prepared: &Self::Prepared,
        _rows: &[usize],
    ) -> Option<Result<Self::Prepared>> {
        None
    }

    /// Scores many pairs at once, `(i, j)` meaning `a[i]` with `b[j]`, when
    /// the measure can share work (memory traffic) across pairs; the result
    /// must equal `score` pair by pair, bit for bit. `None` means "score
    /// each pair on its own".
    fn score_block(
        &self,
        _a: &[&Self::Prepared],
        _b: &[&Self::Prepared],
        _pairs: &[(usize, usize)],
        _par: Par,
    ) -> Option<Result<Vec<f64>>> {
        None
    }
}

/// A prepared state whose type is known only to the measure that made it.
pub struct Prepared(Box<dyn Any + Send + Sync>);

/// The object-safe face of [`Measure`], used through the registry.
pub trait AnyMeasure: Send + Sync {
    fn info(&self) -> &MeasureInfo;
    fn footprint(&self, n: usize, d: usize, partners: usize) -> Footprint;
    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<Prepared>;
    fn warning(&self, prepared: &Prepared) -> Option<String>;
    fn score(&self, a: &Prepared, b: &Prepared, par: Par) -> Result<f64>;
    fn resample(&self, prepared: &Prepared, rows: &[usize]) -> Option<Result<Prepared>>;
    fn score_block(
        &self,
        a: &[&Prepared],
        b: &[&Prepared],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Option<Result<Vec<f64>>>;
}

impl<M: Measure> AnyMeasure for M {
    fn info(&self) -> &MeasureInfo {
        Measure::info(self)
    }

    fn footprint(&self, n: usize, d: usize, partners: usize) -> Footprint {
        Measure::footprint(self, n, d, partners)
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<Prepared> {
        Ok(Prepared(Box::new(Measure::prepare(self, x, ctx)?)))
    }

    fn warning(&self, prepared: &Prepared) -> Option<String> {
        Measure::warning(self, downcast::<M>(self, prepared).ok()?)
    }

    fn score(&self, a: &Prepared, b: &Prepared, par: Par) -> Result<f64> {
        Measure::score(self, downcast::<M>(self, a)?, downcast::<M>(self, b)?, par)
    }

    fn resample(&self, prepared: &Prepared, rows: &[usize]) -> Option<Result<Prepared>> {
        let state = match downcast::<M>(self, prepared) {
            Ok(state) => state,
            Err(e) => return Some(Err(e)),
        };
        Measure::resample(self, state, rows).map(|r| r.map(|p| Prepared(Box::new(p))))
    }

    fn score_block(
        &self,
        a: &[&Prepared],
        b: &[&Prepared],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Option<Result<Vec<f64>>> {
        fn cast<'p, M: Measure>(m: &M, list: &[&'p Prepared]) -> Result<Vec<&'p M::Prepared>> {
            list.iter().map(|p| downcast::<M>(m, p)).collect()
        }
        let (a, b) = match (cast(self, a), cast(self, b)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => return Some(Err(e)),
        };
        Measure::score_block(self, &a, &b, pairs, par)
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

/// True when `rows` reorders 0..n, each index once (a permutation test's
/// shuffle, as opposed to a bootstrap draw).
pub(crate) fn is_permutation(rows: &[usize], n: usize) -> bool {
    let mut seen = vec![false; n];
    rows.len() == n
        && rows
            .iter()
            .all(|&r| r < n && !std::mem::replace(&mut seen[r], true))
}

/// Checks that two prepared representations cover the same number of
/// stimuli (the engine checks the inputs first; this guards direct calls
/// of `score`).
pub(crate) fn check_same_n(a_rows: usize, b_rows: usize) -> Result<()> {
    if a_rows != b_rows {
        return Err(Error::StimulusMismatch {
            a: "A".into(),
            a_rows,
            b: "B".into(),
            b_rows,
        });
    }
    Ok(())
}

/// Checks one representation before it is prepared: non-empty and finite.
pub fn check_input(x: RepRef<'_>) -> Result<()> {
    crate::data::check_not_empty(x.name, x.x)?;
    crate::data::check_finite(x.name, x.x)
}

/// [`check_input`] for a comparison: also at least two stimuli (one
/// stimulus has no geometry to compare).
pub fn check_comparable(x: RepRef<'_>) -> Result<()> {
    check_input(x)?;
    if x.x.nrows() < 2 {
        return Err(Error::Invalid {
            what: format!("representation '{}'", x.name),
            detail: "it has 1 stimulus (row); similarity measures compare how stimuli relate, \
                     so they need at least 2"
                .into(),
        });
    }
    Ok(())
}

/// Compares two representations with one measure: the one-pair function,
/// sharing `prepare` and `score` with the pairwise engine so both give the
/// same bits.
pub fn similarity(x: RepRef<'_>, y: RepRef<'_>, measure: &dyn AnyMeasure) -> Result<f64> {
    similarity_with_warnings(x, y, measure).map(|(v, _)| v)
}

/// [`similarity`] and the measure's caveats about the two representations.
pub fn similarity_with_warnings(
    x: RepRef<'_>,
    y: RepRef<'_>,
    measure: &dyn AnyMeasure,
) -> Result<(f64, Vec<String>)> {
    check_comparable(x)?;
    check_comparable(y)?;
    crate::data::check_same_stimuli(&[x], &[y])?;
    let ctx = PrepareContext::ONE_PAIR;
    let a = measure.prepare(x, &ctx)?;
    if same_view(x, y) {
        // One representation with itself: prepared once, as the pairwise
        // engine does for its diagonal, so both give the same bits.
        let warnings = measure.warning(&a).into_iter().collect();
        return Ok((measure.score(&a, &a, ctx.par)?, warnings));
    }
    let b = measure.prepare(y, &ctx)?;
    let warnings = [&a, &b].iter().filter_map(|p| measure.warning(p)).collect();
    Ok((measure.score(&a, &b, ctx.par)?, warnings))
}

/// True when two views show the same memory in the same layout.
pub(crate) fn same_view(x: RepRef<'_>, y: RepRef<'_>) -> bool {
    x.x.as_ptr() == y.x.as_ptr()
        && x.x.nrows() == y.x.nrows()
        && x.x.ncols() == y.x.ncols()
        && x.x.row_stride() == y.x.row_stride()
        && x.x.col_stride() == y.x.col_stride()
}
