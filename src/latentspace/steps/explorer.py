"""Export a model's decoder, and what its page explorer needs, as one script for the site.

One sub-command per explorer: ``plane`` (beside F2), ``spiral`` (F7), ``interpolation``
(F11/F12). The bundle format is documented in ``latentspace.page.explorer_bundles``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from latentspace.settings.command_line import SubCommand, file_path
from latentspace.settings.declared import GROUP, ExplorerPlane, ExplorerWeights, OnDevice, Seeded, SphereSpiralTurns


@dataclass(**GROUP)
class PlaneSettings(ExplorerPlane, ExplorerWeights, OnDevice):
    """The plane's extent and encoded digits, the weights' precision and the device."""


@dataclass(**GROUP)
class SpiralSettings(SphereSpiralTurns, ExplorerWeights, OnDevice):
    """F7's turns, the weights' precision and the device."""


@dataclass(**GROUP)
class InterpolationSettings(ExplorerWeights, Seeded, OnDevice):
    """The weights' precision, the seed F11's endpoints came from and the device."""


@dataclass(**GROUP)
class PlaneFiles:
    model: str = file_path("the z = 2 model .pt")
    data: str = file_path("the dataset .npz whose test digits are encoded")
    output: str = file_path("the bundle, a .js file")


@dataclass(**GROUP)
class SpiralFiles:
    model: str = file_path("the model .pt")
    output: str = file_path("the bundle, a .js file")


@dataclass(**GROUP)
class InterpolationFiles:
    model: str = file_path("the model .pt")
    path: str = file_path("F11's decoded lerp path .npz (its endpoints)")
    output: str = file_path("the bundle, a .js file")


def loaded_model(settings, files):
    from latentspace.model.devices import prepare_torch
    from latentspace.model.model_files import load_model

    return load_model(files.model, prepare_torch(settings.device))


def run_plane(settings: PlaneSettings, files: PlaneFiles) -> None:
    from latentspace.figures import palette
    from latentspace.files.datasets import images_to_vectors, load_dataset
    from latentspace.model.decoding import encode_posteriors
    from latentspace.page.explorer_bundles import plane_bundle

    model = loaded_model(settings, files)
    dataset = load_dataset(files.data)
    images, labels = dataset.test_images[: settings.encoded_digits], dataset.test_labels[: settings.encoded_digits]
    means, _ = encode_posteriors(model, images_to_vectors(images))  # (N, 2), float64 of float32 values
    bundle = plane_bundle(
        model, settings.weight_dtype, settings.plane_extent, means, labels,
        list(palette.COMPONENT_COLORS), palette.CURRENT_COLOR,
    )  # fmt: skip
    write(bundle, settings, files)


def run_spiral(settings: SpiralSettings, files: SpiralFiles) -> None:
    from latentspace.figures import palette
    from latentspace.page.explorer_bundles import spiral_bundle

    model = loaded_model(settings, files)
    write(spiral_bundle(model, settings.weight_dtype, settings.turns, palette.PATH_COLOR), settings, files)


def run_interpolation(settings: InterpolationSettings, files: InterpolationFiles) -> None:
    from latentspace.figures import palette
    from latentspace.model.latent_paths import load_decoded_path
    from latentspace.page.explorer_bundles import interpolation_bundle

    model = loaded_model(settings, files)
    latents = load_decoded_path(files.path).latents  # (N, D)
    bundle = interpolation_bundle(
        model, settings.weight_dtype, latents[[0, -1]], settings.seed, palette.LERP_COLOR, palette.SLERP_COLOR
    )
    write(bundle, settings, files)


def write(bundle, settings, files) -> None:
    from latentspace.page.explorer_bundles import write_bundle

    write_bundle(bundle, files.output)
    print(
        f"explorer: decoder of the z = {bundle.latent_dim} model, {len(bundle.data):,} bytes of "
        f"{settings.weight_dtype} data, {os.path.getsize(files.output):,} bytes written to {files.output}",
        file=sys.stderr,
    )


SUBCOMMANDS = {
    "plane": SubCommand("the 2-D latent plane with encoded test digits (beside F2)", PlaneSettings, PlaneFiles, run_plane),
    "spiral": SubCommand("a scrubber along the sphere spiral (F7)", SpiralSettings, SpiralFiles, run_spiral),
    "interpolation": SubCommand("a lerp-against-slerp slider (F11/F12)", InterpolationSettings, InterpolationFiles,
                                run_interpolation),
}
