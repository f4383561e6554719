"""A small convolutional digit classifier: the judge of decoded digits in the study.

Its confidence (the largest class probability) and the entropy of its prediction tell
how much a decoded image looks like one definite digit; a blurred blend of two digits
gets a lower confidence and a higher entropy. It is trained once, on the VAE's training
split, and must reach ``min_accuracy`` on the test split to be trusted as a judge.

Architecture: LeNet-5's layout (LeCun et al., "Gradient-based learning applied to
document recognition", 1998) with ReLU, max-pooling and dropout (Srivastava et al.,
JMLR 2014): two 5x5 convolutions (12 and 24 channels, each followed by 2x2 max-pooling),
a hidden layer of 64 units, 10 logits; small, so that it trains in seconds on a CPU. Trained with Adam (Kingma & Ba 2014,
arXiv:1412.6980) under a one-cycle learning-rate schedule (Smith & Topin 2017,
arXiv:1708.07120), each training image shifted at random by up to ``max_shift_px`` pixels
in each direction (Simard, Steinkraus & Platt, ICDAR 2003, on augmenting MNIST with
distortions), cheap help for a training set of a few thousand digits.
Optional, all set in the classifier's settings (``study.classifier``): random rotation and scaling as well; label
smoothing (Szegedy et al., "Rethinking the Inception architecture", CVPR 2016); keeping the
mean of the weights after each of the last few epochs instead of the last ones (stochastic
weight averaging, Izmailov et al., UAI 2018; no batch norm here, so nothing to recompute);
an ensemble of networks; and test-time shifts (``ShiftAveraged``): every prediction averages
the class probabilities of the image and of its four copies moved by a pixel or more. That
wrapper is part of the saved classifier, so the test accuracy and the judge's confidence and
entropy of decoded images come from the same averaged prediction (``predict_probabilities``).
Every random draw (initial weights, dropout, batch order, shifts) comes from ``seed``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import fields, replace

import torch
from torch import nn
from torch.nn import functional as F

from latentspace.files.reading import checked_contents, damaged, read_torch_payload
from latentspace.model.model_files import cpu_state_dict, save_torch_payload
from latentspace.errors import LatentspaceError
from latentspace.files.images import IMAGE_SIDE
from latentspace.settings.declared import ClassifierRun
from latentspace.training.progress import EpochReporter

CLASS_COUNT = 10
FORMAT_VERSION = 1
CLASSIFIER_FILE = "a latentspace digit classifier"
PREDICT_BATCH_SIZE = 2048


def is_affine(settings: ClassifierRun) -> bool:
    """Whether the training images are also rotated or scaled (else only shifted, or left alone)."""
    return settings.max_rotation_degrees > 0 or settings.max_scale_change > 0


class DigitClassifier(nn.Module):
    def __init__(self, dropout: float = 0.25):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 12, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # (B, 12, 14, 14)
            nn.Conv2d(12, 24, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (B, 24, 7, 7)
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(24 * 7 * 7, 64), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(64, CLASS_COUNT),
        )
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Intensities (B, 784) in [0, 1] -> logits (B, 10)."""
        return self.head(self.features(x.reshape(-1, 1, IMAGE_SIDE, IMAGE_SIDE)))


