"""Units across networks (Li et al. 2016, *Convergent Learning: Do
different neural networks learn the same representations?*).

Which unit of network B does what a unit of network A does? Units are
compared by the Pearson correlation of their responses over the same
stimuli. ``match_units`` offers the paper's four views: one-to-one
matching (``hungarian``), each A-unit's best partner (``semi``), sparse
prediction of each B-unit from all A-units (``sparse``, an L1 path) and
many-to-many groups (``spectral``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from . import _repscope
from ._arrays import matrix

__all__ = [
    "Matching",
    "SparsePrediction",
    "SpectralGroups",
    "LassoFit",
    "match_units",
    "unit_correlations",
    "lasso",
]


#: One-to-one or best-partner pairs (``hungarian``, ``semi``): ``pairs``
#: (A-unit, B-unit) ordered by A's unit, their ``correlations``, and
#: ``permutation``, ``sorted_correlations``, ``mean_correlation``,
#: ``method``, ``to_pandas()``.
Matching = _repscope.Matching

#: Each B-unit predicted from all A-units by the lasso (``sparse``), along a
#: path of penalties ``alphas`` (decreasing, in correlation units: units are
#: z-scored on the training stimuli). ``correlation`` and ``nonzero`` are
#: ``len(alphas) x units_b``: held-out correlation and A-units used.
#: ``best`` is each B-unit's best penalty (index; ties to the sparser
#: model), ``units_needed`` its non-zero weights there, ``top_predictor``
#: the A-unit with the largest weight (-1: none), ``coef`` the weights
#: (units_a x units_b) at each B-unit's best penalty.
SparsePrediction = _repscope.SparsePrediction

#: Group of each unit of A and of B (``spectral``; -1: constant unit, left
#: out), the largest eigenvalues of the normalised affinity, and each
#: group's mean |correlation| between its A- and B-units (NaN if a side is
#: empty).
SpectralGroups = _repscope.SpectralGroups


@dataclass(frozen=True)
class LassoFit:
    """Coefficients in scikit-learn's layout: ``(n_targets, n_features)``,
    or ``(n_features,)`` for a 1-D target."""

    coef: np.ndarray
    intercept: Union[float, np.ndarray]
    converged: bool
    #: coordinate sweeps per target (scikit-learn's ``n_iter_``)
    n_iter: Union[int, list[int]]


def unit_correlations(X: Any, Y: Any) -> np.ndarray:
    """Pearson correlations (units_a x units_b) between the columns of X and
    Y; a constant unit correlates 0 with everything."""
    return _repscope.unit_correlations(matrix(X, "X"), matrix(Y, "Y"))


def match_units(
    X: Any, Y: Any, method: str = "hungarian", **params: Any
) -> Union[Matching, SparsePrediction, SpectralGroups]:
    """Match the units of X (network A) to those of Y (network B).

    Parameters
    ----------
    X, Y : arrays (stimuli x units), the same stimuli in the same order
    method : "hungarian" | "semi" | "sparse" | "spectral"
        ``hungarian``: one-to-one, maximising the summed correlation
        (min(units) pairs). ``semi``: each A-unit with its best B-unit.
        ``sparse``: each B-unit predicted from all A-units (params:
        ``n_alphas=20, eps=1e-2, test_fraction=0.2, seed=0, tol=1e-4,
        max_iter=1000``). ``spectral``: groups of units of both networks
        (params: ``groups=8, seed=0, n_init=10``).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.random.default_rng(0).normal(size=(50, 4))
    >>> rs.match_units(X, X[:, [2, 0, 3, 1]]).permutation.tolist()
    [1, 3, 0, 2]
    """
    found: Union[Matching, SparsePrediction, SpectralGroups] = _repscope.match_units(
        matrix(X, "X"), matrix(Y, "Y"), method, params
    )
    if isinstance(found, SparsePrediction) and not found.converged:
        warnings.warn(
            "some lasso fits stopped at max_iter before reaching tol",
            RuntimeWarning,
            stacklevel=2,
        )
    return found


def lasso(
    X: Any,
    y: Any,
    alpha: float,
    *,
    fit_intercept: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
) -> LassoFit:
    """L1-regularised least squares, ``(1/2n)||y - Xw - b||^2 + alpha ||w||_1``
    (scikit-learn's ``Lasso`` objective), by coordinate descent stopped on
    the duality gap (``gap < tol * ||y - mean(y)||^2``). ``y`` may hold
    several targets as columns; they share one Gram matrix.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.random.default_rng(0).normal(size=(100, 5))
    >>> fit = rs.lasso(X, 3 * X[:, 1] + 2, alpha=0.01, tol=1e-12)
    >>> np.round(fit.coef, 2).tolist(), round(fit.intercept, 2)
    ([0.0, 2.99, 0.0, 0.0, 0.0], 2.0)
    """
    x = matrix(X, "X")
    yy = np.asarray(y)
    one = yy.ndim == 1
    fit = _repscope.lasso_fit(
        x, matrix(yy.reshape(-1, 1) if one else yy, "y"), float(alpha), fit_intercept, tol, max_iter
    )
    coef, intercept = fit.coef, fit.intercept
    converged, sweeps = [bool(c) for c in fit.converged], [int(s) for s in fit.sweeps]
    if not all(converged):
        warnings.warn(
            f"lasso stopped at max_iter={max_iter} before reaching tol={tol} "
            f"for {converged.count(False)} target(s)",
            RuntimeWarning,
            stacklevel=2,
        )
    if one:
        return LassoFit(coef[:, 0].copy(), float(intercept[0]), bool(converged[0]), sweeps[0])
    return LassoFit(coef.T.copy(), intercept, all(converged), sweeps)
