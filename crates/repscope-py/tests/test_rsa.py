"""RSA against rsatoolbox: dissimilarities, noise precision, comparisons,
topological transforms, noise ceilings and bootstrap evaluation."""

import zlib

import numpy as np
import pytest
from rsatoolbox.data import Dataset
from rsatoolbox.data.noise import cov_from_residuals
from rsatoolbox.inference import eval_bootstrap_pattern, eval_bootstrap_rdm
from rsatoolbox.inference.noise_ceiling import boot_noise_ceiling
from rsatoolbox.model import ModelFixed
from rsatoolbox.rdm import RDMs, calc_rdm, compare
from rsatoolbox.rdm.transform import geodesic_transform, geotopological_transform
from scipy.spatial.distance import pdist

import repscope as rs

REL = 1e-9


def assert_rel(ours, theirs, rel=REL):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    # Values that are 0 in exact arithmetic (tied RDMs can correlate exactly
    # 0) come out as ~1e-17 on both sides: relative to a floor of 1e-6.
    scale = np.maximum(np.abs(theirs), 1e-6)
    err = np.max(np.abs(ours - theirs) / scale)
    assert err <= rel, f"max relative error {err:.3e}"


def data(n, p, seed):
    return np.random.default_rng(seed).normal(size=(n, p))


@pytest.mark.parametrize("n,p", [(20, 50), (40, 8), (12, 300)])
@pytest.mark.parametrize("method", ["euclidean", "correlation"])
def test_rdm_equals_rsatoolbox(n, p, method):
    x = data(n, p, n * p)
    theirs = calc_rdm(Dataset(x), method=method).get_vectors()[0]
    assert_rel(rs.rdm(x, method), theirs)


def test_cosine_rdm_equals_scipy():
    x = data(15, 30, 1)
    assert_rel(rs.rdm(x, "cosine"), pdist(x, "cosine"))


def test_condition_averaging_and_label_order():
    x = data(24, 10, 2)
    labels = np.repeat([10, 2, 7, 1], 6)  # numeric labels sort as numbers
    ds = Dataset(x, obs_descriptors={"cond": labels})
    theirs = calc_rdm(ds, method="euclidean", descriptor="cond").get_vectors()[0]
    assert_rel(rs.rdm(x, "euclidean", conditions=labels), theirs)


@pytest.mark.parametrize("shrinkage", ["full", "diag", "shrinkage_eye", "shrinkage_diag"])
def test_noise_covariance_and_mahalanobis(shrinkage):
    residuals = data(60, 12, 3) @ np.diag(np.linspace(0.5, 2, 12))
    theirs = cov_from_residuals(residuals, method=shrinkage)
    assert_rel(rs.noise_covariance(residuals, shrinkage), theirs)
    prec = rs.noise_precision(residuals, shrinkage)
    x = data(9, 12, 4)
    theirs = calc_rdm(Dataset(x), method="mahalanobis", noise=prec).get_vectors()[0]
    assert_rel(rs.rdm(x, "mahalanobis", noise=prec), theirs)


def test_crossnobis_equals_rsatoolbox():
    conds, runs, p = 6, 4, 20
    x = data(conds * runs, p, 5) + np.tile(data(conds, p, 6), (runs, 1))
    cond = np.tile(np.arange(conds), runs)
    run = np.repeat(np.arange(runs), conds)
    prec = rs.noise_precision(data(50, p, 7), "shrinkage_diag")
    ds = Dataset(x, obs_descriptors={"cond": cond, "run": run})
    theirs = calc_rdm(ds, method="crossnobis", descriptor="cond", cv_descriptor="run",
                      noise=prec).get_vectors()[0]
    ours = rs.rdm(x, "crossnobis", noise=prec, conditions=cond, folds=run)
    assert_rel(ours, theirs)


def test_poisson_equals_rsatoolbox():
    x = np.random.default_rng(8).poisson(3.0, size=(10, 40)).astype(float)
    theirs = calc_rdm(Dataset(x), method="poisson").get_vectors()[0]
    assert_rel(rs.rdm(x, "poisson"), theirs)


