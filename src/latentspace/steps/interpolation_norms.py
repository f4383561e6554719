"""F12: the norm of the code along lerp and slerp, against the prior's shell (SVG)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("--lerp", required=True, help="decoded lerp path .npz")
    parser.add_argument("--slerp", required=True, help="decoded slerp path .npz")
    parser.add_argument("--curve-steps", type=int, required=True)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.figures.interpolation import interpolation_norms_figure
    from latentspace.paths import load_decoded_path
    from latentspace.steps.figure_output import save_figure_of

    lerp_path, slerp_path = load_decoded_path(args.lerp), load_decoded_path(args.slerp)
    save_figure_of(interpolation_norms_figure, args.output, lerp_path, slerp_path, args.curve_steps)
