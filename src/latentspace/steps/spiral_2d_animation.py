"""F3: the 2-D spiral decoded by the z = 2 model, beside the prior's density (MP4, WebM, poster PNG)."""

from __future__ import annotations

from latentspace.steps.animation_options import add_video_arguments


def add_arguments(parser) -> None:
    add_video_arguments(parser)
    parser.add_argument("--density-extent", type=float, required=True, help="half-width of the density panel")


def run(args) -> None:
    from latentspace.figures.path_animations import spiral_2d_scene
    from latentspace.steps.animation_options import render_path_animation

    render_path_animation(
        args, lambda decoded: spiral_2d_scene(decoded, args.width_px, args.height_px, args.density_extent)
    )
