"""Exact float top-10 search side by side: repscope's rs.search against
faiss-cpu's IndexFlatIP (where faiss installs) and against numpy (one
queries x corpus product, then argpartition), on the same float32 inputs in
one process, both libraries on all cores of this machine. Prints times,
ratios and whether the ids agree. Run through bench/run.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

import repscope as rs
from _timing import timed


def embeddings(n, d, seed):
    """Realistic-looking embeddings: a low-rank structure plus noise,
    unit-normalised rows, float32."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(32, d))
    x = rng.normal(size=(n, 32)) @ basis + 0.5 * rng.normal(size=(n, d))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def numpy_top_k(q, c, k):
    s = q @ c.T
    part = np.argpartition(-s, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, part, 1), axis=1, kind="stable")
    return np.take_along_axis(part, order, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=384)
    ap.add_argument("--queries", type=int, default=1_000)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()
    corpus = embeddings(args.n, args.d, 0)
    queries = embeddings(args.queries, args.d, 1)
    threads = os.cpu_count()
    result = {"n": args.n, "d": args.d, "queries": args.queries, "k": args.k, "threads": threads}

    t_rs, (ids, _) = timed(lambda: rs.search(queries, corpus, k=args.k, metric="ip"), 3)
    result["repscope_s"] = round(t_rs, 4)
    t_np, ids_np = timed(lambda: numpy_top_k(queries, corpus, args.k), 3)
    result["numpy_s"] = round(t_np, 4)
    result["speedup_vs_numpy"] = round(t_np / t_rs, 2)
    result["ids_equal_numpy"] = float(np.mean(ids == ids_np))
    try:
        import faiss
    except ImportError:
        result["faiss"] = "not installed"
    else:
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexFlatIP(args.d)
        index.add(corpus)
        t_f, (_, ids_f) = timed(lambda: index.search(queries, args.k), 3)
        result["faiss_version"] = faiss.__version__
        result["faiss_s"] = round(t_f, 4)
        result["time_vs_faiss"] = round(t_rs / t_f, 2)
        result["ids_equal_faiss"] = float(np.mean(ids == ids_f))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
