"""Gather the study's per-model results into tables and the site's summary JSON."""

from __future__ import annotations

import sys


def add_arguments(parser) -> None:
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


def run(args) -> None:
    from latentspace.atomic_files import write_text_atomic
    from latentspace.steps.shared import write_json
    from latentspace.study.tables import (
        MIDPOINT_COLUMNS,
        MODEL_COLUMNS,
        PATH_COLUMNS,
        build_summary,
        model_row,
        read_classifier_metrics,
        read_midpoint_table,
        read_model_statistics,
        read_path_table,
        rows_to_csv,
    )

    statistics = [read_model_statistics(path) for path in args.statistics]
    path_rows = [row for path in args.paths for row in read_path_table(path)]
    midpoint_rows = [row for path in args.midpoints for row in read_midpoint_table(path)]
    settings = {
        "pairs": args.pairs,
        "path_steps": args.path_steps,
        "iwae_samples": args.iwae_samples,
        "bootstrap_resamples": args.bootstrap_resamples,
        "confidence_level": args.confidence_level,
        "seed": args.seed,
    }
    summary = build_summary(settings, read_classifier_metrics(args.classifier_metrics), statistics, midpoint_rows)
    order = {dim: index for index, dim in enumerate(summary["latent_dims"])}
    by_size = sorted(statistics, key=lambda entry: entry["latent_dim"])
    write_text_atomic(args.models_out, rows_to_csv([model_row(entry) for entry in by_size], MODEL_COLUMNS))
    write_text_atomic(
        args.paths_out, rows_to_csv(sorted(path_rows, key=lambda row: order[row["latent_dim"]]), PATH_COLUMNS)
    )
    write_text_atomic(
        args.midpoints_out,
        rows_to_csv(sorted(midpoint_rows, key=lambda row: order[row["latent_dim"]]), MIDPOINT_COLUMNS),
    )
    write_json(args.summary_out, summary)
    print(f"study summary of latent sizes {', '.join(map(str, summary['latent_dims']))} written", file=sys.stderr)
