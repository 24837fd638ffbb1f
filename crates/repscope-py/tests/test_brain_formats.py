"""MATLAB, GIfTI and CIFTI-2 files read as the reference readers read them
(scipy.io.loadmat, mat73, nibabel), and MNE epochs as arrays."""

from __future__ import annotations

import h5py
import nibabel as nib
import numpy as np
import pytest
import scipy.io
from scipy.spatial.distance import squareform

import repscope as rs

RNG = np.random.default_rng(3)


# ---------------------------------------------------------------- MATLAB


@pytest.mark.parametrize("compress", [False, True])
def test_mat_v5_equals_scipy(tmp_path, compress):
    path = tmp_path / "betas.mat"
    variables = {
        "V1": RNG.standard_normal((6, 10)),
        "IT": RNG.standard_normal((6, 4)).astype(np.float32),
        "counts": RNG.integers(0, 9, size=(6, 3)).astype(np.int16),
        "volume": RNG.standard_normal((6, 2, 3)),
        "conditions": np.array(["face", "house", "car", "dog", "cat", "cup"], dtype=object),
        "roi": {"betas": RNG.standard_normal((6, 5)), "label": "hMT"},
    }
    scipy.io.savemat(path, variables, do_compression=compress)
    ref = scipy.io.loadmat(path, squeeze_me=False)
    reps = rs.load(path)
    assert list(reps) == ["V1", "IT", "counts", "volume", "roi.betas"]
    for name in ["V1", "IT", "counts", "volume"]:
        a = ref[name].astype(np.float64)
        np.testing.assert_array_equal(reps[name], a.reshape(a.shape[0], -1, order="F"))
    np.testing.assert_array_equal(reps["roi.betas"], ref["roi"]["betas"][0, 0])
    assert reps.stimuli == ["face", "house", "car", "dog", "cat", "cup"]
    one = rs.load(f"{path}:IT")
    assert list(one) == ["IT"]


def test_mat_cells_and_struct_arrays(tmp_path):
    path = tmp_path / "cells.mat"
    cell = np.empty((1, 2), dtype=object)
    cell[0, 0] = RNG.standard_normal((4, 3))
    cell[0, 1] = RNG.standard_normal((4, 2))
    scipy.io.savemat(path, {"layers": cell})
    reps = rs.load(path)
    assert list(reps) == ["layers{1}", "layers{2}"]
    np.testing.assert_array_equal(reps["layers{2}"], cell[0, 1])


def test_mat_v73_equals_mat73(tmp_path):
    import mat73

    path = tmp_path / "v73.mat"
    x = RNG.standard_normal((5, 7))
    y = RNG.integers(-3, 3, size=(5, 2)).astype(np.int32)
    # What MATLAB's save -v7.3 writes: a 512-byte user block, each array
    # transposed, a MATLAB_class attribute.
    with h5py.File(path, "w", userblock_size=512) as f:
        f["X"] = x.T
        f["X"].attrs["MATLAB_class"] = np.bytes_("double")
        f["Y"] = y.T
        f["Y"].attrs["MATLAB_class"] = np.bytes_("int32")
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: test HDF5 schema 1.00 .")
    ref = mat73.loadmat(str(path))
    reps = rs.load(path)
    np.testing.assert_array_equal(reps["X"], ref["X"])
    np.testing.assert_array_equal(reps["Y"], np.asarray(ref["Y"], dtype=np.float64))


def test_mat_rdm_stacks(tmp_path):
    path = tmp_path / "rdms.mat"
    rdms = [squareform(np.abs(RNG.standard_normal(10))) for _ in range(3)]
    struct = np.zeros((1, 2), dtype=[("RDM", object), ("name", object)])
    struct[0, 0] = (rdms[0], "V1")
    struct[0, 1] = (rdms[1], "IT")
    scipy.io.savemat(path, {"stack": np.stack(rdms, axis=2), "RDMs": struct})
    f = rs.load_rdms(path)
    assert f.names == ["stack[1]", "stack[2]", "stack[3]", "V1", "IT"]
    np.testing.assert_allclose(f.rdms[:3], [squareform(r) for r in rdms])
    np.testing.assert_allclose(f.rdms[3], squareform(rdms[0]))


