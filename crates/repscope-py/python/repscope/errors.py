"""Exceptions raised by repscope.

Every error from the Rust core carries its message (what is wrong, where,
how to fix it) and its values as attributes: a :class:`StimulusMismatchError`
has ``a_rows`` and ``b_rows``, an :class:`UnknownChoiceError` has ``what``,
``given`` and ``known``. Each class is a subclass of one of three families,
which are themselves standard exceptions:

- :class:`InputError` (``ValueError``): invalid arrays or parameters;
- :class:`FormatError` (``OSError``): missing, unreadable or unsupported files;
- :class:`InternalError` (``RuntimeError``): a bug in repscope.

Catch :class:`Error` to handle any of them. Ctrl-C during a computation
raises ``KeyboardInterrupt``, as everywhere in Python.
"""

from __future__ import annotations

import builtins
import functools
import os
from typing import Any, Callable, TypeVar


class Error(Exception):
    """Base class of every repscope error.

    Attributes
    ----------
    kind : str
        The core's name for the error, e.g. ``"StimulusMismatch"``.

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> try:
    ...     rs.similarity(np.ones((3, 2)), np.ones((3, 2)), measure="no_such_measure")
    ... except rs.Error as e:
    ...     print(type(e).__name__, e.kind, "unknown measure" in str(e))
    UnknownMeasureError UnknownMeasure True
    """

    kind = "Error"


class InputError(Error, ValueError):
    """The input (arrays, parameters) is invalid: wrong shape, NaN, mismatched
    stimuli, unknown measure ...

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> try:
    ...     rs.similarity(np.ones((3, 2)), np.ones((4, 2)))  # 3 vs 4 stimuli
    ... except rs.InputError as e:
    ...     print(isinstance(e, ValueError), e.a_rows, e.b_rows)
    True 3 4
    """

    kind = "Input"


class FormatError(Error, OSError):
    """A file is missing, unreadable, truncated or not in a supported format.

    Examples
    --------
    >>> import os, tempfile
    >>> import repscope as rs
    >>> with tempfile.TemporaryDirectory() as d:
    ...     try:
    ...         rs.load(os.path.join(d, "missing.npz"))
    ...     except rs.FormatError as e:
    ...         print(isinstance(e, OSError), e.path.endswith("missing.npz"))
    True True
    """

    kind = "Format"


class InternalError(Error, RuntimeError):
    """A failure inside repscope; please report it as a bug.

    Examples
    --------
    >>> import repscope as rs
    >>> issubclass(rs.InternalError, rs.Error), issubclass(rs.InternalError, RuntimeError)
    (True, True)
    """

    kind = "Internal"


# One class per core error kind (the core's variant name plus "Error"),
# under the family the core puts it in; the values the error carries are
# attributes (e.g. ``a_rows``, ``b_rows``; ``what``, ``given``, ``known``).


class NotTwoDimensionalError(InputError):
    """The core's ``NotTwoDimensional`` error."""

    kind = "NotTwoDimensional"


class EmptyError(InputError):
    """The core's ``Empty`` error."""

    kind = "Empty"


class NonFiniteError(InputError):
    """The core's ``NonFinite`` error."""

    kind = "NonFinite"


class StimulusMismatchError(InputError):
    """The core's ``StimulusMismatch`` error."""

    kind = "StimulusMismatch"


class InvalidRdmError(InputError):
    """The core's ``InvalidRdm`` error."""

    kind = "InvalidRdm"


class ShapeMismatchError(InputError):
    """The core's ``ShapeMismatch`` error."""

    kind = "ShapeMismatch"


class TensorsDifferError(InputError):
    """The core's ``TensorsDiffer`` error."""

    kind = "TensorsDiffer"


class TensorShapeMismatchError(InputError):
    """The core's ``TensorShapeMismatch`` error."""

    kind = "TensorShapeMismatch"


class NotArithmeticError(InputError):
    """The core's ``NotArithmetic`` error."""

    kind = "NotArithmetic"


class NonFiniteTensorError(InputError):
    """The core's ``NonFiniteTensor`` error."""

    kind = "NonFiniteTensor"


class ValueOverflowError(InputError):
    """The core's ``Overflow`` error."""

    kind = "Overflow"


class TaskVectorInputError(InputError):
    """The core's ``TaskVectorInput`` error."""

    kind = "TaskVectorInput"


class DuplicateNameError(InputError):
    """The core's ``DuplicateName`` error."""

    kind = "DuplicateName"


class UnknownRepresentationError(InputError):
    """The core's ``UnknownRepresentation`` error."""

    kind = "UnknownRepresentation"


class NoRepresentationsError(InputError):
    """The core's ``NoRepresentations`` error."""

    kind = "NoRepresentations"


class UnknownMeasureError(InputError):
    """The core's ``UnknownMeasure`` error."""

    kind = "UnknownMeasure"


class InvalidParameterError(InputError):
    """The core's ``InvalidParameter`` error."""

    kind = "InvalidParameter"


class UndefinedError(InputError):
    """The core's ``Undefined`` error."""

    kind = "Undefined"


