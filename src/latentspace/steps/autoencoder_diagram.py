"""F1: the auto-encoder diagram, drawn from the model's layer widths (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--hidden-dims", type=int, nargs="+", action="extend", required=True)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.autoencoder import autoencoder_figure
    from latentspace.steps.figure_output import save_figure_of

    save_figure_of(autoencoder_figure, args.output, args.hidden_dims)