def test_mat_bad_files(tmp_path, run_cli):
    path = tmp_path / "text.mat"
    scipy.io.savemat(path, {"names": "only text"})
    with pytest.raises(rs.Error) as e:
        rs.load(path)
    assert "no numeric variable" in str(e.value)
    good = tmp_path / "good.mat"
    scipy.io.savemat(good, {"x": RNG.standard_normal((3, 3))})
    data = good.read_bytes()
    cut = tmp_path / "cut.mat"
    cut.write_bytes(data[: len(data) - 20])
    with pytest.raises(rs.FormatError):
        rs.load(cut)
    out = run_cli("info", cut, check=2)
    assert "cut.mat" in out.stderr and "Traceback" not in out.stderr
    sparse = tmp_path / "sparse.mat"
    scipy.io.savemat(sparse, {"s": scipy.sparse.eye(3).tocsc()})
    with pytest.raises(rs.Error) as e:
        rs.load(sparse)
    assert "sparse" in str(e.value)


# ---------------------------------------------------------------- GIfTI


@pytest.mark.parametrize("encoding", ["ASCII", "B64BIN", "B64GZ"])
def test_gifti_maps_and_mesh_equal_nibabel(tmp_path, encoding):
    coords = RNG.standard_normal((30, 3)).astype(np.float32)
    faces = RNG.integers(0, 30, size=(40, 3)).astype(np.int32)
    surf = nib.gifti.GiftiImage(
        darrays=[
            nib.gifti.GiftiDataArray(coords, intent="NIFTI_INTENT_POINTSET", encoding=encoding),
            nib.gifti.GiftiDataArray(faces, intent="NIFTI_INTENT_TRIANGLE", encoding=encoding),
        ]
    )
    surf_path = tmp_path / "lh.surf.gii"
    nib.save(surf, surf_path)
    got_coords, got_faces = rs.read_surface(surf_path)
    ref = nib.load(surf_path)
    np.testing.assert_array_equal(got_coords, ref.darrays[0].data.astype(np.float64))
    np.testing.assert_array_equal(got_faces, ref.darrays[1].data)

    maps = RNG.standard_normal((4, 30)).astype(np.float32)
    func = nib.gifti.GiftiImage(
        darrays=[
            nib.gifti.GiftiDataArray(
                m, intent="NIFTI_INTENT_SHAPE", encoding=encoding, meta={"Name": f"cond{i}"}
            )
            for i, m in enumerate(maps)
        ]
    )
    func_path = tmp_path / "lh.func.gii"
    nib.save(func, func_path)
    reps = rs.load(func_path)
    ref_maps = np.stack([d.data for d in nib.load(func_path).darrays]).astype(np.float64)
    np.testing.assert_array_equal(reps["lh.func"], ref_maps)
    assert reps.stimuli == ["cond0", "cond1", "cond2", "cond3"]


