"""Pairwise matrices on a Dask cluster.

:func:`pairwise` splits the A x B matrix into blocks of representations,
runs one Dask task per block (each prepares its representations once and
scores its block with the same core as :func:`repscope.pairwise`) and
gathers the matrix. Every block prepares as the whole matrix would (the
``partners`` hint), so the result equals the local one bit for bit, with or
without bootstrap intervals and permutation p-values.

Representations travel in one of two ways:

- a **path** (a folder of array files or a ``.safetensors`` file, or any
  file :func:`repscope.load` reads) on storage that every worker sees: only
  the path and names are shipped, and each task reads just its
  representations (folders and safetensors files are read tensor by tensor);
- **arrays** (a RepSet, dict or list): each task carries the arrays of its
  block, so Dask can re-run it elsewhere when a worker dies; each array
  travels once per block it appears in. For large sets, pass a path.

Dask is an optional dependency (``pip install repscope[dask]``); nothing
here is imported by ``import repscope``. The same call runs on a real
cluster: create the ``Client`` from dask-jobqueue (SLURM, PBS ...) or
dask-kubernetes instead of a ``LocalCluster``; repscope adds no scheduler of
its own, and Dask re-runs the tasks of a worker that dies.

See :func:`pairwise` for an example on a ``LocalCluster``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from ._compat import renamed
from .data import _is_path, _reps
from .measures import measures
from .pairwise import PairwiseResult

Source = Union[str, "os.PathLike[str]", Mapping[str, Any], Sequence[Any]]

__all__ = ["pairwise"]


def _load_block(spec: tuple[Any, ...]) -> tuple[list[str], list[np.ndarray]]:
    """The names and arrays of one block, on the worker."""
    kind, source, names = spec
    if kind == "path":
        return list(names), _repscope.load_some(os.fspath(source), list(names))
    return list(names), list(source)


def _score_block(
    a_spec: tuple[Any, ...],
    b_spec: Optional[tuple[Any, ...]],
    measure: str,
    params: dict[str, Any],
    partners: tuple[int, int],
    options: dict[str, Any],
) -> tuple[Any, ...]:
    """One Dask task: prepare the block's representations and score it."""
    names_a, arrays_a = _load_block(a_spec)
    names_b, arrays_b = (None, None) if b_spec is None else _load_block(b_spec)
    r = _repscope.pairwise(
        names_a, arrays_a, names_b, arrays_b, measure, params, options["threads"],
        options["n_boot"], options["n_permutations"], options["seed"], options["ci"],
        partners, calibration_alpha=options["calibration_alpha"],
    )
    # Plain arrays travel between processes; the result class stays local.
    return r.values, r.ci_low, r.ci_high, r.p_values, r.calibrated, r.thresholds, r.warnings


class _Side:
    """One side of the matrix: names, and how a task gets a block of it."""

    def __init__(self, reps: Source, what: str):
        if _is_path(reps):
            self.path: Optional[str] = os.fspath(reps)  # type: ignore[arg-type]
            self.names: list[str] = _repscope.names_in(self.path)
            self.arrays: list[np.ndarray] = []
        else:
            self.path = None
            self.names, arrays = _reps(reps, what)  # type: ignore[arg-type]
            # Each task carries its own arrays, so Dask can re-run it on
            # another worker when one dies (data scattered to a worker that
            # dies is lost for good, even with replicas requested).
            self.arrays = arrays

    def __len__(self) -> int:
        return len(self.names)

    def spec(self, rows: range) -> tuple[Any, ...]:
        names = [self.names[i] for i in rows]
        if self.path is not None:
            return ("path", self.path, names)
        return ("arrays", [self.arrays[i] for i in rows], names)


def _blocks(n: int, size: int) -> list[range]:
    return [range(s, min(s + size, n)) for s in range(0, n, size)]


