"""The digits decoded along lerp, slerp and the geodesic for the same pairs, per latent size (PNG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP


@dataclass(**GROUP)
class Files:
    examples: tuple[str, ...] = file_path("the geodesic examples .npz of each latent size to draw, in order (study-geodesic)")
    output: str = file_path("the figure .png")


def run(settings: None, files: Files) -> None:
    from latentspace.errors import LatentspaceError
    from latentspace.figures.geodesic_figures import digits_figure
    from latentspace.figures.rendering import save_figure
    from latentspace.study.geodesic_tables import read_geodesic_examples

    examples = [read_geodesic_examples(path) for path in files.examples]
    try:
        figure = digits_figure(examples)
    except ValueError as error:
        raise LatentspaceError(f"--examples: {error}") from None
    save_figure(figure, files.output)
