"""How good are the points along an interpolation path? Measured over many random pairs.

For one trained model of latent size p, pairs of endpoints come from two sources:
``prior`` (two independent draws of N(0, I_p)) and ``encoded`` (the posterior means of two
distinct test digits). Each pair is joined by three paths, evaluated at t evenly spaced
in [0, 1]:

* ``lerp``: (1 - t) a + t b, the straight chord (``latentspace.model.geometry.lerp``);
* ``slerp``: the great-circle arc, norm linear in t (Shoemake 1985; White 2016,
  "Sampling generative networks", arXiv:1609.04468; ``latentspace.model.geometry.slerp``);
* ``distribution_matched``: lerp divided by sqrt(t^2 + (1 - t)^2), which keeps every
  point N(0, I_p) for independent N(0, I_p) endpoints (Agustsson, Sage, Timofte and
  Van Gool 2017, arXiv:1711.01970; ``latentspace.model.geometry.distribution_matched_lerp``).

Every point z is scored by the latent norm ||z|| / sqrt(p) (1 on the prior's shell), the
prior log-density log N(z; 0, I) in nats, and, once decoded, by the digit classifier's
confidence and entropy (``latentspace.study.classifier``) and by the Euclidean distance
in pixel space (intensities in [0, 1], 784 values) to the nearest training image.

Summaries per (source, method, metric): the mean over pairs at each t, the midpoint gap
(the value at t = 0.5 minus the mean of the two endpoints' values, per pair) and, for
slerp and the distribution-matched path, the paired difference to lerp at the midpoint;
each with a percentile bootstrap interval over pairs (Efron & Tibshirani, "An
Introduction to the Bootstrap", 1993, ch. 13). The paths are ``latentspace.model.geometry``'s,
which take all pairs at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from latentspace.model import geometry
from latentspace.model.decoding import decode_latents, encode_posteriors
from latentspace.errors import LatentspaceError
from latentspace.model.vae import VAE
from latentspace.study.classifier import DigitClassifier, confidence_and_entropy, predict_probabilities
from latentspace.settings.declared import InterpolationRun
from latentspace.study.labels import BASELINE_METHOD, METHODS, METRICS, SOURCES

# Latents decoded and scored at once; bounds the memory of a study of many pairs.
LATENTS_PER_CHUNK = 8192
# Query rows per distance matrix in nearest_neighbour_distances: (rows, M) floats at a time.
DISTANCE_ROWS_PER_CHUNK = 2048


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def path_fractions(steps: int) -> np.ndarray:
    """t (steps,) evenly spaced in [0, 1]; for odd ``steps`` the middle one is exactly 0.5."""
    fractions = np.linspace(0.0, 1.0, steps)
    if steps % 2 == 1:
        fractions[steps // 2] = 0.5
    return fractions


# The three paths, each taking all pairs at once: starts, ends (P, n), t (T,) -> points (P, T, n).
INTERPOLATIONS: dict[str, Callable[..., np.ndarray]] = {
    "lerp": geometry.lerp,
    "slerp": geometry.slerp,
    "distribution_matched": geometry.distribution_matched_lerp,
}


# --------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------


def prior_pairs(latent_dim: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``count`` pairs of independent N(0, I) draws: starts, ends (count, latent_dim)."""
    draws = rng.standard_normal((2, count, latent_dim))
    return draws[0], draws[1]


