//! The one list of measures, looked up by name.
//!
//! The CLI (`--measure`), Python (`measure=`) and the pairwise engine all go
//! through [`build`]; [`measures`] lists what exists, for `rs.measures()` and
//! `repscope similarity --help`.

use super::cka::{DEBIASED_CKA_INFO, DebiasedCka, LINEAR_CKA_INFO, LinearCka};
use super::correlation_match::{HARD_MATCH_INFO, HardMatch, SOFT_MATCH_INFO, SoftMatch};
use super::gulp::{GULP_INFO, Gulp};
use super::kernel_cka::{MINIBATCH_CKA_INFO, MinibatchCka, RBF_CKA_INFO, RbfCka};
use super::neighbours::{
    CKNNA_INFO, JACCARD_KNN_INFO, MUTUAL_KNN_INFO, NeighbourMeasure, NeighbourStatistic,
    RANK_SIMILARITY_INFO, SECOND_ORDER_COSINE_INFO,
};
use super::params::{Params, check_known};
use super::rsa::{RSA_INFO, Rsa};
use super::rsm::{DISTANCE_CORRELATION_INFO, DistanceCorrelation, RSM_NORM_DIFF_INFO, RsmNormDiff};
use super::sdr_overlap::{SDR_OVERLAP_INFO, SdrOverlap};
use super::shape::{
    ALIGNED_COSINE_INFO, AlignedCosine, PERMUTATION_INFO, PROCRUSTES_INFO,
    PROCRUSTES_SIZE_SHAPE_INFO, Permutation, Procrustes, ProcrustesSizeShape,
};
use super::statistics::{
    CONCENTRICITY_INFO, MAGNITUDE_INFO, Statistic, StatisticDifference, UNIFORMITY_INFO,
};
use super::subspace::{
    CCA_INFO, Cca, EIGENSPACE_OVERLAP_INFO, EigenspaceOverlap, LINEAR_REGRESSION_INFO,
    LinearRegression, PWCCA_INFO, Pwcca, SVCCA_INFO, Svcca,
};
use super::{AnyMeasure, MeasureInfo};
use crate::error::{Error, Result};

struct Entry {
    info: &'static MeasureInfo,
    /// Names of the parameters the measure takes.
    params: &'static [&'static str],
    build: fn(&Params) -> Result<Box<dyn AnyMeasure>>,
}

macro_rules! entry {
    ($info:expr, [$($param:literal),*], $build:expr) => {
        Entry {
            info: &$info,
            params: &[$($param),*],
            build: |p| Ok(Box::new($build(p)?)),
        }
    };
}

fn no_params<T>(value: T) -> impl Fn(&Params) -> Result<T> + Clone
where
    T: Clone,
{
    move |_| Ok(value.clone())
}

const ENTRIES: &[Entry] = &[
    entry!(LINEAR_CKA_INFO, ["form"], LinearCka::from_params),
    entry!(DEBIASED_CKA_INFO, ["form"], DebiasedCka::from_params),
    entry!(RBF_CKA_INFO, ["threshold", "median"], RbfCka::from_params),
    entry!(
        MINIBATCH_CKA_INFO,
        ["batch_size"],
        MinibatchCka::from_params
    ),
    entry!(CCA_INFO, ["kind"], Cca::from_params),
    entry!(SVCCA_INFO, ["keep"], Svcca::from_params),
    entry!(PWCCA_INFO, [], no_params(Pwcca)),
    entry!(PROCRUSTES_INFO, ["alpha", "score"], Procrustes::from_params),
    entry!(
        PROCRUSTES_SIZE_SHAPE_INFO,
        [],
        no_params(ProcrustesSizeShape)
    ),
    entry!(PERMUTATION_INFO, ["score"], Permutation::from_params),
    entry!(ALIGNED_COSINE_INFO, [], no_params(AlignedCosine)),
    entry!(HARD_MATCH_INFO, [], no_params(HardMatch)),
    entry!(SOFT_MATCH_INFO, [], no_params(SoftMatch)),
    entry!(LINEAR_REGRESSION_INFO, [], no_params(LinearRegression)),
    entry!(GULP_INFO, ["lambda"], Gulp::from_params),
    entry!(RSA_INFO, ["rdm_method", "compare_method"], Rsa::from_params),
    entry!(
        DISTANCE_CORRELATION_INFO,
        [],
        no_params(DistanceCorrelation)
    ),
    entry!(RSM_NORM_DIFF_INFO, [], no_params(RsmNormDiff)),
    entry!(EIGENSPACE_OVERLAP_INFO, [], no_params(EigenspaceOverlap)),
    entry!(MUTUAL_KNN_INFO, ["k"], |p| NeighbourMeasure::from_params(
        NeighbourStatistic::MutualKnn,
        p
    )),
    entry!(CKNNA_INFO, ["k"], |p| NeighbourMeasure::from_params(
        NeighbourStatistic::Cknna,
        p
    )),
    entry!(JACCARD_KNN_INFO, ["k"], |p| NeighbourMeasure::from_params(
        NeighbourStatistic::Jaccard,
        p
    )),
    entry!(SECOND_ORDER_COSINE_INFO, ["k"], |p| {
        NeighbourMeasure::from_params(NeighbourStatistic::SecondOrderCosine, p)
    }),
    entry!(RANK_SIMILARITY_INFO, ["k"], |p| {
        NeighbourMeasure::from_params(NeighbourStatistic::RankSimilarity, p)
    }),
    entry!(SDR_OVERLAP_INFO, ["k", "sparsity"], SdrOverlap::from_params),
    entry!(MAGNITUDE_INFO, [], |p| StatisticDifference::from_params(
        Statistic::Magnitude,
        p
    )),
    entry!(
        CONCENTRICITY_INFO,
        [],
        |p| StatisticDifference::from_params(Statistic::Concentricity, p)
    ),
    entry!(
        UNIFORMITY_INFO,
        ["t"],
        |p| StatisticDifference::from_params(Statistic::Uniformity, p)
    ),
];

