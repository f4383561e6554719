"""``python -m latentspace figure NAME ...``: one subcommand per article figure (F1, F3-F12).

Each subcommand reads its inputs (decoded paths, settings), calls the figure's compute
function and writes the files atomically and deterministically. F2 and the training
curves have their own top-level commands (``latent-grid``, ``training-curves``).
Heavy modules (matplotlib, torch) are imported inside the run functions, so building the
parser stays cheap.
"""

from __future__ import annotations

import argparse
import json
import sys

from latentspace.errors import LatentspaceError


def _add_video_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--path", required=True, help="decoded path .npz (from the decode step)")
    parser.add_argument("--width-px", type=int, required=True, help="frame width in pixels (even)")
    parser.add_argument("--height-px", type=int, required=True, help="frame height in pixels (even)")
    parser.add_argument("--fps", type=float, default=25.0, help="frames per second")
    parser.add_argument("--h264-crf", type=int, default=20, help="H.264 quality, 0 (lossless) to 51")
    parser.add_argument("--vp9-crf", type=int, default=34, help="VP9 quality, 0 to 63")
    parser.add_argument("--poster-at", type=float, default=1.0, help="where the poster frame is, 0 to 1")
    parser.add_argument("--output", required=True, help="the H.264 .mp4")
    parser.add_argument("--poster", required=True, help="the poster frame .png")
    parser.add_argument("--webm", default=None, help="also write a VP9 .webm of the same frames")


def _video_settings(args):
    from latentspace.figures.animation import VideoSettings

    return VideoSettings(fps=args.fps, h264_crf=args.h264_crf, vp9_crf=args.vp9_crf, poster_at=args.poster_at)


def _render(args, make_scene) -> None:
    from latentspace.figures.animation import render_animation
    from latentspace.paths import load_decoded_path

    settings = _video_settings(args)
    decoded = load_decoded_path(args.path)
    try:
        scene = make_scene(decoded)
    except ValueError as error:
        raise LatentspaceError(f"{args.path}: {error}") from None
    times = render_animation(scene, settings, args.output, args.poster, args.webm)
    print(times.summary(), file=sys.stderr)


def _save(figure_function, output: str, *settings, **named_settings) -> None:
    """Build a figure and save it, turning a bad setting (ValueError) into a one-line error."""
    from latentspace.figures.rendering import save_figure

    try:
        fig = figure_function(*settings, **named_settings)
    except ValueError as error:
        raise LatentspaceError(str(error)) from None
    save_figure(fig, output)


# --------------------------------------------------------------------------
# One run function per figure
# --------------------------------------------------------------------------


def run_autoencoder(args) -> None:
    from latentspace.figures.autoencoder import autoencoder_figure

    _save(autoencoder_figure, args.output, args.hidden_dims, args.input_dim)


def run_spiral_2d(args) -> None:
    from latentspace.figures.path_animations import spiral_2d_scene

    _render(args, lambda decoded: spiral_2d_scene(decoded, args.width_px, args.height_px, args.density_extent))


def run_ball_volume(args) -> None:
    from latentspace.figures.high_dimensions import ball_volume_figure

    _save(ball_volume_figure, args.output, args.max_dim)


def run_norm_concentration(args) -> None:
    from latentspace.figures.high_dimensions import norm_concentration_figure

    _save(norm_concentration_figure, args.output, args.dims, args.samples, args.seed)


def run_sphere_spiral_3d(args) -> None:
    from latentspace.figures.sphere_spirals import sphere_spiral_3d_figure

    _save(sphere_spiral_3d_figure, args.output, args.turns, args.steps, args.uniform_points, args.seed)


def run_sphere_spiral_animation(args) -> None:
    from latentspace.figures.path_animations import sphere_spiral_scene

    _render(args, lambda decoded: sphere_spiral_scene(decoded, args.width_px, args.height_px))


def run_projections(args) -> None:
    from latentspace.figures.sphere_spirals import projections_figure

    _save(projections_figure, args.output, args.n, args.turns, args.steps)


def run_lerp_vs_slerp(args) -> None:
    from latentspace.figures.interpolation import lerp_vs_slerp_figure

    _save(lerp_vs_slerp_figure, args.output, args.angle_degrees, args.steps)


def _interpolation_pair(args):
    from latentspace.paths import load_decoded_path

    return load_decoded_path(args.lerp), load_decoded_path(args.slerp)


