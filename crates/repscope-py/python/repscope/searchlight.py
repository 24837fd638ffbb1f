"""Deprecated: the searchlight and RDM movies now live in
:mod:`repscope.rsa` (``rsa.searchlight``, ``rsa.movie``), NIfTI I/O in
:mod:`repscope.data` and the sign-flip tests in :mod:`repscope.stats`, as in
the core."""

import sys
import types
from typing import Any

from ._compat import moved
from .data import read_nifti, write_nifti
from .rsa.movie import rdm_movie, temporal_generalization
from .rsa.searchlight import SearchlightRDMs, searchlight
from .stats import ClusterResult, SignFlipResult, cluster_test, sign_flip_test

moved("searchlight", "rsa.searchlight")

__all__ = [
    "read_nifti", "write_nifti", "searchlight", "SearchlightRDMs", "rdm_movie",
    "temporal_generalization", "sign_flip_test", "SignFlipResult", "cluster_test",
    "ClusterResult",
]


class _CallableModule(types.ModuleType):
    """Importing ``repscope.searchlight`` rebinds the package attribute
    ``rs.searchlight`` to this module; calling it still runs the function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return searchlight(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
