"""Decode a named latent path with a model into an .npz (path, t and decoded digits).

One sub-command per path: ``spiral_2d`` (F3), ``sphere_spiral`` (F7), and
``lerp-and-slerp`` (F11, F12), which decodes both interpolations between the same two
endpoints in one process, since their outputs always change together.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass

from latentspace.settings.command_line import SubCommand, file_path
from latentspace.settings.declared import GROUP, InterpolationPath, OnDevice, Seeded, SphereSpiralPath, Spiral2dPath


@dataclass(**GROUP)
class Spiral2dSettings(Spiral2dPath, OnDevice):
    """F3's path and the device."""


@dataclass(**GROUP)
class SphereSpiralSettings(SphereSpiralPath, OnDevice):
    """F7's path and the device."""


@dataclass(**GROUP)
class InterpolationSettings(InterpolationPath, Seeded, OnDevice):
    """F11's number of digits, the seed of its endpoints and the device."""


@dataclass(**GROUP)
class PathFiles:
    model: str = file_path("the model .pt")
    output: str = file_path("the decoded path .npz")


@dataclass(**GROUP)
class InterpolationFiles:
    model: str = file_path("the model .pt")
    lerp_output: str = file_path("the decoded lerp path .npz")
    slerp_output: str = file_path("the decoded slerp path .npz")


def decode(settings, model_file: str, outputs: dict[str, str], **shape) -> None:
    """Build each path of ``outputs`` ({kind: file}) for the model and save it decoded."""
    from latentspace.model.devices import prepare_torch
    from latentspace.model.latent_paths import build_path, decode_path, save_decoded_path
    from latentspace.model.model_files import load_model

    model = load_model(model_file, prepare_torch(settings.device))
    for kind, output in outputs.items():
        latent_path = build_path(kind, model.config.latent_dim, **shape)
        save_decoded_path(decode_path(model, latent_path), output)
        print(f"decoded {len(latent_path.t)} points of {kind} with the z = {model.config.latent_dim} model",
              file=sys.stderr)


def run_spiral_2d(settings: Spiral2dSettings, files: PathFiles) -> None:
    decode(settings, files.model, {"spiral_2d": files.output}, steps=settings.frames,
           t_max=settings.t_max_over_pi * math.pi)


def run_sphere_spiral(settings: SphereSpiralSettings, files: PathFiles) -> None:
    decode(settings, files.model, {"sphere_spiral": files.output}, steps=settings.frames, turns=settings.turns)


def run_interpolation(settings: InterpolationSettings, files: InterpolationFiles) -> None:
    decode(settings, files.model, {"lerp": files.lerp_output, "slerp": files.slerp_output}, steps=settings.steps,
           seed=settings.seed)


SUBCOMMANDS = {
    "spiral_2d": SubCommand("decode F3's 2-D spiral", Spiral2dSettings, PathFiles, run_spiral_2d),
    "sphere_spiral": SubCommand("decode F7's spiral on the sphere", SphereSpiralSettings, PathFiles, run_sphere_spiral),
    "lerp-and-slerp": SubCommand("decode F11's lerp and slerp paths with one model", InterpolationSettings,
                                 InterpolationFiles, run_interpolation),
}
