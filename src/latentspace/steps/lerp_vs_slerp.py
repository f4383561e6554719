"""F10: the chord (lerp) against the arc (slerp) between two points (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, LerpVsSlerpSettings


@dataclass(**GROUP)
class Settings(LerpVsSlerpSettings):
    """F10's section."""


@dataclass(**GROUP)
class Files:
    output: str = file_path("the figure .svg")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.interpolation import lerp_vs_slerp_figure
    from latentspace.figures.rendering import save_figure_of

    save_figure_of(lerp_vs_slerp_figure, files.output, settings.angle_degrees, settings.steps)
