"""F6: a spiral on the 3-D unit sphere over points drawn uniformly on it (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--turns", type=float, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--uniform-points", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.sphere_spirals import sphere_spiral_3d_figure
    from latentspace.steps.figure_output import save_figure_of

    save_figure_of(sphere_spiral_3d_figure, args.output, args.turns, args.steps, args.uniform_points, args.seed)
