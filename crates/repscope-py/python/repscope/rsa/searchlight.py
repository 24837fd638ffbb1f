"""Searchlight RSA: an RDM in the sphere around every mask voxel of a volume
(:func:`searchlight`) or in the disc around every vertex of a cortical
surface (:func:`surface_searchlight`), compared with model RDMs into one map
per model. Mirrors ``repscope::rsa::searchlight``; the neighbourhoods, RDMs
and comparisons run in the core.

Conventions: voxels are numbered in C order of the 3-D grid (as
``numpy.ravel_multi_index``); a sphere holds the mask voxels at a distance
<= ``radius`` from its centre (rsatoolbox's ``get_volume_searchlight`` with
``truncate_at_boundary=True``, except that its distance test is strict, < r);
centres whose sphere has fewer than ``min_voxels`` voxels get NaN.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from .. import _repscope
from .._arrays import aligned_f64
from ..data import _is_path
from ..errors import InputError

__all__ = [
    "searchlight",
    "SearchlightRDMs",
    "surface_searchlight",
    "SurfaceRDMs",
    "surface_discs",
    "sensor_searchlight",
    "channel_adjacency",
    "SearchlightEstimate",
    "decoding_searchlight",
    "searchlight_spheres",
]

SearchlightEstimate = _repscope.SearchlightEstimate


@dataclass
class SearchlightRDMs:
    """The RDM of every searchlight sphere: ``rdms[n]`` (condensed, scipy
    ``pdist`` order) belongs to the centre at grid position ``centres[n]``."""

    rdms: np.ndarray
    centres: np.ndarray
    shape: tuple[int, int, int]

    @property
    def voxel_index(self) -> np.ndarray:
        """C-order flat indices of the centres (rsatoolbox's ``voxel_index``)."""
        return np.asarray(np.ravel_multi_index(tuple(self.centres.T), self.shape), dtype=np.intp)


def _labels(conditions: Any, folds: Any, n: int) -> tuple[list[str], Optional[list[str]]]:
    """Condition and fold labels as strings, one per measurement (row)."""
    labels = [str(c) for c in np.asarray(conditions).ravel().tolist()]
    if len(labels) != n:
        raise InputError(
            f"there are {n} volumes but {len(labels)} condition labels; give one label per volume"
        )
    if folds is None:
        return labels, None
    fold_labels = [str(f) for f in np.asarray(folds).ravel().tolist()]
    if len(fold_labels) != n:
        raise InputError(
            f"there are {n} volumes but {len(fold_labels)} fold labels; give one label per volume"
        )
    return labels, fold_labels


def _volume_centres(inside: np.ndarray, shape: tuple[int, int, int], stride: Any,
                    centres: Any) -> Optional[list[int]]:
    """The mask-voxel indices (data columns) used as centres, or None for all."""
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise InputError(f"stride must be an integer >= 1, got {stride!r}")
    if stride == 1 and centres is None:
        return None
    coords = np.argwhere(inside.reshape(shape))  # C order: the data columns
    use = np.all(coords % int(stride) == 0, axis=1)
    if centres is not None:
        c = np.asarray(centres)
        if c.ndim != 2 or c.shape[1] != 3 or not np.issubdtype(c.dtype, np.integer):
            raise InputError(f"centres must be an (n, 3) integer array of grid indices, got {c.shape}")
        column = np.full(shape, -1, dtype=np.int64)
        column[tuple(coords.T)] = np.arange(len(coords))
        if np.any(c < 0) or np.any(c >= np.array(shape)):
            raise InputError(f"centres must lie on the {shape} grid")
        picked = column[tuple(c.T)]
        if np.any(picked < 0):
            bad = c[np.flatnonzero(picked < 0)[0]]
            raise InputError(f"centre {tuple(int(v) for v in bad)} is outside the mask")
        keep = np.zeros(len(coords), dtype=bool)
        keep[picked] = True
        use &= keep
    return [int(i) for i in np.flatnonzero(use)]


def _model_stack(models: Any) -> tuple[Optional[np.ndarray], Optional[list[str]], bool]:
    """Model RDMs as (models x pairs, their names for a dict, True for one 1-D RDM)."""
    if models is None:
        return None, None, False
    if hasattr(models, "get_vectors"):  # an rsatoolbox RDMs object
        models = models.get_vectors()
    if isinstance(models, Mapping):
        names = list(models)
        stack = np.stack([aligned_f64(models[n], f"model '{n}'").ravel() for n in names])
        return np.ascontiguousarray(stack), names, False
    stack = aligned_f64(models, "models")
    return np.ascontiguousarray(np.atleast_2d(stack)), None, stack.ndim == 1


def _radius_affine(radius_unit: str, affine: Any, file_affine: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """The affine a radius in mm is measured through (None for voxels)."""
    if radius_unit not in ("voxels", "mm"):
        raise InputError(f"radius_unit must be 'voxels' or 'mm', not {radius_unit!r}")
    if radius_unit == "voxels":
        return None
    aff = file_affine if affine is None else np.ascontiguousarray(affine, dtype=np.float64)
    if aff is None:
        raise InputError("a radius in mm needs an affine: pass affine= or NIfTI paths")
    return aff


def _block_mb(block_mb: Optional[float]) -> Optional[float]:
    """A block size in MB, checked (None: the core's default)."""
    if block_mb is not None and not block_mb > 0:
        raise InputError(f"block_mb must be a positive number of MB, got {block_mb!r}")
    return None if block_mb is None else float(block_mb)


def _run(estimate: bool, force: bool, block_mb: Optional[float], extra: list[tuple[str, int]]) -> dict[str, Any]:
    """How the core runs a searchlight (see ``searchlight``'s ``estimate``,
    ``force``, ``block_mb``); ``extra`` are this front door's own copies."""
    return {"estimate": bool(estimate), "force": bool(force), "block_mb": _block_mb(block_mb),
            "extra": extra}


def _mask(mask: Any) -> np.ndarray:
    """A mask as an array of numbers or booleans (non-zero is inside; NaN is
    outside, as some NIfTI masks mark it)."""
    m = np.asarray(mask)
    if m.dtype.kind not in "biuf":
        raise InputError(
            f"the mask holds {m.dtype} values; give numbers or booleans (non-zero is inside)")
    return m


def _stored(a: Any) -> np.ndarray:
    """``a`` as float32 or float64, whichever it is stored in (other types as
    float64): the searchlight core reads float32 in place and computes in
    float64, so large float32 inputs are not copied to twice their size."""
    array: np.ndarray = np.asarray(a)
    if array.dtype in (np.float32, np.float64):
        return array
    return aligned_f64(array, "the volumes")


def _inputs(volumes: Any, mask: Any) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int], Optional[np.ndarray]]:
    """(data: volumes x mask voxels, mask flat in C order, grid shape, affine or None)."""
    paths = _is_path(volumes) or (
        isinstance(volumes, Sequence) and len(volumes) > 0 and all(_is_path(v) for v in volumes)
    )
    if paths and _is_path(mask):
        vols = [os.fspath(volumes)] if _is_path(volumes) else [os.fspath(v) for v in volumes]
        data, flat_mask, shape, affine = _repscope.searchlight_inputs(vols, os.fspath(mask))
        return data, flat_mask, (int(shape[0]), int(shape[1]), int(shape[2])), affine
    if paths or _is_path(mask):
        raise InputError("give both the volumes and the mask as NIfTI paths, or both as arrays")
    v = np.asarray(volumes)
    if v.ndim == 3:
        v = v[..., None]
    if v.ndim != 4:
        raise InputError(
            f"volumes must be a 4-D array (x, y, z, volumes) or 3-D for one volume; got shape {v.shape}"
        )
    m = _mask(mask)
    if m.shape != v.shape[:3]:
        raise InputError(
            f"the mask's shape {m.shape} differs from the volumes' grid {v.shape[:3]}; they must "
            "be on the same grid"
        )
    inside = (m != 0) & ~np.isnan(m.astype(np.float64))
    # Volumes x voxels as the transpose of the voxels' copy (a view): every
    # voxel's values are contiguous for the core, and float32 stays float32.
    data = _stored(v[inside]).T
    nx, ny, nz = m.shape
    return data, np.ascontiguousarray(inside.ravel()), (int(nx), int(ny), int(nz)), None


