"""A job's peak memory and time, predicted before it runs. Mirrors
``repscope::preflight``.

``estimate=True`` on :func:`repscope.rdm`, :func:`repscope.pairwise`,
:meth:`repscope.RidgeCV.estimate` and the searchlights returns the
prediction instead of running the job; without ``force=True`` a job whose
prediction exceeds the memory available raises
:class:`~repscope.errors.TooLargeError`, naming what it needs and what
lowers it. The command line's ``--dry-run`` and ``--force`` do the same.
"""

from __future__ import annotations

from typing import Optional

from . import _repscope

__all__ = ["Estimate", "available_memory"]

#: A job's predicted peak memory above its inputs (``peak_bytes``, and
#: ``parts``: (part, bytes) pairs), its floating-point work (``flops``) and
#: its compute time on this machine (``seconds``, from a timed product);
#: ``report()`` gives the prediction as text.
Estimate = _repscope.Estimate


def available_memory() -> Optional[int]:
    """Bytes this process may still allocate: the machine's available memory,
    or the room left under a cgroup (container) limit, whichever is smaller;
    None where the system does not say.

    Examples
    --------
    >>> import repscope as rs
    >>> m = rs.available_memory()
    >>> m is None or m > 0
    True
    """
    return _repscope.available_memory()
