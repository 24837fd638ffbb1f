"""Metric spaces of many networks (run through bench/run, or alone with
--networks K): the full K × K matrix of K networks of 2000 stimuli × 256
units, Procrustes (angular, netrep's LinearMetric at alpha = 1) and linear
CKA, streamed from a folder of float32 .npy files with
`repscope similarity DIR --stream` (two prepared networks per worker in
memory, whatever K). Reports wall time, peak RSS (from the kernel's
accounting of the child process), pairs per second, and the extrapolation
to 1,000 and 10,000 networks (the work grows with the K(K + 1)/2 pairs).

The networks share a latent structure (16 factors) mixed differently per
network, plus noise, as trained networks' layers do. Both sides of the
comparison with netrep cannot run here (netrep is not installable from the
registries); a numpy loop of the same Procrustes definition times a sample
of pairs as the peer.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

N, D, FACTORS = 2000, 256, 16


def write_networks(folder: Path, k: int, seed: int = 0) -> None:
    g = np.random.default_rng(seed)
    latent = g.normal(size=(N, FACTORS))
    for i in range(k):
        x = latent @ g.normal(size=(FACTORS, D)) + g.normal(size=(N, D))
        np.save(folder / f"net{i:05d}.npy", x.astype(np.float32))


def run(binary: str, folder: Path, measure: str, out: Path, threads: int) -> tuple[float, float]:
    """Wall seconds and the child's peak RSS in MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([binary, "--quiet", "--threads", str(threads), "similarity", str(folder), "--stream",
                    "--measure", measure, "-o", str(out)], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def numpy_procrustes_pair(x: np.ndarray, y: np.ndarray) -> float:
    x, y = x - x.mean(0), y - y.mean(0)
    nuclear = np.linalg.svd(x.T @ y, compute_uv=False).sum()
    return math.acos(min(1.0, nuclear / (np.linalg.norm(x) * np.linalg.norm(y))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--binary", default=str(Path(__file__).resolve().parents[1] / "target/release/repscope"))
    parser.add_argument("--measures", default="procrustes,linear_cka")
    args = parser.parse_args()
    k = args.networks
    pairs = k * (k + 1) // 2
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "nets"
        folder.mkdir()
        write_networks(folder, k)
        on_disk = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        for measure in args.measures.split(","):
            seconds, peak = run(args.binary, folder, measure, Path(tmp) / f"{measure}.csv", args.threads)
            per_pair = seconds / pairs
            row = {
                "benchmark": "many_networks", "measure": measure, "networks": k, "stimuli": N,
                "units": D, "pairs": pairs, "threads": args.threads, "seconds": round(seconds, 1),
                "pairs_per_second": round(pairs / seconds, 1), "peak_rss_mib": round(peak),
                "inputs_on_disk_mib": round(on_disk),
                "extrapolated_1000_hours": round(per_pair * 1000 * 1001 / 2 / 3600, 2),
                "extrapolated_10000_hours": round(per_pair * 10000 * 10001 / 2 / 3600, 1),
            }
            if measure == "procrustes":
                files = sorted(folder.iterdir())[:6]
                nets = [np.load(f).astype(np.float64) for f in files]
                start = time.perf_counter()
                count = 0
                for i in range(len(nets)):
                    for j in range(i + 1, len(nets)):
                        numpy_procrustes_pair(nets[i], nets[j])
                        count += 1
                row["numpy_pairs_per_second"] = round(count / (time.perf_counter() - start), 1)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
    main()
