"""F6: a spiral on the 3-D unit sphere over points drawn uniformly on it (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, Seeded, SphereSpiral3dSection


@dataclass(**GROUP)
class Settings(SphereSpiral3dSection, Seeded):
    """F6's section, and the seed of its uniform points."""


@dataclass(**GROUP)
class Files:
    output: str = file_path("the figure .svg")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.rendering import save_figure_of
    from latentspace.figures.sphere_spirals import sphere_spiral_3d_figure

    save_figure_of(sphere_spiral_3d_figure, files.output, settings.turns, settings.steps, settings.uniform_points,
                   settings.seed)
