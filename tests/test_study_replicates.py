"""Replicates: their seeds, the intervals across them, their calibration, and the verdicts they allow."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from latentspace.errors import LatentspaceError
from latentspace.training.replicates import SEED_LIMIT, training_seed
from latentspace.steps import study_summary
from latentspace.study import across_replicates
from latentspace.study.across_replicates import (
    MODEL_NUMBERS,
    aggregate_midpoint_rows,
    crossed_interval,
    crossed_variance,
    interval_covers,
    mean_statistics,
    read_midpoint_pairs,
    replicates_disagree,
    sample_sd,
    save_midpoint_pairs,
    t_interval,
)
from latentspace.study.labels import BASELINE_METHOD, METHODS, METRICS, SOURCES
from latentspace.study.tables import (
    build_summary,
    rows_to_csv,
    shell_place,
    typed_rows,
    units_for_kl_share,
    classifier_with_interval,
    interval,
    interval_sign,
    model_row,
    verdict_sign,
    wilson_interval,
)
from test_study_tables import LATENT_DIMS, SETTINGS, classifier, midpoint_rows, statistics

PAIRS = 30
CONFIDENCE = "classifier_confidence"


# --------------------------------------------------------------------------
# Seeds
# --------------------------------------------------------------------------


def test_replicate_zero_trains_with_the_run_seed_and_the_others_with_their_own():
    assert training_seed(1234, 0) == 1234 and training_seed(0, 0) == 0
    seeds = [training_seed(1234, replicate) for replicate in range(6)]
    assert len(set(seeds)) == 6
    assert seeds == [training_seed(1234, replicate) for replicate in range(6)]  # derived, not drawn
    assert all(0 <= seed < SEED_LIMIT for seed in seeds)
    # Not neighbours of the run's seed: training also uses seed + 1 .. seed + 3.
    assert all(abs(seed - 1234) > 3 for seed in seeds[1:])
    assert training_seed(1, 1) != training_seed(2, 1)
    with pytest.raises(ValueError, match="replicate"):
        training_seed(1234, -1)


# --------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------


@pytest.mark.parametrize("probability, degrees, quantile", [
    (0.975, 1, 12.7062047), (0.975, 2, 4.3026527), (0.975, 4, 2.7764451), (0.995, 3, 5.8409093),
    (0.975, 30, 2.0422725), (0.95, 10, 1.8124611), (0.5, 7, 0.0), (0.975, 1e6, 1.9599664),
])
def test_student_t_quantile_matches_the_tables(probability, degrees, quantile):
    assert across_replicates.student_t_quantile(probability, degrees) == pytest.approx(quantile, abs=2e-7)
    assert across_replicates.student_t_cdf(quantile, degrees) == pytest.approx(probability, abs=1e-7)


def test_student_t_quantile_refuses_what_it_cannot_compute():
    for probability, degrees in [(0.4, 3), (1.0, 3), (0.9, 0)]:
        with pytest.raises(ValueError, match="student_t_quantile"):
            across_replicates.student_t_quantile(probability, degrees)


def test_t_interval_over_replicates():
    assert t_interval([0.3], 0.95) == {"mean": 0.3, "ci_low": None, "ci_high": None}
    # mean 2, sd 1, t(0.975, 2) = 4.3027: half width 4.3027 / sqrt(3) = 2.4841.
    result = t_interval([1.0, 2.0, 3.0], 0.95)
    assert result["mean"] == 2.0
    assert result["ci_low"] == pytest.approx(2.0 - 2.48414, abs=1e-4)
    assert result["ci_high"] == pytest.approx(2.0 + 2.48414, abs=1e-4)
    assert t_interval([5.0, 5.0], 0.95) == {"mean": 5.0, "ci_low": 5.0, "ci_high": 5.0}
    assert sample_sd([1.0]) == 0.0 and sample_sd([1.0, 3.0]) == pytest.approx(math.sqrt(2))
    with pytest.raises(ValueError):
        t_interval([], 0.95)


def test_crossed_variance_recovers_known_components():
    rng = np.random.default_rng(3)
    replicates, pairs = 40, 400
    training, pair, noise = 0.5, 1.0, 0.3
    estimates = []
    for _ in range(20):
        values = (rng.normal(0, training, (replicates, 1)) + rng.normal(0, pair, (1, pairs))
                  + rng.normal(0, noise, (replicates, pairs)))
        estimates.append(crossed_variance(values)[0])
    expected = training**2 / replicates + pair**2 / pairs + noise**2 / (replicates * pairs)
    assert np.mean(estimates) == pytest.approx(expected, rel=0.15)


def test_crossed_interval_degrees_of_freedom_follow_the_larger_source():
    rng = np.random.default_rng(4)
    training_only = rng.normal(0, 1, (3, 1)) + rng.normal(0, 1e-6, (3, 200))
    assert crossed_variance(training_only)[1] == pytest.approx(2, rel=0.05)   # R - 1
    pairs_only = np.tile(rng.normal(0, 1, (1, 200)), (3, 1)) + rng.normal(0, 1e-6, (3, 200))
    assert crossed_variance(pairs_only)[1] > 150                              # about P - 1


def test_crossed_interval_of_identical_values_is_a_point_and_bad_shapes_are_refused():
    result = crossed_interval(np.full((3, 5), 0.25), 0.95)
    assert result == {"mean": 0.25, "ci_low": 0.25, "ci_high": 0.25}
    for shape in [(1, 5), (3, 1), (4,)]:
        with pytest.raises(ValueError, match="replicates >= 2, pairs >= 2"):
            crossed_interval(np.zeros(shape), 0.95)


def _coverage(replicates, pairs, training_sd, pair_sd, noise_sd, trials, seed):
    """Share of intervals that hold the true mean 0, on synthetic replicate x pair values."""
    rng = np.random.default_rng(seed)
    held = 0
    for _ in range(trials):
        values = (rng.normal(0, training_sd, (replicates, 1)) + rng.normal(0, pair_sd, (1, pairs))
                  + rng.normal(0, noise_sd, (replicates, pairs)))
        result = crossed_interval(values, 0.95)
        held += result["ci_low"] <= 0.0 <= result["ci_high"]
    return held / trials


@pytest.mark.slow
@settings(max_examples=6, deadline=None, derandomize=True)
@given(
    replicates=st.sampled_from([3, 5]),
    training_sd=st.sampled_from([0.0, 0.02, 0.1, 1.0]),
    pair_sd=st.sampled_from([0.0, 0.3, 1.0]),
    noise_sd=st.sampled_from([0.05, 0.3, 1.0]),
)
def test_interval_across_replicates_covers_the_true_mean_at_about_the_nominal_rate(
    replicates, training_sd, pair_sd, noise_sd
):
    """Calibration: known between-replicate (training), shared-pair and model x pair variances."""
    coverage = _coverage(replicates, 100, training_sd, pair_sd, noise_sd, trials=400, seed=replicates)
    # 400 trials: the coverage's standard error at 95% is 0.011.
    assert 0.90 <= coverage <= 0.99, coverage


def test_interval_across_replicates_is_nominal_when_one_source_dominates():
    """The fast loop's share of the calibration (the property test above is slow)."""
    assert 0.90 <= _coverage(5, 50, 1.0, 0.0, 0.05, trials=200, seed=11) <= 0.99  # the training
    assert 0.90 <= _coverage(3, 50, 0.0, 1.0, 0.05, trials=200, seed=12) <= 0.99  # the shared pairs


