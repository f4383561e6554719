"""A model's test ELBO, importance-weighted log-likelihood, KL per dimension, active units and latent norms,
and where its training digits' codes lie (latentspace.study.training_codes)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, LatentGridExtent, LikelihoodSettings, OnDevice, Seeded, StudyJobs


@dataclass(**GROUP)
class Settings(LikelihoodSettings, LatentGridExtent, StudyJobs, Seeded, OnDevice):
    """The importance samples, F2's square (whose share of the training codes a 2-D model
    measures), the study's threads, the seed of its draws and the device."""


@dataclass(**GROUP)
class Files:
    model: str = file_path("the model .pt")
    data: str = file_path("the dataset .npz")
    output: str = file_path("the model's statistics .json")


def run(settings: Settings, files: Files) -> None:
    from latentspace.files.atomic import write_json_atomic
    from latentspace.files.datasets import images_to_vectors, load_dataset
    from latentspace.model.devices import prepare_torch
    from latentspace.model.model_files import load_model
    from latentspace.study.latent_norms import model_statistics
    from latentspace.study.training_codes import training_code_statistics

    device = prepare_torch(settings.device, settings.threads)
    model = load_model(files.model, device)
    dataset = load_dataset(files.data)
    test_x = images_to_vectors(dataset.test_images).to(device)
    train_x = images_to_vectors(dataset.train_images).to(device)
    started = time.perf_counter()
    statistics = model_statistics(model, test_x, settings.iwae_samples, settings.seed)
    statistics["training_codes"] = training_code_statistics(model, train_x, test_x, settings.seed, settings.extent)
    print(
        f"z = {statistics['latent_dim']}: ELBO {statistics['test_elbo_nats']:.2f}, IWAE (k = {settings.iwae_samples}) "
        f"{statistics['test_iwae_nats']:.2f} nats, {statistics['active_units']} active units "
        f"({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    write_json_atomic(files.output, statistics)
