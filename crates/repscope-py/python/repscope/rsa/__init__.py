"""Representational similarity analysis: RDMs, comparisons, topological RSA,
inference. Numbers agree with rsatoolbox (see each function for the few
documented differences); the computation runs in the Rust core.

RDMs are condensed vectors in scipy ``pdist`` order (``scipy.spatial.
distance.squareform`` converts to and from square matrices). Where several
RDMs are expected, pass a 2-D array with one RDM per row, a list of vectors,
or an ``rsatoolbox.rdm.RDMs`` object.
"""

from __future__ import annotations

import os

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional, Union, overload

import numpy as np

from .. import _repscope
from .._arrays import aligned_f64 as _f64
from .._arrays import floats as _floats
from .._compat import renamed
from ..errors import InputError
from .movie import rdm_movie, temporal_generalization
from .patch import patch_calls, patch_rsatoolbox, patched_rsatoolbox, unpatch_rsatoolbox
from .searchlight import (
    SearchlightEstimate,
    SearchlightRDMs,
    SurfaceRDMs,
    channel_adjacency,
    decoding_searchlight,
    searchlight,
    searchlight_spheres,
    sensor_searchlight,
    surface_discs,
    surface_searchlight,
)

__all__ = [
    "rdm",
    "condition_names",
    "rdm_unbalanced",
    "cross_rdm",
    "rank_transform",
    "sqrt_transform",
    "positive_transform",
    "minmax_transform",
    "pool_rdm",
    "cv_noise_ceiling",
    "rsa_compare_groups",
    "rsa_bootstrap_crossval",
    "rsa_dual_bootstrap",
    "fit_interpolate",
    "fit_select",
    "patch_rsatoolbox",
    "unpatch_rsatoolbox",
    "patched_rsatoolbox",
    "patch_calls",
    "compare_rdms",
    "geotopological",
    "geodesic",
    "noise_ceiling",
    "rsa_bootstrap",
    "RSAResult",
    "mds",
    "fit_weights",
    "rsa_crossval",
    "CrossValidation",
    "searchlight",
    "surface_searchlight",
    "sensor_searchlight",
    "channel_adjacency",
    "surface_discs",
    "SurfaceRDMs",
    "SearchlightRDMs",
    "SearchlightEstimate",
    "decoding_searchlight",
    "searchlight_spheres",
    "rdm_movie",
    "temporal_generalization",
    "RDMFile",
    "load_rdms",
    "save_rdms",
]

RDMFile = _repscope.RDMFile


def _labels(labels: Any) -> Optional[list[str]]:
    if labels is None:
        return None
    return [str(v) for v in np.asarray(labels).ravel().tolist()]


def _n_conditions(stack: np.ndarray) -> int:
    """Conditions of the condensed RDMs of a stack (k x pairs)."""
    return int(round((1 + np.sqrt(1 + 8 * stack.shape[1])) / 2))


def _stack(rdms: Any, name: str) -> np.ndarray:
    """RDMs as a C-contiguous float64 (k x pairs) array."""
    if hasattr(rdms, "get_vectors"):  # an rsatoolbox RDMs object
        rdms = rdms.get_vectors()
    a = _f64(rdms)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise InputError(
            f"{name} must be one condensed RDM (1-D) or a stack of them (2-D, one per row); "
            f"got shape {a.shape}"
        )
    return np.ascontiguousarray(a)


def rdm(
    X: Any,
    method: str = "correlation",
    *,
    noise: Any = None,
    conditions: Any = None,
    folds: Any = None,
    prior_lambda: float = 1.0,
    prior_weight: float = 0.1,
    estimate: bool = False,
    force: bool = False,
    condition_order: Any = "auto",
    undefined: str = "raise",
) -> Any:
    """Condensed RDM of the rows (measurements) of ``X`` (measurements x channels).

    Parameters
    ----------
    X : array (measurements x channels) or rsatoolbox ``Dataset``
        Anything ``np.asarray`` accepts (torch CPU tensors, xarray ...). For a
        ``Dataset``, ``conditions`` and ``folds`` may name its observation
        descriptors.
    method : {"euclidean", "correlation", "cosine", "mahalanobis", "crossnobis", "poisson", "poisson_cv"}
        ``euclidean`` is the squared distance divided by the number of channels
        (rsatoolbox's convention); ``mahalanobis``/``crossnobis`` use ``noise``.
        ``poisson_cv`` is ``poisson`` cross-validated over ``folds`` (rates of
        the other folds against the held-out fold's log rates, averaged over
        folds; rsatoolbox 0.3.2's ``poisson_cv`` returns its last fold only).
    noise : array (channels x channels), or one per fold, optional
        Noise precision; see :func:`noise_precision`. For ``crossnobis``, a
        list (or a folds x channels x channels array) gives each fold its
        own precision, in the order of the sorted fold labels: every pair of
        folds (i < j) is then compared through ((Λ_i⁻¹ + Λ_j⁻¹)/2)⁻¹ and the
        pairs averaged (rsatoolbox's ``calc_rdm`` with a list of noises);
        with one precision, crossnobis leaves one fold out at a time.
    conditions : labels, optional
        Condition of each row; rows of one condition are averaged; the RDM's
        conditions are in ``condition_order``.
    folds : labels, optional
        Fold (e.g. run) of each row, for ``crossnobis`` (leave-one-fold-out).
    estimate : bool
        Return the predicted peak memory (above ``X``) and time as an
        :class:`~repscope.preflight.Estimate` instead of computing.
    force : bool
        Run even when that prediction exceeds the memory available (without
        it such a job raises :class:`~repscope.errors.TooLargeError`).
    condition_order : {"auto", "sorted", "appearance"} or a sequence of labels
        ``auto`` (default): numerically when every label reads as a number
        (also number strings: "2" before "10"), else sorted as strings.
        ``sorted``: as ``np.unique`` sorts the labels (strings character by
        character, so "10" before "2"; rsatoolbox's order). ``appearance``:
        first seen first. A sequence: that order, each label once.
        :func:`condition_names` gives the order.
    undefined : {"raise", "nan"}
        A ``correlation`` (``cosine``) distance of a condition whose pattern
        is constant across channels (all zeros) is undefined: ``raise`` an
        :class:`~repscope.errors.InputError`, or give ``nan`` at every pair of
        that condition (rsatoolbox's result; all NaN for one channel).

    Returns
    -------
    ndarray of shape (n_conditions * (n_conditions - 1) / 2,), or an Estimate

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.array([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]])
    >>> rs.rdm(X, "euclidean")
    array([12.5, 50. , 12.5])
    """
    if hasattr(X, "measurements") and hasattr(X, "obs_descriptors"):
        # An rsatoolbox Dataset: descriptor names select its labels.
        descriptors = X.obs_descriptors
        conditions = descriptors[conditions] if isinstance(conditions, str) else conditions
        folds = descriptors[folds] if isinstance(folds, str) else folds
        X = X.measurements
    X = _floats(X, "X")
    per_fold = None
    if noise is not None:
        if isinstance(noise, (list, tuple)) or np.ndim(noise) == 3:
            if method != "crossnobis":
                raise InputError(
                    f"one noise precision per fold is for crossnobis; {method!r} takes one "
                    "(channels x channels) precision"
                )
            shapes = {np.shape(n) for n in noise}
            if len(shapes) != 1:
                raise InputError(
                    f"the noise precisions per fold must all be channels x channels, got shapes "
                    f"{sorted(shapes)}"
                )
            per_fold = np.ascontiguousarray(np.stack([np.asarray(n, dtype=np.float64) for n in noise]))
            noise = None
        else:
            noise = _f64(noise)
    if undefined not in ("raise", "nan"):
        raise InputError(f"undefined must be 'raise' or 'nan', got {undefined!r}")
    return _repscope.rdm(
        X, method, noise, _ordered(conditions, condition_order), _labels(folds), prior_lambda,
        prior_weight, bool(estimate), bool(force), undefined == "nan", per_fold,
    )


