"""Determinism: every analysis command gives identical output bytes on 1, 2
and 8 threads (`--threads`), and identical bytes when run twice; seeded
resampling included. And the CLI and Python agree exactly where both
compute the same thing."""

from __future__ import annotations

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
    return folder


COMMANDS = {
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
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_outputs_are_identical_bytes_on_1_2_and_8_threads(repscope_bin, inputs, command):
    outputs = []
    for run, threads in enumerate([1, 2, 8, 8]):
        out = inputs / f"{command}_{run}"
        argv = [a.format(reps=inputs / "reps", rdms=inputs / "rdms.npy", labels=inputs / "labels.txt",
                         targets=inputs / "targets.npy", edges=inputs / "edges.tsv", out=out)
                for a in COMMANDS[command]]
        result = subprocess.run([str(repscope_bin), "--quiet", "--threads", str(threads), *argv],
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        written = [p for p in inputs.iterdir() if p.name.startswith(f"{command}_{run}.")]
        assert len(written) == 1
        outputs.append(without_timings(written[0].read_bytes()))
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]


def without_timings(data: bytes) -> bytes:
    """The bytes, less a CSV's measured-time column (compress reports its
    search time, which no seed fixes)."""
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
