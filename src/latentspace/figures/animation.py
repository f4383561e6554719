"""Render an animation from one matplotlib figure and encode it as H.264 MP4 (and VP9 WebM).

Frames come from a single figure whose moving artists are updated in place: the static
part is drawn once and cached, and each frame restores that background and redraws only
the animated artists (blitting), then hands the canvas' RGBA buffer to the encoders. No
figure is built per frame and no tight bounding box is computed per frame.

The encoders are ffmpeg processes driven through imageio's FFMPEG plugin (imageio-ffmpeg):
H.264 in an MP4 (yuv420p, even frame size, moov atom first for streaming), and optionally
VP9 in a WebM for browsers without H.264 (some Chromium builds). One poster frame is saved
as a PNG for the page to show before the video plays.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import imageio.v2 as imageio_v2
import imageio.v3 as iio
import numpy as np

from latentspace.files.atomic import atomic_path
from latentspace.errors import LatentspaceError
from latentspace.figures.rendering import plt
from latentspace.settings.declared import VideoSettings

FRAME_DPI = 100  # frame size in pixels = figure size in inches x FRAME_DPI


def poster_index(settings: VideoSettings, frame_count: int) -> int:
    """The frame the poster is taken from."""
    return int(round(settings.poster_at * (frame_count - 1)))


# Blitting draws the moving artists after everything static (spines, legends, ticks); a
# scene gives them a zorder above all of those, so that a full redraw looks the same.
ANIMATED_ZORDER = 10


@dataclass(frozen=True)
class Scene:
    """One animation: a figure, the artists that move, and how to move them to frame i."""

    fig: "plt.Figure"
    animated: Sequence
    update: Callable[[int], None]
    frame_count: int

    def __post_init__(self):
        for artist in self.animated:
            artist.set_zorder(ANIMATED_ZORDER)


@dataclass
class RenderTimes:
    """Where the time of one animation went, in seconds."""

    frames: int = 0
    setup_s: float = 0.0         # building the figure and drawing its static background
    draw_s: float = 0.0          # updating artists, restoring the background, blitting
    encode_s: float = 0.0        # handing frames to the encoders and waiting for them to finish
    extra: dict = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return self.setup_s + self.draw_s + self.encode_s

    def summary(self) -> str:
        fps = self.frames / self.total_s if self.total_s else float("inf")
        return (f"{self.frames} frames in {self.total_s:.2f} s ({fps:.1f} frames/s): setup {self.setup_s:.2f} s, "
                f"draw {self.draw_s:.2f} s, encode {self.encode_s:.2f} s")


# The frame size the animations' layouts are drawn for; other sizes scale the text with them.
REFERENCE_FRAME_PX = (960, 320)
BASE_FONT_SIZE_PT = plt.rcParams["font.size"]  # as set by latentspace.figures.rendering


@contextlib.contextmanager
def text_scaled_to_frame(width_px: int, height_px: int) -> Iterator[None]:
    """Within it, new text is sized for a width_px x height_px frame (10 pt at 960 x 320)."""
    scale = min(width_px / REFERENCE_FRAME_PX[0], height_px / REFERENCE_FRAME_PX[1])
    with plt.rc_context({"font.size": BASE_FONT_SIZE_PT * scale}):
        yield


def animation_figure(width_px: int, height_px: int) -> "plt.Figure":
    """An empty figure whose canvas is exactly width_px x height_px (both even, for yuv420p)."""
    for name, value in (("width_px", width_px), ("height_px", height_px)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 16 or value % 2:
            raise LatentspaceError(f"{name}: expected an even number of pixels >= 16, got {value!r}")
    return plt.figure(figsize=(width_px / FRAME_DPI, height_px / FRAME_DPI), dpi=FRAME_DPI)


def blit_frames(
    fig: "plt.Figure",
    animated: Sequence,
    update: Callable[[int], None],
    frame_count: int,
    times: RenderTimes | None = None,
) -> Iterator[np.ndarray]:
    """Yield ``frame_count`` RGBA frames (H, W, 4) uint8 of ``fig``.

    ``update(index)`` moves the ``animated`` artists to frame ``index``; everything else
    is drawn once. Each yielded array is a view of the canvas buffer, valid until the
    next frame is requested (copy it to keep it).
    """
    times = times if times is not None else RenderTimes()
    start = time.perf_counter()
    for artist in animated:
        artist.set_animated(True)
    canvas = fig.canvas
    canvas.draw()                                           # static parts and the layout, once
    background = canvas.copy_from_bbox(fig.bbox)
    times.setup_s += time.perf_counter() - start
    for index in range(frame_count):
        start = time.perf_counter()
        canvas.restore_region(background)
        update(index)
        for artist in animated:
            fig.draw_artist(artist)
        frame = np.asarray(canvas.buffer_rgba())            # (H, W, 4), no copy
        times.draw_s += time.perf_counter() - start
        times.frames += 1
        yield frame


@functools.cache
def ffmpeg_encoders() -> frozenset[str]:
    """Names of the video encoders of the ffmpeg that imageio-ffmpeg uses."""
    import imageio_ffmpeg

    executable = imageio_ffmpeg.get_ffmpeg_exe()
    listing = subprocess.run([executable, "-hide_banner", "-encoders"], capture_output=True, text=True, check=False)
    names = set()
    for line in listing.stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].startswith("V") and len(words[0]) == 6:
            names.add(words[1])
    return frozenset(names)


def _require_encoder(name: str, setting: str) -> None:
    if name not in ffmpeg_encoders():
        import imageio_ffmpeg

        raise LatentspaceError(
            f"ffmpeg ({imageio_ffmpeg.get_ffmpeg_exe()}) has no {name} encoder: install an ffmpeg with it "
            f"(IMAGEIO_FFMPEG_EXE) or {setting}"
        )


def _h264_writer(path, fps: float, crf: int):
    """An imageio writer of H.264 MP4: yuv420p, +faststart, no dates or tool versions."""
    _require_encoder("libx264", "use a bundled imageio-ffmpeg")
    return imageio_v2.get_writer(
        path, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
        quality=None, macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-crf", str(crf), "-preset", "medium", "-movflags", "+faststart",
                       "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"],
    )


def _vp9_writer(path, fps: float, crf: int):
    """An imageio writer of VP9 WebM in constant-quality mode.

    libvpx's realtime mode at its fastest speed encodes F3 about nine times faster than its
    "good" mode at speed 5 (0.28 s against 2.5 s for 150 frames of 960 x 320), at a similar
    PSNR (45.8 against 46.7 dB) and half again as many bytes (217 against 144 kB).
    """
    _require_encoder("libvpx-vp9", "set animation.webm: false")
    return imageio_v2.get_writer(
        path, format="FFMPEG", mode="I", fps=fps, codec="libvpx-vp9", pixelformat="yuv420p",
        quality=None, macro_block_size=2, ffmpeg_log_level="error",
        output_params=["-crf", str(crf), "-b:v", "0", "-deadline", "realtime", "-cpu-used", "8",
                       "-row-mt", "1", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact"],
    )


def write_animation(
    frames: Iterable[np.ndarray],
    frame_count: int,
    settings: VideoSettings,
    mp4_path: str | os.PathLike,
    poster_path: str | os.PathLike,
    webm_path: str | os.PathLike | None = None,
    times: RenderTimes | None = None,
) -> RenderTimes:
    """Encode ``frames`` (each (H, W, 3|4) uint8) into the MP4, the optional WebM and the poster PNG.

    Every file is written under a temporary name; all are renamed together once complete.
    """
    times = times if times is not None else RenderTimes()
    poster_frame = poster_index(settings, frame_count)
    poster = None
    written = 0
    with contextlib.ExitStack() as files:
        mp4_tmp = files.enter_context(atomic_path(mp4_path))
        mp4_writer = _h264_writer(mp4_tmp, settings.fps, settings.h264_crf)
        writers = [files.enter_context(contextlib.closing(mp4_writer))]
        if webm_path is not None:
            webm_tmp = files.enter_context(atomic_path(webm_path))
            webm_writer = _vp9_writer(webm_tmp, settings.fps, settings.vp9_crf)
            writers.append(files.enter_context(contextlib.closing(webm_writer)))
        poster_tmp = files.enter_context(atomic_path(poster_path))
        for frame in frames:
            start = time.perf_counter()
            if written == poster_frame:
                poster = np.array(frame[..., :3])           # (H, W, 3), a copy
            for writer in writers:
                writer.append_data(frame)
            written += 1
            times.encode_s += time.perf_counter() - start
        if written != frame_count:
            raise LatentspaceError(f"animation: expected {frame_count} frames, got {written}")
        start = time.perf_counter()
        for writer in writers:
            writer.close()                                  # waits for ffmpeg to finish its file
        times.encode_s += time.perf_counter() - start
        iio.imwrite(poster_tmp, poster, extension=".png")
    return times


def render_animation(
    scene: Scene,
    settings: VideoSettings,
    mp4_path: str | os.PathLike,
    poster_path: str | os.PathLike,
    webm_path: str | os.PathLike | None = None,
) -> RenderTimes:
    """Blit every frame of ``scene`` straight into the encoders, then close its figure."""
    if scene.frame_count < 1:
        raise LatentspaceError(f"animation: expected at least one frame, got {scene.frame_count}")
    times = RenderTimes()
    try:
        frames = blit_frames(scene.fig, scene.animated, scene.update, scene.frame_count, times)
        write_animation(frames, scene.frame_count, settings, mp4_path, poster_path, webm_path, times)
    finally:
        plt.close(scene.fig)
    return times
