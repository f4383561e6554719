"""Score lerp, slerp and distribution-matched paths over many pairs of one model's codes."""

from __future__ import annotations

import sys
import time

from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--classifier", required=True)
    parser.add_argument("--pairs", type=int, required=True)
    parser.add_argument("--path-steps", type=int, required=True)
    parser.add_argument("--bootstrap-resamples", type=int, required=True)
    parser.add_argument("--confidence-level", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    add_device_arguments(parser)
    parser.add_argument("--paths-out", required=True, help="mean and interval of every metric at every t (CSV)")
    parser.add_argument("--midpoints-out", required=True, help="midpoint gaps and differences to lerp (CSV)")
    parser.add_argument(
        "--midpoint-pairs-out", required=True, help="each pair's midpoint gaps and differences to lerp (.npz)"
    )


def run(args) -> None:
    from latentspace.atomic_files import write_text_atomic
    from latentspace.model_files import load_model
    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.steps.shared import prepare_torch
    from latentspace.study.classifier import load_classifier
    from latentspace.study.interpolation_quality import (
        InterpolationSettings,
        measure_interpolations,
        midpoint_pair_values,
        summarise_measurements,
    )
    from latentspace.study.across_replicates import save_midpoint_pairs
    from latentspace.study.tables import MIDPOINT_COLUMNS, PATH_COLUMNS, rows_to_csv

    settings = InterpolationSettings(
        args.pairs, args.path_steps, args.bootstrap_resamples, args.confidence_level, args.seed
    )
    device = prepare_torch(args)
    model = load_model(args.model, device)
    classifier = load_classifier(args.classifier, device)
    dataset = load_dataset(args.data)
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
    write_text_atomic(args.paths_out, rows_to_csv(path_rows, PATH_COLUMNS))
    write_text_atomic(args.midpoints_out, rows_to_csv(midpoint_rows, MIDPOINT_COLUMNS))
    save_midpoint_pairs(args.midpoint_pairs_out, measurements.latent_dim, midpoint_pair_values(measurements))
