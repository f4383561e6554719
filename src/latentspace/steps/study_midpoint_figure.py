"""The midpoint gap of every metric against the latent size (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP


@dataclass(**GROUP)
class Files:
    midpoints: str = file_path("the gathered midpoint CSV")
    output: str = file_path("the figure .svg")


def run(settings: None, files: Files) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_midpoints import midpoint_gap_figure
    from latentspace.study.tables import read_midpoint_table

    save_figure(midpoint_gap_figure(read_midpoint_table(files.midpoints)), files.output)
