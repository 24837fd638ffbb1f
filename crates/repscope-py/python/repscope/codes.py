"""Compact codes for embeddings: binary codes with Hamming search, and
product quantisation with asymmetric-distance search.

Binary codes follow sentence-transformers' ``quantize_embeddings``: bit =
``x > 0``, packed as ``numpy.packbits(x > 0, axis=-1)``; ``"ubinary"`` keeps
the bytes as uint8, ``"binary"`` stores ``byte - 128`` as int8. Every search
is exact over its codes and breaks ties by the lower corpus index. All
numbers come from the Rust core (``repscope::compress``), with the GIL
released.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _repscope
from ._arrays import floats
from .errors import InputError

__all__ = ["quantize_binary", "hamming_search", "binary_search", "ProductQuantizer"]


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
    return _repscope.quantize_binary(_floats(E, "E"), str(precision))


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


class ProductQuantizer:
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
