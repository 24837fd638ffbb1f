"""rsatoolbox on repscope's core, in place: after :func:`patch_rsatoolbox`,
unchanged rsatoolbox code calls repscope for the numeric work it shares
with rsatoolbox, and gets rsatoolbox's own objects back (built by
rsatoolbox's own code, so descriptors are as rsatoolbox makes them).

Patched (every module attribute bound to the original function is
rebound, so ``from rsatoolbox.rdm.calc import calc_rdm`` elsewhere is
patched too):

- ``rsatoolbox.rdm.calc.calc_rdm`` for one ``Dataset`` and the methods
  ``euclidean``, ``correlation``, ``mahalanobis`` and ``poisson``;
- ``rsatoolbox.rdm.compare.compare`` for every method but
  ``neg_riem_dist`` and the Bures ones (rsatoolbox takes square roots of
  matrices that are only positive semi-definite up to rounding, so its
  values carry ~1e-8 of noise, and differ from the definition for RDMs
  that are not Euclidean);
- ``rsatoolbox.inference.noise_ceiling.boot_noise_ceiling`` with one RDM
  per subject (``rdm_descriptor='index'``) and NaN positions shared by
  every RDM.

Any other call (a list of datasets, ``crossnobis``, ``poisson_cv``, other
arguments) goes to rsatoolbox's own function: the patch never changes a
result, it only computes the ones it can compute identically (to 1e-9).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterable
from typing import Any, Callable, Iterator, Optional

import numpy as np

from ..errors import InputError

# rsatoolbox's name for each method of calc_rdm that repscope computes, as
# its RDMs objects record it.
_MEASURE_NAMES = {
    "euclidean": "squared euclidean",
    "correlation": "correlation",
    "mahalanobis": "squared mahalanobis",
    "poisson": "poisson",
}

# rsatoolbox's comparison names and repscope's.
_COMPARE_NAMES = {
    "cosine": "cosine",
    "spearman": "spearman",
    "corr": "corr",
    "kendall": "kendall_b",
    "tau-b": "kendall_b",
    "tau-a": "kendall_a",
    "rho-a": "rho_a",
    "corr_cov": "corr_cov",
    "cosine_cov": "cosine_cov",
}

# (module, function name) of each patched function.
_TARGETS = [
    ("rsatoolbox.rdm.calc", "calc_rdm"),
    ("rsatoolbox.rdm.compare", "compare"),
    ("rsatoolbox.inference.noise_ceiling", "boot_noise_ceiling"),
]

# Original function by (module, name), while patched.
_originals: dict[tuple[str, str], Callable[..., Any]] = {}
# Every (module object, attribute) rebound, to restore.
_rebound: list[tuple[Any, str, Callable[..., Any]]] = []
# How many calls went to repscope and to rsatoolbox, per function.
_calls: dict[str, list[int]] = {}


def _count(name: str, ours: bool) -> None:
    _calls.setdefault(name, [0, 0])[0 if ours else 1] += 1


def _calc_rdm(dataset: Any, method: str = "euclidean", descriptor: Optional[str] = None,
              noise: Any = None, cv_descriptor: Optional[str] = None,
              prior_lambda: float = 1.0, prior_weight: float = 0.1,
              remove_mean: bool = False) -> Any:
    original = _originals[("rsatoolbox.rdm.calc", "calc_rdm")]
    args = (dataset, method, descriptor, noise, cv_descriptor, prior_lambda, prior_weight,
            remove_mean)
    if not hasattr(dataset, "measurements") and isinstance(dataset, (list, tuple)):
        # Several datasets: one RDM each, joined as rsatoolbox joins them.
        from rsatoolbox.rdm.combine import from_partials
        from rsatoolbox.rdm.rdms import concat

        # rsatoolbox's rule: any iterable noise is one per dataset.
        several = isinstance(noise, Iterable)
        parts = [_calc_rdm(d, method, descriptor, noise[i] if several else noise, cv_descriptor,
                           prior_lambda, prior_weight, remove_mean)
                 for i, d in enumerate(dataset)]
        return concat(parts) if descriptor is None else from_partials(parts, descriptor=descriptor)
    supported = (
        method in _MEASURE_NAMES
        and hasattr(dataset, "measurements")
        and hasattr(dataset, "obs_descriptors")
        and np.ndim(dataset.measurements) == 2
        and (noise is None or (isinstance(noise, np.ndarray) and noise.ndim == 2))
        and not (remove_mean and method == "poisson")
        and (descriptor is None or descriptor in dataset.obs_descriptors)
    )
    if not supported:
        _count("calc_rdm", False)
        return original(*args)
    from rsatoolbox.util.build_rdm import _build_rdms

    from .. import rsa

    x = np.asarray(dataset.measurements, dtype=np.float64)
    if remove_mean and method in ("euclidean", "mahalanobis"):
        # Centring each row commutes with averaging rows per condition.
        x = x - x.mean(axis=1, keepdims=True)
    ours = "euclidean" if method == "mahalanobis" and noise is None else method
    conditions = None if descriptor is None else dataset.obs_descriptors[descriptor]
    try:
        vector = rsa.rdm(x, ours, noise=noise, conditions=conditions,
                         condition_order="appearance", prior_lambda=prior_lambda,
                         prior_weight=prior_weight, undefined="nan")
    except InputError:
        # What repscope refuses (e.g. fewer than 3 conditions), rsatoolbox
        # answers its own way.
        _count("calc_rdm", False)
        return original(*args)
    if descriptor is None:
        values = None
    else:
        values, first = np.unique(np.asarray(conditions), return_index=True)
        values = values[np.argsort(first)]
    name = _MEASURE_NAMES[ours]
    extra = {"noise": noise} if ours == "mahalanobis" else {}
    rdms = _build_rdms(vector, dataset, name, descriptor, values, **extra)
    if descriptor is not None:
        rdms.sort_by(reindex=True, **{descriptor: "alpha"})
    _count("calc_rdm", True)
    return rdms


def _compare(rdm1: Any, rdm2: Any, method: str = "cosine", sigma_k: Any = None) -> Any:
    original = _originals[("rsatoolbox.rdm.compare", "compare")]
    if method not in _COMPARE_NAMES:
        _count("compare", False)
        return original(rdm1, rdm2, method, sigma_k)
    parse_input_rdms: Callable[[Any, Any], Any] = getattr(
        importlib.import_module("rsatoolbox.rdm.compare"), "_parse_input_rdms")

    from .. import rsa

    # rsatoolbox's own checks (its errors for RDMs of different sizes or
    # NaN positions); repscope leaves the shared NaN positions out itself.
    parse_input_rdms(rdm1, rdm2)
    vectors = [np.asarray(r.get_vectors() if hasattr(r, "get_vectors") else r, dtype=np.float64)
               for r in (rdm1, rdm2)]
    a, b = (np.ascontiguousarray(v.reshape(1, -1) if v.ndim == 1 else v) for v in vectors)
    _count("compare", True)
    return np.asarray(rsa.compare_rdms(a, b, _COMPARE_NAMES[method], sigma_k=sigma_k))


def _boot_noise_ceiling(rdms: Any, method: str = "cosine", rdm_descriptor: str = "index") -> Any:
    original = _originals[("rsatoolbox.inference.noise_ceiling", "boot_noise_ceiling")]
    vectors = np.asarray(rdms.get_vectors(), dtype=np.float64) if hasattr(rdms, "get_vectors") else None
    supported = (
        vectors is not None
        and method in _COMPARE_NAMES
        and not method.endswith("_cov")
        and rdm_descriptor == "index"
        and vectors.shape[0] >= 2
        # rsatoolbox refuses RDMs whose NaN positions differ; so do we, by
        # letting it answer.
        and (np.isnan(vectors) == np.isnan(vectors[0])).all()
    )
    if not supported:
        _count("boot_noise_ceiling", False)
        return original(rdms, method, rdm_descriptor)
    from .. import rsa

    if method in ("kendall", "tau-b", "tau-a"):
        import warnings

        warnings.warn("Noise ceiling for tau based on averaged ranks!")
    lower, upper = rsa.noise_ceiling(vectors, _COMPARE_NAMES[method])
    _count("boot_noise_ceiling", True)
    return np.float64(lower), np.float64(upper)


_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "calc_rdm": _calc_rdm,
    "compare": _compare,
    "boot_noise_ceiling": _boot_noise_ceiling,
}


def patch_rsatoolbox(report: bool = False) -> dict[str, str]:
    """Runs rsatoolbox's RDM computation, RDM comparison and noise ceiling
    on repscope's core, in place, until :func:`unpatch_rsatoolbox`.

    Calls repscope cannot answer identically go to rsatoolbox's own
    functions (see the module's documentation for what is patched). Calling
    it twice changes nothing.

    Parameters
    ----------
    report : print what was patched (and where each name was rebound).

    Returns
    -------
    dict
        Each patched function (``module.name``) and what it now calls.

    Examples
    --------
    >>> import repscope as rs
    >>> with rs.patched_rsatoolbox():
    ...     from rsatoolbox.rdm import calc_rdm
    ...     calc_rdm.__module__
    'repscope.rsa.patch'
    """
    try:
        importlib.import_module("rsatoolbox")
    except ImportError as e:
        raise InputError("rsatoolbox is not installed: nothing to patch") from e
    done: dict[str, str] = {}
    for module_name, name in _TARGETS:
        module = importlib.import_module(module_name)
        key = (module_name, name)
        original: Callable[..., Any] = _originals.get(key, getattr(module, name))
        if key not in _originals:
            _originals[key] = original
            replacement = _REPLACEMENTS[name]
            for m in list(sys.modules.values()):
                if getattr(m, "__name__", "").startswith("rsatoolbox") and \
                        getattr(m, name, None) is original:
                    setattr(m, name, replacement)
                    _rebound.append((m, name, original))
        done[f"{module_name}.{name}"] = f"repscope.rsa.patch._{name}"
    if report:
        for target, by in done.items():
            where = sorted(m.__name__ for m, n, _ in _rebound if n == target.rsplit(".", 1)[1])
            print(f"patched {target} -> {by} (rebound in {', '.join(where)})")
    return done


def unpatch_rsatoolbox() -> None:
    """Restores rsatoolbox's own functions everywhere: where they were
    rebound, and in rsatoolbox modules imported while patched (which took
    the patched names)."""
    _rebound.clear()
    for (_, name), original in _originals.items():
        replacement = _REPLACEMENTS[name]
        for m in list(sys.modules.values()):
            if getattr(m, "__name__", "").startswith("rsatoolbox") and \
                    getattr(m, name, None) is replacement:
                setattr(m, name, original)
    _originals.clear()


@contextlib.contextmanager
def patched_rsatoolbox(report: bool = False) -> Iterator[dict[str, str]]:
    """``with rs.patched_rsatoolbox():`` patches rsatoolbox for the block
    (see :func:`patch_rsatoolbox`) and restores it after, even on an error."""
    done = patch_rsatoolbox(report=report)
    try:
        yield done
    finally:
        unpatch_rsatoolbox()


def patch_calls() -> dict[str, tuple[int, int]]:
    """Calls of each patched function since import: (answered by repscope,
    passed to rsatoolbox)."""
    return {k: (v[0], v[1]) for k, v in _calls.items()}
