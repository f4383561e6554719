"""F2: decode a regular grid over the 2-D latent plane into one PNG mosaic."""

from __future__ import annotations

from latentspace.errors import LatentspaceError
from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    parser.add_argument("--model", required=True)
    parser.add_argument("--extent", type=float, required=True, help="the grid covers [-extent, extent]^2")
    parser.add_argument("--steps", type=int, required=True, help="grid points per axis")
    add_device_arguments(parser, threads=False)
    parser.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.model_files import load_model
    from latentspace.figures.latent_grid import latent_grid_mosaic
    from latentspace.figures.png_files import save_grey_png
    from latentspace.steps.shared import prepare_torch

    model = load_model(args.model, prepare_torch(args))
    try:
        mosaic = latent_grid_mosaic(model, args.extent, args.steps)
    except ValueError as error:
        raise LatentspaceError(str(error)) from None
    save_grey_png(mosaic, args.output)
