"""Smaller embeddings that stay right: exact search, 8-bit quantisation,
Matryoshka prefixes and the adaptive funnel, retrieval metrics, and
backward compatibility between an old and a new embedding model.

Embeddings keep their precision: float32 arrays are searched and quantised
in float32 (quantised codes are the bytes sentence-transformers'
``quantize_embeddings`` formulas give with numpy), float64 in float64.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from ._arrays import floats
from .alignment import LinearMap, fit_map
from .codes import quantize_binary
from .errors import InputError

__all__ = [
    "quantize",
    "search",
    "adaptive_retrieval",
    "retrieval_metrics",
    "retrieval_eval",
    "RetrievalTable",
    "relevant_from_labels",
    "compatibility",
    "fit_compat_map",
]

MRL_DIMS = (16, 32, 64, 128, None)
MRL_SHORTLISTS = (200, 100, 50, 25, 10)


def _embeddings(x: Any, name: str) -> np.ndarray:
    """A C-contiguous 2-D float array; one 1-D embedding becomes one row."""
    a = floats(x, name)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.ndim != 2:
        raise InputError(f"'{name}' must be 2-D (items x dimensions), not of shape {a.shape}")
    return np.ascontiguousarray(a)


def _pair(a: Any, b: Any, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    x, y = _embeddings(a, names[0]), _embeddings(b, names[1])
    if x.dtype != y.dtype:
        x, y = x.astype(np.float64), y.astype(np.float64)
    return x, y


def quantize(
    E: Any, precision: str = "int8", ranges: Optional[Any] = None
) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """Quantise embeddings: ``(codes, ranges)``.

    ``int8``/``uint8``: per dimension, step = (max - min) / 255 over the
    calibration ``ranges`` (a 2 x dims array of minima and maxima; by default
    the rows' own), code = floor((x - min) / step), clipped to 0..255, minus
    128 for int8 — sentence-transformers' definitions, computed in the
    input's precision. A single embedding needs ``ranges`` (its own range is
    empty). ``binary``/``ubinary``: sign bits packed 8 per byte
    (``np.packbits(E > 0)``; binary subtracts 128 as int8); ranges is None.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> codes, ranges = rs.quantize(np.array([[0.0, 2.0], [1.0, 0.0], [0.5, 1.0]]), "uint8")
    >>> codes.tolist(), ranges.tolist()
    ([[0, 255], [255, 0], [127, 127]], [[0.0, 0.0], [1.0, 2.0]])
    """
    x = _embeddings(E, "E")
    if precision in ("binary", "ubinary"):
        return quantize_binary(x, precision), None
    lo = hi = None
    if ranges is not None:
        r = np.asarray(ranges, dtype=np.float64)
        if r.shape != (2, x.shape[1]):
            raise InputError(f"ranges must have shape (2, {x.shape[1]}), got {r.shape}")
        lo, hi = r[0].tolist(), r[1].tolist()
    raw, lo_used, hi_used = _repscope.quantize8_codes(x, precision, lo, hi)
    dtype = np.int8 if precision == "int8" else np.uint8
    codes = np.frombuffer(bytes(raw), dtype=dtype).reshape(x.shape)
    return codes, np.array([lo_used, hi_used], dtype=x.dtype)


def search(
    queries: Any, corpus: Any, k: int = 10, metric: str = "ip"
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k search: ``(ids, scores)``, each queries x min(k, corpus),
    best first, ties to the lower corpus index (k beyond the corpus ranks
    all of it, as in every repscope search). ``metric``: ``ip``, ``cosine`` or ``l2``
    (squared distances, smallest first).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> ids, scores = rs.search(np.eye(3)[:1], np.eye(3), k=2)
    >>> ids.tolist(), scores.tolist()
    ([[0, 1]], [[1.0, 0.0]])
    """
    q, c = _pair(queries, corpus, ("queries", "corpus"))
    return _repscope.search(q, c, int(k), metric)


def adaptive_retrieval(
    queries: Any,
    corpus: Any,
    shortlist_dim: Optional[int] = None,
    shortlist_k: int = 200,
    rerank_dim: Optional[int] = None,
    k: int = 10,
    *,
    dims: Optional[Sequence[Optional[int]]] = None,
    shortlists: Optional[Sequence[int]] = None,
    metric: str = "cosine",
) -> tuple[np.ndarray, np.ndarray]:
    """Matryoshka funnel retrieval: shortlist candidates with the first few
    dimensions (rows renormalised), then rerank them with more.

    By default MRL's cascade: dims 16, 32, 64, 128, full with shortlists
    200, 100, 50, 25 and ``k``. With ``shortlist_dim``: one shortlist of
    ``shortlist_k`` at that dimension, reranked at ``rerank_dim`` (default:
    all) to ``k``. ``dims`` and ``shortlists`` give any cascade (``None`` =
    full width). Returns ``(ids, scores)``, queries x k."""
    q, c = _pair(queries, corpus, ("queries", "corpus"))
    width = c.shape[1]
    if dims is not None:
        if shortlists is None:
            raise InputError("give shortlists= with dims=")
    elif shortlist_dim is not None:
        dims, shortlists = (shortlist_dim, rerank_dim), (shortlist_k, k)
    else:
        dims, shortlists = MRL_DIMS, MRL_SHORTLISTS[:-1] + (k,)
    full = [width if d is None else int(d) for d in dims]
    return _repscope.adaptive_retrieval(q, c, full, [int(s) for s in shortlists], metric)


