"""Whole-brain crossnobis searchlight: time and peak memory at full size.

An ellipsoid mask of about 333,000 voxels (``--voxels``) in a 90 x 108 x 90
grid, 40 conditions x 8 runs (320 float32 beta maps: seeded Gaussian with a
planted pattern), radius 3 (123-voxel spheres, cut at the mask), crossnobis
with the runs as folds, two model RDMs compared by Pearson correlation.
Two cases: without noise normalisation, and with a noise precision per
sphere from 200 float32 residual rows (``noise_method="shrinkage_diag"``,
rsatoolbox's usual choice).

Each case runs in its own subprocess: the data are built first (in place,
no temporaries), the process's resident memory then is the baseline
("input"), and the peak resident memory (VmHWM) minus the baseline is
what the searchlight needed above its input (the high-water mark VmHWM). No peer runs at this size
(rsatoolbox takes hours here; ``bench/searchlight.py`` compares with it on
a smaller mask); the searchlight's own before/after is in BENCHMARKS.md.

Usage: python bench/searchlight_wholebrain.py [--voxels N] [--case plain|noise|both]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

SHAPE = (90, 108, 90)
N_COND, N_RUNS, N_RESIDUALS, RADIUS = 40, 8, 200, 3


def status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_data(voxels: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    dims = np.array(SHAPE, dtype=float)
    # An ellipsoid filling a fraction of the box: volume pi/6 s^3 prod(dims).
    s = (voxels / (np.pi / 6 * dims.prod())) ** (1 / 3)
    axes = [((np.arange(n) - (n - 1) / 2) / (s * n / 2)) ** 2 for n in SHAPE]
    mask = axes[0][:, None, None] + axes[1][None, :, None] + axes[2][None, None, :] <= 1.0
    n_vol = N_COND * N_RUNS
    volumes = np.empty((*SHAPE, n_vol), dtype=np.float32)
    for i in range(SHAPE[0]):  # slab by slab: no float64 temporary of the whole
        rng.standard_normal(out=volumes[i], dtype=np.float32)
    conditions = np.tile(np.arange(N_COND), N_RUNS)
    runs = np.repeat(np.arange(N_RUNS), N_COND)
    latent = rng.normal(size=(N_COND, 3)).astype(np.float32)
    box = volumes[30:40, 40:50, 30:40]
    box += 0.5 * (rng.normal(size=(*box.shape[:3], 3)).astype(np.float32) @ latent.T)[..., conditions]
    residuals = np.empty((N_RESIDUALS, int(mask.sum())), dtype=np.float32)
    rng.standard_normal(out=residuals, dtype=np.float32)
    structure = latent @ latent.T
    d = np.diag(structure)[:, None] + np.diag(structure)[None, :] - 2 * structure
    iu = np.triu_indices(N_COND, 1)
    models = np.stack([d[iu], rng.random(len(iu[0]))])
    return volumes, mask, conditions, runs, residuals, models


def case(name: str, voxels: int) -> dict:
    import repscope as rs

    volumes, mask, conditions, runs, residuals, models = make_data(voxels)
    with open("/proc/self/clear_refs", "w") as f:  # reset the high-water mark
        f.write("5")
    baseline = status_mb("VmRSS:")
    noise = residuals if name == "noise" else None
    start = time.perf_counter()
    maps = rs.searchlight(volumes, mask, conditions, radius=RADIUS, method="crossnobis",
                          folds=runs, models=models, compare="corr", noise=noise)
    seconds = time.perf_counter() - start
    # VmHWM: this process's own high-water mark (ru_maxrss would carry the
    # parent's across fork + exec).
    peak = status_mb("VmHWM:")
    return {
        "case": name,
        "voxels": int(mask.sum()),
        "seconds": seconds,
        "peak_mb": peak,
        "baseline_mb": baseline,
        "above_input_mb": peak - baseline,
        "finite_centres": int(np.isfinite(maps[0]).sum()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--voxels", type=int, default=333_000)
    ap.add_argument("--case", choices=["plain", "noise", "both"], default="both")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(case(args.child, args.voxels)))
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{N_COND} conditions x {N_RUNS} runs, radius {RADIUS}, float32 inputs, crossnobis")
    for name in (["plain", "noise"] if args.case == "both" else [args.case]):
        out = subprocess.run(
            [sys.executable, __file__, "--child", name, "--voxels", str(args.voxels)],
            check=True, capture_output=True, text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['case']:>5}: {r['voxels']} voxels, {r['seconds']:.1f} s, peak RSS {r['peak_mb']:.0f} MB "
            f"(input {r['baseline_mb']:.0f} MB, above it {r['above_input_mb']:.0f} MB), "
            f"{r['finite_centres']} centres"
        )


if __name__ == "__main__":
    main()
