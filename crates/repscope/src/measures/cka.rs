//! Centered kernel alignment with a linear kernel, plain and debiased.
//!
//! Kornblith, Norouzi, Lee & Hinton (2019), "Similarity of Neural Network
//! Representations Revisited", ICML, eq. (3)–(4): with column-centred X (n×p)
//! and Y (n×q), K = XXᵀ and L = YYᵀ,
//!
//! ```text
//! linear CKA = tr(KL) / sqrt(tr(KK) tr(LL)) = ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)
//! ```
//!
//! The debiased variant replaces each HSIC by the unbiased estimator of
//! Song et al. (2012), "Feature Selection via Dependence Maximization", JMLR
//! 13, eq. (5) (U-centring of the Gram matrices). Written with the centred
//! features it needs only tr(KL), diag(K) and tr(K):
//!
//! ```text
//! HSIC₁(K, L) ∝ tr(KL) − n/(n−2) · diag(K)·diag(L) + tr(K) tr(L) / ((n−1)(n−2))
//! ```
//!
//! (the common factor 1/(n(n−3)) cancels in the ratio).
//!
//! Each representation is prepared in one of two forms (see [`Form`]):
//! its centred features (n × p), or its centred Gram matrix K = XXᵀ (n × n,
//! stored packed). With features, tr(KL) of a pair is a p × q product,
//! O(n p q); with Gram matrices it is an n × n inner product, O(n²), and
//! many pairs share one pass over memory ([`block_dots`]). Computing K costs
//! O(n² p) once per representation, which pays off when p ≥ n, or when a
//! representation meets many partners in a pairwise job: "prepare once,
//! score many" (see [`FormPolicy::Auto`]).

use super::Footprint;
use faer::Par;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat};

use super::params::choice_param;
use super::{Invariance, Kind, Measure, MeasureInfo, Params, PrepareContext, is_permutation};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::packed::{PackedSymmetric, block_dots};
use crate::linalg::{
    center_columns, cross_product, frobenius_dot, gather_rows, lower_cross_product, lower_gram,
    sum_of_squares, symmetric_sum_of_squares,
};

crate::choice! {
/// Which prepared form to use.
pub enum FormPolicy: "CKA form" {
    /// The cheaper form for the job: the Gram matrix when p ≥ n, or when it
    /// is predicted faster for m partners and its packed storage (4 n²
    /// bytes) stays within [`GRAM_BUDGET_BYTES`]; features otherwise.
    ///
    /// Per representation, features cost m · n p² / 2 multiply-adds in
    /// full GEMMs (its share of the pairs); the Gram form costs n² p / 2 in a
    /// triangular product plus m · n² / 2 in inner products. Measured on
    /// x86-64 (faer 0.24), a triangular-product multiply-add costs about
    /// [`GRAM_PRODUCT_COST`] full-GEMM ones and an inner-product one about
    /// [`INNER_PRODUCT_COST`], so the Gram form is chosen when
    /// n (c₁ p + c₂ m) < m p².
    Auto = "auto",
    /// Always the centred features.
    Features = "features",
    /// Always the centred Gram matrix.
    Gram = "gram",
}
}

// The enum is written by `choice!`, which does not take `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for FormPolicy {
    fn default() -> Self {
        FormPolicy::Auto
    }
}

/// The most memory one packed Gram matrix may take under [`FormPolicy::Auto`]
/// when the features form is also possible (p < n).
pub const GRAM_BUDGET_BYTES: usize = 1 << 30;

/// Relative cost of a multiply-add in the triangular Gram product (with
/// packing) against one in a full GEMM (c₁ in [`FormPolicy::Auto`]).
pub const GRAM_PRODUCT_COST: f64 = 3.0;

/// Relative cost of a multiply-add in the packed inner products against one
/// in a full GEMM (c₂ in [`FormPolicy::Auto`]).
pub const INNER_PRODUCT_COST: f64 = 15.0;

impl FormPolicy {
    fn from_params(measure: &str, params: &Params) -> Result<Self> {
        choice_param(params, measure, "form", Self::Auto)
    }

