"""Every representation of one set against every representation of another,
prepared once and scored in parallel, with seeded bootstrap intervals and
permutation p-values. Mirrors ``repscope::pairwise``.
"""

from __future__ import annotations

from os import PathLike
from typing import Any, Optional, Union

from . import _repscope
from ._compat import renamed
from .data import Reps, _reps, load
from .errors import InputError

__all__ = ["PairwiseResult", "pairwise", "permutation_orders"]

#: The len(A) x len(B) matrix of one measure, returned by :func:`pairwise`
#: and :func:`repscope.distributed.pairwise`: ``values``, ``names_a``,
#: ``names_b``, ``measure``, ``ci_low``/``ci_high`` (bootstrap percentile
#: interval per cell, ``n_boot > 0``), ``p_values`` (permutation p-value per
#: cell, ``n_permutations > 0``), ``calibrated`` and ``thresholds`` (the
#: calibrated score per cell and its null threshold, with the p-values),
#: ``warnings``; ``to_pandas()`` (long
#: format) and ``plot(path)`` (heatmap, ``.png`` or ``.svg``).
PairwiseResult = _repscope.PairwiseResult


@renamed(permutations="n_permutations")
def pairwise(
    A: Union[Reps, str, "PathLike[str]"],
    B: Union[Reps, str, "PathLike[str]", None] = None,
    measure: str = "linear_cka",
    *,
    n_boot: int = 0,
    n_permutations: int = 0,
    seed: int = 0,
    ci: float = 0.95,
    threads: Optional[int] = None,
    progress: bool = True,
    stream: bool = False,
    estimate: bool = False,
    force: bool = False,
    calibration_alpha: float = 0.05,
    **params: Any,
) -> Any:
    """Every representation of A against every representation of B.

    Each representation is prepared once (centring, Gram matrices ...), then
    every pair is scored, in parallel. ``B=None`` compares A with itself,
    computing each pair once (for symmetric measures).

    ``n_boot`` > 0 adds a bootstrap percentile interval per cell (stimuli
    resampled with replacement); ``n_permutations`` > 0 a permutation p-value
    per cell (rows of the second representation shuffled) and, from the same
    null, a calibrated score per cell (``calibrated``, with its threshold in
    ``thresholds``): 0 for a score no better than the null's
    ``1 - calibration_alpha`` order statistic τ, rising to 1 at the value of
    identical inputs, ``(s - τ) / (s_identical - τ)`` (Gröger, Wen & Brbić
    2026; distances on the reversed scale). Raw scores grow with width and
    fall with stimulus count for unrelated data; calibrated ones do not.
    Seeded: the same ``seed`` gives the same numbers on any number of
    threads.

    Parameters
    ----------
    A, B : RepSet, dict name -> array, list of arrays, or a path
        A path is read with :func:`load`, or, with ``stream=True``, one
        representation at a time (a folder of array files, a
        ``.safetensors`` file or an HDF5 file): memory then stays at two prepared
        representations per thread, for sets larger than memory (no
        bootstrap or permutations in that mode).
    progress : bool
        Draw a progress bar on stderr (only when stderr is a terminal).
    estimate : bool
        Return the predicted peak memory (above the inputs; with
        ``stream=True``, of the whole job, the shapes read from the files'
        headers) and time as an :class:`~repscope.preflight.Estimate`
        instead of computing.
    force : bool
        Run even when that prediction exceeds the memory available (without
        it such a job raises :class:`~repscope.errors.TooLargeError`).

    Returns
    -------
    PairwiseResult, or an Estimate with ``estimate=True``

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> A = {"a": rng.normal(size=(40, 5)), "b": rng.normal(size=(40, 9))}
    >>> r = rs.pairwise(A)
    >>> r.values.shape, r.names_a
    ((2, 2), ['a', 'b'])
    """
    if stream:
        if not isinstance(A, (str, PathLike)) or not (B is None or isinstance(B, (str, PathLike))):
            raise InputError("stream=True reads representations from files: pass A (and B) "
                             "as a folder, a .safetensors or an HDF5 path")
        if n_boot or n_permutations:
            raise InputError("bootstrap intervals and permutation p-values need the "
                             "representations in memory; run without stream=True")
        return _repscope.pairwise_stream(
            A, B, measure, params, threads, bool(progress), bool(estimate), bool(force)
        )
    if isinstance(A, (str, PathLike)):
        A = load(A)
    if isinstance(B, (str, PathLike)):
        B = load(B)
    names_a, arrays_a = _reps(A, "A")
    names_b, arrays_b = (None, None) if B is None else _reps(B, "B")
    return _repscope.pairwise(
        names_a, arrays_a, names_b, arrays_b, measure, params, threads,
        int(n_boot), int(n_permutations), int(seed), float(ci), None, bool(progress),
        bool(estimate), bool(force), float(calibration_alpha),
    )


def permutation_orders(n: int, n_permutations: int, seed: int = 0) -> list[list[int]]:
    """The row orders of the permutation null that :func:`pairwise` (and
    :func:`repscope.similarity` with ``n_permutations``) draws for ``n``
    stimuli and ``seed``: in permutation s, the second representation's row
    i is row ``orders[s][i]`` of the original. With them any tool can
    reproduce the null and its calibration.

    Examples
    --------
    >>> import repscope as rs
    >>> orders = rs.permutation_orders(5, 2, seed=1)
    >>> len(orders), sorted(orders[0])
    (2, [0, 1, 2, 3, 4])
    """
    return _repscope.permutation_orders(int(n), int(n_permutations), int(seed))
