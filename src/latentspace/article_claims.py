"""The empirical sentences of the article's sections 1-8, written from this run's measurements.

The article makes two kinds of statement. Mathematics (ball volumes, the norms of Gaussian
draws, the definitions of lerp and slerp) holds whatever the run, and the templates state
it in fixed words. Claims about this run's models (how sharp their digits are, where
their codes lie, whether slerp decodes to better digits than lerp) can come out either
way, so each of them is written here from the numbers: the models' metrics, the study's
summary (``latentspace.study.tables``: midpoint gaps with intervals and their verdicts,
norms against sqrt(p), active units) and the numbers of Figure 11. Where the original
article made a claim this run does not measure directly, the sentence says it is the
article's claim and puts this run's nearest measurement beside it.

Every function is pure: dicts in, text out. A measurement the run did not make (a latent
size outside the study, say) gives a sentence that says so, never a guess.
"""

from __future__ import annotations

from latentspace.study.labels import BASELINE_METHOD
from latentspace.study.reading import bracket_text, dims_text, interval_text, number, study_words
from latentspace.study.tables import summary_midpoints

# The article's Figure 11 compares lerp with slerp between prior draws.
F11_METHODS = ("lerp", "slerp")
F11_SOURCE = "prior"
CONFIDENCE = "classifier_confidence"


def _studied(study: dict | None, latent_dim: int) -> bool:
    return study is not None and latent_dim in study["latent_dims"]


def _midpoint(study: dict, latent_dim: int, source: str, method: str, metric: str) -> dict:
    return summary_midpoints(study)(latent_dim, source, method, metric)


def _level(study: dict) -> float:
    return study["settings"]["confidence_level"]


def _not_studied(latent_dim: int) -> str:
    return (f"This run's study does not include z = {latent_dim} (it measures the latent sizes of "
            "latent_dims), so this run has no measurement of it.")


def _weak_judge(study: dict) -> str:
    classifier = study["classifier"]
    return (f"The classifier that would judge it labels only {classifier['test_accuracy']:.1%} of the test digits "
            f"correctly, below the {classifier['min_accuracy']:.0%} bar, so this run cannot say how digit-like "
            "the decoded images are.")


# --------------------------------------------------------------------------
# Sections 2, 4 and 5: the models
# --------------------------------------------------------------------------


def reconstruction_sentence(models: list[dict], latent_dim: int) -> str:
    """How the ``latent_dim`` model's reconstruction term compares with the other models' (lower is sharper)."""
    by_dim = {model["latent_dim"]: model for model in models}
    if latent_dim not in by_dim:
        return f"This run trains no model with z = {latent_dim}."
    others = [dim for dim in sorted(by_dim) if dim != latent_dim]
    own = by_dim[latent_dim]["test_reconstruction_nats"]
    if not others:
        return f"In this run its reconstruction term on the test digits is {number(own, 1)} nats per image."
    worse = [dim for dim in others if by_dim[dim]["test_reconstruction_nats"] > own]
    comparison = _per_dim([number(by_dim[dim]["test_reconstruction_nats"], 1) for dim in others], others)
    if not worse:
        verdict = "the largest of the run's models: the least precise reconstructions"
    elif len(worse) == len(others):
        verdict = f"the smallest of the run's models: z = {latent_dim} reconstructs best here"
    else:
        verdict = f"better than at {', '.join(f'z = {dim}' for dim in worse)}"
    return (f"In this run its reconstruction term, the negative log-likelihood of the test digits under the decoder, "
            f"is {number(own, 1)} nats per image against {comparison}, {verdict}.")


def prior_samples_sentence(study: dict | None) -> str:
    """Section 2's claim that decoded prior draws look like digits, against the classifier's confidence."""
    if study is None or not study["latent_dims"]:
        return "This run's study measures no latent size, so how digit-like decoded prior draws are is not measured."
    dims = study["latent_dims"]
    prior = [number(_midpoint(study, dim, "prior", BASELINE_METHOD, CONFIDENCE)["endpoints_mean"]) for dim in dims]
    encoded = [number(_midpoint(study, dim, "encoded", BASELINE_METHOD, CONFIDENCE)["endpoints_mean"]) for dim in dims]
    text = (
        f"In this run, the digit classifier of the study gives decoded prior draws a mean confidence of "
        f"{_per_dim(prior, dims)}, against {_per_dim(encoded, dims)} for the decoded codes of test digits"
    )
    if not study["classifier"]["meets_bar"]:
        return f"{text}. {_weak_judge(study)}"
    return f"{text} (1 is a digit the classifier is sure of)."


