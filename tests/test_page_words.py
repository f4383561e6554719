"""The page's run-dependent words: each branch of the templates, fed numbers that go against the article.

The templates word the verdicts that Python computed (latentspace.page.article_numbers, the study's
summary). These tests render the real templates (Jinja only: formulas stay TeX) from stand-in
runs whose numbers agree with the article, contradict it, show no difference, come from a
classifier below its bar, or lack the size the article talks about, and check what each branch
says: its verdict, its numbers and its interval; not its exact sentence. The last tests check
that every number the page quotes from a file names that file and field, and is the value there.
"""

from __future__ import annotations

import functools
import html.parser
import json
import re
import tempfile
from pathlib import Path

import pytest
from page_text import page_text
from test_site import TEMPLATES, site_html, write_fake_run
from test_study_replicates import summary_of_replicates
from test_study_tables import summary_for, training_codes

from latentspace.page import article_numbers, site_builder
from latentspace.pipeline.code_hash import PACKAGE_DIR, module_closure
from latentspace.cli import parse_step, step_names
from latentspace.pipeline.code_hash import step_module_name
from latentspace.steps import site

# One environment for every test: it compiles each template once.
ENVIRONMENT = site_builder.template_environment(TEMPLATES)
ENVIRONMENT.auto_reload = False  # the templates do not change while the tests run: no stat of each one per render
# summary_for() studies z = 2 and z = 50; where Figure 11's model is studied, it is z = 50.
STUDIED = 50


def render_text(folder: Path, **run) -> str:
    """The site's text for a stand-in run (write_fake_run's options), rendered by Jinja alone: both pages."""
    return page_text(render_html(folder, **run))


def render_pages(folder: Path, **run) -> dict[str, str]:
    """``{page: HTML}`` for a stand-in run: each page rendered by Jinja alone (formulas stay TeX),
    its links pointed at the page that holds their targets (site_builder.link_pages)."""
    arguments = write_fake_run(folder / "run", **run)
    _, settings, files = parse_step([*arguments, "--output-dir", str(folder / "site")])
    context, assets, _ = site.site_context(settings, files)
    context = site_builder.page_context(TEMPLATES, context, assets)
    return site_builder.link_pages({page: ENVIRONMENT.get_template(template).render(**context)
                                    for page, template in site_builder.PAGE_TEMPLATES.items()})


def render_html(folder: Path, **run) -> str:
    """The HTML of both pages of a stand-in run, the first page's then the second's."""
    return "\n".join(render_pages(folder, **run).values())


def sentence(text: str, *needles: str) -> str:
    """The one sentence of ``text`` that holds every needle (a sentence ends at '. ' or a line's end)."""
    sentences = [part for line in text.splitlines() for part in re.split(r"(?<=[.!?])\s+(?=[A-Z])", line)]
    found = [part for part in sentences if all(needle in part for needle in needles)]
    assert len(found) == 1, f"{len(found)} sentences hold {needles}"
    return found[0]


def interval(mean: str, low: str, high: str) -> str:
    """How the page writes an interval of the summary's confidence level (95%)."""
    return f"{mean} (95% interval {low} to {high})"


# --- sections 1-8 ------------------------------------------------------------------------


def test_a_run_that_agrees_with_the_article_says_so_with_its_interval(tmp_path):
    study = summary_for({(STUDIED, "prior", "slerp"): (0.08, 0.05, 0.11)})
    text = render_text(tmp_path, study=study, f11_latent_dim=STUDIED)
    figure11 = sentence(text, "Over this run's 40 pairs of prior draws for this z = 50 model")
    assert "higher" in figure11 and interval("0.08", "0.05", "0.11") in figure11
    # The lerp gap of the stand-in is -0.10 [-0.15, -0.05]: a loss, written as a positive size.
    assert "lose" in figure11 and interval("0.10", "0.05", "0.15") in figure11
    conclusion = sentence(text, "at z = 50 the difference in the classifier's confidence is")
    assert "more digit-like" in conclusion and "z = 50, but not at z = 2" in conclusion
    assert interval("0.08", "0.05", "0.11") in conclusion
    # Under Figure 11, each row's midpoint gap over the study's pairs.
    assert "Midpoint gap in confidence over the study's 40 pairs of prior draws: \u22120.10 [\u22120.15, \u22120.05]" in text


def test_a_run_where_lerp_beats_slerp_contradicts_the_article(tmp_path):
    study = summary_for({(STUDIED, "prior", "slerp"): (-0.04, -0.07, -0.01)})
    text = render_text(tmp_path, study=study, f11_latent_dim=STUDIED)
    figure11 = sentence(text, "Over this run's 40 pairs")
    assert "lower" in figure11 and "contradicts" in figure11 and "higher" not in figure11
    assert interval("0.04", "0.01", "0.07") in figure11
    conclusion = sentence(text, "at z = 50 the difference in the classifier's confidence is")
    assert "less digit-like" in conclusion and "against the lesson" in conclusion
    assert interval("\u22120.04", "\u22120.07", "\u22120.01") in conclusion


