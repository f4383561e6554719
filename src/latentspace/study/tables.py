"""The study's results as data: CSV tables, the summary JSON of the site, and its verdicts.

Nothing here measures; everything is computed from the per-size results of
``latentspace.study.latent_norms`` and ``latentspace.study.interpolation_quality`` and from
the classifier's metrics. Every judgement the page words is computed here, once, as data:
the sign of an interval (+1 all above 0, -1 all below, 0 when it holds 0) and its reason (the
interval over the pairs, or over trainings and pairs, holds 0; two replicates are too few;
another training run could show the other sign: :func:`verdict`), where a norm
lies against the range of the prior's draws ("below", "within", "above"), how many units
carry the KL and how many dimensions that says the model uses, how the training codes' share
of Figure 2's square compares with the prior's mass there. The English sentences are the site's templates
(``site_templates/partials/study_reading.html.j2``), which branch on these values; this
module holds no prose, so rewording a sentence changes no table. Functions here take and return Python objects and text, apart from the readers
of the study's own files (``read_*``), which check what they read and name a damaged file
in one line (``latentspace.files.reading``).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from statistics import NormalDist

from latentspace.files.reading import checked_contents, read_csv_rows, read_json
from latentspace.training.replicates import training_seed
from latentspace.study import across_replicates
from latentspace.study.labels import BASELINE_METHOD, METHOD_LABELS, METHODS, METRIC_LABELS, SOURCE_LABELS, SOURCES

PATH_COLUMNS = ("latent_dim", "source", "method", "metric", "t", "mean", "ci_low", "ci_high")
MIDPOINT_COLUMNS = (
    "latent_dim", "source", "method", "metric", "endpoints_mean", "midpoint_mean",
    "gap_mean", "gap_ci_low", "gap_ci_high", "minus_lerp_mean", "minus_lerp_ci_low", "minus_lerp_ci_high",
)
MODEL_COLUMNS = (
    "latent_dim", "test_size", "test_elbo_nats", "elbo_one_draw_standard_error_nats", "test_iwae_nats",
    "test_iwae_standard_error_nats", "iwae_minus_elbo_nats", "iwae_samples", "kl_nats", "active_units",
    "active_unit_threshold", "units_above_kl_threshold", "kl_unit_threshold_nats", "units_for_half_kl",
    "units_for_90pct_kl", "shell_radius",
    "prior_draw_norm_ratio_q05", "prior_draw_norm_ratio_q50", "prior_draw_norm_ratio_q95",
    "posterior_draw_norm_ratio_q05", "posterior_draw_norm_ratio_q50", "posterior_draw_norm_ratio_q95",
    "posterior_mean_norm_ratio_q05", "posterior_mean_norm_ratio_q50", "posterior_mean_norm_ratio_q95",
)
TEXT_COLUMNS = ("source", "method", "metric")
# The summary counts the units that carry this share of the model's KL (and half of it).
KL_SHARE = 0.9
# A unit whose KL term exceeds this many nats (averaged over the test digits) carries
# information the decoder uses; Burda et al.'s activity test (variance of the posterior
# mean above 0.01) passes units that carry far less.
KL_UNIT_THRESHOLD_NATS = 0.1
INTEGER_COLUMNS = ("latent_dim", "test_size", "iwae_samples", "active_units", "units_above_kl_threshold",
                   "units_for_half_kl", "units_for_90pct_kl")


# --------------------------------------------------------------------------
# CSV text
# --------------------------------------------------------------------------


def rows_to_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    """CSV text with a header; a missing value is an empty cell, floats keep full precision."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: repr(value) if isinstance(value, float) else value for key, value in row.items()}
                     for row in rows)
    return buffer.getvalue()


def csv_to_rows(text: str) -> list[dict]:
    """Rows of CSV text with numbers converted back; empty cells are left out of a row."""
    return typed_rows(csv.DictReader(io.StringIO(text)))


