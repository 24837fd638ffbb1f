"""Alignment of two representations of the same items (cross-modal or
cross-model: *Implicit Multimodal Alignment*, *OmniBind*, *From Word
Vectors to Multimodal Embeddings*). Row i of A and row i of B describe the
same item. Mirrors ``repscope::alignment``.
"""

from __future__ import annotations

from typing import Any

from . import _repscope
from ._arrays import matrix

__all__ = ["Alignment", "LinearMap", "align", "fit_map"]


#: ``(a - a_mean) @ weights + b_mean`` maps A's rows into B's space
#: (:func:`fit_map`); ``apply(A)`` maps new rows, in the core.
LinearMap = _repscope.LinearMap

#: How well two representations of the same items align (:func:`align`):
#: ``paired_cosine`` (mean cosine of each item's two vectors; None when the
#: widths differ), ``mutual_knn`` and ``linear_cka`` between the sets; on
#: the held-out items (``test_rows``) after a map fitted on the others
#: (``map``, ``weights``): ``mapped_cosine`` and the retrieval accuracy
#: ``top1``/``top5`` (is the item's own B-vector the closest, by cosine,
#: among held-out B-vectors?).
Alignment = _repscope.Alignment


def fit_map(
    A: Any, B: Any, kind: str = "procrustes", alpha: float = 1.0, *, centre: bool = True
) -> LinearMap:
    """Learn a map from A's space to B's on centred rows (``centre=False``:
    raw rows, the means are then zero): ``procrustes``
    (W = U V^T from the SVD of A^T B; orthogonal, or semi-orthogonal when
    the widths differ) or ``ridge`` (W = (A^T A + alpha I)^-1 A^T B, as
    scikit-learn's ``Ridge(alpha)`` with an intercept).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> A = np.random.default_rng(0).normal(size=(30, 3))
    >>> m = rs.fit_map(A, A[:, ::-1] + 5)
    >>> np.allclose(m.apply(A), A[:, ::-1] + 5)
    True
    """
    return _repscope.fit_map(matrix(A, "A"), matrix(B, "B"), kind, float(alpha), bool(centre))


def align(
    A: Any,
    B: Any,
    *,
    map: str = "procrustes",
    alpha: float = 1.0,
    test_fraction: float = 0.2,
    seed: int = 0,
    k: int = 10,
) -> Alignment:
    """How well two representations of the same items align (see
    :class:`Alignment`); the held-out split is seeded."""
    return _repscope.alignment(
        matrix(A, "A"), matrix(B, "B"), map, float(alpha), float(test_fraction), int(seed), int(k)
    )
