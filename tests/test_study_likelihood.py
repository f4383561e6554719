"""Importance-weighted likelihood, active units and the per-model statistics of the study."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentspace.files.datasets import images_to_vectors
from latentspace.files.idx_format import read_image_label_pair
from latentspace.model.vae import VAE, VAEConfig, bernoulli_nll
from latentspace.study.latent_norms import NORM_POPULATIONS, active_unit_count, model_statistics
from latentspace.study.likelihood import estimate_log_likelihood
from latentspace.settings.declared import TrainingRun
from latentspace.training.loop import build_model, train_vae


@pytest.fixture(scope="module")
def trained_vae_and_test_images(mnist_idx):
    """A VAE (z = 8) trained for a few epochs on 1,500 real digits, and 200 other digits."""
    images, _ = read_image_label_pair(
        mnist_idx.folder / "t10k-images-idx3-ubyte.gz", mnist_idx.folder / "t10k-labels-idx1-ubyte.gz"
    )
    x = images_to_vectors(images[:1700])
    torch.set_num_threads(1)
    model = build_model(VAEConfig(8, (128,)), seed=0, device=torch.device("cpu"))
    train_vae(model, x[:1500], x[1500:], TrainingRun(epochs=4, batch_size=100, learning_rate=2e-3, seed=0))
    return model.eval(), x[1500:]


def test_iwae_is_at_least_the_elbo_and_tightens_as_k_grows(trained_vae_and_test_images):
    model, test_x = trained_vae_and_test_images
    estimates = {k: estimate_log_likelihood(model, test_x, k, seed=1) for k in (1, 10, 100)}
    elbo = estimates[100].elbo_nats.mean()
    iwae = {k: estimate.iwae_nats.mean() for k, estimate in estimates.items()}
    # k = 1 is a one-sample estimate of the ELBO itself: equal within its Monte Carlo error.
    single = estimates[1]
    standard_error = single.iwae_nats.std(ddof=1) / math.sqrt(len(test_x))
    assert abs(iwae[1] - single.elbo_nats.mean()) < 4 * standard_error
    # Larger k: a tighter bound, above the ELBO by clearly more than the noise.
    assert iwae[10] > elbo + 1.0
    assert iwae[100] > iwae[10] + 0.3
    summary = estimates[100].summary()
    assert summary["iwae_minus_elbo_nats"] == pytest.approx(iwae[100] - elbo)
    assert summary["iwae_samples"] == 100


def test_iwae_approaches_the_exact_log_likelihood_of_a_one_dimensional_model():
    # z is 1-D: log p(x) = log of an integral over z, computed on a fine grid.
    torch.manual_seed(3)
    model = VAE(VAEConfig(latent_dim=1, hidden_dims=(8,), input_dim=5)).double().eval()
    x = torch.rand(4, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    grid = torch.linspace(-12.0, 12.0, 24_001, dtype=torch.float64)                 # (G,)
    with torch.no_grad():
        logits = model.decode_logits(grid[:, None])[None].expand(len(x), -1, -1)     # (4, G, 5)
        log_px_z = -bernoulli_nll(logits, x[:, None, :].expand_as(logits))          # (4, G)
    log_joint = log_px_z - 0.5 * grid**2 - 0.5 * math.log(2 * math.pi)              # (4, G)
    exact = torch.logsumexp(log_joint, dim=1) + math.log(float(grid[1] - grid[0]))  # (4,)
    estimate = estimate_log_likelihood(model, x, 20_000, seed=5)
    np.testing.assert_allclose(estimate.iwae_nats, exact.numpy(), atol=0.02)
    assert np.all(estimate.elbo_nats < exact.numpy())  # the ELBO is a strict lower bound here


def test_active_unit_count_on_a_model_with_known_dead_units():
    latent_dim, dead = 6, [1, 3, 4]
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim, (32,))).eval()
    last = model.encoder[-1]  # emits (mean, logvar) side by side: rows 0..D-1 are the means
    with torch.no_grad():
        last.weight[:latent_dim] *= 20.0  # live units: means that vary clearly with the image
        for unit in dead:
            last.weight[unit] = 0.0       # dead units: the same mean for every image
            last.bias[unit] = 0.3
    test_x = torch.rand(300, 784, generator=torch.Generator().manual_seed(1))
    statistics = model_statistics(model, test_x, iwae_samples=2, seed=0, prior_draws=100)
    assert statistics["active_units"] == latent_dim - len(dead)
    variance = np.array(statistics["posterior_mean_variance"])
    assert np.all(variance[dead] < 1e-6)
    assert np.all(np.delete(variance, dead) > 0.01)
    assert active_unit_count([0.5, 0.0, 0.011, 0.009, 0.01]) == 2  # strictly above 0.01


def test_model_statistics_are_complete_and_deterministic():
    torch.manual_seed(2)
    model = VAE(VAEConfig(4, (16,))).eval()
    test_x = torch.rand(50, 784, generator=torch.Generator().manual_seed(2))
    first = model_statistics(model, test_x, iwae_samples=3, seed=7, prior_draws=500)
    assert first == model_statistics(model, test_x, iwae_samples=3, seed=7, prior_draws=500)
    assert first != model_statistics(model, test_x, iwae_samples=3, seed=8, prior_draws=500)
    assert len(first["kl_per_dim_nats"]) == 4
    assert first["shell_radius"] == pytest.approx(2.0)
    assert set(first["norm_ratio_quantiles"]) == set(NORM_POPULATIONS)
    prior = first["norm_ratio_quantiles"]["prior_draw"]
    assert prior["q05"] < prior["q50"] < prior["q95"]
    assert first["test_iwae_nats"] >= first["test_elbo_nats"] - 3 * first["test_iwae_standard_error_nats"]
