"""The package as users get it: `pip install .` from the repository into a
fresh venv (nothing but numpy arrives with it), its typing, and the command
line reached from Python."""

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """A new venv with `pip install .` done. The wheel is built with the dev
    profile and the repository's target folder so that the suite reuses the
    extension already compiled; users get the release profile, the files in
    the wheel are the same."""
    where = tmp_path_factory.mktemp("fresh") / "venv"
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    env = dict(os.environ, MATURIN_PEP517_ARGS="--profile dev",
               CARGO_TARGET_DIR=str(ROOT / "target"))
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(ROOT)],
                   check=True, env=env, cwd=where.parent)
    return python


def run(python, *args):
    return subprocess.run([str(python), *args], check=True, capture_output=True, text=True).stdout


def test_pip_install_brings_only_numpy(fresh):
    code = ("import repscope as rs, numpy as np; "
            "print(rs.similarity(np.eye(6), 2 * np.eye(6) + 1))")
    assert float(run(fresh, "-c", code)) == pytest.approx(1.0, abs=1e-12)
    listed = json.loads(run(fresh, "-m", "pip", "list", "--format=json"))
    installed = {p["name"].lower() for p in listed} - {"pip", "setuptools", "wheel"}
    assert installed == {"numpy", "repscope"}


def test_the_wheel_carries_types_and_declares_extras(fresh):
    code = ("import importlib.metadata as m, pathlib, repscope; "
            "p = pathlib.Path(repscope.__file__).parent; "
            "print((p / 'py.typed').exists(), (p / '_repscope.pyi').exists()); "
            "print('|'.join(m.metadata('repscope').get_all('Requires-Dist')))")
    typed, requires = run(fresh, "-c", code).splitlines()
    assert typed == "True True"
    normalised = requires.replace(" ", "").replace('"', "'")
    assert "dask[distributed];extra=='dask'" in normalised
    assert "pandas;extra=='pandas'" in normalised


def test_python_dash_m_and_the_console_script_reach_the_cli(fresh, tmp_path):
    assert "Usage: repscope" in run(fresh, "-m", "repscope", "--help")
    listed = run(fresh.parent / "repscope", "measures")
    assert "linear_cka" in listed and "procrustes" in listed
    bad = subprocess.run([str(fresh), "-m", "repscope", "info", str(tmp_path / "missing.npz")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.startswith("error:")


def test_mypy_strict_accepts_a_user_script_and_the_package():
    targets = [ROOT / "crates/repscope-py/tests/typing/example.py",
               ROOT / "crates/repscope-py/python/repscope"]
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                          *map(str, targets)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
