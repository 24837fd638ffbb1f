"""A chunked, compressed HDF5 dataset larger than the memory a user would
give it (3 GB by default), read by slices: repscope against h5py.

The file: one float32 dataset, stimuli x units (100,000 x 8,000 = 3.2 GB at
the default size), chunked 64 x 1,000 with gzip (level 4) and shuffle, as
NSD-style beta files are; written by h5py block by block with seeded values.
Three readers walk it in blocks of rows and compute the same summary (min,
max, mean, count of non-finite values):

- ``repscope info FILE:/betas`` (the release CLI; it reads blocks of about
  64 MB);
- ``rs.load_rows`` in a Python loop, blocks of the same size;
- h5py (the peer), ``dset[a:b]`` in the same loop, numpy for the summary.

Each runs in its own subprocess, so its peak RSS (ru_maxrss, from wait4) is
its own; the acceptance bound is peak RSS under 500 MB. The three summaries
must agree (min, max, count exactly; mean to 1e-9 relative).

Usage: python bench/hdf5_slices.py [--gb 3.2] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

UNITS = 8000
CHUNKS = (64, 1000)
BLOCK_ROWS = (8 << 20) // UNITS  # repscope's block: 8 Mi values


def write_file(path: str, rows: int) -> None:
    import h5py
    import numpy as np

    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        d = f.create_dataset(
            "betas", shape=(rows, UNITS), dtype="f4", chunks=CHUNKS,
            compression="gzip", compression_opts=4, shuffle=True,
        )
        step = 2048
        for start in range(0, rows, step):
            n = min(step, rows - start)
            # Betas-like values: a smooth part per unit plus noise, rounded to
            # a few significant bits so gzip has something to do.
            block = rng.standard_normal((n, UNITS), dtype=np.float32)
            block = np.round(block * 64) / 64
            d[start : start + n] = block


READERS = {
    "repscope_python": """
import sys, json, numpy as np, repscope as rs
path, rows, block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lo, hi, total, count, bad = np.inf, -np.inf, 0.0, 0, 0
for a in range(0, rows, block):
    x = rs.load_rows(path + ":/betas", "betas", a, min(a + block, rows))
    fin = np.isfinite(x)
    bad += int((~fin).sum()); v = x[fin]
    lo, hi = min(lo, v.min()), max(hi, v.max()); total += v.sum(); count += v.size
print(json.dumps({"min": float(lo), "max": float(hi), "mean": total / count, "non_finite": bad}))
""",
    "h5py": """
import sys, json, numpy as np, h5py
path, rows, block = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lo, hi, total, count, bad = np.inf, -np.inf, 0.0, 0, 0
with h5py.File(path, "r") as f:
    d = f["betas"]
    for a in range(0, rows, block):
        x = d[a:min(a + block, rows)].astype(np.float64)
        fin = np.isfinite(x)
        bad += int((~fin).sum()); v = x[fin]
        lo, hi = min(lo, v.min()), max(hi, v.max()); total += v.sum(); count += v.size
print(json.dumps({"min": float(lo), "max": float(hi), "mean": total / count, "non_finite": bad}))
""",
}


def measured(argv: list[str]) -> tuple[float, int, str]:
    """Runs argv in a fresh wrapper process that reports the child's own
    peak RSS (ru_maxrss of RUSAGE_CHILDREN in a process with one child)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "s = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
        "print(json.dumps({'seconds': s, 'rss': r, 'rc': p.returncode,"
        " 'out': p.stdout, 'err': p.stderr}))\n"
    )
    res = subprocess.run([sys.executable, "-c", wrapper, *argv], capture_output=True, text=True)
    doc = json.loads(res.stdout)
    if doc["rc"] != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed: {doc['err']}")
    return doc["seconds"], doc["rss"], doc["out"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=3.2, help="dataset size in GB (float32)")
    ap.add_argument("--keep", help="write (or reuse) the file here instead of a temporary one")
    args = ap.parse_args()
    rows = int(args.gb * 1e9 / (4 * UNITS))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cli = os.path.join(root, "target", "release", "repscope")
    tmp = None
    if args.keep:
        path = args.keep
    else:
        tmp = tempfile.TemporaryDirectory()
        path = os.path.join(tmp.name, "big.h5")
    if not os.path.exists(path):
        t = time.perf_counter()
        write_file(path, rows)
        print(f"wrote {path}: {rows} x {UNITS} float32 ({rows * UNITS * 4 / 1e9:.2f} GB raw, "
              f"{os.path.getsize(path) / 1e9:.2f} GB on disk) in {time.perf_counter() - t:.0f} s")
    results = {}
    secs, rss, out = measured([cli, "--json", "info", f"{path}:/betas"])
    [rep] = json.loads(out)["representations"]
    results["repscope info (CLI)"] = (secs, rss, rep)
    for name, code in READERS.items():
        secs, rss, out = measured([sys.executable, "-c", code, path, str(rows), str(BLOCK_ROWS)])
        results[name] = (secs, rss, json.loads(out))
    ref = results["h5py"][2]
    for name, (_, _, s) in results.items():
        assert (s["min"], s["max"], s["non_finite"]) == (ref["min"], ref["max"], ref["non_finite"]), name
        assert abs(s["mean"] - ref["mean"]) <= 1e-9 * max(1.0, abs(ref["mean"])), (name, s, ref)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"{rows} x {UNITS} float32, chunks {CHUNKS}, gzip 4 + shuffle; blocks of {BLOCK_ROWS} rows")
    base = results["h5py"][0]
    print(f"{'reader':24} {'seconds':>8} {'peak RSS':>10} {'vs h5py':>8}")
    for name, (secs, rss, _) in results.items():
        print(f"{name:24} {secs:8.1f} {rss / 1e6:8.0f} MB {base / secs:7.2f}x")
    print("summaries agree (min, max, non-finite exactly; mean to 1e-9)")
    worst = max(rss for _, rss, _ in results.values())
    repscope_worst = max(results[k][1] for k in results if k != "h5py")
    print(f"repscope peak RSS {repscope_worst / 1e6:.0f} MB "
          f"({'under' if repscope_worst < 500e6 else 'OVER'} the 500 MB bound); "
          f"largest of all readers {worst / 1e6:.0f} MB")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
