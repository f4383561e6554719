"""F11: the digits along lerp and slerp between the same two codes (PNG), and their numbers (JSON).

The JSON carries the geometry of the pair (norms, angle, the lerp dip) that the page quotes;
the study scores each digit (the study-pair-scores step).
"""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, MosaicSettings


@dataclass(**GROUP)
class Settings(MosaicSettings):
    """How F11's digits are laid out."""


@dataclass(**GROUP)
class Files:
    lerp: str = file_path("decoded lerp path .npz")
    slerp: str = file_path("decoded slerp path .npz")
    output: str = file_path("the mosaic .png")
    summary: str = file_path("the numbers behind F11 and F12 .json")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.interpolation import interpolation_mosaic, interpolation_summary
    from latentspace.figures.rendering import save_grey_png
    from latentspace.files.atomic import write_json_atomic
    from latentspace.model.latent_paths import load_decoded_path

    lerp_path, slerp_path = load_decoded_path(files.lerp), load_decoded_path(files.slerp)
    try:
        mosaic = interpolation_mosaic(lerp_path, slerp_path, settings.padding_px)
        summary = interpolation_summary(lerp_path, slerp_path)
    except ValueError as error:
        raise LatentspaceError(f"{files.lerp}, {files.slerp}: {error}") from None
    save_grey_png(mosaic, files.output)
    write_json_atomic(files.summary, summary)
