"""Training loop, evaluation and metrics of a VAE.

The whole training set lives on the device as one (N, 784) float tensor; each epoch
draws one permutation and slices batches out of it, so no per-sample conversion or
DataLoader worker sits in the hot loop. On CUDA the step of every full batch is one
captured graph, replayed (``latentspace.training.graph_step``); the ragged last batch, and every
batch on the CPU and MPS, run eagerly through the same ``_train_step``. Every random
draw (the permutation, the reparameterisation noise, the initial weights) comes from
generators seeded by the configured seed, so the same settings on the same machine give
identical weights.

A run can stop after any epoch and continue later bit for bit: ``TrainingState`` holds
everything the next epoch depends on (weights, Adam's moments, both generators, the
history), ``latentspace.training.checkpoints`` saves and restores it, and ``run_epochs`` goes on
from ``len(state.history)``. A stop request (SIGTERM, see ``latentspace.training.signals``) is
honoured between two batches: the unfinished epoch is dropped, since the checkpoint of
the last finished one already holds everything needed to redo it.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

from latentspace.training.batching import BatchPlan, epoch_order
from latentspace.errors import TrainingError
from latentspace.model.vae import VAE, VAEConfig, loss_terms
from latentspace.training.progress import EpochReporter
from latentspace.files.training_history import EpochRecord
from latentspace.settings.declared import TrainingRun

if TYPE_CHECKING:
    from latentspace.training.graph_step import ReplayedStep

ACTIVE_UNIT_THRESHOLD = 0.01  # Burda et al. (2015): Cov_x(E_q[z_u]) > 0.01
# The modules whose code decides the weights a checkpoint holds (see training_signature).
TRAINING_CODE_MODULES = ("training.loop", "training.checkpoints")


class TrainingInterrupted(TrainingError):
    """A stop was requested (SIGTERM); the last finished epoch can be resumed."""


@dataclass
class TrainingState:
    """Everything the next epoch depends on; ``run_epochs`` updates it in place."""

    model: VAE
    optimizer: torch.optim.Optimizer
    shuffle_generator: torch.Generator  # on the CPU: the order of the training images
    noise_generator: torch.Generator  # on the model's device: the reparameterisation noise
    history: list[EpochRecord]
    # Not saved with the state: how many steps this process replayed from a captured CUDA
    # graph (0 off CUDA, or when the capture failed and the loop ran eagerly).
    steps_replayed: int = 0

    @property
    def epochs_done(self) -> int:
        return len(self.history)


def build_model(config: VAEConfig, seed: int, device: torch.device) -> VAE:
    """A freshly initialised model whose weights depend on ``seed`` only."""
    torch.manual_seed(seed)
    return VAE(config).to(device)


def make_optimizer(model: VAE, learning_rate: float) -> torch.optim.Adam:
    """Adam; its fused kernel (one update for all tensors) where torch has one, ~15% faster on CPU.

    On CUDA it is also ``capturable``: the step count stays on the GPU, so the step can be
    captured in a CUDA graph; the eager fallback uses the same optimizer, and its state
    round-trips through a checkpoint either way.
    """
    device_type = next(model.parameters()).device.type
    return torch.optim.Adam(
        model.parameters(),
        lr=learning_rate,
        fused=device_type in ("cpu", "cuda", "mps"),
        capturable=device_type == "cuda",
    )


def new_training_state(model: VAE, settings: TrainingRun) -> TrainingState:
    """Adam and both generators as epoch 1 needs them, seeded from ``settings.seed``."""
    device = next(model.parameters()).device
    return TrainingState(
        model,
        make_optimizer(model, settings.learning_rate),
        torch.Generator().manual_seed(settings.seed + 1),
        torch.Generator(device=device).manual_seed(settings.seed + 2),
        [],
    )


def tensors_sha256(*tensors: torch.Tensor) -> str:
    """Hex SHA-256 of the tensors' bytes (moved to the CPU first), shapes and dtypes included."""
    digest = hashlib.sha256()
    for tensor in tensors:
        cpu = tensor.detach().cpu().contiguous()
        digest.update(f"{tuple(cpu.shape)} {cpu.dtype}".encode())
        digest.update(cpu.numpy().tobytes())
    return digest.hexdigest()


