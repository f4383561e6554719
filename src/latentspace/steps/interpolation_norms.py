"""F12: the norm of the code along lerp and slerp, against the prior's shell (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, InterpolationNormsSettings


@dataclass(**GROUP)
class Settings(InterpolationNormsSettings):
    """F12's section."""


@dataclass(**GROUP)
class Files:
    lerp: str = file_path("decoded lerp path .npz")
    slerp: str = file_path("decoded slerp path .npz")
    output: str = file_path("the figure .svg")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.interpolation import interpolation_norms_figure
    from latentspace.figures.rendering import save_figure_of
    from latentspace.model.latent_paths import load_decoded_path

    lerp_path, slerp_path = load_decoded_path(files.lerp), load_decoded_path(files.slerp)
    save_figure_of(interpolation_norms_figure, files.output, lerp_path, slerp_path, settings.curve_steps)
