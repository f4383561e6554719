"""End to end: the reduced run with two replicates, grown from the one-replicate run (``replicates_run``).

Adding a replicate trains and studies only the new models; replicate 0's files are left as
they were, byte for byte; the summary gives every number across the replicates; the page
shows the figure across replicates, and the one-replicate run's page says what its
intervals cover.
"""

from __future__ import annotations

import json
import re

import yaml

from conftest import REDUCED_CONFIG, REPLICATES
from page_text import page_text
from latentspace.training.replicates import training_seed

REDUCED = yaml.safe_load(REDUCED_CONFIG.read_text())
STUDY_DIMS = sorted(dim for dim in REDUCED["latent_dims"] if dim >= 2)
# What only the new replicates need, and what gathers every replicate (and shows the run).
NEW_JOBS = {"train_replicate", "study_model_replicate", "study_interpolation_replicate", "study_geodesic_replicate"}
GATHERING_JOBS = {"study_summary", "study_path_figures", "study_midpoint_figure", "study_norm_figure",
                  "study_kl_figure", "study_replicate_figure", "site", "all"}


def planned_jobs(output: str) -> dict[str, int]:
    """{rule: job count} from the 'Job stats' table of ``snakemake -n``."""
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {match[1]: int(match[2]) for match in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def test_adding_a_replicate_runs_only_its_own_jobs(replicates_run):
    jobs = planned_jobs(replicates_run["planned"])
    new = len(STUDY_DIMS) * (REPLICATES - 1)
    assert {rule: jobs.pop(rule, 0) for rule in NEW_JOBS} == {rule: new for rule in NEW_JOBS}
    assert set(jobs) <= GATHERING_JOBS, jobs  # no model, decoded path, classifier or figure of replicate 0


def test_replicate_zero_is_left_as_it_was(replicates_run):
    workdir, before = replicates_run["workdir"], replicates_run["before"]
    assert any(path.name == "model.pt" for path in before)
    for path, (contents, mtime) in before.items():
        assert (workdir / path).read_bytes() == contents, path
        assert (workdir / path).stat().st_mtime_ns == mtime, path


def test_each_replicate_trains_with_its_own_seed(replicates_run):
    workdir = replicates_run["workdir"]
    for dim in STUDY_DIMS:
        zero = (workdir / "results" / "logs" / "train" / f"z{dim}.log").read_text()
        assert f"seed={REDUCED['seed']}" in zero
        for replicate in range(1, REPLICATES):
            log = (workdir / "results" / "logs" / "train" / f"z{dim}_replicate{replicate}.log").read_text()
            assert f"seed={training_seed(REDUCED['seed'], replicate)}" in log
            model = workdir / "results" / "models" / f"z{dim}" / f"replicate{replicate}" / "model.pt"
            assert model.read_bytes() != (workdir / "results" / "models" / f"z{dim}" / "model.pt").read_bytes()


def test_the_summary_gives_every_number_across_replicates(replicates_run):
    summary = json.loads((replicates_run["workdir"] / "results" / "study" / "study_summary.json").read_text())
    replicates = summary["replicates"]
    assert replicates["count"] == REPLICATES and summary["settings"]["replicates"] == REPLICATES
    assert replicates["interval_covers"] == "training and pairs"
    assert replicates["training_seeds"] == [training_seed(REDUCED["seed"], r) for r in range(REPLICATES)]
    for row in summary["midpoints"]:
        assert len(row["gap"]["replicates"]) == REPLICATES
        means = [replicate["mean"] for replicate in row["gap"]["replicates"]]
        assert abs(row["gap"]["mean"] - sum(means) / len(means)) < 1e-9
        assert row["gap"]["ci_low"] <= row["gap"]["mean"] <= row["gap"]["ci_high"]
        # Two replicates: intervals across them, and no verdict (three are the fewest that give one).
        assert (row["gap"]["sign"], row["gap"]["reason"]) == (0, "too_few_trainings")
    assert replicates["verdict_withheld"] and replicates["minimum_for_verdict"] == 3
    for model in replicates["models"]:
        assert all(len(number["replicates"]) == REPLICATES for number in model["numbers"].values())
    figure_rows = replicates["figure"]["rows"]
    assert len(figure_rows) == 2 * len(STUDY_DIMS) and all(len(row["replicates"]) == REPLICATES for row in figure_rows)


def replicates_paragraph(text: str, topic: str) -> str:
    """The one paragraph (line) of the page's text that speaks of ``topic``."""
    found = [line for line in text.splitlines() if topic in line]
    assert len(found) == 1, f"{len(found)} paragraphs speak of {topic!r}"
    return found[0]


def test_the_page_shows_the_replicates(replicates_run):
    site = replicates_run["workdir"] / "site"
    assert "study_replicate_midpoints.svg" in (site / "study.html").read_text()  # the study's page
    text = page_text((site / "index.html").read_text() + (site / "study.html").read_text())  # both pages
    summary = json.loads((replicates_run["workdir"] / "results" / "study" / "study_summary.json").read_text())
    # The branch of several replicates: how many, from which seeds, and what its intervals cover.
    note = replicates_paragraph(text, "times, from seeds")
    assert f" {REPLICATES} times" in note
    assert all(str(seed) in note for seed in summary["replicates"]["training_seeds"])
    assert "training" in note and "pairs" in note and "one trained model" not in text
    # Two trained models: the page says they are too few and words no verdict.
    assert f"{REPLICATES} trained models are too few for a verdict" in note
    assert "measurably more confident" not in text and "prediction interval" not in text
    if summary["classifier"]["meets_bar"]:   # else no sentence judges the digits at all
        assert f"{REPLICATES} trained models per latent size are too few for a verdict on slerp against lerp" in text


def test_the_one_replicate_page_says_what_its_intervals_cover(pipeline_run):
    text = page_text((pipeline_run / "site" / "study.html").read_text())
    # One sentence: its intervals cover one trained model's pairs, not the training, and which config does.
    note = replicates_paragraph(text, "not its training")
    assert "one trained model" in note and "configs/replicates.yaml" in note
    summary = json.loads((pipeline_run / "results" / "study" / "study_summary.json").read_text())
    assert summary["replicates"]["count"] == 1 and summary["replicates"]["interval_covers"] == "pairs of one trained model"


def test_the_geodesics_are_given_across_replicates(replicates_run):
    summary = json.loads((replicates_run["workdir"] / "results" / "study" / "study_summary.json").read_text())
    geodesics = summary["geodesics"]
    assert geodesics["solver"]["pairs"] == REPLICATES * len(STUDY_DIMS) * 2 * REDUCED["study"]["pairs"]
    for size in geodesics["sizes"]:
        for source in size["sources"]:
            for versus in source["versus"].values():
                for value in (versus["ratio"], versus["judge"]):
                    assert len(value["replicates"]) == REPLICATES
                    assert value["ci_low"] <= value["mean"] <= value["ci_high"]
