"""Every registry measure against an independent numpy/scipy computation
written from the papers' definitions (tests/oracles), on several shapes
(n > d and n < d)."""

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import repscope as rs
from oracles import neighbours_rsm_statistics as nb
from oracles import shape_cca_regression as sc

SHAPES = [(60, 8, 12), (50, 12, 8), (25, 40, 30)]


def pair(n, p, q, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p))
    y = x @ rng.standard_normal((p, q)) + 0.8 * rng.standard_normal((n, q)) + 1.5
    return x, y


def close(ours, theirs, rel=1e-9, abs_=1e-12):
    assert ours == pytest.approx(theirs, rel=rel, abs=abs_), (ours, theirs)


def full_rank(n, p, q):
    return n > max(p, q) + 1


@pytest.mark.parametrize("n,p,q", SHAPES)
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("score", ["angular", "euclidean"])
def test_procrustes_family_equals_netrep_definition(n, p, q, alpha, score):
    x, y = pair(n, p, q, n + p)
    ours = rs.similarity(x, y, "procrustes", alpha=alpha, score=score)
    theirs = sc.netrep_linear_metric(x, y, alpha=alpha, score_method=score)
    # arccos near 0 amplifies rounding: absolute 1e-7 there.
    close(ours, theirs, rel=1e-9, abs_=1e-7)


@pytest.mark.parametrize("n,p,q", SHAPES)
def test_size_shape_permutation_and_aligned_cosine(n, p, q):
    x, y = pair(n, p, q, 7 * n)
    close(rs.similarity(x, y, "procrustes_size_shape"), sc.procrustes_size_and_shape(x, y))
    for score in ["angular", "euclidean"]:
        close(rs.similarity(x, y, "permutation", score=score),
              sc.netrep_permutation_metric(x, y, score_method=score))
    if full_rank(n, p, q):
        close(rs.similarity(x, y, "aligned_cosine"), sc.aligned_cosine(x, y))


def test_hungarian_optimum_equals_scipy():
    rng = np.random.default_rng(3)
    for shape in [(9, 9), (6, 11)]:
        c = rng.standard_normal(shape)
        x = rng.standard_normal((40, shape[0]))
        y = rng.standard_normal((40, shape[1]))
        xc, yc = x - x.mean(0), y - y.mean(0)
        r, col = linear_sum_assignment(xc.T @ yc, maximize=True)
        best = (xc.T @ yc)[r, col].sum()
        ours = rs.similarity(x, y, "permutation", score="euclidean")
        expected = np.sqrt(max(np.sum(xc**2) + np.sum(yc**2) - 2 * best, 0))
        close(ours, expected)
        del c


@pytest.mark.parametrize("n,p,q", [s for s in SHAPES if full_rank(*s)])
def test_cca_family(n, p, q):
    x, y = pair(n, p, q, 3 * n)
    close(rs.similarity(x, y, "cca"), sc.cca_mean_sq_corr(x, y))
    close(rs.similarity(x, y, "cca", kind="mean"), sc.cca_mean_corr(x, y))
    close(rs.similarity(x, y, "svcca"), sc.svcca(x, y))
    close(rs.similarity(x, y, "pwcca"), sc.pwcca(x, y, side="smaller"))
    close(rs.similarity(x, y, "eigenspace_overlap"), nb.eigenspace_overlap(x, y))


def test_cca_equals_scikit_learn_canonical_correlations():
    from sklearn.cross_decomposition import CCA

    x, y = pair(80, 4, 5, 1)
    model = CCA(n_components=4, scale=False, max_iter=5000, tol=1e-15).fit(x, y)
    u, v = model.transform(x, y)
    rho = [np.corrcoef(u[:, i], v[:, i])[0, 1] for i in range(4)]
    close(rs.similarity(x, y, "cca", kind="mean"), np.mean(rho), rel=1e-8)


@pytest.mark.parametrize("n,p,q", [s for s in SHAPES if full_rank(*s)])
def test_regression_gulp_and_matching(n, p, q):
    x, y = pair(n, p, q, 5 * n)
    close(rs.similarity(x, y, "linear_regression"), sc.linear_regression_r2(x, y))
    close(rs.similarity(y, x, "linear_regression"), sc.linear_regression_r2(y, x))
    for lam in [0.0, 1e-3, 1.0]:
        close(rs.similarity(x, y, "gulp", **{"lambda": lam}) ** 2, sc.gulp_sq(x, y, lam=lam), rel=1e-8)
    close(rs.similarity(x, y, "hard_match"), sc.hard_match(x, y))
    close(rs.similarity(x, y, "soft_match"), sc.soft_match(x, y))