def test_interval_covers_says_what_it_covers():
    assert interval_covers(1) == "pairs of one trained model"
    assert interval_covers(2) == interval_covers(5) == "training and pairs"


# --------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------


def test_interval_sign_and_verdict_at_their_boundaries():
    assert interval_sign(0.0, 1.0) == 0 and interval_sign(-1.0, 0.0) == 0   # an interval that touches 0 holds it
    assert interval_sign(1e-12, 1.0) == 1 and interval_sign(-1.0, -1e-12) == -1
    assert verdict_sign(0.1, 0.2) == 1 and verdict_sign(-0.2, -0.1) == -1 and verdict_sign(-0.1, 0.1) == 0
    assert verdict_sign(0.1, 0.2, [0.3, 0.2, 0.0]) == 1          # a replicate at exactly 0 does not disagree
    assert verdict_sign(0.1, 0.2, [0.3, 0.2, -1e-9]) == 0        # one below 0: withheld
    assert verdict_sign(-0.2, -0.1, [-0.3, 1e-9]) == 0
    assert replicates_disagree([0.1, -0.1]) and not replicates_disagree([0.1, 0.0]) and not replicates_disagree([-1.0])
    assert not replicates_disagree([0.0, 0.3]) and not replicates_disagree([-0.3, 0.0]) and not replicates_disagree([0.0])


def test_interval_with_replicates_lists_them_and_withholds_a_disputed_verdict():
    across = {"mean": 0.5, "ci_low": 0.2, "ci_high": 0.8, "replicates": [
        {"replicate": 0, "mean": 0.7, "ci_low": 0.6, "ci_high": 0.8},
        {"replicate": 1, "mean": -0.05, "ci_low": -0.1, "ci_high": 0.0},
    ]}
    value = interval(0.5, 0.2, 0.8, across)
    assert value["sign"] == 0 and value["replicates_disagree"] is True
    assert [replicate["sign"] for replicate in value["replicates"]] == [1, 0]
    agreeing = {**across, "replicates": [across["replicates"][0], {**across["replicates"][1], "mean": 0.05}]}
    assert interval(0.5, 0.2, 0.8, agreeing)["sign"] == 1
    assert interval(0.5, 0.2, 0.8, agreeing)["replicates_disagree"] is False
    single = {**across, "replicates": across["replicates"][:1]}
    assert interval(0.5, 0.2, 0.8, single) == {"mean": 0.5, "ci_low": 0.2, "ci_high": 0.8, "sign": 1}


