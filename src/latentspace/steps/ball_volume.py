"""F4: the volume of the unit n-ball against n (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--max-dim", type=int, required=True)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.high_dimensions import ball_volume_figure
    from latentspace.steps.figure_output import save_figure_of

    save_figure_of(ball_volume_figure, args.output, args.max_dim)
