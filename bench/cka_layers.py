"""Layer x layer linear CKA: repscope against the straightforward numpy code.

Both run in this one process on the same float64 arrays (L layers of
n stimuli x d units, seeded Gaussian), with every core (numpy through its
BLAS, repscope through rayon). numpy does what a user writes: for every
pair, centre both layers and take three products (Y'X, X'X, Y'Y).

Prints one JSON line per measurement and the ratio. Run through
bench/run, which builds the release extension first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
from pathlib import Path

import numpy as np

import repscope as rs
from _timing import timed

ROOT = Path(__file__).resolve().parents[1]


def numpy_linear_cka_matrix(layers):
    """The straightforward implementation: centre + three products per pair."""
    n_layers = len(layers)
    out = np.empty((n_layers, n_layers))
    for i in range(n_layers):
        for j in range(n_layers):
            x = layers[i] - layers[i].mean(axis=0)
            y = layers[j] - layers[j].mean(axis=0)
            cross = np.linalg.norm(y.T @ x) ** 2
            out[i, j] = cross / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))
    return out


def gemm_peak(n, d):
    exe = ROOT / "target" / "release" / "examples" / "gemm_peak"
    out = subprocess.run([str(exe), str(n), str(d)], capture_output=True, text=True, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    return {r["threads"]: r["gflops"] for r in rows}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--d", type=int, default=768)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--numpy-repeats", type=int, default=1)
    args = p.parse_args()

    rng = np.random.default_rng(0)
    layers = [rng.standard_normal((args.n, args.d)) for _ in range(args.layers)]
    machine = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "numpy": np.__version__,
    }
    print(json.dumps({"bench": "linear_cka layer x layer", **vars(args), **machine}))

    t_rs, ours = timed(lambda: rs.pairwise(layers, measure="linear_cka").values, args.repeats)
    t_np, ref = timed(lambda: numpy_linear_cka_matrix(layers), args.numpy_repeats)
    rel = float(np.max(np.abs(ours - ref) / np.abs(ref)))

    # The work of the feature form: one X'X per layer (symmetric: half a
    # product) and one Y'X per distinct pair. When repscope picks the Gram
    # form (many layers) it does less work, and this "equivalent" rate can
    # exceed the GEMM peak.
    n, d, L = args.n, args.d, args.layers
    flops = L * n * d * (d + 1) + L * (L - 1) // 2 * 2 * n * d * d
    peak = gemm_peak(n, d)
    effective = flops / t_rs / 1e9
    print(json.dumps({"impl": "repscope", "seconds": round(t_rs, 3)}))
    print(json.dumps({"impl": "numpy", "seconds": round(t_np, 3)}))
    print(json.dumps({
        "ratio_numpy_over_repscope": round(t_np / t_rs, 2),
        "max_relative_difference": rel,
        "repscope_feature_form_equivalent_gflops": round(effective, 1),
        "faer_gemm_peak_gflops": peak,
        "fraction_of_gemm_peak_all_threads": round(effective / peak["all threads"], 3),
    }))


if __name__ == "__main__":
    main()
