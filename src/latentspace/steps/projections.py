"""F8, F9: the pairwise coordinate projections of a spiral on the unit sphere of R^n (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--n", type=int, required=True, help="dimension of the space (3 for F8, 4 for F9)")
    parser.add_argument("--turns", type=float, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.sphere_spirals import projections_figure
    from latentspace.steps.figure_output import save_figure_of

    save_figure_of(projections_figure, args.output, args.n, args.turns, args.steps)