@renamed(permutations="n_permutations")
def pairwise(
    A: Source,
    B: Optional[Source] = None,
    measure: str = "linear_cka",
    *,
    client: Any = None,
    block: int = 4,
    n_boot: int = 0,
    n_permutations: int = 0,
    seed: int = 0,
    ci: float = 0.95,
    threads: Optional[int] = None,
    timeout: Optional[float] = None,
    calibration_alpha: float = 0.05,
    **params: Any,
) -> PairwiseResult:
    """:func:`repscope.pairwise` on a Dask cluster, block by block.

    Parameters
    ----------
    A, B : path, RepSet, dict name -> array, or list of arrays
        A path (folder, ``.safetensors`` or any file :func:`repscope.load`
        reads) must be readable at the same location by every worker.
        ``B=None`` compares A with itself (one triangle of blocks for
        symmetric measures).
    measure, n_boot, n_permutations, seed, ci, calibration_alpha, **params
        As in :func:`repscope.pairwise`; the result is identical.
    client : dask.distributed.Client, optional
        Defaults to the current client (``distributed.get_client()``).
    block : int
        Representations per block side: a task scores up to block x block
        pairs and prepares up to 2 x block representations.
    threads : int, optional
        Core threads per task (default: all cores of the worker's machine;
        set it to the worker's share when several workers share a machine).

    timeout : float, optional
        Seconds to wait for all blocks before raising ``TimeoutError``
        (default: wait as long as it takes).

    Returns
    -------
    PairwiseResult

    Examples
    --------
    On a one-worker local cluster (a real cluster's ``Client`` works the
    same), five representations in 2 x 2 blocks, equal to the local result:

    >>> import numpy as np, repscope as rs
    >>> from dask.distributed import Client, LocalCluster
    >>> from repscope.distributed import pairwise
    >>> rng = np.random.default_rng(0)
    >>> layers = {f"l{i}": rng.normal(size=(60, 8)) for i in range(5)}
    >>> with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
    ...     r = pairwise(layers, client=client, block=2)
    >>> r.values.shape, r.names_a[:2]
    ((5, 5), ['l0', 'l1'])
    >>> bool((r.values == rs.pairwise(layers).values).all())
    True
    """
    try:
        from dask.distributed import get_client, wait
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("repscope.distributed needs dask: pip install repscope[dask]") from e
    if block < 1:
        raise ValueError(f"block must be at least 1, not {block}")
    client = client if client is not None else get_client()
    a = _Side(A, "A")
    b = None if B is None else _Side(B, "B")
    info = next((m for m in measures() if m["name"] == measure), None)
    mirror = b is None and bool(info and info["symmetric"])
    right = a if b is None else b
    partners = (len(right), len(a))
    options = {"threads": threads, "n_boot": int(n_boot), "n_permutations": int(n_permutations),
               "seed": int(seed), "ci": float(ci), "calibration_alpha": float(calibration_alpha)}

    tasks = []
    for bi, rows in enumerate(_blocks(len(a), block)):
        for bj, cols in enumerate(_blocks(len(right), block)):
            if mirror and bj < bi:
                continue
            # A diagonal block of A with itself runs as a self-comparison,
            # exactly as the whole matrix computes it.
            b_spec = None if (b is None and bi == bj) else right.spec(cols)
            future = client.submit(_score_block, a.spec(rows), b_spec, measure, params,
                                   partners, options, pure=False)
            tasks.append((rows, cols, future))

    shape = (len(a), len(right))
    values = np.full(shape, np.nan)
    extra: dict[str, Optional[np.ndarray]] = {
        "low": None, "high": None, "p": None, "calibrated": None, "thresholds": None}
    notes: list[str] = []
    futures = [f for _, _, f in tasks]
    wait(futures, timeout=timeout)  # type: ignore[no-untyped-call]
    results = client.gather(futures)
    for (rows, cols, _), (v, low, high, p, calibrated, thresholds, warn) in zip(tasks, results):
        for key, part in (("values", v), ("low", low), ("high", high), ("p", p),
                          ("calibrated", calibrated), ("thresholds", thresholds)):
            if part is None:
                continue
            target = values if key == "values" else extra[key]
            if target is None:
                target = extra[key] = np.full(shape, np.nan)
            target[rows.start:rows.stop, cols.start:cols.stop] = part
            if mirror:
                target[cols.start:cols.stop, rows.start:rows.stop] = part.T
        notes.extend(w for w in warn if w not in notes)
    return PairwiseResult(values, a.names, right.names, measure,
                          extra["low"], extra["high"], extra["p"], notes,
                          extra["calibrated"], extra["thresholds"])
