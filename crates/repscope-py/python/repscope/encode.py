"""Encoding models: how well features predict measured responses (ridge
regression with the penalty chosen per target by cross-validation, as
himalaya's ``RidgeCV``), and how well they could at best (the noise
ceiling).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

import numpy as np

from . import _repscope
from ._arrays import aligned_f64
from ._arrays import matrix
from ._compat import renamed
from ._estimator import Params
from .errors import InputError

__all__ = [
    "Reliability",
    "BandedRidgeCV",
    "FeatureVariance",
    "RidgeCV",
    "noise_normalised",
    "feature_variance",
    "regression_scores",
    "ridge",
    "split_half_reliability",
    "default_alphas",
]


#: Split-half reliability per target (:func:`split_half_reliability`):
#: ``ceiling`` (Spearman-Brown corrected) and ``split_half`` (the mean
#: split-half correlation).
Reliability = _repscope.Reliability


def split_half_reliability(repeats: Any, n_splits: int = 100, seed: int = 0) -> Reliability:
    """Reliability of each target from repeated measurements, as Brain-Score
    computes its ceiling: ``n_splits`` seeded random halves of the repeats
    are averaged, correlated per target (Pearson, over stimuli), the mean r
    is corrected with Spearman-Brown, 2r / (1 + r).

    Parameters
    ----------
    repeats : array (repeats x stimuli x targets) or a list of (stimuli x targets) arrays

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> signal = rng.normal(size=(200, 50))
    >>> reps = [signal + rng.normal(size=signal.shape) for _ in range(4)]
    >>> round(float(rs.split_half_reliability(reps).ceiling.mean()), 1)  # 1 / (1 + 1/4)
    0.8
    """
    items = list(repeats) if not isinstance(repeats, np.ndarray) else [r for r in repeats]
    if isinstance(repeats, np.ndarray) and repeats.ndim != 3:
        raise InputError(f"repeats must be 3-D (repeats x stimuli x targets), not of shape {repeats.shape}")
    mats = [matrix(r, f"repeat {i}") for i, r in enumerate(items)]
    return _repscope.split_half_reliability(mats, int(n_splits), int(seed))


def noise_normalised(scores: Any, ceiling: Any) -> np.ndarray:
    """``scores / ceiling`` per target (NaN where the ceiling is not
    positive)."""
    s, c = aligned_f64(scores, "scores"), aligned_f64(ceiling, "ceiling")
    if s.shape != c.shape:
        raise InputError(f"scores {s.shape} and ceiling {c.shape} must have the same shape")
    if np.isinf(s).any() or np.isinf(c).any():
        raise InputError("scores and ceiling must not be infinite (NaN marks a missing value)")
    return _repscope.noise_normalised(s.ravel().tolist(), c.ravel().tolist()).reshape(s.shape)


Splits = list[tuple[list[int], list[int]]]


def _splits(cv: Any, x: np.ndarray, y: np.ndarray) -> Splits:
    """Folds from ``cv``: an int K (scikit-learn's KFold(K), no shuffling),
    a scikit-learn splitter (anything with ``split(X, y)``), or an iterable
    of (train_idx, test_idx) pairs."""
    n = x.shape[0]
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        return list(_repscope.kfold(n, int(cv)))
    if not (hasattr(cv, "split") or isinstance(cv, Iterable)):
        raise InputError(
            f"cv must be a number of folds, a scikit-learn splitter or (train_idx, test_idx) pairs, not {cv!r}"
        )
    pairs: Iterable[Any] = cv.split(x, y) if hasattr(cv, "split") else cv
    out: Splits = []
    for f, pair in enumerate(pairs):
        try:
            train, test = pair
        except (TypeError, ValueError):
            raise InputError(f"fold {f} of cv is not a (train_idx, test_idx) pair") from None
        idx = []
        for side in (train, test):
            a = np.asarray(side)
            if a.dtype == bool:
                a = np.flatnonzero(a)
            if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
                raise InputError(f"fold {f} of cv must hold 1-D integer index arrays")
            if a.size and a.min() < 0:
                raise InputError(f"fold {f} of cv has a negative index; use indices 0..{n - 1}")
            idx.append([int(i) for i in a])
        out.append((idx[0], idx[1]))
    return out


def _alphas(alphas: Any) -> list[float]:
    """One penalty or a sequence of them, as floats (the core checks them);
    None: the core's default grid (the CLI's too), :func:`default_alphas`."""
    if alphas is None:
        return default_alphas()
    return [float(a) for a in np.atleast_1d(np.asarray(alphas, dtype=np.float64))]


def default_alphas() -> list[float]:
    """The candidate penalties ``RidgeCV`` and ``repscope encode`` use by
    default: 15 log-spaced values from 1e-2 to 1e5.

    >>> import repscope as rs
    >>> a = rs.default_alphas()
    >>> len(a), a[0], a[-1]
    (15, 0.01, 100000.0)
    """
    return list(_repscope.default_alphas())


def _predict(x: np.ndarray, coef: np.ndarray, intercept: Any) -> np.ndarray:
    """x @ coef + intercept in the core; a 1-D coef (one target) gives 1-D."""
    one = coef.ndim == 1
    out: np.ndarray = _repscope.linear_predict(
        x, coef[:, None] if one else coef, np.atleast_1d(np.asarray(intercept, dtype=np.float64)).tolist()
    )
    return out[:, 0] if one else out


def _targets(y: Any) -> tuple[np.ndarray, bool]:
    a = np.asarray(y)
    if a.ndim == 1:
        return matrix(a[:, None], "Y"), True
    return matrix(a, "Y"), False


class RidgeCV(Params):
    """Ridge regression for many targets, the penalty chosen per target (or
    shared) by cross-validation; then refit on all samples.

    Objective per target: ``||X w - y||^2 + alpha ||w||^2`` (himalaya and
    scikit-learn's ``Ridge``), the intercept unpenalised by centring on the
    training rows when ``fit_intercept`` (scikit-learn's default; himalaya's
    ``RidgeCV`` defaults to ``fit_intercept=False``). Each fold's features
    are factored once (thin SVD, or the linear kernel's eigendecomposition
    when features outnumber samples: ``solver="auto"``) and serve every
    alpha and every target, in target batches of bounded memory.

    Parameters
    ----------
    alphas : candidate penalties (positive); default (None): the core's
        grid, :func:`default_alphas` (15 log-spaced from 1e-2 to 1e5), as
        ``repscope encode``
    cv : int K (K contiguous folds, scikit-learn's ``KFold`` without
        shuffling), a scikit-learn splitter, or (train_idx, test_idx) pairs
    per_target : one alpha per target (True) or one shared alpha
    scoring : what selects alpha: "r2" (the default, as ``repscope encode``),
        "neg_mse" (himalaya's default) or
        "pearson". Ties (within 1e-10 ln alpha) go to the larger alpha, as
        in himalaya.
    solver : "auto", "primal" or "kernel"
    force : run ``fit`` even when its predicted peak memory exceeds the
        memory available (otherwise :class:`~repscope.errors.TooLargeError`);
        :meth:`estimate` gives that prediction

    Attributes after ``fit``: ``coef_`` (features x targets), ``intercept_``,
    ``best_alphas_``, ``cv_scores_`` (mean CV score at the chosen alpha),
    ``alpha_scores_`` (alphas x targets), ``kernel_``.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 10))
    >>> Y = X @ rng.normal(size=(10, 3)) + 0.1 * rng.normal(size=(100, 3))
    >>> model = rs.RidgeCV(alphas=[0.01, 1, 100], cv=5).fit(X, Y)
    >>> model.best_alphas_  # little noise: the smallest penalty wins
    array([0.01, 0.01, 0.01])
    >>> bool(model.score(X, Y).min() > 0.99)
    True
    """

    _estimator_type = "regressor"

    @renamed(score="scoring")
    def __init__(
        self,
        alphas: Optional[Sequence[float]] = None,
        cv: Any = 5,
        per_target: bool = True,
        fit_intercept: bool = True,
        scoring: str = "r2",
        solver: str = "auto",
        target_batch: int | None = None,
        force: bool = False,
    ) -> None:
        self.alphas = alphas
        self.cv = cv
        self.per_target = per_target
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.solver = solver
        self.target_batch = target_batch
        self.force = force

    def _run(self, X: Any, Y: Any, estimate: bool) -> tuple[Any, bool, np.ndarray]:
        x = matrix(X, "X")
        y, ravel = _targets(Y)
        result = _repscope.ridge_cv(
            x,
            y,
            _alphas(self.alphas),
            _splits(self.cv, x, y),
            per_target=bool(self.per_target),
            fit_intercept=bool(self.fit_intercept),
            score=self.scoring,
            solver=self.solver,
            target_batch=self.target_batch,
            estimate=estimate,
            force=bool(self.force),
        )
        return result, ravel, x

    def estimate(self, X: Any, Y: Any) -> Any:
        """The predicted peak memory (above X and Y) and time of ``fit(X, Y)``
        on this machine, as an :class:`~repscope.preflight.Estimate`, without
        fitting.

        Examples
        --------
        >>> import numpy as np, repscope as rs
        >>> X, Y = np.zeros((500, 40)), np.zeros((500, 10_000))
        >>> e = rs.RidgeCV().estimate(X, Y)
        >>> e.peak_bytes > 2 * 40 * 10_000 * 8  # the coefficients, twice
        True
        """
        return self._run(X, Y, estimate=True)[0]

    def fit(self, X: Any, Y: Any) -> "RidgeCV":
        result, ravel, x = self._run(X, Y, estimate=False)
        coef, intercept = result.coef, result.intercept
        self.coef_ = coef[:, 0] if ravel else coef
        self.intercept_ = intercept[0] if ravel else intercept
        self.best_alphas_ = result.best_alphas
        self.cv_scores_ = result.cv_scores
        self.alpha_scores_ = result.alpha_scores
        self.kernel_ = bool(result.kernel)
        self.n_features_in_ = x.shape[1]
        return self

    def predict(self, X: Any) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise InputError("this RidgeCV is not fitted yet; call fit(X, Y) first")
        x = matrix(X, "X")
        if x.shape[1] != self.n_features_in_:
            raise InputError(f"X has {x.shape[1]} features but the model was fitted on {self.n_features_in_}")
        return _predict(x, self.coef_, self.intercept_)

    def score(self, X: Any, Y: Any, metric: str = "r2") -> np.ndarray:
        """Per-target score of the predictions of X against Y: "r2",
        "pearson" or "neg_mse" (constant targets score 0, as in himalaya)."""
        y, _ = _targets(Y)
        pred = self.predict(X)
        return regression_scores(y, pred.reshape(y.shape), metric)


class BandedRidgeCV(Params):
    """Banded ridge: one penalty per feature space (e.g. low-level and
    semantic features of the same stimuli), chosen per target by
    cross-validated random search over the simplex, as himalaya's
    ``BandedRidgeCV``.

    Space k is scaled by sqrt(gamma_k); for each candidate gamma (``gammas``,
    candidates x spaces, or ``n_iter`` seeded Dirichlet draws with
    concentrations cycling through ``concentration``, the first uniform) the
    alphas are cross-validated as in :class:`RidgeCV`; each target keeps the
    first candidate that beats its best score by more than float64 epsilon.

    Attributes after ``fit(Xs, Y)``: ``coef_`` (all spaces' features x
    targets, on the unscaled features), ``intercept_``, ``deltas_`` (spaces x
    targets, ln(gamma_k / alpha)), ``best_alphas_``, ``best_gamma_`` (index
    into ``gammas_``), ``cv_scores_`` (candidates x targets), ``gammas_``.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> low, sem = rng.normal(size=(120, 5)), rng.normal(size=(120, 5))
    >>> Y = sem @ rng.normal(size=(5, 4)) + 0.3 * rng.normal(size=(120, 4))
    >>> m = rs.BandedRidgeCV(alphas=np.logspace(-2, 3, 6), n_iter=20).fit([low, sem], Y)
    >>> bool((m.deltas_[1] > m.deltas_[0]).all())  # the semantic space is kept
    True
    """

    _estimator_type = "regressor"

    @renamed(score="scoring")
    def __init__(
        self,
        alphas: Optional[Sequence[float]] = None,
        cv: Any = 5,
        n_iter: int = 100,
        concentration: Sequence[float] = (0.1, 1.0),
        gammas: Any = None,
        seed: int = 0,
        fit_intercept: bool = True,
        scoring: str = "r2",
        solver: str = "auto",
    ) -> None:
        self.alphas = alphas
        self.cv = cv
        self.n_iter = n_iter
        self.concentration = concentration
        self.gammas = gammas
        self.seed = seed
        self.fit_intercept = fit_intercept
        self.scoring = scoring
        self.solver = solver

    def fit(self, Xs: Sequence[Any], Y: Any) -> "BandedRidgeCV":
        spaces = [matrix(x, f"Xs[{k}]") for k, x in enumerate(Xs)]
        if not spaces:
            raise InputError("Xs must hold at least one feature space")
        y, ravel = _targets(Y)
        alphas = _alphas(self.alphas)
        gammas = None if self.gammas is None else matrix(self.gammas, "gammas")
        result = _repscope.banded_ridge_cv(
            spaces,
            y,
            alphas,
            _splits(self.cv, spaces[0], y),
            gammas=gammas,
            n_iter=int(self.n_iter),
            concentration=[float(c) for c in self.concentration],
            seed=int(self.seed),
            fit_intercept=bool(self.fit_intercept),
            score=self.scoring,
            solver=self.solver,
        )
        coef, intercept = result.coef, result.intercept
        self.coef_ = coef[:, 0] if ravel else coef
        self.intercept_ = intercept[0] if ravel else intercept
        self.deltas_ = result.deltas
        self.best_alphas_ = result.best_alphas
        self.best_gamma_ = np.asarray(result.best_gamma)
        self.cv_scores_ = result.cv_scores
        self.gammas_ = result.gammas
        self.widths_ = [x.shape[1] for x in spaces]
        return self

    def predict(self, Xs: Sequence[Any]) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise InputError("this BandedRidgeCV is not fitted yet; call fit(Xs, Y) first")
        x = np.hstack([np.asarray(matrix(a, f"Xs[{k}]"), dtype=np.float64) for k, a in enumerate(Xs)])
        if x.shape[1] != sum(self.widths_):
            raise InputError(f"Xs have {x.shape[1]} features in all but the model was fitted on {sum(self.widths_)}")
        return _predict(x, self.coef_, self.intercept_)


def ridge(X: Any, Y: Any, alpha: Any = 1.0, fit_intercept: bool = True, solver: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Ridge with a given alpha (one, or one per target): (coef features x
    targets, intercept per target); scikit-learn's ``Ridge(alpha)``."""
    alphas = _alphas(alpha)
    y, _ = _targets(Y)
    coef, intercept = _repscope.ridge_fit(matrix(X, "X"), y, alphas, fit_intercept, solver)
    return coef, intercept


