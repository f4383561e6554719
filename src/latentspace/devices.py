"""Choose the torch device: ``auto`` picks cuda, then mps, then cpu."""

from __future__ import annotations

import torch

from latentspace.errors import DeviceError


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise DeviceError(f"device: expected auto, cpu, cuda, cuda:N or mps, got {name!r}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device: {name!r} was requested but CUDA is not available on this machine")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceError(f"device: {name!r} was requested but only {torch.cuda.device_count()} CUDA devices exist")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device: {name!r} was requested but MPS is not available on this machine")
    return device
