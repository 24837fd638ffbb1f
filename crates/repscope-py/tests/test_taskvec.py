"""Task vectors against a straightforward numpy computation: norms, cosines
(per block and overall) and composed weights, for float32, float16, float64
and bfloat16 tensors of several ranks, plus the errors.

safetensors.numpy cannot write bfloat16 without ml_dtypes, so the bfloat16
checkpoints are written byte by byte (the format is a JSON header and raw
little-endian data), and numpy's rounding to bfloat16 is spelled out with
frexp/rint."""

import json
import struct

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import repscope as rs

# Natural order: enc.2 before enc.10.
BLOCKS = ["conv.weight", "enc.2.bias", "enc.2.weight", "enc.10.weight", "scale"]


def write_raw(path, tensors, metadata=None):
    """tensors: name -> (safetensors dtype, shape, bytes)."""
    header, offset = {}, 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(d for _, _, d in tensors.values()))


def read_raw(path):
    """name -> (dtype, shape, bytes), and the metadata."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    return {k: (v["dtype"], tuple(v["shape"]), data[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in header.items()}, metadata


def bf16_round(x):
    """float64 -> nearest bfloat16 value (8 significant bits, ties to even), as float64."""
    m, e = np.frexp(np.asarray(x, dtype=np.float64))
    return np.ldexp(np.rint(np.ldexp(m, 8)), e - 8)


def bf16_bytes(values):
    bits = (np.asarray(values, dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
    return bits.tobytes()


def bf16_values(data):
    bits = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
    return bits.view(np.float32).astype(np.float64)


@pytest.fixture
def checkpoints(tmp_path):
    """A base and three fine-tunes; the second stores conv.weight as float32
    (a float16 block in the base)."""
    rng = np.random.default_rng(0)
    base = {
        "enc.2.weight": rng.normal(size=(6, 5)).astype(np.float32),
        "enc.2.bias": rng.normal(size=5).astype(np.float32),
        "enc.10.weight": rng.normal(size=(5, 4)).astype(np.float32),
        "conv.weight": rng.normal(size=(4, 3, 2, 2)).astype(np.float16),
        "scale": np.array(1.5, dtype=np.float64),
        "position_ids": np.arange(7, dtype=np.int64)[None, :],
    }
    save_file(base, str(tmp_path / "base.safetensors"), metadata={"format": "pt"})
    paths = []
    for i, task in enumerate(["math", "code", "legal"]):
        tuned = {}
        for name, w in base.items():
            if w.dtype.kind != "f":
                tuned[name] = w
                continue
            step = 0.05 * rng.normal(size=w.shape)
            dtype = np.float32 if (name == "conv.weight" and i == 1) else w.dtype
            tuned[name] = np.asarray(w.astype(np.float64) + step).astype(dtype)
        path = tmp_path / f"{task}.safetensors"
        save_file(tuned, str(path))
        paths.append(path)
    return tmp_path / "base.safetensors", paths


def float_tensors(path):
    return {k: v.astype(np.float64) for k, v in load_file(str(path)).items() if v.dtype.kind == "f"}


def cosine(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(a @ b / (na * nb))


def test_norms_and_cosines_equal_numpy(checkpoints):
    base_path, paths = checkpoints
    r = rs.task_vectors(base_path, paths)
    assert r.tasks == ["math", "code", "legal"]
    assert r.blocks == BLOCKS
    assert r.copied == ["position_ids"]
    assert r.shapes[0] == (4, 3, 2, 2) and r.shapes[-1] == ()
    assert r.dtypes == ["float16", "float32", "float32", "float32", "float64"]
    assert r.numel.tolist() == [48, 5, 30, 20, 1]

    base = float_tensors(base_path)
    taus = [{b: float_tensors(p)[b] - base[b] for b in BLOCKS} for p in paths]
    flat = [np.concatenate([tau[b].ravel() for b in BLOCKS]) for tau in taus]
    base_flat = np.concatenate([base[b].ravel() for b in BLOCKS])
    close = dict(rtol=1e-12, atol=1e-15)
    for i, b in enumerate(BLOCKS):
        np.testing.assert_allclose(r.base_norms[i], np.linalg.norm(base[b]), **close)
        for t, tau in enumerate(taus):
            norm = np.linalg.norm(tau[b])
            np.testing.assert_allclose(r.norms[i, t], norm, **close)
            np.testing.assert_allclose(r.relative_norms[i, t], norm / np.linalg.norm(base[b]), **close)
            for u, other in enumerate(taus):
                expected = cosine(tau[b].ravel(), other[b].ravel())
                np.testing.assert_allclose(r.block_cosines[i, t, u], expected, **close)
    for t in range(3):
        np.testing.assert_allclose(r.task_norms[t], np.linalg.norm(flat[t]), **close)
        np.testing.assert_allclose(r.task_relative_norms[t],
                                   np.linalg.norm(flat[t]) / np.linalg.norm(base_flat), **close)
        for u in range(3):
            np.testing.assert_allclose(r.cosines[t, u], cosine(flat[t], flat[u]), **close)
    np.testing.assert_allclose(r.base_norm, np.linalg.norm(base_flat), **close)
    assert r.block_cosines.shape == (5, 3, 3)

    r.plot(base_path.parent / "cosines.svg")
    assert (base_path.parent / "cosines.svg").read_text().startswith("<svg")
    assert repr(r).startswith("TaskVectorReport(3 tasks ['math', 'code', 'legal'], 5 blocks)")
    named = rs.task_vectors(base_path, paths[:2], names=["a", "b"])
    assert named.tasks == ["a", "b"] and named.cosines.shape == (2, 2)

    pytest.importorskip("pandas")
    df = r.to_pandas()
    assert list(df.columns) == ["block", "task", "numel", "norm", "relative_norm",
                                "cos_math", "cos_code", "cos_legal"]
    assert len(df) == 15 and df["norm"].iloc[4] == r.norms[1, 1]
    assert df["cos_legal"].iloc[4] == r.block_cosines[1, 1, 2]


def test_composition_equals_numpy_rounding_of_the_float64_result(checkpoints, tmp_path):
    base_path, paths = checkpoints
    out = tmp_path / "composed.safetensors"
    default = [0.3, -0.7, 1.25]
    table = {"enc.2.bias": [2.0, 0.0, -1.0], "conv.weight": [0.1, 0.2, 0.3]}
    rs.compose_task_vectors(base_path, paths, table, out, default=default)

    stored = load_file(str(base_path))
    base = float_tensors(base_path)
    tuned = [float_tensors(p) for p in paths]
    composed = load_file(str(out))
    assert sorted(composed) == sorted(stored)
    for name, w in stored.items():
        got = composed[name]
        assert got.dtype == w.dtype and got.shape == w.shape, name
        if w.dtype.kind != "f":
            assert np.array_equal(got, w)
            continue
        lam = table.get(name, default)
        delta = lam[0] * (tuned[0][name] - base[name])
        for t in (1, 2):
            delta = delta + lam[t] * (tuned[t][name] - base[name])
        expected = (base[name] + delta).astype(w.dtype)
        assert np.array_equal(got, expected), name
    _, metadata = read_raw(out)
    assert metadata["format"] == "pt"
    made = json.loads(metadata["repscope.task_arithmetic"])
    assert made["finetuned"] == ["math.safetensors", "code.safetensors", "legal.safetensors"]
    assert made["per_block"]["enc.2.bias"] == [2.0, 0.0, -1.0]

    # One number scales every task; a dict row may be one number too.
    rs.compose_task_vectors(base_path, paths, 0.5, out)
    w = load_file(str(out))["enc.2.weight"]
    mean = 0.5 * (tuned[0]["enc.2.weight"] - base["enc.2.weight"])
    for t in (1, 2):
        mean = mean + 0.5 * (tuned[t]["enc.2.weight"] - base["enc.2.weight"])
    assert np.array_equal(w, np.float32(base["enc.2.weight"] + mean))


def test_float16_rounds_once_from_float64(tmp_path):
    # θ = 1 + 2^-11 + 2^-40: above the float16 tie between 1 and 1 + 2^-10 by
    # less than float32 can hold; rounding through float32 would give 1.
    save_file({"x": np.array([1.0], dtype=np.float16)}, str(tmp_path / "base.safetensors"))
    save_file({"x": np.array([1 + 2.0**-11 + 2.0**-40])}, str(tmp_path / "ft.safetensors"))
    out = tmp_path / "out.safetensors"
    rs.compose_task_vectors(tmp_path / "base.safetensors", tmp_path / "ft.safetensors", 1.0, out)
    got = load_file(str(out))["x"]
    assert got.dtype == np.float16
    assert got[0] == np.float16(1 + 2.0**-11 + 2.0**-40) == np.float16(1 + 2.0**-10)


def test_bfloat16_checkpoints(tmp_path):
    rng = np.random.default_rng(1)
    base = bf16_round(rng.normal(size=(3, 4)))
    tuned = [bf16_round(base + 0.1 * rng.normal(size=base.shape)) for _ in range(2)]
    paths = []
    for name, w in [("base", base), ("a", tuned[0]), ("b", tuned[1])]:
        write_raw(tmp_path / f"{name}.safetensors",
                  {"w": ("BF16", w.shape, bf16_bytes(w)), "b": ("F32", (2,), np.float32([1, 2]).tobytes())})
        paths.append(tmp_path / f"{name}.safetensors")
    r = rs.task_vectors(paths[0], paths[1:])
    assert r.dtypes == ["float32", "bfloat16"]
    taus = [t - base for t in tuned]
    np.testing.assert_allclose(r.norms[1], [np.linalg.norm(t) for t in taus], rtol=1e-12)
    np.testing.assert_array_equal(r.norms[0], [0.0, 0.0])
    np.testing.assert_allclose(r.cosines[0, 1], cosine(taus[0].ravel(), taus[1].ravel()), rtol=1e-12)

    out = tmp_path / "out.safetensors"
    rs.compose_task_vectors(paths[0], paths[1:], [0.37, -0.81], out)
    tensors, _ = read_raw(out)
    dtype, shape, data = tensors["w"]
    assert (dtype, shape) == ("BF16", (3, 4))
    expected = bf16_round(base + (0.37 * taus[0] + -0.81 * taus[1]))
    assert np.array_equal(bf16_values(data).reshape(shape), expected)


def test_errors_name_the_problem(checkpoints, tmp_path):
    base_path, paths = checkpoints
    stored = load_file(str(base_path))
    bad = tmp_path / "bad.safetensors"

    save_file({k: v for k, v in stored.items() if k != "scale"} | {"extra": np.zeros(2)}, str(bad))
    with pytest.raises(rs.InputError, match=r"1 tensor of the base is missing \('scale'\) and "
                                            r"1 tensor is not in the base \('extra'\)"):
        rs.task_vectors(base_path, [paths[0], bad])

    save_file(stored | {"enc.2.weight": stored["enc.2.weight"].T.copy()}, str(bad))
    with pytest.raises(rs.InputError, match=r"tensor 'enc.2.weight' has shape \[5, 6\] in .*bad"
                                            r".safetensors but \[6, 5\] in the base"):
        rs.task_vectors(base_path, bad)

    save_file(stored | {"position_ids": stored["position_ids"] + 1}, str(bad))
    with pytest.raises(rs.InputError, match=r"tensor 'position_ids' \(int64\) differs between"):
        rs.task_vectors(base_path, bad)
    save_file(stored | {"position_ids": stored["position_ids"].astype(np.float32)}, str(bad))
    with pytest.raises(rs.InputError, match="is float32 in .* but int64 in the base"):
        rs.task_vectors(base_path, bad)

    nan = stored["enc.10.weight"].copy()
    nan[3, 1] = np.nan
    save_file(stored | {"enc.10.weight": nan}, str(bad))
    with pytest.raises(rs.InputError, match=r"NaN at index \[3, 1\] of tensor 'enc.10.weight'"):
        rs.task_vectors(base_path, bad)

    out = tmp_path / "out.safetensors"
    with pytest.raises(rs.InputError, match=r"2 coefficients for 3 tasks \(math, code, legal\)"):
        rs.compose_task_vectors(base_path, paths, [1.0, 2.0], out)
    with pytest.raises(rs.InputError, match="names block 'enc.2.weights', which the base does not hold"):
        rs.compose_task_vectors(base_path, paths, {"enc.2.weights": 1.0}, out, default=0.5)
    with pytest.raises(rs.InputError, match=r"no row for 4 of the 5 blocks .* and no default"):
        rs.compose_task_vectors(base_path, paths, {"enc.2.weight": [1, 2, 3]}, out)
    with pytest.raises(rs.InputError, match="the coefficient of task 'code' is NaN; coefficients must be finite"):
        rs.compose_task_vectors(base_path, paths, [1.0, float("nan"), 0.0], out)
    with pytest.raises(rs.InputError, match="does not fit float16"):
        rs.compose_task_vectors(base_path, paths, {"conv.weight": 1e6}, out, default=0.0)
    with pytest.raises(rs.InputError, match="default= gives the coefficients"):
        rs.compose_task_vectors(base_path, paths, 1.0, out, default=0.5)
    with pytest.raises(rs.InputError, match="one per task"):
        rs.compose_task_vectors(base_path, paths, "0.5", out)
    assert not out.exists()

    with pytest.raises(rs.FormatError):
        rs.task_vectors(base_path, tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x10" + b"\x00" * 7 + b"not json")
    with pytest.raises(rs.FormatError, match="junk.safetensors"):
        rs.task_vectors(base_path, tmp_path / "junk.safetensors")
    with pytest.raises(rs.InputError, match="task names"):
        rs.task_vectors(base_path, paths, names=["only one"])
