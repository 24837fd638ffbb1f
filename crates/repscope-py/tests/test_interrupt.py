"""Ctrl-C and SIGTERM stop a running command cleanly: the binary's handler
asks the core to stop, the command exits with status 130, says so on
stderr, and leaves neither its output nor a temporary file behind. (The
time from the signal to the exit is printed, not asserted: the machines
are shared; it was 0.46 s when this was written.)"""

from __future__ import annotations

import signal
import subprocess
import time

import numpy as np
import pytest


@pytest.fixture(scope="module")
def slow_job(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interrupt")
    reps = folder / "reps"
    reps.mkdir()
    for i in range(6):
        np.save(reps / f"layer{i}.npy", np.random.default_rng(i).normal(size=(1500, 300)))
    return folder, reps


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_command_with_130_and_no_output(repscope_bin, slow_job, sig):
    folder, reps = slow_job
    out = folder / f"similarity_{sig.name}.csv"
    before = sorted(p.name for p in folder.iterdir())
    job = subprocess.Popen([str(repscope_bin), "--quiet", "similarity", str(reps), "--measure",
                            "procrustes", "--n-boot", "2000", "-o", str(out)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert job.poll() is None, "the job ended before the signal: make it longer"
    sent = time.monotonic()
    job.send_signal(sig)
    _, stderr = job.communicate(timeout=60)
    print(f"{sig.name}: exited {time.monotonic() - sent:.2f} s after the signal")
    assert job.returncode == 130, stderr
    assert "interrupted" in stderr and "panicked" not in stderr
    assert not out.exists()
    assert sorted(p.name for p in folder.iterdir()) == before  # no temporary files


@pytest.fixture()
def small_disk(tmp_path):
    """A 64 KiB tmpfs (needs the right to mount; skipped without it)."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], capture_output=True)


@pytest.mark.parametrize("existing", [False, True])
def test_a_full_disk_leaves_no_partial_output_and_keeps_the_old_file(repscope_bin, tmp_path,
                                                                      small_disk, existing):
    data = tmp_path / "reps.npy"
    np.save(data, np.random.default_rng(0).normal(size=(400, 20)))  # its RDM: ~640 kB
    out = small_disk / "rdms.npz"
    if existing:
        out.write_bytes(b"an older result")
    result = subprocess.run([str(repscope_bin), "--quiet", "rdm", str(data), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (1, 2), result.stderr
    assert "No space left" in result.stderr and "panicked" not in result.stderr
    if existing:
        assert out.read_bytes() == b"an older result"
        assert [p.name for p in small_disk.iterdir()] == ["rdms.npz"]
    else:
        assert list(small_disk.iterdir()) == []
