"""F2: decode a regular grid over the 2-D latent plane into one PNG mosaic on labelled axes."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, LatentGridSettings, OnDevice


@dataclass(**GROUP)
class Settings(LatentGridSettings, OnDevice):
    """F2's section, and the device."""


@dataclass(**GROUP)
class Files:
    model: str = file_path("the z = 2 model .pt")
    output: str = file_path("the mosaic .png")


def run(settings: Settings, files: Files) -> None:
    from latentspace.figures.latent_grid import latent_grid_figure, latent_grid_mosaic, save_latent_grid_figure
    from latentspace.model.devices import prepare_torch
    from latentspace.model.model_files import load_model

    model = load_model(files.model, prepare_torch(settings.device))
    try:
        mosaic = latent_grid_mosaic(model, settings.extent, settings.steps)
    except ValueError as error:
        raise LatentspaceError(str(error)) from None
    save_latent_grid_figure(latent_grid_figure(mosaic, settings.extent, settings.steps), files.output)
