"""The preflight of rdm, pairwise, ridge (encode) and extract: predicted peak
memory against the peak resident memory measured in a fresh process, on
several sizes and measures, from Python and from the command line; jobs
past the memory available refused with what they need and how to lower it;
--dry-run writing nothing. (The searchlight's are in
test_searchlight_preflight.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import repscope as rs
from repscope.errors import TooLargeError

# Each case runs in its own process: inputs are built first, then the
# high-water mark is reset (clear_refs 5) and resident memory is the
# baseline; the peak is VmHWM after the call (ru_maxrss would carry a
# parent's mark across fork + exec). CLI cases run the command in process
# (`_repscope.cli`), so reading the files counts.
CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import repscope as rs
    from repscope import _repscope

    case = json.loads(sys.argv[1])
    rng = np.random.default_rng(0)

    def filled(shape, dtype="float64"):
        x = np.empty(shape, dtype=dtype)
        for i in range(0, shape[0], 256):
            rng.standard_normal(out=x[i:i + 256], dtype=dtype)
        return x

    def status(field):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))

    kind = case["kind"]
    if kind == "rdm":
        x = filled(tuple(case["shape"]), case.get("dtype", "float64"))
        kw = dict(method=case["method"])
        if "cells" in case:
            k, runs = case["cells"]
            kw.update(conditions=np.tile(np.arange(k), runs), folds=np.repeat(np.arange(runs), k))
        run = lambda **e: rs.rdm(x, **kw, **e)
    elif kind == "pairwise":
        reps = {f"r{i}": filled(tuple(s)) for i, s in enumerate(case["shapes"])}
        run = lambda **e: rs.pairwise(reps, measure=case["measure"], progress=False, **e)
    elif kind == "ridge":
        n, p, v = case["shape"]
        X, Y = filled((n, p)), filled((n, v))
        model = rs.RidgeCV()
        run = lambda estimate=False: model.estimate(X, Y) if estimate else model.fit(X, Y)
    else:
        argv = ["repscope", "--quiet", *case["argv"]]
        run = lambda: _repscope.cli(argv)

    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status("VmRSS:")
    run()
    peak = status("VmHWM:")
    # The CLI prints its prediction itself: the parent asks for it.
    predicted = None if kind == "cli" else run(estimate=True).peak_bytes
    print(json.dumps({"predicted": predicted, "measured": peak - base}))
    """
)


# Both the job and its prediction depend on the number of threads, and the
# peak on glibc's heuristics: the children get two threads (the CI machine's
# cores) and glibc's defaults, whatever the parent's state (Dask's nanny
# leaks MALLOC_TRIM_THRESHOLD_ into the process that starts a LocalCluster,
# which makes glibc return freed memory at once and lowers peaks ~2x).
ENV = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
ENV["RAYON_NUM_THREADS"] = "2"


def measured_and_predicted(case):
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)],
                         capture_output=True, text=True, check=True, env=ENV)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r["predicted"] is None:
        # The CLI prints its prediction on stdout (Rust's, not Python's):
        # ask for it in a second process.
        argv = [*case["argv"], "--dry-run", "--json"]
        p = subprocess.run([sys.executable, "-m", "repscope", *argv],
                           capture_output=True, text=True, check=True, env=ENV)
        r["predicted"] = json.loads(p.stdout)["dry_run"]["peak_bytes"]
    return r["measured"], r["predicted"]


PYTHON_CASES = [
    {"kind": "rdm", "shape": [6000, 200], "method": "correlation"},
    {"kind": "rdm", "shape": [3000, 3000], "method": "euclidean"},
    {"kind": "rdm", "shape": [5000, 500], "method": "cosine", "dtype": "float32"},
    {"kind": "rdm", "shape": [400, 20000], "method": "crossnobis", "cells": [40, 10]},
    {"kind": "pairwise", "measure": "linear_cka", "shapes": [[2000, 3000]] * 4},
    {"kind": "pairwise", "measure": "linear_cka", "shapes": [[4000, 300]] * 6},
    {"kind": "pairwise", "measure": "procrustes", "shapes": [[2000, 500]] * 4},
    {"kind": "pairwise", "measure": "rsa", "shapes": [[3000, 100]] * 4},
    {"kind": "pairwise", "measure": "cca", "shapes": [[3000, 400]] * 4},
    {"kind": "pairwise", "measure": "mutual_knn", "shapes": [[4000, 200]] * 4},
    {"kind": "ridge", "shape": [600, 768, 12000]},
    {"kind": "ridge", "shape": [500, 2000, 4000]},
    {"kind": "ridge", "shape": [1200, 200, 16000]},
]


