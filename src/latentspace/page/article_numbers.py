"""The numbers and verdicts behind the page's run-dependent sentences; the words are the templates'.

The article makes two kinds of statement. Mathematics (ball volumes, the norms of Gaussian
draws, the definitions of lerp and slerp) holds whatever the run, and the templates state it
in fixed words. Claims about this run's models (how sharp their digits are, where their codes
lie, whether slerp decodes to better digits than lerp) can come out either way: the templates
(``site_templates/claims.html.j2``, the sections, ``partials/study_reading.html.j2``) choose
their words by the verdicts computed here and by those of the study's summary
(``latentspace.study.tables``), and fill them in with the run's numbers. Nothing here writes
a word of English, so rewording a sentence is an edit of one template.

Every number the page quotes from a file of the run carries that file and its field
(:class:`Num`, :func:`sourced`): the page puts it in the number's ``title``, such as
``results/study/study_summary.json: midpoints[z=500, prior, slerp, classifier_confidence].minus_lerp.mean``,
and :func:`resolve_field` reads it back, so a test can check every number on the page against
its file. The functions are pure: dicts in, dicts out.
"""

from __future__ import annotations

import re

from latentspace.study.labels import BASELINE_METHOD, METHODS, SOURCES
from latentspace.study.tables import Midpoints

# The article's Figure 11 compares lerp with slerp between prior draws.
F11_SOURCE = "prior"
CONFIDENCE = "classifier_confidence"
# The keys that name a row of a list of the run's files, after its latent size.
ROW_KEYS = ("source", "method", "metric", "quantity")
MINUS = "\u2212"


# --------------------------------------------------------------------------
# Numbers that know where they come from
# --------------------------------------------------------------------------


def negated_source(source: str) -> str:
    """``file: field`` -> ``file: -field`` (and back): the source of a number shown with its sign flipped."""
    file, _, field = source.rpartition(": ")
    return f"{file}: {field[1:] if field.startswith('-') else '-' + field}"


class SourcedNumber:
    """A number of the run with ``source``: the file and field it was read from.

    It computes like the number it is (a result of arithmetic is plain: it comes from no
    single field), except that negating it, or taking its absolute value, keeps the source.
    """

    source: str

    def __new__(cls, value, source: str):
        number = super().__new__(cls, value)
        number.source = source
        return number

    def __neg__(self):
        return type(self)(super().__neg__(), negated_source(self.source))

    def __abs__(self):
        return -self if self < 0 else self


class Num(SourcedNumber, float):
    """A float of the run, with its ``source``."""


class Count(SourcedNumber, int):
    """An integer of the run (a number of units, of pairs, of images), with its ``source``."""


def row_key(row, index: int) -> str:
    """How a field path names an item of a list: ``z=500, prior, slerp`` for a row of a latent size, else its index."""
    if isinstance(row, dict) and "latent_dim" in row:
        return ", ".join([f"z={row['latent_dim']}", *(str(row[key]) for key in ROW_KEYS if key in row)])
    return str(index)