def typed_rows(raw_rows) -> list[dict]:
    """Rows of strings (as csv.DictReader gives them) with numbers converted back; empty cells left out."""
    rows = []
    for raw in raw_rows:
        row = {}
        for key, value in raw.items():
            if value == "":
                continue
            row[key] = value if key in TEXT_COLUMNS else int(value) if key in INTEGER_COLUMNS else float(value)
        rows.append(row)
    return rows


def _read_table(path, columns: tuple[str, ...], what: str) -> list[dict]:
    rows = read_csv_rows(path, what, columns)
    with checked_contents(path, what):
        return typed_rows(rows)


def read_path_table(path) -> list[dict]:
    """A path metrics table (PATH_COLUMNS), of one model or gathered."""
    return _read_table(path, PATH_COLUMNS, "a path metrics CSV of the study")


def read_midpoint_table(path) -> list[dict]:
    """A midpoint table (MIDPOINT_COLUMNS), of one model or gathered."""
    return _read_table(path, MIDPOINT_COLUMNS, "a midpoint CSV of the study")


def read_model_statistics(path) -> dict:
    """One model's statistics (latent_norms.model_statistics), as the study-model step wrote them."""
    return read_json(path, "a model's statistics JSON from the study-model step",
                     ("latent_dim", "kl_per_dim_nats", "norm_ratio_quantiles"))


def read_classifier_metrics(path) -> dict:
    return read_json(path, "the study classifier's metrics JSON",
                     ("test_accuracy", "min_accuracy", "meets_bar", "test_size"))


def read_summary(path) -> dict:
    """The study's summary (:func:`build_summary`), as the study-summary step wrote it."""
    return read_json(path, "the study's summary JSON", ("models",))


def model_row(statistics: dict) -> dict:
    """One row of the models table from a model's statistics (latent_norms.model_statistics)."""
    row = {column: statistics[column] for column in MODEL_COLUMNS if column in statistics}
    row.update(kl_unit_counts(statistics["kl_per_dim_nats"]))
    for population, quantiles in statistics["norm_ratio_quantiles"].items():
        for name in ("q05", "q50", "q95"):
            row[f"{population}_norm_ratio_{name}"] = quantiles[name]
    return row


# --------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------


def interval_sign(low: float, high: float) -> int:
    """+1 when the whole interval is above 0, -1 when below, 0 when it holds 0."""
    return 1 if low > 0 else -1 if high < 0 else 0


# Why a verdict is what it is: the reason the page words beside it.
MEASURED = "measured"                        # the interval excludes 0 (and, from 3 replicates, so does the prediction)
PAIRS_HOLD_ZERO = "pairs_hold_zero"          # one replicate: its interval over the pairs holds 0
TRAININGS_HOLD_ZERO = "trainings_hold_zero"  # the interval over trainings and pairs holds 0
TOO_FEW_TRAININGS = "too_few_trainings"      # 2 replicates: an interval, no verdict
OTHER_SIGN_POSSIBLE = "other_sign_possible"  # measured, but another training run could show the other sign


def verdict(low: float, high: float, replicates: int = 1, prediction: dict | None = None) -> tuple[int, str]:
    """(sign, reason) of a difference with interval [low, high] over ``replicates`` trained models.

    The sign is the interval's (``interval_sign``), withheld (0) with fewer than
    MIN_REPLICATES_FOR_VERDICT replicates but more than one. ``prediction`` (from three
    replicates on) is where another training run's mean on the same pairs falls: a measured
    sign whose prediction interval holds 0 stays measured, and its reason says that a single
    trained model can show the other sign.
    """
    sign = interval_sign(low, high)
    if replicates == 1:
        return sign, MEASURED if sign else PAIRS_HOLD_ZERO
    if replicates < across_replicates.MIN_REPLICATES_FOR_VERDICT:
        return 0, TOO_FEW_TRAININGS
    if sign == 0:
        return 0, TRAININGS_HOLD_ZERO
    if interval_sign(prediction["low"], prediction["high"]) == 0:
        return sign, OTHER_SIGN_POSSIBLE
    return sign, MEASURED


