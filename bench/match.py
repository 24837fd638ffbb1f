"""Units across networks side by side (run through bench/run): repscope's
rs.match_units against the scipy / scikit-learn code a user writes for the
same analysis, in one process, on the same inputs, both on 2 threads.

Data: two "networks" of `units` units over 2000 stimuli (seeded). Both
read the same 16 latent factors: each unit is driven mainly by one factor,
weakly by all of them (a dense random mixing) and by its own noise, so
units of the two networks correlate in groups, as trained networks'
units do, without being copies of each other.

1. method="sparse": every B-unit regressed on all A-units along the same
   20-penalty geometric path (warm-started). The peer is scikit-learn's
   `lasso_path` per B-unit on the same z-scored training rows (repscope's
   `test_rows` decide the split), with the Gram matrix and Xᵀy precomputed
   once (what `Lasso(precompute=True)` would redo per unit), the same
   `tol`, and held-out correlations at every penalty; the B-units run on a
   2-thread pool (its Gram solver releases the GIL). Compared: the chosen
   penalty of each B-unit and the coefficients there.
2. method="hungarian": numpy's corrcoef + scipy's linear_sum_assignment
   (time includes the correlation matrix). Compared: the pairs.
3. method="spectral": scikit-learn's SpectralClustering on the same
   affinity (|correlation|, zero diagonal), which the peer builds with
   numpy inside its timing. Compared: adjusted Rand index of the labels.

Prints one JSON line per comparison with both times and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
os.environ["RAYON_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(THREADS))

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import numpy as np  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from sklearn.cluster import SpectralClustering  # noqa: E402
from sklearn.linear_model import lasso_path  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402

import repscope as rs  # noqa: E402
from _timing import timed  # noqa: E402

FACTORS = 16


def report(name, units, t_rs, peer, t_peer, **extra):
    print(json.dumps({"bench": name, "units": units, "threads": THREADS,
                      "repscope_s": round(t_rs, 4), "peer": peer, "peer_s": round(t_peer, 4),
                      "ratio": round(t_peer / t_rs, 2), **extra}), flush=True)


def networks(n, units, seed=0):
    """Two stimuli x units matrices reading the same latent factors."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, FACTORS))

    def network():
        main = rng.permutation(units) % FACTORS
        loading = 0.15 * rng.normal(size=(FACTORS, units))
        loading[main, np.arange(units)] += rng.uniform(0.6, 1.2, units)
        return latent @ loading + rng.normal(size=(n, units)) + rng.normal(size=units)

    return network(), network()


def sklearn_sparse(x, y, test_rows, alphas, tol, max_iter):
    """The peer for method="sparse": the same analysis with lasso_path."""
    train = np.setdiff1d(np.arange(len(x)), test_rows)
    mx, sx = x[train].mean(0), x[train].std(0)
    my, sy = y[train].mean(0), y[train].std(0)
    zx, zy = (x[train] - mx) / sx, (y[train] - my) / sy
    zx_test, zy_test = (x[test_rows] - mx) / sx, (y[test_rows] - my) / sy
    gram = np.ascontiguousarray(zx.T @ zx)
    xty = np.ascontiguousarray((zx.T @ zy).T)  # one contiguous row per B-unit

    def one(t):
        _, coefs, _ = lasso_path(zx, zy[:, t], alphas=alphas, precompute=gram, Xy=xty[t],
                                 tol=tol, max_iter=max_iter, check_input=False)
        pred = zx_test @ coefs
        pred -= pred.mean(0)
        truth = zy_test[:, t] - zy_test[:, t].mean()
        norms = np.sqrt((pred * pred).sum(0) * (truth @ truth))
        r = np.where(norms > 0, truth @ pred / np.where(norms > 0, norms, 1), 0.0)
        best = int(np.argmax(r))  # first maximum: the larger penalty on ties
        return best, coefs[:, best]

    with ThreadPoolExecutor(THREADS) as pool:
        out = list(pool.map(one, range(y.shape[1])))
    return np.array([b for b, _ in out]), np.column_stack([c for _, c in out])


def bench_sparse(x, y, units, tol, repeats, max_iter=10_000):
    params = dict(n_alphas=20, eps=1e-2, test_fraction=0.2, seed=0, tol=tol, max_iter=max_iter)
    t_rs, ours = timed(lambda: rs.match_units(x, y, method="sparse", **params), repeats)
    t_sk, (best, coef) = timed(
        lambda: sklearn_sparse(x, y, ours.test_rows, ours.alphas, tol, max_iter), repeats)
    same = best == ours.best
    report("sparse", units, t_rs, "sklearn lasso_path", t_sk, tol=tol,
           fraction_best_alpha_equal=round(float(same.mean()), 4),
           max_abs_coef_diff=float(np.abs(ours.coef[:, same] - coef[:, same]).max(initial=0.0)),
           mean_units_needed=round(float(ours.units_needed.mean()), 1))


def bench_hungarian(x, y, units, repeats):
    def peer():
        c = np.corrcoef(x.T, y.T)[:units, units:]
        return linear_sum_assignment(c, maximize=True)

    t_rs, ours = timed(lambda: rs.match_units(x, y, method="hungarian"), repeats)
    t_sp, (rows, cols) = timed(peer, repeats)
    report("hungarian", units, t_rs, "numpy corrcoef + scipy linear_sum_assignment", t_sp,
           pairs_identical=ours.pairs.tolist() == np.column_stack([rows, cols]).tolist(),
           mean_correlation=round(ours.mean_correlation, 6))


def bench_spectral(x, y, units, groups, repeats):
    def peer():
        w = np.abs(np.corrcoef(np.hstack([x, y]).T))
        np.fill_diagonal(w, 0.0)
        return SpectralClustering(groups, affinity="precomputed", random_state=0).fit(w).labels_

    t_rs, ours = timed(lambda: rs.match_units(x, y, method="spectral", groups=groups), repeats)
    t_sk, theirs = timed(peer, repeats)
    labels = np.concatenate([ours.a_labels, ours.b_labels])
    report("spectral", units, t_rs, "sklearn SpectralClustering", t_sk, groups=groups,
           adjusted_rand=round(float(adjusted_rand_score(theirs, labels)), 4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--units", type=int, nargs="+", default=[384, 768])
    ap.add_argument("--tol", type=float, nargs="+", default=[1e-4, 1e-8],
                    help="lasso tolerances (1e-4 is both libraries' default)")
    ap.add_argument("--wide", type=int, default=768,
                    help="from this many units on, the lasso runs at the first tol only "
                         "(scikit-learn needs minutes per tolerance there)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sparse-repeats", type=int, default=1)
    args = ap.parse_args()
    for units in args.units:
        x, y = networks(args.n, units)
        bench_hungarian(x, y, units, args.repeats)
        bench_spectral(x, y, units, FACTORS, args.repeats)
        for tol in args.tol[:1] if units >= args.wide else args.tol:
            bench_sparse(x, y, units, tol, args.sparse_repeats)


if __name__ == "__main__":
    main()
