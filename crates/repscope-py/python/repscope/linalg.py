"""Linear algebra with a Python face: principal components. Mirrors
``repscope::linalg``.
"""

from __future__ import annotations

from typing import Any

from . import _repscope
from ._arrays import matrix

__all__ = ["PCA", "pca"]

#: Principal components (:func:`pca`): ``scores`` (stimuli, dims),
#: ``components`` (units, dims; unit length) and
#: ``explained_variance_ratio`` (dims,).
PCA = _repscope.PCA


def pca(X: Any, dims: int = 2) -> PCA:
    """The centred rows of X projected on their first ``dims`` principal
    axes; each component's largest-magnitude loading is positive.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.random.default_rng(0).normal(size=(20, 5))
    >>> rs.pca(X, 2).scores.shape
    (20, 2)
    """
    return _repscope.pca(matrix(X, "X"), int(dims))
