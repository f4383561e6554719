"""Reader for the IDX format of the MNIST files (LeCun et al., http://yann.lecun.com/exdb/mnist/).

An IDX file starts with a magic number: two zero bytes, a type code (0x08 for unsigned
bytes) and the number of dimensions; then one big-endian int32 per dimension; then the
values in row-major order. The MNIST files may be gzip-compressed.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from latentspace.errors import DataError
from latentspace.files.images import IMAGE_SHAPE, IMAGE_SIDE

UNSIGNED_BYTE_TYPE_CODE = 0x08


def parse_idx(raw: bytes, source: str) -> np.ndarray:
    """Decode IDX bytes of unsigned bytes into an array; ``source`` names the file in errors."""
    if len(raw) < 4:
        raise DataError(f"{source}: truncated IDX file ({len(raw)} bytes, expected at least a 4-byte header)")
    if raw[0] != 0 or raw[1] != 0 or raw[2] != UNSIGNED_BYTE_TYPE_CODE:
        raise DataError(
            f"{source}: wrong IDX magic number 0x{raw[:4].hex()} "
            f"(expected 0x0000{UNSIGNED_BYTE_TYPE_CODE:02x}NN for unsigned bytes)"
        )
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_size:
        raise DataError(f"{source}: truncated IDX header (expected {ndim} dimension sizes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    expected_values = int(np.prod(shape))
    actual_values = len(raw) - header_size
    if actual_values < expected_values:
        raise DataError(
            f"{source}: truncated IDX file ({actual_values} of {expected_values} values for shape {shape})"
        )
    if actual_values > expected_values:
        raise DataError(f"{source}: {actual_values - expected_values} unexpected bytes after the data of shape {shape}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file, gunzipping it when its name ends in ``.gz``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path}: not a readable gzip file ({error})") from None
    return parse_idx(raw, str(path))


def read_image_label_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read images (N, 28, 28) and labels (N,) and check that they belong together."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DataError(f"{images_path}: expected images of shape (N, {IMAGE_SIDE}, {IMAGE_SIDE}), found {images.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_path}: expected labels of shape (N,), found {labels.shape}")
    if len(images) != len(labels):
        raise DataError(f"{images_path}: {len(images)} images but {labels_path.name} has {len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise DataError(f"{labels_path}: labels must lie in 0..9, found {int(labels.max())}")
    return images, labels
