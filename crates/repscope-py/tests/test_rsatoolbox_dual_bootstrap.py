"""The dual bootstrap and the cross-validation variance correction, against
rsatoolbox (live): `eval_dual_bootstrap` under the patch equals rsatoolbox's
own, and repscope's summaries equal the statistics rsatoolbox's `Result`
derives from the same evaluations and its variance formulas."""

from __future__ import annotations

import numpy as np
import pytest
from rsatoolbox.inference import Result, eval_dual_bootstrap
from rsatoolbox.model import ModelFixed
from rsatoolbox.rdm import RDMs

import repscope as rs
from repscope import _repscope

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


def close(ours, theirs, rel=1e-9):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    ok = ~np.isnan(theirs)
    assert np.all(np.abs(ours[ok] - theirs[ok]) <= rel * np.maximum(np.abs(theirs[ok]), 1e-6))


def subjects(seed, n_subj=5, n_cond=10, noise=0.6):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=(n_cond, 4))
    data = np.stack([rs.rdm(truth + noise * rng.normal(size=truth.shape), "euclidean")
                     for _ in range(n_subj)])
    return truth, data, rng


def same_statistics(ours, theirs):
    """repscope's summary against rsatoolbox's Result on the same numbers."""
    close(ours.mean, theirs.get_means())
    close(ours.sem, theirs.get_sem())
    close(ours.p_pairwise, theirs.test_pairwise(test_type="t-test"))
    close(ours.p_zero, theirs.test_zero(test_type="t-test"))
    close(ours.p_noise_ceiling, theirs.test_noise(test_type="t-test"))


@pytest.mark.parametrize("method", ["corr", "spearman", "cosine", "tau-a"])
def test_patched_eval_dual_bootstrap_equals_rsatoolbox(method):
    truth, data, rng = subjects(200)
    models = [ModelFixed("truth", rs.rdm(truth, "euclidean")),
              ModelFixed("other", rs.rdm(rng.normal(size=(10, 3)), "euclidean"))]
    np.random.seed(4)
    theirs = eval_dual_bootstrap(models, RDMs(data), method=method, N=40)
    after_theirs = np.random.rand()
    with rs.patched_rsatoolbox():
        import rsatoolbox.inference as inference

        before = rs.patch_calls().get("eval_dual_bootstrap", (0, 0))[0]
        np.random.seed(4)
        ours = inference.eval_dual_bootstrap(models, RDMs(data), method=method, N=40)
        assert rs.patch_calls()["eval_dual_bootstrap"][0] == before + 1
        # The generator ends where rsatoolbox leaves it.
        assert np.random.rand() == after_theirs
    assert ours.evaluations.shape == theirs.evaluations.shape == (40, 2, 1, 1, 3)
    close(ours.evaluations, theirs.evaluations)
    close(ours.noise_ceiling, theirs.noise_ceiling)
    close(ours.variances, theirs.variances)
    for get in ("get_means", "get_sem", "test_pairwise", "test_zero", "test_noise"):
        close(getattr(ours, get)(), getattr(theirs, get)())


def test_the_patch_leaves_folds_and_fitted_models_to_rsatoolbox():
    truth, data, _ = subjects(210, n_cond=12)
    model = ModelFixed("truth", rs.rdm(truth, "euclidean"))
    with rs.patched_rsatoolbox():
        import rsatoolbox.inference as inference

        before = rs.patch_calls().get("eval_dual_bootstrap", (0, 0))
        np.random.seed(0)
        inference.eval_dual_bootstrap([model], RDMs(data), method="corr", N=4, k_pattern=2,
                                      n_cv=1, use_correction=False)
        assert rs.patch_calls()["eval_dual_bootstrap"] == (before[0], before[1] + 1)


