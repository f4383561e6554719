"""Train one VAE and write its weights, history and metrics.

With ``--checkpoint``, the training state is saved after every epoch and a re-run resumes
from it; SIGTERM stops training within one batch with exit status 75. The checkpoint only
lives while training is unfinished: once the model, history and metrics are written it is
removed, so running the step again (``snakemake --forcerun train``) trains from scratch.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from latentspace.settings.command_line import file_path
from latentspace.settings.declaring import REQUIRED, setting
from latentspace.settings.declared import GROUP, ModelSettings, OnDevice, TrainingRun


@dataclass(**GROUP)
class Settings(TrainingRun, ModelSettings, OnDevice):
    """The train section, the model's layers, this model's training seed and the device."""

    latent_dim: int = setting(REQUIRED, minimum=1, description="Size of the model's latent space (the rule's wildcard).")


@dataclass(**GROUP)
class Files:
    data: str = file_path("the dataset .npz")
    model_out: str = file_path("the trained model .pt")
    history_out: str = file_path("the per-epoch losses .csv")
    metrics_out: str = file_path("the final metrics .json")
    checkpoint: str | None = file_path(
        "training state saved after every epoch and resumed from when it matches this run; "
        "with it, SIGTERM stops training within one batch, exit status 75",
        default=None,
    )


def run(settings: Settings, files: Files) -> None:
    from latentspace.files.atomic import FileWriteError

    saved = SavedEpochs(0)
    try:
        train(settings, files, saved)
    except FileWriteError as error:
        raise FileWriteError(f"{error}; {saved.after_refused_write(files.checkpoint)}") from None


class SavedEpochs:
    """How many epochs the checkpoint holds, to tell what a re-run after a failed write does."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def after_refused_write(self, checkpoint: str | None) -> str:
        if checkpoint is None:
            return "a re-run trains from scratch (no --checkpoint)"
        if self.epochs == 0:
            return f"a re-run trains from scratch (no epoch was saved to {checkpoint})"
        return f"a re-run resumes from the last saved epoch ({self.epochs}, in {checkpoint})"


def train(settings: Settings, files: Files, saved: SavedEpochs) -> None:
    import torch

    from latentspace.files.atomic import write_text_atomic
    from latentspace.training.checkpoints import resume_or_start, save_training_state
    from latentspace.pipeline.cluster import unused_gpu_warning
    from latentspace.pipeline.code_hash import package_source_hash
    from latentspace.files.datasets import images_to_vectors, load_dataset
    from latentspace.model.devices import resolve_training_device
    from latentspace.model.vae import VAEConfig
    from latentspace.model.model_files import save_model
    from latentspace.training.progress import EpochReporter
    from latentspace.training.signals import EXIT_INTERRUPTED, stop_requested_by
    from latentspace.training.loop import (
        TRAINING_CODE_MODULES,
        TrainingInterrupted,
        build_model,
        final_metrics,
        new_training_state,
        run_epochs,
        training_signature,
    )
    from latentspace.files.training_history import history_to_csv

    torch.set_num_threads(settings.threads)
    device = resolve_training_device(settings.device)
    gpu_warning = unused_gpu_warning(os.environ, device)
    if gpu_warning:
        print(f"latentspace train: {gpu_warning}", file=sys.stderr)
    dataset = load_dataset(files.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    config = VAEConfig(settings.latent_dim, settings.hidden_dims)
    slurm_job_id = os.environ.get("SLURM_JOB_ID")
    print(
        f"training z = {settings.latent_dim} on {device}: {len(train_x)} train / {len(test_x)} test images "
        f"({dataset.source}), epochs={settings.epochs}, batch_size={settings.batch_size}, "
        f"learning_rate={settings.learning_rate}, seed={settings.seed}" + (f", in SLURM job {slurm_job_id}" if slurm_job_id else ""),
        file=sys.stderr,
    )
    reporter = EpochReporter(settings.epochs, f"z={settings.latent_dim}")
    if files.checkpoint is None:
        state = new_training_state(build_model(config, settings.seed, device), settings)
        run_epochs(state, train_x, test_x, settings, reporter)
    else:
        # The signature hashes the uint8 images (a quarter of the float vectors' bytes), on the run's device.
        images = (torch.from_numpy(dataset.train_images).to(device), torch.from_numpy(dataset.test_images).to(device))
        signature = training_signature(config, settings, *images, package_source_hash(TRAINING_CODE_MODULES))
        state, how = resume_or_start(files.checkpoint, config, settings, signature, device)
        print(how, file=sys.stderr)
        saved.epochs = state.epochs_done

        def save_checkpoint(finished) -> None:
            save_training_state(files.checkpoint, finished, signature)
            saved.epochs = finished.epochs_done

        with stop_requested_by() as stop:
            try:
                run_epochs(
                    state,
                    train_x,
                    test_x,
                    settings,
                    reporter,
                    on_epoch_end=save_checkpoint,
                    should_stop=stop.is_set,
                )
            except TrainingInterrupted as interruption:
                print(
                    f"latentspace train: {stop.signal_name} received: {interruption}; "
                    f"run again to resume from {files.checkpoint}",
                    file=sys.stderr,
                )
                raise SystemExit(EXIT_INTERRUPTED) from None
    if device.type == "cuda":  # the proof that the captured graph ran (tests read this line)
        print(f"latentspace train: {state.steps_replayed} steps replayed from a CUDA graph", file=sys.stderr)
    model, history = state.model, state.history
    metrics = final_metrics(model, test_x, settings, history)
    metrics["device"] = str(device)
    metrics["dataset"] = dataset.summary()
    save_model(files.model_out, model)
    write_text_atomic(files.history_out, history_to_csv(history))
    write_text_atomic(files.metrics_out, json.dumps(metrics, indent=2) + "\n")
    if files.checkpoint is not None:
        # Training is finished and its outputs are written: a later run starts afresh.
        Path(files.checkpoint).unlink(missing_ok=True)
        print(f"training finished: removed {files.checkpoint}", file=sys.stderr)
