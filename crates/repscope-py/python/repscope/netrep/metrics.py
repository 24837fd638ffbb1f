"""netrep's metric classes (``netrep.metrics``) on repscope's core.

``LinearMetric`` and ``PermutationMetric`` learn, on the stimuli given to
``fit``, each network's column means, its partial whitening (``alpha``)
and the alignment, and ``score`` any stimuli with them: fit on training
stimuli, score held-out ones (with scikit-learn splitters, or
:func:`repscope.netrep.multiset.cross_val_score`). The stochastic metrics
compare noisy networks: Gaussian (means and covariances per stimulus) and
energy (repeated responses per stimulus)."""

from __future__ import annotations

import itertools
from typing import Any, Optional, Sequence

import numpy as np

from .. import _repscope
from .._arrays import floats, matrix
from ..errors import InputError, _public
from ..shape_space import (
    FittedAlignment,
    energy_shape_distance,
    fit_alignment,
    gaussian_shape_distance,
    shape_distances,
)

__all__ = ["LinearMetric", "PermutationMetric", "LinearCKA", "GaussianStochasticMetric",
           "EnergyStochasticMetric"]


def _score_method(score_method: str) -> str:
    if score_method not in ("angular", "euclidean"):
        raise InputError(f"score_method must be 'angular' or 'euclidean', got {score_method!r}")
    return score_method


def _pair(X: Any, Y: Any, zero_pad: bool) -> tuple[np.ndarray, np.ndarray]:
    x, y = matrix(X, "X"), matrix(Y, "Y")
    if not zero_pad and x.shape[1] != y.shape[1]:
        raise InputError(f"X has {x.shape[1]} units and Y {y.shape[1]}; pass zero_pad=True to pad "
                         "the narrower one with zero columns")
    return x, y


