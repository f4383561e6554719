"""Data sources: the embedded 5k digits, IDX folders, and torchvision's download over real HTTP."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import threading

import numpy as np
import pytest
from torchvision import datasets as tv_datasets

from latentspace.cli import main as cli_main
from latentspace.datasets import build_dataset, load_dataset, random_split, save_dataset
from latentspace.errors import DataError, LatentspaceError

T10K_RESOURCES = [
    ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
]


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


def test_idx_folder_with_test_split_only(mnist_t10k_dir):
    dataset = build_dataset("idx", seed=0, test_fraction=0.2, idx_dir=mnist_t10k_dir)
    assert len(dataset.train_images) == 8000 and len(dataset.test_images) == 2000
    assert dataset.source == "idx"


def test_idx_folder_with_both_splits_keeps_the_official_split(tmp_path, mnist_t10k_dir):
    for name, _ in T10K_RESOURCES:
        shutil.copy(mnist_t10k_dir / name, tmp_path / name)
        # Stand-in training files: the test split again, gunzipped, to cover plain IDX names too.
        plain = name.replace("t10k", "train").removesuffix(".gz")
        (tmp_path / plain).write_bytes(gzip.decompress((mnist_t10k_dir / name).read_bytes()))
    dataset = build_dataset("idx", seed=0, idx_dir=tmp_path)
    assert len(dataset.train_images) == len(dataset.test_images) == 10_000


def test_idx_errors_name_the_problem(tmp_path, mnist_t10k_dir):
    with pytest.raises(DataError, match="data.idx_dir: folder .* not found"):
        build_dataset("idx", seed=0, idx_dir=tmp_path / "missing")
    with pytest.raises(DataError, match="data.idx_dir: required"):
        build_dataset("idx", seed=0, idx_dir=None)
    with pytest.raises(DataError, match="no MNIST IDX files"):
        build_dataset("idx", seed=0, idx_dir=tmp_path)
    shutil.copy(mnist_t10k_dir / "t10k-images-idx3-ubyte.gz", tmp_path)
    with pytest.raises(DataError, match="not its matching t10k"):
        build_dataset("idx", seed=0, idx_dir=tmp_path)
    truncated = (mnist_t10k_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(gzip.decompress(truncated)[:-100])
    with pytest.raises(DataError, match="truncated IDX file"):
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
def test_split_only(monkeypatch):
    """torchvision fetches every file of its resources list: narrow it to the test split we serve."""
    monkeypatch.setattr(tv_datasets.MNIST, "resources", T10K_RESOURCES)


def test_download_through_torchvision(tmp_path, mirror, mnist_t10k_dir, test_split_only):
    served, url = mirror
    for name, _ in T10K_RESOURCES:
        shutil.copy(mnist_t10k_dir / name, served / name)
    cache = tmp_path / "cache"
    dataset = build_dataset("mnist", seed=0, test_fraction=0.1, cache_dir=cache, mirrors=[url])
    assert len(dataset.train_images) == 9000 and len(dataset.test_images) == 1000
    assert dataset.source == "mnist"
    assert (cache / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file()
    # A verified cache is used as it is: with the mirror emptied, the build still works.
    for path in served.iterdir():
        path.unlink()
    again = build_dataset("mnist", seed=0, test_fraction=0.1, cache_dir=cache, mirrors=[url])
    assert np.array_equal(again.test_images, dataset.test_images)
    assert tv_datasets.MNIST.mirrors[0].startswith("https://")  # the class's own list is restored


def test_corrupted_download_is_refused(tmp_path, mirror, mnist_t10k_dir, test_split_only):
    served, url = mirror
    shutil.copy(mnist_t10k_dir / "t10k-images-idx3-ubyte.gz", served)
    good = (mnist_t10k_dir / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (served / "t10k-labels-idx1-ubyte.gz").write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz"):
        build_dataset("mnist", seed=0, cache_dir=tmp_path / "cache", mirrors=[url])


def test_unreachable_mirror_gives_one_line(tmp_path, test_split_only, capsys):
    code = cli_main(
        ["data", "--source", "mnist", "--seed", "0", "--test-fraction", "0.1", "--cache-dir", str(tmp_path / "c"),
         "--mirror", "http://127.0.0.1:9/", "--output", str(tmp_path / "d.npz")]
    )
    error = capsys.readouterr().err.strip()
    assert code == 1
    assert error.startswith("latentspace data: error: data.source mnist: download into")
    assert "\n" not in error
    assert not (tmp_path / "d.npz").exists()
