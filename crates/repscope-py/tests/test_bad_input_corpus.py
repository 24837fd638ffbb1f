"""A generated corpus of bad inputs, for the public Python functions and
the CLI commands (issue: nothing crashes, nothing is lost).

Every public function that takes arrays gets each of its array arguments
replaced, in turn, by a bad value: empty along either axis, a single row,
the wrong number of dimensions, complex, object and string dtypes, NaN and
±Inf in a position, a plain string, None, a mismatched number of rows.
Scalar arguments, files and output paths are swept in
test_bad_input_files.py.
Every case must raise a `repscope.Error` subclass whose message says
something (not an IndexError, a numpy error or a panic), and must leave
its inputs as they were. A case where repscope accepts the value by design
(NaN entries of RDMs are left out, as rsatoolbox does) is listed in ACCEPTS
with the reason.

The CLI cases run each file-reading command on unreadable, truncated,
empty, mistyped and mismatched files and with output paths it cannot
write: exit status 2, a message on stderr, no partial output, inputs
unchanged (hash before and after)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

import repscope as rs

pytestmark = pytest.mark.filterwarnings("ignore")

rng = np.random.default_rng(0)
X = rng.normal(size=(16, 6))
Y = rng.normal(size=(16, 5))
COND = np.repeat(np.arange(4), 4)
FOLDS = np.tile(np.arange(4), 4)
RDM = rs.rdm(rng.normal(size=(8, 4)), "euclidean")
RDMS = np.stack([RDM + 0.1 * rng.random(RDM.size) for _ in range(4)])
LABELS = np.repeat([0, 1], 8)
RDM14 = rs.rdm(rng.normal(size=(14, 3)), "euclidean")
VOLUMES = rng.normal(size=(4, 4, 3, 8))
MASK = np.ones((4, 4, 3))
SENSORS = rng.normal(size=(8, 3, 5))  # conditions x sensors x time
COVS = np.stack([np.eye(3) * (1 + i % 3) for i in range(16)])
# An octahedron of radius 1: six vertices, each 1.41 mm from four others.
MESH = (np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float),
        np.array([[0, 2, 4], [2, 1, 4], [1, 3, 4], [3, 0, 4], [2, 0, 5], [1, 2, 5], [3, 1, 5], [0, 3, 5]]))
# Where the writing functions write (the corpus checks they refuse bad data
# before writing anything).
OUT = Path(tempfile.mkdtemp(prefix="repscope-corpus-"))

# name -> (call taking the array arguments by keyword, the array arguments,
# the kind of each: "matrix" (rows x columns), "rdm" (condensed vectors),
# "labels" (one per row)).
TINY_ONNX = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "tiny_cnn.onnx"
TINY_INPUTS = rng.normal(size=(4, 3, 16, 16)).astype(np.float32)

FUNCTIONS = {
    "extract": (lambda inputs: rs.extract(TINY_ONNX, inputs, layers=["fc"], out=OUT / "acts.safetensors"),
                {"inputs": TINY_INPUTS}),
    "similarity": (lambda X, Y: rs.similarity(X, Y, "linear_cka"), {"X": X, "Y": Y}),
    "similarity_procrustes": (lambda X, Y: rs.similarity(X, Y, "procrustes"), {"X": X, "Y": Y}),
    "similarity_rsa": (lambda X, Y: rs.similarity(X, Y, "rsa"), {"X": X, "Y": Y}),
    "pairwise": (lambda X, Y: rs.pairwise({"a": X, "b": Y}, progress=False), {"X": X, "Y": Y}),
    "rdm": (lambda X: rs.rdm(X, "correlation"), {"X": X}),
    "rdm_crossnobis": (lambda X, conditions, folds: rs.rdm(X, "crossnobis", conditions=conditions,
                                                           folds=folds),
                       {"X": X, "conditions": COND, "folds": FOLDS}),
    "rdm_unbalanced": (lambda X, conditions: rs.rdm_unbalanced(X, conditions),
                       {"X": X, "conditions": COND}),
    "cross_rdm": (lambda A, B: rs.cross_rdm(A, B), {"A": X[:8], "B": X[8:]}),
    "compare_rdms": (lambda a, b: rs.compare_rdms(a, b, "spearman"), {"a": RDMS, "b": RDMS}),
    "noise_ceiling": (lambda data: rs.noise_ceiling(data), {"data": RDMS}),
    "rsa_bootstrap": (lambda models, data: rs.rsa_bootstrap(models, data, n_boot=20),
                      {"models": RDMS[:2], "data": RDMS}),
    "rsa_crossval": (lambda models, data: rs.rsa_crossval(models, data, k=2),
                     {"models": RDMS[:2], "data": RDMS}),
    "fit_weights": (lambda components, data: rs.fit_weights(components, data),
                    {"components": RDMS[:2], "data": RDMS}),
    "pool_rdm": (lambda rdms: rs.pool_rdm(rdms), {"rdms": RDMS}),
    "rank_transform": (lambda rdm: rs.rank_transform(rdm), {"rdm": RDM}),
    "geodesic": (lambda rdm: rs.geodesic(rdm), {"rdm": RDM}),
    "mds": (lambda rdm: rs.mds(rdm), {"rdm": RDM}),
    "noise_precision": (lambda residuals: rs.noise_precision(residuals), {"residuals": X}),
    "sign_flip_test": (lambda values: rs.sign_flip_test(values, n_permutations=50), {"values": X}),
    "ridge": (lambda X, Y: rs.ridge(X, Y), {"X": X, "Y": Y}),
    "regression_scores": (lambda Y, P: rs.regression_scores(Y, P), {"Y": Y, "P": Y + 0.1}),
    "split_half_reliability": (lambda R: rs.split_half_reliability(R, n_splits=5),
                               {"R": rng.normal(size=(4, 16, 6))}),
    "probe": (lambda reps, labels: rs.probe(reps, labels, cv=2), {"reps": X, "labels": LABELS}),
    "stratified_folds": (lambda labels: rs.stratified_folds(labels, k=2), {"labels": LABELS}),
    "match_units": (lambda X, Y: rs.match_units(X, Y), {"X": X, "Y": Y}),
    "unit_correlations": (lambda X, Y: rs.unit_correlations(X, Y), {"X": X, "Y": Y}),
    "lasso": (lambda X, y: rs.lasso(X, y, 0.1), {"X": X, "y": Y[:, 0]}),
    "align": (lambda A, B: rs.align(A, B, k=3), {"A": X, "B": Y}),
    "fit_map": (lambda A, B: rs.fit_map(A, B), {"A": X, "B": Y}),
    "pca": (lambda X: rs.pca(X), {"X": X}),
    "quantize": (lambda E: rs.quantize(E), {"E": X}),
    "quantize_binary": (lambda E: rs.quantize_binary(E), {"E": X}),
    "search": (lambda q, c: rs.search(q, c, k=3), {"q": X[:4], "c": X}),
    "sdr_encode": (lambda X: rs.sdr_encode(X, k=2), {"X": X}),
    "fit_compat_map": (lambda new, old: rs.fit_compat_map(new, old), {"new": X, "old": X[:, ::-1]}),
    "dirichlet_energy": (lambda X: rs.dirichlet_energy(X, [(0, 1), (1, 2)]), {"X": X}),
    "feature_variance": (lambda F, R: rs.feature_variance(F, R, cv=2), {"F": X[:, :2], "R": Y}),
    "temporal_generalization": (lambda movie: rs.temporal_generalization(movie),
                                {"movie": RDMS}),
    "fit_interpolate": (lambda rdms, data: rs.fit_interpolate(rdms, data), {"rdms": RDMS[:3], "data": RDMS}),
    "fit_select": (lambda rdms, data: rs.fit_select(rdms, data), {"rdms": RDMS[:3], "data": RDMS}),
    "searchlight": (lambda volumes, mask, conditions: rs.searchlight(volumes, mask, conditions, radius=1),
                    {"volumes": VOLUMES, "mask": MASK, "conditions": np.arange(8)}),
    "searchlight_models": (lambda models: rs.searchlight(VOLUMES, MASK, np.arange(8), radius=1,
                                                         models=models),
                           {"models": RDMS[:2]}),
    "decoding_searchlight": (lambda volumes, labels, folds: rs.decoding_searchlight(
        volumes, MASK, labels, folds, radius=1),
        {"volumes": VOLUMES, "labels": np.tile([0, 1], 4), "folds": np.repeat([0, 1], 4)}),
    "searchlight_spheres": (lambda mask: rs.searchlight_spheres(mask, 1), {"mask": MASK}),
    "sensor_searchlight": (lambda data: rs.sensor_searchlight(data, [[1], [0, 2], [1]],
                                                              conditions=np.arange(8)),
                           {"data": SENSORS}),
    "rdm_movie": (lambda data: rs.rdm_movie(data), {"data": SENSORS}),
    "cluster_test": (lambda values: rs.cluster_test(values, n_permutations=20), {"values": X}),
    "noise_normalised": (lambda scores, ceiling: rs.noise_normalised(scores, ceiling),
                         {"scores": X[:, 0], "ceiling": np.abs(X[:, 1]) + 1}),
    "hamming_search": (lambda q, c: rs.hamming_search(q, c, k=2),
                       {"q": rs.quantize_binary(X[:3]), "c": rs.quantize_binary(X)}),
    "binary_search": (lambda q, c: rs.binary_search(q, c, k=2), {"q": X[:3], "c": rs.quantize_binary(X)}),
    "adaptive_retrieval": (lambda q, c: rs.adaptive_retrieval(q, c, shortlist_dim=2, shortlist_k=5, k=2),
                           {"q": X[:3], "c": X}),
    "retrieval_eval": (lambda q, c: rs.retrieval_eval(q, c, [[0], [1], [2]], k=(1,)),
                       {"q": X[:3], "c": X}),
    "compatibility": (lambda oq, og, nq, ng: rs.compatibility(oq, og, nq, ng, np.arange(4),
                                                              gallery_labels=np.arange(16) % 4),
                      {"oq": X[:4], "og": X, "nq": X[:4, ::-1], "ng": X[:, ::-1]}),
    "concept_depth": (lambda accuracy: rs.concept_depth(accuracy), {"accuracy": np.array([0.5, 0.7, 0.9])}),
    "probe_scores": (lambda y, proba: rs.probe_scores(y, proba),
                     {"y": LABELS, "proba": np.stack([np.linspace(0.9, 0.1, 16),
                                                      np.linspace(0.1, 0.9, 16)], axis=1)}),
    "rsa_compare_groups": (lambda a, b: rs.rsa_compare_groups(RDMS[:2], a, b, n_boot=10),
                           {"a": RDMS[:2], "b": RDMS[2:]}),
    "rsa_bootstrap_crossval": (lambda data: rs.rsa_bootstrap_crossval([RDM14], data, k=2, n_boot=5),
                               {"data": np.stack([RDM14 + 0.1 * rng.random(RDM14.size)
                                                  for _ in range(3)])}),
    "rsa_dual_bootstrap": (lambda models, data: rs.rsa_dual_bootstrap(models, data, n_boot=10),
                           {"models": RDMS[:2], "data": RDMS}),
    "pool_rdm_corr": (lambda rdms: rs.pool_rdm(rdms, "corr"), {"rdms": RDMS}),
    "sqrt_transform": (lambda rdm: rs.sqrt_transform(rdm), {"rdm": RDM}),
    "minmax_transform": (lambda rdm: rs.minmax_transform(rdm), {"rdm": RDM}),
    "geotopological": (lambda rdm: rs.geotopological(rdm, 0.2, 0.8), {"rdm": RDM}),
    "noise_covariance": (lambda residuals: rs.noise_covariance(residuals), {"residuals": X}),
    "positive_transform": (lambda rdm: rs.positive_transform(rdm), {"rdm": RDM}),
    "cv_noise_ceiling": (lambda data: rs.cv_noise_ceiling(data, [([0, 1], [2, 3], list(range(8)))]),
                         {"data": RDMS}),
    "retrieval_metrics": (lambda ids: rs.retrieval_metrics(ids, [[0], [1], [2]], k=(1, 2)),
                          {"ids": np.array([[0, 1], [1, 0], [2, 3]])}),
    "channel_adjacency": (lambda positions: rs.channel_adjacency(positions=positions, distance=1.5),
                          {"positions": rng.normal(size=(6, 3))}),
    "surface_searchlight": (lambda data: rs.surface_searchlight(data, MESH, np.arange(8), radius=1.5),
                            {"data": rng.normal(size=(8, 6))}),
    "surface_discs": (lambda coords: rs.surface_discs((coords, MESH[1]), 1.5), {"coords": MESH[0]}),
    "write_nifti": (lambda data: rs.write_nifti(OUT / "volume.nii.gz", data), {"data": VOLUMES}),
    "write_gifti": (lambda maps: rs.write_gifti(OUT / "maps.func.gii", maps), {"maps": X}),
    "save": (lambda X: rs.save(OUT / "reps.npz", {"layer": X}), {"X": X}),
    "save_rdms": (lambda rdms: rs.save_rdms(OUT / "rdms.hdf5", rdms), {"rdms": RDMS}),
    "save_rsatoolbox_dataset": (lambda measurements: rs.save_rsatoolbox_dataset(
        OUT / "dataset.hdf5", measurements), {"measurements": X}),
    "fit_alignment": (lambda X, Y: rs.fit_alignment(X, Y, alpha=0.5), {"X": X, "Y": Y}),
    "fitted_alignment_distance": (lambda X, Y: rs.fit_alignment(X, Y).distance(X, Y), {"X": X, "Y": Y}),
    "cross_validated_distance": (lambda X, Y: rs.cross_validated_distance(X, Y, cv=4), {"X": X, "Y": Y}),
    "shape_distances": (lambda a, b: rs.shape_distances([a, b, X[::-1]]), {"a": X, "b": X[:, ::-1]}),
    "frechet_mean": (lambda a, b: rs.frechet_mean([a, b]), {"a": X, "b": X[:, ::-1]}),
    "shape_kmeans": (lambda a, b: rs.shape_kmeans([a, b, X + 1], 2), {"a": X, "b": X[:, ::-1]}),
    "gaussian_shape_distance": (lambda means, covs: rs.gaussian_shape_distance(
        (means, covs), (X[:, 2::-1], COVS), niter=20), {"means": X[:, :3], "covs": COVS}),
    "shape_embedding": (lambda d: rs.shape_embedding(d), {"d": np.abs(X[:6, :6] + X[:6, :6].T)}),
    "energy_shape_distance": (lambda x: rs.energy_shape_distance(x, SENSORS[:, ::-1], niter=10),
                              {"x": SENSORS}),
}

# (function, argument, variant) cases that are not errors, and why.
ACCEPTS = {
    # RSA leaves NaN dissimilarities out of comparisons (rsatoolbox's rule).
    **{(f, a, "nan"): "NaN dissimilarities are left out" for f, a in [
        ("compare_rdms", "a"), ("compare_rdms", "b"), ("noise_ceiling", "data"),
        ("rsa_bootstrap", "models"), ("rsa_bootstrap", "data"), ("pool_rdm", "rdms"),
        ("rank_transform", "rdm"), ("fit_weights", "data"), ("fit_interpolate", "rdms"),
        ("fit_interpolate", "data"), ("fit_select", "rdms"), ("fit_select", "data"),
        ("temporal_generalization", "movie"), ("rsa_dual_bootstrap", "models"),
        ("rsa_dual_bootstrap", "data"), ("rsa_compare_groups", "a"), ("rsa_compare_groups", "b"),
        ("pool_rdm_corr", "rdms"), ("sqrt_transform", "rdm"), ("minmax_transform", "rdm"),
        ("searchlight_models", "models"), ("rsa_bootstrap_crossval", "data"),
        ("positive_transform", "rdm"), ("cv_noise_ceiling", "data"), ("save_rdms", "rdms"),
    ]},
    # NaN marks voxels outside a mask (as some NIfTI masks do); any other
    # non-zero value is inside.
    **{(f, "mask", v): "NaN is outside a mask, any other non-zero value inside"
       for f in ("searchlight", "searchlight_spheres", "decoding_searchlight") for v in ("nan", "inf")},
    # A mass-univariate test with a NaN gives NaN for that test only.
    ("sign_flip_test", "values", "nan"): "NaN marks a missing test; its results are NaN",
    # Missing channels are NaN in unbalanced designs.
    ("rdm_unbalanced", "X", "nan"): "NaN marks a missing channel",
    # Labels may be any hashable values, strings included.
    **{(f, a, "strings"): "labels may be strings" for f, a in [
        ("rdm_crossnobis", "conditions"), ("rdm_crossnobis", "folds"), ("rdm_unbalanced", "conditions"),
        ("probe", "labels"), ("stratified_folds", "labels")]},
    **{(f, a, v): "labels may be any values, and are flattened (a column vector is common)"
       for f, a in [("rdm_crossnobis", "conditions"), ("rdm_crossnobis", "folds"),
                    ("rdm_unbalanced", "conditions"), ("probe", "labels"), ("stratified_folds", "labels"),
                    ("searchlight", "conditions"), ("decoding_searchlight", "labels"),
                    ("decoding_searchlight", "folds")]
       for v in ("object", "float_labels", "extra_dim", "strings")},
    ("searchlight_models", "models", "none"): "no models: the sphere RDMs themselves",
    ("adaptive_retrieval", "q", "empty"): "zero queries give zero results",
    # NaN marks a missing value in these mass-univariate and per-target results.
    ("cluster_test", "values", "nan"): "NaN marks a missing test",
    ("noise_normalised", "scores", "nan"): "NaN marks a missing score",
    ("noise_normalised", "ceiling", "nan"): "NaN marks a missing ceiling",
    # No queries is a question with no answers.
    ("search", "q", "empty"): "zero queries give zero results",
    ("retrieval_metrics", "ids", "no_columns"): "an empty ranking retrieves nothing: every metric is 0",
    ("channel_adjacency", "positions", "empty"): "no channels have no neighbours",
    # Files store the values they are given: NaN marks missing values in
    # brain maps and datasets, and one row is a valid file.
    **{(f, a, v): "a file stores any float, and one row is a file"
       for f, a in [("write_nifti", "data"), ("write_gifti", "maps"), ("save", "X"),
                    ("save_rdms", "rdms"), ("save_rsatoolbox_dataset", "measurements")]
       for v in ("nan", "inf", "one")},
    ("write_nifti", "data", "extra_dim"): "NIfTI holds up to 7 axes",
}

# Which arguments pair rows with another argument (a mismatched row count
# is an error there), and which take several RDMs or items where one is
# enough (a single row is fine there).
PAIRED = {("similarity", "Y"), ("similarity_procrustes", "Y"), ("similarity_rsa", "Y"),
          ("pairwise", "Y"), ("rdm_crossnobis", "X"), ("rdm_crossnobis", "conditions"),
          ("rdm_crossnobis", "folds"), ("rdm_unbalanced", "X"), ("rdm_unbalanced", "conditions"),
          ("ridge", "Y"), ("regression_scores", "P"), ("probe", "labels"),
          ("match_units", "Y"), ("unit_correlations", "Y"), ("lasso", "y"), ("align", "B"),
          ("fit_map", "B"), ("fit_compat_map", "old"), ("feature_variance", "R")}
ONE_IS_FINE = {("extract", "inputs"), ("compare_rdms", "a"), ("compare_rdms", "b"), ("rsa_bootstrap", "models"),
               ("rsa_crossval", "models"), ("fit_weights", "components"), ("pool_rdm", "rdms"),
               ("fit_select", "rdms"), ("search", "q"), ("search", "c"), ("quantize", "E"),
               ("quantize_binary", "E"), ("sdr_encode", "X"), ("cross_rdm", "A"), ("cross_rdm", "B"),
               ("temporal_generalization", "movie"), ("rank_transform", "rdm"), ("mds", "rdm"),
               ("geodesic", "rdm"), ("dirichlet_energy", "X"), ("noise_precision", "residuals"),
               # One subject's RDM is data enough to fit or evaluate on.
               ("rsa_crossval", "data"), ("rsa_bootstrap", "data"), ("fit_weights", "data"),
               ("fit_select", "data"), ("fit_interpolate", "data"),
               ("sqrt_transform", "rdm"), ("minmax_transform", "rdm"), ("geotopological", "rdm"),
               ("searchlight_models", "models"), ("rsa_dual_bootstrap", "models"),
               ("pool_rdm_corr", "rdms"), ("retrieval_eval", "c"), ("hamming_search", "q"),
               ("binary_search", "q"), ("adaptive_retrieval", "q"), ("retrieval_eval", "q"),
               ("compatibility", "oq"), ("compatibility", "nq"), ("noise_covariance", "residuals"),
               ("rsa_compare_groups", "a"), ("rsa_compare_groups", "b"), ("searchlight_spheres", "mask"),
               ("hamming_search", "c"), ("binary_search", "c"), ("adaptive_retrieval", "c"),
               ("concept_depth", "accuracy"), ("positive_transform", "rdm"),
               ("channel_adjacency", "positions")}



def variants(value):
    """Bad versions of an array argument: (name, value)."""
    a = np.asarray(value)
    out = [("string", "not an array"), ("none", None), ("scalar", 3.0)]
    if a.dtype.kind == "f":
        nan, inf = a.copy(), a.copy()
        nan.flat[0] = np.nan
        inf.flat[-1] = np.inf
        out += [("nan", nan), ("inf", inf), ("complex", a.astype(complex)),
                ("object", a.astype(object)), ("strings", a.astype(str))]
    else:
        out += [("strings", a.astype(str)), ("object", a.astype(object)),
                ("float_labels", a.astype(float) + 0.5)]
    if a.ndim >= 1:
        out += [("empty", a[:0]), ("one", a[:1]), ("extra_dim", a[None, None]),
                ("extra_row", np.concatenate([a, a[:1]]))]
    if a.ndim >= 2:
        out += [("no_columns", a[:, :0])]
    return out


# Variants that some functions take as they are: fewer rows than others
# is only wrong where rows pair up, and a float label is a label.
def is_accepted(function, argument, variant):
    return (function, argument, variant) in ACCEPTS


def applies(function, argument, variant):
    if variant == "extra_row":
        return (function, argument) in PAIRED
    if variant == "one":
        return (function, argument) not in ONE_IS_FINE
    return True


CASES = [(f, arg, name) for f, (_, arrays) in FUNCTIONS.items() for arg in arrays
         for name, _ in variants(arrays[arg]) if applies(f, arg, name)]


def equal(a, b):
    try:
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    except TypeError:
        return np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_function_of_the_corpus_succeeds_on_the_good_inputs(function):
    """The baseline: without it a bad case could pass on a wrong call."""
    call, arrays = FUNCTIONS[function]
    call(**arrays)


@pytest.mark.parametrize("function,argument,variant", CASES)
def test_a_bad_argument_is_a_repscope_error(function, argument, variant):
    call, arrays = FUNCTIONS[function]
    bad = dict(variants(arrays[argument]))[variant]
    kwargs = {**arrays, argument: bad}
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    written = set(OUT.iterdir())
    try:
        call(**kwargs)
    except rs.Error as e:
        assert len(str(e)) > 10, f"{function}({argument}={variant}): message {str(e)!r}"
        assert set(OUT.iterdir()) <= written, f"{function}({argument}={variant}) wrote a file"
    except BaseException as e:  # noqa: BLE001 - what the corpus is for
        pytest.fail(f"{function}({argument}={variant}) raised {type(e).__name__}: {e}")
    else:
        if not is_accepted(function, argument, variant):
            pytest.fail(f"{function}({argument}={variant}) was accepted")
    for k, v in kwargs.items():
        if isinstance(v, np.ndarray):
            assert equal(v, before[k]), f"{function} changed its input {k}"


# --- the CLI --------------------------------------------------------------

# Each command with its inputs in slots: A, B (representations), R, S (RDM
# stacks), L (labels), E (edges); O is the output path.
COMMANDS = {
    "info": ["info", "{A}"],
    "similarity": ["similarity", "{A}", "{B}", "-o", "{O}"],
    "similarity_one": ["similarity", "{A}", "--measure", "procrustes", "-o", "{O}"],
    "rdm": ["rdm", "{A}", "-o", "{O}.npz"],
    "compare": ["compare", "{R}", "{S}", "-o", "{O}"],
    "match": ["match", "{A}", "{B}", "-o", "{O}"],
    "align": ["align", "{A}", "{B}", "-o", "{O}"],
    "probe": ["probe", "{A}", "--labels", "{L}", "--cv", "2", "-o", "{O}"],
    "compress": ["compress", "{A}", "--eval", "{L}", "-o", "{O}"],
    "encode": ["encode", "{A}", "{B}", "-o", "{O}"],
    "graph": ["graph", "{A}", "--edges", "{E}", "-o", "{O}"],
    "searchlight": ["searchlight", "{V}", "--mask", "{M}", "--conditions", "{C}", "--models", "{N}",
                    "--radius", "2", "-o", "{O}.maps"],
    "sdr_encode": ["sdr", "encode", "{A}", "--k", "2", "-o", "{O}.npz"],
}


def good_inputs(folder: Path) -> dict[str, Path]:
    g = np.random.default_rng(1)
    paths = {}
    for slot, array in [("A", g.normal(size=(16, 6))), ("B", g.normal(size=(16, 5))),
                        ("R", np.stack([rs.rdm(g.normal(size=(8, 3)), "euclidean") for _ in range(3)])),
                        ("S", np.stack([rs.rdm(g.normal(size=(8, 3)), "euclidean") for _ in range(2)]))]:
        paths[slot] = folder / f"good_{slot}.npy"
        np.save(paths[slot], array)
    paths["L"] = folder / "labels.txt"
    paths["L"].write_text("\n".join(["cat", "dog"] * 8) + "\n")
    paths["E"] = folder / "edges.tsv"
    paths["E"].write_text("0\t1\n1\t2\n2\t3\n")
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    paths["V"] = folder / "good_V.nii.gz"
    rs.write_nifti(paths["V"], g.normal(size=(5, 5, 4, 8)), affine)
    paths["M"] = folder / "good_M.nii.gz"
    rs.write_nifti(paths["M"], np.ones((5, 5, 4)), affine)
    paths["C"] = folder / "conditions.txt"
    paths["C"].write_text("\n".join(str(c) for c in [0, 1, 2, 3] * 2) + "\n")
    paths["N"] = folder / "models.npz"
    np.savez(paths["N"], m=rs.rdm(g.normal(size=(4, 3)), "euclidean"))
    return paths


def bad_files(folder: Path, slot: str) -> dict[str, Path]:
    """Bad stand-ins for the input in `slot`."""
    g = np.random.default_rng(2)
    out = {}

    def npy(name, array, **kw):
        out[name] = folder / f"{slot}_{name}.npy"
        np.save(out[name], array, **kw)

    out["missing"] = folder / f"{slot}_missing.npy"
    out["empty_file"] = folder / f"{slot}_empty.npy"
    out["empty_file"].write_bytes(b"")
    out["empty_folder"] = folder / f"{slot}_folder"
    out["empty_folder"].mkdir()
    out["garbage"] = folder / f"{slot}_garbage.npy"
    out["garbage"].write_bytes(g.bytes(300))
    for ext in ("npz", "safetensors", "h5", "mat", "nii.gz", "gii"):
        p = folder / f"{slot}_garbage.{ext}"
        p.write_bytes(g.bytes(300))
        out[f"garbage_{ext}"] = p
    good = folder / f"good_{slot}.npy"
    if slot in "ABRS":
        data = good.read_bytes()
        out["truncated"] = folder / f"{slot}_truncated.npy"
        out["truncated"].write_bytes(data[: len(data) // 2])
        out["text_as_npy"] = folder / f"{slot}_text.npy"
        out["text_as_npy"].write_text("1 2 3\n4 5 6\n")
        base = np.load(good)
        nan, inf = base.copy(), base.copy()
        nan[0, 0], inf[-1, -1] = np.nan, np.inf
        npy("nan", nan)
        npy("inf", inf)
        npy("complex", base.astype(complex))
        npy("strings", base.astype(str))
        npy("three_d", base[None])
        npy("no_columns", base[:, :0])
        npy("no_rows", base[:0])
        if slot in "AB":
            npy("one_row", base[:1])
            npy("fewer_rows", base[:-1])
            npy("constant", np.ones_like(base))
        else:
            npy("not_condensed", base[:, :-1])
    elif slot in "VMN":
        data = (folder / {"V": "good_V.nii.gz", "M": "good_M.nii.gz", "N": "models.npz"}[slot]).read_bytes()
        out["truncated"] = folder / f"{slot}_truncated.{'npz' if slot == 'N' else 'nii.gz'}"
        out["truncated"].write_bytes(data[: len(data) // 2])
        affine = np.diag([2.0, 2.0, 2.0, 1.0])
        if slot == "M":
            out["other_grid"] = folder / "M_other_grid.nii.gz"
            rs.write_nifti(out["other_grid"], np.ones((4, 4, 4)), affine)
            out["no_voxels"] = folder / "M_no_voxels.nii.gz"
            rs.write_nifti(out["no_voxels"], np.zeros((5, 5, 4)), affine)
        if slot == "V":
            out["fewer_rows"] = folder / "V_seven.nii.gz"  # 7 volumes for 8 conditions
            rs.write_nifti(out["fewer_rows"], g.normal(size=(5, 5, 4, 7)), affine)
            nan = g.normal(size=(5, 5, 4, 8))
            nan[2, 2, 2, 0] = np.nan
            out["nan"] = folder / "V_nan.nii.gz"
            rs.write_nifti(out["nan"], nan, affine)
        if slot == "N":
            out["not_condensed"] = folder / "N_not_condensed.npz"
            np.savez(out["not_condensed"], m=np.ones(5))
            out["wrong_count"] = folder / "N_other_size.npz"
            np.savez(out["wrong_count"], m=rs.rdm(g.normal(size=(5, 3)), "euclidean"))
    else:
        out["wrong_count"] = folder / f"{slot}_wrong.txt"
        out["wrong_count"].write_text("cat\ndog\n" if slot in "LC" else "0\t99\n")
        out["binary"] = folder / f"{slot}_binary.txt"
        out["binary"].write_bytes(g.bytes(200))
    return out


def digest(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}


def cli_cases():
    cases = []
    for command, argv in COMMANDS.items():
        slots = [s for s in "ABRSLEVMCN" if "{" + s + "}" in " ".join(argv)]
        for slot in slots:
            for bad in ["missing", "empty_file", "empty_folder", "garbage", "garbage_npz",
                        "garbage_safetensors", "garbage_h5", "garbage_mat", "garbage_nii.gz",
                        "garbage_gii", "truncated", "text_as_npy", "nan", "inf", "complex",
                        "strings", "three_d", "no_columns", "no_rows", "one_row", "fewer_rows",
                        "constant", "not_condensed", "wrong_count", "binary", "other_grid",
                        "no_voxels"]:
                cases.append((command, slot, bad))
        if "{O}" in argv:
            for bad_output in ["missing_folder", "unwritable", "over_input"]:
                cases.append((command, "O", bad_output))
    return cases


# Inputs a command may take as they are: a constant representation is a
# representation (its similarity is defined as 0 or NaN by the measure), and
# NaN/Inf in RDMs are left out of comparisons.
CLI_ACCEPTS = {
    ("info", "A", b) for b in ("nan", "inf", "complex", "three_d", "no_columns", "no_rows",
                                 "one_row", "fewer_rows", "constant", "strings")
} | {("compare", s, "nan") for s in "RS"} | {
    ("similarity", "B", "constant"), ("similarity", "A", "constant"),
    ("similarity_one", "A", "constant"), ("rdm", "A", "constant"), ("match", "A", "constant"),
    ("match", "B", "constant"), ("align", "A", "constant"), ("align", "B", "constant"),
    ("compress", "A", "constant"), ("encode", "A", "constant"), ("encode", "B", "constant"),
    ("graph", "A", "constant"), ("probe", "A", "constant"), ("sdr_encode", "A", "constant"),
    ("sdr_encode", "A", "one_row"),
}


# Fewer rows is wrong only where rows pair with another input's.
PAIRED_ROWS = {("similarity", "B"), ("match", "B"), ("align", "B"), ("encode", "B"), ("probe", "A"),
               ("searchlight", "V")}


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_cli")
    good = good_inputs(folder)
    bad = {slot: bad_files(folder, slot) for slot in "ABRSLEVMCN"}
    return folder, good, bad


def run_repscope(argv):
    return subprocess.run([sys.executable, "-m", "repscope", "--quiet", *argv], capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_of_the_corpus_succeeds_on_the_good_inputs(cli_folder, command):
    """The baseline: without it a bad case could pass on a wrong flag."""
    folder, good, _ = cli_folder
    out = folder / f"baseline_{command}"
    argv = [a.format(**{k: str(v) for k, v in good.items()}, O=str(out)) for a in COMMANDS[command]]
    result = run_repscope(argv)
    assert result.returncode == 0, (argv, result.stderr)


@pytest.mark.parametrize("command,slot,bad", cli_cases())
def test_a_bad_cli_input_exits_2_with_a_message_and_leaves_no_output(cli_folder, command, slot, bad):
    folder, good, bad_by_slot = cli_folder
    if slot != "O" and bad not in bad_by_slot[slot]:
        pytest.skip("not a variant of this input")
    if bad == "fewer_rows" and (command, slot) not in PAIRED_ROWS:
        pytest.skip("a lone input may have any number of rows")
    out = folder / f"out_{command}_{slot}_{bad}"
    paths = dict(good)
    if slot == "O":
        out = {"missing_folder": folder / "no" / "such" / "folder" / "out.csv",
               "unwritable": Path("/proc/version/out.csv"),
               "over_input": next(good[s] for s in "ARV" if "{" + s + "}" in COMMANDS[command])}[bad]
    else:
        paths[slot] = bad_by_slot[slot][bad]
    argv = [a.format(**{k: str(v) for k, v in paths.items()}, O=str(out)) for a in COMMANDS[command]]
    if slot != "O":
        # The output as the command names it (with its extension).
        out = Path(next((a for a in argv if a.startswith(str(out))), str(out)))
    watched = [p for p in list(good.values()) + [paths.get(slot)] if isinstance(p, Path)]
    before = digest(watched)
    result = run_repscope(argv)
    assert "panicked" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    if (command, slot, bad) in CLI_ACCEPTS:
        assert result.returncode in (0, 2), result.stderr
    else:
        assert result.returncode == 2, (argv, result.returncode, result.stdout[-300:], result.stderr[-300:])
        assert len(result.stderr.strip()) > 10
        if slot != "O" or bad != "over_input":
            assert not out.exists() or out in watched, f"partial output {out}"
    assert digest(watched) == before, "an input changed"
