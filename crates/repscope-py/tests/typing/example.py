"""A user script, type-checked by mypy --strict in the test suite: every
public name and signature it touches must be visible to the checker."""

from __future__ import annotations

import numpy as np

import repscope as rs
from repscope.distributed import pairwise as distributed_pairwise

rng = np.random.default_rng(0)
x = rng.normal(size=(50, 8))
y = rng.normal(size=(50, 6))

value: float = rs.similarity(x, y, measure="linear_cka")
result: rs.PairwiseResult = rs.pairwise({"x": x, "y": y}, measure="procrustes", alpha=0.5)
matrix: np.ndarray = result.values
names: list[str] = result.names_a
listed: list[dict[str, object]] = rs.measures()
rdm: np.ndarray = rs.rdm(x, "correlation")
compared: np.ndarray = rs.compare_rdms(np.stack([rdm, rdm]), rdm[None, :], "spearman")
reps: rs.RepSet = rs.load("data/minilm_corpus.safetensors")
try:
    rs.similarity(x, y[:10])
except rs.InputError as e:
    message: str = str(e)
fn = distributed_pairwise


def compose_tasks(base: str, tuned: list[str]) -> np.ndarray:
    report: rs.TaskVectorReport = rs.task_vectors(base, tuned, names=["math", "code"])
    rs.compose_task_vectors(base, tuned, {"enc.weight": [0.5, 0.3]}, "out.safetensors", default=0.4)
    rs.compose_task_vectors(base, tuned, [0.5, 0.3], "out.safetensors")
    relative: np.ndarray = report.relative_norms
    tensors: list[str] = report.blocks + report.copied
    return relative
