"""Noise ceilings of repeated measurements: exact against numpy where the
split is unique (two repeats), and recovering a known reliability on
simulated data within its sampling error."""

import numpy as np
import pytest
import repscope as rs

RNG = np.random.default_rng(21)


def test_two_repeats_equal_numpy():
    a, b = RNG.normal(size=(40, 7)), RNG.normal(size=(40, 7))
    b[:, :3] += 2 * a[:, :3]
    rel = rs.split_half_reliability(np.stack([a, b]), n_splits=3)
    r = np.array([np.corrcoef(a[:, j], b[:, j])[0, 1] for j in range(7)])
    np.testing.assert_allclose(rel.split_half, r, atol=1e-12)
    np.testing.assert_allclose(rel.ceiling, 2 * r / (1 + r), atol=1e-12)
    np.testing.assert_allclose(rs.noise_normalised(0.5 * rel.ceiling, rel.ceiling)[rel.ceiling > 0], 0.5)


@pytest.mark.parametrize("sigma,repeats", [(1.0, 4), (2.0, 8)])
def test_known_reliability_is_recovered(sigma, repeats):
    """Signal (variance 1) + noise (variance sigma^2) per repeat: the ceiling
    estimates 1 / (1 + sigma^2 / R); the mean over targets must lie within
    four standard errors (targets are independent)."""
    signal = RNG.normal(size=(120, 300))
    reps = [signal + sigma * RNG.normal(size=signal.shape) for _ in range(repeats)]
    ceiling = rs.split_half_reliability(reps, n_splits=10, seed=1).ceiling
    truth = 1 / (1 + sigma**2 / repeats)
    se = ceiling.std(ddof=1) / np.sqrt(len(ceiling))
    assert abs(ceiling.mean() - truth) < 4 * se, (ceiling.mean(), truth, se)


def test_bad_repeats():
    with pytest.raises(rs.InputError, match="at least 2 repeats"):
        rs.split_half_reliability([RNG.normal(size=(10, 2))])
    with pytest.raises(rs.InputError, match="repeat 1 is 9"):
        rs.split_half_reliability([RNG.normal(size=(10, 2)), RNG.normal(size=(9, 2))])
    nan = RNG.normal(size=(10, 2))
    nan[0, 0] = np.nan
    with pytest.raises(rs.InputError, match="NaN"):
        rs.split_half_reliability([nan, nan])
