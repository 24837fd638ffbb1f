"""Fitting a weighted model for a rank comparison: rsatoolbox's
`fit_optimize_positive` (BFGS from random and one-hot starts) and
`rs.fit_weights` (Nelder-Mead from deterministic starts) on the same data
in one process: the time of each, the ratio, and the score each fit
reaches by rsatoolbox's own `compare` (higher is better).

    .venv/bin/python bench/rsatoolbox_fitting.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import repscope as rs

warnings.filterwarnings("ignore")


def problem(seed: int, n_cond: int, n_components: int, n_subjects: int):
    rng = np.random.default_rng(seed)
    components = np.stack([rs.rdm(rng.normal(size=(n_cond, 5)), "euclidean")
                           for _ in range(n_components)])
    truth = rng.random(n_components) @ components
    data = np.stack([truth * np.exp(0.3 * rng.normal(size=truth.size)) for _ in range(n_subjects)])
    return components, data


def main() -> None:
    from rsatoolbox.model import ModelWeighted
    from rsatoolbox.model.fitter import fit_optimize_positive
    from rsatoolbox.rdm import RDMs, compare

    for method in ("spearman", "tau-a"):
        components, data = problem(0, 30, 4, 8)
        model = ModelWeighted("w", components)
        np.random.seed(0)
        start = time.perf_counter()
        theirs = fit_optimize_positive(model, RDMs(data), method=method)
        t_theirs = time.perf_counter() - start
        start = time.perf_counter()
        ours = rs.fit_weights(components, data, method)
        t_ours = time.perf_counter() - start

        def score(theta: np.ndarray) -> float:
            return float(np.mean(compare(RDMs((theta @ components)[None, :]), RDMs(data), method)))

        print(f"{method} (30 conditions, 4 components, 8 subjects): rsatoolbox {t_theirs:.2f} s "
              f"(score {score(theirs):.6f}), repscope {t_ours:.3f} s (score {score(ours):.6f}), "
              f"ratio {t_theirs / t_ours:.1f}x")


if __name__ == "__main__":
    main()
