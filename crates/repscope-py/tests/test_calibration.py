"""Calibrated similarity (Gröger, Wen & Brbić 2026, Algorithm 1), the
measures' property sheets and the grounding checks.

- The calibrated score, threshold and p-value equal an independent numpy
  implementation of Algorithm 1 on the same permutations
  (``rs.permutation_orders``), to 1e-9, for similarities and distances.
- On independent random representations of growing width, raw linear CKA
  grows with width while the calibrated score stays at its null value 0;
  on related representations it is high; p-values are uniform under the
  null.
- The CLI, ``rs.similarity`` and ``rs.pairwise`` give the same numbers.
- Every measure has a complete property sheet, the same from Python and
  the CLI; the grounding checks pass and fail where they should."""

from __future__ import annotations

import json
import math
import subprocess

import numpy as np
import pytest
from scipy import stats

import repscope as rs
from conftest import ROOT

ROOT_DATA = ROOT / "data" / "minilm_corpus.safetensors"


def linear_cka(x, y):
    x, y = x - x.mean(0), y - y.mean(0)
    return np.linalg.norm(x.T @ y) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def algorithm_1(observed, null, distance, best, alpha):
    """Algorithm 1 restated: the order statistic of null ∪ {s} at rank
    ⌈(1 − α)(K + 1)⌉ on the "larger is better" scale, then
    clamp((s − τ)/(s_best − τ), 0, 1), and the add-one p-value."""
    sign = -1.0 if distance else 1.0
    s, null = sign * observed, sign * np.asarray(null)
    k = len(null)
    values = np.sort(np.append(null, s))
    tau = values[math.ceil((1 - alpha) * (k + 1) - 1e-9) - 1]
    top = sign * best
    calibrated = 0.0 if s <= tau else min(max((s - tau) / max(top - tau, 1e-12), 0.0), 1.0)
    p = (1 + np.sum(null >= s)) / (k + 1)
    return calibrated, sign * tau, p


@pytest.mark.parametrize("measure,params", [
    ("linear_cka", {}), ("procrustes", {}), ("procrustes", {"alpha": 0.5}), ("debiased_cka", {}),
    ("mutual_knn", {"k": 5}), ("rsa", {}),
])
@pytest.mark.parametrize("alpha", [0.05, 0.2])
def test_the_calibration_equals_algorithm_1_on_the_same_permutations(measure, params, alpha):
    g = np.random.default_rng(3)
    x = g.normal(size=(40, 6))
    y = x @ g.normal(size=(6, 7)) * 0.3 + g.normal(size=(40, 7))
    k = 59
    got = rs.similarity(x, y, measure, n_permutations=k, seed=7, calibration_alpha=alpha, **params)
    orders = rs.permutation_orders(40, k, seed=7)
    if measure == "linear_cka":
        null = [linear_cka(x, y[o]) for o in orders]  # independent of repscope
        assert abs(float(got) - linear_cka(x, y)) < 1e-12
    else:
        null = [rs.similarity(x, y[o], measure, **params) for o in orders]
    info = rs.measure_info(measure)
    want = algorithm_1(float(got), null, info["kind"] == "distance", info["identical"], alpha)
    np.testing.assert_allclose([got.calibrated, got.threshold, got.p_value], want, rtol=0, atol=1e-9)


def test_raw_cka_grows_with_width_while_the_calibrated_score_stays_at_zero():
    widths, draws = (4, 16, 64, 256), 20
    raw, calibrated = {}, {}
    for d in widths:
        scores = []
        for seed in range(draws):
            g = np.random.default_rng(seed)
            x, y = g.normal(size=(40, d)), g.normal(size=(40, d))
            scores.append(rs.similarity(x, y, n_permutations=99, seed=seed))
        raw[d] = np.mean([float(s) for s in scores])
        calibrated[d] = np.mean([s.calibrated for s in scores])
    # The confound: unrelated data look more alike the wider they are.
    assert all(raw[a] < raw[b] for a, b in zip(widths, widths[1:])), raw
    assert raw[256] > 0.7, raw
    # Calibrated, they look like what they are: no better than chance.
    assert all(c < 0.03 for c in calibrated.values()), calibrated


def test_related_representations_get_a_high_calibrated_score():
    g = np.random.default_rng(1)
    x = g.normal(size=(60, 32))
    y = x @ g.normal(size=(32, 256)) + 0.5 * g.normal(size=(60, 256))
    for measure in ("linear_cka", "procrustes", "mutual_knn"):
        s = rs.similarity(x, y, measure, n_permutations=199)
        assert s.calibrated > 0.5, (measure, s)
        assert s.p_value == 1 / 200


def test_p_values_are_uniform_under_the_null():
    p = []
    for seed in range(300):
        g = np.random.default_rng(1000 + seed)
        x, y = g.normal(size=(20, 3)), g.normal(size=(20, 3))
        p.append(rs.similarity(x, y, n_permutations=99, seed=seed).p_value)
    p = np.asarray(p)
    assert stats.kstest(p, "uniform").pvalue > 0.01
    assert 0.02 <= np.mean(p <= 0.05) <= 0.09