def run_interpolation_mosaic(args) -> None:
    from latentspace.atomic_files import write_text_atomic
    from latentspace.devices import resolve_device
    from latentspace.figures.interpolation import decoded_confidences, interpolation_mosaic, interpolation_summary
    from latentspace.figures.rendering import save_grey_png
    from latentspace.study.classifier import load_classifier

    lerp_path, slerp_path = _interpolation_pair(args)
    classifier = load_classifier(args.classifier, resolve_device(args.device))
    confidences = {"lerp": decoded_confidences(classifier, lerp_path), "slerp": decoded_confidences(classifier, slerp_path)}
    try:
        mosaic = interpolation_mosaic(lerp_path, slerp_path, args.padding_px)
        summary = interpolation_summary(lerp_path, slerp_path, confidences)
    except ValueError as error:
        raise LatentspaceError(f"{args.lerp}, {args.slerp}: {error}") from None
    save_grey_png(mosaic, args.output)
    write_text_atomic(args.summary, json.dumps(summary, indent=2) + "\n")


def run_interpolation_norms(args) -> None:
    from latentspace.figures.interpolation import interpolation_norms_figure

    lerp_path, slerp_path = _interpolation_pair(args)
    _save(interpolation_norms_figure, args.output, lerp_path, slerp_path, args.curve_steps)


# --------------------------------------------------------------------------
# Parsers
# --------------------------------------------------------------------------


def add_figure_commands(commands) -> None:
    """Add ``figure`` and its subcommands to the top-level subparsers ``commands``."""
    figure = commands.add_parser("figure", help="draw one figure of the article (F1, F3-F12)")
    figures = figure.add_subparsers(dest="figure", required=True, metavar="FIGURE")

    parser = figures.add_parser("autoencoder", help="F1: auto-encoder diagram (SVG)")
    parser.add_argument("--hidden-dims", type=int, nargs="+", action="extend", required=True)
    parser.add_argument("--input-dim", type=int, default=784)
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_autoencoder)

    parser = figures.add_parser("spiral-2d", help="F3: 2-D spiral animation (MP4, WebM, poster PNG)")
    _add_video_options(parser)
    parser.add_argument("--density-extent", type=float, default=2.5, help="half-width of the density panel")
    parser.set_defaults(run=run_spiral_2d)

    parser = figures.add_parser("ball-volume", help="F4: unit n-ball volume against n (SVG)")
    parser.add_argument("--max-dim", type=int, default=20)
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_ball_volume)

    parser = figures.add_parser("norm-concentration", help="F5: distribution of ||z|| for several p (SVG)")
    parser.add_argument("--dims", type=int, nargs="+", action="extend", required=True)
    parser.add_argument("--samples", type=int, default=5000, help="sampled norms per p (0: none)")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_norm_concentration)

    parser = figures.add_parser("sphere-spiral-3d", help="F6: spiral on the 3-D sphere over uniform points (SVG)")
    parser.add_argument("--turns", type=float, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--uniform-points", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_sphere_spiral_3d)

    parser = figures.add_parser("sphere-spiral-animation", help="F7: sphere-spiral animation (MP4, WebM, PNG)")
    _add_video_options(parser)
    parser.set_defaults(run=run_sphere_spiral_animation)

    parser = figures.add_parser("projections", help="F8, F9: pairwise projections of a sphere spiral (SVG)")
    parser.add_argument("--n", type=int, required=True, help="dimension of the space (3 for F8, 4 for F9)")
    parser.add_argument("--turns", type=float, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_projections)

    parser = figures.add_parser("lerp-vs-slerp", help="F10: chord against arc (SVG)")
    parser.add_argument("--angle-degrees", type=float, default=90.0)
    parser.add_argument("--steps", type=int, default=9)
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_lerp_vs_slerp)

    parser = figures.add_parser("interpolation-mosaic", help="F11: digits along lerp and slerp (PNG, JSON)")
    parser.add_argument("--lerp", required=True, help="decoded lerp path .npz")
    parser.add_argument("--slerp", required=True, help="decoded slerp path .npz")
    parser.add_argument("--padding-px", type=int, default=2)
    parser.add_argument("--classifier", required=True, help="the study's digit classifier .pt: scores each decoded digit")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output", required=True, help="the mosaic .png")
    parser.add_argument("--summary", required=True, help="the numbers behind F11 and F12 .json")
    parser.set_defaults(run=run_interpolation_mosaic)

    parser = figures.add_parser("interpolation-norms", help="F12: norm along lerp and slerp (SVG)")
    parser.add_argument("--lerp", required=True)
    parser.add_argument("--slerp", required=True)
    parser.add_argument("--curve-steps", type=int, default=200)
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_interpolation_norms)