def test_an_interval_that_holds_zero_is_no_measurable_difference(tmp_path):
    study = summary_for({(STUDIED, "prior", "slerp"): (0.01, -0.01, 0.03), (2, "prior", "slerp"): (0.0, -0.02, 0.02)})
    text = render_text(tmp_path, study=study, f11_latent_dim=STUDIED)
    figure11 = sentence(text, "Over this run's 40 pairs")
    assert "no measurable difference" in figure11 and interval("0.01", "\u22120.01", "0.03") in figure11
    assert "higher" not in figure11 and "lower" not in figure11
    assert "no studied size shows a measurable difference" in sentence(text, "at z = 50 the difference")
    # One trained model: the reason is its interval over the pairs; nothing is said of trainings.
    assert "no measurable difference over 40 pairs" in sentence(text, "In pixels, the decoded lerp midpoints")
    assert "prediction interval" not in text and "trained models (" not in text


def test_a_weak_classifier_makes_no_claim_about_digits(tmp_path):
    study = summary_for({(STUDIED, "prior", "slerp"): (0.08, 0.05, 0.11)}, accuracy=0.90)
    text = render_text(tmp_path, study=study, f11_latent_dim=STUDIED)
    for claim in ("The original article reports that the slerp row", "The original article draws the lesson"):
        paragraph = next(line for line in text.splitlines() if claim in line)
        assert "cannot say how digit-like" in paragraph and "90.0%" in paragraph and "97%" in paragraph
        assert "higher" not in paragraph and "more digit-like" not in paragraph
    warning = sentence(text, "The judge is too weak.")
    assert "90.0%" in sentence(text, "held-out test digits correctly") and "below the 97% bar" in text
    assert warning and "confident midpoints" not in text and "raises it by" not in text


def test_a_size_the_study_did_not_measure_is_said_to_be_missing(tmp_path):
    text = render_text(tmp_path, f11_latent_dim=500)  # the stand-in study has z = 2 and 50
    assert text.count("does not include z = 500") == 2  # Figure 11's rows, and the trained norms
    assert "No midpoint gap over many pairs: the study does not include \\(p = 500\\)" in text
    assert "does not include z = 10" in text  # section 6's spiral model
    assert "The nearest number this run measures" not in text  # and its in-between sentence is left out


def test_where_the_lerp_midpoint_lies_against_the_training_codes(tmp_path):
    # Posterior draws of the stand-in z = 50 model have norms between 0.80 and 1.20 sqrt(p) (5% to 95%).
    below = render_text(tmp_path / "below", f11_latent_dim=STUDIED, lerp_midpoint_norm_ratio=0.71)
    assert "shorter than almost all of them" in sentence(below, "and the lerp midpoint, at 0.71")
    within = render_text(tmp_path / "within", f11_latent_dim=STUDIED, lerp_midpoint_norm_ratio=0.95)
    assert "within their range" in sentence(within, "and the lerp midpoint, at 0.95")


# The stand-in's F11 pair has its lerp midpoint at 0.71 sqrt(p); the training codes of the z = 50
# model are set per test (test_study_tables.training_codes: posterior means' median norm ratio,
# and the median distances to the nearest training code).
BLUR_CASES = {
    # The digits' own codes are shorter (0.16 to 0.24) and decode better than prior draws: refuted.
    "refuted": ({"train_mean_ratio": 0.2}, {"encoded": 0.87, "prior": 0.45},
                "Yet a low norm alone does not make this decoder blur", "0.87 against 0.45"),
    # Every digit's code is longer than the midpoint (0.86 to 0.94): the article's reason stands.
    "longer": ({"train_mean_ratio": 0.9}, {"encoded": 0.87, "prior": 0.45},
               "no code this encoder gives a digit is as short", "0.86 to 0.94"),
    # Shorter codes that decode worse than prior draws: also what the article's reason predicts.
    "worse": ({"train_mean_ratio": 0.2}, {"encoded": 0.40, "prior": 0.60},
              "short codes decode worse here", "0.40 against 0.60"),
    # The midpoint's norm inside the digits' range: the norm settles nothing.
    "unsettled": ({"train_mean_ratio": 0.71}, {"encoded": 0.87, "prior": 0.45},
                  "neither settles nor rules out", "0.67 to 0.75"),
}


@pytest.mark.parametrize("case", sorted(BLUR_CASES))
def test_the_articles_reason_for_the_blur_is_weighed_against_the_training_codes(tmp_path, case):
    codes, confidences, verdict, numbers = BLUR_CASES[case]
    study = summary_for(models={STUDIED: {"codes": training_codes(STUDIED, **codes)}}, endpoint_confidence=confidences)
    text = render_text(tmp_path, study=study, f11_latent_dim=STUDIED, lerp_midpoint_norm_ratio=0.71)
    words = sentence(text, "The posterior means of the training digits" if case != "refuted" else verdict)
    assert verdict in words and numbers in words
    for other, (_, _, other_verdict, _) in BLUR_CASES.items():
        assert other == case or other_verdict not in text


