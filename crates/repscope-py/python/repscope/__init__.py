"""repscope: measure, compare, probe and compress neural representations.

A *representation* is a stimuli x units array (a model layer, a brain
region). A :class:`RepSet` is an ordered mapping name -> representation over
the same stimuli. All numbers are computed by the Rust core, in float64,
with the GIL released; Ctrl-C stops a computation within a fraction of a
second.

The package mirrors the core: each submodule is one core module
(``repscope.rsa`` is ``repscope::rsa``, ``repscope.units`` is
``repscope::units`` ...), and everything public is also here at the top.

>>> import numpy as np, repscope as rs
>>> X = np.random.default_rng(0).normal(size=(100, 20))
>>> round(rs.similarity(X, 2 * X + 1, measure="linear_cka"), 12)
1.0
"""

from __future__ import annotations

import inspect as _inspect
from types import ModuleType as _ModuleType

from . import _repscope
from . import (
    alignment,
    bids,
    compress,
    data,
    encode,
    errors,
    extract as _extract_module,
    graph,
    linalg,
    measures as _measures_module,
    pairwise as _pairwise_module,
    preflight,
    probe as _probe_module,
    report as _report_module,
    rsa,
    sdr,
    shape_space,
    stats,
    taskvec,
    units,
)
from .alignment import *  # noqa: F401,F403
from .bids import *  # noqa: F401,F403
from .compress import *  # noqa: F401,F403
from .data import *  # noqa: F401,F403
from .encode import *  # noqa: F401,F403
from .errors import *  # noqa: F401,F403
from .extract import *  # noqa: F401,F403
from .graph import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .measures import *  # noqa: F401,F403
from .pairwise import *  # noqa: F401,F403
from .preflight import *  # noqa: F401,F403
from .probe import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
from .rsa import *  # noqa: F401,F403
from .sdr import *  # noqa: F401,F403
from .shape_space import *  # noqa: F401,F403
from .stats import *  # noqa: F401,F403
from .taskvec import *  # noqa: F401,F403
from .units import *  # noqa: F401,F403

#: The submodules whose public names make up the package's, in the core's
#: order of layers (data in, measures, analyses, compression, helpers).
_SUBMODULES: tuple[_ModuleType, ...] = (
    data, bids, _extract_module, _measures_module, _pairwise_module, rsa, stats, encode, _probe_module,
    units, alignment, shape_space, graph, linalg, compress, sdr, taskvec, preflight, _report_module,
    errors,
)

__all__ = [name for module in _SUBMODULES for name in module.__all__]


def _guard_public_functions() -> None:
    """Every public function turns Python's own argument errors into
    :class:`InputError` (see :func:`repscope.errors._public`)."""
    for module in _SUBMODULES:
        for name in module.__all__:
            value = getattr(module, name)
            if _inspect.isfunction(value) and module is not errors:
                guarded = errors._public(value)
                setattr(module, name, guarded)
                globals()[name] = guarded


_guard_public_functions()

# The submodule names shadowed by same-named functions (rs.measures,
# rs.pairwise, rs.probe are functions) stay reachable as
# repscope.<name> modules through sys.modules / `import repscope.probe`.
