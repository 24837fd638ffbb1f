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
from ._arrays import aligned_f64, floats, matrix
from .errors import InputError

__all__ = [
    "RepSet",
    "load",
    "load_rows",
    "info",
    "save",
    "read_nifti",
    "write_nifti",
    "RsatoolboxDataset",
    "load_rsatoolbox_dataset",
    "save_rsatoolbox_dataset",
    "Cifti",
    "read_cifti",
    "read_surface",
    "write_gifti",
]

RsatoolboxDataset = _repscope.RsatoolboxDataset
Cifti = _repscope.Cifti

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


def load_rows(
    path: Union[str, PathLike[str]], name: str, start: int, stop: int
) -> np.ndarray:
    """Read rows (stimuli) ``start:stop`` of one representation on disk.

    From an HDF5 file (``file.h5`` or ``file.h5:/dataset``) only the chunks
    holding those rows are read and decompressed; from a ``.safetensors``
    file only their bytes; a file of a folder is loaded whole. Walk a
    dataset larger than memory in blocks with it.

    Parameters
    ----------
    path : str or path-like
        An HDF5 or ``.safetensors`` file, or a folder of array files.
    name : str
        The representation (as :func:`load` names it).
    start, stop : int
        The rows, ``0 <= start <= stop <= n_stimuli``.

    Returns
    -------
    ndarray (stop - start, units), float64

    Raises
    ------
    InputError
        An unknown name (the message lists the known ones) or rows out of range.
    FormatError
        The file is missing, corrupt or of a format not read by rows.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, repscope as rs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "reps.h5")
    ...     rs.save(p, {"v1": np.arange(12.0).reshape(6, 2)})
    ...     rs.load_rows(p, "v1", 2, 4).tolist()
    [[4.0, 5.0], [6.0, 7.0]]
    """
    if isinstance(start, bool) or isinstance(stop, bool) or not all(
        isinstance(v, (int, np.integer)) and v >= 0 for v in (start, stop)
    ):
        raise InputError(f"start and stop must be integers >= 0, got {start!r} and {stop!r}")
    return _repscope.load_rows(path, name, int(start), int(stop))


def info(path: Union[str, PathLike[str]]) -> list[dict[str, Any]]:
    """What a file or folder holds, as ``repscope info`` shows it.

    HDF5 and ``.safetensors`` files are read block by block of rows, so
    memory stays at about 64 MB whatever the file's size; other files are
    loaded.

    Returns
    -------
    list of dict
        One per representation: ``name``, ``stimuli``, ``units``, ``min``,
        ``max``, ``mean`` (of the finite values) and ``non_finite`` (the
        count of NaN and infinite values).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, repscope as rs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "reps.safetensors")
    ...     rs.save(p, {"v1": np.array([[1.0, np.nan], [3.0, 5.0]])})
    ...     rs.info(p)[0]
    {'name': 'v1', 'stimuli': 2, 'units': 2, 'min': 1.0, 'max': 5.0, 'mean': 3.0, 'non_finite': 1}
    """
    keys = ("name", "stimuli", "units", "min", "max", "mean", "non_finite")
    return [dict(zip(keys, row)) for row in _repscope.summarize_file(path)]


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


def _descriptors(d: Optional[Mapping[str, Any]], what: str) -> Optional[dict[str, Any]]:
    """Descriptor values in the kinds the core stores: ``str``, a number,
    a list of ``str``, an int64 or a float64 array."""
    if d is None:
        return None
    if not isinstance(d, Mapping):
        raise InputError(f"{what} must be a dict name -> value, got {type(d).__name__}")
    out: dict[str, Any] = {}
    for key, value in d.items():
        if isinstance(value, (str, np.str_)):
            out[str(key)] = str(value)
        elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            out[str(key)] = float(value)
        else:
            a = np.asarray(value).reshape(-1)
            if a.dtype.kind in "iub":
                out[str(key)] = a.astype(np.int64)
            elif a.dtype.kind == "f":
                out[str(key)] = a.astype(np.float64)
            elif a.dtype.kind == "S":
                out[str(key)] = [v.decode() for v in a]
            else:
                out[str(key)] = [str(v) for v in a]
    return out


def load_rsatoolbox_dataset(path: _Path) -> RsatoolboxDataset:
    """Read a file written by rsatoolbox's ``Dataset.save(path)`` (HDF5).

    Parameters
    ----------
    path : str or path-like
        The ``.h5``/``.hdf5`` file.

    Returns
    -------
    RsatoolboxDataset
        ``measurements`` (observations x channels) and the three descriptor
        dicts, with text as arrays of ``str`` and numbers as arrays.
        ``rs.load(path)`` reads the same file as a RepSet (stimuli from the
        ``conditions`` observation descriptor).

    Raises
    ------
    FormatError
        The file is not HDF5, or not an rsatoolbox Dataset.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np, repscope as rs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "data.h5")
    ...     rs.save_rsatoolbox_dataset(p, np.eye(3), obs_descriptors={"conditions": ["a", "b", "c"]})
    ...     ds = rs.load_rsatoolbox_dataset(p)
    >>> ds.measurements.shape, ds.obs_descriptors["conditions"].tolist()
    ((3, 3), ['a', 'b', 'c'])
    """
    return _repscope.read_rsatoolbox_dataset(path)


