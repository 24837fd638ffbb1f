"""rsatoolbox on repscope's core, in place: after :func:`patch_rsatoolbox`,
unchanged rsatoolbox code calls repscope for the numeric work it shares
with rsatoolbox, and gets rsatoolbox's own objects back (built by
rsatoolbox's own code, so descriptors are as rsatoolbox makes them).

Patched (every module attribute bound to the original function is
rebound, so ``from rsatoolbox.rdm.calc import calc_rdm`` elsewhere is
patched too):

- ``rsatoolbox.rdm.calc.calc_rdm`` for a ``Dataset`` (or a list of them)
  and the methods ``euclidean``, ``correlation``, ``mahalanobis``,
  ``poisson`` and ``crossnobis`` (folds named by ``cv_descriptor`` or
  guessed as rsatoolbox guesses them; one noise precision for all folds or
  a list of one per fold);
- ``rsatoolbox.rdm.compare.compare`` with ``sigma_k`` absent or one
  variance per condition, for every method but ``neg_riem_dist`` and the
  Bures ones (rsatoolbox takes square roots of matrices that are only
  positive semi-definite up to rounding, so its values carry ~1e-8 of
  noise, and differ from the definition for RDMs that are not Euclidean);
- ``rsatoolbox.inference.noise_ceiling.boot_noise_ceiling`` with one RDM
  per subject (``rdm_descriptor='index'``) and NaN positions shared by
  every RDM;
- ``rsatoolbox.inference.evaluate.eval_bootstrap``,
  ``eval_bootstrap_pattern`` and ``eval_bootstrap_rdm`` (per-index
  resampling, bootstrapped noise ceilings): the samples are drawn from
  numpy's global generator exactly as rsatoolbox draws them, so a seeded
  script gets the same samples, and every sample is evaluated by
  repscope's engine at once; the ``Result`` is built as rsatoolbox builds
  it;
- ``rsatoolbox.inference.evaluate.eval_dual_bootstrap`` for fixed models
  (``ModelFixed``, default fitter) without cross-validation (``k_pattern``
  and ``k_rdm`` 1, its defaults): the draws, and the fold shuffles
  rsatoolbox makes even then, are taken from numpy's global generator as
  rsatoolbox takes them, so a seeded script gets the same samples and the
  generator ends where rsatoolbox leaves it;
- ``rsatoolbox.rdm.calc_unbalanced.calc_rdm_unbalanced`` for one
  ``Dataset`` and named conditions: ``euclidean``, ``mahalanobis``,
  ``crossnobis``, ``poisson`` and ``poisson_cv``, and with complete data
  ``correlation`` (equal weighting only with folds and complete data:
  otherwise rsatoolbox 0.3.2's equal weighting is wrong);
- ``rsatoolbox.util.searchlight.get_volume_searchlight`` for a 0/1 mask:
  the same centres and sphere lists, in the same order, from the core.

Any other call (``poisson_cv``, grouped descriptors, other arguments) goes
to rsatoolbox's own function: the patch never changes a
result, it only computes the ones it can compute identically (to 1e-9).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterable
from typing import Any, Callable, Iterator, Optional

import numpy as np

from ..errors import Error, InputError

# rsatoolbox's name for each method of calc_rdm that repscope computes, as
# its RDMs objects record it.
_MEASURE_NAMES = {
    "crossnobis": "crossnobis",
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
    ("rsatoolbox.inference.evaluate", "eval_bootstrap"),
    ("rsatoolbox.inference.evaluate", "eval_bootstrap_pattern"),
    ("rsatoolbox.inference.evaluate", "eval_bootstrap_rdm"),
    ("rsatoolbox.inference.evaluate", "eval_dual_bootstrap"),
    ("rsatoolbox.util.searchlight", "get_volume_searchlight"),
    ("rsatoolbox.rdm.calc_unbalanced", "calc_rdm_unbalanced"),
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
        and (noise is None or (isinstance(noise, np.ndarray) and noise.ndim == 2)
             # crossnobis: one precision per fold
             or (method == "crossnobis" and isinstance(noise, (list, tuple))
                 and all(np.ndim(n) == 2 for n in noise)))
        and not (remove_mean and method == "poisson")
        and (descriptor is None or descriptor in dataset.obs_descriptors)
        # crossnobis: named conditions, and folds named or guessed below
        and (method != "crossnobis" or (descriptor is not None and (
            cv_descriptor is None or cv_descriptor in dataset.obs_descriptors)))
    )
    guessed_folds = None
    if supported and method == "crossnobis" and cv_descriptor is None:
        # rsatoolbox's own guess: the n-th occurrence of each condition is
        # fold n (it asserts that every condition occurs equally often).
        calc = importlib.import_module("rsatoolbox.rdm.calc")
        try:
            guessed_folds = calc._gen_default_cv_descriptor(dataset, descriptor)
        except AssertionError:
            supported = False
    if not supported:
        _count("calc_rdm", False)
        return original(*args)
    from rsatoolbox.util.build_rdm import _build_rdms

    from .. import rsa

    x = np.asarray(dataset.measurements, dtype=np.float64)
    if remove_mean and method in ("euclidean", "mahalanobis", "crossnobis"):
        # Centring each row commutes with averaging rows per condition.
        x = x - x.mean(axis=1, keepdims=True)
    ours = "euclidean" if method == "mahalanobis" and noise is None else method
    conditions = None if descriptor is None else dataset.obs_descriptors[descriptor]
    if method != "crossnobis":
        folds = None
    elif guessed_folds is not None:
        folds = guessed_folds
    else:
        folds = dataset.obs_descriptors[cv_descriptor]
    # rsatoolbox orders a crossnobis RDM's conditions by sorting, the others
    # by first appearance (and sorts them after).
    order = "sorted" if method == "crossnobis" else "appearance"
    try:
        vector = rsa.rdm(x, ours, noise=noise, conditions=conditions, folds=folds,
                         condition_order=order, prior_lambda=prior_lambda,
                         prior_weight=prior_weight, undefined="nan")
    except Error:
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
    if method == "crossnobis":
        from copy import deepcopy

        copy = deepcopy(dataset)
        if guessed_folds is not None:
            copy.obs_descriptors["cv_desc"] = guessed_folds
            cv_descriptor = "cv_desc"
        copy.sort_by(descriptor)
        precision = np.eye(dataset.n_channel) if noise is None else noise
        rdms = _build_rdms(vector, copy, name, descriptor, noise=precision, cv=cv_descriptor)
    else:
        extra = {"noise": noise} if ours == "mahalanobis" else {}
        rdms = _build_rdms(vector, dataset, name, descriptor, values, **extra)
    if descriptor is not None:
        rdms.sort_by(reindex=True, **{descriptor: "alpha"})
    _count("calc_rdm", True)
    return rdms


def _compare(rdm1: Any, rdm2: Any, method: str = "cosine", sigma_k: Any = None) -> Any:
    original = _originals[("rsatoolbox.rdm.compare", "compare")]
    variances = None if sigma_k is None else np.asarray(sigma_k, dtype=np.float64)
    # A pattern covariance matrix is rsatoolbox's alone (even a diagonal
    # one: rsatoolbox 0.3.2 gives other values for diag(v) than for v).
    if method not in _COMPARE_NAMES or (variances is not None and variances.ndim != 1):
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
    try:
        values = np.asarray(rsa.compare_rdms(a, b, _COMPARE_NAMES[method], sigma_k=variances))
    except Error:
        # What repscope refuses, rsatoolbox answers its own way.
        _count("compare", False)
        return original(rdm1, rdm2, method, sigma_k)
    _count("compare", True)
    return values


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

    try:
        lower, upper = rsa.noise_ceiling(vectors, _COMPARE_NAMES[method])
    except Error:
        _count("boot_noise_ceiling", False)
        return original(rdms, method, rdm_descriptor)
    if method in ("kendall", "tau-b", "tau-a"):
        import warnings

        warnings.warn("Noise ceiling for tau based on averaged ranks!")  # as rsatoolbox says
    _count("boot_noise_ceiling", True)
    return np.float64(lower), np.float64(upper)


def _bootstrap(kind: str, models: Any, data: Any, theta: Any, method: str, N: int,
               pattern_descriptor: str, rdm_descriptor: str, boot_noise_ceil: bool) -> Any:
    """eval_bootstrap (kind "both"), eval_bootstrap_pattern ("pattern") or
    eval_bootstrap_rdm ("rdm") on repscope's engine, or None when it cannot
    give rsatoolbox's result."""
    if not (method in _COMPARE_NAMES and pattern_descriptor == "index"
            and rdm_descriptor == "index" and boot_noise_ceil and hasattr(data, "get_vectors")
            and int(N) >= 2):
        return None
    evaluate = importlib.import_module("rsatoolbox.inference.evaluate")
    Result: Callable[..., Any] = getattr(importlib.import_module("rsatoolbox.inference.result"),
                                         "Result")

    from .. import _repscope

    checked_models, evaluations, thetas, _ = evaluate.input_check_model(models, theta, None, N)
    predictions = [m.predict_rdm(theta=thetas[j]) for j, m in enumerate(checked_models)]
    if any(p.n_rdm != 1 for p in predictions):
        return None
    model_vectors = np.stack([np.asarray(p.get_vectors()[0], dtype=np.float64) for p in predictions])
    data_vectors = np.asarray(data.get_vectors(), dtype=np.float64)
    if model_vectors.shape[1] != data_vectors.shape[1] or \
            not (np.isnan(np.vstack([model_vectors, data_vectors])) == np.isnan(data_vectors[0])).all():
        return None  # rsatoolbox's own errors for these
    n_rdm, n_cond = data.n_rdm, data.n_cond
    # The draws, in rsatoolbox's order (subjects, then conditions).
    patterns: list[list[int]] = []
    subjects: list[list[int]] = []
    for _ in range(int(N)):
        if kind in ("both", "rdm"):
            subjects.append(np.random.randint(0, n_rdm, size=n_rdm).tolist())
        if kind in ("both", "pattern"):
            patterns.append(np.random.randint(0, n_cond, size=n_cond).tolist())
    try:
        res = _repscope.rsa_evaluate_samples(
            np.ascontiguousarray(model_vectors), np.ascontiguousarray(data_vectors),
            _COMPARE_NAMES[method], patterns or None, subjects or None,
            {"both": min(n_rdm, n_cond), "pattern": n_cond, "rdm": n_rdm}[kind])
    except Error:
        return None
    evaluations = np.asarray(res.evaluations, dtype=np.float64).reshape(evaluations.shape)
    noise_ceil = np.asarray(res.noise_ceiling_samples, dtype=np.float64)
    eval_ok = np.isfinite(evaluations[:, 0])
    variances = np.cov(np.concatenate([evaluations[eval_ok, :].T, noise_ceil[:, eval_ok]]))
    if kind == "rdm":
        variances = np.cov(evaluations.T)  # as rsatoolbox 0.3.2 overwrites it
        result = Result(checked_models, evaluations, method=method, cv_method="bootstrap_rdm",
                        noise_ceiling=noise_ceil, variances=variances, dof=n_rdm - 1,
                        n_rdm=n_rdm, n_pattern=None)
        result.n_pattern = n_cond
    elif kind == "pattern":
        result = Result(checked_models, evaluations, method=method,
                        cv_method="bootstrap_pattern", noise_ceiling=noise_ceil,
                        variances=variances, dof=n_cond - 1, n_rdm=None, n_pattern=n_cond)
        result.n_rdm = n_rdm
    else:
        result = Result(checked_models, evaluations, method=method, cv_method="bootstrap",
                        noise_ceiling=noise_ceil, variances=variances,
                        dof=min(n_rdm, n_cond) - 1, n_rdm=n_rdm, n_pattern=n_cond)
    return result


