"""The pulled-back metric and the geodesic solver (latentspace.model.pullback, .geodesics) against geometry known in closed form.

The solver is generic: it minimises the discrete energy of curves under any embedding h of
the latent space, whose Euclidean metric it pulls back. So it is tried where the answer is
known: a linear h (a flat metric: the straight segment, evenly traced), the inverse
stereographic projection onto the unit sphere (great circles, length = the angle), polar
coordinates (curves whose image is the straight segment); then on small random decoders
with the Fisher-Rao embedding: its metric is the formula's, its discrete energy tends to the
integral, its geodesics never cost more than their starts, and its results repeat.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from latentspace.model import geometry
from latentspace.model.geodesics import (
    average_metric,
    bending_directions,
    inverse_second_difference,
    path_energies,
    solve_geodesics,
    starting_paths,
)
from latentspace.model.pullback import (
    continuous_energy,
    embed_points,
    energy_of,
    fisher_rao_coordinates,
    fisher_rao_embedding,
    jacobians,
    length_of,
    logit_jacobians,
    magnification_factor,
    metric_tensor,
    path_measures,
    resample_polyline,
)

PROPERTY = settings(max_examples=20, deadline=None)


def flat_metric(latent_dim: int) -> torch.Tensor:
    return torch.eye(latent_dim, dtype=torch.float64)


def solve(embed, start_paths, metric=None, tolerance=1e-10, iterations=500, share=1e-3):
    metric = flat_metric(start_paths.shape[-1]) if metric is None else metric
    return solve_geodesics(embed, start_paths, metric, min_share=share, max_iterations=iterations, tolerance=tolerance)


def bent_curves(starts: np.ndarray, ends: np.ndarray, points: int, bulge: float, rng) -> torch.Tensor:
    """Curves (P, K, D) from starts to ends that bulge away from the segment (a sine bump in a random direction)."""
    t = np.linspace(0.0, 1.0, points)
    straight = geometry.lerp(starts, ends, t)                                   # (P, K, D)
    direction = rng.standard_normal(starts.shape)                              # (P, D)
    return torch.from_numpy(straight + bulge * np.sin(np.pi * t)[None, :, None] * direction[:, None, :])


def random_decoder(latent_dim: int, seed: int, width: int = 24, outputs: int = 40, scale: float = 2.0) -> nn.Sequential:
    """A small ReLU decoder of Bernoulli logits (float64), as the VAE's decoder is built."""
    torch.manual_seed(seed)
    decoder = nn.Sequential(nn.Linear(latent_dim, width), nn.ReLU(), nn.Linear(width, outputs)).double()
    with torch.no_grad():
        for layer in decoder:
            if isinstance(layer, nn.Linear):
                layer.weight.mul_(scale)
    return decoder.requires_grad_(False)


# --- the solver where the geometry is known --------------------------------------------------------------


@PROPERTY
@given(seed=st.integers(0, 2**31), latent_dim=st.sampled_from([2, 3, 5]))
def test_a_linear_embedding_gives_the_straight_segment_evenly_traced(seed, latent_dim):
    rng = np.random.default_rng(seed)
    matrix = torch.from_numpy(np.diag(rng.uniform(1.0, 3.0, latent_dim)) @ np.linalg.qr(
        rng.standard_normal((latent_dim, latent_dim)))[0])                      # singular values 1 to 3

    def embed(codes):
        return codes @ matrix.T

    starts, ends = rng.standard_normal((2, 3, latent_dim))
    solution = solve(embed, bent_curves(starts, ends, 9, 0.8, rng), metric=matrix.T @ matrix)
    straight = geometry.lerp(starts, ends, np.linspace(0.0, 1.0, 9))
    assert np.abs(solution.paths.numpy() - straight).max() < 1e-6
    assert solution.converged.all()
    assert np.all(solution.energies.numpy() <= solution.start_energies.numpy())


def test_the_identity_embedding_straightens_slerp_into_lerp():
    rng = np.random.default_rng(3)
    starts, ends = rng.standard_normal((2, 4, 10))
    t = np.linspace(0.0, 1.0, 13)
    solution = solve(lambda codes: codes, torch.from_numpy(geometry.slerp(starts, ends, t)))
    assert np.abs(solution.paths.numpy() - geometry.lerp(starts, ends, t)).max() < 1e-6


def inverse_stereographic(codes: torch.Tensor) -> torch.Tensor:
    """The plane onto the unit sphere of R^3 (without its north pole): a conformal map, G = 4 / (1 + |u|^2)^2 I."""
    squared = codes.pow(2).sum(dim=-1, keepdim=True)
    return torch.cat([2.0 * codes, squared - 1.0], dim=-1) / (squared + 1.0)


