"""repscope: measure, compare, probe and compress neural representations.

A *representation* is a stimuli x units array (a model layer, a brain
region). A :class:`RepSet` is an ordered mapping name -> representation over
the same stimuli. All numbers are computed by the Rust core, in float64,
with the GIL released.

>>> import numpy as np, repscope as rs
>>> X = np.random.default_rng(0).normal(size=(100, 20))
>>> round(rs.similarity(X, 2 * X + 1, measure="linear_cka"), 12)
1.0
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from .errors import Error, FormatError, InputError, InternalError
from .rsa import (
    RSAResult,
    compare_rdms,
    fit_weights,
    geodesic,
    geotopological,
    mds,
    noise_ceiling,
    noise_covariance,
    noise_precision,
    rdm,
    rsa_bootstrap,
    rsa_crossval,
)

__all__ = [
    "RepSet",
    "PairwiseResult",
    "load",
    "save",
    "similarity",
    "pairwise",
    "measures",
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
    "Error",
    "InputError",
    "FormatError",
    "InternalError",
]

ArrayLike = Any
Reps = Union[Mapping[str, ArrayLike], Sequence[ArrayLike]]


class RepSet(dict):
    """Ordered mapping name -> (stimuli x units) float64 array.

    ``stimuli`` holds one label per row when the file carried them.
    """

    def __init__(self, *args: Any, stimuli: Optional[list] = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.stimuli = stimuli

    def __repr__(self) -> str:
        parts = ", ".join(f"{k!r}: {v.shape[0]}x{v.shape[1]}" for k, v in self.items())
        return f"RepSet({{{parts}}})"


def _as_array(x: ArrayLike, name: str) -> np.ndarray:
    """float32/float64 arrays pass through untouched (no copy); any other
    numeric dtype (ints, bools, float16) is converted to float64 exactly."""
    a = np.asarray(x)
    if a.dtype in (np.float32, np.float64):
        return a
    if a.dtype.kind in "biuf":
        return a.astype(np.float64)
    raise InputError(
        f"'{name}' has dtype {a.dtype}, which is not numeric; pass a numeric array"
    )


def _reps(reps: Reps, what: str) -> tuple:
    if isinstance(reps, np.ndarray):
        raise InputError(
            f"{what} is a single array; pass a RepSet, a dict name -> array, or a list "
            f"of arrays (use rs.similarity to compare two arrays)"
        )
    if isinstance(reps, Mapping):
        names = [str(k) for k in reps.keys()]
        arrays = [_as_array(v, n) for n, v in zip(names, reps.values())]
    else:
        arrays = [_as_array(v, str(i)) for i, v in enumerate(reps)]
        names = [str(i) for i in range(len(arrays))]
    return names, arrays


def load(path: Union[str, PathLike]) -> RepSet:
    """Read a RepSet from ``.npy``, ``.npz``, ``.safetensors`` or a folder of them.

    Every array becomes float64 (float16/bfloat16 exactly). Raises
    :class:`FormatError` for missing, corrupt or unsupported files.
    """
    names, arrays, stimuli = _repscope.load(path)
    return RepSet(zip(names, arrays), stimuli=stimuli)


def save(path: Union[str, PathLike], reps: Reps, *, float32: bool = False) -> None:
    """Write a RepSet (``.npy`` for one array, ``.npz``, ``.safetensors``).

    The file is written under a temporary name and renamed when complete.
    """
    names, arrays = _reps(reps, "reps")
    stimuli = getattr(reps, "stimuli", None)
    _repscope.save(path, names, arrays, stimuli, float32)


def similarity(X: ArrayLike, Y: ArrayLike, measure: str = "linear_cka", **params: Any) -> float:
    """Similarity of two representations of the same stimuli (rows).

    Parameters
    ----------
    X, Y : arrays of shape (n_stimuli, n_units_x) and (n_stimuli, n_units_y)
    measure : str
        A name from :func:`measures`, e.g. ``"linear_cka"``, ``"debiased_cka"``.
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
    value, notes = _repscope.similarity(_as_array(X, "X"), _as_array(Y, "Y"), measure, params)
    for note in notes:
        warnings.warn(note, RuntimeWarning, stacklevel=2)
    return value


