"""Sensor searchlight on a synthetic 32-channel layout: every map equals
the per-neighbourhood computation done with rs.rdm + rs.compare_rdms, and
MNE epochs give the maps of the array they hold."""

from __future__ import annotations

import numpy as np
import pytest

import repscope as rs

RNG = np.random.default_rng(21)
CHANNELS, TIMES = 32, 20


def layout() -> np.ndarray:
    """32 sensors on a unit hemisphere: rings at four elevations."""
    pos = []
    for ring, count in zip([0.2, 0.6, 1.0, 1.4], [4, 8, 10, 10]):
        for k in range(count):
            a = 2 * np.pi * k / count
            pos.append([np.sin(ring) * np.cos(a), np.sin(ring) * np.sin(a), np.cos(ring)])
    return np.array(pos)


def test_maps_equal_the_direct_computation_per_neighbourhood():
    positions = layout()
    adjacency = rs.channel_adjacency(positions=positions, distance=0.5)
    assert all(c in a for c, a in enumerate(adjacency))
    conditions = np.tile(np.arange(4), 3)
    folds = np.repeat(np.arange(3), 4)
    x = RNG.standard_normal((12, CHANNELS, TIMES))
    model = RNG.random(6)
    window, step = 4, 3
    for method in ["crossnobis", "correlation"]:
        maps = rs.sensor_searchlight(x, adjacency, conditions, window=window, step=step,
                                     method=method, folds=folds, models=model)
        starts = list(range(0, TIMES - window + 1, step))
        assert maps.shape == (CHANNELS, len(starts))
        for c in range(0, CHANNELS, 5):
            for w, t in enumerate(starts):
                patch = x[:, adjacency[c], t:t + window].reshape(12, -1)
                rdm = rs.rdm(patch, method, conditions=conditions, folds=folds)
                assert abs(maps[c, w] - rs.compare_rdms(rdm, model, "corr")) <= 1e-12
    # The same neighbourhoods from a matrix; RDMs without models.
    matrix = np.zeros((CHANNELS, CHANNELS), dtype=bool)
    for c, a in enumerate(adjacency):
        matrix[c, a] = True
    out = rs.sensor_searchlight(x, matrix, conditions, window=2, step=9)
    assert out.shape == (CHANNELS, TIMES)
    assert len(out.rdms) == CHANNELS * 3
    c, t = out.centres[7]
    np.testing.assert_allclose(
        out.rdms[7], rs.rdm(x[:, adjacency[c], t:t + 2].reshape(12, -1), conditions=conditions),
        rtol=1e-12,
    )


def test_epochs_and_bad_inputs():
    mne = pytest.importorskip("mne")
    x = RNG.standard_normal((12, CHANNELS, TIMES))
    codes = np.tile([1, 2, 3, 4], 3)
    info = mne.create_info([f"EEG{i:02d}" for i in range(CHANNELS)], 100.0, "eeg")
    events = np.column_stack([np.arange(12) * 50, np.zeros(12, int), codes])
    epochs = mne.EpochsArray(x, info, events=events, verbose=False,
                             event_id={"a": 1, "b": 2, "c": 3, "d": 4})
    adjacency = rs.channel_adjacency(positions=layout(), distance=0.5)
    model = RNG.random(6)
    got = rs.sensor_searchlight(epochs, adjacency, window=3, models=model)
    labels = np.array(["a", "b", "c", "d"])[codes - 1]
    want = rs.sensor_searchlight(x, adjacency, labels, window=3, models=model)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(rs.InputError, match="adjacency covers 5"):
        rs.sensor_searchlight(x, np.eye(5), labels)
    with pytest.raises(rs.Error, match="window"):
        rs.sensor_searchlight(x, adjacency, labels, window=TIMES + 1)


def test_cluster_test_over_channels_and_time_is_seeded():
    positions = layout()
    adjacency = rs.channel_adjacency(positions=positions, distance=0.5)
    subjects = RNG.standard_normal((12, CHANNELS, TIMES))
    hot = [c for c in adjacency[0]]  # channel 0 and its neighbours
    subjects[:, hot, 5:9] += 2.5
    r = rs.cluster_test(subjects, 2.0, 300, seed=3, adjacency=adjacency)
    assert r.t.shape == r.p.shape == r.labels.shape == (CHANNELS, TIMES)
    label = r.labels[0, 6]
    assert label >= 0 and np.all(r.labels[hot][:, 5:9] == label)
    assert r.cluster_p[label] < 0.05
    # Without spatial neighbours, the channels' time courses split apart.
    alone = rs.cluster_test(subjects, 2.0, 300, seed=3, adjacency=np.eye(CHANNELS))
    assert len(set(alone.labels[hot, 6].tolist())) == len(hot)
    again = rs.cluster_test(subjects, 2.0, 300, seed=3, adjacency=adjacency)
    np.testing.assert_array_equal(again.p, r.p)
    # (1 thread vs 2: the core's test of graph_clusters.)