    fn use_gram(self, n: usize, p: usize, partners: usize) -> bool {
        match self {
            Self::Features => false,
            Self::Gram => true,
            Self::Auto => {
                if p >= n {
                    return true;
                }
                let fits = n.saturating_mul(n).saturating_mul(4) <= GRAM_BUDGET_BYTES;
                let (n, p, m) = (n as f64, p as f64, partners.max(1) as f64);
                fits && n * (GRAM_PRODUCT_COST * p + INNER_PRODUCT_COST * m) < m * p * p
            }
        }
    }
}

/// Linear CKA (Kornblith et al. 2019).
#[derive(Clone, Debug, Default)]
pub struct LinearCka {
    pub form: FormPolicy,
}

/// Debiased linear CKA (unbiased HSIC of Song et al. 2012).
#[derive(Clone, Debug, Default)]
pub struct DebiasedCka {
    pub form: FormPolicy,
}

impl LinearCka {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        Ok(Self {
            form: FormPolicy::from_params(LINEAR_CKA_INFO.name, params)?,
        })
    }
}

impl DebiasedCka {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        Ok(Self {
            form: FormPolicy::from_params(DEBIASED_CKA_INFO.name, params)?,
        })
    }
}

const INVARIANCES: &[Invariance] = &[
    Invariance::Permutation,
    Invariance::Orthogonal,
    Invariance::IsotropicScaling,
    Invariance::Translation,
];

pub(crate) const LINEAR_CKA_INFO: MeasureInfo = MeasureInfo {
    name: "linear_cka",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: INVARIANCES,
    summary: "centered kernel alignment with a linear kernel, in [0, 1]",
    reference: "Kornblith et al. 2019, ICML, eq. (3)-(4)",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d² per pair) as features, O(n²·d + n² per pair) as Gram matrices",
};

pub(crate) const DEBIASED_CKA_INFO: MeasureInfo = MeasureInfo {
    name: "debiased_cka",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: INVARIANCES,
    summary: "linear CKA from unbiased (U-centred) HSIC estimates; can be negative",
    reference: "Kornblith et al. 2019 (debiased=True); Song et al. 2012, JMLR 13, eq. (5)",
    range: None,
    identical: Some(1.0),
    cost: "O(n²·d) to prepare, O(n²) per pair",
};

/// The shared prepared state: one centred representation.
pub struct Centered {
    name: String,
    form: Form,
    /// tr(KK) = ‖XᵀX‖²_F.
    self_dot: f64,
    /// diag(K): squared norms of the centred rows.
    diag: Vec<f64>,
    /// tr(K) = ‖X‖²_F.
    trace: f64,
}

/// The two prepared forms.
pub enum Form {
    /// Centred features, n × p.
    Features(Mat<f64>),
    /// Centred Gram matrix K = XXᵀ, packed lower triangle.
    Gram(PackedSymmetric),
}

impl Centered {
    fn new(x: RepRef<'_>, measure: &str, ctx: &PrepareContext, policy: FormPolicy) -> Result<Self> {
        let (n, p) = (x.x.nrows(), x.x.ncols());
        let centred = center_columns(x.x);
        let diag: Vec<f64> = (0..n)
            .map(|i| centred.row(i).iter().map(|v| v * v).sum())
            .collect();
        let trace = diag.iter().sum();
        let (form, self_dot) = if policy.use_gram(n, p, ctx.partners) {
            let k = PackedSymmetric::from_lower(lower_gram(centred.as_ref(), ctx.par).as_ref());
            let self_dot = k.dot(&k);
            (Form::Gram(k), self_dot)
        } else {
            let xtx = lower_cross_product(centred.as_ref(), ctx.par);
            (
                Form::Features(centred),
                symmetric_sum_of_squares(xtx.as_ref()),
            )
        };
        Self::checked(x.name.to_string(), measure, form, self_dot, diag, trace)
    }

    fn checked(
        name: String,
        measure: &str,
        form: Form,
        self_dot: f64,
        diag: Vec<f64>,
        trace: f64,
    ) -> Result<Self> {
        if self_dot == 0.0 {
            return Err(Error::Undefined {
                measure: measure.into(),
                array: name,
                detail: "every unit is constant across stimuli (zero variance after centring); \
                         drop this representation or check how it was extracted"
                    .into(),
            });
        }
        Ok(Self {
            name,
            form,
            self_dot,
            diag,
            trace,
        })
    }