def replicate_pairs(minus_lerp_by_dim, seed=0):
    """One replicate's per-pair midpoint values: minus_lerp_by_dim[dim] is the slerp - lerp confidence
    around which its pairs scatter (tiny noise); every other quantity scatters around 0."""
    rng = np.random.default_rng(seed)
    pairs = {}
    for dim in LATENT_DIMS:
        shape = (len(SOURCES), len(METHODS), len(METRICS), PAIRS)
        gaps = rng.normal(-0.1, 0.01, shape)
        minus_lerp = rng.normal(0.0, 0.01, shape)
        minus_lerp[:, METHODS.index(BASELINE_METHOD)] = 0.0
        minus_lerp[:, METHODS.index("slerp"), METRICS.index(CONFIDENCE)] += minus_lerp_by_dim.get(dim, 0.0)
        pairs[dim] = {"latent_dim": dim, "gaps": gaps, "minus_lerp": minus_lerp}
    return pairs


def rows_from_pairs(pairs):
    """A replicate's midpoint rows whose means are its pairs' means (intervals: +-0.01)."""
    rows = midpoint_rows({})
    for row in rows:
        index = (SOURCES.index(row["source"]), METHODS.index(row["method"]), METRICS.index(row["metric"]))
        for quantity, array in (("gap", "gaps"), ("minus_lerp", "minus_lerp")):
            if f"{quantity}_mean" in row:
                value = float(pairs[row["latent_dim"]][array][index].mean())
                row.update({f"{quantity}_mean": value, f"{quantity}_ci_low": value - 0.01,
                            f"{quantity}_ci_high": value + 0.01})
    return rows


def summary_of_replicates(slerp_minus_lerp_per_replicate):
    """A summary of len(...) replicates; slerp_minus_lerp_per_replicate[r] = {dim: slerp - lerp confidence}."""
    pairs = [replicate_pairs(values, seed) for seed, values in enumerate(slerp_minus_lerp_per_replicate)]
    rows = [rows_from_pairs(replicate) for replicate in pairs]
    stats = [[statistics(dim, iwae=-100.0 - replicate) for dim in LATENT_DIMS] for replicate in range(len(pairs))]
    others = list(zip(stats[1:], rows[1:]))
    return build_summary(SETTINGS, classifier(), stats[0], rows[0], others, pairs if len(pairs) > 1 else None)


def confidence_row(summary, dim, source="prior"):
    return next(row for row in summary["midpoints"] if (row["latent_dim"], row["source"], row["method"], row["metric"])
                == (dim, source, "slerp", CONFIDENCE))


def test_replicates_that_disagree_in_sign_withhold_the_verdict_even_when_the_interval_excludes_zero():
    # Four replicates far above 0, one just below: the interval across them excludes 0.
    summary = summary_of_replicates([{50: 1.0}, {50: 1.0}, {50: 1.0}, {50: 1.0}, {50: -0.05}])
    versus = confidence_row(summary, 50)["minus_lerp"]
    assert versus["ci_low"] > 0 and versus["replicates_disagree"] and versus["sign"] == 0
    assert [round(replicate["mean"], 2) for replicate in versus["replicates"]] == [1.0, 1.0, 1.0, 1.0, -0.05]
    disagreements = summary["replicates"]["disagreements"]
    assert {(entry["latent_dim"], entry["source"], entry["method"], entry["metric"]) for entry in disagreements} >= {
        (50, "prior", "slerp", CONFIDENCE)}
    entry = next(entry for entry in disagreements if (entry["latent_dim"], entry["source"], entry["method"], entry["metric"])
                 == (50, "prior", "slerp", CONFIDENCE))
    assert len(entry["replicates"]) == 5 and entry["replicates"][4]["mean"] < 0
    assert entry["metric_label"] == "classifier confidence" and entry["quantity"] == "minus_lerp"


def test_replicates_that_agree_give_a_verdict_across_them():
    summary = summary_of_replicates([{50: 0.3}, {50: 0.25}, {50: 0.35}])
    versus = confidence_row(summary, 50)["minus_lerp"]
    assert versus["sign"] == 1 and not versus["replicates_disagree"]
    assert versus["mean"] == pytest.approx(np.mean([r["mean"] for r in versus["replicates"]]))
    # The interval is wider than each replicate's own one: it covers the training too.
    assert versus["ci_high"] - versus["ci_low"] > 0.02
    assert summary["replicates"]["count"] == 3
    assert summary["replicates"]["interval_covers"] == "training and pairs"
    assert summary["replicates"]["training_seeds"] == [training_seed(SETTINGS["seed"], r) for r in range(3)]
    json.dumps(summary)


