"""The package's contract with its users, across the front doors: one map
of the house (core module = binding file = Python module), one name per
idea (old spellings warn and give the same numbers), errors that are all
``repscope.Error`` with their values as attributes, the scikit-learn
estimator protocol, Ctrl-C, and the stub that matches the extension."""

import inspect
import json
import os
import signal
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import repscope as rs
from repscope import _repscope

ROOT = Path(__file__).resolve().parents[3]
CORE = ROOT / "crates/repscope/src"
# The figures and the report live in the plot crate, beside the core.
PLOT = ROOT / "crates/repscope-plot/src"
BINDING = ROOT / "crates/repscope-py/src"
PACKAGE = ROOT / "crates/repscope-py/python/repscope"
RNG = np.random.default_rng(7)

# Binding files that are plumbing, not a core module's face.
PLUMBING = {"lib", "convert", "errors", "results"}


def module_paths(root: Path, suffix: str) -> set[str]:
    """Dotted module names under root: a/b.rs or a/b/mod.rs -> "a.b"."""
    out = set()
    for path in root.rglob(f"*{suffix}"):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] in ("mod", "__init__"):
            parts = parts[:-1]
        if parts and not parts[-1].startswith("_"):
            out.add(".".join(parts))
    return out


def test_every_binding_file_is_a_core_module_and_a_python_module():
    core = module_paths(CORE, ".rs") | module_paths(PLOT, ".rs")
    binding = module_paths(BINDING, ".rs") - PLUMBING
    python = module_paths(PACKAGE, ".py")
    assert binding, "no binding files found"
    for name in sorted(binding):
        assert name in core, f"binding {name}.rs has no core module repscope::{name}"
        top = name.split(".")[0]
        # Python mirrors the binding's top level (compress.binary and
        # compress.pq are one Python module, compress).
        assert top in python, f"binding {name}.rs has no Python module repscope.{top}"


def test_every_public_name_is_exported_once_from_its_own_module():
    seen = {}
    for module in rs._SUBMODULES:
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.__all__ lists missing {name}"
            assert name not in seen, f"{name} is exported by {seen.get(name)} and {module.__name__}"
            seen[name] = module.__name__
    assert set(rs.__all__) == set(seen)


def test_result_classes_come_from_the_core_not_from_python_copies():
    for cls in (rs.PairwiseResult, rs.RSAResult, rs.Matching, rs.SparsePrediction,
                rs.SpectralGroups, rs.Reliability, rs.ConceptDepth, rs.GraphEnergy, rs.PCA,
                rs.LinearMap, rs.Alignment, rs.TaskVectorReport):
        assert cls.__module__.startswith("repscope."), cls
        assert getattr(_repscope, cls.__name__) is cls


# --- the stub ---------------------------------------------------------------

