"""HDF5 reading and writing against h5py, and rsatoolbox's HDF5 layout
against rsatoolbox itself (both ways)."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
import rsatoolbox

import repscope as rs

RNG = np.random.default_rng(7)


@pytest.fixture
def h5_file(tmp_path):
    """A file with every storage layout and number type h5py writes."""
    path = tmp_path / "mixed.h5"
    arrays = {
        "contiguous": RNG.standard_normal((40, 6)),
        "grp/chunked_gzip_shuffle": RNG.standard_normal((40, 9)).astype("f4"),
        "grp/deep/f16": RNG.standard_normal((40, 3)).astype("f2"),
        "int16": (RNG.integers(-300, 300, size=(40, 5))).astype("i2"),
        "uint8": (RNG.integers(0, 255, size=(40, 2))).astype("u1"),
        "int64": (RNG.integers(-(10**12), 10**12, size=(40, 2))).astype("i8"),
        "big_endian": RNG.standard_normal((40, 4)).astype(">f8"),
        "big_endian_int": RNG.integers(-5, 5, size=(40, 4)).astype(">i4"),
        "volume": RNG.standard_normal((40, 3, 4, 2)).astype("f4"),
        "lzf": RNG.standard_normal((40, 7)),
    }
    with h5py.File(path, "w") as f:
        for name, a in arrays.items():
            if name == "grp/chunked_gzip_shuffle":
                f.create_dataset(name, data=a, chunks=(7, 4), compression="gzip", shuffle=True)
            elif name == "lzf":
                f.create_dataset(name, data=a, chunks=(8, 7), compression="lzf")
            elif name == "volume":
                f.create_dataset(name, data=a, chunks=(5, 3, 2, 2), compression="gzip")
            else:
                f[name] = a
        f["labels"] = np.array([b"x", b"y"])  # not numeric: skipped
        f["vector"] = np.arange(40.0)  # 1-D: only when named
    return path, arrays


def test_every_layout_and_dtype_equals_h5py(h5_file):
    path, arrays = h5_file
    reps = rs.load(path)
    assert set(reps) == set(arrays)
    for name, a in arrays.items():
        expected = np.asarray(a, dtype=np.float64).reshape(a.shape[0], -1)
        np.testing.assert_array_equal(reps[name], expected, err_msg=name)


def test_a_dataset_by_path(h5_file):
    path, arrays = h5_file
    one = rs.load(f"{path}:/grp/chunked_gzip_shuffle")
    assert list(one) == ["grp/chunked_gzip_shuffle"]
    np.testing.assert_array_equal(
        one["grp/chunked_gzip_shuffle"], arrays["grp/chunked_gzip_shuffle"].astype(np.float64)
    )
    vec = rs.load(f"{path}:vector")
    np.testing.assert_array_equal(vec["vector"], np.arange(40.0)[:, None])


def test_unknown_dataset_lists_the_datasets(h5_file):
    path, _ = h5_file
    with pytest.raises(rs.Error) as e:
        rs.load(f"{path}:/nope")
    assert "nope" in str(e.value) and "grp/chunked_gzip_shuffle" in str(e.value)


def test_round_trip_is_read_by_h5py(tmp_path):
    reps = rs.RepSet(
        {"layer2": RNG.standard_normal((5, 3)), "block/layer10": RNG.standard_normal((5, 2))},
        stimuli=["a", "b", "c", "d", "é"],
    )
    path = tmp_path / "out.h5"
    rs.save(path, reps)
    back = rs.load(path)
    assert list(back) == ["layer2", "block/layer10"]
    assert back.stimuli == reps.stimuli
    with h5py.File(path) as f:
        np.testing.assert_array_equal(f["block/layer10"][()], reps["block/layer10"])
        assert [s.decode() for s in f["_repscope/stimuli"][()]] == reps.stimuli
    rs.save(tmp_path / "f32.h5", reps, float32=True)
    with h5py.File(tmp_path / "f32.h5") as f:
        assert f["layer2"].dtype == np.float32


def test_truncated_and_foreign_files_are_refused(tmp_path, h5_file):
    path, _ = h5_file
    data = path.read_bytes()
    bad = tmp_path / "cut.h5"
    for cut in (0, 10, 200, len(data) // 3, len(data) - 8):
        bad.write_bytes(data[:cut])
        with pytest.raises(rs.FormatError):
            rs.load(bad)
    bad.write_text("text, not HDF5")
    with pytest.raises(rs.FormatError):
        rs.load(bad)


def test_rsatoolbox_dataset_loads_with_descriptors(tmp_path):
    ds = rsatoolbox.data.Dataset(
        RNG.standard_normal((6, 4)),
        descriptors={"subject": "s01", "session": 3},
        obs_descriptors={"conditions": ["c2", "c1", "c10", "c2", "c1", "c10"], "run": [0, 0, 0, 1, 1, 1]},
        channel_descriptors={"voxel": np.arange(4)},
    )
    path = str(tmp_path / "ds.h5")
    ds.save(path)
    got = rs.load_rsatoolbox_dataset(path)
    np.testing.assert_array_equal(got.measurements, ds.measurements)
    assert got.descriptors["subject"] == "s01"
    assert got.descriptors["session"] == 3
    assert list(got.obs_descriptors["conditions"]) == ds.obs_descriptors["conditions"]
    np.testing.assert_array_equal(got.obs_descriptors["run"], [0, 0, 0, 1, 1, 1])
    np.testing.assert_array_equal(got.channel_descriptors["voxel"], np.arange(4))
    reps = rs.load(path)
    assert reps.stimuli == ds.obs_descriptors["conditions"]


def test_rsatoolbox_reads_the_dataset_repscope_writes(tmp_path):
    ds = rsatoolbox.data.Dataset(
        RNG.standard_normal((4, 3)),
        descriptors={"roi": "V1"},
        obs_descriptors={"conditions": ["a", "b", "c", "d"]},
        channel_descriptors={"x": np.array([0.5, 1.5, 2.5])},
    )
    path = str(tmp_path / "ours.h5")
    rs.save_rsatoolbox_dataset(path, ds)
    back = rsatoolbox.data.load_dataset(path)
    np.testing.assert_array_equal(back.measurements, ds.measurements)
    assert back.descriptors["roi"] == "V1"
    assert list(back.obs_descriptors["conditions"]) == ["a", "b", "c", "d"]
    np.testing.assert_array_equal(back.channel_descriptors["x"], [0.5, 1.5, 2.5])


def _rsatoolbox_rdms(n_rdms: int = 3) -> rsatoolbox.rdm.RDMs:
    data = [
        rsatoolbox.data.Dataset(
            RNG.standard_normal((6, 5)), obs_descriptors={"conditions": list("uvwxyz")}
        )
        for _ in range(n_rdms)
    ]
    rdms = rsatoolbox.rdm.calc_rdm(data, method="correlation", descriptor="conditions")
    rdms.rdm_descriptors["name"] = [f"subject{i}" for i in range(n_rdms)]
    rdms.rdm_descriptors["roi"] = ["V1", "V2", "IT"][:n_rdms]
    rdms.pattern_descriptors["animate"] = [1, 1, 0, 0, 1, 0]
    return rdms


def test_rsatoolbox_rdms_load_with_descriptors(tmp_path):
    rdms = _rsatoolbox_rdms()
    path = str(tmp_path / "rdms.h5")
    rdms.save(path)
    got = rs.load_rdms(path)
    np.testing.assert_array_equal(got.rdms, rdms.dissimilarities)
    assert got.names == ["subject0", "subject1", "subject2"]
    assert got.conditions == list("uvwxyz")
    assert got.dissimilarity_measure == "correlation"
    assert list(got.rdm_descriptors["roi"]) == ["V1", "V2", "IT"]
    np.testing.assert_array_equal(got.pattern_descriptors["animate"], [1, 1, 0, 0, 1, 0])


def test_rsatoolbox_loads_the_rdms_repscope_writes(tmp_path):
    rdms = _rsatoolbox_rdms()
    path = str(tmp_path / "ours.h5")
    rs.save_rdms(path, rdms)
    back = rsatoolbox.rdm.load_rdm(path)
    np.testing.assert_array_equal(back.dissimilarities, rdms.dissimilarities)
    assert back.dissimilarity_measure == "correlation"
    assert list(back.rdm_descriptors["name"]) == rdms.rdm_descriptors["name"]
    assert list(back.rdm_descriptors["roi"]) == rdms.rdm_descriptors["roi"]
    assert list(back.pattern_descriptors["conditions"]) == list("uvwxyz")
    # ... and RDMs computed by repscope, written by repscope, read by rsatoolbox.
    x = RNG.standard_normal((5, 8))
    ours = rs.rdm(x, "euclidean")
    rs.save_rdms(path, ours, names=["mine"], conditions=list("abcde"), dissimilarity_measure="euclidean")
    back = rsatoolbox.rdm.load_rdm(path)
    np.testing.assert_allclose(back.dissimilarities[0], ours, rtol=0, atol=0)
    expected = rsatoolbox.rdm.calc_rdm(rsatoolbox.data.Dataset(x), method="euclidean")
    np.testing.assert_allclose(back.dissimilarities, expected.dissimilarities, rtol=1e-12)


def test_rdm_files_without_dissimilarities_are_refused(tmp_path, h5_file):
    path, _ = h5_file
    with pytest.raises(rs.FormatError) as e:
        rs.load_rdms(path)
    assert "dissimilarities" in str(e.value)


def test_cli_reads_an_hdf5_dataset(run_cli, h5_file):
    import json

    path, arrays = h5_file
    out = run_cli("--json", "info", f"{path}:/grp/chunked_gzip_shuffle", check=0)
    [row] = json.loads(out.stdout)["representations"]
    a = arrays["grp/chunked_gzip_shuffle"].astype(np.float64)
    assert row["stimuli"] == 40 and row["units"] == 9
    assert row["mean"] == pytest.approx(a.mean(), rel=1e-12)
    bad = run_cli("info", f"{path}:/missing", check=2)
    assert "missing" in bad.stderr and "contiguous" in bad.stderr
    assert os.path.exists(path)


def test_rows_are_read_by_slices_equal_to_h5py(h5_file):
    path, arrays = h5_file
    for name, a in arrays.items():
        expected = np.asarray(a, dtype=np.float64).reshape(a.shape[0], -1)
        for start, stop in [(0, 40), (3, 11), (13, 14), (39, 40), (20, 20)]:
            got = rs.load_rows(path, name, start, stop)
            np.testing.assert_array_equal(got, expected[start:stop], err_msg=f"{name} {start}:{stop}")
    one = rs.load_rows(f"{path}:/grp/chunked_gzip_shuffle", "grp/chunked_gzip_shuffle", 5, 9)
    np.testing.assert_array_equal(one, arrays["grp/chunked_gzip_shuffle"][5:9].astype(np.float64))
    with pytest.raises(rs.InputError, match="0..40"):
        rs.load_rows(path, "contiguous", 30, 41)
    with pytest.raises(rs.Error, match="contiguous"):
        rs.load_rows(path, "nope", 0, 1)


def test_info_streams_and_equals_numpy(h5_file):
    path, arrays = h5_file
    rows = {r["name"]: r for r in rs.info(path)}
    assert set(rows) == set(arrays)
    for name, a in arrays.items():
        x = np.asarray(a, dtype=np.float64).reshape(a.shape[0], -1)
        r = rows[name]
        assert (r["stimuli"], r["units"]) == x.shape
        assert (r["min"], r["max"], r["non_finite"]) == (x.min(), x.max(), 0)
        assert r["mean"] == pytest.approx(x.mean(), rel=1e-12, abs=1e-12)