def device_signature(device: torch.device) -> dict:
    """The part of a checkpoint's signature that names the machine's arithmetic.

    The device type, because a CUDA generator's state does not fit a CPU generator. On
    CUDA also the GPU: cuBLAS gives bitwise-identical results only on the same
    architecture, SM count and toolkit (NVIDIA's cuBLAS documentation, "Results
    reproducibility"), so the GPU's name, compute capability and SM count (a MIG slice has
    fewer SMs than its whole GPU) and the torch and CUDA versions enter too.
    """
    if device.type != "cuda":
        return {"device_type": device.type}
    properties = torch.cuda.get_device_properties(device)
    return {
        "device_type": device.type,
        "device_name": properties.name,
        "compute_capability": f"{properties.major}.{properties.minor}",
        "multi_processor_count": properties.multi_processor_count,
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda,
    }


def training_signature(
    config: VAEConfig,
    settings: TrainingRun,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    code_version: str,
    device_fields: dict | None = None,
) -> dict:
    """What a checkpoint must match to be resumed: everything but the number of epochs.

    The first k epochs do not depend on how many follow, so a checkpoint after k epochs
    continues any run of k or more epochs. ``device_fields`` are ``device_signature`` of the
    data's device unless given (a test passes another GPU's). The data enter as given: the train
    step passes the uint8 images, whose hash costs a quarter of the float vectors' (at
    70,000 digits about 0.3 s instead of 1.5 s on a busy CPU).
    """
    return {
        "model": config.to_dict(),
        "batch_size": settings.batch_size,
        "learning_rate": settings.learning_rate,
        "seed": settings.seed,
        **(device_signature(train_x.device) if device_fields is None else device_fields),
        "data_sha256": tensors_sha256(train_x, test_x),
        "code_version": code_version,
    }


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
    # Sums over the whole set in float64 (E[m^2] - E[m]^2 cancels); Apple's MPS has no float64.
    accumulator = torch.float32 if x.device.type == "mps" else torch.float64
    kl_per_dim = torch.zeros(latent_dim, device=x.device, dtype=accumulator)
    mean_sum = torch.zeros(latent_dim, device=x.device, dtype=accumulator)
    mean_sq_sum = torch.zeros(latent_dim, device=x.device, dtype=accumulator)
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        terms = loss_terms(model, batch, _noise((len(batch), latent_dim), generator, x.device))
        totals += torch.stack([terms.reconstruction.sum(), terms.kl.sum()])
        kl_per_dim += terms.kl_per_dim.sum(dim=0).to(accumulator)
        mean_sum += terms.posterior_mean.sum(dim=0).to(accumulator)
        mean_sq_sum += terms.posterior_mean.pow(2).sum(dim=0).to(accumulator)
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


def _train_step(
    model: VAE, optimizer: torch.optim.Optimizer, batch: torch.Tensor, noise: torch.Tensor, totals: torch.Tensor
) -> None:
    """One Adam step on the batch's mean loss; adds its summed reconstruction and KL to ``totals``."""
    terms = loss_terms(model, batch, noise)
    loss = terms.loss.mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    totals += torch.stack([terms.reconstruction.detach().sum(), terms.kl.detach().sum()])


def train_epoch(
    model: VAE,
    optimizer: torch.optim.Optimizer,
    train_x: torch.Tensor,
    batch_size: int,
    shuffle_generator: torch.Generator,
    noise_generator: torch.Generator,
    should_stop: Callable[[], bool] | None = None,
    replayed: ReplayedStep | None = None,
) -> tuple[float, float]:
    """One pass over ``train_x`` in a seeded random order; returns mean reconstruction and KL.

    With ``replayed`` (a step captured by ``capture_train_step`` for this model, optimizer
    and batch size) every full batch replays it; otherwise, and for the ragged last
    batch, the step runs eagerly. Both see the same images in the same order with the
    same noise. ``should_stop`` is asked before each batch; when it answers True the epoch
    is abandoned with TrainingInterrupted (the model is then half-way through the epoch).
    """
    model.train()
    plan = BatchPlan(len(train_x), batch_size)
    order = epoch_order(len(train_x), shuffle_generator, train_x.device)
    # Summed on the device: no sync per batch, one per epoch (the .tolist() below).
    totals = torch.zeros(2, device=train_x.device) if replayed is None else replayed.totals.zero_()
    for start, stop in plan.bounds():
        if should_stop is not None and should_stop():
            raise TrainingInterrupted(f"stopped on request after {start} of {len(train_x)} images of the epoch")
        if replayed is not None and stop - start == replayed.batch_size:
            replayed.run(train_x, order[start:stop], noise_generator)
            continue
        batch = train_x[order[start:stop]]
        noise = _noise((len(batch), model.config.latent_dim), noise_generator, batch.device)
        _train_step(model, optimizer, batch, noise, totals)
    reconstruction, kl = (totals / len(train_x)).tolist()
    return reconstruction, kl


