"""F5: the distribution of ||z|| for z ~ N(0, I_p), for several p (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--dims", type=int, nargs="+", action="extend", required=True)
    parser.add_argument("--samples", type=int, required=True, help="sampled norms per p (0: none)")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.high_dimensions import norm_concentration_figure
    from latentspace.steps.figure_output import save_figure_of

    save_figure_of(norm_concentration_figure, args.output, args.dims, args.samples, args.seed)
