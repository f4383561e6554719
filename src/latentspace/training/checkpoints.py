"""Training checkpoints: save an unfinished training and resume it, bit for bit.

A checkpoint (``save_training_state``/``load_training_state``) holds plain tensors,
numbers, strings, lists and dicts only, so that it loads with ``torch.load(...,
weights_only=True)``. It is a ``latentspace.training.loop.TrainingState`` after some epochs (weights, Adam's state, the
  states of the shuffle and noise generators and of torch's global generators, the
  history) with the signature of the run that wrote it, so that a resumed run
  continues bit for bit and a checkpoint of another run is never resumed.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch

from latentspace.files.reading import checked_contents, read_torch_payload
from latentspace.errors import LatentspaceError
from latentspace.model.vae import VAE, VAEConfig
from latentspace.model.model_files import cpu_state_dict, save_torch_payload
from latentspace.training.loop import (
    EpochRecord,
    TrainingState,
    TrainingRun,
    build_model,
    make_optimizer,
    new_training_state,
)

TRAINING_STATE_FORMAT_VERSION = 1
TRAINING_CHECKPOINT = "a latentspace training checkpoint"
# A damaged checkpoint is not an error: training starts from scratch and overwrites it.
CHECKPOINT_ADVICE = ""


class CheckpointMismatch(LatentspaceError):
    """A training checkpoint was written by another run (settings, data, code, device type or GPU differ)."""


def save_training_state(path: str | os.PathLike, state: TrainingState, signature: dict) -> None:
    """Write ``state`` and the ``signature`` of its run (see training.training_signature) atomically."""
    device = state.noise_generator.device
    payload = {
        "format_version": TRAINING_STATE_FORMAT_VERSION,
        "signature": signature,
        "model_config": state.model.config.to_dict(),
        "model_state": cpu_state_dict(state.model),
        "optimizer_state": state.optimizer.state_dict(),
        # Generator states are uint8 CPU tensors, also for a CUDA generator.
        "shuffle_rng_state": state.shuffle_generator.get_state(),
        "noise_rng_state": state.noise_generator.get_state(),
        "global_rng_state": torch.get_rng_state(),
        "global_cuda_rng_state": torch.cuda.get_rng_state(device) if device.type == "cuda" else None,
        "history": [asdict(record) for record in state.history],
    }
    save_torch_payload(payload, path)


def load_training_state(path: str | os.PathLike, signature: dict, device: torch.device) -> TrainingState:
    """The TrainingState saved at ``path``, on ``device``, with torch's global generators restored.

    Raises CheckpointMismatch, naming the differing fields, when the file's signature is
    not ``signature``; LatentspaceError when the file is missing or unreadable.
    """
    # Onto the CPU first: generator states must stay CPU tensors.
    payload = read_torch_payload(path, TRAINING_CHECKPOINT, ("format_version", "signature"), map_location="cpu",
                                 advice=CHECKPOINT_ADVICE)
    if payload["format_version"] != TRAINING_STATE_FORMAT_VERSION:
        raise CheckpointMismatch(
            f"{path}: checkpoint format {payload['format_version']}, expected {TRAINING_STATE_FORMAT_VERSION}"
        )
    saved = payload["signature"]
    differing = sorted(key for key in saved.keys() | signature.keys() if saved.get(key) != signature.get(key))
    if differing:
        raise CheckpointMismatch(f"{path}: written by another run ({', '.join(differing)} differ)")
    with checked_contents(path, TRAINING_CHECKPOINT, CHECKPOINT_ADVICE):
        model = VAE(VAEConfig.from_dict(payload["model_config"])).to(device)
        model.load_state_dict(payload["model_state"])
        optimizer = make_optimizer(model, float(payload["optimizer_state"]["param_groups"][0]["lr"]))
        optimizer.load_state_dict(payload["optimizer_state"])  # moves Adam's moments to the model's device
        shuffle_generator = torch.Generator()
        shuffle_generator.set_state(payload["shuffle_rng_state"])
        noise_generator = torch.Generator(device=device)
        noise_generator.set_state(payload["noise_rng_state"])
        history = [EpochRecord(**record) for record in payload["history"]]
        torch.set_rng_state(payload["global_rng_state"])
        if payload["global_cuda_rng_state"] is not None:
            torch.cuda.set_rng_state(payload["global_cuda_rng_state"], device)
    return TrainingState(model, optimizer, shuffle_generator, noise_generator, history)


def resume_or_start(
    path: str | os.PathLike, config: VAEConfig, settings: TrainingRun, signature: dict, device: torch.device
) -> tuple[TrainingState, str]:
    """The checkpoint's state if it belongs to this run, else a fresh one; and a sentence saying which.

    A checkpoint of another run, one with more epochs than ``settings.epochs``, or an
    unreadable file is left to be overwritten by the first epoch of the fresh run.
    """
    path = Path(path)
    fresh = f"training from scratch, saving a checkpoint to {path} after every epoch"
    if not path.is_file():
        return new_training_state(build_model(config, settings.seed, device), settings), fresh
    try:
        state = load_training_state(path, signature, device)
    except LatentspaceError as error:
        return new_training_state(build_model(config, settings.seed, device), settings), f"{error}: {fresh}"
    if state.epochs_done > settings.epochs:
        reason = f"{path}: holds {state.epochs_done} epochs, more than the {settings.epochs} asked for"
        return new_training_state(build_model(config, settings.seed, device), settings), f"{reason}: {fresh}"
    return state, f"resuming from {path} after epoch {state.epochs_done} of {settings.epochs}"
