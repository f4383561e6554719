"""The study's tables and its reading: sentences chosen by the numbers they are given."""

from __future__ import annotations

import json

import pytest

from latentspace.study.labels import BASELINE_METHOD, METHODS, METRICS, SOURCES
from latentspace.study.report import (
    MIDPOINT_COLUMNS,
    MODEL_COLUMNS,
    build_summary,
    csv_to_rows,
    model_row,
    rows_to_csv,
)

LATENT_DIMS = (2, 50)
SETTINGS = {"pairs": 40, "path_steps": 5, "iwae_samples": 10, "bootstrap_resamples": 100,
            "confidence_level": 0.95, "seed": 1}


def statistics(latent_dim, posterior_mean_ratio=0.9, iwae=-100.0):
    quantiles = {"q05": 0.8, "q25": 0.9, "q50": 1.0, "q75": 1.1, "q95": 1.2, "mean": 1.0}
    return {
        "latent_dim": latent_dim, "test_size": 100, "test_elbo_nats": iwae - 5, "test_iwae_nats": iwae,
        "test_iwae_standard_error_nats": 1.0, "iwae_minus_elbo_nats": 5.0, "iwae_samples": 10, "kl_nats": 9.0,
        "kl_per_dim_nats": [9.0 / latent_dim] * latent_dim, "posterior_mean_variance": [0.5] * latent_dim,
        "active_units": latent_dim, "active_unit_threshold": 0.01, "shell_radius": latent_dim**0.5,
        "norm_ratio_quantiles": {
            "prior_draw": quantiles,
            "posterior_draw": quantiles,
            "posterior_mean": {**quantiles, "q50": posterior_mean_ratio},
        },
    }


def midpoint_rows(confidence_versus_lerp):
    """Rows for every size, source, method and metric; confidence_versus_lerp[(dim, source, method)] =
    (mean, low, high) of the paired difference to lerp (default: an interval around 0)."""
    rows = []
    for dim in LATENT_DIMS:
        for source in SOURCES:
            for method in METHODS:
                for metric in METRICS:
                    row = {"latent_dim": dim, "source": source, "method": method, "metric": metric,
                           "endpoints_mean": 1.0, "midpoint_mean": 0.7 if method == BASELINE_METHOD else 1.0,
                           "gap_mean": -0.1, "gap_ci_low": -0.15, "gap_ci_high": -0.05}
                    if method != BASELINE_METHOD:
                        mean, low, high = confidence_versus_lerp.get((dim, source, method), (0.01, -0.02, 0.04))
                        row.update({"minus_lerp_mean": mean, "minus_lerp_ci_low": low, "minus_lerp_ci_high": high})
                    rows.append(row)
    return rows


def classifier(accuracy=0.98):
    return {"test_accuracy": accuracy, "min_accuracy": 0.97, "meets_bar": accuracy >= 0.97, "test_size": 100,
            "train_size": 900}


def summary_for(confidence_versus_lerp=None, accuracy=0.98, posterior_mean_ratio=0.9):
    return build_summary(
        SETTINGS, classifier(accuracy), [statistics(dim, posterior_mean_ratio) for dim in reversed(LATENT_DIMS)],
        midpoint_rows(confidence_versus_lerp or {}),
    )


def test_summary_structure():
    summary = summary_for()
    assert summary["latent_dims"] == list(LATENT_DIMS) and summary["largest_latent_dim"] == 50
    assert [model["latent_dim"] for model in summary["models"]] == list(LATENT_DIMS)
    assert len(summary["midpoint_table"]) == len(LATENT_DIMS) * len(SOURCES)
    assert set(summary["midpoint_table"][0]["methods"]) == set(METHODS)
    assert all(isinstance(sentence, str) and sentence for sentence in summary["reading"])
    json.dumps(summary)  # plain JSON for the site


def test_reading_says_where_a_method_helps_and_where_it_does_not():
    helps = {(50, "prior", "slerp"): (0.08, 0.05, 0.11), (2, "prior", "slerp"): (0.01, -0.02, 0.03),
             (50, "encoded", "slerp"): (-0.06, -0.09, -0.02)}
    text = " ".join(summary_for(helps)["reading"])
    assert "slerp raises it by 0.08 (95% interval 0.05 to 0.11)" in text
    assert "slerp lowers it by 0.06 (95% interval 0.02 to 0.09), so it does not help here" in text
    assert "slerp gives measurably more confident midpoints than lerp at z = 50, but not at z = 2" in text
    assert "distribution-matched gives no measurably more confident midpoints than lerp at any latent size" in text
    assert "no measurable difference over 40 pairs" in text


def test_reading_refuses_to_interpret_a_weak_classifier():
    reading = summary_for({(50, "prior", "slerp"): (0.08, 0.05, 0.11)}, accuracy=0.90)["reading"]
    assert "too weak to judge" in reading[0] and "90.0%" in reading[0]
    assert not any("confident midpoints" in sentence for sentence in reading)


def test_reading_of_where_the_encoded_digits_lie():
    inside = " ".join(summary_for(posterior_mean_ratio=0.3)["reading"])
    assert "median norm of 0.30 of the radius, well inside the shell" in inside and "start off the shell" in inside
    on = " ".join(summary_for(posterior_mean_ratio=0.95)["reading"])
    assert "within the range of the prior's draws" in on and "start on the shell" in on
    beyond = " ".join(summary_for(posterior_mean_ratio=2.5)["reading"])
    assert "beyond the range of the prior's draws" in beyond and "start off the shell" in beyond


def test_csv_round_trip_keeps_numbers_and_leaves_missing_cells_out():
    rows = midpoint_rows({})
    text = rows_to_csv(rows, MIDPOINT_COLUMNS)
    assert text.splitlines()[0] == ",".join(MIDPOINT_COLUMNS)
    assert csv_to_rows(text) == rows
    models = [model_row(statistics(dim)) for dim in LATENT_DIMS]
    assert csv_to_rows(rows_to_csv(models, MODEL_COLUMNS)) == models
    assert models[0]["posterior_mean_norm_ratio_q50"] == pytest.approx(0.9)
