"""The z = 2 plane under the decoder's pulled-back metric: its magnification factor, and lerp, slerp and geodesics over it (SVG)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, GeodesicPlaneSettings, OnDevice


@dataclass(**GROUP)
class Settings(GeodesicPlaneSettings, OnDevice):
    """The map's square and grid, and the device."""


@dataclass(**GROUP)
class Files:
    model: str = file_path("the z = 2 model .pt")
    examples: str = file_path("the z = 2 model's geodesic examples .npz (study-geodesic)")
    output: str = file_path("the figure .svg")
    map_out: str = file_path("the magnification factor over the grid, with its coordinates (.npz)")


def run(settings: Settings, files: Files) -> None:
    import numpy as np
    import torch

    from latentspace.figures.geodesic_figures import plane_figure
    from latentspace.figures.rendering import save_figure
    from latentspace.files.atomic import atomic_path
    from latentspace.model.devices import prepare_torch
    from latentspace.model.model_files import load_model
    from latentspace.model.pullback import magnification_factor
    from latentspace.study.geodesic_tables import read_geodesic_examples

    model = load_model(files.model, prepare_torch(settings.device))
    examples = read_geodesic_examples(files.examples)
    if model.config.latent_dim != 2 or examples["latent_dim"] != 2:
        raise LatentspaceError(f"{files.model}, {files.examples}: the plane needs the z = 2 model and its examples, got "
                               f"z = {model.config.latent_dim} and z = {examples['latent_dim']}")
    model.requires_grad_(False)
    axis = np.linspace(-settings.plane_extent, settings.plane_extent, settings.plane_steps)
    grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)            # row-major, y outer: row 0 at y = -extent
    started = time.perf_counter()
    points = torch.from_numpy(grid).to(device=next(model.parameters()).device, dtype=torch.float32)
    factors = magnification_factor(model.decoder, points).cpu().numpy()
    magnification = factors.reshape(settings.plane_steps, settings.plane_steps)
    print(f"magnification factor at {len(grid)} points of the z = 2 plane in {time.perf_counter() - started:.2f} s "
          f"(from {magnification.min():.3g} to {magnification.max():.3g})", file=sys.stderr)
    with atomic_path(files.map_out) as tmp:
        np.savez(tmp, axis=axis, magnification=magnification)
    save_figure(plane_figure(settings.plane_extent, magnification, examples["latents"]), files.output)