def test_the_sphere_of_the_stereographic_map_gives_great_circles_and_their_angle():
    rng = np.random.default_rng(11)
    starts, ends = rng.uniform(-1.5, 1.5, (2, 6, 2))
    points = 17
    solution = solve(inverse_stereographic, bent_curves(starts, ends, points, 0.0, rng), tolerance=1e-12)
    on_sphere = inverse_stereographic(solution.paths).numpy()                   # (P, K, 3)
    a, b = on_sphere[:, 0], on_sphere[:, -1]
    normal = np.cross(a, b)
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    # Every point lies on the great circle through the ends: in the plane of a, b and the centre.
    assert np.abs(np.einsum("pkd,pd->pk", on_sphere, normal)).max() < 1e-5
    # The discrete length (a sum of chords) is the angle, less the chords' shortfall 2 sin(x / 2) < x.
    angle = np.arccos(np.clip(np.einsum("pd,pd->p", a, b), -1.0, 1.0))
    chords = (points - 1) * 2.0 * np.sin(angle / (2 * (points - 1)))
    length = length_of(inverse_stereographic(solution.paths)).numpy()
    assert np.allclose(length, chords, rtol=1e-5)
    assert np.all(np.abs(length / angle - 1.0) < 2e-3)
    # And the points are evenly spaced along it: a minimiser of the energy moves at constant speed.
    steps = np.linalg.norm(np.diff(on_sphere, axis=1), axis=2)
    assert np.abs(steps / steps.mean(axis=1, keepdims=True) - 1.0).max() < 1e-4


def polar_to_cartesian(codes: torch.Tensor) -> torch.Tensor:
    """(r, theta) -> (r cos theta, r sin theta): the flat plane in polar coordinates, G = diag(1, r^2)."""
    return torch.stack([codes[:, 0] * torch.cos(codes[:, 1]), codes[:, 0] * torch.sin(codes[:, 1])], dim=1)


def test_polar_coordinates_give_curves_whose_image_is_the_straight_segment():
    rng = np.random.default_rng(5)
    starts = np.stack([rng.uniform(1.0, 2.0, 5), rng.uniform(0.0, 0.5, 5)], axis=1)   # (r, theta)
    ends = np.stack([rng.uniform(1.0, 2.0, 5), rng.uniform(1.5, 2.0, 5)], axis=1)
    start_paths = torch.from_numpy(geometry.lerp(starts, ends, np.linspace(0.0, 1.0, 15)))  # straight in (r, theta)
    metric = average_metric(polar_to_cartesian, start_paths.reshape(-1, 2), 2048, torch.Generator().manual_seed(0))
    solution = solve(polar_to_cartesian, start_paths, metric=metric, tolerance=1e-12)
    image = polar_to_cartesian(solution.paths.reshape(-1, 2)).reshape(5, 15, 2).numpy()
    straight = geometry.lerp(image[:, 0], image[:, -1], np.linspace(0.0, 1.0, 15))
    assert np.abs(image - straight).max() < 1e-5
    start_image = polar_to_cartesian(start_paths.reshape(-1, 2)).reshape(5, 15, 2).numpy()
    assert np.abs(start_image - straight).max() > 0.3  # the start was far from it


def test_a_curve_bends_only_along_the_directions_the_metric_holds():
    """A decoder that ignores the third direction: the solver leaves the start's course there untouched."""
    scale = torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64)

    def embed(codes):
        return inverse_stereographic(codes[:, :2] * scale[:2]) + 0.0 * codes[:, 2:]

    rng = np.random.default_rng(2)
    starts, ends = rng.uniform(-1, 1, (2, 4, 3))
    start_paths = bent_curves(starts, ends, 9, 0.5, rng)
    metric = average_metric(embed, start_paths.reshape(-1, 3), 1024, torch.Generator().manual_seed(1))
    basis, values = bending_directions(metric, 0.01)
    assert basis.shape == (3, 2) and np.allclose(np.abs(basis[2].numpy()), 0.0, atol=1e-12)
    solution = solve(embed, start_paths, metric=metric, share=0.01)
    assert solution.bending_directions == 2
    assert torch.equal(solution.paths[..., 2], start_paths[..., 2])
    assert (solution.energies < solution.start_energies).all()


