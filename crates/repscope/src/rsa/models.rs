//! Weighted model RDMs and their cross-validated evaluation.
//!
//! A weighted model predicts Σₖ θₖ Mₖ from component RDMs Mₖ (e.g. one per
//! feature of a stimulus set). Fitting follows rsatoolbox's `fit_regress_nn`
//! (`model/fitter.py`): the data RDMs are pooled for the comparison method
//! (`cosine`: each scaled to unit root-mean-square; `corr`: each z-scored,
//! components centred), then θ solves the non-negative least-squares
//! problem min ‖Σ θₖ Mₖ − y‖², θ ≥ 0 (Lawson & Hanson 1974, "Solving Least
//! Squares Problems", ch. 23, on the normal equations as Bro & de Jong 1997),
//! and is scaled to unit length (the comparison ignores scale). With full
//! column rank the solution is unique, so any exact NNLS solver agrees.
//! `cosine_cov` and `corr_cov` fit in the whitened space of the comparison
//! (rsatoolbox's `fit_regress` with the RDM covariance V): components
//! (centred for `corr_cov`) and the target map through L with LᵀL = V⁻¹,
//! and the data are pooled each scaled to unit V-norm, as rsatoolbox's
//! `util/pooling.py` pools them. rsatoolbox solves with V by conjugate
//! gradients to 1e-9; repscope solves exactly. With pattern variances
//! (`sigma_k`), L is the whitening of repscope's (and rsatoolbox's vector
//! `sigma_k`) comparison, so the fit maximises the score it is evaluated
//! by; rsatoolbox's fitter, given a matrix, whitens by the exact V⁻¹, a
//! metric its own comparison does not use for a vector. Without
//! `sigma_k` the two are the same.
//!
//! Cross-validation splits the conditions into folds (seeded shuffle): the
//! weights are fitted on the pairs among training conditions and every model
//! is evaluated on the pairs among the held-out conditions (mean comparison
//! over data RDMs), so a flexible model gains nothing from fitting noise.

use rand::seq::SliceRandom;

use super::compare::{CompareMethod, linear_image, prepare, score};
use super::condensed::{n_conditions, pair_index};
use crate::error::{Error, Result};
use crate::rng::seeded;

crate::choice! {
    /// The kinds of model RDM (rsatoolbox's `ModelFixed`, `ModelWeighted`,
    /// `ModelInterpolate`, `ModelSelect`).
    pub enum ModelKind: "model kind" {
        /// One RDM, nothing to fit.
        Fixed = "fixed",
        /// A non-negative weighted sum of component RDMs.
        Weighted = "weighted",
        /// An interpolation between neighbours in a series of RDMs.
        Interpolate = "interpolate",
        /// The best one of several RDMs.
        Select = "select",
    }
}

/// A model RDM: fixed, or flexible over a list of RDMs (fitted by
/// [`fit_model`]; [`super::fitting`] says how).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ModelRdm {
    Fixed(Vec<f64>),
    Weighted(Vec<Vec<f64>>),
    Interpolate(Vec<Vec<f64>>),
    Select(Vec<Vec<f64>>),
}

impl ModelRdm {
    /// A model of `kind` over `rdms` (a fixed model takes the first).
    pub fn of_kind(kind: ModelKind, mut rdms: Vec<Vec<f64>>) -> ModelRdm {
        match kind {
            ModelKind::Fixed => ModelRdm::Fixed(if rdms.is_empty() {
                Vec::new()
            } else {
                rdms.swap_remove(0)
            }),
            ModelKind::Weighted => ModelRdm::Weighted(rdms),
            ModelKind::Interpolate => ModelRdm::Interpolate(rdms),
            ModelKind::Select => ModelRdm::Select(rdms),
        }
    }

    /// The RDMs a flexible model combines (empty for a fixed model).
    pub fn flexible_rdms(&self) -> &[Vec<f64>] {
        match self {
            ModelRdm::Fixed(_) => &[],
            ModelRdm::Weighted(c) | ModelRdm::Interpolate(c) | ModelRdm::Select(c) => c,
        }
    }

    /// Every RDM of the model.
    pub fn all_rdms(&self) -> Vec<&[f64]> {
        match self {
            ModelRdm::Fixed(v) => vec![v.as_slice()],
            other => other.flexible_rdms().iter().map(Vec::as_slice).collect(),
        }
    }
}

