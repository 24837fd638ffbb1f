"""RSA side by side: repscope against rsatoolbox on the same inputs, in one
process (run through bench/run, which builds the release extension).

1. correlation RDM of 1000 conditions x 4096 channels (calc_rdm);
2. 200 model RDMs x 1 data RDM over 92 conditions, spearman and tau-a (compare);
3. bootstrap over conditions: 10 models x 20 subjects, 92 conditions,
   1000 samples, corr (eval_bootstrap_pattern).

Prints one JSON line per comparison with both times and the ratio.
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
from rsatoolbox.data import Dataset
from rsatoolbox.inference import eval_bootstrap_pattern
from rsatoolbox.model import ModelFixed
from rsatoolbox.rdm import RDMs, calc_rdm, compare

import repscope as rs
from _timing import timed

warnings.filterwarnings("ignore")


def report(name, t_rs, t_peer, agreement, **extra):
    print(json.dumps({"bench": name, "repscope_s": round(t_rs, 4), "rsatoolbox_s": round(t_peer, 4),
                      "ratio": round(t_peer / t_rs, 1), "max_abs_difference": agreement, **extra}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--boot-samples", type=int, default=1000)
    p.add_argument("--only", default="rdm,compare,bootstrap")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    which = args.only.split(",")

    if "rdm" in which:
        x = rng.standard_normal((1000, 4096))
        t_rs, ours = timed(lambda: rs.rdm(x, "correlation"), 3)
        t_peer, theirs = timed(lambda: calc_rdm(Dataset(x), method="correlation").get_vectors()[0], 3)
        report("correlation RDM 1000 x 4096", t_rs, t_peer, float(np.max(np.abs(ours - theirs))))

    if "compare" in which:
        m = 92 * 91 // 2
        models = rng.random((200, m))
        data = rng.random((1, m))
        for method, theirs_name in [("spearman", "spearman"), ("kendall_a", "tau-a")]:
            t_rs, ours = timed(lambda: rs.compare_rdms(models, data, method), 10)
            t_peer, theirs = timed(lambda: compare(RDMs(models), RDMs(data), method=theirs_name), 10)
            report(f"compare 200 x 1 RDMs, 92 conditions, {method}", t_rs, t_peer,
                   float(np.max(np.abs(ours - theirs))))

    if "bootstrap" in which:
        n_cond, n_subj, n = 92, 20, args.boot_samples
        m = n_cond * (n_cond - 1) // 2
        truth = rng.random(m)
        models = np.stack([truth * w + rng.random(m) * (1 - w) for w in np.linspace(0, 1, 10)])
        subjects = truth + 0.5 * rng.standard_normal((n_subj, m))
        t_rs, ours = timed(lambda: rs.rsa_bootstrap(models, subjects, "corr", n=n, over="patterns", seed=0))
        fixed = [ModelFixed(f"m{i}", v) for i, v in enumerate(models)]
        t_peer, theirs = timed(lambda: eval_bootstrap_pattern(fixed, RDMs(subjects), method="corr", N=n))
        report(f"bootstrap over conditions, 10 models x 20 subjects, 92 conditions, {n} samples",
               t_rs, t_peer, float(np.max(np.abs(ours.mean - theirs.get_means()))),
               note="different random draws: the means agree only statistically")


if __name__ == "__main__":
    main()
