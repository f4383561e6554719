"""F11: the digits along lerp and slerp between the same two codes (PNG), and their numbers (JSON).

The JSON carries the geometry of the pair (norms, angle, the lerp dip) that the page quotes;
the study scores each digit (the study-pair-scores step).
"""

from __future__ import annotations

import json

from latentspace.errors import LatentspaceError


def add_arguments(parser) -> None:
    parser.add_argument("--lerp", required=True, help="decoded lerp path .npz")
    parser.add_argument("--slerp", required=True, help="decoded slerp path .npz")
    parser.add_argument("--padding-px", type=int, required=True)
    parser.add_argument("--output", required=True, help="the mosaic .png")
    parser.add_argument("--summary", required=True, help="the numbers behind F11 and F12 .json")


def run(args) -> None:
    from latentspace.atomic_files import write_text_atomic
    from latentspace.figures.interpolation import interpolation_mosaic, interpolation_summary
    from latentspace.figures.rendering import save_grey_png
    from latentspace.paths import load_decoded_path

    lerp_path, slerp_path = load_decoded_path(args.lerp), load_decoded_path(args.slerp)
    try:
        mosaic = interpolation_mosaic(lerp_path, slerp_path, args.padding_px)
        summary = interpolation_summary(lerp_path, slerp_path)
    except ValueError as error:
        raise LatentspaceError(f"{args.lerp}, {args.slerp}: {error}") from None
    save_grey_png(mosaic, args.output)
    write_text_atomic(args.summary, json.dumps(summary, indent=2) + "\n")