def test_rdm_bad_inputs():
    with pytest.raises(rs.InputError, match="at least 3 conditions"):
        rs.rdm(data(2, 5, 1), "euclidean")
    singular = np.diag([1.0, 1.0, 0.0])
    with pytest.raises(rs.InputError, match="singular"):
        rs.rdm(data(5, 3, 1), "mahalanobis", noise=singular)
    with pytest.raises(rs.InputError, match="at least 2 folds"):
        rs.rdm(data(6, 3, 1), "crossnobis", conditions=[0, 1, 2] * 2, folds=[0] * 6)
    # A fold holding a single measurement cannot contain every condition.
    with pytest.raises(rs.InputError, match="no measurement in fold 2"):
        rs.rdm(data(7, 3, 1), "crossnobis", conditions=[0, 1, 2, 0, 1, 2, 0], folds=[0, 0, 0, 1, 1, 1, 2])
    with pytest.raises(rs.InputError, match="different sizes"):
        rs.compare_rdms(np.ones(3), np.ones(6))


def rdm_sets(seed, k1=3, k2=4, n=12, ties=False, nan=False):
    rng = np.random.default_rng(seed)
    m = n * (n - 1) // 2
    a, b = rng.random((k1, m)), rng.random((k2, m))
    if ties:
        a, b = np.round(a * 4), np.round(b * 4)
    if nan:
        a[:, [3, 17]] = np.nan
        b[:, [3, 17]] = np.nan
    return a, b


OURS_TO_THEIRS = {
    "cosine": "cosine", "corr": "corr", "spearman": "spearman", "rho_a": "rho-a",
    "kendall_a": "tau-a", "kendall_b": "tau-b", "cosine_cov": "cosine_cov",
    "corr_cov": "corr_cov",
}


@pytest.mark.parametrize("method", list(OURS_TO_THEIRS))
@pytest.mark.parametrize("case", ["plain", "ties", "nan"])
def test_comparisons_equal_rsatoolbox(method, case):
    # A seed fixed per case (str hashes change between processes).
    a, b = rdm_sets(zlib.crc32(f"{method}-{case}".encode()), ties=case == "ties", nan=case == "nan")
    theirs = compare(RDMs(a), RDMs(b), method=OURS_TO_THEIRS[method])
    assert_rel(rs.compare_rdms(a, b, method), theirs)


@pytest.mark.parametrize("method", ["cosine_cov", "corr_cov"])
def test_whitened_comparisons_with_diagonal_sigma_k(method):
    a, b = rdm_sets(11)
    sigma = np.linspace(0.5, 2.0, 12)
    theirs = compare(RDMs(a), RDMs(b), method=method, sigma_k=sigma)
    assert_rel(rs.compare_rdms(a, b, method, sigma_k=sigma), theirs)


@pytest.mark.parametrize("method", ["bures", "bures_metric"])
def test_bures_equals_rsatoolbox(method):
    # Euclidean RDMs (PSD second moments); rsatoolbox's square roots of
    # ~1e-17 eigenvalues add ~1e-8 noise, hence the tolerance.
    x = [data(10, 4, s) for s in range(3)]
    a = np.stack([rs.rdm(v, "euclidean") for v in x[:2]])
    b = rs.rdm(x[2], "euclidean")[None, :]
    theirs = compare(RDMs(a), RDMs(b), method=method)
    assert_rel(rs.compare_rdms(a, b, method), theirs, rel=1e-7)