class UnknownChoiceError(InputError):
    """The core's ``UnknownChoice`` error."""

    kind = "UnknownChoice"


class OutOfRangeError(InputError):
    """The core's ``OutOfRange`` error."""

    kind = "OutOfRange"


class TooFewError(InputError):
    """The core's ``TooFew`` error."""

    kind = "TooFew"


class TooLargeError(InputError):
    """The core's ``TooLarge`` error: a job predicted to need more memory than
    is available (its ``needed`` and ``available`` attributes say how much)."""

    kind = "TooLarge"


class UnsupportedDtypeError(InputError):
    """The core's ``UnsupportedDtype`` error."""

    kind = "UnsupportedDtype"


class ModelError(InputError):
    """The core's ``Model`` error."""

    kind = "Model"


class InvalidError(InputError):
    """The core's ``Invalid`` error."""

    kind = "Invalid"


class IoError(FormatError):
    """The core's ``Io`` error."""

    kind = "Io"


class UnsupportedFileError(FormatError):
    """The core's ``UnsupportedFile`` error."""

    kind = "UnsupportedFile"


_BY_KIND: dict[str, type[Error]] = {
    "Format": FormatError,
    "Internal": InternalError,
    "NotTwoDimensional": NotTwoDimensionalError,
    "Empty": EmptyError,
    "NonFinite": NonFiniteError,
    "StimulusMismatch": StimulusMismatchError,
    "InvalidRdm": InvalidRdmError,
    "ShapeMismatch": ShapeMismatchError,
    "TensorsDiffer": TensorsDifferError,
    "TensorShapeMismatch": TensorShapeMismatchError,
    "NotArithmetic": NotArithmeticError,
    "NonFiniteTensor": NonFiniteTensorError,
    "Overflow": ValueOverflowError,
    "TaskVectorInput": TaskVectorInputError,
    "DuplicateName": DuplicateNameError,
    "UnknownRepresentation": UnknownRepresentationError,
    "NoRepresentations": NoRepresentationsError,
    "UnknownMeasure": UnknownMeasureError,
    "InvalidParameter": InvalidParameterError,
    "Undefined": UndefinedError,
    "UnknownChoice": UnknownChoiceError,
    "OutOfRange": OutOfRangeError,
    "TooFew": TooFewError,
    "TooLarge": TooLargeError,
    "UnsupportedDtype": UnsupportedDtypeError,
    "Model": ModelError,
    "Invalid": InvalidError,
    "Io": IoError,
    "UnsupportedFile": UnsupportedFileError,
}

_FAMILY: dict[str, type[Error]] = {
    "input": InputError, "file": FormatError, "internal": InternalError,
}


def _from_core(kind: str, category: str, message: str, fields: dict[str, Any]) -> BaseException:
    """The exception for a core error (called by the extension)."""
    if category == "interrupt":
        return KeyboardInterrupt(message)
    family = _FAMILY.get(category, InternalError)
    cls = _BY_KIND.get(kind, family)
    if not issubclass(cls, family):
        # A kind the core files under another family in this context (a
        # wrapped error): keep the family the core chose.
        cls = family
    error = cls(message)
    error.kind = kind
    for name, value in fields.items():
        setattr(error, name, value)
    return error


F = TypeVar("F", bound=Callable[..., Any])


def _public(function: F) -> F:
    """At the public boundary, a wrong argument that Python itself rejects
    inside repscope (``TypeError``, ``ValueError`` or ``OverflowError`` from
    converting it, e.g. a string where a number or an array is expected)
    becomes an :class:`InputError` too, so ``except repscope.Error`` catches
    every bad input. The message is kept; errors raised in user code
    (callbacks, splitters) pass through unchanged."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Error:
            raise
        except (builtins.TypeError, builtins.ValueError, builtins.OverflowError) as e:
            if not _from_extension(e):
                raise
            raise InputError(str(e)) from e

    return wrapper  # type: ignore[return-value]


def _from_extension(e: BaseException) -> bool:
    """Whether the innermost frame of ``e`` is a call into the extension
    (its traceback ends in this package, not in user code)."""
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE)


_PACKAGE = os.path.dirname(os.path.abspath(__file__))


__all__ = [
    "Error", "InputError", "FormatError", "InternalError",
    "DuplicateNameError",
    "EmptyError",
    "InvalidError",
    "InvalidParameterError",
    "InvalidRdmError",
    "IoError",
    "ModelError",
    "NoRepresentationsError",
    "NonFiniteError",
    "NonFiniteTensorError",
    "NotArithmeticError",
    "NotTwoDimensionalError",
    "OutOfRangeError",
    "ShapeMismatchError",
    "StimulusMismatchError",
    "TaskVectorInputError",
    "TensorShapeMismatchError",
    "TensorsDifferError",
    "TooFewError",
    "TooLargeError",
    "UndefinedError",
    "UnknownChoiceError",
    "UnknownMeasureError",
    "UnknownRepresentationError",
    "UnsupportedDtypeError",
    "UnsupportedFileError",
    "ValueOverflowError",
]
