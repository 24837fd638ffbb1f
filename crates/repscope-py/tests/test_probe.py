"""Linear probes and concept depth, cross-checked against scikit-learn
(LogisticRegression with lbfgs, StandardScaler, the metrics)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import repscope as rs

TIGHT = dict(tol=1e-10, max_iter=100_000)


def blobs(n, p, k, seed, spread=1.0):
    """k Gaussian classes in p dimensions, overlapping (not separable)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    centres = rng.normal(size=(k, p)) * spread
    return rng.normal(size=(n, p)) + centres[y], y


@pytest.mark.parametrize("k", [2, 4])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.1, 3.0])
def test_probabilities_equal_sklearn(k, fit_intercept, C):
    X, y = blobs(150, 8, k, seed=k, spread=0.8)
    X = X + 0.5  # an offset the intercept has to absorb
    ours = rs.LogisticRegression(C=C, fit_intercept=fit_intercept, **TIGHT).fit(X, y)
    ref = SkLogistic(C=C, fit_intercept=fit_intercept, **TIGHT).fit(X, y)
    Xt, _ = blobs(60, 8, k, seed=100 + k, spread=0.8)
    assert ours.converged_
    assert np.abs(ours.predict_proba(Xt) - ref.predict_proba(Xt)).max() < 1e-5
    # Binary problems are binomial, one weight vector, as in scikit-learn.
    assert ours.coef_.shape == ref.coef_.shape
    assert np.array_equal(ours.predict(Xt), ref.predict(Xt))


def test_string_labels_and_classes_order():
    X, y = blobs(90, 3, 3, seed=1, spread=2.0)
    names = np.array(["cat", "car", "dog"])[y]
    ours = rs.LogisticRegression(**TIGHT).fit(X, names)
    ref = SkLogistic(**TIGHT).fit(X, names)
    assert list(ours.classes_) == list(ref.classes_)
    assert np.abs(ours.predict_proba(X) - ref.predict_proba(X)).max() < 1e-5


@pytest.mark.parametrize("k", [2, 5])
def test_metrics_equal_sklearn_on_the_same_predictions(k):
    X, y = blobs(200, 4, k, seed=7, spread=0.5)
    proba = rs.LogisticRegression().fit(X[:100], y[:100]).predict_proba(X[100:])
    truth = y[100:]
    acc, f1, auc = rs.probe_scores(truth, proba)
    pred = np.argmax(proba, axis=1)
    assert abs(acc - accuracy_score(truth, pred)) <= 1e-12
    assert abs(f1 - f1_score(truth, pred, average="macro")) <= 1e-12
    ref_auc = roc_auc_score(truth, proba[:, 1]) if k == 2 else roc_auc_score(truth, proba, multi_class="ovr")
    assert abs(auc - ref_auc) <= 1e-12
    # A class never predicted has F1 0 but still counts in the macro mean.
    proba_tied = np.tile(np.eye(k)[0], (len(truth), 1)) * 0.5 + 0.5 / k
    acc, f1, auc = rs.probe_scores(truth, proba_tied)
    pred = np.zeros_like(truth)
    assert abs(f1 - f1_score(truth, pred, average="macro", zero_division=0)) <= 1e-12
    assert abs(auc - 0.5) <= 1e-12


@pytest.mark.parametrize("k", [2, 3])
def test_per_fold_scores_equal_an_sklearn_pipeline_on_the_same_folds(k):
    X, y = blobs(180, 6, k, seed=11, spread=0.6)
    X[:, 2] *= 50.0  # scales differ: standardisation matters
    layers = {"a": X, "b": X[:, :3] ** 2}
    splits = list(StratifiedKFold(5, shuffle=True, random_state=3).split(X, y))
    ours = rs.probe(layers, y, cv=splits, C=0.5, **TIGHT)
    fold_ids = np.empty(len(y), dtype=np.int64)
    for f, (_, test) in enumerate(splits):
        fold_ids[test] = f
    by_ids = rs.probe(layers, y, cv=fold_ids, C=0.5, **TIGHT)
    assert np.array_equal(by_ids.fold_accuracy, ours.fold_accuracy)
    for li, x in enumerate(layers.values()):
        for f, (train, test) in enumerate(splits):
            model = make_pipeline(StandardScaler(), SkLogistic(C=0.5, **TIGHT)).fit(x[train], y[train])
            proba = model.predict_proba(x[test])
            pred = np.argmax(proba, axis=1)
            assert abs(ours.fold_accuracy[li, f] - accuracy_score(y[test], pred)) <= 1e-12
            assert abs(ours.fold_f1_macro[li, f] - f1_score(y[test], pred, average="macro")) <= 1e-12
            ref_auc = (
                roc_auc_score(y[test], proba[:, 1])
                if k == 2
                else roc_auc_score(y[test], proba, multi_class="ovr")
            )
            # Probabilities agree to 1e-5, so the ranking (and AUC) can only
            # differ where two test items are that close.
            assert abs(ours.fold_roc_auc[li, f] - ref_auc) <= 1e-3
        assert abs(ours.accuracy[li] - ours.fold_accuracy[li].mean()) <= 1e-12


