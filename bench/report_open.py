"""How big the HTML report of a 48 x 48 pairwise matrix and a 40-condition
RDM is, and how long headless Chromium takes to load and draw it (median
of several loads, each in a fresh page), on this machine.

    .venv/bin/python bench/report_open.py
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import repscope as rs

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "crates/repscope-py/tests"))
from headless import Browser  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    reps = {f"net{i:02d}": rng.normal(size=(200, 32)) for i in range(48)}
    pairwise = rs.pairwise(reps, measure="linear_cka")
    X = rng.normal(size=(40, 50))
    n = 40
    square = np.zeros((n, n))
    square[np.triu_indices(n, 1)] = rs.rdm(X, method="correlation")
    square += square.T
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        path = rs.report({"48 networks, linear CKA": pairwise, "RDM of 40 conditions": square},
                         Path(tmp) / "bench.html")
        write = time.perf_counter() - start
        size = path.stat().st_size
        loads = []
        with Browser() as b:
            for _ in range(7):
                record = b.open(path.as_uri())
                assert not record.errors and not record.network
                # Until both heatmaps are drawn (the page's script runs on load).
                drawn = b.evaluate("document.querySelectorAll('svg.heatmap rect[data-row]').length")
                assert drawn == 48 * 48 + 40 * 40
                loads.append(record.load_seconds)
    print(f"report: {size / 1e6:.2f} MB written in {write * 1e3:.0f} ms")
    print(f"open in headless chromium: median {statistics.median(loads):.3f} s, "
          f"max {max(loads):.3f} s over {len(loads)} loads")


if __name__ == "__main__":
    main()