@pytest.mark.parametrize(("distances", "verdict"), [
    ((0.09, 0.99, 0.71, 0.99, 0.99), "lerp's midpoints are the nearest of the three, so distance from the training"),
    ((0.09, 0.99, 1.20, 0.99, 0.99), "lerp's midpoints are the farthest, which fits an explanation by distance"),
    ((0.09, 0.99, 0.90, 0.80, 0.80), "lerp's midpoints lie between the others"),
])
def test_the_distance_to_the_training_codes_is_weighed_too(tmp_path, distances, verdict):
    study = summary_for(models={STUDIED: {"codes": training_codes(STUDIED, distances=distances)}})
    text = render_text(tmp_path, study=study, f11_latent_dim=STUDIED)
    held_out, endpoints, lerp, slerp, _ = distances
    words = sentence(text, "The nearest posterior mean of a training digit lies")
    assert verdict in words
    assert (f"{held_out:.2f} from a held-out test digit's code, {lerp:.2f} from lerp's midpoints between prior draws, "
            f"{slerp:.2f} from slerp's and {endpoints:.2f} from the prior draws themselves") in words


def test_lerp_in_the_plane_is_worded_from_the_studys_z2_numbers(tmp_path):
    # The stand-in's default: lerp loses 0.10 [0.05, 0.15] at z = 2 for both kinds of pairs.
    costs = render_text(tmp_path / "costs", study=summary_for())
    words = sentence(costs, "Even in two dimensions it has a cost in this run")
    assert f"by {interval('0.10', '0.05', '0.15')} between prior draws" in words
    assert "other paths do better" not in words and "harmless" not in costs
    level = {(2, "prior"): (0.0, -0.02, 0.02), (2, "encoded"): (0.01, -0.01, 0.03)}
    fine = render_text(tmp_path / "fine", study=summary_for(gaps=level))
    words = sentence(fine, "In two dimensions this run finds it harmless")
    assert interval("0.00", "\u22120.02", "0.02") + " between prior draws" in words and "cost" not in words
    beats = {(2, "encoded", "slerp"): (0.04, 0.01, 0.07)}
    beaten = render_text(tmp_path / "beaten", study=summary_for(beats, gaps=level))
    words = sentence(beaten, "Even in two dimensions it has a cost in this run")
    assert "other paths do better: slerp between encoded test digits by " + interval("0.04", "0.01", "0.07") in words
    assert "lose confidence" not in words
    weak = render_text(tmp_path / "weak", study=summary_for(accuracy=0.9))
    assert "Whether it costs anything in two dimensions this run cannot judge" in weak


@pytest.mark.parametrize(("shares", "verdict"), [
    ((0.74, 0.74), "The codes of this run's training digits spread wider than the prior, though: only 74%"),
    ((0.91, 0.90), "fill it about as the prior would: 91%"),
    ((0.99, 0.97), "crowd closer to the origin than the prior's draws: 99%"),
    ((0.99, 0.80), "Of the codes of this run's training digits, 99% of their posterior means and 80%"),
])
def test_the_share_of_training_codes_in_figure_2s_square(tmp_path, shares, verdict):
    study = summary_for(models={2: {"codes": training_codes(2, square_shares=shares)}})
    text = render_text(tmp_path, study=study)
    words = sentence(text, "of their posterior draws, the codes the decoder was trained on, lie inside the square")
    assert verdict in words
    assert ("the others lie outside the part of the plane" in words) == (shares == (0.74, 0.74))
    assert "nearly every code" not in text
    assert ("against the prior's 91%" in words) == (shares == (0.99, 0.80))


# A z = 50 model that uses few of its units: 6 strong, 6 weak, 38 nearly silent, 48 of them active.
FEW_UNITS = {"kl_per_dim": [1.0] * 6 + [0.3] * 6 + [0.01] * 38, "active_units": 48}


def test_active_units_are_read_with_the_kl_they_carry(tmp_path):
    text = render_text(tmp_path / "few", study=summary_for(models={50: FEW_UNITS}))
    section2 = sentence(text, "one per latent size, the posterior means of the test digits")
    assert "with 48 of 50 units active but only 12 carrying more than 0.1 nats of KL" in section2
    assert "with 2 of 2 units active by Burda et al.'s test" in section2 and "and 2 carrying more than 0.1 nats" in section2
    usage = sentence(text, "Read by its KL, the model uses about")
    assert "about 5 to 12 of its 50 dimensions" in usage
    assert "48 of 50 units pass Burda et al.'s activity test, but 5 carry half of its 8.2 nats of KL" in text
    assert "every dimension the test counts" in sentence(text, "At z = 2, every unit that passes")
    thin = render_text(tmp_path / "thin", study=summary_for(models={50: {"kl_per_dim": [0.05] * 50}}))
    assert "spread thin: it takes 25 units to carry half of them, and 0 carry more than 0.1 nats" in thin
    assert "but none carrying more than 0.1 nats of KL" in sentence(thin, "one per latent size, the posterior means")
    assert "Read by its KL" not in thin