def test_the_mean_metric_s_probes_are_vector_jacobian_products():
    """average_metric's products, the gradient of sum(h . v), are torch.autograd.grad(h, z, v)'s numbers, bit for bit."""
    embed = fisher_rao_embedding(random_decoder(3, seed=4))
    points = torch.from_numpy(np.random.default_rng(8).standard_normal((64, 3)))
    metric = average_metric(embed, points, 256, torch.Generator().manual_seed(8))
    generator = torch.Generator().manual_seed(8)                               # the same draws
    variable = points[torch.randint(64, (256,), generator=generator)].clone().requires_grad_(True)
    embedded = embed(variable)
    (pulled,) = torch.autograd.grad(embedded, variable, torch.randn(embedded.shape, generator=generator,
                                                                    dtype=embedded.dtype))
    assert torch.equal(metric, pulled.T @ pulled / 256)


def test_the_inverse_second_difference_is_the_inverse():
    for size in (1, 2, 7):
        second_difference = 2 * torch.eye(size, dtype=torch.float64) - torch.diag(torch.ones(size - 1, dtype=torch.float64), 1) \
            - torch.diag(torch.ones(size - 1, dtype=torch.float64), -1)
        assert torch.allclose(inverse_second_difference(size) @ second_difference, torch.eye(size, dtype=torch.float64))


def test_a_curve_of_three_points_is_refused():
    with pytest.raises(ValueError, match="at least 3 points"):
        solve(lambda codes: codes, torch.zeros((1, 2, 2), dtype=torch.float64))


# --- the Fisher-Rao metric of a Bernoulli decoder --------------------------------------------------------


@PROPERTY
@given(first=st.floats(-30, 30), second=st.floats(-30, 30))
def test_fisher_rao_coordinates_give_the_exact_distance_between_two_bernoulli_pixels(first, second):
    logits = torch.tensor([first, second], dtype=torch.float64)
    mean = torch.sigmoid(logits)
    exact = 2.0 * abs(math.asin(math.sqrt(mean[0])) - math.asin(math.sqrt(mean[1])))  # the Bhattacharyya angle, twice
    coordinates = fisher_rao_coordinates(logits)
    assert abs(abs(float(coordinates[0] - coordinates[1])) - exact) < 1e-9
    assert float(coordinates.abs().max()) <= math.pi / 2


def test_the_embedding_pulls_back_the_fisher_rao_formula():
    """J_h^T J_h of the embedding's Jacobian (torch's forward mode) is J_l^T diag(m (1 - m)) J_l (metric_tensor)."""
    decoder = random_decoder(3, seed=4)
    points = torch.randn(50, 3, dtype=torch.float64)
    jacobian = jacobians(fisher_rao_embedding(decoder), points)                 # (N, F, 3)
    assert torch.allclose(jacobian.transpose(1, 2) @ jacobian, metric_tensor(decoder, points), rtol=1e-9, atol=1e-12)
    # The decoder's own tangent propagation agrees with forward mode.
    logits, logit_jacobian = logit_jacobians(decoder, points)
    assert torch.allclose(logit_jacobian, jacobians(decoder, points), atol=1e-12)
    assert torch.allclose(logits, decoder(points))
    det = torch.linalg.det(jacobian.transpose(1, 2) @ jacobian).sqrt()
    assert torch.allclose(magnification_factor(decoder, points), det, rtol=1e-9)


def test_the_discrete_energy_tends_to_the_integral_of_the_metric_along_the_curve():
    decoder = random_decoder(2, seed=7)
    embed = fisher_rao_embedding(decoder)
    start, end = torch.tensor([-1.2, 0.4], dtype=torch.float64), torch.tensor([1.0, -0.8], dtype=torch.float64)

    def curve(t):
        t = t[:, None]
        return (1 - t) * start + t * end + 0.6 * torch.sin(math.pi * t) * torch.tensor([0.3, 1.0], dtype=torch.float64)

    exact = float(continuous_energy(decoder, curve, 4000, dtype=torch.float64))
    errors = []
    for points in (9, 33, 129, 513):
        embedded = embed_points(embed, curve(torch.linspace(0.0, 1.0, points, dtype=torch.float64)))
        errors.append(abs(float(energy_of(embedded)) / exact - 1.0))
    assert errors == sorted(errors, reverse=True) and errors[-1] < 2e-3 and errors[0] > 5 * errors[-1]


