"""Data sources: the embedded 5k digits, IDX folders (written from those digits), and
torchvision's download over real HTTP from a server on 127.0.0.1."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import threading

import numpy as np
import pytest

from latentspace.cli import main as cli_main
from latentspace.files.datasets import build_dataset, load_dataset, random_split, save_dataset
from latentspace.errors import DataError, LatentspaceError

def test_mnist_5k_is_balanced_and_split_by_seed():
    first = build_dataset("mnist-5k", seed=3, test_fraction=0.1)
    again = build_dataset("mnist-5k", seed=3, test_fraction=0.1)
    other = build_dataset("mnist-5k", seed=4, test_fraction=0.1)
    assert first.train_images.shape == (4500, 28, 28) and first.test_images.shape == (500, 28, 28)
    all_labels = np.concatenate([first.train_labels, first.test_labels])
    assert np.bincount(all_labels).tolist() == [500] * 10
    assert np.array_equal(first.test_images, again.test_images)
    assert not np.array_equal(first.test_labels, other.test_labels)


def test_random_split_is_a_partition():
    images = np.arange(50, dtype=np.uint8).reshape(50, 1, 1)
    split = random_split(images, np.zeros(50, np.uint8), 0.2, seed=0, source="x")
    assert len(split.test_images) == 10
    merged = np.sort(np.concatenate([split.train_images.ravel(), split.test_images.ravel()]))
    assert np.array_equal(merged, np.arange(50))
    with pytest.raises(DataError, match="data.test_fraction"):
        random_split(images, np.zeros(50, np.uint8), 1.5, seed=0, source="x")


def test_idx_folder_with_test_split_only(mnist_idx, tmp_path):
    folder = mnist_idx.write(tmp_path, prefixes=("t10k",))
    dataset = build_dataset("idx", seed=0, test_fraction=0.2, idx_dir=folder)
    assert len(dataset.train_images) == 2000 and len(dataset.test_images) == 500
    assert dataset.source == "idx"
    # A seeded split of that pair: every digit lands on one side, the same for the same seed.
    images, _ = mnist_idx.arrays["t10k"]
    merged = np.concatenate([dataset.train_images, dataset.test_images])
    assert np.array_equal(np.sort(merged.reshape(len(merged), -1), axis=0), np.sort(images.reshape(len(images), -1), axis=0))
    again = build_dataset("idx", seed=0, test_fraction=0.2, idx_dir=folder)
    assert np.array_equal(again.test_images, dataset.test_images)


@pytest.mark.parametrize("compressed", [True, False], ids=["gzipped", "plain"])
def test_idx_folder_with_both_splits_keeps_the_official_split(tmp_path, mnist_idx, compressed):
    folder = mnist_idx.write(tmp_path, compressed=compressed)
    dataset = build_dataset("idx", seed=0, idx_dir=folder)
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images, labels = mnist_idx.arrays[prefix]
        assert np.array_equal(getattr(dataset, f"{split}_images"), images)
        assert np.array_equal(getattr(dataset, f"{split}_labels"), labels)


def test_idx_errors_name_the_problem(tmp_path, mnist_idx):
    with pytest.raises(DataError, match="data.idx_dir: folder .* not found"):
        build_dataset("idx", seed=0, idx_dir=tmp_path / "missing")
    with pytest.raises(DataError, match="data.idx_dir: required"):
        build_dataset("idx", seed=0, idx_dir=None)
    with pytest.raises(DataError, match="no MNIST IDX files"):
        build_dataset("idx", seed=0, idx_dir=tmp_path)
    shutil.copy(mnist_idx.folder / "t10k-images-idx3-ubyte.gz", tmp_path)
    with pytest.raises(DataError, match="not its matching t10k"):
        build_dataset("idx", seed=0, idx_dir=tmp_path)
    labels = gzip.decompress((mnist_idx.folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(labels[:-100])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: truncated IDX file \(2400 of 2500 values"):
        build_dataset("idx", seed=0, idx_dir=tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x0d\x01" + labels[4:])  # 0x0d: floats
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte: wrong IDX magic number 0x00000d01"):
        build_dataset("idx", seed=0, idx_dir=tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    gzipped = (mnist_idx.folder / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzipped[: len(gzipped) // 2])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: not a readable gzip file"):
        build_dataset("idx", seed=0, idx_dir=tmp_path)


def test_unknown_source():
    with pytest.raises(DataError, match="data.source: expected one of"):
        build_dataset("cifar", seed=0)


def test_npz_round_trip_and_bad_file(tmp_path):
    dataset = build_dataset("mnist-5k", seed=1)
    save_dataset(dataset, tmp_path / "d.npz")
    loaded = load_dataset(tmp_path / "d.npz")
    assert np.array_equal(loaded.train_images, dataset.train_images) and loaded.source == "mnist-5k"
    assert [p.name for p in tmp_path.iterdir()] == ["d.npz"]  # no temporary file left behind
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(LatentspaceError, match=r"other\.npz: lacks the array\(s\) source, test_images"):
        load_dataset(tmp_path / "other.npz")


# --- torchvision's download, against a real HTTP server on 127.0.0.1 -------------------------


@pytest.fixture
def mirror(tmp_path):
    """An HTTP server on 127.0.0.1 serving a folder; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served_resources(monkeypatch, mnist_idx):
    """torchvision fetches every file of its ``resources`` list and checks its MD5: list the
    files we serve, with their own checksums."""
    from torchvision import datasets as tv_datasets  # imported here: torchvision takes seconds to import

    resources = mnist_idx.resources("train") + mnist_idx.resources("t10k")
    monkeypatch.setattr(tv_datasets.MNIST, "resources", resources)
    return resources


def test_download_through_torchvision(tmp_path, mirror, mnist_idx, served_resources):
    served, url = mirror
    mnist_idx.write(served)
    cache = tmp_path / "cache"
    dataset = build_dataset("mnist", seed=0, test_fraction=0.1, cache_dir=cache, mirrors=[url])
    # Both pairs arrived: the official split, the digits as written.
    assert len(dataset.train_images) == len(dataset.test_images) == 2500
    assert np.array_equal(dataset.test_labels, mnist_idx.arrays["t10k"][1])
    assert dataset.source == "mnist"
    assert (cache / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file()
    # A verified cache is used as it is: with the mirror emptied, the build still works.
    for path in served.iterdir():
        path.unlink()
    again = build_dataset("mnist", seed=0, test_fraction=0.1, cache_dir=cache, mirrors=[url])
    assert np.array_equal(again.test_images, dataset.test_images)
    from torchvision import datasets as tv_datasets

    assert tv_datasets.MNIST.mirrors[0].startswith("https://")  # the class's own list is restored


def test_corrupted_download_is_refused(tmp_path, mirror, mnist_idx, served_resources):
    served, url = mirror
    mnist_idx.write(served)
    good = (mnist_idx.folder / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (served / "t10k-labels-idx1-ubyte.gz").write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz"):
        build_dataset("mnist", seed=0, cache_dir=tmp_path / "cache", mirrors=[url])


def test_unreachable_mirror_gives_one_line(tmp_path, served_resources, capsys):
    code = cli_main(
        ["data", "--source", "mnist", "--seed", "0", "--test-fraction", "0.1", "--cache-dir", str(tmp_path / "c"),
         "--mirror", "http://127.0.0.1:9/", "--output", str(tmp_path / "d.npz")]
    )
    error = capsys.readouterr().err.strip()
    assert code == 1
    assert error.startswith("latentspace data: error: data.source mnist: download into")
    assert "\n" not in error
    assert not (tmp_path / "d.npz").exists()
