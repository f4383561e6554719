"""F2: decode a regular grid over [-extent, extent]^2 with the 2-D model and tile the digits."""

from __future__ import annotations

import numpy as np

from latentspace.model.decoding import decode_latents, to_uint8
from latentspace.figures.mosaic import tile_images
from latentspace.model.geometry import latent_grid
from latentspace.model.vae import VAE


def latent_grid_mosaic(model: VAE, extent: float, steps: int) -> np.ndarray:
    """A uint8 mosaic of steps x steps decoded digits, +y at the top, +x to the right."""
    if model.config.latent_dim != 2:
        raise ValueError(f"model: the latent grid needs a 2-D latent space, this model has {model.config.latent_dim}")
    grid = latent_grid(extent, steps)  # (steps, steps, 2)
    decoded = decode_latents(model, grid.reshape(-1, 2), batch_size=steps * steps)  # one forward pass
    return tile_images(to_uint8(decoded.reshape(steps, steps, 28, 28)))