def capture_train_step(model: VAE, optimizer: torch.optim.Optimizer, batch_size: int) -> ReplayedStep:
    """``_train_step`` on CUDA for full batches of ``batch_size``, captured as a replayable graph.

    The returned step's ``totals`` (2,) is where replays add the summed reconstruction and
    KL. Raises whatever the capture raised; the model and optimizer are unchanged then too.
    """
    from latentspace.training.graph_step import capture_step

    return capture_step(
        lambda batch, noise, totals: _train_step(model, optimizer, batch, noise, totals),
        model,
        optimizer,
        (batch_size, model.config.input_dim),
        (batch_size, model.config.latent_dim),
        (2,),
    )


def replayed_step_or_none(model: VAE, optimizer: torch.optim.Optimizer, batch_size: int) -> ReplayedStep | None:
    """The captured step on CUDA; None on other devices, or with a one-line warning if capture fails.

    The warning names the error that broke the capture (``graph_step.first_error``), not
    the "previous error during capture" that ending a broken capture raises after it.
    """
    if next(model.parameters()).device.type != "cuda":
        return None
    from latentspace.training.graph_step import first_error

    outer = sys.exception()
    try:
        return capture_train_step(model, optimizer, batch_size)
    except Exception as error:  # any failure to capture: the eager loop gives the same result, slower
        cause = first_error(error, outer)
        reason = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        print(f"latentspace train: CUDA graph capture failed ({reason}); training eagerly", file=sys.stderr)
        return None


def train_vae(
    model: VAE,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    settings: TrainingRun,
    reporter: EpochReporter | None = None,
) -> list[EpochRecord]:
    """Train with Adam from scratch; return one record per epoch. Stops with TrainingError on a NaN/inf loss."""
    return run_epochs(new_training_state(model, settings), train_x, test_x, settings, reporter)


def run_epochs(
    state: TrainingState,
    train_x: torch.Tensor,
    test_x: torch.Tensor,
    settings: TrainingRun,
    reporter: EpochReporter | None = None,
    on_epoch_end: Callable[[TrainingState], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    replay: bool = True,
) -> list[EpochRecord]:
    """Train from epoch ``state.epochs_done + 1`` to ``settings.epochs``; return the whole history.

    ``on_epoch_end(state)`` runs after each finished epoch (the place to save a checkpoint).
    ``should_stop`` is polled between batches; a True answer raises TrainingInterrupted.
    On CUDA the full batches replay a captured step unless ``replay`` is False; once the
    last epoch is done, their number is added to ``state.steps_replayed``.
    """
    model = state.model
    first_epoch = state.epochs_done + 1
    replayed = None
    if replay and first_epoch <= settings.epochs:
        replayed = replayed_step_or_none(model, state.optimizer, settings.batch_size)
    for epoch in range(first_epoch, settings.epochs + 1):
        started = time.perf_counter()
        try:
            train_reconstruction, train_kl = train_epoch(
                model,
                state.optimizer,
                train_x,
                settings.batch_size,
                state.shuffle_generator,
                state.noise_generator,
                should_stop,
                replayed,
            )
        except TrainingInterrupted as stop:
            raise TrainingInterrupted(f"epoch {epoch}: {stop}; {state.epochs_done} epochs are done") from None
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
        state.history.append(record)
        if on_epoch_end:
            on_epoch_end(state)
        if reporter:
            reporter.report(
                epoch,
                {"train_loss": record.train_loss, "test_loss": record.test_loss, "test_kl": record.test_kl},
                record.seconds,
            )
    if replayed is not None:
        state.steps_replayed += replayed.replays
    return state.history


def final_metrics(model: VAE, test_x: torch.Tensor, settings: TrainingRun, history: list[EpochRecord]) -> dict:
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
        "settings": settings.as_record(),
    }