def test_spread_replicates_make_a_verdict_unmeasurable():
    # Each model alone: slerp measurably better (pairs scatter by 0.01). Across them: spread too wide.
    summary = summary_of_replicates([{50: 0.2}, {50: 0.01}])
    versus = confidence_row(summary, 50)["minus_lerp"]
    assert all(replicate["sign"] == 1 for replicate in versus["replicates"])
    assert versus["sign"] == 0 and not versus["replicates_disagree"]


def test_one_replicate_keeps_its_own_interval_and_says_what_it_covers():
    summary = summary_of_replicates([{50: 0.3}])
    versus = confidence_row(summary, 50)["minus_lerp"]
    assert set(versus) == {"mean", "ci_low", "ci_high", "sign"}
    assert versus["ci_high"] - versus["ci_low"] == pytest.approx(0.02)
    replicates = summary["replicates"]
    assert replicates["count"] == 1 and replicates["interval_covers"] == "pairs of one trained model"
    assert replicates["training_seeds"] == [SETTINGS["seed"]]
    number = replicates["models"][0]["numbers"]["test_elbo_nats"]
    assert number["ci_low"] is None and number["replicates"] == [number["mean"]]
    row = replicates["figure"]["rows"][0]
    assert row["replicates"] == [{"replicate": 0, "mean": row["mean"], "ci_low": row["ci_low"],
                                  "ci_high": row["ci_high"], "sign": row["sign"]}]


def test_figure_numbers_in_the_summary():
    summary = summary_of_replicates([{2: -0.1, 50: 0.3}, {2: 0.1, 50: 0.2}])
    figure = summary["replicates"]["figure"]
    assert figure["method"] == "slerp" and figure["metric"] == CONFIDENCE
    assert [(row["source"], row["latent_dim"]) for row in figure["rows"]] == [
        (source, dim) for source in SOURCES for dim in LATENT_DIMS]
    for row in figure["rows"]:
        versus = confidence_row(summary, row["latent_dim"], row["source"])["minus_lerp"]
        assert (row["mean"], row["ci_low"], row["ci_high"], row["sign"]) == (
            versus["mean"], versus["ci_low"], versus["ci_high"], versus["sign"])
        assert len(row["replicates"]) == 2


def test_model_numbers_across_replicates():
    summary = summary_of_replicates([{}, {}, {}])
    models = {entry["latent_dim"]: entry["numbers"] for entry in summary["replicates"]["models"]}
    assert set(models[2]) == set(MODEL_NUMBERS)
    iwae = models[50]["test_iwae_nats"]
    assert iwae["replicates"] == [-100.0, -101.0, -102.0] and iwae["mean"] == -101.0
    assert iwae["ci_low"] == pytest.approx(-101.0 - 4.30265 / math.sqrt(3), abs=1e-4)
    # The models table averages them.
    assert summary["models"][1]["test_iwae_nats"] == -101.0


def test_mean_statistics():
    first, second = statistics(4, iwae=-100.0), statistics(4, iwae=-102.0)
    first["kl_per_dim_nats"], second["kl_per_dim_nats"] = [1.0, 3.0, 0.0, 0.0], [0.0, 0.0, 5.0, 1.0]
    second["active_units"] = 3
    averaged = mean_statistics([first, second])
    assert averaged["test_iwae_nats"] == -101.0 and averaged["active_units"] == 3.5
    assert averaged["latent_dim"] == 4 and isinstance(averaged["latent_dim"], int)  # equal integers stay integers
    assert averaged["kl_per_dim_nats"] == [4.0, 1.0, 0.0, 0.0]  # the i-th largest unit, averaged
    assert averaged["norm_ratio_quantiles"]["posterior_mean"]["q50"] == 0.9
    assert mean_statistics([first]) is first


def test_aggregate_midpoint_rows_needs_every_replicates_row():
    pairs = [replicate_pairs({}, 0), replicate_pairs({}, 1)]
    rows = [rows_from_pairs(pairs[0]), rows_from_pairs(pairs[1])[1:]]
    with pytest.raises(ValueError, match="replicate 1 has no midpoint row for latent size 2"):
        aggregate_midpoint_rows(rows, pairs, 0.95)
    with pytest.raises(ValueError, match="2 replicates need the per-pair midpoint values"):
        build_summary(SETTINGS, classifier(), [statistics(2)], midpoint_rows({}), [([statistics(2)], midpoint_rows({}))])


