"""Decode a named latent path with a model into an .npz (path, t and decoded digits)."""

from __future__ import annotations

import math
import sys

from latentspace.steps.shared import add_device_arguments

# The paths, with the option that shapes each beyond its number of points.
PATH_KINDS = {
    "spiral_2d": ("--t-max-over-pi", float, "t runs over [0, this x pi]"),
    "sphere_spiral": ("--turns", float, "turns of the last angle"),
    "lerp": ("--seed", int, "seed of the two endpoints"),
    "slerp": ("--seed", int, "seed of the two endpoints"),
}


def add_arguments(parser) -> None:
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="PATH")
    for kind, (option, value_type, help_text) in PATH_KINDS.items():
        sub = kinds.add_parser(kind, help=f"decode the {kind} path")
        sub.add_argument("--model", required=True)
        sub.add_argument("--steps", type=int, required=True, help="points on the path")
        sub.add_argument(option, type=value_type, required=True, help=help_text)
        add_device_arguments(sub, threads=False)
        sub.add_argument("--output", required=True)


def run(args) -> None:
    from latentspace.model_files import load_model
    from latentspace.paths import build_path, decode_path, save_decoded_path
    from latentspace.steps.shared import prepare_torch

    model = load_model(args.model, prepare_torch(args))
    t_max_over_pi = getattr(args, "t_max_over_pi", None)
    path = build_path(
        args.kind,
        model.config.latent_dim,
        args.steps,
        t_max=None if t_max_over_pi is None else t_max_over_pi * math.pi,
        turns=getattr(args, "turns", None),
        seed=getattr(args, "seed", None),
    )
    save_decoded_path(decode_path(model, path), args.output)
    print(f"decoded {len(path.t)} points of {args.kind} with the z = {model.config.latent_dim} model", file=sys.stderr)
