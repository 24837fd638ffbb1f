"""Layer-wise probe: repscope against scikit-learn's LogisticRegression.

Both run in this one process on the same float64 data: L layers of
n stimuli x d units with K balanced classes (a class signal that grows with
depth, plus Gaussian noise), the same stratified folds (scikit-learn's
StratifiedKFold, passed to repscope explicitly), the same standardisation
(StandardScaler fitted on the training fold), the same C and the same
tolerance. scikit-learn does what a user writes: a loop over layers and
folds of make_pipeline(StandardScaler(), LogisticRegression(solver="lbfgs")),
with predict_proba on the test fold and the three metrics. repscope runs
rs.probe (layers and folds in parallel, every core).

Also reports the largest difference between the two packages' test-fold
probabilities, over every layer and fold at the benchmark's tolerance, and
over the first fold of every layer at a tight one (1e-10) where both
solvers converge fully. Prints one JSON line per measurement and the
ratio. Run through bench/run, which builds the release extension first.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import repscope as rs


def make_layers(n, d, k, n_layers, seed, signal=2.0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    centres = rng.normal(size=(k, d)) / np.sqrt(d)
    layers = {}
    for i in range(n_layers):
        strength = 0.5 + 1.5 * i / max(n_layers - 1, 1)
        layers[f"layer{i}"] = rng.normal(size=(n, d)) + signal * strength * centres[y]
    return layers, y


def sklearn_probe(layers, y, splits, C, tol, max_iter):
    accuracy = np.empty((len(layers), len(splits)))
    for li, x in enumerate(layers.values()):
        for f, (train, test) in enumerate(splits):
            model = make_pipeline(
                StandardScaler(), LogisticRegression(C=C, tol=tol, max_iter=max_iter)
            ).fit(x[train], y[train])
            proba = model.predict_proba(x[test])
            pred = np.argmax(proba, axis=1)
            accuracy[li, f] = accuracy_score(y[test], pred)
            f1_score(y[test], pred, average="macro")
            roc_auc_score(y[test], proba, multi_class="ovr")
    return accuracy


def max_proba_difference(x, y, splits, C, tol, max_iter):
    worst = 0.0
    for train, test in splits:
        scaler = StandardScaler().fit(x[train])
        xtr, xte = scaler.transform(x[train]), scaler.transform(x[test])
        ours = rs.LogisticRegression(C=C, tol=tol, max_iter=max_iter).fit(xtr, y[train])
        ref = LogisticRegression(C=C, tol=tol, max_iter=max_iter).fit(xtr, y[train])
        worst = max(worst, float(np.abs(ours.predict_proba(xte) - ref.predict_proba(xte)).max()))
    return worst


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--d", type=int, default=384)
    p.add_argument("--classes", type=int, default=8)
    p.add_argument("--layers", type=int, default=7)
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--C", type=float, default=1.0)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--max-iter", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()

    layers, y = make_layers(args.n, args.d, args.classes, args.layers, seed=0)
    splits = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(layers["layer0"], y))
    setting = dict(C=args.C, tol=args.tol, max_iter=args.max_iter)

    def ours():
        return rs.probe(layers, y, cv=splits, **setting)

    ours()  # warm-up (thread pool, page faults)
    times = {"repscope": [], "sklearn": []}
    for _ in range(args.repeats):
        start = time.perf_counter()
        result = ours()
        times["repscope"].append(time.perf_counter() - start)
        start = time.perf_counter()
        ref_accuracy = sklearn_probe(layers, y, splits, **setting)
        times["sklearn"].append(time.perf_counter() - start)
    diff = max(max_proba_difference(x, y, splits, **setting) for x in layers.values())
    diff_tight = max(
        max_proba_difference(x, y, splits[:1], args.C, 1e-10, 100_000) for x in layers.values()
    )
    base = dict(
        benchmark="probe",
        n=args.n,
        d=args.d,
        classes=args.classes,
        layers=args.layers,
        folds=args.folds,
        C=args.C,
        tol=args.tol,
        cpu=platform.processor() or platform.machine(),
        cores=os.cpu_count(),
    )
    for name, t in times.items():
        print(json.dumps({**base, "package": name, "seconds": round(min(t), 4)}))
    ratio = min(times["sklearn"]) / min(times["repscope"])
    print(
        json.dumps(
            {
                **base,
                "speedup": round(ratio, 2),
                "max_abs_accuracy_difference": float(np.abs(result.fold_accuracy - ref_accuracy).max()),
                "max_abs_proba_difference": diff,
                "max_abs_proba_difference_tol_1e-10": diff_tight,
                "converged_all_folds": bool(np.all(result.converged)),
            }
        )
    )
    print(
        f"probe {args.layers} layers x {args.folds} folds, {args.n} x {args.d}, {args.classes} classes: "
        f"repscope {min(times['repscope']):.2f} s, scikit-learn {min(times['sklearn']):.2f} s, "
        f"{ratio:.1f}x; max |proba diff| {diff:.2e} (tol {args.tol}), {diff_tight:.2e} (tol 1e-10)"
    )


if __name__ == "__main__":
    main()
