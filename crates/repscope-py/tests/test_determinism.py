"""Determinism: every analysis command gives identical output bytes on 1, 2
and 8 threads (`--threads`), and identical bytes when run twice; seeded
resampling included. And the CLI and Python agree exactly where both
compute the same thing."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pytest

import repscope as rs


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("determinism")
    g = np.random.default_rng(5)
    truth = g.normal(size=(60, 8))
    reps = folder / "reps"
    reps.mkdir()
    for i in range(3):
        np.save(reps / f"layer{i}.npy", truth @ g.normal(size=(8, 30)) + g.normal(size=(60, 30)))
    np.save(folder / "targets.npy", truth @ g.normal(size=(8, 12)) + g.normal(size=(60, 12)))
    np.save(folder / "rdms.npy", np.stack([rs.rdm(truth + g.normal(size=truth.shape), "correlation")
                                           for _ in range(4)]))
    (folder / "labels.txt").write_text("\n".join(str(int(v > 0)) for v in truth[:, 0]) + "\n")
    (folder / "edges.tsv").write_text("".join(f"{i}\t{i + 1}\n" for i in range(59)))
    # A small searchlight: 8 conditions x 2 runs of a 6x6x5 volume.
    betas = g.normal(size=(6, 6, 5, 16))
    rs.write_nifti(folder / "betas.nii.gz", betas, np.diag([2.0, 2.0, 2.0, 1.0]))
    rs.write_nifti(folder / "mask.nii.gz", np.ones((6, 6, 5)), np.diag([2.0, 2.0, 2.0, 1.0]))
    (folder / "conditions.txt").write_text("\n".join(str(c) for c in list(range(8)) * 2) + "\n")
    np.savez(folder / "models.npz", a=rs.rdm(g.normal(size=(8, 3)), "euclidean"),
             b=rs.rdm(g.normal(size=(8, 3)), "euclidean"))
    # Checkpoints for taskvec, and a table for report.
    from safetensors.numpy import save_file

    base = {"w": g.normal(size=(64, 32)).astype(np.float32), "b": g.normal(size=64).astype(np.float32)}
    save_file(base, str(folder / "base.safetensors"))
    for task in ("t1", "t2"):
        save_file({k: v + 0.1 * g.normal(size=v.shape).astype(np.float32) for k, v in base.items()},
                  str(folder / f"{task}.safetensors"))
    (folder / "table.csv").write_text("a,b\n0.5,0.25\n0.125,1\n")
    # A BIDS derivatives tree: two runs of four conditions.
    func = folder / "bids" / "sub-01" / "func"
    func.mkdir(parents=True)
    for run in (1, 2):
        stem = f"sub-01_task-objects_run-{run}"
        rs.write_nifti(func / f"{stem}_beta.nii.gz", g.normal(size=(4, 4, 3, 4)),
                       np.diag([2.0, 2.0, 2.0, 1.0]))
        (func / f"{stem}_events.tsv").write_text(
            "onset\tduration\ttrial_type\n" + "".join(f"{2 * i}\t1\tc{(i + run) % 4}\n" for i in range(4)))
    return folder


COMMANDS = {
    "taskvec": ["taskvec", "{folder}/base.safetensors", "{folder}/t1.safetensors",
                "{folder}/t2.safetensors", "--coef", "0.3,0.7", "-o", "{out}.safetensors"],
    "taskvec_table": ["taskvec", "{folder}/base.safetensors", "{folder}/t1.safetensors",
                      "{folder}/t2.safetensors", "--table", "{out}.csv"],
    "report": ["report", "{folder}/table.csv", "-o", "{out}.html"],
    "bids": ["bids", "{folder}/bids", "--subject", "01", "--task", "objects", "-o", "{out}.nii.gz"],
    "similarity": ["similarity", "{reps}", "--measure", "linear_cka", "--n-boot", "50", "-o", "{out}.csv"],
    "similarity_procrustes": ["similarity", "{reps}", "--measure", "procrustes", "-o", "{out}.csv"],
    "rdm": ["rdm", "{reps}", "-o", "{out}.npz"],
    "compare": ["compare", "{rdms}", "-o", "{out}.csv"],
    "match": ["match", "{reps}/layer0.npy", "{reps}/layer1.npy", "-o", "{out}.csv"],
    "align": ["align", "{reps}/layer0.npy", "{reps}/layer1.npy", "-o", "{out}.csv"],
    "probe": ["probe", "{reps}", "--labels", "{labels}", "--cv", "3", "-o", "{out}.csv"],
    "compress": ["compress", "{reps}/layer0.npy", "--eval", "{labels}", "-o", "{out}.csv"],
    "encode": ["encode", "{reps}", "{targets}", "-o", "{out}.csv"],
    "graph": ["graph", "{reps}", "--edges", "{edges}", "-o", "{out}.csv"],
    "searchlight": ["searchlight", "{folder}/betas.nii.gz", "--mask", "{folder}/mask.nii.gz",
                    "--conditions", "{folder}/conditions.txt", "--models", "{folder}/models.npz",
                    "--radius", "4", "-o", "{out}.maps"],
    "sdr_encode": ["sdr", "encode", "{reps}", "--k", "3", "-o", "{out}.npz"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_outputs_are_identical_bytes_on_1_2_and_8_threads(repscope_bin, inputs, command):
    outputs = []
    for run, threads in enumerate([1, 2, 8, 8]):
        out = inputs / f"{command}_{run}"
        argv = [a.format(reps=inputs / "reps", rdms=inputs / "rdms.npy", labels=inputs / "labels.txt",
                         targets=inputs / "targets.npy", edges=inputs / "edges.tsv", folder=inputs,
                         out=out)
                for a in COMMANDS[command]]
        result = subprocess.run([str(repscope_bin), "--quiet", "--threads", str(threads), *argv],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        written = sorted(p for p in inputs.iterdir() if p.name.startswith(f"{command}_{run}."))
        assert written
        files = [f for w in written for f in (sorted(w.iterdir()) if w.is_dir() else [w])]
        # Every file's bytes, by name (less the run's own prefix).
        outputs.append(b"".join(f.name.removeprefix(f"{command}_{run}").encode()
                                + without_timings(f.read_bytes()) for f in files))
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]


def without_timings(data: bytes) -> bytes:
    """The bytes, less a CSV's measured-time column (compress reports its
    search time, which no seed fixes) and a report's provenance (the
    command line and the time it was written)."""
    if data.startswith(b"<!doctype html"):
        return re.sub(rb'<section class="result" id="provenance">.*?</section>', b"", data, flags=re.S)
    lines = data.decode(errors="replace").splitlines()
    if not lines or "search_ms" not in lines[0].split(","):
        return data
    drop = lines[0].split(",").index("search_ms")
    return "\n".join(",".join(f for i, f in enumerate(line.split(",")) if i != drop)
                     for line in lines).encode()


def test_the_cli_and_python_agree_bit_for_bit(repscope_bin, inputs):
    out = inputs / "cli_rdms.npz"
    subprocess.run([str(repscope_bin), "--quiet", "rdm", str(inputs / "reps"), "-o", str(out)],
                   check=True, capture_output=True)
    saved = np.load(out)
    for i in range(3):
        x = np.load(inputs / "reps" / f"layer{i}.npy")
        np.testing.assert_array_equal(saved[f"layer{i}"].ravel(), rs.rdm(x, "correlation").ravel())


# Every seeded Python function, run in a fresh process per thread count:
# the results' bytes are hashed there and compared here.
SEEDED = r'''
import hashlib, json, sys
import numpy as np
import repscope as rs

g = np.random.default_rng(3)
truth = g.normal(size=(24, 6))
X = truth @ g.normal(size=(6, 20)) + g.normal(size=(24, 20))
Y = truth @ g.normal(size=(6, 15)) + g.normal(size=(24, 15))
data = np.stack([rs.rdm(truth + g.normal(size=truth.shape), "correlation") for _ in range(5)])
models = np.stack([rs.rdm(truth, "correlation"), rs.rdm(g.normal(size=truth.shape), "correlation")])
parts = np.stack([rs.rdm(truth[:, :3], "euclidean"), rs.rdm(truth[:, 3:], "euclidean")])
labels = (truth[:, 0] > 0).astype(int)

def digest(value):
    h = hashlib.sha256()
    def walk(v):
        if isinstance(v, dict):
            for k in sorted(v):
                walk(v[k])
        elif isinstance(v, (list, tuple)):
            for x in v:
                walk(x)
        elif isinstance(v, str):
            h.update(v.encode())
        elif isinstance(v, np.ndarray) and v.dtype.kind in "biuf" or np.isscalar(v):
            h.update(np.ascontiguousarray(np.asarray(v, dtype=float)).tobytes())
        elif isinstance(v, np.ndarray):
            h.update(repr(v.tolist()).encode())
        else:
            for name in sorted(a for a in dir(v) if not a.startswith("_")):
                attr = getattr(v, name)
                if isinstance(attr, (np.ndarray, float, int, str, list, tuple)):
                    walk(attr)
    walk(value)
    return h.hexdigest()

calls = {
    "rsa_bootstrap": lambda: rs.rsa_bootstrap(models, data, n_boot=200, over="both", seed=4),
    "rsa_bootstrap_crossval": lambda: rs.rsa_bootstrap_crossval({"m": models[0], "p": parts}, data,
                                                                 k=2, n_boot=30, seed=4),
    "rsa_dual_bootstrap": lambda: rs.rsa_dual_bootstrap(models, data, n_boot=100, seed=4),
    "rsa_crossval": lambda: rs.rsa_crossval({"m": models[0], "p": parts}, data, k=3, seed=4),
    "rsa_compare_groups": lambda: rs.rsa_compare_groups(models, data[:3], data[2:], n_boot=100, seed=4),
    "pairwise_boot": lambda: rs.pairwise({"x": X, "y": Y}, measure="linear_cka", n_boot=50,
                                         n_permutations=50, seed=4, progress=False).values,
    "sign_flip_test": lambda: rs.sign_flip_test(X, n_permutations=200, seed=4),
    "split_half": lambda: rs.split_half_reliability(np.stack([X, X + g.normal(size=X.shape)]),
                                                    n_splits=20, seed=4),
    "probe": lambda: rs.probe(X, labels, cv=3, seed=4),
    "stratified_folds": lambda: rs.stratified_folds(labels, k=3, seed=4),
    "align": lambda: rs.align(X, Y, seed=4, k=3),
    "fit_weights_spearman": lambda: rs.fit_weights(parts, data, "spearman"),
}
print(json.dumps({name: digest(call()) for name, call in calls.items()}))
'''


def test_every_seeded_function_gives_the_same_bytes_on_1_2_and_8_threads():
    import json
    import os
    import sys

    runs = []
    for threads in (1, 2, 8):
        env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
        out = subprocess.run([sys.executable, "-c", SEEDED], capture_output=True, text=True, env=env,
                             timeout=600)
        assert out.returncode == 0, out.stderr
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    differing = [name for name in runs[0] if len({run[name] for run in runs}) > 1]
    assert not differing, f"differ between 1, 2 and 8 threads: {differing}"