def sourced(value, file: str, field: str = ""):
    """A copy of parsed JSON ``value`` whose numbers are :class:`Num` or :class:`Count` naming ``file`` and their field."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return Count(value, f"{file}: {field}")
    if isinstance(value, float):
        return Num(value, f"{file}: {field}")
    if isinstance(value, dict):
        return {key: sourced(item, file, f"{field}.{key}" if field else str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [sourced(item, file, f"{field}[{row_key(item, index)}]") for index, item in enumerate(value)]
    raise TypeError(f"{file}: {field}: not a JSON value ({type(value).__name__})")


_STEP = re.compile(r"(?:^|\.)([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]*)\]")


def resolve_field(data, field: str) -> float:
    """The value at ``field`` (as :func:`sourced` names it) in parsed JSON ``data``; a leading - negates it."""
    path = field[1:] if field.startswith("-") else field
    value, position = data, 0
    for step in _STEP.finditer(path):
        if step.start() != position:
            break
        position = step.end()
        name, key = step.groups()
        if name is not None:
            value = value[name]
        elif key.isdigit():
            value = value[int(key)]
        else:
            value = next(row for index, row in enumerate(value) if row_key(row, index) == key)
    if position != len(path) or not path:
        raise KeyError(f"{field}: cannot read {path[position:]!r}")
    return -value if field.startswith("-") else value


# --------------------------------------------------------------------------
# Numbers as the page writes them
# --------------------------------------------------------------------------


def number_text(value: float, digits: int = 2) -> str:
    """A number with a true minus sign; -0.00 is written 0.00."""
    text = f"{value:.{digits}f}"
    return text.replace("-", MINUS) if value < 0 and text.strip("-0.") else text.lstrip("-")


def signed_number_text(value: float, digits: int = 2) -> str:
    """Like :func:`number_text`, with a + before a positive value."""
    text = number_text(value, digits)
    return f"+{text}" if value > 0 and text.strip("0.") else text


# --------------------------------------------------------------------------
# Verdicts of sections 1-8
# --------------------------------------------------------------------------


def _studied(study: dict | None, latent_dim: int) -> bool:
    return study is not None and latent_dim in study["latent_dims"]


def reconstruction(models: list[dict], latent_dim: int) -> dict:
    """How the ``latent_dim`` model's reconstruction term ranks among the run's models (lower is sharper).

    ``rank``: "untrained", "only" (no other model), "largest" (no other is worse),
    "smallest" (every other is worse) or "between" (``worse`` lists the sizes it beats).
    """
    by_dim = {model["latent_dim"]: model for model in models}
    if latent_dim not in by_dim:
        return {"rank": "untrained", "model": None, "others": [], "worse": []}
    own = by_dim[latent_dim]["test_reconstruction_nats"]
    others = [by_dim[dim] for dim in sorted(by_dim) if dim != latent_dim]
    worse = [model["latent_dim"] for model in others if model["test_reconstruction_nats"] > own]
    rank = ("only" if not others else "largest" if not worse else "smallest" if len(worse) == len(others)
            else "between")
    return {"rank": rank, "model": by_dim[latent_dim], "others": others, "worse": worse}


def study_model(study: dict | None, latent_dim: int) -> dict | None:
    """The study's row of the ``latent_dim`` model; None where the study does not include it."""
    if not _studied(study, latent_dim):
        return None
    return next(model for model in study["models"] if model["latent_dim"] == latent_dim)


def code_placement(study: dict | None) -> dict:
    """Whether the posterior means of every studied size lie on the shell, and the posterior draws too."""
    if study is None or not study["latent_dims"]:
        return {"measured": False}
    return {
        "measured": True,
        "means_follow": all(model["posterior_mean_place"] == "within" for model in study["models"]),
        "draws_all_within": {model["posterior_draw_place"] for model in study["models"]} == {"within"},
    }


def training_range_place(model: dict, norm_ratio: float) -> str:
    """Where a norm ratio lies against the 5-95% range of the posterior draws the decoder was trained on."""
    low, high = model["posterior_draw_norm_ratio_q05"], model["posterior_draw_norm_ratio_q95"]
    return "below" if norm_ratio < low else "above" if norm_ratio > high else "within"


# A measured verdict that another training run could still reverse (latentspace.study.tables.verdict).
OTHER_SIGN_POSSIBLE = "other_sign_possible"


def _signs_and_reasons(study: dict, source: str, method: str) -> tuple[dict, dict]:
    """{dim: sign} and {dim: reason} of ``method`` minus lerp in midpoint confidence, at every studied size."""
    midpoints = Midpoints(study["midpoints"])
    values = {dim: midpoints(dim, source, method, CONFIDENCE)["minus_lerp"] for dim in study["latent_dims"]}
    return {dim: value["sign"] for dim, value in values.items()}, {dim: value["reason"] for dim, value in values.items()}


def verdicts_withheld(study: dict) -> bool:
    """Too few replicates for any verdict: the summary gives intervals and no sign."""
    return bool(study["replicates"]["verdict_withheld"])


def slerp_against_lerp(study: dict) -> dict:
    """At which studied sizes slerp's midpoints between prior draws beat lerp's in confidence, and the verdict.

    ``verdict``: "all" (measurably better at every size), "some" (at ``helped``, not at
    ``others``), "worse" (measurably worse at ``hurt``, better nowhere) or "none";
    ``withheld``: too few replicates for a verdict; ``unstable``: the sizes with a verdict
    that a single trained model could reverse (its prediction interval holds 0).
    """
    signs, reasons = _signs_and_reasons(study, F11_SOURCE, "slerp")
    helped = [dim for dim, sign in signs.items() if sign > 0]
    hurt = [dim for dim, sign in signs.items() if sign < 0]
    verdict = "all" if helped and len(helped) == len(signs) else "some" if helped else "worse" if hurt else "none"
    return {"verdict": verdict, "helped": helped, "hurt": hurt, "others": [dim for dim in signs if dim not in helped],
            "withheld": verdicts_withheld(study),
            "unstable": [dim for dim, reason in reasons.items() if reason == OTHER_SIGN_POSSIBLE]}