def test_the_two_test_elbos_are_told_apart(tmp_path):
    # The stand-in's training ELBO at z = 2 is -100.02; the study's is its IWAE - 5, with an error of 0.20.
    apart = render_text(tmp_path / "apart", study=summary_for())
    words = sentence(apart, "They read")
    assert "\u2212100.02 and \u2212105.00 at z = 2" in words and "more than the draws alone explain" in words
    close = render_text(tmp_path / "close", study=summary_for(models={2: {"iwae": -95.1}}))
    words = sentence(close, "They read")
    assert "\u2212100.02 and \u2212100.10 at z = 2: within twice the standard error" in words
    assert "0.20 nats" in words and "more than the draws" not in words


@pytest.mark.parametrize(("reconstruction", "verdict"), [
    ({2: 80.0, 10: 90.0, 500: 95.0}, "z = 2 reconstructs best"),
    ({2: 150.0, 10: 100.0, 500: 120.0}, "least precise"),
    ({2: 120.0, 10: 100.0, 500: 130.0}, "better than at z = 500"),
])
def test_the_small_model_is_ranked_by_its_reconstruction(tmp_path, reconstruction, verdict):
    text = render_text(tmp_path, reconstruction=reconstruction)
    words = sentence(text, "In this run its reconstruction term")
    assert verdict in words
    assert f"{reconstruction[2]:.1f} nats per image against {reconstruction[10]:.1f} at z = 10" in words


# --- the study section ----------------------------------------------------------------------


def test_the_reading_says_where_a_method_helps_and_where_it_does_not(tmp_path):
    helps = {(50, "prior", "slerp"): (0.08, 0.05, 0.11), (2, "prior", "slerp"): (0.01, -0.02, 0.03),
             (50, "encoded", "slerp"): (-0.06, -0.09, -0.02)}
    text = render_text(tmp_path, study=summary_for(helps))
    prior = sentence(text, "Between prior draws at z = 50")
    assert "slerp raises it by " + interval("0.08", "0.05", "0.11") in prior
    encoded = sentence(text, "Between encoded test digits at z = 50")
    assert "slerp lowers it by " + interval("0.06", "0.02", "0.09") in encoded and "does not help" in encoded
    assert "no measurable difference over 40 pairs" in encoded  # distribution-matched: interval holds 0
    assert "z = 50, but not at z = 2" in sentence(text, "For prior draws, slerp gives")
    assert "no measurably more confident midpoints" in sentence(text, "For prior draws, distribution-matched gives")


@pytest.mark.parametrize(("ratio", "place", "start"), [
    (0.3, "well inside the shell", "start off the shell"),
    (0.95, "within the range of the prior's draws", "start on the shell"),
    (2.5, "beyond the range of the prior's draws", "start off the shell"),
])
def test_the_reading_of_where_the_encoded_digits_lie(tmp_path, ratio, place, start):
    text = render_text(tmp_path, study=summary_for(posterior_mean_ratio=ratio))
    words = sentence(text, "the posterior means of the test digits have a median norm of")
    assert f"{ratio:.2f} of the radius, {place}" in words
    assert start in sentence(text, "Encoded digits therefore")


# --- the verdicts, in Python ---------------------------------------------------------------


def test_reconstruction_ranks_the_model_among_the_others():
    models = lambda values: [{"latent_dim": dim, "test_reconstruction_nats": nats} for dim, nats in values.items()]
    assert article_numbers.reconstruction(models({2: 80.0, 10: 90.0}), 2)["rank"] == "smallest"
    assert article_numbers.reconstruction(models({2: 150.0, 10: 100.0}), 2)["rank"] == "largest"
    between = article_numbers.reconstruction(models({2: 120.0, 10: 100.0, 500: 130.0}), 2)
    assert between["rank"] == "between" and between["worse"] == [500]
    assert article_numbers.reconstruction(models({2: 80.0}), 2)["rank"] == "only"
    assert article_numbers.reconstruction(models({10: 80.0}), 2)["rank"] == "untrained"


def test_slerp_against_lerp_over_the_studied_sizes():
    verdict = article_numbers.slerp_against_lerp
    assert verdict(summary_for({(2, "prior", "slerp"): (0.1, 0.05, 0.2), (50, "prior", "slerp"): (0.1, 0.05, 0.2)}))[
        "verdict"] == "all"
    some = verdict(summary_for({(50, "prior", "slerp"): (0.1, 0.05, 0.2)}))
    assert some["verdict"] == "some" and some["helped"] == [50] and some["others"] == [2]
    worse = verdict(summary_for({(50, "prior", "slerp"): (-0.1, -0.2, -0.05)}))
    assert worse["verdict"] == "worse" and worse["hurt"] == [50]
    assert verdict(summary_for())["verdict"] == "none"


def test_where_a_norm_lies_against_the_training_codes():
    model = {"posterior_draw_norm_ratio_q05": 0.8, "posterior_draw_norm_ratio_q95": 1.2}
    assert [article_numbers.training_range_place(model, ratio) for ratio in (0.7, 1.0, 1.3)] == ["below", "within", "above"]


