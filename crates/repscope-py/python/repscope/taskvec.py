"""Task vectors: what fine-tuning changed in a checkpoint, and compositions
of those changes (Ilharco et al. 2023, *Editing models with task
arithmetic*; Zhang et al. 2024, aTLAS, for one coefficient per block).

A task vector is ``tau_t = theta_t - theta_base``, per parameter block (one
tensor of the checkpoint). Checkpoints are ``.safetensors`` files read by the
Rust core a slice at a time, so their size does not matter. Float tensors
(float16, bfloat16, float32, float64) are the blocks; every other tensor
(e.g. integer position ids) must be equal in all checkpoints and is copied
unchanged. All arithmetic is in float64.
"""

from __future__ import annotations

import importlib
import numbers
import os
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from .errors import InputError

__all__ = ["TaskVectorReport", "task_vectors", "compose_task_vectors"]

Path = Union[str, "os.PathLike[str]"]
Coefficient = Union[float, Sequence[float]]


#: Norms and cosine similarities of task vectors (:func:`task_vectors`):
#: ``tasks``, ``blocks``, ``dtypes``, ``shapes``, ``numel``, ``norms``,
#: ``relative_norms``, ``block_cosines``, ``task_norms``, ``cosines``,
#: ``copied``, ``base_norms``, ``task_relative_norms``, ``base_norm``;
#: ``to_pandas()`` (one row per block and task, the table of
#: ``repscope taskvec --table``) and ``plot(path)`` (the task x task cosine
#: heatmap).
TaskVectorReport = _repscope.TaskVectorReport


def _paths(finetuned: Union[Path, Sequence[Path]]) -> list[Path]:
    if isinstance(finetuned, (str, os.PathLike)):
        return [finetuned]
    return list(finetuned)


def task_vectors(
    base: Path,
    finetuned: Union[Path, Sequence[Path]],
    names: Optional[Sequence[str]] = None,
) -> TaskVectorReport:
    """Norms and cosine similarities of the task vectors ``theta_t - theta_base``.

    Parameters
    ----------
    base : str or path-like
        The ``.safetensors`` checkpoint the fine-tunes started from.
    finetuned : path or sequence of paths
        One ``.safetensors`` checkpoint per task, each holding exactly the
        base's tensors with the same shapes (float dtypes may differ from
        the base's, e.g. a bfloat16 fine-tune of a float32 base).
    names : sequence of str, optional
        Task names; by default the file names (``math`` for
        ``math.safetensors``; the folder names when the file names repeat).

    Returns
    -------
    TaskVectorReport

    Raises
    ------
    InputError
        Tensor names, shapes or non-float tensors differ from the base;
        NaN or infinity in a checkpoint; bad names.
    FormatError
        A file is missing or not a valid ``.safetensors`` file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, repscope as rs
    >>> w = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = lambda name: os.path.join(d, name + ".safetensors")
    ...     rs.save(path("base"), {"w": w})
    ...     rs.save(path("math"), {"w": w + [[1, 0], [0, 0]]})
    ...     rs.save(path("code"), {"w": w + [[1, 1], [0, 0]]})
    ...     r = rs.task_vectors(path("base"), [path("math"), path("code")])
    ...     rs.compose_task_vectors(path("base"), [path("math"), path("code")],
    ...                             [0.5, 0.5], path("both"))
    ...     both = rs.load(path("both"))
    >>> r.tasks, r.task_norms.round(4).tolist(), round(float(r.cosines[0, 1]), 4)
    (['math', 'code'], [1.0, 1.4142], 0.7071)
    >>> both["w"]
    array([[2. , 2.5],
           [3. , 4. ]])
    """
    paths = _paths(finetuned)
    return _repscope.task_vectors(base, paths, None if names is None else [str(n) for n in names])


def _floats(value: Coefficient, n_tasks: int, what: str) -> list[float]:
    """One float per task: a sequence as is, a single number for every task."""
    if isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, bool):
        return [float(value)] * n_tasks
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise InputError(
            f"{what} must be a number or a sequence of numbers (one per task), "
            f"not {type(value).__name__}"
        )
    try:
        return [float(v) for v in value]
    except (TypeError, ValueError) as e:
        raise InputError(f"{what} must hold numbers, one per task: {e}") from None


def compose_task_vectors(
    base: Path,
    finetuned: Union[Path, Sequence[Path]],
    coefficients: Union[Coefficient, Mapping[str, Coefficient]],
    out: Path,
    *,
    default: Optional[Coefficient] = None,
) -> None:
    """Write ``theta_base + sum_t lambda_{t,b} tau_{t,b}`` as a checkpoint.

    Each element is computed in float64 (the tasks summed in order, then
    added to the base) and rounded once to the base tensor's dtype, to
    nearest with ties to even (as ``numpy.float32(x)``); shapes, dtypes,
    non-float tensors and the base's metadata are kept. The file is written
    under a temporary name and renamed when complete.

    Parameters
    ----------
    base, finetuned
        As for :func:`task_vectors`.
    coefficients : float, sequence of float, or dict block -> coefficients
        One coefficient per task (``[0.5, 0.3]``), one for every task
        (``0.4``), or per block (aTLAS): a dict mapping block (tensor)
        names to one coefficient per task (or one for all tasks).
    out : str or path-like
        The ``.safetensors`` file to write.
    default : float or sequence of float, optional
        With a dict, the coefficients of the blocks it does not name;
        without ``default`` the dict must name every float block.

    Raises
    ------
    InputError
        Checkpoints that do not fit (see :func:`task_vectors`); an unknown
        block, a wrong number of coefficients, a non-finite coefficient; a
        composed value too large for its dtype.
    FormatError
        A file is missing, invalid or cannot be written.
    """
    paths = _paths(finetuned)
    n = len(paths)
    if isinstance(coefficients, Mapping):
        per_block = [
            (str(block), _floats(value, n, f"coefficients['{block}']"))
            for block, value in coefficients.items()
        ]
        default_per_task = None if default is None else _floats(default, n, "default")
    else:
        if default is not None:
            raise InputError(
                "default= gives the coefficients of the blocks a per-block dict does not "
                "name; with per-task coefficients, leave it out"
            )
        per_block = []
        default_per_task = _floats(coefficients, n, "coefficients")
    _repscope.compose_task_vectors(base, paths, out, default_per_task, per_block)
