"""Score lerp, slerp and distribution-matched paths over many pairs of one model's codes."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, InterpolationRun, OnDevice, StudyJobs


@dataclass(**GROUP)
class Settings(InterpolationRun, StudyJobs, OnDevice):
    """The study's pairs, paths and intervals, its threads, the seed of the pairs and the device."""


@dataclass(**GROUP)
class Files:
    model: str = file_path("the model .pt")
    data: str = file_path("the dataset .npz")
    classifier: str = file_path("the study's digit classifier .pt")
    paths_out: str = file_path("mean and interval of every metric at every t (CSV)")
    midpoints_out: str = file_path("midpoint gaps and differences to lerp (CSV)")
    midpoint_pairs_out: str = file_path("each pair's midpoint gaps and differences to lerp, and its midpoint and end scores (.npz)")


def run(settings: Settings, files: Files) -> None:
    from latentspace.files.atomic import write_text_atomic
    from latentspace.files.datasets import images_to_vectors, load_dataset
    from latentspace.model.devices import prepare_torch
    from latentspace.model.model_files import load_model
    from latentspace.study.across_replicates import save_midpoint_pairs
    from latentspace.study.classifier import load_classifier
    from latentspace.study.interpolation_quality import (
        measure_interpolations,
        midpoint_pair_values,
        summarise_measurements,
    )
    from latentspace.study.tables import MIDPOINT_COLUMNS, PATH_COLUMNS, rows_to_csv

    device = prepare_torch(settings.device, settings.threads)
    model = load_model(files.model, device)
    classifier = load_classifier(files.classifier, device)
    dataset = load_dataset(files.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    started = time.perf_counter()
    measurements = measure_interpolations(model, classifier, train_x, test_x, settings)
    measured = time.perf_counter()
    path_rows, midpoint_rows = summarise_measurements(measurements, settings)
    points = measurements.values[:, :, 0].size  # sources x methods x pairs x steps
    print(
        f"z = {measurements.latent_dim}: {points} points scored in {measured - started:.1f} s, "
        f"bootstrap in {time.perf_counter() - measured:.1f} s",
        file=sys.stderr,
    )
    write_text_atomic(files.paths_out, rows_to_csv(path_rows, PATH_COLUMNS))
    write_text_atomic(files.midpoints_out, rows_to_csv(midpoint_rows, MIDPOINT_COLUMNS))
    save_midpoint_pairs(files.midpoint_pairs_out, measurements.latent_dim, midpoint_pair_values(measurements))