def searchlight(
    volumes: Any,
    mask: Any,
    conditions: Any,
    radius: float = 3,
    method: str = "correlation",
    folds: Any = None,
    models: Any = None,
    compare: str = "corr",
    *,
    radius_unit: str = "voxels",
    affine: Any = None,
    min_voxels: int = 1,
    noise: Any = None,
    noise_method: str = "shrinkage_diag",
    stride: int = 1,
    centres: Any = None,
    estimate: bool = False,
    force: bool = False,
    block_mb: Optional[float] = None,
) -> Any:
    """Searchlight RSA: an RDM in the sphere around every mask voxel, compared
    with model RDMs.

    Parameters
    ----------
    volumes : 4-D array (x, y, z, volumes), or a NIfTI path (a 4-D series) or
        a list of NIfTI paths (3-D beta maps, stacked in order)
    mask : 3-D array or NIfTI path; non-zero voxels are searchlight voxels.
        With paths, every volume must share the mask's grid (shape and affine).
    conditions : one condition label per volume
    radius : sphere radius, in voxels or, with ``radius_unit="mm"``, in mm
        through the affine (the files' affine, or ``affine=`` for arrays)
    method : any dissimilarity of :func:`repscope.rdm` (``crossnobis`` needs
        ``folds``, e.g. the run of each volume)
    models : None, one condensed model RDM, a 2-D stack (one per row), or a
        dict of name -> RDM
    compare : any method of :func:`repscope.compare_rdms`
    min_voxels : centres whose sphere has fewer mask voxels get NaN
    stride : centres only on the sub-grid of voxels whose three indices are
        multiples of ``stride`` (spheres still hold every mask voxel); maps are
        NaN between them
    centres : (n, 3) grid indices of the mask voxels to use as centres (a
        region of interest); combined with ``stride`` when both are given
    noise : residuals (rows x mask voxels, or a 4-D array on the same grid) for
        a noise precision per sphere (``noise_method``), for mahalanobis and
        crossnobis
    estimate : return the predicted peak memory (above the inputs) and time
        (:class:`SearchlightEstimate`, from the engine's blocks and a timed
        sample of centres) instead of running
    force : run even when the prediction exceeds the memory available (the
        job is otherwise refused with :class:`~repscope.errors.TooLargeError`,
        which says how much it needs and what lowers it)
    block_mb : the most shared rows one block of centres holds, in MB
        (default 256): lower it to lower the peak

    float32 volumes and residuals are read in place and computed in float64
    (they are not widened in memory).

    Returns
    -------
    One map (x, y, z) for a single model RDM, a stack (models, x, y, z) for a
    2-D stack, a dict of maps for a dict; NaN outside the mask and below
    ``min_voxels``. Without models, the sphere RDMs (:class:`SearchlightRDMs`).
    """
    data, inside, shape, file_affine = _inputs(volumes, mask)
    aff = _radius_affine(radius_unit, affine, file_affine)
    if noise is not None:
        r = np.asarray(noise)
        noise = _stored(r[inside.reshape(shape)]).T if r.ndim == 4 else _stored(r)
    stack, names, single = _model_stack(models)
    labels, fold_labels = _labels(conditions, folds, data.shape[0])
    chosen = _volume_centres(inside, shape, stride, centres)
    copies = [("masked copy of the volumes", int(data.nbytes))]
    if noise is not None and np.asarray(noise).base is not None:
        copies.append(("masked copy of the residuals", int(noise.nbytes)))
    out = _repscope.searchlight_core(
        data,
        np.ascontiguousarray(inside, dtype=bool),
        list(shape),
        labels,
        float(radius),
        method,
        fold_labels,
        aff,
        int(min_voxels),
        stack,
        compare,
        noise,
        noise_method,
        chosen,
        _run(estimate, force, block_mb, copies),
    )
    if estimate:
        return out
    values, centres = out
    if stack is None:
        coords = np.argwhere(inside.reshape(shape))
        return SearchlightRDMs(rdms=values, centres=coords[np.asarray(centres, dtype=np.intp)], shape=shape)
    maps = values.reshape((values.shape[0], *shape))
    if names is not None:
        return {n: maps[i] for i, n in enumerate(names)}
    return maps[0] if single else maps


