"""Representational similarity analysis: RDMs, comparisons, topological RSA,
inference. Numbers agree with rsatoolbox (see each function for the few
documented differences); the computation runs in the Rust core.

RDMs are condensed vectors in scipy ``pdist`` order (``scipy.spatial.
distance.squareform`` converts to and from square matrices). Where several
RDMs are expected, pass a 2-D array with one RDM per row, a list of vectors,
or an ``rsatoolbox.rdm.RDMs`` object.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import _repscope
from .errors import InputError

__all__ = [
    "rdm",
    "compare_rdms",
    "geotopological",
    "geodesic",
    "noise_covariance",
    "noise_precision",
    "noise_ceiling",
    "rsa_bootstrap",
    "RSAResult",
    "mds",
    "fit_weights",
    "rsa_crossval",
]


def _f64(x: Any) -> np.ndarray:
    """x as a float64 array with aligned elements (numpy allows unaligned
    ones, e.g. after unpickling; the core reads aligned memory)."""
    return np.require(np.asarray(x, dtype=np.float64), requirements="A")


def _labels(labels: Any) -> Optional[list]:
    if labels is None:
        return None
    return [str(v) for v in np.asarray(labels).ravel().tolist()]


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
) -> np.ndarray:
    """Condensed RDM of the rows (measurements) of ``X`` (measurements x channels).

    Parameters
    ----------
    X : array (measurements x channels) or rsatoolbox ``Dataset``
        Anything ``np.asarray`` accepts (torch CPU tensors, xarray ...). For a
        ``Dataset``, ``conditions`` and ``folds`` may name its observation
        descriptors.
    method : {"euclidean", "correlation", "cosine", "mahalanobis", "crossnobis", "poisson"}
        ``euclidean`` is the squared distance divided by the number of channels
        (rsatoolbox's convention); ``mahalanobis``/``crossnobis`` use ``noise``.
    noise : array (channels x channels), optional
        Noise precision; see :func:`noise_precision`.
    conditions : labels, optional
        Condition of each row; rows of one condition are averaged; conditions
        are ordered as sorted labels (numerically if all are numbers).
    folds : labels, optional
        Fold (e.g. run) of each row, for ``crossnobis`` (leave-one-fold-out).

    Returns
    -------
    ndarray of shape (n_conditions * (n_conditions - 1) / 2,)

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
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if noise is not None:
        noise = _f64(noise)
    return _repscope.rdm(
        X, method, noise, _labels(conditions), _labels(folds), prior_lambda, prior_weight
    )


def compare_rdms(a: Any, b: Any, method: str = "spearman", *, sigma_k: Any = None):
    """Compare RDMs: a float for two single RDMs, else an (len(a), len(b)) array.

    Methods: ``cosine``, ``corr``, ``spearman``, ``rho_a``, ``kendall_a``
    (tau-a, O(m log m)), ``kendall_b``, ``cosine_cov``, ``corr_cov`` (whitened;
    ``sigma_k``: one pattern variance per condition), ``bures``,
    ``bures_metric``. rsatoolbox's spellings (``tau-a``, ``rho-a`` ...) work too.
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
    out = _repscope.compare_rdms(_stack(a, "a"), _stack(b, "b"), method, sk)
    return float(out[0, 0]) if single else out


def _per_rdm(fn, rdms: Any) -> np.ndarray:
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
    """
    return _per_rdm(lambda v: _repscope.geotopological(v, float(low), float(up)), rdm)


def geodesic(rdm: Any) -> np.ndarray:
    """Geodesic transform: min-max scale, drop edges at 1, shortest paths
    (+inf where no path). Unlike rsatoolbox (whose graph drops zero-weight
    edges), a pair at distance 0 stays at 0.
    """
    return _per_rdm(_repscope.geodesic, rdm)


def noise_covariance(residuals: Any, method: str = "shrinkage_diag", dof: Optional[float] = None):
    """Noise covariance of residuals (measurements x channels): ``full``,
    ``diag``, ``shrinkage_eye`` (Ledoit-Wolf) or ``shrinkage_diag``
    (Schafer-Strimmer), with rsatoolbox's conventions."""
    return _repscope.noise_covariance(_f64(residuals), method, dof, False)


def noise_precision(residuals: Any, method: str = "shrinkage_diag", dof: Optional[float] = None):
    """The inverse of :func:`noise_covariance`, for ``rdm(..., noise=...)``."""
    return _repscope.noise_covariance(_f64(residuals), method, dof, True)


def noise_ceiling(data_rdms: Any, method: str = "corr") -> tuple:
    """(lower, upper) noise ceiling: each subject's RDM against the pooled
    RDM of the others (lower) and of all (upper), averaged over subjects."""
    return _repscope.noise_ceiling(_stack(data_rdms, "data_rdms"), method)


class RSAResult:
    """Bootstrap evaluation of models.

    Attributes
    ----------
    mean, sem, ci_low, ci_high : ndarray of shape (n_models,)
    noise_ceiling : (lower, upper)
    p_pairwise : ndarray (n_models, n_models), two-sided t-tests
    p_zero : ndarray (n_models,), one-sided t-test against 0
    p_noise_ceiling : ndarray (n_models,), two-sided against the lower bound
    p_pairwise_bootstrap, p_zero_bootstrap : bootstrap p-values (rsatoolbox's
        ``test_type="bootstrap"`` definitions, over the valid samples)
    evaluations : ndarray (n_samples, n_models), NaN rows for invalid samples
    noise_ceiling_samples : ndarray (2, n_samples)
    dof, n_valid : int
    """

    def __init__(self, fields: dict, names: list, method: str):
        for k, v in fields.items():
            setattr(self, k, np.asarray(v) if isinstance(v, list) else v)
        self.names = names
        self.method = method

    def __repr__(self) -> str:
        lines = [f"RSAResult({self.method}, {len(self.names)} models, {self.n_valid} valid samples)"]
        lo, up = self.noise_ceiling
        lines.append(f"  noise ceiling: [{lo:.4f}, {up:.4f}]")
        for i, n in enumerate(self.names):
            lines.append(
                f"  {n}: {self.mean[i]:.4f} +/- {self.sem[i]:.4f}  "
                f"CI [{self.ci_low[i]:.4f}, {self.ci_high[i]:.4f}]  p(>0) = {self.p_zero[i]:.3g}"
            )
        return "\n".join(lines)

    def to_pandas(self):
        """One row per model: mean, sem, CI, p-values. Needs pandas."""
        import pandas as pd

        return pd.DataFrame({
            "model": self.names, "mean": self.mean, "sem": self.sem,
            "ci_low": self.ci_low, "ci_high": self.ci_high,
            "p_zero": self.p_zero, "p_noise_ceiling": self.p_noise_ceiling,
        })

    def plot(self, path) -> None:
        """Bars of the model evaluations with their confidence intervals and
        the noise ceiling as a grey band (``.png`` or ``.svg``)."""
        _repscope.plot_bars(
            path, list(self.names), [float(v) for v in self.mean],
            [float(v) for v in self.ci_low], [float(v) for v in self.ci_high],
            tuple(float(v) for v in self.noise_ceiling), f"model evaluation ({self.method})",
            self.method,
        )


def mds(rdm: Any, dims: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS of one condensed RDM, entries taken as
    distances: an (n_conditions, dims) array of coordinates."""
    return _repscope.mds(np.require(_f64(rdm), requirements=["C", "A"]), int(dims))


def rsa_bootstrap(
    models: Any,
    data_rdms: Any,
    method: str = "corr",
    n: int = 1000,
    over: str = "patterns",
    seed: int = 0,
    ci: float = 0.95,
    names: Optional[list] = None,
) -> RSAResult:
    """Bootstrap evaluation of fixed model RDMs against data RDMs (subjects).

    ``over``: ``"patterns"`` (conditions), ``"rdms"`` (subjects) or ``"both"``.
    Seeded; the same seed gives the same numbers on any number of threads.
    """
    m = _stack(models, "models")
    fields = _repscope.rsa_bootstrap(
        m, _stack(data_rdms, "data_rdms"), method, int(n), over, int(seed), float(ci)
    )
    names = names or [f"model{i}" for i in range(m.shape[0])]
    return RSAResult(fields, list(names), method)


def fit_weights(components: Any, data_rdms: Any, method: str = "corr", nonnegative: bool = True):
    """Weights of a weighted model (components x pairs) fitted to data RDMs:
    non-negative least squares on the data pooled for ``method`` ("cosine" or
    "corr"), as rsatoolbox's ``fit_regress_nn``; unit length."""
    return np.asarray(_repscope.fit_weights(
        _stack(components, "components"), _stack(data_rdms, "data_rdms"), method, bool(nonnegative)))


def rsa_crossval(models: Any, data_rdms: Any, method: str = "corr", k: int = 4, seed: int = 0) -> dict:
    """Cross-validated evaluation over condition folds.

    ``models``: a dict name -> model or a list; a 1-D RDM is a fixed model, a
    2-D (components x pairs) array a weighted one (weights fitted on the
    training conditions). Returns a dict with ``names``, ``mean``, ``sem``,
    ``evaluations`` (folds x models) and ``weights`` (per fold and model).
    """
    names = list(models) if isinstance(models, dict) else [f"model{i}" for i in range(len(models))]
    items = list(models.values()) if isinstance(models, dict) else list(models)
    arrays, weighted = [], []
    for m in items:
        a = _f64(m)
        weighted.append(a.ndim == 2)
        arrays.append(np.ascontiguousarray(a if a.ndim == 2 else a[None, :]))
    out = _repscope.rsa_crossval(arrays, weighted, _stack(data_rdms, "data_rdms"), method, int(k), int(seed))
    out["names"] = names
    out["mean"] = np.asarray(out["mean"])
    out["sem"] = np.asarray(out["sem"])
    out["evaluations"] = np.asarray(out["evaluations"])
    return out
