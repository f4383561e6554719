"""Save trained models with the hyper-parameters needed to rebuild them; load them safely.

A model file holds plain tensors, numbers and strings only, so it loads with
``torch.load(..., weights_only=True)``: no pickled code runs when a file is read.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from latentspace.atomic_files import atomic_path
from latentspace.errors import LatentspaceError
from latentspace.model import VAE, VAEConfig

FORMAT_VERSION = 1


def save_model(path: str | os.PathLike, model: VAE) -> None:
    state = {key: value.detach().cpu() for key, value in model.state_dict().items()}
    payload = {"format_version": FORMAT_VERSION, "config": model.config.to_dict(), "state_dict": state}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def load_model(path: str | os.PathLike, device: torch.device | str = "cpu") -> VAE:
    path = Path(path)
    if not path.is_file():
        raise LatentspaceError(f"{path}: model file not found (run the train step first)")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
        model = VAE(VAEConfig.from_dict(payload["config"]))
        model.load_state_dict(payload["state_dict"])
    except (KeyError, RuntimeError, TypeError, ValueError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise LatentspaceError(f"{path}: not a latentspace model file ({first_line})") from None
    return model.to(device).eval()
