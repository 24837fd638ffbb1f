"""rs.pairwise from files: a path is loaded, stream=True reads one
representation at a time, and both equal the in-memory matrix."""

import numpy as np
import pytest

import repscope as rs


@pytest.fixture
def stored(tmp_path):
    rng = np.random.default_rng(0)
    reps = {f"l{i}": rng.normal(size=(80, 6 + i)) for i in range(5)}
    rs.save(tmp_path / "reps.safetensors", reps)
    rs.save(tmp_path / "reps.h5", reps)
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, x in reps.items():
        rs.save(folder / f"{name}.npy", {name: x})
    return reps, tmp_path / "reps.safetensors", folder


@pytest.mark.parametrize("measure", ["linear_cka", "procrustes", "linear_regression"])
def test_paths_and_streaming_equal_memory(stored, measure):
    reps, st, folder = stored
    local = rs.pairwise(reps, measure=measure, progress=False)
    assert np.array_equal(rs.pairwise(st, measure=measure).values, local.values)
    for source in [st, folder, st.with_suffix(".h5")]:
        streamed = rs.pairwise(source, measure=measure, stream=True, progress=False)
        assert streamed.names_a == streamed.names_b == list(reps)
        assert np.allclose(streamed.values, local.values, rtol=1e-12, atol=1e-14)
    # Two files hold equal copies, which memory shares: on the diagonal an
    # angular distance is then arccos(1 - 1e-16) ~ 1e-8 instead of exactly 0.
    cross = rs.pairwise(st, folder, measure=measure, stream=True)
    assert np.allclose(cross.values, rs.pairwise(reps, reps, measure=measure).values,
                       rtol=1e-12, atol=1e-7)


def test_streaming_refuses_arrays_and_resampling(stored):
    reps, st, _ = stored
    with pytest.raises(rs.InputError, match="folder, a .safetensors or an HDF5 path"):
        rs.pairwise(reps, stream=True)
    with pytest.raises(rs.InputError, match="in memory"):
        rs.pairwise(st, stream=True, n_boot=10)
