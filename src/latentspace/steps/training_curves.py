"""Plot every model's per-epoch training and test losses into one SVG."""

from __future__ import annotations

from latentspace.errors import LatentspaceError


def add_arguments(parser) -> None:
    parser.add_argument("--history", action="append", required=True, metavar="LATENT_DIM=PATH")
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.training_curves import training_curves_figure
    from latentspace.steps.shared import parse_named_paths
    from latentspace.training import history_from_csv

    histories = {}
    for name, path in parse_named_paths(args.history, "--history").items():
        if not path.is_file():
            raise LatentspaceError(f"{path}: history file not found")
        histories[int(name)] = history_from_csv(path.read_text(encoding="utf-8"))
    save_figure(training_curves_figure(histories), args.output)
