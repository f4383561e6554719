"""The study's reading: English sentences written from the summary's numbers and verdicts.

Pure functions from the summary of ``latentspace.study.tables.build_summary`` to text.
No verdict is computed here: whether an interval lies above 0, holds 0 or lies below it,
and where a norm lies against the prior's draws, are read from the summary, so the words
can change without changing a table. The site step calls :func:`study_words`; nothing that
measures imports this module.
"""

from __future__ import annotations

from latentspace.study.labels import BASELINE_METHOD, METHOD_LABELS, METHODS, SOURCE_LABELS, SOURCES
from latentspace.study.tables import Midpoints, summary_midpoints

# --------------------------------------------------------------------------
# Numbers in words
# --------------------------------------------------------------------------


def number(value: float, digits: int = 2) -> str:
    """A number with a true minus sign; -0.00 is written 0.00."""
    text = f"{value:.{digits}f}"
    return text.replace("-", "\u2212") if value < 0 and text.strip("-0.") else text.lstrip("-")


def signed_number(value: float, digits: int = 2) -> str:
    """Like :func:`number`, with a + before a positive value."""
    text = number(value, digits)
    return f"+{text}" if value > 0 and text.strip("0.") else text


def interval_text(value: dict, level: float, digits: int = 2) -> str:
    """``0.03 (95% interval 0.01 to 0.05)`` from an interval dict of the summary."""
    return (
        f"{number(value['mean'], digits)} ({round(100 * level)}% interval "
        f"{number(value['ci_low'], digits)} to {number(value['ci_high'], digits)})"
    )


def size_text(value: dict, level: float, digits: int = 2) -> str:
    """Like :func:`interval_text`, for a difference whose direction the sentence already states."""
    if value["mean"] < 0:
        value = {"mean": -value["mean"], "ci_low": -value["ci_high"], "ci_high": -value["ci_low"]}
    return interval_text(value, level, digits)


def bracket_text(value: dict, digits: int = 2) -> str:
    """``+0.03 [0.01, 0.05]``: a signed mean and its interval, for tables and figure notes."""
    return f"{signed_number(value['mean'], digits)} [{number(value['ci_low'], digits)}, {number(value['ci_high'], digits)}]"


def dims_text(latent_dims: list[int], conjunction: str = "and") -> str:
    names = [f"z = {dim}" for dim in latent_dims]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {conjunction} " + names[-1]


# --------------------------------------------------------------------------
# The study section
# --------------------------------------------------------------------------


def study_words(summary: dict) -> dict:
    """Everything the study section says in words: the classifier's verdict and the reading."""
    return {"classifier": classifier_sentence(summary["classifier"]), "reading": reading(summary)}


def classifier_sentence(classifier: dict) -> str:
    """The classifier's verdict (``meets_bar``), stated once on the page."""
    accuracy, bar = classifier["test_accuracy"], classifier["min_accuracy"]
    head = (
        f"The digit classifier that judges the decoded images labels {accuracy:.1%} of the "
        f"{classifier['test_size']} held-out test digits correctly"
    )
    if classifier["meets_bar"]:
        return (f"{head}, above the {bar:.0%} bar this study sets, so its confidence and entropy are used below "
                "as a measure of how digit-like a decoded image is.")
    return (
        f"{head}, below the {bar:.0%} bar this study sets: it is too weak to judge the decoded digits, so its "
        "confidence and entropy are shown in the figures and tables but not interpreted here."
    )


def reading(summary: dict) -> list[str]:
    """Sentences about the run, each one chosen by a verdict of the summary and filled in from its numbers."""
    level = summary["settings"]["confidence_level"]
    pairs = summary["settings"]["pairs"]
    latent_dims = summary["latent_dims"]
    largest, smallest = latent_dims[-1], latent_dims[0]
    models = {model["latent_dim"]: model for model in summary["models"]}
    midpoints = summary_midpoints(summary)
    sentences = _norm_sentences(midpoints, models, largest, smallest)
    sentences.append(_density_sentence(midpoints, largest))
    if summary["classifier"]["meets_bar"]:
        sentences += _confidence_sentences(midpoints, latent_dims, largest, level, pairs)
    sentences.append(_distance_sentence(midpoints, largest, level))
    sentences.append(_collapse_sentence(models[largest], midpoints))
    sentences.append(_likelihood_sentence(models, summary["likelihood"]))
    return sentences