    /// The state of the rows `rows` without the raw data, where that saves
    /// work: a Gram matrix is selected and double-centred again (O(n²)
    /// instead of O(n² p)), since the drawn rows' uncentred Gram is the
    /// selection up to terms 1vᵀ + v1ᵀ + c that centring removes; features
    /// are only reordered, for a permutation (a bootstrap draw changes XᵀX,
    /// which costs as much as preparing again).
    fn resample(&self, rows: &[usize], measure: &str) -> Option<Result<Self>> {
        match &self.form {
            // A permutation of a double-centred matrix is double-centred,
            // with the same norm and trace: only the selection is needed
            // (a permutation test's whole cost per pair is then O(n²)).
            Form::Gram(k) if is_permutation(rows, k.n()) => Some(Ok(Self {
                name: self.name.clone(),
                form: Form::Gram(k.select(rows)),
                self_dot: self.self_dot,
                diag: rows.iter().map(|&r| self.diag[r]).collect(),
                trace: self.trace,
            })),
            Form::Gram(k) => {
                let mut k = k.select(rows);
                k.double_centre();
                let diag = k.diagonal();
                let trace = diag.iter().sum();
                let self_dot = k.dot(&k);
                Some(Self::checked(
                    self.name.clone(),
                    measure,
                    Form::Gram(k),
                    self_dot,
                    diag,
                    trace,
                ))
            }
            Form::Features(x) if is_permutation(rows, x.nrows()) => Some(Ok(Self {
                name: self.name.clone(),
                form: Form::Features(gather_rows(x.as_ref(), rows)),
                self_dot: self.self_dot,
                diag: rows.iter().map(|&r| self.diag[r]).collect(),
                trace: self.trace,
            })),
            Form::Features(_) => None,
        }
    }

    fn n(&self) -> usize {
        self.diag.len()
    }

    /// The prepared form.
    pub fn form(&self) -> &Form {
        &self.form
    }

    /// Orders a pair canonically so that tr(KL) is computed with the same
    /// operations (and rounding) whichever way round the pair is given.
    fn canonical<'a>(a: &'a Self, b: &'a Self) -> (&'a Self, &'a Self) {
        let key = |c: &Self| {
            let (tag, width) = match &c.form {
                Form::Features(x) => (0u8, x.ncols()),
                Form::Gram(_) => (1u8, 0),
            };
            (tag, width, c.self_dot.to_bits(), c.trace.to_bits())
        };
        if key(a) <= key(b) { (a, b) } else { (b, a) }
    }

    /// tr(K_a K_b), the unnormalised linear HSIC of the pair.
    fn trace_of_product(a: &Self, b: &Self, par: Par) -> f64 {
        if std::ptr::eq(a, b) {
            return a.self_dot;
        }
        let (a, b) = Self::canonical(a, b);
        match (&a.form, &b.form) {
            (Form::Features(x), Form::Features(y)) => {
                sum_of_squares(cross_product(x.as_ref(), y.as_ref(), par).as_ref())
            }
            (Form::Gram(k), Form::Gram(l)) => k.dot(l),
            (Form::Features(x), Form::Gram(l)) | (Form::Gram(l), Form::Features(x)) => {
                let mut lx = Mat::zeros(x.nrows(), x.ncols());
                matmul(
                    lx.as_mut(),
                    Accum::Replace,
                    l.to_full().as_ref(),
                    x.as_ref(),
                    1.0,
                    par,
                );
                frobenius_dot(lx.as_ref(), x.as_ref())
            }
        }
    }

    /// tr(K_a K_b) for many pairs at once when every state is a Gram
    /// matrix (bit-identical to [`Centered::trace_of_product`]).
    fn block_traces(
        a: &[&Self],
        b: &[&Self],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Option<Vec<f64>> {
        fn grams<'a>(list: &[&'a Centered]) -> Option<Vec<&'a PackedSymmetric>> {
            list.iter()
                .map(|c| match &c.form {
                    Form::Gram(k) => Some(k),
                    Form::Features(_) => None,
                })
                .collect()
        }
        let (ga, gb) = (grams(a)?, grams(b)?);
        if ga.iter().chain(&gb).any(|k| k.n() != ga[0].n()) {
            return None; // let the per-pair path report the mismatch
        }
        Some(block_dots(&ga, &gb, pairs, par))
    }

    /// The debiased HSIC estimate (up to the factor 1/(n(n−3))), given tr(KL).
    fn unbiased_hsic(a: &Self, b: &Self, trace_kl: f64) -> f64 {
        let (a, b) = Self::canonical(a, b);
        let n = a.n() as f64;
        let diag_dot: f64 = a.diag.iter().zip(&b.diag).map(|(x, y)| x * y).sum();
        trace_kl - n / (n - 2.0) * diag_dot + a.trace * b.trace / ((n - 1.0) * (n - 2.0))
    }
}