def _fit_score_pairs(metric: Any, train: Sequence[Any], test: Optional[Sequence[Any]]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(D_train, D_test) of a metric the core cannot run over all pairs at
    once: each pair fitted on ``train`` and scored there and on ``test``.
    Without test data D_test is inf off the diagonal, as netrep's."""
    k = len(train)
    d_train, d_test = np.zeros((k, k)), np.full((k, k), np.inf)
    np.fill_diagonal(d_test, 0.0)
    for i, j in itertools.combinations(range(k), 2):
        metric.fit(train[i], train[j])
        d_train[i, j] = d_train[j, i] = metric.score(train[i], train[j])
        if test is not None:
            d_test[i, j] = d_test[j, i] = metric.score(test[i], test[j])
    return d_train, d_test


class _AlignmentMetric:
    """fit/transform/score of an alignment fitted in the core
    (:func:`repscope.fit_alignment`)."""

    _group = "orth"
    alpha: float
    center_columns: bool
    zero_pad: bool
    score_method: str

    def _fitted(self) -> FittedAlignment:
        if not hasattr(self, "Wx_"):
            raise InputError(f"this {type(self).__name__} is not fitted yet: call fit(X, Y) first")
        return FittedAlignment(self.mx_, self.my_, self.Wx_, self.Wy_, self.score_method)

    @_public
    def fit(self, X: Any, Y: Any) -> Any:
        """Learns the means, whitening and alignment from these stimuli."""
        x, y = _pair(X, Y, self.zero_pad)
        a = fit_alignment(x, y, self._group, self.alpha, self.center_columns, self.score_method)
        self.mx_, self.my_, self.Wx_, self.Wy_ = a.mean_x, a.mean_y, a.map_x, a.map_y
        return self

    @_public
    def transform(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        """((X − mx_) Wx_, (Y − my_) Wy_), narrower sides zero-padded."""
        return self._fitted().transform(*_pair(X, Y, self.zero_pad))

    @_public
    def score(self, X: Any, Y: Any) -> float:
        """The distance between X and Y under the fitted alignment: the
        angle between the transformed matrices, or their Frobenius
        distance (``score_method``)."""
        return self._fitted().distance(*_pair(X, Y, self.zero_pad))

    def fit_score(self, X: Any, Y: Any) -> float:
        """fit(X, Y) then score(X, Y)."""
        return float(self.fit(X, Y).score(X, Y))

    @_public
    def pairwise_distances(self, train_data: Sequence[Any], test_data: Optional[Sequence[Any]] = None,
                           processes: Optional[int] = None, verbose: bool = True
                           ) -> tuple[np.ndarray, np.ndarray]:
        """(D_train, D_test): every pair fitted on its training data and
        scored on it and on its test data, in parallel (``processes`` and
        ``verbose`` are accepted for netrep's signature; the core's threads
        do the work). Without test data D_test is inf off the diagonal, as
        in netrep."""
        d_train, d_test = shape_distances(train_data, test_data, self._group, self.alpha,
                                          self.center_columns, self.score_method)
        if d_test is None:
            d_test = np.full(d_train.shape, np.inf)
            np.fill_diagonal(d_test, 0.0)
        return d_train, d_test


class LinearMetric(_AlignmentMetric):
    """Generalised shape metric (netrep's ``LinearMetric``): rotations
    after partial whitening, ``alpha`` = 1 Procrustes, 0 CCA-like.

    Examples
    --------
    >>> import numpy as np
    >>> from repscope.netrep.metrics import LinearMetric
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 5)); Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    >>> metric = LinearMetric(alpha=1.0).fit(X[:40], X[:40] @ Q)
    >>> round(metric.score(X[40:], X[40:] @ Q), 6)
    0.0
    """

    def __init__(self, alpha: float = 1.0, center_columns: bool = True, zero_pad: bool = True,
                 score_method: str = "angular"):
        if not 0 <= alpha <= 1:
            raise InputError(f"alpha must be in [0, 1], got {alpha}")
        self.alpha = float(alpha)
        self.center_columns = bool(center_columns)
        self.zero_pad = bool(zero_pad)
        self.score_method = _score_method(score_method)


class PermutationMetric(_AlignmentMetric):
    """Shape metric under one-to-one matchings of units (netrep's
    ``PermutationMetric``)."""

    _group = "perm"

    def __init__(self, center_columns: bool = True, zero_pad: bool = True,
                 score_method: str = "angular"):
        self.alpha = 1.0
        self.center_columns = bool(center_columns)
        self.zero_pad = bool(zero_pad)
        self.score_method = _score_method(score_method)


class LinearCKA:
    """netrep's ``LinearCKA``: the angle arccos(CKA) between the centred
    representations' linear kernels (a metric); ``fit`` learns nothing."""

    def __init__(self, center_columns: bool = True):
        if not center_columns:
            raise InputError("repscope's linear CKA centres columns; center_columns=False is not offered")
        self.center_columns = True

    def fit(self, X: Any, Y: Any) -> "LinearCKA":
        return self

    @_public
    def score(self, X: Any, Y: Any) -> float:
        value, _ = _repscope.similarity(floats(X, "X"), floats(Y, "Y"), "linear_cka", {})
        return float(np.arccos(np.clip(value, -1.0, 1.0)))

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.score(X, Y)


class GaussianStochasticMetric:
    """Distance between Gaussian network responses (netrep's
    ``GaussianStochasticMetric``): per stimulus a mean and a covariance;
    ``alpha`` in [0, 2] interpolates from covariances only (0) through the
    2-Wasserstein distance (1) to means only (2). ``init`` must be
    ``"means"`` (the means' alignment starts the fit; repscope offers no
    random restarts)."""

    def __init__(self, alpha: float = 1.0, group: str = "orth", init: str = "means",
                 niter: int = 1000, tol: float = 1e-8, random_state: Any = None,
                 n_restarts: int = 1):
        if not 0 <= alpha <= 2:
            raise InputError(f"alpha must be in [0, 2], got {alpha}")
        if init != "means" or n_restarts != 1:
            raise InputError("repscope fits from the means' alignment only: init='means', "
                             "n_restarts=1")
        self.alpha, self.group, self.init = float(alpha), group, init
        self.niter, self.tol, self.n_restarts = int(niter), float(tol), 1

    @_public
    def fit(self, X: Any, Y: Any) -> "GaussianStochasticMetric":
        """Learns T, the alignment of Y's units onto X's (``self.T``;
        ``self.loss_hist`` the loss per round)."""
        d = gaussian_shape_distance(X, Y, self.alpha, self.group, self.niter, self.tol)
        self.T, self.loss_hist = d.transform, d.loss
        return self

    def transform(self, X: Any, Y: Any) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
        """X as given, and Y aligned: (means @ T, Tᵀ Σ T per stimulus)."""
        means, covs = Y
        t = self.T
        return X, (matrix(means, "Y means") @ t, np.einsum("ijk,jl,kp->ilp", floats(covs, "Y covariances"), t, t))

    @_public
    def score(self, X: Any, Y: Any) -> float:
        return gaussian_shape_distance(X, Y, self.alpha, transform=self.T).distance

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.fit(X, Y).score(X, Y)

    def pairwise_distances(self, train_data: Sequence[Any], test_data: Optional[Sequence[Any]] = None,
                           eps: float = 1e-6, processes: Optional[int] = None, verbose: bool = True
                           ) -> tuple[np.ndarray, np.ndarray]:
        """(D_train, D_test), netrep's: eps·I regularises the training
        covariances; without test data D_test is inf off the diagonal."""
        regular = [(m, np.asarray(c) + eps * np.eye(np.asarray(c).shape[1])) for m, c in train_data]
        return _fit_score_pairs(self, regular, test_data)


class EnergyStochasticMetric:
    """Energy distance between noisy network responses (netrep's
    ``EnergyStochasticMetric``): arrays of (stimuli, repeats, units)."""

    def __init__(self, group: str = "orth", niter: int = 100, tol: float = 1e-6):
        self.group, self.niter, self.tol = group, int(niter), float(tol)

    @_public
    def fit(self, X: Any, Y: Any) -> "EnergyStochasticMetric":
        """Learns Q aligning Y to X (``self.Q``, ``self.loss_hist``)."""
        d = energy_shape_distance(X, Y, self.group, self.niter, self.tol)
        self.Q, self.loss_hist = d.transform, d.loss
        return self

    def transform(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        return floats(X, "X"), np.einsum("ijk,kl->ijl", floats(Y, "Y"), self.Q)

    @_public
    def score(self, X: Any, Y: Any) -> float:
        return energy_shape_distance(X, Y, transform=self.Q).distance

    def fit_score(self, X: Any, Y: Any) -> float:
        return self.fit(X, Y).score(X, Y)
