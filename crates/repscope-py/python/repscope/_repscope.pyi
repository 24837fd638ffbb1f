# Signatures of the compiled core module. Users call the wrappers in
# repscope/__init__.py and repscope/rsa.py, which add defaults, checks and
# result classes; this stub keeps editors and type checkers honest about
# what those wrappers call.
from os import PathLike
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

def load(path: Union[str, PathLike[str]]) -> tuple[list[str], list[np.ndarray], Optional[list[str]]]: ...
def save(
    path: Union[str, PathLike[str]],
    names: list[str],
    arrays: list[np.ndarray],
    stimuli: Optional[list[str]] = None,
    float32: bool = False,
) -> None: ...
def names_in(path: Union[str, PathLike[str]]) -> list[str]: ...
def load_some(path: Union[str, PathLike[str]], names: list[str]) -> list[np.ndarray]: ...
def similarity(
    x: np.ndarray, y: np.ndarray, measure: str, params: Optional[dict[str, Any]] = None
) -> tuple[float, list[str]]: ...
def time_similarity_in_core(
    x: np.ndarray, y: np.ndarray, measure: str, repeats: int, params: Optional[dict[str, Any]] = None
) -> float: ...
def pairwise(
    names_a: list[str],
    arrays_a: list[np.ndarray],
    names_b: Optional[list[str]],
    arrays_b: Optional[list[np.ndarray]],
    measure: str,
    params: Optional[dict[str, Any]] = None,
    threads: Optional[int] = None,
    n_boot: int = 0,
    permutations: int = 0,
    seed: int = 0,
    ci: float = 0.95,
    partners: Optional[tuple[int, int]] = None,
    progress: bool = False,
) -> tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray], list[str]]: ...
def measures() -> list[dict[str, Any]]: ...
def plot_heatmap(
    path: Union[str, PathLike[str]],
    values: np.ndarray,
    rows: list[str],
    cols: list[str],
    title: str,
    value_label: str,
    vmin: Optional[float] = None,
    vmax: Optional[float] = None,
) -> None: ...
def build_info() -> dict[str, str]: ...

# RSA (crates/repscope-py/src/rsa.rs)
def rdm(
    x: np.ndarray,
    method: str,
    precision: Optional[np.ndarray] = None,
    conditions: Optional[list[str]] = None,
    folds: Optional[list[str]] = None,
    prior_lambda: float = 1.0,
    prior_weight: float = 0.1,
) -> np.ndarray: ...
def compare_rdms(a: np.ndarray, b: np.ndarray, method: str, sigma_k: Optional[np.ndarray] = None) -> np.ndarray: ...
def geotopological(rdm: np.ndarray, low: float, up: float) -> np.ndarray: ...
def geodesic(rdm: np.ndarray) -> np.ndarray: ...
def noise_covariance(residuals: np.ndarray, method: str, dof: Optional[float] = None, precision: bool = False) -> np.ndarray: ...
def noise_ceiling(data: np.ndarray, method: str) -> tuple[float, float]: ...
def rsa_bootstrap(
    models: np.ndarray, data: np.ndarray, method: str, n: int, over: str, seed: int, ci: float
) -> dict[str, Any]: ...
def rsa_evaluate_samples(
    models: np.ndarray,
    data: np.ndarray,
    method: str,
    patterns: Optional[list[list[int]]],
    rdms: Optional[list[list[int]]],
    n_effective: int,
    ci: float = 0.95,
) -> dict[str, Any]: ...
def mds(rdm: np.ndarray, dims: int = 2) -> np.ndarray: ...
def plot_bars(
    path: Union[str, PathLike[str]],
    names: list[str],
    values: list[float],
    low: list[float],
    high: list[float],
    noise_ceiling: Optional[tuple[float, float]],
    title: str,
    value_label: str,
) -> None: ...
def fit_weights(components: np.ndarray, data: np.ndarray, method: str, nonnegative: bool) -> list[float]: ...
def rsa_crossval(
    models: list[np.ndarray], weighted: list[bool], data: np.ndarray, method: str, k: int, seed: int
) -> dict[str, Any]: ...
def label_codes(labels: list[str]) -> tuple[list[str], list[int]]: ...

# The command line (crates/repscope-cli), for `python -m repscope`.
def cli(argv: list[str]) -> int: ...
def pairwise_stream(
    path_a: Union[str, PathLike[str]],
    path_b: Optional[Union[str, PathLike[str]]],
    measure: str,
    params: Optional[dict[str, Any]] = None,
    threads: Optional[int] = None,
    progress: bool = False,
) -> tuple[
    tuple[np.ndarray, Optional[np.ndarray], Optional[np.ndarray], Optional[np.ndarray], list[str]],
    list[str],
    list[str],
]: ...