PLACE_OF_LERP_MIDPOINT = {
    "below": "below almost every prior draw",
    "within": "inside the range of ordinary prior draws",
    "above": "beyond almost every prior draw",
}


def _norm_sentences(midpoints: Midpoints, models: dict, largest: int, smallest: int) -> list[str]:
    norm = {method: midpoints(largest, "prior", method, "latent_norm_ratio") for method in METHODS}
    parts = [f"{METHOD_LABELS[method]} {number(norm[method]['midpoint_mean'])}" for method in METHODS]
    sentences = [
        f"Halfway between two prior draws in z = {largest}, the norm in units of the shell radius "
        f"\u221a{largest} is {', '.join(parts[:-1])} and {parts[-1]} (averages over the pairs)."
    ]
    sizes = [smallest, largest] if smallest != largest else [largest]
    lerp = {dim: midpoints(dim, "prior", BASELINE_METHOD, "latent_norm_ratio") for dim in sizes}
    places = {dim: lerp[dim]["midpoint_place"] for dim in sizes}
    where = " and ".join(f"{number(lerp[dim]['midpoint_mean'])} at z = {dim}" for dim in sizes)
    lowest = " and ".join(f"{number(models[dim]['prior_draw_norm_ratio_q05'])} at z = {dim}" for dim in sizes)
    if len(set(places.values())) == 1:
        verdict = f"{PLACE_OF_LERP_MIDPOINT[places[sizes[0]]]}{' at both sizes' if len(sizes) > 1 else ''}"
    else:
        verdict = " and ".join(f"{PLACE_OF_LERP_MIDPOINT[places[dim]]} at z = {dim}" for dim in sizes)
    sentences.append(
        f"In units of the radius, the lerp midpoint's norm is {where}; 5% of prior draws fall below {lowest}, "
        f"so the lerp midpoint is {verdict}."
    )
    return sentences


def _density_sentence(midpoints: Midpoints, largest: int) -> str:
    rows = {method: midpoints(largest, "prior", method, "prior_log_density_nats") for method in METHODS}
    lerp_gap = rows[BASELINE_METHOD]["gap_mean"]
    direction = "raises" if lerp_gap > 0 else "lowers"
    others = " and ".join(
        f"{METHOD_LABELS[m]} by {number(rows[m]['gap_mean'], 1)}" for m in METHODS if m != BASELINE_METHOD
    )
    lerp_place = midpoints(largest, "prior", BASELINE_METHOD, "latent_norm_ratio")["midpoint_place"]
    tail = (
        ": the midpoint is nearer the mode, so denser, and yet unlike almost every prior draw; "
        "density alone does not tell whether a point is like the prior's draws"
        if lerp_gap > 0 and lerp_place == "below" else ""
    )
    return (
        f"At z = {largest}, lerp {direction} the prior log-density at the midpoint by {number(abs(lerp_gap), 1)} nats "
        f"against the endpoints' mean ({others}){tail}."
    )


def versus_lerp_clause(method: str, versus: dict, level: float, pairs: int) -> str:
    """How ``method`` changes the midpoint confidence against lerp, worded from the interval's sign."""
    sign = versus["sign"]
    if sign > 0:
        return f"{METHOD_LABELS[method]} raises it by {size_text(versus, level)}"
    if sign < 0:
        return f"{METHOD_LABELS[method]} lowers it by {size_text(versus, level)}, so it does not help here"
    return f"{METHOD_LABELS[method]} changes it by {interval_text(versus, level)}, no measurable difference over {pairs} pairs"