def regression_scores(Y: Any, predictions: Any, metric: str = "r2") -> np.ndarray:
    """Per-target "r2", "pearson" or "neg_mse" of predictions against Y
    (both samples x targets); constant targets score 0."""
    y, _ = _targets(Y)
    p, _ = _targets(predictions)
    return np.asarray(_repscope.regression_scores(y, p, metric))


@dataclass(frozen=True)
class FeatureVariance:
    """Per representation (rows, in ``names`` order) and feature (columns,
    in ``features`` order): ``explained`` = out-of-fold R^2 of the
    representation from that feature alone, pooled over units (the fraction
    of its total variance); ``unique`` = R^2(all features) - R^2(all but
    that one); ``total`` = R^2(all features) per representation."""

    names: list[str]
    features: list[str]
    explained: np.ndarray
    unique: np.ndarray
    total: np.ndarray

    def to_pandas(self) -> Any:
        # importlib: pandas ships no type information (pandas-stubs is optional).
        pd = importlib.import_module("pandas")
        rows = [
            {"representation": n, "feature": f, "explained": self.explained[i, k], "unique": self.unique[i, k]}
            for i, n in enumerate(self.names)
            for k, f in enumerate(self.features)
        ]
        return pd.DataFrame(rows)


def feature_variance(
    features: Any,
    reps: Any,
    groups: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    cv: Any = 5,
    alpha: float = 1e-3,
) -> FeatureVariance:
    """Reverse encoding: how much of each representation's variance each
    known feature of the stimuli explains (Lampinen et al., "Learned feature
    representations are biased by complexity, learning order, position,
    and more").

    Each representation (``reps``: an array, or a RepSet / dict of name ->
    array, e.g. every layer) is regressed on the features (stimuli x
    columns) by ridge (penalty ``alpha``, intercept fitted), predicted out
    of fold over ``cv``, and scored by R^2 pooled over units (scikit-learn's
    ``r2_score(..., multioutput="variance_weighted")`` of
    ``cross_val_predict``). ``groups`` gives each column's feature (e.g.
    the columns of a one-hot category share one), numbered 0..G-1; default:
    one feature per column. ``names``: the features' names.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(200, 2))
    >>> layer = np.outer(f[:, 0], rng.normal(size=30)) + 0.5 * rng.normal(size=(200, 30))
    >>> v = rs.feature_variance(f, {"layer": layer}, names=["shape", "colour"])
    >>> bool(v.explained[0, 0] > 0.5 and abs(v.explained[0, 1]) < 0.05)
    True
    """
    f = matrix(features, "features")
    if isinstance(reps, np.ndarray) or not hasattr(reps, "items"):
        items = [("representation", reps)] if isinstance(reps, np.ndarray) else [(str(i), r) for i, r in enumerate(reps)]
    else:
        items = [(str(k), v) for k, v in reps.items()]
    mats = [matrix(r, n) for n, r in items]
    cols = f.shape[1]
    grp = list(range(cols)) if groups is None else [int(g) for g in groups]
    n_groups = max(grp) + 1 if grp else 0
    feature_names = [f"feature{k}" for k in range(n_groups)] if names is None else [str(n) for n in names]
    if len(feature_names) != n_groups:
        raise InputError(f"{len(feature_names)} names for {n_groups} features")
    results = _repscope.feature_variance(f, grp, mats, _splits(cv, f, f), float(alpha))
    return FeatureVariance(
        names=[n for n, _ in items],
        features=feature_names,
        explained=np.array([r[0] for r in results]),
        unique=np.array([r[1] for r in results]),
        total=np.array([r[2] for r in results]),
    )
