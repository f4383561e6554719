"""The study classifier's confidence and the norm of each digit of the pair Figure 11 shows (JSON)."""

from __future__ import annotations

from latentspace.errors import LatentspaceError
from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    parser.add_argument("--lerp", required=True, help="decoded lerp path .npz (Figure 11's top row)")
    parser.add_argument("--slerp", required=True, help="decoded slerp path .npz (Figure 11's bottom row)")
    parser.add_argument("--classifier", required=True, help="the study's digit classifier .pt")
    add_device_arguments(parser, threads=False)
    parser.add_argument("--output", required=True, help="the scores .json")


def run(args) -> None:
    from latentspace.paths import check_interpolation_pair, load_decoded_path
    from latentspace.steps.shared import prepare_torch, write_json
    from latentspace.study.classifier import load_classifier
    from latentspace.study.pair_scores import decoded_confidences, norm_ratios, pair_scores

    paths = {"lerp": load_decoded_path(args.lerp), "slerp": load_decoded_path(args.slerp)}
    classifier = load_classifier(args.classifier, prepare_torch(args))
    try:
        check_interpolation_pair(paths["lerp"], paths["slerp"])
        scores = pair_scores(
            {method: decoded_confidences(classifier, path) for method, path in paths.items()},
            {method: norm_ratios(path) for method, path in paths.items()},
            paths["lerp"].t.tolist(),
        )
    except ValueError as error:
        raise LatentspaceError(f"{args.lerp}, {args.slerp}: {error}") from None
    write_json(args.output, {"latent_dim": paths["lerp"].latent_dim, **scores})
