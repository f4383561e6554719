"""The KL term of every latent unit, sorted, per latent size (SVG)."""

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
    from latentspace.figures.study_kl_spectrum import kl_spectrum_figure
    from latentspace.study.tables import read_summary

    save_figure(kl_spectrum_figure(read_summary(files.summary)["models"]), files.output)