@pytest.mark.parametrize("method", ["corr", "cosine"])
def test_dual_bootstrap_summary_is_rsatoolboxs_result_on_the_same_evaluations(method):
    truth, data, rng = subjects(220, n_subj=6, n_cond=5)
    models = {"truth": rs.rdm(truth, "euclidean"), "other": rs.rdm(rng.normal(size=(5, 3)), "euclidean")}
    ours = rs.rsa_dual_bootstrap(models, data, method, n_boot=80, seed=3)
    n = 80
    assert ours.evaluations.shape == (3 * n, 2) and ours.names == ["truth", "other"]
    evaluations = ours.evaluations.reshape(3, n, 2).transpose(1, 2, 0)[:, :, None, None, :]
    noise = ours.noise_ceiling_samples.reshape(2, 3, n).transpose(0, 2, 1)[:, :, None, :]
    ok = ~np.isnan(evaluations[:, 0, 0, 0, 0])
    assert ok.sum() == ours.n_valid and ok.sum() < n  # 5 conditions: some draws are invalid
    # rsatoolbox's covariance per bootstrap kind, stated independently.
    columns = np.concatenate([evaluations[ok][:, :, 0, 0, :], noise[:, ok, 0, :].transpose(1, 0, 2)], 1)
    variances = np.stack([np.cov(columns[:, :, kind].T) for kind in range(3)])
    theirs = Result([ModelFixed(k, v) for k, v in models.items()], evaluations, method=method,
                    cv_method="dual_bootstrap", noise_ceiling=noise, variances=variances,
                    dof=min(6, 5) - 1, n_rdm=6, n_pattern=5)
    same_statistics(ours, theirs)
    assert ours.dof == 4
    # The combined variance lies between the one-factor ones and the plain bootstrap's.
    plain = np.diag(variances[0])[:2]
    assert np.all(ours.sem ** 2 <= plain + 1e-15)
    # The draws: subjects, then conditions, from numpy's generator seeded by `seed`.
    draw = np.random.default_rng(3)
    first_subjects = draw.integers(0, 6, 6)
    first_patterns = np.sort(draw.integers(0, 5, 5))
    again = _repscope.rsa_evaluate_samples(np.stack(list(models.values())), data, method,
                                           [first_patterns.tolist()], [first_subjects.tolist()], 6)
    close(ours.evaluations[0], again.evaluations[0])


def test_crossvalidation_repetitions_are_corrected_as_rsatoolbox_corrects_them():
    truth, data, rng = subjects(230, n_subj=6, n_cond=14)
    parts = np.stack([rs.rdm(truth[:, :2], "euclidean"), rs.rdm(truth[:, 2:], "euclidean")])
    fixed = rs.rdm(rng.normal(size=(14, 4)), "euclidean")
    models = {"fixed": fixed, "parts": parts}
    n_boot, k, n_cv = 40, 2, 3
    ours = rs.rsa_bootstrap_crossval(models, data, "corr", k=k, n_boot=n_boot, seed=5, n_cv=n_cv)
    uncorrected = rs.rsa_bootstrap_crossval(models, data, "corr", k=k, n_boot=n_boot, seed=5,
                                            n_cv=n_cv, use_correction=False)
    close(ours.mean, uncorrected.mean)
    # Each repetition alone, on the same draws (documented order).
    draw = np.random.default_rng(5)
    patterns, subjects_, folds = [], [], [[] for _ in range(n_cv)]
    for _ in range(n_boot):
        subjects_.append(draw.integers(0, 6, 6).tolist())
        p = np.sort(draw.integers(0, 14, 14))
        patterns.append(p.tolist())
        for rep in folds:
            order = draw.permutation(np.unique(p))
            rep.append([sorted(order[f::k].tolist()) for f in range(k)])
    arrays = [fixed[None, :], parts]
    kinds = ["fixed", "weighted"]
    runs = [_repscope.rsa_bootstrap_crossval(arrays, kinds, data, "corr", patterns, subjects_,
                                             [rep], False, 6, 0.95, ["fixed", "parts"])
            for rep in folds]
    per_rep = np.stack([r.evaluations for r in runs], -1)  # samples x models x repetitions
    nc = np.stack([r.noise_ceiling_samples for r in runs], -1)  # 2 x samples x repetitions
    close(ours.evaluations, per_rep.mean(-1))
    ok = ~np.isnan(per_rep[:, 0, 0])
    # rsatoolbox's bootstrap_crossval correction, stated independently.
    var_mean = np.cov(np.concatenate([per_rep[ok].mean(-1).T, nc[:, ok].mean(-1)]))
    var_1 = np.mean([np.cov(np.concatenate([per_rep[ok, :, i].T, nc[:, ok, i]])) for i in range(n_cv)],
                    axis=0)
    corrected = (n_cv * var_mean - var_1) / (n_cv - 1)
    evaluations = per_rep[:, :, None, :]
    model_list = [ModelFixed("fixed", fixed), ModelFixed("parts", parts[0])]
    theirs = Result(model_list, evaluations, method="corr", cv_method="bootstrap_crossval",
                    noise_ceiling=nc, variances=corrected, dof=5, n_rdm=6, n_pattern=14)
    same_statistics(ours, theirs)
    plain = Result(model_list, evaluations, method="corr", cv_method="bootstrap_crossval",
                   noise_ceiling=nc, variances=var_mean, dof=5, n_rdm=6, n_pattern=14)
    same_statistics(uncorrected, plain)
    # The fold assignment's own variance is taken out.
    assert np.all(ours.sem < uncorrected.sem)