def _eval_bootstrap(models: Any, data: Any, theta: Any = None, method: str = "cosine",
                    N: int = 1000, pattern_descriptor: str = "index",
                    rdm_descriptor: str = "index", boot_noise_ceil: bool = True) -> Any:
    args = (models, data, theta, method, N, pattern_descriptor, rdm_descriptor, boot_noise_ceil)
    return _evaluate("both", "eval_bootstrap", args)


def _eval_bootstrap_pattern(models: Any, data: Any, theta: Any = None, method: str = "cosine",
                            N: int = 1000, pattern_descriptor: str = "index",
                            rdm_descriptor: str = "index", boot_noise_ceil: bool = True) -> Any:
    args = (models, data, theta, method, N, pattern_descriptor, rdm_descriptor, boot_noise_ceil)
    return _evaluate("pattern", "eval_bootstrap_pattern", args)


def _eval_bootstrap_rdm(models: Any, data: Any, theta: Any = None, method: str = "cosine",
                        N: int = 1000, rdm_descriptor: str = "index",
                        boot_noise_ceil: bool = True) -> Any:
    result = _bootstrap("rdm", models, data, theta, method, N, "index", rdm_descriptor,
                        boot_noise_ceil)
    _count("eval_bootstrap_rdm", result is not None)
    if result is not None:
        return result
    original = _originals[("rsatoolbox.inference.evaluate", "eval_bootstrap_rdm")]
    return original(models, data, theta, method, N, rdm_descriptor, boot_noise_ceil)


