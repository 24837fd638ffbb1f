"""RSA over space and time: NIfTI I/O against nibabel, searchlight RDMs and maps
against rsatoolbox and a plain per-sphere loop, RDM movies against rsatoolbox's
calc_rdm_movie, and the sign-flip test's false-positive rate on null data."""

import numpy as np
import pytest

import repscope as rs

nib = pytest.importorskip("nibabel")
rsatoolbox = pytest.importorskip("rsatoolbox")
from rsatoolbox.data import Dataset, TemporalDataset  # noqa: E402
from rsatoolbox.rdm import calc_rdm, calc_rdm_movie  # noqa: E402
from rsatoolbox.util.searchlight import get_searchlight_RDMs, get_volume_searchlight  # noqa: E402
from scipy import stats  # noqa: E402

REL = 1e-9


def close(a, b, rel=REL, floor=1e-12):
    """Element-wise relative error <= rel; entries below floor x the largest
    (a correlation of 1e-17 against 3e-17) count relative to that floor."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = np.maximum(np.abs(b), floor * max(1.0, np.nanmax(np.abs(b))))
    err = np.nanmax(np.abs(a - b) / scale) if a.size else 0.0
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert err <= rel, err


AFFINE = np.array(
    [[-2.0, 0.1, 0.0, 90.0], [0.0, 2.0, 0.2, -126.0], [0.0, 0.0, 2.5, -72.0], [0, 0, 0, 1]]
)


# --- NIfTI -----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
@pytest.mark.parametrize("version", [1, 2])
def test_nifti_reading_equals_nibabel(tmp_path, suffix, version):
    rng = np.random.default_rng(0)
    image = nib.Nifti1Image if version == 1 else nib.Nifti2Image
    cases = {
        "f32_4d": rng.normal(size=(5, 4, 3, 6)).astype(np.float32),
        "f64_3d": rng.normal(size=(4, 3, 2)),
        "u8_mask": (rng.random((5, 4, 3)) > 0.5).astype(np.uint8),
        "i16_scaled": rng.integers(-300, 300, size=(3, 4, 5)).astype(np.int16),
    }
    for name, data in cases.items():
        img = image(data, AFFINE)
        if name == "i16_scaled":
            img.header.set_slope_inter(0.25, -3.0)
        path = tmp_path / f"{name}{suffix}"
        nib.save(img, path)
        ref = nib.load(path)
        ours, affine = rs.read_nifti(path)
        assert ours.shape == ref.shape
        close(ours, ref.get_fdata(), rel=0)
        close(affine, ref.affine, rel=0)


def test_nifti_qform_only_and_no_transform_affines_equal_nibabel(tmp_path):
    data = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    # A rotation (20 degrees about z, 10 about x), zooms and a left-handed flip:
    # what a qform can hold. nibabel computes it in float32, hence 1e-6.
    a, b = np.radians(20), np.radians(10)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    q = np.eye(4)
    q[:3, :3] = rz @ rx @ np.diag([2.0, 2.0, -2.5])
    q[:3, 3] = [10.0, -20.0, 30.0]
    img = nib.Nifti1Image(data, None)
    img.header.set_qform(q, code=1)
    img.header.set_sform(None, code=0)
    nib.save(img, tmp_path / "q.nii")
    ref = nib.load(tmp_path / "q.nii")
    assert ref.header["qform_code"] == 1 and ref.header["sform_code"] == 0
    ours = rs.read_nifti(tmp_path / "q.nii")[1]
    assert np.abs(ours - ref.affine).max() < 1e-6 * 30
    img = nib.Nifti1Image(data, None)
    img.header.set_qform(None, code=0)
    img.header.set_sform(None, code=0)
    img.header.set_zooms((2.0, 3.0, 4.0))
    nib.save(img, tmp_path / "none.nii")
    ref = nib.load(tmp_path / "none.nii")
    close(rs.read_nifti(tmp_path / "none.nii")[1], ref.affine, rel=0)


@pytest.mark.parametrize("suffix", [".nii", ".nii.gz"])
def test_written_maps_read_back_in_nibabel(tmp_path, suffix):
    rng = np.random.default_rng(1)
    data = rng.normal(size=(5, 4, 3))
    data[0, 1, 2] = np.nan
    path = tmp_path / f"map{suffix}"
    rs.write_nifti(path, data, AFFINE)
    img = nib.load(path)
    assert img.shape == data.shape
    close(img.get_fdata(), data, rel=0)
    # The affine is stored as float32 in the header.
    close(img.affine, AFFINE.astype(np.float32), rel=0)


# --- searchlight -------------------------------------------------------------


def sphere_columns(mask, centre, radius):
    """Mask voxels within `radius` of `centre`, as columns of the C-order data."""
    coords = np.argwhere(mask)
    d = np.sqrt(((coords - np.asarray(centre)) ** 2).sum(1))
    return np.flatnonzero(d <= radius + 1e-9)


def planted_problem(seed=0, shape=(8, 7, 6), k=6, runs=3, region=((1, 4), (1, 4), (1, 4))):
    """Noise everywhere, plus a condition structure (a 2-D latent layout of the
    conditions) in one box of voxels."""
    rng = np.random.default_rng(seed)
    mask = np.ones(shape, dtype=bool)
    mask[-1, -1, :] = False
    latent = rng.normal(size=(k, 2))
    n = k * runs
    volumes = rng.normal(size=(*shape, n))
    (x0, x1), (y0, y1), (z0, z1) = region
    box = volumes[x0:x1, y0:y1, z0:z1]
    weights = rng.normal(size=(*box.shape[:3], 2))
    signal = np.einsum("xyzl,kl->xyzk", weights, latent) * 2.0
    conditions = np.tile(np.arange(k), runs)
    runs_of = np.repeat(np.arange(runs), k)
    box += signal[..., conditions]
    model = np.array([np.sum((latent[i] - latent[j]) ** 2) for i in range(k) for j in range(i + 1, k)])
    return volumes, mask, conditions, runs_of, model


def test_searchlight_map_peaks_in_the_planted_region():
    volumes, mask, conditions, runs, model = planted_problem()
    m = rs.searchlight(volumes, mask, conditions, radius=1.5, method="crossnobis", folds=runs,
                       models=model, compare="corr")
    assert m.shape == mask.shape
    assert np.isnan(m[~mask]).all() and np.isfinite(m[mask]).all()
    peak = np.unravel_index(np.nanargmax(m), m.shape)
    assert all(1 <= p <= 3 for p in peak), peak
    # Spheres centred at x >= 5 reach no voxel of the region (x in 1..3).
    inside, far = m[1:4, 1:4, 1:4].mean(), np.nanmean(m[5:])
    assert inside > far + 0.3, (inside, far)


@pytest.mark.parametrize("method", ["crossnobis", "correlation", "euclidean"])
def test_sphere_rdms_equal_rsatoolbox_calc_rdm(method):
    volumes, mask, conditions, runs, _ = planted_problem(seed=2)
    out = rs.searchlight(volumes, mask, conditions, radius=2, method=method, folds=runs)
    data = volumes[mask].T
    coords = np.argwhere(mask)
    assert len(out.centres) == mask.sum()
    rng = np.random.default_rng(3)
    for row in rng.choice(len(out.centres), size=12, replace=False):
        cols = sphere_columns(mask, out.centres[row], 2)
        assert (coords[cols[0]] <= coords[cols[-1]]).any()
        ds = Dataset(data[:, cols], obs_descriptors={"conds": conditions, "runs": runs})
        kw = {"cv_descriptor": "runs"} if method == "crossnobis" else {}
        ref = calc_rdm(ds, method=method, descriptor="conds", **kw).dissimilarities[0]
        close(out.rdms[row], ref)


def test_searchlight_equals_rsatoolbox_searchlight_with_its_sphere_rule():
    # rsatoolbox's spheres are d < r and (truncate_at_boundary) cut at the
    # mask; ours are d <= r: its radius 2 + tiny equals our radius 2.
    volumes, mask, conditions, runs, _ = planted_problem(seed=4, shape=(6, 5, 4))
    centres, neighbours = get_volume_searchlight(mask, radius=2.001, threshold=0.0,
                                                 truncate_at_boundary=True)
    ref = get_searchlight_RDMs(volumes.reshape(-1, volumes.shape[-1]).T, centres, neighbours,
                               conditions, method="correlation", verbose=False)
    ours = rs.searchlight(volumes, mask, conditions, radius=2, method="correlation")
    order = np.argsort(ref.rdm_descriptors["voxel_index"])
    assert np.array_equal(ours.voxel_index, np.sort(ref.rdm_descriptors["voxel_index"]))
    close(ours.rdms, ref.dissimilarities[order])


def test_whole_map_equals_a_plain_per_sphere_loop():
    volumes, mask, conditions, runs, model = planted_problem(seed=5, shape=(6, 6, 5))
    other = np.random.default_rng(6).random(model.size)
    models = {"planted": model, "random": other}
    maps = rs.searchlight(volumes, mask, conditions, radius=1.8, method="crossnobis", folds=runs,
                          models=models, compare="spearman", min_voxels=10)
    data = volumes[mask].T
    coords = np.argwhere(mask)
    for name, rdm_model in models.items():
        expected = np.full(mask.shape, np.nan)
        for c, centre in enumerate(coords):
            cols = sphere_columns(mask, centre, 1.8)
            if len(cols) < 10:
                continue
            ds = Dataset(data[:, cols], obs_descriptors={"conds": conditions, "runs": runs})
            d = calc_rdm(ds, method="crossnobis", descriptor="conds",
                         cv_descriptor="runs").dissimilarities[0]
            expected[tuple(centre)] = stats.spearmanr(d, rdm_model)[0]
        assert np.isnan(expected).sum() > np.sum(~mask)  # some spheres too small
        close(maps[name], expected, rel=1e-9, floor=1e-6)


def test_per_sphere_noise_precision_equals_rdm_with_that_sphere_precision():
    volumes, mask, conditions, runs, _ = planted_problem(seed=16, shape=(5, 5, 4))
    residuals = np.random.default_rng(17).normal(size=(*mask.shape, 40))
    out = rs.searchlight(volumes, mask, conditions, radius=1.5, method="crossnobis", folds=runs,
                         noise=residuals, noise_method="shrinkage_diag")
    data, res = volumes[mask].T, residuals[mask].T
    for row in range(0, len(out.centres), 7):
        cols = sphere_columns(mask, out.centres[row], 1.5)
        precision = rs.noise_precision(res[:, cols], "shrinkage_diag")
        ref = rs.rdm(data[:, cols], "crossnobis", noise=precision, conditions=conditions,
                     folds=runs)
        close(out.rdms[row], ref, rel=1e-9, floor=1e-9)


def test_searchlight_from_nifti_files_equals_arrays(tmp_path):
    volumes, mask, conditions, runs, model = planted_problem(seed=7, shape=(5, 5, 4))
    iso = np.diag([2.0, 2.0, 2.0, 1.0])
    iso[:3, 3] = [-4.0, 6.0, 1.0]
    for i in range(volumes.shape[-1]):
        nib.save(nib.Nifti1Image(volumes[..., i], iso), tmp_path / f"beta_{i:02d}.nii.gz")
    nib.save(nib.Nifti1Image(volumes, iso), tmp_path / "series.nii")
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), iso), tmp_path / "mask.nii.gz")
    betas = [tmp_path / f"beta_{i:02d}.nii.gz" for i in range(volumes.shape[-1])]
    ref = rs.searchlight(volumes, mask, conditions, radius=1.5, models=model)
    for v in (betas, tmp_path / "series.nii"):
        got = rs.searchlight(v, tmp_path / "mask.nii.gz", conditions, radius=1.5, models=model)
        close(got, ref, rel=1e-12)
    # A radius in mm through the affine: 2.1 mm on a 2 mm grid is 1 voxel.
    mm = rs.searchlight(betas, tmp_path / "mask.nii.gz", conditions, radius=2.1,
                        radius_unit="mm", models=model)
    vox = rs.searchlight(volumes, mask, conditions, radius=1.0, models=model)
    close(mm, vox, rel=1e-12)


def test_bad_searchlight_inputs_are_specific_errors(tmp_path):
    volumes, mask, conditions, runs, model = planted_problem(seed=8, shape=(5, 4, 3))
    with pytest.raises(rs.InputError, match="mask's shape"):
        rs.searchlight(volumes, mask[:-1], conditions)
    with pytest.raises(rs.InputError, match="condition labels"):
        rs.searchlight(volumes, mask, conditions[:-1])
    with pytest.raises(rs.InputError, match="fold labels"):
        rs.searchlight(volumes, mask, conditions, method="crossnobis", folds=runs[1:])
    bad = volumes.copy()
    bad[2, 1, 0, 4] = np.nan
    with pytest.raises(rs.InputError, match=r"voxel \(2, 1, 0\) is NaN in volume 4"):
        rs.searchlight(bad, mask, conditions)
    with pytest.raises(rs.InputError, match="model RDM 0"):
        rs.searchlight(volumes, mask, conditions, models=model[:-1])
    nib.save(nib.Nifti1Image(volumes, AFFINE), tmp_path / "v.nii")
    shifted = AFFINE.copy()
    shifted[0, 3] += 2.0
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), shifted), tmp_path / "m_shift.nii")
    with pytest.raises(rs.InputError, match="affine differs"):
        rs.searchlight(tmp_path / "v.nii", tmp_path / "m_shift.nii", conditions)
    nib.save(nib.Nifti1Image(mask[:, :, :2].astype(np.uint8), AFFINE), tmp_path / "m_small.nii")
    with pytest.raises(rs.InputError, match="grid"):
        rs.searchlight(tmp_path / "v.nii", tmp_path / "m_small.nii", conditions)
    (tmp_path / "junk.nii").write_bytes(b"\0" * 400)
    with pytest.raises(rs.FormatError, match="header size"):
        rs.read_nifti(tmp_path / "junk.nii")


# --- time-resolved RSA ---------------------------------------------------------


@pytest.mark.parametrize("method", ["euclidean", "correlation", "mahalanobis"])
def test_rdm_movie_equals_rsatoolbox_calc_rdm_movie(method):
    rng = np.random.default_rng(9)
    n, c, t = 8, 5, 12
    data = rng.normal(size=(n, c, t))
    conds = np.arange(n)
    ds = TemporalDataset(data, obs_descriptors={"conds": conds},
                         time_descriptors={"time": np.arange(t)})
    ref = calc_rdm_movie(ds, method=method, descriptor="conds")
    close(rs.rdm_movie(data, method), ref.dissimilarities)
    bins = [np.arange(s, s + 3) for s in range(0, t, 3)]
    ref = calc_rdm_movie(ds, method=method, descriptor="conds", bins=bins)
    close(rs.rdm_movie(data, method, window=3, step=3), ref.dissimilarities)


def test_temporal_generalization_compares_every_pair_of_time_points():
    rng = np.random.default_rng(10)
    movie = rs.rdm_movie(rng.normal(size=(6, 4, 5)), "euclidean")
    tg = rs.temporal_generalization(movie, "corr")
    assert tg.shape == (5, 5)
    close(np.diag(tg), np.ones(5), rel=1e-12)
    close(tg[1, 3], np.corrcoef(movie[1], movie[3])[0, 1], rel=1e-9)


# --- statistics --------------------------------------------------------------


def test_sign_flip_false_positive_rate_is_alpha_on_null_data():
    rng = np.random.default_rng(11)
    n_sets, alpha = 400, 0.05
    family, single = 0, 0
    for s in range(n_sets):
        null = rng.normal(size=(10, 15))
        r = rs.sign_flip_test(null, n_permutations=199, seed=s)
        family += bool((r.p_corrected <= alpha).any())
        single += bool(r.p[0] <= alpha)
    # Family-wise (max statistic) and per-test rates both at alpha.
    for k in (family, single):
        assert stats.binomtest(k, n_sets, alpha).pvalue > 0.001, k


def test_sign_flip_finds_an_effect_and_is_seeded():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(12, 4, 5))
    x[:, 2, 3] += 1.5
    r = rs.sign_flip_test(x, n_permutations=999, seed=3)
    assert r.t.shape == (4, 5)
    assert r.p_corrected[2, 3] < 0.05
    assert (r.p_corrected >= r.p).all()
    again = rs.sign_flip_test(x, n_permutations=999, seed=3)
    assert np.array_equal(r.p_corrected, again.p_corrected)
    close(r.t, stats.ttest_1samp(x, 0).statistic, rel=1e-9)
    with pytest.raises(rs.InputError, match="alternative"):
        rs.sign_flip_test(x, alternative="less")


# --- CLI ---------------------------------------------------------------------


def test_cli_searchlight_writes_one_nifti_map_per_model(tmp_path, run_cli):
    volumes, mask, conditions, runs, model = planted_problem(seed=13, shape=(6, 5, 4))
    nib.save(nib.Nifti1Image(volumes, AFFINE), tmp_path / "betas.nii.gz")
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), AFFINE), tmp_path / "mask.nii.gz")
    (tmp_path / "labels.txt").write_text("\n".join(f"c{c}" for c in conditions) + "\n")
    (tmp_path / "runs.txt").write_text("\n".join(str(r) for r in runs) + "\n")
    other = np.random.default_rng(14).random(model.size)
    np.savez(tmp_path / "models.npz", planted=model, other=other)
    run_cli("searchlight", tmp_path / "betas.nii.gz", "--mask", tmp_path / "mask.nii.gz",
            "--conditions", tmp_path / "labels.txt", "--folds", tmp_path / "runs.txt",
            "--models", tmp_path / "models.npz", "--method", "crossnobis", "--radius", "1.5",
            "-o", tmp_path / "maps", "--quiet", check=0)
    expected = rs.searchlight(volumes, mask, conditions, radius=1.5, method="crossnobis",
                              folds=runs, models={"planted": model, "other": other})
    for name, m in expected.items():
        img = nib.load(tmp_path / "maps" / f"{name}.nii.gz")
        close(img.affine, AFFINE.astype(np.float32), rel=0)
        close(img.get_fdata(), m, rel=0)
    # Without models: the sphere RDMs and their centres.
    run_cli("searchlight", tmp_path / "betas.nii.gz", "--mask", tmp_path / "mask.nii.gz",
            "--conditions", tmp_path / "labels.txt", "--radius", "1.5", "-o", tmp_path / "rdms",
            "--quiet", check=0)
    z = np.load(tmp_path / "rdms" / "sphere_rdms.npz")
    ref = rs.searchlight(volumes, mask, conditions, radius=1.5)
    close(z["rdms"], ref.rdms, rel=0)
    assert np.array_equal(z["centres"], ref.centres)
    # A mask on another grid: exit status 2 and the reason.
    shifted = AFFINE.copy()
    shifted[1, 3] += 1.0
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), shifted), tmp_path / "m2.nii.gz")
    p = run_cli("searchlight", tmp_path / "betas.nii.gz", "--mask", tmp_path / "m2.nii.gz",
                "--conditions", tmp_path / "labels.txt", "-o", tmp_path / "x", check=2)
    assert "affine differs" in p.stderr


def test_cli_rdm_time_writes_the_movie_and_model_time_courses(tmp_path, run_cli):
    rng = np.random.default_rng(15)
    data = rng.normal(size=(7, 4, 10))
    np.save(tmp_path / "meg.npy", data)
    models = rng.random((2, 21))
    np.savez(tmp_path / "models.npz", a=models[0], b=models[1])
    run_cli("rdm", tmp_path / "meg.npy", "--time", "--window", "2", "--step", "2",
            "--method", "euclidean", "-o", tmp_path / "movie.npz", "--models",
            tmp_path / "models.npz", "--table", tmp_path / "course.csv", "--plot",
            tmp_path / "course.svg", check=0)
    movie = rs.rdm_movie(data, "euclidean", window=2, step=2)
    z = np.load(tmp_path / "movie.npz")
    close(np.stack([z[f"t{s:05d}"] for s in range(0, 10, 2)]), movie, rel=0)
    course = rs.compare_rdms(models, movie, "corr")
    rows = [line.split(",") for line in (tmp_path / "course.csv").read_text().splitlines()[1:]]
    assert [r[0] for r in rows] == ["a", "b"]
    got = np.array([[float(v) for v in r[1:]] for r in rows])
    close(got, course, rel=1e-12)
    assert (tmp_path / "course.svg").stat().st_size > 0


def test_cluster_test_false_positive_rate_is_alpha_on_null_time_courses():
    rng = np.random.default_rng(18)
    n_sets, alpha, hits = 300, 0.05, 0
    for s in range(n_sets):
        # Smooth null time courses (neighbouring time points correlate).
        x = rng.normal(size=(10, 40))
        x = (x + np.roll(x, 1, axis=1) + np.roll(x, 2, axis=1))[:, 2:]
        r = rs.cluster_test(x, n_permutations=199, seed=s)
        hits += bool(any(c[3] <= alpha for c in r.clusters))
    assert stats.binomtest(hits, n_sets, alpha).pvalue > 0.001, hits


def test_cluster_test_finds_a_sustained_effect():
    rng = np.random.default_rng(19)
    x = rng.normal(size=(14, 50))
    x[:, 20:30] += 1.2
    r = rs.cluster_test(x, n_permutations=999, seed=1)
    close(r.t, stats.ttest_1samp(x, 0).statistic, rel=1e-9)
    # The default threshold is the t quantile at p = 0.05 (13 degrees of freedom).
    explicit = rs.cluster_test(x, threshold=stats.t.ppf(0.95, 13), n_permutations=999, seed=1)
    assert explicit.clusters == r.clusters
    best = min(r.clusters, key=lambda c: c[3])
    assert best[3] < 0.01 and 17 <= best[0] and best[1] <= 33
    assert np.all(np.isnan(r.p) | (r.p > 0)) and r.p[25] == best[3]


def test_decoding_searchlight_equals_scikit_learn_per_sphere():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict

    rng = np.random.default_rng(31)
    shape, k, runs, reps = (5, 5, 4), 3, 4, 3
    n = k * runs * reps
    labels = np.tile(np.arange(k), runs * reps)
    folds = np.repeat(np.arange(runs), k * reps)
    volumes = rng.normal(size=(*shape, n)).astype(np.float32)
    volumes[:2] += (1.5 * rng.normal(size=(2, *shape[1:], k)).astype(np.float32))[..., labels]
    mask = rng.random(shape) > 0.15
    data = volumes[mask].T.astype(np.float64)
    coords = np.argwhere(mask)
    logistic = rs.decoding_searchlight(volumes, mask, labels, folds, radius=1.5,
                                       classifier="logistic", tol=1e-10, max_iter=5000)
    nearest = rs.decoding_searchlight(volumes, mask, labels, folds, radius=1.5)
    assert np.isnan(logistic[~mask]).all() and np.isfinite(logistic[mask]).all()
    for c in range(0, len(coords), 9):
        cols = sphere_columns(mask, coords[c], 1.5)
        x = data[:, cols]
        model = LogisticRegression(C=1.0, tol=1e-10, max_iter=5000)
        pred = cross_val_predict(model, x, labels, groups=folds, cv=LeaveOneGroupOut())
        assert logistic[tuple(coords[c])] == pytest.approx(np.mean(pred == labels), abs=1e-12)
        # Nearest class mean by correlation, written out.
        hits = 0
        for f in range(runs):
            tr, te = folds != f, folds == f
            means = np.stack([x[tr & (labels == j)].mean(0) for j in range(k)])
            r = np.corrcoef(np.vstack([means, x[te]]))[k:, :k]
            hits += np.sum(np.argmax(r, axis=1) == labels[te])
        assert nearest[tuple(coords[c])] == pytest.approx(hits / n, abs=1e-12)
    assert np.nanmean(logistic[:2]) > np.nanmean(logistic[3:]) + 0.2
    with pytest.raises(rs.errors.InputError, match="two folds"):
        rs.decoding_searchlight(volumes, mask, labels, np.where(labels == 0, 0, folds), radius=1.5)
