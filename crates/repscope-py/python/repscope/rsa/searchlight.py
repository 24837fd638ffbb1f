"""Searchlight RSA: an RDM in the sphere around every mask voxel of a volume,
compared with model RDMs into one map per model. Mirrors
``repscope::rsa::searchlight``; the spheres, RDMs and comparisons run in
the core.

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
from ..data import _is_path
from ..errors import InputError

__all__ = ["searchlight", "SearchlightRDMs"]


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
    m = np.asarray(mask)
    if m.shape != v.shape[:3]:
        raise InputError(
            f"the mask's shape {m.shape} differs from the volumes' grid {v.shape[:3]}; they must "
            "be on the same grid"
        )
    inside = (m != 0) & ~np.isnan(m.astype(np.float64))
    data = np.ascontiguousarray(v[inside].T, dtype=np.float64)
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
    noise : residuals (rows x mask voxels, or a 4-D array on the same grid) for
        a noise precision per sphere (``noise_method``), for mahalanobis and
        crossnobis

    Returns
    -------
    One map (x, y, z) for a single model RDM, a stack (models, x, y, z) for a
    2-D stack, a dict of maps for a dict; NaN outside the mask and below
    ``min_voxels``. Without models, the sphere RDMs (:class:`SearchlightRDMs`).
    """
    data, inside, shape, file_affine = _inputs(volumes, mask)
    n_labels = len(np.asarray(conditions).ravel())
    if n_labels != data.shape[0]:
        raise InputError(
            f"there are {data.shape[0]} volumes but {n_labels} condition labels; give one label "
            "per volume"
        )
    if folds is not None and len(np.asarray(folds).ravel()) != data.shape[0]:
        raise InputError(
            f"there are {data.shape[0]} volumes but {len(np.asarray(folds).ravel())} fold labels; "
            "give one label per volume"
        )
    if radius_unit not in ("voxels", "mm"):
        raise InputError(f"radius_unit must be 'voxels' or 'mm', not {radius_unit!r}")
    aff = None
    if radius_unit == "mm":
        aff = file_affine if affine is None else np.ascontiguousarray(affine, dtype=np.float64)
        if aff is None:
            raise InputError("a radius in mm needs an affine: pass affine= or NIfTI paths")
    if noise is not None:
        r = np.asarray(noise, dtype=np.float64)
        if r.ndim == 4:
            r = r[inside.reshape(shape)].T
        noise = np.ascontiguousarray(r)
    names = None
    single = False
    stack = None
    if models is not None:
        if hasattr(models, "get_vectors"):  # an rsatoolbox RDMs object
            models = models.get_vectors()
        if isinstance(models, Mapping):
            names = list(models)
            stack = np.stack([np.asarray(models[n], dtype=np.float64).ravel() for n in names])
        else:
            stack = np.asarray(models, dtype=np.float64)
            single = stack.ndim == 1
            stack = np.atleast_2d(stack)
        stack = np.ascontiguousarray(stack)
    labels = [str(c) for c in np.asarray(conditions).ravel().tolist()]
    fold_labels = None if folds is None else [str(f) for f in np.asarray(folds).ravel().tolist()]
    values, centres = _repscope.searchlight_core(
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
    )
    if stack is None:
        coords = np.argwhere(inside.reshape(shape))
        return SearchlightRDMs(rdms=values, centres=coords[np.asarray(centres, dtype=np.intp)], shape=shape)
    maps = values.reshape((values.shape[0], *shape))
    if names is not None:
        return {n: maps[i] for i, n in enumerate(names)}
    return maps[0] if single else maps
