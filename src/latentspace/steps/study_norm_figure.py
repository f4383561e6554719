"""Latent norms against the sqrt(p) shell, and the KL per dimension, for every model (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--summary", required=True, help="the study's summary JSON")
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.study_norms import latent_norm_figure
    from latentspace.study.tables import read_summary

    save_figure(latent_norm_figure(read_summary(args.summary)["models"]), args.output)
