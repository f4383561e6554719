"""Training loop, evaluation and metrics of a VAE.

The whole training set lives on the device as one (N, 784) float tensor; each epoch
draws one permutation and slices batches out of it, so no per-sample conversion or
DataLoader worker sits in the hot loop. Every random draw (the permutation, the
reparameterisation noise, the initial weights) comes from generators seeded by the
configured seed, so the same settings on the same machine give identical weights.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch

from latentspace.errors import TrainingError
from latentspace.model import VAE, VAEConfig, loss_terms
from latentspace.progress import EpochReporter

ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. (2015): Cov_x(E_q[z_u]) > 0.01


@dataclass(frozen=True)
class TrainSettings:
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int

    def __post_init__(self):
        if self.epochs < 1:
            raise TrainingError(f"train.epochs: expected at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise TrainingError(f"train.batch_size: expected at least 1, got {self.batch_size}")
        if not self.learning_rate > 0:
            raise TrainingError(f"train.learning_rate: expected a positive number, got {self.learning_rate}")


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    train_loss: float
    train_reconstruction: float
    train_kl: float
    test_loss: float
    test_reconstruction: float
    test_kl: float
    seconds: float


HISTORY_COLUMNS = tuple(EpochRecord.__dataclass_fields__)


def build_model(config: VAEConfig, seed: int, device: torch.device) -> VAE:
    """A freshly initialised model whose weights depend on ``seed`` only."""
    torch.manual_seed(seed)
    return VAE(config).to(device)


def _noise(shape: tuple[int, ...], generator: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randn(shape, generator=generator, device=device)


@torch.no_grad()
def evaluate(model: VAE, x: torch.Tensor, batch_size: int, seed: int) -> dict:
    """Mean loss terms over ``x`` (nats per image) with fixed noise, plus per-dimension statistics.

    Returns loss, reconstruction, kl, kl_per_dim (D,) and the variance over ``x`` of each
    posterior mean (D,), which counts the active units.
    """
    model.eval()
    generator = torch.Generator(device=x.device).manual_seed(seed)
    latent_dim = model.config.latent_dim
    totals = torch.zeros(2, device=x.device)  # reconstruction, kl
    kl_per_dim = torch.zeros(latent_dim, device=x.device, dtype=torch.float64)
    mean_sum = torch.zeros(latent_dim, device=x.device, dtype=torch.float64)
    mean_sq_sum = torch.zeros(latent_dim, device=x.device, dtype=torch.float64)
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        terms = loss_terms(model, batch, _noise((len(batch), latent_dim), generator, x.device))
        totals += torch.stack([terms.reconstruction.sum(), terms.kl.sum()])
        kl_per_dim += terms.kl_per_dim.sum(dim=0).double()
        mean_sum += terms.posterior_mean.sum(dim=0).double()
        mean_sq_sum += terms.posterior_mean.pow(2).sum(dim=0).double()
    count = len(x)
    reconstruction, kl = (totals / count).tolist()
    posterior_mean_variance = (mean_sq_sum / count - (mean_sum / count) ** 2).clamp_min(0)
    return {
        "loss": reconstruction + kl,
        "reconstruction": reconstruction,
        "kl": kl,
        "kl_per_dim": (kl_per_dim / count).cpu().tolist(),
        "posterior_mean_variance": posterior_mean_variance.cpu().tolist(),
    }


def train_epoch(
    model: VAE,
    optimizer: torch.optim.Optimizer,
    train_x: torch.Tensor,
    batch_size: int,
    shuffle_generator: torch.Generator,
    noise_generator: torch.Generator,
) -> tuple[float, float]:
    """One pass over ``train_x`` in a seeded random order; returns mean reconstruction and KL."""
    model.train()
    order = torch.randperm(len(train_x), generator=shuffle_generator).to(train_x.device)
    totals = torch.zeros(2, device=train_x.device)  # summed on the device: no sync per batch
    for start in range(0, len(train_x), batch_size):
        batch = train_x[order[start : start + batch_size]]
        terms = loss_terms(model, batch, _noise((len(batch), model.config.latent_dim), noise_generator, batch.device))
        loss = terms.loss.mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        totals += torch.stack([terms.reconstruction.detach().sum(), terms.kl.detach().sum()])
    reconstruction, kl = (totals / len(train_x)).tolist()
    return reconstruction, kl


def train_vae(
    model: VAE,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    settings: TrainSettings,
    reporter: EpochReporter | None = None,
) -> list[EpochRecord]:
    """Train with Adam; return one record per epoch. Stops with TrainingError on a NaN/inf loss."""
    device = train_x.device
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    shuffle_generator = torch.Generator().manual_seed(settings.seed + 1)
    noise_generator = torch.Generator(device=device).manual_seed(settings.seed + 2)
    history: list[EpochRecord] = []
    for epoch in range(1, settings.epochs + 1):
        started = time.perf_counter()
        train_reconstruction, train_kl = train_epoch(
            model, optimizer, train_x, settings.batch_size, shuffle_generator, noise_generator
        )
        if not (math.isfinite(train_reconstruction) and math.isfinite(train_kl)):
            raise TrainingError(
                f"epoch {epoch}: the training loss became {train_reconstruction + train_kl} "
                f"(reconstruction {train_reconstruction}, KL {train_kl}); try a lower train.learning_rate"
            )
        test = evaluate(model, test_x, settings.batch_size, settings.seed + 3)
        record = EpochRecord(
            epoch,
            train_reconstruction + train_kl,
            train_reconstruction,
            train_kl,
            test["loss"],
            test["reconstruction"],
            test["kl"],
            time.perf_counter() - started,
        )
        history.append(record)
        if reporter:
            reporter.report(
                epoch,
                {"train_loss": record.train_loss, "test_loss": record.test_loss, "test_kl": record.test_kl},
                record.seconds,
            )
    return history


def final_metrics(model: VAE, test_x: torch.Tensor, settings: TrainSettings, history: list[EpochRecord]) -> dict:
    """Test ELBO (nats per image, higher is better), its terms, KL per dimension and active units."""
    test = evaluate(model, test_x, settings.batch_size, settings.seed + 3)
    active = [variance > ACTIVE_UNIT_THRESHOLD for variance in test["posterior_mean_variance"]]
    return {
        "latent_dim": model.config.latent_dim,
        "test_elbo_nats": -test["loss"],
        "test_reconstruction_nats": test["reconstruction"],
        "test_kl_nats": test["kl"],
        "kl_per_dim_nats": test["kl_per_dim"],
        "posterior_mean_variance": test["posterior_mean_variance"],
        "active_units": sum(active),
        "active_unit_threshold": ACTIVE_UNIT_THRESHOLD,
        "test_size": len(test_x),
        "epochs": len(history),
        "train_seconds": sum(record.seconds for record in history),
        "settings": asdict(settings),
    }


def history_to_csv(history: list[EpochRecord]) -> str:
    lines = [",".join(HISTORY_COLUMNS)]
    for record in history:
        values = asdict(record)
        lines.append(",".join(str(values["epoch"]) if c == "epoch" else f"{values[c]:.6f}" for c in HISTORY_COLUMNS))
    return "\n".join(lines) + "\n"


def history_from_csv(text: str) -> list[EpochRecord]:
    rows = [line.split(",") for line in text.strip().splitlines()]
    if not rows or tuple(rows[0]) != HISTORY_COLUMNS:
        raise TrainingError(f"history: expected the columns {', '.join(HISTORY_COLUMNS)}")
    return [EpochRecord(int(row[0]), *(float(value) for value in row[1:])) for row in rows[1:]]
