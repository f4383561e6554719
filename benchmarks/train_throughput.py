"""Training throughput on the CPU: PyTorch's example-style loop against latentspace's loop.

The baseline is the loop of the official PyTorch VAE example (pytorch/examples, vae/main.py):
``torchvision.datasets.MNIST(transform=ToTensor())`` in a shuffled DataLoader of batch 128
and plain Adam. Here torchvision's MNIST class reads the same 4,500 training digits, written
as IDX files into a temporary folder, so each sample goes through its real ``__getitem__``
(tensor indexing, a PIL image, ToTensor). Ours keeps the whole training set as one tensor
on the device, slices batches out of a permutation and uses fused Adam. Same model, data
and batch size.

    python benchmarks/train_throughput.py [--epochs 3] [--threads 2]

Prints samples per second for both and the speed-up.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from latentspace.files.datasets import build_dataset, images_to_vectors
from latentspace.model.vae import VAEConfig, loss_terms
from latentspace.training.loop import build_model, make_optimizer, train_epoch

BATCH_SIZE = 128


def write_idx(path: Path, values: np.ndarray) -> None:
    """An uncompressed IDX file of unsigned bytes (the format latentspace.files.idx_format reads)."""
    header = bytes([0, 0, 0x08, values.ndim]) + np.asarray(values.shape, dtype=">i4").tobytes()
    path.write_bytes(header + values.astype(np.uint8).tobytes())


def torchvision_mnist(root: Path, dataset) -> datasets.MNIST:
    """torchvision's own MNIST dataset over our digits: the example's data path, offline."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for prefix, images, labels in (
        ("train", dataset.train_images, dataset.train_labels),
        ("t10k", dataset.test_images, dataset.test_labels),
    ):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return datasets.MNIST(str(root), train=True, download=False, transform=transforms.ToTensor())


def example_style_epoch(model, optimizer, loader, generator):
    model.train()
    for data, _ in loader:
        x = data.view(-1, 784)
        noise = torch.randn(len(x), model.config.latent_dim, generator=generator)
        loss = loss_terms(model, x, noise).loss.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def measure(label, run_epoch, epochs, samples):
    run_epoch()  # warm-up epoch, not timed
    started = time.perf_counter()
    for _ in range(epochs):
        run_epoch()
    rate = epochs * samples / (time.perf_counter() - started)
    print(f"{label:<42} {rate:10.0f} samples/s")
    return rate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--latent-dim", type=int, default=2)
    parser.add_argument(
        "--hidden-dims", type=int, nargs="+", default=[512, 256],
        help="encoder widths (the pipeline's default; PyTorch's example uses 400 with --latent-dim 20)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dataset = build_dataset("mnist-5k", seed=0)
    config = VAEConfig(latent_dim=args.latent_dim, hidden_dims=tuple(args.hidden_dims))
    cpu = torch.device("cpu")
    samples = len(dataset.train_images)
    print(
        f"{samples} training digits, batch {BATCH_SIZE}, model 784-{'-'.join(map(str, config.hidden_dims))}-"
        f"{config.latent_dim}, {args.threads} threads, torch {torch.__version__}"
    )

    model = build_model(config, 0, cpu)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    noise_generator = torch.Generator().manual_seed(1)
    with tempfile.TemporaryDirectory() as root:
        loader = DataLoader(torchvision_mnist(Path(root), dataset), batch_size=BATCH_SIZE, shuffle=True)
        baseline = measure(
            "torchvision MNIST + DataLoader (example)",
            lambda: example_style_epoch(model, optimizer, loader, noise_generator),
            args.epochs, samples,
        )

    model = build_model(config, 0, cpu)
    optimizer = make_optimizer(model, 1e-3)
    train_x = images_to_vectors(dataset.train_images)
    shuffle_generator = torch.Generator().manual_seed(2)
    ours = measure(
        "in-memory tensor (latentspace)",
        lambda: train_epoch(model, optimizer, train_x, BATCH_SIZE, shuffle_generator, noise_generator),
        args.epochs, samples,
    )
    print(f"speed-up: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main()
