"""The study's figures of each metric against t, one line per method (one SVG per metric)."""

from __future__ import annotations

from latentspace.errors import LatentspaceError


def add_arguments(parser) -> None:
    parser.add_argument("--paths", required=True, help="the gathered path metrics CSV")
    parser.add_argument("--output", action="append", required=True, metavar="METRIC=PATH")


def run(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_paths import path_metric_figure
    from latentspace.steps.shared import parse_named_paths
    from latentspace.study.labels import METRICS
    from latentspace.study.tables import read_path_table

    rows = read_path_table(args.paths)
    for metric, path in parse_named_paths(args.output, "--output").items():
        if metric not in METRICS:
            raise LatentspaceError(f"--output: unknown metric {metric!r}, expected one of {', '.join(METRICS)}")
        save_figure(path_metric_figure(rows, metric), path)