def cross_rdm(
    A: Any,
    B: Any,
    method: str = "correlation",
    *,
    noise: Any = None,
    conditions_a: Any = None,
    conditions_b: Any = None,
) -> np.ndarray:
    """Cross-run RDM: the dissimilarity of every condition's pattern in one
    set of measurements (a run, half of the data) to every condition's
    pattern in another, as a full matrix (rsatoolbox issue #280).

    Unlike :func:`rdm` it is not symmetric and its diagonal is not 0: the
    diagonal says how reproducible each condition's pattern is, and the
    off-diagonal entries carry no noise shared within a run. With the same
    set twice it is :func:`rdm` in square form.

    Parameters
    ----------
    A, B : arrays (measurements x channels), the same channels
    method : {"correlation", "cosine", "euclidean", "mahalanobis"}
    noise : noise precision (channels x channels) for ``mahalanobis``
    conditions_a, conditions_b : labels, optional
        Rows of one condition are averaged first (conditions in the order of
        :func:`condition_names`); without them every row is a condition.

    Returns
    -------
    ndarray (conditions of A x conditions of B)

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> run1 = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0], [2.0, 3.0, 1.0]])
    >>> rs.cross_rdm(run1, run1 + 0.5).round(3)
    array([[0. , 1.5, 1.5],
           [1.5, 0. , 1.5],
           [1.5, 1.5, 0. ]])
    """
    def means(x: Any, labels: Any) -> np.ndarray:
        x = _f64(x, "A and B")
        if x.ndim != 2:
            raise InputError(f"cross_rdm takes 2-D arrays (measurements x channels), got shape {x.shape}")
        if labels is None:
            return np.ascontiguousarray(x)
        names, codes = _repscope.label_codes(_labels(labels) or [])
        codes_arr = np.asarray(codes)
        if len(codes_arr) != len(x):
            raise InputError(f"{len(codes_arr)} condition labels for {len(x)} measurements")
        return np.ascontiguousarray(np.stack([x[codes_arr == c].mean(0) for c in range(len(names))]))

    precision = None if noise is None else np.ascontiguousarray(_f64(noise))
    return np.asarray(_repscope.cross_rdm(means(A, conditions_a), means(B, conditions_b), method,
                                          precision))


def rdm_unbalanced(
    X: Any,
    conditions: Any,
    method: str = "euclidean",
    *,
    folds: Any = None,
    noise: Any = None,
    weighting: str = "number",
    condition_order: Any = "auto",
    prior_lambda: float = 1.0,
    prior_weight: float = 0.1,
) -> np.ndarray:
    """Condensed RDM of an unbalanced design: conditions measured unequally
    often, measurements that miss channels (NaN); rsatoolbox's
    ``calc_rdm_unbalanced``.

    Every pair of measurements gives a similarity (their inner product over
    the channels both measure, through ``noise`` for ``mahalanobis`` and
    ``crossnobis``) and a weight (that number of channels). Per pair of
    conditions (a, b), S_ab pools the similarities over i in a, j in b:
    summed and divided by the summed weights (``weighting="number"``) or
    averaged per channel (``"equal"``); d(a, b) = S_aa + S_bb - 2 S_ab.
    Without ``folds`` a measurement pairs with itself at half weight, so
    complete, balanced data give :func:`rdm`'s ``euclidean`` RDM; with
    ``folds`` only pairs from different folds count (cross-validated).
    ``crossnobis`` without folds treats every measurement as its own fold,
    as rsatoolbox does. ``correlation`` takes half a pair's Pearson
    correlation per channel as its similarity (one measurement per condition
    gives 1 - r), ``poisson``/``poisson_cv`` the Poisson similarity of the
    prior-smoothed rates. With missing channels each similarity is over the
    channels the pair shares (the correlation's means and variances too); a
    pair sharing fewer than 2 channels, or constant over them, has no
    correlation and is left out. (rsatoolbox 0.3.2's correlation with missing
    channels centres and scales by the total channel count, so it is not a
    correlation over the shared channels; repscope follows the definition.
    rsatoolbox 0.3.2's ``"equal"`` weighting differs
    from this definition without folds or with missing channels: it adds a
    measurement's similarity with itself at no weight.)

    Parameters
    ----------
    X : array (measurements x channels), NaN for missing channels
    conditions : labels, one per measurement
    method : {"euclidean", "mahalanobis", "crossnobis", "correlation", "poisson", "poisson_cv"}
    folds : labels (e.g. runs), optional
    noise : array (channels x channels), optional (complete data only)
    weighting : {"number", "equal"}
    condition_order : as for :func:`rdm` (rsatoolbox: ``"appearance"``)

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.array([[0.0, 0.0], [0.0, 2.0], [3.0, 4.0], [6.0, 8.0], [6.0, np.nan]])
    >>> rs.rdm_unbalanced(X, ["a", "a", "b", "c", "c"]).round(3)  # doctest: +NORMALIZE_WHITESPACE
    array([ 9.   , 36.767,  8.767])
    """
    methods = ("euclidean", "mahalanobis", "crossnobis", "correlation", "poisson", "poisson_cv")
    if method not in methods:
        raise InputError(f"rdm_unbalanced computes {', '.join(methods)} RDMs, not {method!r}")
    if weighting not in ("number", "equal"):
        raise InputError(f"weighting must be 'number' or 'equal', got {weighting!r}")
    x = np.ascontiguousarray(_f64(X, "X"))
    if method in ("crossnobis", "poisson_cv") and folds is None:
        folds = np.arange(x.shape[0])
    inner = method in ("euclidean", "mahalanobis", "crossnobis")
    precision = None if noise is None or not inner or method == "euclidean" \
        else np.ascontiguousarray(_f64(noise))
    similarity = "inner" if inner else ("correlation" if method == "correlation" else "poisson")
    return np.asarray(_repscope.rdm_unbalanced(
        x, _ordered(conditions, condition_order) or [], precision, _labels(folds),
        weighting == "equal", similarity, float(prior_lambda), float(prior_weight)))


def condition_names(conditions: Any, condition_order: Any = "auto") -> list[str]:
    """The conditions of an RDM of :func:`rdm` in their order (its rows and
    columns), for ``conditions`` labels and a ``condition_order``.

    Examples
    --------
    >>> import repscope as rs
    >>> rs.condition_names(["1", "2", "10", "2"])
    ['1', '2', '10']
    >>> rs.condition_names(["1", "2", "10", "2"], "sorted")
    ['1', '10', '2']
    """
    if _is_auto(condition_order):
        return _repscope.label_codes(_labels(conditions) or [])[0]
    return [str(v) for v in _order_of(conditions, condition_order)]


def _is_auto(condition_order: Any) -> bool:
    if not isinstance(condition_order, str) and not hasattr(condition_order, "__iter__"):
        raise InputError(
            f"condition_order must be 'auto', 'sorted', 'appearance' or a sequence of labels, "
            f"got {condition_order!r}"
        )
    return isinstance(condition_order, str) and condition_order == "auto"


def _order_of(conditions: Any, condition_order: Any) -> list[Any]:
    """The distinct labels of ``conditions`` in ``condition_order`` (not auto)."""
    values = np.asarray(conditions).ravel()
    if isinstance(condition_order, str):
        if condition_order == "sorted":
            return list(np.unique(values))
        if condition_order == "appearance":
            _, first = np.unique(values, return_index=True)
            return [values[i] for i in sorted(first)]
        raise InputError(
            f"condition_order must be 'auto', 'sorted', 'appearance' or a sequence of "
            f"labels, got {condition_order!r}"
        )
    order = list(condition_order)
    given = [str(v) for v in order]
    present = set(str(v) for v in values.tolist())
    if len(set(given)) != len(given) or set(given) != present:
        missing = sorted(present - set(given))
        extra = sorted(set(given) - present)
        raise InputError(
            "condition_order must list every condition label exactly once"
            + (f"; missing {missing}" if missing else "")
            + (f"; not among the labels {extra}" if extra else "")
        )
    return order


