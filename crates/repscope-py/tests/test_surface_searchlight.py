"""Surface searchlight: discs along a mesh agree with great circles on a
sphere within one edge, and every map equals the per-disc computation done
with rs.rdm + rs.compare_rdms (two hemispheres, a medial-wall mask, float32
and float64 data, meshes and maps as GIfTI files written by nibabel)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

import repscope as rs

RNG = np.random.default_rng(5)


def icosphere(radius: float, levels: int) -> tuple[np.ndarray, np.ndarray]:
    t = (1 + 5**0.5) / 2
    v = [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
         [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]]
    f = [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4],
         [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8],
         [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
    v = [list(map(float, p)) for p in v]
    for _ in range(levels):
        mid: dict[tuple[int, int], int] = {}

        def m(a: int, b: int) -> int:
            key = (min(a, b), max(a, b))
            if key not in mid:
                v.append([(v[a][i] + v[b][i]) / 2 for i in range(3)])
                mid[key] = len(v) - 1
            return mid[key]

        nxt = []
        for a, b, c in f:
            ab, bc, ca = m(a, b), m(b, c), m(c, a)
            nxt += [[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]
        f = nxt
    p = np.array(v)
    p *= radius / np.linalg.norm(p, axis=1, keepdims=True)
    return p, np.array(f, dtype=np.int32)


def test_discs_agree_with_great_circles_within_one_edge():
    r, radius = 50.0, 12.0
    coords, faces = icosphere(r, 4)
    discs, longest = rs.surface_discs((coords, faces), radius)
    unit = coords / r
    for centre in range(0, len(coords), 53):
        great = r * np.arccos(np.clip(unit @ unit[centre], -1, 1))
        inside = np.zeros(len(coords), bool)
        inside[discs[centre]] = True
        assert discs[centre][0] == centre
        assert np.all(great[inside] <= radius + 1e-9)
        assert np.all(inside[great <= radius - longest])


@pytest.fixture
def hemispheres(tmp_path):
    """Two spheres (left, right) written as .surf.gii, data on every vertex
    but a 'medial wall' of each, 4 conditions x 3 runs."""
    paths, meshes = [], []
    for name, shift in [("lh", -60.0), ("rh", 60.0)]:
        coords, faces = icosphere(20.0, 2)
        coords = coords + [shift, 0, 0]
        meshes.append((coords, faces))
        img = nib.gifti.GiftiImage(darrays=[
            nib.gifti.GiftiDataArray(coords.astype(np.float32), intent="NIFTI_INTENT_POINTSET"),
            nib.gifti.GiftiDataArray(faces, intent="NIFTI_INTENT_TRIANGLE"),
        ])
        path = tmp_path / f"{name}.surf.gii"
        nib.save(img, path)
        paths.append(path)
    n = sum(len(c) for c, _ in meshes)
    coords = np.vstack([np.asarray(nib.load(p).darrays[0].data, float) for p in paths])
    wall = np.abs(coords[:, 0]) < 45  # the vertices facing the other sphere
    conditions = np.tile(np.arange(4), 3)
    folds = np.repeat(np.arange(3), 4)
    data = RNG.standard_normal((12, n))
    return paths, coords, ~wall, data, conditions, folds


def direct_map(data, discs, keep, conditions, folds, method, model, min_vertices):
    out = np.full(data.shape[1], np.nan)
    for c in np.flatnonzero(keep):
        members = [m for m in discs[c] if keep[m]]
        if len(members) < min_vertices:
            continue
        rdm = rs.rdm(data[:, members], method, conditions=conditions, folds=folds)
        out[c] = rs.compare_rdms(rdm, model, "corr")
    return out


@pytest.mark.parametrize("method", ["crossnobis", "correlation", "euclidean"])
def test_maps_equal_the_direct_computation_per_disc(hemispheres, method):
    paths, coords, keep, data, conditions, folds = hemispheres
    model = RNG.random(6)
    maps = rs.surface_searchlight(data, paths, conditions, radius=8.0, method=method,
                                  folds=folds, models=model, mask=keep, min_vertices=3)
    faces = [np.asarray(nib.load(p).darrays[1].data) for p in paths]
    both = (coords, np.vstack([faces[0], faces[1] + len(coords) // 2]))
    discs, _ = rs.surface_discs(both, 8.0)
    expected = direct_map(data, discs, keep, conditions, folds, method, model, 3)
    assert np.array_equal(np.isnan(maps), np.isnan(expected))
    assert np.all(np.isnan(maps[~keep]))
    np.testing.assert_allclose(maps[keep], expected[keep], rtol=0, atol=1e-12)
    # float32 data gives the maps of its float64 values.
    m32 = rs.surface_searchlight(data.astype(np.float32), paths, conditions, radius=8.0,
                                 method=method, folds=folds, models=model, mask=keep,
                                 min_vertices=3)
    e32 = direct_map(data.astype(np.float32).astype(np.float64), discs, keep, conditions,
                     folds, method, model, 3)
    np.testing.assert_allclose(m32[keep], e32[keep], rtol=0, atol=1e-12)


def test_disc_rdms_gifti_data_and_maps_written_as_gifti(hemispheres, tmp_path):
    paths, coords, keep, data, conditions, folds = hemispheres
    n_left = len(coords) // 2
    left = data[:, :n_left]
    func = tmp_path / "lh.func.gii"
    nib.save(nib.gifti.GiftiImage(darrays=[nib.gifti.GiftiDataArray(row.astype(np.float32))
                                           for row in left]), func)
    out = rs.surface_searchlight(func, paths[0], conditions, radius=6.0, method="euclidean")
    assert isinstance(out, rs.SurfaceRDMs)
    discs, _ = rs.surface_discs(paths[0], 6.0)
    x = left.astype(np.float32).astype(np.float64)
    for row in range(0, len(out.centres), 17):
        c = out.centres[row]
        direct = rs.rdm(x[:, discs[c]], "euclidean", conditions=conditions)
        np.testing.assert_allclose(out.rdms[row], direct, rtol=1e-12)
    maps = rs.surface_searchlight(x, paths[0], conditions, radius=6.0, method="euclidean",
                                  models={"ramp": np.arange(6.0), "flat": RNG.random(6)})
    target = tmp_path / "maps.func.gii"
    rs.write_gifti(target, maps)
    back = nib.load(target)
    assert [d.meta["Name"] for d in back.darrays] == ["ramp", "flat"]
    np.testing.assert_allclose(back.darrays[0].data, maps["ramp"].astype(np.float32))


def test_bad_meshes_and_columns_are_input_errors(hemispheres):
    paths, coords, keep, data, conditions, _ = hemispheres
    with pytest.raises(rs.InputError, match="vertices= "):
        rs.surface_searchlight(data[:, :10], paths, conditions)
    with pytest.raises(rs.InputError, match="names vertex"):
        rs.surface_searchlight(data[:, :3], (coords[:3], np.array([[0, 1, 7]])), conditions)
    with pytest.raises(rs.InputError, match="both vertex 0"):
        rs.surface_searchlight(data[:, :2], paths[0], conditions, vertices=[0, 0])
    with pytest.raises(rs.InputError, match="condition labels"):
        rs.surface_searchlight(data, paths, conditions[:5])


def test_cli_writes_one_gifti_per_hemisphere_equal_to_python(hemispheres, tmp_path, run_cli):
    paths, coords, keep, data, conditions, folds = hemispheres
    n_left = len(coords) // 2
    funcs, masks = [], []
    for h, cols in [("lh", slice(0, n_left)), ("rh", slice(n_left, None))]:
        f = tmp_path / f"{h}.func.gii"
        nib.save(nib.gifti.GiftiImage(darrays=[nib.gifti.GiftiDataArray(r.astype(np.float32))
                                               for r in data[:, cols]]), f)
        m = tmp_path / f"{h}.mask.shape.gii"
        nib.save(nib.gifti.GiftiImage(darrays=[nib.gifti.GiftiDataArray(
            keep[cols].astype(np.float32))]), m)
        funcs.append(f)
        masks.append(m)
    (tmp_path / "conditions.txt").write_text("\n".join(map(str, conditions)) + "\n")
    (tmp_path / "runs.txt").write_text("\n".join(map(str, folds)) + "\n")
    models = {"ramp": np.arange(6.0), "noise": RNG.random(6)}
    np.savez(tmp_path / "models.npz", **models)
    out = tmp_path / "maps"
    run_cli("searchlight", *funcs, "--surface", paths[0], "--surface", paths[1],
            "--mask", masks[0], "--mask", masks[1], "--conditions", tmp_path / "conditions.txt",
            "--folds", tmp_path / "runs.txt", "--method", "crossnobis", "-r", "8",
            "--min-voxels", "3", "--models", tmp_path / "models.npz", "-o", out,
            "--report", tmp_path / "report.html", check=0)
    want = rs.surface_searchlight(data.astype(np.float32), paths, conditions, radius=8.0,
                                  method="crossnobis", folds=folds, models=models, mask=keep,
                                  min_vertices=3)
    from test_command_reports import numbers, page_tables

    tables = page_tables(tmp_path / "report.html")
    for h, cols in [("lh", slice(0, n_left)), ("rh", slice(n_left, None))]:
        img = nib.load(out / f"{h}.searchlight.func.gii")
        assert [d.meta["Name"] for d in img.darrays] == list(models)
        for d, name in zip(img.darrays, models):
            np.testing.assert_allclose(d.data, want[name][cols].astype(np.float32), rtol=1e-6)
            # The report: both side views of each hemisphere, and its peaks.
            header, rows = tables[f"{h}_{name}_peaks.csv"]
            assert header == ["rank", "vertex", "x", "y", "z", "corr"]
            mine = want[name][cols]
            order = np.argsort(-np.where(np.isfinite(mine), mine, -np.inf), kind="stable")[:10]
            assert [int(r[1]) for r in rows] == list(order)
            np.testing.assert_allclose(numbers(rows, 5)[:, 0], mine[order], rtol=1e-12)
    bad = run_cli("searchlight", funcs[0], "--surface", paths[0], "--surface", paths[1],
                  "--conditions", tmp_path / "conditions.txt", "-o", tmp_path / "no", check=2)
    assert "one data file" in bad.stderr
    assert not (tmp_path / "no").exists()


def test_surface_centres_fill_only_their_columns(hemispheres):
    paths, coords, keep, data, conditions, folds = hemispheres
    model = RNG.random(6)
    full = rs.surface_searchlight(data, paths, conditions, radius=8.0, models=model, mask=keep)
    some = np.flatnonzero(keep)[::5]
    part = rs.surface_searchlight(data, paths, conditions, radius=8.0, models=model, mask=keep,
                                  centres=some)
    np.testing.assert_array_equal(part[some], full[some])
    others = np.setdiff1d(np.arange(data.shape[1]), some)
    assert np.all(np.isnan(part[others]))
    with pytest.raises(rs.InputError, match="masked column"):
        rs.surface_searchlight(data, paths, conditions, models=model, mask=keep,
                               centres=[int(np.flatnonzero(~keep)[0])])


def test_volume_stride_and_centres_equal_the_full_maps_there():
    shape = (7, 6, 5)
    mask = np.ones(shape, dtype=bool)
    mask[0, 0, :] = False
    conditions = np.tile(np.arange(4), 3)
    folds = np.repeat(np.arange(3), 4)
    vols = RNG.standard_normal((*shape, 12))
    model = RNG.random(6)
    full = rs.searchlight(vols, mask, conditions, 1.5, "crossnobis", folds, model)
    strided = rs.searchlight(vols, mask, conditions, 1.5, "crossnobis", folds, model, stride=2)
    grid = np.indices(shape).transpose(1, 2, 3, 0)
    on = mask & np.all(grid % 2 == 0, axis=-1)
    np.testing.assert_array_equal(strided[on], full[on])
    assert np.all(np.isnan(strided[~on]))
    picks = np.array([[3, 3, 3], [6, 5, 4], [2, 0, 1]])
    chosen = rs.searchlight(vols, mask, conditions, 1.5, "crossnobis", folds, model, centres=picks)
    np.testing.assert_array_equal(chosen[tuple(picks.T)], full[tuple(picks.T)])
    assert np.isnan(chosen).sum() == chosen.size - 3
    with pytest.raises(rs.InputError, match="outside the mask"):
        rs.searchlight(vols, mask, conditions, 1.5, "crossnobis", folds, model, centres=[[0, 0, 2]])
    with pytest.raises(rs.InputError, match="stride"):
        rs.searchlight(vols, mask, conditions, 1.5, stride=0)


def test_cli_stride_matches_python(tmp_path, run_cli):
    shape = (6, 6, 4)
    vols = RNG.standard_normal((*shape, 8))
    conditions = np.tile(np.arange(4), 2)
    nib.save(nib.Nifti1Image(vols, np.eye(4)), tmp_path / "betas.nii.gz")
    nib.save(nib.Nifti1Image(np.ones(shape, dtype=np.uint8), np.eye(4)), tmp_path / "mask.nii.gz")
    (tmp_path / "c.txt").write_text("\n".join(map(str, conditions)) + "\n")
    model = RNG.random(6)
    np.savez(tmp_path / "m.npz", model=model)
    run_cli("searchlight", tmp_path / "betas.nii.gz", "--mask", tmp_path / "mask.nii.gz",
            "--conditions", tmp_path / "c.txt", "--models", tmp_path / "m.npz", "-r", "1.5",
            "--stride", "3", "-o", tmp_path / "out", check=0)
    got = nib.load(tmp_path / "out" / "model.nii.gz").get_fdata()
    want = rs.searchlight(vols, np.ones(shape), conditions, 1.5, models=model, stride=3)
    np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)
    assert np.isfinite(got).sum() == 2 * 2 * 2
    run_cli("searchlight", tmp_path / "betas.nii.gz", "--mask", tmp_path / "mask.nii.gz",
            "--conditions", tmp_path / "c.txt", "--stride", "0", "-o", tmp_path / "x", check=2)
