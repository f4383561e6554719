"""F7: the spiral on the sphere of radius sqrt(n) decoded by a model (MP4, WebM, poster PNG)."""

from __future__ import annotations

from latentspace.steps.animation_options import add_video_arguments


def add_arguments(parser) -> None:
    add_video_arguments(parser)


def run(args) -> None:
    from latentspace.figures.path_animations import sphere_spiral_scene
    from latentspace.steps.animation_options import render_path_animation

    render_path_animation(args, lambda decoded: sphere_spiral_scene(decoded, args.width_px, args.height_px))
