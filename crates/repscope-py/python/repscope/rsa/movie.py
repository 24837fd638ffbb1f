"""RSA over time: an RDM per time window (an RDM movie) and the temporal
generalisation matrix between them. Mirrors ``repscope::rsa::movie``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import numpy as np

from .. import _repscope
from .._arrays import aligned_f64
from ..errors import FormatError, InputError

__all__ = ["rdm_movie", "temporal_generalization"]


def rdm_movie(
    data: Any,
    method: str = "correlation",
    window: int = 1,
    *,
    step: int = 1,
    conditions: Any = None,
    folds: Any = None,
    noise: Any = None,
) -> np.ndarray:
    """Time-resolved RDMs of ``data`` (measurements x channels x time).

    ``data`` may also be an ``mne.Epochs`` (conditions from its event
    names, one measurement per epoch), a list of ``mne.Evoked`` (one
    condition each, named by its ``comment``), or the path of an MNE
    ``.fif`` file of epochs (``*-epo.fif``) or evoked responses
    (``*-ave.fif``), read with MNE when it is installed; pass
    ``conditions`` to override.

    A window of ``window`` time points averages the patterns over those
    points before the RDM (rsatoolbox's ``bin_time``); windows start every
    ``step`` points, so ``step=window`` gives rsatoolbox's binned
    ``calc_rdm_movie``. Returns (windows x pairs).
    """
    data, conditions = _from_mne(data, conditions)
    a = aligned_f64(data, "data")
    if a.ndim != 3:
        raise InputError(
            f"data must be 3-D (measurements x channels x time), got shape {a.shape}"
        )
    lab = None if conditions is None else [str(c) for c in np.asarray(conditions).ravel().tolist()]
    fl = None if folds is None else [str(f) for f in np.asarray(folds).ravel().tolist()]
    prec = None if noise is None else np.asarray(noise, dtype=np.float64)
    return _repscope.rdm_movie_core(
        np.ascontiguousarray(a).ravel(), list(a.shape), method, int(window), int(step), lab, fl, prec
    )


def _is_evoked(x: Any) -> bool:
    return type(x).__module__.startswith("mne") and hasattr(x, "nave") and hasattr(x, "data")


_FIF_ENDINGS = (".fif", ".fif.gz")


def _read_fif(path: str) -> Any:
    """An MNE ``.fif`` file as MNE's objects: epochs, or a list of evoked
    responses for ``*-ave.fif``/``*_ave.fif``. MNE is imported here only."""
    try:
        # Through importlib: MNE has no type information, and it is optional.
        mne = importlib.import_module("mne")
    except ImportError:
        raise InputError(
            f"{path}: reading .fif files needs MNE; install it (pip install mne) "
            "or pass the epochs as an array"
        ) from None
    if not os.path.isfile(path):
        raise FormatError(f"{path}: no such file")
    stem = os.path.basename(path).split(".fif")[0]
    try:
        if stem.endswith(("-ave", "_ave")):
            return mne.read_evokeds(path, verbose="error")
        return mne.read_epochs(path, preload=True, verbose="error")
    except Exception as e:  # MNE's own errors vary by version
        raise FormatError(f"{path}: MNE cannot read it as epochs or evoked data ({e})") from None


def _from_mne(data: Any, conditions: Any) -> tuple[Any, Any]:
    """MNE objects as (measurements x channels x time, condition labels):
    ``mne.Epochs`` give one row per epoch labelled by its event name (from
    ``event_id``); ``mne.Evoked`` (one, or a list) one row each, labelled by
    its ``comment``. Anything else passes through. MNE is never imported
    here: the objects are recognised by their module and attributes.
    A path to a ``.fif`` file is read with MNE first."""
    if isinstance(data, (str, os.PathLike)) and os.fspath(data).endswith(_FIF_ENDINGS):
        data = _read_fif(os.fspath(data))
    module = type(data).__module__
    if module.startswith("mne") and hasattr(data, "get_data") and hasattr(data, "event_id"):
        if conditions is None:
            names = {code: name for name, code in data.event_id.items()}
            conditions = [names.get(int(c), str(c)) for c in data.events[:, 2]]
        return data.get_data(), conditions
    items = [data] if _is_evoked(data) else data
    if isinstance(items, (list, tuple)) and items and all(_is_evoked(e) for e in items):
        if conditions is None:
            conditions = [str(e.comment) for e in items]
        return np.stack([e.data for e in items]), conditions
    return data, conditions


def temporal_generalization(movie: Any, compare: str = "corr") -> np.ndarray:
    """The RDM at every time point against the RDM at every other: a
    (times x times) matrix from an RDM movie (:func:`rdm_movie`)."""
    m = np.ascontiguousarray(aligned_f64(movie, "movie"))
    return _repscope.compare_rdms(m, m, compare, None)