def lerp_in_plane(study: dict | None, latent_dim: int) -> dict | None:
    """Whether lerp costs anything at ``latent_dim`` (the plane's size): its midpoint gaps and its rivals.

    ``verdict``: "fine" when lerp's midpoints lose no measurable confidence against their
    endpoints for either kind of pair and no other path beats lerp measurably; "costs"
    otherwise. ``losses`` lists the sources whose lerp gap is measurably negative,
    ``beaten`` the (method, source) pairs whose difference to lerp is measurably positive;
    ``withheld``: too few replicates for a verdict (the signs are then all 0, and the page
    says so instead of "harmless"). None where the study does not include the size.
    """
    if not _studied(study, latent_dim):
        return None
    midpoints = Midpoints(study["midpoints"])
    gaps = {source: midpoints(latent_dim, source, BASELINE_METHOD, CONFIDENCE)["gap"] for source in SOURCES}
    losses = [source for source in SOURCES if gaps[source]["sign"] < 0]
    beaten = [
        {"method": method, "source": source, "versus": midpoints(latent_dim, source, method, CONFIDENCE)["minus_lerp"]}
        for method in METHODS if method != BASELINE_METHOD for source in SOURCES
        if midpoints(latent_dim, source, method, CONFIDENCE)["minus_lerp"]["sign"] > 0
    ]
    return {"verdict": "costs" if losses or beaten else "fine", "gaps": gaps, "losses": losses, "beaten": beaten,
            "withheld": verdicts_withheld(study)}


def blur_evidence(study: dict | None, model: dict | None, lerp_midpoint_norm_ratio: float) -> dict | None:
    """What this run says about the article's reason for lerp's blur: a code of a norm the decoder never met.

    ``norm``: where the lerp midpoint's norm lies against the 5-95% range of the training
    digits' posterior means ("above": they are shorter still; "below"; "within"), and
    ``means_more_confident``: whether decoded posterior means of test digits score a higher
    confidence than decoded prior draws (None when the judge is too weak). ``verdict``:
    "refuted" (the digits' own codes are shorter than the midpoint and decode more
    confidently than prior draws on the shell: a low norm alone does not blur),
    "consistent" (the midpoint is shorter than almost every digit's code, or the shorter
    codes decode worse) or "unsettled". ``distance``: whether lerp's midpoints between prior
    draws lie "nearer" the training digits' codes than both slerp's midpoints and the prior
    draws themselves, "farther" than both, or "between" (medians of the distance to the
    nearest training posterior mean). None where the model or its training codes are not measured.
    """
    if model is None or "training_codes" not in model:
        return None
    codes = model["training_codes"]
    means = codes["norm_ratio_quantiles"]["posterior_mean"]
    place = ("above" if lerp_midpoint_norm_ratio > means["q95"] else "below" if lerp_midpoint_norm_ratio < means["q05"]
             else "within")
    latent_dim = model["latent_dim"]
    midpoints = Midpoints(study["midpoints"])
    confidences = {source: midpoints(latent_dim, source, BASELINE_METHOD, CONFIDENCE)["endpoints_mean"]
                   for source in SOURCES}
    more_confident = confidences["encoded"] > confidences["prior"] if study["classifier"]["meets_bar"] else None
    if place == "above" and more_confident:
        verdict = "refuted"
    elif place == "below" or (place == "above" and more_confident is False):
        verdict = "consistent"
    else:
        verdict = "unsettled"
    distances = codes["nearest_code_distance"]["prior"]
    lerp, others = distances["lerp"]["q50"], (distances["slerp"]["q50"], distances["endpoints"]["q50"])
    distance = "nearer" if lerp < min(others) else "farther" if lerp > max(others) else "between"
    return {"norm": place, "means_more_confident": more_confident, "confidences": confidences, "verdict": verdict,
            "distance": distance, "distances": distances, "posterior_means": means,
            "held_out_distance": codes["nearest_code_distance"]["held_out"]}


def training_codes_in_square(study: dict | None, latent_dim: int) -> dict | None:
    """Figure 2's square against the training codes of the plane model (tables.grid_square_verdicts); None
    where the study did not measure them. ``verdict``: the place of both shares against the
    prior's mass when they agree ("above", "same", "below"), else "mixed"."""
    model = study_model(study, latent_dim)
    square = (model or {}).get("training_codes", {}).get("grid_square")
    if square is None:
        return None
    places = {square["posterior_mean"]["place"], square["posterior_draw"]["place"]}
    return {**square, "verdict": places.pop() if len(places) == 1 else "mixed"}


