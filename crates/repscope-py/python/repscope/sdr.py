"""Sparse distributed representations: how likely is a false match?

The combinatorics of Ahmad & Hawkins (2016), *How do neurons operate on
sparse distributed representations?*, computed in log space by the core
(exact to ~1e-13 relative even for n = 100,000 cells).
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _repscope
from ._arrays import floats

__all__ = ["sdr_encode", "sdr_false_match", "sdr_union_density", "sdr_union_false_match"]


def sdr_encode(X: Any, k: Optional[int] = None, *, sparsity: float = 0.02) -> np.ndarray:
    """Binarise a dense representation into a sparse distributed one: each
    row keeps its ``k`` most active units (ties go to the lower index).

    Parameters
    ----------
    X : array (stimuli x units)
    k : int, optional
        Active units per row; by default ``round(sparsity * units)`` (at
        least 1), as the ``sdr_overlap`` measure does.

    Returns
    -------
    ndarray of bool, same shape as X

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rs.sdr_encode(np.array([[0.5, 2.0, 0.0, 2.0, 1.0]]), k=2).astype(int)
    array([[0, 1, 0, 1, 0]])
    """
    x = floats(X, "X")
    return _repscope.sdr_encode(x, None if k is None else int(k), float(sparsity))


def sdr_false_match(n: int, a: int, s: int, theta: int) -> float:
    """Probability that a random SDR matches a dendritic segment by chance.

    Sum over b = theta .. s of C(s, b) C(n - s, a - b) / C(n, a).

    Parameters
    ----------
    n : int
        Cells in the population.
    a : int
        Active cells in the random SDR.
    s : int
        Synapses on the segment (onto distinct cells).
    theta : int
        Matching synapses needed for the segment to fire.

    Examples
    --------
    >>> import repscope as rs
    >>> f"{rs.sdr_false_match(10_000, 300, 24, 12):.4e}"
    '8.3758e-13'
    """
    return _repscope.sdr_false_match(int(n), int(a), int(s), int(theta))


def sdr_union_density(n: int, w: int, m: int) -> float:
    """Expected fraction of bits on in the union of ``m`` random SDRs with
    ``w`` of ``n`` bits on each: 1 - (1 - w/n)^m.

    Examples
    --------
    >>> import repscope as rs
    >>> round(rs.sdr_union_density(2000, 40, 20), 6)
    0.332392
    """
    return _repscope.sdr_union_density(int(n), int(w), int(m))


def sdr_union_false_match(n: int, w: int, m: int, theta: int) -> float:
    """Probability that a new random SDR (``w`` of ``n`` bits on) overlaps
    the union of ``m`` stored SDRs in at least ``theta`` bits: the binomial
    tail with the union density as the chance of each bit (bits treated as
    independent, as in the paper).

    Examples
    --------
    >>> import repscope as rs
    >>> rs.sdr_union_false_match(2000, 40, 20, 20) < rs.sdr_union_false_match(2000, 40, 50, 20)
    True
    """
    return _repscope.sdr_union_false_match(int(n), int(w), int(m), int(theta))
