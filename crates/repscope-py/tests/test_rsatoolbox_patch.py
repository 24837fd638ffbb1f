"""rsatoolbox users switch without rewriting: its spellings and behaviours
where repscope differed (kendall, NaN for constant patterns, string label
order, NaN entries in evaluation), and `rs.patch_rsatoolbox()`, under which
unchanged rsatoolbox code gives the same numbers and objects as without it
(rsatoolbox itself is the oracle, live)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from rsatoolbox.data import Dataset
from rsatoolbox.inference import eval_bootstrap_pattern, eval_fixed
from rsatoolbox.inference.noise_ceiling import boot_noise_ceiling
from rsatoolbox.model import ModelFixed
from rsatoolbox.rdm import RDMs, calc_rdm, compare
from rsatoolbox.rdm.transform import geodesic_transform, geotopological_transform

import repscope as rs
from repscope import _repscope

REL = 1e-9

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")


def close(ours, theirs, rel=REL):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    ok = ~np.isnan(theirs)
    scale = np.maximum(np.abs(theirs[ok]), 1e-6)
    assert np.all(np.abs(ours[ok] - theirs[ok]) <= rel * scale)


def rdms(seed, k=4, n_cond=7):
    rng = np.random.default_rng(seed)
    truth = rng.random(n_cond * (n_cond - 1) // 2)
    return truth + 0.4 * rng.standard_normal((k, truth.size))


# --- the differences the issue lists -----------------------------------------


@pytest.mark.parametrize("spelling", ["kendall", "tau-b", "kendall_b"])
def test_kendall_spellings_are_tau_b_as_in_rsatoolbox(spelling):
    a, b = rdms(1), rdms(2, k=3)
    close(rs.compare_rdms(a, b, spelling), compare(RDMs(a), RDMs(b), "kendall"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = boot_noise_ceiling(RDMs(a), method="kendall")
    close(rs.noise_ceiling(a, spelling), theirs)


def test_a_constant_pattern_gives_nan_pairs_on_request_as_rsatoolbox():
    x = np.random.default_rng(3).normal(size=(6, 5))
    x[2] = 1.5  # constant across channels: no correlation distance
    with pytest.raises(rs.InputError, match='undefined="nan"'):
        rs.rdm(x, "correlation")
    theirs = calc_rdm(Dataset(x), "correlation").get_vectors()[0]
    ours = rs.rdm(x, "correlation", undefined="nan")
    close(ours, theirs)
    assert np.isnan(ours).sum() == 5  # the 5 pairs of condition 2
    # One channel (e.g. an ROI of one voxel): every pattern is constant.
    one = x[:, :1]
    close(rs.rdm(one, "correlation", undefined="nan"), calc_rdm(Dataset(one), "correlation").get_vectors()[0])
    assert np.isnan(rs.rdm(one, "correlation", undefined="nan")).all()
    # Cosine of an all-zero pattern likewise.
    z = x.copy()
    z[4] = 0.0
    assert np.isnan(rs.rdm(z, "cosine", undefined="nan")).sum() == 5
    with pytest.raises(rs.InputError):
        rs.rdm(x, "correlation", undefined="ignore")


def test_condition_order_is_the_callers_choice():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(12, 6))
    labels = ["1", "2", "10", "3"] * 3
    ds = Dataset(x, obs_descriptors={"c": labels})
    theirs = calc_rdm(ds, "euclidean", descriptor="c")
    assert list(theirs.pattern_descriptors["c"]) == ["1", "10", "2", "3"]
    close(rs.rdm(x, "euclidean", conditions=labels, condition_order="sorted"), theirs.get_vectors()[0])
    assert rs.condition_names(labels, "sorted") == ["1", "10", "2", "3"]
    # The default orders number strings as numbers: entries permuted.
    assert rs.condition_names(labels) == ["1", "2", "3", "10"]
    auto = rs.rdm(x, "euclidean", conditions=labels)
    assert not np.allclose(auto, theirs.get_vectors()[0])
    explicit = rs.rdm(x, "euclidean", conditions=labels, condition_order=["1", "10", "2", "3"])
    np.testing.assert_array_equal(explicit, rs.rdm(x, "euclidean", conditions=labels, condition_order="sorted"))
    # Appearance: as the labels first come.
    first = rs.rdm(x, "euclidean", conditions=labels, condition_order="appearance")
    means = np.stack([x[np.array(labels) == c].mean(0) for c in ["1", "2", "10", "3"]])
    close(first, rs.rdm(means, "euclidean"))
    assert rs.condition_names(labels, "appearance") == ["1", "2", "10", "3"]
    for bad in (["1", "2", "10"], ["1", "2", "10", "3", "4"], ["1", "1", "2", "10"], "alphabetical"):
        with pytest.raises(rs.InputError, match="condition_order"):
            rs.rdm(x, "euclidean", conditions=labels, condition_order=bad)


@pytest.mark.parametrize("method", ["corr", "cosine", "spearman", "rho_a", "kendall_a"])
def test_nan_positions_shared_by_every_rdm_are_left_out_as_in_rsatoolbox(method):
    theirs_name = {"rho_a": "rho-a", "kendall_a": "tau-a"}.get(method, method)
    subjects = rdms(5, k=5, n_cond=8)
    models = np.stack([subjects.mean(0), np.random.default_rng(6).random(subjects.shape[1])])
    gone = [3, 10, 17]
    subjects[:, gone] = np.nan
    models[:, gone] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nc = boot_noise_ceiling(RDMs(subjects), method=theirs_name)
    close(rs.noise_ceiling(subjects, method), nc)
    # The bootstrap, on rsatoolbox's own draws (numpy's seeded generator).
    n, n_cond = 30, 8
    np.random.seed(5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = eval_bootstrap_pattern([ModelFixed(f"m{i}", m) for i, m in enumerate(models)],
                                     RDMs(subjects), method=theirs_name, N=n)
    np.random.seed(5)
    draws = [np.random.randint(0, n_cond, size=n_cond).tolist() for _ in range(n)]
    ours = _repscope.rsa_evaluate_samples(np.ascontiguousarray(models), np.ascontiguousarray(subjects),
                                          method, draws, None, n_cond)
    ok = ~np.isnan(res.evaluations[:, 0])
    close(ours.evaluations[ok], res.evaluations[ok])
    close(ours.noise_ceiling_samples[:, ok], res.noise_ceiling[:, ok])
    # The models' evaluations without resampling.
    fixed = eval_fixed([ModelFixed(f"m{i}", m) for i, m in enumerate(models)], RDMs(subjects),
                       method=theirs_name)
    boot = rs.rsa_bootstrap(models, subjects, method, n_boot=20, seed=0)
    assert np.isfinite(boot.mean).all()
    per_subject = rs.compare_rdms(models, subjects, method)
    close(per_subject.mean(axis=1), fixed.evaluations[0].mean(axis=-1))


def test_nan_positions_that_differ_leave_out_every_position_undefined_somewhere():
    subjects = rdms(7, k=4, n_cond=7)
    subjects[0, 2] = np.nan
    subjects[3, 9] = np.nan
    # rsatoolbox, given the union of the NaN positions in every RDM, is the
    # oracle (it refuses the RDMs as they are).
    union = subjects.copy()
    union[:, np.isnan(subjects).any(axis=0)] = np.nan
    close(rs.noise_ceiling(subjects, "corr"), boot_noise_ceiling(RDMs(union), method="corr"))
    with pytest.raises(ValueError, match="different nan positions"):
        compare(RDMs(subjects[:1]), RDMs(subjects[3:]), "corr")
    nothing = np.full_like(subjects, np.nan)
    with pytest.raises(rs.InputError, match="fewer than 2"):
        rs.noise_ceiling(nothing, "corr")


def test_geotopological_of_equal_dissimilarities_and_the_geodesic_difference_as_documented():
    zeros = np.zeros(10)
    assert np.all(rs.geotopological(zeros, 0.1, 0.8) == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isnan(geotopological_transform(RDMs(zeros.copy()), 0.1, 0.8).get_vectors()).all()
    rng = np.random.default_rng(8)
    counts = []
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    for _ in range(50):
        v = rs.geotopological(rng.random(10), 0.05, 0.7)
        ours = rs.geodesic(v)
        theirs = geodesic_transform(RDMs(v.copy())).get_vectors()[0]
        differ = ~np.isclose(ours, theirs)
        counts.append(int(differ.sum()))
        assert np.all(ours <= theirs + 1e-12)  # repscope never the larger
        d = np.zeros((5, 5))
        for (i, j), x in zip(pairs, ours):
            d[i, j] = d[j, i] = x
        (a, b), = [pairs[k] for k in np.flatnonzero(v == 0)]
        for k in np.flatnonzero(differ):
            i, j = pairs[k]
            # Every difference is a path through the zero-length edge a-b.
            through = min(d[i, a] + d[b, j], d[i, b] + d[a, j])
            assert ours[k] == pytest.approx(through, abs=1e-12)
    assert set(counts) <= {4, 5, 6}


# --- the patch ---------------------------------------------------------------


def dataset(seed=9):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(36, 10)) + 3.0
    labels = [str(c) for c in [1, 2, 10, 3, 11, 4] * 6]
    runs = np.repeat(np.arange(6), 6)
    return Dataset(x, descriptors={"subject": 1}, obs_descriptors={"cond": labels, "run": runs},
                   channel_descriptors={"voxel": np.arange(10)})


def same_rdms(a, b):
    close(b.get_vectors(), a.get_vectors())
    assert a.dissimilarity_measure == b.dissimilarity_measure
    assert a.pattern_descriptors.keys() == b.pattern_descriptors.keys()
    for k in a.pattern_descriptors:
        assert list(a.pattern_descriptors[k]) == list(b.pattern_descriptors[k]), k
    assert a.rdm_descriptors.keys() == b.rdm_descriptors.keys()


def test_patched_calc_rdm_returns_rsatoolboxs_objects_with_the_same_numbers():
    import rsatoolbox.rdm as rdm_module

    ds = dataset()
    noise = np.eye(10) * 2 + 0.1
    calls = [dict(method="euclidean", descriptor="cond"),
             dict(method="euclidean", descriptor="cond", remove_mean=True),
             dict(method="correlation", descriptor="cond"),
             dict(method="correlation"),
             dict(method="mahalanobis", descriptor="cond", noise=noise),
             dict(method="mahalanobis", descriptor="run"),
             dict(method="poisson", descriptor="cond"),
             dict(method="crossnobis", descriptor="cond", cv_descriptor="run"),
             dict(method="crossnobis", descriptor="cond", cv_descriptor="run", noise=noise,
                  remove_mean=True),
             dict(method="crossnobis", descriptor="cond")]
    plain = [calc_rdm(ds, **kw) for kw in calls]
    before = rs.patch_calls().get("calc_rdm", (0, 0))
    with rs.patched_rsatoolbox():
        assert rdm_module.calc_rdm.__module__ == "repscope.rsa.patch"
        patched = [rdm_module.calc_rdm(ds, **kw) for kw in calls]
    after = rs.patch_calls()["calc_rdm"]
    # Every one by repscope, crossnobis with guessed folds included.
    assert (after[0] - before[0], after[1] - before[1]) == (10, 0)
    for kw, a, b in zip(calls, plain, patched):
        same_rdms(a, b)
    assert rdm_module.calc_rdm.__module__ == "rsatoolbox.rdm.calc"


@pytest.mark.parametrize("method", ["cosine", "spearman", "corr", "kendall", "tau-b", "tau-a",
                                    "rho-a", "corr_cov", "cosine_cov", "bures", "bures_metric"])
def test_patched_compare_equals_rsatoolbox_for_every_method(method):
    a, b = rdms(10, k=3), rdms(11, k=2)
    bures = method.startswith("bures")
    if not bures:  # (rsatoolbox's Bures fails on NaN)
        a[:, 4] = b[:, 4] = np.nan  # shared NaN positions are left out by both
    plain = compare(RDMs(a), RDMs(b), method)
    before = rs.patch_calls().get("compare", (0, 0))
    with rs.patched_rsatoolbox():
        from rsatoolbox.rdm import compare as patched_compare

        ours = patched_compare(RDMs(a), RDMs(b), method)
    after = rs.patch_calls()["compare"]
    # Bures goes to rsatoolbox itself: its values are not exact (see the patch).
    assert (after[0] - before[0], after[1] - before[1]) == ((0, 1) if bures else (1, 0))
    if bures:
        np.testing.assert_array_equal(ours, plain)
    else:
        close(ours, plain)


def test_a_whole_workflow_runs_the_same_under_the_patch():
    """calc_rdm per subject -> models -> noise ceiling -> pattern bootstrap,
    seeded, unpatched and patched."""
    import rsatoolbox.inference as inference
    import rsatoolbox.rdm as rdm_module

    def workflow():
        data = [dataset(s) for s in range(5)]
        subjects = rdm_module.calc_rdm(data, method="correlation", descriptor="cond")
        truth = subjects.get_vectors().mean(0)
        models = [ModelFixed("truth", truth), ModelFixed("noise", np.random.default_rng(0).random(truth.size))]
        nc = inference.boot_noise_ceiling(subjects, method="corr")
        np.random.seed(1)
        res = inference.eval_bootstrap_pattern(models, subjects, method="corr", N=40)
        return subjects, nc, res

    plain = workflow()
    with rs.patched_rsatoolbox(report=False):
        patched = workflow()
    same_rdms(plain[0], patched[0])
    close(patched[1], plain[1])
    close(patched[2].evaluations, plain[2].evaluations)
    close(patched[2].noise_ceiling, plain[2].noise_ceiling)
    close(patched[2].get_means(), plain[2].get_means())


def test_patch_report_unpatch_and_errors_restore_rsatoolbox(capsys):
    import importlib

    # (rsatoolbox.rdm.compare is also a function's name: import the modules.)
    evaluate = importlib.import_module("rsatoolbox.inference.evaluate")
    compare_module = importlib.import_module("rsatoolbox.rdm.compare")

    original = compare_module.compare
    done = rs.patch_rsatoolbox(report=True)
    try:
        assert rs.patch_rsatoolbox() == done  # twice changes nothing
        assert evaluate.compare is not original  # names imported elsewhere too
        assert "rsatoolbox.rdm.compare.compare" in capsys.readouterr().out
        # A module imported while patched takes the patched name; unpatch
        # restores it as well.
        import rsatoolbox.util.searchlight as searchlight
    finally:
        rs.unpatch_rsatoolbox()
    assert compare_module.compare is original and evaluate.compare is original
    assert searchlight.calc_rdm.__module__ == "rsatoolbox.rdm.calc"
    with pytest.raises(ZeroDivisionError):
        with rs.patched_rsatoolbox():
            1 / 0
    assert compare_module.compare is original
    # Unsupported requests reach rsatoolbox, with its own errors.
    with rs.patched_rsatoolbox():
        with pytest.raises(ValueError):
            compare_module.compare(RDMs(rdms(1)), RDMs(rdms(2, n_cond=6)), "corr")


@pytest.mark.parametrize("evaluator", ["eval_bootstrap", "eval_bootstrap_pattern", "eval_bootstrap_rdm"])
@pytest.mark.parametrize("method", ["corr", "cosine", "spearman", "tau-a", "rho-a"])
def test_patched_bootstraps_draw_rsatoolboxs_samples_and_give_its_result(evaluator, method):
    import importlib

    evaluate = importlib.import_module("rsatoolbox.inference.evaluate")
    subjects = rdms(20, k=6, n_cond=9)
    subjects[:, 5] = np.nan  # a pair missing in every subject
    truth = np.nanmean(subjects, axis=0)
    models = [ModelFixed("truth", truth), ModelFixed("noise", np.random.default_rng(2).random(truth.size))]
    models[1].rdm_obj.dissimilarities[0, 5] = np.nan

    def run():
        np.random.seed(4)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(evaluate, evaluator)(models, RDMs(subjects), method=method, N=50)

    plain = run()
    before = rs.patch_calls().get(evaluator, (0, 0))
    with rs.patched_rsatoolbox():
        patched = run()
        after_draws = np.random.randint(0, 1000)
    assert rs.patch_calls()[evaluator][0] == before[0] + 1
    np.random.seed(4)
    run()
    assert after_draws == np.random.randint(0, 1000)  # the generator is left where rsatoolbox leaves it
    close(patched.evaluations, plain.evaluations)
    close(patched.noise_ceiling, plain.noise_ceiling)
    close(patched.variances, plain.variances)
    assert (patched.cv_method, patched.dof, patched.n_rdm, patched.n_pattern) == \
        (plain.cv_method, plain.dof, plain.n_rdm, plain.n_pattern)
    close(patched.get_means(), plain.get_means())
    close(patched.get_sem(), plain.get_sem())
    p_plain, p_patched = plain.test_all(), patched.test_all()
    for a, b in zip(p_patched, p_plain):
        close(a, b, rel=1e-7)


def test_patched_whitened_comparisons_take_variances_and_leave_covariance_matrices():
    a, b = rdms(30, k=2, n_cond=6), rdms(31, k=2, n_cond=6)
    full = np.eye(6) + 0.2
    diagonal = np.linspace(0.5, 2.0, 6)
    # (rsatoolbox 0.3.2 itself gives other values for np.diag(diagonal).)
    assert not np.allclose(compare(RDMs(a), RDMs(b), "corr_cov", sigma_k=diagonal),
                           compare(RDMs(a), RDMs(b), "corr_cov", sigma_k=np.diag(diagonal)))
    plain = [compare(RDMs(a), RDMs(b), "corr_cov", sigma_k=s) for s in (diagonal, full)]
    before = rs.patch_calls().get("compare", (0, 0))
    with rs.patched_rsatoolbox():
        from rsatoolbox.rdm import compare as patched_compare

        ours = [patched_compare(RDMs(a), RDMs(b), "corr_cov", sigma_k=s) for s in (diagonal, full)]
    after = rs.patch_calls()["compare"]
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)
    close(ours[0], plain[0])
    np.testing.assert_array_equal(ours[1], plain[1])


# --- what rsatoolbox has and repscope lacked -------------------------------------


def test_rank_sqrt_positive_and_minmax_transforms_equal_rsatoolbox():
    from rsatoolbox.rdm.transform import (minmax_transform, positive_transform, rank_transform,
                                          sqrt_transform)

    v = rdms(40, k=3, n_cond=7) - 0.3  # some negative entries
    v[1, 4] = np.nan
    v[2, 7] = v[2, 8]  # a tie
    for ours, theirs in [(rs.rank_transform, rank_transform), (rs.sqrt_transform, sqrt_transform),
                         (rs.positive_transform, positive_transform),
                         (rs.minmax_transform, minmax_transform)]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = theirs(RDMs(v.copy())).get_vectors()
        if theirs is minmax_transform:
            # rsatoolbox's min and max are NaN for an RDM holding a NaN;
            # repscope scales over the defined entries.
            rows = [0, 2]
            close(ours(v)[rows], want[rows])
            defined = v[1][~np.isnan(v[1])]
            close(ours(v[1]), (v[1] - defined.min()) / (defined.max() - defined.min()))
        else:
            close(ours(v), want)
        close(ours(v[0]), want[0])
    assert np.isnan(rs.minmax_transform(np.ones(6))).all()
    with pytest.raises(rs.InputError, match="finite"):
        rs.sqrt_transform([1.0, np.inf, 2.0])


@pytest.mark.parametrize("method", ["euclid", "cosine", "corr", "cosine_cov", "corr_cov",
                                    "spearman", "rho-a", "kendall", "tau-a"])
def test_pool_rdm_equals_rsatoolbox(method):
    from rsatoolbox.util.inference_util import pool_rdm

    v = rdms(41, k=5, n_cond=8)
    v[:, 6] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pool_rdm(RDMs(v), method=method).get_vectors()[0]
    ours_name = {"rho-a": "rho_a", "kendall": "kendall_b", "tau-a": "kendall_a"}.get(method, method)
    close(rs.pool_rdm(v, ours_name), theirs)


# --- what rsatoolbox's users ask for ------------------------------------------


def test_noise_ceiling_against_chance_is_tested_on_the_bootstrap_samples():
    from scipy import stats

    structured = rdms(50, k=8, n_cond=10)
    result = rs.rsa_bootstrap(structured.mean(0, keepdims=True), structured, n_boot=300, seed=2)
    lower = result.noise_ceiling_samples[0]
    lower = lower[np.isfinite(lower)]
    n = 10  # conditions resampled
    sd = np.sqrt(np.var(lower, ddof=1) * n / (n - 1))
    assert result.p_noise_ceiling_zero == pytest.approx(
        stats.t.sf(lower.mean() / sd, df=n - 1), rel=1e-9)
    assert result.p_noise_ceiling_zero_bootstrap == pytest.approx(
        (np.sum(lower <= 0) + 1) / len(lower), rel=1e-12)
    assert result.p_noise_ceiling_zero < 0.01
    # Subjects that share nothing: no reliable structure.
    unrelated = np.random.default_rng(51).random((8, 45))
    null = rs.rsa_bootstrap(unrelated[:1], unrelated, n_boot=300, seed=2)
    assert null.p_noise_ceiling_zero > 0.05


def test_a_pattern_bootstrap_with_few_conditions_warns():
    few = rdms(52, k=5, n_cond=5)
    with pytest.warns(RuntimeWarning, match="5 conditions is unreliable"):
        rs.rsa_bootstrap(few[:1], few, n_boot=50, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rs.rsa_bootstrap(few[:1], few, n_boot=50, seed=0, over="rdms")
        enough = rdms(53, k=5, n_cond=9)
        rs.rsa_bootstrap(enough[:1], enough, n_boot=50, seed=0)


def test_two_groups_bootstrapped_together_match_rsatoolbox_sample_by_sample():
    rng = np.random.default_rng(54)
    truth = rng.random(36)
    a = truth + 0.2 * rng.standard_normal((5, 36))
    b = truth + 0.8 * rng.standard_normal((6, 36))
    models = np.stack([truth, rng.random(36)])
    out = rs.rsa_compare_groups(models, a, b, compare="corr", n_boot=40, seed=3)
    # The difference on the data, by rsatoolbox.
    observed = [compare(RDMs(models[i]), RDMs(a), "corr").mean() - compare(RDMs(models[i]), RDMs(b), "corr").mean()
                for i in range(2)]
    close(out["observed"], observed)
    # The same draws, computed by rsatoolbox's own subsampling and compare.
    draw = np.random.default_rng(3)
    patterns = [draw.integers(0, 9, 9) for _ in range(40)]
    subjects = {g: [draw.integers(0, len(x), len(x)) for _ in range(40)] for g, x in (("a", a), ("b", b))}
    for s in range(0, 40, 7):
        if len(np.unique(patterns[s])) < 3:
            assert np.isnan(out["differences"][s]).all()
            continue
        means = {}
        for g, x in (("a", a), ("b", b)):
            sample = RDMs(x).subsample("index", subjects[g][s]).subsample_pattern("index", patterns[s])
            means[g] = [compare(RDMs(models[i]).subsample_pattern("index", patterns[s]), sample, "corr").mean()
                        for i in range(2)]
        close(out["differences"][s], np.subtract(means["a"], means["b"]))
    assert out["ci_low"][0] > 0 and out["p"][0] < 0.05
    same = rs.rsa_compare_groups(models, a, a, n_boot=40, seed=3, over="rdms")
    assert out["n_valid"] <= 40 and same["n_valid"] == 40
    with pytest.raises(rs.InputError, match="same conditions"):
        rs.rsa_compare_groups(models, a, b[:, :28])


def test_poisson_cv_averages_the_folds_where_rsatoolbox_keeps_the_last():
    rng = np.random.default_rng(60)
    k, runs, p = 5, 3, 30
    rates = rng.gamma(2.0, 2.0, size=(k, p))
    x = np.concatenate([rng.poisson(rates) for _ in range(runs)]).astype(float)
    cond, run = np.tile(np.arange(k), runs), np.repeat(np.arange(runs), k)
    lam, w = 1.0, 0.1

    def per_fold(f):
        train = np.stack([x[(cond == c) & (run != f)].mean(0) for c in range(k)])
        test = np.stack([x[(cond == c) & (run == f)].mean(0) for c in range(k)])
        a, b = (train + lam * w) / (1 + w), np.log((test + lam * w) / (1 + w))
        kern = a @ b.T
        d = np.diag(kern)[:, None] + np.diag(kern)[None, :] - kern - kern.T
        return d[np.triu_indices(k, 1)] / p

    ours = rs.rdm(x, "poisson_cv", conditions=cond, folds=run)
    close(ours, np.mean([per_fold(f) for f in range(runs)], axis=0), rel=1e-12)
    ds = Dataset(x, obs_descriptors={"cond": cond, "run": run})
    theirs = calc_rdm(ds, "poisson_cv", descriptor="cond", cv_descriptor="run").get_vectors()[0]
    close(theirs, per_fold(runs - 1), rel=1e-12)  # rsatoolbox 0.3.2: the last fold only
    with pytest.raises(rs.InputError, match="fold label"):
        rs.rdm(x, "poisson_cv", conditions=cond)
    with pytest.raises(rs.InputError, match="non-negative counts"):
        rs.rdm(x - 100, "poisson_cv", conditions=cond, folds=run)
    # The patch leaves poisson_cv to rsatoolbox: its result is its own.
    with rs.patched_rsatoolbox():
        from rsatoolbox.rdm import calc_rdm as patched

        np.testing.assert_array_equal(
            patched(ds, "poisson_cv", descriptor="cond", cv_descriptor="run").get_vectors()[0], theirs)


@pytest.mark.parametrize("radius,threshold,truncate", [(2, 1.0, False), (2.5, 0.5, True),
                                                       (1.5, 0.0, False), (3, 0.7, True)])
def test_searchlight_spheres_are_rsatoolboxs_lists(radius, threshold, truncate, capsys):
    from rsatoolbox.util.searchlight import get_volume_searchlight

    grid = np.indices((9, 8, 7)).astype(float)
    mask = (((grid - np.array([4, 3.5, 3])[:, None, None, None]) / 3.6) ** 2).sum(0) <= 1
    theirs_c, theirs_n = get_volume_searchlight(mask, radius, threshold, truncate)
    ours_c, ours_n = rs.searchlight_spheres(mask, radius, threshold, truncate)
    np.testing.assert_array_equal(ours_c, theirs_c)
    assert len(ours_n) == len(theirs_n)
    for a, b in zip(ours_n, theirs_n):
        np.testing.assert_array_equal(a, b)
    with rs.patched_rsatoolbox():
        import importlib

        module = importlib.import_module("rsatoolbox.util.searchlight")
        patched_c, patched_n = module.get_volume_searchlight(mask, radius, threshold, truncate)
    np.testing.assert_array_equal(patched_c, theirs_c)
    assert all(np.array_equal(a, b) for a, b in zip(patched_n, theirs_n))
    assert capsys.readouterr().out.count(f"Found {len(theirs_n)} searchlights") == 2
    with pytest.raises(rs.InputError, match="3-D"):
        rs.searchlight_spheres(mask[0], 2)


def test_crossnobis_with_one_noise_precision_per_fold_equals_rsatoolbox():
    rng = np.random.default_rng(70)
    k, runs, p = 6, 4, 12
    x = rng.normal(size=(k * runs, p)) + np.tile(rng.normal(size=(k, p)), (runs, 1))
    cond, run = np.tile(np.arange(k), runs), np.repeat(np.arange(runs), k)
    precisions = [rs.noise_precision(rng.normal(size=(40, p)) * (1 + r), "shrinkage_diag")
                  for r in range(runs)]
    ds = Dataset(x, obs_descriptors={"cond": cond, "run": run})
    theirs = calc_rdm(ds, "crossnobis", descriptor="cond", cv_descriptor="run", noise=precisions)
    close(rs.rdm(x, "crossnobis", noise=precisions, conditions=cond, folds=run),
          theirs.get_vectors()[0], rel=1e-9)
    close(rs.rdm(x, "crossnobis", noise=np.stack(precisions), conditions=cond, folds=run),
          theirs.get_vectors()[0], rel=1e-9)
    with pytest.raises(rs.InputError, match="3 noise precisions for 4 folds"):
        rs.rdm(x, "crossnobis", noise=precisions[:3], conditions=cond, folds=run)
    before = rs.patch_calls().get("calc_rdm", (0, 0))
    with rs.patched_rsatoolbox():
        from rsatoolbox.rdm import calc_rdm as patched

        ours = patched(ds, "crossnobis", descriptor="cond", cv_descriptor="run", noise=precisions)
    assert rs.patch_calls()["calc_rdm"][0] == before[0] + 1
    same_rdms(theirs, ours)


@pytest.mark.parametrize("method", ["cosine", "corr", "cosine_cov", "corr_cov"])
@pytest.mark.parametrize("normalize", [True, False])
def test_fit_weights_equals_rsatoolboxs_fit_regress(method, normalize):
    from rsatoolbox.model import ModelWeighted
    from rsatoolbox.model.fitter import fit_regress, fit_regress_nn

    rng = np.random.default_rng(80)
    n_cond = 8
    components = rng.random((3, n_cond * (n_cond - 1) // 2))
    data = np.stack([components.T @ [2.0, 0.5, 1.0] + 0.3 * rng.standard_normal(components.shape[1])
                     for _ in range(4)])
    model = ModelWeighted("w", RDMs(components))
    # rsatoolbox solves with the RDM covariance by conjugate gradients
    # (atol 1e-9): agreement to that precision for the whitened methods.
    rel = 1e-7 if method.endswith("_cov") else 1e-9
    theirs = fit_regress(model, RDMs(data), method=method, normalize=normalize)
    ours = rs.fit_weights(components, data, method, nonnegative=False, normalize=normalize)
    close(ours, theirs, rel=rel)
    if normalize:  # rsatoolbox's fit_regress_nn always normalises
        close(rs.fit_weights(components, data, method),
              fit_regress_nn(model, RDMs(data), method=method), rel=rel)


@pytest.mark.parametrize("method", ["cosine_cov", "corr_cov"])
def test_whitened_fits_with_pattern_variances_maximise_the_comparisons_own_score(method):
    """With pattern variances, rsatoolbox's compare (a vector sigma_k) and
    its fitter (a matrix) use different metrics; repscope fits in the metric
    its comparison uses, so the fitted model is the one that scores best:
    least squares in rsatoolbox's _cov_weighting space (its compare's metric)."""
    from rsatoolbox.rdm.compare import _cov_weighting

    rng = np.random.default_rng(81)
    n_cond = 8
    components = rng.random((3, 28))
    data = np.stack([components.T @ [2.0, 0.5, 1.0] + 0.3 * rng.standard_normal(28)
                     for _ in range(4)])
    sigma = np.linspace(0.5, 2.0, n_cond)
    ok = np.ones(28, bool)
    centre = (lambda v: v - v.mean(axis=-1, keepdims=True)) if method == "corr_cov" else (lambda v: v)
    x = _cov_weighting(centre(components), ok, sigma)
    d = _cov_weighting(centre(data), ok, sigma)
    y = (d / np.linalg.norm(d, axis=1, keepdims=True)).mean(0)
    theta = np.linalg.lstsq(x.T, y, rcond=None)[0]
    close(rs.fit_weights(components, data, method, nonnegative=False, sigma_k=sigma),
          theta / np.linalg.norm(theta), rel=1e-9)


@pytest.mark.parametrize("method,weighting,with_folds,with_nan", [
    ("euclidean", "number", False, False), ("euclidean", "number", False, True),
    ("euclidean", "equal", False, True), ("euclidean", "number", True, True),
    ("mahalanobis", "number", False, False), ("crossnobis", "number", True, False),
    ("crossnobis", "equal", False, False), ("correlation", "number", False, False),
    ("correlation", "number", True, False), ("poisson", "number", False, False),
    ("poisson_cv", "number", True, False), ("poisson", "number", False, True),
    ("poisson_cv", "number", True, True)])
def test_unbalanced_rdms_equal_rsatoolbox(method, weighting, with_folds, with_nan):
    from rsatoolbox.rdm.calc_unbalanced import calc_rdm_unbalanced

    rng = np.random.default_rng(90)
    counts = [3, 5, 2, 4, 6]  # trials per condition, unbalanced
    cond = np.concatenate([[f"c{c}"] * n for c, n in enumerate(counts)])
    rng.shuffle(cond)
    p = 7
    x = rng.normal(size=(len(cond), p)) + np.array([rng.normal(size=p) for _ in cond]) * 0.0
    x += np.stack([np.full(p, int(c[1:])) for c in cond])  # condition effects
    if method.startswith("poisson"):
        x = np.abs(x) * 2  # counts-like rates
    if with_nan:
        x[rng.random(x.shape) < 0.1] = np.nan
    runs = rng.integers(0, 3, len(cond))
    noise = np.eye(p) + 0.1 if method != "euclidean" else None
    ds = Dataset(x, obs_descriptors={"cond": cond, "run": runs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = calc_rdm_unbalanced(ds, method=method, descriptor="cond", noise=noise,
                                     cv_descriptor="run" if with_folds else None,
                                     weighting=weighting).get_vectors()[0]
    ours = rs.rdm_unbalanced(x, cond, method, folds=runs if with_folds else None, noise=noise,
                             weighting=weighting, condition_order="appearance")
    if weighting == "equal" and (with_nan or not (with_folds or method == "crossnobis")):
        # rsatoolbox 0.3.2 goes wrong here (NaN, or other numbers: without
        # folds, a measurement with itself adds its similarity but no
        # weight); the definition, computed plainly, is the oracle.
        close(ours, unbalanced_by_definition(x, cond, runs if with_folds else None), rel=1e-9)
    else:
        close(ours, theirs, rel=1e-9)


def unbalanced_by_definition(x, cond, folds):
    """S_ab as the mean of per-channel similarities over measurement pairs
    (equal weighting), a measurement with itself at half weight."""
    names = list(dict.fromkeys(cond))
    groups = {c: [i for i in range(len(cond)) if cond[i] == c] for c in names}

    def pooled(a, b):
        total = weight = 0.0
        for i in groups[a]:
            for j in groups[b]:
                if a == b and j < i:
                    continue
                if folds is not None and folds[i] == folds[j]:
                    continue
                both = ~np.isnan(x[i]) & ~np.isnan(x[j])
                half = 0.5 if i == j else 1.0
                total += half * np.sum(x[i][both] * x[j][both]) / both.sum()
                weight += half
        return total / weight

    return np.array([pooled(a, a) + pooled(b, b) - 2 * pooled(a, b)
                     for k, a in enumerate(names) for b in names[k + 1:]])


def test_unbalanced_rdm_of_balanced_complete_data_is_the_plain_rdm():
    x = np.random.default_rng(91).normal(size=(20, 6))
    cond = np.tile(np.arange(5), 4)
    close(rs.rdm_unbalanced(x, cond), rs.rdm(x, "euclidean", conditions=cond), rel=1e-12)
    with pytest.raises(rs.InputError, match="cosine"):
        rs.rdm_unbalanced(x, cond, "cosine")
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(rs.InputError, match="complete measurements"):
        rs.rdm_unbalanced(bad, cond, "mahalanobis", noise=np.eye(6))


@pytest.mark.parametrize("weighting,with_folds", [("number", False), ("number", True),
                                                  ("equal", True)])
def test_unbalanced_correlation_with_missing_channels_is_over_the_shared_channels(weighting,
                                                                                   with_folds):
    rng = np.random.default_rng(93)
    cond = np.repeat(np.arange(4), [3, 4, 2, 5])
    x = rng.normal(size=(len(cond), 6)) + cond[:, None] * np.linspace(-1, 1, 6)
    x[rng.random(x.shape) < 0.2] = np.nan
    x[0, :5] = np.nan  # one channel left: no correlation with anything
    folds = np.arange(len(cond)) % 3 if with_folds else None
    groups = [np.flatnonzero(cond == c) for c in range(4)]

    def pooled(a, b):
        value = weight = 0.0
        for i in groups[a]:
            for j in groups[b]:
                if (a == b and j < i) or (folds is not None and folds[i] == folds[j]):
                    continue
                shared = ~np.isnan(x[i]) & ~np.isnan(x[j])
                if shared.sum() < 2:
                    continue
                r = np.corrcoef(x[i][shared], x[j][shared])[0, 1]
                half = 0.5 if i == j else 1.0
                w = shared.sum() if weighting == "number" else 1.0
                value += half * w * r / 2
                weight += half * w
        return value / weight

    want = [pooled(a, a) + pooled(b, b) - 2 * pooled(a, b) for a in range(4) for b in range(a + 1, 4)]
    ours = rs.rdm_unbalanced(x, cond, "correlation", folds=folds, weighting=weighting)
    close(ours, want, rel=1e-9)
    # rsatoolbox centres with the full channel count there: the patch leaves
    # the call to it.
    from rsatoolbox.rdm.calc_unbalanced import calc_rdm_unbalanced

    ds = Dataset(x, obs_descriptors={"cond": cond})
    before = rs.patch_calls().get("calc_rdm_unbalanced", (0, 0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = calc_rdm_unbalanced(ds, method="correlation", descriptor="cond")
        with rs.patched_rsatoolbox():
            import importlib

            module = importlib.import_module("rsatoolbox.rdm.calc_unbalanced")
            patched = module.calc_rdm_unbalanced(ds, method="correlation", descriptor="cond")
    assert rs.patch_calls()["calc_rdm_unbalanced"] == (before[0], before[1] + 1)
    close(patched.get_vectors(), plain.get_vectors(), rel=0)


def test_patched_calc_rdm_unbalanced_returns_rsatoolboxs_object():
    from rsatoolbox.rdm.calc_unbalanced import calc_rdm_unbalanced

    rng = np.random.default_rng(92)
    cond = np.array(["b", "a", "c", "a", "b", "b", "c", "d"] * 2)
    x = rng.normal(size=(len(cond), 5))
    ds = Dataset(x, descriptors={"subject": 3},
                 obs_descriptors={"cond": cond, "run": np.repeat([0, 1], 8)})
    calls = [dict(method="euclidean", descriptor="cond"),
             dict(method="crossnobis", descriptor="cond", cv_descriptor="run", noise=np.eye(5) * 2),
             dict(method="correlation", descriptor="cond"),
             dict(method="euclidean", descriptor="cond", weighting="equal")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = [calc_rdm_unbalanced(ds, **kw) for kw in calls]
        before = rs.patch_calls().get("calc_rdm_unbalanced", (0, 0))
        with rs.patched_rsatoolbox():
            import importlib

            module = importlib.import_module("rsatoolbox.rdm.calc_unbalanced")
            patched = [module.calc_rdm_unbalanced(ds, **kw) for kw in calls]
    # The last (equal weighting without folds) stays with rsatoolbox, whose
    # result there is not the definition's.
    assert rs.patch_calls()["calc_rdm_unbalanced"] == (before[0] + 3, before[1] + 1)
    for a, b in zip(plain, patched):
        same_rdms(a, b)
    definition = unbalanced_by_definition(x, list(cond), None)
    close(rs.rdm_unbalanced(x, cond, weighting="equal", condition_order="appearance"), definition)
    assert not np.allclose(plain[3].get_vectors()[0], definition)


def test_one_inference_call_gives_the_tidy_table_and_the_figure(tmp_path):
    subjects = rdms(100, k=6, n_cond=10)
    models = {"truth": subjects.mean(0), "noise": np.random.default_rng(101).random(45)}
    result = rs.rsa_bootstrap(models, subjects, n_boot=100, seed=0)
    table = result.to_pandas()
    assert list(table["model"]) == ["truth", "noise"]
    for column in ("mean", "sem", "ci_low", "ci_high", "p_zero", "p_zero_bootstrap",
                   "p_noise_ceiling", "noise_ceiling_lower", "noise_ceiling_upper", "n_valid"):
        assert column in table.columns, column
    np.testing.assert_array_equal(table["mean"], result.mean)
    assert (table["noise_ceiling_lower"] == result.noise_ceiling[0]).all()
    result.plot(tmp_path / "models.svg")
    svg = (tmp_path / "models.svg").read_text()
    assert "truth" in svg and "noise" in svg
    assert "<svg" in result._repr_html_()


def test_cross_run_rdms_equal_a_plain_computation():
    from scipy.spatial.distance import cdist

    rng = np.random.default_rng(110)
    truth = rng.normal(size=(6, 9))
    run1 = np.repeat(truth, 2, axis=0) + 0.3 * rng.normal(size=(12, 9))
    run2 = np.repeat(truth, 2, axis=0) + 0.3 * rng.normal(size=(12, 9))
    labels = np.repeat([f"c{i}" for i in range(6)], 2)
    m1 = np.stack([run1[labels == f"c{i}"].mean(0) for i in range(6)])
    m2 = np.stack([run2[labels == f"c{i}"].mean(0) for i in range(6)])
    got = rs.cross_rdm(run1, run2, "correlation", conditions_a=labels, conditions_b=labels)
    close(got, 1 - np.corrcoef(m1, m2)[:6, 6:], rel=1e-12)
    assert not np.allclose(got, got.T) and np.all(np.diag(got) < got.mean())  # reliable patterns
    close(rs.cross_rdm(m1, m2, "euclidean"), cdist(m1, m2, "sqeuclidean") / 9, rel=1e-12)
    prec = rs.noise_precision(rng.normal(size=(40, 9)), "shrinkage_diag")
    close(rs.cross_rdm(m1, m2, "mahalanobis", noise=prec),
          cdist(m1, m2, "mahalanobis", VI=prec) ** 2 / 9, rel=1e-10)
    close(rs.cross_rdm(m1, m2, "cosine"), cdist(m1, m2, "cosine"), rel=1e-12)
    same = rs.cross_rdm(m1, m1, "correlation")
    close(same[np.triu_indices(6, 1)], rs.rdm(m1, "correlation"), rel=1e-12)
    with pytest.raises(rs.InputError, match="channels"):
        rs.cross_rdm(m1, m2[:, :5])


def test_neg_riemannian_distance_is_the_minimum_rsatoolbox_approximates():
    from scipy import linalg, optimize

    rng = np.random.default_rng(120)
    n = 6
    rdms_ = np.stack([rs.rdm(rng.normal(size=(n, 12)), "euclidean") for _ in range(3)])

    def moment(v):
        d = np.zeros((n, n))
        d[np.triu_indices(n, 1)] = v
        d += d.T
        return (d[0, 1:, None] + d[0, None, 1:] - d[1:, 1:]) / 2

    def by_definition(a, b, sigma=None):
        s = np.ones(n) if sigma is None else sigma
        sigma_hat = s[0] + np.diag(s[1:])
        g1, g2 = moment(a), moment(b)

        def f(t):
            return np.sqrt((np.log(linalg.eigvalsh(np.exp(t[0]) * g1 + np.exp(t[1]) * sigma_hat, g2)) ** 2).sum())

        return -optimize.minimize(f, (0, 0), method="Nelder-Mead",
                                  options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 10000}).fun

    ours = rs.compare_rdms(rdms_, rdms_, "neg_riem_dist")
    want = np.array([[by_definition(a, b) for b in rdms_] for a in rdms_])
    # (An RDM against itself is at distance 0 as the noise term vanishes:
    # both sides end within ~1e-14 of it.)
    np.testing.assert_allclose(ours, want, rtol=1e-8, atol=1e-12)
    sigma = np.linspace(0.5, 2.0, n)
    close(rs.compare_rdms(rdms_[0], rdms_[1], "neg_riem_dist", sigma_k=sigma),
          by_definition(rdms_[0], rdms_[1], sigma), rel=1e-8)
    # rsatoolbox stops its search at 1e-4: close, and never below the minimum found here.
    theirs = compare(RDMs(rdms_), RDMs(rdms_), "neg_riem_dist")
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3)
    assert np.all(ours >= theirs - 1e-12)


def test_crossvalidation_reports_each_folds_noise_ceiling_as_rsatoolbox_computes_it():
    subjects = rdms(130, k=5, n_cond=12)
    cv = rs.rsa_crossval([subjects.mean(0)], subjects, compare="corr", k=3, seed=1)
    assert len(cv.test_conditions) == 3
    assert sorted(np.concatenate(cv.test_conditions).tolist()) == list(range(12))
    for test, (lower, upper) in zip(cv.test_conditions, cv.noise_ceiling_folds):
        sub = RDMs(subjects).subsample_pattern("index", test)
        close((lower, upper), boot_noise_ceiling(sub, method="corr"))
    close(cv.noise_ceiling, np.mean(cv.noise_ceiling_folds, axis=0))


def test_bad_inputs_to_the_new_functions_are_repscope_errors():
    rng = np.random.default_rng(140)
    x = rng.normal(size=(12, 5))
    c, f = np.tile(np.arange(4), 3), np.repeat(np.arange(3), 4)
    cases = [
        (lambda: rs.pool_rdm(np.ones((2, 5))), "condensed RDM"),
        (lambda: rs.pool_rdm(np.ones((2, 6)), "nope"), "unknown"),
        (lambda: rs.cross_rdm(np.ones(3), np.ones(3)), "2-D"),
        (lambda: rs.cross_rdm(np.full((3, 2), np.nan), np.ones((3, 2))), "NaN"),
        (lambda: rs.rdm_unbalanced(x, c[:5]), "condition labels"),
        (lambda: rs.rdm_unbalanced(x, c, "mahalanobis", noise=np.eye(3)), "noise precision"),
        (lambda: rs.searchlight_spheres(np.ones((3, 3, 3)), -1), "radius"),
        (lambda: rs.rdm(x, "crossnobis", noise=[np.eye(5), np.eye(4), np.eye(5)], conditions=c, folds=f),
         "channels x channels"),
        (lambda: rs.rdm(x, "euclidean", noise=[np.eye(5)] * 3), "per fold is for crossnobis"),
        (lambda: rs.fit_weights(rng.random((2, 6)), rng.random((2, 6)), "cosine_cov", sigma_k=[1, 2]),
         "sigma_k"),
        (lambda: rs.rdm(x, "euclidean", conditions=c, condition_order=5), "condition_order"),
        (lambda: rs.rdm(np.abs(x), "poisson_cv", conditions=c, folds=np.zeros(12)), "2 folds"),
    ]
    for call, message in cases:
        with pytest.raises(rs.Error, match=message):
            call()


def test_per_sample_values_come_back_even_with_fewer_than_two_valid_samples():
    subjects = rdms(150, k=4, n_cond=6)
    models = subjects.mean(0, keepdims=True)
    # One valid sample (6 distinct conditions) and one with only 2 distinct.
    draws = [[0, 1, 2, 3, 4, 5], [0, 0, 0, 1, 1, 1]]
    out = _repscope.rsa_evaluate_samples(np.ascontiguousarray(models), np.ascontiguousarray(subjects),
                                         "corr", draws, None, 6)
    assert out.n_valid == 1
    assert np.isfinite(out.evaluations[0]).all() and np.isnan(out.evaluations[1]).all()
    close(out.evaluations[0, 0], rs.compare_rdms(models, subjects, "corr").mean())
    assert np.isnan(out.mean).all()
    # The user-facing bootstrap still explains why it cannot summarise.
    with pytest.raises(rs.Error, match="valid bootstrap sample"):
        rs.rsa_bootstrap(models[:, :3], subjects[:, :3], n_boot=2, seed=0)


def test_bootstrap_crossvalidation_matches_a_plain_computation_with_rsatoolboxs_subsampling():
    from scipy.optimize import nnls

    rng = np.random.default_rng(160)
    n_cond, n_subj, k = 12, 5, 2
    truth = rng.normal(size=(n_cond, 4))
    data = np.stack([rs.rdm(truth + 0.4 * rng.normal(size=truth.shape), "euclidean")
                     for _ in range(n_subj)])
    parts = np.stack([rs.rdm(truth[:, :2], "euclidean"), rs.rdm(truth[:, 2:], "euclidean")])
    fixed = rs.rdm(rng.normal(size=(n_cond, 4)), "euclidean")
    result = rs.rsa_bootstrap_crossval({"fixed": fixed, "parts": parts}, data, "corr", k=k,
                                       n_boot=12, seed=3, n_cv=1)
    # The same draws, in the documented order.
    draw = np.random.default_rng(3)
    pairs = [(i, j) for i in range(n_cond) for j in range(i + 1, n_cond)]
    index = {p: n for n, p in enumerate(pairs)}
    checked = 0
    for sample in range(12):
        subjects = draw.integers(0, n_subj, n_subj)
        copies = np.sort(draw.integers(0, n_cond, n_cond))
        order = draw.permutation(np.unique(copies))
        folds = [sorted(order[f::k].tolist()) for f in range(k)]
        evals, ceilings = [], []
        for test in folds:
            test_copies = [c for c in copies if c in test]
            train_copies = [c for c in copies if c not in test]
            if len(set(test_copies)) < 3 or len(set(train_copies)) < 3:
                evals = None
                break
            positions = [index[(min(a, b), max(a, b))] for x, a in enumerate(train_copies)
                         for b in train_copies[x + 1:] if a != b]
            z = [(d[positions] - d[positions].mean()) / d[positions].std() for d in data[subjects]]
            y = np.mean(z, axis=0)
            cols = parts[:, positions] - parts[:, positions].mean(axis=1, keepdims=True)
            theta = nnls(cols.T, y)[0]
            theta /= np.linalg.norm(theta)
            predicted = np.stack([fixed, theta @ parts])
            sample_data = RDMs(data).subsample("index", subjects).subsample_pattern("index", test_copies)
            sample_models = RDMs(predicted).subsample_pattern("index", test_copies)
            evals.append(compare(sample_models, sample_data, "corr").mean(axis=1))
            ceilings.append(boot_noise_ceiling(sample_data, method="corr"))
        if evals is None:
            assert np.isnan(result.evaluations[sample]).all()
            continue
        close(result.evaluations[sample], np.mean(evals, axis=0), rel=1e-9)
        close(result.noise_ceiling_samples[:, sample], np.mean(ceilings, axis=0), rel=1e-9)
        checked += 1
    assert checked >= 6
    assert result.names == ["fixed", "parts"] and result.mean[1] > result.mean[0]
    with pytest.raises(rs.InputError, match="cannot compare"):
        rs.rsa_bootstrap_crossval({"parts": parts}, data, "corr_cov", k=2, n_boot=4)


def test_bootstrap_crossvalidation_and_group_comparison_edge_cases():
    rng = np.random.default_rng(170)
    data = rdms(171, k=5, n_cond=14)
    model = data.mean(0)
    with pytest.raises(rs.InputError, match="folds need at least 3 distinct conditions"):
        rs.rsa_bootstrap_crossval([model[:15]], data[:, :15], k=2, n_boot=5)
    with pytest.raises(rs.InputError, match="different sizes"):
        rs.rsa_bootstrap_crossval([model[:45]], data, k=2, n_boot=5, over="rdms")
    # A pair missing in every RDM is left out of the fit and the evaluation.
    gap = data.copy()
    gap[:, 7] = np.nan
    components = np.stack([model, rng.random(model.size)])
    components[:, 7] = np.nan
    with_gap = rs.rsa_bootstrap_crossval([components], gap, k=2, n_boot=30, seed=2)
    assert with_gap.n_valid > 0 and np.isfinite(with_gap.mean).all()
    # Groups with their own missing pairs: each group's comparisons leave its own out.
    a, b = data[:3].copy(), data[3:].copy()
    a[:, 4] = np.nan
    out = rs.rsa_compare_groups([model], a, b, n_boot=20, seed=0)
    keep = np.ones(model.size, bool)
    keep[4] = False
    observed = (np.mean([np.corrcoef(model[keep], s[keep])[0, 1] for s in a])
                - np.mean([np.corrcoef(model, s)[0, 1] for s in b]))
    close(out["observed"], [observed], rel=1e-9)


@pytest.mark.parametrize("method", ["cosine", "corr", "spearman"])
def test_cv_noise_ceiling_equals_rsatoolbox(method):
    from rsatoolbox.inference.noise_ceiling import cv_noise_ceiling

    data = rdms(180, k=6, n_cond=10)
    folds = [([0, 1, 2], [3, 4, 5], [0, 2, 4, 6, 8]), ([3, 4, 5], [0, 1, 2], [1, 3, 5, 7, 9]),
             ([1, 3, 5], [0, 2, 4], [0, 1, 2, 3])]
    ceil_set = [(RDMs(data[list(c)]), np.arange(10)) for c, _, _ in folds]
    test_set = [(RDMs(data[list(t)]).subsample_pattern("index", conds), np.asarray(conds))
                for _, t, conds in folds]
    theirs = cv_noise_ceiling(RDMs(data), ceil_set, test_set, method=method)
    close(rs.cv_noise_ceiling(data, folds, method), theirs)
    with pytest.raises(rs.InputError, match="at least 3"):
        rs.cv_noise_ceiling(data, [([0], [1], [0, 1])], method)
