"""F3: the 2-D spiral decoded by the z = 2 model, beside the prior's density (MP4, WebM, poster PNG)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, Spiral2dFrames, VideoSettings


@dataclass(**GROUP)
class Settings(Spiral2dFrames, VideoSettings):
    """F3's frame settings and the animations' encoding."""


@dataclass(**GROUP)
class Files:
    path: str = file_path("the decoded spiral .npz (from the decode step)")
    output: str = file_path("the H.264 .mp4")
    poster: str = file_path("the poster frame .png")
    webm: str | None = file_path("also write a VP9 .webm of the same frames", default=None)


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.path_animations import render_path_animation, spiral_2d_scene

    render_path_animation(
        files.path, settings,
        lambda decoded: spiral_2d_scene(decoded, settings.width_px, settings.height_px, settings.density_extent),
        files.output, files.poster, files.webm,
    )  # fmt: skip
