"""Exceptions raised by repscope.

Every error from the Rust core carries its message: what is wrong, where
(file, array, row/column) and how to fix it.
"""


class Error(Exception):
    """Base class of every repscope error."""


class InputError(Error, ValueError):
    """The input (arrays, parameters) is invalid: wrong shape, NaN, mismatched
    stimuli, unknown measure ..."""


class FormatError(Error, OSError):
    """A file is missing, unreadable, truncated or not in a supported format."""


class InternalError(Error, RuntimeError):
    """A failure inside repscope; please report it as a bug."""


__all__ = ["Error", "InputError", "FormatError", "InternalError"]