@pytest.mark.parametrize("n,p,q", SHAPES)
@pytest.mark.parametrize("k", [5, 10])
def test_neighbourhood_measures(n, p, q, k):
    x, y = pair(n, p, q, 11 * n + k)
    close(rs.similarity(x, y, "mutual_knn", k=k), nb.mutual_knn(x, y, k=k))
    close(rs.similarity(x, y, "jaccard_knn", k=k), nb.jaccard_knn(x, y, k=k))
    close(rs.similarity(x, y, "rank_similarity", k=k), nb.rank_similarity(x, y, k=k))
    close(rs.similarity(x, y, "second_order_cosine", k=k),
          nb.second_order_cosine(x, y, k=k, variant="hamilton"))
    close(rs.similarity(x, y, "cknna", k=k), nb.cknna(x, y, k=k, eps=0.0))


@pytest.mark.parametrize("n,p,q", SHAPES)
def test_distance_based_and_statistics(n, p, q):
    x, y = pair(n, p, q, 13 * n)
    close(rs.similarity(x, y, "distance_correlation"), nb.distance_correlation(x, y))
    close(rs.similarity(x, y, "rsm_norm_diff"), nb.rsm_norm_diff(x, y, kind="euclidean", norm="fro"))
    close(rs.similarity(x, y, "magnitude"), nb.magnitude_difference(x, y))
    close(rs.similarity(x, y, "concentricity"), nb.concentricity_difference(x, y))
    close(rs.similarity(x, y, "uniformity"), nb.uniformity_difference(x, y, variant="wang_isola"))


def test_distance_correlation_by_scipy_double_centring():
    from scipy.spatial.distance import pdist, squareform

    x, y = pair(30, 3, 4, 2)

    def centred(z):
        d = squareform(pdist(z))
        return d - d.mean(0) - d.mean(1)[:, None] + d.mean()

    a, b = centred(x), centred(y)
    expected = np.sqrt((a * b).mean() / np.sqrt((a * a).mean() * (b * b).mean()))
    close(rs.similarity(x, y, "distance_correlation"), expected)


def test_rbf_cka_equals_kornblith_gram_rbf():
    x, y = pair(40, 6, 9, 17)

    def gram_rbf(z, threshold):
        g = z @ z.T
        d2 = -2 * g + np.diag(g)[:, None] + np.diag(g)[None, :]
        return np.exp(-d2 / (2 * threshold**2 * np.median(d2)))

    def cka(k, l):
        h = np.eye(len(k)) - 1 / len(k)
        k, l = h @ k @ h, h @ l @ h
        return np.sum(k * l) / np.sqrt(np.sum(k * k) * np.sum(l * l))

    for threshold in [0.5, 1.0, 2.0]:
        close(rs.similarity(x, y, "rbf_cka", threshold=threshold),
              cka(gram_rbf(x, threshold), gram_rbf(y, threshold)))


def test_minibatch_cka_equals_summed_unbiased_hsic():
    x, y = pair(70, 5, 7, 19)

    def hsic1(k, l):
        n = len(k)
        k, l = k.copy(), l.copy()
        np.fill_diagonal(k, 0)
        np.fill_diagonal(l, 0)
        return (np.sum(k * l) + k.sum() * l.sum() / ((n - 1) * (n - 2))
                - 2 / (n - 2) * k.sum(0) @ l.sum(1)) / (n * (n - 3))

    batches = [(0, 32), (32, 64), (64, 70)]
    s = lambda a, b: sum(hsic1(a[i:j] @ a[i:j].T, b[i:j] @ b[i:j].T) for i, j in batches)
    expected = s(x, y) / np.sqrt(s(x, x) * s(y, y))
    close(rs.similarity(x, y, "minibatch_cka", batch_size=32), expected)


def test_every_measure_is_listed_with_its_properties():
    listed = {m["name"]: m for m in rs.measures()}
    assert len(listed) >= 25
    for name in ["cca", "svcca", "pwcca", "procrustes", "permutation", "aligned_cosine", "hard_match",
                 "soft_match", "linear_regression", "gulp", "distance_correlation", "rsm_norm_diff",
                 "eigenspace_overlap", "mutual_knn", "cknna", "jaccard_knn", "second_order_cosine",
                 "rank_similarity", "magnitude", "concentricity", "uniformity", "rbf_cka",
                 "minibatch_cka", "procrustes_size_shape"]:
        assert name in listed
        assert listed[name]["kind"] in ("similarity", "distance")


def test_degenerate_cca_warns_in_the_result_not_on_stdout(capsys):
    x, y = pair(20, 30, 25, 1)
    with pytest.warns(RuntimeWarning, match="trivially 1"):
        v = rs.similarity(x, y, "cca")
    assert v == pytest.approx(1.0)
    r = rs.pairwise({"x": x, "y": y}, measure="cca")
    assert any("trivially 1" in w for w in r.warnings)
    assert capsys.readouterr().out == ""
