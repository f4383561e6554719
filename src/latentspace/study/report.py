"""The study's results gathered: CSV tables, the summary JSON of the site and its reading.

Nothing here measures; everything is computed from the per-size results of
``latentspace.study.latent_norms`` and ``latentspace.study.interpolation_quality`` and from
the classifier's metrics. The reading is a list of sentences assembled from those
numbers: each claim is chosen by comparing measured values or intervals (an interval
that holds 0 gives "no measurable difference"), so a different run gives a different
reading. Functions here take and return Python objects and text; file I/O is in
``latentspace.study.commands``.
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
# The collapse sentence counts the units that carry this share of the model's KL.
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
# The summary
# --------------------------------------------------------------------------


class Midpoints:
    """The midpoint table indexed by (latent_dim, source, method, metric)."""

    def __init__(self, rows: list[dict]):
        self._rows = {(row["latent_dim"], row["source"], row["method"], row["metric"]): row for row in rows}

    def __call__(self, latent_dim: int, source: str, method: str, metric: str) -> dict:
        return self._rows[(latent_dim, source, method, metric)]


def build_summary(
    settings: dict, classifier_metrics: dict, model_statistics: list[dict], midpoint_rows: list[dict]
) -> dict:
    """The dict behind the site section (results/study/study_summary.json)."""
    models = sorted(model_statistics, key=lambda statistics: statistics["latent_dim"])
    latent_dims = [model["latent_dim"] for model in models]
    midpoints = Midpoints(midpoint_rows)
    summary = {
        "settings": settings,
        "latent_dims": latent_dims,
        "largest_latent_dim": latent_dims[-1],
        "methods": [{"name": method, "label": METHOD_LABELS[method]} for method in METHODS],
        "sources": [{"name": source, "label": SOURCE_LABELS[source]} for source in SOURCES],
        "classifier": classifier_metrics,
        "models": [{**model_row(model), "kl_per_dim_nats": model["kl_per_dim_nats"]} for model in models],
        "midpoint_table": [
            {
                "latent_dim": latent_dim,
                "source": source,
                "source_label": SOURCE_LABELS[source],
                "methods": {
                    method: {
                        "norm_ratio": midpoints(latent_dim, source, method, "latent_norm_ratio")["midpoint_mean"],
                        "confidence_gap": _gap(midpoints(latent_dim, source, method, "classifier_confidence")),
                        "entropy_gap": _gap(midpoints(latent_dim, source, method, "classifier_entropy_nats")),
                        "distance_gap": _gap(midpoints(latent_dim, source, method, "nearest_train_distance")),
                    }
                    for method in METHODS
                },
            }
            for latent_dim in latent_dims
            for source in SOURCES
        ],
        "midpoints": midpoint_rows,
    }
    summary["reading"] = reading(summary, midpoints)
    return summary


def _gap(row: dict) -> dict:
    return {"mean": row["gap_mean"], "ci_low": row["gap_ci_low"], "ci_high": row["gap_ci_high"]}


# --------------------------------------------------------------------------
# The reading, written from the numbers
# --------------------------------------------------------------------------


def _number(value: float, digits: int = 2) -> str:
    text = f"{value:.{digits}f}"
    return text.replace("-", "\u2212") if value < 0 and text.strip("-0.") else text.lstrip("-")


def _interval_text(mean: float, low: float, high: float, level: float, digits: int = 2) -> str:
    return f"{_number(mean, digits)} ({round(100 * level)}% interval {_number(low, digits)} to {_number(high, digits)})"


def _size_text(mean: float, low: float, high: float, level: float, digits: int = 2) -> str:
    """Like _interval_text, for a difference whose direction the sentence already states."""
    if mean < 0:
        mean, low, high = -mean, -high, -low
    return _interval_text(mean, low, high, level, digits)


def _sign_of_interval(low: float, high: float) -> int:
    """+1 when the whole interval is above 0, -1 when below, 0 when it holds 0."""
    return 1 if low > 0 else -1 if high < 0 else 0


def _dims_text(latent_dims: list[int], conjunction: str = "and") -> str:
    names = [f"z = {dim}" for dim in latent_dims]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


def reading(summary: dict, midpoints: Midpoints) -> list[str]:
    """Sentences about the run, each one chosen and filled in from the measured numbers."""
    level = summary["settings"]["confidence_level"]
    pairs = summary["settings"]["pairs"]
    latent_dims = summary["latent_dims"]
    largest, smallest = latent_dims[-1], latent_dims[0]
    models = {model["latent_dim"]: model for model in summary["models"]}
    classifier = summary["classifier"]
    sentences = [_classifier_sentence(classifier)]
    sentences += _norm_sentences(midpoints, models, largest, smallest, level)
    sentences.append(_density_sentence(midpoints, models, largest))
    if classifier["meets_bar"]:
        sentences += _confidence_sentences(midpoints, latent_dims, largest, level, pairs)
    sentences.append(_distance_sentence(midpoints, largest, level))
    sentences.append(_collapse_sentence(models[largest], midpoints))
    sentences.append(_likelihood_sentence(models, latent_dims))
    return sentences


def _classifier_sentence(classifier: dict) -> str:
    accuracy, bar = classifier["test_accuracy"], classifier["min_accuracy"]
    head = (
        f"The digit classifier that judges the decoded images labels {accuracy:.1%} of the "
        f"{classifier['test_size']} held-out test digits correctly"
    )
    if classifier["meets_bar"]:
        return f"{head}, above the {bar:.0%} bar, so its confidence and entropy are used below as a measure of how digit-like a decoded image is."
    return (
        f"{head}, below the {bar:.0%} bar: it is too weak to judge the decoded digits, so its confidence "
        "and entropy are shown in the figures and tables but not interpreted here."
    )


def _shell_place(model: dict, norm_ratio: float) -> str:
    """Where a norm ratio lies against the 5-95% range of the norms of the prior's draws."""
    if norm_ratio < model["prior_draw_norm_ratio_q05"]:
        return "below"
    if norm_ratio > model["prior_draw_norm_ratio_q95"]:
        return "above"
    return "within"