def test_cross_validated_dual_bootstrap_combines_corrected_covariances():
    truth, data, rng = subjects(240, n_subj=6, n_cond=16)
    parts = np.stack([rs.rdm(truth[:, :2], "euclidean"), rs.rdm(truth[:, 2:], "euclidean")])
    fixed = rs.rdm(rng.normal(size=(16, 4)), "euclidean")
    n_boot, k, n_cv = 30, 2, 2
    ours = rs.rsa_dual_bootstrap({"fixed": fixed, "parts": parts}, data, "corr", n_boot=n_boot, k=k,
                                 n_cv=n_cv, seed=7)
    # The same draws: subjects, conditions, then folds per kind and repetition.
    draw = np.random.default_rng(7)
    samples = []
    for _ in range(n_boot):
        s = draw.integers(0, 6, 6).tolist()
        p = np.sort(draw.integers(0, 16, 16))
        kinds = []
        for conditions in (p, np.arange(16), p):
            reps = []
            for _ in range(n_cv):
                order = draw.permutation(np.unique(conditions))
                reps.append([sorted(order[f::k].tolist()) for f in range(k)])
            kinds.append(reps)
        samples.append((s, p.tolist(), kinds))
    everyone, everything = list(range(6)), list(range(16))
    arrays = [fixed[None, :], parts]
    kinds = ["fixed", "weighted"]
    per_kind = []
    for kind in range(3):
        pats = [p if kind != 1 else everything for _, p, _ in samples]
        subs = [s if kind != 2 else everyone for s, _, _ in samples]
        runs = [_repscope.rsa_bootstrap_crossval(arrays, kinds, data, "corr", pats, subs,
                                                 [[kinds[kind][rep] for _, _, kinds in samples]],
                                                 False, 6, 0.95, ["fixed", "parts"])
                for rep in range(n_cv)]
        per_kind.append((np.stack([r.evaluations for r in runs], -1),
                         np.stack([r.noise_ceiling_samples for r in runs], -1)))
    ok = ~np.isnan(per_kind[0][0][:, 0, 0])
    variances = []
    for evals, nc in per_kind:
        var_mean = np.cov(np.concatenate([evals[ok].mean(-1).T, nc[:, ok].mean(-1)]))
        var_1 = np.mean([np.cov(np.concatenate([evals[ok, :, i].T, nc[:, ok, i]]))
                         for i in range(n_cv)], axis=0)
        variances.append((n_cv * var_mean - var_1) / (n_cv - 1))
    evaluations = np.stack([e for e, _ in per_kind], -1)[:, :, None, :, :]
    evaluations[~ok] = np.nan
    noise = np.stack([nc for _, nc in per_kind], -1)
    noise[:, ~ok] = np.nan
    theirs = Result([ModelFixed("fixed", fixed), ModelFixed("parts", parts[0])], evaluations,
                    method="corr", cv_method="dual_bootstrap", noise_ceiling=noise,
                    variances=np.stack(variances), dof=5, n_rdm=6, n_pattern=16)
    same_statistics(ours, theirs)


def test_dual_bootstrap_bad_inputs_are_repscope_errors():
    truth, data, _ = subjects(250, n_cond=8)
    parts = np.stack([rs.rdm(truth[:, :2], "euclidean"), rs.rdm(truth[:, 2:], "euclidean")])
    with pytest.raises(rs.InputError, match="need folds"):
        rs.rsa_dual_bootstrap([parts], data, n_boot=5)
    with pytest.raises(rs.InputError, match="folds need at least 3 distinct"):
        rs.rsa_dual_bootstrap([parts], data, n_boot=5, k=2)
    with pytest.raises(rs.InputError, match="n_boot must be at least 2"):
        rs.rsa_dual_bootstrap([data[0]], data, n_boot=1)
    with pytest.raises(rs.InputError, match="at least 2 data RDMs"):
        rs.rsa_dual_bootstrap([data[0]], data[:1], n_boot=5)
    with pytest.raises(rs.InputError, match="n_cv at least 1"):
        rs.rsa_bootstrap_crossval([data[0]], data, k=2, n_boot=5, n_cv=0)
