"""F8, F9: the pairwise coordinate projections of a spiral on the unit sphere of R^n (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declaring import REQUIRED, setting
from latentspace.settings.declared import GROUP, SpiralOnSphere


@dataclass(**GROUP)
class Settings(SpiralOnSphere):
    """The spiral's shape (F6's for F8, F9's own for F9) and the dimension the rule draws it in."""

    n: int = setting(REQUIRED, minimum=3, description="Dimension of the space: 3 for F8, 4 for F9.")


@dataclass(**GROUP)
class Files:
    output: str = file_path("the figure .svg")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.rendering import save_figure_of
    from latentspace.figures.sphere_spirals import projections_figure

    save_figure_of(projections_figure, files.output, settings.n, settings.turns, settings.steps)
