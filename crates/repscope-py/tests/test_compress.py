"""Compression and retrieval against independent computations: quantised
codes byte for byte against numpy implementations of sentence-transformers'
formulas, search against numpy's stable argsort, metrics against numpy and
scikit-learn's ndcg_score, the Matryoshka funnel against a numpy funnel,
compatibility on a constructed case, and `repscope compress` on the
bundled MiniLM data."""

import json

import numpy as np
import pytest
import repscope as rs
from scipy.linalg import orthogonal_procrustes
from sklearn.metrics import ndcg_score

from conftest import ROOT

RNG = np.random.default_rng(11)
MINILM = ROOT / "data" / "minilm_corpus.safetensors"


def topics():
    lines = (ROOT / "data" / "corpus.tsv").read_text().splitlines()[1:]
    return [line.split("\t")[0] for line in lines]


def st_codes(E, precision, calibration):
    """sentence-transformers' int8/uint8 formulas in numpy (in E's dtype),
    with values outside the calibration range clipped."""
    starts, ends = calibration.min(axis=0), calibration.max(axis=0)
    steps = (ends - starts) / 255
    levels = np.clip(np.floor((E - starts) / steps), 0, 255)
    if precision == "uint8":
        return levels.astype(np.uint8)
    return (levels - 128).astype(np.int8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("precision", ["int8", "uint8"])
def test_eight_bit_codes_are_the_same_bytes_as_numpy(dtype, precision):
    calibration = RNG.normal(size=(500, 64)).astype(dtype)
    E = (1.3 * RNG.normal(size=(200, 64))).astype(dtype)  # some values outside the range
    codes, ranges = rs.quantize(calibration, precision)
    assert codes.dtype == np.dtype(precision) and ranges.dtype == dtype
    assert codes.tobytes() == st_codes(calibration, precision, calibration).tobytes()
    codes, _ = rs.quantize(E, precision, ranges=ranges)
    assert codes.tobytes() == st_codes(E, precision, calibration).tobytes()


def test_binary_codes_and_single_embeddings():
    E = RNG.normal(size=(10, 20))
    ub, _ = rs.quantize(E, "ubinary")
    assert ub.tobytes() == np.packbits(E > 0, axis=-1).tobytes()
    b, _ = rs.quantize(E, "binary")
    assert b.tobytes() == (np.packbits(E > 0, axis=-1).astype(int) - 128).astype(np.int8).tobytes()
    with pytest.raises(rs.InputError, match="calibration"):
        rs.quantize(E[:1], "int8")
    _, ranges = rs.quantize(E, "int8")
    one, _ = rs.quantize(E[:1], "int8", ranges=ranges)
    assert one.tobytes() == st_codes(E[:1], "int8", E).tobytes()


@pytest.mark.parametrize("metric", ["ip", "cosine", "l2"])
def test_search_equals_a_stable_numpy_argsort(metric):
    Q, C = RNG.normal(size=(40, 16)), RNG.normal(size=(5000, 16))
    C[100] = C[7]  # an exact tie: the lower index must come first
    Q[0] = C[7]
    ids, scores = rs.search(Q, C, k=12, metric=metric)
    if metric == "cosine":
        S = (Q / np.linalg.norm(Q, axis=1, keepdims=True)) @ (C / np.linalg.norm(C, axis=1, keepdims=True)).T
    elif metric == "ip":
        S = Q @ C.T
    else:
        S = -((Q**2).sum(1)[:, None] + (C**2).sum(1)[None, :] - 2 * Q @ C.T)
    expected = np.argsort(-S, axis=1, kind="stable")[:, :12]
    assert (ids == expected).all()
    best = np.take_along_axis(S, expected, 1)
    np.testing.assert_allclose(scores, -best if metric == "l2" else best, atol=1e-10)
    first = list(ids[0]).index(7)
    assert ids[0, first + 1] == 100  # equal scores: the lower index first
    ids32, scores32 = rs.search(Q.astype(np.float32), C.astype(np.float32), k=12, metric=metric)
    np.testing.assert_allclose(scores32, scores, rtol=1e-4, atol=1e-4)


def numpy_metrics(ids, relevant, k):
    rec, prec, hit, ap, ndcg, rr = [], [], [], [], [], []
    for row, rel in zip(ids, relevant):
        rel = set(rel)
        hits = np.array([i in rel for i in row[:k]], dtype=float)
        rec.append(hits.sum() / len(rel))
        prec.append(hits.sum() / k)
        hit.append(float(hits.any()))
        ap.append((np.cumsum(hits) / np.arange(1, k + 1) * hits).sum() / min(k, len(rel)))
        full = np.array([i in rel for i in row], dtype=float)
        rr.append(1 / (np.argmax(full) + 1) if full.any() else 0.0)
    return dict(recall=np.mean(rec), precision=np.mean(prec), hit=np.mean(hit), map=np.mean(ap),
                mrr=np.mean(rr))


def test_metrics_equal_numpy_and_scikit_learn_ndcg():
    n, m, k = 60, 25, 10
    labels = RNG.integers(0, 5, n)
    qlabels = RNG.integers(0, 5, m)
    relevant = rs.relevant_from_labels(qlabels, labels)
    scores = RNG.normal(size=(m, n))
    ids = np.argsort(-scores, axis=1, kind="stable")[:, :20]
    ours = rs.retrieval_metrics(ids, relevant, k=(k,))
    ref = numpy_metrics(ids, relevant, k)
    for name in ("recall", "precision", "hit", "map"):
        assert ours[f"{name}@{k}"] == pytest.approx(ref[name], rel=1e-12), name
    assert ours["mrr"] == pytest.approx(ref["mrr"], rel=1e-12)
    truth = (qlabels[:, None] == labels[None, :]).astype(float)
    assert ours[f"ndcg@{k}"] == pytest.approx(ndcg_score(truth, scores, k=k), rel=1e-12)
    mrl = rs.retrieval_metrics(ids, relevant, k=(k,), map="mrl")
    assert mrl[f"map@{k}"] == pytest.approx(
        np.mean([(np.cumsum(h) / np.arange(1, k + 1) * h).sum() / k
                 for h in (np.isin(r[:k], list(rel)).astype(float) for r, rel in zip(ids, relevant))]),
        rel=1e-12,
    )


def test_adaptive_retrieval_equals_a_numpy_funnel():
    Q, C = RNG.normal(size=(30, 64)), RNG.normal(size=(2000, 64))
    ids, _ = rs.adaptive_retrieval(Q, C, shortlist_dim=8, shortlist_k=100, rerank_dim=32, k=10)
    unit = lambda M: M / np.linalg.norm(M, axis=1, keepdims=True)  # noqa: E731
    short = np.argsort(-(unit(Q[:, :8]) @ unit(C[:, :8]).T), axis=1, kind="stable")[:, :100]
    for i in range(30):
        s = unit(Q[i : i + 1, :32]) @ unit(C[short[i], :32]).T
        order = np.lexsort((short[i], -s[0]))[:10]
        assert ids[i].tolist() == short[i][order].tolist()
    cascade, _ = rs.adaptive_retrieval(Q, C, dims=(16, 32, 64, 128, None), shortlists=(200, 100, 50, 25, 10))
    assert cascade.shape == (30, 10)
    default, _ = rs.adaptive_retrieval(Q, C)  # MRL's cascade
    assert (default == cascade).all()


def test_retrieval_eval_rows_equal_search_plus_metrics_on_minilm():
    E = rs.load(MINILM)["layer6"].astype(np.float32)
    labels = topics()
    relevant = rs.relevant_from_labels(labels, exclude_self=True)
    table = rs.retrieval_eval(E, E, relevant, k=(1, 10), dims=(64, None),
                              precision=("float32", "int8", "binary"), exclude=range(len(E)))
    rows = {(r["dim"], r["precision"]): r for r in table.rows}
    assert set(rows) == {(d, p) for d in (64, 384) for p in ("float32", "int8", "binary")}
    assert rows[(384, "int8")]["bytes_per_vector"] == 384 and rows[(64, "binary")]["bytes_per_vector"] == 8

    def check(stored_q, stored_c, row):
        ids, _ = rs.search(stored_q, stored_c, k=11, metric="cosine")
        ranked = [[c for c in r if c != q][:10] for q, r in enumerate(ids.tolist())]
        expected = rs.retrieval_metrics(ranked, relevant, k=(1, 10))
        for key in ("hit@1", "map@10", "ndcg@10", "mrr"):
            assert row[key] == pytest.approx(expected[key], rel=1e-12), key

    check(E, E, rows[(384, "float32")])
    unit = E / np.linalg.norm(E, axis=1, keepdims=True)  # prefixes are renormalised, full width too
    codes = st_codes(unit, "int8", unit).astype(np.float32)
    check(codes, codes, rows[(384, "int8")])
    signs = np.where(E > 0, 1.0, -1.0).astype(np.float32)
    check(signs, signs, rows[(384, "binary")])
    assert rows[(384, "float32")]["map@10"] > rows[(64, "binary")]["map@10"]


def test_funnel_row_equals_adaptive_retrieval_plus_metrics_on_minilm():
    """retrieval_eval(funnel=True) adds MRL's cascade as a row; its numbers
    are those of rs.adaptive_retrieval followed by the metrics, with every
    stage one item longer so the query itself can be dropped."""
    E = rs.load(MINILM)["layer6"].astype(np.float32)
    relevant = rs.relevant_from_labels(topics(), exclude_self=True)
    table = rs.retrieval_eval(E, E, relevant, k=(1, 10), dims=(None,),
                              exclude=range(len(E)), funnel=True)
    exact, funnel = table.rows
    assert exact["retrieval"] == "exact"
    assert funnel["retrieval"] == "funnel 16:200>32:100>64:50>128:25>384:10"
    assert (funnel["dim"], funnel["precision"], funnel["bytes_per_vector"]) == (384, "float32", 1536)
    ids, _ = rs.adaptive_retrieval(E, E, dims=(16, 32, 64, 128, None),
                                   shortlists=(201, 101, 51, 26, 11))
    ranked = [[c for c in r if c != q][:10] for q, r in enumerate(ids.tolist())]
    expected = rs.retrieval_metrics(ranked, relevant, k=(1, 10))
    for key in ("hit@1", "map@10", "ndcg@10", "mrr"):
        assert funnel[key] == pytest.approx(expected[key], rel=1e-12), key
    # Custom stages; a malformed one is an InputError that shows the syntax.
    two = rs.retrieval_eval(E, E, relevant, k=(10,), exclude=range(len(E)), funnel="32:100,full:10")
    assert two.rows[-1]["retrieval"] == "funnel 32:100>384:10"
    with pytest.raises(rs.InputError, match="DIM:SHORTLIST"):
        rs.retrieval_eval(E, E, relevant, funnel="32")


def test_compatibility_of_a_rotated_model_after_the_orthogonal_map():
    centres = RNG.normal(size=(12, 24))
    labels = np.arange(600) % 12
    old = centres[labels] + 0.7 * RNG.normal(size=(600, 24))
    R, _ = np.linalg.qr(RNG.normal(size=(24, 24)))
    new = old @ R + 0.05 * RNG.normal(size=(600, 24))
    q, g = slice(0, 150), slice(150, 600)
    raw = rs.compatibility(old[q], old[g], new[q], new[g], labels[q], labels[g])
    # A rotation changes nothing on its own side (M(new,new) = M(old,old),
    # so the gain is undefined) but breaks the old gallery.
    assert not raw["compatible"] and raw["M(new,old)"] < raw["M(old,old)"] - 0.3
    assert np.isnan(raw["gain"])
    W = rs.fit_compat_map(new[g], old[g]).weights
    expected, _ = orthogonal_procrustes(new[g], old[g])
    np.testing.assert_allclose(W, expected, atol=1e-10)
    fixed = rs.compatibility(old[q], old[g], new[q] @ W, new[g] @ W, (labels[q], labels[g]))
    assert fixed["M(new,old)"] >= fixed["M(old,old)"] - 0.02
    assert fixed["M(new,new)"] == pytest.approx(fixed["M(old,old)"], abs=0.05)
    with pytest.raises(rs.InputError, match="fit_compat_map"):
        rs.compatibility(old[q], old[g], new[q, :10], new[g, :10], labels[q], labels[g])


def test_bad_inputs():
    E = RNG.normal(size=(10, 8))
    with pytest.raises(rs.InputError, match="unknown search metric"):
        rs.search(E, E, metric="hamming")
    with pytest.raises(rs.InputError, match="dimensions"):
        rs.search(E, E[:, :4])
    with pytest.raises(rs.InputError, match="precision"):
        rs.retrieval_eval(E, E, [[0]] * 10, precision="int4")
    bad = E.copy()
    bad[3, 3] = np.nan
    with pytest.raises(rs.InputError, match="NaN"):
        rs.quantize(bad, "int8")


def test_cli_compress_on_the_bundled_minilm_data(tmp_path, run_cli):
    out, fig = tmp_path / "c.csv", tmp_path / "c.png"
    run_cli("compress", MINILM, "--layer", "layer6", "--eval", ROOT / "data" / "corpus.tsv",
            "--dims", "32,full", "-o", out, "--plot", fig, "--funnel", check=0)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("dim,precision,retrieval,bytes_per_vector,search_ms,recall@1")
    assert len(lines) == 1 + 2 * 3 + 1 and fig.stat().st_size > 1000
    funnel = dict(zip(lines[0].split(","), lines[-1].split(",")))
    python = rs.retrieval_eval(rs.load(MINILM)["layer6"].astype(np.float32),
                               rs.load(MINILM)["layer6"].astype(np.float32),
                               rs.relevant_from_labels(topics(), exclude_self=True), k=(1, 10),
                               exclude=range(320), funnel=True).rows[-1]
    assert funnel["retrieval"] == python["retrieval"] == "funnel 16:200>32:100>64:50>128:25>384:10"
    assert float(funnel["map@10"]) == pytest.approx(python["map@10"], rel=1e-12)
    p = run_cli("compress", MINILM, "--layer", "layer6", "--eval", ROOT / "data" / "corpus.tsv",
                "--funnel", "64:50,32:10", check=2)
    assert "dimensions must grow" in p.stderr
    p = run_cli("compress", MINILM, "--layer", "layer6", "--eval", ROOT / "data" / "corpus.tsv",
                "--dims", "full", "--precision", "float32", "--json", check=0)
    row = json.loads(p.stdout)[0]
    E = rs.load(MINILM)["layer6"]
    relevant = rs.relevant_from_labels(topics(), exclude_self=True)
    ids, _ = rs.search(E.astype(np.float32), E.astype(np.float32), k=11, metric="cosine")
    ranked = [[c for c in r if c != q][:10] for q, r in enumerate(ids.tolist())]
    assert row["map@10"] == pytest.approx(rs.retrieval_metrics(ranked, relevant)["map@10"], rel=1e-12)
    codes = tmp_path / "codes.npy"
    run_cli("compress", MINILM, "--layer", "layer6", "--precision", "int8", "--codes", codes, check=0)
    assert np.load(codes).tobytes() == rs.quantize(E, "int8")[0].tobytes()
    ranges = np.load(tmp_path / "codes.ranges.npy")
    assert ranges.shape == (2, 384)
    p = run_cli("compress", MINILM, "--layer", "layer6", "--eval", tmp_path / "codes.ranges.npy", check=2)
    p = run_cli("compress", MINILM, check=2)
    assert "--layer" in p.stderr


def test_codes_equal_sentence_transformers_where_installed():
    st = pytest.importorskip("sentence_transformers.quantization")
    calibration = RNG.normal(size=(300, 32)).astype(np.float32)
    # Inside the calibration range: outside it their float -> uint8 cast is platform-defined.
    E = np.clip(RNG.normal(size=(50, 32)).astype(np.float32), calibration.min(0), calibration.max(0))
    for precision in ("int8", "uint8", "binary", "ubinary"):
        ours, _ = rs.quantize(E, precision, ranges=None if "binary" in precision else rs.quantize(calibration, "int8")[1])
        theirs = st.quantize_embeddings(E, precision=precision, calibration_embeddings=calibration)
        assert ours.tobytes() == np.asarray(theirs).tobytes(), precision
