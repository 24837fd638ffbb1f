//! Group-level sign-flip permutation test with max-statistic correction
//! (Nichols & Holmes 2002, Hum. Brain Mapp. 15(1)).
//!
//! Each subject contributes one value per test (a searchlight map, a time
//! course of model correlations). Under the null hypothesis the values are
//! symmetric around zero, so flipping the sign of a subject's whole map is
//! as likely as not. The statistic is the one-sample t; one draw flips
//! every subject's sign at random (the same flip for all of its tests,
//! which keeps their dependence), and the family-wise corrected p-value of
//! a test compares its t with the maximum t over all tests of each draw.
//!
//! p-values count the observed assignment as one of the draws:
//! p = (1 + #{draws with t* ≥ t}) / (1 + draws), so they are never 0 and
//! the test is exact in level. Tests with a non-finite value in any
//! subject get NaN and take no part in the maximum.

use faer::MatRef;
use rand::Rng;
use rayon::prelude::*;

use super::rng::seeded;
use crate::error::{Error, Result};

/// Which deviations from zero count as evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alternative {
    Greater,
    TwoSided,
}

impl Alternative {
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "greater" => Ok(Alternative::Greater),
            "two-sided" | "two_sided" => Ok(Alternative::TwoSided),
            other => Err(Error::InvalidParameter {
                measure: "sign-flip test".into(),
                detail: format!("unknown alternative '{other}'; known: greater, two-sided"),
            }),
        }
    }
}

/// Per test: the observed t, the uncorrected and the max-corrected p.
#[derive(Clone, Debug)]
pub struct SignFlipResult {
    pub t: Vec<f64>,
    pub p: Vec<f64>,
    pub p_corrected: Vec<f64>,
}

/// The sign-flip test of `values` (subjects × tests) with `n_perm` random
/// draws from `seed`.
pub fn sign_flip_test(
    values: MatRef<'_, f64>,
    n_perm: usize,
    seed: u64,
    alternative: Alternative,
) -> Result<SignFlipResult> {
    let (n, m) = (values.nrows(), values.ncols());
    if n < 2 || m == 0 {
        return Err(Error::Invalid {
            what: "sign-flip test".into(),
            detail: format!("needs at least 2 subjects and 1 test, got {n} × {m}"),
        });
    }
    if n_perm == 0 {
        return Err(Error::InvalidParameter {
            measure: "sign-flip test".into(),
            detail: "needs at least 1 permutation".into(),
        });
    }
    let valid: Vec<bool> = (0..m)
        .map(|j| values.col(j).iter().all(|v| v.is_finite()))
        .collect();
    // Σx² is the same under every flip: only the mean changes.
    let sum_sq: Vec<f64> = (0..m)
        .map(|j| values.col(j).iter().map(|v| v * v).sum())
        .collect();
    let statistic = |signs: &[f64]| -> Vec<f64> {
        (0..m)
            .map(|j| {
                if !valid[j] {
                    return f64::NAN;
                }
                let mean = values
                    .col(j)
                    .iter()
                    .zip(signs)
                    .map(|(v, s)| v * s)
                    .sum::<f64>()
                    / n as f64;
                let var = ((sum_sq[j] - n as f64 * mean * mean) / (n as f64 - 1.0)).max(0.0);
                let t = if var > 0.0 {
                    mean / (var / n as f64).sqrt()
                } else if mean == 0.0 {
                    0.0
                } else {
                    mean.signum() * f64::INFINITY
                };
                match alternative {
                    Alternative::Greater => t,
                    Alternative::TwoSided => t.abs(),
                }
            })
            .collect()
    };
    let observed = statistic(&vec![1.0; n]);
    // All draws come from one sequential stream: the same seed gives the
    // same p-values on any number of threads.
    let mut rng = seeded(seed);
    let draws: Vec<Vec<f64>> = (0..n_perm)
        .map(|_| {
            (0..n)
                .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
                .collect()
        })
        .collect();
    let (exceed, exceed_max) = draws
        .par_iter()
        .map(|signs| {
            let t = statistic(signs);
            let max = t
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .fold(f64::NEG_INFINITY, f64::max);
            let exceed: Vec<usize> = t
                .iter()
                .zip(&observed)
                .map(|(tp, to)| usize::from(tp >= to))
                .collect();
            let exceed_max: Vec<usize> =
                observed.iter().map(|to| usize::from(max >= *to)).collect();
            (exceed, exceed_max)
        })
        .reduce(
            || (vec![0; m], vec![0; m]),
            |(mut a, mut b), (c, d)| {
                a.iter_mut().zip(c).for_each(|(x, y)| *x += y);
                b.iter_mut().zip(d).for_each(|(x, y)| *x += y);
                (a, b)
            },
        );
    let p_of = |count: &[usize]| -> Vec<f64> {
        count
            .iter()
            .zip(&valid)
            .map(|(&c, &ok)| {
                if ok {
                    (1 + c) as f64 / (1 + n_perm) as f64
                } else {
                    f64::NAN
                }
            })
            .collect()
    };
    let t = match alternative {
        // Report the signed t, whichever statistic was tested.
        Alternative::TwoSided => statistic_signed(values, &valid, &sum_sq),
        Alternative::Greater => observed,
    };
    Ok(SignFlipResult {
        t,
        p: p_of(&exceed),
        p_corrected: p_of(&exceed_max),
    })
}

fn statistic_signed(values: MatRef<'_, f64>, valid: &[bool], sum_sq: &[f64]) -> Vec<f64> {
    let n = values.nrows() as f64;
    (0..values.ncols())
        .map(|j| {
            if !valid[j] {
                return f64::NAN;
            }
            let mean = values.col(j).iter().sum::<f64>() / n;
            let var = ((sum_sq[j] - n * mean * mean) / (n - 1.0)).max(0.0);
            if var > 0.0 {
                mean / (var / n).sqrt()
            } else if mean == 0.0 {
                0.0
            } else {
                mean.signum() * f64::INFINITY
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gaussian;

    #[test]
    fn a_real_effect_is_found_and_the_seed_fixes_the_result() {
        let mut x = gaussian(12, 30, 5);
        for i in 0..12 {
            x[(i, 7)] += 2.0;
        }
        let r = sign_flip_test(x.as_ref(), 500, 1, Alternative::Greater).unwrap();
        assert!(r.p_corrected[7] < 0.01, "{}", r.p_corrected[7]);
        assert!(r.p_corrected.iter().zip(&r.p).all(|(c, p)| c >= p));
        let again = sign_flip_test(x.as_ref(), 500, 1, Alternative::Greater).unwrap();
        assert_eq!(r.p_corrected, again.p_corrected);
        let two = sign_flip_test(x.as_ref(), 500, 1, Alternative::TwoSided).unwrap();
        assert!(two.t[7] > 3.0 && two.p[7] < 0.01);
        x[(3, 2)] = f64::NAN;
        let r = sign_flip_test(x.as_ref(), 100, 1, Alternative::Greater).unwrap();
        assert!(r.p[2].is_nan() && r.t[2].is_nan() && r.p[7].is_finite());
    }
}
