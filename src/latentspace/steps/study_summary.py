"""Gather the study's per-model results into tables and the site's summary JSON."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import parse_named_values, file_path
from latentspace.settings.declared import GROUP, InterpolationStudySettings, LikelihoodSettings, Replicated, Seeded


@dataclass(**GROUP)
class Settings(InterpolationStudySettings, LikelihoodSettings, Seeded, Replicated):
    """The study's settings that the summary records beside its numbers; the replicates' files must
    be those of ``replicates`` models (the page reads their number from the summary, its captions
    from the configuration: one number, checked here)."""


@dataclass(**GROUP)
class Files:
    statistics: tuple[str, ...] = file_path("each model's statistics JSON")
    path_metrics: tuple[str, ...] = file_path("each model's path metrics CSV")
    midpoints: tuple[str, ...] = file_path("each model's midpoint CSV")
    replicate_statistics: tuple[str, ...] = file_path(
        "a statistics JSON of replicate 1, 2, ...", default=(), metavar="REPLICATE=PATH"
    )
    replicate_midpoints: tuple[str, ...] = file_path(
        "a midpoint CSV of replicate 1, 2, ...", default=(), metavar="REPLICATE=PATH"
    )
    midpoint_pairs: tuple[str, ...] = file_path(
        "a per-pair midpoint .npz of any replicate, 0 included (needed from two replicates on)",
        default=(), metavar="REPLICATE=PATH",
    )
    classifier_metrics: str = file_path("the classifier's metrics JSON")
    summary_out: str = file_path("the summary JSON the site renders")
    models_out: str = file_path("the models table (CSV)")
    paths_out: str = file_path("the path metrics table (CSV)")
    midpoints_out: str = file_path("the midpoint table (CSV)")


def run(settings: Settings, files: Files) -> None:
    from latentspace.files.atomic import write_text_atomic
    from latentspace.study.across_replicates import check_pair_counts, read_midpoint_pairs
    from latentspace.files.atomic import write_json_atomic
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

    count = settings.replicates
    given = [sorted(_by_replicate(files_of, option, lambda path, _: path)) for files_of, option in (
        (files.replicate_statistics, "--replicate-statistics"), (files.replicate_midpoints, "--replicate-midpoints"))]
    if given != [list(range(1, count))] * 2:
        expected = f"replicates 1 to {count - 1}" if count > 1 else "none (replicates is 1)"
        raise LatentspaceError(
            f"--replicate-statistics and --replicate-midpoints: expected {expected} in both, got {given[0]} and {given[1]}"
        )
    statistics = [read_model_statistics(path) for path in files.statistics]
    replicate_statistics = _by_replicate(files.replicate_statistics, "--replicate-statistics",
                                         lambda path, _: read_model_statistics(path))
    replicate_midpoints = _by_replicate(files.replicate_midpoints, "--replicate-midpoints",
                                        lambda path, _: read_midpoint_table(path))
    others = [
        (replicate_statistics[replicate], [row for rows in replicate_midpoints[replicate] for row in rows])
        for replicate in range(1, count)
    ]
    midpoint_pairs = None
    if count > 1:
        pairs = _by_replicate(files.midpoint_pairs, "--midpoint-pairs",
                              lambda path, replicate: read_midpoint_pairs(path, f"replicate {replicate}"))
        if sorted(pairs) != list(range(count)):
            raise LatentspaceError(f"--midpoint-pairs: expected replicates 0 to {count - 1}, got {sorted(pairs)}")
        midpoint_pairs = [{entry["latent_dim"]: entry for entry in pairs[replicate]} for replicate in range(count)]
        for dim in midpoint_pairs[0]:
            present = [replicate for replicate in range(count) if dim in midpoint_pairs[replicate]]
            check_pair_counts([midpoint_pairs[replicate][dim] for replicate in present],
                              [f"replicate {replicate}" for replicate in present])
    path_rows = [row for path in files.path_metrics for row in read_path_table(path)]
    midpoint_rows = [row for path in files.midpoints for row in read_midpoint_table(path)]
    summary = build_summary(
        settings.as_record(), read_classifier_metrics(files.classifier_metrics), statistics, midpoint_rows, others, midpoint_pairs
    )
    order = {dim: index for index, dim in enumerate(summary["latent_dims"])}
    by_size = sorted(statistics, key=lambda entry: entry["latent_dim"])
    write_text_atomic(files.models_out, rows_to_csv([model_row(entry) for entry in by_size], MODEL_COLUMNS))
    write_text_atomic(
        files.paths_out, rows_to_csv(sorted(path_rows, key=lambda row: order[row["latent_dim"]]), PATH_COLUMNS)
    )
    write_text_atomic(
        files.midpoints_out,
        rows_to_csv(sorted(midpoint_rows, key=lambda row: order[row["latent_dim"]]), MIDPOINT_COLUMNS),
    )
    write_json_atomic(files.summary_out, summary)
    print(f"study summary of latent sizes {', '.join(map(str, summary['latent_dims']))} written", file=sys.stderr)


def _by_replicate(values: tuple[str, ...], option: str, read) -> dict[int, list]:
    """{replicate: [what read(path, replicate) gives for each of its files]} from REPLICATE=PATH values."""
    by_replicate: dict[int, list] = {}
    for replicate, path_text in parse_named_values(values, option, shape="REPLICATE=PATH"):
        if not replicate.isdigit():
            raise LatentspaceError(f"{option}: expected REPLICATE=PATH with a whole number, got {replicate}={path_text}")
        by_replicate.setdefault(int(replicate), []).append(read(path_text, int(replicate)))
    return by_replicate
