"""Smaller embeddings that stay right: exact search, 8-bit quantisation,
Matryoshka prefixes and the adaptive funnel, retrieval metrics, and
backward compatibility between an old and a new embedding model.

Binary codes follow sentence-transformers' ``quantize_embeddings``: bit =
``x > 0``, packed as ``numpy.packbits(x > 0, axis=-1)``; ``"ubinary"`` keeps
the bytes as uint8, ``"binary"`` stores ``byte - 128`` as int8. Product
quantisation (:class:`ProductQuantizer`) searches asymmetrically. Every
search is exact over its codes and breaks ties by the lower corpus index.
Mirrors ``repscope::compress`` (``binary``, ``pq``).

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
from ._estimator import Params
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
    "quantize_binary",
    "hamming_search",
    "binary_search",
    "ProductQuantizer",
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
    for name, a in (("queries", q), ("corpus", c)):
        if not np.isfinite(a).all():
            raise InputError(f"{name} hold NaN or infinite values; embeddings must be finite")
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
    ql = [str(v) for v in query_labels]
    cl = None if corpus_labels is None else [str(v) for v in corpus_labels]
    return _repscope.relevant_from_labels(ql, cl, bool(exclude_self))


def retrieval_metrics(
    ids: Any, relevant: Sequence[Sequence[int]], k: Sequence[int] = (1, 10), map: str = "standard"
) -> dict[str, float]:
    """recall@k, precision@k, hit@k, map@k, ndcg@k and mrr of rankings
    ``ids`` (one row per query, best first) against ``relevant`` ids.
    ``map="mrl"`` divides AP@k by k, as the Matryoshka paper's code does;
    ``standard`` by min(k, number relevant)."""
    a = np.asarray(ids)
    if a.ndim != 2 or a.dtype.kind not in "iu":
        raise InputError(f"ids must be integer corpus ids, one row per query (queries x ranks), got "
                         f"dtype {a.dtype} and shape {a.shape}")
    ranked = [list(map_ids) for map_ids in a.astype(np.int64).tolist()]
    return dict(_repscope.retrieval_metrics(ranked, [list(r) for r in relevant], list(k), map))


@dataclass(frozen=True)
class RetrievalTable:
    """One row per (dim, precision), plus the funnel's row if asked: quality
    metrics, ``retrieval`` (``exact`` or the funnel's stages),
    ``bytes_per_vector`` and ``search_seconds``."""

    rows: list[dict[str, Any]]

    def to_pandas(self) -> Any:
        return importlib.import_module("pandas").DataFrame(self.rows)

    def _repr_html_(self) -> str:
        """The notebook view: quality against dimensions and the table."""
        from .report import _section_html

        return _section_html(self)


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


def _floats(x: Any, name: str) -> np.ndarray:
    """float32/float64 pass through; other numeric dtypes become float64."""
    a = floats(x, name)
    if a.ndim != 2:
        raise InputError(f"'{name}' must be 2-D (vectors x dimensions), not of shape {a.shape}")
    return a


def _binary_codes(codes: Any, name: str) -> np.ndarray:
    a = np.asarray(codes)
    if a.dtype not in (np.uint8, np.int8):
        raise InputError(
            f"'{name}' has dtype {a.dtype}; binary codes are uint8 ('ubinary') or int8 "
            "('binary') arrays from rs.quantize_binary"
        )
    if a.ndim != 2:
        raise InputError(f"'{name}' must be 2-D (codes x bytes), not of shape {a.shape}")
    return np.ascontiguousarray(a)


def quantize_binary(E: Any, precision: str = "ubinary") -> np.ndarray:
    """Binary codes of the rows of ``E``: one bit per dimension (``x > 0``),
    eight to a byte, the first dimension in the highest bit.

    Parameters
    ----------
    E : array of shape (n, d)
    precision : {"ubinary", "binary"}
        ``"ubinary"``: uint8 bytes, ``numpy.packbits(E > 0, axis=-1)``.
        ``"binary"``: int8, each byte minus 128 (sentence-transformers).

    Returns
    -------
    ndarray of shape (n, ceil(d / 8)), uint8 or int8
        For ``d`` not a multiple of 8 the last byte of each row is padded
        with zero bits (sentence-transformers packs the flattened matrix,
        which mixes rows in that case).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> E = np.array([[0.3, -1.0, 2.0, 0.0, 5.0, -2.0, 1.0, 1.0, 4.0]])
    >>> rs.quantize_binary(E)
    array([[171, 128]], dtype=uint8)
    >>> rs.quantize_binary(E, precision="binary")
    array([[43,  0]], dtype=int8)
    """
    codes: np.ndarray = _repscope.quantize_binary(_floats(E, "E"), str(precision))
    return codes


def hamming_search(query_codes: Any, corpus_codes: Any, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` by Hamming distance between packed binary codes.

    Parameters
    ----------
    query_codes : array of shape (n_queries, n_bytes), uint8 or int8
    corpus_codes : array of shape (n_corpus, n_bytes), same dtype
    k : int
        Results per query, at least 1; more than the corpus holds ranks
        the whole corpus (k is clamped, as in :func:`repscope.search`).

    Returns
    -------
    ids : ndarray of int64, shape (n_queries, min(k, n_corpus))
        Corpus rows, nearest first; equal distances in increasing row order.
    distances : ndarray of int64, shape (n_queries, min(k, n_corpus))
        Number of differing bits.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> corpus = np.array([[0b1111_0000], [0b1111_1111], [0b0000_0000]], dtype=np.uint8)
    >>> ids, dist = rs.hamming_search(np.array([[0b1111_0001]], dtype=np.uint8), corpus, k=2)
    >>> ids, dist
    (array([[0, 1]]), array([[1, 3]]))
    """
    q = _binary_codes(query_codes, "query_codes")
    c = _binary_codes(corpus_codes, "corpus_codes")
    return _repscope.hamming_search(q, c, int(k))


def binary_search(
    queries_float: Any,
    corpus_codes: Any,
    k: int = 10,
    rescore_multiplier: int = 4,
    corpus_float: Optional[Any] = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Binary search with rescoring (sentence-transformers' convention).

    The float queries are binarised, the ``k * rescore_multiplier`` nearest
    corpus codes by Hamming distance form a shortlist (at most the whole
    corpus), and each candidate is rescored by the inner product of the
    *float* query with the candidate: its float embedding when
    ``corpus_float`` is given, else its bits as 0/1 values (which ranks the
    shortlist as ``±1`` sign vectors would). The ``k`` best are returned.

    Parameters
    ----------
    queries_float : array of shape (n_queries, d)
    corpus_codes : array of shape (n_corpus, ceil(d / 8)), uint8 or int8
        From :func:`quantize_binary` (either precision).
    k : int
        Results per query, at least 1 (clamped to the corpus size).
    rescore_multiplier : int
        Shortlist size per result (>= 1). sentence-transformers defaults to
        2; 4 recovers more of the float ranking for binary codes.
    corpus_float : array of shape (n_corpus, d), optional
        The embeddings the codes were made from.

    Returns
    -------
    ids : ndarray of int64, shape (n_queries, min(k, n_corpus))
        Highest score first; equal scores in increasing row order.
    scores : ndarray of float64, shape (n_queries, min(k, n_corpus))

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> corpus = rng.normal(size=(500, 64))
    >>> codes = rs.quantize_binary(corpus)
    >>> ids, scores = rs.binary_search(corpus[:3], codes, k=5, corpus_float=corpus)
    >>> ids[:, 0]
    array([0, 1, 2])
    """
    q = _floats(queries_float, "queries_float")
    c = _binary_codes(corpus_codes, "corpus_codes")
    f = None if corpus_float is None else _floats(corpus_float, "corpus_float")
    return _repscope.binary_search(q, c, int(k), int(rescore_multiplier), f)


class ProductQuantizer(Params):
    """Product quantisation (Jégou et al. 2011): ``M`` sub-spaces, each with
    ``2**nbits`` k-means centroids; a vector is stored as ``M`` centroid
    indices (one uint8 each).

    Training runs seeded k-means (k-means++ start, ``max_iter`` Lloyd
    iterations) per sub-space on a seeded sample of at most ``max_train``
    vectors (default ``256 * 2**nbits``). Search is asymmetric (ADC): the
    float query against the codes through a per-query table of sub-space
    distances.

    Parameters
    ----------
    M : int
        Sub-spaces; must divide the dimension.
    nbits : int
        Bits per sub-space code, 1 to 8.
    seed : int
    max_iter : int
    max_train : int, optional

    Attributes
    ----------
    codebooks_ : ndarray of shape (M, 2**nbits, d // M)
        The centroids of every sub-space, set by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.random.default_rng(0).normal(size=(1000, 32))
    >>> pq = rs.ProductQuantizer(M=8, nbits=4, seed=0).fit(X)
    >>> pq.codebooks_.shape
    (8, 16, 4)
    >>> codes = pq.encode(X)
    >>> codes.shape, codes.dtype
    ((1000, 8), dtype('uint8'))
    >>> ids, dist = pq.search(X[:2], codes, k=3)
    >>> ids.shape
    (2, 3)
    """

    def __init__(
        self,
        M: int = 8,
        nbits: int = 8,
        seed: int = 0,
        *,
        max_iter: int = 25,
        max_train: Optional[int] = None,
    ):
        self.M = M
        self.nbits = nbits
        self.seed = seed
        self.max_iter = max_iter
        self.max_train = max_train

    def fit(self, E: Any) -> "ProductQuantizer":
        """Learn the codebooks from the rows of ``E`` (n, d); returns self."""
        flat = _repscope.pq_train(
            _floats(E, "E"), int(self.M), int(self.nbits), int(self.seed), int(self.max_iter),
            None if self.max_train is None else int(self.max_train),
        )
        self.codebooks_ = flat.reshape(int(self.M), -1, flat.shape[1])
        return self

    def _flat(self) -> np.ndarray:
        books = getattr(self, "codebooks_", None)
        if books is None:
            raise InputError("this ProductQuantizer is not fitted yet; call fit(E) first")
        return np.ascontiguousarray(books.reshape(-1, books.shape[2]), dtype=np.float64)

    def _codes(self, codes: Any) -> np.ndarray:
        a = np.asarray(codes)
        if a.dtype != np.uint8 or a.ndim != 2:
            raise InputError(
                f"PQ codes must be a 2-D uint8 array (n, M) from encode(), not {a.dtype} "
                f"of shape {a.shape}"
            )
        return np.ascontiguousarray(a)

    def encode(self, X: Any) -> np.ndarray:
        """Codes of the rows of ``X``: uint8 array (n, M), the nearest
        centroid of each sub-space (ties to the lower centroid)."""
        return _repscope.pq_encode(self._flat(), int(self.M), _floats(X, "X"))

    def decode(self, codes: Any) -> np.ndarray:
        """The vectors (n, d) that ``codes`` stand for: their centroids."""
        return _repscope.pq_decode(self._flat(), int(self.M), self._codes(codes))

    def search(
        self, queries: Any, codes: Any, k: int = 10, metric: str = "l2"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-``k`` over ``codes`` by asymmetric distance.

        Parameters
        ----------
        queries : array of shape (n_queries, d)
        codes : uint8 array of shape (n_corpus, M), from :meth:`encode`
        k : int
            Results per query, at least 1 (clamped to the corpus size).
        metric : {"l2", "ip"}
            ``"l2"``: squared distance to the decoded vectors, smallest
            first; ``"ip"``: inner product, largest first.

        Returns
        -------
        ids : ndarray of int64, shape (n_queries, min(k, n_corpus))
            Equal scores in increasing row order.
        scores : ndarray of float64, shape (n_queries, min(k, n_corpus))
        """
        return _repscope.pq_search(
            self._flat(), int(self.M), _floats(queries, "queries"), self._codes(codes), int(k),
            str(metric),
        )