def _eval_dual_bootstrap(models: Any, data: Any, method: str = "cosine", fitter: Any = None,
                         k_pattern: Any = 1, k_rdm: Any = 1, N: int = 1000, n_cv: int = 2,
                         pattern_descriptor: str = "index", rdm_descriptor: str = "index",
                         use_correction: bool = True) -> Any:
    result = _dual_bootstrap(models, data, method, fitter, k_pattern, k_rdm, N,
                             pattern_descriptor, rdm_descriptor)
    _count("eval_dual_bootstrap", result is not None)
    if result is not None:
        return result
    original = _originals[("rsatoolbox.inference.evaluate", "eval_dual_bootstrap")]
    return original(models, data, method, fitter, k_pattern, k_rdm, N, n_cv, pattern_descriptor,
                    rdm_descriptor, use_correction)


def _dual_bootstrap(models: Any, data: Any, method: str, fitter: Any, k_pattern: Any, k_rdm: Any,
                    N: int, pattern_descriptor: str, rdm_descriptor: str) -> Any:
    """eval_dual_bootstrap of fixed models without folds on repscope's
    engine, or None when it cannot give rsatoolbox's result."""
    model_module = importlib.import_module("rsatoolbox.model")
    if isinstance(models, model_module.Model):
        models = [models]
    if not (method in _COMPARE_NAMES and fitter is None and k_pattern == 1 and k_rdm == 1
            and pattern_descriptor == "index" and rdm_descriptor == "index"
            and hasattr(data, "get_vectors") and int(N) >= 2 and len(models) > 0
            and all(type(m) is model_module.ModelFixed for m in models)):
        return None
    Result: Callable[..., Any] = getattr(importlib.import_module("rsatoolbox.inference.result"),
                                         "Result")

    from .. import _repscope

    model_vectors = [np.asarray(m.predict(), dtype=np.float64).reshape(1, -1) for m in models]
    data_vectors = np.asarray(data.get_vectors(), dtype=np.float64)
    stacked = np.vstack(model_vectors + [data_vectors])
    if any(v.shape[1] != data_vectors.shape[1] for v in model_vectors) or \
            not (np.isnan(stacked) == np.isnan(data_vectors[0])).all():
        return None
    n_rdm, n_cond = data.n_rdm, data.n_cond
    # rsatoolbox's draws: subjects, then conditions; for a sample with 3
    # distinct conditions, each of the three bootstraps shuffles its
    # distinct subjects and then its distinct conditions (folds of one).
    subjects: list[list[int]] = []
    patterns: list[list[int]] = []
    for _ in range(int(N)):
        rdm_idx = np.random.randint(0, n_rdm, size=n_rdm)
        pattern_idx = np.random.randint(0, n_cond, size=n_cond)
        subjects.append(rdm_idx.tolist())
        patterns.append(pattern_idx.tolist())
        distinct_rdms, distinct_patterns = len(np.unique(rdm_idx)), len(np.unique(pattern_idx))
        if distinct_patterns >= 3:
            for shuffled in ((distinct_rdms, distinct_patterns), (distinct_rdms, n_cond),
                             (n_rdm, distinct_patterns)):
                for length in shuffled:
                    np.random.shuffle(np.arange(length))
    try:
        res = _repscope.rsa_dual_bootstrap(
            [np.ascontiguousarray(v) for v in model_vectors], ["fixed"] * len(models),
            np.ascontiguousarray(data_vectors), _COMPARE_NAMES[method], patterns, subjects, None,
            False, 0.95, [str(m.name) for m in models])
    except Error:
        return None
    n = int(N)
    # (kinds x samples) rows back to rsatoolbox's (samples, models, folds, cv, kinds).
    stacked_evals = np.asarray(res.evaluations, dtype=np.float64).reshape(3, n, len(models))
    evaluations = stacked_evals.transpose(1, 2, 0).reshape(n, len(models), 1, 1, 3)
    noise_by_kind = np.asarray(res.noise_ceiling_samples, dtype=np.float64).reshape(2, 3, n)
    noise_ceil = noise_by_kind.transpose(0, 2, 1).reshape(2, n, 1, 3)
    eval_ok = ~np.isnan(evaluations[:, 0, 0, 0, 0])
    matrix = np.concatenate([evaluations[eval_ok].mean(-2).mean(-2),
                             noise_ceil[:, eval_ok].mean(-2).transpose([1, 0, 2])], 1)
    matrix -= matrix.mean(0, keepdims=True)
    variances = np.einsum("ijk,ilk->kjl", matrix, matrix) / (matrix.shape[0] - 1)
    return Result(models, evaluations, method=method, cv_method="dual_bootstrap",
                  noise_ceiling=noise_ceil, variances=variances, dof=min(n_rdm, n_cond) - 1,
                  n_rdm=n_rdm, n_pattern=n_cond)


