"""Encoding models: how well features predict measured responses, and how
well they could at best (the noise ceiling). Ridge regression, probes and
concept depth are to follow here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _repscope
from ._arrays import matrix
from .errors import InputError

__all__ = ["Reliability", "split_half_reliability", "noise_normalised"]


@dataclass(frozen=True)
class Reliability:
    """``ceiling``: Spearman-Brown corrected split-half reliability per
    target; ``split_half``: the mean split-half Pearson r before correction."""

    ceiling: np.ndarray
    split_half: np.ndarray


def split_half_reliability(repeats: Any, n_splits: int = 100, seed: int = 0) -> Reliability:
    """Reliability of each target from repeated measurements, as Brain-Score
    computes its ceiling: ``n_splits`` seeded random halves of the repeats
    are averaged, correlated per target (Pearson, over stimuli), the mean r
    is corrected with Spearman-Brown, 2r / (1 + r).

    Parameters
    ----------
    repeats : array (repeats x stimuli x targets) or a list of (stimuli x targets) arrays

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> signal = rng.normal(size=(200, 50))
    >>> reps = [signal + rng.normal(size=signal.shape) for _ in range(4)]
    >>> round(float(rs.split_half_reliability(reps).ceiling.mean()), 1)  # 1 / (1 + 1/4)
    0.8
    """
    items = list(repeats) if not isinstance(repeats, np.ndarray) else [r for r in repeats]
    if isinstance(repeats, np.ndarray) and repeats.ndim != 3:
        raise InputError(f"repeats must be 3-D (repeats x stimuli x targets), not of shape {repeats.shape}")
    mats = [matrix(r, f"repeat {i}") for i, r in enumerate(items)]
    ceiling, half = _repscope.split_half_reliability(mats, int(n_splits), int(seed))
    return Reliability(np.asarray(ceiling), np.asarray(half))


def noise_normalised(scores: Any, ceiling: Any) -> np.ndarray:
    """``scores / ceiling`` per target (NaN where the ceiling is not
    positive)."""
    s, c = np.asarray(scores, dtype=np.float64), np.asarray(ceiling, dtype=np.float64)
    if s.shape != c.shape:
        raise InputError(f"scores {s.shape} and ceiling {c.shape} must have the same shape")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, s / np.where(c > 0, c, 1.0), np.nan)
