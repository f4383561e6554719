"""Latent norms against the sqrt(p) shell, for every model (SVG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP


@dataclass(**GROUP)
class Files:
    summary: str = file_path("the study's summary JSON")
    output: str = file_path("the figure .svg")


def run(settings: None, files: Files) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_norms import latent_norm_figure
    from latentspace.study.tables import read_summary

    save_figure(latent_norm_figure(read_summary(files.summary)["models"]), files.output)
