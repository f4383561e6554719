"""The study's figures of each metric against t, one line per method (one SVG per metric)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP


@dataclass(**GROUP)
class Files:
    path_metrics: str = file_path("the gathered path metrics CSV")
    output: dict[str, str] = file_path("the figure .svg of each metric", metavar="PATH")


def run(settings: None, files: Files) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_paths import path_metric_figure
    from latentspace.study.labels import METRICS
    from latentspace.study.tables import read_path_table

    unknown = [metric for metric in files.output if metric not in METRICS]
    if unknown:
        raise LatentspaceError(f"--output: unknown metric {unknown[0]!r}, expected one of {', '.join(METRICS)}")
    rows = read_path_table(files.path_metrics)
    for metric, figure in files.output.items():
        save_figure(path_metric_figure(rows, metric), figure)
