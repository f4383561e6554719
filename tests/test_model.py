"""The VAE's shapes and its loss terms against torch's own distributions."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Bernoulli, Normal, kl_divergence

from latentspace.model.decoding import encode_posteriors
from latentspace.model.vae import VAE, VAEConfig, bernoulli_nll, gaussian_kl_per_dim, loss_terms


@settings(max_examples=25, deadline=None)
@given(batch=st.integers(1, 6), latent_dim=st.integers(1, 12), seed=st.integers(0, 2**31 - 1))
def test_kl_matches_torch_distributions(batch, latent_dim, seed):
    generator = torch.Generator().manual_seed(seed)
    mean = torch.randn(batch, latent_dim, generator=generator, dtype=torch.float64) * 3
    logvar = torch.randn(batch, latent_dim, generator=generator, dtype=torch.float64) * 2
    expected = kl_divergence(Normal(mean, torch.exp(0.5 * logvar)), Normal(0.0, 1.0))
    torch.testing.assert_close(gaussian_kl_per_dim(mean, logvar), expected)


def test_kl_is_zero_only_at_the_prior():
    zeros = torch.zeros(2, 3)
    assert torch.equal(gaussian_kl_per_dim(zeros, zeros), zeros)
    assert (gaussian_kl_per_dim(zeros + 0.1, zeros) > 0).all()


def test_bernoulli_nll_matches_torch_log_prob_on_binary_pixels():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 784, generator=generator, dtype=torch.float64)
    x = (torch.rand(4, 784, generator=generator) > 0.5).double()
    expected = -Bernoulli(logits=logits).log_prob(x).sum(dim=-1)
    torch.testing.assert_close(bernoulli_nll(logits, x), expected)


def test_shapes_and_loss_terms():
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim=5, hidden_dims=(32, 16)))
    x = torch.rand(7, 784)
    mean, logvar = model.encode(x)
    assert mean.shape == logvar.shape == (7, 5)
    assert model.decode(mean).shape == (7, 784)
    # The decoded image is the mean of the Bernoulli whose logits the loss scores.
    torch.testing.assert_close(model.decode(mean), Bernoulli(logits=model.decode_logits(mean)).mean)
    terms = loss_terms(model, x, torch.zeros(7, 5))
    assert terms.reconstruction.shape == (7,) and terms.kl_per_dim.shape == (7, 5)
    torch.testing.assert_close(terms.loss, terms.reconstruction + terms.kl_per_dim.sum(-1))
    # With zero noise, z is the posterior mean: the loss is deterministic.
    torch.testing.assert_close(loss_terms(model, x, torch.zeros(7, 5)).loss, terms.loss)


def test_architecture_follows_the_config():
    model = VAE(VAEConfig(latent_dim=3, hidden_dims=(20,)))
    linear_sizes = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert linear_sizes == [(784, 20), (20, 6), (3, 20), (20, 784)]
    assert VAEConfig.from_dict(model.config.to_dict()) == model.config


def test_encode_posteriors_gives_the_encoders_output_in_any_batch_size():
    torch.manual_seed(1)
    model = VAE(VAEConfig(latent_dim=4, hidden_dims=(16,)))
    x = torch.rand(10, 784)
    expected_mean, expected_logvar = (part.detach().numpy() for part in model.encode(x))
    for batch_size in (1, 3, 10, 64):
        means, logvars = encode_posteriors(model, x, batch_size=batch_size)
        assert means.dtype == logvars.dtype == np.float64 and means.shape == logvars.shape == (10, 4)
        if batch_size >= len(x):  # one pass: the encoder's float32 numbers, widened exactly
            np.testing.assert_array_equal(means.astype(np.float32), expected_mean)
            np.testing.assert_array_equal(logvars.astype(np.float32), expected_logvar)
        # Smaller batches may round the matrix products differently, in float32's last bits.
        np.testing.assert_allclose(means, expected_mean, rtol=0, atol=1e-6)
        np.testing.assert_allclose(logvars, expected_logvar, rtol=0, atol=1e-6)
