"""Issue 8 analyses against independent computations: unit matching
(scipy's linear_sum_assignment, numpy), the lasso (scikit-learn's Lasso),
spectral groups (numpy eigvalsh, scikit-learn's SpectralClustering), graph
energy (scipy's graph Laplacian), PCA (scikit-learn), learned maps
(scikit-learn's Ridge, scipy's orthogonal_procrustes), and the CLI verbs on
the bundled MiniLM data."""

import json

import numpy as np
import pytest
import repscope as rs
from scipy.linalg import orthogonal_procrustes
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import laplacian
from scipy.spatial.distance import pdist
from sklearn.cluster import SpectralClustering
from sklearn.decomposition import PCA
from sklearn.linear_model import Lasso, Ridge
from sklearn.metrics import adjusted_rand_score

from conftest import ROOT

RNG = np.random.default_rng(8)
MINILM = ROOT / "data" / "minilm_corpus.safetensors"


def correlated_pair(n=120, p=12, q=9, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    Y = X[:, rng.permutation(p)[:q]] @ np.diag(rng.uniform(0.5, 2, q)) + 0.7 * rng.normal(size=(n, q))
    return X, Y


def numpy_correlations(X, Y):
    p = X.shape[1]
    return np.corrcoef(X.T, Y.T)[:p, p:]


@pytest.mark.parametrize("shape", [(12, 9), (9, 12), (10, 10)])
def test_hungarian_and_semi_equal_scipy_and_numpy(shape):
    X, Y = correlated_pair(p=max(shape), q=max(shape))
    X, Y = X[:, : shape[0]], Y[:, : shape[1]]
    C = numpy_correlations(X, Y)
    np.testing.assert_allclose(rs.unit_correlations(X, Y), C, rtol=0, atol=1e-12)
    m = rs.match_units(X, Y, method="hungarian")
    rows, cols = linear_sum_assignment(C, maximize=True)
    assert m.pairs.tolist() == np.column_stack([rows, cols]).tolist()
    np.testing.assert_allclose(m.correlations, C[rows, cols], atol=1e-12)
    s = rs.match_units(X, Y, method="semi")
    assert s.pairs[:, 1].tolist() == np.argmax(C, axis=1).tolist()
    if shape[0] <= shape[1]:  # every A-unit is matched: best partners can only do better
        assert m.mean_correlation <= s.mean_correlation + 1e-12


@pytest.mark.parametrize("n,p,intercept", [(80, 10, True), (30, 50, True), (60, 8, False)])
def test_lasso_equals_scikit_learn(n, p, intercept):
    rng = np.random.default_rng(n + p)
    X = rng.normal(size=(n, p)) + 0.3 * rng.normal(size=(n, 1))
    w = np.zeros(p)
    w[:3] = [2.0, -1.5, 0.7]
    Y = np.column_stack([X @ w + 1.0 + 0.5 * rng.normal(size=n), rng.normal(size=n)])
    for alpha in (0.01, 0.1, 0.5):
        fit = rs.lasso(X, Y, alpha, fit_intercept=intercept, tol=1e-12, max_iter=100_000)
        ref = Lasso(alpha=alpha, fit_intercept=intercept, tol=1e-12, max_iter=100_000).fit(X, Y)
        assert fit.coef.shape == ref.coef_.shape
        np.testing.assert_allclose(fit.coef, ref.coef_, rtol=0, atol=1e-6)
        np.testing.assert_allclose(fit.intercept, ref.intercept_, rtol=0, atol=1e-6)
    one = rs.lasso(X, Y[:, 0], 0.1, fit_intercept=intercept, tol=1e-12, max_iter=100_000)
    assert one.coef.shape == (p,) and isinstance(one.intercept, float)


def test_sparse_prediction_path_equals_lasso_on_standardised_training_data():
    X, Y = correlated_pair(n=150, p=10, q=4, seed=3)
    s = rs.match_units(X, Y, method="sparse", n_alphas=8, test_fraction=0.2, seed=5, tol=1e-12,
                       max_iter=100_000)
    test = s.test_rows
    train = np.setdiff1d(np.arange(len(X)), test)
    assert len(test) == 30
    mx, sx = X[train].mean(0), X[train].std(0)
    my, sy = Y[train].mean(0), Y[train].std(0)
    zx, zy = (X[train] - mx) / sx, (Y[train] - my) / sy
    zx_test, zy_test = (X[test] - mx) / sx, (Y[test] - my) / sy
    assert s.alphas[0] == pytest.approx(np.abs(zx.T @ zy).max() / len(train), rel=1e-12)
    for t in range(Y.shape[1]):
        alpha = s.alphas[s.best[t]]
        ref = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(zx, zy[:, t])
        np.testing.assert_allclose(s.coef[:, t], ref.coef_, atol=1e-6)
        r = np.corrcoef(zx_test @ ref.coef_, zy_test[:, t])[0, 1]
        assert s.best_correlation[t] == pytest.approx(r, abs=1e-6)
        assert s.units_needed[t] == np.count_nonzero(ref.coef_)
        assert s.best_correlation[t] == pytest.approx(s.correlation[:, t].max(), abs=0)


def test_spectral_groups_match_numpy_and_scikit_learn():
    rng = np.random.default_rng(4)
    latent = rng.normal(size=(300, 4))
    X = latent[:, np.arange(12) % 4] + 0.4 * rng.normal(size=(300, 12))
    Y = latent[:, np.arange(8) % 4] + 0.4 * rng.normal(size=(300, 8))
    g = rs.match_units(X, Y, method="spectral", groups=4, seed=1)
    W = np.abs(np.corrcoef(np.hstack([X, Y]).T))
    np.fill_diagonal(W, 0)
    d = W.sum(1)
    M = W / np.sqrt(np.outer(d, d))
    np.testing.assert_allclose(g.eigenvalues, np.linalg.eigvalsh(M)[::-1][:4], atol=1e-10)
    ref = SpectralClustering(4, affinity="precomputed", random_state=0).fit(W).labels_
    ours = np.concatenate([g.a_labels, g.b_labels])
    assert adjusted_rand_score(ref, ours) == 1.0
    assert adjusted_rand_score(np.concatenate([np.arange(12) % 4, np.arange(8) % 4]), ours) == 1.0


def test_dirichlet_energy_equals_the_laplacian_form():
    X = RNG.normal(size=(25, 6))
    edges = np.array([(i, (i + 1) % 25) for i in range(25)] + [(0, 12), (3, 20)])
    w = RNG.uniform(0.5, 2.0, len(edges))
    A = np.zeros((25, 25))
    for (i, j), v in zip(edges, w):
        A[i, j] += v
        A[j, i] += v
    energy = 2 * np.trace(X.T @ laplacian(A) @ X)
    e = rs.dirichlet_energy(X, edges, w)
    assert e.energy == pytest.approx(energy, rel=1e-12)
    assert e.dispersion == pytest.approx(((X - X.mean(0)) ** 2).sum(), rel=1e-12)
    mean_edge = energy / A.sum()
    mean_all = pdist(X, "sqeuclidean").mean()
    assert e.normalised == pytest.approx(mean_edge / mean_all, rel=1e-12)


def test_edge_files_and_bad_edges(tmp_path):
    X = RNG.normal(size=(5, 3))
    f = tmp_path / "edges.tsv"
    f.write_text("source\ttarget\tweight\nb\tc\t2\n0\t4\n")
    e = rs.dirichlet_energy(X, f, stimuli=["a", "b", "c", "d", "e"])
    direct = 2 * (2 * ((X[1] - X[2]) ** 2).sum() + ((X[0] - X[4]) ** 2).sum())
    assert e.energy == pytest.approx(direct, rel=1e-12)
    f.write_text("0 1\n0 9\n")
    with pytest.raises(rs.InputError, match="line 2: stimulus 9 is out of range"):
        rs.dirichlet_energy(X, f)
    with pytest.raises(rs.InputError, match="out of range"):
        rs.dirichlet_energy(X, [(0, 5)])
    with pytest.raises(rs.InputError, match=r"\(m, 2\) integer array"):
        rs.dirichlet_energy(X, [0, 1])


def test_pca_equals_scikit_learn_up_to_sign():
    X = RNG.normal(size=(40, 7)) @ RNG.normal(size=(7, 7))
    ours = rs.pca(X, 3)
    ref = PCA(3, svd_solver="full").fit(X)
    np.testing.assert_allclose(ours.explained_variance_ratio, ref.explained_variance_ratio_, rtol=1e-10)
    signs = np.sign((ours.components * ref.components_.T).sum(0))
    np.testing.assert_allclose(ours.scores, ref.transform(X) * signs, atol=1e-10)
    assert all(c[np.argmax(np.abs(c))] > 0 for c in ours.components.T)


def test_maps_equal_scikit_learn_ridge_and_scipy_procrustes():
    A, B = RNG.normal(size=(60, 8)), RNG.normal(size=(60, 5))
    ridge = rs.fit_map(A, B, kind="ridge", alpha=3.0)
    ref = Ridge(alpha=3.0).fit(A, B)
    np.testing.assert_allclose(ridge.weights, ref.coef_.T, atol=1e-12)
    np.testing.assert_allclose(ridge.apply(A), ref.predict(A), atol=1e-12)
    B8 = RNG.normal(size=(60, 8))
    proc = rs.fit_map(A, B8)
    R, _ = orthogonal_procrustes(A - A.mean(0), B8 - B8.mean(0))
    np.testing.assert_allclose(proc.weights, R, atol=1e-12)


def test_alignment_retrieval_equals_numpy():
    A = RNG.normal(size=(100, 6))
    B = A @ RNG.normal(size=(6, 4)) + 0.8 * RNG.normal(size=(100, 4))
    al = rs.align(A, B, map="ridge", alpha=0.5, test_fraction=0.3, seed=2)
    test = al.test_rows
    train = np.setdiff1d(np.arange(100), test)
    mapped = Ridge(alpha=0.5).fit(A[train], B[train]).predict(A[test])
    unit = lambda M: M / np.linalg.norm(M, axis=1, keepdims=True)  # noqa: E731
    S = unit(mapped) @ unit(B[test]).T
    own = np.diag(S)
    ranks = np.array([(S[i] > own[i]).sum() + (S[i, :i] == own[i]).sum() for i in range(len(test))])
    assert al.top1 == pytest.approx((ranks < 1).mean(), abs=1e-12)
    assert al.top5 == pytest.approx((ranks < 5).mean(), abs=1e-12)
    assert al.mapped_cosine == pytest.approx(np.mean(np.sum(unit(mapped) * unit(B[test]), 1)), rel=1e-10)
    assert al.paired_cosine is None
    assert rs.align(A, A).paired_cosine == pytest.approx(1.0)


def test_bad_inputs_are_input_errors():
    X = RNG.normal(size=(20, 4))
    with pytest.raises(rs.InputError, match="20 stimuli but 'B' has 19"):
        rs.match_units(X, X[:19])
    with pytest.raises(rs.InputError, match="unknown unit-matching method"):
        rs.match_units(X, X, method="greedy")
    with pytest.raises(rs.InputError, match="groups"):
        rs.match_units(X, X, method="spectral", groups=50)
    with pytest.raises(rs.InputError, match="alpha"):
        rs.lasso(X, X[:, 0], -1.0)
    with pytest.raises(rs.InputError, match="tolerance tol"):
        rs.lasso(X, X[:, 0], 0.1, tol=float("nan"))
    with pytest.raises(rs.InputError, match="tolerance tol"):
        rs.match_units(X, X, method="sparse", tol=-1.0)
    with pytest.raises(rs.InputError, match="unknown linear map"):
        rs.align(X, X, map="cca")
    bad = X.copy()
    bad[2, 1] = np.nan
    with pytest.raises(rs.InputError, match="NaN"):
        rs.match_units(bad, X)


def test_cli_verbs_on_the_bundled_minilm_data(tmp_path, run_cli):
    out = tmp_path / "m.csv"
    run_cli("match", MINILM, "--layer", "layer5", "--layer-b", "layer6", "-o", out,
            "--plot", tmp_path / "m.png", check=0)
    rows = out.read_text().splitlines()
    assert rows[0] == "unit_a,unit_b,correlation" and len(rows) == 385
    assert (tmp_path / "m.png").stat().st_size > 1000
    p = run_cli("match", MINILM, "--layer", "layer5", "--layer-b", "layer6", "--method", "spectral",
                "--groups", "4", "--json", check=0)
    doc = json.loads(p.stdout)
    assert len(doc["groups"]) == 4 and len(doc["a_labels"]) == 384
    p = run_cli("match", MINILM, check=2)
    assert "choose one with --layer NAME" in p.stderr
    edges = tmp_path / "ring.txt"
    edges.write_text("".join(f"{t * 40 + i} {t * 40 + (i + 1) % 40}\n" for t in range(8) for i in range(40)))
    run_cli("graph", MINILM, "--edges", edges, "-o", tmp_path / "g.csv", "--plot", tmp_path / "pca.png",
            check=0)
    assert len((tmp_path / "g.csv").read_text().splitlines()) == 8
    assert (tmp_path / "pca_layer3.png").exists()
    edges.write_text("0 1\n0 320\n")
    p = run_cli("graph", MINILM, "--edges", edges, check=2)
    assert "line 2: stimulus 320 is out of range" in p.stderr
    p = run_cli("align", MINILM, "--json", "--quiet", check=0)
    cells = json.loads(p.stdout)
    assert len(cells) == 49 and all(0 <= c["top1"] <= 1 for c in cells)
    p = run_cli("sdr", "false-match", "--n", "100000", "--a", "2000", "--s", "12", "--theta", "6", check=0)
    assert "5.293868e-8" in p.stdout  # published: 5.2939e-8
    p = run_cli("sdr", "false-match", "--n", "10", "--a", "2", "--s", "11", "--theta", "1", check=2)
    assert "at most n" in p.stderr