def _norm_sentences(midpoints: Midpoints, models: dict, largest: int, smallest: int, level: float) -> list[str]:
    norm = {method: midpoints(largest, "prior", method, "latent_norm_ratio") for method in METHODS}
    parts = [f"{METHOD_LABELS[method]} {_number(norm[method]['midpoint_mean'])}" for method in METHODS]
    sentences = [
        f"Halfway between two prior draws in z = {largest}, the norm in units of the shell radius "
        f"\u221a{largest} is {', '.join(parts[:-1])} and {parts[-1]} (averages over the pairs)."
    ]
    wording = {
        "below": "below almost every prior draw",
        "within": "inside the range of ordinary prior draws",
        "above": "beyond almost every prior draw",
    }
    sizes = [smallest, largest] if smallest != largest else [largest]
    lerp = {dim: midpoints(dim, "prior", BASELINE_METHOD, "latent_norm_ratio")["midpoint_mean"] for dim in sizes}
    places = {dim: _shell_place(models[dim], lerp[dim]) for dim in sizes}
    where = " and ".join(f"{_number(lerp[dim])} at z = {dim}" for dim in sizes)
    lowest = " and ".join(f"{_number(models[dim]['prior_draw_norm_ratio_q05'])} at z = {dim}" for dim in sizes)
    if len(set(places.values())) == 1:
        verdict = f"{wording[places[sizes[0]]]}{' at both sizes' if len(sizes) > 1 else ''}"
    else:
        verdict = " and ".join(f"{wording[places[dim]]} at z = {dim}" for dim in sizes)
    sentences.append(
        f"In units of the radius, the lerp midpoint's norm is {where}; 5% of prior draws fall below {lowest}, "
        f"so the lerp midpoint is {verdict}."
    )
    return sentences