class ClassifierEnsemble(nn.Module):
    """Several DigitClassifiers whose class probabilities are averaged (a small ensemble).

    ``forward`` returns the log of the averaged probabilities, so that a softmax of its
    output, as for a single network, gives them.
    """

    def __init__(self, members: list[DigitClassifier]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.dropout = members[0].dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Intensities (B, 784) in [0, 1] -> log of the members' mean class probabilities (B, 10)."""
        log_probabilities = torch.stack([F.log_softmax(member(x), dim=-1) for member in self.members])  # (K, B, 10)
        return torch.logsumexp(log_probabilities, dim=0) - math.log(len(self.members))


class ShiftAveraged(nn.Module):
    """A classifier whose prediction averages the class probabilities of the image and of its
    four copies moved by ``shift_px`` pixels up, down, left and right (test-time augmentation,
    as in Simard et al. 2003's spirit: the network was trained on shifted digits).

    ``forward`` returns the log of the averaged probabilities, as ClassifierEnsemble does, so
    every caller of the model (predict_probabilities, hence the judge's confidence and entropy
    of decoded images as well as the test accuracy) gets the same averaged prediction.
    """

    def __init__(self, network: nn.Module, shift_px: int):
        super().__init__()
        self.network = network
        self.shift_px = shift_px
        self.dropout = network.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Intensities (B, 784) in [0, 1] -> log of the mean class probabilities over the five placements (B, 10)."""
        m, count = self.shift_px, len(x)
        padded = F.pad(x.reshape(count, IMAGE_SIDE, IMAGE_SIDE), (m,) * 4)               # (B, 28 + 2m, 28 + 2m)
        offsets = [(m, m), (0, m), (2 * m, m), (m, 0), (m, 2 * m)]                        # (row, col) of the window
        windows = torch.cat([padded[:, r : r + IMAGE_SIDE, c : c + IMAGE_SIDE].reshape(count, -1)
                             for r, c in offsets])                                         # (5 B, 784)
        log_probabilities = F.log_softmax(self.network(windows), dim=-1).view(len(offsets), count, CLASS_COUNT)
        return torch.logsumexp(log_probabilities, dim=0) - math.log(len(offsets))


def random_shifts(images: torch.Tensor, max_shift_px: int, generator: torch.Generator) -> torch.Tensor:
    """Images (B, 784) each moved by a random whole number of pixels in [-max, max] per axis.

    The image is padded with zeros (background) and a 28 x 28 window is read at a random
    offset; the offsets come from ``generator`` (on the CPU).
    """
    count = len(images)
    padded = F.pad(images.view(count, IMAGE_SIDE, IMAGE_SIDE), (max_shift_px,) * 4)   # (B, 28 + 2m, 28 + 2m)
    offsets = torch.randint(0, 2 * max_shift_px + 1, (2, count), generator=generator).to(images.device)  # (2, B)
    pixels = torch.arange(IMAGE_SIDE, device=images.device)
    rows = (offsets[0][:, None] + pixels)[:, :, None]                                 # (B, 28, 1)
    cols = (offsets[1][:, None] + pixels)[:, None, :]                                 # (B, 1, 28)
    batch = torch.arange(count, device=images.device)[:, None, None]                  # (B, 1, 1)
    return padded[batch, rows, cols].reshape(count, -1)


def random_affine(
    images: torch.Tensor, max_shift_px: float, max_rotation_degrees: float, max_scale_change: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """Images (B, 784) each rotated, scaled and shifted at random about its centre (bilinear).

    Angle uniform in [-max_rotation_degrees, max_rotation_degrees], scale in
    1 +- max_scale_change, shift in [-max_shift_px, max_shift_px] pixels per axis; the
    background outside the image is 0. Draws come from ``generator`` (on the CPU).
    """
    count = len(images)
    draws = torch.rand((4, count), generator=generator, dtype=torch.float32) * 2 - 1            # (4, B) in [-1, 1)
    angle = torch.deg2rad(draws[0] * max_rotation_degrees)
    scale = 1 + draws[1] * max_scale_change
    shift = draws[2:] * (2 * max_shift_px / IMAGE_SIDE)                                          # (2, B), grid units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[0]], 1), torch.stack([sin, cos, shift[1]], 1)], 1)  # (B, 2, 3)
    grid = F.affine_grid(theta.to(images.device), (count, 1, IMAGE_SIDE, IMAGE_SIDE), align_corners=False)
    moved = F.grid_sample(images.view(count, 1, IMAGE_SIDE, IMAGE_SIDE), grid, align_corners=False)
    return moved.reshape(count, -1)


def train_classifier(
    train_x: torch.Tensor,
    train_labels: torch.Tensor,
    settings: ClassifierRun,
    reporter: EpochReporter | None = None,
) -> tuple[DigitClassifier | ClassifierEnsemble, list[float]]:
    """Train on images (N, 784) with labels (N,) on their device; returns the model and the loss per epoch.

    With ``settings.members`` > 1, member k trains as a single network would with seed
    ``seed + 2 k`` (its generators use seed + 2 k and seed + 2 k + 1), and the result is
    their ensemble; the losses are the members' mean per epoch. With
    ``settings.test_time_shift_px`` > 0 the result is wrapped in ShiftAveraged.
    """
    if settings.test_time_shift_px:
        network, losses = train_classifier(train_x, train_labels, replace(settings, test_time_shift_px=0), reporter)
        return ShiftAveraged(network, settings.test_time_shift_px).eval(), losses
    if settings.members == 1:
        return _train_network(train_x, train_labels, settings, reporter)
    trained = [
        _train_network(train_x, train_labels, replace(settings, seed=settings.seed + 2 * member, members=1), reporter)
        for member in range(settings.members)
    ]
    losses = [sum(values) / len(values) for values in zip(*(losses for _, losses in trained))]
    return ClassifierEnsemble([network for network, _ in trained]).eval(), losses


def _train_network(
    train_x: torch.Tensor,
    train_labels: torch.Tensor,
    settings: ClassifierRun,
    reporter: EpochReporter | None = None,
) -> tuple[DigitClassifier, list[float]]:
    device = train_x.device
    torch.manual_seed(settings.seed)  # initial weights and dropout masks
    classifier = DigitClassifier().to(device)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=settings.learning_rate)
    batches_per_epoch = -(-len(train_x) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.learning_rate, total_steps=settings.epochs * batches_per_epoch
    )
    shuffle_generator = torch.Generator().manual_seed(settings.seed + 1)
    epoch_losses = []
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        classifier.train()
        order = torch.randperm(len(train_x), generator=shuffle_generator).to(device)
        loss_sum = torch.zeros((), device=device)
        for start in range(0, len(train_x), settings.batch_size):
            batch = order[start : start + settings.batch_size]
            images = train_x[batch]                                                   # (B, 784)
            if is_affine(settings):
                images = random_affine(images, settings.max_shift_px, settings.max_rotation_degrees,
                                       settings.max_scale_change, shuffle_generator)
            elif settings.max_shift_px:
                images = random_shifts(images, settings.max_shift_px, shuffle_generator)
            loss = F.cross_entropy(classifier(images), train_labels[batch], label_smoothing=settings.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.detach() * len(batch)
        epoch_losses.append(loss_sum.item() / len(train_x))
        averaged_so_far = epoch - (settings.epochs - min(settings.averaged_epochs, settings.epochs))
        if settings.averaged_epochs > 1 and averaged_so_far >= 1:
            with torch.no_grad():
                if averaged_so_far == 1:
                    average = {name: value.detach().clone() for name, value in classifier.state_dict().items()}
                else:
                    for name, value in classifier.state_dict().items():
                        average[name] += (value - average[name]) / averaged_so_far
        if reporter:
            reporter.report(epoch, {"train_cross_entropy": epoch_losses[-1]}, time.perf_counter() - started)
    if settings.averaged_epochs > 1:
        classifier.load_state_dict(average)
    return classifier.eval(), epoch_losses


@torch.no_grad()
def predict_probabilities(
    classifier: DigitClassifier, images: torch.Tensor, batch_size: int = PREDICT_BATCH_SIZE
) -> torch.Tensor:
    """Class probabilities (N, 10) of images (N, 784) on the classifier's device."""
    classifier.eval()
    parts = [
        torch.softmax(classifier(images[start : start + batch_size]), dim=-1)
        for start in range(0, len(images), batch_size)
    ]
    return torch.cat(parts) if parts else images.new_empty((0, CLASS_COUNT))


def confidence_and_entropy(probabilities: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The largest probability (N,) and the entropy in nats (N,) of probabilities (N, 10)."""
    entropy = -torch.special.xlogy(probabilities, probabilities).sum(dim=-1)
    return probabilities.max(dim=-1).values, entropy


def accuracy(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of rows of probabilities (N, 10) whose most probable class is the label (N,)."""
    return (probabilities.argmax(dim=-1) == labels).sum().item() / len(labels)


def save_classifier(
    path: str | os.PathLike, classifier: DigitClassifier | ClassifierEnsemble, settings: ClassifierRun
) -> None:
    """Weights and settings only (plain tensors and numbers), loadable with weights_only=True.

    ``state_dict`` holds one network's weights, or an ensemble's as one state dict whose
    keys start with ``members.<k>.``. The same classifier gives the same bytes."""
    payload = {
        "format_version": FORMAT_VERSION,
        "dropout": classifier.dropout,
        # The settings that shaped the weights (not where they ran): the same training, the same bytes.
        "settings": {field.name: getattr(settings, field.name) for field in fields(ClassifierRun)},
        "state_dict": cpu_state_dict(classifier),
    }
    if isinstance(classifier, ShiftAveraged):
        payload["test_time_shift_px"] = classifier.shift_px
        payload["state_dict"] = cpu_state_dict(classifier.network)
        classifier = classifier.network
    if isinstance(classifier, ClassifierEnsemble):
        payload["members"] = len(classifier.members)
    save_torch_payload(payload, path)


def load_classifier(
    path: str | os.PathLike, device: torch.device | str = "cpu"
) -> DigitClassifier | ClassifierEnsemble:
    payload = read_torch_payload(path, CLASSIFIER_FILE, ("format_version", "dropout", "state_dict"), map_location=device)
    if payload["format_version"] != FORMAT_VERSION:
        raise damaged(path, f"format version {payload['format_version']!r}, not {FORMAT_VERSION}", CLASSIFIER_FILE)
    with checked_contents(path, CLASSIFIER_FILE):
        dropout = float(payload["dropout"])
        members = int(payload.get("members", 1))
        classifier = (DigitClassifier(dropout) if members == 1
                      else ClassifierEnsemble([DigitClassifier(dropout) for _ in range(members)]))
        classifier.load_state_dict(payload["state_dict"])
        shift_px = int(payload.get("test_time_shift_px", 0))
        if shift_px:
            classifier = ShiftAveraged(classifier, shift_px)
    return classifier.to(device).eval()
