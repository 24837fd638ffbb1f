"""Old spellings that keep working for a while, with a DeprecationWarning.

One name per idea across the CLI and Python: the bootstrap count is
``n_boot``, the number of permutations ``n_permutations``, the RDM
comparison ``compare``. Code written against the earlier names still
runs; :func:`renamed` maps them and says what to write instead.
"""

from __future__ import annotations

import functools
import sys
import warnings
from types import FrameType
from typing import Any, Callable, Optional, TypeVar

from .errors import _PACKAGE


def _caller_outside_package() -> int:
    """The ``stacklevel`` of the first frame outside repscope (and outside
    the import machinery), for ``warnings.warn`` called by our caller: the
    warning then names the user's line, and Python's default filters show
    it there."""
    level = 2
    frame: Optional[FrameType] = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(_PACKAGE):
            level += 1
        elif not ("importlib" in name and "_bootstrap" in name):
            break  # (warnings skips the import machinery's frames itself)
        frame = frame.f_back
    return level

F = TypeVar("F", bound=Callable[..., Any])


def renamed(**old_to_new: str) -> Callable[[F], F]:
    """Decorator: keyword ``old`` is accepted as ``new``, with a warning."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{function.__name__}() got both '{old}' and its new name '{new}'"
                        )
                    warnings.warn(
                        f"{function.__name__}({old}=...) is deprecated; write {new}=...",
                        DeprecationWarning,
                        stacklevel=_caller_outside_package(),
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def moved(old_module: str, new_module: str) -> None:
    """Warns that ``repscope.<old_module>`` is now ``repscope.<new_module>``."""
    warnings.warn(
        f"repscope.{old_module} is deprecated; import from repscope.{new_module}",
        DeprecationWarning,
        stacklevel=_caller_outside_package(),
    )