/// The parameters of `model` fitted to `data` on the entries `restrict`
/// keeps of the model's RDMs (empty for a fixed model). `entries`: the
/// kept entries need not form a condensed RDM (a bootstrap sample's pairs,
/// copies repeated). Weighted models are non-negative and unit length.
pub(crate) fn fit_model(
    model: &ModelRdm,
    restrict: &dyn Fn(&[f64]) -> Vec<f64>,
    data: &[&[f64]],
    method: CompareMethod,
    entries: bool,
) -> Result<Vec<f64>> {
    let restricted: Vec<Vec<f64>> = model.flexible_rdms().iter().map(|c| restrict(c)).collect();
    let refs: Vec<&[f64]> = restricted.iter().map(Vec::as_slice).collect();
    match model {
        ModelRdm::Fixed(_) => Ok(Vec::new()),
        ModelRdm::Weighted(_)
            if entries && matches!(method, CompareMethod::Cosine | CompareMethod::Corr) =>
        {
            fit_on_entries(&refs, data, method)
        }
        ModelRdm::Weighted(_) => {
            let options = FitOptions {
                nonnegative: true,
                normalize: true,
                sigma_k: None,
            };
            super::fitting::fit_weighted(&refs, data, method, &options)
        }
        ModelRdm::Interpolate(_) => super::fitting::fit_interpolate(&refs, data, method),
        ModelRdm::Select(_) => super::fitting::fit_select(&refs, data, method),
    }
}

fn check_fit_method(method: CompareMethod) -> Result<()> {
    if matches!(
        method,
        CompareMethod::Cosine
            | CompareMethod::Corr
            | CompareMethod::CosineCov
            | CompareMethod::CorrCov
    ) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            measure: "weighted model".into(),
            detail: format!(
                "weights are fitted for 'cosine', 'corr', 'cosine_cov' or 'corr_cov' \
                 comparisons, not '{}'",
                method.name()
            ),
        })
    }
}

/// The data RDMs pooled the way the fit needs for `method`.
fn pooled_target(data: &[&[f64]], method: CompareMethod) -> Vec<f64> {
    let m = data[0].len();
    let mut pooled = vec![0.0; m];
    for v in data {
        let len = v.len() as f64;
        let mean = if method == CompareMethod::Corr {
            v.iter().sum::<f64>() / len
        } else {
            0.0
        };
        let scale = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / len).sqrt();
        if scale > 0.0 {
            pooled
                .iter_mut()
                .zip(v.iter())
                .for_each(|(p, x)| *p += (x - mean) / scale);
        }
    }
    pooled.iter_mut().for_each(|p| *p /= data.len() as f64);
    pooled
}

/// How [`fit_weights_with`] fits.
#[derive(Clone, Copy, Debug)]
pub struct FitOptions<'a> {
    /// Non-negative least squares; ordinary least squares when false.
    pub nonnegative: bool,
    /// Weights scaled to unit length (the comparison ignores scale).
    pub normalize: bool,
    /// One pattern variance per condition, for `cosine_cov`/`corr_cov`
    /// (identity when absent).
    pub sigma_k: Option<&'a [f64]>,
}

/// Fits the weights of `components` to the data RDMs; non-negative unless
/// `nonnegative` is false (then ordinary least squares). Returns unit-length
/// weights (all zero when no positive fit exists).
pub fn fit_weights(
    components: &[&[f64]],
    data: &[&[f64]],
    method: CompareMethod,
    nonnegative: bool,
) -> Result<Vec<f64>> {
    let options = FitOptions {
        nonnegative,
        normalize: true,
        sigma_k: None,
    };
    fit_weights_with(components, data, method, &options)
}