def decoding_searchlight(
    volumes: Any,
    mask: Any,
    labels: Any,
    folds: Any,
    radius: float = 3,
    classifier: str = "correlation",
    *,
    C: float = 1.0,
    tol: float = 1e-4,
    max_iter: int = 1000,
    radius_unit: str = "voxels",
    affine: Any = None,
    min_voxels: int = 1,
    stride: int = 1,
    centres: Any = None,
    block_mb: Optional[float] = None,
) -> np.ndarray:
    """Decoding searchlight: the cross-validated classification accuracy of the
    measurements in the sphere around every mask voxel.

    Leave-one-fold-out over ``folds`` (e.g. the run of each volume): trained
    on the other folds, each held-out volume is classified; the map holds the
    fraction classified correctly (chance: 1 / classes when balanced).

    Parameters
    ----------
    volumes, mask, radius, radius_unit, affine, min_voxels, stride, centres,
    block_mb : as in :func:`searchlight` (float32 volumes are read in place)
    labels : the class of each volume
    folds : the fold (run) of each volume; every class needs volumes in at
        least two folds
    classifier : ``"correlation"`` (nearest class mean by Pearson correlation
        across the sphere's voxels, Haxby et al. 2001; fast) or ``"logistic"``
        (L2 logistic regression, scikit-learn's ``LogisticRegression`` with
        ``C``, ``tol``, ``max_iter``; multinomial for 3+ classes)

    Returns
    -------
    The accuracy map (x, y, z), NaN outside the mask, off the centres and
    below ``min_voxels``.
    """
    data, inside, shape, file_affine = _inputs(volumes, mask)
    aff = _radius_affine(radius_unit, affine, file_affine)
    if folds is None:
        raise InputError("give folds (e.g. the run of each volume) for the cross-validation")
    classes, fold_labels = _labels(labels, folds, data.shape[0])
    assert fold_labels is not None
    chosen = _volume_centres(inside, shape, stride, centres)
    grid = _repscope.decoding_searchlight_core(
        data, np.ascontiguousarray(inside, dtype=bool), list(shape), classes, fold_labels,
        float(radius), classifier, aff, float(C), float(tol), int(max_iter), int(min_voxels),
        chosen, _block_mb(block_mb),
    )
    return np.asarray(grid).reshape(shape)


