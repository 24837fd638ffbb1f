"""netrep's functions over many networks (``netrep.multiset``) on
repscope's core: distance matrices on training and held-out stimuli, the
Fréchet (Procrustes) mean, k-means in shape space, and cross-validated
distances of one pair."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from ..errors import InputError, _public
from ..shape_space import _fold_ids, cross_validated_distance, shape_kmeans
from ..shape_space import frechet_mean as _frechet_mean
from .metrics import _AlignmentMetric, _fit_score_pairs, _pair

__all__ = ["pairwise_distances", "frechet_mean", "procrustes_kmeans", "cross_val_score"]


@_public
def pairwise_distances(metric: Any, traindata: Sequence[Any], testdata: Optional[Sequence[Any]] = None,
                       verbose: bool = True, enable_caching: bool = False) -> Any:
    """The K × K distances of ``traindata`` under ``metric``, each pair
    fitted on its training data; with ``testdata`` (the same networks on
    held-out stimuli) also the distances there under the training fits:
    ``D_train`` or ``(D_train, D_test)``, as netrep's. Linear and
    permutation metrics run in the core in parallel, each network prepared
    once (netrep's caching, always on); other metrics pair by pair."""
    if isinstance(metric, _AlignmentMetric):
        d_train, d_test = metric.pairwise_distances(traindata, testdata)
        return d_train if testdata is None else (d_train, d_test)
    d_train, d_test = _fit_score_pairs(metric, traindata, testdata)
    return d_train if testdata is None else (d_train, d_test)


@_public
def frechet_mean(Xs: Any, group: str = "orth", random_state: Any = None, tol: float = 1e-3,
                 max_iter: int = 100, warmstart: Any = None, verbose: bool = False,
                 method: str = "full_batch", return_aligned_Xs: bool = False) -> Any:
    """The Fréchet mean of networks of one shape (:func:`repscope.frechet_mean`).
    Starts from ``warmstart``, else from a network drawn with
    ``random_state`` (the first when None). Unlike netrep, repscope always
    runs full-batch rounds (netrep's default "streaming" method updates the
    mean network by network); ``method`` is accepted for netrep's
    signature. Returns the mean, and with ``return_aligned_Xs`` the networks
    aligned to it."""
    xs = list(Xs)
    if not xs:
        raise InputError("give at least one network")
    if method not in ("full_batch", "streaming"):
        raise InputError(f"method must be 'full_batch' or 'streaming', got {method!r}")
    start = warmstart
    if start is None and random_state is not None:
        start = xs[int(np.random.default_rng(random_state).integers(len(xs)))]
    m = _frechet_mean(xs, group, start, tol, max_iter)
    return (m.mean, m.aligned) if return_aligned_Xs else m.mean


@_public
def procrustes_kmeans(Xs: Any, n_clusters: int, dist_matrix: Optional[Any] = None, max_iter: int = 100,
                      random_state: Any = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """k-means among networks in shape space (:func:`repscope.shape_kmeans`),
    as netrep's ``procrustes_kmeans`` intends. Returns ``(centroids, labels,
    cent_dists)``, the last clusters × networks."""
    seed = 0 if random_state is None else random_state
    k = shape_kmeans(list(Xs), n_clusters, seed, max_iter, dist_matrix)
    return k.centroids, k.labels, k.distances.T


@_public
def cross_val_score(metric: Any, X: Any, Y: Any, cv: Union[int, Any] = 5) -> np.ndarray:
    """Held-out distances of one pair: for each split, ``metric`` fitted on
    the training stimuli (rows) and scored on the test stimuli. ``cv`` is a
    number of contiguous folds (scikit-learn's ``KFold`` without shuffling),
    an array of fold ids per stimulus, or any scikit-learn splitter (an
    object with ``split``)."""
    if hasattr(cv, "split"):
        x, y = np.asarray(X), np.asarray(Y)
        return np.array([metric.fit(x[train], y[train]).score(x[test], y[test])
                         for train, test in cv.split(x)])
    x, y = _pair(X, Y, getattr(metric, "zero_pad", True))
    if isinstance(metric, _AlignmentMetric):
        return cross_validated_distance(x, y, cv, metric._group, metric.alpha, metric.center_columns,
                                        metric.score_method)
    folds = np.asarray(_fold_ids(cv, len(x)))
    return np.array([metric.fit(x[folds != f], y[folds != f]).score(x[folds == f], y[folds == f])
                     for f in np.unique(folds)])
