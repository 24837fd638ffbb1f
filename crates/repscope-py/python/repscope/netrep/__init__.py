"""netrep's API on repscope's core: move netrep code over by changing its
imports (``from netrep.metrics import LinearMetric`` becomes
``from repscope.netrep.metrics import LinearMetric``, ``netrep.multiset``
becomes ``repscope.netrep.multiset``).

Conventions follow netrep (Williams et al. 2021; Duong et al. 2023): the
same arguments, defaults, fitted attributes and return values; the
numbers come from repscope's core (`repscope::shape_space`), in parallel.
Where repscope differs it says so in the docstring (the Fréchet mean
always runs full-batch rounds; stochastic metrics start from the means'
alignment)."""

from . import metrics, multiset
from .metrics import (
    EnergyStochasticMetric,
    GaussianStochasticMetric,
    LinearCKA,
    LinearMetric,
    PermutationMetric,
)
from .multiset import cross_val_score, frechet_mean, pairwise_distances, procrustes_kmeans

__all__ = [
    "metrics", "multiset", "LinearMetric", "PermutationMetric", "LinearCKA",
    "GaussianStochasticMetric", "EnergyStochasticMetric", "pairwise_distances",
    "frechet_mean", "procrustes_kmeans", "cross_val_score",
]
