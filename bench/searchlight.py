"""Crossnobis searchlight: repscope against rsatoolbox on the same volumes.

A 40 x 48 x 40 grid with an ellipsoid mask of ~20,000 voxels, 40 conditions
x 4 runs (160 beta maps, seeded Gaussian with a planted pattern), radius 3
(123-voxel spheres), crossnobis with the runs as folds, two model RDMs
compared by Pearson correlation. Both sides use the same spheres and
centres: the centres whose whole sphere lies in the mask (rsatoolbox's
default ``threshold=1.0``; repscope's ``min_voxels=123``), with repscope's
radius 3 (distance <= 3) equal to rsatoolbox's radius 3.01 (its test is
strict, < r). (rsatoolbox's ``get_searchlight_RDMs`` fails for crossnobis
when spheres of different sizes share a chunk, e.g. spheres cut at the mask,
so full spheres are the setting where it runs.) rsatoolbox runs
``get_volume_searchlight``,
``get_searchlight_RDMs`` (its default cross-validation folds are the runs
here: each condition appears once per run, in run order) and
``evaluate_models_searchlight`` with ``eval_fixed`` (n_jobs=1, its default);
repscope runs ``rs.searchlight`` on every core.

Each side runs in its own subprocess (same seed, same data) so its peak
memory (ru_maxrss) is its own; the baseline after building the data is
reported too. rsatoolbox is slow at full size on a small machine, so by
default it runs on a subset of centres (--peer-centres) and its time is
extrapolated linearly to all centres (searchlights are independent), which
the output says. The two maps are compared on the centres both computed.

Usage: python bench/searchlight.py [--peer-centres N] (N = 0: all centres)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

SHAPE = (40, 48, 40)
N_COND, N_RUNS, RADIUS = 40, 4, 3
FULL_SPHERE = 123  # voxels within distance 3


def make_data(seed=0):
    rng = np.random.default_rng(seed)
    grid = np.stack(np.meshgrid(*[np.arange(s) for s in SHAPE], indexing="ij"), axis=-1)
    centre = (np.array(SHAPE) - 1) / 2
    semi = np.array([17.0, 20.0, 14.0])
    mask = (((grid - centre) / semi) ** 2).sum(-1) <= 1.0
    latent = rng.normal(size=(N_COND, 3))
    conditions = np.tile(np.arange(N_COND), N_RUNS)
    runs = np.repeat(np.arange(N_RUNS), N_COND)
    volumes = rng.normal(size=(*SHAPE, N_COND * N_RUNS))
    # A planted representational pattern in one corner of the brain.
    box = volumes[10:18, 12:20, 12:20]
    box += 0.5 * (rng.normal(size=(*box.shape[:3], 3)) @ latent.T)[..., conditions]
    planted = np.array([np.sum((latent[i] - latent[j]) ** 2)
                        for i in range(N_COND) for j in range(i + 1, N_COND)])
    models = np.stack([planted, rng.random(planted.size)])
    return volumes, mask, conditions, runs, models


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_repscope(out):
    import repscope as rs

    volumes, mask, conditions, runs, models = make_data()
    base = peak_mb()
    start = time.perf_counter()
    maps = rs.searchlight(volumes, mask, conditions, radius=RADIUS, method="crossnobis",
                          folds=runs, models=models, compare="corr", min_voxels=FULL_SPHERE)
    seconds = time.perf_counter() - start
    np.save(out, maps.reshape(len(models), -1))
    return {"seconds": seconds, "peak_mb": peak_mb(), "baseline_mb": base,
            "mask_voxels": int(mask.sum()), "centres": int(np.isfinite(maps[0]).sum())}


def run_rsatoolbox(out, n_centres):
    from rsatoolbox.inference import eval_fixed
    from rsatoolbox.model import ModelFixed
    from rsatoolbox.util.searchlight import (evaluate_models_searchlight, get_searchlight_RDMs,
                                             get_volume_searchlight)
    import contextlib
    import io

    volumes, mask, conditions, runs, models = make_data()
    base = peak_mb()
    quiet = contextlib.redirect_stderr(io.StringIO())
    start = time.perf_counter()
    with quiet, contextlib.redirect_stdout(io.StringIO()):
        centres, neighbours = get_volume_searchlight(mask, radius=RADIUS + 0.01, threshold=1.0)
    t_spheres = time.perf_counter() - start
    total = len(centres)
    pick = np.arange(total)
    if 0 < n_centres < total:
        pick = np.linspace(0, total - 1, n_centres).round().astype(int)
    data_2d = volumes.reshape(-1, volumes.shape[-1]).T
    start = time.perf_counter()
    with quiet:
        sl_rdms = get_searchlight_RDMs(data_2d, centres[pick], [neighbours[i] for i in pick],
                                       conditions, method="crossnobis", verbose=False)
        t_rdms = time.perf_counter() - start
        model_list = [ModelFixed(f"m{i}", m) for i, m in enumerate(models)]
        evals = evaluate_models_searchlight(sl_rdms, model_list, eval_fixed, method="corr")
    t_all = time.perf_counter() - start
    values = np.array([[e.evaluations[0, m, 0] for m in range(len(models))] for e in evals]).T
    # Centres are C-order flat grid indices.
    np.save(out, np.stack([values, np.broadcast_to(centres[pick], values.shape)]))
    scale = total / len(pick)
    return {"seconds_measured": t_all, "spheres_s": t_spheres, "rdms_s": t_rdms,
            "centres_run": int(len(pick)), "centres": int(total),
            "seconds": t_spheres + t_all * scale, "extrapolated": bool(scale > 1),
            "peak_mb": peak_mb(), "baseline_mb": base}


def side(name, extra):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "values.npy")
        cmd = [sys.executable, __file__, "--side", name, "--out", out] + extra
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        return row, np.load(out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--peer-centres", type=int, default=2000)
    p.add_argument("--side", choices=["repscope", "rsatoolbox"])
    p.add_argument("--out")
    a = p.parse_args()
    if a.side == "repscope":
        print(json.dumps(run_repscope(a.out)))
        return
    if a.side == "rsatoolbox":
        print(json.dumps(run_rsatoolbox(a.out, a.peer_centres)))
        return
    ours, maps = side("repscope", [])
    peer, theirs = side("rsatoolbox", ["--peer-centres", str(a.peer_centres)])
    values, flat = theirs[0], theirs[1, 0].astype(int)
    assert peer["centres"] == ours["centres"], (peer["centres"], ours["centres"])
    diff = float(np.max(np.abs(maps[:, flat] - values)))
    print(json.dumps({
        "bench": "searchlight_crossnobis",
        "grid": list(SHAPE), "mask_voxels": ours["mask_voxels"], "centres": ours["centres"],
        "conditions": N_COND,
        "runs": N_RUNS, "radius": RADIUS,
        "repscope_s": round(ours["seconds"], 3), "repscope_peak_mb": round(ours["peak_mb"]),
        "rsatoolbox_s": round(peer["seconds"], 1),
        "rsatoolbox_extrapolated_from_centres": peer["centres_run"] if peer["extrapolated"] else None,
        "rsatoolbox_measured_s": round(peer["seconds_measured"], 2),
        "rsatoolbox_spheres_s": round(peer["spheres_s"], 2),
        "rsatoolbox_peak_mb": round(peer["peak_mb"]),
        "repscope_baseline_mb": round(ours["baseline_mb"]),
        "rsatoolbox_baseline_mb": round(peer["baseline_mb"]),
        "ratio": round(peer["seconds"] / ours["seconds"], 1),
        "max_abs_map_difference": diff,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }))


if __name__ == "__main__":
    main()