@dataclass
class SurfaceRDMs:
    """The RDM of every surface disc: ``rdms[n]`` (condensed, scipy
    ``pdist`` order) belongs to data column ``centres[n]``, which is mesh
    vertex ``vertices[n]``."""

    rdms: np.ndarray
    centres: np.ndarray
    vertices: np.ndarray


def _mesh(mesh: Any) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """One mesh, a path to a ``.surf.gii``, or a list of them (hemispheres)
    as one mesh: coordinates stacked, faces offset; and each part's vertex count."""
    from ..data import read_surface

    parts = mesh if isinstance(mesh, list) else [mesh]
    coords, faces, sizes, offset = [], [], [], 0
    for part in parts:
        c, f = read_surface(part) if _is_path(part) else part
        c = aligned_f64(c, "mesh coordinates")
        f = np.asarray(f)
        if c.ndim != 2 or c.shape[1] != 3 or f.ndim != 2 or f.shape[1] != 3:
            raise InputError(
                f"a mesh is (coordinates: vertices x 3, faces: triangles x 3); got shapes "
                f"{c.shape} and {f.shape}"
            )
        if not np.issubdtype(f.dtype, np.integer):
            raise InputError(f"mesh faces must be integer vertex indices, got {f.dtype}")
        coords.append(c)
        faces.append(f.astype(np.int64) + offset)
        sizes.append(len(c))
        offset += len(c)
    if not coords:
        raise InputError("give at least one mesh")
    return np.ascontiguousarray(np.vstack(coords)), np.ascontiguousarray(np.vstack(faces)), sizes


