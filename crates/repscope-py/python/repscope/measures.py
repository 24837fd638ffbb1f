"""Similarity measures between two representations of the same stimuli:
:func:`similarity` for one pair and :func:`measures`, the registry of
names with their properties. Mirrors ``repscope::measures``.
"""

from __future__ import annotations

import warnings
from typing import Any, Optional, Sequence

import numpy as np

from . import _repscope
from ._arrays import floats
from .data import ArrayLike

__all__ = ["similarity", "measures", "measure_info", "check_measure", "CalibratedScore"]


class CalibratedScore(float):
    """A raw score (this float's value) with what its permutation null says:
    ``calibrated`` (0 at or below the null threshold, 1 at the value of
    identical inputs), ``threshold`` (the null's ``1 - alpha`` order
    statistic), ``p_value`` (add-one permutation p-value) and
    ``n_permutations``. Returned by :func:`similarity` with
    ``n_permutations > 0``."""

    calibrated: float
    threshold: float
    p_value: float
    n_permutations: int

    def __new__(cls, raw: float, calibrated: float, threshold: float, p_value: float,
                n_permutations: int) -> "CalibratedScore":
        score = super().__new__(cls, raw)
        score.calibrated, score.threshold = float(calibrated), float(threshold)
        score.p_value, score.n_permutations = float(p_value), int(n_permutations)
        return score

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickles (multiprocessing, joblib) keep the calibration, not just the float.
        return (CalibratedScore, (float(self), self.calibrated, self.threshold, self.p_value,
                                  self.n_permutations))

    def __repr__(self) -> str:
        return (f"CalibratedScore(raw={float(self)!r}, calibrated={self.calibrated!r}, "
                f"threshold={self.threshold!r}, p_value={self.p_value!r})")


def similarity(X: ArrayLike, Y: ArrayLike, measure: str = "linear_cka", *, n_permutations: int = 0,
               seed: int = 0, calibration_alpha: float = 0.05, **params: Any) -> float:
    """Similarity of two representations of the same stimuli (rows).

    Parameters
    ----------
    X, Y : arrays of shape (n_stimuli, n_units_x) and (n_stimuli, n_units_y)
    measure : str
        A name from :func:`measures`, e.g. ``"linear_cka"``, ``"debiased_cka"``.
    n_permutations, seed, calibration_alpha
        With ``n_permutations > 0``, the score comes with its calibration
        against a seeded permutation null (the stimuli of Y shuffled), as a
        :class:`CalibratedScore` (a float, the raw score, with
        ``calibrated``, ``threshold`` and ``p_value``): see
        :func:`repscope.pairwise`.
    **params
        The measure's parameters.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> X = np.random.default_rng(1).normal(size=(50, 8))
    >>> Q, _ = np.linalg.qr(np.random.default_rng(2).normal(size=(8, 8)))
    >>> abs(rs.similarity(X, X @ Q) - 1.0) < 1e-12
    True
    """
    x, y = floats(X, "X"), floats(Y, "Y")
    if n_permutations:
        r = _repscope.pairwise(["X"], [x], ["Y"], [y], measure, params, None, 0, int(n_permutations),
                               int(seed), 0.95, None, False, False, False, float(calibration_alpha))
        for note in r.warnings:
            warnings.warn(note, RuntimeWarning, stacklevel=2)
        return CalibratedScore(r.values[0, 0], r.calibrated[0, 0], r.thresholds[0, 0],
                               r.p_values[0, 0], int(n_permutations))
    value, notes = _repscope.similarity(x, y, measure, params)
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    return value


def measures() -> list[dict[str, Any]]:
    """The measures :func:`similarity` and :func:`pairwise` know.

    Returns
    -------
    list of dict
        One per measure, with ``name``, ``kind`` (``"similarity"`` or
        ``"distance"``), ``needs_same_dim``, ``symmetric``, ``invariances``
        (list of str), ``summary``, ``reference``, ``range`` (the bounds
        of the values, or None), ``identical`` (the value of identical
        inputs), ``cost``, ``params`` and ``axioms``: the property sheet of
        :func:`measure_info`.

    Examples
    --------
    >>> import repscope as rs
    >>> info = {m["name"]: m for m in rs.measures()}
    >>> "linear_cka" in info, "procrustes" in info
    (True, True)
    >>> info["linear_cka"]["kind"], info["linear_cka"]["range"]
    ('similarity', (0.0, 1.0))
    """
    return _repscope.measures()


def measure_info(measure: str) -> dict[str, Any]:
    """The property sheet of one measure: ``kind`` (similarity or
    distance), ``range``, ``identical`` (its value for identical inputs,
    the best it takes), ``axioms`` (``symmetry``, ``identical_is_best``,
    ``triangle_inequality``), ``invariances``, ``needs_same_dim``,
    ``params``, ``cost`` (in stimuli n and units d), ``summary`` and
    ``reference``. Every claimed axiom and invariance is checked
    numerically over the registry in repscope's tests; ``repscope measures
    --sheet NAME`` prints the same sheet.

    Examples
    --------
    >>> import repscope as rs
    >>> sheet = rs.measure_info("procrustes")
    >>> sheet["kind"], sheet["identical"], sheet["axioms"]
    ('distance', 0.0, ['symmetry', 'identical_is_best', 'triangle_inequality'])
    """
    return _repscope.measure_info(str(measure))


def check_measure(
    measure: str,
    check: str = "correlation",
    *,
    layers: Optional[Sequence[ArrayLike]] = None,
    n: int = 200,
    d: int = 16,
    levels: Optional[Sequence[float]] = None,
    seed: int = 0,
    **params: Any,
) -> dict[str, Any]:
    """A grounding check of a measure (in the spirit of ReSi, Klabunde et al.
    2025): does its score follow a similarity known by construction?

    ``check="correlation"``: X and independent noise E (``n`` x ``d``,
    seeded) give Y = ρX + √(1 − ρ²)E at each ρ of ``levels``; the score
    should rise with ρ (fall, for distances). The statistic is the Spearman
    correlation of ρ and the oriented score; it passes at 0.9.

    ``check="layer_order"``: ``layers`` of one network in depth order (same
    stimuli); layers further apart should be less alike. The statistic is
    the Spearman correlation of depth distance and dissimilarity, averaged
    over layers; it passes at 0.5. This assumes a network that changes its
    representation gradually (residual networks do).

    Returns
    -------
    dict with ``measure``, ``check``, ``statistic``, ``threshold``,
    ``passed``, ``settings`` (ρ values or layer indices) and ``scores``
    (per ρ; or the layers x layers matrix).

    Examples
    --------
    >>> import repscope as rs
    >>> rs.check_measure("linear_cka")["passed"]
    True
    """
    arrays = None if layers is None else [floats(x, f"layers[{i}]") for i, x in enumerate(layers)]
    statistic, threshold, passed, settings, scores = _repscope.check_measure(
        measure, check, params, arrays, int(n), int(d),
        None if levels is None else [float(v) for v in levels], int(seed))
    out_scores: Any = scores
    if check == "layer_order":
        out_scores = np.asarray(scores).reshape(len(settings), len(settings))
    return {"measure": measure, "check": check, "statistic": statistic, "threshold": threshold,
            "passed": passed, "settings": settings, "scores": out_scores}