def test_aggregated_rows_match_the_crossed_interval_of_their_pairs():
    pairs = [replicate_pairs({50: 0.2}, 0), replicate_pairs({50: 0.3}, 1)]
    rows = aggregate_midpoint_rows([rows_from_pairs(pairs[0]), rows_from_pairs(pairs[1])], pairs, 0.95)
    row = next(row for row in rows if (row["latent_dim"], row["source"], row["method"], row["metric"])
               == (50, "encoded", "slerp", CONFIDENCE))
    index = (SOURCES.index("encoded"), METHODS.index("slerp"), METRICS.index(CONFIDENCE))
    expected = crossed_interval(np.stack([pairs[0][50]["minus_lerp"][index], pairs[1][50]["minus_lerp"][index]]), 0.95)
    assert (row["minus_lerp_mean"], row["minus_lerp_ci_low"], row["minus_lerp_ci_high"]) == (
        expected["mean"], expected["ci_low"], expected["ci_high"])
    assert row["minus_lerp_across"]["replicates"][1]["mean"] == pytest.approx(pairs[1][50]["minus_lerp"][index].mean())
    lerp = next(row for row in rows if row["method"] == BASELINE_METHOD)
    assert "minus_lerp_mean" not in lerp and "gap_across" in lerp


def test_midpoint_pairs_file_round_trip_and_damage(tmp_path):
    pairs = replicate_pairs({}, 0)[2]
    save_midpoint_pairs(tmp_path / "pairs.npz", 2, {"gaps": pairs["gaps"], "minus_lerp": pairs["minus_lerp"]})
    read = read_midpoint_pairs(tmp_path / "pairs.npz")
    assert read["latent_dim"] == 2 and np.array_equal(read["gaps"], pairs["gaps"])
    np.savez(tmp_path / "bad.npz", latent_dim=np.asarray(2), gaps=np.zeros((2, 3, 4, 5)), minus_lerp=np.zeros((2, 3, 4, 5)))
    with pytest.raises(Exception, match=r"bad.npz: array gaps is \(2, 3, 4, 5\), not \(2, 3, 5\) x pairs"):
        read_midpoint_pairs(tmp_path / "bad.npz")


# --------------------------------------------------------------------------
# The classifier's accuracy
# --------------------------------------------------------------------------


def test_wilson_interval():
    # No success in 10: the upper end is z^2 / (n + z^2) = 0.2775 (Brown, Cai & DasGupta 2001).
    low, high = wilson_interval(0, 10, 0.95)
    assert low == pytest.approx(0.0, abs=1e-12) and high == pytest.approx(0.27754, abs=1e-5)
    low, high = wilson_interval(492, 500, 0.95)
    assert low < 0.984 < high and high < 1.0
    assert (low, high) == pytest.approx(tuple(1 - value for value in reversed(wilson_interval(8, 500, 0.95))))
    assert wilson_interval(500, 500, 0.95)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(0, 0, 0.95)


def test_classifier_interval_and_what_its_bar_allows():
    metrics = {"test_accuracy": 0.984, "min_accuracy": 0.985, "meets_bar": False, "test_size": 500}
    result = classifier_with_interval(metrics, 0.95)
    assert result["errors"] == 8 and result["errors_allowed"] == 7
    assert (result["accuracy_ci_low"], result["accuracy_ci_high"]) == wilson_interval(492, 500, 0.95)
    assert classifier_with_interval({**metrics, "min_accuracy": 0.97}, 0.95)["errors_allowed"] == 15
    assert classifier_with_interval({**metrics, "min_accuracy": 1.0}, 0.95)["errors_allowed"] == 0


# --------------------------------------------------------------------------
# The summary step's options
# --------------------------------------------------------------------------


def test_summary_step_reads_replicate_options():
    read = study_summary._by_replicate(["1=a.json", "2=b.json", "1=c.json"], "--replicate-statistics", str.upper)
    assert read == {1: ["A.JSON", "C.JSON"], 2: ["B.JSON"]}
    for bad in ["a.json", "x=a.json", "1="]:
        with pytest.raises(LatentspaceError, match="--replicate-statistics: expected REPLICATE=PATH"):
            study_summary._by_replicate([bad], "--replicate-statistics", str)


def test_model_row_of_every_replicate_has_the_numbers():
    row = model_row(statistics(2))
    assert all(name in row for name in MODEL_NUMBERS)
    assert across_replicates.COVERS_PAIRS in interval_covers(1)


# --------------------------------------------------------------------------
# The summary's fields, pinned (each one a value the page or a figure reads)
# --------------------------------------------------------------------------


