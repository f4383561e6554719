"""The study's scores of the one pair Figure 11 shows: each decoded digit's confidence and norm.

Figure 11 decodes lerp and slerp between two prior draws of the z = 500 model; the page
prints under each digit the study classifier's confidence and the code's norm in units of
sqrt(p), and a sentence compares the middle of the pair with its endpoints. The study
scores them, not the figure: the classifier is the study's, so its scores are the study's
results, and no figure module imports it. One pair is one draw, so these numbers carry no
interval; the study's averages over many pairs are the measurement to go by.

:func:`pair_scores` is pure (lists in, dict out); :func:`decoded_confidences` runs the
classifier (torch).
"""

from __future__ import annotations

import math

import numpy as np

from latentspace.model.latent_paths import DecodedPath

METHODS = ("lerp", "slerp")


def middle_columns(count: int) -> list[int]:
    """The index of the middle column of ``count`` columns, or the two middle ones when ``count`` is even."""
    if count < 1:
        raise ValueError(f"count: expected at least one column, got {count}")
    return [count // 2] if count % 2 else [count // 2 - 1, count // 2]


def norm_ratios(path: DecodedPath) -> list[float]:
    """The norm of each code of ``path`` in units of sqrt(p)."""
    return (np.linalg.norm(path.latents, axis=1) / math.sqrt(path.latent_dim)).tolist()


def pair_scores(confidences: dict[str, list[float]], ratios: dict[str, list[float]], t: list[float]) -> dict:
    """Per method (lerp, slerp): the confidence and norm ratio of each digit; and the middle against the ends.

    ``lerp_middle_confidence`` is the mean confidence of the middle column(s) of the lerp
    row; ``endpoint_confidence_mean`` the mean over the first and last digit of both rows.
    """
    steps = len(t)
    for method in METHODS:
        for name, values in (("confidences", confidences[method]), ("norm ratios", ratios[method])):
            if len(values) != steps:
                raise ValueError(f"{method}: {len(values)} {name} for {steps} decoded digits")
    columns = middle_columns(steps)
    ends = [confidences[method][index] for method in METHODS for index in (0, -1)]
    scores = {"steps": steps, "t": list(t), "middle_columns": columns}
    for method in METHODS:
        scores[f"{method}_confidences"] = [float(value) for value in confidences[method]]
        scores[f"{method}_norm_ratios"] = [float(value) for value in ratios[method]]
        scores[f"{method}_middle_confidence"] = sum(confidences[method][c] for c in columns) / len(columns)
    scores["endpoint_confidence_mean"] = sum(ends) / len(ends)
    return scores


def decoded_confidences(classifier, path: DecodedPath) -> list[float]:
    """The classifier's confidence (largest class probability) on each decoded digit of ``path``."""
    from latentspace.files.datasets import images_to_vectors
    from latentspace.study.classifier import confidence_and_entropy, predict_probabilities

    device = next(classifier.parameters()).device
    confidence, _ = confidence_and_entropy(predict_probabilities(classifier, images_to_vectors(path.images).to(device)))
    return confidence.cpu().double().numpy().tolist()