def _density_sentence(midpoints: Midpoints, models: dict, largest: int) -> str:
    gaps = {method: midpoints(largest, "prior", method, "prior_log_density_nats")["gap_mean"] for method in METHODS}
    lerp_gap = gaps[BASELINE_METHOD]
    direction = "raises" if lerp_gap > 0 else "lowers"
    others = " and ".join(f"{METHOD_LABELS[m]} by {_number(gaps[m], 1)}" for m in METHODS if m != BASELINE_METHOD)
    lerp_norm = midpoints(largest, "prior", BASELINE_METHOD, "latent_norm_ratio")["midpoint_mean"]
    untypical = lerp_gap > 0 and _shell_place(models[largest], lerp_norm) == "below"
    tail = (
        ": the midpoint is nearer the mode, so denser, and yet unlike almost every prior draw; "
        "density alone does not tell whether a point is like the prior's draws"
        if untypical else ""
    )
    return (
        f"At z = {largest}, lerp {direction} the prior log-density at the midpoint by {_number(abs(lerp_gap), 1)} nats "
        f"against the endpoints' mean ({others}){tail}."
    )


def _confidence_sentences(midpoints: Midpoints, latent_dims: list[int], largest: int, level: float, pairs: int) -> list[str]:
    sentences = []
    for source in SOURCES:
        row = {method: midpoints(largest, source, method, "classifier_confidence") for method in METHODS}
        lerp_gap = row[BASELINE_METHOD]
        text = (
            f"Between {SOURCE_LABELS[source]} at z = {largest}, the classifier's confidence at the midpoint differs from the "
            f"endpoints' mean by {_interval_text(lerp_gap['gap_mean'], lerp_gap['gap_ci_low'], lerp_gap['gap_ci_high'], level)} "
            "for lerp"
        )
        verdicts = []
        for method in METHODS:
            if method == BASELINE_METHOD:
                continue
            versus = row[method]
            sign = _sign_of_interval(versus["minus_lerp_ci_low"], versus["minus_lerp_ci_high"])
            difference = _interval_text(versus["minus_lerp_mean"], versus["minus_lerp_ci_low"], versus["minus_lerp_ci_high"], level)
            size = _size_text(versus["minus_lerp_mean"], versus["minus_lerp_ci_low"], versus["minus_lerp_ci_high"], level)
            if sign > 0:
                verdicts.append(f"{METHOD_LABELS[method]} raises it by {size}")
            elif sign < 0:
                verdicts.append(f"{METHOD_LABELS[method]} lowers it by {size}, so it does not help here")
            else:
                verdicts.append(
                    f"{METHOD_LABELS[method]} changes it by {difference}, no measurable difference over {pairs} pairs"
                )
        sentences.append(f"{text}; against lerp, {'; '.join(verdicts)}.")
    for method in METHODS:
        if method == BASELINE_METHOD:
            continue
        helped, not_helped = [], []
        for dim in latent_dims:
            for source in SOURCES:
                versus = midpoints(dim, source, method, "classifier_confidence")
                sign = _sign_of_interval(versus["minus_lerp_ci_low"], versus["minus_lerp_ci_high"])
                (helped if sign > 0 else not_helped).append((dim, source))
        for source in SOURCES:
            yes = [dim for dim, s in helped if s == source]
            no = [dim for dim, s in not_helped if s == source]
            if yes and no:
                sentences.append(
                    f"For {SOURCE_LABELS[source]}, {METHOD_LABELS[method]} gives measurably more confident midpoints than lerp "
                    f"at {_dims_text(yes)}, but not at {_dims_text(no, 'or')}."
                )
            elif yes:
                sentences.append(
                    f"For {SOURCE_LABELS[source]}, {METHOD_LABELS[method]} gives measurably more confident midpoints than lerp "
                    f"at every latent size."
                )
            else:
                sentences.append(
                    f"For {SOURCE_LABELS[source]}, {METHOD_LABELS[method]} gives no measurably more confident midpoints than "
                    f"lerp at any latent size."
                )
    return sentences


