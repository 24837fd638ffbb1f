"""Deprecated: unit matching now lives in :mod:`repscope.units`, as in the
core's ``repscope::units``."""

from ._compat import moved
from .units import (
    LassoFit,
    Matching,
    SparsePrediction,
    SpectralGroups,
    lasso,
    match_units,
    unit_correlations,
)

moved("matching", "units")

__all__ = [
    "Matching", "SparsePrediction", "SpectralGroups", "LassoFit",
    "match_units", "unit_correlations", "lasso",
]
