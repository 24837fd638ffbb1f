//! Backward-compatible embeddings (Shen et al. 2020, *Towards
//! Backward-Compatible Representation Learning* (BCT); Zhou et al. 2022,
//! *BT²: Backward-compatible Training with Basis Transformation*).
//!
//! A new model is compatible with an old one when its queries can search a
//! gallery embedded by the old model, so the gallery need not be embedded
//! again ("backfilled"). With M(q, g) a retrieval quality (here top-1
//! accuracy or mAP@k, by label, cosine similarity) of queries embedded by
//! q against a gallery embedded by g:
//!
//! - compatible (BCT's empirical criterion): M(new, old) > M(old, old);
//! - update gain: [M(new, old) − M(old, old)] / [M(new, new) − M(old, old)]
//!   (1: as good as backfilling, 0: no better than the old model; NaN when
//!   the new model is no better than the old one on its own).
//!
//! New embeddings that live in another space are first mapped into the old
//! one with a learned map ([`crate::alignment::LinearMap`]: orthogonal
//! Procrustes, semi-orthogonal when the widths differ — for a wider new
//! space this keeps extra dimensions out of the old space, BT²'s idea — or
//! ridge).

use faer::MatRef;

use super::metrics::{ApNormalisation, evaluate, relevant_by_label};
use super::search::{Metric, search};
use crate::error::{Error, Result};

/// Which retrieval quality M is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompatMetric {
    Top1,
    MapAt(usize),
}

/// The BCT comparison of an old and a new embedding model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Compatibility {
    pub old_old: f64,
    pub new_old: f64,
    pub new_new: f64,
    pub gain: f64,
    pub compatible: bool,
}

fn quality(
    queries: MatRef<'_, f64>,
    gallery: MatRef<'_, f64>,
    query_labels: &[usize],
    gallery_labels: &[usize],
    metric: CompatMetric,
) -> Result<f64> {
    let k = match metric {
        CompatMetric::Top1 => 1,
        CompatMetric::MapAt(k) => k,
    };
    let top = search(queries, gallery, k, Metric::Cosine)?;
    let lists: Vec<&[usize]> = (0..top.m).map(|i| top.ids_of(i)).collect();
    let relevant = relevant_by_label(query_labels, gallery_labels, None);
    let s = evaluate(&lists, &relevant, &[k], ApNormalisation::MinKRelevant)?;
    Ok(match metric {
        CompatMetric::Top1 => s.at[0].hit,
        CompatMetric::MapAt(_) => s.at[0].map,
    })
}

/// M(old, old), M(new, old), M(new, new) and the update gain.
pub fn compatibility(
    old_queries: MatRef<'_, f64>,
    old_gallery: MatRef<'_, f64>,
    new_queries: MatRef<'_, f64>,
    new_gallery: MatRef<'_, f64>,
    query_labels: &[usize],
    gallery_labels: &[usize],
    metric: CompatMetric,
) -> Result<Compatibility> {
    let shape = |what: &str, expected: usize, found: usize| -> Result<()> {
        if expected == found {
            Ok(())
        } else {
            Err(Error::ShapeMismatch {
                what: what.into(),
                expected,
                found,
            })
        }
    };
    shape(
        "new queries (rows)",
        old_queries.nrows(),
        new_queries.nrows(),
    )?;
    shape(
        "new gallery (rows)",
        old_gallery.nrows(),
        new_gallery.nrows(),
    )?;
    shape("query labels", old_queries.nrows(), query_labels.len())?;
    shape("gallery labels", old_gallery.nrows(), gallery_labels.len())?;
    if new_queries.ncols() != old_gallery.ncols() {
        return Err(Error::Invalid {
            what: "compatibility".into(),
            detail: format!(
                "new queries have {} dimensions and the old gallery {}; map the new \
                 embeddings into the old space first (fit_compat_map)",
                new_queries.ncols(),
                old_gallery.ncols()
            ),
        });
    }
    let old_old = quality(
        old_queries,
        old_gallery,
        query_labels,
        gallery_labels,
        metric,
    )?;
    let new_old = quality(
        new_queries,
        old_gallery,
        query_labels,
        gallery_labels,
        metric,
    )?;
    let new_new = quality(
        new_queries,
        new_gallery,
        query_labels,
        gallery_labels,
        metric,
    )?;
    let span = new_new - old_old;
    Ok(Compatibility {
        old_old,
        new_old,
        new_new,
        gain: if span != 0.0 {
            (new_old - old_old) / span
        } else {
            f64::NAN
        },
        compatible: new_old > old_old,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alignment::{LinearMap, MapKind};
    use crate::linalg::thin_svd;
    use crate::rng::gaussian_matrix;
    use faer::Mat;

    /// New = rotated old + noise: incompatible as is, compatible after the
    /// orthogonal map fitted on the galleries.
    #[test]
    fn a_rotated_model_becomes_compatible_after_procrustes() {
        let centres = gaussian_matrix(10, 16, 1);
        let noise = gaussian_matrix(400, 16, 2);
        let old = Mat::from_fn(400, 16, |i, j| centres[(i % 10, j)] + 0.6 * noise[(i, j)]);
        let labels: Vec<usize> = (0..400).map(|i| i % 10).collect();
        let (rot, _, _) = thin_svd(gaussian_matrix(16, 16, 3).as_ref()).unwrap();
        let jitter = gaussian_matrix(400, 16, 4);
        let new = Mat::from_fn(400, 16, |i, j| {
            (&old * &rot)[(i, j)] + 0.05 * jitter[(i, j)]
        });
        let (q, g) = (0..100, 100..400);
        let split =
            |m: &Mat<f64>, r: std::ops::Range<usize>| m.subrows(r.start, r.len()).to_owned();
        let (lq, lg) = (&labels[q.clone()], &labels[g.clone()]);
        let raw = compatibility(
            split(&old, q.clone()).as_ref(),
            split(&old, g.clone()).as_ref(),
            split(&new, q.clone()).as_ref(),
            split(&new, g.clone()).as_ref(),
            lq,
            lg,
            CompatMetric::Top1,
        )
        .unwrap();
        assert!(!raw.compatible, "{raw:?}");
        let map = LinearMap::fit(
            split(&new, g.clone()).as_ref(),
            split(&old, g.clone()).as_ref(),
            MapKind::Procrustes,
        )
        .unwrap();
        let mapped_q = map.apply(split(&new, q.clone()).as_ref()).unwrap();
        let mapped_g = map.apply(split(&new, g.clone()).as_ref()).unwrap();
        let fixed = compatibility(
            split(&old, q.clone()).as_ref(),
            split(&old, g.clone()).as_ref(),
            mapped_q.as_ref(),
            mapped_g.as_ref(),
            lq,
            lg,
            CompatMetric::Top1,
        )
        .unwrap();
        assert!(fixed.new_old >= fixed.old_old - 0.02, "{fixed:?}");
        assert!((fixed.new_new - fixed.old_old).abs() < 0.05, "{fixed:?}");
    }
}
