"""The measure library side by side: repscope's 12 x 12 layer matrix against
the straightforward numpy/scipy code for the same definition (and against
repsim's compiled CKA where it installs), plus the peak memory of a
48 x 48 matrix computed with streaming. Run through bench/run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import repscope as rs
from _timing import timed

ROOT = Path(__file__).resolve().parents[1]


def numpy_linear_cka(layers):
    out = np.empty((len(layers), len(layers)))
    for i, x in enumerate(layers):
        for j, y in enumerate(layers):
            xc, yc = x - x.mean(0), y - y.mean(0)
            out[i, j] = np.linalg.norm(yc.T @ xc) ** 2 / (np.linalg.norm(xc.T @ xc) * np.linalg.norm(yc.T @ yc))
    return out


def numpy_procrustes(layers):
    """Angular Procrustes distance (netrep LinearMetric, alpha = 1)."""
    out = np.empty((len(layers), len(layers)))
    for i, x in enumerate(layers):
        for j, y in enumerate(layers):
            xc, yc = x - x.mean(0), y - y.mean(0)
            nuclear = np.linalg.svd(xc.T @ yc, compute_uv=False).sum()
            out[i, j] = np.arccos(np.clip(nuclear / (np.linalg.norm(xc) * np.linalg.norm(yc)), -1, 1))
    return out


def numpy_mutual_knn(layers, k):
    """Platonic-representation mutual kNN: unit rows, cosine neighbours, self excluded."""
    def knn(z):
        u = z / np.linalg.norm(z, axis=1, keepdims=True)
        s = u @ u.T
        np.fill_diagonal(s, -np.inf)
        return np.argpartition(-s, k, axis=1)[:, :k]

    out = np.empty((len(layers), len(layers)))
    for i, x in enumerate(layers):
        for j, y in enumerate(layers):
            a, b = knn(x), knn(y)
            out[i, j] = np.mean([len(np.intersect1d(r, t)) / k for r, t in zip(a, b)])
    return out


def off_diagonal(m):
    """The entries off the diagonal. A distance through arccos turns rounding
    of 1e-16 next to identical inputs into 1e-8, so the diagonal (where
    repscope returns 0 exactly) is reported apart."""
    return m[~np.eye(len(m), dtype=bool)]


def peak_rss_mb(cmd):
    """Peak resident memory of `cmd`, measured by a fresh wrapper process (the
    children's maximum of this process would mix earlier runs in)."""
    wrapper = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
               "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], check=True, capture_output=True, text=True)
    kb, seconds = out.stdout.split()
    return int(kb) / 1024, float(seconds)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--d", type=int, default=768)
    p.add_argument("--repsim-n", type=int, default=1000, help="stimuli for the repsim comparison")
    p.add_argument("--only", default="linear_cka,procrustes,mutual_knn,stream")
    args = p.parse_args()
    which = args.only.split(",")
    rng = np.random.default_rng(0)
    base = rng.standard_normal((args.n, 64))
    # Related layers (a shared factor plus layer-specific parts), as in a network.
    layers = [base @ rng.standard_normal((64, args.d)) + rng.standard_normal((args.n, args.d))
              for _ in range(args.layers)]
    shape = f"{args.layers} x {args.layers} layers of {args.n} x {args.d}"

    def report(name, t_rs, t_peer, ours, theirs, peer="numpy"):
        print(json.dumps({"bench": f"{name}, {shape}", "peer": peer, "repscope_s": round(t_rs, 3),
                          "peer_s": round(t_peer, 3), "ratio": round(t_peer / t_rs, 1),
                          "max_abs_difference": float(np.max(np.abs(ours - theirs))),
                          "off_diagonal": float(np.max(np.abs(off_diagonal(ours - theirs))))}))

    if "linear_cka" in which:
        t_rs, ours = timed(lambda: rs.pairwise(layers, measure="linear_cka").values)
        t_np, theirs = timed(lambda: numpy_linear_cka(layers))
        report("linear_cka", t_rs, t_np, ours, theirs)
        try:
            import repsim

            # repsim forms n x n Gram products (cubic in n: about 20 s at
            # n = 1000, 45 minutes at 5000), so it is compared on fewer stimuli.
            small = [x[: args.repsim_n] for x in layers]
            t_rs_small, ours_small = timed(lambda: rs.pairwise(small, measure="linear_cka").values)
            t_rp, theirs = timed(lambda: repsim.cka(small, kernel_type="linear", estimator="gretton"))
            print(json.dumps({"bench": f"linear_cka, {args.layers} x {args.layers} layers of {args.repsim_n} x {args.d}",
                              "peer": "repsim.cka (linear, gretton)", "repscope_s": round(t_rs_small, 3),
                              "peer_s": round(t_rp, 3), "ratio": round(t_rp / t_rs_small, 1),
                              "max_abs_difference": float(np.max(np.abs(ours_small - theirs)))}))
        except ImportError:
            print(json.dumps({"bench": "linear_cka vs repsim", "skipped": "repsim is not installed"}))
    if "procrustes" in which:
        t_rs, ours = timed(lambda: rs.pairwise(layers, measure="procrustes").values)
        t_np, theirs = timed(lambda: numpy_procrustes(layers))
        report("procrustes (alpha=1, angular)", t_rs, t_np, ours, theirs)
    if "mutual_knn" in which:
        t_rs, ours = timed(lambda: rs.pairwise(layers, measure="mutual_knn", k=10).values)
        t_np, theirs = timed(lambda: numpy_mutual_knn(layers, 10))
        report("mutual_knn (k=10)", t_rs, t_np, ours, theirs)
    if "stream" in which:
        exe = ROOT / "target" / "release" / "repscope"
        with tempfile.TemporaryDirectory() as d:
            for i in range(48):
                np.save(Path(d) / f"layer{i}.npy", rng.standard_normal((2000, 256)).astype(np.float32))
            total_mb = 48 * 2000 * 256 * 8 / 2**20
            for mode, extra in [("in memory", []), ("streamed", ["--stream"])]:
                mb, secs = peak_rss_mb([str(exe), "similarity", d, "--measure", "linear_cka", "--quiet", *extra])
                print(json.dumps({"bench": f"48 x 48 linear_cka, 48 layers of 2000 x 256 ({total_mb:.0f} MB as f64)",
                                  "mode": mode, "peak_rss_mb": round(mb, 1), "seconds": round(secs, 2)}))


if __name__ == "__main__":
    main()