def interval(mean: float, low: float, high: float, across: dict | None = None) -> dict:
    """A mean with its interval, its verdict (the sign the prose words) and the verdict's reason.

    ``across`` (across_replicates.midpoint_across) is given with several replicates: the
    result then also lists each replicate's mean and interval under ``replicates``, and
    ``prediction`` where another training run would fall (None below three replicates).
    """
    if across is None or len(across["replicates"]) == 1:
        sign, reason = verdict(low, high)
        return {"mean": mean, "ci_low": low, "ci_high": high, "sign": sign, "reason": reason}
    count = len(across["replicates"])
    prediction = across["prediction"]
    sign, reason = verdict(low, high, count, prediction)
    return {
        "mean": mean, "ci_low": low, "ci_high": high, "sign": sign, "reason": reason,
        "prediction": None if prediction is None else {
            **prediction, "sign": interval_sign(prediction["low"], prediction["high"])},
        "replicates": [{**replicate, "sign": interval_sign(replicate["ci_low"], replicate["ci_high"])}
                       for replicate in across["replicates"]],
    }


def wilson_interval(successes: int, trials: int, confidence_level: float) -> tuple[float, float]:
    """Wilson's score interval for a binomial proportion (Wilson 1927; Brown, Cai & DasGupta 2001)."""
    if trials < 1:
        raise ValueError(f"wilson_interval: expected at least one trial, got {trials}")
    z = NormalDist().inv_cdf(0.5 + confidence_level / 2.0)
    share = successes / trials
    centre = (share + z * z / (2 * trials)) / (1 + z * z / trials)
    half_width = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half_width), min(1.0, centre + half_width)


def classifier_with_interval(classifier_metrics: dict, confidence_level: float) -> dict:
    """The classifier's metrics with its accuracy's Wilson interval and what its bar allows.

    ``accuracy_ci_low``/``accuracy_ci_high``: the interval of the accuracy over the test
    digits; ``errors``: its mistakes; ``errors_allowed``: the most mistakes on this test set
    that still meet ``min_accuracy``.
    """
    test_size = classifier_metrics["test_size"]
    correct = round(classifier_metrics["test_accuracy"] * test_size)
    low, high = wilson_interval(correct, test_size, confidence_level)
    return {
        **classifier_metrics,
        "errors": test_size - correct,
        "errors_allowed": math.floor(test_size * (1 - classifier_metrics["min_accuracy"]) + 1e-9),
        "accuracy_ci_low": low,
        "accuracy_ci_high": high,
        "accuracy_interval_method": "Wilson score interval",
    }


def shell_place(model: dict, norm_ratio: float) -> str:
    """Where a norm ratio lies against the 5-95% range of the norms of the model's prior draws."""
    if norm_ratio < model["prior_draw_norm_ratio_q05"]:
        return "below"
    if norm_ratio > model["prior_draw_norm_ratio_q95"]:
        return "above"
    return "within"


def units_for_kl_share(kl_per_dim_nats: list[float], share: float = KL_SHARE) -> int:
    """The fewest units whose KL terms add up to ``share`` of the total."""
    kl = sorted(kl_per_dim_nats, reverse=True)
    total = sum(kl)
    return next((rank + 1 for rank, value in enumerate(itertools.accumulate(kl)) if value >= share * total), len(kl))


def kl_unit_counts(kl_per_dim_nats: list[float]) -> dict:
    """How many units carry the KL: for half of it, for KL_SHARE of it, and above KL_UNIT_THRESHOLD_NATS."""
    return {
        "units_above_kl_threshold": sum(1 for value in kl_per_dim_nats if value > KL_UNIT_THRESHOLD_NATS),
        "kl_unit_threshold_nats": KL_UNIT_THRESHOLD_NATS,
        "units_for_half_kl": units_for_kl_share(kl_per_dim_nats, 0.5),
        "units_for_90pct_kl": units_for_kl_share(kl_per_dim_nats, KL_SHARE),
    }


