"""The test ELBO and an importance-weighted estimate of the test log-likelihood of a VAE.

Reference: Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted Autoencoders"
(2015, arXiv:1509.00519), eq. (8) and Theorem 1. With k draws z_1..z_k of Q(z|x),

    L_k(x) = log (1/k) sum_i w_i,    w_i = p(x|z_i) P(z_i) / Q(z_i|x),

is a lower bound of log p(x) in expectation; E[L_1] is the ELBO, E[L_k] grows with k
and tends to log p(x). The mean is taken in log space (logsumexp), and the k draws of a
chunk of images go through the decoder in one batch of (B k) latents: no per-image pass.

The ELBO is reported from the same draws with the KL term in closed form, as the
training loss has it (``latentspace.model.vae.loss_terms``):
ELBO(x) = mean_i log p(x|z_i) - KL(Q(z|x) || P(z)). Log-likelihoods are in nats per image
under the model's Bernoulli decoder with grey-level targets, as in training.

The training's own evaluation of the test ELBO (``latentspace.training.loop.evaluate``)
draws one z per image. Both estimate the same mean; the one-draw estimate carries a
sampling error whose standard deviation, given the images, is
sqrt(mean_x Var_z[log p(x|z)] / N), which the k draws per image here estimate
(``elbo_one_draw_standard_error_nats``): the yardstick for the difference between the two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch.distributions import Normal

from latentspace.model.vae import VAE, bernoulli_nll, gaussian_kl_per_dim

# Latents per decoder batch: B images x k draws stay below this many rows.
DEFAULT_ROWS_PER_BATCH = 8192


@dataclass(frozen=True)
class LikelihoodEstimates:
    """Per-image bounds (N,) in nats, from ``samples_per_image`` draws of Q(z|x) each."""

    elbo_nats: np.ndarray
    iwae_nats: np.ndarray
    samples_per_image: int
    # Per image, the variance over its draws of log p(x|z) (N,); 0 with one draw.
    log_likelihood_draw_variance: np.ndarray | None = None

    def summary(self) -> dict:
        """Means over the images, the standard error of the IWAE mean and that of a one-draw ELBO."""
        count = len(self.iwae_nats)
        spread = float(self.iwae_nats.std(ddof=1)) if count > 1 else 0.0
        summary = {
            "test_elbo_nats": float(self.elbo_nats.mean()),
            "test_iwae_nats": float(self.iwae_nats.mean()),
            "test_iwae_standard_error_nats": spread / math.sqrt(count),
            "iwae_minus_elbo_nats": float((self.iwae_nats - self.elbo_nats).mean()),
            "iwae_samples": self.samples_per_image,
        }
        if self.log_likelihood_draw_variance is not None:
            summary["elbo_one_draw_standard_error_nats"] = one_draw_standard_error(self.log_likelihood_draw_variance)
        return summary


def one_draw_standard_error(draw_variance: np.ndarray) -> float:
    """Sampling error (standard deviation) of an ELBO averaged over N images with one draw each.

    ``draw_variance`` (N,) is each image's variance over draws of log p(x|z); the KL term is
    exact, so it adds none: sqrt(sum_x Var_x / N^2).
    """
    draw_variance = np.asarray(draw_variance, dtype=float)
    return float(math.sqrt(draw_variance.sum()) / len(draw_variance))


def log_importance_weights(
    model: VAE, x: torch.Tensor, noise: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """log w (B, k), log p(x|z) (B, k) and the closed-form KL (B,) for images x (B, 784).

    ``noise`` (B, k, D) holds standard normal draws; z = mean + sigma * noise.
    """
    mean, logvar = model.encode(x)                                      # (B, D) each
    std = torch.exp(0.5 * logvar)                                       # (B, D)
    z = mean[:, None, :] + std[:, None, :] * noise                      # (B, k, D)
    logits = model.decode_logits(z)                                     # (B, k, 784)
    log_likelihood = -bernoulli_nll(logits, x[:, None, :].expand_as(logits))  # (B, k)
    log_prior = Normal(0.0, 1.0).log_prob(z).sum(dim=-1)                # (B, k)
    log_posterior = Normal(mean[:, None, :], std[:, None, :]).log_prob(z).sum(dim=-1)  # (B, k)
    kl = gaussian_kl_per_dim(mean, logvar).sum(dim=-1)                  # (B,)
    return log_likelihood + log_prior - log_posterior, log_likelihood, kl


@torch.no_grad()
def estimate_log_likelihood(
    model: VAE,
    x: torch.Tensor,
    samples_per_image: int,
    seed: int,
    rows_per_batch: int = DEFAULT_ROWS_PER_BATCH,
) -> LikelihoodEstimates:
    """The ELBO and L_k of every image of ``x`` (N, 784), with k = ``samples_per_image``.

    The draws come from a generator seeded with ``seed`` on the images' device, so the
    same model, images and seed give the same numbers.
    """
    if isinstance(samples_per_image, bool) or not isinstance(samples_per_image, int) or samples_per_image < 1:
        raise ValueError(f"samples_per_image must be a positive integer, got {samples_per_image!r}")
    model.eval()
    latent_dim = model.config.latent_dim
    generator = torch.Generator(device=x.device).manual_seed(seed)
    images_per_batch = max(1, rows_per_batch // samples_per_image)
    elbo_parts, iwae_parts, variance_parts = [], [], []
    for start in range(0, len(x), images_per_batch):
        batch = x[start : start + images_per_batch]                     # (B, 784)
        noise = torch.randn(
            (len(batch), samples_per_image, latent_dim), generator=generator, device=x.device
        )                                                               # (B, k, D)
        log_weights, log_likelihood, kl = log_importance_weights(model, batch, noise)
        iwae_parts.append(torch.logsumexp(log_weights, dim=1) - math.log(samples_per_image))  # (B,)
        elbo_parts.append(log_likelihood.mean(dim=1) - kl)              # (B,)
        variance_parts.append(log_likelihood.var(dim=1, unbiased=samples_per_image > 1))  # (B,)
    return LikelihoodEstimates(
        torch.cat(elbo_parts).cpu().double().numpy(),
        torch.cat(iwae_parts).cpu().double().numpy(),
        samples_per_image,
        torch.cat(variance_parts).cpu().double().numpy(),
    )