def test_kendall_is_fast_on_large_rdms():
    # O(m log m): a 2000-condition RDM (~2 million pairs) in well under a second.
    v = np.random.default_rng(0).random(2000 * 1999 // 2)
    w = v + np.random.default_rng(1).random(v.size)
    t = rs.compare_rdms(v, w, "kendall_a")
    assert 0 < t < 1


def test_geotopological_agrees_where_defined_and_documents_the_difference():
    v = rs.rdm(data(15, 5, 9), "euclidean") * 10  # upper quantile value >= 1
    original = v.copy()
    theirs = geotopological_transform(RDMs(v.copy()), 0.1, 0.8).get_vectors()[0]
    ours = rs.geotopological(v, 0.1, 0.8)
    assert np.array_equal(v, original)  # input untouched
    assert_rel(ours, theirs)
    # Upper threshold below 1: rsatoolbox forces scaled values above the
    # unscaled threshold to 1; repscope keeps the linear ramp.
    small = v / 100
    lo, up = np.quantile(small, [0.1, 0.8])
    assert up < 1
    theirs = geotopological_transform(RDMs(small.copy()), 0.1, 0.8).get_vectors()[0]
    ours = rs.geotopological(small, 0.1, 0.8)
    ramp = (small >= lo) & (small <= up)
    np.testing.assert_allclose(ours[ramp], (small[ramp] - lo) / (up - lo), rtol=1e-12)
    assert np.any(theirs[ramp] == 1.0) and not np.all(ours[ramp] == theirs[ramp])


def test_geodesic_agrees_except_for_zero_distance_pairs():
    v = rs.geotopological(rs.rdm(data(12, 4, 10), "euclidean"), 0.05, 0.7)
    theirs = geodesic_transform(RDMs(v.copy())).get_vectors()[0]
    ours = rs.geodesic(v)
    zero = v == 0
    assert zero.any()
    assert np.all(ours[zero] == 0)  # repscope: distance 0 stays 0
    assert np.all(theirs[zero] > 0)  # rsatoolbox: zero-weight edges vanish, detours
    # Elsewhere the paths agree wherever rsatoolbox's detours do not enter.
    finite = np.isfinite(ours) & ~zero
    assert np.all(ours[finite] <= theirs[finite] + 1e-12)


@pytest.mark.parametrize("method", ["corr", "cosine", "spearman", "cosine_cov", "rho_a"])
def test_noise_ceiling_equals_rsatoolbox(method):
    rng = np.random.default_rng(12)
    truth = rng.random(45)
    subjects = truth + 0.4 * rng.standard_normal((6, 45))
    theirs = boot_noise_ceiling(RDMs(subjects), method=OURS_TO_THEIRS.get(method, method))
    assert_rel(rs.noise_ceiling(subjects, method), theirs)


def bootstrap_problem(seed=42, n_subj=5, n_cond=8):
    rng = np.random.default_rng(seed)
    n_dis = n_cond * (n_cond - 1) // 2
    true = rng.random(n_dis)
    models = np.stack([true, 0.5 * true + 0.5 * rng.random(n_dis), rng.random(n_dis)])
    subjects = true + 0.5 * rng.standard_normal((n_subj, n_dis))
    return models, subjects


@pytest.mark.parametrize("method", ["corr", "cosine", "spearman", "kendall_a", "cosine_cov"])
def test_pattern_bootstrap_reproduces_rsatoolbox_sample_by_sample(method):
    """Same draws as rsatoolbox (numpy's seeded legacy generator), fed to
    repscope: every sample's evaluations and noise ceilings, the means, the
    standard errors and every t-test agree."""
    from repscope import _repscope

    models, subjects = bootstrap_problem()
    n_cond, n = 8, 60
    np.random.seed(123)
    res = eval_bootstrap_pattern(
        [ModelFixed(f"m{i}", m) for i, m in enumerate(models)], RDMs(subjects),
        method=OURS_TO_THEIRS[method], N=n)
    np.random.seed(123)
    draws = [np.random.randint(0, n_cond, size=n_cond).tolist() for _ in range(n)]
    ours = _repscope.rsa_evaluate_samples(
        np.ascontiguousarray(models), np.ascontiguousarray(subjects), method, draws, None, n_cond)
    np.testing.assert_array_equal(np.isnan(ours.evaluations), np.isnan(res.evaluations))
    ok = ~np.isnan(res.evaluations[:, 0])
    assert_rel(ours.evaluations[ok], res.evaluations[ok])
    assert_rel(ours.noise_ceiling_samples[:, ok], res.noise_ceiling[:, ok])
    assert_rel(ours.mean, res.get_means())
    assert_rel(ours.sem, res.get_sem())
    p_pair, p_zero, p_noise = res.test_all()
    assert_rel(ours.p_pairwise, p_pair, rel=1e-7)
    assert_rel(ours.p_zero, p_zero, rel=1e-7)
    assert_rel(ours.p_noise_ceiling, p_noise, rel=1e-7)
    # rsatoolbox counts invalid samples in N; this seed draws none, so the
    # bootstrap p-values must agree too.
    assert ok.all()
    assert_rel(ours.p_pairwise_bootstrap, res.test_pairwise("bootstrap"))
    assert_rel(ours.p_zero_bootstrap, res.test_zero("bootstrap"))


def test_subject_bootstrap_reproduces_rsatoolbox_sample_by_sample():
    from repscope import _repscope

    models, subjects = bootstrap_problem(seed=3, n_subj=7)
    n = 40
    np.random.seed(7)
    res = eval_bootstrap_rdm(
        [ModelFixed(f"m{i}", m) for i, m in enumerate(models)], RDMs(subjects), method="corr", N=n)
    np.random.seed(7)
    draws = [np.random.randint(0, 7, size=7).tolist() for _ in range(n)]
    ours = _repscope.rsa_evaluate_samples(
        np.ascontiguousarray(models), np.ascontiguousarray(subjects), "corr", None, draws, 7)
    assert_rel(ours.evaluations, res.evaluations)
    assert_rel(ours.noise_ceiling_samples, res.noise_ceiling)
    assert_rel(ours.mean, res.get_means())
    assert_rel(ours.sem, res.get_sem())
    assert_rel(ours.p_pairwise, res.test_pairwise(), rel=1e-7)


def test_two_way_bootstrap_reproduces_rsatoolbox_sample_by_sample():
    from rsatoolbox.inference import eval_bootstrap

    from repscope import _repscope

    models, subjects = bootstrap_problem(seed=9, n_subj=6, n_cond=9)
    n = 40
    np.random.seed(11)
    res = eval_bootstrap(
        [ModelFixed(f"m{i}", m) for i, m in enumerate(models)], RDMs(subjects), method="corr", N=n)
    np.random.seed(11)
    rdm_draws, pattern_draws = [], []
    for _ in range(n):  # rsatoolbox draws subjects first, then conditions
        rdm_draws.append(np.random.randint(0, 6, size=6).tolist())
        pattern_draws.append(np.random.randint(0, 9, size=9).tolist())
    ours = _repscope.rsa_evaluate_samples(
        np.ascontiguousarray(models), np.ascontiguousarray(subjects), "corr", pattern_draws,
        rdm_draws, 6)
    ok = ~np.isnan(res.evaluations[:, 0])
    assert_rel(ours.evaluations[ok], res.evaluations[ok])
    assert_rel(ours.noise_ceiling_samples[:, ok], res.noise_ceiling[:, ok])
    assert_rel(ours.mean, res.get_means())
    assert_rel(ours.sem, res.get_sem())


def test_seeded_bootstrap_is_reproducible_and_sensible():
    models, subjects = bootstrap_problem(seed=5, n_subj=8, n_cond=10)
    a = rs.rsa_bootstrap(models, subjects, "corr", n_boot=200, over="both", seed=1)
    b = rs.rsa_bootstrap(models, subjects, "corr", n_boot=200, over="both", seed=1)
    assert np.array_equal(a.evaluations, b.evaluations, equal_nan=True)
    assert a.mean[0] > a.mean[2]
    assert a.ci_low[0] <= a.mean[0] <= a.ci_high[0]
    assert "model0" in repr(a)


def test_rsa_measure_equals_rdm_then_compare_and_rsatoolbox():
    x, y = data(25, 6, 20), data(25, 9, 21)
    ours = rs.similarity(x, y, "rsa", rdm_method="euclidean", compare_method="kendall_a")
    rx = calc_rdm(Dataset(x), method="euclidean")
    ry = calc_rdm(Dataset(y), method="euclidean")
    assert ours == pytest.approx(float(compare(rx, ry, method="tau-a")[0, 0]), rel=REL)
    r = rs.pairwise({"x": x, "y": y}, measure="rsa")
    default = rs.compare_rdms(rs.rdm(x, "correlation"), rs.rdm(y, "correlation"), "spearman")
    assert r.values[0, 1] == pytest.approx(default, rel=1e-12)


def test_mds_and_plots(tmp_path):
    v = rs.rdm(data(9, 3, 30), "euclidean")
    xy = rs.mds(np.sqrt(v), 2)
    assert xy.shape == (9, 2)
    models, subjects = bootstrap_problem()
    res = rs.rsa_bootstrap(models, subjects, "corr", n_boot=50, seed=2)
    res.plot(tmp_path / "bars.svg")
    assert "<svg" in (tmp_path / "bars.svg").read_text()


def test_cli_rdm_and_compare(tmp_path, run_cli):
    x = data(30, 12, 40)
    np.savez(tmp_path / "reps.npz", a=x, b=x @ data(12, 5, 41))
    labels = tmp_path / "cond.txt"
    labels.write_text("\n".join(str(i % 6) for i in range(30)) + "\n")
    run_cli("rdm", tmp_path / "reps.npz", "--method", "euclidean", "--conditions", labels,
            "-o", tmp_path / "rdms.npz", "--plot", tmp_path / "rdm.png", "--mds", tmp_path / "mds.png",
            check=0)
    with np.load(tmp_path / "rdms.npz") as f:
        assert list(f.keys()) == ["a", "b", "conditions"]
        expected = calc_rdm(Dataset(x, obs_descriptors={"c": np.arange(30) % 6}),
                            method="euclidean", descriptor="c").get_vectors()[0]
        assert_rel(f["a"], expected)
    assert (tmp_path / "rdm_a.png").exists() and (tmp_path / "mds_b.png").exists()
    p = run_cli("compare", tmp_path / "rdms.npz", "--compare", "tau-a", "-o", tmp_path / "c.csv", check=0)
    assert "kendall_a" in p.stdout
    rows = (tmp_path / "c.csv").read_text().splitlines()
    assert rows[0] == "kendall_a,a,b"
    bad = tmp_path / "short.txt"
    bad.write_text("0\n1\n")
    p = run_cli("rdm", tmp_path / "reps.npz", "--conditions", bad)
    assert p.returncode == 2 and "should have 30 entries but has 2" in p.stderr
    np.savez(tmp_path / "other.npz", c=np.ones(10))
    p = run_cli("compare", tmp_path / "rdms.npz", tmp_path / "other.npz")
    assert p.returncode == 2 and "different sizes" in p.stderr


@pytest.mark.parametrize("method", ["cosine", "corr"])
def test_weighted_model_fit_equals_rsatoolbox_fit_regress_nn(method):
    from rsatoolbox.model import ModelWeighted
    from rsatoolbox.model.fitter import fit_regress_nn

    rng = np.random.default_rng(31)
    comps = rng.random((4, 45))
    subjects = 0.7 * comps[0] + 0.2 * comps[2] - 0.3 * comps[3] + 0.2 * rng.random((6, 45))
    theirs = fit_regress_nn(ModelWeighted("w", RDMs(comps)), RDMs(subjects), method=method)
    ours = rs.fit_weights(comps, subjects, method)
    assert_rel(ours, theirs)
    assert ours[3] == 0.0  # the negative contribution is clipped


def test_crossvalidation_prefers_the_true_weighted_model():
    rng = np.random.default_rng(32)
    comps = np.stack([rs.rdm(rng.normal(size=(20, 4)), "euclidean") for _ in range(2)])
    truth = 0.4 * comps[0] + 0.9 * comps[1]
    subjects = truth + 0.3 * rng.standard_normal((6, truth.size))
    cv = rs.rsa_crossval({"weighted": comps, "first only": comps[0], "random": rng.random(truth.size)},
                         subjects, "corr", k=4, seed=3)
    assert cv["mean"][0] > cv["mean"][1] > cv["mean"][2]
    w = np.mean([fw[0] for fw in cv["weights"]], axis=0)
    assert w[1] > w[0] > 0
