"""Linear probes and concept depth: how well a class label can be read out
of every layer, and at which layer it becomes readable.

The classifier is an L2 logistic regression with scikit-learn's objective
(C x sum of log-losses + ||w||^2 / 2, intercept unpenalised), fitted by
L-BFGS in the Rust core: softmax for 3 or more classes, and for 2 classes
the binomial model with one weight vector, as scikit-learn fits binary
problems. Folds, standardisation, metrics, the control task and the
definitions of concept depth are documented on :func:`probe`.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from . import _repscope
from ._arrays import aligned_f64
from ._arrays import matrix
from .encode import _splits
from ._estimator import Params
from .errors import InputError

__all__ = [
    "LogisticRegression",
    "ProbeResult",
    "ConceptDepth",
    "probe",
    "concept_depth",
    "probe_scores",
    "stratified_folds",
]


def _codes(labels: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct labels, code of every label), as numpy's unique."""
    y = np.asarray(labels)
    if y.ndim != 1:
        raise InputError(f"'{name}' must be 1-D (one label per stimulus), not of shape {y.shape}")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise InputError(f"'{name}' holds NaN or infinite labels (first at position {int(np.flatnonzero(~np.isfinite(y))[0])})")
    classes, codes = np.unique(y, return_inverse=True)
    return classes, codes.astype(np.int64)