def _evaluate(kind: str, name: str, args: tuple[Any, ...]) -> Any:
    result = _bootstrap(kind, *args)
    _count(name, result is not None)
    if result is not None:
        return result
    return _originals[("rsatoolbox.inference.evaluate", name)](*args)


def _calc_rdm_unbalanced(dataset: Any, method: str = "euclidean", descriptor: Any = None,
                         noise: Any = None, cv_descriptor: Any = None, prior_lambda: float = 1,
                         prior_weight: float = 0.1, weighting: str = "number",
                         enforce_same: bool = False) -> Any:
    original = _originals[("rsatoolbox.rdm.calc_unbalanced", "calc_rdm_unbalanced")]
    args = (dataset, method, descriptor, noise, cv_descriptor, prior_lambda, prior_weight,
            weighting, enforce_same)
    x = np.asarray(getattr(dataset, "measurements", None), dtype=np.float64) \
        if hasattr(dataset, "measurements") else None
    supported = (
        x is not None and x.ndim == 2
        and method in ("euclidean", "mahalanobis", "crossnobis", "correlation", "poisson",
                       "poisson_cv")
        # correlation: complete data (rsatoolbox's NaN handling there
        # centres and scales with the full channel count)
        and not (method == "correlation" and np.isnan(x).any())
        and descriptor is not None and descriptor in dataset.obs_descriptors
        and (cv_descriptor is None or cv_descriptor in dataset.obs_descriptors)
        and (noise is None or (isinstance(noise, np.ndarray) and noise.ndim == 2))
        # rsatoolbox's equal weighting goes wrong with missing channels, and
        # without folds (a measurement with itself adds its similarity but,
        # by C integer division, no weight)
        and not (weighting == "equal" and (
            np.isnan(x).any() or (cv_descriptor is None
                                  and method not in ("crossnobis", "poisson_cv"))))
        and not (noise is not None and np.isnan(x).any())
    )
    if not supported:
        _count("calc_rdm_unbalanced", False)
        return original(*args)
    import warnings

    from rsatoolbox.util.build_rdm import _build_rdms

    from .. import rsa

    conditions = np.asarray(dataset.obs_descriptors[descriptor])
    folds: Optional[np.ndarray] = None
    if method in ("crossnobis", "poisson_cv") and cv_descriptor is None:
        warnings.warn("cv_descriptor not set, using index for now.This will only remove "
                      "self-similarities.Effectively this assumes independent trials")
        folds = np.arange(len(conditions))
    elif cv_descriptor is not None:
        folds = np.asarray(dataset.obs_descriptors[cv_descriptor])
    try:
        vector = rsa.rdm_unbalanced(x, conditions, method, folds=folds, noise=noise,
                                    weighting="equal" if weighting == "equal" else "number",
                                    condition_order="appearance", prior_lambda=prior_lambda,
                                    prior_weight=prior_weight)
    except Error:
        _count("calc_rdm_unbalanced", False)
        return original(*args)
    values, first = np.unique(conditions, return_index=True)
    values = values[np.argsort(first)]
    cv_codes = np.arange(len(conditions), dtype=np.int64) if folds is None else \
        np.unique(folds, return_inverse=True)[1].astype(np.int64)
    _count("calc_rdm_unbalanced", True)
    # (rsatoolbox passes its integer fold codes where its signature says cv name.)
    build: Callable[..., Any] = _build_rdms
    return build(vector, dataset, method, descriptor, values, cv_codes, noise)


