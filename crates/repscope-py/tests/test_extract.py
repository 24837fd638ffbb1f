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


def test_python_extract_of_a_bert_folder_is_the_cli(tmp_path, run_cli, minilm_dir):
    """rs.extract(folder, texts) takes the same path as the CLI: the same
    bytes, every hidden state."""
    import repscope as rs

    texts = (FIXTURES / "minilm_sentences.txt").read_text().splitlines()
    cli_out, py_out = tmp_path / "cli.safetensors", tmp_path / "py.safetensors"
    run_cli("extract", minilm_dir, "--texts", FIXTURES / "minilm_sentences.txt", "-o", cli_out,
            "--pool", "cls", "--quiet", "--batch-size", "7", check=0)
    got = rs.extract(minilm_dir, texts, out=py_out, pool="cls", batch_size=7)
    assert got.stimuli == 24 and list(got.layers) == [f"layer{i}" for i in range(7)]
    assert cli_out.read_bytes() == py_out.read_bytes()
    a, b = rs.load(cli_out), rs.load(py_out)
    assert list(a) == list(b) and a.stimuli == b.stimuli == texts
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    with pytest.raises(rs.InputError, match="hidden state"):
        rs.extract(minilm_dir, texts, out=tmp_path / "x.safetensors", layers=["layer1"])
