"""Representations on a graph over their stimuli (Park et al. 2025,
*ICLR: In-Context Learning of Representations*): the Dirichlet energy
``sum_ij A_ij ||x_i - x_j||^2``. Mirrors ``repscope::graph``; the PCA to
draw a representation against its graph is :func:`repscope.linalg.pca`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from ._arrays import matrix
from .errors import InputError

__all__ = ["GraphEnergy", "dirichlet_energy", "read_edges"]


#: The Dirichlet energy of a representation on a graph
#: (:func:`dirichlet_energy`): ``energy`` (sum over ordered pairs of A_ij
#: ||x_i - x_j||^2, each undirected edge twice), ``dispersion`` (sum_i
#: ||x_i - mean||^2) and ``normalised`` (mean squared edge length / mean
#: squared distance of all pairs of distinct stimuli; 1: the graph is
#: invisible, 0: neighbours coincide).
GraphEnergy = _repscope.GraphEnergy


def read_edges(
    path: Union[str, "os.PathLike[str]"], n: int, stimuli: Optional[Sequence[str]] = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read an edge file (``i j [weight]`` per line; endpoints are stimulus
    labels or 0-based indices; tabs, commas or spaces; ``#`` comments; an
    optional header) for ``n`` stimuli: (edges as an (m, 2) int array,
    weights)."""
    rows = _repscope.read_edges(os.fspath(path), int(n), list(stimuli) if stimuli else None)
    edges = np.array([(i, j) for i, j, _ in rows], dtype=np.int64).reshape(-1, 2)
    return edges, np.array([w for _, _, w in rows], dtype=np.float64)


def dirichlet_energy(
    X: Any,
    edges: Any,
    weights: Optional[Any] = None,
    *,
    stimuli: Optional[Sequence[str]] = None,
) -> GraphEnergy:
    """Dirichlet energy of the rows of X on an undirected graph.

    Parameters
    ----------
    X : array (stimuli x units)
    edges : (m, 2) integer array of stimulus indices, or a path to an edge file
    weights : (m,) non-negative weights (default 1)
    stimuli : labels of the rows, to resolve labels in an edge file

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> rs.dirichlet_energy(X, [(0, 1), (1, 2)]).energy
    10.0
    """
    x = matrix(X, "X")
    if isinstance(edges, (str, os.PathLike)):
        if weights is not None:
            raise InputError("weights come from the edge file; do not pass weights= with a path")
        e, w = read_edges(edges, x.shape[0], stimuli)
    else:
        e = np.asarray(edges)
        if e.ndim != 2 or e.shape[1] != 2 or (e.size and e.dtype.kind not in "iu"):
            raise InputError(f"edges must be an (m, 2) integer array, got shape {e.shape}")
        if e.size and e.min() < 0:
            raise InputError("edges hold a negative stimulus index")
        w = np.ones(len(e)) if weights is None else np.asarray(weights, dtype=np.float64)
        if w.shape != (len(e),):
            raise InputError(f"weights must have one value per edge ({len(e)}), got {w.shape}")
    rows = [(int(i), int(j), float(v)) for (i, j), v in zip(e, w)]
    return _repscope.dirichlet_energy_of(x, rows)
