"""Arrays cross into the core without being copied: float64 arrays in C or
Fortran order, strided views and transposes are read in place, and every
layout gives the same numbers as a contiguous copy."""

import subprocess
import sys

import numpy as np
import pytest

import repscope as rs

# Each layout in a fresh process: the peak resident memory after the call
# must stay at the peak after the array was made (a copy would add its size).
PROBE = """
import resource, sys
import numpy as np
import repscope as rs
layout = sys.argv[1]
rng = np.random.default_rng(0)
n, d = 12000, 4000
if layout == "C":
    x = rng.random((n, d))
elif layout == "F":
    x = np.asfortranarray(rng.random((d, n)).T)
elif layout == "strided":
    x = rng.random((n, 2 * d))[:, ::2]
else:
    x = rng.random((d, n)).T
size_mb = x.size * 8 / 2**20
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
rs.similarity(x, x, "magnitude")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(size_mb, after - before)
"""


@pytest.mark.parametrize("layout", ["C", "F", "strided", "transposed"])
def test_large_float64_arrays_are_not_copied(layout):
    out = subprocess.run([sys.executable, "-c", PROBE, layout], check=True,
                         capture_output=True, text=True)
    size_mb, grown_mb = map(float, out.stdout.split())
    assert size_mb > 300
    assert grown_mb < 0.05 * size_mb, f"{layout}: peak grew {grown_mb:.0f} MB for a {size_mb:.0f} MB array"


def layouts(x):
    wide = np.zeros((x.shape[0], 2 * x.shape[1]))
    wide[:, ::2] = x
    yield "C", np.ascontiguousarray(x)
    yield "F", np.asfortranarray(x)
    yield "strided", wide[:, ::2]
    yield "transposed", np.ascontiguousarray(x.T).T
    yield "reversed", x[::-1][::-1]
    yield "float32", x.astype(np.float32)


@pytest.mark.parametrize("measure", ["linear_cka", "procrustes", "mutual_knn", "rsa", "cca"])
def test_every_layout_gives_the_contiguous_result(measure):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(60, 7)), rng.normal(size=(60, 5))
    reference = rs.similarity(np.ascontiguousarray(x), y, measure)
    for name, view in layouts(x):
        if name == "float32":
            want = rs.similarity(view.astype(np.float64), y, measure)
        else:
            want = reference
        assert rs.similarity(view, y, measure) == want, name
        assert rs.pairwise({"x": view, "y": y}, measure=measure).values[0, 1] == want, name


def unaligned(x):
    """A copy of x whose float elements start one byte off alignment, as
    numpy allows (Dask's unpickled buffers can be like that)."""
    raw = np.zeros(x.nbytes + 1, dtype=np.uint8)
    out = raw[1:].view(x.dtype).reshape(x.shape)
    out[...] = x
    assert not out.flags.aligned
    return out


def test_unaligned_arrays_are_read_correctly_not_a_crash():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 6)), rng.normal(size=(40, 5))
    for dtype in [np.float64, np.float32]:
        xu = unaligned(x.astype(dtype))
        assert rs.similarity(xu, y) == rs.similarity(x.astype(dtype), y)
        assert np.array_equal(rs.pairwise([xu, y]).values, rs.pairwise([x.astype(dtype), y]).values)
    assert np.array_equal(rs.rdm(unaligned(x)), rs.rdm(x))
    rdms = np.stack([rs.rdm(x), rs.rdm(y)])
    assert np.array_equal(rs.compare_rdms(unaligned(rdms), rdms), rs.compare_rdms(rdms, rdms))
