"""F2: decode a regular grid over [-extent, extent]^2 with the 2-D model and tile the digits.

The mosaic is drawn on axes (z1 across, z2 up, ticks at whole coordinates) so that a reader
can check which direction of the plane carries what. Each pixel of a decoded digit is
MOSAIC_SCALE x MOSAIC_SCALE pixels of the PNG, and the page shows the figure at
1 / MOSAIC_SCALE of its pixel size: a digit's pixel is one CSS pixel, as in the bare mosaic,
while the axes' text stays sharp on a high-density screen.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from latentspace.figures.rendering import save_figure
from latentspace.figures import style  # noqa: F401  (the figures' rc settings)
from latentspace.model.decoding import decode_latents, to_uint8
from latentspace.figures.mosaic import tile_images
from latentspace.model.geometry import latent_grid
from latentspace.model.vae import VAE

# PNG pixels per pixel of the mosaic; the page divides the figure's size by it.
MOSAIC_SCALE = 2
# Room around the mosaic for the ticks and labels, in pixels of the mosaic (left, bottom, right, top).
MARGINS_PX = (52, 48, 14, 12)
# Matplotlib's 100 dots per inch at scale 1: a 10 pt label is as large as on the other figures.
BASE_DPI = 100


def latent_grid_mosaic(model: VAE, extent: float, steps: int) -> np.ndarray:
    """A uint8 mosaic of steps x steps decoded digits, +y at the top, +x to the right."""
    if model.config.latent_dim != 2:
        raise ValueError(f"model: the latent grid needs a 2-D latent space, this model has {model.config.latent_dim}")
    grid = latent_grid(extent, steps)  # (steps, steps, 2)
    decoded = decode_latents(model, grid.reshape(-1, 2), batch_size=steps * steps)  # one forward pass
    return tile_images(to_uint8(decoded.reshape(steps, steps, 28, 28)))


def tile_half_width(extent: float, steps: int) -> float:
    """Half the spacing of the grid's codes: each tile spans its code plus and minus this, per axis."""
    return extent / (steps - 1)


def latent_grid_figure(mosaic: np.ndarray, extent: float, steps: int) -> "plt.Figure":
    """The mosaic (H, W) uint8 on axes z1 (across) and z2 (up), each tile centred on its code.

    The axes cover the mosaic pixel for pixel: the figure is (W + margins) x (H + margins)
    pixels at BASE_DPI, saved at MOSAIC_SCALE x BASE_DPI, so that every mosaic pixel is a
    whole MOSAIC_SCALE x MOSAIC_SCALE block of the PNG when saved by :func:`save_latent_grid_figure`.
    """
    height, width = mosaic.shape
    left, bottom, right, top = MARGINS_PX
    figure_width, figure_height = width + left + right, height + bottom + top
    fig = plt.figure(figsize=(figure_width / BASE_DPI, figure_height / BASE_DPI), dpi=BASE_DPI)
    ax = fig.add_axes((left / figure_width, bottom / figure_height, width / figure_width, height / figure_height))
    half = tile_half_width(extent, steps)
    # Grey levels as RGB bytes: a colormap's float round trip would move some levels by one.
    ax.imshow(np.repeat(mosaic[:, :, None], 3, axis=2), interpolation="nearest", origin="upper",
              extent=(-extent - half, extent + half, -extent - half, extent + half), aspect="auto")
    for spine in ax.spines.values():
        spine.set_position(("outward", 3))  # beside the mosaic, not over its outer pixels
    ticks = np.arange(math.ceil(-extent), math.floor(extent) + 1)
    if len(ticks) < 3:  # a small extent: its ends and the origin
        ticks = np.array([-extent, 0.0, extent])
    labels = [f"{tick:g}".replace("-", "\u2212") for tick in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    ax.tick_params(direction="out", length=4, labelsize=9)
    ax.set_xlabel("$z_1$", labelpad=2)
    ax.set_ylabel("$z_2$", labelpad=4, rotation=0, verticalalignment="center")
    return fig


def save_latent_grid_figure(fig: "plt.Figure", path) -> None:
    """Save F2 as a PNG at MOSAIC_SCALE x BASE_DPI, uncropped (a crop would shift the mosaic off
    the pixel grid), with the reproducible bytes of ``rendering.save_figure``; then close it."""
    with plt.rc_context({"savefig.bbox": "standard", "savefig.dpi": MOSAIC_SCALE * BASE_DPI}):
        save_figure(fig, path)