def test_lerp_in_the_plane_verdict():
    verdict = article_numbers.lerp_in_plane
    costs = verdict(summary_for(), 2)
    assert costs["verdict"] == "costs" and costs["losses"] == ["prior", "encoded"]
    level = {(2, "prior"): (0.0, -0.02, 0.02), (2, "encoded"): (0.01, -0.01, 0.03)}
    assert verdict(summary_for(gaps=level), 2) | {"gaps": None} == {
        "verdict": "fine", "gaps": None, "losses": [], "beaten": [], "withheld": False}
    beaten = verdict(summary_for({(2, "prior", "distribution_matched"): (0.05, 0.01, 0.08)}, gaps=level), 2)
    assert beaten["verdict"] == "costs" and [(b["method"], b["source"]) for b in beaten["beaten"]] == [
        ("distribution_matched", "prior")]
    assert verdict(summary_for(), 3) is None and verdict(None, 2) is None


def test_blur_evidence_verdicts():
    def evidence(train_mean_ratio, confidences, accuracy=0.98, midpoint=0.71, distances=None):
        study = summary_for(models={50: {"codes": training_codes(50, train_mean_ratio=train_mean_ratio,
                                                                 distances=distances)}},
                            endpoint_confidence=confidences, accuracy=accuracy)
        return article_numbers.blur_evidence(study, article_numbers.study_model(study, 50), midpoint)

    better, worse = {"encoded": 0.87, "prior": 0.45}, {"encoded": 0.4, "prior": 0.6}
    assert evidence(0.2, better)["verdict"] == "refuted" and evidence(0.2, better)["norm"] == "above"
    assert evidence(0.2, worse)["verdict"] == "consistent"
    longer = evidence(0.9, better)
    assert (longer["verdict"], longer["norm"]) == ("consistent", "below")
    assert evidence(0.71, better)["verdict"] == "unsettled"
    weak = evidence(0.2, better, accuracy=0.9)
    assert weak["verdict"] == "unsettled" and weak["means_more_confident"] is None
    assert evidence(0.2, better)["distance"] == "nearer"
    assert evidence(0.2, better, distances=(0.1, 1.0, 1.3, 1.0, 1.0))["distance"] == "farther"
    assert evidence(0.2, better, distances=(0.1, 1.0, 0.9, 0.8, 0.8))["distance"] == "between"
    assert article_numbers.blur_evidence(summary_for(), None, 0.71) is None
    bare = summary_for()
    del bare["models"][1]["training_codes"]  # a summary from before the training codes were measured
    assert article_numbers.blur_evidence(bare, article_numbers.study_model(bare, 50), 0.71) is None


def test_the_squares_verdict_needs_both_shares_on_the_same_side():
    square = lambda shares: article_numbers.training_codes_in_square(
        summary_for(models={2: {"codes": training_codes(2, square_shares=shares)}}), 2)
    assert square((0.74, 0.74))["verdict"] == "below" and square((0.91, 0.91))["verdict"] == "same"
    assert square((0.99, 0.98))["verdict"] == "above" and square((0.99, 0.80))["verdict"] == "mixed"
    assert article_numbers.training_codes_in_square(summary_for(), 50) is None  # only a 2-D model measures it


def test_the_two_elbos_agree_within_twice_the_one_draw_error():
    study = summary_for(models={2: {"iwae": -95.0}})  # the study's ELBO at z = 2: -100.0, with an error of 0.2
    rows = lambda one_draw: article_numbers.elbo_estimates([{"latent_dim": 2, "test_elbo_nats": one_draw}], study)
    assert rows(-100.3)[0]["agree"] and rows(-99.65)[0]["agree"]
    assert not rows(-100.5)[0]["agree"] and rows(-100.5)[0]["difference"] == pytest.approx(-0.5)
    assert article_numbers.elbo_estimates([{"latent_dim": 10, "test_elbo_nats": -1.0}], study) == []


def test_reading_verdicts_follow_the_summary():
    verdicts = article_numbers.reading_verdicts(summary_for({(50, "prior", "slerp"): (0.1, 0.05, 0.2)},
                                                            posterior_mean_ratio=0.3))
    assert verdicts["more_confident"]["slerp"]["prior"] == {"yes": [50], "no": [2], "unstable": [], "withheld": False}
    assert verdicts["more_confident"]["distribution_matched"]["encoded"] == {"yes": [], "no": [2, 50], "unstable": [],
                                                                           "withheld": False}
    assert verdicts["lerp_midpoint_places"] == {2: "below", 50: "below"} and verdicts["lerp_midpoint_places_agree"]
    assert not verdicts["lerp_raises_density"] and not verdicts["density_misleads"]  # the stand-in's gap is -0.1
    assert verdicts["noise_puts_draws_on_shell"]  # means at 0.3 of the radius, draws at 1.0