def _columns(n_vertices: int, n_columns: int, vertices: Any, mask: Any) -> np.ndarray:
    """The mesh vertex of each data column that is searched (mask applied)."""
    if vertices is None:
        if n_columns != n_vertices:
            raise InputError(
                f"the data has {n_columns} columns but the mesh {n_vertices} vertices; give "
                "vertices= (the mesh vertex of each column) for data on part of the mesh"
            )
        v = np.arange(n_columns)
    else:
        v = np.asarray(vertices).ravel()
        if len(v) != n_columns or not np.issubdtype(v.dtype, np.integer):
            raise InputError(
                f"vertices must hold one integer vertex per data column ({n_columns}), got "
                f"{len(v)} of type {v.dtype}"
            )
    if mask is not None:
        m = np.asarray(mask, dtype=bool).ravel()
        if len(m) != n_columns:
            raise InputError(f"mask must hold one value per data column ({n_columns}), got {len(m)}")
        v = np.where(m, v, -1)
    return v


def searchlight_spheres(mask: Any, radius: float = 2, threshold: float = 1.0,
                        truncate_at_boundary: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
    """Searchlight spheres as lists, by rsatoolbox's rule and in its format
    (``rsatoolbox.util.searchlight.get_volume_searchlight``, without its
    per-centre Python loop): the voxels at distance **< radius** (in voxels)
    of each mask voxel, cut at the grid's edge (and at the mask with
    ``truncate_at_boundary``); centres whose sphere lies at least
    ``threshold`` inside the mask are kept. :func:`searchlight` itself uses
    distance <= radius.

    Parameters
    ----------
    mask : 3-D array; non-zero voxels are centres
    radius : float, in voxels
    threshold : share of a sphere inside the mask for its centre to count
    truncate_at_boundary : drop the sphere's voxels outside the mask

    Returns
    -------
    (centres, neighbours)
        Flat indices (C order, ``np.ravel_multi_index``) of the kept centres,
        and for each an array of its sphere's flat indices, in rsatoolbox's
        order.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> centres, spheres = rs.searchlight_spheres(np.ones((3, 3, 3)), radius=1.5, threshold=0)
    >>> len(centres), len(spheres[13])
    (27, 19)
    """
    m = _mask(mask)
    if m.ndim != 3:
        raise InputError(f"the mask must be a 3-D array, got shape {m.shape}")
    if not np.any((m != 0) & ~np.isnan(m.astype(np.float64))):
        raise InputError(f"the mask (shape {m.shape}) has no voxel inside; non-zero marks inside")
    centres, flat, ends = _repscope.sphere_lists(
        np.ascontiguousarray(m != 0).ravel(), list(m.shape), float(radius), float(threshold),
        bool(truncate_at_boundary))
    return centres, np.split(flat, ends[:-1]) if ends else []


def surface_discs(mesh: Any, radius: float, *, vertices: Any = None) -> tuple[list[np.ndarray], float]:
    """The disc of every vertex: the vertices within ``radius`` mm along the
    mesh (shortest paths over its edges), nearest first; and the mesh's
    longest edge (discs are within about one edge of exact geodesic discs).

    ``vertices`` limits the discs (and their centres) to those mesh vertices.
    """
    coords, faces, _ = _mesh(mesh)
    v = np.arange(len(coords)) if vertices is None else np.asarray(vertices).ravel()
    discs, longest = _repscope.surface_discs(coords, faces, [int(i) for i in v], float(radius))
    return [v[np.asarray(d, dtype=np.intp)] for d in discs], longest


def surface_searchlight(
    data: Any,
    mesh: Any,
    conditions: Any,
    radius: float = 10.0,
    method: str = "correlation",
    folds: Any = None,
    models: Any = None,
    compare: str = "corr",
    *,
    vertices: Any = None,
    mask: Any = None,
    min_vertices: int = 1,
    noise: Any = None,
    noise_method: str = "shrinkage_diag",
    centres: Any = None,
    estimate: bool = False,
    force: bool = False,
    block_mb: Optional[float] = None,
) -> Any:
    """Surface searchlight RSA: an RDM in the disc around every vertex of a
    cortical mesh, compared with model RDMs.

    A disc holds the vertices within ``radius`` mm of its centre *along the
    mesh*: the shortest path over the mesh's edges (Dijkstra, edges weighted
    by length). Edge paths are never shorter than the true geodesic and at
    most about one edge longer over a disc, so a disc's rim is within one
    edge length of the exact geodesic disc (tested against great circles on
    a sphere). Paths may cross masked vertices; separate meshes
    (hemispheres) never share a disc.

    Parameters
    ----------
    data : array (measurements x columns) or a GIfTI/CIFTI path (maps x
        vertices, read with :func:`repscope.load`)
    mesh : (coordinates, faces), a ``.surf.gii`` path, or a list of them for
        several hemispheres (the data's columns then run over the first
        mesh's vertices, then the second's, unless ``vertices`` says otherwise)
    conditions, folds, method, models, compare, noise, noise_method :
        as in :func:`searchlight`
    radius : disc radius in mm along the surface
    vertices : the mesh vertex of each data column (default: column i is
        vertex i), e.g. a CIFTI's ``vertices`` offset per hemisphere
    mask : one bool per data column; False columns (e.g. the medial wall)
        are in no disc and get NaN
    min_vertices : centres whose disc has fewer vertices with data get NaN
    centres : the data columns to use as centres (default: every unmasked
        one); the others still take part in their neighbours' discs

    estimate, force, block_mb : as in :func:`searchlight` (the prediction
        instead of the run; run past the memory check; the block size in MB)

    Returns
    -------
    One map (a value per data column) for a single model RDM, a stack
    (models x columns) for a 2-D stack, a dict for a dict; NaN where masked
    or below ``min_vertices``. Without models, the disc RDMs
    (:class:`SurfaceRDMs`).
    """
    if _is_path(data):
        from ..data import load

        reps = load(data)
        if len(reps) != 1:
            raise InputError(f"{data} holds {len(reps)} arrays; pass the one to search as an array")
        data = next(iter(reps.values()))
    x = _stored(data)
    if x.ndim != 2:
        raise InputError(f"data must be 2-D (measurements x columns), got shape {x.shape}")
    coords, faces, _ = _mesh(mesh)
    columns = _columns(len(coords), x.shape[1], vertices, mask)
    keep = np.flatnonzero(columns >= 0)
    labels, fold_labels = _labels(conditions, folds, x.shape[0])
    stack, names, single = _model_stack(models)
    if noise is not None:
        noise = _stored(noise)[:, keep]
    chosen = None
    if centres is not None:
        c = np.asarray(centres).ravel()
        if not np.issubdtype(c.dtype, np.integer) or np.any(c < 0) or np.any(c >= x.shape[1]):
            raise InputError(f"centres must be data column indices in 0..{x.shape[1]}")
        position = np.full(x.shape[1], -1)
        position[keep] = np.arange(len(keep))
        if np.any(position[c] < 0):
            raise InputError("a centre is a masked column; unmask it or leave it out")
        chosen = [int(i) for i in position[c]]
    copies = [("selected columns of the data", int(x.shape[0] * len(keep) * 8))]
    out = _repscope.surface_searchlight_core(
        x[:, keep],
        coords,
        faces,
        [int(v) for v in columns[keep]],
        labels,
        float(radius),
        method,
        fold_labels,
        int(min_vertices),
        stack,
        compare,
        noise,
        noise_method,
        chosen,
        _run(estimate, force, block_mb, copies),
    )
    if estimate:
        return out
    values, centres = out
    if stack is None:
        c = keep[np.asarray(centres, dtype=np.intp)]
        return SurfaceRDMs(rdms=values, centres=c, vertices=columns[c])
    maps = np.full((values.shape[0], x.shape[1]), np.nan)
    maps[:, keep] = values
    if names is not None:
        return {n: maps[i] for i, n in enumerate(names)}
    return maps[0] if single else maps


def channel_adjacency(adjacency: Any = None, *, positions: Any = None,
                      distance: Optional[float] = None) -> list[list[int]]:
    """The channels adjacent to each channel, as lists of indices.

    From an adjacency matrix (channels x channels, non-zero = adjacent; a
    scipy sparse matrix such as ``mne.channels.find_ch_adjacency``'s works
    too), from lists of adjacent channels (returned as given, as ints), or
    from sensor ``positions`` (channels x 2 or 3) and a ``distance``:
    channels at most that far apart are adjacent.
    """
    if isinstance(adjacency, list) and all(isinstance(a, (list, tuple)) for a in adjacency):
        return [[int(j) for j in a] for a in adjacency]
    if adjacency is not None:
        if positions is not None or distance is not None:
            raise InputError("give an adjacency matrix, or positions and a distance, not both")
        a = adjacency.toarray() if hasattr(adjacency, "toarray") else np.asarray(adjacency)
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise InputError(f"an adjacency matrix is channels x channels, got shape {a.shape}")
        a = a != 0
        return [[int(j) for j in np.flatnonzero(a[i] | a[:, i])] for i in range(len(a))]
    if positions is None or distance is None:
        raise InputError("give an adjacency matrix, or positions= and distance=")
    p = aligned_f64(positions, "'positions'")
    if p.ndim != 2 or p.shape[1] not in (2, 3) or not np.all(np.isfinite(p)):
        raise InputError(f"positions must be finite (channels x 2 or 3), got shape {p.shape}")
    if not (np.isfinite(distance) and distance >= 0):
        raise InputError(f"distance must be a number >= 0, got {distance!r}")
    d = np.linalg.norm(p[:, None, :] - p[None, :, :], axis=-1)
    return [[int(j) for j in np.flatnonzero(row <= distance)] for row in d]


def sensor_searchlight(
    data: Any,
    adjacency: Any,
    conditions: Any = None,
    window: int = 1,
    step: int = 1,
    method: str = "correlation",
    folds: Any = None,
    models: Any = None,
    compare: str = "corr",
    *,
    noise: Any = None,
    noise_method: str = "shrinkage_diag",
    estimate: bool = False,
    force: bool = False,
    block_mb: Optional[float] = None,
) -> Any:
    """Spatio-temporal searchlight over MEG/EEG sensors: an RDM for every
    channel's neighbourhood (the channel and those adjacent to it) in every
    time window, compared with model RDMs.

    The pattern of a (channel, window) is the samples of the neighbourhood's
    channels over the window's ``window`` time points, concatenated (as
    mne-rsa's spatio-temporal searchlight). Windows start every ``step``
    points, at 0, step, 2·step ... while the whole window fits.

    Parameters
    ----------
    data : measurements x channels x time points, or ``mne.Epochs`` / a list
        of ``mne.Evoked`` / a ``.fif`` path (as :func:`rdm_movie` takes them;
        conditions then come from the event names)
    adjacency : an adjacency matrix (channels x channels, dense or scipy
        sparse) or lists of adjacent channels (see :func:`channel_adjacency`
        to build one from sensor positions)
    conditions, folds, method, models, compare, noise, noise_method :
        as in :func:`searchlight` (``noise``: residuals x (channels · time
        points), channel-major)

    estimate, force, block_mb : as in :func:`searchlight` (the prediction
        instead of the run; run past the memory check; the block size in MB)

    Returns
    -------
    One map (channels x windows) for a single model RDM, a stack (models x
    channels x windows) for a 2-D stack, a dict for a dict. Without models,
    :class:`SearchlightRDMs` whose ``centres`` are (channel, window start)
    pairs and whose ``shape`` is (channels, time points).
    """
    from .movie import _from_mne

    data, conditions = _from_mne(data, conditions)
    x = _stored(data)
    if x.ndim != 3:
        raise InputError(f"data must be measurements x channels x time points, got shape {x.shape}")
    n, channels, times = x.shape
    if conditions is None:
        raise InputError("give conditions (one label per measurement)")
    lists = channel_adjacency(adjacency)
    if len(lists) != channels:
        raise InputError(f"the adjacency covers {len(lists)} channels, the data {channels}")
    for name, v in (("window", window), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"{name} must be an integer >= 1, got {v!r}")
    labels, fold_labels = _labels(conditions, folds, n)
    stack, names, single = _model_stack(models)
    if noise is not None:
        noise = _stored(noise)
    out = _repscope.sensor_searchlight_core(
        x.reshape(n, channels * times),
        lists,
        times,
        int(window),
        int(step),
        labels,
        method,
        fold_labels,
        stack,
        compare,
        noise,
        noise_method,
        _run(estimate, force, block_mb, []),
    )
    if estimate:
        return out
    values, centres, starts = out
    if stack is None:
        c = np.asarray(centres, dtype=np.intp)
        pairs = np.column_stack([c // times, c % times])
        return SearchlightRDMs(rdms=values, centres=pairs, shape=(channels, times))  # type: ignore[arg-type]
    maps = values.reshape(values.shape[0], channels, len(starts))
    if names is not None:
        return {nm: maps[i] for i, nm in enumerate(names)}
    return maps[0] if single else maps
