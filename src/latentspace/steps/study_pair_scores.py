"""The study classifier's confidence and the norm of each digit of the pair Figure 11 shows (JSON)."""

from __future__ import annotations

from dataclasses import dataclass

from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, OnDevice


@dataclass(**GROUP)
class Settings(OnDevice):
    """The device."""


@dataclass(**GROUP)
class Files:
    lerp: str = file_path("decoded lerp path .npz (Figure 11's top row)")
    slerp: str = file_path("decoded slerp path .npz (Figure 11's bottom row)")
    classifier: str = file_path("the study's digit classifier .pt")
    output: str = file_path("the scores .json")


def run(settings: Settings, files: Files) -> None:
    from latentspace.files.atomic import write_json_atomic
    from latentspace.model.devices import prepare_torch
    from latentspace.model.latent_paths import check_interpolation_pair, load_decoded_path
    from latentspace.study.classifier import load_classifier
    from latentspace.study.pair_scores import decoded_confidences, norm_ratios, pair_scores

    paths = {"lerp": load_decoded_path(files.lerp), "slerp": load_decoded_path(files.slerp)}
    classifier = load_classifier(files.classifier, prepare_torch(settings.device))
    try:
        check_interpolation_pair(paths["lerp"], paths["slerp"])
        scores = pair_scores(
            {method: decoded_confidences(classifier, decoded) for method, decoded in paths.items()},
            {method: norm_ratios(decoded) for method, decoded in paths.items()},
            paths["lerp"].t.tolist(),
        )
    except ValueError as error:
        raise LatentspaceError(f"{files.lerp}, {files.slerp}: {error}") from None
    write_json_atomic(files.output, {"latent_dim": paths["lerp"].latent_dim, **scores})