# Sparse distributed representations (crates/repscope/src/sdr.rs)
def sdr_false_match(n: int, a: int, s: int, theta: int) -> float: ...
def sdr_union_density(n: int, w: int, m: int) -> float: ...
def sdr_union_false_match(n: int, w: int, m: int, theta: int) -> float: ...
def sdr_encode(x: np.ndarray, k: int) -> list[list[int]]: ...

# Units across networks, graphs, PCA, alignment (crates/repscope-py/src/analyses.rs)
def unit_correlations(x: np.ndarray, y: np.ndarray) -> np.ndarray: ...
def match_one_to_one(x: np.ndarray, y: np.ndarray, method: str) -> tuple[np.ndarray, np.ndarray]: ...
def lasso_fit(
    x: np.ndarray, y: np.ndarray, alpha: float, fit_intercept: bool = ..., tol: float = ...,
    max_iter: int = ...,
) -> tuple[np.ndarray, np.ndarray, list[bool], list[int]]: ...
def match_sparse(
    x: np.ndarray, y: np.ndarray, n_alphas: int = ..., eps: float = ..., test_fraction: float = ...,
    seed: int = ..., tol: float = ..., max_iter: int = ...,
) -> dict[str, Any]: ...
def match_spectral(
    x: np.ndarray, y: np.ndarray, groups: int = ..., seed: int = ..., n_init: int = ...
) -> dict[str, Any]: ...
def dirichlet_energy_of(x: np.ndarray, edges: list[tuple[int, int, float]]) -> tuple[float, float, float]: ...
def read_edges(path: str, n: int, stimuli: Optional[list[str]] = ...) -> list[tuple[int, int, float]]: ...
def pca(x: np.ndarray, dims: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def fit_map(
    a: np.ndarray, b: np.ndarray, kind: str = ..., alpha: float = ..., centre: bool = ...
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def alignment(
    a: np.ndarray, b: np.ndarray, map: str = ..., alpha: float = ..., test_fraction: float = ...,
    seed: int = ..., k: int = ...,
) -> dict[str, Any]: ...
# Task vectors (crates/repscope-py/src/taskvec.rs)
def task_vectors(
    base: Union[str, PathLike[str]],
    finetuned: Sequence[Union[str, PathLike[str]]],
    names: Optional[list[str]] = None,
) -> dict[str, Any]: ...
def compose_task_vectors(
    base: Union[str, PathLike[str]],
    finetuned: Sequence[Union[str, PathLike[str]]],
    out: Union[str, PathLike[str]],
    default_per_task: Optional[list[float]] = None,
    per_block: Optional[list[tuple[str, list[float]]]] = None,
) -> None: ...

# Compression and retrieval (crates/repscope-py/src/compress.rs)
def search(queries: np.ndarray, corpus: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]: ...
def adaptive_retrieval(
    queries: np.ndarray, corpus: np.ndarray, dims: list[int], shortlists: list[int], metric: str
) -> tuple[np.ndarray, np.ndarray]: ...
def quantize8_codes(
    x: np.ndarray, precision: str, lo: Optional[list[float]] = ..., hi: Optional[list[float]] = ...
) -> tuple[list[int], list[float], list[float]]: ...
def retrieval_metrics(
    ranked: list[list[int]], relevant: list[list[int]], ks: list[int], map: str
) -> dict[str, Any]: ...
def retrieval_eval(
    queries: np.ndarray, corpus: np.ndarray, relevant: list[list[int]], exclude: Optional[list[int]],
    dims: list[int], precisions: list[str], ks: list[int], metric: str, map: str,
    funnel: Optional[str],
) -> list[dict[str, Any]]: ...
def compatibility(
    old_queries: np.ndarray, old_gallery: np.ndarray, new_queries: np.ndarray, new_gallery: np.ndarray,
    query_labels: list[int], gallery_labels: list[int], k: Optional[int],
) -> dict[str, Any]: ...

# Binary codes and product quantisation (crates/repscope-py/src/compress_binary.rs)
def quantize_binary(x: np.ndarray, precision: str) -> np.ndarray: ...
def hamming_search(query_codes: np.ndarray, corpus_codes: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...
def binary_search(
    queries: np.ndarray,
    corpus_codes: np.ndarray,
    k: int,
    rescore_multiplier: int,
    corpus_float: Optional[np.ndarray] = None,
) -> tuple[np.ndarray, np.ndarray]: ...
def pq_train(
    x: np.ndarray, m: int, nbits: int, seed: int = 0, max_iter: int = 25, max_train: Optional[int] = None
) -> np.ndarray: ...
def pq_encode(codebooks: np.ndarray, m: int, x: np.ndarray) -> np.ndarray: ...
def pq_decode(codebooks: np.ndarray, m: int, codes: np.ndarray) -> np.ndarray: ...
def pq_search(
    codebooks: np.ndarray, m: int, queries: np.ndarray, codes: np.ndarray, k: int, metric: str
) -> tuple[np.ndarray, np.ndarray]: ...

# Encoding models (crates/repscope-py/src/analyses.rs)
def split_half_reliability(
    repeats: list[np.ndarray], n_splits: int, seed: int
) -> tuple[list[float], list[float]]: ...

# Ridge encoding models (crates/repscope-py/src/encode.rs)
def kfold(n: int, k: int) -> list[tuple[list[int], list[int]]]: ...
def ridge_cv(
    x: np.ndarray,
    y: np.ndarray,
    alphas: list[float],
    splits: list[tuple[list[int], list[int]]],
    per_target: bool = True,
    fit_intercept: bool = True,
    score: str = "neg_mse",
    solver: str = "auto",
    target_batch: int | None = None,
) -> dict[str, Any]: ...
def ridge_fit(
    x: np.ndarray, y: np.ndarray, alphas: list[float], fit_intercept: bool = True, solver: str = "auto"
) -> tuple[np.ndarray, np.ndarray]: ...
def regression_scores(y: np.ndarray, predictions: np.ndarray, score: str) -> np.ndarray: ...
def feature_variance(
    features: np.ndarray,
    groups: list[int],
    reps: list[np.ndarray],
    splits: list[tuple[list[int], list[int]]],
    alpha: float = 1e-3,
) -> list[tuple[list[float], list[float], float]]: ...
def banded_ridge_cv(
    spaces: list[np.ndarray],
    y: np.ndarray,
    alphas: list[float],
    splits: list[tuple[list[int], list[int]]],
    gammas: np.ndarray | None = None,
    n_iter: int = 100,
    concentration: list[float] = ...,
    seed: int = 0,
    fit_intercept: bool = True,
    score: str = "neg_mse",
    solver: str = "auto",
) -> dict[str, Any]: ...
# Probes and concept depth (crates/repscope-py/src/probe.rs)
def logistic_fit(
    x: np.ndarray, y: list[int], n_classes: int, c: float, fit_intercept: bool, tol: float, max_iter: int
) -> tuple[np.ndarray, list[float], int, bool]: ...
def logistic_proba(x: np.ndarray, coef: np.ndarray, intercept: list[float], n_classes: int) -> np.ndarray: ...
def probe_scores(y_true: list[int], proba: np.ndarray) -> tuple[float, float, float]: ...
def probe_layers(
    names: list[str],
    layers: list[np.ndarray],
    labels: list[int],
    n_classes: int,
    cv: int,
    folds: Optional[list[tuple[list[int], list[int]]]],
    seed: int,
    control: bool,
    c: float,
    cs: list[float],
    inner_folds: int,
    standardize: bool,
    fit_intercept: bool,
    tol: float,
    max_iter: int,
) -> list[dict[str, Any]]: ...
def concept_depth_of(
    accuracy: list[float], fraction: float
) -> tuple[int, float, int, Optional[int], Optional[float]]: ...
def stratified_folds(labels: list[int], k: int, seed: int) -> list[int]: ...
# RSA over space and time (searchlight.rs)
def read_nifti_volume(path: str) -> tuple[np.ndarray, list[int], np.ndarray]: ...
def write_nifti_volume(path: str, data: np.ndarray, shape: list[int], affine: np.ndarray) -> None: ...
def searchlight_inputs(
    volumes: list[str], mask: str
) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int], np.ndarray]: ...
def searchlight_core(
    data: np.ndarray,
    mask: np.ndarray,
    shape: list[int],
    conditions: list[str],
    radius: float,
    method: str,
    folds: Optional[list[str]] = None,
    affine: Optional[np.ndarray] = None,
    min_voxels: int = 1,
    models: Optional[np.ndarray] = None,
    compare: str = "corr",
    noise: Optional[np.ndarray] = None,
    noise_method: str = "shrinkage_diag",
) -> tuple[np.ndarray, list[int]]: ...
def rdm_movie_core(
    data: np.ndarray,
    shape: list[int],
    method: str,
    window: int = 1,
    step: int = 1,
    conditions: Optional[list[str]] = None,
    folds: Optional[list[str]] = None,
    precision: Optional[np.ndarray] = None,
) -> np.ndarray: ...
def sign_flip(
    values: np.ndarray, n_perm: int = 1000, seed: int = 0, alternative: str = "greater"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
def cluster_test(
    values: np.ndarray, threshold: Optional[float], n_perm: int = 1000, seed: int = 0, alternative: str = "greater"
) -> tuple[np.ndarray, list[tuple[int, int, float, float]], np.ndarray]: ...
