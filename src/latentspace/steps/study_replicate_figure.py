"""Each replicate's slerp - lerp midpoint confidence beside the interval across replicates (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--summary", required=True, help="the study's summary JSON")
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_replicates import replicate_midpoint_figure
    from latentspace.study.tables import read_summary

    save_figure(replicate_midpoint_figure(read_summary(args.summary)["replicates"]["figure"]), args.output)