def kl_spectrum(kl_per_dim_nats: list[float], active_units: int) -> dict:
    """The KL per unit, sorted, and what it says about how many dimensions the model uses
    (the counts themselves are :func:`kl_unit_counts`', in the model's row).

    ``usage``: "all" when every unit that passes the activity test also carries more than
    KL_UNIT_THRESHOLD_NATS; "few" when fewer units carry that much than pass the test, and
    at least as many as carry half the KL (the model uses about ``units_for_half_kl`` to
    ``units_above_kl_threshold`` dimensions); "thin" when fewer units carry that much than
    it takes to hold half the KL (the KL is spread thin over many units).
    """
    kl = sorted((float(value) for value in kl_per_dim_nats), reverse=True)
    counts = kl_unit_counts(kl)
    above, half = counts["units_above_kl_threshold"], counts["units_for_half_kl"]
    rest = kl[above:]
    usage = "all" if above >= active_units else "few" if above >= half else "thin"
    return {
        "sorted_kl_per_dim_nats": kl,
        "kl_total_nats": sum(kl),
        "kl_above_threshold_nats": sum(kl[:above]),
        "kl_of_half_units_nats": sum(kl[:half]),
        "rest_kl_min_nats": min(rest) if rest else None,
        "rest_kl_max_nats": max(rest) if rest else None,
        "usage": usage,
    }


def share_against(share: float, count: int, reference: float, confidence_level: float) -> dict:
    """A measured share of ``count`` items with its Wilson interval, and its place against ``reference``:
    "above" (the whole interval above it), "below", or "same" (the interval holds it)."""
    low, high = wilson_interval(round(share * count), count, confidence_level)
    return {"share": share, "ci_low": low, "ci_high": high,
            "place": "above" if low > reference else "below" if high < reference else "same"}


def grid_square_verdicts(grid_square: dict, train_size: int, confidence_level: float) -> dict:
    """Figure 2's square: the prior's mass in it, and the training codes' shares against that mass."""
    return {
        "extent": grid_square["extent"],
        "prior_share": grid_square["prior_share"],
        **{population: share_against(grid_square[f"{population}_share"], train_size, grid_square["prior_share"],
                                     confidence_level)
           for population in ("posterior_mean", "posterior_draw")},
    }


def midpoint_with_verdicts(row: dict, model: dict) -> dict:
    """A midpoint row with its verdicts: signs of the gap and of the difference to lerp; shell place of a norm.

    A row across replicates (across_replicates.aggregate_midpoint_rows) carries
    ``gap_across`` and ``minus_lerp_across``, from which its verdicts take their reasons.
    """
    across = {quantity: row.get(f"{quantity}_across") for quantity in ("gap", "minus_lerp")}
    row = {key: value for key, value in row.items() if not key.endswith("_across")}
    row["gap"] = interval(row["gap_mean"], row["gap_ci_low"], row["gap_ci_high"], across["gap"])
    if "minus_lerp_mean" in row:
        row["minus_lerp"] = interval(
            row["minus_lerp_mean"], row["minus_lerp_ci_low"], row["minus_lerp_ci_high"], across["minus_lerp"]
        )
    if row["metric"] == "latent_norm_ratio":
        row["midpoint_place"] = shell_place(model, row["midpoint_mean"])
        row["endpoints_place"] = shell_place(model, row["endpoints_mean"])
    return row


def model_with_verdicts(statistics: dict, confidence_level: float = 0.95) -> dict:
    """A model's row of the summary: the table's columns, the KL per unit and its spectrum, where its
    codes lie, and where its training digits' codes lie (``training_codes``, when measured)."""
    row = {**model_row(statistics), "kl_per_dim_nats": statistics["kl_per_dim_nats"]}
    row["kl_share"] = KL_SHARE
    row["kl_spectrum"] = kl_spectrum(statistics["kl_per_dim_nats"], statistics["active_units"])
    row["posterior_mean_place"] = shell_place(row, row["posterior_mean_norm_ratio_q50"])
    row["posterior_draw_place"] = shell_place(row, row["posterior_draw_norm_ratio_q50"])
    codes = statistics.get("training_codes")
    if codes is not None:
        row["training_codes"] = {key: value for key, value in codes.items() if key != "grid_square"}
        if "grid_square" in codes:
            row["training_codes"]["grid_square"] = grid_square_verdicts(
                codes["grid_square"], codes["train_size"], confidence_level
            )
    return row


