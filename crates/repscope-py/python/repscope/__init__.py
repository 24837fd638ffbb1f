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

import importlib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from .errors import Error, FormatError, InputError, InternalError
from .alignment import Alignment, LinearMap, align, fit_map
from .codes import ProductQuantizer, binary_search, hamming_search, quantize_binary
from .compress import (
    RetrievalTable,
    adaptive_retrieval,
    compatibility,
    fit_compat_map,
    quantize,
    relevant_from_labels,
    retrieval_eval,
    retrieval_metrics,
    search,
)
from .encode import BandedRidgeCV, FeatureVariance, Reliability, RidgeCV, feature_variance, noise_normalised, regression_scores, ridge, split_half_reliability
from .probe import (
    ConceptDepth,
    LogisticRegression,
    ProbeResult,
    concept_depth,
    probe,
    probe_scores,
    stratified_folds,
)
from .graph import PCA, GraphEnergy, dirichlet_energy, pca, read_edges
from .matching import (
    LassoFit,
    Matching,
    SparsePrediction,
    SpectralGroups,
    lasso,
    match_units,
    unit_correlations,
)
from .sdr import sdr_encode, sdr_false_match, sdr_union_density, sdr_union_false_match
from .taskvec import TaskVectorReport, compose_task_vectors, task_vectors
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
from .searchlight import (
    ClusterResult,
    SearchlightRDMs,
    SignFlipResult,
    cluster_test,
    rdm_movie,
    read_nifti,
    searchlight,
    sign_flip_test,
    temporal_generalization,
    write_nifti,
)

__all__ = [
    "read_nifti",
    "write_nifti",
    "searchlight",
    "SearchlightRDMs",
    "rdm_movie",
    "temporal_generalization",
    "sign_flip_test",
    "SignFlipResult",
    "cluster_test",
    "ClusterResult",
    "split_half_reliability",
    "noise_normalised",
    "Reliability",
    "BandedRidgeCV",
    "FeatureVariance",
    "feature_variance",
    "RidgeCV",
    "regression_scores",
    "ridge",
    "probe",
    "ProbeResult",
    "concept_depth",
    "ConceptDepth",
    "LogisticRegression",
    "probe_scores",
    "stratified_folds",
    "quantize",
    "search",
    "adaptive_retrieval",
    "retrieval_metrics",
    "retrieval_eval",
    "RetrievalTable",
    "relevant_from_labels",
    "compatibility",
    "fit_compat_map",
    "match_units",
    "unit_correlations",
    "lasso",
    "Matching",
    "SparsePrediction",
    "SpectralGroups",
    "LassoFit",
    "dirichlet_energy",
    "read_edges",
    "pca",
    "GraphEnergy",
    "PCA",
    "align",
    "fit_map",
    "Alignment",
    "LinearMap",
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
    "sdr_encode",
    "sdr_false_match",
    "sdr_union_density",
    "sdr_union_false_match",
    "task_vectors",
    "compose_task_vectors",
    "TaskVectorReport",
    "quantize_binary",
    "hamming_search",
    "binary_search",
    "ProductQuantizer",
    "Error",
    "InputError",
    "FormatError",
    "InternalError",
]

ArrayLike = Any
Reps = Union[Mapping[str, ArrayLike], Sequence[ArrayLike]]


class RepSet(dict[str, np.ndarray]):
    """Ordered mapping name -> (stimuli x units) array.

    A ``dict`` subclass: build it as a dict. :func:`load` returns one (with
    float64 arrays); :func:`save`, :func:`pairwise` and
    :func:`repscope.distributed.pairwise` accept it. All representations
    must cover the same stimuli, in the same row order.

    Parameters
    ----------
    *args, **kwargs
        As for ``dict``: the representations, name -> array.
    stimuli : list of str, optional
        One label per row (stimulus).

    Attributes
    ----------
    stimuli : list of str or None
        The stimulus labels; :func:`load` fills them in when the file carried
        them, :func:`save` writes them (``.npz`` and ``.safetensors``).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> reps = rs.RepSet({"conv1": np.zeros((4, 8)), "fc": np.ones((4, 2))},
    ...                  stimuli=["cat", "dog", "car", "cup"])
    >>> reps
    RepSet({'conv1': 4x8, 'fc': 4x2})
    >>> list(reps), reps["fc"].shape, reps.stimuli[:2]
    (['conv1', 'fc'], (4, 2), ['cat', 'dog'])
    """

    def __init__(self, *args: Any, stimuli: Optional[list[str]] = None, **kwargs: Any):
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


