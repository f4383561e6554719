"""Frames per second of the F3 animation at its configured size, and where the time goes.

    python benchmarks/animation_fps.py [--model results/models/z2/model.pt] [--cores 2] [--repeats 3]

Takes the F3 settings (frames, frame size, density extent) and the animation encoding from
config.yaml, decodes the spiral once, then times, on ``--cores`` CPU cores (ffmpeg included):

* redraw: updating the artists and redrawing the whole figure every frame (no blitting);
* blit: updating the artists and redrawing only them over a cached background (what the
  pipeline does), frames kept in memory;
* encode: the blitted frames, already rendered, into H.264 alone, then into H.264 + VP9;
* pipeline: render_animation end to end (blit into both encoders, poster PNG), the F3 rule's work.

The target is at least 25 frames per second end to end on a 2-core CPU. Without --model an
untrained model of the configured widths is used (rendering speed does not depend on weights).
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from latentspace.model.model_files import load_model
from latentspace.settings.declared import VideoSettings
from latentspace.figures.animation import (
    RenderTimes,
    blit_frames,
    ffmpeg_encoders,
    render_animation,
    write_animation,
)
from latentspace.figures.path_animations import spiral_2d_scene
from latentspace.figures.rendering import plt
from latentspace.model.vae import VAEConfig
from latentspace.model.latent_paths import build_path, decode_path
from latentspace.training.loop import build_model

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_FPS = 25


def best_of(repeats: int, run) -> float:
    """The shortest of ``repeats`` timings of ``run()``, in seconds."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO_ROOT / "config.yaml"))
    parser.add_argument("--model", default=None, help="a trained z = 2 model (default: untrained)")
    parser.add_argument("--cores", type=int, default=2, help="CPU cores to run on (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    if args.cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[: args.cores]))  # ffmpeg inherits it
    torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    config = yaml.safe_load(Path(args.config).read_text())
    figure = config["figures"]["spiral_2d"]
    animation = config["animation"]
    settings = VideoSettings(fps=animation["fps"], h264_crf=animation["h264_crf"], vp9_crf=animation["vp9_crf"], poster_at=animation["poster_at"])
    width, height, frames = figure["width_px"], figure["height_px"], figure["frames"]
    if args.model:
        model = load_model(args.model)
    else:
        model = build_model(VAEConfig(2, tuple(config["model"]["hidden_dims"])), 0, torch.device("cpu"))
    decoded = decode_path(model, build_path("spiral_2d", 2, frames, t_max=figure["t_max_over_pi"] * math.pi))
    webm = animation["webm"] and "libvpx-vp9" in ffmpeg_encoders()

    def scene():
        return spiral_2d_scene(decoded, width, height, figure["density_extent"])

    def redraw_every_frame():
        current = scene()
        for index in range(frames):
            current.update(index)
            current.fig.canvas.draw()
            np.asarray(current.fig.canvas.buffer_rgba())
        plt.close(current.fig)

    rendered = []

    def blit_only():
        current = scene()
        rendered[:] = [np.array(frame) for frame in blit_frames(current.fig, current.animated, current.update, frames)]
        plt.close(current.fig)

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)

        def encode(with_webm):
            write_animation(iter(rendered), frames, settings, folder / "e.mp4", folder / "e.png",
                            folder / "e.webm" if with_webm else None)

        stages = {}
        stages["redraw (render only)"] = best_of(args.repeats, redraw_every_frame)
        stages["blit (render only)"] = best_of(args.repeats, blit_only)
        stages["encode H.264 only"] = best_of(args.repeats, lambda: encode(False))
        if webm:
            stages["encode H.264 + VP9"] = best_of(args.repeats, lambda: encode(True))
        split = []

        def pipeline():
            split.append(render_animation(scene(), settings, folder / "f3.mp4", folder / "f3.png",
                                          folder / "f3.webm" if webm else None))

        stages["pipeline: blit into encoders"] = best_of(args.repeats, pipeline)
        fastest: RenderTimes = min(split, key=lambda times: times.total_s)

    print(f"F3 at {width}x{height} px, {frames} frames, {settings.fps:g} fps, WebM {'on' if webm else 'off'}, "
          f"on {len(os.sched_getaffinity(0))} CPU core(s); best of {args.repeats}")
    for name, seconds in stages.items():
        print(f"  {name:<30} {seconds:6.2f} s  {frames / seconds:7.1f} frames/s")
    print(f"  pipeline split: {fastest.summary()}")
    achieved = frames / stages["pipeline: blit into encoders"]
    verdict = "meets" if achieved >= TARGET_FPS else "MISSES"
    print(f"end to end {achieved:.1f} frames/s: {verdict} the target of {TARGET_FPS} frames/s")


if __name__ == "__main__":
    main()
