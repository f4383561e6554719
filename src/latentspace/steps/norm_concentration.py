"""F5: the distribution of ||z|| for z ~ N(0, I_p), for several p (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, NormConcentrationSettings, Seeded


@dataclass(**GROUP)
class Settings(NormConcentrationSettings, Seeded):
    """F5's section, and the seed of its draws."""


@dataclass(**GROUP)
class Files:
    output: str = file_path("the figure .svg")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.high_dimensions import norm_concentration_figure
    from latentspace.figures.rendering import save_figure_of

    save_figure_of(norm_concentration_figure, files.output, list(settings.dims), settings.samples, settings.seed)