def _reps(reps: Reps, what: str) -> tuple[list[str], list[np.ndarray]]:
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


def load(path: Union[str, PathLike[str]]) -> RepSet:
    """Read a RepSet from ``.npy``, ``.npz``, ``.safetensors`` or a folder of them.

    Every array becomes float64 (float16/bfloat16 exactly).

    Parameters
    ----------
    path : str or path-like
        A ``.npy`` file (one representation, named after the file), an
        ``.npz`` or ``.safetensors`` file (one representation per 2-D array,
        stimulus labels if :func:`save` wrote them), or a folder of such
        files, read in natural order of file names (``layer2`` before
        ``layer10``); a file holding one array names it after the file, one
        holding several names them ``file/array``.

    Returns
    -------
    RepSet
        float64 arrays, with ``stimuli`` set when the file carried labels.

    Raises
    ------
    FormatError
        The path is missing, or a file is corrupt or not a supported format.
    InputError
        The arrays are not 2-D, are empty, or differ in number of rows.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, repscope as rs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     np.save(os.path.join(d, "layer2.npy"), np.eye(3, dtype=np.float32))
    ...     np.save(os.path.join(d, "layer10.npy"), np.ones((3, 5)))
    ...     reps = rs.load(d)
    >>> reps
    RepSet({'layer2': 3x3, 'layer10': 3x5})
    >>> reps["layer2"].dtype
    dtype('float64')
    """
    names, arrays, stimuli = _repscope.load(path)
    return RepSet(zip(names, arrays), stimuli=stimuli)


def save(path: Union[str, PathLike[str]], reps: Reps, *, float32: bool = False) -> None:
    """Write a RepSet (``.npy`` for one array, ``.npz``, ``.safetensors``).

    The file is written under a temporary name and renamed when complete.

    Parameters
    ----------
    path : str or path-like
        The extension picks the format: ``.npy`` (exactly one
        representation), ``.npz`` (compressed) or ``.safetensors``.
    reps : RepSet, dict name -> array, or list of arrays
        Representations over the same stimuli (a list names them ``"0"``,
        ``"1"`` ...). A RepSet's ``stimuli`` are written too (``.npz`` and
        ``.safetensors``).
    float32 : bool
        Store ``.safetensors`` tensors as float32 (half the size); ``.npy``
        and ``.npz`` are always written as float64.

    Raises
    ------
    FormatError
        Unknown extension, several representations for ``.npy``, or the
        file cannot be written.
    InputError
        Invalid arrays (not 2-D, empty, not numeric, different row counts).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> reps = rs.RepSet({"a": rng.normal(size=(3, 4)), "b": rng.normal(size=(3, 2))},
    ...                  stimuli=["x", "y", "z"])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     rs.save(os.path.join(d, "reps.npz"), reps)
    ...     back = rs.load(os.path.join(d, "reps.npz"))
    >>> back, back.stimuli
    (RepSet({'a': 3x4, 'b': 3x2}), ['x', 'y', 'z'])
    >>> all(np.array_equal(back[k], reps[k]) for k in reps)
    True
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

    Returned by :func:`pairwise` and :func:`repscope.distributed.pairwise`;
    ``to_pandas()`` gives it in long format (needs pandas), ``plot(path)``
    draws it as a heatmap.

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

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> A = [rng.normal(size=(30, 4)), rng.normal(size=(30, 6))]
    >>> r = rs.pairwise(A, n_boot=20, seed=1)
    >>> r.values.shape, r.names_a, r.names_b, r.measure
    ((2, 2), ['0', '1'], ['0', '1'], 'linear_cka')
    >>> bool(np.allclose(np.diag(r.values), 1.0))
    True
    >>> r.ci_low.shape, bool((r.ci_low <= r.ci_high).all()), r.p_values is None
    ((2, 2), True, True)
    >>> list(r.to_pandas().columns)  # doctest: +SKIP
    ['a', 'b', 'measure', 'value', 'ci_low', 'ci_high', 'p']
    """

    def __init__(
        self,
        values: np.ndarray,
        names_a: list[str],
        names_b: list[str],
        measure: str,
        ci_low: Optional[np.ndarray] = None,
        ci_high: Optional[np.ndarray] = None,
        p_values: Optional[np.ndarray] = None,
        warnings: Optional[Iterable[str]] = None,
    ):
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

    def to_pandas(self) -> Any:
        """Long format: one row per pair (a, b, measure, value, ci_low,
        ci_high, p). Needs pandas; returns a ``pandas.DataFrame``."""
        try:
            # importlib: pandas ships no type information (pandas-stubs is optional).
            pd = importlib.import_module("pandas")
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("to_pandas needs pandas: pip install pandas") from e

        def at(m: Optional[np.ndarray], i: int, j: int) -> float:
            return float(m[i, j]) if m is not None else float("nan")

        rows = [
            (a, b, self.measure, float(self.values[i, j]), at(self.ci_low, i, j),
             at(self.ci_high, i, j), at(self.p_values, i, j))
            for i, a in enumerate(self.names_a)
            for j, b in enumerate(self.names_b)
        ]
        return pd.DataFrame(rows, columns=["a", "b", "measure", "value", "ci_low", "ci_high", "p"])

    def plot(self, path: Union[str, PathLike[str]]) -> None:
        """Draw the matrix as a heatmap (``.png`` or ``.svg``) without matplotlib."""
        info = next((m for m in measures() if m["name"] == self.measure), {})
        vmin, vmax = info.get("range") or (None, None)
        _repscope.plot_heatmap(
            path, np.ascontiguousarray(self.values), list(self.names_a), list(self.names_b),
            self.measure, self.measure, vmin, vmax,
        )


