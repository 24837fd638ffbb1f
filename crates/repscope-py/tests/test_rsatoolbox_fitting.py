"""Flexible models fitted for any comparison (weighted by search for rank
comparisons, interpolation, selection), against rsatoolbox's fitters
(live): repscope's fits score at least as well by rsatoolbox's own
`compare`, equal them where rsatoolbox's fit is exact, and the models run
through cross-validation as rsatoolbox's `crossval` runs them."""

from __future__ import annotations

import numpy as np
import pytest
from rsatoolbox.inference import crossval
from rsatoolbox.model import ModelFixed, ModelInterpolate, ModelSelect, ModelWeighted
from rsatoolbox.model.fitter import fit_interpolate, fit_optimize, fit_optimize_positive, fit_select
from rsatoolbox.rdm import RDMs, compare
from scipy.optimize import minimize_scalar

import repscope as rs

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


def problem(seed, n_cond=10, n_subj=4, k=3):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(k, n_cond, 3))
    components = np.stack([rs.rdm(f, "euclidean") for f in features])
    truth = np.array([0.6, 0.3, 0.1][:k]) @ components
    data = np.stack([truth * np.exp(0.3 * rng.normal(size=truth.size)) for _ in range(n_subj)])
    return components, data, rng


def score(prediction, data, method):
    """rsatoolbox's mean comparison: the objective of its fitters (an
    undefined one, e.g. of the all-zero weights rsatoolbox's positive
    τ_b fit can return, as the worst)."""
    value = float(np.mean(compare(RDMs(prediction[None, :]), RDMs(data), method)))
    return -np.inf if np.isnan(value) else value