fn check_same_n(a: &Centered, b: &Centered) -> Result<()> {
    if a.n() != b.n() {
        return Err(Error::StimulusMismatch {
            a: a.name.clone(),
            a_rows: a.n(),
            b: b.name.clone(),
            b_rows: b.n(),
        });
    }
    Ok(())
}

fn linear_from_trace(a: &Centered, b: &Centered, trace_kl: f64) -> f64 {
    trace_kl / (a.self_dot.sqrt() * b.self_dot.sqrt())
}

/// What linear CKA (plain or debiased) holds and does, in the form it
/// prepares: the centred features, or the full n × n Gram then its packed
/// copy, whose pairs are dotted in blocks.
fn cka_footprint(gram: bool, n: usize, d: usize) -> Footprint {
    let (n, d) = (n as f64, d as f64);
    if gram {
        Footprint {
            kept: n * (n + 1.0) / 2.0 + n,
            prepare: n * d + n * n,
            score: 0.0,
            prepare_flops: n * n * d,
            score_flops: n * n,
            block_scored: true,
        }
    } else {
        Footprint {
            kept: n * d + n,
            prepare: d * d,
            score: d * d,
            prepare_flops: n * d * d,
            score_flops: 2.0 * n * d * d,
            block_scored: false,
        }
    }
}

impl Measure for LinearCka {
    type Prepared = Centered;

    fn footprint(&self, n: usize, d: usize, partners: usize) -> Footprint {
        cka_footprint(self.form.use_gram(n, d, partners), n, d)
    }