def test_unstandardised_probe_equals_plain_sklearn():
    X, y = blobs(120, 5, 3, seed=2)
    splits = list(StratifiedKFold(4, shuffle=True, random_state=0).split(X, y))
    ours = rs.probe([X], y, cv=splits, standardize=False, fit_intercept=False, **TIGHT)
    for f, (train, test) in enumerate(splits):
        ref = SkLogistic(fit_intercept=False, **TIGHT).fit(X[train], y[train])
        assert abs(ours.fold_accuracy[0, f] - ref.score(X[test], y[test])) <= 1e-12


def test_seeded_stratified_split_is_stratified_and_reproducible():
    y = np.array([0] * 23 + [1] * 41 + [2] * 9 + [3] * 30)
    folds = rs.stratified_folds(y, 5, seed=4)
    assert np.array_equal(folds, rs.stratified_folds(y, 5, seed=4))
    assert not np.array_equal(folds, rs.stratified_folds(y, 5, seed=5))
    sizes = np.bincount(folds, minlength=5)
    assert sizes.max() - sizes.min() <= 1
    for c in range(4):
        per_fold = np.bincount(folds[y == c], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1, (c, per_fold)


def test_bad_input_is_a_clear_error():
    X, y = blobs(60, 4, 3, seed=0)
    y_small = y.copy()
    y_small[:] = 0
    y_small[:3] = 1  # class 1 has 3 members: too few for 5 folds
    y_small[3:33] = 2
    with pytest.raises(rs.InputError, match="class 1 has 3 members"):
        rs.probe([X], y_small, cv=5)
    with pytest.raises(rs.InputError, match="at least 2 classes"):
        rs.probe([X], np.zeros(60, dtype=int), cv=5)
    bad = X.copy()
    bad[4, 2] = np.nan
    with pytest.raises(rs.InputError, match="NaN at row 4, column 2"):
        rs.probe({"layer": bad}, y, cv=5)
    with pytest.raises(rs.InputError, match="should have 60 entries but has 59"):
        rs.probe([X], y[:59], cv=5)
    with pytest.raises(rs.InputError, match="C must be positive"):
        rs.LogisticRegression(C=0.0).fit(X, y)
    with pytest.raises(rs.InputError, match="NaN or infinite labels"):
        rs.probe([X], np.where(y == 0, np.nan, y.astype(float)), cv=5)
    with pytest.raises(rs.InputError, match="cv must be"):
        rs.probe([X], y, cv=True)


def test_a_scikit_learn_splitter_is_given_the_labels():
    from sklearn.model_selection import StratifiedKFold

    X, y = blobs(60, 4, 3, seed=1)
    splitter = StratifiedKFold(4, shuffle=True, random_state=0)
    a = rs.probe([X], y, cv=splitter)
    b = rs.probe([X], y, cv=list(splitter.split(X, y)))
    np.testing.assert_array_equal(a.accuracy, b.accuracy)


def test_explicit_folds_missing_a_class_in_training_and_non_convergence():
    X, y = blobs(60, 4, 3, seed=0)
    test = np.flatnonzero(y == 2)  # class 2 only in the test fold
    train = np.flatnonzero(y != 2)
    with pytest.raises(rs.InputError, match="class 2 has no training samples"):
        rs.probe([X], y, cv=[(train, test)])
    with pytest.warns(RuntimeWarning, match="did not reach tol"):
        r = rs.probe([X], y, cv=3, max_iter=2, tol=1e-12)
    assert not r.converged.all()


def test_constant_features_are_harmless():
    """A constant feature is only centred by the standardisation (as
    StandardScaler does) and gets zero weight: the probe equals the one
    without it, and an all-constant layer scores chance-level folds."""
    X, y = blobs(90, 4, 3, seed=3)
    with_const = np.column_stack([X, np.full(90, 7.0)])
    splits = list(StratifiedKFold(3, shuffle=True, random_state=1).split(X, y))
    a = rs.probe([X], y, cv=splits, **TIGHT)
    b = rs.probe([with_const], y, cv=splits, **TIGHT)
    assert np.array_equal(a.fold_accuracy, b.fold_accuracy)
    clf = rs.LogisticRegression(**TIGHT).fit(StandardScaler().fit_transform(with_const), y)
    assert np.abs(clf.coef_[:, -1]).max() < 1e-12
    flat = rs.probe([np.ones((90, 3))], y, cv=3)
    assert np.all(flat.fold_roc_auc == 0.5)


def test_control_task_is_at_chance_and_selectivity_is_positive():
    rng = np.random.default_rng(0)
    n, k = 400, 4
    y = np.arange(n) % k
    noise = rng.normal(size=(n, 20))
    signal = noise + 2.0 * np.eye(k, 20)[y]
    r = rs.probe({"noise": noise, "signal": signal}, y, cv=5, seed=1, control=True)
    # Chance is 1/4; the standard error of an accuracy over 400 items is ~0.022.
    assert abs(r.control_accuracy[1] - 0.25) < 0.08
    assert abs(r.accuracy[0] - 0.25) < 0.08
    assert r.accuracy[1] > 0.7
    assert r.selectivity[1] > 0.35
    assert abs(r.selectivity[1] - (r.accuracy[1] - r.control_accuracy[1])) <= 1e-12
    again = rs.probe({"noise": noise, "signal": signal}, y, cv=5, seed=1, control=True)
    assert np.array_equal(again.control_accuracy, r.control_accuracy)
    assert rs.probe([signal], y).selectivity is None
    table = r.to_pandas()
    assert list(table["layer"]) == ["noise", "signal"]
    assert np.array_equal(table["selectivity"].to_numpy(), r.selectivity)


def test_inner_cv_chooses_among_the_candidates():
    X, y = blobs(120, 10, 2, seed=5, spread=0.4)
    r = rs.probe([X], y, cv=4, Cs=[1e-3, 1.0, 1e3], inner_cv=3)
    assert set(np.unique(r.fold_C)) <= {1e-3, 1.0, 1e3}
    fixed = rs.probe([X], y, cv=4, C=2.0)
    assert np.all(fixed.fold_C == 2.0)


def test_concept_depth_definitions():
    d = rs.concept_depth([0.3, 0.35, 0.7, 0.85, 0.9, 0.88])
    assert (d.best_layer, d.threshold_layer, d.jump_layer) == (4, 3, 2)
    assert d.jump == pytest.approx(0.35, abs=1e-12)
    assert rs.concept_depth([0.3, 0.35, 0.7, 0.85, 0.9], fraction=0.5).threshold_layer == 2
    assert rs.concept_depth([0.6, 0.5]).jump_layer is None
    rng = np.random.default_rng(1)
    y = np.arange(200) % 2
    layers = [rng.normal(size=(200, 4)) + s * y[:, None] for s in (0.0, 0.1, 2.0, 2.2)]
    r = rs.probe(layers, y, cv=5)
    assert r.depth.jump_layer == 2
    assert r.depth.threshold_layer in (2, 3)


def test_cli_probe_writes_the_table_and_the_depth_plot(tmp_path, run_cli):
    rng = np.random.default_rng(3)
    y = np.array(["ant", "bee", "cat"])[np.arange(150) % 3]
    codes = np.unique(y, return_inverse=True)[1]
    layers = {f"layer{i}": rng.normal(size=(150, 6)) + s * np.eye(3, 6)[codes] for i, s in enumerate([0, 0.5, 2, 2.5])}
    np.savez(tmp_path / "reps.npz", **layers)
    (tmp_path / "labels.txt").write_text("\n".join(y) + "\n")
    out, png = tmp_path / "depth.csv", tmp_path / "depth.png"
    run_cli("probe", tmp_path / "reps.npz", "--labels", tmp_path / "labels.txt", "--control",
            "--seed", 2, "-o", out, "--plot", png, check=0)
    assert png.stat().st_size > 0
    table = np.genfromtxt(out, delimiter=",", names=True, dtype=None, encoding="utf-8")
    ref = rs.probe(layers, y, cv=5, seed=2, control=True)
    assert list(table["layer"]) == list(layers)
    np.testing.assert_array_equal(table["accuracy"], ref.accuracy)
    np.testing.assert_array_equal(table["selectivity"], ref.selectivity)
    assert table["threshold_layer"][ref.depth.threshold_layer] == 1
    assert table["jump_layer"][ref.depth.jump_layer] == 1
    (tmp_path / "few.txt").write_text("\n".join(["a"] * 147 + ["b"] * 3) + "\n")
    p = run_cli("probe", tmp_path / "reps.npz", "--labels", tmp_path / "few.txt", check=2)
    assert "class 1 has 3 members" in p.stderr


def test_demo_adds_the_topic_probe(tmp_path, run_cli):
    run_cli("demo", "-o", tmp_path / "demo", check=0)
    table = np.genfromtxt(tmp_path / "demo" / "probe_depth.csv", delimiter=",", names=True,
                          dtype=None, encoding="utf-8")
    assert len(table) == 7
    # 8 topics: chance is 1/8; the topics are easy to read out of every layer.
    assert np.all(table["accuracy"] > 0.8)
    assert np.all(np.abs(table["control_accuracy"] - 0.125) < 0.1)
    assert (tmp_path / "demo" / "probe_depth.png").stat().st_size > 0
