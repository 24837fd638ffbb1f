"""rsatoolbox's typical workflows, unpatched and under `rs.patch_rsatoolbox()`,
in one process on the same seeded data: the time of each, the ratio, and
the largest difference between the two results.

1. The demo pipeline: calc_rdm per subject (correlation, conditions
   averaged over runs) -> compare with model RDMs -> pattern bootstrap
   evaluation with bootstrapped noise ceilings (N = 1000).
2. A crossnobis analysis with a noise precision: calc_rdm(crossnobis) is
   not patched (it goes to rsatoolbox), the comparison and the
   subject-and-pattern bootstrap are.
3. A searchlight: rsatoolbox.util.searchlight.get_searchlight_RDMs, whose
   calc_rdm per centre runs on repscope under the patch.
4. Finding the spheres of a brain-sized mask (get_volume_searchlight,
   14,000 voxels, radius 3).
5. The dual bootstrap (eval_dual_bootstrap) of fixed models: three
   bootstraps (subjects and conditions, subjects, conditions) per draw.

    .venv/bin/python bench/rsatoolbox_patch.py
"""

from __future__ import annotations

import time
import warnings

import numpy as np

import repscope as rs

warnings.filterwarnings("ignore")


def subjects_data(n_subjects: int, n_cond: int, n_runs: int, n_channels: int, seed: int):
    from rsatoolbox.data import Dataset

    rng = np.random.default_rng(seed)
    patterns = rng.normal(size=(n_cond, n_channels))
    out = []
    for s in range(n_subjects):
        x = np.concatenate([patterns + rng.normal(size=patterns.shape) for _ in range(n_runs)])
        out.append(Dataset(x, descriptors={"subject": s},
                           obs_descriptors={"cond": np.tile(np.arange(n_cond), n_runs),
                                            "run": np.repeat(np.arange(n_runs), n_cond)}))
    return out, patterns


def demo_pipeline():
    import rsatoolbox
    from rsatoolbox.model import ModelFixed

    data, patterns = subjects_data(20, 40, 4, 200, seed=0)
    rdms = rsatoolbox.rdm.calc_rdm(data, method="correlation", descriptor="cond")
    truth = rs.rdm(patterns, "correlation")
    rng = np.random.default_rng(1)
    models = [ModelFixed(f"m{i}", truth + s * rng.random(truth.size))
              for i, s in enumerate([0.0, 0.5, 1.0, 2.0, 4.0])]
    similarity = rsatoolbox.rdm.compare(models[0].rdm_obj, rdms, method="spearman")
    np.random.seed(0)
    result = rsatoolbox.inference.eval_bootstrap_pattern(models, rdms, method="corr", N=1000)
    return [rdms.get_vectors(), similarity, result.evaluations, result.noise_ceiling]


def crossnobis_analysis():
    import rsatoolbox
    from rsatoolbox.data.noise import prec_from_measurements
    from rsatoolbox.model import ModelFixed

    data, patterns = subjects_data(12, 24, 4, 60, seed=2)
    noise = [prec_from_measurements(d, obs_desc="cond", method="shrinkage_diag") for d in data]
    rdms = rsatoolbox.rdm.calc_rdm(data, method="crossnobis", descriptor="cond",
                                   cv_descriptor="run", noise=noise)
    truth = rs.rdm(patterns, "euclidean")
    models = [ModelFixed("truth", truth), ModelFixed("noise", np.random.default_rng(3).random(truth.size))]
    np.random.seed(1)
    result = rsatoolbox.inference.eval_bootstrap(models, rdms, method="cosine", N=500)
    return [rdms.get_vectors(), result.evaluations, result.noise_ceiling]


def dual_bootstrap():
    import rsatoolbox
    from rsatoolbox.model import ModelFixed

    data, patterns = subjects_data(12, 20, 2, 50, seed=5)
    rdms = rsatoolbox.rdm.calc_rdm(data, method="euclidean", descriptor="cond")
    truth = rs.rdm(patterns, "euclidean")
    rng = np.random.default_rng(6)
    models = [ModelFixed(f"m{i}", truth + s * rng.random(truth.size)) for i, s in enumerate([0.0, 5.0, 20.0])]
    np.random.seed(2)
    result = rsatoolbox.inference.eval_dual_bootstrap(models, rdms, method="corr", N=300)
    return [result.evaluations, result.noise_ceiling, result.variances, result.get_sem()]


def searchlight():
    from rsatoolbox.util.searchlight import get_searchlight_RDMs, get_volume_searchlight

    rng = np.random.default_rng(4)
    shape = (10, 10, 8)
    mask = np.ones(shape, dtype=bool)
    n_cond = 12
    volumes = rng.normal(size=(n_cond, *shape))
    centers, neighbors = get_volume_searchlight(mask, radius=2, threshold=0.5)
    flat = volumes.reshape(n_cond, -1)
    rdms = get_searchlight_RDMs(flat, centers, neighbors, np.arange(n_cond), method="correlation")
    return [rdms.get_vectors()]


def sphere_lists():
    from rsatoolbox.util.searchlight import get_volume_searchlight

    grid = np.indices((30, 36, 30)).astype(float)
    centre = np.array([14.5, 17.5, 14.5])[:, None, None, None]
    mask = (((grid - centre) / np.array([14, 17, 14])[:, None, None, None]) ** 2).sum(0) <= 1
    centres, neighbours = get_volume_searchlight(mask, radius=3, threshold=0.5)
    return [centres, np.concatenate(neighbours)]


def largest_difference(a: list, b: list) -> float:
    worst = 0.0
    for x, y in zip(a, b):
        x, y = np.asarray(x, float), np.asarray(y, float)
        ok = np.isfinite(x) & np.isfinite(y)
        assert (np.isfinite(x) == np.isfinite(y)).all()
        worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]), initial=0.0)))
    return worst


def main() -> None:
    for name, workflow in [("calc_rdm -> compare -> pattern bootstrap", demo_pipeline),
                           ("crossnobis with noise -> two-way bootstrap", crossnobis_analysis),
                           ("searchlight RDMs", searchlight),
                           ("searchlight spheres of a 14,000-voxel mask", sphere_lists),
                           ("dual bootstrap of fixed models", dual_bootstrap)]:
        start = time.perf_counter()
        plain = workflow()
        t_plain = time.perf_counter() - start
        with rs.patched_rsatoolbox():
            start = time.perf_counter()
            patched = workflow()
            t_patched = time.perf_counter() - start
        print(f"{name}: rsatoolbox {t_plain:.2f} s, patched {t_patched:.2f} s, "
              f"ratio {t_plain / t_patched:.1f}x, largest difference {largest_difference(plain, patched):.1e}")
    print("calls (repscope, rsatoolbox):", rs.patch_calls())


if __name__ == "__main__":
    main()