def case_id(c):
    what = c.get("method") or c.get("measure") or c["kind"]
    size = c.get("shape") or c["shapes"][0]
    return f"{c['kind']}-{what}-{'x'.join(map(str, size))}"


@pytest.mark.parametrize("case", PYTHON_CASES, ids=case_id)
def test_predicted_peak_is_within_a_factor_1_5_of_the_measured_peak(case):
    measured, predicted = measured_and_predicted(case)
    assert 1 / 1.5 <= measured / predicted <= 1.5, (measured, predicted)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("preflight")
    rng = np.random.default_rng(0)
    np.save(d / "x.npy", rng.standard_normal((6000, 200)))
    np.savez(d / "layers.npz", **{f"l{i}": rng.standard_normal((2000, 2500)) for i in range(4)})
    np.savez(d / "features.npz", a=rng.standard_normal((600, 768)), b=rng.standard_normal((600, 300)))
    np.save(d / "voxels.npy", rng.standard_normal((600, 16000)))
    return d


@pytest.mark.parametrize("command", ["rdm", "similarity", "encode", "extract"])
def test_cli_prediction_includes_reading_the_inputs_and_is_within_1_5(command, files, tmp_path, minilm_dir):
    texts = tmp_path / "texts.txt"
    texts.write_text("".join(f"sentence number {i} about a red fox and a blue bird\n" for i in range(640)))
    argv = {
        "rdm": ["rdm", files / "x.npy", "-m", "correlation", "-o", tmp_path / "r.npz"],
        "similarity": ["similarity", files / "layers.npz"],
        "encode": ["encode", files / "features.npz", files / "voxels.npy"],
        "extract": ["extract", minilm_dir, "--texts", texts, "-o", tmp_path / "h.safetensors"],
    }[command]
    measured, predicted = measured_and_predicted({"kind": "cli", "argv": list(map(str, argv))})
    assert 1 / 1.5 <= measured / predicted <= 1.5, (measured, predicted)


def test_estimates_name_their_parts_and_a_time():
    x = np.zeros((3000, 50))
    e = rs.rdm(x, "euclidean", estimate=True)
    assert isinstance(e, rs.Estimate)
    assert e.peak_bytes == sum(b for _, b in e.parts)
    assert dict(e.parts)["output (condensed RDM)"] == 8 * 3000 * 2999 // 2
    assert e.seconds > 0 and e.flops > 0 and "predicted peak memory" in e.report()
    # A float32 input is widened: the copy is a part of its own.
    e32 = rs.rdm(x.astype(np.float32), "euclidean", estimate=True)
    assert e32.peak_bytes - e.peak_bytes == 8 * 3000 * 50
    # Streamed pairwise: shapes from the file's header, two states per thread.
    reps = {f"l{i}": np.zeros((500, 800)) for i in range(6)}
    whole = rs.pairwise(reps, measure="linear_cka", estimate=True)
    assert "pairwise (linear_cka)" in whole.what


