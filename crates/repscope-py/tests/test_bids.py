"""BIDS derivatives: a synthetic tree (two runs, an events.tsv each) loads
with the right conditions and runs, and gives the crossnobis RDM of the
arrays built by hand."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pytest

import repscope as rs

RNG = np.random.default_rng(11)
CONDITIONS = [["face", "house", "car", "face", "house", "car"], ["car", "face", "house", "house", "car", "face"]]


@pytest.fixture
def tree(tmp_path):
    func = tmp_path / "derivatives" / "sub-01" / "func"
    func.mkdir(parents=True)
    raw = tmp_path / "raw" / "sub-01" / "func"
    raw.mkdir(parents=True)
    runs = []
    for r, conds in enumerate(CONDITIONS, start=1):
        betas = RNG.standard_normal((3, 4, 2, len(conds)))
        runs.append(betas)
        name = f"sub-01_task-objects_run-{r}_space-MNI152NLin2009cAsym_desc-lss_beta.nii.gz"
        nib.save(nib.Nifti1Image(betas, np.diag([2.0, 2.0, 2.0, 1.0])), func / name)
        # The second run's events live in the raw dataset only.
        where = func if r == 1 else raw
        rows = "".join(f"{2 * i}\t1\t{c}\n" for i, c in enumerate(conds))
        (where / f"sub-01_task-objects_run-{r}_events.tsv").write_text(
            "onset\tduration\ttrial_type\n" + rows
        )
    return tmp_path, runs


def test_conditions_runs_and_crossnobis_equal_the_hand_built_arrays(tree):
    root, runs = tree
    got = rs.bids.load(root / "derivatives", "01", "objects", raw=root / "raw")
    assert got.conditions == CONDITIONS[0] + CONDITIONS[1]
    assert got.runs == ["1"] * 6 + ["2"] * 6
    hand = np.concatenate(runs, axis=3)
    np.testing.assert_array_equal(got.volume, hand)
    np.testing.assert_array_equal(got.affine, np.diag([2.0, 2.0, 2.0, 1.0]))
    x = got.volume.reshape(-1, got.volume.shape[3], order="F").T
    ours = rs.rdm(x, "crossnobis", conditions=got.conditions, folds=got.runs)
    by_hand = rs.rdm(
        hand.reshape(-1, 12, order="F").T,
        "crossnobis",
        conditions=CONDITIONS[0] + CONDITIONS[1],
        folds=[1] * 6 + [2] * 6,
    )
    np.testing.assert_array_equal(ours, by_hand)


def test_missing_events_and_bad_names_name_the_file(tree):
    root, _ = tree
    with pytest.raises(rs.Error) as e:
        rs.bids.load(root / "derivatives", "01", "objects")  # run 2's events are in raw/
    assert "sub-01_task-objects_run-2_events.tsv" in str(e.value)
    func = root / "derivatives" / "sub-01" / "func"
    bad = func / "sub-01_task-objects_run3_beta.nii.gz"
    bad.write_bytes(b"")
    with pytest.raises(rs.FormatError) as e:
        rs.bids.load(root / "derivatives", "01", "objects", raw=root / "raw")
    assert "run3" in str(e.value) and "BIDS" in str(e.value)
    with pytest.raises(rs.Error) as e:
        rs.bids.load(root / "derivatives", "02", "objects")
    assert "sub-02" in str(e.value)


def test_cli_writes_betas_and_labels_for_the_searchlight(tree, run_cli):
    root, runs = tree
    out = root / "betas.nii.gz"
    res = run_cli(
        "--json", "bids", root / "derivatives", "--subject", "01", "--task", "objects",
        "--raw", root / "raw", "-o", out, check=0,
    )
    doc = json.loads(res.stdout)
    assert doc["shape"] == [3, 4, 2, 12]
    np.testing.assert_array_equal(nib.load(out).get_fdata(), np.concatenate(runs, axis=3))
    labels = (root / "betas.conditions.txt").read_text().split()
    assert labels == CONDITIONS[0] + CONDITIONS[1]
    assert (root / "betas.runs.txt").read_text().split() == ["1"] * 6 + ["2"] * 6
    mask = root / "mask.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((3, 4, 2), dtype=np.uint8), np.diag([2.0, 2.0, 2.0, 1.0])), mask)
    maps = root / "maps"
    run_cli(
        "searchlight", out, "--mask", mask, "--conditions", root / "betas.conditions.txt",
        "--folds", root / "betas.runs.txt", "--method", "crossnobis", "-r", "1", "-o", maps,
        check=0,
    )
    assert any(maps.iterdir())
    bad = run_cli("bids", root / "derivatives", "--subject", "01", "--task", "nope", "-o", root / "x.nii", check=2)
    assert "task-nope" in bad.stderr
    assert not (root / "x.nii").exists()
    missing = root / "no" / "betas.nii.gz"
    bad = run_cli("bids", root / "derivatives", "--subject", "01", "--task", "objects",
                  "--raw", root / "raw", "-o", missing, check=2)
    assert "folder does not exist" in bad.stderr
    assert not list(root.glob("no*"))