def test_the_cli_python_and_pairwise_agree(tmp_path, repscope_bin):
    g = np.random.default_rng(4)
    a, b = g.normal(size=(30, 5)), g.normal(size=(30, 5))
    b[:, 0] += a[:, 0]
    np.savez(tmp_path / "a.npz", x=a)
    np.savez(tmp_path / "b.npz", y=b)
    out = tmp_path / "pairs.csv"
    subprocess.run([str(repscope_bin), "--quiet", "similarity", tmp_path / "a.npz", tmp_path / "b.npz",
                    "--n-permutations", "49", "--seed", "3", "-o", out], check=True, capture_output=True)
    header, row = out.read_text().splitlines()[:2]
    cli = dict(zip(header.split(","), row.split(",")))
    one = rs.similarity(a, b, n_permutations=49, seed=3)
    many = rs.pairwise({"x": a}, {"y": b}, n_permutations=49, seed=3)
    assert float(cli["calibrated"]) == one.calibrated == many.calibrated[0, 0]
    assert float(cli["threshold"]) == one.threshold == many.thresholds[0, 0]
    assert float(cli["p"]) == one.p_value == many.p_values[0, 0]
    frame = many.to_pandas()
    assert frame["calibrated"][0] == one.calibrated


def test_a_calibrated_score_is_a_float_that_pickles_whole():
    import pickle

    g = np.random.default_rng(6)
    x = g.normal(size=(20, 3))
    s = rs.similarity(x, x + g.normal(size=(20, 3)), n_permutations=19)
    again = pickle.loads(pickle.dumps(s))
    assert isinstance(s, float) and s + 0 == float(s)
    assert (float(again), again.calibrated, again.p_value) == (float(s), s.calibrated, s.p_value)


def test_bad_calibration_settings_are_errors():
    x = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(rs.Error, match="alpha"):
        rs.similarity(x, x, n_permutations=10, calibration_alpha=1.5)
    with pytest.raises(rs.Error, match="resamples"):
        rs.permutation_orders(10, 10**12)


def test_every_measure_has_a_complete_sheet_the_same_from_python_and_the_cli(repscope_bin):
    sheets = rs.measures()
    assert len(sheets) >= 28
    for sheet in sheets:
        for key in ("name", "kind", "range", "identical", "axioms", "invariances", "cost",
                    "params", "summary", "reference", "symmetric", "needs_same_dim"):
            assert key in sheet, (sheet["name"], key)
        assert sheet["identical"] is not None and sheet["cost"] and sheet["reference"]
        assert sheet == rs.measure_info(sheet["name"])
        if sheet["kind"] == "distance" and sheet["symmetric"]:
            assert "triangle_inequality" in sheet["axioms"]
    cli = json.loads(subprocess.run([str(repscope_bin), "--json", "measures", "--sheet", "all"],
                                    check=True, capture_output=True, text=True).stdout)
    assert [c["name"] for c in cli] == [s["name"] for s in sheets]
    assert all(c["identical"] == s["identical"] and c["axioms"] == s["axioms"]
               for c, s in zip(cli, sheets))
    text = subprocess.run([str(repscope_bin), "measures", "--sheet", "gulp"], check=True,
                          capture_output=True, text=True).stdout
    assert "identical inputs" in text and "triangle_inequality" in text
    with pytest.raises(rs.Error, match="known measures"):
        rs.measure_info("cka")


@pytest.mark.parametrize("measure", ["linear_cka", "procrustes", "rsa", "gulp"])
def test_the_sheets_claims_hold_numerically(measure):
    """The Rust tests sweep every measure; here a few from Python."""
    sheet = rs.measure_info(measure)
    g = np.random.default_rng(2)
    x, z = g.normal(size=(30, 6)), g.normal(size=(30, 6))
    y = x @ g.normal(size=(6, 6)) + g.normal(size=(30, 6))
    assert abs(rs.similarity(x, x, measure) - sheet["identical"]) < 1e-6
    if "symmetry" in sheet["axioms"]:
        assert abs(rs.similarity(x, y, measure) - rs.similarity(y, x, measure)) < 1e-9
    if "triangle_inequality" in sheet["axioms"]:
        d = lambda a, b: rs.similarity(a, b, measure)  # noqa: E731
        assert d(x, z) <= d(x, y) + d(y, z) + 1e-9
    q, _ = np.linalg.qr(g.normal(size=(6, 6)))
    if "orthogonal" in sheet["invariances"]:
        assert abs(rs.similarity(x, y @ q, measure) - rs.similarity(x, y, measure)) < 1e-8


def test_grounding_checks_pass_and_fail_where_they_should():
    assert rs.check_measure("linear_cka")["passed"]
    # A difference of summary statistics ignores which stimulus is which.
    assert not rs.check_measure("magnitude")["passed"]
    reps = rs.load(ROOT_DATA)
    layers = [reps[k] for k in reps]
    for measure in ("linear_cka", "procrustes", "mutual_knn"):
        g = rs.check_measure(measure, "layer_order", layers=layers)
        assert g["passed"], (measure, g["statistic"])
        assert g["scores"].shape == (7, 7)
    shuffled = [layers[i] for i in (0, 6, 1, 5, 2, 4, 3)]
    assert not rs.check_measure("linear_cka", "layer_order", layers=shuffled)["passed"]
    with pytest.raises(rs.Error, match="layers"):
        rs.check_measure("linear_cka", "layer_order")
    with pytest.raises(rs.Error, match="correlation, layer_order|'correlation' or 'layer_order'"):
        rs.check_measure("linear_cka", "depth")