def test_gifti_wrong_byte_count_is_refused(tmp_path, run_cli):
    img = nib.gifti.GiftiImage(
        darrays=[nib.gifti.GiftiDataArray(np.arange(12, dtype=np.float32), encoding="B64BIN")]
    )
    path = tmp_path / "bad.func.gii"
    nib.save(img, path)
    text = path.read_text().replace('Dim0="12"', 'Dim0="13"')
    path.write_text(text)
    with pytest.raises(rs.FormatError) as e:
        rs.load(path)
    assert "bytes decoded" in str(e.value)
    out = run_cli("info", path, check=2)
    assert len(out.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- CIFTI-2


def _brain_models():
    ax_surf = nib.cifti2.BrainModelAxis.from_mask(
        np.array([True, False, True, True, False, True]), name="CortexLeft"
    )
    mask = np.zeros((3, 3, 2), dtype=bool)
    mask[0, 1, 0] = mask[2, 2, 1] = True
    ax_vol = nib.cifti2.BrainModelAxis.from_mask(mask, name="Thalamus_Left", affine=np.eye(4))
    return ax_surf + ax_vol


def test_cifti_dscalar_and_dtseries_equal_nibabel(tmp_path):
    bm = _brain_models()
    scalars = nib.cifti2.ScalarAxis(["face", "house", "tool"])
    data = RNG.standard_normal((3, len(bm))).astype(np.float32)
    path = tmp_path / "betas.dscalar.nii"
    nib.Cifti2Image(data, header=(scalars, bm)).to_filename(path)
    c = rs.read_cifti(path)
    ref = nib.load(path)
    np.testing.assert_array_equal(c.data, ref.get_fdata())
    assert c.map_names == ["face", "house", "tool"]
    axis = ref.header.get_axis(1)
    assert c.structures == [str(n) for n in axis.name]
    expected_vertices = np.where(axis.surface_mask, axis.vertex, -1)
    np.testing.assert_array_equal(c.vertices, expected_vertices)
    expected_voxels = np.where(axis.volume_mask[:, None], axis.voxel, -1)
    np.testing.assert_array_equal(c.voxels, expected_voxels)
    reps = rs.load(path)
    np.testing.assert_array_equal(reps["betas.dscalar"], ref.get_fdata())
    assert reps.stimuli == ["face", "house", "tool"]

    series = nib.cifti2.SeriesAxis(start=0, step=2.0, size=5)
    ts = RNG.standard_normal((5, len(bm))).astype(np.float32)
    path = tmp_path / "run.dtseries.nii"
    nib.Cifti2Image(ts, header=(series, bm)).to_filename(path)
    np.testing.assert_array_equal(rs.load(path)["run.dtseries"], nib.load(path).get_fdata())


def test_cifti_without_brain_models_is_refused(tmp_path, run_cli):
    parcels = nib.cifti2.ParcelsAxis.from_brain_models([("V1", _brain_models())])
    scalars = nib.cifti2.ScalarAxis(["a", "b"])
    path = tmp_path / "parcels.pscalar.nii"
    nib.Cifti2Image(np.ones((2, 1), dtype=np.float32), header=(scalars, parcels)).to_filename(path)
    with pytest.raises(rs.Error) as e:
        rs.read_cifti(path)
    assert "brain models" in str(e.value)
    out = run_cli("info", path, check=2)
    assert "brain models" in out.stderr


# ---------------------------------------------------------------- MNE


def test_mne_epochs_equal_the_array_they_hold(tmp_path):
    mne = pytest.importorskip("mne")
    n_per, n_ch, n_t = 5, 4, 12
    data = RNG.standard_normal((3 * n_per, n_ch, n_t))
    info = mne.create_info([f"EEG{i}" for i in range(n_ch)], sfreq=100.0, ch_types="eeg")
    codes = np.repeat([1, 2, 3], n_per)
    events = np.column_stack([np.arange(len(codes)) * 20, np.zeros_like(codes), codes])
    epochs = mne.EpochsArray(
        data, info, events=events, event_id={"face": 1, "house": 2, "car": 3}, verbose=False
    )
    names = {1: "face", 2: "house", 3: "car"}
    labels = [names[c] for c in codes]
    got = rs.rdm_movie(epochs, "euclidean")
    want = rs.rdm_movie(data, "euclidean", conditions=labels)
    np.testing.assert_array_equal(got, want)
    # Evoked responses: the condition means, one per condition.
    evoked = [epochs[k].average() for k in ("face", "house", "car")]
    means = np.stack([data[codes == c].mean(axis=0) for c in (1, 2, 3)])
    by_means = rs.rdm_movie(means, "euclidean", conditions=["face", "house", "car"])
    np.testing.assert_allclose(rs.rdm_movie(evoked, "euclidean"), by_means, rtol=1e-12)
    # The same through .fif files written by MNE: epochs in double
    # precision exactly, evoked data (float32 on disk) to float32 precision.
    epo = tmp_path / "sub-01-epo.fif"
    epochs.save(epo, fmt="double", verbose=False)
    np.testing.assert_allclose(rs.rdm_movie(str(epo), "euclidean"), want, rtol=1e-12)
    ave = tmp_path / "sub-01-ave.fif"
    mne.write_evokeds(ave, evoked, verbose=False)
    np.testing.assert_allclose(rs.rdm_movie(ave, "euclidean"), by_means, rtol=1e-5)
    bad = tmp_path / "broken-epo.fif"
    bad.write_bytes(b"not a fif file")
    with pytest.raises(rs.FormatError, match="broken-epo.fif"):
        rs.rdm_movie(bad)