# --- verdicts across trained models: each reason, worded -----------------------------------
# summary_of_replicates(means, gaps): one replicate per entry of means, slerp - lerp in midpoint
# confidence around means[r][dim] for both kinds of endpoints (pairs scatter by 0.01), midpoint
# gaps in confidence around gaps[r][(dim, source, method)] (else -0.1), every other difference
# around 0. Four stand-in runs, each page rendered once for the tests below.
REPLICATED_RUNS = {
    # Five models: slerp measurably above lerp at z = 50 and lerp's gap between prior draws a
    # measurable gain (against the article), but a fifth model shows the other sign of both; the
    # lerp gap between encoded digits at z = 2 (section 4) likewise.
    "five, one of the other sign": (
        [{STUDIED: 1.0}] * 4 + [{STUDIED: -0.05}],
        [{(STUDIED, "prior", "lerp"): gap, (2, "encoded", "lerp"): -gap} for gap in (0.2, 0.2, 0.2, 0.2, -0.01)]),
    # Three models agree that slerp scores lower (against the article); the lerp gap's interval holds 0.
    "three, slerp lower": ([{STUDIED: -0.3}, {STUDIED: -0.25}, {STUDIED: -0.35}],
                           [{(STUDIED, "prior", "lerp"): gap} for gap in (0.2, -0.05, 0.0)]),
    # Each model alone measurably better; across the three, the interval holds 0. Lerp's gaps at
    # z = 2 (section 7's plane) likewise: each model's measurable, of both signs across them.
    "three, spread": ([{STUDIED: 0.2}, {STUDIED: 0.01}, {STUDIED: 0.1}],
                      [{(2, "prior", "lerp"): gap, (2, "encoded", "lerp"): gap} for gap in (0.1, -0.1, 0.02)]),
    # Two models far above 0, the interval across them excludes 0: still no verdict from two.
    "two": ([{STUDIED: 0.3}, {STUDIED: 0.31}], [{(STUDIED, "prior", "lerp"): gap} for gap in (0.2, 0.21)]),
}


@functools.lru_cache(maxsize=None)
def replicated_run(name: str) -> tuple[dict, str]:
    """(summary, page text) of the stand-in run ``name`` of REPLICATED_RUNS."""
    study = summary_of_replicates(*REPLICATED_RUNS[name])
    return study, render_text(Path(tempfile.mkdtemp(prefix="replicated-")), study=study, f11_latent_dim=STUDIED)


def value_of(summary, dim, source, method, quantity, metric="classifier_confidence") -> dict:
    return next(row for row in summary["midpoints"] if (row["latent_dim"], row["source"], row["method"],
                                                        row["metric"]) == (dim, source, method, metric))[quantity]


def prediction_text(value) -> str:
    """How the page writes a prediction interval's bounds."""
    number = article_numbers.number_text
    return f"{number(value['prediction']['low'])} to {number(value['prediction']['high'])}"


def test_a_verdict_that_a_single_trained_model_could_reverse_says_so():
    study, text = replicated_run("five, one of the other sign")
    versus, lerp_gap = value_of(study, STUDIED, "prior", "slerp", "minus_lerp"), value_of(study, STUDIED, "prior", "lerp", "gap")
    assert (versus["sign"], versus["reason"], lerp_gap["sign"], lerp_gap["reason"]) == (
        1, "other_sign_possible", 1, "other_sign_possible")
    figure11 = sentence(text, "Over this run's 40 pairs of prior draws at z = 50")
    assert "and 5 trained models (every number the mean over the models, every interval covering their training" in figure11
    lerp_words, slerp_words = figure11.split("; slerp")
    assert "lerp's midpoints gain confidence" in lerp_words and "a single trained model can show the other sign" in lerp_words
    assert f"judged on these pairs, is {prediction_text(lerp_gap)})" in lerp_words
    assert "'s midpoints score higher" in slerp_words and "a single trained model can show the other sign" in slerp_words
    assert f"95% prediction interval of another training run, judged on these pairs, is {prediction_text(versus)}" in slerp_words
    conclusion = sentence(text, "at z = 50 the difference in the classifier's confidence is")
    assert "more digit-like than lerp's at z = 50, but not at z = 2, though at z = 50 a single trained model" in conclusion
    assert "the mean over 5 trained models, with an interval that covers their training" in conclusion
    assert prediction_text(versus) in conclusion
    reading = sentence(text, "Between prior draws at z = 50")
    assert "slerp raises it by" in reading and "a single trained model can show the other sign" in reading
    assert "though at z = 50 a single trained model can show the other sign" in sentence(text, "For prior draws, slerp gives")
    # Section 4's gap verdict: a drop between encoded digits at z = 2, measured, that one model reverses.
    section4 = sentence(text, "In this run, along lerp between the codes of two test digits at z = 2")
    encoded_gap = value_of(study, 2, "encoded", "lerp", "gap")
    assert "over 40 pairs, the mean over 5 trained models, with an interval that covers their training" in section4
    assert "a measurable drop in the classifier's confidence at the midpoint" in section4
    assert f"a single trained model can show the other sign (the 95% prediction interval of another training run, " \
           f"judged on these pairs, is {prediction_text(encoded_gap)})" in section4
    # The replicates' part lists each such verdict with every model's own mean.
    listed = sentence(text, "At z = 50, between prior draws, slerp minus lerp in classifier confidence")
    assert "yet another training run, judged on these pairs, would show" in listed and "(95% prediction interval)" in listed
    assert "a single trained model can show the other sign" in sentence(
        text, "At z = 2, between encoded test digits, lerp's midpoint minus its endpoints' mean")
    assert "(model 5)" in text and "A difference is called measurable when this interval excludes 0" in text
    assert "no model points the other way" not in text and "disagree" not in text