# --------------------------------------------------------------------------
# The summary
# --------------------------------------------------------------------------


class Midpoints:
    """The midpoint rows of a summary indexed by (latent_dim, source, method, metric)."""

    def __init__(self, rows: list[dict]):
        self._rows = {(row["latent_dim"], row["source"], row["method"], row["metric"]): row for row in rows}

    def __call__(self, latent_dim: int, source: str, method: str, metric: str) -> dict:
        return self._rows[(latent_dim, source, method, metric)]


def build_summary(
    settings: dict,
    classifier_metrics: dict,
    model_statistics: list[dict],
    midpoint_rows: list[dict],
    other_replicates: list[tuple[list[dict], list[dict]]] = (),
    midpoint_pairs: list[dict[int, dict]] | None = None,
) -> dict:
    """The dict behind the site section (results/study/study_summary.json): numbers and verdicts, no prose.

    ``model_statistics`` and ``midpoint_rows`` are replicate 0's (the models the figures
    decode); ``other_replicates`` holds (statistics, midpoint rows) of replicates 1, 2, ...
    and ``midpoint_pairs[r][latent_dim]`` every replicate's per-pair midpoint values
    (across_replicates.read_midpoint_pairs), needed from two replicates on. With several
    replicates every number is the mean over them with the interval across them
    (``latentspace.study.across_replicates``), and ``replicates`` gives each one's values.
    """
    level = settings["confidence_level"]
    statistics_by_replicate = [model_statistics, *(statistics for statistics, _ in other_replicates)]
    rows_by_replicate = [midpoint_rows, *(rows for _, rows in other_replicates)]
    replicate_count = len(rows_by_replicate)
    if replicate_count > 1 and (midpoint_pairs is None or len(midpoint_pairs) != replicate_count):
        raise ValueError(f"build_summary: {replicate_count} replicates need the per-pair midpoint values of each")
    per_dim = {}
    for replicate, statistics in enumerate(statistics_by_replicate):
        for entry in statistics:
            per_dim.setdefault(entry["latent_dim"], {})[replicate] = entry
    incomplete = sorted(dim for dim, entries in per_dim.items() if len(entries) != replicate_count)
    if incomplete:
        raise ValueError(f"build_summary: latent size {incomplete[0]} lacks the statistics of some replicate")
    latent_dims = sorted(per_dim)
    models = [model_with_verdicts(across_replicates.mean_statistics([per_dim[dim][r] for r in range(replicate_count)]),
                                  level)
              for dim in latent_dims]
    by_dim = {model["latent_dim"]: model for model in models}
    gathered = (midpoint_rows if replicate_count == 1
                else across_replicates.aggregate_midpoint_rows(rows_by_replicate, midpoint_pairs, level))
    rows = [midpoint_with_verdicts(row, by_dim[row["latent_dim"]]) for row in gathered]
    midpoints = Midpoints(rows)
    best = max(latent_dims, key=lambda dim: by_dim[dim]["test_iwae_nats"])
    gaps = [by_dim[dim]["iwae_minus_elbo_nats"] for dim in latent_dims]
    return {
        "settings": settings,
        "latent_dims": latent_dims,
        "largest_latent_dim": latent_dims[-1],
        "smallest_latent_dim": latent_dims[0],
        "methods": [{"name": method, "label": METHOD_LABELS[method]} for method in METHODS],
        "baseline_method": BASELINE_METHOD,
        "sources": [{"name": source, "label": SOURCE_LABELS[source]} for source in SOURCES],
        "classifier": classifier_with_interval(classifier_metrics, level),
        "models": models,
        "likelihood": {
            "best_latent_dim": best,
            "iwae_minus_elbo_min_nats": min(gaps),
            "iwae_minus_elbo_max_nats": max(gaps),
        },
        "midpoint_table": [
            {
                "latent_dim": latent_dim,
                "source": source,
                "source_label": SOURCE_LABELS[source],
                "methods": {
                    method: {
                        "norm_ratio": midpoints(latent_dim, source, method, "latent_norm_ratio")["midpoint_mean"],
                        "confidence_gap": midpoints(latent_dim, source, method, "classifier_confidence")["gap"],
                        "entropy_gap": midpoints(latent_dim, source, method, "classifier_entropy_nats")["gap"],
                        "distance_gap": midpoints(latent_dim, source, method, "nearest_train_distance")["gap"],
                    }
                    for method in METHODS
                },
            }
            for latent_dim in latent_dims
            for source in SOURCES
        ],
        "midpoints": rows,
        "replicates": replicates_section(settings, statistics_by_replicate, per_dim, midpoints, latent_dims),
    }