def pairwise(
    A: Union[Reps, str, "PathLike[str]"],
    B: Union[Reps, str, "PathLike[str]", None] = None,
    measure: str = "linear_cka",
    *,
    n_boot: int = 0,
    permutations: int = 0,
    seed: int = 0,
    ci: float = 0.95,
    threads: Optional[int] = None,
    progress: bool = True,
    stream: bool = False,
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

    Parameters
    ----------
    A, B : RepSet, dict name -> array, list of arrays, or a path
        A path is read with :func:`load`, or, with ``stream=True``, one
        representation at a time (a folder of array files or a
        ``.safetensors`` file): memory then stays at two prepared
        representations per thread, for sets larger than memory (no
        bootstrap or permutations in that mode).
    progress : bool
        Draw a progress bar on stderr (only when stderr is a terminal).

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
                             "as a folder or a .safetensors path")
        if n_boot or permutations:
            raise InputError("bootstrap intervals and permutation p-values need the "
                             "representations in memory; run without stream=True")
        (values, low, high, p, notes), names_a, streamed_b = _repscope.pairwise_stream(
            A, B, measure, params, threads, bool(progress))
        return PairwiseResult(values, names_a, streamed_b, measure, low, high, p, notes)
    if isinstance(A, (str, PathLike)):
        A = load(A)
    if isinstance(B, (str, PathLike)):
        B = load(B)
    names_a, arrays_a = _reps(A, "A")
    names_b, arrays_b = (None, None) if B is None else _reps(B, "B")
    values, low, high, p, notes = _repscope.pairwise(
        names_a, arrays_a, names_b, arrays_b, measure, params, threads,
        int(n_boot), int(permutations), int(seed), float(ci), None, bool(progress),
    )
    return PairwiseResult(values, names_a, names_a if names_b is None else names_b, measure,
                          low, high, p, notes)


def measures() -> list[dict[str, Any]]:
    """The measures :func:`similarity` and :func:`pairwise` know.

    Returns
    -------
    list of dict
        One per measure, with ``name``, ``kind`` (``"similarity"`` or
        ``"distance"``), ``needs_same_dim``, ``symmetric``, ``invariances``
        (list of str), ``summary``, ``reference`` and ``range`` (the bounds
        of the values, or None).

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
