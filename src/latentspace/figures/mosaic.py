"""Digit mosaics: a grid of images tiled into one array (F2, F11), with numpy alone."""

from __future__ import annotations

import numpy as np


def tile_images(images: np.ndarray, padding: int = 0, fill: float = 1.0) -> np.ndarray:
    """Images (R, C, H, W) -> one mosaic (R H + (R-1) p, C W + (C-1) p), row-major."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"images: expected shape (rows, cols, height, width), got {images.shape}")
    rows, cols, height, width = images.shape
    mosaic = np.full(
        (rows * height + (rows - 1) * padding, cols * width + (cols - 1) * padding), fill, dtype=images.dtype
    )
    for row in range(rows):
        for col in range(cols):
            top, left = row * (height + padding), col * (width + padding)
            mosaic[top : top + height, left : left + width] = images[row, col]
    return mosaic
