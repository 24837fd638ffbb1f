"""Ridge encoding models against himalaya's RidgeCV / KernelRidgeCV and
scikit-learn's Ridge, on the same explicit folds."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import repscope as rs
from repscope.errors import InputError

himalaya_ridge = pytest.importorskip("himalaya.ridge")
himalaya_kernel = pytest.importorskip("himalaya.kernel_ridge")
himalaya_scoring = pytest.importorskip("himalaya.scoring")
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.model_selection import GroupKFold, KFold  # noqa: E402

ALPHAS = np.logspace(-2, 4, 13)


def data(n: int = 60, p: int = 12, t: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Targets with a range of signal-to-noise (so the chosen alphas vary)
    and some pure-noise targets."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    w = rng.normal(size=(p, t)) * (rng.random(t) < 0.6)
    y = x @ w + rng.normal(size=(n, t)) * rng.uniform(0.1, 5, t) + 3.0
    return x, y


def unsloped(h: object) -> np.ndarray:
    # himalaya reports the selection score including its tie-break slope
    # 1e-10 ln(alpha); repscope reports the plain fold mean.
    return h.cv_scores_ - 1e-10 * np.log(h.best_alphas_)  # type: ignore[attr-defined]


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-8) -> None:
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_ridge_cv_equals_himalaya_per_target(fit_intercept: bool) -> None:
    x, y = data()
    if not fit_intercept:
        x, y = x - x.mean(0), y - y.mean(0)  # himalaya's contract without intercept
    h = himalaya_ridge.RidgeCV(alphas=ALPHAS, cv=KFold(5), fit_intercept=fit_intercept).fit(x, y)
    r = rs.RidgeCV(alphas=ALPHAS, cv=5, fit_intercept=fit_intercept, scoring="neg_mse").fit(x, y)
    assert len(np.unique(r.best_alphas_)) > 3  # the test exercises selection
    close(r.best_alphas_, h.best_alphas_, 1e-12)
    close(r.coef_, h.coef_, 1e-10)
    close(r.cv_scores_, unsloped(h), 1e-12)
    if fit_intercept:
        close(r.intercept_, h.intercept_, 1e-10)
    assert r.alpha_scores_.shape == (len(ALPHAS), y.shape[1])


def test_explicit_folds_r2_score_and_shared_alpha_equal_himalaya() -> None:
    x, y = data(n=72, seed=1)
    runs = np.repeat(np.arange(6), 12)
    folds = list(GroupKFold(3).split(x, y, runs))
    h = himalaya_ridge.RidgeCV(
        alphas=ALPHAS, cv=folds, fit_intercept=True, solver_params=dict(score_func=himalaya_scoring.r2_score)
    ).fit(x, y)
    r = rs.RidgeCV(alphas=ALPHAS, cv=folds, scoring="r2").fit(x, y)
    close(r.best_alphas_, h.best_alphas_, 1e-12)
    close(r.coef_, h.coef_, 1e-10)
    close(r.cv_scores_, unsloped(h), 1e-12)
    # one alpha for all targets (himalaya's local_alpha=False)
    h = himalaya_ridge.RidgeCV(
        alphas=ALPHAS, cv=KFold(4), fit_intercept=True, solver_params=dict(local_alpha=False)
    ).fit(x, y)
    r = rs.RidgeCV(alphas=ALPHAS, cv=KFold(4), per_target=False, scoring="neg_mse").fit(x, y)
    assert len(np.unique(r.best_alphas_)) == 1
    close(r.best_alphas_, h.best_alphas_, 1e-12)
    close(r.coef_, h.coef_, 1e-10)


def test_kernel_path_equals_primal_path_and_himalaya_kernel_ridge() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 140))  # features > samples: the kernel path
    y = x[:, :5] @ rng.normal(size=(5, 30)) + rng.normal(size=(50, 30)) * rng.uniform(0.2, 4, 30)
    auto = rs.RidgeCV(alphas=ALPHAS, cv=5, fit_intercept=False, scoring="neg_mse").fit(x, y)
    primal = rs.RidgeCV(alphas=ALPHAS, cv=5, fit_intercept=False, solver="primal", scoring="neg_mse").fit(x, y)
    assert auto.kernel_ and not primal.kernel_
    close(auto.alpha_scores_, primal.alpha_scores_, 1e-10)
    np.testing.assert_array_equal(auto.best_alphas_, primal.best_alphas_)
    close(auto.coef_, primal.coef_, 1e-9)
    k = himalaya_kernel.KernelRidgeCV(alphas=ALPHAS, kernel="linear", cv=KFold(5)).fit(x, y)
    close(auto.best_alphas_, k.best_alphas_, 1e-12)
    close(auto.cv_scores_, unsloped(k), 1e-10)
    close(x.T @ k.dual_coef_, auto.coef_, 1e-8)  # primal weights of the dual solution


def test_ties_go_to_the_larger_alpha() -> None:
    x, y = data(t=5)
    y[:, 2] = 7.0  # constant target: every alpha predicts it exactly
    r = rs.RidgeCV(alphas=ALPHAS, cv=5, scoring="neg_mse").fit(x, y)
    assert r.best_alphas_[2] == ALPHAS.max()
    h = himalaya_ridge.RidgeCV(alphas=ALPHAS, cv=KFold(5), fit_intercept=True).fit(x, y)
    close(r.best_alphas_, h.best_alphas_, 1e-12)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_fixed_alpha_equals_scikit_learn_ridge(fit_intercept: bool) -> None:
    x, y = data(seed=3)
    s = Ridge(alpha=3.0, fit_intercept=fit_intercept).fit(x, y)
    coef, intercept = rs.ridge(x, y, 3.0, fit_intercept=fit_intercept)
    close(coef, s.coef_.T, 1e-10)
    np.testing.assert_allclose(intercept, s.intercept_ if fit_intercept else 0.0, atol=1e-10)
    wide = np.random.default_rng(4).normal(size=(20, 50))
    s = Ridge(alpha=0.5, fit_intercept=fit_intercept).fit(wide, y[:20])
    coef, intercept = rs.ridge(wide, y[:20], 0.5, fit_intercept=fit_intercept, solver="kernel")
    close(coef, s.coef_.T, 1e-9)
    # one alpha per target
    per = np.linspace(0.1, 10, y.shape[1])
    coef, _ = rs.ridge(x, y, per)
    for j in (0, 17, 39):
        close(coef[:, j], Ridge(alpha=per[j]).fit(x, y[:, j]).coef_, 1e-10)


def test_predict_and_scores_equal_himalaya_scoring() -> None:
    x, y = data(seed=5)
    model = rs.RidgeCV(alphas=ALPHAS, cv=5).fit(x[:40], y[:40])
    pred = model.predict(x[40:])
    close(pred, x[40:] @ model.coef_ + model.intercept_, 1e-12)
    yt = y[40:].copy()
    yt[:, 3] = 1.0  # constant target scores 0 in both
    with np.errstate(divide="ignore"):
        close(model.score(x[40:], yt), himalaya_scoring.r2_score(yt, pred), 1e-12)
    close(model.score(x[40:], yt, "pearson"), himalaya_scoring.correlation_score(yt, pred), 1e-12)
    close(model.score(x[40:], yt, "neg_mse"), himalaya_scoring.l2_neg_loss(yt, pred), 1e-12)
    single = rs.RidgeCV(alphas=ALPHAS, cv=5).fit(x, y[:, 0])
    assert single.coef_.shape == (x.shape[1],) and single.predict(x).shape == (x.shape[0],)


def test_target_batches_do_not_change_the_result() -> None:
    x, y = data(seed=6)
    a = rs.RidgeCV(alphas=ALPHAS, cv=5, target_batch=1).fit(x, y)
    b = rs.RidgeCV(alphas=ALPHAS, cv=5, target_batch=7).fit(x, y)
    close(a.alpha_scores_, b.alpha_scores_, 1e-12)
    close(a.coef_, b.coef_, 1e-12)


def test_bad_input_is_refused_with_a_reason() -> None:
    x, y = data(n=12, t=3)
    bad = y.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="targets"):
        rs.RidgeCV(alphas=ALPHAS, cv=3).fit(x, bad)
    with pytest.raises(InputError, match="folds"):
        rs.RidgeCV(alphas=ALPHAS, cv=20).fit(x, y)  # fewer samples than folds
    with pytest.raises(InputError, match="positive"):
        rs.RidgeCV(alphas=[0.0, 1.0], cv=3).fit(x, y)
    with pytest.raises(InputError, match="samples"):
        rs.RidgeCV(alphas=ALPHAS, cv=3).fit(x, y[:10])
    with pytest.raises(InputError, match="row 99"):
        rs.RidgeCV(alphas=ALPHAS, cv=[([0, 1, 2], [99])]).fit(x, y)
    with pytest.raises(InputError, match="not fitted"):
        rs.RidgeCV().predict(x)
    with pytest.raises(InputError, match="cv must be"):
        rs.RidgeCV(cv=True).fit(x, y)
    # Constant features are allowed: the penalty keeps the problem
    # well-posed and their coefficients are 0 after centring.
    xc = x.copy()
    xc[:, 0] = 5.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = rs.RidgeCV(alphas=ALPHAS, cv=3).fit(xc, y)
    assert np.all(np.abs(model.coef_[0]) < 1e-12)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_banded_ridge_equals_himalaya_random_search_on_the_same_candidates(fit_intercept: bool) -> None:
    from himalaya.ridge import solve_group_ridge_random_search

    rng = np.random.default_rng(7)
    low, mid, sem = rng.normal(size=(80, 4)), rng.normal(size=(80, 6)), rng.normal(size=(80, 5))
    y = (
        low @ rng.normal(size=(4, 12)) * rng.uniform(0, 1, 12)
        + sem @ rng.normal(size=(5, 12)) * rng.uniform(0, 1, 12)
        + rng.normal(size=(80, 12))
    )
    if not fit_intercept:
        low, mid, sem, y = (a - a.mean(0) for a in (low, mid, sem, y))
    gammas = rs.BandedRidgeCV(n_iter=15, seed=3).fit([low, mid, sem], y).gammas_
    np.testing.assert_allclose(gammas.sum(1), 1.0, atol=1e-12)
    deltas, coef, cv_scores, *rest = solve_group_ridge_random_search(
        [low, mid, sem], y, n_iter=gammas, alphas=ALPHAS, cv=KFold(4), return_weights=True,
        progress_bar=False, fit_intercept=fit_intercept,
    )
    r = rs.BandedRidgeCV(alphas=ALPHAS, cv=4, gammas=gammas, fit_intercept=fit_intercept, scoring="neg_mse").fit([low, mid, sem], y)
    assert len(np.unique(r.best_gamma_)) > 1
    close(r.deltas_, deltas, 1e-10)
    close(r.coef_, coef, 1e-9)
    alphas_per_target = np.exp(-np.max(deltas - np.log(gammas[r.best_gamma_]).T, axis=0))
    close(r.best_alphas_, alphas_per_target, 1e-9)
    # himalaya's cv_scores hold its tie-break slope at each candidate's alpha
    assert np.abs(r.cv_scores_ - cv_scores).max() < 1e-8
    if fit_intercept:
        close(r.intercept_, rest[0], 1e-9)
    pred = r.predict([low, mid, sem])
    close(pred, np.hstack([low, mid, sem]) @ coef + (rest[0] if fit_intercept else 0.0), 1e-9)


def test_banded_ridge_refuses_mismatched_spaces() -> None:
    rng = np.random.default_rng(8)
    with pytest.raises(InputError, match="samples"):
        rs.BandedRidgeCV(n_iter=3).fit([rng.normal(size=(30, 2)), rng.normal(size=(29, 2))], rng.normal(size=(30, 2)))
    with pytest.raises(InputError, match="simplex"):
        rs.BandedRidgeCV(gammas=[[0.0, 0.0]], cv=3).fit([rng.normal(size=(30, 2))] * 2, rng.normal(size=(30, 2)))
    with pytest.raises(InputError, match="gammas"):
        rs.BandedRidgeCV(gammas=np.ones((3, 3)) / 3).fit([rng.normal(size=(30, 2))] * 2, rng.normal(size=(30, 2)))


def test_cli_encode_layers_of_the_bundled_minilm_data(tmp_path, run_cli) -> None:
    from conftest import ROOT

    minilm = ROOT / "data" / "minilm_corpus.safetensors"
    reps = rs.load(minilm)
    # A "brain" of 60 targets: a noisy linear readout of layer 4.
    rng = np.random.default_rng(0)
    brain = reps["layer4"] @ rng.normal(size=(384, 60)) + 2.0 * rng.normal(size=(320, 60))
    np.save(tmp_path / "brain.npy", brain)
    out = tmp_path / "scores.npz"
    p = run_cli("--json", "encode", minilm, tmp_path / "brain.npy", "--layer", "layer1", "--layer", "layer4",
                "--alphas", "1e-1:1e4:6", "--cv", "4", "-o", out, "--plot", tmp_path / "enc.png", check=0)
    import json

    rows = json.loads(p.stdout)
    assert [r["features"] for r in rows] == ["layer1", "layer4"]
    assert rows[1]["mean_score"] > rows[0]["mean_score"]
    saved = np.load(out)
    model = rs.RidgeCV(alphas=np.logspace(-1, 4, 6), cv=4, scoring="r2").fit(reps["layer4"], brain)
    np.testing.assert_allclose(saved["layer4/brain/cv_score"], model.cv_scores_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(saved["layer4/brain/best_alpha"], model.best_alphas_, rtol=1e-12)
    assert (tmp_path / "enc.png").stat().st_size > 1000
    p = run_cli("encode", minilm, tmp_path / "brain.npy", "--alphas", "0:1:3", check=2)
    assert "penalties (alphas)" in p.stderr


def test_feature_variance_equals_scikit_learn_cross_val_predict() -> None:
    from sklearn.metrics import r2_score
    from sklearn.model_selection import cross_val_predict

    rng = np.random.default_rng(9)
    colour = np.eye(3)[rng.integers(0, 3, 150)]  # a one-hot feature: 3 columns, one group
    size = rng.normal(size=(150, 1))
    feats = np.hstack([colour, size])
    layers = {
        "early": colour @ rng.normal(size=(3, 25)) + rng.normal(size=(150, 25)),
        "late": size @ rng.normal(size=(1, 25)) + 0.2 * colour @ rng.normal(size=(3, 25)) + rng.normal(size=(150, 25)),
    }
    v = rs.feature_variance(feats, layers, groups=[0, 0, 0, 1], names=["colour", "size"], alpha=0.5)

    def r2(cols: list[int], y: np.ndarray) -> float:
        pred = cross_val_predict(Ridge(alpha=0.5), feats[:, cols], y, cv=KFold(5))
        return float(r2_score(y, pred, multioutput="variance_weighted"))

    for i, y in enumerate(layers.values()):
        total = r2([0, 1, 2, 3], y)
        np.testing.assert_allclose(v.total[i], total, rtol=1e-10)
        np.testing.assert_allclose(v.explained[i], [r2([0, 1, 2], y), r2([3], y)], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(v.unique[i], [total - r2([3], y), total - r2([0, 1, 2], y)], rtol=1e-10, atol=1e-12)
    assert v.explained[0, 0] > v.explained[0, 1] and v.explained[1, 1] > v.explained[1, 0]
    assert list(v.to_pandas()["feature"][:2]) == ["colour", "size"]
    with pytest.raises(InputError, match="stimuli"):
        rs.feature_variance(feats[:100], layers)
