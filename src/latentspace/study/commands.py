"""The ``study-*`` subcommands of ``python -m latentspace`` (rules in workflow/rules/study.smk).

Each reads its inputs, calls the study's functions and writes its outputs atomically.
This module imports only argparse at load time; torch and matplotlib are imported by the
command that needs them, so registering the subcommands costs nothing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from latentspace.errors import LatentspaceError


def add_study_commands(commands) -> None:
    """Register every study subcommand on the CLI's subparsers."""
    for add in (_add_classifier, _add_model, _add_interpolation, _add_summary, _add_path_figures,
                _add_midpoint_figure, _add_norm_figure):
        add(commands)


def _add_device_options(parser) -> None:
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")


def _prepare_torch(args):
    """Set torch's CPU threads and return the resolved device."""
    import torch

    from latentspace.devices import resolve_device

    if args.threads:
        torch.set_num_threads(args.threads)
    return resolve_device(args.device)


def _write_json(path, value) -> None:
    from latentspace.atomic_files import write_text_atomic

    write_text_atomic(path, json.dumps(value, indent=2) + "\n")


def _read_text(path: str | Path, what: str) -> str:
    path = Path(path)
    if not path.is_file():
        raise LatentspaceError(f"{path}: {what} not found")
    return path.read_text(encoding="utf-8")


def _read_json(path: str | Path) -> dict:
    from latentspace.site_builder import load_json

    return load_json(Path(path))


# --------------------------------------------------------------------------
# study-classifier
# --------------------------------------------------------------------------


def _add_classifier(commands) -> None:
    parser = commands.add_parser("study-classifier", help="train the digit classifier that judges decoded images")
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=4e-3)
    parser.add_argument("--max-shift-px", type=int, default=2, help="random shift of the training images (0: none)")
    parser.add_argument("--min-accuracy", type=float, default=0.97, help="test accuracy below which it is too weak")
    parser.add_argument("--seed", type=int, required=True)
    _add_device_options(parser)
    parser.add_argument("--model-out", required=True)
    parser.add_argument("--metrics-out", required=True)
    parser.set_defaults(run=run_classifier)


