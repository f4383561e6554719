"""The study's tables: CSV round trips, the summary and its verdicts, computed once as data.

The builders here (statistics, midpoint_rows, summary_for) also feed the tests of the page's
words and the site's stand-in run.
"""

from __future__ import annotations

import json

import pytest

from latentspace.pipeline.code_hash import PACKAGE_DIR, module_closure
from latentspace.cli import step_names
from latentspace.pipeline.code_hash import step_module_name
from latentspace.study.labels import BASELINE_METHOD, METHODS, METRICS, SOURCES
from latentspace.study.tables import (
    MIDPOINT_COLUMNS,
    MODEL_COLUMNS,
    build_summary,
    interval_sign,
    shell_place,
    units_for_kl_share,
    csv_to_rows,
    kl_spectrum,
    kl_unit_counts,
    share_against,
    model_row,
    rows_to_csv,
)

LATENT_DIMS = (2, 50)
SETTINGS = {"pairs": 40, "path_steps": 5, "iwae_samples": 10, "bootstrap_resamples": 100,
            "confidence_level": 0.95, "seed": 1}


def spread(q50, width=0.1):
    """Quantiles of a stand-in population around ``q50``."""
    return {"q05": q50 - 2 * width, "q25": q50 - width, "q50": q50, "q75": q50 + width, "q95": q50 + 2 * width,
            "mean": q50}


def training_codes(latent_dim, square_shares=(0.74, 0.75), train_mean_ratio=0.9, distances=None):
    """A model's training codes (latentspace.study.training_codes) as the study-model step writes them.

    ``square_shares``: the shares of posterior means and draws inside F2's square [-2, 2]^2 (a 2-D
    model only; the prior holds 91% there); ``distances``: median distance to the nearest training
    code of (held-out codes, prior endpoints, lerp, slerp, distribution-matched midpoints).
    """
    held_out, endpoints, lerp, slerp, matched = distances or (0.1, 1.0, 0.7, 1.0, 1.0)
    codes = {
        "train_size": 900,
        "norm_ratio_quantiles": {"posterior_mean": spread(train_mean_ratio, 0.02), "posterior_draw": spread(1.0, 0.05)},
        "nearest_code_distance": {
            "prior": {"endpoints": spread(endpoints, 0.01), "lerp": spread(lerp, 0.01), "slerp": spread(slerp, 0.01),
                      "distribution_matched": spread(matched, 0.01)},
            "encoded": {name: spread(held_out * 1.3, 0.01)
                        for name in ("endpoints", "lerp", "slerp", "distribution_matched")},
            "held_out": spread(held_out, 0.01),
        },
    }
    if latent_dim == 2:
        codes["grid_square"] = {"extent": 2.0, "prior_share": 0.9110697462219214,
                                "posterior_mean_share": square_shares[0], "posterior_draw_share": square_shares[1]}
    return codes


def statistics(latent_dim, posterior_mean_ratio=0.9, iwae=-100.0, kl_per_dim=None, active_units=None, codes=None):
    quantiles = {"q05": 0.8, "q25": 0.9, "q50": 1.0, "q75": 1.1, "q95": 1.2, "mean": 1.0}
    return {
        "latent_dim": latent_dim, "test_size": 100, "test_elbo_nats": iwae - 5,
        "elbo_one_draw_standard_error_nats": 0.2, "test_iwae_nats": iwae,
        "test_iwae_standard_error_nats": 1.0, "iwae_minus_elbo_nats": 5.0, "iwae_samples": 10, "kl_nats": 9.0,
        "kl_per_dim_nats": kl_per_dim or [9.0 / latent_dim] * latent_dim, "posterior_mean_variance": [0.5] * latent_dim,
        "active_units": latent_dim if active_units is None else active_units, "active_unit_threshold": 0.01,
        "shell_radius": latent_dim**0.5,
        "norm_ratio_quantiles": {
            "prior_draw": quantiles,
            "posterior_draw": quantiles,
            "posterior_mean": {**quantiles, "q50": posterior_mean_ratio},
        },
        "training_codes": codes if codes is not None else training_codes(latent_dim),
    }