def test_every_field_of_a_one_replicate_summary():
    stats = [statistics(2, iwae=-90.0), statistics(50, iwae=-95.0)]
    stats[0]["iwae_minus_elbo_nats"], stats[1]["iwae_minus_elbo_nats"] = 2.0, 7.0
    summary = build_summary(SETTINGS, classifier(0.98), list(reversed(stats)), midpoint_rows({}))
    assert summary["settings"] == SETTINGS
    assert summary["latent_dims"] == [2, 50]
    assert (summary["largest_latent_dim"], summary["smallest_latent_dim"]) == (50, 2)
    assert summary["methods"] == [{"name": "lerp", "label": "lerp"}, {"name": "slerp", "label": "slerp"},
                                  {"name": "distribution_matched", "label": "distribution-matched"}]
    assert summary["baseline_method"] == "lerp"
    assert summary["sources"] == [{"name": "prior", "label": "prior draws"},
                                  {"name": "encoded", "label": "encoded test digits"}]
    assert summary["likelihood"] == {"best_latent_dim": 2, "iwae_minus_elbo_min_nats": 2.0,
                                     "iwae_minus_elbo_max_nats": 7.0}
    assert summary["classifier"]["test_accuracy"] == 0.98 and summary["classifier"]["errors"] == 2
    assert summary["classifier"]["errors_allowed"] == 3
    assert summary["classifier"]["accuracy_interval_method"] == "Wilson score interval"
    model = summary["models"][0]
    assert model["kl_share"] == 0.9 and model["kl_total_nats"] == pytest.approx(9.0)
    assert model["units_for_kl_share"] == 2 and model["kl_per_dim_nats"] == [4.5, 4.5]
    assert (model["posterior_mean_place"], model["posterior_draw_place"]) == ("within", "within")
    table = summary["midpoint_table"]
    assert [(row["latent_dim"], row["source"], row["source_label"]) for row in table] == [
        (2, "prior", "prior draws"), (2, "encoded", "encoded test digits"),
        (50, "prior", "prior draws"), (50, "encoded", "encoded test digits")]
    cell = table[0]["methods"]["lerp"]
    assert cell["norm_ratio"] == 0.7
    for name in ("confidence_gap", "entropy_gap", "distance_gap"):
        assert cell[name] == {"mean": -0.1, "ci_low": -0.15, "ci_high": -0.05, "sign": -1}
    assert table[0]["methods"]["slerp"]["norm_ratio"] == 1.0
    assert len(summary["midpoints"]) == len(LATENT_DIMS) * len(SOURCES) * len(METHODS) * len(METRICS)
    replicates = summary["replicates"]
    assert replicates["method"] == "percentile bootstrap over the pairs of one model"
    assert replicates["disagreements"] == []
    assert replicates["figure"]["method_label"] == "slerp"
    assert [row["source_label"] for row in replicates["figure"]["rows"]] == ["prior draws"] * 2 + ["encoded test digits"] * 2
    assert [entry["latent_dim"] for entry in replicates["models"]] == [2, 50]


def test_the_best_latent_size_is_the_highest_iwae():
    stats = [statistics(2, iwae=-95.0), statistics(50, iwae=-90.0)]
    assert build_summary(SETTINGS, classifier(), stats, midpoint_rows({}))["likelihood"]["best_latent_dim"] == 50


def test_a_summary_of_several_replicates_averages_the_models_and_names_its_method():
    summary = summary_of_replicates([{}, {}])
    assert summary["replicates"]["method"] == across_replicates.METHOD
    assert summary["models"][0]["test_iwae_nats"] == -100.5
    assert summary["latent_dims"] == [2, 50] and summary["largest_latent_dim"] == 50
    with pytest.raises(ValueError, match="latent size 50 lacks the statistics of some replicate"):
        build_summary(SETTINGS, classifier(), [statistics(2), statistics(50)], midpoint_rows({}),
                      [([statistics(2)], midpoint_rows({}))], [replicate_pairs({}), replicate_pairs({})])


def test_disagreements_cover_the_worded_verdicts_only():
    # Replicates disagree on slerp - lerp confidence at z = 2 (prior); nothing else moves sign.
    summary = summary_of_replicates([{2: 0.5}, {2: -0.5}])
    keys = {(entry["latent_dim"], entry["source"], entry["method"], entry["metric"])
            for entry in summary["replicates"]["disagreements"]}
    assert (2, "prior", "slerp", CONFIDENCE) in keys
    assert all(metric in ("classifier_confidence", "nearest_train_distance") for _, _, _, metric in keys)
    assert all(method != BASELINE_METHOD for _, _, method, _ in keys)
    entry = next(entry for entry in summary["replicates"]["disagreements"]
                 if (entry["latent_dim"], entry["source"], entry["method"]) == (2, "prior", "slerp")
                 and entry["metric"] == CONFIDENCE)
    assert (entry["source_label"], entry["method_label"]) == ("prior draws", "slerp")


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_figure_draws_each_replicate_and_the_interval_across_them(count):
    """Across-replicate markers only with two or more replicates: one model has nothing across models to show."""
    import matplotlib.pyplot as plt

    from latentspace.figures.study_replicates import replicate_midpoint_figure

    summary = summary_of_replicates([{50: 0.1 * (replicate + 1)} for replicate in range(count)])
    fig = replicate_midpoint_figure(summary["replicates"]["figure"])
    try:
        for ax in fig.axes:
            bars = ax.containers
            assert len(bars) == len(LATENT_DIMS) * (count + (count > 1))
            across = [bar for bar in bars if bar.lines[0].get_color() == "#000000"]
            assert len(across) == (len(LATENT_DIMS) if count > 1 else 0)
        labels = [text.get_text() for legend in fig.legends for text in legend.get_texts()]
        assert ("across replicates" in labels) == (count > 1)
        prior_50 = next(row for row in summary["replicates"]["figure"]["rows"]
                        if (row["source"], row["latent_dim"]) == ("prior", 50))
        drawn = fig.axes[0].containers[-1].lines[0].get_ydata()
        assert drawn[0] == pytest.approx(prior_50["mean"])
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------
# The tables' boundaries
# --------------------------------------------------------------------------


