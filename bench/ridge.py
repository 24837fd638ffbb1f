"""Cross-validated ridge for many targets side by side: repscope's
rs.RidgeCV against himalaya's RidgeCV (numpy backend), same float64 inputs,
same 10 alphas, same 5 contiguous folds, per-target alphas, in one process
on all cores. Prints both times, the ratio, and how far apart the selected
alphas and coefficients are. Run through bench/run.

Default size (the issue's): 2000 samples x 768 features -> 10,000 targets.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
from himalaya.ridge import RidgeCV as HimalayaRidgeCV
from sklearn.model_selection import KFold

import repscope as rs
from _timing import timed


def encoding_data(n, p, t, seed=0):
    """Features with a decaying spectrum, targets driven by a few feature
    directions plus noise of varying strength (voxels with different SNR)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) * np.linspace(1.0, 0.05, p)
    w = rng.normal(size=(p, 32))
    y = (x @ w) @ rng.normal(size=(32, t)) / 30 + rng.normal(size=(n, t)) * rng.uniform(0.5, 5.0, t)
    return x, y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--p", type=int, default=768)
    ap.add_argument("--targets", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"],
                    help="input dtype; himalaya computes in it, repscope always in float64")
    args = ap.parse_args()
    x, y = encoding_data(args.n, args.p, args.targets)
    x, y = x.astype(args.dtype), y.astype(args.dtype)
    alphas = np.logspace(-1, 5, 10)
    result = {"n": args.n, "p": args.p, "targets": args.targets, "alphas": 10, "folds": 5, "dtype": args.dtype,
              "threads": os.cpu_count()}

    t_rs, ours = timed(lambda: rs.RidgeCV(alphas=alphas, cv=5, fit_intercept=True).fit(x, y), args.repeats)
    result["repscope_s"] = round(t_rs, 3)
    t_h, theirs = timed(
        lambda: HimalayaRidgeCV(alphas=alphas, cv=KFold(5), fit_intercept=True).fit(x, y), args.repeats
    )
    result["himalaya_s"] = round(t_h, 3)
    result["speedup"] = round(t_h / t_rs, 2)
    result["fraction_alphas_equal"] = float(np.mean(np.isclose(ours.best_alphas_, theirs.best_alphas_, rtol=1e-6)))
    scale = np.abs(theirs.coef_).max()
    result["max_coef_rel_diff"] = float(np.abs(ours.coef_ - theirs.coef_).max() / scale)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