class LogisticRegression(Params):
    """L2-regularised logistic regression (scikit-learn's
    ``LogisticRegression(penalty="l2", solver="lbfgs")`` objective), fitted
    to a gradient tolerance ``tol``.

    Attributes after :meth:`fit`: ``classes_``, ``coef_`` (outputs x
    features, one output for 2 classes as in scikit-learn), ``intercept_``,
    ``n_iter_``, ``converged_``.

    >>> import numpy as np, repscope as rs
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> clf = rs.LogisticRegression(C=10.0).fit(X, ["a", "a", "b", "b"])
    >>> clf.predict(np.array([[0.2], [2.8]])).tolist()
    ['a', 'b']
    """

    def __init__(
        self, C: float = 1.0, *, fit_intercept: bool = True, tol: float = 1e-4, max_iter: int = 1000
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> LogisticRegression:
        x = matrix(X, "X")
        self.classes_, codes = _codes(y, "y")
        model = _repscope.logistic_fit(
            x,
            codes.tolist(),
            len(self.classes_),
            float(self.C),
            bool(self.fit_intercept),
            float(self.tol),
            int(self.max_iter),
        )
        self._coef = np.asarray(model.coef)
        self.coef_ = self._coef.T.copy()
        self.intercept_ = np.asarray(model.intercept)
        self.n_iter_ = int(model.n_iter)
        self.converged_ = bool(model.converged)
        self.n_features_in_ = x.shape[1]
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, samples x classes (columns follow ``classes_``)."""
        return np.asarray(
            _repscope.logistic_proba(
                matrix(X, "X"), self._coef, self.intercept_.tolist(), len(self.classes_)
            )
        )

    def predict(self, X: Any) -> np.ndarray:
        labels: np.ndarray = self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        return labels

    def score(self, X: Any, y: Any) -> float:
        """Mean accuracy on (X, y), scikit-learn's classifier score."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    # scikit-learn's estimator type: GridSearchCV then stratifies its folds
    # and scores by accuracy.
    _estimator_type = "classifier"


def probe_scores(y_true: Any, proba: Any) -> tuple[float, float, float]:
    """(accuracy, macro-F1, ROC-AUC) of class probabilities (samples x
    classes, columns in sorted class order) against integer class codes
    0..classes-1; see :func:`probe` for the definitions."""
    y = np.asarray(y_true)
    if y.ndim != 1 or (y.size and (y.dtype.kind not in "iu" or y.min() < 0)):
        raise InputError("y_true must be a 1-D array of class codes 0, 1, ...")
    p = matrix(proba, "proba")
    if not np.isfinite(p).all():
        raise InputError("proba holds NaN or infinite values; give class probabilities in [0, 1]")
    return _repscope.probe_scores(y.astype(np.int64).tolist(), p)


def stratified_folds(labels: Any, k: int = 5, seed: int = 0) -> np.ndarray:
    """repscope's seeded stratified split: the fold (0..k-1) of every item.
    Each class's members are shuffled (seeded ChaCha), the classes laid end
    to end in sorted order, and the j-th item goes to fold j mod k, so every
    class is spread over the folds with counts differing by at most one."""
    _, codes = _codes(labels, "labels")
    return np.asarray(_repscope.stratified_folds(codes.tolist(), int(k), int(seed)))


#: Where a concept becomes decodable along the layers (see
#: :func:`concept_depth`): ``best_layer``, ``best_accuracy``,
#: ``threshold_layer``, ``jump_layer`` (None when accuracy never rises),
#: ``jump``, ``fraction``. Layers are indices into the probed order.
ConceptDepth = _repscope.ConceptDepth


def concept_depth(accuracy: Any, fraction: float = 0.9) -> ConceptDepth:
    """Concept depth of a per-layer accuracy curve (Jin et al. 2024,
    *Exploring Concept Depth*): ``threshold_layer`` is the first layer
    whose accuracy reaches ``fraction`` x the best accuracy; ``jump_layer``
    is the layer with the largest rise over the previous layer (first on
    ties; None when accuracy never rises)."""
    a = aligned_f64(accuracy, "accuracy")
    if a.ndim != 1:
        raise InputError(f"accuracy must be 1-D (one value per layer), got shape {a.shape}")
    return _repscope.concept_depth_of([float(v) for v in a], float(fraction))


@dataclass(frozen=True)
class ProbeResult:
    """Per-layer probe scores (means over the test folds) and the per-fold
    values they average (layers x folds). ``control_*`` and
    ``selectivity`` are None without ``control=True``."""

    layers: list[str]
    classes: np.ndarray
    accuracy: np.ndarray
    f1_macro: np.ndarray
    roc_auc: np.ndarray
    fold_accuracy: np.ndarray
    fold_f1_macro: np.ndarray
    fold_roc_auc: np.ndarray
    fold_C: np.ndarray
    converged: np.ndarray
    control_accuracy: Optional[np.ndarray]
    control_f1_macro: Optional[np.ndarray]
    selectivity: Optional[np.ndarray]
    depth: ConceptDepth
    #: Accuracy of always answering the most frequent class.
    chance: float = float("nan")
    #: Stimuli probed.
    n_stimuli: int = 0

    def _chart_json(self) -> str:
        """The concept-depth chart (as ``repscope probe --plot`` draws it)."""
        return str(_repscope.probe_depth_chart(
            list(self.layers), np.asarray(self.fold_accuracy, dtype=np.float64).tolist(),
            np.asarray(self.accuracy, dtype=np.float64).tolist(),
            None if self.control_accuracy is None
            else np.asarray(self.control_accuracy, dtype=np.float64).tolist(),
            float(self.chance), len(self.classes), int(self.n_stimuli), self.depth,
        ))

    def plot(self, path: Any) -> None:
        """Draws the concept-depth curve (``.png`` or ``.svg``): accuracy per
        layer with the fold range, the control task and chance."""
        _repscope.write_chart(self._chart_json(), os.fspath(path))

    def _repr_html_(self) -> str:
        from .report import _section_html

        return _section_html(self)

    def to_pandas(self) -> Any:
        """One row per layer; needs pandas, returns a ``pandas.DataFrame``."""
        try:
            # importlib: pandas ships no type information (pandas-stubs is optional).
            pd = importlib.import_module("pandas")
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("ProbeResult.to_pandas needs pandas: pip install pandas") from e
        table: dict[str, Any] = {
            "layer": self.layers,
            "accuracy": self.accuracy,
            "f1_macro": self.f1_macro,
            "roc_auc": self.roc_auc,
        }
        if self.selectivity is not None:
            table["control_accuracy"] = self.control_accuracy
            table["selectivity"] = self.selectivity
        return pd.DataFrame(table)


def _folds(cv: Any, codes: np.ndarray) -> tuple[int, Optional[list[tuple[list[int], list[int]]]]]:
    """An int K (our seeded stratified folds), a fold id per stimulus, a
    scikit-learn splitter (given the labels) or (train, test) pairs."""
    n = len(codes)
    if isinstance(cv, (int, np.integer)) and not isinstance(cv, bool):
        return int(cv), None
    if isinstance(cv, np.ndarray) and cv.ndim == 1 and cv.dtype.kind in "iu":
        if cv.shape[0] != n:
            raise InputError(f"cv holds {cv.shape[0]} fold ids but there are {n} stimuli")
        pairs = _repscope.folds_from_ids([int(f) for f in cv])
        return len(pairs), pairs
    pairs = _splits(cv, np.zeros((n, 1)), codes)
    return len(pairs), pairs


def probe(
    reps: Any,
    labels: Any,
    cv: Any = 5,
    seed: int = 0,
    control: bool = False,
    *,
    C: float = 1.0,
    Cs: Optional[Sequence[float]] = None,
    inner_cv: int = 3,
    standardize: bool = True,
    fit_intercept: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
    depth_fraction: float = 0.9,
) -> ProbeResult:
    """Cross-validated logistic-regression probe of every layer, layers and
    folds in parallel.

    Parameters
    ----------
    reps : RepSet, dict name -> array, list of arrays, or one array
        Layers in order (stimuli x units each, same stimuli).
    labels : array, one class label per stimulus (any sortable type)
    cv : int, fold ids or (train, test) pairs
        An int K: repscope's seeded stratified K-fold split
        (:func:`stratified_folds`; every class needs at least K members).
        A 1-D integer array: the fold id of every stimulus. Otherwise an
        iterable of (train indices, test indices), e.g. from scikit-learn's
        ``StratifiedKFold(...).split(X, y)``.
    seed : seed of the folds and of the control permutation
    control : also probe a control task: the labels permuted once (seeded;
        class sizes kept) and probed the same way. Stimuli are not word
        types, so this is a label permutation, not Hewitt & Liang's
        per-type assignment. ``selectivity`` = task - control accuracy.
    C : inverse regularisation strength (scikit-learn's C)
    Cs : candidate Cs; for each outer training fold the one with the best
        mean accuracy over ``inner_cv`` stratified inner folds is refitted
        (ties: the smallest C)
    standardize : centre and scale each feature with the training fold's
        mean and standard deviation (``StandardScaler`` then
        ``LogisticRegression``, what a scikit-learn user pipelines);
        constant features are only centred.
    tol, max_iter : L-BFGS gradient tolerance and iteration limit
    depth_fraction : the fraction of the best accuracy that defines the
        concept-depth threshold layer

    Metrics per test fold, averaged over folds: accuracy; macro-F1 over the
    classes present in the fold's truth or predictions (scikit-learn
    ``f1_score(average="macro")``); ROC-AUC of P(class 1) for 2 classes,
    else the one-vs-rest macro AUC (``roc_auc_score(multi_class="ovr")``;
    NaN when a class is absent from a test fold).

    >>> import numpy as np, repscope as rs
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> reps = {"early": rng.normal(size=(100, 5)), "late": rng.normal(size=(100, 5)) + 3 * y[:, None]}
    >>> r = rs.probe(reps, y, cv=5)
    >>> bool(r.accuracy[1] > 0.8), r.depth.threshold_layer
    (True, 1)
    """
    if isinstance(reps, np.ndarray):
        names, arrays = ["0"], [matrix(reps, "reps")]
    elif isinstance(reps, Mapping):
        names = [str(k) for k in reps.keys()]
        arrays = [matrix(v, n) for n, v in zip(names, reps.values())]
    else:
        arrays = [matrix(v, str(i)) for i, v in enumerate(reps)]
        names = [str(i) for i in range(len(arrays))]
    classes, codes = _codes(labels, "labels")
    k, folds = _folds(cv, codes)
    cs = [float(c) for c in Cs] if Cs is not None else []
    out = _repscope.probe_layers(
        names,
        arrays,
        codes.tolist(),
        len(classes),
        k,
        folds,
        int(seed),
        bool(control),
        float(C),
        cs,
        int(inner_cv),
        bool(standardize),
        bool(fit_intercept),
        float(tol),
        int(max_iter),
    )

    converged = np.asarray(out.converged, dtype=bool).reshape(len(names), -1)
    if not converged.all():
        bad = [names[i] for i in np.flatnonzero(~converged.all(axis=1))]
        warnings.warn(
            f"the logistic regression did not reach tol={tol} within max_iter={max_iter} "
            f"in some folds of {', '.join(bad)}; raise max_iter (see ProbeResult.converged)",
            RuntimeWarning,
            stacklevel=2,
        )
    means = out.means
    control_acc = control_f1 = selectivity = None
    if control:
        control_means = out.control_means
        assert control_means is not None  # the core probed the controls
        control_acc, control_f1 = control_means[:, 0], control_means[:, 1]
        selectivity = out.selectivity
    return ProbeResult(
        layers=names,
        classes=classes,
        accuracy=means[:, 0],
        f1_macro=means[:, 1],
        roc_auc=means[:, 2],
        fold_accuracy=out.fold_accuracy,
        fold_f1_macro=out.fold_f1_macro,
        fold_roc_auc=out.fold_roc_auc,
        fold_C=out.fold_c,
        converged=converged,
        control_accuracy=control_acc,
        control_f1_macro=control_f1,
        selectivity=selectivity,
        depth=out.depth(float(depth_fraction)),
        chance=float(np.bincount(codes).max() / len(codes)),
        n_stimuli=len(codes),
    )
