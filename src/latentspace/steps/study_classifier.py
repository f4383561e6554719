"""Train the digit classifier that judges decoded images, and report its test accuracy."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, ClassifierRun, ClassifierSection, OnDevice, StudyJobs


@dataclass(**GROUP)
class Settings(ClassifierSection, ClassifierRun, StudyJobs, OnDevice):
    """The classifier's section, the study's threads, the seed and the device."""


@dataclass(**GROUP)
class Files:
    data: str = file_path("the dataset .npz")
    model_out: str = file_path("the classifier .pt")
    metrics_out: str = file_path("its test accuracy and training losses .json")


def run(settings: Settings, files: Files) -> None:
    import torch

    from latentspace.files.atomic import write_json_atomic
    from latentspace.files.datasets import images_to_vectors, load_dataset
    from latentspace.model.devices import prepare_torch
    from latentspace.study.classifier import accuracy, predict_probabilities, save_classifier, train_classifier
    from latentspace.training.progress import EpochReporter

    device = prepare_torch(settings.device, settings.threads)
    dataset = load_dataset(files.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    train_labels = torch.from_numpy(dataset.train_labels).long().to(device)
    test_labels = torch.from_numpy(dataset.test_labels).long().to(device)
    print(
        f"training the digit classifier on {device}: {len(train_x)} train / {len(test_x)} test images, "
        f"{settings.epochs} epochs, seed {settings.seed}",
        file=sys.stderr,
    )
    classifier, epoch_losses = train_classifier(
        train_x, train_labels, settings, EpochReporter(settings.epochs, "classifier")
    )
    test_accuracy = accuracy(predict_probabilities(classifier, test_x), test_labels)
    metrics = {
        "test_accuracy": test_accuracy,
        "min_accuracy": settings.min_accuracy,
        "meets_bar": test_accuracy >= settings.min_accuracy,
        "test_size": len(test_x),
        "train_size": len(train_x),
        "dataset_source": dataset.source,
        "settings": settings.as_record(),
        "train_cross_entropy_per_epoch": epoch_losses,
        "device": str(device),
    }
    # No run time here: the same settings give the same file (the time is in the benchmark).
    print(f"test accuracy {test_accuracy:.4f} (bar {settings.min_accuracy})", file=sys.stderr)
    save_classifier(files.model_out, classifier, settings)
    write_json_atomic(files.metrics_out, metrics)
