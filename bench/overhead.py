"""What the Python binding adds to one call: rs.similarity on a 100 x 50
pair, per call, against the same one-pair computation timed inside Rust
(no Python in the loop). Goal: under 20 microseconds added."""

from __future__ import annotations

import json
import time

import numpy as np

import repscope as rs
from repscope import _repscope


def per_call_python(x, y, measure, repeats):
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(repeats):
            rs.similarity(x, y, measure)
        best = min(best, (time.perf_counter() - t) / repeats)
    return best


def main():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 50)), rng.normal(size=(100, 50))
    for measure in ["linear_cka", "magnitude"]:
        repeats = 2000
        rs.similarity(x, y, measure)  # warm up
        py = per_call_python(x, y, measure, repeats)
        core = min(_repscope.time_similarity_in_core(x, y, measure, repeats) for _ in range(5))
        print(json.dumps({"bench": f"rs.similarity overhead, {measure}, 100 x 50 pair",
                          "python_us": round(py * 1e6, 2), "core_us": round(core * 1e6, 2),
                          "added_us": round((py - core) * 1e6, 2), "goal_us": 20}))


if __name__ == "__main__":
    main()