def test_csv_text_ignores_extra_keys_and_ends_lines_with_newlines_only():
    text = rows_to_csv([{"latent_dim": 2, "source": "prior", "unexpected": 1.0}], ("latent_dim", "source", "mean"))
    assert text == "latent_dim,source,mean\n2,prior,\n"


def test_typed_rows_skip_empty_cells_only_and_keep_integers():
    rows = typed_rows([{"latent_dim": "2", "gap_mean": "", "source": "prior", "mean": "0.5", "active_units": "3"}])
    assert rows == [{"latent_dim": 2, "source": "prior", "mean": 0.5, "active_units": 3}]
    assert isinstance(rows[0]["latent_dim"], int) and isinstance(rows[0]["active_units"], int)
    assert isinstance(rows[0]["mean"], float)


def test_shell_place_at_the_edges_of_the_prior_range():
    model = {"prior_draw_norm_ratio_q05": 0.9, "prior_draw_norm_ratio_q95": 1.1}
    assert [shell_place(model, ratio) for ratio in (0.9, 1.1, 0.8999, 1.1001)] == ["within", "within", "below", "above"]


def test_units_for_kl_share_boundaries():
    assert units_for_kl_share([3.0, 1.0], 0.75) == 1          # exactly the share: enough
    assert units_for_kl_share([3.0, 1.0], 0.76) == 2
    assert units_for_kl_share([1.0, 1.0], 1.5) == 2           # never reached: every unit


def test_a_replicate_at_zero_does_not_withhold_a_verdict():
    assert verdict_sign(-0.2, -0.1, [0.0, -0.3]) == -1
    assert verdict_sign(0.1, 0.2, [0.0, 0.3]) == 1


def test_summary_rows_across_replicates_carry_their_replicates_and_places():
    summary = summary_of_replicates([{50: 0.3}, {50: 0.2}])
    for row in summary["midpoints"]:
        assert not any(key.endswith("_across") for key in row), row
        assert len(row["gap"]["replicates"]) == 2 and "replicates_disagree" in row["gap"]
        if row["metric"] == "latent_norm_ratio":
            assert row["endpoints_place"] == "within" and row["midpoint_place"] == ("below" if row["method"] == "lerp" else "within")


def test_the_largest_and_smallest_latent_sizes_of_three():
    stats = [statistics(dim) for dim in (10, 2, 50)]
    rows = [row for row in midpoint_rows({})] + [{**row, "latent_dim": 10} for row in midpoint_rows({}) if row["latent_dim"] == 2]
    summary = build_summary(SETTINGS, classifier(), stats, rows)
    assert summary["latent_dims"] == [2, 10, 50]
    assert (summary["largest_latent_dim"], summary["smallest_latent_dim"]) == (50, 2)


def test_wilson_interval_of_one_trial_and_its_message():
    assert wilson_interval(1, 1, 0.95)[1] == 1.0 and wilson_interval(0, 1, 0.95)[0] == 0.0
    assert 0.0 < wilson_interval(1, 1, 0.95)[0] < 1.0
    with pytest.raises(ValueError, match="wilson_interval: expected at least one trial, got 0"):
        wilson_interval(0, 0, 0.95)


# --------------------------------------------------------------------------
# The arithmetic, against closed forms
# --------------------------------------------------------------------------


@pytest.mark.parametrize("x", [0.0, 0.05, 0.3, 0.5, 0.7, 0.95, 1.0])
def test_incomplete_beta_against_closed_forms(x):
    beta = across_replicates._regularized_incomplete_beta
    assert beta(x, 1.0, 1.0) == pytest.approx(x, abs=1e-12)
    assert beta(x, 3.0, 1.0) == pytest.approx(x**3, abs=1e-12)
    assert beta(x, 1.0, 2.5) == pytest.approx(1 - (1 - x) ** 2.5, abs=1e-12)
    assert beta(x, 0.5, 0.5) == pytest.approx(2 / math.pi * math.asin(math.sqrt(x)), abs=1e-10)


def test_student_t_cdf_is_symmetric():
    for degrees in (1.0, 2.5, 30.0):
        for value in (0.3, 2.0, 12.0):
            lower = across_replicates.student_t_cdf(-value, degrees)
            assert lower == pytest.approx(1 - across_replicates.student_t_cdf(value, degrees), abs=1e-12)
            assert lower < 0.5
    assert across_replicates.student_t_cdf(0.0, 3.0) == pytest.approx(0.5)
    # t with 1 degree of freedom is Cauchy: F(t) = 1/2 + atan(t) / pi.
    assert across_replicates.student_t_cdf(1.7, 1.0) == pytest.approx(0.5 + math.atan(1.7) / math.pi, abs=1e-12)