def _per_dim(values: list[str], dims: list[int]) -> str:
    parts = [f"{value} at z = {dim}" for value, dim in zip(values, dims)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


PLACE_WORDS = {
    "below": "inside the shell where the prior's draws lie",
    "within": "on the shell, among the prior's draws",
    "above": "beyond the prior's draws",
}


def code_placement_sentence(study: dict | None) -> str:
    """Where the codes of the test digits lie against the sqrt(p) shell, per studied latent size."""
    if study is None or not study["latent_dims"]:
        return "This run's study measures no latent size, so where the codes lie is not measured."
    parts = []
    for model in study["models"]:
        dim = model["latent_dim"]
        parts.append(
            f"at z = {dim} their median norm is {number(model['posterior_mean_norm_ratio_q50'])}\u202f\u221ap, "
            f"{PLACE_WORDS[model['posterior_mean_place']]}, with {model['active_units']} of {dim} units active"
        )
    draws = {model["posterior_draw_place"] for model in study["models"]}
    tail = (
        "; posterior draws, mean plus noise, lie on the shell at every size"
        if draws == {"within"} else
        "; posterior draws, mean plus noise, lie " + ", ".join(
            f"{PLACE_WORDS[model['posterior_draw_place']]} at z = {model['latent_dim']}" for model in study["models"]
        )
    )
    follows = all(model["posterior_mean_place"] == "within" for model in study["models"])
    head = "follow that picture" if follows else "do not all follow that picture"
    return f"In this run, the posterior means of the test digits {head}: {'; '.join(parts)}{tail}."


def trained_norm_sentence(study: dict | None, latent_dim: int) -> str:
    """Whether the codes the ``latent_dim`` decoder was trained on (posterior draws) lie on the shell."""
    if not _studied(study, latent_dim):
        return _not_studied(latent_dim)
    model = next(model for model in study["models"] if model["latent_dim"] == latent_dim)
    return (
        f"In this run, the codes the z = {latent_dim} decoder is trained on, draws from the posteriors of the digits, "
        f"have norms between {number(model['posterior_draw_norm_ratio_q05'])} and "
        f"{number(model['posterior_draw_norm_ratio_q95'])}\u202f\u221ap (5% to 95%), "
        f"{ {'below': 'inside', 'within': 'on', 'above': 'outside'}[model['posterior_draw_place']] } the shell of the prior's "
        f"draws ({number(model['prior_draw_norm_ratio_q05'])} to {number(model['prior_draw_norm_ratio_q95'])})."
    )


def in_between_sentence(study: dict | None, latent_dim: int, source: str, method: str) -> str:
    """How digit-like the midpoints of ``method`` paths decode at ``latent_dim``: the study's midpoint gap.

    The templates set it beside the original article's claims about in-between images.
    """
    if not _studied(study, latent_dim):
        return _not_studied(latent_dim)
    if not study["classifier"]["meets_bar"]:
        return _weak_judge(study)
    gap = _midpoint(study, latent_dim, source, method, CONFIDENCE)["gap"]
    what = {"prior": "two prior draws", "encoded": "the codes of two test digits"}[source]
    verdict = {
        1: "more confident at the midpoint than at the endpoints",
        0: "no measurable change in the classifier's confidence at the midpoint",
        -1: "a measurable drop in the classifier's confidence at the midpoint",
    }[gap["sign"]]
    return (
        f"In this run, along {method} between {what} at z = {latent_dim}, the classifier's confidence at the "
        f"midpoint differs from the endpoints' mean by {interval_text(gap, _level(study))} over "
        f"{study['settings']['pairs']} pairs: {verdict}."
    )


# --------------------------------------------------------------------------
# Section 7: Figure 11 and its text
# --------------------------------------------------------------------------


def figure11_evidence(study: dict | None, latent_dim: int) -> dict:
    """The midpoint gaps printed beside the rows of Figure 11: per method, ``text`` or None, and the pairs."""
    if not _studied(study, latent_dim):
        return {"available": False, "pairs": None, "level": None, "gaps": {method: None for method in F11_METHODS}}
    return {
        "available": True,
        "pairs": study["settings"]["pairs"],
        "level": round(100 * _level(study)),
        "gaps": {
            method: bracket_text(_midpoint(study, latent_dim, F11_SOURCE, method, CONFIDENCE)["gap"])
            for method in F11_METHODS
        },
    }


def _middle_columns(count: int) -> list[int]:
    return [count // 2] if count % 2 else [count // 2 - 1, count // 2]


def figure11_pair_sentence(interpolation: dict) -> str:
    """What the classifier says about the middle of the pair shown (a single pair: no interval)."""
    if "lerp_confidences" not in interpolation:
        return "The classifier's scores of the pair shown are not available."
    columns = _middle_columns(interpolation["steps"])
    where = "middle column" if len(columns) == 1 else "two middle columns"
    lerp = sum(interpolation["lerp_confidences"][c] for c in columns) / len(columns)
    slerp = sum(interpolation["slerp_confidences"][c] for c in columns) / len(columns)
    ends = [interpolation[f"{m}_confidences"][i] for m in F11_METHODS for i in (0, -1)]
    return (
        f"For the pair shown, the classifier's confidence in the {where} is {number(lerp)} for lerp and "
        f"{number(slerp)} for slerp, against {number(sum(ends) / len(ends))} at the endpoints; one pair is "
        "one draw, so the study's average over many pairs is the measurement to go by."
    )


def figure11_comparison_sentence(study: dict | None, latent_dim: int) -> str:
    """The article's claim about Figure 11's rows, and what the study measured over many pairs."""
    claim = (
        "The original article reports that the slerp row keeps the contrast and sharpness of its endpoints while "
        "the lerp row fades and blurs towards the middle."
    )
    if not _studied(study, latent_dim):
        return f"{claim} {_not_studied(latent_dim)}"
    if not study["classifier"]["meets_bar"]:
        return f"{claim} {_weak_judge(study)}"
    level, pairs = _level(study), study["settings"]["pairs"]
    lerp_gap = _midpoint(study, latent_dim, F11_SOURCE, "lerp", CONFIDENCE)["gap"]
    versus = _midpoint(study, latent_dim, F11_SOURCE, "slerp", CONFIDENCE)["minus_lerp"]
    lerp_text = {
        -1: f"lerp's midpoints lose confidence against their endpoints, by {interval_text(_negated(lerp_gap), level)}",
        0: f"lerp's midpoints differ from their endpoints in confidence by {interval_text(lerp_gap, level)}, "
           "no measurable loss",
        1: f"lerp's midpoints gain confidence against their endpoints, by {interval_text(lerp_gap, level)}",
    }[lerp_gap["sign"]]
    versus_text = {
        1: f"slerp's midpoints score higher than lerp's by {interval_text(versus, level)}",
        0: f"slerp and lerp differ by {interval_text(versus, level)} at the midpoint, no measurable difference",
        -1: f"slerp's midpoints score lower than lerp's, by {interval_text(_negated(versus), level)}: "
            "this run contradicts the claim",
    }[versus["sign"]]
    return (
        f"{claim} Over this run's {pairs} pairs of prior draws at z = {latent_dim}, {lerp_text}, and {versus_text}."
    )


def _negated(value: dict) -> dict:
    return {"mean": -value["mean"], "ci_low": -value["ci_high"], "ci_high": -value["ci_low"], "sign": -value["sign"]}


def trained_range_sentence(study: dict | None, interpolation: dict) -> str:
    """Whether the lerp midpoint of Figure 11 lies among the norms the decoder was trained on."""
    latent_dim = interpolation["latent_dim"]
    ratio = interpolation["lerp_midpoint_norm_ratio"]
    if not _studied(study, latent_dim):
        return (f"The original article explains the blur as the decoder's answer to codes of a norm it never met "
                f"in training. {_not_studied(latent_dim)}")
    model = next(model for model in study["models"] if model["latent_dim"] == latent_dim)
    low, high = model["posterior_draw_norm_ratio_q05"], model["posterior_draw_norm_ratio_q95"]
    place = "below" if ratio < low else "above" if ratio > high else "within"
    verdict = {
        "below": "below almost every code the decoder was trained on",
        "within": "within the range of the codes the decoder was trained on",
        "above": "above almost every code the decoder was trained on",
    }[place]
    return (
        f"The original article explains the blur as the decoder's answer to codes of a norm it never met in "
        f"training. In this run, the decoder of z = {latent_dim} is trained on posterior draws whose norms lie "
        f"between {number(low)} and {number(high)}\u202f\u221ap (5% to 95%), and the lerp midpoint, at "
        f"{number(ratio)}\u202f\u221ap, is {verdict}."
    )


# --------------------------------------------------------------------------
# Section 8: the conclusion
# --------------------------------------------------------------------------


def conclusion_sentence(study: dict | None) -> str:
    """The article's lesson (move on the sphere), with the sizes at which this run supports it."""
    claim = "The original article draws the lesson that in a high-dimensional latent space one should move on the sphere."
    if study is None or not study["latent_dims"]:
        return f"{claim} This run's study measures no latent size to test it."
    if not study["classifier"]["meets_bar"]:
        return f"{claim} {_weak_judge(study)}"
    signs = {
        dim: _midpoint(study, dim, F11_SOURCE, "slerp", CONFIDENCE)["minus_lerp"]["sign"] for dim in study["latent_dims"]
    }
    level = _level(study)
    largest = study["largest_latent_dim"]
    at_largest = interval_text(_midpoint(study, largest, F11_SOURCE, "slerp", CONFIDENCE)["minus_lerp"], level)
    helped = [dim for dim, sign in signs.items() if sign > 0]
    hurt = [dim for dim, sign in signs.items() if sign < 0]
    if helped and not hurt and len(helped) == len(signs):
        verdict = "In this run slerp's midpoints between prior draws are measurably more digit-like than lerp's at every studied size"
    elif helped:
        others = [dim for dim in signs if dim not in helped]
        verdict = ("In this run slerp's midpoints between prior draws are measurably more digit-like than lerp's at "
                   f"{dims_text(helped)}, but not at {dims_text(others, 'or')}")
    elif hurt:
        verdict = ("In this run slerp's midpoints between prior draws are measurably less digit-like than lerp's at "
                   f"{dims_text(hurt)}, which goes against the lesson")
    else:
        verdict = "In this run no studied size shows a measurable difference between slerp's and lerp's midpoints"
    return f"{claim} {verdict}; at z = {largest} the difference in the classifier's confidence is {at_largest}."


# --------------------------------------------------------------------------
# Everything the page needs
# --------------------------------------------------------------------------


def article_claims(models: list[dict], study: dict | None, interpolation: dict, figure_latent_dims: dict) -> dict:
    """Every run-dependent sentence of sections 1-8, keyed by where the templates use it."""
    plane_dim = figure_latent_dims.get("f02_latent_grid", 2)
    spiral_dim = figure_latent_dims.get("f07_sphere_spiral_10d", 10)
    interpolation_dim = interpolation["latent_dim"]
    return {
        "prior_samples": prior_samples_sentence(study),
        "code_placement": code_placement_sentence(study),
        "plane_reconstruction": reconstruction_sentence(models, plane_dim),
        "plane_blends": in_between_sentence(study, plane_dim, "encoded", BASELINE_METHOD),
        # The largest size the study measured: where the shell is thinnest relative to its radius.
        "trained_norms_largest": (
            trained_norm_sentence(study, study["largest_latent_dim"]) if study and study["latent_dims"]
            else "This run's study measures no latent size, so where the training codes lie is not measured."
        ),
        "spiral_trained_norms": trained_norm_sentence(study, spiral_dim),
        # Empty where the study lacks the size: spiral_trained_norms already says so.
        "spiral_in_between": in_between_sentence(study, spiral_dim, "prior", "slerp") if _studied(study, spiral_dim) else "",
        "figure11_comparison": figure11_comparison_sentence(study, interpolation_dim),
        "figure11_pair": figure11_pair_sentence(interpolation),
        "figure11_evidence": figure11_evidence(study, interpolation_dim),
        "figure11_trained_range": trained_range_sentence(study, interpolation),
        "conclusion": conclusion_sentence(study),
    }


def page_words(models: list[dict], study: dict | None, interpolation: dict, figure_latent_dims: dict) -> dict:
    """The words the site step hands the templates: the article's claims and the study's reading."""
    return {
        "claims": article_claims(models, study, interpolation, figure_latent_dims),
        "study": study_words(study) if study is not None else None,
    }
