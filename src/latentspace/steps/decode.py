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


# Paths decoded together, in one process: their outputs always change together (same
# model, same settings), so one job saves a process start and torch's import.
PATH_GROUPS = {"lerp-and-slerp": ("lerp", "slerp")}


def add_arguments(parser) -> None:
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="PATH")
    for kind, (option, value_type, help_text) in PATH_KINDS.items():
        sub = kinds.add_parser(kind, help=f"decode the {kind} path")
        add_path_arguments(sub, option, value_type, help_text)
        sub.add_argument("--output", required=True)
    for group, members in PATH_GROUPS.items():
        sub = kinds.add_parser(group, help=f"decode the {' and '.join(members)} paths with one model")
        add_path_arguments(sub, *PATH_KINDS[members[0]])
        for member in members:
            sub.add_argument(f"--{member}-output", required=True)


def add_path_arguments(sub, option, value_type, help_text) -> None:
    sub.add_argument("--model", required=True)
    sub.add_argument("--steps", type=int, required=True, help="points on the path")
    sub.add_argument(option, type=value_type, required=True, help=help_text)
    add_device_arguments(sub, threads=False)


def run(args) -> None:
    from latentspace.model_files import load_model
    from latentspace.paths import build_path, decode_path, save_decoded_path
    from latentspace.steps.shared import prepare_torch

    model = load_model(args.model, prepare_torch(args))
    t_max_over_pi = getattr(args, "t_max_over_pi", None)
    if args.kind in PATH_GROUPS:
        outputs = {member: getattr(args, f"{member}_output") for member in PATH_GROUPS[args.kind]}
    else:
        outputs = {args.kind: args.output}
    for kind, output in outputs.items():
        path = build_path(
            kind,
            model.config.latent_dim,
            args.steps,
            t_max=None if t_max_over_pi is None else t_max_over_pi * math.pi,
            turns=getattr(args, "turns", None),
            seed=getattr(args, "seed", None),
        )
        save_decoded_path(decode_path(model, path), output)
        print(f"decoded {len(path.t)} points of {kind} with the z = {model.config.latent_dim} model", file=sys.stderr)