def test_crossed_variance_and_interval_match_the_mean_squares_by_hand():
    values = np.array([[1.0, 2.0, 4.0, 3.0], [2.0, 2.5, 5.0, 4.5], [0.5, 2.0, 3.0, 3.5]])
    replicates, pairs = values.shape
    grand = values.mean()
    rows, columns = values.mean(axis=1), values.mean(axis=0)
    ms_rows = sum(pairs * (row - grand) ** 2 for row in rows) / (replicates - 1)
    ms_columns = sum(replicates * (column - grand) ** 2 for column in columns) / (pairs - 1)
    ms_error = sum((values[r, p] - rows[r] - columns[p] + grand) ** 2
                   for r in range(replicates) for p in range(pairs)) / ((replicates - 1) * (pairs - 1))
    terms = [((ms_rows - ms_error) / (replicates * pairs), replicates - 1),
             ((ms_columns - ms_error) / (replicates * pairs), pairs - 1),
             (ms_error / (replicates * pairs), (replicates - 1) * (pairs - 1))]
    assert all(term > 0 for term, _ in terms)  # no floor at work in this example
    variance = sum(term for term, _ in terms)
    degrees = variance**2 / sum(term**2 / df for term, df in terms)
    assert crossed_variance(values) == pytest.approx((variance, degrees), rel=1e-12)
    half_width = across_replicates.student_t_quantile(0.975, degrees) * math.sqrt(variance)
    assert crossed_interval(values, 0.95) == pytest.approx(
        {"mean": grand, "ci_low": grand - half_width, "ci_high": grand + half_width}, rel=1e-12)
    # A component estimated below 0 counts as 0.
    flat_rows = values - values.mean(axis=1, keepdims=True) + grand     # no training effect at all
    assert crossed_variance(flat_rows)[0] == pytest.approx(
        (max(0.0, ms_columns - ms_error) + ms_error) / (replicates * pairs), rel=0.5)
    assert crossed_interval(np.ones((2, 2)), 0.95)["ci_low"] == 1.0   # the smallest design


def test_midpoint_across_one_replicate_and_several():
    row = {"gap_mean": 0.2, "gap_ci_low": 0.1, "gap_ci_high": 0.3}
    assert across_replicates.midpoint_across([row], None, "gap", 0.95) == {
        "mean": 0.2, "ci_low": 0.1, "ci_high": 0.3,
        "replicates": [{"replicate": 0, "mean": 0.2, "ci_low": 0.1, "ci_high": 0.3}]}
    two = across_replicates.midpoint_across([row, {**row, "gap_mean": 0.4}], [np.array([0.1, 0.3]), np.array([0.3, 0.5])],
                                            "gap", 0.95)
    assert [entry["replicate"] for entry in two["replicates"]] == [0, 1] and two["mean"] == pytest.approx(0.3)


def test_mean_statistics_keeps_the_first_replicates_words_and_flags():
    first, second = statistics(4), statistics(4)
    first.update(device="cpu", converged=True)
    second.update(device="cuda", converged=False)
    averaged = mean_statistics([first, second])
    assert averaged["device"] == "cpu" and averaged["converged"] is True


def test_midpoint_pairs_file_names_itself_when_damaged(tmp_path):
    np.savez(tmp_path / "bad.npz", latent_dim=np.asarray(2), gaps=np.zeros((2, 3, 5, 4)), minus_lerp=np.zeros((2, 3, 5, 3)))
    with pytest.raises(Exception, match="expected a midpoint pairs .npz of the study-interpolation step"):
        read_midpoint_pairs(tmp_path / "bad.npz")
    pairs = replicate_pairs({}, 0)[2]
    save_midpoint_pairs(tmp_path / "good.npz", 2, {"gaps": pairs["gaps"], "minus_lerp": pairs["minus_lerp"]})
    assert np.array_equal(read_midpoint_pairs(tmp_path / "good.npz")["minus_lerp"], pairs["minus_lerp"])


def test_the_summary_takes_the_configured_number_of_replicates_and_checks_their_files(tmp_path, capsys):
    """The page's count of replicates (from the summary) and its captions' (from the config) are one
    number: the summary step is given ``replicates`` and refuses files of another count."""
    from latentspace.cli import main

    words = ["study-summary", "--seed", "1", "--statistics", "s.json", "--path-metrics", "p.csv",
             "--midpoints", "m.csv", "--classifier-metrics", "c.json", "--summary-out", str(tmp_path / "a"),
             "--models-out", str(tmp_path / "b"), "--paths-out", str(tmp_path / "c"),
             "--midpoints-out", str(tmp_path / "d")]
    assert main([*words, "--replicates", "3", "--replicate-statistics", "1=s.json",
                 "--replicate-midpoints", "1=m.csv"]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "expected replicates 1 to 2 in both, got [1] and [1]" in error