def _ordered(conditions: Any, condition_order: Any) -> Optional[list[str]]:
    """Condition labels as the core takes them: as given for the auto
    order, else each label's position in the chosen order (numbers, which
    the core orders numerically)."""
    if conditions is None or _is_auto(condition_order):
        return _labels(conditions)
    rank = {str(v): i for i, v in enumerate(_order_of(conditions, condition_order))}
    return [str(rank[str(v)]) for v in np.asarray(conditions).ravel().tolist()]


@overload
def compare_rdms(
    a: Sequence[float], b: Sequence[float], compare: str = ..., *, sigma_k: Any = ...
) -> float: ...
# Otherwise the dimensions decide (float for two 1-D RDMs, else an array),
# which the checker cannot see.
@overload
def compare_rdms(a: Any, b: Any, compare: str = ..., *, sigma_k: Any = ...) -> Any: ...
@renamed(method="compare")
def compare_rdms(
    a: Any, b: Any, compare: str = "spearman", *, sigma_k: Any = None
) -> Union[np.ndarray, float]:
    """Compare RDMs: a float for two single RDMs, else an (len(a), len(b)) array.

    Comparisons (``compare``): ``cosine``, ``corr``, ``spearman``, ``rho_a``, ``kendall_a``
    (tau-a, O(m log m)), ``kendall_b``, ``cosine_cov``, ``corr_cov`` (whitened;
    ``sigma_k``: one pattern variance per condition), ``bures``,
    ``bures_metric``, ``neg_riem_dist`` (the negative Riemannian distance of
    the second moments, the first RDM's fitted with a scale and a noise
    term; minimised to 1e-10 where rsatoolbox stops at 1e-4). rsatoolbox's
    spellings (``tau-a``, ``rho-a``, ``kendall`` ...) work too.
    Positions that are NaN in any RDM are dropped; both sets must have NaN at
    the same positions.

    Examples
    --------
    >>> import repscope as rs
    >>> round(rs.compare_rdms([1.0, 2.0, 3.0], [2.0, 4.0, 7.0], "spearman"), 12)
    1.0
    """
    single = not any(hasattr(r, "get_vectors") for r in (a, b)) and np.ndim(a) == 1 and np.ndim(b) == 1
    sk = None if sigma_k is None else np.require(_f64(sigma_k).ravel(), requirements=["C", "A"])
    out = _repscope.compare_rdms(_stack(a, "a"), _stack(b, "b"), compare, sk)
    return float(out[0, 0]) if single else out


def _per_rdm(fn: Callable[[np.ndarray], np.ndarray], rdms: Any) -> np.ndarray:
    a = _f64(rdms.get_vectors() if hasattr(rdms, "get_vectors") else rdms)
    if a.ndim == 1:
        return fn(np.ascontiguousarray(a))
    return np.stack([fn(np.ascontiguousarray(row)) for row in a])


def geotopological(rdm: Any, low: float, up: float) -> np.ndarray:
    """Geo-topological transform (Lin & Kriegeskorte): 0 below the ``low``
    quantile, 1 above the ``up`` quantile, linear between.

    Quantiles are taken per RDM. Differences from rsatoolbox 0.3 (which pools
    quantiles over all RDMs of its object, forces to 1 any scaled value above
    the unscaled upper threshold when that threshold is below 1, and modifies
    its input): repscope follows the definition and never mutates its input.
    An RDM whose dissimilarities are all equal (e.g. all 0) gives 0
    everywhere here and NaN in rsatoolbox.

    Parameters
    ----------
    rdm : condensed RDM, 2-D stack of them (one per row), or rsatoolbox ``RDMs``
        Complete (finite) dissimilarities.
    low, up : float
        Quantiles of each RDM's dissimilarities, ``0 <= low <= up <= 1``.

    Returns
    -------
    ndarray
        The transformed RDM(s), same shape as ``rdm``, in [0, 1].

    Examples
    --------
    >>> import repscope as rs
    >>> rs.geotopological([1.0, 2.0, 3.0, 5.0, 6.0, 7.0], 0.2, 0.8)
    array([0.  , 0.  , 0.25, 0.75, 1.  , 1.  ])
    """
    return _per_rdm(lambda v: _repscope.geotopological(v, float(low), float(up)), rdm)


def geodesic(rdm: Any) -> np.ndarray:
    """Geodesic transform: min-max scale, drop edges at 1, shortest paths
    (+inf where no path). Unlike rsatoolbox (whose graph drops zero-weight
    edges), a pair at distance 0 stays at 0, and so every pair whose
    shortest path crosses that zero-length edge is shorter here than in
    rsatoolbox (which detours around it): in a 5-condition RDM 4 to 6 of
    the 10 entries. Elsewhere both agree; repscope's value is never the
    larger.

    Parameters
    ----------
    rdm : condensed RDM, 2-D stack of them (one per row), or rsatoolbox ``RDMs``
        Complete (finite) dissimilarities, not all equal.

    Returns
    -------
    ndarray
        Shortest-path lengths, same shape as ``rdm``.

    Examples
    --------
    Three conditions: the largest dissimilarity (pair 0-2) scales to 1, so
    its edge is dropped and the path through condition 1 replaces it.

    >>> import repscope as rs
    >>> rs.geodesic([1.0, 2.0, 3.0])
    array([0. , 0.5, 0.5])
    """
    return _per_rdm(_repscope.geodesic, rdm)


def rank_transform(rdm: Any) -> np.ndarray:
    """Average ranks of each RDM's dissimilarities (1 for the smallest);
    NaN entries stay NaN and are not ranked (rsatoolbox's
    ``rank_transform``).

    Parameters
    ----------
    rdm : condensed RDM, 2-D stack of them (one per row), or rsatoolbox ``RDMs``

    Examples
    --------
    >>> import repscope as rs
    >>> rs.rank_transform([0.5, 0.1, float("nan"), 0.5, 0.2, 0.9])
    array([3.5, 1. , nan, 3.5, 2. , 5. ])
    """
    return _per_rdm(lambda v: _repscope.rdm_transform("rank", v), rdm)


def sqrt_transform(rdm: Any) -> np.ndarray:
    """Square roots of the dissimilarities, negatives taken as 0 (squared
    Euclidean or Mahalanobis distances become distances); NaN stays NaN.
    rsatoolbox's ``sqrt_transform`` (which also renames the measure).

    Examples
    --------
    >>> import repscope as rs
    >>> rs.sqrt_transform([4.0, -1.0, 9.0])
    array([2., 0., 3.])
    """
    return _per_rdm(lambda v: _repscope.rdm_transform("sqrt", v), rdm)


def positive_transform(rdm: Any) -> np.ndarray:
    """Negative dissimilarities (noise of unbiased estimates such as
    crossnobis) set to 0; NaN stays NaN (rsatoolbox's ``positive_transform``).

    Examples
    --------
    >>> import repscope as rs
    >>> rs.positive_transform([0.3, -0.1, 0.2])
    array([0.3, 0. , 0.2])
    """
    return _per_rdm(lambda v: _repscope.rdm_transform("positive", v), rdm)


def minmax_transform(rdm: Any) -> np.ndarray:
    """Each RDM scaled to [0, 1]: (d - min) / (max - min) over its defined
    entries; an RDM whose dissimilarities are all equal gives NaN (0 / 0),
    as in rsatoolbox's ``minmax_transform``.

    Examples
    --------
    >>> import repscope as rs
    >>> rs.minmax_transform([1.0, 3.0, 2.0])
    array([0. , 1. , 0.5])
    """
    return _per_rdm(lambda v: _repscope.rdm_transform("minmax", v), rdm)


def pool_rdm(rdms: Any, compare: Optional[str] = "cosine") -> np.ndarray:
    """The RDM that best represents ``rdms`` under a comparison method (the
    pooled RDM of a noise ceiling; rsatoolbox's ``pool_rdm``).

    Each RDM is normalised as the method sees it (``cosine``,
    ``cosine_cov``: divided by its root mean square; ``corr``, ``corr_cov``:
    z-scored, and the pooled RDM shifted to a minimum of 0; rank methods:
    ranked), then averaged. ``compare=None`` (rsatoolbox's ``"euclid"``)
    averages the RDMs as they are. NaN where any RDM is NaN.

    Parameters
    ----------
    rdms : 2-D array (k x pairs), list of RDMs, or rsatoolbox ``RDMs``
    compare : a comparison of :func:`compare_rdms`, ``"euclid"`` or None

    Returns
    -------
    ndarray (pairs,)

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rs.pool_rdm([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], compare=None)
    array([2., 2., 2.])
    """
    method = None if compare in (None, "euclid", "neg_riem_dist") else compare
    return np.asarray(_repscope.pool_rdm(_stack(rdms, "rdms"), method))