def distinct_index_pairs(population: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` pairs (count, 2) of indices below ``population``, the two of a pair distinct."""
    if population < 2:
        raise LatentspaceError(f"encoded pairs need at least 2 test images, got {population}")
    first = rng.integers(population, size=count)
    second = (first + rng.integers(1, population, size=count)) % population
    return np.stack([first, second], axis=1)


# --------------------------------------------------------------------------
# Scores of latent points and decoded images
# --------------------------------------------------------------------------


def nearest_neighbour_distances(
    queries: torch.Tensor, references: torch.Tensor, rows_per_chunk: int = DISTANCE_ROWS_PER_CHUNK
) -> torch.Tensor:
    """Euclidean distance (N,) from each row of queries (N, F) to its nearest row of references (M, F).

    ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b, one (rows, M) matrix product per chunk.
    """
    reference_sq = references.pow(2).sum(dim=1)                                 # (M,)
    nearest = []
    for start in range(0, len(queries), rows_per_chunk):
        chunk = queries[start : start + rows_per_chunk]                         # (R, F)
        squared = chunk.pow(2).sum(dim=1, keepdim=True) + reference_sq[None, :] - 2.0 * chunk @ references.T  # (R, M)
        nearest.append(squared.min(dim=1).values.clamp_min(0.0).sqrt())
    return torch.cat(nearest) if nearest else queries.new_empty(0)


def latent_scores(latents: np.ndarray) -> dict[str, np.ndarray]:
    """Norm ratio ||z|| / sqrt(p) and prior log-density (nats) of latents (S, p), each (S,)."""
    latent_dim = latents.shape[1]
    return {
        "latent_norm_ratio": np.linalg.norm(latents, axis=1) / math.sqrt(latent_dim),
        "prior_log_density_nats": geometry.prior_log_density(latents),
    }


@torch.no_grad()
def image_scores(images: torch.Tensor, classifier: DigitClassifier, train_x: torch.Tensor) -> dict[str, np.ndarray]:
    """Classifier confidence and entropy, and nearest-training-image distance of images (S, 784), each (S,)."""
    confidence, entropy = confidence_and_entropy(predict_probabilities(classifier, images))
    distance = nearest_neighbour_distances(images, train_x)
    return {
        "classifier_confidence": confidence.cpu().double().numpy(),
        "classifier_entropy_nats": entropy.cpu().double().numpy(),
        "nearest_train_distance": distance.cpu().double().numpy(),
    }


def score_latents(
    model: VAE, classifier: DigitClassifier, train_x: torch.Tensor, latents: np.ndarray
) -> dict[str, np.ndarray]:
    """Every metric of METRICS for latents (S, p): decoded, classified and compared in chunks."""
    scores: dict[str, list[np.ndarray]] = {metric: [] for metric in METRICS}
    for start in range(0, len(latents), LATENTS_PER_CHUNK):
        chunk = latents[start : start + LATENTS_PER_CHUNK]                      # (C, p)
        images = torch.from_numpy(decode_latents(model, chunk).reshape(len(chunk), -1)).to(train_x.device)  # (C, 784)
        for metric, values in {**latent_scores(chunk), **image_scores(images, classifier, train_x)}.items():
            scores[metric].append(values)
    return {metric: np.concatenate(parts) for metric, parts in scores.items()}


# --------------------------------------------------------------------------
# The measurement and its summaries
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class InterpolationMeasurements:
    """Per-pair scores: values[source, method, metric] is an array (pairs, len(t))."""

    latent_dim: int
    t: np.ndarray
    values: np.ndarray  # (len(SOURCES), len(METHODS), len(METRICS), pairs, len(t))


def study_endpoints(model: VAE, test_x: torch.Tensor, settings: InterpolationRun) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{source: (starts, ends)} of the study's pairs for one model, each (pairs, p), drawn from the seed.

    Every measurement of the pairs (the interpolations here, the geodesics of
    ``latentspace.study.geodesic_quality``) starts from these, so they all join the same codes.
    """
    latent_dim = model.config.latent_dim
    if latent_dim < 2:
        raise LatentspaceError(f"latent size {latent_dim}: slerp needs a latent space of at least 2 dimensions")
    rng = np.random.default_rng([settings.seed, latent_dim, 0])
    test_means, _ = encode_posteriors(model, test_x)                            # (N, p)
    pair_indices = distinct_index_pairs(len(test_means), settings.pairs, rng)   # (P, 2)
    return {
        "prior": prior_pairs(latent_dim, settings.pairs, rng),
        "encoded": (test_means[pair_indices[:, 0]], test_means[pair_indices[:, 1]]),
    }


def measure_interpolations(
    model: VAE,
    classifier: DigitClassifier,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    settings: InterpolationRun,
) -> InterpolationMeasurements:
    """Score every path of every pair for one model; images (N, 784) live on the model's device."""
    latent_dim = model.config.latent_dim
    fractions = path_fractions(settings.path_steps)                             # (T,)
    endpoints = study_endpoints(model, test_x, settings)
    paths = np.stack([
        np.stack([INTERPOLATIONS[method](*endpoints[source], fractions) for method in METHODS])
        for source in SOURCES
    ])                                                                          # (2, 3, P, T, p)
    scores = score_latents(model, classifier, train_x, paths.reshape(-1, latent_dim))
    values = np.stack([scores[metric].reshape(paths.shape[:-1]) for metric in METRICS], axis=2)  # (2, 3, Q, P, T)
    return InterpolationMeasurements(latent_dim, fractions, values)


def bootstrap_mean_interval(
    values: np.ndarray, resamples: int, confidence_level: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over rows of values (P, K) and its percentile bootstrap interval: three arrays (K,).

    Each resample draws P rows with replacement, all columns together (a paired
    bootstrap); the resampled means are one matrix product of the draw counts (B, P).
    """
    rows = len(values)
    counts = rng.multinomial(rows, np.full(rows, 1.0 / rows), size=resamples)  # (B, P)
    resampled_means = counts @ values / rows                                   # (B, K)
    tail = (1.0 - confidence_level) / 2.0
    low, high = np.quantile(resampled_means, [tail, 1.0 - tail], axis=0)
    return values.mean(axis=0), low, high


def summarise_measurements(
    measurements: InterpolationMeasurements, settings: InterpolationRun
) -> tuple[list[dict], list[dict]]:
    """Rows of the path table (mean and interval at every t) and of the midpoint table.

    Path rows: latent_dim, source, method, metric, t, mean, ci_low, ci_high.
    Midpoint rows: latent_dim, source, method, metric, endpoints_mean, midpoint_mean,
    gap_mean, gap_ci_low, gap_ci_high and, except for lerp itself, minus_lerp_mean,
    minus_lerp_ci_low, minus_lerp_ci_high (paired difference to lerp at t = 0.5).
    """
    rng = np.random.default_rng([settings.seed, measurements.latent_dim, 1])
    fractions, middle = measurements.t, len(measurements.t) // 2
    baseline = METHODS.index(BASELINE_METHOD)
    path_rows, midpoint_rows = [], []
    for source_index, source in enumerate(SOURCES):
        values = measurements.values[source_index]                              # (M, Q, P, T)
        endpoints = 0.5 * (values[..., 0] + values[..., -1])                    # (M, Q, P)
        gaps = values[..., middle] - endpoints                                  # (M, Q, P)
        versus_baseline = values[..., middle] - values[baseline, ..., middle]   # (M, Q, P)
        columns = [values.transpose(2, 0, 1, 3).reshape(values.shape[2], -1),   # (P, M Q T)
                   gaps.transpose(2, 0, 1).reshape(gaps.shape[2], -1),          # (P, M Q)
                   versus_baseline.transpose(2, 0, 1).reshape(gaps.shape[2], -1)]
        mean, low, high = bootstrap_mean_interval(
            np.concatenate(columns, axis=1), settings.bootstrap_resamples, settings.confidence_level, rng
        )
        path_size, gap_size = values[..., 0, :].size, gaps[..., 0].size
        path_stats = [part.reshape(values.shape[:2] + (len(fractions),)) for part in
                      (mean[:path_size], low[:path_size], high[:path_size])]
        gap_stats = [part[path_size : path_size + gap_size].reshape(gaps.shape[:2]) for part in (mean, low, high)]
        versus_stats = [part[path_size + gap_size :].reshape(gaps.shape[:2]) for part in (mean, low, high)]
        for method_index, method in enumerate(METHODS):
            for metric_index, metric in enumerate(METRICS):
                key = (method_index, metric_index)
                labels = {"latent_dim": measurements.latent_dim, "source": source, "method": method, "metric": metric}
                for step, t in enumerate(fractions):
                    path_rows.append({**labels, "t": float(t), **_interval(*(stat[key][step] for stat in path_stats))})
                gap = _interval(*(stat[key] for stat in gap_stats))
                row = {
                    **labels,
                    "endpoints_mean": float(endpoints[key].mean()),
                    "midpoint_mean": float(path_stats[0][key][middle]),
                    **{f"gap_{name}": value for name, value in gap.items()},
                }
                if method != BASELINE_METHOD:
                    versus = _interval(*(stat[key] for stat in versus_stats))
                    row.update({f"minus_lerp_{name}": value for name, value in versus.items()})
                midpoint_rows.append(row)
    return path_rows, midpoint_rows


def midpoint_pair_values(measurements: InterpolationMeasurements) -> dict[str, np.ndarray]:
    """Each pair's midpoint numbers, the per-pair terms of the midpoint table's means, and the scores behind them.

    ``gaps``: value at t = 0.5 minus the endpoints' mean; ``minus_lerp``: value at t = 0.5
    minus lerp's for the same pair (0 for lerp itself); ``midpoints``: the value at t = 0.5;
    each (sources, methods, metrics, pairs). ``ends`` (sources, metrics, pairs, 2): the values
    at t = 0 and 1 of lerp, which returns the pair's codes there exactly. Replicates of a latent
    size score the same pairs, so these line up pair by pair across them
    (``latentspace.study.across_replicates``); the geodesic study of the same model reads the
    scores rather than scoring the same points again (``latentspace.study.geodesic_quality``).
    """
    values, middle = measurements.values, len(measurements.t) // 2             # (S, M, Q, P, T)
    baseline = METHODS.index(BASELINE_METHOD)
    gaps = values[..., middle] - 0.5 * (values[..., 0] + values[..., -1])       # (S, M, Q, P)
    minus_lerp = values[..., middle] - values[:, baseline : baseline + 1, ..., middle]  # (S, M, Q, P)
    return {"gaps": gaps, "minus_lerp": minus_lerp, "midpoints": values[..., middle],
            "ends": values[:, baseline][..., [0, -1]]}


def _interval(mean, low, high) -> dict:
    return {"mean": float(mean), "ci_low": float(low), "ci_high": float(high)}
