"""RSA over time: an RDM per time window (an RDM movie) and the temporal
generalisation matrix between them. Mirrors ``repscope::rsa::movie``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _repscope
from ..errors import InputError

__all__ = ["rdm_movie", "temporal_generalization"]


def rdm_movie(
    data: Any,
    method: str = "correlation",
    window: int = 1,
    *,
    step: int = 1,
    conditions: Any = None,
    folds: Any = None,
    noise: Any = None,
) -> np.ndarray:
    """Time-resolved RDMs of ``data`` (measurements x channels x time).

    A window of ``window`` time points averages the patterns over those
    points before the RDM (rsatoolbox's ``bin_time``); windows start every
    ``step`` points, so ``step=window`` gives rsatoolbox's binned
    ``calc_rdm_movie``. Returns (windows x pairs).
    """
    a = np.asarray(data, dtype=np.float64)
    if a.ndim != 3:
        raise InputError(
            f"data must be 3-D (measurements x channels x time), got shape {a.shape}"
        )
    lab = None if conditions is None else [str(c) for c in np.asarray(conditions).ravel().tolist()]
    fl = None if folds is None else [str(f) for f in np.asarray(folds).ravel().tolist()]
    prec = None if noise is None else np.asarray(noise, dtype=np.float64)
    return _repscope.rdm_movie_core(
        np.ascontiguousarray(a).ravel(), list(a.shape), method, int(window), int(step), lab, fl, prec
    )


def temporal_generalization(movie: Any, compare: str = "corr") -> np.ndarray:
    """The RDM at every time point against the RDM at every other: a
    (times x times) matrix from an RDM movie (:func:`rdm_movie`)."""
    m = np.ascontiguousarray(np.asarray(movie, dtype=np.float64))
    return _repscope.compare_rdms(m, m, compare, None)
