"""Where the training digits' codes lie, measured for the sentences of the page that speak of them.

The decoder of a VAE is trained on draws from the posteriors Q(z|x) of the training digits,
so "the codes the model was trained on" is a population that can be measured rather than
assumed to follow the prior. For one trained model of latent size p this module encodes the
training images and measures:

* the norms ||z|| / sqrt(p) of their posterior means and of one posterior draw per digit
  (quantiles, as ``latentspace.study.latent_norms`` gives them for the test digits);
* for a 2-D model, the share of those codes inside the square [-extent, extent]^2 that
  Figure 2 decodes, beside the prior's mass there, erf(extent / sqrt 2)^2;
* the distance, in units of sqrt(p), from the midpoint (t = 1/2) of lerp, slerp and the
  distribution-matched path to the nearest training posterior mean, for pairs of prior
  draws and pairs of encoded test digits, beside the distance of the pairs' endpoints and
  of every held-out test digit's own code (which the decoder has never seen either, and
  decodes as the digit it is).

The paths and the endpoints' draws are the study's (``latentspace.study.interpolation_quality``),
from this module's own stream of the seed, so the pairs are not those of the interpolation
study: the distances stand on their own.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from latentspace.model.decoding import encode_posteriors
from latentspace.model.vae import VAE
from latentspace.study.interpolation_quality import (
    INTERPOLATIONS,
    distinct_index_pairs,
    nearest_neighbour_distances,
    prior_pairs,
)
from latentspace.study.labels import METHODS, SOURCES
from latentspace.study.latent_norms import norm_ratio_quantiles

# Pairs per source whose midpoints are measured against the training codes.
NEAREST_CODE_PAIRS = 500
# The latent size of the plane whose square Figure 2 decodes.
PLANE_DIM = 2


def prior_mass_in_square(extent: float) -> float:
    """P(max(|z_1|, |z_2|) <= extent) for z ~ N(0, I_2): erf(extent / sqrt 2)^2."""
    return math.erf(extent / math.sqrt(2.0)) ** 2


def share_in_square(points: np.ndarray, extent: float) -> float:
    """Share of points (N, 2) with both coordinates within [-extent, extent]."""
    points = np.asarray(points)
    return float(np.mean(np.all(np.abs(points) <= extent, axis=1)))


def distance_summary(distances: np.ndarray, latent_dim: int) -> dict:
    """Quantiles and mean of distances (N,) in units of sqrt(p): {"q05": ..., "q50": ..., "mean": ...}."""
    return norm_ratio_quantiles(distances, latent_dim)


def nearest_code_distances(queries: np.ndarray, codes: torch.Tensor) -> np.ndarray:
    """Distance (Q,) from each query (Q, p) to its nearest row of codes (M, p), on the codes' device."""
    query_tensor = torch.from_numpy(np.ascontiguousarray(queries)).to(codes)
    return nearest_neighbour_distances(query_tensor, codes).cpu().double().numpy()


def midpoint_distances(
    train_means: np.ndarray, test_means: np.ndarray, pairs: int, rng: np.random.Generator, device: torch.device
) -> dict:
    """How far the midpoints of each path, and the endpoints, lie from the nearest training posterior mean.

    Returns {source: {"endpoints": summary, method: summary, ...}, "held_out": summary}, each
    summary a :func:`distance_summary` in units of sqrt(p); ``held_out`` is every test digit's
    own posterior mean.
    """
    latent_dim = train_means.shape[1]
    codes = torch.from_numpy(train_means).to(device)                            # (M, p)
    endpoints = {"prior": prior_pairs(latent_dim, pairs, rng)}
    indices = distinct_index_pairs(len(test_means), pairs, rng)                 # (P, 2)
    endpoints["encoded"] = (test_means[indices[:, 0]], test_means[indices[:, 1]])
    middle = np.array([0.5])
    result = {}
    for source in SOURCES:
        starts, ends = endpoints[source]                                        # (P, p) each
        queries = {"endpoints": np.concatenate([starts, ends])}                 # (2P, p)
        for method in METHODS:
            queries[method] = INTERPOLATIONS[method](starts, ends, middle)[:, 0]  # (P, p)
        result[source] = {name: distance_summary(nearest_code_distances(points, codes), latent_dim)
                          for name, points in queries.items()}
    result["held_out"] = distance_summary(nearest_code_distances(test_means, codes), latent_dim)
    return result


def training_code_statistics(
    model: VAE,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    seed: int,
    grid_extent: float | None,
    pairs: int = NEAREST_CODE_PAIRS,
) -> dict:
    """Where the training digits' codes lie: norms, the plane's square (2-D models), midpoint distances.

    ``train_x`` (N, 784) are the training images, ``test_x`` (N', 784) the test images;
    ``seed`` seeds every draw. Keys: train_size, norm_ratio_quantiles
    ({posterior_mean, posterior_draw}), grid_square (for a 2-D model with ``grid_extent``:
    extent, prior_share, posterior_mean_share, posterior_draw_share) and nearest_code_distance
    (:func:`midpoint_distances`).
    """
    latent_dim = model.config.latent_dim
    rng = np.random.default_rng([seed, latent_dim, 2])
    means, logvars = encode_posteriors(model, train_x)                          # (N, p) each
    test_means, _ = encode_posteriors(model, test_x)                            # (N', p)
    draws = means + np.exp(0.5 * logvars) * rng.standard_normal(means.shape)    # (N, p)
    statistics = {
        "train_size": len(means),
        "norm_ratio_quantiles": {
            "posterior_mean": norm_ratio_quantiles(np.linalg.norm(means, axis=1), latent_dim),
            "posterior_draw": norm_ratio_quantiles(np.linalg.norm(draws, axis=1), latent_dim),
        },
    }
    if latent_dim == PLANE_DIM and grid_extent is not None:
        statistics["grid_square"] = {
            "extent": grid_extent,
            "prior_share": prior_mass_in_square(grid_extent),
            "posterior_mean_share": share_in_square(means, grid_extent),
            "posterior_draw_share": share_in_square(draws, grid_extent),
        }
    statistics["nearest_code_distance"] = midpoint_distances(
        means, test_means, pairs, rng, next(model.parameters()).device
    )
    return statistics