/// [`fit_weights`] with every option.
pub fn fit_weights_with(
    components: &[&[f64]],
    data: &[&[f64]],
    method: CompareMethod,
    options: &FitOptions<'_>,
) -> Result<Vec<f64>> {
    let nonnegative = options.nonnegative;
    check_fit_method(method)?;
    if let (Some(s), Some(first)) = (options.sigma_k, data.first()) {
        let n = n_conditions(first.len())?;
        if s.len() != n {
            return Err(Error::ShapeMismatch {
                what: "sigma_k (one variance per condition)".into(),
                expected: n,
                found: s.len(),
            });
        }
    }
    if components.is_empty() || data.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the component or data RDM list".into(),
        });
    }
    let m = data[0].len();
    n_conditions(m)?;
    if let Some(v) = components.iter().chain(data).find(|v| v.len() != m) {
        return Err(Error::InvalidRdm {
            detail: format!("RDMs of different sizes: {} and {} entries", m, v.len()),
        });
    }
    if components
        .iter()
        .chain(data)
        .any(|v| v.iter().any(|x| !x.is_finite()))
    {
        return Err(Error::InvalidRdm {
            detail: "weighted models need complete, finite RDMs".into(),
        });
    }
    let (y, columns) = if matches!(method, CompareMethod::CosineCov | CompareMethod::CorrCov) {
        whitened_problem(components, data, method, options.sigma_k)?
    } else {
        (pooled_target(data, method), centred_for(components, method))
    };
    solve_fit(&y, &columns, nonnegative, options.normalize)
}

/// Weights of `components` fitted to `data` for `cosine` or `corr` on
/// entries that need not form a condensed RDM (the pairs of a bootstrap
/// sample's training conditions, copies repeated): non-negative, unit
/// length. Vectors must be finite and of one length.
pub(crate) fn fit_on_entries(
    components: &[&[f64]],
    data: &[&[f64]],
    method: CompareMethod,
) -> Result<Vec<f64>> {
    let columns = centred_for(components, method);
    solve_fit(&pooled_target(data, method), &columns, true, true)
}

/// The components as the fit sees them: centred for `corr`.
fn centred_for(components: &[&[f64]], method: CompareMethod) -> Vec<Vec<f64>> {
    components
        .iter()
        .map(|c| {
            let mean = if method == CompareMethod::Corr {
                c.iter().sum::<f64>() / c.len() as f64
            } else {
                0.0
            };
            c.iter().map(|x| x - mean).collect()
        })
        .collect()
}

/// θ of the least-squares problem of `columns` against `y` (non-negative
/// or not), unit length when `normalize` (all zero stays zero).
fn solve_fit(
    y: &[f64],
    columns: &[Vec<f64>],
    nonnegative: bool,
    normalize: bool,
) -> Result<Vec<f64>> {
    let k = columns.len();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, z)| x * z).sum::<f64>();
    let gram: Vec<Vec<f64>> = (0..k)
        .map(|i| (0..k).map(|j| dot(&columns[i], &columns[j])).collect())
        .collect();
    let rhs: Vec<f64> = columns.iter().map(|c| dot(c, y)).collect();
    let theta = if nonnegative {
        nnls_normal(&gram, &rhs)?
    } else {
        solve(&gram, &rhs, &(0..k).collect::<Vec<_>>()).ok_or_else(singular)?
    };
    let norm = theta.iter().map(|t| t * t).sum::<f64>().sqrt();
    Ok(if norm > 0.0 && normalize {
        theta.iter().map(|t| t / norm).collect()
    } else {
        theta
    })
}

/// The target and the components of a `cosine_cov`/`corr_cov` fit, in the
/// comparison's whitened space: each data RDM (centred for `corr_cov`)
/// divided by its V-norm and averaged, then whitened; each component
/// whitened (centred first for `corr_cov`).
fn whitened_problem(
    components: &[&[f64]],
    data: &[&[f64]],
    method: CompareMethod,
    sigma_k: Option<&[f64]>,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)> {
    let m = data[0].len();
    let keep = vec![true; m];
    let image = |v: &[f64]| -> Result<Vec<f64>> {
        Ok(linear_image(v, &keep, method, sigma_k)?.unwrap_or_default())
    };
    let mut pooled = vec![0.0; m];
    for v in data {
        let norm = image(v)?.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm > 0.0 {
            let mean = if method == CompareMethod::CorrCov {
                v.iter().sum::<f64>() / m as f64
            } else {
                0.0
            };
            pooled
                .iter_mut()
                .zip(v.iter())
                .for_each(|(p, x)| *p += (x - mean) / norm);
        }
    }
    pooled.iter_mut().for_each(|p| *p /= data.len() as f64);
    let columns = components.iter().map(|c| image(c)).collect::<Result<_>>()?;
    Ok((image(&pooled)?, columns))
}

