"""The one timing rule of the side-by-side benchmarks: the best of
`repeats` wall-clock runs, both sides of a comparison given the same number.
(Benchmarks run as `python bench/NAME.py`, so this folder is on sys.path.)"""

from __future__ import annotations

import time
from typing import Any, Callable


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """Seconds of the fastest of `repeats` calls of `fn`, and its last result."""
    best, out = float("inf"), None
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out