def _get_volume_searchlight(mask: Any, radius: float = 2, threshold: float = 1.0,
                            truncate_at_boundary: bool = False) -> Any:
    original = _originals[("rsatoolbox.util.searchlight", "get_volume_searchlight")]
    m = np.asarray(mask)
    # rsatoolbox averages the mask's values over a sphere: the same as ours
    # for a 0/1 mask only.
    if m.ndim != 3 or not np.isin(m, (0, 1)).all():
        _count("get_volume_searchlight", False)
        return original(mask, radius, threshold, truncate_at_boundary)
    from .searchlight import searchlight_spheres

    centres, spheres = searchlight_spheres(m, radius, threshold, truncate_at_boundary)
    print(f"Found {len(spheres)} searchlights")  # rsatoolbox says so too
    _count("get_volume_searchlight", True)
    return centres, spheres


_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "calc_rdm": _calc_rdm,
    "compare": _compare,
    "boot_noise_ceiling": _boot_noise_ceiling,
    "eval_bootstrap": _eval_bootstrap,
    "eval_bootstrap_pattern": _eval_bootstrap_pattern,
    "eval_bootstrap_rdm": _eval_bootstrap_rdm,
    "eval_dual_bootstrap": _eval_dual_bootstrap,
    "get_volume_searchlight": _get_volume_searchlight,
    "calc_rdm_unbalanced": _calc_rdm_unbalanced,
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
