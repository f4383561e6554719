"""The geodesics' part of the study's summary: verdicts as data, across replicates, from the per-model files.

The builders here (geodesic_rows, geodesic_pairs, with_geodesics) also feed the tests of the
page's words about the geodesics (test_geodesic_page_words.py).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from latentspace.errors import LatentspaceError
from latentspace.study.geodesic_tables import (
    COMPARISON_COLUMNS,
    NEAR_SHARE,
    comparison_rows_typed,
    geodesic_summary,
    near_verdict,
    read_comparison_table,
    read_geodesic_pairs,
    save_geodesic_pairs,
    shorter_sign,
)
from latentspace.study.labels import ALL_METHODS, GEODESIC_METHOD, METHODS, METRICS, PATH_MEASURES, SOURCES
from latentspace.study.tables import MIDPOINT_COLUMNS, csv_to_rows, rows_to_csv
from test_study_tables import LATENT_DIMS, SETTINGS, summary_for

PAIRS = 40
GEODESIC_SETTINGS = {"points": 17, "max_iterations": 200, "tolerance": 0.001, "bending_share": 0.01,
                     "length_points": 33, "figure_pairs": 2, "metric": "fisher_rao_bernoulli"}


def interval_row(mean, low, high, prefix=""):
    return {f"{prefix}mean": mean, f"{prefix}ci_low": low, f"{prefix}ci_high": high}


def geodesic_rows(ratios=None, judge=None):
    """One replicate's geodesic midpoint rows and comparison rows for LATENT_DIMS.

    ``ratios[(dim, source, method)]`` = (mean, low, high) of the geodesic's length over the
    method's (default 0.8 [0.78, 0.82]); ``judge[(dim, source, method)]`` the same of its midpoint
    confidence minus the method's (default an interval around 0).
    """
    ratios, judge = ratios or {}, judge or {}
    midpoints, comparisons = [], []
    for dim in LATENT_DIMS:
        for source in SOURCES:
            for metric in METRICS:
                midpoints.append({"latent_dim": dim, "source": source, "method": GEODESIC_METHOD, "metric": metric,
                                  "endpoints_mean": 1.0, "midpoint_mean": 0.9, **interval_row(-0.1, -0.15, -0.05, "gap_"),
                                  **interval_row(0.01, -0.02, 0.04, "minus_lerp_")})
            for method in ALL_METHODS:
                for measure in PATH_MEASURES:
                    row = {"latent_dim": dim, "source": source, "method": method, "measure": measure,
                           **interval_row(10.0, 9.0, 11.0)}
                    if method != GEODESIC_METHOD:
                        row.update(interval_row(*ratios.get((dim, source, method), (0.8, 0.78, 0.82)), "geodesic_ratio_"))
                    comparisons.append(row)
                for metric in METRICS:
                    row = {"latent_dim": dim, "source": source, "method": method, "measure": f"midpoint_{metric}",
                           **interval_row(0.7, 0.6, 0.8)}
                    if method != GEODESIC_METHOD:
                        versus = judge.get((dim, source, method), (0.01, -0.02, 0.04)) if metric == "classifier_confidence" \
                            else (0.0, -0.1, 0.1)
                        row.update(interval_row(*versus, "geodesic_minus_"))
                    comparisons.append(row)
    return midpoints, comparisons


def geodesic_pairs(dim, seed=0, not_converged=0, ratio=0.8, minus=0.01):
    """One model's per-pair file contents (read_geodesic_pairs' form) with pairs around the given means."""
    rng = np.random.default_rng([seed, dim])
    shape = (len(SOURCES),)
    converged = np.ones((len(SOURCES), PAIRS), dtype=bool)
    converged[0, :not_converged] = False
    energy = rng.uniform(1.0, 2.0, (len(SOURCES), PAIRS))
    return {
        "latent_dim": dim, "bending_directions": min(dim, 15),
        "gaps": rng.normal(-0.1, 0.05, (*shape, len(METRICS), PAIRS)),
        "minus_lerp": rng.normal(minus, 0.05, (*shape, len(METRICS), PAIRS)),
        "measures": rng.normal(10.0, 1.0, (*shape, len(ALL_METHODS), len(PATH_MEASURES), PAIRS)),
        "ratios": rng.normal(ratio, 0.05, (*shape, len(METHODS), len(PATH_MEASURES), PAIRS)),
        "midpoints": rng.normal(0.7, 0.1, (*shape, len(ALL_METHODS), len(METRICS), PAIRS)),
        "minus": rng.normal(minus, 0.05, (*shape, len(METHODS), len(METRICS), PAIRS)),
        "iterations": rng.integers(3, 30, (len(SOURCES), PAIRS)), "converged": converged,
        "start": rng.integers(0, 2, (len(SOURCES), PAIRS)), "energy": 0.8 * energy, "start_energy": energy,
    }


def with_geodesics(summary=None, ratios=None, judge=None, not_converged=0):
    """A stand-in summary (summary_for()) with its geodesics, as the summary step adds them (one replicate)."""
    summary = summary or summary_for()
    midpoints, comparisons = geodesic_rows(ratios, judge)
    rows, section = geodesic_summary(GEODESIC_SETTINGS, summary["models"], [midpoints], [comparisons],
                                     [{dim: geodesic_pairs(dim, not_converged=not_converged) for dim in LATENT_DIMS}],
                                     SETTINGS["confidence_level"])
    return {**summary, "midpoints": summary["midpoints"] + rows, "geodesics": section}


# --- verdicts ------------------------------------------------------------------------------------------------


def test_shorter_and_near_read_the_ratio_s_interval():
    assert [shorter_sign({"ci_low": low, "ci_high": high}) for low, high in ((0.8, 0.9), (0.95, 1.02), (1.01, 1.1))] \
        == [1, 0, -1]
    assert near_verdict({"ci_low": 0.96, "ci_high": 0.99}) == "near"
    assert near_verdict({"ci_low": 0.8, "ci_high": 0.9}) == "far"
    assert near_verdict({"ci_low": 0.93, "ci_high": 0.97}) == "unclear"
    assert NEAR_SHARE == 0.05


def test_the_summary_section_holds_each_size_s_verdicts():
    summary = with_geodesics(ratios={(50, "prior", "slerp"): (0.97, 0.96, 0.98), (2, "prior", "lerp"): (1.0, 0.98, 1.02)},
                             judge={(50, "prior", "slerp"): (-0.05, -0.08, -0.02), (2, "encoded", "lerp"): (0.04, 0.01, 0.07)})
    geodesics = summary["geodesics"]
    assert geodesics["latent_dims"] == [2, 50] and geodesics["largest"]["latent_dim"] == 50
    prior = geodesics["largest"]["sources"][0]
    assert prior["source"] == "prior" and prior["versus"]["slerp"]["near"] == "near"
    assert prior["versus"]["slerp"]["percent_shorter"] == pytest.approx(3.0)
    assert (prior["versus"]["slerp"]["percent_shorter_low"], prior["versus"]["slerp"]["percent_shorter_high"]) \
        == (pytest.approx(2.0), pytest.approx(4.0))
    assert prior["versus"]["lerp"]["near"] == "far" and prior["versus"]["lerp"]["ratio"]["shorter"] == 1
    assert prior["versus"]["slerp"]["judge"]["sign"] == -1
    assert geodesics["shorter"]["lerp"]["prior"] == {"plus": [50], "zero": [2], "minus": []}
    assert geodesics["judge"]["slerp"]["prior"] == {"plus": [], "zero": [2], "minus": [50]}
    assert geodesics["judge"]["lerp"]["encoded"] == {"plus": [2], "zero": [50], "minus": []}
    assert geodesics["solver"]["pairs"] == 2 * len(SOURCES) * PAIRS and geodesics["solver"]["not_converged"] == 0
    assert geodesics["solver"]["energy_never_above_start"]
    # The geodesic's midpoint rows join the summary's, with the verdicts of the others.
    row = next(row for row in summary["midpoints"] if row["method"] == GEODESIC_METHOD)
    assert row["gap"]["sign"] == -1 and row["minus_lerp"]["sign"] == 0
    json.dumps(summary)


def test_pairs_that_did_not_converge_are_counted_not_hidden():
    solver = with_geodesics(not_converged=3)["geodesics"]["solver"]
    assert solver["not_converged"] == 2 * 3 and solver["converged"] == solver["pairs"] - 6
    assert solver["converged_share"] == pytest.approx(1 - 6 / solver["pairs"])
    assert [row["not_converged"] for row in solver["rows"]] == [3, 0, 3, 0]


def test_across_replicates_the_intervals_cover_the_training():
    midpoints, comparisons = geodesic_rows()
    pairs = [{dim: geodesic_pairs(dim, seed=replicate, ratio=ratio) for dim in LATENT_DIMS}
             for replicate, ratio in enumerate((0.80, 0.90))]
    one = geodesic_summary(GEODESIC_SETTINGS, summary_for()["models"], [midpoints], [comparisons], pairs[:1], 0.95)[1]
    two = geodesic_summary(GEODESIC_SETTINGS, summary_for()["models"], [midpoints, midpoints], [comparisons, comparisons],
                           pairs, 0.95)[1]
    single = one["sizes"][0]["sources"][0]["versus"]["lerp"]["ratio"]
    across = two["sizes"][0]["sources"][0]["versus"]["lerp"]["ratio"]
    assert single["mean"] == 0.8  # one replicate: its own row
    assert across["mean"] == pytest.approx(np.mean([p[2]["ratios"][0, 0, 0] for p in pairs]))
    assert across["ci_high"] - across["ci_low"] > 0.05 and len(across["replicates"]) == 2
    assert two["solver"]["pairs"] == 2 * one["solver"]["pairs"]


def test_a_replicate_without_a_row_is_named():
    midpoints, comparisons = geodesic_rows()
    pairs = [{dim: geodesic_pairs(dim) for dim in LATENT_DIMS}] * 2
    with pytest.raises(ValueError, match="replicate 1 has no geodesic row for latent size 2"):
        geodesic_summary(GEODESIC_SETTINGS, summary_for()["models"], [midpoints, midpoints[1:]], [comparisons] * 2, pairs, 0.95)


# --- files ------------------------------------------------------------------------------------------------------


def test_tables_and_pairs_round_trip(tmp_path):
    midpoints, comparisons = geodesic_rows()
    (tmp_path / "c.csv").write_text(rows_to_csv(comparisons, COMPARISON_COLUMNS))
    assert read_comparison_table(tmp_path / "c.csv") == comparisons
    assert csv_to_rows(rows_to_csv(midpoints, MIDPOINT_COLUMNS)) == midpoints
    pairs = geodesic_pairs(2)
    save_geodesic_pairs(tmp_path / "p.npz", 2, pairs["bending_directions"],
                        {name: pairs[name] for name in ("gaps", "minus_lerp", "measures", "ratios", "midpoints", "minus")},
                        {name: pairs[name] for name in ("iterations", "converged", "start", "energy", "start_energy")})
    read = read_geodesic_pairs(tmp_path / "p.npz")
    assert read["latent_dim"] == 2 and all(np.array_equal(read[name], pairs[name]) for name in pairs if name != "latent_dim")
    assert comparison_rows_typed([{"latent_dim": "2", "source": "prior", "method": "lerp", "measure": "x", "mean": "1.5",
                                   "ci_low": ""}]) == [{"latent_dim": 2, "source": "prior", "method": "lerp",
                                                         "measure": "x", "mean": 1.5}]


def test_an_unknown_method_or_a_wrong_shape_is_one_line(tmp_path):
    _, comparisons = geodesic_rows()
    (tmp_path / "c.csv").write_text(rows_to_csv([{**comparisons[0], "method": "spline"}], COMPARISON_COLUMNS))
    with pytest.raises(LatentspaceError, match="c.csv: .*unknown method 'spline'"):
        read_comparison_table(tmp_path / "c.csv")
    # Cut at the end of a line (a full disk): every row read is whole, some are missing.
    (tmp_path / "cut.csv").write_text(rows_to_csv(comparisons[:-1], COMPARISON_COLUMNS))
    with pytest.raises(LatentspaceError, match=r"cut.csv: .*no row for z = \d+, \w+, \w+, \w+ \(expected a geodesic"):
        read_comparison_table(tmp_path / "cut.csv")
    pairs = geodesic_pairs(2)
    pairs["ratios"] = pairs["ratios"][:, :2]
    np.savez(tmp_path / "p.npz", **pairs)
    with pytest.raises(LatentspaceError, match=r"p.npz: array ratios is \(2, 2, 2, 40\), not \(2, 3, 2, 40\)"):
        read_geodesic_pairs(tmp_path / "p.npz")