def cv_noise_ceiling(
    data_rdms: Any, folds: Sequence[tuple[Any, Any, Any]], compare: str = "cosine"
) -> tuple[float, float]:
    """(lower, upper) noise ceiling for cross-validated evaluations
    (rsatoolbox's ``cv_noise_ceiling``): per fold, the test subjects' RDMs on
    the test conditions against the pooled RDM (:func:`pool_rdm`) of the
    ceiling subjects (lower bound; typically the training subjects) and of
    all subjects (upper bound), each restricted to the test conditions;
    averaged over the test subjects, then over the folds.

    Parameters
    ----------
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
    folds : sequence of (ceiling subjects, test subjects, test conditions)
        Index lists into the subjects and conditions.
    compare : a comparison of :func:`compare_rdms`

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> data = rng.random(45) + 0.3 * rng.random((6, 45))
    >>> lower, upper = rs.cv_noise_ceiling(data, [([0, 1, 2], [3, 4, 5], range(5)),
    ...                                           ([3, 4, 5], [0, 1, 2], range(5, 10))])
    >>> bool(0 < lower < upper <= 1)
    True
    """
    data = _stack(data_rdms, "data_rdms")
    n = _n_conditions(data)
    if not len(folds):
        raise InputError("cv_noise_ceiling needs at least one fold")
    pooled_all = pool_rdm(data, compare)
    lows, ups = [], []
    for fold in folds:
        try:
            ceiling, test_subjects, test_conditions = fold
        except (TypeError, ValueError) as e:
            raise InputError(
                "each fold is (ceiling subjects, test subjects, test conditions)") from e
        conds = sorted(set(int(c) for c in test_conditions))
        if len(conds) < 3 or conds[0] < 0 or conds[-1] >= n:
            raise InputError(
                f"a fold's test conditions must be at least 3 of the {n} conditions, got {conds}")
        positions = [i * n - i * (i + 1) // 2 + (j - i - 1)
                     for a, i in enumerate(conds) for j in conds[a + 1:]]
        subjects = [np.asarray(s).ravel() for s in (ceiling, test_subjects)]
        for s in subjects:
            if s.size == 0 or s.dtype.kind not in "iu" or s.min() < 0 or s.max() >= len(data):
                raise InputError(f"a fold's subjects must be indices of the {len(data)} subjects "
                                 f"(0 to {len(data) - 1}), got {s.tolist()}")
        test = data[np.asarray(test_subjects, dtype=np.int64)][:, positions]
        ceil = pool_rdm(data[np.asarray(ceiling, dtype=np.int64)], compare)[positions]
        lows.append(float(np.mean(compare_rdms(ceil, test, compare))))
        ups.append(float(np.mean(compare_rdms(pooled_all[positions], test, compare))))
    return float(np.mean(lows)), float(np.mean(ups))


@renamed(method="compare")
def noise_ceiling(data_rdms: Any, compare: str = "corr") -> tuple[float, float]:
    """(lower, upper) noise ceiling: each subject's RDM against the pooled
    RDM of the others (lower) and of all (upper), averaged over subjects.

    Parameters
    ----------
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
        At least 2 subjects.
    compare : str
        A comparison of :func:`compare_rdms`.

    Returns
    -------
    (float, float)
        The lower and upper bound.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(size=(8, 5))
    >>> data = [rs.rdm(truth + 0.5 * rng.normal(size=(8, 5)), "euclidean") for _ in range(5)]
    >>> lower, upper = rs.noise_ceiling(data)
    >>> 0 < lower < upper <= 1
    True
    """
    return _repscope.noise_ceiling(_stack(data_rdms, "data_rdms"), compare)


#: Bootstrap evaluation of models (:func:`rsa_bootstrap`): ``mean``,
#: ``sem``, ``ci_low``, ``ci_high`` (n_models,); ``noise_ceiling`` (lower,
#: upper); ``p_pairwise`` (n_models, n_models), two-sided t-tests;
#: ``p_zero`` (one-sided against 0); ``p_noise_ceiling`` (two-sided against
#: the lower bound); ``p_noise_ceiling_zero`` (+ ``_bootstrap``): the lower
#: noise ceiling against 0, one-sided; ``p_pairwise_bootstrap``, ``p_zero_bootstrap``
#: (rsatoolbox's ``test_type="bootstrap"``); ``evaluations`` (n_samples,
#: n_models), NaN rows for invalid samples; ``noise_ceiling_samples`` (2,
#: n_samples); ``dof``, ``n_valid``; ``names``; ``method`` (the comparison).
#: ``to_pandas()`` gives one row per model, ``plot(path)`` bars with the
#: noise ceiling.
RSAResult = _repscope.RSAResult

#: Cross-validated evaluation (:func:`rsa_crossval`): ``names``, ``mean``,
#: ``sem`` (n_models,), ``evaluations`` (folds, models), ``weights`` (per
#: fold, the weights per model; empty for fixed models); ``noise_ceiling``
#: (lower, upper, averaged over folds), ``noise_ceiling_folds`` and
#: ``test_conditions`` (per fold: the noise ceiling of the held-out
#: conditions, as rsatoolbox's ``crossval``, and those conditions);
#: indexable as a dict (``cv["mean"]``).
CrossValidation = _repscope.CrossValidation


