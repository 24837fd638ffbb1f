"""repscope.netrep against independent numpy/scipy implementations of
netrep's definitions (netrep is not on the registries, so it cannot run
here; its conventions were read from its source): fitted shape metrics on
training and held-out stimuli, their cross-validation with scikit-learn
splitters, distance matrices of many networks, the Fréchet mean, k-means
in shape space, and the Gaussian and energy stochastic metrics. Deterministic
metrics agree to 1e-8."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import KFold, ShuffleSplit

import repscope as rs
from repscope.netrep import multiset
from repscope.netrep.metrics import (
    EnergyStochasticMetric,
    GaussianStochasticMetric,
    LinearCKA,
    LinearMetric,
    PermutationMetric,
)

TOL = 1e-8


# --- the reference: netrep's definitions restated in numpy ------------------

def pad(x, width):
    return np.hstack([x, np.zeros((len(x), width - x.shape[1]))])


def whitener(c, alpha):
    """Partial whitening of centred c, keeping the total variance."""
    if alpha > 1 - 1e-7:
        return np.eye(c.shape[1])
    lam, v = np.linalg.eigh(c.T @ c)
    lam = np.maximum(lam, 1e-7)
    d = alpha + (1 - alpha) / np.sqrt(lam)
    d = d * np.sqrt(lam.sum() / np.sum(lam * d ** 2))
    return (v * d) @ v.T


def reference_fit(x, y, alpha=1.0, center=True, group="orth"):
    width = max(x.shape[1], y.shape[1])
    x, y = pad(x, width), pad(y, width)
    mx = x.mean(0) if center else np.zeros(width)
    my = y.mean(0) if center else np.zeros(width)
    if group == "perm":
        _, cols = linear_sum_assignment((x - mx).T @ (y - my), maximize=True)
        return mx, my, np.eye(width), np.eye(width)[:, cols]
    zx, zy = whitener(x - mx, alpha), whitener(y - my, alpha)
    u, _, vt = np.linalg.svd(((x - mx) @ zx).T @ ((y - my) @ zy))
    return mx, my, zx @ u, zy @ vt.T


def reference_score(fitted, x, y, method="angular"):
    mx, my, wx, wy = fitted
    width = len(mx)
    tx, ty = (pad(x, width) - mx) @ wx, (pad(y, width) - my) @ wy
    if method == "euclidean":
        return np.linalg.norm(tx - ty)
    return np.arccos(np.clip(np.sum(tx * ty) / (np.linalg.norm(tx) * np.linalg.norm(ty)), -1, 1))


def networks(count=5, n=50, p=6, seed=0):
    g = np.random.default_rng(seed)
    base = g.normal(size=(n, p))
    return [base @ g.normal(size=(p, p)) + 0.8 * g.normal(size=(n, p)) + g.normal(size=p)
            for _ in range(count)]


# --- fitted shape metrics ----------------------------------------------------

@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("method", ["angular", "euclidean"])
@pytest.mark.parametrize("center", [True, False])
def test_linear_metric_fits_on_training_and_scores_held_out_stimuli(alpha, method, center):
    x, y = networks(2, n=80)
    y = y[:, :4]  # a narrower second network is zero-padded
    metric = LinearMetric(alpha=alpha, center_columns=center, score_method=method)
    metric.fit(x[:60], y[:60])
    want = reference_fit(x[:60], y[:60], alpha, center)
    for got, expected in zip((metric.mx_, metric.my_), want[:2]):
        np.testing.assert_allclose(got, expected, rtol=0, atol=TOL)
    for rows in (slice(0, 60), slice(60, 80)):
        assert abs(metric.score(x[rows], y[rows]) - reference_score(want, x[rows], y[rows], method)) < TOL
    tx, ty = metric.transform(x[60:], y[60:])
    assert tx.shape == (20, 6) and ty.shape == (20, 6)


def test_linear_metric_on_training_data_is_the_procrustes_measure():
    x, y = networks(2)
    for alpha in (1.0, 0.5):
        assert abs(LinearMetric(alpha=alpha).fit_score(x, y)
                   - rs.similarity(x, y, "procrustes", alpha=alpha)) < 1e-10


@pytest.mark.parametrize("method", ["angular", "euclidean"])
def test_permutation_metric_equals_the_assignment(method):
    x, y = networks(2, n=70)
    metric = PermutationMetric(score_method=method).fit(x[:50], y[:50])
    want = reference_fit(x[:50], y[:50], group="perm")
    assert abs(metric.score(x[50:], y[50:]) - reference_score(want, x[50:], y[50:], method)) < TOL
    # A reordering of the units is found exactly.
    assert PermutationMetric().fit_score(x, x[:, [3, 0, 5, 1, 4, 2]]) < 1e-7


def test_cross_validation_with_folds_and_scikit_learn_splitters():
    x, y = networks(2, n=90)
    metric = LinearMetric(alpha=0.5)
    ours = multiset.cross_val_score(metric, x, y, cv=5)
    splitter = [metric.fit(x[tr], y[tr]).score(x[te], y[te]) for tr, te in KFold(5).split(x)]
    np.testing.assert_allclose(ours, splitter, rtol=0, atol=1e-12)
    want = [reference_score(reference_fit(x[tr], y[tr], 0.5), x[te], y[te]) for tr, te in KFold(5).split(x)]
    np.testing.assert_allclose(ours, want, rtol=0, atol=TOL)
    shuffled = multiset.cross_val_score(metric, x, y, cv=ShuffleSplit(4, test_size=0.25, random_state=0))
    assert shuffled.shape == (4,) and np.all(shuffled > 0)
    # Held out, related networks score further apart than on training data.
    assert ours.mean() > LinearMetric(alpha=0.5).fit_score(x, y)


def test_pairwise_distances_on_training_and_test_stimuli():
    train = networks(6, n=60, seed=1)
    test = [x + 0.1 for x in networks(6, n=30, seed=1)]
    d_train, d_test = multiset.pairwise_distances(LinearMetric(alpha=0.5), train, test)
    for i, j in itertools.combinations(range(6), 2):
        fitted = reference_fit(train[i], train[j], 0.5)
        assert abs(d_train[i, j] - reference_score(fitted, train[i], train[j])) < TOL
        assert abs(d_test[i, j] - reference_score(fitted, test[i], test[j])) < TOL
        assert d_train[j, i] == d_train[i, j]
    assert np.all(np.diag(d_train) == 0)
    only, inf = LinearMetric().pairwise_distances(train)
    engine = rs.pairwise(train, measure="procrustes").values
    off = ~np.eye(6, dtype=bool)  # the engine's diagonal is arccos of a rounded 1, about 1e-8
    np.testing.assert_allclose(only[off], engine[off], rtol=0, atol=1e-10)
    assert np.isinf(inf[0, 1]) and inf[0, 0] == 0
    # Different widths are fitted pair by pair (padding depends on the pair).
    mixed = [train[0], train[1][:, :4], train[2]]
    d = multiset.pairwise_distances(LinearMetric(alpha=0.5), mixed)
    assert abs(d[0, 1] - reference_score(reference_fit(mixed[0], mixed[1], 0.5), mixed[0], mixed[1])) < TOL


def test_linear_cka_is_the_angle_of_cka():
    x, y = networks(2)
    assert abs(LinearCKA().fit_score(x, y) - np.arccos(rs.similarity(x, y, "linear_cka"))) < 1e-12


# --- many networks ------------------------------------------------------------

def reference_frechet(xs, start, tol, max_iter):
    mean = start.copy()
    for _ in range(max_iter):
        aligned = [x @ orthogonal_procrustes(x, mean)[0] for x in xs]
        new = np.mean(aligned, axis=0)
        moved = np.linalg.norm(new - mean) / np.sqrt(new.size)
        mean = new
        if moved < tol:
            break
    return mean


def test_the_frechet_mean_equals_generalised_procrustes():
    g = np.random.default_rng(3)
    base = g.normal(size=(40, 5))
    xs = [base @ np.linalg.qr(g.normal(size=(5, 5)))[0] + 0.3 * g.normal(size=(40, 5)) for _ in range(7)]
    for tol, iters in ((1e-3, 100), (1e-12, 200)):
        mean, aligned = multiset.frechet_mean(xs, tol=tol, max_iter=iters, return_aligned_Xs=True)
        np.testing.assert_allclose(mean, reference_frechet(xs, xs[0], tol, iters), rtol=0, atol=TOL)
    assert aligned.shape == (7, 40, 5)
    # At convergence the mean is the average of the networks aligned to it.
    np.testing.assert_allclose(aligned.mean(0), mean, atol=1e-9)
    warm = multiset.frechet_mean(xs, warmstart=base, tol=1e-12, max_iter=200)
    np.testing.assert_allclose(warm, reference_frechet(xs, base, 1e-12, 200), rtol=0, atol=TOL)


def test_kmeans_in_shape_space_recovers_two_families_of_networks():
    g = np.random.default_rng(4)
    bases = [g.normal(size=(40, 5)) for _ in range(2)]
    xs, truth = [], []
    for k in range(12):
        family = k % 2
        q = np.linalg.qr(g.normal(size=(5, 5)))[0]
        xs.append(bases[family] @ q + 0.2 * g.normal(size=(40, 5)))
        truth.append(family)
    centroids, labels, dists = multiset.procrustes_kmeans(xs, 2, random_state=0)
    assert adjusted_rand_score(truth, labels) == 1.0
    assert centroids.shape == (2, 40, 5) and dists.shape == (2, 12)
    # Each network is nearest its own centroid.
    assert np.all(np.argmin(dists, axis=0) == labels)


# --- stochastic metrics -------------------------------------------------------

def sqrtm_psd(c):
    w, v = np.linalg.eigh(c)
    return (v * np.sqrt(np.maximum(w, 0))) @ v.T


def align(a, b, group):
    """T minimising ‖aT − b‖ in the group."""
    if group == "identity":
        return np.eye(a.shape[1])
    if group == "orth":
        return orthogonal_procrustes(a, b)[0]
    rows, cols = linear_sum_assignment(a.T @ b, maximize=True)
    t = np.zeros((a.shape[1], b.shape[1]))
    t[rows, cols] = 1
    return t


def reference_gaussian(mx, cx, my, cy, alpha, group, niter, tol):
    sx, sy = [sqrtm_psd(c) for c in cx], [sqrtm_psd(c) for c in cy]
    a = np.vstack([alpha * mx] + [(2 - alpha) * s for s in sx])
    t = align(my, mx, group)
    losses = []
    for i in range(niter):
        qs = [align(t.T @ b, s, "orth") for s, b in zip(sx, sy)]
        b = np.vstack([alpha * my] + [q.T @ ((2 - alpha) * s) for q, s in zip(qs, sy)])
        t = align(b, a, group)
        losses.append(np.linalg.norm(a - b @ t))
        if i >= 2 and losses[-2] - losses[-1] < tol:
            break
    return t


def reference_gaussian_score(mx, cx, my, cy, t, alpha):
    total = []
    for i in range(len(mx)):
        ra, rb = sqrtm_psd(cx[i]), sqrtm_psd(t.T @ cy[i] @ t)
        bures = np.trace(cx[i]) + np.trace(t.T @ cy[i] @ t) - 2 * np.linalg.svd(ra @ rb, compute_uv=False).sum()
        total.append(alpha * np.sum((mx[i] - my[i] @ t) ** 2) + (2 - alpha) * bures)
    m = np.mean(total)
    return np.sign(m) * np.sqrt(abs(m))


def gaussian_networks(seed, m=15, n=4):
    g = np.random.default_rng(seed)
    means = g.normal(size=(m, n))
    covs = np.stack([(lambda a: a @ a.T + 0.1 * np.eye(n))(g.normal(size=(n, n))) for _ in range(m)])
    q = np.linalg.qr(g.normal(size=(n, n)))[0]
    noisy = lambda c: c + 0.05 * (lambda a: a @ a.T)(g.normal(size=(n, n)))  # noqa: E731
    return (means, covs), (means @ q + 0.2 * g.normal(size=(m, n)),
                           np.stack([q.T @ noisy(c) @ q for c in covs]))


@pytest.mark.parametrize("alpha", [0.0, 1.0, 2.0, 0.5])
@pytest.mark.parametrize("group", ["orth", "perm", "identity"])
def test_the_gaussian_metric_equals_its_definition(alpha, group):
    x, y = gaussian_networks(int(alpha * 10) + len(group))
    metric = GaussianStochasticMetric(alpha=alpha, group=group, niter=50, tol=1e-10)
    got = metric.fit_score(x, y)
    t = reference_gaussian(*x, *y, alpha, group, 50, 1e-10)
    np.testing.assert_allclose(metric.T, t, rtol=0, atol=1e-7)
    assert abs(got - reference_gaussian_score(*x, *y, t, alpha)) < TOL
    assert len(metric.loss_hist) >= 1


def test_the_gaussian_metric_recovers_a_rotation_and_regularises_pairs():
    g = np.random.default_rng(7)
    means = g.normal(size=(20, 3))
    covs = np.stack([np.diag(g.uniform(0.5, 2, 3)) for _ in range(20)])
    q = np.linalg.qr(g.normal(size=(3, 3)))[0]
    rotated = (means @ q, np.einsum("ijk,jl,km->ilm", covs, q, q))
    assert GaussianStochasticMetric().fit_score((means, covs), rotated) < 1e-6
    d_train, d_test = GaussianStochasticMetric(niter=20).pairwise_distances(
        [(means, covs), rotated, (means + 1, covs)], eps=1e-6)
    assert d_train[0, 1] < 1e-3 < d_train[0, 2] and np.isinf(d_test[0, 1])


def reference_energy(x, y, group, niter, tol):
    r = x.shape[1]
    pairs = list(itertools.product(range(r), range(r)))
    xs = np.vstack([xi[[a for a, _ in pairs]] for xi in x])
    ys = np.vstack([yi[[b for _, b in pairs]] for yi in y])
    w = np.ones(len(xs))
    losses = [np.mean(np.linalg.norm(xs - ys, axis=1))]
    q = np.eye(x.shape[2])
    for _ in range(niter):
        q = align(w[:, None] * ys, w[:, None] * xs, group)
        resid = np.linalg.norm(xs - ys @ q, axis=1)
        losses.append(resid.mean())
        w = 1 / np.maximum(np.sqrt(resid), 1e-6)
        if losses[-2] - losses[-1] < tol:
            break
    return q


def reference_energy_score(x, y, q):
    y = y @ q
    r = x.shape[1]
    within = list(itertools.combinations(range(r), 2))
    cross = np.mean([np.mean([np.linalg.norm(xi[a] - yi[b]) for a in range(r) for b in range(r)])
                     for xi, yi in zip(x, y)])
    wx = np.mean([np.mean([np.linalg.norm(xi[a] - xi[b]) for a, b in within]) for xi in x])
    wy = np.mean([np.mean([np.linalg.norm(yi[a] - yi[b]) for a, b in within]) for yi in y])
    return np.sqrt(max(0.0, cross - 0.5 * (wx + wy)))


@pytest.mark.parametrize("group", ["orth", "perm"])
def test_the_energy_distance_equals_its_definition(group):
    g = np.random.default_rng(8)
    base = g.normal(size=(12, 1, 4))
    x = base + 0.3 * g.normal(size=(12, 5, 4))
    q = np.linalg.qr(g.normal(size=(4, 4)))[0]
    y = (base + 0.3 * g.normal(size=(12, 5, 4))) @ q
    metric = EnergyStochasticMetric(group=group, niter=30, tol=1e-9)
    got = metric.fit_score(x, y)
    want_q = reference_energy(x, y, group, 30, 1e-9)
    np.testing.assert_allclose(metric.Q, want_q, rtol=0, atol=1e-7)
    assert abs(got - reference_energy_score(x, y, want_q)) < TOL
    # The same network's two noisy draws are closer than a shifted one.
    assert metric.fit_score(x, y) < EnergyStochasticMetric().fit_score(x, y + 2.0)


# --- errors -------------------------------------------------------------------

def test_bad_inputs_are_repscope_errors():
    x, y = networks(2)
    with pytest.raises(rs.Error, match="alpha"):
        LinearMetric(alpha=2.0)
    with pytest.raises(rs.Error, match="not fitted"):
        LinearMetric().score(x, y)
    with pytest.raises(rs.Error, match="zero_pad"):
        LinearMetric(zero_pad=False).fit(x, y[:, :3])
    with pytest.raises(rs.Error, match="stimuli"):
        LinearMetric().fit(x, y[:-1])
    with pytest.raises(rs.Error):
        LinearMetric().fit(x, np.full_like(y, np.nan))
    with pytest.raises(rs.Error, match="init"):
        GaussianStochasticMetric(init="rand")
    with pytest.raises(rs.Error, match="same"):
        multiset.frechet_mean([x, y[:, :3]])
    with pytest.raises(rs.Error, match="n_clusters"):
        multiset.procrustes_kmeans([x, y], 3)
    with pytest.raises(rs.Error, match="repeats"):
        EnergyStochasticMetric().fit(np.zeros((3, 1, 2)), np.zeros((3, 1, 2)))


def test_an_embedding_of_networks_recovers_their_layout():
    g = np.random.default_rng(9)
    points = g.normal(size=(8, 2))
    d = np.linalg.norm(points[:, None] - points[None], axis=-1)
    coords = rs.shape_embedding(d, dims=2)
    np.testing.assert_allclose(np.linalg.norm(coords[:, None] - coords[None], axis=-1), d, atol=1e-9)
    nets = networks(5)
    d_train, _ = rs.shape_distances(nets)
    assert rs.shape_embedding(d_train, dims=3).shape == (5, 3)
    with pytest.raises(rs.Error, match="square"):
        rs.shape_embedding(d_train[:3])
