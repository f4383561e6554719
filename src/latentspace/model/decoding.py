"""Run a trained VAE on arrays, in batches, on any device: images to their posteriors
(the encoder) and latent points to images (the decoder)."""

from __future__ import annotations

import numpy as np
import torch

from latentspace.files.images import IMAGE_PIXELS, IMAGE_SHAPE
from latentspace.model.vae import VAE

# Images per encoder pass in encode_posteriors.
ENCODE_BATCH_SIZE = 1024


@torch.no_grad()
def encode_posteriors(model: VAE, x: torch.Tensor, batch_size: int = ENCODE_BATCH_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means and log-variances (N, D) of images ``x`` (N, 784), as float64 numpy arrays.

    Each batch goes to the model's device and its results come back to the CPU, so ``x``
    may live anywhere. The encoder computes in float32; widening to float64 is exact.
    """
    device = next(model.parameters()).device
    model.eval()
    means, logvars = [], []
    for start in range(0, len(x), batch_size):
        mean, logvar = model.encode(x[start : start + batch_size].to(device))  # (B, D) each
        means.append(mean.cpu())
        logvars.append(logvar.cpu())
    return torch.cat(means).double().numpy(), torch.cat(logvars).double().numpy()


@torch.no_grad()
def decode_latents(model: VAE, latents: np.ndarray, batch_size: int = 4096) -> np.ndarray:
    """Latents (N, D) -> decoded intensities (N, 28, 28) as float32 in [0, 1].

    A few thousand points go through in a single forward pass; results are moved to the
    CPU before conversion, so the model may live on cuda or mps.
    """
    latents = np.asarray(latents, dtype=np.float32)
    if latents.ndim != 2 or latents.shape[1] != model.config.latent_dim:
        raise ValueError(
            f"latents: expected shape (N, {model.config.latent_dim}) for this model, got {latents.shape}"
        )
    device = next(model.parameters()).device
    model.eval()
    decoded = [
        model.decode(torch.from_numpy(latents[start : start + batch_size]).to(device)).cpu()
        for start in range(0, len(latents), batch_size)
    ]
    images = torch.cat(decoded) if decoded else torch.empty(0, IMAGE_PIXELS)
    return images.numpy().reshape(-1, *IMAGE_SHAPE)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Intensities in [0, 1] -> uint8 grey levels."""
    return np.clip(np.rint(np.asarray(images) * 255.0), 0, 255).astype(np.uint8)
