# Test oracle: numpy/scipy implementations written from the papers' definitions
# (repscope's own code, used to cross-check the Rust measures).
"""Reference (test-oracle) implementations of neighbourhood, RSM-family and
descriptive-statistics representational-similarity measures.

Written from the mathematical definitions documented in measures_B.md.
Only numpy and scipy are used.  Every function takes X (n x p) and Y (n x q)
whose rows describe the same n stimuli in the same order.

Conventions that hold everywhere in this file
---------------------------------------------
* All arithmetic in float64.
* k-nearest-neighbour sets never contain the query point itself, and need
  1 <= k <= n - 1.
* Ties in a neighbour ranking are broken by the smaller row index (a stable
  sort on the score).  The public implementations leave tie order
  unspecified (torch.argsort / torch.topk, numpy argpartition + quicksort),
  so on data with exact ties they are not reproducible; on continuous data
  there are no ties and everything agrees.
* Row L2-normalisation divides by max(||x||, 1e-12) so that an all-zero row
  stays all-zero (same convention as torch.nn.functional.normalize).
* "Cosine" neighbours use the inner product of L2-normalised rows (largest
  first), which orders points exactly like cosine distance 1 - cos (smallest
  first).

Run ``python measures_B_ref.py`` to print every measure on the fixed example
(12 significant digits).  ``python measures_B_ref.py --dump DIR`` additionally
writes the example matrices X and Y as text files with 17 significant digits
so that other implementations can read exactly the same doubles.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy.spatial.distance import pdist, squareform

NORM_EPS = 1e-12


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------

def _mat(A) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError("expected a 2-D array (n stimuli x features)")
    return A


def _pair(X, Y):
    X, Y = _mat(X), _mat(Y)
    if X.shape[0] != Y.shape[0]:
        raise ValueError("X and Y must have the same number of rows")
    return X, Y


def l2_normalize_rows(X) -> np.ndarray:
    X = _mat(X)
    nrm = np.sqrt(np.sum(X * X, axis=1, keepdims=True))
    return X / np.maximum(nrm, NORM_EPS)


def cosine_similarity_matrix(X) -> np.ndarray:
    Z = l2_normalize_rows(X)
    return Z @ Z.T


def euclidean_distance_matrix(X) -> np.ndarray:
    """Exact pairwise Euclidean distances (scipy pdist: difference-then-norm,
    zero diagonal, exactly symmetric)."""
    return squareform(pdist(_mat(X), metric="euclidean"))


def _check_k(n: int, k: int) -> None:
    if not (1 <= k <= n - 1):
        raise ValueError(f"need 1 <= k <= n-1 (n={n}, k={k})")


def knn_from_scores(S, k: int, larger_is_closer: bool = True,
                    exclude_self: bool = True) -> np.ndarray:
    """n x k matrix of neighbour indices, nearest first.

    S is an n x n score matrix (similarity if larger_is_closer, otherwise a
    distance).  Ties are broken by smaller index.  If exclude_self the
    diagonal is never selected (then k <= n-1 is required)."""
    S = np.asarray(S, dtype=np.float64)
    n = S.shape[0]
    if exclude_self:
        _check_k(n, k)
    elif not (1 <= k <= n):
        raise ValueError("need 1 <= k <= n")
    key = -S if larger_is_closer else S.copy()
    key = np.array(key, dtype=np.float64)
    if exclude_self:
        np.fill_diagonal(key, np.inf)
    out = np.empty((n, k), dtype=np.int64)
    for i in range(n):
        out[i] = np.argsort(key[i], kind="stable")[:k]
    return out


def knn_indices(X, k: int, metric: str = "cosine") -> np.ndarray:
    """Self-excluded k nearest neighbours of every row of X.

    metric: 'cosine' (largest cosine similarity), 'euclidean' (smallest
    Euclidean distance) or 'inner_product' (largest raw inner product)."""
    X = _mat(X)
    if metric == "cosine":
        return knn_from_scores(cosine_similarity_matrix(X), k, True)
    if metric == "euclidean":
        return knn_from_scores(euclidean_distance_matrix(X), k, False)
    if metric == "inner_product":
        return knn_from_scores(X @ X.T, k, True)
    raise ValueError(f"unknown metric {metric!r}")


def _hsic_unbiased(A: np.ndarray, B: np.ndarray) -> float:
    """Song et al. (2012) unbiased HSIC estimator, written for possibly
    NON-symmetric A, B exactly as the estimator's matrix form reads:
        [ tr(A~ B~) + (1'A~1)(1'B~1)/((n-1)(n-2)) - 2/(n-2) * 1'A~B~1 ] / (n(n-3))
    where A~, B~ are A, B with zeroed diagonals."""
    n = A.shape[0]
    if n < 4:
        raise ValueError("unbiased HSIC needs n >= 4")
    A0 = A.copy()
    B0 = B.copy()
    np.fill_diagonal(A0, 0.0)
    np.fill_diagonal(B0, 0.0)
    tr_ab = float(np.sum(A0 * B0.T))                 # tr(A~ B~)
    sa, sb = float(A0.sum()), float(B0.sum())
    one_ab_one = float(A0.sum(axis=0) @ B0.sum(axis=1))  # 1' A~ B~ 1
    val = tr_ab + sa * sb / ((n - 1) * (n - 2)) - 2.0 * one_ab_one / (n - 2)
    return val / (n * (n - 3))


def _hsic_biased(A: np.ndarray, B: np.ndarray) -> float:
    """tr(A H B H), H = I - 11'/n (no 1/(n-1)^2 factor; it cancels in ratios)."""
    n = A.shape[0]
    Ac = A - A.mean(axis=1, keepdims=True)   # A H
    Bc = B - B.mean(axis=1, keepdims=True)   # B H
    return float(np.sum(Ac * Bc.T))          # tr((AH)(BH))


# ----------------------------------------------------------------------------
# 1. neighbourhood measures
# ----------------------------------------------------------------------------

def mutual_knn(X, Y, k: int = 10, normalize: bool = True) -> float:
    """Mutual k-NN alignment (Huh et al. 2024).

    Neighbours of i: the k rows j != i with the largest inner product
    <x_i, x_j>, computed on L2-normalised rows when normalize=True (the
    platonic-rep pipeline default; then this is cosine k-NN).  Score:
    mean_i |N_X(i) & N_Y(i)| / k, in [0, 1]."""
    X, Y = _pair(X, Y)
    A = l2_normalize_rows(X) if normalize else X
    B = l2_normalize_rows(Y) if normalize else Y
    NX = knn_from_scores(A @ A.T, k, True)
    NY = knn_from_scores(B @ B.T, k, True)
    n = X.shape[0]
    hits = [len(set(NX[i]).intersection(NY[i])) for i in range(n)]
    return float(np.mean(hits) / k)


def cknna(X, Y, k: int = 10, normalize: bool = True, unbiased: bool = True,
          eps: float = 1e-6) -> float:
    """Centered kernel nearest-neighbour alignment, as implemented in
    platonic-rep metrics.py (not the slightly different formula printed in
    the paper; see measures_B.md).

    K = A A', L = B B' (A, B = row-normalised X, Y if normalize).
    kNN masks: M_K[i,j] = 1 iff j is among the k largest entries of row i of
    K (diagonal excluded when unbiased=True, included when False); M = M_K*M_L
    (elementwise; not symmetric in general).
    s(K,L) = HSIC(M*K, M*L) with the unbiased estimator (unbiased=True) or
    tr(. H . H) (unbiased=False); s(K,K) uses M = M_K.
    CKNNA = s(K,L) / (sqrt(s(K,K) s(L,L)) + eps); eps = 1e-6 as in the
    reference implementation (set eps=0 for the pure ratio)."""
    X, Y = _pair(X, Y)
    n = X.shape[0]
    if k < 2:
        raise ValueError("CKNNA requires k >= 2")
    A = l2_normalize_rows(X) if normalize else X
    B = l2_normalize_rows(Y) if normalize else Y
    K = A @ A.T
    L = B @ B.T
    hsic = _hsic_unbiased if unbiased else _hsic_biased

    def mask(G):
        M = np.zeros((n, n))
        idx = knn_from_scores(G, k, True, exclude_self=unbiased)
        M[np.arange(n)[:, None], idx] = 1.0
        return M

    MK, ML = mask(K), mask(L)

    def s(G1, M1, G2, M2):
        M = M1 * M2
        return hsic(M * G1, M * G2)

    s_kl = s(K, MK, L, ML)
    s_kk = s(K, MK, K, MK)
    s_ll = s(L, ML, L, ML)
    return float(s_kl / (math.sqrt(s_kk * s_ll) + eps))


def jaccard_knn(X, Y, k: int = 10, metric: str = "cosine") -> float:
    """Mean Jaccard index of the self-excluded k-NN sets (ReSi default metric:
    cosine).  mean_i |N_X(i) & N_Y(i)| / |N_X(i) | N_Y(i)|, in [0, 1]."""
    X, Y = _pair(X, Y)
    NX, NY = knn_indices(X, k, metric), knn_indices(Y, k, metric)
    vals = []
    for a, b in zip(NX, NY):
        sa, sb = set(a), set(b)
        vals.append(len(sa & sb) / len(sa | sb))
    return float(np.mean(vals))


def second_order_cosine(X, Y, k: int = 10, variant: str = "resi") -> float:
    """Second-order cosine similarity of k-NN neighbourhoods.

    For each i: U_i = N_X(i) | N_Y(i) (cosine k-NN, self excluded).
    variant='resi' (ReSi code): u_j = 1 - cos_X(i,j), v_j = 1 - cos_Y(i,j)
        (cosine DISTANCES, clipped to [0, 2]);
    variant='hamilton' (Hamilton et al. 2016 / survey text): u_j = cos_X(i,j),
        v_j = cos_Y(i,j) (cosine SIMILARITIES).
    Score: mean_i  u.v / (|u| |v|).  NaN if some u or v is the zero vector."""
    X, Y = _pair(X, Y)
    CX, CY = cosine_similarity_matrix(X), cosine_similarity_matrix(Y)
    NX = knn_from_scores(CX, k, True)
    NY = knn_from_scores(CY, k, True)
    if variant == "resi":
        FX = np.clip(1.0 - CX, 0.0, 2.0)
        FY = np.clip(1.0 - CY, 0.0, 2.0)
    elif variant == "hamilton":
        FX, FY = np.clip(CX, -1.0, 1.0), np.clip(CY, -1.0, 1.0)
    else:
        raise ValueError("variant must be 'resi' or 'hamilton'")
    vals = []
    for i in range(X.shape[0]):
        U = sorted(set(NX[i]) | set(NY[i]))
        u, v = FX[i, U], FY[i, U]
        nu, nv = np.linalg.norm(u), np.linalg.norm(v)
        vals.append(float(u @ v) / (nu * nv) if nu > 0 and nv > 0 else float("nan"))
    return float(np.mean(vals))


def rank_similarity(X, Y, k: int = 10, metric: str = "cosine") -> float:
    """Rank similarity (Wang et al. 2020), ReSi form.

    r_X(i,j) = 1-based position of j in the ordered list N_X(i).
    For C_i = N_X(i) & N_Y(i) (empty -> score 0):
      v_i = [ sum_{j in C_i} 2 / ((1 + |r_X - r_Y|) (r_X + r_Y)) ] / H_{|C_i|},
      H_m = sum_{t=1}^m 1/t.
    Score: mean_i v_i, in [0, 1]."""
    X, Y = _pair(X, Y)
    NX, NY = knn_indices(X, k, metric), knn_indices(Y, k, metric)
    vals = []
    for a, b in zip(NX, NY):
        ra = {int(j): r + 1 for r, j in enumerate(a)}
        rb = {int(j): r + 1 for r, j in enumerate(b)}
        common = set(ra) & set(rb)
        if not common:
            vals.append(0.0)
            continue
        num = sum(2.0 / ((1 + abs(ra[j] - rb[j])) * (ra[j] + rb[j])) for j in common)
        harm = sum(1.0 / t for t in range(1, len(common) + 1))
        vals.append(num / harm)
    return float(np.mean(vals))


# ----------------------------------------------------------------------------
# 2. RSM family
# ----------------------------------------------------------------------------

def _double_center(D: np.ndarray) -> np.ndarray:
    return D - D.mean(axis=0, keepdims=True) - D.mean(axis=1, keepdims=True) + D.mean()


def distance_covariance_sq(X, Y) -> float:
    """Biased (V-statistic) squared distance covariance of Szekely et al.
    (2007): dCov^2_n = (1/n^2) sum_{k,l} A_kl B_kl, A, B = double-centred
    Euclidean distance matrices."""
    X, Y = _pair(X, Y)
    A = _double_center(euclidean_distance_matrix(X))
    B = _double_center(euclidean_distance_matrix(Y))
    return float(np.mean(A * B))


def distance_correlation(X, Y, squared: bool = False) -> float:
    """dCor_n (squared=False, what ReSi returns) or dCor^2_n (squared=True).
    dCor^2_n = dCov^2_n(X,Y) / sqrt(dVar^2_n(X) dVar^2_n(Y)), defined as 0
    when the denominator is 0 (Szekely et al.).  Range [0, 1]."""
    X, Y = _pair(X, Y)
    A = _double_center(euclidean_distance_matrix(X))
    B = _double_center(euclidean_distance_matrix(Y))
    vxy, vxx, vyy = np.mean(A * B), np.mean(A * A), np.mean(B * B)
    den = math.sqrt(vxx * vyy)
    r2 = 0.0 if den == 0.0 else max(float(vxy) / den, 0.0)
    return r2 if squared else math.sqrt(r2)


def rsm(X, kind: str = "euclidean") -> np.ndarray:
    """Representational similarity/dissimilarity matrix.
    'euclidean' (ReSi default), 'linear' (X X'), 'cosine' (cos sim),
    'correlation' (Pearson correlation between rows)."""
    X = _mat(X)
    if kind == "euclidean":
        return euclidean_distance_matrix(X)
    if kind == "linear":
        return X @ X.T
    if kind == "cosine":
        return cosine_similarity_matrix(X)
    if kind == "correlation":
        Z = X - X.mean(axis=1, keepdims=True)
        return cosine_similarity_matrix(Z)
    raise ValueError(f"unknown RSM kind {kind!r}")


def rsm_norm_diff(X, Y, kind: str = "euclidean", norm: str = "fro") -> float:
    """|| S_X - S_Y || for n x n RSMs.

    norm='fro'     : Frobenius norm of the full matrix (survey definition);
    norm='spectral': largest singular value (what ReSi actually computes:
                     numpy.linalg.norm(matrix, ord=2));
    norm='triu'    : Euclidean norm of the strict upper triangle
                     (= fro / sqrt(2) for symmetric zero-diagonal RSMs; what the
                     ReSi code comment says it intended)."""
    X, Y = _pair(X, Y)
    D = rsm(X, kind) - rsm(Y, kind)
    if norm == "fro":
        return float(np.sqrt(np.sum(D * D)))
    if norm == "spectral":
        return float(np.linalg.svd(D, compute_uv=False)[0])
    if norm == "triu":
        iu = np.triu_indices(D.shape[0], 1)
        return float(np.linalg.norm(D[iu]))
    raise ValueError(f"unknown norm {norm!r}")


def _range_basis(X: np.ndarray, rank_tol: float | None = None) -> np.ndarray:
    """Orthonormal basis (n x r) of the column space of X, r = numerical rank
    with numpy.linalg.matrix_rank's default tolerance
    sigma_max * max(n, p) * eps unless rank_tol is given."""
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return U[:, :0]
    tol = s[0] * max(X.shape) * np.finfo(np.float64).eps if rank_tol is None else rank_tol
    r = int(np.sum(s > tol))
    return U[:, :r]


def eigenspace_overlap(X, Y, rank_tol: float | None = None) -> float:
    """Eigenspace overlap score (May et al. 2019):
        EOS = ||U' V||_F^2 / max(p, q),
    U, V orthonormal bases of range(X), range(Y) (left singular vectors of
    the non-zero singular values).  Uncentred.  Range [0, 1]; equals
    min(p,q)/max(p,q) when one full-rank column space contains the other."""
    X, Y = _pair(X, Y)
    U, V = _range_basis(X, rank_tol), _range_basis(Y, rank_tol)
    M = U.T @ V
    return float(np.sum(M * M) / max(X.shape[1], Y.shape[1]))


# ----------------------------------------------------------------------------
# 3. descriptive-statistics differences (ReSi)
# ----------------------------------------------------------------------------

def magnitude(X) -> float:
    """ReSi magnitude: Euclidean norm of the mean representation ||mean_i x_i||."""
    return float(np.linalg.norm(_mat(X).mean(axis=0)))


def magnitude_difference(X, Y) -> float:
    X, Y = _pair(X, Y)
    return abs(magnitude(X) - magnitude(Y))


def mean_row_norm(X) -> float:
    """NOT what ReSi calls magnitude; the alternative reading (mean_i ||x_i||)."""
    X = _mat(X)
    return float(np.mean(np.sqrt(np.sum(X * X, axis=1))))


def _unit_rows_or_zero(A: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm; rows with norm < 10*eps (float64) are set to
    zero, so they have cosine 0 with everything (scikit-learn treats such
    rows as zero too; ReSi's 1 - cosine_distance then rounds to exactly 0)."""
    nrm = np.sqrt(np.sum(A * A, axis=1, keepdims=True))
    tiny = nrm < 10 * np.finfo(np.float64).eps
    return np.where(tiny, 0.0, A / np.where(tiny, 1.0, nrm))


def concentricity_per_row(X) -> np.ndarray:
    """alpha_i = cos(x_i, xbar), clipped to [-1, 1]; cosine with a (numerically)
    zero vector is 0."""
    X = _mat(X)
    m = X.mean(axis=0, keepdims=True)
    c = _unit_rows_or_zero(X) @ _unit_rows_or_zero(m).T
    return np.clip(c[:, 0], -1.0, 1.0)


def concentricity(X) -> float:
    return float(np.mean(concentricity_per_row(X)))


def concentricity_difference(X, Y) -> float:
    X, Y = _pair(X, Y)
    return abs(concentricity(X) - concentricity(Y))


def uniformity(X, t: float = 2.0, variant: str = "resi") -> float:
    """variant='resi': log( (1/n^2) sum_{i,j} exp(-t ||x_i - x_j||^2) ) on the
    RAW rows, all n^2 ordered pairs including i = j.  Range [-log n, 0].
    variant='wang_isola': rows L2-normalised first, mean over the n(n-1)/2
    pairs i < j (torch.pdist convention of Wang & Isola 2020)."""
    X = _mat(X)
    if variant == "resi":
        D2 = squareform(pdist(X, metric="sqeuclidean"))
        return float(np.log(np.sum(np.exp(-t * D2)) / X.shape[0] ** 2))
    if variant == "wang_isola":
        d2 = pdist(l2_normalize_rows(X), metric="sqeuclidean")
        return float(np.log(np.mean(np.exp(-t * d2))))
    raise ValueError("variant must be 'resi' or 'wang_isola'")


def uniformity_difference(X, Y, t: float = 2.0, variant: str = "resi") -> float:
    X, Y = _pair(X, Y)
    return abs(uniformity(X, t, variant) - uniformity(Y, t, variant))


# ----------------------------------------------------------------------------
# fixed example
# ----------------------------------------------------------------------------

def example_data():
    """X 60x8, Y 60x12; Y = X W + 0.5 * noise.  Draw order from
    np.random.default_rng(1): X (60x8 standard normal), then W (8x12 standard
    normal), then the noise (60x12 standard normal)."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 8))
    W = rng.standard_normal((8, 12))
    Y = X @ W + 0.5 * rng.standard_normal((60, 12))
    return X, Y


def all_measures(X, Y, k: int = 5) -> dict:
    return {
        "mutual_knn(k)": mutual_knn(X, Y, k),
        "mutual_knn(k, normalize=False)": mutual_knn(X, Y, k, normalize=False),
        "cknna(k) [unbiased, eps=1e-6]": cknna(X, Y, k),
        "cknna(k) [unbiased, eps=0]": cknna(X, Y, k, eps=0.0),
        "cknna(k) [biased, eps=1e-6]": cknna(X, Y, k, unbiased=False),
        "cknna(Y, X, k) [unbiased, eps=1e-6]": cknna(Y, X, k),
        "jaccard_knn(k, cosine)": jaccard_knn(X, Y, k, "cosine"),
        "jaccard_knn(k, euclidean)": jaccard_knn(X, Y, k, "euclidean"),
        "second_order_cosine(k, resi)": second_order_cosine(X, Y, k, "resi"),
        "second_order_cosine(k, hamilton)": second_order_cosine(X, Y, k, "hamilton"),
        "rank_similarity(k, cosine)": rank_similarity(X, Y, k, "cosine"),
        "rank_similarity(k, euclidean)": rank_similarity(X, Y, k, "euclidean"),
        "distance_correlation (dCor)": distance_correlation(X, Y),
        "distance_correlation squared (dCor^2)": distance_correlation(X, Y, squared=True),
        "distance_covariance_sq (dCov^2_n)": distance_covariance_sq(X, Y),
        "rsm_norm_diff(euclidean, fro)": rsm_norm_diff(X, Y, "euclidean", "fro"),
        "rsm_norm_diff(euclidean, spectral) [ReSi]": rsm_norm_diff(X, Y, "euclidean", "spectral"),
        "rsm_norm_diff(euclidean, triu)": rsm_norm_diff(X, Y, "euclidean", "triu"),
        "rsm_norm_diff(linear, fro)": rsm_norm_diff(X, Y, "linear", "fro"),
        "rsm_norm_diff(cosine, fro)": rsm_norm_diff(X, Y, "cosine", "fro"),
        "rsm_norm_diff(correlation, fro)": rsm_norm_diff(X, Y, "correlation", "fro"),
        "eigenspace_overlap": eigenspace_overlap(X, Y),
        "magnitude(X)": magnitude(X),
        "magnitude(Y)": magnitude(Y),
        "magnitude_difference": magnitude_difference(X, Y),
        "mean_row_norm difference (not ReSi)": abs(mean_row_norm(X) - mean_row_norm(Y)),
        "concentricity(X)": concentricity(X),
        "concentricity(Y)": concentricity(Y),
        "concentricity_difference": concentricity_difference(X, Y),
        "uniformity(X, t=2, resi)": uniformity(X),
        "uniformity(Y, t=2, resi)": uniformity(Y),
        "uniformity_difference(t=2, resi)": uniformity_difference(X, Y),
        "uniformity_difference(t=2, wang_isola)": uniformity_difference(X, Y, variant="wang_isola"),
    }


def _main(argv):
    X, Y = example_data()
    if len(argv) >= 3 and argv[1] == "--dump":
        import os
        os.makedirs(argv[2], exist_ok=True)
        np.savetxt(os.path.join(argv[2], "X.txt"), X, fmt="%.17g")
        np.savetxt(os.path.join(argv[2], "Y.txt"), Y, fmt="%.17g")
    k = 5
    print("example: rng=np.random.default_rng(1); X=rng.standard_normal((60,8)); "
          "W=rng.standard_normal((8,12)); Y=X@W+0.5*rng.standard_normal((60,12)); k=5")
    print(f"X[0,0]={X[0,0]:.17g}  Y[59,11]={Y[59,11]:.17g}  sum(X)={X.sum():.17g}  sum(Y)={Y.sum():.17g}")
    for name, val in all_measures(X, Y, k).items():
        print(f"{name:45s} {val:.12g}")


if __name__ == "__main__":
    _main(sys.argv)
