"""Statistics shared by the analyses: noise covariance and precision of
residuals (for Mahalanobis and crossnobis RDMs), and group-level sign-flip
permutation tests with max-statistic or cluster-mass correction. Mirrors
``repscope::stats``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Union, overload

import numpy as np

from . import _repscope
from ._arrays import aligned_f64 as _f64
from ._compat import renamed
from .errors import InputError

__all__ = [
    "noise_covariance",
    "noise_precision",
    "sign_flip_test",
    "SignFlipResult",
    "cluster_test",
    "ClusterResult",
    "SpatialClusterResult",
]


def noise_covariance(
    residuals: Any, method: str = "shrinkage_diag", dof: Optional[float] = None
) -> np.ndarray:
    """Noise covariance of residuals (measurements x channels): ``full``,
    ``diag``, ``shrinkage_eye`` (Ledoit-Wolf) or ``shrinkage_diag``
    (Schafer-Strimmer), with rsatoolbox's conventions.

    Parameters
    ----------
    residuals : array (measurements x channels)
        At least 2 rows, finite; columns are centred here.
    method : {"full", "diag", "shrinkage_eye", "shrinkage_diag"}
    dof : float, optional
        Degrees of freedom (default: measurements - 1).

    Returns
    -------
    ndarray of shape (channels, channels)

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> R = np.random.default_rng(0).normal(size=(50, 4))
    >>> C = rs.noise_covariance(R, "full")
    >>> C.shape, bool(np.allclose(C, np.cov(R, rowvar=False)))
    ((4, 4), True)
    >>> S = rs.noise_covariance(R)  # shrinkage_diag: same diagonal, shrunk off-diagonal
    >>> bool(np.allclose(np.diag(S), np.diag(C)))
    True
    """
    return _repscope.noise_covariance(_f64(residuals), method, dof, False)


def noise_precision(
    residuals: Any, method: str = "shrinkage_diag", dof: Optional[float] = None
) -> np.ndarray:
    """The inverse of :func:`noise_covariance`, for ``rdm(..., noise=...)``.

    Parameters and methods as for :func:`noise_covariance`. Raises
    :class:`InputError` when the estimated covariance is singular (then use
    a shrinkage method or more residuals).

    Returns
    -------
    ndarray of shape (channels, channels)

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> R = rng.normal(size=(50, 4))
    >>> P = rs.noise_precision(R)
    >>> bool(np.allclose(P @ rs.noise_covariance(R), np.eye(4)))
    True
    >>> rs.rdm(rng.normal(size=(5, 4)), "mahalanobis", noise=P).shape
    (10,)
    """
    return _repscope.noise_covariance(_f64(residuals), method, dof, True)


@dataclass
class SignFlipResult:
    """Per test: one-sample t, uncorrected p, and max-statistic family-wise
    corrected p (NaN where any subject's value is not finite)."""

    t: np.ndarray
    p: np.ndarray
    p_corrected: np.ndarray


@renamed(n_perm="n_permutations")
def sign_flip_test(
    values: Any, n_permutations: int = 1000, seed: int = 0, alternative: str = "greater"
) -> SignFlipResult:
    """Group-level sign-flip permutation test of ``values`` (subjects x ...:
    one map or time course per subject), with max-statistic correction over
    all tests. Seeded: the same seed gives the same p-values.

    ``alternative``: ``"greater"`` (effects above 0) or ``"two-sided"``.
    p = (1 + draws at least as extreme) / (1 + n_permutations).
    """
    v = _f64(values, "values")
    if v.ndim < 2:
        raise InputError(f"values must be subjects x tests (at least 2-D), got shape {v.shape}")
    flat = np.ascontiguousarray(v.reshape(v.shape[0], -1))
    t, p, pc = _repscope.sign_flip(flat, int(n_permutations), int(seed), alternative)
    rest = v.shape[1:]
    return SignFlipResult(t=t.reshape(rest), p=p.reshape(rest), p_corrected=pc.reshape(rest))


@dataclass
class ClusterResult:
    """Clusters of a time course: ``t`` per time point, ``clusters`` as
    (start, stop, mass, p) with stop exclusive, and ``p`` per time point (the
    p of its cluster, NaN outside clusters)."""

    t: np.ndarray
    clusters: list[tuple[int, int, float, float]]
    p: np.ndarray


@dataclass
class SpatialClusterResult:
    """Clusters over channels x time points: ``t``, ``labels`` (the cluster of
    each (channel, time), -1 outside clusters) and ``p`` (its cluster's p, NaN
    outside) as channels x times arrays; ``masses`` and ``cluster_p`` per
    cluster (numbered from the lowest channel-major position)."""

    t: np.ndarray
    labels: np.ndarray
    masses: np.ndarray
    cluster_p: np.ndarray
    p: np.ndarray


def _space_time_clusters(values: Any, adjacency: Any, threshold: Optional[float],
                         n_permutations: int, seed: int,
                         alternative: str) -> SpatialClusterResult:
    from .rsa.searchlight import channel_adjacency

    v = _f64(values, "values")
    if v.ndim != 3:
        raise InputError(
            f"with adjacency, values must be subjects x channels x time points, got {v.shape}"
        )
    n, channels, times = v.shape
    lists = channel_adjacency(adjacency)
    if len(lists) != channels:
        raise InputError(f"the adjacency covers {len(lists)} channels, the values {channels}")
    t, labels, masses, cluster_p, p = _repscope.cluster_test_graph(
        np.ascontiguousarray(v.reshape(n, channels * times)), lists,
        None if threshold is None else float(threshold), int(n_permutations), int(seed),
        alternative, times,
    )
    shape = (channels, times)
    return SpatialClusterResult(
        t=np.asarray(t).reshape(shape), labels=np.asarray(labels, dtype=np.int64).reshape(shape),
        masses=np.asarray(masses), cluster_p=np.asarray(cluster_p), p=np.asarray(p).reshape(shape),
    )


@overload
def cluster_test(
    values: Any, threshold: Optional[float] = ..., n_permutations: int = ..., seed: int = ...,
    alternative: str = ..., *, adjacency: None = ...
) -> ClusterResult: ...
@overload
def cluster_test(
    values: Any, threshold: Optional[float] = ..., n_permutations: int = ..., seed: int = ...,
    alternative: str = ..., *, adjacency: Any
) -> SpatialClusterResult: ...
@renamed(n_perm="n_permutations")
def cluster_test(
    values: Any,
    threshold: Optional[float] = None,
    n_permutations: int = 1000,
    seed: int = 0,
    alternative: str = "greater",
    *,
    adjacency: Any = None,
) -> Union[ClusterResult, SpatialClusterResult]:
    """Cluster-based sign-flip test of time courses (subjects x time points):
    runs of adjacent time points with t above ``threshold`` form clusters whose
    mass (sum of t) is compared with each draw's largest cluster mass, which
    controls the family-wise error over the time course (Maris & Oostenveld
    2007). ``threshold`` defaults to the one-sided t quantile at p = 0.05
    (two-sided: 0.025) for subjects - 1 degrees of freedom.

    With ``adjacency`` (a channels x channels matrix or lists of adjacent
    channels, e.g. from :func:`channel_adjacency`), ``values`` is subjects x
    channels x time points (e.g. stacked :func:`sensor_searchlight` maps) and
    clusters connect adjacent channels at one time and one channel at
    adjacent times; the result is a :class:`SpatialClusterResult`. Seeded:
    the same numbers on any number of threads."""
    if adjacency is not None:
        return _space_time_clusters(values, adjacency, threshold, n_permutations, seed,
                                    alternative)
    v = _f64(values, "values")
    if np.isinf(v).any():
        raise InputError("values hold an infinite value; NaN marks a missing one")
    if v.ndim != 2:
        raise InputError(f"values must be subjects x time points, got shape {v.shape}")
    t, clusters, p = _repscope.cluster_test(
        np.ascontiguousarray(v), None if threshold is None else float(threshold), int(n_permutations),
        int(seed), alternative
    )
    found = [(int(a), int(b), float(mass), float(q)) for a, b, mass, q in clusters]
    return ClusterResult(t=t, clusters=found, p=p)
