"""The study's results as data: CSV tables, the summary JSON of the site, and its verdicts.

Nothing here measures; everything is computed from the per-size results of
``latentspace.study.latent_norms`` and ``latentspace.study.interpolation_quality`` and from
the classifier's metrics. Every judgement the page words is computed here, once, as data:
the sign of an interval (+1 all above 0, -1 all below, 0 when it holds 0), where a norm
lies against the range of the prior's draws ("below", "within", "above"), how many units
carry most of the KL. The English sentences are the site's templates
(``site_templates/partials/study_reading.html.j2``), which branch on these values; this
module holds no prose, so rewording a sentence changes no table. Functions here take and return Python objects and text, apart from the readers
of the study's own files (``read_*``), which check what they read and name a damaged file
in one line (``latentspace.artifact_files``).
"""

from __future__ import annotations

import csv
import io
import itertools

from latentspace.artifact_files import checked_contents, read_csv_rows, read_json
from latentspace.study.labels import BASELINE_METHOD, METHOD_LABELS, METHODS, SOURCE_LABELS, SOURCES

PATH_COLUMNS = ("latent_dim", "source", "method", "metric", "t", "mean", "ci_low", "ci_high")
MIDPOINT_COLUMNS = (
    "latent_dim", "source", "method", "metric", "endpoints_mean", "midpoint_mean",
    "gap_mean", "gap_ci_low", "gap_ci_high", "minus_lerp_mean", "minus_lerp_ci_low", "minus_lerp_ci_high",
)
MODEL_COLUMNS = (
    "latent_dim", "test_size", "test_elbo_nats", "test_iwae_nats", "test_iwae_standard_error_nats", "iwae_minus_elbo_nats",
    "iwae_samples", "kl_nats", "active_units", "active_unit_threshold", "shell_radius",
    "prior_draw_norm_ratio_q05", "prior_draw_norm_ratio_q50", "prior_draw_norm_ratio_q95",
    "posterior_draw_norm_ratio_q05", "posterior_draw_norm_ratio_q50", "posterior_draw_norm_ratio_q95",
    "posterior_mean_norm_ratio_q05", "posterior_mean_norm_ratio_q50", "posterior_mean_norm_ratio_q95",
)
TEXT_COLUMNS = ("source", "method", "metric")
# The summary counts the units that carry this share of the model's KL.
KL_SHARE = 0.9
INTEGER_COLUMNS = ("latent_dim", "test_size", "iwae_samples", "active_units")


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


def interval(mean: float, low: float, high: float) -> dict:
    """A mean with its interval and the interval's sign (the verdict the prose words)."""
    return {"mean": mean, "ci_low": low, "ci_high": high, "sign": interval_sign(low, high)}


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


def midpoint_with_verdicts(row: dict, model: dict) -> dict:
    """A midpoint row with its verdicts: signs of the gap and of the difference to lerp; shell place of a norm."""
    row = {**row, "gap": interval(row["gap_mean"], row["gap_ci_low"], row["gap_ci_high"])}
    if "minus_lerp_mean" in row:
        row["minus_lerp"] = interval(row["minus_lerp_mean"], row["minus_lerp_ci_low"], row["minus_lerp_ci_high"])
    if row["metric"] == "latent_norm_ratio":
        row["midpoint_place"] = shell_place(model, row["midpoint_mean"])
        row["endpoints_place"] = shell_place(model, row["endpoints_mean"])
    return row


def model_with_verdicts(statistics: dict) -> dict:
    """A model's row of the summary: the table's columns, the KL per unit and where its codes lie."""
    row = {**model_row(statistics), "kl_per_dim_nats": statistics["kl_per_dim_nats"]}
    row["kl_share"] = KL_SHARE
    row["units_for_kl_share"] = units_for_kl_share(statistics["kl_per_dim_nats"])
    row["kl_total_nats"] = sum(statistics["kl_per_dim_nats"])
    row["posterior_mean_place"] = shell_place(row, row["posterior_mean_norm_ratio_q50"])
    row["posterior_draw_place"] = shell_place(row, row["posterior_draw_norm_ratio_q50"])
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
    settings: dict, classifier_metrics: dict, model_statistics: list[dict], midpoint_rows: list[dict]
) -> dict:
    """The dict behind the site section (results/study/study_summary.json): numbers and verdicts, no prose."""
    models = [model_with_verdicts(statistics)
              for statistics in sorted(model_statistics, key=lambda statistics: statistics["latent_dim"])]
    by_dim = {model["latent_dim"]: model for model in models}
    latent_dims = list(by_dim)
    rows = [midpoint_with_verdicts(row, by_dim[row["latent_dim"]]) for row in midpoint_rows]
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
        "classifier": classifier_metrics,
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
    }


def summary_midpoints(summary: dict) -> Midpoints:
    """The summary's midpoint rows, indexed."""
    return Midpoints(summary["midpoints"])
