"""F1: the auto-encoder diagram, drawn from the model's layer widths (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, ModelSettings


@dataclass(**GROUP)
class Settings(ModelSettings):
    """The model's layer widths."""


@dataclass(**GROUP)
class Files:
    output: str = file_path("the diagram .svg")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.autoencoder import autoencoder_figure
    from latentspace.figures.rendering import save_figure_of

    save_figure_of(autoencoder_figure, files.output, list(settings.hidden_dims))
