"""Build the dataset .npz (images, labels, fixed split) from the configured source."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, DataSettings, Seeded


@dataclass(**GROUP)
class Settings(DataSettings, Seeded):
    """The data section, and the seed of the split."""


@dataclass(**GROUP)
class Files:
    output: str = file_path("the dataset .npz")


def run(settings: Settings, files: Files) -> None:
    from latentspace.files.datasets import build_dataset, save_dataset

    dataset = build_dataset(
        settings.source,
        seed=settings.seed,
        test_fraction=settings.test_fraction,
        cache_dir=settings.cache_dir,
        idx_dir=settings.idx_dir,
        mirrors=list(settings.mirrors),
    )
    save_dataset(dataset, files.output)
    print(json.dumps(dataset.summary()), file=sys.stderr)
