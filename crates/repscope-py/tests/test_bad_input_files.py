"""The bad-input corpus, part two (see test_bad_input_corpus.py): the
functions and commands that take files, folders and scalar parameters.

- Every Python reader gets missing, empty, garbage (under each format's
  extension), truncated and mistyped files, and folders: a `repscope.Error`
  with a message, the file untouched.
- Every Python writer gets output paths it cannot write (a missing folder,
  a read-only place, an existing folder): a `repscope.Error`, nothing left.
- Scalar parameters get negative, zero, huge, NaN, infinite, text and
  missing values: a `repscope.Error` unless the value is meaningful.
- The CLI's `taskvec`, `report`, `extract` and `bids` get bad checkpoints,
  tables, models, text lists and trees: exit 2, a message, no output."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

import repscope as rs

pytestmark = pytest.mark.filterwarnings("ignore")

rng = np.random.default_rng(5)
X = rng.normal(size=(12, 4))
RDMS = np.stack([rs.rdm(rng.normal(size=(6, 3)), "euclidean") for _ in range(3)])
RDM14 = rs.rdm(rng.normal(size=(14, 3)), "euclidean")


def bad_files(folder: Path) -> dict[str, Path]:
    """Files no reader should take, by what is wrong with them."""
    g = np.random.default_rng(6)
    out = {"missing": folder / "missing.npz", "folder": folder / "a_folder"}
    out["folder"].mkdir()
    (folder / "empty.npy").write_bytes(b"")
    out["empty"] = folder / "empty.npy"
    for ext in ("npy", "npz", "safetensors", "h5", "hdf5", "mat", "nii", "nii.gz", "gii",
                "surf.gii", "dscalar.nii", "tsv"):
        p = folder / f"garbage.{ext}"
        p.write_bytes(g.bytes(400))
        out[f"garbage_{ext}"] = p
    good = folder / "good.npz"
    np.savez(good, layer=X)
    data = good.read_bytes()
    out["truncated_npz"] = folder / "truncated.npz"
    out["truncated_npz"].write_bytes(data[: len(data) // 2])
    out["text_as_npz"] = folder / "text.npz"
    out["text_as_npz"].write_text("layer\n1 2 3\n")
    out["strings_npy"] = folder / "strings.npy"
    np.save(out["strings_npy"], X.astype(str))
    out["complex_npy"] = folder / "complex.npy"
    np.save(out["complex_npy"], X.astype(complex))
    return out


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return bad_files(tmp_path_factory.mktemp("bad_files"))


def digest(path: Path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


# name -> a call reading one path.
READERS = {
    "load": lambda p: rs.load(p),
    "info": lambda p: rs.info(p),
    "load_rows": lambda p: rs.load_rows(p, "layer", 0, 2),
    "load_rdms": lambda p: rs.load_rdms(p),
    "read_nifti": lambda p: rs.read_nifti(p),
    "read_cifti": lambda p: rs.read_cifti(p),
    "read_surface": lambda p: rs.read_surface(p),
    "read_edges": lambda p: rs.read_edges(p, 12),
    "load_rsatoolbox_dataset": lambda p: rs.load_rsatoolbox_dataset(p),
    "task_vectors": lambda p: rs.task_vectors(p, [p]),
    "load_bids": lambda p: rs.load_bids(p, "01", "objects"),
    "surface_searchlight_data": lambda p: rs.surface_searchlight(
        p, (np.eye(3), np.array([[0, 1, 2]])), np.arange(3), radius=2.0),
    "pairwise_file": lambda p: rs.pairwise(rs.load(p), progress=False),
    "onnx_layers": lambda p: rs.onnx_layers(p),
    "extract_model": lambda p: rs.extract(p, np.zeros((2, 3, 16, 16)), layers=["fc"],
                                          out=p.parent / "acts.safetensors"),
    "extract_arrays": lambda p: rs.extract(Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "tiny_cnn.onnx", p, layers=["fc"],
                                           out=p.parent / "acts.safetensors"),
    "read_thingsvision": lambda p: rs.read_thingsvision(p),
    "read_net2brain": lambda p: rs.read_net2brain(p),
}

# A reader that takes a value as it is by design, and why.
READER_ACCEPTS = {
    # info describes what is there, whatever the values are.
    ("info", "strings_npy"), ("info", "complex_npy"),
    # read_edges reads a folder's absence of edges as an error, but a .tsv of
    # random bytes is tested below; an empty file is a graph with no edges.
    ("read_edges", "empty"),
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("case", [
    "missing", "folder", "empty", "garbage_npy", "garbage_npz", "garbage_safetensors", "garbage_h5",
    "garbage_hdf5", "garbage_mat", "garbage_nii", "garbage_nii.gz", "garbage_gii", "garbage_surf.gii",
    "garbage_dscalar.nii", "garbage_tsv", "truncated_npz", "text_as_npz", "strings_npy", "complex_npy",
])
def test_a_reader_refuses_a_bad_file_with_a_repscope_error(bad, reader, case):
    path = bad[case]
    before = digest(path)
    try:
        READERS[reader](path)
    except rs.Error as e:
        assert len(str(e)) > 10
        if case != "missing":
            assert str(path.name) in str(e) or "folder" in str(e) or len(str(e)) > 20, str(e)
    except BaseException as e:  # noqa: BLE001 - what the corpus is for
        pytest.fail(f"{reader}({case}) raised {type(e).__name__}: {e}")
    else:
        assert (reader, case) in READER_ACCEPTS, f"{reader}({case}) was accepted"
    assert digest(path) == before, "the input changed"


def test_the_readers_baseline_reads_good_files(tmp_path):
    """Without it a refusal could come from a wrong call."""
    good = tmp_path / "good.npz"
    np.savez(good, layer=X)
    assert list(rs.load(good)) == ["layer"]
    save_file({"layer": X}, str(tmp_path / "good.safetensors"))
    assert rs.load_rows(tmp_path / "good.safetensors", "layer", 0, 2).shape == (2, 4)
    assert rs.info(good)[0]["units"] == 4
    rs.save_rdms(tmp_path / "rdms.hdf5", RDMS)
    assert rs.load_rdms(tmp_path / "rdms.hdf5").rdms.shape == RDMS.shape
    rs.write_nifti(tmp_path / "v.nii.gz", np.ones((2, 2, 2)))
    assert rs.read_nifti(tmp_path / "v.nii.gz")[0].shape == (2, 2, 2)
    (tmp_path / "edges.tsv").write_text("0\t1\n1\t2\n")
    assert len(rs.read_edges(tmp_path / "edges.tsv", 12)[0]) == 2
    save_file({"w": np.ones(3, dtype=np.float32)}, str(tmp_path / "base.safetensors"))
    save_file({"w": np.full(3, 2, dtype=np.float32)}, str(tmp_path / "ft.safetensors"))
    rs.task_vectors(tmp_path / "base.safetensors", [tmp_path / "ft.safetensors"])
    rs.save_rsatoolbox_dataset(tmp_path / "d.hdf5", X)
    assert rs.load_rsatoolbox_dataset(tmp_path / "d.hdf5").measurements.shape == X.shape


# name -> a call writing to one path.
WRITERS = {
    "save": lambda p: rs.save(p, {"layer": X}),
    "save_rdms": lambda p: rs.save_rdms(p, RDMS),
    "write_nifti": lambda p: rs.write_nifti(p, np.ones((2, 2, 2))),
    "write_gifti": lambda p: rs.write_gifti(p, X[:2]),
    "save_rsatoolbox_dataset": lambda p: rs.save_rsatoolbox_dataset(p, X),
    "report": lambda p: rs.report([X[:4, :4]], p),
}
SUFFIX = {"save": ".npz", "save_rdms": ".hdf5", "write_nifti": ".nii.gz", "write_gifti": ".func.gii",
          "save_rsatoolbox_dataset": ".hdf5", "report": ".html"}


@pytest.mark.parametrize("writer", list(WRITERS))
@pytest.mark.parametrize("where", ["missing_folder", "read_only", "existing_folder"])
def test_a_writer_refuses_a_path_it_cannot_write_and_leaves_nothing(tmp_path, writer, where):
    suffix = SUFFIX[writer]
    path = {"missing_folder": tmp_path / "no" / "such" / f"out{suffix}",
            "read_only": Path("/proc/version") / f"out{suffix}",
            "existing_folder": tmp_path / f"a_folder{suffix}"}[where]
    if where == "existing_folder":
        path.mkdir()
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(rs.Error) as e:
        WRITERS[writer](path)
    assert len(str(e.value)) > 10
    assert sorted(tmp_path.rglob("*")) == before, "a partial or temporary file was left"


@pytest.mark.parametrize("writer", list(WRITERS))
def test_the_writers_baseline_writes(tmp_path, writer):
    path = tmp_path / f"out{SUFFIX[writer]}"
    WRITERS[writer](path)
    assert path.stat().st_size > 0


# name -> (a call taking the one scalar, its good value). Scalars get the
# values below; those a function takes by design are in SCALAR_ACCEPTS.
SCALARS = {
    "rsa_bootstrap_n_boot": (lambda v: rs.rsa_bootstrap(RDMS[:1], RDMS, n_boot=v), 10),
    "rsa_crossval_k": (lambda v: rs.rsa_crossval(RDMS[:1], RDMS, k=v), 2),
    "rsa_compare_groups_n_boot": (lambda v: rs.rsa_compare_groups(RDMS[:1], RDMS, RDMS, n_boot=v), 10),
    "rsa_dual_bootstrap_n_boot": (lambda v: rs.rsa_dual_bootstrap(RDMS[:1], RDMS, n_boot=v), 10),
    "rsa_bootstrap_crossval_n_boot": (lambda v: rs.rsa_bootstrap_crossval(
        [RDM14], np.stack([RDM14] * 3), k=2, n_boot=v), 5),
    "sign_flip_test_n": (lambda v: rs.sign_flip_test(X, n_permutations=v), 20),
    "cluster_test_n": (lambda v: rs.cluster_test(X, n_permutations=v), 10),
    "pairwise_n_boot": (lambda v: rs.pairwise({"a": X, "b": X[:, ::-1]}, n_boot=v, progress=False), 5),
    "pairwise_n_perm": (lambda v: rs.pairwise({"a": X, "b": X[:, ::-1]}, n_permutations=v, progress=False), 5),
    "procrustes_alpha": (lambda v: rs.similarity(X, X[:, ::-1], "procrustes", alpha=v), 0.5),
    "rbf_cka_threshold": (lambda v: rs.similarity(X, X[:, ::-1], "rbf_cka", threshold=v), 1.0),
    "mutual_knn_k": (lambda v: rs.similarity(X, X[:, ::-1], "mutual_knn", k=v), 3),
    "search_k": (lambda v: rs.search(X[:2], X, k=v), 3),
    "sdr_encode_k": (lambda v: rs.sdr_encode(X, k=v), 2),
    "probe_cv": (lambda v: rs.probe(X, np.repeat([0, 1], 6), cv=v), 2),
    "stratified_folds_k": (lambda v: rs.stratified_folds(np.repeat([0, 1], 6), k=v), 2),
    "lasso_penalty": (lambda v: rs.lasso(X, X[:, 0], v), 0.1),
    "pca_components": (lambda v: rs.pca(X, dims=v), 2),
    "searchlight_radius": (lambda v: rs.searchlight_spheres(np.ones((3, 3, 3)), v), 1.0),
    "surface_discs_radius": (lambda v: rs.surface_discs(
        (np.eye(3), np.array([[0, 1, 2]])), v), 1.0),
    "geotopological_low": (lambda v: rs.geotopological(RDMS[0], v, 0.9), 0.1),
    "split_half_n": (lambda v: rs.split_half_reliability(rng.normal(size=(3, 12, 4)), n_splits=v), 3),
    "sdr_false_match_n": (lambda v: rs.sdr_false_match(v, 20, 20, 10), 1024),
    "sdr_union_density_m": (lambda v: rs.sdr_union_density(1024, 20, v), 5),
    "sdr_union_false_match_theta": (lambda v: rs.sdr_union_false_match(1024, 20, 5, v), 10),
    "quantize_precision": (lambda v: rs.quantize(X, precision=v), "int8"),
    "rdm_movie_window": (lambda v: rs.rdm_movie(rng.normal(size=(6, 3, 8)), window=v), 2),
}
BAD_SCALARS = {"negative": -3, "zero": 0, "huge": 10**15, "nan": float("nan"), "inf": float("inf"),
               "text": "many", "none": None}

# (scalar, value) pairs a function takes by design, and why.
SCALAR_ACCEPTS = {
    ("procrustes_alpha", "zero"): "alpha = 0 is full whitening",
    ("geotopological_low", "zero"): "a lower bound of 0 keeps every small distance",
    ("lasso_penalty", "zero"): "no penalty is least squares",
    ("lasso_penalty", "huge"): "a huge penalty gives all-zero weights",
    ("rbf_cka_threshold", "huge"): "a wide kernel is a valid kernel",
    ("sdr_false_match_n", "huge"): "a probability for a very wide SDR",
    ("searchlight_radius", "zero"): "radius 0 is one voxel",
    ("surface_discs_radius", "zero"): "radius 0 is one vertex",
    ("searchlight_radius", "huge"): "every voxel in one sphere",
    ("surface_discs_radius", "huge"): "every vertex in one disc",
    ("sdr_union_density_m", "zero"): "the union of no codes is empty",
    ("sdr_union_density_m", "huge"): "a density for many codes",
    ("sdr_union_false_match_theta", "zero"): "theta 0 always matches",
        ("pairwise_n_boot", "zero"): "no bootstrap",
    ("pairwise_n_perm", "zero"): "no permutation test",
    ("pairwise_n_perm", "none"): "no permutation test",
    ("pairwise_n_boot", "none"): "no bootstrap",
    ("rdm_movie_window", "none"): "the default window",
    ("search_k", "huge"): "k beyond the corpus ranks the whole corpus",
    ("sdr_encode_k", "huge"): "k beyond the units turns every unit on",
    ("sdr_encode_k", "none"): "the default: the sparsity's share of the units",
    ("sdr_union_false_match_theta", "huge"): "more bits than a code has never match: probability 0",
}


@pytest.mark.parametrize("scalar", list(SCALARS))
def test_every_scalar_of_the_corpus_takes_its_good_value(scalar):
    call, good = SCALARS[scalar]
    call(good)


@pytest.mark.parametrize("scalar", list(SCALARS))
@pytest.mark.parametrize("value", list(BAD_SCALARS))
def test_a_bad_scalar_is_a_repscope_error(scalar, value):
    call, _ = SCALARS[scalar]
    try:
        call(BAD_SCALARS[value])
    except rs.Error as e:
        assert len(str(e)) > 10, str(e)
    except BaseException as e:  # noqa: BLE001 - what the corpus is for
        pytest.fail(f"{scalar}={value} raised {type(e).__name__}: {e}")
    else:
        assert (scalar, value) in SCALAR_ACCEPTS, f"{scalar}={value} was accepted"


# --- the CLI's file-shaped commands -----------------------------------------

def run_repscope(*argv):
    return subprocess.run([sys.executable, "-m", "repscope", "--quiet", *map(str, argv)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli(tmp_path_factory, bad):
    folder = tmp_path_factory.mktemp("bad_cli_files")
    save_file({"w": np.ones((2, 3), dtype=np.float32)}, str(folder / "base.safetensors"))
    save_file({"w": np.full((2, 3), 2, dtype=np.float32)}, str(folder / "ft.safetensors"))
    save_file({"v": np.ones(3, dtype=np.float32)}, str(folder / "other_names.safetensors"))
    save_file({"w": np.ones((3, 2), dtype=np.float32)}, str(folder / "other_shape.safetensors"))
    (folder / "table.csv").write_text("a,b\n1,2\n")
    (folder / "texts.txt").write_text("a sentence\nanother one\n")
    (folder / "texts_with_blank.txt").write_text("a sentence\n\nanother one\n")
    (folder / "model").mkdir()
    (folder / "model" / "config.json").write_text("{not json")
    return folder


def cli_cases(folder: Path, bad: dict[str, Path], minilm: Path) -> dict[str, list]:
    base, ft = folder / "base.safetensors", folder / "ft.safetensors"
    out = folder / "out"
    cases = {}
    for name in ("missing", "folder", "empty", "garbage_safetensors", "garbage_npz"):
        cases[f"taskvec_base_{name}"] = ["taskvec", bad[name], ft, "-o", f"{out}.safetensors"]
        cases[f"taskvec_ft_{name}"] = ["taskvec", base, bad[name], "-o", f"{out}.safetensors"]
    cases["taskvec_other_names"] = ["taskvec", base, folder / "other_names.safetensors",
                                    "-o", f"{out}.safetensors"]
    cases["taskvec_other_shape"] = ["taskvec", base, folder / "other_shape.safetensors",
                                    "-o", f"{out}.safetensors"]
    cases["taskvec_bad_coef"] = ["taskvec", base, ft, "--coef", "x", "-o", f"{out}.safetensors"]
    cases["taskvec_coef_nan"] = ["taskvec", base, ft, "--coef", "nan", "-o", f"{out}.safetensors"]
    cases["taskvec_coef_file"] = ["taskvec", base, ft, "--coef-file", bad["garbage_tsv"],
                                  "-o", f"{out}.safetensors"]
    cases["taskvec_names"] = ["taskvec", base, ft, "--names", "a,b", "--table", f"{out}.csv"]
    for name in ("missing", "empty", "garbage_npy", "folder"):
        cases[f"report_{name}"] = ["report", bad[name], "-o", f"{out}.html"]
    cases["report_unknown_kind"] = ["report", folder / "texts.txt", "-o", f"{out}.html"]
    cases["extract_model_missing"] = ["extract", folder / "no_model", "--texts", folder / "texts.txt",
                                      "-o", f"{out}.safetensors"]
    cases["extract_model_bad_config"] = ["extract", folder / "model", "--texts",
                                         folder / "texts.txt", "-o", f"{out}.safetensors"]
    cases["extract_texts_missing"] = ["extract", minilm, "--texts", bad["missing"],
                                      "-o", f"{out}.safetensors"]
    cases["extract_texts_binary"] = ["extract", minilm, "--texts", bad["garbage_npy"],
                                     "-o", f"{out}.safetensors"]
    cases["extract_texts_empty"] = ["extract", minilm, "--texts", bad["empty"],
                                    "-o", f"{out}.safetensors"]
    cases["extract_texts_blank_line"] = ["extract", minilm, "--texts", folder / "texts_with_blank.txt",
                                         "-o", f"{out}.safetensors"]
    cases["extract_batch_zero"] = ["extract", minilm, "--texts", folder / "texts.txt",
                                   "--batch-size", "0", "-o", f"{out}.safetensors"]
    cases["extract_output_kind"] = ["extract", minilm, "--texts", folder / "texts.txt",
                                    "-o", f"{out}.csv"]
    cases["demo_out_unwritable"] = ["demo", "-o", Path("/proc/version/demo")]
    cases["demo_out_is_a_file"] = ["demo", "-o", folder / "table.csv"]
    cases["demo_report_missing_folder"] = ["demo", "-o", out, "--report", folder / "no" / "r.html"]
    for name in ("missing", "empty", "garbage_npy", "folder"):
        cases[f"bids_{name}"] = ["bids", bad[name], "--subject", "01", "--task", "objects",
                                 "-o", f"{out}.nii.gz"]
    return cases


CLI_CASE_NAMES = list(cli_cases(Path("f"), {k: Path(k) for k in [
    "missing", "folder", "empty", "garbage_safetensors", "garbage_npz", "garbage_tsv",
    "garbage_npy"]}, Path("m")))


def test_the_file_commands_baseline_succeeds(cli, minilm_dir):
    folder = cli
    out = folder / "baseline"
    ok = run_repscope("taskvec", folder / "base.safetensors", folder / "ft.safetensors",
                      "--coef", "0.5", "-o", f"{out}.safetensors", "--table", f"{out}.csv")
    assert ok.returncode == 0, ok.stderr
    ok = run_repscope("report", folder / "table.csv", "-o", f"{out}.html")
    assert ok.returncode == 0, ok.stderr
    ok = run_repscope("extract", minilm_dir, "--texts", folder / "texts.txt", "-o", f"{out}.npz")
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("case", CLI_CASE_NAMES)
def test_a_bad_file_command_exits_2_and_writes_nothing(cli, bad, minilm_dir, case):
    argv = cli_cases(cli, bad, minilm_dir)[case]
    inputs = [Path(a) for a in argv if isinstance(a, Path) and Path(a).is_file()]
    before = {p: digest(p) for p in inputs}
    result = run_repscope(*argv)
    assert "panicked" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (argv, result.returncode, result.stderr[-400:])
    assert len(result.stderr.strip()) > 10
    assert not list(cli.glob("out*")), f"partial output {list(cli.glob('out*'))}"
    assert {p: digest(p) for p in inputs} == before, "an input changed"
