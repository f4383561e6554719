"""Plot every model's per-epoch training and test losses into one SVG."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--history", action="append", required=True, metavar="LATENT_DIM=PATH")
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.training_curves import training_curves_figure
    from latentspace.steps.shared import parse_named_paths
    from latentspace.training_records import load_history

    named = parse_named_paths(args.history, "--history")
    histories = {int(name): load_history(path) for name, path in named.items()}
    save_figure(training_curves_figure(histories), args.output)
