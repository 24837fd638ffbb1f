"""repscope.distributed on a real two-process Dask cluster: the gathered
matrix equals the local one bit for bit, from arrays and from shared files,
and survives a worker killed mid-run."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import repscope as rs

distributed = pytest.importorskip("dask.distributed")
from repscope.distributed import pairwise as dpairwise  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def layers(n=300, d=40, count=12, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 8))
    return {f"layer{i}": base @ rng.normal(size=(8, d)) + rng.normal(size=(n, d))
            for i in range(count)}


def same(a, b):
    return a is None and b is None or np.array_equal(a, b, equal_nan=True)


@pytest.mark.parametrize("measure", ["linear_cka", "procrustes", "linear_regression"])
def test_twelve_by_twelve_equals_local_bitwise(client, measure):
    reps = layers()
    local = rs.pairwise(reps, measure=measure)
    remote = dpairwise(reps, measure=measure, client=client, block=5)
    assert remote.names_a == local.names_a == remote.names_b
    assert np.array_equal(remote.values, local.values)


def test_a_by_b_with_bootstrap_and_permutations_equals_local(client):
    reps = layers(n=120, d=20, count=7)
    other = layers(n=120, d=30, count=5, seed=3)
    kw = dict(n_boot=20, n_permutations=20, seed=4)
    local = rs.pairwise(reps, other, measure="debiased_cka", **kw)
    remote = dpairwise(reps, other, measure="debiased_cka", client=client, block=3, **kw)
    for attr in ["values", "ci_low", "ci_high", "p_values", "calibrated", "thresholds"]:
        assert same(getattr(remote, attr), getattr(local, attr)), attr
    sym_local = rs.pairwise(reps, measure="linear_cka", **kw)
    sym_remote = dpairwise(reps, measure="linear_cka", client=client, block=3, **kw)
    for attr in ["values", "ci_low", "ci_high", "p_values", "calibrated", "thresholds"]:
        assert same(getattr(sym_remote, attr), getattr(sym_local, attr)), attr


def test_paths_on_shared_storage_ship_no_arrays(client, tmp_path):
    reps = layers(count=9)
    rs.save(tmp_path / "reps.safetensors", reps)
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, x in reps.items():
        rs.save(folder / f"{name}.npy", {name: x})
    local = rs.pairwise(reps, measure="linear_cka")
    for source in [tmp_path / "reps.safetensors", folder]:
        remote = dpairwise(source, measure="linear_cka", client=client, block=4)
        assert remote.names_a == list(reps)
        assert np.array_equal(remote.values, local.values)


@pytest.mark.parametrize("source", ["arrays", "path"])
def test_a_killed_worker_does_not_change_the_result(client, tmp_path, source):
    reps = layers(n=500, d=120, count=12)
    local = rs.pairwise(reps, measure="procrustes", alpha=0.5)
    if source == "path":
        rs.save(tmp_path / "reps.safetensors", reps)
    given = reps if source == "arrays" else tmp_path / "reps.safetensors"
    client.wait_for_workers(2, timeout=60)
    pids = client.run(os.getpid)
    victim_address, victim_pid = sorted(pids.items())[0]
    out = {}

    def run():
        out["result"] = dpairwise(given, measure="procrustes", alpha=0.5, client=client, block=1,
                                  timeout=120)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.time() + 60
    while time.time() < deadline and not client.processing().get(victim_address):
        time.sleep(0.01)
    assert client.processing().get(victim_address), "the victim never got a task"
    os.kill(victim_pid, signal.SIGKILL)
    worker.join(timeout=300)
    assert not worker.is_alive()
    assert np.array_equal(out["result"].values, local.values)
    # The nanny restarted the worker under a new process.
    client.wait_for_workers(2, timeout=60)
    assert victim_pid not in client.run(os.getpid).values()


def test_a_missing_name_is_an_input_error(tmp_path):
    rs.save(tmp_path / "r.safetensors", {"a": np.ones((3, 2)), "b": np.zeros((3, 2))})
    from repscope import _repscope

    with pytest.raises(rs.InputError, match="no representation named 'c'; it has: a, b"):
        _repscope.load_some(str(tmp_path / "r.safetensors"), ["a", "c"])
