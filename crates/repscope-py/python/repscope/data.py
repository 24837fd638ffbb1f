"""Representations in and out: :class:`RepSet` (name -> stimuli x units
array), :func:`load` and :func:`save` for ``.npy``/``.npz``/``.safetensors``
files and folders, and NIfTI volumes (:func:`read_nifti`, :func:`write_nifti`).
Mirrors ``repscope::data`` in the core.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any, Optional, Union

import numpy as np

from . import _repscope
from ._arrays import floats
from .errors import InputError

__all__ = ["RepSet", "load", "save", "read_nifti", "write_nifti"]

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


def _reps(reps: Reps, what: str) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(reps, np.ndarray):
        raise InputError(
            f"{what} is a single array; pass a RepSet, a dict name -> array, or a list "
            f"of arrays (use rs.similarity to compare two arrays)"
        )
    if isinstance(reps, Mapping):
        names = [str(k) for k in reps.keys()]
        arrays = [floats(v, n) for n, v in zip(names, reps.values())]
    else:
        arrays = [floats(v, str(i)) for i, v in enumerate(reps)]
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


_Path = Union[str, "PathLike[str]"]


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, PathLike))


def read_nifti(path: _Path) -> tuple[np.ndarray, np.ndarray]:
    """Reads a NIfTI-1 or NIfTI-2 file (``.nii`` or ``.nii.gz``).

    Returns ``(data, affine)``: the voxel values as float64 in nibabel's
    index order (``data[i, j, k, ...]``, intensity scaling applied) and the
    4 x 4 voxel-to-world affine nibabel's ``img.affine`` gives.
    """
    flat, shape, affine = _repscope.read_nifti_volume(os.fspath(path))
    return flat.reshape(shape, order="F"), affine


def write_nifti(path: _Path, data: Any, affine: Any = None) -> None:
    """Writes ``data`` (1 to 7 dimensions) as a float64 NIfTI-1 file, gzipped
    when the name ends in ``.gz``; ``affine`` defaults to the identity."""
    a = np.asarray(data, dtype=np.float64)
    aff = np.eye(4) if affine is None else np.ascontiguousarray(affine, dtype=np.float64)
    _repscope.write_nifti_volume(
        os.fspath(path), np.ascontiguousarray(a.ravel(order="F")), list(a.shape), aff
    )
