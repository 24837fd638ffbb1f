//! The pairwise engine for sets that do not fit in memory: representations
//! are loaded and prepared as they are needed and dropped after use, so each
//! worker holds at most two prepared representations. Each row of the matrix
//! prepares its own representation once and every partner again, trading
//! repeated work (O(L²) prepares instead of O(L)) for bounded memory.
//! Because every partner is prepared for a single score, states are prepared
//! for one partner: measures with a choice of form (CKA's features or Gram)
//! then keep the compact one, which is also the cheaper one here.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use faer::{Mat, Par};
use rayon::prelude::*;

use super::{PairwiseMatrix, PairwiseOptions, Progress, Stage};
use crate::data::RepRef;
use crate::data::source::RepSource;
use crate::error::{Error, Result, ResultExt};
use crate::measures::{AnyMeasure, PrepareContext, Prepared, check_comparable};

fn prepare_from(
    source: &dyn RepSource,
    i: usize,
    n_stimuli: usize,
    first_name: &str,
    measure: &dyn AnyMeasure,
) -> Result<Prepared> {
    let x = source.load(i)?;
    let rep = RepRef {
        name: source.name(i),
        x: x.as_ref(),
    };
    if x.nrows() != n_stimuli {
        return Err(Error::StimulusMismatch {
            a: first_name.to_string(),
            a_rows: n_stimuli,
            b: rep.name.to_string(),
            b_rows: x.nrows(),
        });
    }
    check_comparable(rep)?;
    let ctx = PrepareContext {
        par: Par::Seq,
        partners: 1,
    };
    measure
        .prepare(rep, &ctx)
        .with_context(|| format!("preparing '{}' for {}", rep.name, measure.info().name))
}

/// Scores every pair of `a` × `b` (or `a` × `a`), loading representations
/// from their sources as needed.
pub fn pairwise_streaming(
    a: &dyn RepSource,
    b: Option<&dyn RepSource>,
    measure: &dyn AnyMeasure,
    options: &PairwiseOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<PairwiseMatrix> {
    if options.n_boot > 0 || options.n_permutations > 0 {
        return Err(Error::InvalidParameter {
            measure: measure.info().name.into(),
            detail: "bootstrap intervals and permutation p-values need the representations in \
                     memory; run without streaming"
                .into(),
        });
    }
    if a.is_empty() || b.is_some_and(|b| b.is_empty()) {
        return Err(Error::NoRepresentations {
            what: "the streamed set".into(),
        });
    }
    let first = a.load(0)?;
    let n_stimuli = first.nrows();
    drop(first);
    let right = b.unwrap_or(a);
    let mirror = b.is_none() && measure.info().symmetric;
    let width = right.len();
    let total = if mirror {
        a.len() * (a.len() + 1) / 2
    } else {
        a.len() * width
    };
    let done = AtomicUsize::new(0);
    let warnings = Mutex::new(Vec::<String>::new());
    let note = |p: &Prepared| {
        if let Some(w) = measure.warning(p)
            && let Ok(mut list) = warnings.lock()
            && !list.contains(&w)
        {
            list.push(w);
        }
    };
    let run = || -> Result<Vec<Vec<(usize, f64)>>> {
        (0..a.len())
            .into_par_iter()
            .map(|i| {
                crate::interrupt::check()?;
                let left = prepare_from(a, i, n_stimuli, a.name(0), measure)?;
                note(&left);
                let columns = if mirror { i..width } else { 0..width };
                let mut row = Vec::with_capacity(columns.len());
                for j in columns {
                    crate::interrupt::check()?;
                    let s = if mirror && j == i {
                        measure.score(&left, &left, Par::Seq)
                    } else {
                        let partner = prepare_from(right, j, n_stimuli, a.name(0), measure)?;
                        note(&partner);
                        measure.score(&left, &partner, Par::Seq)
                    }
                    .with_context(|| {
                        format!(
                            "{} of '{}' and '{}'",
                            measure.info().name,
                            a.name(i),
                            right.name(j)
                        )
                    })?;
                    row.push((j, s));
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress(Progress {
                        stage: Stage::Score,
                        done: d,
                        total,
                    });
                }
                Ok(row)
            })
            .collect()
    };
    let rows = crate::parallel::with_threads(options.threads, run)?;
    let mut values = Mat::zeros(a.len(), width);
    for (i, row) in rows.iter().enumerate() {
        for &(j, s) in row {
            values[(i, j)] = s;
            if mirror {
                values[(j, i)] = s;
            }
        }
    }
    Ok(PairwiseMatrix {
        values,
        names_a: (0..a.len()).map(|i| a.name(i).to_string()).collect(),
        names_b: (0..width).map(|j| right.name(j).to_string()).collect(),
        measure: measure.info().name.to_string(),
        ci_low: None,
        ci_high: None,
        p_values: None,
        calibrated: None,
        thresholds: None,
        warnings: warnings.into_inner().unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::source::FolderSource;
    use crate::measures::{Params, build};
    use crate::pairwise::pairwise;
    use crate::testing::gaussian;

    #[test]
    fn streaming_equals_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let mats: Vec<Mat<f64>> = (0..5).map(|i| gaussian(30, 3 + i, i as u64)).collect();
        let names: Vec<String> = (0..5).map(|i| format!("l{i}")).collect();
        for (n, m) in names.iter().zip(&mats) {
            crate::data::npy::write_npy_file(&dir.path().join(format!("{n}.npy")), m.as_ref())
                .unwrap();
        }
        let source = FolderSource::open(dir.path()).unwrap();
        let reps: Vec<RepRef<'_>> = names
            .iter()
            .zip(&mats)
            .map(|(n, m)| RepRef {
                name: n,
                x: m.as_ref(),
            })
            .collect();
        for name in ["linear_cka", "linear_regression", "procrustes"] {
            let m = build(name, &Params::new()).unwrap();
            let streamed = pairwise_streaming(
                &source,
                None,
                m.as_ref(),
                &PairwiseOptions::default(),
                &|_| {},
            )
            .unwrap();
            let memory = pairwise(
                &reps,
                None,
                m.as_ref(),
                &PairwiseOptions::default(),
                &|_| {},
            )
            .unwrap();
            for i in 0..5 {
                for j in 0..5 {
                    let (s, t) = (streamed.values[(i, j)], memory.values[(i, j)]);
                    assert!(
                        (s - t).abs() <= 1e-12 * (1.0 + t.abs()),
                        "{name} ({i},{j}): {s} vs {t}"
                    );
                }
            }
        }
    }
}
