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
from pathlib import Path

from latentspace.errors import LatentspaceError
from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--latent-dim", type=int, required=True)
    parser.add_argument("--hidden-dims", type=int, nargs="+", required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    add_device_arguments(parser)
    parser.add_argument("--model-out", required=True)
    parser.add_argument("--history-out", required=True)
    parser.add_argument("--metrics-out", required=True)
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="training state saved after every epoch and resumed from when it matches this run; "
        "with it, SIGTERM stops training within one batch, exit status 75",
    )


def run(args) -> None:
    from latentspace.atomic_files import FileWriteError

    saved = SavedEpochs(0)
    try:
        train(args, saved)
    except FileWriteError as error:
        raise FileWriteError(f"{error}; {saved.after_refused_write(args.checkpoint)}") from None


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


def train(args, saved: SavedEpochs) -> None:
    import torch

    from latentspace.atomic_files import write_text_atomic
    from latentspace.checkpoints import resume_or_start, save_training_state
    from latentspace.cluster import unused_gpu_warning
    from latentspace.code_version import package_source_hash
    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.devices import resolve_training_device
    from latentspace.model import VAEConfig
    from latentspace.model_files import save_model
    from latentspace.progress import EpochReporter
    from latentspace.signals import EXIT_INTERRUPTED, stop_requested_by
    from latentspace.training import (
        TRAINING_CODE_MODULES,
        TrainingInterrupted,
        TrainSettings,
        build_model,
        final_metrics,
        new_training_state,
        run_epochs,
        training_signature,
    )
    from latentspace.training_records import history_to_csv

    if args.latent_dim < 1:
        raise LatentspaceError(f"latent_dim: expected a positive integer, got {args.latent_dim}")
    settings = TrainSettings(args.epochs, args.batch_size, args.learning_rate, args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_training_device(args.device)
    gpu_warning = unused_gpu_warning(os.environ, device)
    if gpu_warning:
        print(f"latentspace train: {gpu_warning}", file=sys.stderr)
    dataset = load_dataset(args.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    config = VAEConfig(args.latent_dim, tuple(args.hidden_dims))
    slurm_job_id = os.environ.get("SLURM_JOB_ID")
    print(
        f"training z = {args.latent_dim} on {device}: {len(train_x)} train / {len(test_x)} test images "
        f"({dataset.source}), {settings}" + (f", in SLURM job {slurm_job_id}" if slurm_job_id else ""),
        file=sys.stderr,
    )
    reporter = EpochReporter(settings.epochs, f"z={args.latent_dim}")
    if args.checkpoint is None:
        state = new_training_state(build_model(config, args.seed, device), settings)
        run_epochs(state, train_x, test_x, settings, reporter)
    else:
        # The signature hashes the uint8 images (a quarter of the float vectors' bytes), on the run's device.
        images = (torch.from_numpy(dataset.train_images).to(device), torch.from_numpy(dataset.test_images).to(device))
        signature = training_signature(config, settings, *images, package_source_hash(TRAINING_CODE_MODULES))
        state, how = resume_or_start(args.checkpoint, config, settings, signature, device)
        print(how, file=sys.stderr)
        saved.epochs = state.epochs_done

        def save_checkpoint(finished) -> None:
            save_training_state(args.checkpoint, finished, signature)
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
                    f"run again to resume from {args.checkpoint}",
                    file=sys.stderr,
                )
                raise SystemExit(EXIT_INTERRUPTED) from None
    if device.type == "cuda":  # the proof that the captured graph ran (tests read this line)
        print(f"latentspace train: {state.steps_replayed} steps replayed from a CUDA graph", file=sys.stderr)
    model, history = state.model, state.history
    metrics = final_metrics(model, test_x, settings, history)
    metrics["device"] = str(device)
    metrics["dataset"] = dataset.summary()
    save_model(args.model_out, model)
    write_text_atomic(args.history_out, history_to_csv(history))
    write_text_atomic(args.metrics_out, json.dumps(metrics, indent=2) + "\n")
    if args.checkpoint is not None:
        # Training is finished and its outputs are written: a later run starts afresh.
        Path(args.checkpoint).unlink(missing_ok=True)
        print(f"training finished: removed {args.checkpoint}", file=sys.stderr)