def elbo_estimates(models: list[dict], study: dict | None, sigmas: float = 2.0) -> list[dict]:
    """The two test ELBOs of each studied model: the training's (one posterior draw per image) and the
    study's (the mean of k draws per image), their difference, and whether it lies within
    ``sigmas`` standard errors of the one-draw estimate's sampling noise (``agree``)."""
    if study is None:
        return []
    trained = {model["latent_dim"]: model for model in models}
    rows = []
    for model in study["models"]:
        if model["latent_dim"] not in trained or "elbo_one_draw_standard_error_nats" not in model:
            continue
        one_draw, averaged = trained[model["latent_dim"]]["test_elbo_nats"], model["test_elbo_nats"]
        noise = model["elbo_one_draw_standard_error_nats"]
        rows.append({"latent_dim": model["latent_dim"], "one_draw": one_draw, "averaged": averaged,
                     "difference": one_draw - averaged, "noise": noise,
                     "agree": abs(one_draw - averaged) <= sigmas * noise * (1 + 1 / model["iwae_samples"]) ** 0.5})
    return rows


def article_verdicts(models: list[dict], study: dict | None, interpolation: dict, figure_latent_dims: dict) -> dict:
    """Every verdict the sentences of sections 1-8 branch on, and the rows they quote."""
    plane_dim = figure_latent_dims.get("f02_latent_grid", 2)
    spiral_dim = figure_latent_dims.get("f07_sphere_spiral_10d", 10)
    interpolation_dim = interpolation["latent_dim"]
    f11_model = study_model(study, interpolation_dim)
    return {
        "plane_dim": plane_dim,
        "spiral_dim": spiral_dim,
        "interpolation_dim": interpolation_dim,
        "studied": {dim: _studied(study, dim) for dim in {plane_dim, spiral_dim, interpolation_dim}},
        "measures_any": study is not None and bool(study["latent_dims"]),
        "plane_reconstruction": reconstruction(models, plane_dim),
        "code_placement": code_placement(study),
        "f11_model": f11_model,
        "f11_lerp_midpoint_place": (
            training_range_place(f11_model, interpolation["lerp_midpoint_norm_ratio"]) if f11_model else None
        ),
        "slerp_against_lerp": slerp_against_lerp(study) if study is not None and study["latent_dims"] else None,
        "lerp_in_plane": lerp_in_plane(study, plane_dim),
        "blur_evidence": blur_evidence(study, f11_model, interpolation["lerp_midpoint_norm_ratio"]),
        "grid_square": training_codes_in_square(study, plane_dim),
        "elbo_estimates": elbo_estimates(models, study),
    }


# --------------------------------------------------------------------------
# Verdicts of the study's reading
# --------------------------------------------------------------------------


def reading_verdicts(study: dict) -> dict:
    """Every verdict the study's reading branches on beyond those the summary holds."""
    midpoints = Midpoints(study["midpoints"])
    latent_dims = study["latent_dims"]
    largest, smallest = latent_dims[-1], latent_dims[0]
    models = {model["latent_dim"]: model for model in study["models"]}
    sizes = [smallest, largest] if smallest != largest else [largest]
    places = {dim: midpoints(dim, "prior", BASELINE_METHOD, "latent_norm_ratio")["midpoint_place"] for dim in sizes}
    lerp_density_gap = midpoints(largest, "prior", BASELINE_METHOD, "prior_log_density_nats")["gap_mean"]
    largest_model = models[largest]
    more_confident = {}
    for method in METHODS:
        if method == BASELINE_METHOD:
            continue
        more_confident[method] = {}
        for source in SOURCES:
            signs, reasons = _signs_and_reasons(study, source, method)
            more_confident[method][source] = {
                "yes": [dim for dim in latent_dims if signs[dim] > 0],
                "no": [dim for dim in latent_dims if signs[dim] <= 0],
                "unstable": [dim for dim in latent_dims if signs[dim] > 0 and reasons[dim] == OTHER_SIGN_POSSIBLE],
                "withheld": verdicts_withheld(study),
            }
    return {
        "norm_sizes": sizes,
        "lerp_midpoint_places": places,
        "lerp_midpoint_places_agree": len(set(places.values())) == 1,
        "lerp_raises_density": lerp_density_gap > 0,
        # A denser midpoint that is still unlike the prior's draws: density alone misleads.
        "density_misleads": lerp_density_gap > 0 and places.get(largest) == "below",
        "more_confident": more_confident,
        # Posterior means inside the shell, draws on it: the noise puts a draw on the shell.
        "noise_puts_draws_on_shell": (largest_model["posterior_mean_place"] == "below"
                                      and largest_model["posterior_draw_place"] == "within"),
    }