# The verdicts the page words (metric, quantity): the midpoint gap of every method, and every
# method's difference to lerp. The summary lists each with its reason (``replicates.verdicts``).
WORDED_VERDICTS = (("classifier_confidence", "gap"), ("classifier_confidence", "minus_lerp"),
                   ("nearest_train_distance", "minus_lerp"))
# The figure across replicates: this method's midpoint confidence minus lerp's.
FIGURE_METHOD, FIGURE_METRIC = "slerp", "classifier_confidence"


def _with_replicates(value: dict) -> dict:
    """An interval of the summary with its ``replicates`` list, also for a single replicate."""
    own = value.get("replicates") or [{"replicate": 0, "mean": value["mean"], "ci_low": value["ci_low"],
                                        "ci_high": value["ci_high"], "sign": value["sign"]}]
    return {"mean": value["mean"], "ci_low": value["ci_low"], "ci_high": value["ci_high"], "sign": value["sign"],
            "replicates": own}


def replicates_section(
    settings: dict, statistics_by_replicate: list, per_dim: dict, midpoints: Midpoints, latent_dims: list[int]
) -> dict:
    """The summary's ``replicates``: how many, their seeds, what the intervals cover, every number across them.

    ``verdicts``: with several replicates, every worded verdict (WORDED_VERDICTS) of every
    size, source and method, with its interval, reason and prediction interval (the midpoint
    rows hold the same; one replicate's are there only); ``verdict_withheld``: too few
    replicates for any verdict (the reason of each is then TOO_FEW_TRAININGS).
    """
    count = len(statistics_by_replicate)
    level = settings["confidence_level"]
    verdicts = [] if count == 1 else [
        {"latent_dim": dim, "source": source, "source_label": SOURCE_LABELS[source], "method": method,
         "method_label": METHOD_LABELS[method], "metric": metric, "metric_label": METRIC_LABELS[metric],
         "quantity": quantity, **row[quantity]}
        for metric, quantity in WORDED_VERDICTS
        for dim in latent_dims for source in SOURCES for method in METHODS
        if quantity == "gap" or method != BASELINE_METHOD
        for row in [midpoints(dim, source, method, metric)]
    ]
    return {
        "count": count,
        "training_seeds": [training_seed(settings["seed"], replicate) for replicate in range(count)],
        "interval_covers": across_replicates.interval_covers(count),
        "method": across_replicates.METHOD if count > 1 else "percentile bootstrap over the pairs of one model",
        "models": [
            {"latent_dim": dim,
             "numbers": across_replicates.model_numbers([per_dim[dim][r] for r in range(count)], model_row, level)}
            for dim in latent_dims
        ],
        "figure": {
            "method": FIGURE_METHOD, "method_label": METHOD_LABELS[FIGURE_METHOD], "metric": FIGURE_METRIC,
            "rows": [
                {"latent_dim": dim, "source": source, "source_label": SOURCE_LABELS[source],
                 **_with_replicates(midpoints(dim, source, FIGURE_METHOD, FIGURE_METRIC)["minus_lerp"])}
                for source in SOURCES for dim in latent_dims
            ],
        },
        "minimum_for_verdict": across_replicates.MIN_REPLICATES_FOR_VERDICT,
        "verdict_withheld": 1 < count < across_replicates.MIN_REPLICATES_FOR_VERDICT,
        "verdicts": verdicts,
    }

