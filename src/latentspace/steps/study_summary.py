"""Gather the study's per-model results into tables and the site's summary JSON."""

from __future__ import annotations

import sys

from latentspace.errors import LatentspaceError


def add_arguments(parser) -> None:
    parser.add_argument("--statistics", action="append", required=True, help="a model's statistics JSON (repeatable)")
    parser.add_argument("--paths", action="append", required=True, help="a model's path CSV (repeatable)")
    parser.add_argument("--midpoints", action="append", required=True, help="a model's midpoint CSV (repeatable)")
    parser.add_argument(
        "--replicate-statistics", action="append", default=[], metavar="REPLICATE=PATH",
        help="a statistics JSON of replicate 1, 2, ... (repeatable)",
    )
    parser.add_argument(
        "--replicate-midpoints", action="append", default=[], metavar="REPLICATE=PATH",
        help="a midpoint CSV of replicate 1, 2, ... (repeatable)",
    )
    parser.add_argument(
        "--midpoint-pairs", action="append", default=[], metavar="REPLICATE=PATH",
        help="a per-pair midpoint .npz of any replicate, 0 included (repeatable; needed from two replicates on)",
    )
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
    from latentspace.study.across_replicates import read_midpoint_pairs
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
    replicate_statistics = _by_replicate(args.replicate_statistics, "--replicate-statistics", read_model_statistics)
    replicate_midpoints = _by_replicate(args.replicate_midpoints, "--replicate-midpoints", read_midpoint_table)
    count = 1 + max([*replicate_statistics, *replicate_midpoints], default=0)
    if sorted(replicate_statistics) != sorted(replicate_midpoints) or sorted(replicate_statistics) != list(range(1, count)):
        raise LatentspaceError(
            f"--replicate-statistics and --replicate-midpoints: expected replicates 1 to {count - 1} in both, got "
            f"{sorted(replicate_statistics)} and {sorted(replicate_midpoints)}"
        )
    others = [
        (replicate_statistics[replicate], [row for rows in replicate_midpoints[replicate] for row in rows])
        for replicate in range(1, count)
    ]
    midpoint_pairs = None
    if count > 1:
        pairs = _by_replicate(args.midpoint_pairs, "--midpoint-pairs", read_midpoint_pairs)
        if sorted(pairs) != list(range(count)):
            raise LatentspaceError(f"--midpoint-pairs: expected replicates 0 to {count - 1}, got {sorted(pairs)}")
        midpoint_pairs = [{entry["latent_dim"]: entry for entry in pairs[replicate]} for replicate in range(count)]
    path_rows = [row for path in args.paths for row in read_path_table(path)]
    midpoint_rows = [row for path in args.midpoints for row in read_midpoint_table(path)]
    settings = {
        "pairs": args.pairs,
        "path_steps": args.path_steps,
        "iwae_samples": args.iwae_samples,
        "bootstrap_resamples": args.bootstrap_resamples,
        "confidence_level": args.confidence_level,
        "seed": args.seed,
        "replicates": count,
    }
    summary = build_summary(
        settings, read_classifier_metrics(args.classifier_metrics), statistics, midpoint_rows, others, midpoint_pairs
    )
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


def _by_replicate(values: list[str], option: str, read) -> dict[int, list]:
    """{replicate: [what read gives for each of its files]} from REPLICATE=PATH values."""
    by_replicate: dict[int, list] = {}
    for value in values:
        replicate, separator, path = value.partition("=")
        if not separator or not replicate.isdigit() or not path:
            raise LatentspaceError(f"{option}: expected REPLICATE=PATH with a whole number, got {value!r}")
        by_replicate.setdefault(int(replicate), []).append(read(path))
    return by_replicate
