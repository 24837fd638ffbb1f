"""Objects users already hold: rsatoolbox Datasets and RDMs, and anything
with __array__ (torch CPU tensors, xarray, pandas)."""

import numpy as np
import pandas as pd
from rsatoolbox.data import Dataset
from rsatoolbox.rdm import calc_rdm, compare

import repscope as rs


class ArrayLike:
    """Stands for a torch CPU tensor or an xarray DataArray: only __array__."""

    def __init__(self, a):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


def test_rdm_takes_an_rsatoolbox_dataset_and_its_descriptor_names():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 10))
    cond = np.repeat(np.arange(6), 4)
    run = np.tile(np.arange(4), 6)
    ds = Dataset(x, obs_descriptors={"cond": cond, "run": run})
    theirs = calc_rdm(ds, method="crossnobis", descriptor="cond", cv_descriptor="run").get_vectors()[0]
    ours = rs.rdm(ds, "crossnobis", conditions="cond", folds="run")
    assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    assert np.array_equal(ours, rs.rdm(x, "crossnobis", conditions=cond, folds=run))


def test_compare_rdms_takes_rsatoolbox_rdms():
    rng = np.random.default_rng(1)
    rdms = calc_rdm(Dataset(rng.normal(size=(3 * 8, 5)).reshape(3, 8, 5)[0]), method="correlation")
    models = calc_rdm([Dataset(rng.normal(size=(8, 5))) for _ in range(3)], method="euclidean")
    ours = rs.compare_rdms(models, rdms, "spearman")
    theirs = compare(models, rdms, method="spearman")
    assert np.allclose(ours, theirs, rtol=1e-9)


def test_array_protocol_objects_are_accepted_everywhere():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 6)), rng.normal(size=(30, 4))
    assert rs.similarity(ArrayLike(x), ArrayLike(y)) == rs.similarity(x, y)
    frame = pd.DataFrame(x)
    assert rs.similarity(frame, y, "procrustes") == rs.similarity(x, y, "procrustes")
    assert np.array_equal(rs.pairwise([ArrayLike(x), frame, y]).values, rs.pairwise([x, x, y]).values)
    assert np.array_equal(rs.rdm(ArrayLike(x)), rs.rdm(x))
