"""F11: the digits along lerp and slerp between the same two codes (PNG), and their numbers (JSON).

The study's digit classifier scores each decoded digit; the JSON carries its confidence and
the norm of each code, which the page prints under the digits.
"""

from __future__ import annotations

import json

from latentspace.errors import LatentspaceError
from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    parser.add_argument("--lerp", required=True, help="decoded lerp path .npz")
    parser.add_argument("--slerp", required=True, help="decoded slerp path .npz")
    parser.add_argument("--padding-px", type=int, required=True)
    parser.add_argument("--classifier", required=True, help="the study's digit classifier .pt: scores each decoded digit")
    add_device_arguments(parser, threads=False)
    parser.add_argument("--output", required=True, help="the mosaic .png")
    parser.add_argument("--summary", required=True, help="the numbers behind F11 and F12 .json")


def run(args) -> None:
    from latentspace.atomic_files import write_text_atomic
    from latentspace.figures.interpolation import decoded_confidences, interpolation_mosaic, interpolation_summary
    from latentspace.figures.rendering import save_grey_png
    from latentspace.paths import load_decoded_path
    from latentspace.steps.shared import prepare_torch
    from latentspace.study.classifier import load_classifier

    lerp_path, slerp_path = load_decoded_path(args.lerp), load_decoded_path(args.slerp)
    classifier = load_classifier(args.classifier, prepare_torch(args))
    confidences = {"lerp": decoded_confidences(classifier, lerp_path), "slerp": decoded_confidences(classifier, slerp_path)}
    try:
        mosaic = interpolation_mosaic(lerp_path, slerp_path, args.padding_px)
        summary = interpolation_summary(lerp_path, slerp_path, confidences)
    except ValueError as error:
        raise LatentspaceError(f"{args.lerp}, {args.slerp}: {error}") from None
    save_grey_png(mosaic, args.output)
    write_text_atomic(args.summary, json.dumps(summary, indent=2) + "\n")