def midpoint_rows(confidence_versus_lerp, gaps=None, endpoint_confidence=None):
    """Rows for every size, source, method and metric; confidence_versus_lerp[(dim, source, method)] =
    (mean, low, high) of the paired difference to lerp (default: an interval around 0);
    gaps[(dim, source)] = lerp's midpoint gap in confidence (default -0.1 [-0.15, -0.05]);
    endpoint_confidence[source]: the endpoints' mean confidence (default 1.0)."""
    gaps, endpoint_confidence = gaps or {}, endpoint_confidence or {}
    rows = []
    for dim in LATENT_DIMS:
        for source in SOURCES:
            for method in METHODS:
                for metric in METRICS:
                    row = {"latent_dim": dim, "source": source, "method": method, "metric": metric,
                           "endpoints_mean": 1.0, "midpoint_mean": 0.7 if method == BASELINE_METHOD else 1.0,
                           "gap_mean": -0.1, "gap_ci_low": -0.15, "gap_ci_high": -0.05}
                    if metric == "classifier_confidence":
                        row["endpoints_mean"] = endpoint_confidence.get(source, 1.0)
                        if method == BASELINE_METHOD and (dim, source) in gaps:
                            row["gap_mean"], row["gap_ci_low"], row["gap_ci_high"] = gaps[(dim, source)]
                    if method != BASELINE_METHOD:
                        mean, low, high = confidence_versus_lerp.get((dim, source, method), (0.01, -0.02, 0.04))
                        row.update({"minus_lerp_mean": mean, "minus_lerp_ci_low": low, "minus_lerp_ci_high": high})
                    rows.append(row)
    return rows


def classifier(accuracy=0.98):
    return {"test_accuracy": accuracy, "min_accuracy": 0.97, "meets_bar": accuracy >= 0.97, "test_size": 100,
            "train_size": 900}


def summary_for(confidence_versus_lerp=None, accuracy=0.98, posterior_mean_ratio=0.9, models=None, gaps=None,
                endpoint_confidence=None):
    """A summary of latent sizes 2 and 50. ``models`` maps a size to keyword arguments of
    :func:`statistics`; ``gaps`` maps (dim, source) to lerp's (mean, low, high) midpoint gap in
    confidence; ``endpoint_confidence`` maps a source to its endpoints' mean confidence."""
    models = models or {}
    return build_summary(
        SETTINGS, classifier(accuracy),
        [statistics(dim, posterior_mean_ratio, **models.get(dim, {})) for dim in reversed(LATENT_DIMS)],
        midpoint_rows(confidence_versus_lerp or {}, gaps or {}, endpoint_confidence or {}),
    )


def test_summary_structure():
    summary = summary_for()
    assert summary["latent_dims"] == list(LATENT_DIMS) and summary["largest_latent_dim"] == 50
    assert [model["latent_dim"] for model in summary["models"]] == list(LATENT_DIMS)
    assert len(summary["midpoint_table"]) == len(LATENT_DIMS) * len(SOURCES)
    assert set(summary["midpoint_table"][0]["methods"]) == set(METHODS)
    assert "reading" not in summary  # words are the templates' job (partials/study_reading.html.j2)
    json.dumps(summary)  # plain JSON for the site