def test_geodesics_of_a_decoder_never_cost_more_than_lerp_or_slerp_and_repeat():
    decoder = random_decoder(4, seed=9)
    embed = fisher_rao_embedding(decoder)
    rng = np.random.default_rng(1)
    starts, ends = rng.standard_normal((2, 6, 4))
    t = np.linspace(0.0, 1.0, 9)
    candidates = torch.from_numpy(np.stack([geometry.lerp(starts, ends, t), geometry.slerp(starts, ends, t)]))
    start_paths, choice, energies = starting_paths(embed, candidates)
    metric = average_metric(embed, torch.from_numpy(rng.standard_normal((512, 4))), 512, torch.Generator().manual_seed(3))
    first = solve(embed, start_paths, metric=metric, tolerance=1e-6, share=0.01)
    assert torch.equal(first.start_energies, energies.min(dim=0).values)
    assert (first.energies <= energies[0]).all() and (first.energies <= energies[1]).all()
    assert (first.energies < first.start_energies).any()
    again = solve(embed, start_paths, metric=metric, tolerance=1e-6, share=0.01)
    assert torch.equal(first.paths, again.paths) and np.array_equal(first.iterations, again.iterations)
    # A pair's result does not depend on the others of its batch.
    alone = solve(embed, start_paths[3:4], metric=metric, tolerance=1e-6, share=0.01)
    assert torch.allclose(alone.paths[0], first.paths[3], atol=1e-10)


def test_a_pair_that_cannot_meet_the_rule_in_time_is_counted_as_not_converged():
    decoder = random_decoder(2, seed=9)
    embed = fisher_rao_embedding(decoder)
    rng = np.random.default_rng(4)
    starts, ends = rng.standard_normal((2, 3, 2)) * 2
    start_paths = bent_curves(starts, ends, 9, 1.0, rng)
    solution = solve(embed, start_paths, tolerance=1e-12, iterations=2)
    assert not solution.converged.any() and (solution.iterations == 2).all()
    assert (solution.energies <= solution.start_energies).all()


def test_a_result_above_its_start_by_the_caller_s_measure_keeps_its_start():
    """The guard compares result and start by the measure it is handed: one that charges every
    moved curve sends each pair the solver moved back to its start, counted as kept."""
    decoder = random_decoder(2, seed=9)
    embed = fisher_rao_embedding(decoder)
    rng = np.random.default_rng(4)
    starts, ends = rng.standard_normal((2, 4, 2)) * 2
    start_paths = bent_curves(starts, ends, 9, 1.0, rng)
    free = solve(embed, start_paths, tolerance=1e-6)
    assert not free.kept_start.any() and (free.energies < free.start_energies).all()

    def charging(curves):
        return path_energies(embed, curves) + 1e6 * (curves != start_paths).flatten(1).any(dim=1).double()

    start_energies = path_energies(embed, start_paths)
    kept = solve_geodesics(embed, start_paths, flat_metric(2), min_share=1e-3, max_iterations=500, tolerance=1e-6,
                           measure=charging, start_energies=start_energies)
    assert kept.kept_start.all() and torch.equal(kept.paths, start_paths)
    assert torch.equal(kept.energies, start_energies) and torch.equal(kept.start_energies, start_energies)
    assert np.array_equal(kept.iterations, free.iterations)


def test_the_fine_ruler_measures_the_curve_through_its_nodes_from_the_same_points():
    embed = fisher_rao_embedding(random_decoder(2, seed=12))
    starts, ends = np.random.default_rng(2).standard_normal((2, 5, 2))
    nodes = torch.from_numpy(geometry.slerp(starts, ends, np.linspace(0.0, 1.0, 9)))
    fine = resample_polyline(nodes, 33)
    energies, lengths, through_nodes = path_measures(embed, fine, 9, batch_size=66)  # two curves a batch
    assert torch.allclose(through_nodes, path_energies(embed, nodes), rtol=1e-12, atol=0)
    for measured, expected in zip((energies, lengths), path_measures(embed, fine)[:2]):
        assert torch.equal(measured, expected)
    assert path_measures(embed, fine)[2] is None
    with pytest.raises(ValueError, match="30 points do not hold the 9 nodes"):
        path_measures(embed, resample_polyline(nodes, 30), 9)


def test_lengths_on_a_fine_resampling_converge_from_below():
    decoder = random_decoder(2, seed=12)
    embed = fisher_rao_embedding(decoder)
    rng = np.random.default_rng(0)
    starts, ends = rng.standard_normal((2, 5, 2))
    nodes = torch.from_numpy(geometry.slerp(starts, ends, np.linspace(0.0, 1.0, 9)))
    lengths = [path_measures(embed, resample_polyline(nodes, points))[1] for points in (9, 33, 129)]
    assert torch.equal(resample_polyline(nodes, 33)[:, ::4], nodes)             # the nodes are among the points
    assert (lengths[0] <= lengths[1] + 1e-12).all() and (lengths[1] <= lengths[2] + 1e-12).all()
