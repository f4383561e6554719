"""Greyscale PNG files of digit mosaics, without matplotlib (imageio writes them)."""

from __future__ import annotations

import os

import imageio.v3 as iio

from latentspace.files.atomic import atomic_path


def save_grey_png(image, path: str | os.PathLike) -> None:
    """Write a uint8 (H, W) array as a greyscale PNG (no timestamp chunk)."""
    with atomic_path(path) as tmp:
        iio.imwrite(tmp, image, extension=".png")
