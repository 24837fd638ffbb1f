"""Exceptions raised by repscope.

Every error from the Rust core carries its message: what is wrong, where
(file, array, row/column) and how to fix it.
"""


class Error(Exception):
    """Base class of every repscope error.

    Catch it to handle any error repscope raises; the subclasses are also
    standard exceptions (``ValueError``, ``OSError``, ``RuntimeError``).

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> try:
    ...     rs.similarity(np.ones((3, 2)), np.ones((3, 2)), measure="no_such_measure")
    ... except rs.Error as e:
    ...     print(type(e).__name__, "unknown measure" in str(e))
    InputError True
    """


class InputError(Error, ValueError):
    """The input (arrays, parameters) is invalid: wrong shape, NaN, mismatched
    stimuli, unknown measure ...

    Examples
    --------
    >>> import numpy as np, repscope as rs
    >>> try:
    ...     rs.similarity(np.ones((3, 2)), np.ones((4, 2)))  # 3 vs 4 stimuli
    ... except rs.InputError as e:
    ...     print(isinstance(e, ValueError), "3 stimuli" in str(e))
    True True
    """


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
    ...         print(isinstance(e, OSError))
    True
    """


class InternalError(Error, RuntimeError):
    """A failure inside repscope; please report it as a bug.

    Examples
    --------
    >>> import repscope as rs
    >>> issubclass(rs.InternalError, rs.Error), issubclass(rs.InternalError, RuntimeError)
    (True, True)
    """


__all__ = ["Error", "InputError", "FormatError", "InternalError"]
