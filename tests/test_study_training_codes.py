"""Where the training digits' codes lie (latentspace.study.training_codes), and the one-draw ELBO's error.

Known answers first: an encoder that gives every image the prior itself (mean 0, variance 1)
puts every posterior mean at the origin and every posterior draw where a prior draw would be,
so the shares of Figure 2's square, the norms and the distances to the nearest training code
follow from the geometry of N(0, I) alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

from latentspace.model.vae import VAE, VAEConfig
from latentspace.study.likelihood import estimate_log_likelihood, one_draw_standard_error
from latentspace.study.training_codes import (
    prior_mass_in_square,
    share_in_square,
    training_code_statistics,
)


# The posterior means of prior_encoder_vae: within this of the origin (not at it: slerp needs a direction).
TINY = 1e-4


def prior_encoder_vae(latent_dim: int) -> VAE:
    """A VAE whose encoder maps every image to Q(z|x) = N(~0, I): its last layer emits (almost) zeros."""
    torch.manual_seed(0)
    model = VAE(VAEConfig(latent_dim, (16,))).eval()
    with torch.no_grad():
        model.encoder[-1].weight.mul_(TINY / (10 * math.sqrt(latent_dim)))
        model.encoder[-1].bias.zero_()
    return model


def images(count: int, seed: int) -> torch.Tensor:
    return torch.rand(count, 784, generator=torch.Generator().manual_seed(seed))


@settings(max_examples=15, deadline=None)
@given(extent=st.floats(0.2, 3.5))
def test_the_prior_mass_in_the_square_is_what_draws_of_the_prior_give(extent):
    draws = np.random.default_rng(0).standard_normal((40_000, 2))
    share = share_in_square(draws, extent)
    mass = prior_mass_in_square(extent)
    assert abs(share - mass) < 4 * math.sqrt(mass * (1 - mass) / len(draws)) + 1e-3


def test_share_in_square_counts_its_edge_as_inside():
    points = np.array([[2.0, -2.0], [2.0001, 0.0], [0.0, 0.0], [-1.0, 2.5]])
    assert share_in_square(points, 2.0) == 0.5
    assert prior_mass_in_square(2.0) == pytest.approx(0.9110697, abs=1e-6)


def test_codes_that_are_the_prior_fill_the_square_as_the_prior_does():
    statistics = training_code_statistics(prior_encoder_vae(2), images(2000, 1), images(50, 2), seed=3, grid_extent=2.0,
                                          pairs=20)
    square = statistics["grid_square"]
    assert square["posterior_mean_share"] == 1.0  # every mean is (all but) the origin
    mass = square["prior_share"]
    assert abs(square["posterior_draw_share"] - mass) < 4 * math.sqrt(mass * (1 - mass) / 2000)
    assert statistics["train_size"] == 2000
    assert statistics["norm_ratio_quantiles"]["posterior_mean"]["q95"] < TINY


def test_distances_to_the_training_codes_follow_the_geometry_when_every_code_is_the_origin():
    # Every training code is (all but) 0, so a point's distance to the nearest one is its norm: for prior
    # draws about sqrt(p), for lerp's midpoints about sqrt(p / 2), for slerp's and the
    # distribution-matched path's about sqrt(p) again; a held-out digit's code is 0 itself.
    latent_dim = 100
    statistics = training_code_statistics(prior_encoder_vae(latent_dim), images(200, 1), images(50, 2), seed=4,
                                          grid_extent=2.0, pairs=150)
    assert "grid_square" not in statistics  # the square is the plane's alone
    prior = statistics["nearest_code_distance"]["prior"]
    assert prior["endpoints"]["q50"] == pytest.approx(1.0, abs=0.03)
    assert prior["lerp"]["q50"] == pytest.approx(1 / math.sqrt(2), abs=0.03)
    assert prior["slerp"]["q50"] == pytest.approx(1.0, abs=0.03)
    assert prior["distribution_matched"]["q50"] == pytest.approx(1.0, abs=0.03)
    encoded = statistics["nearest_code_distance"]["encoded"]
    assert all(encoded[name]["q95"] < TINY for name in ("endpoints", "lerp", "slerp", "distribution_matched"))
    assert statistics["nearest_code_distance"]["held_out"]["q95"] < TINY
    draws = statistics["norm_ratio_quantiles"]["posterior_draw"]
    assert draws["q05"] < 1.0 < draws["q95"] and draws["q95"] - draws["q05"] < 0.4


def test_training_code_statistics_are_deterministic_in_the_seed():
    torch.manual_seed(5)
    model = VAE(VAEConfig(2, (16,))).eval()
    train_x, test_x = images(200, 1), images(40, 2)
    first = training_code_statistics(model, train_x, test_x, seed=7, grid_extent=1.0, pairs=20)
    assert first == training_code_statistics(model, train_x, test_x, seed=7, grid_extent=1.0, pairs=20)
    assert first != training_code_statistics(model, train_x, test_x, seed=8, grid_extent=1.0, pairs=20)
    assert first["grid_square"]["extent"] == 1.0


def test_one_draw_standard_error_predicts_the_spread_of_one_draw_elbos():
    """The error the k-draw estimate assigns to a one-draw ELBO is the spread that one-draw ELBOs
    from many seeds show (the training's evaluation is such a one-draw estimate)."""
    torch.set_num_threads(1)
    torch.manual_seed(6)
    model = VAE(VAEConfig(3, (32,))).eval()
    x = images(40, 9)
    predicted = estimate_log_likelihood(model, x, 100, seed=0).summary()["elbo_one_draw_standard_error_nats"]
    one_draw = [estimate_log_likelihood(model, x, 1, seed=seed).elbo_nats.mean() for seed in range(1, 61)]
    observed = float(np.std(one_draw, ddof=1))  # its own error is about 9% with 60 seeds
    assert predicted > 0 and observed == pytest.approx(predicted, rel=0.3)
    assert one_draw_standard_error(np.array([4.0, 4.0, 4.0, 4.0])) == pytest.approx(1.0)  # sqrt(16) / 4
