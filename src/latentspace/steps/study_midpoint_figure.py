"""The midpoint gap of every metric against the latent size (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--midpoints", required=True, help="the gathered midpoint CSV")
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_midpoints import midpoint_gap_figure
    from latentspace.study.tables import read_midpoint_table

    save_figure(midpoint_gap_figure(read_midpoint_table(args.midpoints)), args.output)
