"""F7: the spiral on the sphere of radius sqrt(n) decoded by a model (MP4, WebM, poster PNG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, FrameSize, VideoSettings


@dataclass(**GROUP)
class Settings(FrameSize, VideoSettings):
    """F7's frame size and the animations' encoding."""


@dataclass(**GROUP)
class Files:
    path: str = file_path("the decoded sphere spiral .npz (from the decode step)")
    output: str = file_path("the H.264 .mp4")
    poster: str = file_path("the poster frame .png")
    webm: str | None = file_path("also write a VP9 .webm of the same frames", default=None)


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.path_animations import render_path_animation, sphere_spiral_scene

    render_path_animation(
        files.path, settings, lambda decoded: sphere_spiral_scene(decoded, settings.width_px, settings.height_px),
        files.output, files.poster, files.webm,
    )  # fmt: skip