class PairwiseResult:
    """The len(A) x len(B) matrix of one measure.

    Attributes
    ----------
    values : ndarray of shape (len(A), len(B))
    names_a, names_b : list of str
    measure : str
    ci_low, ci_high : ndarray of shape (len(A), len(B)) or None
        Bootstrap percentile interval of each cell (``n_boot > 0``).
    p_values : ndarray of shape (len(A), len(B)) or None
        Permutation p-value of each cell (``permutations > 0``).
    warnings : list of str
        Caveats the measure raised (e.g. CCA with fewer stimuli than units).
    """

    def __init__(self, values: np.ndarray, names_a: list, names_b: list, measure: str,
                 ci_low=None, ci_high=None, p_values=None, warnings=None):
        self.values = values
        self.names_a = names_a
        self.names_b = names_b
        self.measure = measure
        self.ci_low = ci_low
        self.ci_high = ci_high
        self.p_values = p_values
        self.warnings = list(warnings or [])

    def __repr__(self) -> str:
        with np.printoptions(precision=4, suppress=True):
            return (
                f"PairwiseResult({self.measure}, {len(self.names_a)} x {len(self.names_b)})\n"
                f"{self.values}"
            )

    def to_pandas(self):
        """Long format: one row per pair (a, b, measure, value, ci_low,
        ci_high, p). Needs pandas."""
        try:
            import pandas as pd
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas needs pandas: pip install pandas") from e

        def at(m, i, j):
            return float(m[i, j]) if m is not None else float("nan")

        rows = [
            (a, b, self.measure, float(self.values[i, j]), at(self.ci_low, i, j),
             at(self.ci_high, i, j), at(self.p_values, i, j))
            for i, a in enumerate(self.names_a)
            for j, b in enumerate(self.names_b)
        ]
        return pd.DataFrame(rows, columns=["a", "b", "measure", "value", "ci_low", "ci_high", "p"])

    def plot(self, path: Union[str, PathLike]) -> None:
        """Draw the matrix as a heatmap (``.png`` or ``.svg``) without matplotlib."""
        info = next((m for m in measures() if m["name"] == self.measure), {})
        vmin, vmax = info.get("range") or (None, None)
        _repscope.plot_heatmap(
            path, np.ascontiguousarray(self.values), list(self.names_a), list(self.names_b),
            self.measure, self.measure, vmin, vmax,
        )


def pairwise(
    A: Reps,
    B: Optional[Reps] = None,
    measure: str = "linear_cka",
    *,
    n_boot: int = 0,
    permutations: int = 0,
    seed: int = 0,
    ci: float = 0.95,
    threads: Optional[int] = None,
    **params: Any,
) -> PairwiseResult:
    """Every representation of A against every representation of B.

    Each representation is prepared once (centring, Gram matrices ...), then
    every pair is scored, in parallel. ``B=None`` compares A with itself,
    computing each pair once (for symmetric measures).

    ``n_boot`` > 0 adds a bootstrap percentile interval per cell (stimuli
    resampled with replacement); ``permutations`` > 0 a permutation p-value
    per cell (rows of the second representation shuffled). Seeded: the same
    ``seed`` gives the same numbers on any number of threads.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> A = {"a": rng.normal(size=(40, 5)), "b": rng.normal(size=(40, 9))}
    >>> r = rs.pairwise(A)
    >>> r.values.shape, r.names_a
    ((2, 2), ['a', 'b'])
    """
    names_a, arrays_a = _reps(A, "A")
    names_b, arrays_b = (None, None) if B is None else _reps(B, "B")
    values, low, high, p, notes = _repscope.pairwise(
        names_a, arrays_a, names_b, arrays_b, measure, params, threads,
        int(n_boot), int(permutations), int(seed), float(ci),
    )
    return PairwiseResult(values, names_a, names_a if B is None else names_b, measure,
                          low, high, p, notes)


def measures() -> list:
    """The measures: dicts with name, kind, needs_same_dim, invariances, summary,
    reference and range (the bounds of the values, or None)."""
    return _repscope.measures()