/// Every measure the registry knows, in a stable order.
pub fn measures() -> Vec<MeasureInfo> {
    ENTRIES.iter().map(|e| e.info.clone()).collect()
}

/// A measure's property sheet: what the registry says about it, the
/// parameters it takes, and the axioms it claims. Every claim is checked
/// numerically over the whole registry (`measures::properties`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct Sheet {
    #[serde(flatten)]
    pub info: MeasureInfo,
    pub params: &'static [&'static str],
    pub axioms: Vec<&'static str>,
}

/// The axioms a measure claims, from what the registry says of it:
/// symmetry; its value for identical inputs being its best (no pair scores
/// above a similarity's, or below a distance's, 0); and for symmetric
/// distances the triangle inequality, which with the two others makes them
/// (pseudo-)metrics over the declared invariances.
fn axioms(info: &MeasureInfo) -> Vec<&'static str> {
    let mut out = Vec::new();
    if info.symmetric {
        out.push("symmetry");
    }
    if info.identical.is_some() {
        out.push("identical_is_best");
    }
    if info.symmetric && info.kind == super::Kind::Distance {
        out.push("triangle_inequality");
    }
    out
}

fn sheet_of(entry: &Entry) -> Sheet {
    Sheet {
        info: entry.info.clone(),
        params: entry.params,
        axioms: axioms(entry.info),
    }
}

/// The property sheet of the measure called `name`.
pub fn sheet(name: &str) -> Result<Sheet> {
    find(name).map(sheet_of)
}

/// Every measure's property sheet, in registry order.
pub fn sheets() -> Vec<Sheet> {
    ENTRIES.iter().map(sheet_of).collect()
}

fn find(name: &str) -> Result<&'static Entry> {
    ENTRIES
        .iter()
        .find(|e| e.info.name == name)
        .ok_or_else(|| Error::UnknownMeasure {
            name: name.to_string(),
            known: ENTRIES.iter().map(|e| e.info.name.to_string()).collect(),
        })
}

/// The measure called `name`, configured with `params`.
pub fn build(name: &str, params: &Params) -> Result<Box<dyn AnyMeasure>> {
    let entry = find(name)?;
    check_known(params, name, entry.params)?;
    (entry.build)(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::ParamValue;

    #[test]
    fn lookup_by_name_and_helpful_errors() {
        assert_eq!(
            build("linear_cka", &Params::new()).unwrap().info().name,
            "linear_cka"
        );
        let e = build("cka", &Params::new()).err().unwrap();
        assert!(
            e.to_string()
                .contains("known measures: linear_cka, debiased_cka"),
            "{e}"
        );
        let mut p = Params::new();
        p.insert("sigma".into(), ParamValue::Number(1.0));
        let e = build("linear_cka", &p).err().unwrap();
        assert!(
            e.to_string()
                .contains("unknown parameter 'sigma'; it takes form"),
            "{e}"
        );
        let names: Vec<_> = measures().iter().map(|m| m.name).collect();
        assert_eq!(names[..3], ["linear_cka", "debiased_cka", "rbf_cka"]);
    }

    #[test]
    fn parameter_errors_say_what_is_expected() {
        let message = |name: &str, key: &str, value: ParamValue| {
            let params = Params::from([(key.to_string(), value)]);
            build(name, &params)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            message("procrustes", "alpha", ParamValue::Number(2.0)),
            "measure 'procrustes': alpha must be in [0, 1], not Number(2.0)"
        );
        assert_eq!(
            message("linear_cka", "form", ParamValue::Text("dense".into())),
            "measure 'linear_cka': form must be 'auto', 'features' or 'gram', not Text(\"dense\")"
        );
        assert_eq!(
            message("cca", "kind", ParamValue::Number(1.0)),
            "measure 'cca': kind must be 'yanai' or 'mean', not Number(1.0)"
        );
        let ok = Params::from([("kind".to_string(), ParamValue::Text("pillai".into()))]);
        assert!(build("cca", &ok).is_ok());
    }
}
