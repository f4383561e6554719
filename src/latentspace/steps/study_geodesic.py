"""Join every pair of the study by its geodesic under the decoder's pulled-back metric, and measure all paths on one ruler."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, GeodesicRun, OnDevice, StudyJobs


@dataclass(**GROUP)
class Settings(GeodesicRun, StudyJobs, OnDevice):
    """The geodesics' settings, the study's pairs, paths and intervals, its threads, the seed and the device."""


@dataclass(**GROUP)
class Files:
    model: str = file_path("the model .pt")
    data: str = file_path("the dataset .npz")
    classifier: str = file_path("the study's digit classifier .pt")
    midpoint_pairs: str | None = file_path(
        "the study-interpolation step's per-pair scores of the same model (.npz): its flat methods' midpoints and the "
        "pairs' ends are read, not scored again; without it they are scored here", default=None)
    paths_out: str = file_path("the geodesic's mean and interval of every metric at every t (CSV)")
    midpoints_out: str = file_path("the geodesic's midpoint gaps and differences to lerp (CSV)")
    comparisons_out: str = file_path("every path's pulled-back length and energy, and the geodesic against each (CSV)")
    pairs_out: str = file_path("each pair's values behind those tables and the solver's record (.npz)")
    examples_out: str = file_path("the figures' pairs: lerp, slerp and geodesic, traced and decoded (.npz)")


def run(settings: Settings, files: Files) -> None:
    from latentspace.files.atomic import write_text_atomic
    from latentspace.files.datasets import images_to_vectors, load_dataset
    from latentspace.model.devices import prepare_torch, reuse_freed_memory
    from latentspace.model.model_files import load_model
    from latentspace.study.across_replicates import read_pair_scores
    from latentspace.study.classifier import load_classifier
    from latentspace.study.geodesic_quality import (
        measure_geodesics,
        pair_quantities,
        solver_record,
        summarise_geodesics,
    )
    from latentspace.study.geodesic_tables import (
        COMPARISON_COLUMNS,
        save_geodesic_examples,
        save_geodesic_pairs,
    )
    from latentspace.study.tables import MIDPOINT_COLUMNS, PATH_COLUMNS, rows_to_csv

    device = prepare_torch(settings.device, settings.threads)
    reuse_freed_memory()  # the solver makes and frees tensors of tens of MB at every step
    model = load_model(files.model, device)
    classifier = load_classifier(files.classifier, device)
    dataset = load_dataset(files.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    scored = None
    if files.midpoint_pairs is not None:
        scored = read_pair_scores(files.midpoint_pairs, model.config.latent_dim, settings.pairs)
    started = time.perf_counter()
    measurements, examples = measure_geodesics(model, classifier, train_x, test_x, settings, scored)
    measured = time.perf_counter()
    path_rows, midpoint_rows, comparison_rows = summarise_geodesics(measurements, settings)
    record = solver_record(measurements, settings)
    for source in record["sources"]:
        print(
            f"z = {measurements.latent_dim}, {source['source']}: {source['converged']} of {source['pairs']} pairs "
            f"converged (median {source['iterations_median']:g} iterations, at most {source['iterations_max']}), "
            f"{source['started_from_slerp']} started from slerp, energy {source['energy_over_start_mean']:.3f} of the "
            f"start's on average, along {record['bending_directions']} bending directions",
            file=sys.stderr,
        )
    print(f"z = {measurements.latent_dim}: geodesics solved and measured in {measured - started:.1f} s, "
          f"bootstrap in {time.perf_counter() - measured:.1f} s", file=sys.stderr)
    write_text_atomic(files.paths_out, rows_to_csv(path_rows, PATH_COLUMNS))
    write_text_atomic(files.midpoints_out, rows_to_csv(midpoint_rows, MIDPOINT_COLUMNS))
    write_text_atomic(files.comparisons_out, rows_to_csv(comparison_rows, COMPARISON_COLUMNS))
    save_geodesic_pairs(files.pairs_out, measurements.latent_dim, measurements.bending_directions,
                        pair_quantities(measurements), measurements.solver)
    save_geodesic_examples(files.examples_out, examples)