    fn info(&self) -> &MeasureInfo {
        &LINEAR_CKA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<Centered> {
        Centered::new(x, LINEAR_CKA_INFO.name, ctx, self.form)
    }

    fn resample(&self, prepared: &Centered, rows: &[usize]) -> Option<Result<Centered>> {
        prepared.resample(rows, LINEAR_CKA_INFO.name)
    }

    fn score(&self, a: &Centered, b: &Centered, par: Par) -> Result<f64> {
        check_same_n(a, b)?;
        Ok(linear_from_trace(
            a,
            b,
            Centered::trace_of_product(a, b, par),
        ))
    }

    fn score_block(
        &self,
        a: &[&Centered],
        b: &[&Centered],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Option<Result<Vec<f64>>> {
        let traces = Centered::block_traces(a, b, pairs, par)?;
        Some(Ok(pairs
            .iter()
            .zip(traces)
            .map(|(&(i, j), t)| linear_from_trace(a[i], b[j], t))
            .collect()))
    }
}

/// Per-representation state of debiased CKA: the centred representation
/// and its own unbiased HSIC.
pub struct DebiasedPrepared {
    centered: Centered,
    self_hsic: f64,
}

impl DebiasedPrepared {
    fn new(centered: Centered) -> Result<Self> {
        let self_hsic = Centered::unbiased_hsic(&centered, &centered, centered.self_dot);
        if self_hsic <= 0.0 {
            return Err(Error::Undefined {
                measure: DEBIASED_CKA_INFO.name.into(),
                array: centered.name.clone(),
                detail: format!(
                    "its unbiased HSIC with itself is {self_hsic:e}, not positive (too few \
                     stimuli, or rows of equal norm around a common centre); use linear_cka"
                ),
            });
        }
        Ok(Self {
            centered,
            self_hsic,
        })
    }
}

fn debiased_from_trace(a: &DebiasedPrepared, b: &DebiasedPrepared, trace_kl: f64) -> f64 {
    let hsic = if std::ptr::eq(a, b) {
        a.self_hsic
    } else {
        Centered::unbiased_hsic(&a.centered, &b.centered, trace_kl)
    };
    hsic / (a.self_hsic.sqrt() * b.self_hsic.sqrt())
}

impl Measure for DebiasedCka {
    type Prepared = DebiasedPrepared;

    fn footprint(&self, n: usize, d: usize, partners: usize) -> Footprint {
        cka_footprint(self.form.use_gram(n, d, partners), n, d)
    }

    fn info(&self) -> &MeasureInfo {
        &DEBIASED_CKA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<DebiasedPrepared> {
        if x.x.nrows() < 4 {
            return Err(Error::Undefined {
                measure: DEBIASED_CKA_INFO.name.into(),
                array: x.name.into(),
                detail: format!(
                    "it has {} stimuli but the unbiased HSIC estimator needs at least 4",
                    x.x.nrows()
                ),
            });
        }
        DebiasedPrepared::new(Centered::new(x, DEBIASED_CKA_INFO.name, ctx, self.form)?)
    }

    fn resample(
        &self,
        prepared: &DebiasedPrepared,
        rows: &[usize],
    ) -> Option<Result<DebiasedPrepared>> {
        let centered = prepared.centered.resample(rows, DEBIASED_CKA_INFO.name)?;
        Some(centered.and_then(DebiasedPrepared::new))
    }

    fn score(&self, a: &DebiasedPrepared, b: &DebiasedPrepared, par: Par) -> Result<f64> {
        check_same_n(&a.centered, &b.centered)?;
        let trace_kl = Centered::trace_of_product(&a.centered, &b.centered, par);
        Ok(debiased_from_trace(a, b, trace_kl))
    }

    fn score_block(
        &self,
        a: &[&DebiasedPrepared],
        b: &[&DebiasedPrepared],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Option<Result<Vec<f64>>> {
        let ca: Vec<&Centered> = a.iter().map(|p| &p.centered).collect();
        let cb: Vec<&Centered> = b.iter().map(|p| &p.centered).collect();
        let traces = Centered::block_traces(&ca, &cb, pairs, par)?;
        Some(Ok(pairs
            .iter()
            .zip(traces)
            .map(|(&(i, j), t)| debiased_from_trace(a[i], b[j], t))
            .collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::similarity;
    use crate::testing::{gaussian, rotation};

    fn rep<'a>(name: &'a str, x: &'a Mat<f64>) -> RepRef<'a> {
        RepRef {
            name,
            x: x.as_ref(),
        }
    }

    /// Linear CKA straight from its Gram-matrix definition: H K H and H L H.
    fn gram_form_cka(x: &Mat<f64>, y: &Mat<f64>) -> f64 {
        let n = x.nrows();
        let h = Mat::from_fn(n, n, |i, j| f64::from(u8::from(i == j)) - 1.0 / n as f64);
        let hkh = |m: &Mat<f64>| &h * (m * m.transpose()) * &h;
        let (k, l) = (hkh(x), hkh(y));
        frobenius_dot(k.as_ref(), l.as_ref())
            / (sum_of_squares(k.as_ref()).sqrt() * sum_of_squares(l.as_ref()).sqrt())
    }

    /// Debiased CKA from explicitly U-centred Gram matrices (Song et al. 2012).
    fn u_centred_cka(x: &Mat<f64>, y: &Mat<f64>) -> f64 {
        let n = x.nrows();
        let u_centre = |m: &Mat<f64>| {
            let mut k = m * m.transpose();
            for i in 0..n {
                k[(i, i)] = 0.0;
            }
            let row: Vec<f64> = (0..n).map(|i| k.row(i).iter().sum()).collect();
            let total: f64 = row.iter().sum();
            let nf = n as f64;
            Mat::from_fn(n, n, |i, j| {
                if i == j {
                    0.0
                } else {
                    k[(i, j)] - row[i] / (nf - 2.0) - row[j] / (nf - 2.0)
                        + total / ((nf - 1.0) * (nf - 2.0))
                }
            })
        };
        let (k, l) = (u_centre(x), u_centre(y));
        frobenius_dot(k.as_ref(), l.as_ref())
            / (frobenius_dot(k.as_ref(), k.as_ref()).sqrt()
                * frobenius_dot(l.as_ref(), l.as_ref()).sqrt())
    }

    fn related_pair(n: usize, p: usize, q: usize, seed: u64) -> (Mat<f64>, Mat<f64>) {
        let x = gaussian(n, p, seed);
        let w = gaussian(p, q, seed + 1);
        let noise = gaussian(n, q, seed + 2);
        let y = &x * &w + noise * 3.0;
        (x, y)
    }

    fn assert_close(a: f64, b: f64, rel: f64) {
        assert!(
            (a - b).abs() <= rel * b.abs().max(1e-300),
            "{a} vs {b} (relative error {:e})",
            (a - b).abs() / b.abs()
        );
    }

    #[test]
    fn linear_cka_matches_gram_definition_in_every_form() {
        // (n, p, q): feature × feature, gram × gram, and the mixed case.
        for (n, p, q) in [(60, 8, 12), (20, 30, 45), (40, 10, 55)] {
            let (x, y) = related_pair(n, p, q, 7);
            let expected = gram_form_cka(&x, &y);
            for form in [FormPolicy::Auto, FormPolicy::Features, FormPolicy::Gram] {
                let m = LinearCka { form };
                let ours = similarity(rep("x", &x), rep("y", &y), &m).unwrap();
                assert_close(ours, expected, 1e-12);
                let swapped = similarity(rep("y", &y), rep("x", &x), &m).unwrap();
                assert_eq!(ours.to_bits(), swapped.to_bits(), "not symmetric bitwise");
            }
        }
    }

    #[test]
    fn debiased_cka_matches_u_centred_gram_formula() {
        for (n, p, q) in [(50, 6, 9), (15, 20, 40), (30, 5, 60)] {
            let (x, y) = related_pair(n, p, q, 11);
            for form in [FormPolicy::Features, FormPolicy::Gram] {
                let ours = similarity(rep("x", &x), rep("y", &y), &DebiasedCka { form }).unwrap();
                assert_close(ours, u_centred_cka(&x, &y), 1e-10);
            }
        }
    }

    #[test]
    fn cka_of_a_representation_with_itself_is_one() {
        let x = gaussian(30, 5, 3);
        for m in [
            &LinearCka::default() as &dyn crate::measures::AnyMeasure,
            &DebiasedCka::default(),
        ] {
            let v = similarity(rep("x", &x), rep("x", &x), m).unwrap();
            assert_close(v, 1.0, 1e-14);
        }
    }

    #[test]
    fn constant_representation_is_a_clear_error() {
        let x = Mat::from_fn(10, 3, |_, j| j as f64);
        let y = gaussian(10, 3, 1);
        let e = similarity(rep("flat", &x), rep("y", &y), &LinearCka::default()).unwrap_err();
        assert!(e.to_string().contains("'flat'"), "{e}");
        let e = similarity(
            rep("tiny", &y.subrows(0, 3).to_owned()),
            rep("t", &y.subrows(0, 3).to_owned()),
            &DebiasedCka::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("at least 4"), "{e}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        #[test]
        fn invariant_to_rotation_scaling_and_translation(
            seed in 0u64..1000, scale in 0.01f64..100.0, shift in -50.0f64..50.0,
            n in 8usize..40, p in 2usize..12, q in 2usize..50,
        ) {
            let (x, y) = related_pair(n, p, q, seed);
            let q_rot = rotation(q, seed + 5);
            let y2 = Mat::from_fn(n, q, |i, j| (&y * &q_rot)[(i, j)] * scale + shift);
            for m in [&LinearCka::default() as &dyn crate::measures::AnyMeasure, &DebiasedCka::default()] {
                let a = similarity(rep("x", &x), rep("y", &y), m).unwrap();
                let b = similarity(rep("x", &x), rep("y2", &y2), m).unwrap();
                proptest::prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1e-3), "{} vs {}", a, b);
            }
        }
    }
}
