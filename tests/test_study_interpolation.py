"""The study's interpolation methods, pairs, distances, bootstrap intervals and per-model measurement."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentspace.errors import LatentspaceError
from latentspace.model.vae import VAE, VAEConfig
from latentspace.study.classifier import DigitClassifier
from latentspace.settings.declared import InterpolationRun
from latentspace.study.interpolation_quality import (
    bootstrap_mean_interval,
    INTERPOLATIONS,
    distinct_index_pairs,
    measure_interpolations,
    nearest_neighbour_distances,
    path_fractions,
    summarise_measurements,
)
from latentspace.study.labels import METHODS, METRICS, SOURCES
from latentspace.study.tables import MIDPOINT_COLUMNS, PATH_COLUMNS

def test_each_method_is_geometrys_interpolation_of_all_pairs_at_once():
    assert set(INTERPOLATIONS) == set(METHODS)
    rng = np.random.default_rng(4)
    starts, ends = rng.standard_normal((2, 6, 5))
    t = path_fractions(5)
    for method, interpolate in INTERPOLATIONS.items():
        paths = interpolate(starts, ends, t)                                  # (P, T, n)
        assert paths.shape == (6, 5, 5), method
        np.testing.assert_array_equal(paths[:, 0], starts)
        np.testing.assert_array_equal(paths[:, -1], ends)
    midpoint_norms = {method: np.linalg.norm(INTERPOLATIONS[method](starts, ends, t)[:, 2], axis=1) for method in METHODS}
    # At t = 1/2, distribution matching rescales the lerp point by sqrt(2).
    np.testing.assert_allclose(midpoint_norms["distribution_matched"], np.sqrt(2) * midpoint_norms["lerp"])


def test_path_fractions_hold_the_exact_midpoint():
    t = path_fractions(11)
    assert t[0] == 0.0 and t[-1] == 1.0 and t[5] == 0.5
    assert np.all(np.diff(t) > 0)


def test_distinct_index_pairs_never_pair_an_image_with_itself():
    pairs = distinct_index_pairs(5, 1000, np.random.default_rng(3))
    assert pairs.shape == (1000, 2)
    assert np.all(pairs[:, 0] != pairs[:, 1])
    assert pairs.min() >= 0 and pairs.max() <= 4
    assert len({tuple(pair) for pair in pairs}) == 20  # every ordered pair of 5 images occurs


def test_nearest_neighbour_distances_match_brute_force():
    generator = torch.Generator().manual_seed(5)
    queries = torch.rand(37, 784, generator=generator)
    references = torch.rand(53, 784, generator=generator)
    references[7] = queries[3]  # an exact match: distance 0, not a small negative square root
    brute = torch.cdist(queries.double(), references.double()).min(dim=1).values
    fast = nearest_neighbour_distances(queries, references, rows_per_chunk=8)
    torch.testing.assert_close(fast.double(), brute, atol=2e-3, rtol=1e-4)
    assert fast[3] == pytest.approx(0.0, abs=2e-3)


def test_bootstrap_interval_sanity():
    rng = np.random.default_rng(0)
    # 400 independent experiments of 60 normal draws each (one per column).
    values = rng.normal(2.0, 1.0, size=(60, 400))
    mean, low, high = bootstrap_mean_interval(values, 1000, 0.95, np.random.default_rng(1))
    np.testing.assert_allclose(mean, values.mean(axis=0))
    assert np.all(low < mean) and np.all(mean < high)
    coverage = np.mean((low <= 2.0) & (2.0 <= high))
    assert 0.88 <= coverage <= 0.99  # the true mean is inside about 95% of the intervals
    # The interval width shrinks like 1/sqrt(n): 4 times the draws, half the width.
    wide = np.median(high - low)
    _, low_4n, high_4n = bootstrap_mean_interval(
        rng.normal(2.0, 1.0, size=(240, 400)), 1000, 0.95, np.random.default_rng(2)
    )
    assert np.median(high_4n - low_4n) == pytest.approx(wide / 2, rel=0.15)
    # Constant data: an interval of zero width.
    _, low_c, high_c = bootstrap_mean_interval(np.full((30, 2), 7.0), 200, 0.95, np.random.default_rng(3))
    np.testing.assert_allclose([low_c, high_c], 7.0)


def test_settings_refuse_an_even_number_of_steps():
    with pytest.raises(LatentspaceError, match="^path_steps: expected an odd integer from 3 to 1001, got 10"):
        InterpolationRun(pairs=10, path_steps=10, bootstrap_resamples=100, confidence_level=0.95, seed=0)


def tiny_setup(latent_dim=3, seed=0):
    torch.manual_seed(seed)
    model = VAE(VAEConfig(latent_dim, (16,))).eval()
    classifier = DigitClassifier().eval()
    generator = torch.Generator().manual_seed(seed)
    train_x = torch.rand(40, 784, generator=generator)
    test_x = torch.rand(12, 784, generator=generator)
    return model, classifier, train_x, test_x


def test_measurement_shapes_and_tables():
    model, classifier, train_x, test_x = tiny_setup()
    study = InterpolationRun(pairs=6, path_steps=5, bootstrap_resamples=50, confidence_level=0.9, seed=4)
    measurements = measure_interpolations(model, classifier, train_x, test_x, study)
    assert measurements.values.shape == (len(SOURCES), len(METHODS), len(METRICS), 6, 5)
    assert np.all(np.isfinite(measurements.values))
    norm = measurements.values[:, :, METRICS.index("latent_norm_ratio")]
    # Every method starts from the same endpoint: equal norms at t = 0 across methods.
    np.testing.assert_allclose(norm[:, :, :, 0], norm[:, :1, :, 0].repeat(3, axis=1))
    confidence = measurements.values[:, :, METRICS.index("classifier_confidence")]
    assert np.all((confidence >= 0.1 - 1e-6) & (confidence <= 1.0))
    path_rows, midpoint_rows = summarise_measurements(measurements, study)
    assert len(path_rows) == len(SOURCES) * len(METHODS) * len(METRICS) * 5
    assert len(midpoint_rows) == len(SOURCES) * len(METHODS) * len(METRICS)
    assert all(set(row) == set(PATH_COLUMNS) for row in path_rows)
    for row in midpoint_rows:
        assert set(row) <= set(MIDPOINT_COLUMNS)
        assert ("minus_lerp_mean" in row) == (row["method"] != "lerp")
        assert row["gap_ci_low"] <= row["gap_mean"] <= row["gap_ci_high"]
    lerp_norm = next(r for r in midpoint_rows if (r["source"], r["method"], r["metric"]) == ("prior", "lerp", "latent_norm_ratio"))
    assert lerp_norm["gap_mean"] < 0  # the chord dips inside the endpoints' norms


def test_same_seed_same_tables_other_seed_other_pairs():
    model, classifier, train_x, test_x = tiny_setup()

    def tables(seed):
        study = InterpolationRun(pairs=5, path_steps=3, bootstrap_resamples=30, confidence_level=0.95, seed=seed)
        return summarise_measurements(measure_interpolations(model, classifier, train_x, test_x, study), study)

    assert tables(8) == tables(8)
    assert tables(8) != tables(9)