def test_a_measured_verdict_across_trainings_states_its_stable_sign():
    study, text = replicated_run("three, slerp lower")
    versus, lerp_gap = value_of(study, STUDIED, "prior", "slerp", "minus_lerp"), value_of(study, STUDIED, "prior", "lerp", "gap")
    assert (versus["reason"], lerp_gap["reason"]) == ("measured", "trainings_hold_zero")
    figure11 = sentence(text, "Over this run's 40 pairs of prior draws at z = 50")
    lerp_words, slerp_words = figure11.split("; slerp")
    assert "no measurable loss, since its interval across the 3 trained models and the pairs holds 0" in lerp_words
    assert "lose confidence" not in lerp_words and "gain" not in lerp_words
    assert "score lower than lerp's" in slerp_words and "contradicts the claim" in slerp_words
    assert f"would show the same sign (95% prediction interval {prediction_text(versus)})" in slerp_words
    assert "single trained model" not in figure11
    conclusion = sentence(text, "at z = 50 the difference in the classifier's confidence is")
    assert "less digit-like" in conclusion and "the mean over 3 trained models" in conclusion
    assert f"would show the same sign (95% prediction interval {prediction_text(versus)})" in conclusion
    reading = sentence(text, "Between prior draws at z = 50")
    assert "slerp lowers it by" in reading and "does not help here" in reading and "would show the same sign" in reading
    assert "Every number here is the mean over the 3 trained models" in text


def test_an_interval_over_trainings_that_holds_zero_blames_the_trainings_not_the_pairs():
    study, text = replicated_run("three, spread")
    assert value_of(study, STUDIED, "prior", "slerp", "minus_lerp")["reason"] == "trainings_hold_zero"
    figure11 = sentence(text, "Over this run's 40 pairs of prior draws at z = 50")
    assert "no measurable difference, since its interval across the 3 trained models and the pairs holds 0" in figure11
    assert "higher" not in figure11
    conclusion = sentence(text, "at z = 50 the difference in the classifier's confidence is")
    assert "no studied size shows a measurable difference between slerp's and lerp's midpoints across its 3 trained" in conclusion
    reading = sentence(text, "Between prior draws at z = 50")
    assert "slerp changes it by" in reading and "across the 3 trained models and the pairs holds 0" in reading
    assert "no measurable difference over 40 pairs" not in text
    # Section 7's plane: lerp's gaps at z = 2 hold 0 across the trainings, and the sentence says so.
    assert value_of(study, 2, "prior", "lerp", "gap")["reason"] == "trainings_hold_zero"
    plane = sentence(text, "In two dimensions this run finds it harmless")
    assert "lose no measurable confidence against their endpoints over 40 pairs and 3 trained models (every number " \
           "the mean over the models, every interval covering their training as well as the pairs)" in plane


def test_the_plane_sentence_states_a_cost_that_one_model_could_reverse():
    study, text = replicated_run("five, one of the other sign")
    encoded_gap = value_of(study, 2, "encoded", "lerp", "gap")
    assert (encoded_gap["sign"], encoded_gap["reason"]) == (-1, "other_sign_possible")
    plane = sentence(text, "Even in two dimensions it has a cost in this run")
    assert "at z = 2, over 40 pairs and 5 trained models (every number the mean over the models" in plane
    encoded = plane.split("between prior draws")[1]
    assert f"between encoded test digits, though a single trained model can show the other sign (the 95% prediction " \
           f"interval of another training run, judged on these pairs, is {prediction_text(encoded_gap)})" in encoded
    prior_gap = value_of(study, 2, "prior", "lerp", "gap")
    assert prior_gap["reason"] == "measured"
    assert f"would show the same sign (95% prediction interval {prediction_text(prior_gap)})" in plane


def test_two_trained_models_give_intervals_and_no_verdict():
    study, text = replicated_run("two")
    assert value_of(study, STUDIED, "prior", "slerp", "minus_lerp")["ci_low"] > 0
    assert value_of(study, STUDIED, "prior", "lerp", "gap")["ci_low"] > 0
    figure11 = sentence(text, "Over this run's 40 pairs of prior draws at z = 50")
    assert "no verdict, since 2 trained models are too few to judge a difference across training (it takes 3)" in figure11
    assert "no verdict, since 2 trained models are too few to judge a loss across training" in figure11   # the lerp gap
    assert "higher" not in figure11 and "gain confidence" not in figure11
    assert "2 trained models per latent size are too few for a verdict on slerp against lerp" in sentence(
        text, "at z = 50 the difference in the classifier's confidence is")
    assert "gives no verdict on whether its midpoints are more confident" in sentence(text, "For prior draws, slerp gives")
    assert "2 trained models are too few for a verdict" in text and "prediction interval" not in text
    assert "measurably more confident" not in text and "a measurable drop" not in text
    # Section 7's plane: no "harmless" from two models whose signs are all withheld.
    plane = sentence(text, "Whether it costs anything in two dimensions this run does not judge")
    assert "2 trained models are too few for a verdict (it takes 3)" in plane
    assert "between prior draws" in plane and "over 40 pairs and 2 trained models" in plane
    assert "harmless" not in text and "it has a cost" not in text


