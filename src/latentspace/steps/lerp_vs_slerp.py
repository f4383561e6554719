"""F10: the chord (lerp) against the arc (slerp) between two points (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--angle-degrees", type=float, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.interpolation import lerp_vs_slerp_figure
    from latentspace.steps.figure_output import save_figure_of

    save_figure_of(lerp_vs_slerp_figure, args.output, args.angle_degrees, args.steps)
