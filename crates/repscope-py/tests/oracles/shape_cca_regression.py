# Test oracle: numpy/scipy implementations written from the papers' definitions
# (repscope's own code, used to cross-check the Rust measures).
"""Reference (oracle) implementations of representational-similarity measures.

Written from the mathematical definitions pinned down in measures_A.md.
Only numpy + scipy are used.  Conventions everywhere:

    X : (n, p) array, Y : (n, q) array, rows = the same n stimuli.

Every function documents whether it returns a similarity or a distance.
Functions whose name ends in ``_google`` / ``_resi`` / ``_netrep`` reproduce the
(sometimes non-textbook) arithmetic of that public implementation, so that a
port can be checked bit-for-bit (to ~1e-12) against numbers that those
implementations would produce; the unsuffixed functions are the clean
mathematical definitions.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

# ----------------------------------------------------------------------------
# small helpers
# ----------------------------------------------------------------------------


def center(X):
    """Subtract the column means (centre every unit over the stimuli)."""
    X = np.asarray(X, dtype=float)
    return X - X.mean(axis=0, keepdims=True)


def zero_pad(X, Y):
    """Append zero columns to the narrower matrix so both have max(p, q) columns."""
    p, q = X.shape[1], Y.shape[1]
    w = max(p, q)
    if p < w:
        X = np.hstack([X, np.zeros((X.shape[0], w - p))])
    if q < w:
        Y = np.hstack([Y, np.zeros((Y.shape[0], w - q))])
    return X, Y


def orth_basis(A, rtol=None):
    """Orthonormal basis (n x r) of the column space of A via a rank-revealing SVD.

    r = number of singular values > rtol * s_max, rtol defaults to
    max(n, p) * machine-eps (numpy.linalg.matrix_rank convention).
    """
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return U[:, :0]
    if rtol is None:
        rtol = max(A.shape) * np.finfo(float).eps
    r = int(np.sum(s > rtol * s[0]))
    return U[:, :r]


def nuclear_norm(A):
    return float(np.sum(np.linalg.svd(A, compute_uv=False)))


# ----------------------------------------------------------------------------
# 1. netrep-style generalized shape metrics
# ----------------------------------------------------------------------------


def netrep_partial_whiten(Xc, alpha, eigval_tol=1e-7, preserve_variance=True):
    """netrep partial whitening of an (already centred, already padded) matrix.

    Z = c * V diag(alpha + (1 - alpha) * lam^{-1/2}) V^T  where
    X^T X = V diag(lam) V^T (NOT divided by n), lam clipped below at eigval_tol,
    and c (if preserve_variance) = sqrt(sum(lam) / sum(lam * d^2)) with the
    *clipped* lam.  alpha > 1 - eigval_tol returns Z = I (no whitening).
    Returns (Xc @ Z, Z).
    """
    p = Xc.shape[1]
    if alpha > 1.0 - eigval_tol:
        return Xc, np.eye(p)
    lam, V = np.linalg.eigh(Xc.T @ Xc)
    lam = np.maximum(lam, eigval_tol)
    d = alpha + (1.0 - alpha) / np.sqrt(lam)
    if preserve_variance:
        d = d * np.sqrt(lam.sum() / np.sum(lam * d * d))
    Z = (V * d) @ V.T
    return Xc @ Z, Z


def netrep_linear_metric(X, Y, alpha=1.0, center_columns=True, pad=True,
                         score_method="angular"):
    """netrep LinearMetric(alpha, center_columns, zero_pad, score_method).fit_score(X, Y).

    DISTANCE.  angular in [0, pi]; euclidean >= 0 (units of the data).
    """
    X = np.asarray(X, float)
    Y = np.asarray(Y, float)
    if X.shape[1] != Y.shape[1]:
        if not pad:
            raise ValueError("unequal widths and pad=False")
        X, Y = zero_pad(X, Y)
    if center_columns:
        X, Y = center(X), center(Y)
    Xw, _ = netrep_partial_whiten(X, alpha)
    Yw, _ = netrep_partial_whiten(Y, alpha)
    U, _, Vt = np.linalg.svd(Xw.T @ Yw)
    A = Xw @ U
    B = Yw @ Vt.T
    if score_method == "angular":
        c = np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B))
        return float(np.arccos(np.clip(c, -1.0, 1.0)))
    elif score_method == "euclidean":
        return float(np.linalg.norm(A - B))
    raise ValueError(score_method)


def shape_angular(X, Y, center_columns=True):
    """Procrustes angular shape distance arccos(||Xc^T Yc||_* / (||Xc|| ||Yc||)).

    = netrep LinearMetric(alpha=1, angular) = ReSi OrthogonalAngularShapeMetricCentered.
    DISTANCE in [0, pi/2] (nuclear norm is >= 0).
    """
    X, Y = zero_pad(np.asarray(X, float), np.asarray(Y, float))
    if center_columns:
        X, Y = center(X), center(Y)
    c = nuclear_norm(X.T @ Y) / (np.linalg.norm(X) * np.linalg.norm(Y))
    return float(np.arccos(np.clip(c, -1.0, 1.0)))


def procrustes_size_and_shape(X, Y, center_columns=True):
    """sqrt(||Xc||_F^2 + ||Yc||_F^2 - 2 ||Xc^T Yc||_*)  (min over orthogonal Q of ||Xc Q - Yc||_F).

    = netrep LinearMetric(alpha=1, euclidean) = ReSi ProcrustesSizeAndShapeDistance.
    DISTANCE >= 0.
    """
    X, Y = zero_pad(np.asarray(X, float), np.asarray(Y, float))
    if center_columns:
        X, Y = center(X), center(Y)
    d2 = np.sum(X * X) + np.sum(Y * Y) - 2.0 * nuclear_norm(X.T @ Y)
    return float(np.sqrt(max(d2, 0.0)))


def procrustes_centered_normalized(X, Y):
    """Ding et al. / ReSi OrthogonalProcrustesCenteredAndNormalized:
    sqrt(2 - 2 ||Xh^T Yh||_*) with Xh = Xc / ||Xc||_F.  DISTANCE in [0, sqrt(2)]."""
    X, Y = zero_pad(np.asarray(X, float), np.asarray(Y, float))
    X, Y = center(X), center(Y)
    X = X / np.linalg.norm(X)
    Y = Y / np.linalg.norm(Y)
    return float(np.sqrt(max(2.0 - 2.0 * nuclear_norm(X.T @ Y), 0.0)))


def netrep_permutation_metric(X, Y, center_columns=True, pad=True,
                              score_method="angular"):
    """netrep PermutationMetric.fit_score: optimal unit permutation from
    linear_sum_assignment(X^T Y, maximize=True) on (centred, padded) data.
    DISTANCE: angular arccos(<X P, Y>_F/(||X|| ||Y||)) or euclidean ||X P - Y||_F.
    """
    X = np.asarray(X, float)
    Y = np.asarray(Y, float)
    if X.shape[1] != Y.shape[1]:
        if not pad:
            raise ValueError("unequal widths and pad=False")
        X, Y = zero_pad(X, Y)
    if center_columns:
        X, Y = center(X), center(Y)
    r, c = linear_sum_assignment(X.T @ Y, maximize=True)
    A, B = X[:, r], Y[:, c]
    if score_method == "angular":
        v = np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B))
        return float(np.arccos(np.clip(v, -1.0, 1.0)))
    return float(np.linalg.norm(A - B))


# ----------------------------------------------------------------------------
# 2. aligned cosine similarity (ReSi AlignedCosineSimilarity)
# ----------------------------------------------------------------------------


def aligned_cosine(X, Y):
    """ReSi aligned_cossim: zero-pad (no centring, no scaling), orthogonal
    Procrustes Q = U V^T from svd(X^T Y), then the mean over stimuli of
    cos((X Q)_i, Y_i).  Rows where either side is all-zero are skipped.
    SIMILARITY in [-1, 1]."""
    X, Y = zero_pad(np.asarray(X, float), np.asarray(Y, float))
    if not X.any() or not Y.any():
        raise ValueError("aligned cosine undefined: an input is all zeros")
    U, _, Vt = np.linalg.svd(X.T @ Y)
    XQ = X @ (U @ Vt)
    nx = np.linalg.norm(XQ, axis=1)
    ny = np.linalg.norm(Y, axis=1)
    ok = (np.any(XQ != 0, axis=1)) & (np.any(Y != 0, axis=1))
    if not ok.any():
        raise ValueError("aligned cosine undefined: every row has a zero side")
    cos = np.sum(XQ[ok] * Y[ok], axis=1) / (nx[ok] * ny[ok])
    return float(np.mean(cos))


# ----------------------------------------------------------------------------
# 3. CCA family
# ----------------------------------------------------------------------------


def canonical_correlations(X, Y, rtol=None):
    """Canonical correlations of column-centred X, Y (descending).

    rho = singular values of Qx^T Qy, Qx/Qy orthonormal bases of col(Xc)/col(Yc).
    Length = min(rank Xc, rank Yc) (= min(p, q) for full-column-rank data).
    Values clipped to [0, 1]."""
    Qx = orth_basis(center(X), rtol)
    Qy = orth_basis(center(Y), rtol)
    rho = np.linalg.svd(Qx.T @ Qy, compute_uv=False)
    return np.clip(rho, 0.0, 1.0)


def cca_mean_sq_corr(X, Y):
    """Yanai's R^2_CCA = sum(rho^2) / min(p, q).  SIMILARITY in [0, 1].
    (denominator = number of canonical correlations; see md for rank-deficient data)"""
    rho = canonical_correlations(X, Y)
    return float(np.sum(rho ** 2) / rho.size)


def cca_mean_corr(X, Y):
    """Mean canonical correlation rho_bar = sum(rho) / min(p, q).  SIMILARITY in [0, 1]."""
    rho = canonical_correlations(X, Y)
    return float(np.sum(rho) / rho.size)


def google_cca(acts1, acts2, epsilon=0.0):
    """Arithmetic of google/svcca cca_core.get_cca_similarity on (neurons x n)
    inputs.  Returns dict with rho (abs singular values, descending), u, v
    (numpy svd factors, full_matrices), x_keep, y_keep (bool masks),
    invsqrt_xx, invsqrt_yy.
    """
    p = acts1.shape[0]
    C = np.cov(acts1, acts2)                      # ddof = 1
    sxx, sxy = C[:p, :p].copy(), C[:p, p:].copy()
    syx, syy = C[p:, :p].copy(), C[p:, p:].copy()
    xmax = np.max(np.abs(sxx))
    ymax = np.max(np.abs(syy))
    sxx /= xmax
    syy /= ymax
    sxy /= np.sqrt(xmax * ymax)
    syx /= np.sqrt(xmax * ymax)
    xk = np.abs(np.diag(sxx)) >= epsilon
    yk = np.abs(np.diag(syy)) >= epsilon
    sxx, syy = sxx[np.ix_(xk, xk)], syy[np.ix_(yk, yk)]
    sxy = sxy[np.ix_(xk, yk)]
    sxx = sxx + epsilon * np.eye(sxx.shape[0])
    syy = syy + epsilon * np.eye(syy.shape[0])

    def inv_sqrt_psd(S):
        Si = np.linalg.pinv(S)
        w, V = np.linalg.eigh(Si)
        return V @ np.diag(np.sqrt(w)) @ V.T     # NaN if w < 0 (as upstream)

    ixx, iyy = inv_sqrt_psd(sxx), inv_sqrt_psd(syy)
    u, s, v = np.linalg.svd(ixx @ sxy @ iyy)
    return dict(rho=np.abs(s), u=u, v=v, x_keep=xk, y_keep=yk,
                invsqrt_xx=ixx, invsqrt_yy=iyy)


def n_components_for_variance(s, threshold=0.99):
    """Smallest k such that sum_{i<=k} s_i^2 / sum_i s_i^2 >= threshold."""
    ev = s ** 2
    frac = np.cumsum(ev) / np.sum(ev)
    return int(np.argmax(frac >= threshold) + 1)


def svcca(X, Y, threshold=0.99):
    """SVCCA (Raghu et al. 2017): per side, keep the top-k PCs with k the smallest
    number whose cumulative explained variance >= threshold; CCA between the PC
    scores; return the mean of the min(kx, ky) canonical correlations.
    SIMILARITY in [0, 1]."""
    out = []
    for A in (X, Y):
        Ac = center(A)
        U, s, _ = np.linalg.svd(Ac, full_matrices=False)
        k = n_components_for_variance(s, threshold)
        out.append(U[:, :k] * s[:k])             # PC scores (n x k)
    rho = canonical_correlations(out[0], out[1])
    return float(np.mean(rho))


def svcca_resi(X, Y):
    """Bit-level reproduction of ReSi's SVCCA (repsim.measures.cca.svcca), including
    its k-selection bug (cumulative *fraction* compared with 0.99 * total variance,
    so k = 1 whenever the total sum of squares > 1/0.99) and google's CCA with
    epsilon = 1e-10 (max-normalised covariances + 1e-10 I)."""
    out = []
    for A in (X, Y):
        Ac = center(A).T                           # neurons x n
        _, s, Vt = np.linalg.svd(Ac, full_matrices=False)
        tot = np.sum(s ** 2)
        frac = np.cumsum(s ** 2 / tot)
        k = int(np.argmax(frac >= 0.99 * tot) + 1)
        out.append(s[:k, None] * Vt[:k])
    return float(np.mean(google_cca(out[0], out[1], epsilon=1e-10)["rho"]))


def pwcca(X, Y, side="smaller"):
    """Projection-weighted CCA, textbook version (Morcos et al. 2018, eq. in sec 2.2).

    Centre both sides; canonical variates of the chosen side S are the unit-norm,
    mutually orthogonal columns h_i of H = Q_S U_S (Q_S orthonormal basis of col(S_c),
    U_S singular vectors of Q_X^T Q_Y); alpha_i = sum_j |<h_i, s_j>| over the
    (centred) units s_j of S; PWCCA = sum_i alpha_i rho_i / sum_i alpha_i, i over
    the m = min(r_x, r_y) canonical pairs.

    side: "x" (weights from X, the paper's asymmetric definition), "y", or
    "smaller" (the side with fewer units, ties -> X; google/svcca's choice).
    SIMILARITY in [0, 1]."""
    Xc, Yc = center(X), center(Y)
    Qx, Qy = orth_basis(Xc), orth_basis(Yc)
    U, rho, Vt = np.linalg.svd(Qx.T @ Qy, full_matrices=False)
    m = rho.size
    rho = np.clip(rho, 0.0, 1.0)
    if side == "smaller":
        side = "x" if Xc.shape[1] <= Yc.shape[1] else "y"
    if side == "x":
        H, S = Qx @ U[:, :m], Xc
    elif side == "y":
        H, S = Qy @ Vt.T[:, :m], Yc
    else:
        raise ValueError(side)
    alpha = np.sum(np.abs(H.T @ S), axis=1)
    return float(np.sum(alpha * rho) / np.sum(alpha))


def pwcca_google(X, Y, epsilon=0.0, fix_branch=True):
    """Reproduction of google/svcca pwcca.compute_pwcca (and ReSi's copy) on
    X (n x p), Y (n x q).  The side with fewer kept units is used (ties -> X).
    Upstream quirks reproduced: directions = coef^T (acts - mean) + mean
    (no Sigma^{-1/2}, per-unit means added back to per-direction rows), QR of
    those, weights from *uncentred* activations.  fix_branch=False reproduces the
    upstream bug (acts1 used in the Y branch -> IndexError when q < p, or wrong
    numbers when the masks happen to have equal length)."""
    a1 = np.asarray(X, float).T
    a2 = np.asarray(Y, float).T
    r = google_cca(a1, a2, epsilon)
    xk, yk = r["x_keep"], r["y_keep"]
    if xk.sum() <= yk.sum():
        keep, coef = xk, r["u"].T
        mu = a1.mean(axis=1, keepdims=True)[keep]
        src = a1[keep]                    # rows used to build the directions
        wact = a1[keep]                   # rows used for the weights
    else:
        keep, coef = yk, r["v"]
        mu = a2.mean(axis=1, keepdims=True)[keep]
        if fix_branch:
            src = a2[keep]
        else:
            if a1.shape[0] != keep.size:
                raise IndexError("upstream bug: Y's boolean mask applied to X")
            src = a1[keep]
        wact = a2[keep]
    dirns = coef @ (src - mu) + mu
    P, _ = np.linalg.qr(dirns.T)
    w = np.sum(np.abs(P.T @ wact.T), axis=1)
    w = w / w.sum()
    return float(np.sum(w * r["rho"]))


# ----------------------------------------------------------------------------
# 4. regression-based
# ----------------------------------------------------------------------------


def linear_regression_r2(X, Y):
    """R^2 of the least-squares prediction of Y from X (both column-centred,
    i.e. with intercept), pooled over all columns of Y:
        R^2 = 1 - ||Yc - Xc B||_F^2 / ||Yc||_F^2 = ||P_X Yc||_F^2 / ||Yc||_F^2.
    ReSi: linear_reg(R=Y, Rp=X).  SIMILARITY in [0, 1]; asymmetric."""
    Xc, Yc = center(X), center(Y)
    Q = orth_basis(Xc)
    return float(np.sum((Q.T @ Yc) ** 2) / np.sum(Yc ** 2))


def gulp_sq(X, Y, lam=0.0, rtol=None):
    """GULP squared distance (Boix-Adsera et al. 2022; code predictor_dist, as
    called by ReSi).  Each side is centred and scaled so that ||Xc||_F^2 = n
    (tr Sigma_X = 1), Sigma_X = Xc^T Xc / n, Sigma_XY = Xc^T Yc / n, and
        d^2 = tr[(Sx Sx_l^-1)^2] + tr[(Sy Sy_l^-1)^2] - 2 tr[Sx_l^-1 Sxy Sy_l^-1 Syx],
    Sx_l = Sx + lam I.  lam = 0 uses the pseudo-inverse (eigenvalues <= rtol *
    max eigenvalue treated as zero).  DISTANCE^2 >= 0 (ReSi returns this squared
    value); the metric itself is sqrt(d^2)."""
    n = X.shape[0]
    mats = []
    for A in (X, Y):
        Ac = center(A)
        Ac = np.sqrt(n) * Ac / np.linalg.norm(Ac)
        mats.append(Ac)
    Xc, Yc = mats
    terms = []
    invs = []
    for Ac in (Xc, Yc):
        S = Ac.T @ Ac / n
        w, V = np.linalg.eigh(S)
        w = np.maximum(w, 0.0)
        tol = (max(S.shape) * np.finfo(float).eps if rtol is None else rtol) * w.max()
        if lam > 0:
            inv = 1.0 / (w + lam)
        else:
            inv = np.where(w > tol, 1.0 / np.where(w > tol, w, 1.0), 0.0)
        terms.append(np.sum((w * inv) ** 2))
        invs.append((V * inv) @ V.T)
    Sxy = Xc.T @ Yc / n
    T3 = np.trace(invs[0] @ Sxy @ invs[1] @ Sxy.T)
    return float(terms[0] + terms[1] - 2.0 * T3)


# ----------------------------------------------------------------------------
# 5. unit matching (Li et al. 2016 / ReSi)
# ----------------------------------------------------------------------------


def unit_correlation_matrix(X, Y):
    """C[i, j] = Pearson correlation of unit i of X with unit j of Y (p x q).
    Zero-variance units get correlation 0 with everything (sklearn cosine
    convention used by ReSi)."""
    Xc, Yc = center(X), center(Y)
    nx = np.linalg.norm(Xc, axis=0)
    ny = np.linalg.norm(Yc, axis=0)
    nx[nx == 0] = 1.0
    ny[ny == 0] = 1.0
    return np.clip((Xc / nx).T @ (Yc / ny), -1.0, 1.0)


def hard_match(X, Y, absolute=False):
    """One-to-one matching: Hungarian (linear_sum_assignment, maximize) on C
    (signed correlations unless absolute=True); mean of the min(p, q) matched
    correlations.  SIMILARITY in [-1, 1]."""
    C = unit_correlation_matrix(X, Y)
    if absolute:
        C = np.abs(C)
    r, c = linear_sum_assignment(C, maximize=True)
    return float(C[r, c].mean())


def soft_match(X, Y, absolute=False):
    """Many-to-one (semi-)matching, symmetrised: 0.5 * (mean_i max_j C_ij +
    mean_j max_i C_ij).  SIMILARITY in [-1, 1]."""
    C = unit_correlation_matrix(X, Y)
    if absolute:
        C = np.abs(C)
    return float(0.5 * (C.max(axis=1).mean() + C.max(axis=0).mean()))


# ----------------------------------------------------------------------------
# demo
# ----------------------------------------------------------------------------


def example_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 8))
    W = rng.standard_normal((8, 12))
    Y = X @ W + 0.5 * rng.standard_normal((50, 12))
    return X, Y


def all_measures(X, Y):
    res = {}
    for a in (0.0, 0.5, 1.0):
        for sm in ("angular", "euclidean"):
            res[f"netrep_linear(alpha={a},{sm})"] = netrep_linear_metric(X, Y, a, score_method=sm)
    res["netrep_perm(angular)"] = netrep_permutation_metric(X, Y)
    res["netrep_perm(euclidean)"] = netrep_permutation_metric(X, Y, score_method="euclidean")
    res["shape_angular"] = shape_angular(X, Y)
    res["procrustes_size_and_shape"] = procrustes_size_and_shape(X, Y)
    res["procrustes_centered_normalized"] = procrustes_centered_normalized(X, Y)
    res["aligned_cosine"] = aligned_cosine(X, Y)
    rho = canonical_correlations(X, Y)
    for i, r in enumerate(rho):
        res[f"cca_rho[{i}]"] = r
    res["cca_mean_sq_corr(yanai)"] = cca_mean_sq_corr(X, Y)
    res["cca_mean_corr"] = cca_mean_corr(X, Y)
    res["svcca(0.99)"] = svcca(X, Y)
    res["svcca_resi(buggy k)"] = svcca_resi(X, Y)
    res["pwcca(side=smaller)"] = pwcca(X, Y)
    res["pwcca(side=x)"] = pwcca(X, Y, side="x")
    res["pwcca(side=y)"] = pwcca(X, Y, side="y")
    res["pwcca_google(X,Y)"] = pwcca_google(X, Y)
    res["pwcca_google(Y,X) fixed"] = pwcca_google(Y, X)
    res["linear_regression_r2(X->Y)"] = linear_regression_r2(X, Y)
    res["linear_regression_r2(Y->X)"] = linear_regression_r2(Y, X)
    for lam in (0.0, 1e-3, 1.0):
        res[f"gulp_sq(lam={lam:g})"] = gulp_sq(X, Y, lam)
    res["hard_match"] = hard_match(X, Y)
    res["soft_match"] = soft_match(X, Y)
    return res


if __name__ == "__main__":
    X, Y = example_data()
    for k, v in all_measures(X, Y).items():
        print(f"{k:40s} {v:.12g}")