# --- every number names its source ---------------------------------------------------------


class SourcedNumbers(html.parser.HTMLParser):
    """(title, text) of every element of class "num" on a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.numbers, self._open = [], None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "span" and "num" in (attributes.get("class") or "").split():
            self._open = [attributes["title"], ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "span" and self._open is not None:
            self.numbers.append(tuple(self._open))
            self._open = None


def check_sourced_numbers(html: str, root: Path) -> int:
    """Every number with a source on the page is the value at that file's field, as shown; their count."""
    parser = SourcedNumbers()
    parser.feed(html)
    files = {}
    for title, shown in parser.numbers:
        file, _, field = title.partition(": ")
        if file not in files:
            files[file] = json.loads((root / file).read_text())
        value = article_numbers.resolve_field(files[file], field)
        text = shown.replace(",", "").replace("\u2212", "-").replace("+", "")
        percent = text.endswith("%")
        digits = len(text.rstrip("%").partition(".")[2])
        expected = f"{100 * value if percent else value:.{digits}f}"
        assert float(text.rstrip("%")) == float(expected), f"{title}: the page shows {shown}, the file holds {value}"
    return len(parser.numbers)


def test_every_quoted_number_names_its_file_and_field(tmp_path):
    html = render_html(tmp_path, study=summary_for({(STUDIED, "prior", "slerp"): (0.08, 0.05, 0.11)}),
                       f11_latent_dim=STUDIED)
    assert check_sourced_numbers(html, Path("/")) > 100
    titles = set(re.findall(r'class="num" title="([^"]+)"', html))
    assert any(title.endswith("study_summary.json: midpoints[z=50, prior, slerp, classifier_confidence].minus_lerp.mean")
               for title in titles)
    assert any(title.endswith("f11_pair_scores.json: lerp_middle_confidence") for title in titles)
    assert any(title.endswith("metrics2.json: test_reconstruction_nats") for title in titles)


def test_every_number_of_the_pipeline_page_is_the_value_its_title_names(pipeline_run):
    html = site_html(pipeline_run / "site")  # both pages
    assert check_sourced_numbers(html, pipeline_run) > 100
    files = {title.partition(": ")[0] for title in re.findall(r'class="num" title="([^"]+)"', html)}
    assert {"results/study/study_summary.json", "results/study/f11_pair_scores.json",
            "results/figures/f11_interpolation_500d.json", "results/models/z2/metrics.json"} <= files


def test_a_number_that_differs_from_its_file_is_caught(tmp_path):
    html = render_html(tmp_path)
    title = re.search(r'class="num" title="([^"]+test_reconstruction_nats)">90.0<', html).group(1)
    with pytest.raises(AssertionError, match="the page shows 91.0"):
        check_sourced_numbers(html.replace(f'title="{title}">90.0<', f'title="{title}">91.0<', 1), Path("/"))


def test_fields_resolve_to_the_values_that_named_them():
    summary = summary_for()
    numbers = []

    def leaves(value):
        if isinstance(value, dict):
            for item in value.values():
                leaves(item)
        elif isinstance(value, list):
            for item in value:
                leaves(item)
        elif isinstance(value, (article_numbers.Num, article_numbers.Count)):
            numbers.append(value)

    leaves(article_numbers.sourced(summary, "results/study/study_summary.json"))
    assert len(numbers) > 500
    for number in numbers:
        for shown in (number, -number, abs(number)):
            file, _, field = shown.source.partition(": ")
            assert file == "results/study/study_summary.json"
            assert article_numbers.resolve_field(summary, field) == shown


def test_numbers_are_written_with_true_minus_signs():
    number, signed = article_numbers.number_text, article_numbers.signed_number_text
    assert number(-0.034) == "\u22120.03" and number(-0.001) == "0.00" and number(0.5, 1) == "0.5"
    assert signed(0.03) == "+0.03" and signed(-0.02) == "\u22120.02" and signed(0.001) == "0.00"


# --- where the words and the classifier live ------------------------------------------------


def test_no_figure_module_imports_the_study_classifier():
    """F11's scores come from the study (study-pair-scores); no figure or figure step runs the classifier."""
    classifier = PACKAGE_DIR / "study" / "classifier.py"
    figures = [f"figures.{path.stem}" for path in (PACKAGE_DIR / "figures").glob("*.py") if path.stem != "__init__"]
    figure_steps = [step_module_name(step) for step in step_names() if not step.startswith(("study-", "train", "data", "decode",
                                                                                     "explorer", "site"))]
    assert "figures.interpolation" in figures and "steps.interpolation_mosaic" in figure_steps
    for module in [*figures, *figure_steps]:
        assert classifier not in module_closure([module]), module
    assert classifier in module_closure([step_module_name("study-pair-scores")])