fn singular() -> Error {
    Error::InvalidRdm {
        detail: "the component RDMs are linearly dependent (on these pairs); drop a \
                 redundant component"
            .into(),
    }
}

/// Solves the normal equations restricted to `set` (Gaussian elimination
/// with partial pivoting; K is small); zeros elsewhere.
fn solve(gram: &[Vec<f64>], rhs: &[f64], set: &[usize]) -> Option<Vec<f64>> {
    let n = set.len();
    let mut a: Vec<Vec<f64>> = set
        .iter()
        .map(|&i| {
            let mut row: Vec<f64> = set.iter().map(|&j| gram[i][j]).collect();
            row.push(rhs[i]);
            row
        })
        .collect();
    let scale = gram
        .iter()
        .enumerate()
        .map(|(i, r)| r[i].abs())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    for col in 0..n {
        let pivot = (col..n).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        if a[pivot][col].abs() <= 1e-12 * scale {
            return None;
        }
        a.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for row in lower.iter_mut() {
            let f = row[col] / pivot_row[col];
            row.iter_mut()
                .zip(pivot_row)
                .skip(col)
                .for_each(|(r, p)| *r -= f * p);
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (a[row][n] - s) / a[row][row];
    }
    let mut full = vec![0.0; gram.len()];
    set.iter().zip(x).for_each(|(&i, v)| full[i] = v);
    Some(full)
}

/// Lawson–Hanson active-set NNLS on the normal equations G θ = b.
fn nnls_normal(gram: &[Vec<f64>], rhs: &[f64]) -> Result<Vec<f64>> {
    let k = rhs.len();
    let tol = 1e-12
        * rhs
            .iter()
            .map(|v| v.abs())
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
    let mut x = vec![0.0; k];
    let mut passive = vec![false; k];
    for _ in 0..3 * k + 10 {
        // Gradient of ½‖Aθ − y‖² is Gθ − b; w = b − Gθ.
        let w: Vec<f64> = (0..k)
            .map(|i| rhs[i] - (0..k).map(|j| gram[i][j] * x[j]).sum::<f64>())
            .collect();
        let Some(best) = (0..k)
            .filter(|&i| !passive[i] && w[i] > tol)
            .max_by(|&a, &b| w[a].total_cmp(&w[b]))
        else {
            return Ok(x);
        };
        passive[best] = true;
        loop {
            let set: Vec<usize> = (0..k).filter(|&i| passive[i]).collect();
            let s = solve(gram, rhs, &set).ok_or_else(singular)?;
            if set.iter().all(|&i| s[i] > 0.0) {
                x = s;
                break;
            }
            // Step towards s until the first passive weight reaches zero.
            let alpha = set
                .iter()
                .filter(|&&i| s[i] <= 0.0)
                .map(|&i| x[i] / (x[i] - s[i]))
                .fold(f64::INFINITY, f64::min);
            for i in 0..k {
                x[i] += alpha * (s[i] - x[i]);
                if passive[i] && x[i] <= tol {
                    passive[i] = false;
                    x[i] = 0.0;
                }
            }
        }
    }
    Err(Error::internal(
        "non-negative least squares did not converge",
    ))
}

/// The model's RDM for weights `theta` (fixed models ignore them).
pub fn predict(model: &ModelRdm, theta: &[f64]) -> Vec<f64> {
    match model {
        ModelRdm::Fixed(v) => v.clone(),
        flexible => {
            let components = flexible.flexible_rdms();
            let mut out = vec![0.0; components.first().map_or(0, Vec::len)];
            for (c, t) in components.iter().zip(theta) {
                out.iter_mut().zip(c).for_each(|(o, x)| *o += t * x);
            }
            out
        }
    }
}

/// Positions (in the full condensed layout) of the pairs among `conds`
/// (sorted), which form the condensed layout of the sub-RDM.
fn sub_positions(n: usize, conds: &[usize]) -> Vec<usize> {
    let mut out = Vec::new();
    for (a, &i) in conds.iter().enumerate() {
        for &j in &conds[a + 1..] {
            out.push(pair_index(n, i, j));
        }
    }
    out
}

fn restrict(v: &[f64], positions: &[usize]) -> Vec<f64> {
    positions.iter().map(|&p| v[p]).collect()
}

/// Cross-validated evaluations: folds × models, plus the fitted weights of
/// each model per fold.
#[derive(Clone, Debug)]
pub struct Crossval {
    pub evaluations: Vec<Vec<f64>>,
    pub weights: Vec<Vec<Vec<f64>>>,
    pub mean: Vec<f64>,
    pub sem: Vec<f64>,
    /// (lower, upper) noise ceiling of each fold's held-out conditions
    /// (rsatoolbox's `crossval` without a `ceil_set`: the bootstrap-free
    /// noise ceiling of the data restricted to the test conditions); NaN
    /// for a method without a pooling rule.
    pub noise_ceiling: Vec<(f64, f64)>,
    /// The held-out conditions of each fold.
    pub test_conditions: Vec<Vec<usize>>,
}

/// Evaluates models with `k` condition folds (shuffled with `seed`).
pub fn crossvalidate(
    models: &[ModelRdm],
    data: &[&[f64]],
    method: CompareMethod,
    k: usize,
    seed: u64,
) -> Result<Crossval> {
    let m = data
        .first()
        .map(|v| v.len())
        .ok_or_else(|| Error::NoRepresentations {
            what: "the data RDM list".into(),
        })?;
    let n = n_conditions(m)?;
    if models.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the model list".into(),
        });
    }
    if let Some(bad) = models
        .iter()
        .flat_map(ModelRdm::all_rdms)
        .find(|v| v.len() != m)
    {
        return Err(Error::InvalidRdm {
            detail: format!(
                "model and data RDMs of different sizes: {} and {m} dissimilarities",
                bad.len()
            ),
        });
    }
    if models
        .iter()
        .flat_map(ModelRdm::all_rdms)
        .chain(data.iter().copied())
        .any(|v| v.iter().any(|x| !x.is_finite()))
    {
        return Err(Error::InvalidRdm {
            detail: "cross-validation needs complete, finite RDMs (a NaN or infinite \
                     dissimilarity); leave those conditions out, or use rsa_bootstrap_crossval, \
                     which leaves missing pairs out"
                .into(),
        });
    }
    if k < 2 || n / k < 3 {
        return Err(Error::InvalidParameter {
            measure: "rsa_crossval".into(),
            detail: format!(
                "{k} folds of {n} conditions: every fold needs at least 3 conditions and there \
                 must be at least 2 folds"
            ),
        });
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut seeded(seed));
    let mut evaluations = Vec::with_capacity(k);
    let mut weights = Vec::with_capacity(k);
    let mut noise_ceiling = Vec::with_capacity(k);
    let mut test_conditions = Vec::with_capacity(k);
    for fold in 0..k {
        let mut test: Vec<usize> = order.iter().copied().skip(fold).step_by(k).collect();
        test.sort_unstable();
        let train: Vec<usize> = (0..n).filter(|c| test.binary_search(c).is_err()).collect();
        let (test_pos, train_pos) = (sub_positions(n, &test), sub_positions(n, &train));
        let data_train: Vec<Vec<f64>> = data.iter().map(|v| restrict(v, &train_pos)).collect();
        let data_test: Vec<Vec<f64>> = data.iter().map(|v| restrict(v, &test_pos)).collect();
        let keep = vec![true; test_pos.len()];
        let prepared_data = data_test
            .iter()
            .map(|v| prepare(v, &keep, method, None))
            .collect::<Result<Vec<_>>>()?;
        let mut fold_eval = Vec::with_capacity(models.len());
        let mut fold_weights = Vec::with_capacity(models.len());
        for model in models {
            let train_refs: Vec<&[f64]> = data_train.iter().map(Vec::as_slice).collect();
            let theta = fit_model(
                model,
                &|c| restrict(c, &train_pos),
                &train_refs,
                method,
                false,
            )?;
            let predicted = restrict(&predict(model, &theta), &test_pos);
            let pm = prepare(&predicted, &keep, method, None)?;
            let e = prepared_data
                .iter()
                .map(|pd| score(&pm, pd, method))
                .sum::<f64>()
                / data.len() as f64;
            fold_eval.push(e);
            fold_weights.push(theta);
        }
        evaluations.push(fold_eval);
        weights.push(fold_weights);
        test_conditions.push(test.clone());
        let test_refs: Vec<&[f64]> = data_test.iter().map(Vec::as_slice).collect();
        noise_ceiling.push(if test_refs.len() >= 2 {
            super::inference::noise_ceiling(&test_refs, method).unwrap_or((f64::NAN, f64::NAN))
        } else {
            (f64::NAN, f64::NAN)
        });
    }
    let kf = k as f64;
    let mean: Vec<f64> = (0..models.len())
        .map(|j| evaluations.iter().map(|r| r[j]).sum::<f64>() / kf)
        .collect();
    let sem = (0..models.len())
        .map(|j| {
            let var = evaluations
                .iter()
                .map(|r| (r[j] - mean[j]).powi(2))
                .sum::<f64>()
                / (kf - 1.0);
            (var / kf).sqrt()
        })
        .collect();
    Ok(Crossval {
        evaluations,
        weights,
        mean,
        sem,
        noise_ceiling,
        test_conditions,
    })
}

