"""Similarity measures between two representations of the same stimuli:
:func:`similarity` for one pair and :func:`measures`, the registry of
names with their properties. Mirrors ``repscope::measures``.
"""

from __future__ import annotations

import warnings
from typing import Any

from . import _repscope
from ._arrays import floats
from .data import ArrayLike

__all__ = ["similarity", "measures"]


def similarity(X: ArrayLike, Y: ArrayLike, measure: str = "linear_cka", **params: Any) -> float:
    """Similarity of two representations of the same stimuli (rows).

    Parameters
    ----------
    X, Y : arrays of shape (n_stimuli, n_units_x) and (n_stimuli, n_units_y)
    measure : str
        A name from :func:`measures`, e.g. ``"linear_cka"``, ``"debiased_cka"``.
    **params
        The measure's parameters.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.random.default_rng(1).normal(size=(50, 8))
    >>> Q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(8, 8)))
    >>> abs(rs.similarity(X, X @ Q) - 1.0) < 1e-12
    True
    """
    value, notes = _repscope.similarity(floats(X, "X"), floats(Y, "Y"), measure, params)
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    return value


def measures() -> list[dict[str, Any]]:
    """The measures :func:`similarity` and :func:`pairwise` know.

    Returns
    -------
    list of dict
        One per measure, with ``name``, ``kind`` (``"similarity"`` or
        ``"distance"``), ``needs_same_dim``, ``symmetric``, ``invariances``
        (list of str), ``summary``, ``reference`` and ``range`` (the bounds
        of the values, or None).

    Examples
    --------
    >>> import repscope as rs
    >>> info = {m["name"]: m for m in rs.measures()}
    >>> "linear_cka" in info, "procrustes" in info
    (True, True)
    >>> info["linear_cka"]["kind"], info["linear_cka"]["range"]
    ('similarity', (0.0, 1.0))
    """
    return _repscope.measures()
