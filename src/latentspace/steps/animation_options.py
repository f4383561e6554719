"""The options and rendering shared by the animation steps (F3, F7). Not a step itself."""

from __future__ import annotations

import argparse

from latentspace.errors import LatentspaceError


def add_video_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of an animation step: its decoded path, frame size, encoding and outputs."""
    parser.add_argument("--path", required=True, help="decoded path .npz (from the decode step)")
    parser.add_argument("--width-px", type=int, required=True, help="frame width in pixels (even)")
    parser.add_argument("--height-px", type=int, required=True, help="frame height in pixels (even)")
    parser.add_argument("--fps", type=float, required=True, help="frames per second")
    parser.add_argument("--h264-crf", type=int, required=True, help="H.264 quality, 0 (lossless) to 51")
    parser.add_argument("--vp9-crf", type=int, required=True, help="VP9 quality, 0 to 63")
    parser.add_argument("--poster-at", type=float, required=True, help="where the poster frame is, 0 to 1")
    parser.add_argument("--output", required=True, help="the H.264 .mp4")
    parser.add_argument("--poster", required=True, help="the poster frame .png")
    parser.add_argument("--webm", default=None, help="also write a VP9 .webm of the same frames")


def render_path_animation(args, make_scene) -> None:
    """Animate a decoded path: ``make_scene(decoded)`` builds the scene from the .npz of ``args.path``."""
    import sys

    from latentspace.figures.animation import VideoSettings, render_animation
    from latentspace.paths import load_decoded_path

    settings = VideoSettings(fps=args.fps, h264_crf=args.h264_crf, vp9_crf=args.vp9_crf, poster_at=args.poster_at)
    decoded = load_decoded_path(args.path)
    try:
        scene = make_scene(decoded)
    except ValueError as error:
        raise LatentspaceError(f"{args.path}: {error}") from None
    times = render_animation(scene, settings, args.output, args.poster, args.webm)
    print(times.summary(), file=sys.stderr)
