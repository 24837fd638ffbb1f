"""The searchlight's preflight: predicted peak memory against the peak
resident memory measured in a fresh process, on several sizes; a job past
the memory available refused with what it needs and how to lower it."""

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

# Each case runs in its own process: data built in place (no temporaries),
# resident memory then is the baseline, the high-water mark after the call
# (VmHWM) the peak.
CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import repscope as rs

    shape, k, runs, radius, method, maps, dtype, noise_rows = json.loads(sys.argv[1])
    rng = np.random.default_rng(0)
    volumes = np.empty((*shape, k * runs), dtype=dtype)
    for i in range(shape[0]):
        rng.standard_normal(out=volumes[i], dtype=dtype)
    mask = np.ones(shape, dtype=bool)
    mask[0] = False
    conditions = np.tile(np.arange(k), runs)
    folds = np.repeat(np.arange(runs), k)
    noise = None
    if noise_rows:
        noise = np.empty((noise_rows, int(mask.sum())), dtype=dtype)
        rng.standard_normal(out=noise, dtype=dtype)
    models = rng.random((2, k * (k - 1) // 2)) if maps else None
    kwargs = dict(radius=radius, method=method, folds=folds, models=models, noise=noise)

    def status(field):
        with open("/proc/self/status") as f:
            return next(int(l.split()[1]) * 1024 for l in f if l.startswith(field))

    # VmHWM, not ru_maxrss: Linux keeps the parent's high-water mark in
    # ru_maxrss across fork + exec, so a child of a large pytest would
    # report the parent's size. The mark is reset first (clear_refs 5), so
    # nothing before the call (imports, building the data) counts.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = status("VmRSS:")
    rs.searchlight(volumes, mask, conditions, **kwargs)
    peak = status("VmHWM:")
    predicted = rs.searchlight(volumes, mask, conditions, estimate=True, **kwargs)
    print(json.dumps({"predicted": predicted.peak_bytes, "measured": peak - base,
                      "parts": predicted.parts}))
    """
)

CASES = [
    # (grid, conditions, runs, radius, method, maps?, dtype, noise rows)
    ((30, 30, 24), 40, 2, 1.0, "correlation", False, "float64", 0),
    ((40, 40, 30), 40, 2, 1.0, "correlation", False, "float32", 0),
    ((60, 60, 40), 20, 10, 1.5, "crossnobis", True, "float32", 0),
    # Per-sphere noise (measured 1.46-1.51x the prediction while every
    # sphere allocated its matrices; 0.99 since each thread reuses buffers).
    ((60, 60, 40), 20, 10, 1.5, "crossnobis", True, "float64", 60),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[4]}-{'maps' if c[5] else 'rdms'}-{c[6]}{'-noise' if c[7] else ''}")
def test_predicted_peak_memory_is_within_a_factor_1_5_of_the_measured_peak(case):
    # glibc's defaults in the child, whatever the parent inherited (Dask's
    # nanny leaks MALLOC_TRIM_THRESHOLD_ into the process that started it).
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(case)],
                         capture_output=True, text=True, check=True, env=env)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = r["measured"] / r["predicted"]
    assert 1 / 1.5 <= ratio <= 1.5, (ratio, r)


def test_a_job_past_the_memory_available_is_refused_with_what_it_needs():
    rng = np.random.default_rng(1)
    k = 3000  # 4.5 million pairs per sphere: every sphere's RDM (~150 GB) cannot fit
    volumes = rng.normal(size=(16, 16, 16, k)).astype(np.float32)
    mask = np.ones((16, 16, 16), dtype=bool)
    conditions = np.arange(k)
    args = dict(radius=1, method="euclidean")
    est = rs.searchlight(volumes, mask, conditions, estimate=True, **args)
    assert isinstance(est, rs.SearchlightEstimate)
    assert est.centres == 16**3 and est.peak_bytes > 16**3 * k * (k - 1) // 2 * 8
    assert "predicted peak memory" in est.report() and est.seconds > 0
    with pytest.raises(TooLargeError) as info:
        rs.searchlight(volumes, mask, conditions, block_mb=64, **args)
    message = str(info.value)
    assert "would need about" in message and "GB" in message
    assert "block_mb" in message and "force=True" in message
    assert info.value.needed.endswith("GB")


def test_estimate_times_a_sample_and_smaller_blocks_lower_the_prediction():
    rng = np.random.default_rng(2)
    k, runs = 10, 4
    volumes = rng.normal(size=(12, 12, 12, k * runs)).astype(np.float32)
    mask = np.ones((12, 12, 12), dtype=bool)
    conditions = np.tile(np.arange(k), runs)
    folds = np.repeat(np.arange(runs), k)
    model = rng.random(k * (k - 1) // 2)
    args = dict(radius=2, method="crossnobis", folds=folds, models=model, estimate=True)
    big = rs.searchlight(volumes, mask, conditions, **args)
    small = rs.searchlight(volumes, mask, conditions, block_mb=0.05, **args)
    assert big.seconds is not None and big.seconds > 0
    assert small.blocks > big.blocks
    assert small.largest_block < big.largest_block
    assert small.peak_bytes < big.peak_bytes
    with pytest.raises(rs.errors.InputError, match="block_mb"):
        rs.searchlight(volumes, mask, conditions, block_mb=0, **args)
    # The estimate runs nothing: the maps of a real run are unchanged by block size.
    run = dict(args, estimate=False)
    a = rs.searchlight(volumes, mask, conditions, **run)
    b = rs.searchlight(volumes, mask, conditions, **dict(run, block_mb=0.05))
    np.testing.assert_array_equal(a, b)


def test_cli_dry_run_prints_the_prediction_and_writes_nothing(tmp_path, run_cli):
    import nibabel as nib

    rng = np.random.default_rng(3)
    k, runs = 8, 3
    volumes = rng.normal(size=(7, 6, 5, k * runs)).astype(np.float32)
    nib.save(nib.Nifti1Image(volumes, np.eye(4)), tmp_path / "betas.nii.gz")
    nib.save(nib.Nifti1Image(np.ones((7, 6, 5), np.uint8), np.eye(4)), tmp_path / "mask.nii.gz")
    (tmp_path / "labels.txt").write_text("\n".join(f"c{c}" for c in np.tile(np.arange(k), runs)) + "\n")
    (tmp_path / "runs.txt").write_text("\n".join(str(r) for r in np.repeat(np.arange(runs), k)) + "\n")
    common = ["searchlight", tmp_path / "betas.nii.gz", "--mask", tmp_path / "mask.nii.gz",
              "--conditions", tmp_path / "labels.txt", "--folds", tmp_path / "runs.txt",
              "--method", "crossnobis", "--radius", "1.5", "-o", tmp_path / "out"]
    p = run_cli(*common, "--dry-run", check=0)
    assert "predicted peak memory above the inputs" in p.stdout
    assert "predicted time" in p.stdout and "210 centres" in p.stdout
    assert not (tmp_path / "out").exists()
    p = run_cli(*common, "--dry-run", "--json", check=0)
    pred = json.loads(p.stdout)["dry_run"]
    assert pred["centres"] == 210 and pred["peak_bytes"] == sum(x["bytes"] for x in pred["parts"])
    p = run_cli(*common, "--block-mb", "0", check=2)
    assert "positive number of MB" in p.stderr
    # The run itself writes the RDMs (smaller blocks, same numbers).
    run_cli(*common, "--block-mb", "0.01", "--quiet", check=0)
    z = np.load(tmp_path / "out" / "sphere_rdms.npz")
    ref = rs.searchlight(volumes, np.ones((7, 6, 5), bool), np.tile(np.arange(k), runs), radius=1.5,
                         method="crossnobis", folds=np.repeat(np.arange(runs), k))
    np.testing.assert_allclose(z["rdms"], ref.rdms, rtol=1e-12, atol=1e-12)


def test_cli_noise_residuals_equal_python_per_sphere_noise(tmp_path, run_cli):
    import nibabel as nib

    rng = np.random.default_rng(4)
    k, runs = 6, 3
    shape = (5, 5, 4)
    volumes = rng.normal(size=(*shape, k * runs))
    residuals = rng.normal(size=(*shape, 25))
    mask = np.ones(shape, dtype=bool)
    conditions = np.tile(np.arange(k), runs)
    folds = np.repeat(np.arange(runs), k)
    nib.save(nib.Nifti1Image(volumes, np.eye(4)), tmp_path / "betas.nii")
    nib.save(nib.Nifti1Image(residuals, np.eye(4)), tmp_path / "res.nii")
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), np.eye(4)), tmp_path / "mask.nii")
    (tmp_path / "labels.txt").write_text("\n".join(f"c{c}" for c in conditions) + "\n")
    (tmp_path / "runs.txt").write_text("\n".join(str(r) for r in folds) + "\n")
    run_cli("searchlight", tmp_path / "betas.nii", "--mask", tmp_path / "mask.nii",
            "--conditions", tmp_path / "labels.txt", "--folds", tmp_path / "runs.txt",
            "--method", "crossnobis", "--radius", "1.5", "--noise", tmp_path / "res.nii",
            "--noise-method", "shrinkage_eye", "-o", tmp_path / "out", "--quiet", check=0)
    z = np.load(tmp_path / "out" / "sphere_rdms.npz")
    ref = rs.searchlight(volumes, mask, conditions, radius=1.5, method="crossnobis", folds=folds,
                         noise=residuals, noise_method="shrinkage_eye")
    np.testing.assert_allclose(z["rdms"], ref.rdms, rtol=1e-12, atol=1e-12)
    p = run_cli("searchlight", tmp_path / "betas.nii", "--mask", tmp_path / "mask.nii",
                "--conditions", tmp_path / "labels.txt", "--method", "correlation",
                "--noise", tmp_path / "res.nii", "-o", tmp_path / "bad", check=2)
    assert "mahalanobis and crossnobis" in p.stderr
