"""Calibrated similarity side by side (run through bench/run): repscope's
permutation-null calibration (rs.similarity(..., n_permutations=K)) against
the loop a user writes today with numpy: score the pair once per permuted
copy of Y, then Algorithm 1 of Gröger, Wen & Brbić (2026) on the null.

Both use the same permutations (rs.permutation_orders), so the calibrated
scores must agree to 1e-9; both run on 2 threads. repscope prepares each
representation once and derives every permuted state from it (CKA's Gram
or feature form, Procrustes' whitening), where the loop recomputes the
measure from scratch K times. Also timed: K + 1 separate repscope calls,
which shows what the reuse of prepared states saves.

Prints one JSON line per measure with the times and the ratios.
"""

from __future__ import annotations

import argparse
import json
import math
import os

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("RAYON_NUM_THREADS", "2")

import numpy as np  # noqa: E402
from _timing import timed  # noqa: E402

import repscope as rs  # noqa: E402


def linear_cka(x, y):
    x, y = x - x.mean(0), y - y.mean(0)
    return np.linalg.norm(x.T @ y) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def whiten(x, alpha):
    """netrep's partial whitening of centred x (eigenvalues floored at 1e-7,
    the total variance kept)."""
    lam, v = np.linalg.eigh(x.T @ x)
    lam = np.maximum(lam, 1e-7)
    d = alpha + (1 - alpha) / np.sqrt(lam)
    d *= np.sqrt(lam.sum() / (lam * d * d).sum())
    return x @ (v * d) @ v.T


def procrustes(x, y, alpha):
    x, y = whiten(x - x.mean(0), alpha), whiten(y - y.mean(0), alpha)
    nuclear = np.linalg.svd(x.T @ y, compute_uv=False).sum()
    return math.acos(min(1.0, nuclear / (np.linalg.norm(x) * np.linalg.norm(y))))


def algorithm_1(s, null, distance, best, alpha=0.05):
    sign = -1.0 if distance else 1.0
    s, null = sign * s, sign * np.asarray(null)
    values = np.sort(np.append(null, s))
    tau = values[math.ceil((1 - alpha) * (len(null) + 1) - 1e-9) - 1]
    return 0.0 if s <= tau else min(1.0, (s - tau) / max(sign * best - tau, 1e-12))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--d", type=int, default=256)
    parser.add_argument("--permutations", type=int, default=100)
    args = parser.parse_args()
    g = np.random.default_rng(0)
    x = g.normal(size=(args.n, args.d))
    y = x @ g.normal(size=(args.d, args.d)) * 0.05 + g.normal(size=(args.n, args.d))
    orders = rs.permutation_orders(args.n, args.permutations, seed=1)
    cases = [
        ("linear_cka", {}, lambda a, b: linear_cka(a, b), False, 1.0),
        ("procrustes", {"alpha": 0.5}, lambda a, b: procrustes(a, b, 0.5), True, 0.0),
    ]
    for measure, params, peer_score, distance, best in cases:
        ours_s, ours = timed(lambda: rs.similarity(x, y, measure, n_permutations=args.permutations,
                                                   seed=1, **params))

        def peer():
            s = peer_score(x, y)
            return algorithm_1(s, [peer_score(x, y[o]) for o in orders], distance, best)

        peer_s, theirs = timed(peer)

        def full_runs():
            # K + 1 separate repscope calls: what the reuse of prepared states saves.
            rs.similarity(x, y, measure, **params)
            for o in orders:
                rs.similarity(x, y[o], measure, **params)

        loop_s, _ = timed(full_runs)
        assert abs(ours.calibrated - theirs) < 1e-9, (measure, ours.calibrated, theirs)
        print(json.dumps({
            "benchmark": "calibration", "measure": measure, "n": args.n, "d": args.d,
            "permutations": args.permutations, "repscope_s": round(ours_s, 3),
            "numpy_loop_s": round(peer_s, 3), "ratio": round(peer_s / ours_s, 1),
            "repscope_full_runs_s": round(loop_s, 3), "reuse_ratio": round(loop_s / ours_s, 1),
            "calibrated": round(ours.calibrated, 6), "max_abs_diff": abs(ours.calibrated - theirs),
        }))


if __name__ == "__main__":
    main()
