"""`repscope extract` on the real all-MiniLM-L6-v2 against transformers' hidden states."""

import numpy as np
import pytest
from safetensors.numpy import load_file

from conftest import FIXTURES


@pytest.mark.parametrize("pool,key", [("mean", "mean_pooled"), ("cls", "cls")])
def test_extract_matches_transformers(tmp_path, run_cli, minilm_dir, pool, key):
    out = tmp_path / f"{pool}.safetensors"
    run_cli(
        "extract", minilm_dir, "--texts", FIXTURES / "minilm_sentences.txt",
        "-o", out, "--pool", pool, "--quiet", "--batch-size", "7", check=0,
    )
    ours = load_file(str(out))
    with np.load(FIXTURES / "minilm_reference.npz") as ref:
        expected = ref[key]
    assert sorted(ours) == [f"layer{i}" for i in range(7)]
    for i in range(7):
        got = ours[f"layer{i}"]
        assert got.shape == (24, 384)
        np.testing.assert_allclose(got, expected[i], rtol=0, atol=1e-4, err_msg=f"layer{i}")


def test_bundled_demo_data_is_what_extract_gives(tmp_path, run_cli, minilm_dir):
    """data/minilm_corpus.safetensors is reproducible from data/corpus.tsv."""
    from conftest import ROOT

    out = tmp_path / "corpus.safetensors"
    run_cli("extract", minilm_dir, "--texts", ROOT / "data" / "corpus.tsv", "-o", out,
            "--quiet", check=0)
    fresh, bundled = load_file(str(out)), load_file(str(ROOT / "data" / "minilm_corpus.safetensors"))
    for k in bundled:
        np.testing.assert_allclose(fresh[k], bundled[k], rtol=0, atol=1e-5)
