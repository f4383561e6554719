"""Training throughput on the CPU: PyTorch's example-style loop against latentspace's loop.

The baseline is the loop of the official PyTorch VAE example (pytorch/examples, vae/main.py):
a DataLoader over a torchvision-style dataset that converts every sample with ToTensor,
batch 128, shuffled. Ours keeps the whole training set as one tensor on the device and
slices batches out of a permutation. Same model, data, batch size and optimiser.

    python benchmarks/train_throughput.py [--epochs 3] [--threads 2]

Prints samples per second for both and the speed-up.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from latentspace.datasets import build_dataset, images_to_vectors
from latentspace.model import VAEConfig, loss_terms
from latentspace.training import build_model, make_optimizer, train_epoch

BATCH_SIZE = 128


class PilDigits(Dataset):
    """Digits served one by one as PIL images, converted by ToTensor: what torchvision's MNIST does."""

    def __init__(self, images: np.ndarray):
        self.images = images
        self.to_tensor = transforms.ToTensor()

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.to_tensor(Image.fromarray(self.images[index], mode="L")), 0


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
    print(f"{label:<34} {rate:10.0f} samples/s")
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
    loader = DataLoader(PilDigits(dataset.train_images), batch_size=BATCH_SIZE, shuffle=True)
    noise_generator = torch.Generator().manual_seed(1)
    baseline = measure(
        "DataLoader + ToTensor (example)", lambda: example_style_epoch(model, optimizer, loader, noise_generator),
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