/// The categorical model RDM of condition codes: 0 for a pair in the same
/// category, 1 across (condensed, scipy `pdist` order).
pub fn categorical(codes: &[usize]) -> Vec<f64> {
    let n = codes.len();
    let mut rdm = Vec::with_capacity(n * n.saturating_sub(1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            rdm.push(f64::from(u8::from(codes[i] != codes[j])));
        }
    }
    rdm
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::{RdmMethod, RdmSpec, rdm};
    use crate::testing::gaussian;

    #[test]
    fn nnls_recovers_non_negative_weights_and_clips_negative_ones() {
        let spec = RdmSpec::new(RdmMethod::Euclidean);
        let comps: Vec<Vec<f64>> = (0..3)
            .map(|s| rdm(gaussian(12, 3, s).as_ref(), &spec).unwrap())
            .collect();
        let truth = [0.8, 0.0, 0.6];
        let target = predict(&ModelRdm::Weighted(comps.clone()), &truth);
        let refs: Vec<&[f64]> = comps.iter().map(Vec::as_slice).collect();
        for method in [CompareMethod::Cosine, CompareMethod::Corr] {
            let theta = fit_weights(&refs, &[&target], method, true).unwrap();
            if method == CompareMethod::Cosine {
                for (t, e) in theta.iter().zip(truth) {
                    assert!((t - e).abs() < 1e-10, "{theta:?}");
                }
            }
            assert!(theta.iter().all(|&t| t >= 0.0));
        }
        // A target that wants a negative weight gets 0 there.
        let anti = predict(&ModelRdm::Weighted(comps.clone()), &[1.0, -0.5, 0.0]);
        let theta = fit_weights(&refs, &[&anti], CompareMethod::Cosine, true).unwrap();
        assert_eq!(theta[1], 0.0);
        let free = fit_weights(&refs, &[&anti], CompareMethod::Cosine, false).unwrap();
        assert!(free[1] < 0.0);
    }

    #[test]
    fn crossvalidation_prefers_the_true_weighted_model() {
        let spec = RdmSpec::new(RdmMethod::Euclidean);
        let comps: Vec<Vec<f64>> = (0..2)
            .map(|s| rdm(gaussian(24, 4, s).as_ref(), &spec).unwrap())
            .collect();
        let truth = predict(&ModelRdm::Weighted(comps.clone()), &[0.3, 0.9]);
        let noise: Vec<Vec<f64>> = (0..5)
            .map(|s| {
                let e = gaussian(truth.len(), 1, 100 + s);
                truth
                    .iter()
                    .enumerate()
                    .map(|(i, t)| t + 0.3 * e[(i, 0)])
                    .collect()
            })
            .collect();
        let data: Vec<&[f64]> = noise.iter().map(Vec::as_slice).collect();
        let unrelated = rdm(gaussian(24, 4, 77).as_ref(), &spec).unwrap();
        let models = [
            ModelRdm::Weighted(comps.clone()),
            ModelRdm::Fixed(comps[0].clone()),
            ModelRdm::Fixed(unrelated),
        ];
        let cv = crossvalidate(&models, &data, CompareMethod::Corr, 4, 1).unwrap();
        assert!(
            cv.mean[0] > cv.mean[1] && cv.mean[1] > cv.mean[2],
            "{:?}",
            cv.mean
        );
        assert_eq!(cv.evaluations.len(), 4);
        assert!(crossvalidate(&models, &data, CompareMethod::Corr, 9, 1).is_err());
    }
}