@pytest.mark.parametrize("method", ["spearman", "rho-a", "tau-a", "kendall"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rank_based_weight_fits_score_at_least_as_well_as_rsatoolboxs(method, seed):
    components, data, _ = problem(seed)
    model = ModelWeighted("w", components)
    ours = rs.fit_weights(components, data, method)
    assert np.all(ours >= 0) and abs(np.linalg.norm(ours) - 1) < 1e-12
    np.random.seed(seed)
    theirs = fit_optimize_positive(model, RDMs(data), method=method)
    assert score(ours @ components, data, method) >= score(theirs @ components, data, method) - 1e-12
    # Without the sign constraint (rsatoolbox's default fit_optimize).
    free = rs.fit_weights(components, data, method, nonnegative=False)
    np.random.seed(seed)
    theirs_free = fit_optimize(model, RDMs(data), method=method)
    assert score(free @ components, data, method) >= score(theirs_free @ components, data, method) - 1e-12
    assert score(free @ components, data, method) >= score(ours @ components, data, method) - 1e-12


def test_a_searched_fit_leaves_nan_positions_out_and_repeats_exactly():
    components, data, _ = problem(4)
    gap = data.copy()
    gap[:, [3, 17]] = np.nan
    theta = rs.fit_weights(components, gap, "spearman")
    keep = np.ones(data.shape[1], bool)
    keep[[3, 17]] = False
    np.testing.assert_array_equal(theta, rs.fit_weights(components[:, keep], data[:, keep], "spearman"))
    np.testing.assert_array_equal(theta, rs.fit_weights(components, gap, "spearman"))
    with pytest.raises(rs.InputError, match="not one a fit can maximise"):
        rs.fit_weights(components, data, "bures_metric")


@pytest.mark.parametrize("method", ["cosine", "corr", "spearman", "tau-a"])
def test_interpolation_fits_score_at_least_as_well_as_rsatoolboxs(method):
    components, data, _ = problem(5, k=3)
    series = np.stack([components[0], 0.5 * (components[0] + components[1]), components[1],
                       components[2]])
    target = 0.3 * series[1] + 0.7 * series[2]
    subjects = np.stack([target * np.exp(0.2 * np.random.default_rng(s).normal(size=target.size))
                         for s in range(3)])
    ours = rs.fit_interpolate(series, subjects, method)
    assert np.count_nonzero(ours) <= 2 and abs(ours.sum() - 1) < 1e-12
    theirs = fit_interpolate(ModelInterpolate("i", series), RDMs(subjects), method=method)
    assert score(ours @ series, subjects, method) >= score(theirs @ series, subjects, method) - 1e-12
    if method in ("cosine", "corr"):
        # Smooth: the weight is the optimum a tight bounded search finds.
        pair = int(np.flatnonzero(ours)[0])

        def loss(w):
            return -score((1 - w) * series[pair] + w * series[pair + 1], subjects, method)

        best = minimize_scalar(loss, bounds=(0, 1), method="bounded", options={"xatol": 1e-12})
        assert abs(ours[pair + 1] - best.x) < 1e-6
        np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("method", ["cosine", "corr", "spearman", "rho-a", "tau-a", "kendall"])
def test_selection_equals_rsatoolbox(method):
    components, data, rng = problem(6)
    candidates = np.vstack([components, rng.random((2, components.shape[1]))])
    ours = rs.fit_select(candidates, data, method)
    theirs = fit_select(ModelSelect("s", candidates), RDMs(data), method=method)
    assert ours.tolist() == [float(i == theirs) for i in range(len(candidates))]


def test_flexible_models_cross_validate_as_rsatoolbox_does():
    components, data, rng = problem(7, n_cond=12, n_subj=5)
    series = np.stack([components[0], components[1], components[2]])
    models = [ModelFixed("fixed", components[0]), ModelSelect("select", series),
              ModelInterpolate("interpolate", series), ModelWeighted("weighted", components)]
    for method in ("corr", "spearman"):
        ours = rs.rsa_crossval(models, data, method, k=3, seed=2)
        assert ours.names == ["fixed", "select", "interpolate", "weighted"]
        rdms_ = RDMs(data)
        train_set, test_set = [], []
        for test in ours.test_conditions:
            train = [c for c in range(12) if c not in test]
            train_set.append([rdms_.subsample_pattern("index", train), np.array(train)])
            test_set.append([rdms_.subsample_pattern("index", test), np.array(test)])
        # Fixed and selection models: rsatoolbox's fits are exact, so the
        # evaluations are equal.
        theirs = crossval(models[:2], rdms_, train_set, test_set, method=method)
        np.testing.assert_allclose(ours.evaluations[:, :2], theirs.evaluations[0].T, rtol=1e-9)
        # Searched fits: each fold's prediction is the repscope fit on the
        # training pairs, scored on the test pairs by rsatoolbox.
        for fold, (train, test) in enumerate(zip(train_set, test_set)):
            train_pairs = train[0].get_vectors()
            restrict = RDMs(series).subsample_pattern("index", train[1]).get_vectors()
            theta = rs.fit_interpolate(restrict, train_pairs, method)
            want = np.mean(compare(RDMs(theta @ series).subsample_pattern("index", test[1]), test[0],
                                   method))
            assert abs(ours.evaluations[fold, 2] - want) < 1e-9
            weights = rs.fit_weights(RDMs(components).subsample_pattern("index", train[1]).get_vectors(),
                                     train_pairs, method)
            want = np.mean(compare(RDMs(weights @ components).subsample_pattern("index", test[1]),
                                   test[0], method))
            assert abs(ours.evaluations[fold, 3] - want) < 1e-9
            np.testing.assert_allclose(ours.weights[fold][3], weights, rtol=1e-12)


def test_flexible_models_in_bootstrap_crossvalidation_and_the_dual_bootstrap():
    components, data, _ = problem(8, n_cond=16, n_subj=5)
    models = {"interpolate": ("interpolate", components), "select": ("select", components),
              "weighted": components}
    result = rs.rsa_bootstrap_crossval(models, data, "spearman", k=2, n_boot=8, seed=1, n_cv=1)
    assert result.n_valid >= 4 and np.isfinite(result.mean).all()
    dual = rs.rsa_dual_bootstrap(models, data, "spearman", n_boot=6, k=2, n_cv=2, seed=1)
    assert np.isfinite(dual.mean).all() and np.isfinite(dual.sem).all()
    with pytest.raises(rs.InputError, match="unknown model kind"):
        rs.rsa_crossval([("blend", components)], data)
    with pytest.raises(rs.InputError, match="fixed model is one RDM"):
        rs.rsa_crossval([("fixed", components)], data)
    with pytest.raises(rs.InputError, match="series of at least 2"):
        rs.fit_interpolate(components[:1], data)