def test_verdicts_are_data():
    assert [interval_sign(0.01, 0.05), interval_sign(-0.01, 0.03), interval_sign(-0.05, -0.01)] == [1, 0, -1]
    model = {"prior_draw_norm_ratio_q05": 0.9, "prior_draw_norm_ratio_q95": 1.1}
    assert [shell_place(model, ratio) for ratio in (0.7, 1.0, 1.3)] == ["below", "within", "above"]
    assert units_for_kl_share([5.0, 4.0, 0.5, 0.5], 0.9) == 2 and units_for_kl_share([1.0] * 10, 0.9) == 9
    summary = summary_for({(50, "prior", "slerp"): (0.08, 0.05, 0.11), (50, "encoded", "slerp"): (0.01, -0.02, 0.04)},
                          posterior_mean_ratio=0.3)
    rows = {(row["latent_dim"], row["source"], row["method"], row["metric"]): row for row in summary["midpoints"]}
    assert rows[(50, "prior", "slerp", "classifier_confidence")]["minus_lerp"]["sign"] == 1
    assert rows[(50, "encoded", "slerp", "classifier_confidence")]["minus_lerp"]["sign"] == 0
    assert rows[(50, "prior", "lerp", "classifier_confidence")]["gap"] == {
        "mean": -0.1, "ci_low": -0.15, "ci_high": -0.05, "sign": -1, "reason": "measured"}
    assert rows[(50, "encoded", "slerp", "classifier_confidence")]["minus_lerp"]["reason"] == "pairs_hold_zero"
    assert rows[(50, "prior", "lerp", "latent_norm_ratio")]["midpoint_place"] == "below"  # 0.7 < q05 = 0.8
    assert summary["models"][-1]["posterior_mean_place"] == "below"
    assert summary["models"][-1]["units_for_90pct_kl"] == 45  # 50 equal units: 90% of them
    assert summary["midpoint_table"][-1]["methods"]["lerp"]["confidence_gap"]["sign"] == -1


def test_the_kl_spectrum_says_how_many_dimensions_a_model_uses():
    few = kl_spectrum([1.0] * 6 + [0.3] * 6 + [0.01] * 38, active_units=48)
    counts = kl_unit_counts([1.0] * 6 + [0.3] * 6 + [0.01] * 38)
    assert counts == {"units_above_kl_threshold": 12, "kl_unit_threshold_nats": 0.1, "units_for_half_kl": 5,
                      "units_for_90pct_kl": 11}
    assert few["usage"] == "few" and few["sorted_kl_per_dim_nats"][0] == 1.0
    assert few["kl_total_nats"] == pytest.approx(8.18) and few["kl_above_threshold_nats"] == pytest.approx(7.8)
    assert (few["rest_kl_min_nats"], few["rest_kl_max_nats"]) == (0.01, 0.01)
    assert kl_spectrum([3.0, 2.9], active_units=2)["usage"] == "all"
    assert kl_spectrum([3.0, 2.9], active_units=2)["rest_kl_min_nats"] is None
    assert kl_spectrum([0.05] * 50, active_units=50)["usage"] == "thin"
    assert kl_unit_counts([0.1, 0.10001])["units_above_kl_threshold"] == 1  # strictly above


def test_a_share_is_placed_against_a_reference_by_its_interval():
    assert share_against(0.74, 4500, 0.911, 0.95)["place"] == "below"
    assert share_against(0.91, 4500, 0.911, 0.95)["place"] == "same"
    assert share_against(0.95, 4500, 0.911, 0.95)["place"] == "above"
    small = share_against(0.85, 20, 0.911, 0.95)  # 17 of 20: too few to tell
    assert small["place"] == "same" and small["ci_low"] < 0.85 < small["ci_high"]
    summary = summary_for(models={2: {"codes": training_codes(2, square_shares=(0.74, 0.75))}})
    square = summary["models"][0]["training_codes"]["grid_square"]
    assert square["posterior_mean"]["place"] == square["posterior_draw"]["place"] == "below"
    assert "grid_square" not in summary["models"][1]["training_codes"]


def test_csv_round_trip_keeps_numbers_and_leaves_missing_cells_out():
    rows = midpoint_rows({})
    text = rows_to_csv(rows, MIDPOINT_COLUMNS)
    assert text.splitlines()[0] == ",".join(MIDPOINT_COLUMNS)
    assert csv_to_rows(text) == rows
    models = [model_row(statistics(dim)) for dim in LATENT_DIMS]
    assert csv_to_rows(rows_to_csv(models, MODEL_COLUMNS)) == models
    assert models[0]["posterior_mean_norm_ratio_q50"] == pytest.approx(0.9)


def test_only_the_site_step_imports_the_page_numbers():
    """Changing how the page picks its verdicts re-runs the site and nothing else: no other step's
    re-run trigger (its import closure, functions' imports included) holds article_numbers."""
    numbers = PACKAGE_DIR / "page" / "article_numbers.py"
    for step in step_names():
        closure = set(module_closure([step_module_name(step)]))
        assert (numbers in closure) == (step == "site"), step
