"""The page's words about the geodesics (partials/geodesics.html.j2), each branch fed numbers that go either way.

As in test_page_words.py: the real templates render stand-in runs (write_fake_run) whose
summaries hold geodesics built by test_geodesic_tables.with_geodesics; the tests check what
each branch says (its verdict, its numbers and interval), not its exact letters.
"""

from __future__ import annotations

import re
from pathlib import Path

from page_text import page_text
from test_geodesic_tables import with_geodesics
from test_page_words import check_sourced_numbers, render_html, render_text, sentence
from test_site import check_site, write_fake_run
from test_study_tables import summary_for

from latentspace.cli import main

# The stand-in study's sizes are z = 2 and z = 50; its largest is 50.
LARGEST = 50


def test_slerp_within_a_few_percent_of_the_geodesic_is_the_finding(tmp_path):
    study = with_geodesics(ratios={(LARGEST, "prior", "slerp"): (0.97, 0.96, 0.98)})
    text = render_text(tmp_path, study=study)
    finding = sentence(text, f"At z = {LARGEST}, between prior draws, slerp is already within 5%")
    assert "3.0% (95% interval 2.0% to 4.0%) shorter than slerp" in finding
    assert "That is the finding here" in sentence(text, "That is the finding here")
    # The encoded pairs keep the default ratio, 0.8: far from slerp.
    far = sentence(text, f"At z = {LARGEST}, between encoded test digits, slerp is not within 5%")
    assert "20.0% (95% interval 18.0% to 22.0%) shorter than slerp" in far


def test_an_interval_across_the_few_percent_says_the_run_cannot_tell(tmp_path):
    study = with_geodesics(ratios={(LARGEST, "prior", "slerp"): (0.95, 0.93, 0.97)})
    text = render_text(tmp_path, study=study)
    words = sentence(text, "this run cannot say whether slerp comes within 5%")
    assert f"At z = {LARGEST}, between prior draws" in words and "an interval on both sides of 5%" in words
    assert "5.0% (95% interval 3.0% to 7.0%) shorter than slerp" in words


def test_a_geodesic_longer_or_no_shorter_than_a_flat_path_is_said_so(tmp_path):
    study = with_geodesics(ratios={(2, "prior", "lerp"): (1.03, 1.01, 1.05), (2, "encoded", "lerp"): (0.99, 0.97, 1.01)})
    text = render_text(tmp_path, study=study)
    lengths = sentence(text, "At z = 2, between prior draws the geodesic is")
    assert "longer than lerp, by 3.0% (95% interval 1.0% to 5.0%)" in lengths
    assert "not measurably different in length from lerp (shorter by 1.0%, 95% interval \u22121.0% to 3.0%)" in lengths
    assert "20.0% (95% interval 18.0% to 22.0%) shorter than slerp" in lengths


def test_the_judge_s_verdict_on_the_geodesic_s_midpoints(tmp_path):
    judge = {(LARGEST, "prior", "lerp"): (0.05, 0.02, 0.08), (LARGEST, "prior", "slerp"): (-0.04, -0.07, -0.01),
             (2, "prior", "slerp"): (-0.03, -0.05, -0.01)}
    text = render_text(tmp_path, study=with_geodesics(judge=judge))
    words = sentence(text, f"Between prior draws at z = {LARGEST}, the classifier's confidence at the geodesic's midpoint")
    assert "higher than lerp's, by 0.05 (95% interval 0.02 to 0.08)" in words
    assert "lower than slerp's, by 0.04 (95% interval 0.01 to 0.07)" in words
    encoded = sentence(text, f"Between encoded test digits at z = {LARGEST}, the classifier's confidence at the geodesic's")
    assert "not measurably different from lerp's (difference 0.01, 95% interval \u22120.02 to 0.04)" in encoded
    assert "not measurably different from slerp's" in encoded
    assert f"higher with the judge than lerp's at z = {LARGEST}, but not at z = 2" in sentence(
        text, "For prior draws, the geodesic's midpoints score measurably higher with the judge than lerp's")
    lower = sentence(text, "For prior draws, the geodesic's midpoints score measurably lower with the judge than slerp's")
    assert f"at z = 2 and z = {LARGEST}" in lower and "does not give more digit-like midpoints" in lower
    assert "neither measurably higher nor lower with the judge than lerp's at any latent size" in sentence(
        text, "For encoded test digits, the geodesic's midpoints score neither measurably higher nor lower with the judge than lerp's")


def test_a_weak_judge_says_nothing_of_the_geodesic_s_digits(tmp_path):
    study = with_geodesics(summary=summary_for(accuracy=0.9), judge={(LARGEST, "prior", "lerp"): (0.05, 0.02, 0.08)})
    html = render_html(tmp_path, study=study)
    text = page_text(html)
    assert "classifier's confidence at the geodesic's midpoint" not in text
    assert "with the judge" not in text
    paragraph = page_text(re.search(r'<p class="geodesic-judge">(.*?)</p>', html, re.S).group(1))
    assert "90.0%" in paragraph and "97%" in paragraph and "cannot say how digit-like" in paragraph


def test_pairs_that_did_not_converge_are_counted_on_the_page(tmp_path):
    text = render_text(tmp_path, study=with_geodesics(not_converged=3))
    words = sentence(text, "pairs met that rule")
    assert "154 of 160 pairs met that rule, and the other 6 did not within 200 iterations" in words
    assert "counted below with the best curve found" in words
    assert "did not within" not in render_text(tmp_path / "all", study=with_geodesics())


def test_the_geodesic_section_passes_the_page_checks_and_names_every_number_s_source(tmp_path):
    arguments = write_fake_run(tmp_path / "run", study=with_geodesics())
    assert main([*arguments, "--output-dir", str(tmp_path / "site")]) == 0
    page = check_site(tmp_path / "site")  # figures numbered in order, alt text, links, no raw TeX
    assert {"figures/study_geodesic_plane.svg", "figures/study_geodesic_digits.png"} <= {image["src"] for image in page.images}
    captions = [figure["caption"] for figure in page.figures]
    assert any("magnification factor" in caption for caption in captions)
    assert captions[-1].startswith(f"Figure {len(captions)}.")  # the training curves follow the geodesics' figures
    html = render_html(tmp_path / "again", study=with_geodesics())
    assert check_sourced_numbers(html, Path("/")) > 100
    assert "geodesics.largest.sources[1].versus.slerp.percent_shorter" in html


def test_a_summary_without_geodesics_leaves_the_part_out(tmp_path):
    text = render_text(tmp_path, study=summary_for())
    assert "The shortest path through what the decoder draws" not in text
