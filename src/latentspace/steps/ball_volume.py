"""F4: the volume of the unit n-ball against n (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, BallVolumeSettings


@dataclass(**GROUP)
class Settings(BallVolumeSettings):
    """F4's section."""


@dataclass(**GROUP)
class Files:
    output: str = file_path("the figure .svg")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.high_dimensions import ball_volume_figure
    from latentspace.figures.rendering import save_figure_of

    save_figure_of(ball_volume_figure, files.output, settings.max_dim)