def run_classifier(args) -> None:
    import torch

    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.progress import EpochReporter
    from latentspace.study.classifier import (
        ClassifierSettings,
        accuracy,
        predict_probabilities,
        save_classifier,
        train_classifier,
    )

    device = _prepare_torch(args)
    settings = ClassifierSettings(args.epochs, args.batch_size, args.learning_rate, args.seed, args.max_shift_px)
    dataset = load_dataset(args.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    train_labels = torch.from_numpy(dataset.train_labels).long().to(device)
    test_labels = torch.from_numpy(dataset.test_labels).long().to(device)
    print(f"training the digit classifier on {device}: {len(train_x)} train / {len(test_x)} test images, {settings}",
          file=sys.stderr)
    classifier, epoch_losses = train_classifier(train_x, train_labels, settings, EpochReporter(settings.epochs, "classifier"))
    test_accuracy = accuracy(predict_probabilities(classifier, test_x), test_labels)
    metrics = {
        "test_accuracy": test_accuracy,
        "min_accuracy": args.min_accuracy,
        "meets_bar": test_accuracy >= args.min_accuracy,
        "test_size": len(test_x),
        "train_size": len(train_x),
        "dataset_source": dataset.source,
        "epochs": settings.epochs,
        "max_shift_px": settings.max_shift_px,
        "train_cross_entropy_per_epoch": epoch_losses,
        "device": str(device),
    }
    # No run time here: the same settings give the same file (the time is in the benchmark).
    print(f"test accuracy {test_accuracy:.4f} (bar {args.min_accuracy})", file=sys.stderr)
    save_classifier(args.model_out, classifier, settings)
    _write_json(args.metrics_out, metrics)


# --------------------------------------------------------------------------
# study-model
# --------------------------------------------------------------------------


def _add_model(commands) -> None:
    parser = commands.add_parser(
        "study-model", help="ELBO, importance-weighted log-likelihood, KL per dimension, active units, latent norms"
    )
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--iwae-samples", type=int, required=True, help="importance samples per test image")
    parser.add_argument("--seed", type=int, required=True)
    _add_device_options(parser)
    parser.add_argument("--output", required=True, help="the model's statistics (JSON)")
    parser.set_defaults(run=run_model)


def run_model(args) -> None:
    from latentspace.checkpoints import load_model
    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.study.latent_norms import model_statistics

    if args.iwae_samples < 1:
        raise LatentspaceError(f"study.iwae_samples: expected a positive integer, got {args.iwae_samples}")
    device = _prepare_torch(args)
    model = load_model(args.model, device)
    test_x = images_to_vectors(load_dataset(args.data).test_images).to(device)
    started = time.perf_counter()
    statistics = model_statistics(model, test_x, args.iwae_samples, args.seed)
    print(
        f"z = {statistics['latent_dim']}: ELBO {statistics['test_elbo_nats']:.2f}, IWAE (k = {args.iwae_samples}) "
        f"{statistics['test_iwae_nats']:.2f} nats, {statistics['active_units']} active units "
        f"({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    _write_json(args.output, statistics)


# --------------------------------------------------------------------------
# study-interpolation
# --------------------------------------------------------------------------


def _add_interpolation(commands) -> None:
    parser = commands.add_parser(
        "study-interpolation", help="score lerp, slerp and distribution-matched paths over many pairs"
    )
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--classifier", required=True)
    parser.add_argument("--pairs", type=int, required=True)
    parser.add_argument("--path-steps", type=int, required=True)
    parser.add_argument("--bootstrap-resamples", type=int, required=True)
    parser.add_argument("--confidence-level", type=float, default=0.95)
    parser.add_argument("--seed", type=int, required=True)
    _add_device_options(parser)
    parser.add_argument("--paths-out", required=True, help="mean and interval of every metric at every t (CSV)")
    parser.add_argument("--midpoints-out", required=True, help="midpoint gaps and differences to lerp (CSV)")
    parser.set_defaults(run=run_interpolation)


def run_interpolation(args) -> None:
    from latentspace.atomic_files import write_text_atomic
    from latentspace.checkpoints import load_model
    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.study.classifier import load_classifier
    from latentspace.study.interpolation_quality import (
        InterpolationSettings,
        measure_interpolations,
        summarise_measurements,
    )
    from latentspace.study.tables import MIDPOINT_COLUMNS, PATH_COLUMNS, rows_to_csv

    settings = InterpolationSettings(
        args.pairs, args.path_steps, args.bootstrap_resamples, args.confidence_level, args.seed
    )
    device = _prepare_torch(args)
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


# --------------------------------------------------------------------------
# study-summary
# --------------------------------------------------------------------------


def _add_summary(commands) -> None:
    parser = commands.add_parser("study-summary", help="gather the study's results into tables and the site's JSON")
    parser.add_argument("--statistics", action="append", required=True, help="a model's statistics JSON (repeatable)")
    parser.add_argument("--paths", action="append", required=True, help="a model's path CSV (repeatable)")
    parser.add_argument("--midpoints", action="append", required=True, help="a model's midpoint CSV (repeatable)")
    parser.add_argument("--classifier-metrics", required=True)
    parser.add_argument("--pairs", type=int, required=True)
    parser.add_argument("--path-steps", type=int, required=True)
    parser.add_argument("--iwae-samples", type=int, required=True)
    parser.add_argument("--bootstrap-resamples", type=int, required=True)
    parser.add_argument("--confidence-level", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--summary-out", required=True)
    parser.add_argument("--models-out", required=True)
    parser.add_argument("--paths-out", required=True)
    parser.add_argument("--midpoints-out", required=True)
    parser.set_defaults(run=run_summary)


def run_summary(args) -> None:
    from latentspace.atomic_files import write_text_atomic
    from latentspace.study.tables import (
        MIDPOINT_COLUMNS,
        MODEL_COLUMNS,
        PATH_COLUMNS,
        build_summary,
        csv_to_rows,
        model_row,
        rows_to_csv,
    )

    statistics = [_read_json(path) for path in args.statistics]
    path_rows = [row for path in args.paths for row in csv_to_rows(_read_text(path, "path metrics table"))]
    midpoint_rows = [row for path in args.midpoints for row in csv_to_rows(_read_text(path, "midpoint table"))]
    settings = {
        "pairs": args.pairs,
        "path_steps": args.path_steps,
        "iwae_samples": args.iwae_samples,
        "bootstrap_resamples": args.bootstrap_resamples,
        "confidence_level": args.confidence_level,
        "seed": args.seed,
    }
    summary = build_summary(settings, _read_json(args.classifier_metrics), statistics, midpoint_rows)
    order = {dim: index for index, dim in enumerate(summary["latent_dims"])}
    write_text_atomic(args.models_out, rows_to_csv([model_row(s) for s in sorted(statistics, key=lambda s: s["latent_dim"])], MODEL_COLUMNS))
    write_text_atomic(args.paths_out, rows_to_csv(sorted(path_rows, key=lambda row: order[row["latent_dim"]]), PATH_COLUMNS))
    write_text_atomic(args.midpoints_out, rows_to_csv(sorted(midpoint_rows, key=lambda row: order[row["latent_dim"]]), MIDPOINT_COLUMNS))
    _write_json(args.summary_out, summary)
    print(f"study summary of latent sizes {', '.join(map(str, summary['latent_dims']))} written", file=sys.stderr)


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def _add_path_figures(commands) -> None:
    parser = commands.add_parser("study-path-figures", help="each metric against t per method (one SVG per metric)")
    parser.add_argument("--paths", required=True, help="the gathered path metrics CSV")
    parser.add_argument("--output", action="append", required=True, metavar="METRIC=PATH")
    parser.set_defaults(run=run_path_figures)


def run_path_figures(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_paths import path_metric_figure
    from latentspace.site_builder import parse_named_paths
    from latentspace.study.labels import METRICS
    from latentspace.study.tables import csv_to_rows

    rows = csv_to_rows(_read_text(args.paths, "path metrics table"))
    for metric, path in parse_named_paths(args.output, "--output").items():
        if metric not in METRICS:
            raise LatentspaceError(f"--output: unknown metric {metric!r}, expected one of {', '.join(METRICS)}")
        save_figure(path_metric_figure(rows, metric), path)


def _add_midpoint_figure(commands) -> None:
    parser = commands.add_parser("study-midpoint-figure", help="the midpoint gap of every metric against latent size")
    parser.add_argument("--midpoints", required=True, help="the gathered midpoint CSV")
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_midpoint_figure)


def run_midpoint_figure(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_midpoints import midpoint_gap_figure
    from latentspace.study.tables import csv_to_rows

    save_figure(midpoint_gap_figure(csv_to_rows(_read_text(args.midpoints, "midpoint table"))), args.output)


def _add_norm_figure(commands) -> None:
    parser = commands.add_parser(
        "study-norm-figure", help="latent norms against the sqrt(p) shell, and the KL per dimension"
    )
    parser.add_argument("--summary", required=True, help="the study's summary JSON")
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_norm_figure)


def run_norm_figure(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_norms import latent_norm_figure

    save_figure(latent_norm_figure(_read_json(args.summary)["models"]), args.output)
