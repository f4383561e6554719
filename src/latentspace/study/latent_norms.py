"""Where a trained VAE puts the test digits, against the shell where its prior's mass lies.

For z ~ N(0, I_p) the norm ||z|| concentrates around sqrt(p) (the chi distribution; see
``latentspace.model.geometry.chi_pdf``), which is the article's reason to interpolate on that
sphere. The posterior means of real digits need not lie there: a latent unit that the
encoder leaves (almost) unused has a posterior close to N(0, 1) whatever the digit, so
its mean stays near 0 while a draw from the posterior still adds unit-variance noise.
This module measures the norms of three populations against sqrt(p): prior draws,
posterior means of the test digits, and one posterior draw per test digit; and, through
``latentspace.training.loop.evaluate``, the KL per dimension and the active units of
Burda et al. (2015, arXiv:1509.00519, section 5.2): a unit is active when the variance
over the test set of its posterior mean exceeds 0.01.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from latentspace.model import geometry
from latentspace.model.decoding import encode_posteriors
from latentspace.model.vae import VAE
from latentspace.study.likelihood import estimate_log_likelihood
from latentspace.training.loop import ACTIVE_UNIT_THRESHOLD, evaluate

NORM_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
# The populations whose norms are compared with the shell, in the order figures show them.
NORM_POPULATIONS = ("prior_draw", "posterior_draw", "posterior_mean")
EVALUATION_BATCH_SIZE = 1024


def active_unit_count(posterior_mean_variance) -> int:
    """Units whose posterior mean varies over the data by more than ACTIVE_UNIT_THRESHOLD."""
    return int(np.count_nonzero(np.asarray(posterior_mean_variance) > ACTIVE_UNIT_THRESHOLD))


def norm_ratio_quantiles(norms: np.ndarray, latent_dim: int) -> dict:
    """Quantiles of ||z|| / sqrt(p) for norms (N,): {"q05": ..., "q50": ..., "mean": ...}."""
    ratios = np.asarray(norms) / math.sqrt(latent_dim)
    summary = {f"q{round(100 * q):02d}": float(value) for q, value in zip(NORM_QUANTILES, np.quantile(ratios, NORM_QUANTILES))}
    summary["mean"] = float(ratios.mean())
    return summary


def norm_populations(
    means: np.ndarray, logvars: np.ndarray, prior_draws: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Norms of prior draws (prior_draws,), of the posterior means (N,) and of one posterior draw per image (N,)."""
    latent_dim = means.shape[1]
    posterior_draws = means + np.exp(0.5 * logvars) * rng.standard_normal(means.shape)  # (N, D)
    return {
        "prior_draw": geometry.sample_norms(latent_dim, prior_draws, rng),
        "posterior_draw": np.linalg.norm(posterior_draws, axis=1),
        "posterior_mean": np.linalg.norm(means, axis=1),
    }


def model_statistics(model: VAE, test_x: torch.Tensor, iwae_samples: int, seed: int, prior_draws: int = 10_000) -> dict:
    """Everything the study reports about one trained model, measured on the test images (N, 784).

    Keys: latent_dim, the likelihood bounds (see LikelihoodEstimates.summary), kl_nats,
    kl_per_dim_nats (D), posterior_mean_variance (D), active_units, active_unit_threshold,
    shell_radius and norm_ratio_quantiles per population. ``seed`` seeds every draw.
    """
    latent_dim = model.config.latent_dim
    bounds = estimate_log_likelihood(model, test_x, iwae_samples, seed)
    per_dimension = evaluate(model, test_x, EVALUATION_BATCH_SIZE, seed + 1)
    means, logvars = encode_posteriors(model, test_x)
    norms = norm_populations(means, logvars, prior_draws, np.random.default_rng([seed, latent_dim]))
    return {
        "latent_dim": latent_dim,
        "test_size": len(test_x),
        **bounds.summary(),
        "kl_nats": per_dimension["kl"],
        "kl_per_dim_nats": per_dimension["kl_per_dim"],
        "posterior_mean_variance": per_dimension["posterior_mean_variance"],
        "active_units": active_unit_count(per_dimension["posterior_mean_variance"]),
        "active_unit_threshold": ACTIVE_UNIT_THRESHOLD,
        "shell_radius": math.sqrt(latent_dim),
        "norm_ratio_quantiles": {name: norm_ratio_quantiles(norms[name], latent_dim) for name in NORM_POPULATIONS},
    }
