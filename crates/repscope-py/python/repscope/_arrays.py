"""Shared input handling for the analysis modules."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError


def floats(x: Any, name: str) -> np.ndarray:
    """x as a float32/float64 array of any shape: float arrays pass through
    untouched, other numeric dtypes are converted to float64 exactly."""
    a = np.asarray(x)
    if a.dtype not in (np.float32, np.float64):
        a = aligned_f64(a, f"'{name}'")
    return a


def matrix(x: Any, name: str) -> np.ndarray:
    """x as a 2-D float32/float64 array (see :func:`floats`); a 1-D array is
    an error that says how to reshape it."""
    a = floats(x, name)
    if a.ndim != 2:
        raise InputError(
            f"'{name}' must be 2-D (stimuli x units), not of shape {a.shape}"
            + (f"; reshape it to ({a.shape[0]}, 1)" if a.ndim == 1 else "")
        )
    return a


def aligned_f64(x: Any, name: str = "an array argument") -> np.ndarray:
    """x as a float64 array with aligned elements (numpy allows unaligned
    ones, e.g. after unpickling; the core reads aligned memory). Only real
    numbers convert: complex values would lose their imaginary part, and
    strings or Python objects are not numbers, so those are errors rather
    than numpy's silent casts."""
    a = np.asarray(x)
    if a.dtype.kind not in "biuf":  # the one check of what counts as numbers
        kind = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects"}.get(
            a.dtype.kind, f"dtype {a.dtype}")
        raise InputError(
            f"{name} holds {kind}, not real numbers; pass a float or integer array "
            "(e.g. np.asarray(x, dtype=float), or x.real for complex values)"
        )
    return np.require(a.astype(np.float64, copy=False), requirements="A")
