"""Binary codes and product quantisation side by side with faiss-cpu, in one
process, both on the same number of threads (run through bench/run, which
builds the release extension and installs faiss-cpu when it can).

Data: 100,000 corpus and 1,000 query embeddings of 384 dimensions, a
seeded Gaussian with a rank-64 structure plus isotropic noise, rows
normalised (sentence-embedding-like: correlated dimensions, unit norm).

1. Hamming top-10 of 1,000 binary queries over 100,000 binary codes (48
   bytes each): rs.hamming_search vs faiss.IndexBinaryFlat. Ties in Hamming
   distance make the ids legitimately differ, so the distances are compared.
2. The same with rescoring (shortlist 10 x 4 by Hamming, rescored by float
   query . float corpus): rs.binary_search vs faiss.IndexBinaryFlat
   shortlist + numpy rescoring as sentence-transformers' semantic_search_faiss
   does it.
3. PQ (M = 48, nbits = 8: also 48 bytes per vector) training on the same
   sample size, and ADC top-10 search: rs.ProductQuantizer vs faiss.IndexPQ,
   with both recalls@10 against exact inner-product search.

Prints one JSON line per comparison with both times and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os

THREADS = int(os.environ.get("BENCH_THREADS", "2"))
os.environ["RAYON_NUM_THREADS"] = str(THREADS)
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402

import repscope as rs  # noqa: E402
from _timing import timed  # noqa: E402

try:
    import faiss  # noqa: E402
except ImportError:  # pragma: no cover - depends on the environment
    faiss = None


def report(name, t_rs, t_peer, **extra):
    print(json.dumps({"bench": name, "threads": THREADS, "repscope_s": round(t_rs, 4),
                      "faiss_s": round(t_peer, 4), "ratio": round(t_peer / t_rs, 2), **extra}),
          flush=True)


def embeddings(n, d, rank, seed):
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((rank, d)) / np.sqrt(rank)
    x = rng.standard_normal((n, rank)) @ basis + 0.3 * rng.standard_normal((n, d))
    x += 0.1 * rng.standard_normal(d)  # a shared offset, as real embeddings have
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recall(found, truth):
    k = truth.shape[1]
    return float(np.mean([len(set(f) & set(t)) / k for f, t in zip(found, truth)]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=1_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--multiplier", type=int, default=4)
    p.add_argument("--pq-train", type=int, default=20_000)
    p.add_argument("--only", default="hamming,rescore,pq")
    args = p.parse_args()
    if faiss is None:
        print("faiss-cpu is not installed (pip install faiss-cpu); skipping bench/compress_binary.py")
        return
    faiss.omp_set_num_threads(THREADS)
    which = args.only.split(",")
    k, d = args.k, args.dim
    corpus = embeddings(args.n, d, 64, 0)
    queries = embeddings(args.queries, d, 64, 1)
    corpus32, queries32 = corpus.astype(np.float32), queries.astype(np.float32)
    codes = rs.quantize_binary(corpus)
    qcodes = rs.quantize_binary(queries)
    assert np.array_equal(codes, np.packbits(corpus > 0, axis=-1))
    binary = faiss.IndexBinaryFlat(8 * codes.shape[1])
    binary.add(codes)

    if "hamming" in which:
        t_rs, (ids, dist) = timed(lambda: rs.hamming_search(qcodes, codes, k), 3)
        t_peer, (fdist, fids) = timed(lambda: binary.search(qcodes, k), 3)
        report(f"Hamming top-{k}, {args.queries} x {args.n} codes of {codes.shape[1]} bytes",
               t_rs, t_peer, distances_equal=bool(np.array_equal(dist, fdist)),
               ids_equal_fraction=round(float(np.mean(ids == fids)), 4))

    if "rescore" in which:
        m = args.multiplier

        def peer():
            # sentence-transformers' semantic_search_faiss rescoring, with
            # the float corpus (not the unpacked bits) as the candidates.
            _, short = binary.search(qcodes, k * m)
            scores = np.einsum("qd,qcd->qc", queries, corpus[short])
            order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
            return np.take_along_axis(short, order, 1), np.take_along_axis(scores, order, 1)

        t_rs, (ids, scores) = timed(
            lambda: rs.binary_search(queries, codes, k, rescore_multiplier=m, corpus_float=corpus), 3)
        t_peer, (fids, fscores) = timed(peer, 3)
        report(f"binary top-{k} rescored from {k * m} by float dot, {args.queries} x {args.n}",
               t_rs, t_peer, max_abs_score_difference=float(np.max(np.abs(scores - fscores))),
               ids_equal_fraction=round(float(np.mean(ids == fids)), 4))

    if "pq" in which:
        M, nbits = 48, 8
        exact = np.argsort(-(queries @ corpus.T), axis=1)[:, :k]
        sample = args.pq_train
        t_rs_fit, pq = timed(lambda: rs.ProductQuantizer(M=M, nbits=nbits, seed=0,
                                                         max_train=sample).fit(corpus))
        index = faiss.IndexPQ(d, M, nbits)
        index.pq.cp.max_points_per_centroid = sample // (1 << nbits)
        index.pq.cp.seed = 0
        t_peer_fit, _ = timed(lambda: index.train(corpus32))
        report(f"PQ training M={M} nbits={nbits} on {sample} of {args.n} vectors",
               t_rs_fit, t_peer_fit)
        pcodes = pq.encode(corpus)
        index.add(corpus32)
        t_rs, (ids, _) = timed(lambda: pq.search(queries, pcodes, k, metric="l2"), 3)
        t_peer, (_, fids) = timed(lambda: index.search(queries32, k), 3)
        report(f"PQ ADC top-{k} (L2), {args.queries} x {args.n} codes of {M} bytes", t_rs, t_peer,
               recall_repscope=round(recall(ids, exact), 4),
               recall_faiss=round(recall(fids, exact), 4))


if __name__ == "__main__":
    main()
