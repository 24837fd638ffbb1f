"""SDR probabilities against exact big-integer arithmetic (Python's
integers and fractions) and the published values."""

from fractions import Fraction
from math import comb

import numpy as np
import pytest

import repscope as rs


def exact_false_match(n, a, s, theta):
    hits = sum(comb(s, b) * comb(n - s, a - b) for b in range(theta, min(s, a) + 1))
    return Fraction(hits, comb(n, a))


@pytest.mark.parametrize("n,a,s,theta,published", [
    (10_000, 300, 24, 12, 8.3758e-13),
    (100_000, 2000, 6, 6, 6.3531e-11),
    (100_000, 2000, 12, 6, 5.2939e-8),
    (100_000, 2000, 40, 10, 4.9154e-9),
    (100_000, 2000, 80, 10, 4.6257e-6),
])
def test_false_match_equals_exact_arithmetic_and_the_paper(n, a, s, theta, published):
    ours = rs.sdr_false_match(n, a, s, theta)
    exact = float(exact_false_match(n, a, s, theta))
    assert ours == pytest.approx(exact, rel=1e-11)
    assert f"{ours:.4e}" == f"{published:.4e}"


def test_union_density_and_union_false_match_equal_exact_arithmetic():
    n, w, m = 2000, 40, 20
    density = 1 - Fraction(n - w, n) ** m
    assert rs.sdr_union_density(n, w, m) == pytest.approx(float(density), rel=1e-13)
    assert round(rs.sdr_union_density(n, w, m), 6) == 0.332392
    for theta in [1, 10, 20, 40]:
        exact = sum(comb(w, b) * density**b * (1 - density) ** (w - b) for b in range(theta, w + 1))
        assert rs.sdr_union_false_match(n, w, m, theta) == pytest.approx(float(exact), rel=1e-11)


def test_sizes_larger_than_the_population_are_input_errors():
    with pytest.raises(rs.InputError, match="only 10 cells"):
        rs.sdr_false_match(10, 3, 11, 2)
    with pytest.raises(rs.InputError):
        rs.sdr_union_density(10, 11, 2)


def numpy_codes(x, k):
    """Top-k per row, ties to the lower index, written with numpy."""
    order = np.lexsort((np.broadcast_to(np.arange(x.shape[1]), x.shape), -x), axis=1)
    codes = np.zeros(x.shape, dtype=bool)
    np.put_along_axis(codes, order[:, :k], True, axis=1)
    return codes


def test_sdr_encode_and_overlap_equal_a_numpy_definition():
    rng = np.random.default_rng(0)
    x = np.maximum(rng.normal(size=(50, 40)), 0)  # ReLU: many tied zeros
    y = np.maximum(x + 0.5 * rng.normal(size=x.shape), 0)
    for k in [1, 4, 30]:
        cx, cy = numpy_codes(x, k), numpy_codes(y, k)
        assert np.array_equal(rs.sdr_encode(x, k), cx)
        expected = (cx & cy).sum() / (50 * k)
        assert rs.similarity(x, y, "sdr_overlap", k=k) == pytest.approx(expected, abs=1e-15)
    default = numpy_codes(x, 1) & numpy_codes(y, 1)  # 2 % of 40 units, rounded: 1
    assert rs.similarity(x, y, "sdr_overlap") == pytest.approx(default.sum() / 50, abs=1e-15)
    with pytest.raises(rs.InputError, match="units"):
        rs.similarity(x, y[:, :30], "sdr_overlap")
