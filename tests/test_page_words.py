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
from test_site import TEMPLATES, write_fake_run
from test_study_replicates import summary_of_replicates
from test_study_tables import summary_for

from latentspace.page import article_numbers, site_builder
from latentspace.pipeline.code_hash import PACKAGE_DIR, module_closure
from latentspace.cli import parse_step, step_names
from latentspace.pipeline.code_hash import step_module_name
from latentspace.steps import site

# One environment for every test: it compiles each template once.
ENVIRONMENT = site_builder.template_environment(TEMPLATES)
# summary_for() studies z = 2 and z = 50; where Figure 11's model is studied, it is z = 50.
STUDIED = 50


def render_text(folder: Path, **run) -> str:
    """The page's text for a stand-in run (write_fake_run's options), rendered by Jinja alone."""
    return page_text(render_html(folder, **run))


def render_html(folder: Path, **run) -> str:
    arguments = write_fake_run(folder / "run", **run)
    _, settings, files = parse_step([*arguments, "--output-dir", str(folder / "site")])
    context, assets, _ = site.site_context(settings, files)
    return ENVIRONMENT.get_template("index.html.j2").render(**site_builder.page_context(TEMPLATES, context, assets))


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
    figure11 = sentence(text, "Over this run's 40 pairs of prior draws at z = 50")
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
    assert "below almost every code" in sentence(below, "and the lerp midpoint, at 0.71")
    within = render_text(tmp_path / "within", f11_latent_dim=STUDIED, lerp_midpoint_norm_ratio=0.95)
    assert "within the range" in sentence(within, "and the lerp midpoint, at 0.95")


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
    # Each model alone measurably better; across the three, the interval holds 0.
    "three, spread": ([{STUDIED: 0.2}, {STUDIED: 0.01}, {STUDIED: 0.1}], None),
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
    html = (pipeline_run / "site" / "index.html").read_text()
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
