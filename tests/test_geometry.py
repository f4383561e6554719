"""Property tests for latentspace.model.geometry (fresh random inputs via hypothesis)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from latentspace.model import geometry
from latentspace.model.geometry import (
    ball_volume,
    cartesian_to_hyperspherical,
    chi_mean_and_std,
    chi_pdf,
    distribution_matched_lerp,
    hyperspherical_to_cartesian,
    latent_grid,
    lerp,
    log10_probability_norm_below,
    log_ball_volume,
    prior_log_density,
    sample_norms,
    scale_to_radius,
    slerp,
    sphere_spiral,
    sphere_spiral_angles,
    spiral_2d,
    spiral_2d_times,
    uniform_on_sphere,
)

PROPERTY = settings(max_examples=30, deadline=None)

trapezoid = getattr(np, "trapezoid", None) or np.trapz  # numpy < 2.0 has only trapz

seeds = st.integers(min_value=0, max_value=2**32 - 1)
dims = st.sampled_from([2, 3, 4, 5, 10, 50])
radii = st.floats(min_value=1e-3, max_value=1e3)


def random_vector(seed, n, radius=None):
    """A random (n,) Gaussian vector, optionally rescaled to norm ``radius``."""
    vector = np.random.default_rng(seed).standard_normal(n)
    return vector if radius is None else vector * (radius / np.linalg.norm(vector))


def fractions_with_ends(seed, count=9):
    """Sorted (count + 2,) values in [0, 1] that include 0 and 1."""
    inner = np.random.default_rng(seed).uniform(0, 1, count)
    return np.sort(np.concatenate([[0.0, 1.0], inner]))


def angle_between(a, b):
    """Angle between rows of a (..., n) and b (..., n)."""
    cross = np.linalg.norm(a * np.linalg.norm(b, axis=-1, keepdims=True)
                           - b * np.linalg.norm(a, axis=-1, keepdims=True), axis=-1)
    same = np.linalg.norm(a * np.linalg.norm(b, axis=-1, keepdims=True)
                          + b * np.linalg.norm(a, axis=-1, keepdims=True), axis=-1)
    return 2 * np.arctan2(cross, same)


# --------------------------------------------------------------------------
# Sphere spiral and hyperspherical coordinates
# --------------------------------------------------------------------------


@PROPERTY
@given(n=st.sampled_from([2, 3, 5, 10, 500]), radius=radii,
       steps=st.integers(1, 200), turns=st.floats(0, 20))
def test_sphere_spiral_lies_on_sphere(n, radius, steps, turns):
    points = sphere_spiral(n, radius, steps, turns)
    assert points.shape == (steps, n)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), radius, rtol=1e-9)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 500])
def test_sphere_spiral_starts_at_first_axis_and_angles_reach_pi(n):
    radius, steps, turns = 2.5, 101, 4.0
    points = sphere_spiral(n, radius, steps, turns)
    expected_start = np.zeros(n)
    expected_start[0] = radius
    np.testing.assert_allclose(points[0], expected_start, atol=1e-12)
    angles = sphere_spiral_angles(n, steps, turns)
    assert angles.shape == (steps, n - 1)
    np.testing.assert_allclose(angles[0], 0.0)
    np.testing.assert_allclose(angles[-1, :-1], np.pi)
    assert angles[-1, -1] == pytest.approx(2 * np.pi * turns)
    np.testing.assert_allclose(points, hyperspherical_to_cartesian(radius, angles))


def test_sphere_spiral_in_two_dimensions_is_a_circle_traversed_turns_times():
    points = sphere_spiral(2, 1.0, 9, 2.0)
    quarter_turns = np.linspace(0, 4 * np.pi, 9)
    np.testing.assert_allclose(points, np.stack([np.cos(quarter_turns), np.sin(quarter_turns)], 1),
                               atol=1e-12)


@PROPERTY
@given(seed=seeds, n=dims, batch=st.integers(1, 20))
def test_cartesian_round_trip(seed, n, batch):
    points = np.random.default_rng(seed).standard_normal((batch, n)) * 10
    radius, angles = cartesian_to_hyperspherical(points)
    assert radius.shape == (batch,) and angles.shape == (batch, n - 1)
    assert np.all((angles[:, :-1] >= 0) & (angles[:, :-1] <= np.pi))
    assert np.all((angles[:, -1] >= 0) & (angles[:, -1] < 2 * np.pi))
    np.testing.assert_allclose(radius, np.linalg.norm(points, axis=1), rtol=1e-12)
    np.testing.assert_allclose(hyperspherical_to_cartesian(radius, angles), points,
                               rtol=1e-9, atol=1e-9)


@PROPERTY
@given(seed=seeds, n=dims, batch=st.integers(1, 20))
def test_hyperspherical_round_trip(seed, n, batch):
    rng = np.random.default_rng(seed)
    radius = rng.uniform(0.1, 10, batch)
    polar = rng.uniform(0.1, np.pi - 0.1, (batch, n - 2))
    azimuth = rng.uniform(0, 2 * np.pi, (batch, 1))
    angles = np.concatenate([polar, azimuth], axis=1)
    points = hyperspherical_to_cartesian(radius, angles)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), radius, rtol=1e-12)
    radius_back, angles_back = cartesian_to_hyperspherical(points)
    np.testing.assert_allclose(radius_back, radius, rtol=1e-12)
    np.testing.assert_allclose(angles_back[:, :-1], polar, atol=1e-9)
    azimuth_error = np.angle(np.exp(1j * (angles_back[:, -1:] - azimuth)))
    np.testing.assert_allclose(azimuth_error, 0.0, atol=1e-9)


def test_hyperspherical_known_values_and_zero_vector():
    np.testing.assert_allclose(hyperspherical_to_cartesian(2.0, [np.pi / 2, np.pi / 2]),
                               [0.0, 0.0, 2.0], atol=1e-15)
    radius, angles = cartesian_to_hyperspherical([0.0, -1.0])
    assert radius == 1.0 and angles[0] == pytest.approx(1.5 * np.pi)
    radius, angles = cartesian_to_hyperspherical(-np.zeros((2, 4)))
    np.testing.assert_array_equal(radius, 0.0)
    np.testing.assert_array_equal(angles, 0.0)
    # A last coordinate of -1e-300 must not give an azimuth of exactly 2 pi.
    _, angles = cartesian_to_hyperspherical([1.0, -1e-300])
    assert 0 <= angles[0] < 2 * np.pi


def test_hyperspherical_broadcasts_radius():
    angles = np.zeros((3, 4, 2))
    points = hyperspherical_to_cartesian(np.arange(1.0, 5.0), angles)
    assert points.shape == (3, 4, 3)
    np.testing.assert_allclose(points[..., 0], np.broadcast_to(np.arange(1.0, 5.0), (3, 4)))


# --------------------------------------------------------------------------
# Interpolation
# --------------------------------------------------------------------------


@PROPERTY
@given(seed=seeds, n=dims, radius=radii)
def test_slerp_keeps_norm_and_hits_both_ends(seed, n, radius):
    start, end = random_vector(seed, n, radius), random_vector(seed + 1, n, radius)
    t = fractions_with_ends(seed)
    path = slerp(start, end, t)
    assert path.shape == (len(t), n)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), radius, rtol=1e-9)
    np.testing.assert_array_equal(path[0], start)
    np.testing.assert_array_equal(path[-1], end)
    # Constant angular speed along the great circle.
    np.testing.assert_allclose(angle_between(path, start), t * angle_between(start, end),
                               atol=1e-9)


@PROPERTY
@given(seed=seeds, n=dims, start_norm=radii, end_norm=radii)
def test_slerp_interpolates_norm_linearly(seed, n, start_norm, end_norm):
    start, end = random_vector(seed, n, start_norm), random_vector(seed + 1, n, end_norm)
    t = fractions_with_ends(seed)
    path = slerp(start, end, t)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1),
                               start_norm + t * (end_norm - start_norm), rtol=1e-9)


@PROPERTY
@given(seed=seeds, n=dims, radius=radii, factor=st.sampled_from([1.0, 2.0, -1.0]))
def test_slerp_parallel_and_antiparallel_endpoints(seed, n, radius, factor):
    start = random_vector(seed, n, radius)
    end = factor * start
    t = fractions_with_ends(seed)
    path = slerp(start, end, t)
    assert np.all(np.isfinite(path))
    np.testing.assert_allclose(np.linalg.norm(path, axis=1),
                               radius * (1 + t * (abs(factor) - 1)), rtol=1e-9)
    np.testing.assert_array_equal(path[0], start)
    np.testing.assert_array_equal(path[-1], end)
    if factor < 0:  # a half great circle: angle to start grows as t pi
        np.testing.assert_allclose(angle_between(path, start), t * np.pi, atol=1e-9)


def test_slerp_antiparallel_path_is_deterministic():
    start = np.array([3.0, 0.0, 0.0])
    first, second = slerp(start, -start, [0.5]), slerp(start, -start, [0.5])
    np.testing.assert_array_equal(first, second)
    assert first[0] @ start == pytest.approx(0.0, abs=1e-12)


@PROPERTY
@given(seed=seeds, n=st.integers(1, 50))
def test_lerp_hits_both_ends(seed, n):
    start, end = random_vector(seed, n), random_vector(seed + 1, n)
    t = fractions_with_ends(seed)
    path = lerp(start, end, t)
    np.testing.assert_array_equal(path[0], start)
    np.testing.assert_array_equal(path[-1], end)
    np.testing.assert_allclose(path, start + t[:, None] * (end - start), atol=1e-12)


@PROPERTY
@given(seed=seeds, n=dims, radius=radii)
def test_lerp_midpoint_of_orthogonal_endpoints_has_norm_r_over_sqrt2(seed, n, radius):
    start = random_vector(seed, n)
    end = random_vector(seed + 1, n)
    end -= (end @ start) / (start @ start) * start
    start, end = start * radius / np.linalg.norm(start), end * radius / np.linalg.norm(end)
    midpoint = lerp(start, end, [0.5])[0]
    assert np.linalg.norm(midpoint) == pytest.approx(radius / math.sqrt(2), rel=1e-9)


def test_distribution_matched_lerp_keeps_unit_variance():
    # 200k independent standard normal components per endpoint: each column is one draw.
    rng = np.random.default_rng(20240917)
    start, end = rng.standard_normal(200_000), rng.standard_normal(200_000)
    t = np.array([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    matched = distribution_matched_lerp(start, end, t)
    np.testing.assert_allclose(matched.var(axis=1), 1.0, rtol=0.02)
    np.testing.assert_allclose(matched.mean(axis=1), 0.0, atol=0.01)
    # Plain lerp shrinks the variance to t^2 + (1 - t)^2 (0.5 at the midpoint).
    assert lerp(start, end, [0.5]).var() == pytest.approx(0.5, rel=0.02)
    np.testing.assert_array_equal(matched[0], start)
    np.testing.assert_array_equal(matched[-1], end)


INTERPOLATIONS = (lerp, slerp, distribution_matched_lerp)


def pairs_with_degenerate_rows(seed, batch_shape, n):
    """Endpoints (*batch_shape, n): random pairs, with one parallel and one antiparallel pair among them."""
    rng = np.random.default_rng(seed)
    starts, ends = rng.standard_normal((2, *batch_shape, n))
    flat_starts, flat_ends = starts.reshape(-1, n), ends.reshape(-1, n)
    flat_ends[0] = 2.5 * flat_starts[0]
    if len(flat_ends) > 1:
        flat_ends[-1] = -0.5 * flat_starts[-1]
    return starts, ends


@PROPERTY
@given(seed=seeds, n=dims, batch_shape=st.sampled_from([(1,), (7,), (3, 4)]))
def test_interpolating_many_pairs_at_once_gives_each_pairs_path_exactly(seed, n, batch_shape):
    starts, ends = pairs_with_degenerate_rows(seed, batch_shape, n)
    t = fractions_with_ends(seed)
    for interpolate in INTERPOLATIONS:
        paths = interpolate(starts, ends, t)
        assert paths.shape == (*batch_shape, len(t), n)
        one_by_one = np.stack([interpolate(start, end, t) for start, end in zip(starts.reshape(-1, n), ends.reshape(-1, n))])
        np.testing.assert_array_equal(paths.reshape(-1, len(t), n), one_by_one, err_msg=interpolate.__name__)


@PROPERTY
@given(seed=seeds, n=dims)
def test_slerp_stays_in_the_plane_of_its_endpoints(seed, n):
    start, end = random_vector(seed, n), random_vector(seed + 1, n, radius=3.0)
    path = slerp(start, end, fractions_with_ends(seed))                        # (T, n)
    basis, _ = np.linalg.qr(np.stack([start, end], axis=1))                     # (n, 2), orthonormal
    np.testing.assert_allclose(path - (path @ basis) @ basis.T, 0.0, atol=1e-9)


@pytest.mark.parametrize("sin_angle", [1e-13, 0.1 * geometry.DEGENERATE_SIN])
@pytest.mark.parametrize("side", [1.0, -1.0])
def test_slerp_below_the_degenerate_angle_follows_the_fallback(sin_angle, side):
    # Ends at an angle whose sine is below DEGENERATE_SIN count as (anti)parallel: the
    # path is then the exactly (anti)parallel pair's, up to rounding.
    start = np.array([3.0, 1.0, -2.0, 0.5])
    tilt = np.array([1.0, -3.0, 0.0, 0.0])                                     # orthogonal to start
    end = side * 2.0 * (start + sin_angle * np.linalg.norm(start) * tilt / np.linalg.norm(tilt))
    t = np.linspace(0.0, 1.0, 9)
    np.testing.assert_allclose(slerp(start, end, t)[1:-1], slerp(start, side * 2.0 * start, t)[1:-1], atol=1e-9)


# --------------------------------------------------------------------------
# Spheres, balls and the prior
# --------------------------------------------------------------------------


@PROPERTY
@given(seed=seeds, n=dims, radius=radii, count=st.integers(1, 50))
def test_uniform_on_sphere_and_scale_to_radius(seed, n, radius, count):
    points = uniform_on_sphere(n, count, radius, np.random.default_rng(seed))
    assert points.shape == (count, n)
    np.testing.assert_allclose(np.linalg.norm(points, axis=1), radius, rtol=1e-12)
    rescaled = scale_to_radius(points, 2 * radius)
    np.testing.assert_allclose(rescaled, 2 * points, rtol=1e-12)


def test_uniform_on_sphere_is_reproducible_and_centred():
    first = uniform_on_sphere(3, 20_000, 1.0, np.random.default_rng(7))
    second = uniform_on_sphere(3, 20_000, 1.0, np.random.default_rng(7))
    np.testing.assert_array_equal(first, second)
    # Each coordinate of a uniform point on S^2 has mean 0 and variance 1/3.
    np.testing.assert_allclose(first.mean(axis=0), 0.0, atol=5 * math.sqrt(1 / 3 / 20_000))
    np.testing.assert_allclose(first.var(axis=0), 1 / 3, rtol=0.05)


def test_ball_volume_closed_forms():
    np.testing.assert_allclose(ball_volume(np.array([1, 2, 3, 4])),
                               [2.0, np.pi, 4 / 3 * np.pi, np.pi**2 / 2], rtol=1e-13)
    assert isinstance(ball_volume(3), float)
    assert ball_volume(3) == pytest.approx(4 / 3 * np.pi, rel=1e-13)


@pytest.mark.parametrize("n", range(1, 7))
def test_ball_volume_matches_monte_carlo(n):
    samples = 200_000
    cube = np.random.default_rng(1000 + n).uniform(-1, 1, (samples, n))
    inside = np.mean(np.sum(cube**2, axis=1) <= 1)
    expected = ball_volume(n) / 2**n  # fraction of the cube [-1, 1]^n inside the ball
    standard_error = math.sqrt(max(expected * (1 - expected), 0.0) / samples)
    assert abs(inside - expected) <= 5 * standard_error + 1e-12  # n = 1: the cube is the ball


def test_ball_volume_peaks_at_five():
    dimensions = np.arange(1, 40)
    assert dimensions[np.argmax(ball_volume(dimensions))] == 5


def test_log_ball_volume_in_high_dimension():
    log_volume = log_ball_volume(1000)
    assert math.isfinite(log_volume)
    assert log_volume == pytest.approx(500 * math.log(math.pi) - math.lgamma(501), rel=1e-14)
    assert 0.0 <= ball_volume(1000) < 1e-300
    # Recurrence V_n = 2 pi / n V_{n-2}, checked in log space up to n = 1000.
    dimensions = np.arange(3, 1001)
    np.testing.assert_allclose(log_ball_volume(dimensions),
                               np.log(2 * np.pi / dimensions) + log_ball_volume(dimensions - 2),
                               rtol=1e-12)


CHI_DIMENSIONS = (1, 2, 5, 10, 50, 100, 500)


def chi_grid(p):
    """Radii (20001,) covering all the mass of the chi distribution with p degrees of freedom."""
    return np.linspace(0.0, math.sqrt(p) + 12.0, 20_001)


def exact_chi_mean(p):
    return math.sqrt(2) * math.exp(math.lgamma((p + 1) / 2) - math.lgamma(p / 2))


@pytest.mark.parametrize("p", CHI_DIMENSIONS)
def test_chi_pdf_integrates_to_one(p):
    radii = chi_grid(p)
    density = chi_pdf(radii, p)
    assert np.all(np.isfinite(density)) and np.all(density >= 0)
    assert trapezoid(density, radii) == pytest.approx(1.0, abs=1e-6)
    assert trapezoid(radii * density, radii) == pytest.approx(exact_chi_mean(p), rel=1e-6)


@pytest.mark.parametrize("p", CHI_DIMENSIONS)
def test_chi_pdf_mean_matches_sampled_norms(p):
    norms = sample_norms(p, 4000, np.random.default_rng(p))
    assert norms.shape == (4000,) and np.all(norms > 0)
    radii = chi_grid(p)
    pdf_mean = trapezoid(radii * chi_pdf(radii, p), radii)
    assert abs(norms.mean() - pdf_mean) < 5 * norms.std() / math.sqrt(len(norms))


@pytest.mark.parametrize("p", CHI_DIMENSIONS)
def test_chi_mean_and_std_are_the_densitys_moments(p):
    radii = chi_grid(p)
    density = chi_pdf(radii, p)
    mean, std = chi_mean_and_std(p)
    assert mean == pytest.approx(trapezoid(radii * density, radii), rel=1e-6)
    assert std == pytest.approx(math.sqrt(trapezoid((radii - mean) ** 2 * density, radii)), rel=1e-4)
    assert mean < math.sqrt(p)  # Jensen: E||z|| < sqrt(E||z||^2)
    if p >= 50:  # the shell: mean near sqrt(p), width near 1/sqrt(2) whatever p
        assert mean == pytest.approx(math.sqrt(p), rel=0.01) and std == pytest.approx(1 / math.sqrt(2), rel=0.02)


@pytest.mark.parametrize("p", (1, 2, 5, 10, 50))
@pytest.mark.parametrize("fraction", (0.2, 0.5, 0.9))
def test_probability_of_a_small_norm_is_the_densitys_mass_below(p, fraction):
    radii = np.linspace(0.0, fraction * math.sqrt(p), 200_001)
    mass = trapezoid(chi_pdf(radii, p), radii)
    assert log10_probability_norm_below(p, fraction) == pytest.approx(math.log10(mass), abs=1e-6 + 1e-5 * abs(math.log10(mass)))


def test_probability_of_a_small_norm_in_closed_form_and_far_in_the_tail():
    # For p = 2, P(||z|| < r) = 1 - exp(-r^2 / 2); here r = sqrt(2) / 2.
    assert log10_probability_norm_below(2, 0.5) == pytest.approx(math.log10(1 - math.exp(-0.25)))
    # Far below what a float can hold, still finite, and smaller for larger p.
    tails = [log10_probability_norm_below(p, 0.5) for p in (100, 500, 5000)]
    assert all(math.isfinite(tail) for tail in tails) and tails[1] < -70 and tails[0] > tails[1] > tails[2]


def test_chi_pdf_known_values():
    # p = 1 is the half-normal, p = 2 the Rayleigh distribution.
    radii = np.array([0.0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(chi_pdf(radii, 1), 2 * np.exp(-radii**2 / 2) / math.sqrt(2 * np.pi))
    np.testing.assert_allclose(chi_pdf(radii, 2), radii * np.exp(-radii**2 / 2))


def test_mean_norm_in_500_dimensions_is_close_to_sqrt_500():
    norms = sample_norms(500, 20_000, np.random.default_rng(500))
    assert norms.mean() == pytest.approx(math.sqrt(500), rel=0.005)
    assert norms.std() == pytest.approx(1 / math.sqrt(2), rel=0.05)


def test_sample_norms_in_small_chunks(monkeypatch):
    monkeypatch.setattr(geometry, "_MAX_CHUNK_ELEMENTS", 64)  # 6 rows of p = 10 per chunk
    norms = sample_norms(10, 3001, np.random.default_rng(3))
    assert norms.shape == (3001,)
    assert abs(norms.mean() - exact_chi_mean(10)) < 5 * norms.std() / math.sqrt(len(norms))


@PROPERTY
@given(seed=seeds, n=dims)
def test_prior_log_density(seed, n):
    points = np.random.default_rng(seed).standard_normal((3, 4, n))
    log_density = prior_log_density(points)
    assert log_density.shape == (3, 4)
    expected = np.sum(-0.5 * points**2 - 0.5 * np.log(2 * np.pi), axis=-1)
    np.testing.assert_allclose(log_density, expected, rtol=1e-12)


# --------------------------------------------------------------------------
# Two-dimensional helpers
# --------------------------------------------------------------------------


def test_latent_grid_corners_and_orientation():
    grid = latent_grid(3.0, 5)
    assert grid.shape == (5, 5, 2)
    np.testing.assert_array_equal(grid[0, 0], [-3.0, 3.0])     # top left
    np.testing.assert_array_equal(grid[0, -1], [3.0, 3.0])     # top right
    np.testing.assert_array_equal(grid[-1, 0], [-3.0, -3.0])   # bottom left
    np.testing.assert_array_equal(grid[-1, -1], [3.0, -3.0])   # bottom right
    assert np.all(np.diff(grid[..., 0], axis=1) > 0)           # x grows left to right
    assert np.all(np.diff(grid[..., 1], axis=0) < 0)           # y falls top to bottom
    assert np.all(np.diff(grid[..., 0], axis=0) == 0)
    assert np.all(np.diff(grid[..., 1], axis=1) == 0)


def test_spiral_2d_matches_formulas():
    for t in (0.0, 1.0, np.pi, 7.5):
        point = spiral_2d(np.array([t]))[0]
        np.testing.assert_allclose(point, [(0.2 * t - 2) * math.sin(t), (0.2 * t - 2) * math.cos(t)])
    np.testing.assert_allclose(spiral_2d(np.array([0.0])), [[0.0, -2.0]])
    times = spiral_2d_times(50)
    np.testing.assert_array_equal(times, np.linspace(0, 3 * np.pi, 50))
    assert spiral_2d(times).shape == (50, 2)


# --------------------------------------------------------------------------
# Argument validation
# --------------------------------------------------------------------------

BAD_CALLS = [
    (lambda: sphere_spiral(1, 1.0, 10, 1.0), "n"),
    (lambda: sphere_spiral(3, 0.0, 10, 1.0), "radius"),
    (lambda: sphere_spiral(3, -1.0, 10, 1.0), "radius"),
    (lambda: sphere_spiral(3, 1.0, 0, 1.0), "steps"),
    (lambda: sphere_spiral(3, 1.0, 10, np.nan), "turns"),
    (lambda: sphere_spiral_angles(3, 2.5, 1.0), "steps"),
    (lambda: uniform_on_sphere(3, 10, 0.0, np.random.default_rng(0)), "radius"),
    (lambda: uniform_on_sphere(3, 10, 1.0, 42), "rng"),
    (lambda: uniform_on_sphere(3, 0, 1.0, np.random.default_rng(0)), "count"),
    (lambda: lerp([0.0, 1.0], [1.0, 0.0], [0.5, 1.5]), "t"),
    (lambda: lerp([0.0, 1.0], [1.0, 0.0], [-0.1]), "t"),
    (lambda: lerp([0.0, 1.0], [1.0, 0.0, 2.0], [0.5]), "start and end"),
    (lambda: lerp([0.0, np.inf], [1.0, 0.0], [0.5]), "start"),
    (lambda: slerp([1.0, 0.0], [0.0, 1.0], [2.0]), "t"),
    (lambda: slerp([1.0, 0.0], [0.0, 1.0, 0.0], [0.5]), "start and end"),
    (lambda: slerp([0.0, 0.0], [0.0, 1.0], [0.5]), "start"),
    (lambda: slerp([1.0, 0.0], [0.0, 0.0], [0.5]), "end"),
    (lambda: distribution_matched_lerp([1.0, 0.0], [0.0, 1.0], [1.01]), "t"),
    (lambda: hyperspherical_to_cartesian(1.0, np.zeros((4, 0))), "angles"),
    (lambda: hyperspherical_to_cartesian(-1.0, [0.3]), "radius"),
    (lambda: hyperspherical_to_cartesian(np.ones(3), np.zeros((4, 2))), "radius"),
    (lambda: cartesian_to_hyperspherical([1.0]), "x"),
    (lambda: cartesian_to_hyperspherical([1.0, np.nan]), "x"),
    (lambda: scale_to_radius([[1.0, 0.0]], 0.0), "radius"),
    (lambda: scale_to_radius([[0.0, 0.0]], 1.0), "points"),
    (lambda: latent_grid(0.0, 5), "extent"),
    (lambda: latent_grid(1.0, 1), "steps"),
    (lambda: spiral_2d_times(0), "steps"),
    (lambda: spiral_2d(np.zeros((2, 2))), "t"),
    (lambda: log_ball_volume(0), "n"),
    (lambda: ball_volume(np.array([3, 0])), "n"),
    (lambda: log_ball_volume(2.5), "n"),
    (lambda: chi_pdf([-1.0, 1.0], 3), "r"),
    (lambda: chi_pdf([1.0], 0), "p"),
    (lambda: chi_mean_and_std(0), "p"),
    (lambda: log10_probability_norm_below(0, 0.5), "p"),
    (lambda: log10_probability_norm_below(3, 1.0), "fraction"),
    (lambda: log10_probability_norm_below(3, np.nan), "fraction"),
    (lambda: slerp(np.ones((2, 3)), np.ones((3, 3)), [0.5]), "start and end"),
    (lambda: slerp(np.array([[1.0, 0.0], [0.0, 0.0]]), np.ones((2, 2)), [0.5]), "start"),
    (lambda: sample_norms(0, 10, np.random.default_rng(0)), "p"),
    (lambda: sample_norms(3, 0, np.random.default_rng(0)), "count"),
    (lambda: prior_log_density(np.float64(1.0)), "z"),
]


@pytest.mark.parametrize("call, argument", BAD_CALLS)
def test_bad_arguments_raise_value_error_naming_the_argument(call, argument):
    with pytest.raises(ValueError, match=rf"^{argument}\b"):
        call()