def _distance_sentence(midpoints: Midpoints, largest: int, level: float) -> str:
    lerp = midpoints(largest, "prior", BASELINE_METHOD, "nearest_train_distance")
    comparisons = []
    for method in METHODS:
        if method == BASELINE_METHOD:
            continue
        row = midpoints(largest, "prior", method, "nearest_train_distance")
        sign = _sign_of_interval(row["minus_lerp_ci_low"], row["minus_lerp_ci_high"])
        difference = _interval_text(row["minus_lerp_mean"], row["minus_lerp_ci_low"], row["minus_lerp_ci_high"], level)
        size = _size_text(row["minus_lerp_mean"], row["minus_lerp_ci_low"], row["minus_lerp_ci_high"], level)
        verdict = {
            1: f"are farther, by {size}",
            -1: f"are closer, by {size}",
            0: f"differ by {difference}, no measurable difference",
        }[sign]
        comparisons.append(f"{METHOD_LABELS[method]}'s midpoints {verdict}")
    return (
        f"In pixels, the decoded lerp midpoints of prior pairs at z = {largest} lie {_number(lerp['midpoint_mean'])} from "
        f"their nearest training image, against {_number(lerp['endpoints_mean'])} for the endpoints; "
        f"{'; '.join(comparisons)}. Pixel distance favours smooth images, so it is read together with the "
        "classifier's scores."
    )


def _collapse_sentence(model: dict, midpoints: Midpoints) -> str:
    dim = model["latent_dim"]
    lerp = midpoints(dim, "encoded", BASELINE_METHOD, "latent_norm_ratio")
    place = _shell_place(model, model["posterior_mean_norm_ratio_q50"])
    where = {
        "below": "well inside the shell where the prior's draws live",
        "within": "within the range of the prior's draws",
        "above": "beyond the range of the prior's draws",
    }[place]
    draw_place = _shell_place(model, model["posterior_draw_norm_ratio_q50"])
    noise_clause = (
        ": the posterior's noise, not the digit, is what puts a posterior draw on the shell"
        if place == "below" and draw_place == "within" else ""
    )
    kl = sorted(model["kl_per_dim_nats"], reverse=True)
    total = sum(kl)
    units_for_most = next(
        (rank + 1 for rank, value in enumerate(itertools.accumulate(kl)) if value >= KL_SHARE * total), len(kl)
    )
    return (
        f"At z = {dim}, {model['active_units']} of {dim} units pass the activity test (posterior-mean variance above "
        f"{model['active_unit_threshold']}), and {units_for_most} units carry {KL_SHARE:.0%} of the {_number(total, 1)} "
        f"nats of KL; the posterior means of the test digits have a median norm of "
        f"{_number(model['posterior_mean_norm_ratio_q50'])} of the radius, {where}, while a draw from the posterior "
        f"(mean plus noise) sits at {_number(model['posterior_draw_norm_ratio_q50'])}{noise_clause}. Encoded digits therefore start "
        f"{'on' if place == 'within' else 'off'} the shell, and lerp between them goes from "
        f"{_number(lerp['endpoints_mean'])} of the radius at the endpoints to {_number(lerp['midpoint_mean'])} at the midpoint."
    )


def _likelihood_sentence(models: dict, latent_dims: list[int]) -> str:
    best = max(latent_dims, key=lambda dim: models[dim]["test_iwae_nats"])
    gaps = [models[dim]["iwae_minus_elbo_nats"] for dim in latent_dims]
    samples = models[best]["iwae_samples"]
    return (
        f"With k = {samples} importance samples per test digit, the log-likelihood estimate lies "
        f"{_number(min(gaps))} to {_number(max(gaps))} nats above the ELBO across latent sizes; it is highest at "
        f"z = {best} ({_number(models[best]['test_iwae_nats'], 1)} nats per image)."
    )
