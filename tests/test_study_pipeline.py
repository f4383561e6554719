"""End to end: the study's outputs in the reduced pipeline run (the ``pipeline_run`` fixture)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from conftest import REDUCED_CONFIG, effective_config, read_csv, snakemake_env
from page_text import page_text
from latentspace.files.datasets import images_to_vectors, load_dataset
from latentspace.study.classifier import load_classifier
from latentspace.study.labels import ALL_METHODS, METRICS, SOURCES
from latentspace.study.tables import MIDPOINT_COLUMNS, MODEL_COLUMNS, PATH_COLUMNS

REDUCED = yaml.safe_load(REDUCED_CONFIG.read_text())
STUDY_DIMS = sorted(dim for dim in REDUCED["latent_dims"] if dim >= 2)
STUDY = effective_config()["study"]


def test_study_tables_have_their_columns_and_rows(pipeline_run):
    study = pipeline_run / "results" / "study"
    columns, models = read_csv(study / "study_models.csv")
    assert tuple(columns) == MODEL_COLUMNS
    assert [int(row["latent_dim"]) for row in models] == STUDY_DIMS
    for row in models:
        assert float(row["test_iwae_nats"]) > float(row["test_elbo_nats"]) - 3 * float(row["test_iwae_standard_error_nats"])
        assert int(row["iwae_samples"]) == STUDY["iwae_samples"]
    columns, paths = read_csv(study / "study_path_metrics.csv")
    assert tuple(columns) == PATH_COLUMNS
    # lerp, slerp, distribution-matched, and the geodesic's rows (study-geodesic)
    assert len(paths) == len(STUDY_DIMS) * len(SOURCES) * len(ALL_METHODS) * len(METRICS) * STUDY["path_steps"]
    columns, midpoints = read_csv(study / "study_midpoints.csv")
    assert tuple(columns) == MIDPOINT_COLUMNS
    assert len(midpoints) == len(STUDY_DIMS) * len(SOURCES) * len(ALL_METHODS) * len(METRICS)


def test_study_summary_reports_the_classifier_and_its_verdicts(pipeline_run):
    summary = json.loads((pipeline_run / "results" / "study" / "study_summary.json").read_text())
    classifier = json.loads((pipeline_run / "results" / "study" / "classifier_metrics.json").read_text())
    # The summary holds the classifier's metrics as they are, and its accuracy's interval beside them.
    assert {key: summary["classifier"][key] for key in classifier} == classifier
    interval = {key: value for key, value in summary["classifier"].items() if key not in classifier}
    assert set(interval) == {"accuracy_ci_low", "accuracy_ci_high", "accuracy_interval_method", "errors", "errors_allowed"}
    assert interval["accuracy_ci_low"] <= classifier["test_accuracy"] <= interval["accuracy_ci_high"]
    assert interval["errors"] == round((1 - classifier["test_accuracy"]) * classifier["test_size"])
    # The saved classifier, run again on the run's test digits, labels exactly that share right,
    # and (even after one epoch) far more than the 10% of guessing.
    dataset = load_dataset(pipeline_run / "results" / "data" / "dataset.npz")
    model = load_classifier(pipeline_run / "results" / "study" / "classifier.pt")
    with torch.no_grad():
        predicted = model(images_to_vectors(dataset.test_images)).argmax(dim=-1).numpy()
    assert classifier["test_size"] == len(dataset.test_labels)
    assert classifier["test_accuracy"] == np.count_nonzero(predicted == dataset.test_labels) / len(predicted)
    assert classifier["test_accuracy"] > 0.3
    assert classifier["meets_bar"] == (classifier["test_accuracy"] >= STUDY.get("classifier", {}).get("min_accuracy", 0.97))
    assert classifier["settings"]["epochs"] == STUDY["classifier"]["epochs"]  # the settings, as declared
    assert "reading" not in summary  # the words are the templates' (partials/study_reading.html.j2)
    signs = {row["minus_lerp"]["sign"] for row in summary["midpoints"] if "minus_lerp" in row}
    assert signs <= {-1, 0, 1} and signs
    assert summary["latent_dims"] == STUDY_DIMS
    assert summary["settings"]["pairs"] == STUDY["pairs"]
    statistics = json.loads((pipeline_run / "results" / "study" / f"z{STUDY_DIMS[0]}" / "model_statistics.json").read_text())
    assert summary["models"][0]["test_iwae_nats"] == statistics["test_iwae_nats"]  # nothing typed in
    text = page_text((pipeline_run / "site" / "index.html").read_text() + (pipeline_run / "site" / "study.html").read_text())
    assert text.count("held-out test digits correctly") == 1  # the classifier's verdict, stated once on the site
    assert f"{classifier['test_accuracy']:.1%}" in text


def test_study_figures_logs_and_benchmarks(pipeline_run):
    figures = pipeline_run / "results" / "figures"
    for name in [f"study_path_{metric}" for metric in METRICS] + ["study_midpoint_gaps", "study_latent_norms"]:
        assert (figures / f"{name}.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    benchmarks = pipeline_run / "results" / "benchmarks"
    assert (benchmarks / "study_classifier.tsv").is_file() and (benchmarks / "study_summary.tsv").is_file()
    for dim in STUDY_DIMS:
        assert (benchmarks / f"study_interpolation_z{dim}.tsv").is_file()
        assert (pipeline_run / "results" / "logs" / "study" / f"model_z{dim}.log").is_file()


@pytest.mark.parametrize("step", ["study-classifier", "study-model", "study-interpolation"])
def test_study_steps_repeat_byte_for_byte(pipeline_run, tmp_path, step):
    """Running a step again with the same settings gives identical files."""
    dim = STUDY_DIMS[0]
    results = pipeline_run / "results"
    common = ["--model", str(results / "models" / f"z{dim}" / "model.pt"), "--data", str(results / "data" / "dataset.npz"),
              "--seed", str(REDUCED["seed"]), "--device", "cpu", "--threads", "1"]
    if step == "study-classifier":
        classifier = STUDY["classifier"]
        arguments = [*common[2:], *[f"--{key.replace('_', '-')}={value}" for key, value in sorted(classifier.items())],
                     "--model-out", str(tmp_path / "classifier.pt"), "--metrics-out", str(tmp_path / "metrics.json")]
        expected = {tmp_path / "classifier.pt": results / "study" / "classifier.pt",
                    tmp_path / "metrics.json": results / "study" / "classifier_metrics.json"}
    elif step == "study-model":
        arguments = [*common, "--iwae-samples", str(STUDY["iwae_samples"]), "--output", str(tmp_path / "statistics.json")]
        expected = {tmp_path / "statistics.json": results / "study" / f"z{dim}" / "model_statistics.json"}
    else:
        arguments = [*common, "--classifier", str(results / "study" / "classifier.pt"), "--pairs", str(STUDY["pairs"]),
                     "--path-steps", str(STUDY["path_steps"]), "--bootstrap-resamples", str(STUDY["bootstrap_resamples"]),
                     "--confidence-level", str(STUDY["confidence_level"]),
                     "--paths-out", str(tmp_path / "paths.csv"), "--midpoints-out", str(tmp_path / "midpoints.csv"),
                     "--midpoint-pairs-out", str(tmp_path / "midpoint_pairs.npz")]
        expected = {tmp_path / "paths.csv": results / "study" / f"z{dim}" / "path_metrics.csv",
                    tmp_path / "midpoints.csv": results / "study" / f"z{dim}" / "midpoints.csv",
                    tmp_path / "midpoint_pairs.npz": results / "study" / f"z{dim}" / "midpoint_pairs.npz"}
    completed = subprocess.run([sys.executable, "-m", "latentspace", step, *arguments], env=snakemake_env(),
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    for produced, original in expected.items():
        assert produced.read_bytes() == original.read_bytes()