def mds(rdm: Any, dims: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS of one condensed RDM, entries taken as
    distances: an (n_conditions, dims) array of coordinates.

    Parameters
    ----------
    rdm : 1-D array
        One complete (finite) condensed RDM.
    dims : int
        Number of dimensions (clamped to 1 ... n_conditions).

    Returns
    -------
    ndarray of shape (n_conditions, dims)
        Coordinates, centred; each axis's sign is fixed so that its first
        non-zero coordinate is positive.

    Examples
    --------
    Euclidean distances of points in a plane are recovered exactly (up to a
    rotation):

    >>> import numpy as np, repscope as rs
    >>> P = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0], [1.0, 1.0]])
    >>> i, j = np.triu_indices(4, k=1)  # condensed (pdist) order
    >>> d = np.linalg.norm(P[i] - P[j], axis=1)
    >>> Y = rs.mds(d)
    >>> Y.shape, bool(np.allclose(np.linalg.norm(Y[i] - Y[j], axis=1), d))
    ((4, 2), True)
    """
    return _repscope.mds(np.require(_f64(rdm), requirements=["C", "A"]), int(dims))


@renamed(method="compare", n="n_boot")
def rsa_bootstrap(
    models: Any,
    data_rdms: Any,
    compare: str = "corr",
    n_boot: int = 1000,
    over: str = "patterns",
    seed: int = 0,
    ci: float = 0.95,
    names: Optional[Sequence[str]] = None,
) -> RSAResult:
    """Bootstrap evaluation of fixed model RDMs against data RDMs (subjects).

    Seeded; the same seed gives the same numbers on any number of threads.

    Parameters
    ----------
    models : 2-D array (models x pairs), list of RDMs, dict name -> RDM, or rsatoolbox ``RDMs``
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
    compare : str
        A comparison of :func:`compare_rdms`.
    n_boot : int
        Number of bootstrap samples.
    over : {"patterns", "rdms", "both"}
        Resample conditions, subjects, or both.
    seed : int
    ci : float
        Level of the percentile confidence intervals, in (0, 1).
    names : sequence of str, optional
        Model names (default ``model0``, ``model1`` ...).

    Returns
    -------
    RSAResult
        The whole inference in one object: ``to_pandas()`` is the tidy
        table (a row per model: mean, sem, interval, p-values against 0 and
        the noise ceiling, the noise ceiling itself, valid samples),
        ``plot(path)`` the bar figure with intervals, significance stars
        and the noise-ceiling band, and in a notebook both show by
        themselves; ``rs.report({"models": result}, "page.html")`` puts
        them on a page.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(size=(8, 5))
    >>> data = [rs.rdm(truth + 0.5 * rng.normal(size=(8, 5)), "euclidean") for _ in range(5)]
    >>> models = [rs.rdm(truth, "euclidean"), rs.rdm(rng.normal(size=(8, 5)), "euclidean")]
    >>> r = rs.rsa_bootstrap(models, data, n_boot=100, seed=1)
    >>> r.names, r.mean.shape, r.ci_low.shape
    (['model0', 'model1'], (2,), (2,))
    >>> bool(r.mean[0] > r.mean[1])  # the true model wins
    True
    >>> again = rs.rsa_bootstrap(models, data, n_boot=100, seed=1)
    >>> bool((again.mean == r.mean).all())
    True

    Resampling conditions with few of them is unreliable (many samples hold
    fewer than 3 distinct conditions and are dropped, and the variance
    correction rests on few units): below 8 conditions a ``RuntimeWarning``
    says so and suggests ``over="rdms"`` (rsatoolbox issue #334).
    """
    data = _stack(data_rdms, "data_rdms")
    if isinstance(models, Mapping):  # {name: model RDM}: names from the keys
        names = list(names) if names is not None else [str(k) for k in models]
        models = list(models.values())
    result = _repscope.rsa_bootstrap(
        _stack(models, "models"), data, compare, int(n_boot), over,
        int(seed), float(ci), None if names is None else list(names),
    )
    n_cond = _n_conditions(data)
    if over in ("patterns", "both") and n_cond < _FEW_CONDITIONS:
        import warnings

        dropped = int(n_boot) - int(result.n_valid)
        warnings.warn(
            f"a bootstrap over conditions with {n_cond} conditions is unreliable: {dropped} of "
            f"{int(n_boot)} samples held fewer than 3 distinct conditions and were dropped, and "
            f"the variance estimate rests on {n_cond} units; resample subjects (over='rdms') "
            "or use more conditions",
            RuntimeWarning,
            stacklevel=2,
        )
    return result


#: Fewer conditions than this make a bootstrap over conditions unreliable.
_FEW_CONDITIONS = 8


def rsa_compare_groups(
    models: Any,
    group_a: Any,
    group_b: Any,
    compare: str = "corr",
    n_boot: int = 1000,
    over: str = "both",
    seed: int = 0,
    ci: float = 0.95,
    names: Optional[Sequence[str]] = None,
) -> dict[str, Any]:
    """Does a model explain one group's RDMs better than another's (patients
    vs controls, two species, two networks)? Both groups are bootstrapped:
    each sample draws each group's subjects with replacement and, with
    ``over="both"``, one set of conditions shared by the two groups (the
    stimuli are the same); the statistic is the difference of the mean
    evaluations, A minus B (rsatoolbox issue #183).

    Parameters
    ----------
    models : 2-D array (models x pairs), list of RDMs, or rsatoolbox ``RDMs``
    group_a, group_b : 2-D arrays (subjects x pairs), or rsatoolbox ``RDMs``
        The same conditions in the same order; any number of subjects each.
    compare : a comparison of :func:`compare_rdms`
    n_boot : bootstrap samples
    over : {"both", "rdms"}
        Resample subjects and conditions, or subjects only.
    seed, ci : the seed of the draws; the level of the percentile interval.
    names : model names (default ``model0`` ...).

    Returns
    -------
    dict
        ``names``; ``observed`` (the difference on the data as given),
        ``mean_a``, ``mean_b``, ``difference`` (bootstrap means), ``ci_low``,
        ``ci_high`` (percentile interval of the difference), ``p`` (two-sided
        bootstrap p-value of no difference: twice the smaller share of
        samples on either side of 0, with the +1 correction), and per group
        its ``noise_ceiling_a``/``_b`` (lower, upper); ``differences``
        (samples x models, NaN rows for samples with fewer than 3 distinct
        conditions); ``n_valid``.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.random(28)
    >>> a = truth + 0.1 * rng.standard_normal((6, 28))   # close to the model
    >>> b = truth + 1.0 * rng.standard_normal((7, 28))   # far noisier
    >>> out = rs.rsa_compare_groups([truth], a, b, n_boot=200, seed=1)
    >>> bool(out["ci_low"][0] > 0), bool(out["p"][0] < 0.05)
    (True, True)
    """
    if over not in ("both", "rdms"):
        raise InputError(f"over must be 'both' or 'rdms' for two groups, got {over!r}")
    m, a, b = _stack(models, "models"), _stack(group_a, "group_a"), _stack(group_b, "group_b")
    if not (m.shape[1] == a.shape[1] == b.shape[1]):
        raise InputError(
            f"models and both groups need RDMs of the same conditions: {m.shape[1]}, "
            f"{a.shape[1]} and {b.shape[1]} dissimilarities"
        )
    if int(n_boot) < 2:
        raise InputError(f"n_boot must be at least 2, got {n_boot}")
    n_cond = _n_conditions(a)
    _check_draws("rsa_compare_groups", int(n_boot), n_cond + len(a) + len(b))
    rng = np.random.default_rng(int(seed))
    patterns = [rng.integers(0, n_cond, n_cond).tolist() for _ in range(int(n_boot))] \
        if over == "both" else None
    draws = {g: [rng.integers(0, len(x), len(x)).tolist() for _ in range(int(n_boot))]
             for g, x in (("a", a), ("b", b))}
    results = {g: _repscope.rsa_evaluate_samples(m, x, compare, patterns, draws[g],
                                                 min(len(x), n_cond) if patterns else len(x), ci)
               for g, x in (("a", a), ("b", b))}
    ea, eb = (np.asarray(results[g].evaluations) for g in ("a", "b"))
    differences = ea - eb
    ok = np.isfinite(differences).all(axis=1)
    d = differences[ok]
    tail = (1 - float(ci)) / 2
    low, high = np.quantile(d, [tail, 1 - tail], axis=0)
    n = len(d)
    below = (np.sum(d <= 0, axis=0) + 1) / (n + 1)
    above = (np.sum(d >= 0, axis=0) + 1) / (n + 1)
    # On the data as given, by the same rule as the samples (a pair missing
    # in any RDM of a group is left out of that group's comparisons).
    observed = np.asarray(_repscope.rsa_evaluate_samples(
        m, a, compare, None, [list(range(len(a)))], len(a), ci).evaluations[0]) - np.asarray(
        _repscope.rsa_evaluate_samples(m, b, compare, None, [list(range(len(b)))], len(b),
                                       ci).evaluations[0])
    return {
        "names": list(names) if names is not None else [f"model{i}" for i in range(len(m))],
        "observed": np.asarray(observed),
        "mean_a": ea[ok].mean(axis=0),
        "mean_b": eb[ok].mean(axis=0),
        "difference": d.mean(axis=0),
        "ci_low": low,
        "ci_high": high,
        "p": np.minimum(1.0, 2 * np.minimum(below, above)),
        "noise_ceiling_a": tuple(results["a"].noise_ceiling),
        "noise_ceiling_b": tuple(results["b"].noise_ceiling),
        "differences": differences,
        "n_valid": int(n),
    }


@renamed(method="compare")
def fit_weights(
    components: Any, data_rdms: Any, compare: str = "corr", nonnegative: bool = True,
    normalize: bool = True, sigma_k: Any = None,
) -> np.ndarray:
    """Weights of a weighted model (components x pairs) fitted to data RDMs
    for any similarity ``compare``.

    For ``corr``, ``cosine``, ``corr_cov`` and ``cosine_cov`` the fit is
    exact: non-negative least squares on the data pooled for ``compare``, as
    rsatoolbox's ``fit_regress_nn`` (``fit_regress`` with
    ``nonnegative=False``); unit length unless ``normalize=False``. For the
    rank comparisons (``spearman``, ``rho_a``, ``kendall_a``/``tau-a``,
    ``kendall_b``) and ``bures`` the mean comparison is searched directly
    (rsatoolbox's ``fit_optimize_positive``, or ``fit_optimize`` with
    ``nonnegative=False``): Nelder-Mead from the exact ``corr`` fit, each
    component alone and the equal mix, the best kept. A rank score is flat
    between ties, so any weights on the winning plateau are a solution;
    repscope's search is deterministic and scores at least as well as
    rsatoolbox's gradient search in the tests. Positions that are NaN in any
    RDM are left out of a searched fit.
    ``cosine_cov``/``corr_cov`` fit in the whitened space of the comparison
    (:func:`compare_rdms` with the same ``sigma_k``, one variance per
    condition), solved exactly where rsatoolbox iterates to 1e-9; without
    ``sigma_k`` this is rsatoolbox's ``fit_regress``. (With variances,
    rsatoolbox's fitter whitens by another metric than its comparison.)

    Parameters
    ----------
    components : 2-D array (components x pairs) or list of RDMs
        Component RDMs (complete and finite for the exact fits).
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
    compare : a similarity of :func:`compare_rdms` (not ``bures_metric``,
        ``neg_riem_dist``)
    nonnegative : bool
        Non-negative least squares (default); False for ordinary least squares.
    normalize : bool
        Scale the weights to unit length (default; comparisons ignore scale).
    sigma_k : array (conditions,), optional
        Pattern variances for the whitened comparisons.

    Returns
    -------
    ndarray of shape (components,)
        The weights (unit length unless ``normalize=False``; all zero when
        no positive fit exists).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> c1, c2 = rng.random(15), rng.random(15)
    >>> data = [3 * c1 + c2, 3 * c1 + c2]
    >>> w = rs.fit_weights([c1, c2], data)
    >>> bool(np.allclose(w, np.array([3, 1]) / np.sqrt(10)))
    True
    >>> data = [3 * c1 - c2]
    >>> rs.fit_weights([c1, c2], data).round(6), rs.fit_weights([c1, c2], data, nonnegative=False).round(6)
    (array([1., 0.]), array([ 0.948683, -0.316228]))
    """
    sk = None if sigma_k is None else [float(v) for v in np.asarray(sigma_k, dtype=np.float64).ravel()]
    return np.asarray(_repscope.fit_weights(
        _stack(components, "components"), _stack(data_rdms, "data_rdms"), compare, bool(nonnegative),
        bool(normalize), sk))


@renamed(method="compare")
def fit_interpolate(rdms: Any, data_rdms: Any, compare: str = "corr") -> np.ndarray:
    """The parameters of an interpolation model over a series of RDMs
    (rsatoolbox's ``ModelInterpolate`` and ``fit_interpolate``): the model
    predicts ``(1 - w) * rdms[i] + w * rdms[i + 1]`` for the neighbours and
    weight that score best against the data RDMs by ``compare``.

    Each neighbouring pair's w in [0, 1] is found by a 100-step grid refined
    by golden-section search to 1e-10 (rsatoolbox's bounded Brent search, to
    1e-5, can stop in a local optimum); the best pair wins, the first on
    ties. Positions that are NaN in any RDM are left out.

    Parameters
    ----------
    rdms : 2-D array (series x pairs) or list of RDMs
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
    compare : a similarity of :func:`compare_rdms`

    Returns
    -------
    ndarray of shape (series,)
        theta: two neighbouring entries non-zero, summing to 1
        (``theta @ rdms`` is the prediction).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> series = rng.random((4, 28))
    >>> rs.fit_interpolate(series, 0.25 * series[1] + 0.75 * series[2], "cosine").round(6)
    array([0.  , 0.25, 0.75, 0.  ])
    """
    return np.asarray(_repscope.fit_flexible("interpolate", _stack(rdms, "rdms"),
                                             _stack(data_rdms, "data_rdms"), compare))


def fit_select(rdms: Any, data_rdms: Any, compare: str = "corr") -> np.ndarray:
    """The parameters of a selection model (rsatoolbox's ``ModelSelect`` and
    ``fit_select``): the one of ``rdms`` whose mean comparison with the data
    RDMs is largest (the first on ties), as a one-hot vector
    (``np.argmax`` of it is rsatoolbox's index).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> candidates = rng.random((3, 15))
    >>> rs.fit_select(candidates, [candidates[2] + 0.01 * rng.random(15)], "spearman")
    array([0., 0., 1.])
    """
    return np.asarray(_repscope.fit_flexible("select", _stack(rdms, "rdms"),
                                             _stack(data_rdms, "data_rdms"), compare))


@renamed(method="compare")
def rsa_crossval(
    models: Any, data_rdms: Any, compare: str = "corr", k: int = 4, seed: int = 0
) -> CrossValidation:
    """Cross-validated evaluation over condition folds.

    Conditions are shuffled (with ``seed``) into ``k`` folds; each fold's
    conditions are held out in turn, weighted models are fitted on the other
    conditions (:func:`fit_weights`) and every model is compared with the
    data RDMs on the held-out pairs, averaged over subjects.

    Parameters
    ----------
    models : dict name -> model, or list of models
        A 1-D RDM is a fixed model, a 2-D (components x pairs) array a
        weighted one; ``("interpolate", rdms)`` and ``("select", rdms)`` are
        interpolation and selection models (``("weighted", rdms)`` and
        ``("fixed", rdm)`` are accepted too), and so are rsatoolbox's
        ``ModelFixed``, ``ModelWeighted``, ``ModelInterpolate`` and
        ``ModelSelect``. Flexible models are fitted on the training
        conditions (:func:`fit_weights`, :func:`fit_interpolate`,
        :func:`fit_select`).
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
    compare : str
        A comparison of :func:`compare_rdms`.
    k : int
        Number of folds; at least 2, with at least 3 conditions in each.
    seed : int

    Returns
    -------
    CrossValidation
        ``names`` (list of str), ``mean`` and ``sem`` (ndarray (models,)),
        ``evaluations`` (ndarray (folds, models)) and ``weights`` (a list per
        fold of the weights per model; empty for fixed models).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(size=(12, 4))
    >>> data = [rs.rdm(truth + 0.3 * rng.normal(size=(12, 4)), "euclidean") for _ in range(4)]
    >>> models = {
    ...     "random": rs.rdm(rng.normal(size=(12, 4)), "euclidean"),
    ...     "parts": np.stack([rs.rdm(truth[:, :2], "euclidean"), rs.rdm(truth[:, 2:], "euclidean")]),
    ... }
    >>> out = rs.rsa_crossval(models, data, k=3)
    >>> out["names"], out["evaluations"].shape, len(out["weights"][0][1])
    (['random', 'parts'], (3, 2), 2)
    >>> bool(out["mean"][1] > out["mean"][0])
    True
    """
    names, arrays, kinds = _model_arrays(models)
    return _repscope.rsa_crossval(
        arrays, kinds, _stack(data_rdms, "data_rdms"), compare, int(k), int(seed), names
    )


def rsa_bootstrap_crossval(
    models: Any,
    data_rdms: Any,
    compare: str = "corr",
    k: int = 4,
    n_boot: int = 1000,
    over: str = "both",
    seed: int = 0,
    ci: float = 0.95,
    n_cv: int = 2,
    use_correction: bool = True,
) -> RSAResult:
    """Bootstrap cross-validation (rsatoolbox's ``bootstrap_crossval``):
    each bootstrap sample (conditions and/or subjects drawn with
    replacement) is cross-validated over ``k`` folds of its distinct
    conditions, so flexible models are scored on conditions they were not
    fitted to, and the spread over samples gives intervals and tests.

    A condition drawn c times counts as c copies (pairs of copies of one
    condition left out); flexible models are fitted (:func:`rsa_crossval`
    says how) on the other folds' conditions and every model and the noise
    ceiling are evaluated on the fold's. A sample's value is its mean over
    folds; samples with a fold of fewer than 3 distinct conditions are
    invalid (NaN) and left out of the summary.

    Parameters
    ----------
    models : as :func:`rsa_crossval` (fixed, weighted, interpolation and
        selection models; a dict names them). Flexible models are fitted on a
        sample's training pairs, so ``compare`` is ``cosine``, ``corr`` or a
        rank comparison.
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
    compare, k, n_boot, seed, ci : the comparison, folds, samples, the seed
        of the draws, the interval level
    over : {"both", "patterns", "rdms"}
    n_cv : int
        Cross-validations of each sample, each with new folds (rsatoolbox's
        default, 2).
    use_correction : bool
        With ``n_cv >= 2``, correct the variances for the randomness of the
        fold assignment as rsatoolbox does: with n repetitions,
        (n * cov(mean over repetitions) - mean of the repetitions' cov) / (n - 1),
        the covariance projected to infinitely many assignments. (With
        ``n_cv=1`` there is nothing to correct; rsatoolbox raises there.)

    Returns
    -------
    RSAResult
        As :func:`rsa_bootstrap` (``evaluations``: samples x models, the mean
        over folds and repetitions), the variances also corrected by
        n/(n - 1) for the resampled units.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(size=(16, 4))
    >>> data = [rs.rdm(truth + 0.3 * rng.normal(size=(16, 4)), "euclidean") for _ in range(5)]
    >>> models = {"random": rs.rdm(rng.normal(size=(16, 4)), "euclidean"),
    ...           "parts": np.stack([rs.rdm(truth[:, :2], "euclidean"), rs.rdm(truth[:, 2:], "euclidean")])}
    >>> r = rs.rsa_bootstrap_crossval(models, data, k=2, n_boot=50, seed=1)
    >>> r.names, bool(r.mean[1] > r.mean[0])
    (['random', 'parts'], True)
    """
    if over not in ("both", "patterns", "rdms"):
        raise InputError(f"over must be 'both', 'patterns' or 'rdms', got {over!r}")
    if int(k) < 2 or int(n_boot) < 2 or int(n_cv) < 1:
        raise InputError(f"k and n_boot must be at least 2 and n_cv at least 1, got k={k}, "
                         f"n_boot={n_boot}, n_cv={n_cv}")
    names, arrays, kinds = _model_arrays(models)
    data = _stack(data_rdms, "data_rdms")
    n_subjects = data.shape[0]
    n_cond = _n_conditions(data)
    # A bootstrap over conditions holds about 63% of them, distinct.
    usable = n_cond if over == "rdms" else int(0.63 * n_cond)
    if usable < 3 * int(k):
        raise InputError(
            f"{k} folds need at least 3 distinct conditions each: {n_cond} conditions give about "
            f"{usable} distinct ones per sample{'' if over == 'rdms' else ' (a bootstrap over conditions draws about 63%)'}; "
            "use fewer folds or resample subjects only (over='rdms')"
        )
    _check_draws("rsa_bootstrap_crossval", int(n_boot) * int(n_cv), n_cond + n_subjects)
    patterns, subjects, test_sets = _crossval_draws(n_cond, n_subjects, int(k), int(n_boot), over,
                                                    int(seed), int(n_cv))
    n_effective = {"both": min(n_subjects, n_cond), "patterns": n_cond, "rdms": n_subjects}[over]
    return _repscope.rsa_bootstrap_crossval(arrays, kinds, data, compare, patterns, subjects,
                                            test_sets, bool(use_correction), n_effective, float(ci),
                                            names)


def _model_arrays(models: Any) -> tuple[list[str], list[np.ndarray], list[str]]:
    """Names, arrays (one row per RDM) and kinds of a list or dict of
    models. A model is a 1-D RDM (fixed), a 2-D array (weighted components),
    a ``(kind, rdms)`` pair with kind "fixed", "weighted", "interpolate" or
    "select", or an rsatoolbox ``ModelFixed``/``ModelWeighted``/
    ``ModelInterpolate``/``ModelSelect`` (named by its ``name``)."""
    if isinstance(models, Mapping):
        names: list[Any] = list(models)
        items = list(models.values())
    else:
        items = list(models)
        names = [getattr(m, "name", None) or f"model{i}" for i, m in enumerate(items)]
    arrays, kinds = [], []
    for m in items:
        kind, rdms = _model_kind(m)
        a = _f64(rdms)
        if kind == "fixed" and a.ndim != 1:
            raise InputError(f"a fixed model is one RDM (1-D), got shape {a.shape}")
        arrays.append(np.ascontiguousarray(a if a.ndim == 2 else a[None, :]))
        kinds.append(kind)
    return [str(n) for n in names], arrays, kinds


_RSATOOLBOX_MODELS = {"ModelFixed": "fixed", "ModelWeighted": "weighted",
                      "ModelInterpolate": "interpolate", "ModelSelect": "select"}


def _model_kind(model: Any) -> tuple[str, Any]:
    """(kind, RDMs) of one model as :func:`_model_arrays` accepts it."""
    rsatoolbox_kind = _RSATOOLBOX_MODELS.get(type(model).__name__)
    if rsatoolbox_kind is not None and hasattr(model, "rdm"):
        rdms = np.asarray(model.rdm, dtype=np.float64)
        return rsatoolbox_kind, rdms.ravel() if rsatoolbox_kind == "fixed" else np.atleast_2d(rdms)
    if isinstance(model, tuple) and len(model) == 2 and isinstance(model[0], str):
        if model[0] not in ("fixed", "weighted", "interpolate", "select"):
            raise InputError(f"unknown model kind {model[0]!r}: use 'fixed', 'weighted', "
                             "'interpolate' or 'select'")
        return model[0], model[1]
    a = _f64(model)
    return ("weighted" if a.ndim == 2 else "fixed"), a


def _check_draws(what: str, count: int, values_each: int) -> None:
    """Refuses more draws than one call takes or memory holds, before
    drawing them: a Python list keeps about 5 float64s' worth per index."""
    _repscope.check_resamples(what, min(count, 2**63), 5 * values_each)


def _crossval_draws(n_cond: int, n_subjects: int, k: int, n_boot: int, over: str, seed: int,
                    n_cv: int = 1) -> tuple[list[list[int]], list[list[int]], list[list[list[list[int]]]]]:
    """The draws of :func:`rsa_bootstrap_crossval`, from numpy's seeded
    generator: per sample the subjects, the conditions and, for each of the
    ``n_cv`` repetitions, each fold's held-out conditions (the distinct drawn
    conditions shuffled and dealt into k folds). The folds come back as
    ``[repetition][sample][fold]``."""
    rng = np.random.default_rng(seed)
    patterns, subjects = [], []
    test_sets: list[list[list[list[int]]]] = [[] for _ in range(n_cv)]
    for _ in range(n_boot):
        s = rng.integers(0, n_subjects, n_subjects) if over in ("both", "rdms") \
            else np.arange(n_subjects)
        p = np.sort(rng.integers(0, n_cond, n_cond)) if over in ("both", "patterns") \
            else np.arange(n_cond)
        patterns.append(p.tolist())
        subjects.append(s.tolist())
        for rep in test_sets:
            rep.append(_deal_folds(rng, p, k))
    return patterns, subjects, test_sets


def _deal_folds(rng: np.random.Generator, conditions: np.ndarray, k: int) -> list[list[int]]:
    """The distinct ``conditions`` shuffled and dealt into ``k`` folds."""
    order = rng.permutation(np.unique(conditions))
    return [sorted(order[f::k].tolist()) for f in range(k)]


def rsa_dual_bootstrap(
    models: Any,
    data_rdms: Any,
    compare: str = "corr",
    n_boot: int = 1000,
    k: int = 1,
    n_cv: int = 2,
    use_correction: bool = True,
    seed: int = 0,
    ci: float = 0.95,
) -> RSAResult:
    """The dual bootstrap (rsatoolbox's ``eval_dual_bootstrap``; Schütt et
    al. 2023): the uncertainty of model evaluations over new subjects *and*
    new conditions, from three bootstraps sharing their draws.

    Each draw resamples subjects and conditions; the models are evaluated on
    the sample over both, over subjects only and over conditions only. A
    plain bootstrap over both counts each factor's noise twice and
    overestimates the variance; the three covariances are combined per
    contrast with rsatoolbox's small-sample formula (with r = R/(R-1),
    p = P/(P-1) for R subjects, P conditions):
    ``r*v_rdm + p*v_pattern - r*p*(v_both - v_rdm - v_pattern)``, kept
    between ``max(r*v_rdm, p*v_pattern)`` and ``v_both``.

    Parameters
    ----------
    models : fixed model RDMs (a 1-D array, list or dict of them); with
        ``k >= 2`` also flexible models as :func:`rsa_bootstrap_crossval`
        takes them, fitted per fold.
    data_rdms : 2-D array (subjects x pairs), list of RDMs, or rsatoolbox ``RDMs``
    compare : the comparison method
    n_boot : draws
    k : folds over the conditions of each sample (1: no cross-validation,
        fixed models only, rsatoolbox's default)
    n_cv, use_correction : with folds, cross-validations per sample and the
        correction for the fold assignment, as :func:`rsa_bootstrap_crossval`
    seed, ci : the seed of the draws (numpy's generator) and the interval level

    Returns
    -------
    RSAResult
        ``mean`` (and the noise ceiling) averaged over the three bootstraps'
        valid samples, as rsatoolbox's result averages them; ``sem`` and the
        t-tests from the combined variances with min(subjects, conditions) - 1
        degrees of freedom; percentile intervals and bootstrap p-values from
        the bootstrap over both. ``evaluations``: the three bootstraps'
        samples stacked (both, subjects, conditions), n_boot rows each; a draw
        invalid over both is NaN in all three.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.normal(size=(12, 4))
    >>> data = [rs.rdm(truth + 0.5 * rng.normal(size=(12, 4)), "euclidean") for _ in range(6)]
    >>> r = rs.rsa_dual_bootstrap({"truth": rs.rdm(truth, "euclidean")}, data, n_boot=100)
    >>> r.evaluations.shape, r.names, bool(r.mean[0] > 0.5)
    ((300, 1), ['truth'], True)
    """
    if int(n_boot) < 2 or int(k) < 1 or int(n_cv) < 1:
        raise InputError(f"n_boot must be at least 2, k and n_cv at least 1, got n_boot={n_boot}, "
                         f"k={k}, n_cv={n_cv}")
    names, arrays, kinds = _model_arrays(models)
    data = _stack(data_rdms, "data_rdms")
    n_subjects, n_cond = data.shape[0], _n_conditions(data)
    if int(k) >= 2 and int(0.63 * n_cond) < 3 * int(k):
        raise InputError(
            f"{k} folds need at least 3 distinct conditions each: {n_cond} conditions give about "
            f"{int(0.63 * n_cond)} distinct ones per sample (a bootstrap over conditions draws about "
            "63%); use fewer folds, or k=1 for fixed models")
    _check_draws("rsa_dual_bootstrap", 3 * int(n_boot) * int(n_cv), n_cond + n_subjects)
    rng = np.random.default_rng(int(seed))
    patterns: list[list[int]] = []
    subjects: list[list[int]] = []
    folds: Optional[list[list[list[list[list[int]]]]]] = (
        [[[] for _ in range(int(n_cv))] for _ in range(3)] if int(k) >= 2 else None)
    everything = np.arange(n_cond)
    for _ in range(int(n_boot)):
        s = rng.integers(0, int(n_subjects), size=int(n_subjects))
        p = np.sort(rng.integers(0, int(n_cond), size=int(n_cond)))
        subjects.append([int(x) for x in s])
        patterns.append([int(x) for x in p])
        if folds is not None:
            for kind, conditions in zip(folds, (p, everything, p)):
                for rep in kind:
                    rep.append(_deal_folds(rng, conditions, int(k)))
    return _repscope.rsa_dual_bootstrap(arrays, kinds, data, compare, patterns, subjects, folds,
                                        bool(use_correction), float(ci), names)


def load_rdms(path: Union[str, "os.PathLike[str]"]) -> RDMFile:
    """Read RDMs from a file: ``.npz``/``.npy`` as ``repscope rdm`` writes
    them, or the HDF5 file rsatoolbox's ``RDMs.save`` writes.

    Parameters
    ----------
    path : str or path-like
        ``.npz``, ``.npy``, ``.h5`` or ``.hdf5``.

    Returns
    -------
    RDMFile
        ``rdms`` (n_rdms x n_pairs, condensed), ``names``, ``conditions`` and,
        from rsatoolbox files, ``dissimilarity_measure`` and the descriptor
        dicts.

    Raises
    ------
    FormatError
        Not a readable RDM file.
    InputError
        RDMs of different lengths, or a length that is not n(n-1)/2.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, repscope as rs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "rdms.h5")
    ...     rs.save_rdms(p, [[1.0, 2.0, 3.0]], names=["V1"], conditions=["a", "b", "c"],
    ...                  dissimilarity_measure="euclidean")
    ...     f = rs.load_rdms(p)
    >>> f.names, f.conditions, f.dissimilarity_measure, f.rdms.shape
    (['V1'], ['a', 'b', 'c'], 'euclidean', (1, 3))
    """
    return _repscope.read_rdms(path)


def save_rdms(
    path: Union[str, "os.PathLike[str]"],
    rdms: Any,
    names: Optional[Sequence[str]] = None,
    conditions: Optional[Sequence[Any]] = None,
    *,
    dissimilarity_measure: Optional[str] = None,
    descriptors: Optional[dict[str, Any]] = None,
    rdm_descriptors: Optional[dict[str, Any]] = None,
    pattern_descriptors: Optional[dict[str, Any]] = None,
) -> None:
    """Write RDMs as ``.npz`` or as HDF5 in rsatoolbox's layout (which
    ``rsatoolbox.rdm.load_rdm`` reads), atomically.

    Parameters
    ----------
    path : str or path-like
        ``.npz`` or ``.h5``/``.hdf5``.
    rdms : array (n_rdms, n_pairs), list of vectors, or ``rsatoolbox.rdm.RDMs``
        Condensed RDMs; an rsatoolbox object brings its measure, names
        (``rdm_descriptors['name']``), conditions and descriptors.
    names : list of str, optional
        One per RDM (default ``rdm[0]``, ...).
    conditions : list, optional
        The condition labels.
    dissimilarity_measure, descriptors, rdm_descriptors, pattern_descriptors
        Kept in HDF5 files as rsatoolbox keeps them.
    """
    from ..data import _descriptors

    if hasattr(rdms, "dissimilarities") and hasattr(rdms, "rdm_descriptors"):
        obj = rdms
        rd = {k: v for k, v in obj.rdm_descriptors.items() if k not in ("index",)}
        pd = {k: v for k, v in obj.pattern_descriptors.items() if k not in ("index",)}
        if names is None and "name" in rd:
            names = [str(v) for v in rd["name"]]
        rd.pop("name", None)
        if conditions is None and "conditions" in pd:
            conditions = list(pd["conditions"])
        pd.pop("conditions", None)
        dissimilarity_measure = dissimilarity_measure or obj.dissimilarity_measure
        descriptors = obj.descriptors if descriptors is None else descriptors
        rdm_descriptors = rd if rdm_descriptors is None else rdm_descriptors
        pattern_descriptors = pd if pattern_descriptors is None else pattern_descriptors
        rdms = obj.dissimilarities
    stack = np.ascontiguousarray(_stack(rdms, "rdms"), dtype=np.float64)
    if names is None:
        names = [f"rdm[{i}]" for i in range(stack.shape[0])] if stack.shape[0] > 1 else ["rdm"]
    if len(names) != stack.shape[0]:
        raise InputError(f"{len(names)} names for {stack.shape[0]} RDMs; give one name per RDM")
    _repscope.write_rdms(
        path,
        stack,
        [str(n) for n in names],
        _labels(conditions),
        None if dissimilarity_measure is None else str(dissimilarity_measure),
        _descriptors(descriptors, "descriptors"),
        _descriptors(rdm_descriptors, "rdm_descriptors"),
        _descriptors(pattern_descriptors, "pattern_descriptors"),
    )
