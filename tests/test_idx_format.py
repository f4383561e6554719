"""IDX parsing: the real MNIST test split, and every way a file can be malformed."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from latentspace.errors import DataError
from latentspace.idx_format import parse_idx, read_idx, read_image_label_pair

T10K_MD5 = {
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}


def idx_bytes(values: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, values.ndim]) + np.asarray(values.shape, dtype=">i4").tobytes()
    return header + values.astype(np.uint8).tobytes()


def test_shared_files_are_the_official_ones(mnist_t10k_dir):
    for name, md5 in T10K_MD5.items():
        assert hashlib.md5((mnist_t10k_dir / name).read_bytes()).hexdigest() == md5


def test_reads_the_official_test_split(mnist_t10k_dir):
    images, labels = read_image_label_pair(
        mnist_t10k_dir / "t10k-images-idx3-ubyte.gz", mnist_t10k_dir / "t10k-labels-idx1-ubyte.gz"
    )
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,)
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test digits
    assert images.max() == 255 and images.min() == 0


def test_round_trip_of_constructed_file_gz_and_plain(tmp_path):
    values = np.random.default_rng(0).integers(0, 256, size=(3, 28, 28))
    (tmp_path / "a").write_bytes(idx_bytes(values))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(values)))
    assert np.array_equal(read_idx(tmp_path / "a"), values)
    assert np.array_equal(read_idx(tmp_path / "a.gz"), values)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x00\x00", "truncated IDX file"),
        (b"\x08\x03\x00\x00" + b"\x00" * 12, "wrong IDX magic number"),
        (b"\x00\x00\x0d\x01" + b"\x00" * 8, "wrong IDX magic number"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated IDX header"),
        (idx_bytes(np.zeros((2, 28, 28)))[:-5], "truncated IDX file"),
        (idx_bytes(np.zeros((2, 28, 28))) + b"xx", "unexpected bytes"),
    ],
)
def test_malformed_bytes_are_refused(raw, message):
    with pytest.raises(DataError, match=message):
        parse_idx(raw, "some-file")


def test_missing_and_corrupt_gzip(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        read_idx(tmp_path / "nope.gz")
    (tmp_path / "bad.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="not a readable gzip file"):
        read_idx(tmp_path / "bad.gz")


def test_pair_checks_shapes_and_counts(tmp_path):
    (tmp_path / "img").write_bytes(idx_bytes(np.zeros((3, 28, 28))))
    (tmp_path / "lab").write_bytes(idx_bytes(np.zeros(2)))
    with pytest.raises(DataError, match="3 images but lab has 2 labels"):
        read_image_label_pair(tmp_path / "img", tmp_path / "lab")
    (tmp_path / "small").write_bytes(idx_bytes(np.zeros((3, 14, 14))))
    with pytest.raises(DataError, match=r"expected images of shape \(N, 28, 28\)"):
        read_image_label_pair(tmp_path / "small", tmp_path / "lab")
    (tmp_path / "lab2d").write_bytes(idx_bytes(np.zeros((3, 2))))
    with pytest.raises(DataError, match=r"expected labels of shape \(N,\)"):
        read_image_label_pair(tmp_path / "img", tmp_path / "lab2d")
