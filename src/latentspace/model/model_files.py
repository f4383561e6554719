"""Model files: a trained VAE's weights with the hyper-parameters needed to rebuild it.

A model file (``save_model``/``load_model``) holds plain tensors, numbers, strings, lists
and dicts only, so that it loads with ``torch.load(..., weights_only=True)``: no pickled
code runs when a file is read. Every step that uses a trained model reads it here; only
training writes one. Training checkpoints are ``latentspace.training.checkpoints``.
"""

from __future__ import annotations

import io
import os

import torch

from latentspace.files.reading import checked_contents, read_torch_payload
from latentspace.files.atomic import write_bytes_atomic
from latentspace.model.vae import VAE, VAEConfig

FORMAT_VERSION = 1
MODEL_FILE = "a latentspace model file"


def cpu_state_dict(module: torch.nn.Module) -> dict:
    """The module's tensors, detached and on the CPU, ready to save from any device."""
    return {key: value.detach().cpu() for key, value in module.state_dict().items()}


def save_torch_payload(payload: dict, path: str | os.PathLike) -> None:
    """torch.save into memory, then the bytes under a temporary name, then rename.

    Saved into a buffer, not to a file name: given a name, torch.save records it inside the
    archive, and the random temporary name would make every file differ. And a full disk
    then fails our own write, which knows the file's size, not torch's zip writer, which
    reports it as "unexpected pos" in a traceback.
    """
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes_atomic(path, buffer.getvalue())


def save_model(path: str | os.PathLike, model: VAE) -> None:
    payload = {"format_version": FORMAT_VERSION, "config": model.config.to_dict(), "state_dict": cpu_state_dict(model)}
    save_torch_payload(payload, path)


def load_model(path: str | os.PathLike, device: torch.device | str = "cpu") -> VAE:
    payload = read_torch_payload(path, MODEL_FILE, ("config", "state_dict"), map_location=device)
    with checked_contents(path, MODEL_FILE):
        model = VAE(VAEConfig.from_dict(payload["config"]))
        model.load_state_dict(payload["state_dict"])
    return model.to(device).eval()
