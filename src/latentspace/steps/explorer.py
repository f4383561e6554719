"""Export a model's decoder, and what its page explorer needs, as one script for the site.

One subcommand per explorer: ``plane`` (beside F2), ``spiral`` (F7), ``interpolation``
(F11/F12). The bundle format is documented in ``latentspace.decoder_export``.
"""

from __future__ import annotations

import os
import sys

from latentspace.errors import LatentspaceError
from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="EXPLORER")
    plane = kinds.add_parser("plane", help="the 2-D latent plane with encoded test digits (beside F2)")
    plane.add_argument("--data", required=True, help="the dataset .npz whose test digits are encoded")
    plane.add_argument("--encoded-digits", type=int, required=True, help="how many test digits to encode")
    plane.add_argument("--extent", type=float, required=True, help="half-width of the plane shown")
    spiral = kinds.add_parser("spiral", help="a scrubber along the sphere spiral (F7)")
    spiral.add_argument("--turns", type=float, required=True, help="turns of the last angle (as F7)")
    interpolation = kinds.add_parser("interpolation", help="a lerp-against-slerp slider (F11/F12)")
    interpolation.add_argument("--path", required=True, help="F11's decoded lerp path .npz (its endpoints)")
    interpolation.add_argument("--seed", type=int, required=True, help="the seed F11's endpoints came from")
    for sub in (plane, spiral, interpolation):
        sub.add_argument("--model", required=True)
        sub.add_argument("--weight-dtype", required=True, help="float16 or float32")
        add_device_arguments(sub, threads=False)
        sub.add_argument("--output", required=True, help="the bundle, a .js file")


def run(args) -> None:
    from latentspace.model_files import load_model
    from latentspace.decoder_export import interpolation_bundle, plane_bundle, spiral_bundle, write_bundle
    from latentspace.figures import palette as style
    from latentspace.steps.shared import prepare_torch

    model = load_model(args.model, prepare_torch(args))
    if args.kind == "plane":
        from latentspace.datasets import images_to_vectors, load_dataset
        from latentspace.decoding import encode_posteriors

        if args.encoded_digits < 1:
            raise LatentspaceError(f"--encoded-digits: expected a positive integer, got {args.encoded_digits}")
        dataset = load_dataset(args.data)
        images, labels = dataset.test_images[: args.encoded_digits], dataset.test_labels[: args.encoded_digits]
        means, _ = encode_posteriors(model, images_to_vectors(images))  # (N, 2), float64 of float32 values
        bundle = plane_bundle(
            model, args.weight_dtype, args.extent, means, labels,
            list(style.COMPONENT_COLORS), style.CURRENT_COLOR,
        )  # fmt: skip
    elif args.kind == "spiral":
        bundle = spiral_bundle(model, args.weight_dtype, args.turns, style.PATH_COLOR)
    else:
        from latentspace.paths import load_decoded_path

        latents = load_decoded_path(args.path).latents  # (N, D)
        bundle = interpolation_bundle(
            model, args.weight_dtype, latents[[0, -1]], args.seed, style.LERP_COLOR, style.SLERP_COLOR
        )
    write_bundle(bundle, args.output)
    print(
        f"explorer {args.kind}: decoder of the z = {bundle.latent_dim} model, {len(bundle.data):,} bytes of "
        f"{args.weight_dtype} data, {os.path.getsize(args.output):,} bytes written to {args.output}",
        file=sys.stderr,
    )