def _confidence_sentences(midpoints: Midpoints, latent_dims: list[int], largest: int, level: float, pairs: int) -> list[str]:
    sentences = []
    for source in SOURCES:
        lerp_gap = midpoints(largest, source, BASELINE_METHOD, "classifier_confidence")["gap"]
        verdicts = [
            versus_lerp_clause(method, midpoints(largest, source, method, "classifier_confidence")["minus_lerp"], level, pairs)
            for method in METHODS if method != BASELINE_METHOD
        ]
        sentences.append(
            f"Between {SOURCE_LABELS[source]} at z = {largest}, the classifier's confidence at the midpoint differs from the "
            f"endpoints' mean by {interval_text(lerp_gap, level)} for lerp; against lerp, {'; '.join(verdicts)}."
        )
    for method in METHODS:
        if method == BASELINE_METHOD:
            continue
        for source in SOURCES:
            signs = {dim: midpoints(dim, source, method, "classifier_confidence")["minus_lerp"]["sign"] for dim in latent_dims}
            yes = [dim for dim in latent_dims if signs[dim] > 0]
            no = [dim for dim in latent_dims if signs[dim] <= 0]
            head = f"For {SOURCE_LABELS[source]}, {METHOD_LABELS[method]} gives"
            if yes and no:
                sentences.append(f"{head} measurably more confident midpoints than lerp at {dims_text(yes)}, "
                                 f"but not at {dims_text(no, 'or')}.")
            elif yes:
                sentences.append(f"{head} measurably more confident midpoints than lerp at every latent size.")
            else:
                sentences.append(f"{head} no measurably more confident midpoints than lerp at any latent size.")
    return sentences


def _distance_sentence(midpoints: Midpoints, largest: int, level: float) -> str:
    lerp = midpoints(largest, "prior", BASELINE_METHOD, "nearest_train_distance")
    comparisons = []
    for method in METHODS:
        if method == BASELINE_METHOD:
            continue
        versus = midpoints(largest, "prior", method, "nearest_train_distance")["minus_lerp"]
        verdict = {
            1: f"are farther, by {size_text(versus, level)}",
            -1: f"are closer, by {size_text(versus, level)}",
            0: f"differ by {interval_text(versus, level)}, no measurable difference",
        }[versus["sign"]]
        comparisons.append(f"{METHOD_LABELS[method]}'s midpoints {verdict}")
    return (
        f"In pixels, the decoded lerp midpoints of prior pairs at z = {largest} lie {number(lerp['midpoint_mean'])} from "
        f"their nearest training image, against {number(lerp['endpoints_mean'])} for the endpoints; "
        f"{'; '.join(comparisons)}. Pixel distance favours smooth images, so it is read together with the "
        "classifier's scores."
    )


PLACE_OF_POSTERIOR_MEANS = {
    "below": "well inside the shell where the prior's draws live",
    "within": "within the range of the prior's draws",
    "above": "beyond the range of the prior's draws",
}


def _collapse_sentence(model: dict, midpoints: Midpoints) -> str:
    dim = model["latent_dim"]
    lerp = midpoints(dim, "encoded", BASELINE_METHOD, "latent_norm_ratio")
    place, draw_place = model["posterior_mean_place"], model["posterior_draw_place"]
    noise_clause = (
        ": the posterior's noise, not the digit, is what puts a posterior draw on the shell"
        if place == "below" and draw_place == "within" else ""
    )
    return (
        f"At z = {dim}, {model['active_units']} of {dim} units pass the activity test (posterior-mean variance above "
        f"{model['active_unit_threshold']}), and {model['units_for_kl_share']} units carry {model['kl_share']:.0%} of the "
        f"{number(model['kl_total_nats'], 1)} nats of KL; the posterior means of the test digits have a median norm of "
        f"{number(model['posterior_mean_norm_ratio_q50'])} of the radius, {PLACE_OF_POSTERIOR_MEANS[place]}, while a draw "
        f"from the posterior (mean plus noise) sits at {number(model['posterior_draw_norm_ratio_q50'])}{noise_clause}. "
        f"Encoded digits therefore start {'on' if place == 'within' else 'off'} the shell, and lerp between them goes from "
        f"{number(lerp['endpoints_mean'])} of the radius at the endpoints to {number(lerp['midpoint_mean'])} at the midpoint."
    )


def _likelihood_sentence(models: dict, likelihood: dict) -> str:
    best = likelihood["best_latent_dim"]
    return (
        f"With k = {models[best]['iwae_samples']} importance samples per test digit, the log-likelihood estimate lies "
        f"{number(likelihood['iwae_minus_elbo_min_nats'])} to {number(likelihood['iwae_minus_elbo_max_nats'])} nats "
        f"above the ELBO across latent sizes; it is highest at z = {best} "
        f"({number(models[best]['test_iwae_nats'], 1)} nats per image)."
    )
