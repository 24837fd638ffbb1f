"""BIDS derivatives: the beta series of a subject and task, with the
conditions and runs of each run's ``events.tsv``, ready for
:func:`repscope.rdm` and :func:`repscope.searchlight`. Mirrors
``repscope::bids`` (its documentation gives the file naming).
"""

from __future__ import annotations

from os import PathLike
from typing import Optional, Union

from . import _repscope

__all__ = ["BidsBetas", "load_bids"]

BidsBetas = _repscope.BidsBetas

_Path = Union[str, "PathLike[str]"]


def load_bids(
    root: _Path,
    subject: str,
    task: str,
    *,
    space: Optional[str] = None,
    desc: Optional[str] = None,
    session: Optional[str] = None,
    suffix: str = "beta",
    raw: Optional[_Path] = None,
    condition_column: str = "trial_type",
) -> BidsBetas:
    """Find and read the beta series of every run of a subject and task.

    Each run is one 4-D NIfTI
    ``sub-<s>[_ses-<x>]_task-<t>[_run-<r>][_space-<sp>][_desc-<d>]_<suffix>.nii.gz``
    under ``sub-<s>/[ses-<x>/]func/``, whose volumes are the run's events
    in the order of its ``events.tsv`` (beside the betas, or in the raw
    dataset ``raw``).

    Parameters
    ----------
    root : str or path-like
        The derivatives folder (holding ``sub-<s>/``).
    subject, task : str
        Labels, with or without ``sub-`` / ``task-``.
    space, desc, session : str, optional
        Entities the files must have (needed when several match).
    suffix : str
        The betas' suffix (``beta``).
    raw : str or path-like, optional
        The raw BIDS dataset, searched for the events files.
    condition_column : str
        The ``events.tsv`` column naming each event's condition.

    Returns
    -------
    BidsBetas
        ``volume`` (x, y, z, events), ``affine``, ``conditions`` and
        ``runs`` (one per volume), ``files`` and ``events`` read. Pass
        ``volume``, ``conditions`` and ``folds=runs`` to
        :func:`repscope.searchlight`.

    Raises
    ------
    FormatError
        A file that does not follow the BIDS naming (the message names it),
        a missing condition column, an unreadable NIfTI.
    InputError
        No matching file, two files for one run, a run whose volumes and
        events differ in number.
    """
    return _repscope.load_bids_betas(
        root, subject, task, space, desc, session, suffix, raw, condition_column
    )


load = load_bids
