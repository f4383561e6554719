"""Names of the study's interpolation methods, endpoint sources and metrics, and their labels.

Kept apart from the computing modules so that the summary and the figures, which only
read tables, do not import torch.
"""

from __future__ import annotations

METHODS = ("lerp", "slerp", "distribution_matched")
SOURCES = ("prior", "encoded")
METRICS = (
    "latent_norm_ratio",
    "prior_log_density_nats",
    "classifier_confidence",
    "classifier_entropy_nats",
    "nearest_train_distance",
)
# The method the others are compared with, pair by pair.
BASELINE_METHOD = "lerp"
# The fourth path, the shortest one under the decoder's pulled-back metric (latentspace.model.geodesics):
# measured by its own step (study-geodesic), against the three flat ones above.
GEODESIC_METHOD = "geodesic"
ALL_METHODS = (*METHODS, GEODESIC_METHOD)
# What every path of every method is measured by as a whole, in the pulled-back metric
# (latentspace.model.pullback), beside the pointwise METRICS.
PATH_MEASURES = ("pullback_length", "pullback_energy")
# The metric they are measured in: the Fisher-Rao metric of the decoder's Bernoulli pixels.
PULLBACK_METRIC = "fisher_rao_bernoulli"

METHOD_LABELS = {"lerp": "lerp", "slerp": "slerp", "distribution_matched": "distribution-matched", "geodesic": "geodesic"}
SOURCE_LABELS = {"prior": "prior draws", "encoded": "encoded test digits"}
METRIC_LABELS = {
    "latent_norm_ratio": "\u2016z\u2016 / \u221ap",
    "prior_log_density_nats": "log N(z; 0, I) (nats)",
    "classifier_confidence": "classifier confidence",
    "classifier_entropy_nats": "classifier entropy (nats)",
    "nearest_train_distance": "distance to training set",
}
MEASURE_LABELS = {"pullback_length": "length (Fisher-Rao)", "pullback_energy": "energy (Fisher-Rao)"}
