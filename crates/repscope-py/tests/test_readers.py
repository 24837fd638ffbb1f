"""Readers and writers against files written by numpy and by safetensors."""

import numpy as np
import pytest
import safetensors
from safetensors.numpy import load_file, save_file

import repscope as rs

RNG = np.random.default_rng(12345)
BASE = RNG.normal(size=(7, 5)) * 20


@pytest.mark.parametrize(
    "dtype",
    ["<f8", ">f8", "<f4", "<f2", ">f2", "i1", "<i2", "<i4", "<i8", "u1", "<u2", "<u4", "<u8", "?"],
)
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_every_dtype_and_layout(tmp_path, dtype, order):
    x = np.abs(BASE) if dtype[-2:-1] == "u" or dtype.startswith("u") else BASE
    a = np.asarray(x, dtype=np.dtype(dtype), order=order)
    if dtype == "?":
        a = BASE > 0
    path = tmp_path / "layer.npy"
    np.save(path, a)
    got = rs.load(path)
    assert list(got) == ["layer"]
    np.testing.assert_array_equal(got["layer"], a.astype(np.float64))
    assert got["layer"].dtype == np.float64


@pytest.mark.parametrize("compressed", [False, True])
def test_npz_plain_and_compressed_keeps_order(tmp_path, compressed):
    arrays = {"z": BASE, "a": BASE[:, :2].astype(np.float32), "m": BASE[:, :1].astype(np.int16)}
    path = tmp_path / "reps.npz"
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    got = rs.load(path)
    assert list(got) == ["z", "a", "m"]
    for k, v in arrays.items():
        np.testing.assert_array_equal(got[k], v.astype(np.float64))


def test_npz_stimulus_labels(tmp_path):
    path = tmp_path / "reps.npz"
    labels = np.array([f"stim {i} é" for i in range(7)])
    np.savez(path, layer=BASE, stimuli=labels)
    got = rs.load(path)
    assert got.stimuli == list(labels)


def test_safetensors_float_dtypes_from_the_reference_package(tmp_path):
    path = tmp_path / "reps.safetensors"
    f16 = BASE.astype(np.float16)
    save_file({"l2": BASE.astype(np.float32), "l10": f16, "l1": BASE}, str(path))
    got = rs.load(path)
    assert list(got) == ["l1", "l2", "l10"]  # natural order
    np.testing.assert_array_equal(got["l10"], f16.astype(np.float64))
    np.testing.assert_array_equal(got["l2"], BASE.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(got["l1"], BASE)


def test_safetensors_bfloat16_is_exact(tmp_path):
    # bfloat16 = the upper 16 bits of a float32; numpy has no bf16 dtype, so
    # the file is built through safetensors' dtype-agnostic serializer.
    bits32 = BASE.astype(np.float32).view(np.uint32)
    bits16 = (bits32 >> 16).astype("<u2")
    expected = (bits16.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    path = tmp_path / "bf16.safetensors"
    bits16 = np.ascontiguousarray(bits16)
    spec = safetensors.TensorSpec(
        dtype="bfloat16", shape=BASE.shape, data_ptr=bits16.ctypes.data, data_len=bits16.nbytes
    )
    safetensors.serialize_file({"h": spec}, str(path))
    got = rs.load(path)
    np.testing.assert_array_equal(got["h"], expected)


def test_folder_in_natural_order(tmp_path):
    for i in [10, 2, 1]:
        np.save(tmp_path / f"layer{i}.npy", BASE * i)
    got = rs.load(tmp_path)
    assert list(got) == ["layer1", "layer2", "layer10"]
    np.testing.assert_array_equal(got["layer10"], BASE * 10)


def test_our_files_read_back_in_numpy_and_safetensors(tmp_path):
    reps = rs.RepSet({"b": BASE, "a": BASE[:, :3]}, stimuli=[f"s{i}" for i in range(7)])
    rs.save(tmp_path / "out.npz", reps)
    with np.load(tmp_path / "out.npz") as d:
        assert list(d.keys()) == ["b", "a", "stimuli"]
        np.testing.assert_array_equal(d["b"], BASE)
        assert list(d["stimuli"]) == reps.stimuli
    rs.save(tmp_path / "out.safetensors", reps)
    st = load_file(str(tmp_path / "out.safetensors"))
    np.testing.assert_array_equal(st["a"], BASE[:, :3])
    back = rs.load(tmp_path / "out.safetensors")
    assert list(back) == ["b", "a"] and back.stimuli == reps.stimuli
    rs.save(tmp_path / "one.npy", {"x": BASE})
    np.testing.assert_array_equal(np.load(tmp_path / "one.npy"), BASE)


def test_bad_files_raise_format_errors(tmp_path):
    path = tmp_path / "cut.npy"
    np.save(path, BASE)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(rs.FormatError, match="truncated"):
        rs.load(path)
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(rs.FormatError, match="npz"):
        rs.load(bad)
    with pytest.raises(OSError):
        rs.load(tmp_path / "missing.safetensors")
    np.save(tmp_path / "c.npy", BASE.astype(np.complex128))
    with pytest.raises(rs.InputError, match="element type"):
        rs.load(tmp_path / "c.npy")


def test_npy_read_block_by_block_equals_numpy_for_every_dtype_order_and_shape(tmp_path):
    rng = np.random.default_rng(11)
    path = tmp_path / "x.npy"
    for dtype in ["<f8", ">f8", "<f4", ">f4", "<f2", "<i4", ">i2", "u1", "<i8", "<u4", "bool"]:
        for shape in [(1234, 7), (300_000, 1), (1, 150_000), (3, 3)]:
            for fortran in (False, True):
                a = (rng.normal(size=shape) * 100).astype(dtype)
                a = np.asfortranarray(a) if fortran else np.ascontiguousarray(a)
                np.save(path, a)
                np.testing.assert_array_equal(rs.load(path)["x"], a.astype(np.float64),
                                              err_msg=f"{dtype} {shape} fortran={fortran}")
    # A boolean byte other than 0 or 1 is refused, as numpy's own reader does.
    np.save(path, np.array([[True, False], [True, True]]))
    raw = bytearray(path.read_bytes())
    raw[-1] = 2
    path.write_bytes(bytes(raw))
    with pytest.raises(rs.errors.FormatError):
        rs.load(path)