def save_rsatoolbox_dataset(
    path: _Path,
    measurements: Any,
    *,
    descriptors: Optional[Mapping[str, Any]] = None,
    obs_descriptors: Optional[Mapping[str, Any]] = None,
    channel_descriptors: Optional[Mapping[str, Any]] = None,
) -> None:
    """Write an HDF5 file that ``rsatoolbox.data.load_dataset`` reads.

    Parameters
    ----------
    path : str or path-like
        The ``.h5`` file (written atomically).
    measurements : array (observations, channels), or an ``rsatoolbox.data.Dataset``
        The patterns; a Dataset brings its own descriptors.
    descriptors, obs_descriptors, channel_descriptors : dict, optional
        rsatoolbox's descriptors: strings, numbers, or one value per
        observation / channel.

    Raises
    ------
    InputError
        Measurements not 2-D or not numeric, descriptors not a dict.
    FormatError
        The file cannot be written.
    """
    if hasattr(measurements, "measurements") and hasattr(measurements, "obs_descriptors"):
        ds = measurements
        descriptors = ds.descriptors if descriptors is None else descriptors
        obs_descriptors = ds.obs_descriptors if obs_descriptors is None else obs_descriptors
        channel_descriptors = (
            ds.channel_descriptors if channel_descriptors is None else channel_descriptors
        )
        measurements = ds.measurements
    x = matrix(measurements, "measurements")
    _repscope.write_rsatoolbox_dataset(
        path,
        np.ascontiguousarray(x, dtype=np.float64),
        _descriptors(descriptors, "descriptors"),
        _descriptors(obs_descriptors, "obs_descriptors"),
        _descriptors(channel_descriptors, "channel_descriptors"),
    )


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
    a = aligned_f64(data, "'data'")
    if a.ndim == 0 or 0 in a.shape:
        raise InputError(f"a NIfTI volume needs at least one value along 1 to 7 axes, got shape {a.shape}")
    aff = np.eye(4) if affine is None else np.ascontiguousarray(affine, dtype=np.float64)
    _repscope.write_nifti_volume(
        os.fspath(path), np.ascontiguousarray(a.ravel(order="F")), list(a.shape), aff
    )


def write_gifti(path: _Path, maps: Any, names: Optional[Sequence[str]] = None) -> None:
    """Write per-vertex maps as a GIfTI file (``.func.gii``): one data array
    per map (float32, gzip-base64, the name in its ``Name`` metadata), NaN
    kept, written atomically. ``maps`` is one map (vertices,), a stack
    (maps, vertices) or a dict name -> map (e.g. :func:`surface_searchlight`'s
    result); ``names`` default to ``map0``, ``map1`` ..."""
    if isinstance(maps, Mapping):
        names = list(maps) if names is None else list(names)
        maps = np.stack([aligned_f64(v, f"map '{k}'").ravel() for k, v in maps.items()])
    a = aligned_f64(maps, "'maps'")
    if a.ndim not in (1, 2) or a.shape[-1] == 0:
        raise InputError(f"maps must be one map (vertices,) or (maps x vertices) with at least one "
                         f"vertex, got shape {a.shape}")
    a = np.atleast_2d(a)
    names = [f"map{i}" for i in range(len(a))] if names is None else [str(n) for n in names]
    _repscope.write_gifti_file(os.fspath(path), names, np.ascontiguousarray(a))


def read_surface(path: _Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a GIfTI surface mesh (``.surf.gii``).

    Parameters
    ----------
    path : str or path-like
        A GIfTI file with a ``NIFTI_INTENT_POINTSET`` and a
        ``NIFTI_INTENT_TRIANGLE`` array (ASCII, base64 or gzip-base64).

    Returns
    -------
    coords : ndarray (n_vertices, 3)
        Vertex coordinates as stored (no coordinate-system transform).
    faces : ndarray int64 (n_faces, 3)
        Vertex indices of each triangle.

    Raises
    ------
    FormatError
        Not a valid GIfTI (e.g. a data array whose byte count does not match
        its dimensions), or a face naming a missing vertex.
    """
    return _repscope.read_surface_mesh(path)


def read_cifti(path: _Path) -> Cifti:
    """Read a dense CIFTI-2 file (``.dscalar.nii``, ``.dtseries.nii``,
    ``.dlabel.nii``).

    ``rs.load(path)`` reads the same file as a RepSet (one representation,
    maps x grayordinates); this also says what each column is.

    Parameters
    ----------
    path : str or path-like
        A NIfTI-2 file carrying the CIFTI-2 XML (extension 32), whose
        dimension 1 is brain models.

    Returns
    -------
    Cifti
        ``data`` (maps x grayordinates, as nibabel's ``get_fdata()``),
        ``map_names``, and per column ``structures``, ``vertices`` and
        ``voxels``.

    Raises
    ------
    FormatError
        No CIFTI header, or a matrix that does not match its brain models.
    """
    return _repscope.read_cifti_file(path)
