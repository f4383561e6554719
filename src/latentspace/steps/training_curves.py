"""Plot every model's per-epoch training and test losses into one SVG."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP


@dataclass(**GROUP)
class Files:
    history: dict[str, str] = file_path("each model's history.csv, by its latent size", metavar="PATH")
    output: str = file_path("the figure .svg")


def run(settings: None, files: Files) -> None:
    from latentspace.errors import LatentspaceError
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.training_curves import training_curves_figure
    from latentspace.files.training_history import load_history

    if not all(name.isdigit() for name in files.history):
        raise LatentspaceError(f"--history: expected LATENT_DIM=PATH, got {', '.join(files.history)}")
    histories = {int(name): load_history(history) for name, history in files.history.items()}
    save_figure(training_curves_figure(histories), files.output)