def test_streamed_estimate_reads_only_headers(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(5):
        np.save(tmp_path / f"layer{i}.npy", rng.standard_normal((300, 50)))
    e = rs.pairwise(tmp_path, measure="procrustes", stream=True, estimate=True, threads=2)
    assert "per worker" in e.parts[1][0]
    r = rs.pairwise(tmp_path, measure="procrustes", stream=True, threads=2, progress=False)
    assert r.values.shape == (5, 5)


def test_jobs_past_the_memory_available_are_refused_with_what_they_need_and_how_to_lower_it():
    available = rs.available_memory()
    if available is None:
        pytest.skip("the system does not say how much memory is available")
    # 400,000 stimuli: the condensed RDM alone is 640 GB.
    x = np.zeros((400_000, 2), dtype=np.float32)
    with pytest.raises(TooLargeError) as info:
        rs.rdm(x, "euclidean")
    message = str(info.value)
    assert "rdm (euclidean) would need about" in message and "GB" in message
    assert "conditions" in message and "force=True" in message
    assert rs.rdm(x, "euclidean", estimate=True).peak_bytes > available
    # Gram-form CKA of 20 layers of 100,000 stimuli (40 GB each, packed).
    reps = {f"l{i}": np.broadcast_to(np.zeros(3), (100_000, 3)) for i in range(2)}
    with pytest.raises(TooLargeError, match="stream"):
        rs.pairwise(reps, measure="linear_cka", form="gram")
    # A ridge to 10 million targets: the coefficients alone are 800 GB.
    X, Y = np.zeros((50, 10_000)), np.broadcast_to(np.zeros(1), (50, 10_000_000))
    with pytest.raises(TooLargeError, match="fewer targets"):
        rs.RidgeCV().fit(X, Y)


def test_cli_dry_run_writes_nothing_and_a_refusal_exits_2(files, tmp_path, run_cli, minilm_dir):
    out = tmp_path / "r.npz"
    p = run_cli("rdm", files / "x.npy", "-o", out, "--dry-run", check=0)
    assert "rdm (correlation)" in p.stdout and "predicted time" in p.stdout
    assert not out.exists()
    p = run_cli("encode", files / "features.npz", files / "voxels.npy", "-o", tmp_path / "e.npz",
                "--dry-run", "--json", check=0)
    pred = json.loads(p.stdout)["dry_run"]
    assert pred["peak_bytes"] == sum(x["bytes"] for x in pred["parts"]) and pred["seconds"] > 0
    assert not (tmp_path / "e.npz").exists()
    texts = tmp_path / "t.txt"
    texts.write_text("one text\nanother text\n")
    p = run_cli("extract", minilm_dir, "--texts", texts, "-o", tmp_path / "h.safetensors",
                "--dry-run", check=0)
    assert "model weights (float32)" in p.stdout and not (tmp_path / "h.safetensors").exists()
    # Headers promising more than the machine has: refused before reading.
    big = tmp_path / "big.npy"
    with open(big, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False,
                                                 "shape": (300_000, 4)})
        f.truncate(f.tell() + 300_000 * 4 * 8)
    p = run_cli("rdm", big, "-m", "euclidean", "-o", out, check=2)
    assert "would need about" in p.stderr and "--force" in p.stderr
    assert not out.exists()


def test_ridge_force_is_a_parameter_and_estimate_changes_nothing():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(60, 5)), rng.normal(size=(60, 4))
    model = rs.RidgeCV(alphas=[0.1, 10.0], force=True)
    assert model.get_params()["force"] is True
    e = model.estimate(X, Y)
    assert e.peak_bytes > 0 and not hasattr(model, "coef_")
    np.testing.assert_allclose(model.fit(X, Y).coef_, rs.RidgeCV(alphas=[0.1, 10.0]).fit(X, Y).coef_)


def test_preflight_reads_shapes_of_every_file_the_loader_reads(tmp_path, run_cli):
    # A folder of multi-array .npz files (named stem/array, as rs.load names
    # them) and an rsatoolbox Dataset file (read whole, no rows source).
    rng = np.random.default_rng(4)
    folder = tmp_path / "layers"
    folder.mkdir()
    for i in range(2):
        np.savez(folder / f"block{i}.npz", a=rng.normal(size=(12, 3)), b=rng.normal(size=(12, 5)))
    p = run_cli("rdm", folder, "--dry-run", "--json", check=0)
    pred = json.loads(p.stdout)["dry_run"]
    read = next(x for x in pred["parts"] if x["part"].startswith("representations"))
    assert read["bytes"] == 8 * 12 * (3 + 5) * 2
    p = run_cli("rdm", folder, "--json", check=0)
    assert [r["name"] for r in json.loads(p.stdout)] == ["block0/a", "block0/b", "block1/a", "block1/b"]
    rsatoolbox = pytest.importorskip("rsatoolbox")
    path = tmp_path / "dataset.h5"
    rsatoolbox.data.Dataset(rng.normal(size=(10, 6))).save(str(path), file_type="hdf5")
    p = run_cli("rdm", path, "--dry-run", check=0)
    assert "rdm (correlation)" in p.stdout
    run_cli("rdm", path, "-o", tmp_path / "r.npz", check=0)
