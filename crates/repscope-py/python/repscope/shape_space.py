"""Shape space: representations as points of a metric space (Williams et
al. 2021; Duong et al. 2023), for comparing many networks. Alignments
fitted on training stimuli and scored on held-out ones, the distances of
many networks, their Fréchet mean and k-means, and distances between
stochastic (noisy) networks. Mirrors ``repscope::shape_space``;
:mod:`repscope.netrep` offers the same under netrep's class names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence, Union

import numpy as np

from . import _repscope
from ._arrays import floats, matrix
from .errors import InputError

__all__ = ["FittedAlignment", "fit_alignment", "cross_validated_distance", "shape_distances",
           "FrechetMean", "frechet_mean", "ShapeKMeans", "shape_kmeans", "StochasticDistance",
           "gaussian_shape_distance", "energy_shape_distance", "shape_embedding"]


@dataclass(frozen=True)
class FittedAlignment:
    """What :func:`fit_alignment` learned: each side's column means and map
    (units × units after zero-padding), and the score it gives."""

    mean_x: np.ndarray
    mean_y: np.ndarray
    map_x: np.ndarray
    map_y: np.ndarray
    score: str

    def _parts(self) -> tuple[Any, ...]:
        """The alignment as the core's functions take it."""
        return (list(self.mean_x), list(self.mean_y), self.map_x, self.map_y, self.score)

    def transform(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        """((X − mean_x) map_x, (Y − mean_y) map_y)."""
        return _repscope.alignment_transform(self._parts(), matrix(X, "X"), matrix(Y, "Y"))

    def distance(self, X: Any, Y: Any) -> float:
        """The distance of X and Y (e.g. held-out stimuli) under this alignment."""
        return _repscope.alignment_score(self._parts(), matrix(X, "X"), matrix(Y, "Y"))


def fit_alignment(X: Any, Y: Any, group: str = "orth", alpha: float = 1.0, center: bool = True,
                  score: str = "angular") -> FittedAlignment:
    """Fits the alignment of X to Y on their rows (stimuli): column means
    (``center``), partial whitening (``alpha`` in [0, 1]: 1 none, 0 full,
    rotations only) and the best transform in ``group`` ("orth" rotations,
    "perm" unit matchings, "identity" none); the narrower side is padded
    with zero columns. Its :meth:`~FittedAlignment.distance` on the same
    rows is the ``procrustes`` (``permutation``) measure; on held-out rows,
    a cross-validated shape distance.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 4)); Q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    >>> fitted = rs.fit_alignment(X[:40], X[:40] @ Q)
    >>> round(fitted.distance(X[40:], X[40:] @ Q), 6)
    0.0
    """
    mx, my, wx, wy = _repscope.alignment_fit(matrix(X, "X"), matrix(Y, "Y"), group, float(alpha),
                                             bool(center), score)
    return FittedAlignment(np.asarray(mx), np.asarray(my), wx, wy, score)


def _fold_ids(cv: Union[int, Any], n: int) -> list[int]:
    """Contiguous folds (scikit-learn's ``KFold`` without shuffling) for an
    integer, else the given fold id per stimulus, as codes 0..k-1."""
    if np.ndim(cv) == 0:
        k = int(cv)
        if not 2 <= k <= n:
            raise InputError(f"cv must be between 2 and the {n} stimuli, got {cv}")
        sizes = np.full(k, n // k)
        sizes[: n % k] += 1
        return np.repeat(np.arange(k), sizes).tolist()
    _, codes = np.unique(np.asarray(cv).ravel(), return_inverse=True)
    return [int(c) for c in codes]


def cross_validated_distance(X: Any, Y: Any, cv: Union[int, Any] = 5, group: str = "orth",
                             alpha: float = 1.0, center: bool = True, score: str = "angular"
                             ) -> np.ndarray:
    """Held-out shape distances, one per fold: the alignment fitted on the
    other folds' stimuli (:func:`fit_alignment`) and scored on the fold's.
    ``cv``: a number of contiguous folds or a fold id per stimulus (for
    scikit-learn splitters, see :func:`repscope.netrep.cross_val_score`)."""
    x, y = matrix(X, "X"), matrix(Y, "Y")
    return np.asarray(_repscope.alignment_cross_validated(
        x, y, _fold_ids(cv, len(x)), group, float(alpha), bool(center), score))


def shape_distances(train: Sequence[Any], test: Optional[Sequence[Any]] = None, group: str = "orth",
                    alpha: float = 1.0, center: bool = True, score: str = "angular"
                    ) -> tuple[np.ndarray, Optional[np.ndarray]]:
    """The K × K shape distances of networks (the same stimuli within
    ``train``), every pair fitted on ``train`` in parallel; with ``test``
    (the same networks on held-out stimuli) also their distances under the
    training fits. Returns ``(D_train, D_test or None)``."""
    tr = [matrix(x, f"train[{i}]") for i, x in enumerate(train)]
    te = None if test is None else [matrix(x, f"test[{i}]") for i, x in enumerate(test)]
    d_train, d_test = _repscope.alignment_pairwise(tr, te, group, float(alpha), bool(center), score)
    return d_train, d_test


def shape_embedding(distances: Any, dims: int = 2) -> np.ndarray:
    """Classical MDS of networks from their K × K distance matrix (e.g.
    :func:`shape_distances`'s): a (K, dims) map of shape space, centred,
    each axis's sign fixed (as :func:`repscope.mds`, which it uses)."""
    d = floats(distances, "distances")
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise InputError(f"distances must be a square K x K matrix, got shape {d.shape}")
    if not np.all(np.isfinite(d)):
        raise InputError("distances must be finite (NaN or Inf found)")
    if not np.allclose(d, d.T, rtol=0, atol=1e-9 * max(1.0, float(np.nanmax(np.abs(d))))):
        raise InputError("distances must be symmetric")
    upper = d[np.triu_indices(len(d), k=1)]
    return _repscope.mds(np.ascontiguousarray(upper, dtype=np.float64), int(dims))


@dataclass(frozen=True)
class FrechetMean:
    """:func:`frechet_mean`'s result: the mean, each network aligned to it
    (networks × stimuli × units), the rounds run and whether it converged."""

    mean: np.ndarray
    aligned: np.ndarray
    iterations: int
    converged: bool


def frechet_mean(networks: Sequence[Any], group: str = "orth", start: Any = None, tol: float = 1e-3,
                 max_iter: int = 100) -> FrechetMean:
    """The Fréchet mean of networks of one shape under ``group``, by
    generalised Procrustes: align every network to the mean, average,
    repeat until the mean moves by less than ``tol`` (RMS per entry) or
    after ``max_iter`` rounds. Starts from ``start`` (default: the first
    network). No centring or scaling: centre (and scale) the networks
    first to average shapes rather than positions."""
    xs = [matrix(x, f"networks[{i}]") for i, x in enumerate(networks)]
    if not xs:
        raise InputError("give at least one network")
    first = xs[0] if start is None else matrix(start, "start")
    mean, aligned, iterations, converged = _repscope.frechet_mean(xs, group, first, float(tol),
                                                                  int(max_iter))
    return FrechetMean(mean, np.stack(aligned), int(iterations), bool(converged))


@dataclass(frozen=True)
class ShapeKMeans:
    """:func:`shape_kmeans`'s result: a cluster per network, the centroids,
    each network's distance to each centroid (networks × clusters) and the
    rounds run."""

    labels: np.ndarray
    centroids: np.ndarray
    distances: np.ndarray
    iterations: int


def shape_kmeans(networks: Sequence[Any], n_clusters: int, seed: int = 0, max_iter: int = 100,
                 distances: Any = None) -> ShapeKMeans:
    """k-means among networks of one shape: k-means++ seeding (seeded) on
    the squared Procrustes distances (``distances`` if given, else
    computed), then Lloyd rounds: each network to the centroid at the
    smallest Procrustes (angular) distance, each centroid its members'
    Fréchet mean (10 rounds, warm-started), until no label changes."""
    xs = [matrix(x, f"networks[{i}]") for i, x in enumerate(networks)]
    k = int(n_clusters)
    if not 1 <= k <= len(xs):
        raise InputError(f"n_clusters must be between 1 and the {len(xs)} networks, got {n_clusters}")
    d = shape_distances(xs)[0] if distances is None else floats(distances, "distances")
    rng = np.random.default_rng(seed)
    init = [int(rng.integers(len(xs)))]
    while len(init) < k:
        nearest = np.min(d[:, init] ** 2, axis=1)
        if nearest.sum() <= 0:  # every network sits on a chosen one: take the next unchosen
            init.append(next(i for i in range(len(xs)) if i not in init))
        else:
            init.append(int(rng.choice(len(xs), p=nearest / nearest.sum())))
    labels, centroids, dist, iterations = _repscope.shape_kmeans(xs, init, "orth", 1.0, "angular",
                                                                 int(max_iter), 10)
    return ShapeKMeans(np.asarray(labels), np.stack(centroids), dist, int(iterations))


@dataclass(frozen=True)
class StochasticDistance:
    """A stochastic shape distance, the fitted alignment of Y's units onto
    X's (``transform``) and the fit's loss per round."""

    distance: float
    transform: np.ndarray
    loss: list[float]


def _gaussian(data: Any, name: str) -> tuple[np.ndarray, list[np.ndarray]]:
    try:
        means, covs = data
    except (TypeError, ValueError) as e:
        raise InputError(f"{name} must be a tuple (means, covariances)") from e
    c = floats(covs, f"{name} covariances")
    if c.ndim != 3:
        raise InputError(f"{name} covariances must be (stimuli, units, units), got shape {c.shape}")
    return matrix(means, f"{name} means"), [np.ascontiguousarray(ci) for ci in c]


def gaussian_shape_distance(X: Any, Y: Any, alpha: float = 1.0, group: str = "orth",
                            niter: int = 1000, tol: float = 1e-8,
                            transform: Any = None) -> StochasticDistance:
    """The distance between Gaussian network responses, X and Y each
    ``(means, covariances)`` (stimuli × units and stimuli × units × units):
    meanᵢ[α‖mXᵢ − mYᵢT‖² + (2 − α)·Bures²(ΣXᵢ, TᵀΣYᵢT)], square-rooted
    with its sign; ``alpha`` 0 covariances only, 1 2-Wasserstein, 2 means
    only. T is fitted (alternating minimisation from the means' alignment,
    as netrep) unless ``transform`` is given."""
    (mx, cx), (my, cy) = _gaussian(X, "X"), _gaussian(Y, "Y")
    loss: list[float] = []
    if transform is None:
        t, loss = _repscope.gaussian_fit((mx, cx), (my, cy), float(alpha), group, int(niter), float(tol))
    else:
        t = matrix(transform, "transform")
    return StochasticDistance(_repscope.gaussian_score((mx, cx), (my, cy), t, float(alpha)), t, loss)


def _repeats(data: Any, name: str) -> list[np.ndarray]:
    a = floats(data, name)
    if a.ndim != 3:
        raise InputError(f"{name} must be (stimuli, repeats, units), got shape {a.shape}")
    return [np.ascontiguousarray(x) for x in a]


def energy_shape_distance(X: Any, Y: Any, group: str = "orth", niter: int = 100, tol: float = 1e-6,
                          transform: Any = None) -> StochasticDistance:
    """The energy distance between noisy network responses, X and Y each
    (stimuli, repeats, units): √max(0, E‖x − yQ‖ − ½(E‖x − x′‖ + E‖y − y′‖))
    per stimulus, averaged; Q fitted by iteratively reweighted least squares
    (netrep's) unless ``transform`` is given."""
    x, y = _repeats(X, "X"), _repeats(Y, "Y")
    loss: list[float] = []
    if transform is None:
        q, loss = _repscope.energy_fit(x, y, group, int(niter), float(tol))
    else:
        q = matrix(transform, "transform")
    return StochasticDistance(_repscope.energy_score(x, y, q), q, loss)
