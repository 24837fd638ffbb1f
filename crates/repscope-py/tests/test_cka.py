"""Linear and debiased CKA against rsatoolbox and independent formulas."""

import numpy as np
import pytest
from rsatoolbox.data import Dataset
from rsatoolbox.rdm import calc_rdm, compare

import repscope as rs


def related(n, p, q, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    y = x @ rng.normal(size=(p, q)) + 3 * rng.normal(size=(n, q))
    return x, y


def rsatoolbox_cka(x, y):
    """rsatoolbox's whitened cosine of squared-Euclidean RDMs equals linear CKA."""
    rdm_x = calc_rdm(Dataset(x), method="euclidean")
    rdm_y = calc_rdm(Dataset(y), method="euclidean")
    return float(compare(rdm_x, rdm_y, method="cosine_cov")[0, 0])


def gram_cka(x, y):
    n = x.shape[0]
    h = np.eye(n) - 1.0 / n
    k, l = h @ x @ x.T @ h, h @ y @ y.T @ h
    return np.sum(k * l) / np.sqrt(np.sum(k * k) * np.sum(l * l))


def u_centred_cka(x, y):
    """Debiased CKA from explicitly U-centred Gram matrices (Song et al. 2012)."""
    n = x.shape[0]

    def u(m):
        k = m @ m.T
        np.fill_diagonal(k, 0.0)
        r = k.sum(axis=1)
        kc = k - r[:, None] / (n - 2) - r[None, :] / (n - 2) + r.sum() / ((n - 1) * (n - 2))
        np.fill_diagonal(kc, 0.0)
        return kc

    k, l = u(x), u(y)
    return np.sum(k * l) / np.sqrt(np.sum(k * k) * np.sum(l * l))


@pytest.mark.parametrize("n,p,q", [(80, 10, 25), (30, 60, 45), (40, 12, 90)])
def test_linear_cka_equals_rsatoolbox_and_gram_form(n, p, q):
    x, y = related(n, p, q, seed=n + p)
    ours = rs.similarity(x, y, measure="linear_cka")
    assert ours == pytest.approx(rsatoolbox_cka(x, y), rel=1e-9)
    assert ours == pytest.approx(gram_cka(x, y), rel=1e-9)


@pytest.mark.parametrize("n,p,q", [(60, 8, 20), (20, 40, 30), (25, 5, 60)])
def test_debiased_cka_equals_u_centred_formula(n, p, q):
    x, y = related(n, p, q, seed=3 * n)
    assert rs.similarity(x, y, measure="debiased_cka") == pytest.approx(
        u_centred_cka(x, y), rel=1e-9
    )


def test_zero_copy_inputs_of_any_layout_agree():
    x, y = related(50, 30, 20, seed=1)
    ref = rs.similarity(x, y)
    assert rs.similarity(np.asfortranarray(x), y) == ref
    wide = np.zeros((100, 60))
    wide[::2, ::2] = x
    assert rs.similarity(wide[::2, ::2], y) == ref  # strided view
    assert rs.similarity(x.T.copy().T, y) == ref  # transpose
    assert rs.similarity(x[::-1], y[::-1]) == pytest.approx(ref, rel=1e-12)  # negative strides
    assert rs.similarity(x.astype(np.float32), y) == pytest.approx(
        rs.similarity(x.astype(np.float32).astype(np.float64), y), rel=0, abs=0
    )


def test_pairwise_is_thread_independent_and_equals_one_pair():
    rng = np.random.default_rng(7)
    base = rng.normal(size=(60, 6))
    layers = {f"l{i}": base @ rng.normal(size=(6, w)) + rng.normal(size=(60, w)) for i, w in
              enumerate([4, 30, 70, 90])}
    for measure in ["linear_cka", "debiased_cka"]:
        one = rs.pairwise(layers, measure=measure, threads=1).values
        two = rs.pairwise(layers, measure=measure, threads=2).values
        assert np.array_equal(one, two)
        full = rs.pairwise(layers, layers, measure=measure).values
        assert np.array_equal(one, full)
        names = list(layers)
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                assert one[i, j] == rs.similarity(layers[a], layers[b], measure=measure)


def test_pairwise_result_api(tmp_path):
    reps = rs.load(rs_data())
    r = rs.pairwise(reps, measure="linear_cka")
    assert r.names_a == r.names_b == [f"layer{i}" for i in range(7)]
    np.testing.assert_allclose(np.diag(r.values), 1.0, rtol=1e-12)
    assert "PairwiseResult(linear_cka, 7 x 7)" in repr(r)
    r.plot(tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[1:4] == b"PNG"


def rs_data():
    from conftest import ROOT

    return ROOT / "data" / "minilm_corpus.safetensors"


def test_errors_are_python_exceptions_with_the_core_message():
    x, y = related(20, 3, 4, seed=2)
    with pytest.raises(rs.InputError, match="'X' has 20 stimuli but 'Y' has 19"):
        rs.similarity(x, y[:19])
    bad = x.copy()
    bad[4, 2] = np.nan
    with pytest.raises(ValueError, match="NaN at row 4, column 2"):
        rs.similarity(bad, y)
    with pytest.raises(rs.InputError, match="unknown measure 'cka'"):
        rs.similarity(x, y, measure="cka")
    with pytest.raises(rs.InputError, match="2-D"):
        rs.similarity(x[:, 0], y)
    with pytest.raises(rs.InputError, match="unknown parameter .sigma."):
        rs.similarity(x, y, sigma=1.0)
    with pytest.raises(rs.InputError, match="zero variance"):
        rs.similarity(np.ones((20, 3)), y)


def test_measures_list():
    names = [m["name"] for m in rs.measures()]
    assert names[:2] == ["linear_cka", "debiased_cka"]
    assert "orthogonal" in rs.measures()[0]["invariances"]