def stub_names() -> dict[str, list[str]]:
    """Top-level functions and classes of _repscope.pyi with their parameter names."""
    import ast

    tree = ast.parse((PACKAGE / "_repscope.pyi").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            args = node.args
            out[node.name] = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        elif isinstance(node, ast.ClassDef):
            out[node.name] = []
    return out


def test_the_stub_lists_exactly_what_the_extension_has_with_the_same_parameters():
    stub = stub_names()
    real = {n for n in dir(_repscope) if not n.startswith("_")}
    assert set(stub) == real, (sorted(set(stub) - real), sorted(real - set(stub)))
    for name, params in stub.items():
        obj = getattr(_repscope, name)
        if inspect.isclass(obj):
            continue
        signature = obj.__text_signature__
        assert signature, name
        actual = [p.strip().split("=")[0].strip() for p in signature.strip("()").split(",")]
        actual = [p for p in actual if p and p not in ("$module", "/", "*")]
        assert params == actual, (name, params, actual)


# --- errors -------------------------------------------------------------------

def bad_calls():
    x = RNG.normal(size=(10, 3))
    return [
        ("mismatched stimuli", lambda: rs.similarity(x, x[:9])),
        ("unknown measure", lambda: rs.similarity(x, x, measure="nope")),
        ("unknown comparison", lambda: rs.compare_rdms(rs.rdm(x), rs.rdm(x), "nope")),
        ("unknown rdm method", lambda: rs.rdm(x, "nope")),
        ("a string for an array", lambda: rs.similarity("abc", x)),
        ("a string for a count", lambda: rs.pairwise([x, x], n_boot="many")),
        ("a 1-D array", lambda: rs.similarity(x[:, 0], x)),
        ("NaN", lambda: rs.similarity(np.full((10, 3), np.nan), x)),
        ("missing file", lambda: rs.load("/no/such/file.npz")),
        ("unknown matching method", lambda: rs.match_units(x, x, "nope")),
        ("unknown sdr size", lambda: rs.sdr_encode(x, k=-1)),
        ("wrong alternative", lambda: rs.sign_flip_test(x, alternative="sideways")),
        ("unknown score", lambda: rs.RidgeCV(scoring="nope").fit(x, x)),
        ("unknown map", lambda: rs.fit_map(x, x, "nope")),
        ("unknown PQ metric", lambda: rs.ProductQuantizer(M=1, nbits=1).fit(x).search(x, rs.ProductQuantizer(M=1, nbits=1).fit(x).encode(x), metric="nope")),
    ]


@pytest.mark.parametrize("what,call", bad_calls(), ids=[w for w, _ in bad_calls()])
def test_every_bad_input_is_a_repscope_error(what, call):
    with pytest.raises(rs.Error) as info:
        call()
    assert str(info.value), what


def test_errors_carry_their_values():
    x = RNG.normal(size=(10, 3))
    with pytest.raises(rs.StimulusMismatchError) as info:
        rs.similarity(x, x[:7])
    e = info.value
    assert isinstance(e, rs.InputError) and isinstance(e, ValueError)
    assert (e.kind, e.a_rows, e.b_rows) == ("StimulusMismatch", 10, 7)
    with pytest.raises(rs.UnknownChoiceError) as info:
        rs.compare_rdms(rs.rdm(x), rs.rdm(x), "pearsn")
    assert "corr" in info.value.known and info.value.given == "pearsn"
    assert "corr" in str(info.value)  # the message names the known options


# --- one name per idea ----------------------------------------------------------

def test_old_spellings_warn_and_agree():
    x = RNG.normal(size=(30, 4))
    data = [rs.rdm(x + RNG.normal(size=x.shape), "euclidean") for _ in range(4)]
    models = [rs.rdm(x, "euclidean")]
    new = rs.rsa_bootstrap(models, data, compare="corr", n_boot=20, seed=1)
    with pytest.warns(DeprecationWarning, match="n_boot"):
        old = rs.rsa_bootstrap(models, data, method="corr", n=20, seed=1)
    assert np.array_equal(new.mean, old.mean)
    with pytest.warns(DeprecationWarning, match="n_permutations") as record:
        a = rs.pairwise([x, 2 * x], permutations=9, seed=2)
    assert record[0].filename == __file__  # the warning points at the user's line
    b = rs.pairwise([x, 2 * x], n_permutations=9, seed=2)
    assert np.array_equal(a.p_values, b.p_values)
    with pytest.warns(DeprecationWarning, match="n_permutations"):
        rs.sign_flip_test(RNG.normal(size=(6, 3)), n_perm=9)
    with pytest.warns(DeprecationWarning, match="compare"):
        rs.compare_rdms(data[0], data[1], method="spearman")
    with pytest.warns(DeprecationWarning, match="scoring"):
        model = rs.RidgeCV(score="r2")
    assert model.scoring == "r2"
    with pytest.raises(rs.InputError, match="both"):
        rs.pairwise([x], permutations=3, n_permutations=3)


def test_old_module_names_warn_and_reexport():
    import importlib
    import sys

    for old, new, name in (("matching", "units", "match_units"), ("codes", "compress", "quantize_binary")):
        sys.modules.pop(f"repscope.{old}", None)
        with pytest.warns(DeprecationWarning, match=new):
            module = importlib.import_module(f"repscope.{old}")
        assert getattr(module, name) is getattr(importlib.import_module(f"repscope.{new}"), name)


def test_ridge_defaults_are_the_clis(tmp_path, run_cli):
    assert rs.RidgeCV().scoring == "r2"
    alphas = rs.default_alphas()
    assert len(alphas) == 15 and alphas[0] == pytest.approx(1e-2) and alphas[-1] == pytest.approx(1e5)
    help_text = run_cli("encode", "--help", check=0).stdout
    assert "[default: r2]" in help_text


def test_cli_json_keeps_a_name_that_looks_like_a_number(tmp_path, run_cli):
    x = RNG.normal(size=(20, 4))
    rs.save(tmp_path / "reps.npz", [x, 2 * x + RNG.normal(size=x.shape)])  # named "0", "1"
    out = run_cli("similarity", tmp_path / "reps.npz", "--json", check=0).stdout
    table = json.loads(out)
    assert table["rows"] == ["0", "1"] and table["cols"] == ["0", "1"]
    assert table["values"][0][0] == pytest.approx(1.0)


# --- scikit-learn ---------------------------------------------------------------

def test_estimators_follow_the_scikit_learn_contract():
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    for est in (rs.RidgeCV(alphas=[1.0, 10.0], cv=3), rs.BandedRidgeCV(n_iter=3),
                rs.LogisticRegression(C=2.0), rs.ProductQuantizer(M=2, nbits=2)):
        params = est.get_params()
        again = clone(est)
        assert again.get_params() == params and again is not est
        first = next(iter(params))
        assert est.set_params(**{first: params[first]}) is est
    with pytest.raises(rs.InputError, match="no parameter"):
        rs.RidgeCV().set_params(nope=1)

    x = RNG.normal(size=(80, 5))
    y = (x[:, 0] + 0.3 * RNG.normal(size=80) > 0).astype(int)
    search = GridSearchCV(rs.LogisticRegression(), {"C": [0.01, 1.0]}, cv=3).fit(x, y)
    assert search.best_params_["C"] in (0.01, 1.0) and 0.5 < search.best_score_ <= 1.0
    direct = rs.LogisticRegression(C=search.best_params_["C"]).fit(x, y)
    assert np.array_equal(search.best_estimator_.predict_proba(x), direct.predict_proba(x))

    targets = x @ RNG.normal(size=(5, 2)) + 0.1 * RNG.normal(size=(80, 2))
    model = rs.RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3)
    assert np.array_equal(clone(model).fit(x, targets).coef_, model.fit(x, targets).coef_)
    pipe = make_pipeline(StandardScaler(), rs.RidgeCV(alphas=[0.1, 1.0], cv=3)).fit(x, targets)
    scaled = StandardScaler().fit_transform(x)
    alone = rs.RidgeCV(alphas=[0.1, 1.0], cv=3).fit(scaled, targets)
    assert np.array_equal(pipe.predict(x), alone.predict(scaled))
    scores = cross_val_score(make_pipeline(StandardScaler(), rs.RidgeCV(alphas=[0.1, 1.0], cv=3)),
                             x, targets, cv=3, scoring="r2")
    assert scores.shape == (3,) and (scores > 0.9).all()


# --- Ctrl-C ---------------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery")
def test_ctrl_c_stops_a_long_computation_quickly():
    reps = [RNG.normal(size=(600, 200)) for _ in range(12)]
    sent = {}

    def press_ctrl_c():
        time.sleep(0.5)
        sent["at"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        rs.pairwise(reps, n_permutations=20000, progress=False)
    assert "at" in sent, "the computation finished before Ctrl-C"
    assert time.perf_counter() - sent["at"] < 2.0
    # and the core is usable again afterwards
    assert rs.similarity(reps[0], reps[0]) == pytest.approx(1.0)


def test_the_stub_is_generated_from_the_binding_sources():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "scripts/gen-stub"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