def relevant_from_labels(
    query_labels: Sequence[Any],
    corpus_labels: Optional[Sequence[Any]] = None,
    *,
    exclude_self: bool = False,
) -> list[list[int]]:
    """Relevant corpus ids per query: those with the query's label. Without
    ``corpus_labels`` the queries are the corpus; ``exclude_self`` leaves
    each query out of its own list."""
    ql = list(query_labels)
    cl = ql if corpus_labels is None else list(corpus_labels)
    by_label: dict[Any, list[int]] = {}
    for i, label in enumerate(cl):
        by_label.setdefault(label, []).append(i)
    return [
        [c for c in by_label.get(label, []) if not (exclude_self and c == q)]
        for q, label in enumerate(ql)
    ]


def retrieval_metrics(
    ids: Any, relevant: Sequence[Sequence[int]], k: Sequence[int] = (1, 10), map: str = "standard"
) -> dict[str, float]:
    """recall@k, precision@k, hit@k, map@k, ndcg@k and mrr of rankings
    ``ids`` (one row per query, best first) against ``relevant`` ids.
    ``map="mrl"`` divides AP@k by k, as the Matryoshka paper's code does;
    ``standard`` by min(k, number relevant)."""
    ranked = [list(map_ids) for map_ids in np.asarray(ids, dtype=np.int64).tolist()]
    return dict(_repscope.retrieval_metrics(ranked, [list(r) for r in relevant], list(k), map))


@dataclass(frozen=True)
class RetrievalTable:
    """One row per (dim, precision), plus the funnel's row if asked: quality
    metrics, ``retrieval`` (``exact`` or the funnel's stages),
    ``bytes_per_vector`` and ``search_seconds``."""

    rows: list[dict[str, Any]]

    def to_pandas(self) -> Any:
        return importlib.import_module("pandas").DataFrame(self.rows)


def retrieval_eval(
    queries: Any,
    corpus: Any,
    relevant: Sequence[Sequence[int]],
    k: Sequence[int] = (1, 10, 100),
    dims: Optional[Sequence[Optional[int]]] = None,
    precision: Union[None, str, Sequence[str]] = None,
    *,
    metric: str = "cosine",
    map: str = "standard",
    exclude: Optional[Sequence[int]] = None,
    funnel: Union[None, bool, str] = None,
) -> RetrievalTable:
    """Retrieval quality, memory and search time for every Matryoshka prefix
    dimension (rows renormalised; ``None`` = full) x precision (float32,
    int8, uint8, binary; 8-bit ranges are calibrated on the corpus). With
    ``exclude[q]`` a corpus id is never returned for query q (the query
    itself when queries are the corpus). ``funnel=True`` adds a row for
    MRL's adaptive funnel (16:200, 32:100, 64:50, 128:25, full:10; see
    :func:`adaptive_retrieval`), or give its stages as ``"32:100,full:10"``.
    The ``retrieval`` column says ``exact`` or the funnel's stages."""
    q, c = _pair(queries, corpus, ("queries", "corpus"))
    width = c.shape[1]
    dim_list = [width] if dims is None else [width if d is None else int(d) for d in dims]
    if precision is None:
        precisions = ["float32"]
    elif isinstance(precision, str):
        precisions = [precision]
    else:
        precisions = list(precision)
    rows = _repscope.retrieval_eval(
        q, c, [list(r) for r in relevant], None if exclude is None else list(exclude),
        dim_list, precisions, list(k), metric, map,
        "mrl" if funnel is True else (funnel or None),
    )
    return RetrievalTable([dict(r) for r in rows])


def compatibility(
    old_q: Any,
    old_g: Any,
    new_q: Any,
    new_g: Any,
    labels: Any,
    gallery_labels: Optional[Any] = None,
    *,
    k: Optional[int] = None,
) -> dict[str, Any]:
    """BCT compatibility: ``M(old,old)``, ``M(new,old)`` (new queries against
    the old gallery), ``M(new,new)``, the update gain
    ``(M(new,old) - M(old,old)) / (M(new,new) - M(old,old))`` and
    ``compatible`` (M(new,old) > M(old,old)). M is top-1 accuracy by label
    (or mAP@k with ``k=``), cosine similarity. ``labels`` are the queries'
    labels, or a pair (query labels, gallery labels)."""
    if gallery_labels is None:
        if not (isinstance(labels, tuple) and len(labels) == 2):
            raise InputError("give gallery_labels=, or labels as (query_labels, gallery_labels)")
        labels, gallery_labels = labels
    codes: dict[Any, int] = {}
    ql = [codes.setdefault(v, len(codes)) for v in np.asarray(labels).tolist()]
    gl = [codes.setdefault(v, len(codes)) for v in np.asarray(gallery_labels).tolist()]
    def f64(a: Any, name: str) -> np.ndarray:
        return _embeddings(a, name).astype(np.float64)

    return dict(
        _repscope.compatibility(
            f64(old_q, "old_q"), f64(old_g, "old_g"), f64(new_q, "new_q"), f64(new_g, "new_g"),
            ql, gl, k,
        )
    )


def fit_compat_map(new: Any, old: Any, kind: str = "orthogonal", alpha: float = 1.0) -> LinearMap:
    """A map W with ``new @ W`` in the old space, fitted on the same items
    embedded by both models (no centring): ``orthogonal`` (Procrustes;
    semi-orthogonal when the new space is wider, which keeps its extra
    dimensions out of the old space) or ``linear`` (ridge with ``alpha``).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> old = np.random.default_rng(0).normal(size=(50, 4))
    >>> W = rs.fit_compat_map(old[:, ::-1], old).weights
    >>> np.allclose(old[:, ::-1] @ W, old)
    True
    """
    names = {"orthogonal": "procrustes", "procrustes": "procrustes", "linear": "ridge", "ridge": "ridge"}
    if kind not in names:
        raise InputError(f"unknown kind '{kind}'; use 'orthogonal' or 'linear'")
    return fit_map(new, old, kind=names[kind], alpha=alpha, centre=False)
