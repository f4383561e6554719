"""IDX parsing: real MNIST files written from the embedded digits, and every way a file can be malformed."""

from __future__ import annotations

import gzip
import hashlib

import numpy as np
import pytest

from latentspace.errors import DataError
from latentspace.files.idx_format import parse_idx, read_idx, read_image_label_pair
from mnist_idx import SPLIT_SIZE, file_names, idx_bytes


def test_reads_written_mnist_files_gzipped_and_plain(mnist_idx, tmp_path):
    plain = mnist_idx.write(tmp_path, compressed=False)
    for prefix, (images, labels) in mnist_idx.arrays.items():
        for folder, compressed in ((mnist_idx.folder, True), (plain, False)):
            images_name, labels_name = file_names(prefix, compressed)
            read_images, read_labels = read_image_label_pair(folder / images_name, folder / labels_name)
            assert read_images.shape == (SPLIT_SIZE, 28, 28) and read_images.dtype == np.uint8
            assert np.array_equal(read_images, images) and np.array_equal(read_labels, labels)
    # The digits are real MNIST digits: every class, every intensity from 0 to 255.
    test_images, test_labels = mnist_idx.arrays["t10k"]
    assert np.bincount(test_labels, minlength=10).min() > 200
    assert test_images.max() == 255 and test_images.min() == 0
    # MNIST's header: magic 0x00000803 (unsigned bytes, three sizes), then N, 28, 28 big-endian.
    header = gzip.decompress((mnist_idx.folder / "t10k-images-idx3-ubyte.gz").read_bytes())[:16]
    assert header == bytes.fromhex("00000803" "000009c4" "0000001c" "0000001c")
    # Each file's recorded checksum is that of its bytes.
    for name, md5 in mnist_idx.md5.items():
        assert hashlib.md5((mnist_idx.folder / name).read_bytes()).hexdigest() == md5


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
