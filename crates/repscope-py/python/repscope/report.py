"""One-page HTML reports and notebook views of results.

:func:`report` writes one self-contained HTML file (styles, scripts and data
inlined; its Content-Security-Policy forbids every fetch, so it opens the
same from a ``file://`` URL on an offline machine): each result as a figure
(heatmaps with hover, click-to-sort and clustering; bars, curves and MDS as
the same drawings :meth:`plot` writes), its table with a CSV download, and
a provenance panel. :func:`section` is the description of one result that
the report and the notebook view (``_repr_html_``) are drawn from.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from . import _repscope
from .errors import InputError

__all__ = ["report", "section"]

PathLike = Union[str, "os.PathLike[str]"]


def _clean(value: Any) -> Any:
    """JSON-ready: numpy to lists, NaN and infinities to None."""
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    return {"header": [str(h) for h in header], "rows": [_clean(list(r)) for r in rows]}


def _retrieval_chart(rows: Sequence[Mapping[str, Any]]) -> Optional[dict[str, Any]]:
    """Quality against the prefix dimension, one curve per precision, on a
    log axis (the exact-search rows; as ``repscope compress`` draws it)."""
    exact = [r for r in rows if r.get("retrieval", "exact") == "exact"]
    maps = sorted({k for r in exact for k in r if k.startswith("map@")},
                  key=lambda k: int(k.split("@")[1]))
    if not exact or not maps:
        return None
    metric = maps[-1]
    dims = sorted({int(r["dim"]) for r in exact})
    precisions = list(dict.fromkeys(str(r["precision"]) for r in exact))
    series = []
    for p in precisions:
        by_dim = {int(r["dim"]): r[metric] for r in exact if str(r["precision"]) == p}
        series.append({"name": p, "y": [by_dim.get(d) for d in dims]})
    return {
        "kind": "curves",
        "title": "retrieval quality vs dimension",
        "subtitle": f"{metric} over Matryoshka prefixes and precisions",
        "x_label": "dimensions (prefix)",
        "y_label": metric,
        "x": dims,
        "log_x": True,
        "series": series,
    }


def section(result: Any, title: Optional[str] = None, description: str = "") -> dict[str, Any]:
    """The report section of one result, as the JSON-ready dict the report
    is written from.

    Parameters
    ----------
    result : PairwiseResult, RSAResult, ProbeResult, RetrievalTable, a 2-D
        array (a heatmap), a 3-D array or nibabel image (a brain map, e.g.
        from :func:`searchlight`: slices through its peak, NaN outside the
        mask), a pandas DataFrame (a table), or a dict already in this form
        (``{"title", "chart", "table"}``).
    title : the section's heading (a default per kind when None).
    description : a sentence under the heading.
    """
    from .compress import RetrievalTable
    from .probe import ProbeResult

    out: dict[str, Any]
    if isinstance(result, Mapping) and ("chart" in result or "table" in result):
        out = dict(result)
    elif hasattr(result, "_chart_json"):
        chart = json.loads(result._chart_json())
        out = {"title": chart["title"], "chart": chart}
    elif isinstance(result, ProbeResult):
        out = {"title": "concept depth", "chart": json.loads(result._chart_json())}
    elif isinstance(result, RetrievalTable):
        rows = result.rows
        header = list(rows[0].keys()) if rows else []
        out = {"title": "retrieval quality", "table": _table(header, [[r[h] for h in header] for r in rows])}
        chart = _retrieval_chart(rows)
        if chart is not None:
            out["chart"] = chart
    elif hasattr(result, "to_dict") and hasattr(result, "columns"):
        header = [str(c) for c in result.columns]
        out = {"title": "table", "table": _table(header, result.itertuples(index=False, name=None))}
    elif (brain := _brain_map(result)) is not None:
        values, affine = brain
        out = json.loads(_repscope.volume_map_section(
            title or "brain map", np.ascontiguousarray(values, dtype=np.float64).ravel(),
            list(values.shape), affine.tolist(), "value"))
    else:
        values = np.asarray(result)
        if values.ndim != 2 or values.dtype.kind not in "fiub":
            raise InputError(
                f"rs.report cannot show a {type(result).__name__}: give a result object, "
                "a 2-D numeric array, a 3-D brain map (array or nibabel image) or a pandas DataFrame"
            )
        row_names = [str(i) for i in range(values.shape[0])]
        col_names = [str(j) for j in range(values.shape[1])]
        out = {"title": "matrix", "chart": {
            "kind": "matrix", "title": title or "matrix", "rows": row_names, "cols": col_names,
            "values": values.astype(np.float64), "value_label": "value",
        }}
    if title is not None:
        out["title"] = title
    if description:
        out["description"] = description
    cleaned: dict[str, Any] = _clean(out)
    return cleaned


def _brain_map(result: Any) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """A 3-D map and its affine (voxel indices when none) from a numeric
    array or a nibabel image (e.g. a searchlight map); None otherwise."""
    if hasattr(result, "affine") and hasattr(result, "get_fdata"):
        values = np.asarray(result.get_fdata())
        affine = np.asarray(result.affine, dtype=np.float64)
    elif isinstance(result, np.ndarray):
        values, affine = result, np.eye(4)
    else:
        return None
    if values.ndim != 3 or values.dtype.kind not in "fiub":
        return None
    return values, affine


def _input_file(path: PathLike) -> dict[str, Any]:
    """Path, size and SHA-256 of an input file or folder (as the CLI records them)."""
    name, size, digest = _repscope.report_input(os.fspath(path))
    return {"path": name, "bytes": size, "sha256": digest}


def report(
    results: Any,
    path: PathLike,
    title: str = "repscope report",
    *,
    inputs: Sequence[PathLike] = (),
    parameters: Optional[Mapping[str, Any]] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    seconds: Optional[float] = None,
) -> Path:
    """Writes one self-contained HTML page showing ``results``.

    Parameters
    ----------
    results : one result, a list of them, or a dict title -> result (see
        :func:`section` for what a result may be).
    path : the ``.html`` file to write (written whole or not at all).
    title : the page's title.
    inputs : files (or folders) the results came from; their sizes and
        SHA-256 hashes go into the provenance panel.
    parameters, seed, threads, seconds : recorded in the provenance panel.

    Returns
    -------
    The path written.

    Examples
    --------
    >>> import numpy as np, repscope as rs, tempfile, os
    >>> X = np.random.default_rng(0).normal(size=(30, 5))
    >>> r = rs.pairwise({"a": X, "b": X[:, :3]}, measure="linear_cka")
    >>> out = rs.report([r], os.path.join(tempfile.mkdtemp(), "r.html"))
    >>> out.stat().st_size > 1000
    True
    """
    if isinstance(results, Mapping):
        sections = [section(r, title=str(k)) for k, r in results.items()]
    elif isinstance(results, (list, tuple)):
        sections = [section(r) for r in results]
    else:
        sections = [section(results)]
    machine, created = _repscope.report_environment()
    build = _repscope.build_info()
    provenance = {
        "version": build["version"],
        "command": " ".join([Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"] + sys.argv[1:]),
        "inputs": [_input_file(p) for p in inputs],
        "parameters": dict(parameters or {}),
        "seed": seed,
        "threads": threads if threads is not None else int(build["threads"]),
        "seconds": seconds,
        "machine": f"{machine}; Python {platform.python_version()}",
        "created": created,
    }
    body = json.dumps(_clean({"title": title, "sections": sections, "provenance": provenance}),
                      allow_nan=False)
    _repscope.write_report(body, os.fspath(path))
    return Path(path)


def _section_html(result: Any, title: Optional[str] = None) -> str:
    """The notebook view of a result (static figure and table)."""
    return str(_repscope.section_html(json.dumps(section(result, title=title), allow_nan=False)))

