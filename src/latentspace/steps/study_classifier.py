"""Train the digit classifier that judges decoded images, and report its test accuracy."""

from __future__ import annotations

import sys

from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--max-shift-px", type=int, required=True, help="random shift of the training images (0: none)")
    parser.add_argument("--max-rotation-degrees", type=float, required=True, help="random rotation (0: none)")
    parser.add_argument("--max-scale-change", type=float, required=True, help="random scaling by 1 +- this (0: none)")
    parser.add_argument("--members", type=int, required=True, help="networks averaged into the classifier")
    parser.add_argument("--label-smoothing", type=float, required=True, help="share of each target spread over all classes")
    parser.add_argument("--averaged-epochs", type=int, required=True, help="final epochs whose weights are averaged")
    parser.add_argument("--test-time-shift-px", type=int, required=True,
                        help="predictions average the image and its 4 shifts by this many pixels (0: none)")
    parser.add_argument("--min-accuracy", type=float, required=True, help="test accuracy below which it is too weak")
    parser.add_argument("--seed", type=int, required=True)
    add_device_arguments(parser)
    parser.add_argument("--model-out", required=True)
    parser.add_argument("--metrics-out", required=True)


def run(args) -> None:
    import torch

    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.progress import EpochReporter
    from latentspace.steps.shared import prepare_torch, write_json
    from latentspace.study.classifier import (
        ClassifierSettings,
        accuracy,
        predict_probabilities,
        save_classifier,
        train_classifier,
    )

    device = prepare_torch(args)
    settings = ClassifierSettings(
        args.epochs, args.batch_size, args.learning_rate, args.seed, args.max_shift_px,
        args.max_rotation_degrees, args.max_scale_change, args.members,
        args.label_smoothing, args.averaged_epochs, args.test_time_shift_px,
    )
    dataset = load_dataset(args.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    train_labels = torch.from_numpy(dataset.train_labels).long().to(device)
    test_labels = torch.from_numpy(dataset.test_labels).long().to(device)
    print(
        f"training the digit classifier on {device}: {len(train_x)} train / {len(test_x)} test images, {settings}",
        file=sys.stderr,
    )
    classifier, epoch_losses = train_classifier(
        train_x, train_labels, settings, EpochReporter(settings.epochs, "classifier")
    )
    test_accuracy = accuracy(predict_probabilities(classifier, test_x), test_labels)
    metrics = {
        "test_accuracy": test_accuracy,
        "min_accuracy": args.min_accuracy,
        "meets_bar": test_accuracy >= args.min_accuracy,
        "test_size": len(test_x),
        "train_size": len(train_x),
        "dataset_source": dataset.source,
        "epochs": settings.epochs,
        "max_shift_px": settings.max_shift_px,
        "max_rotation_degrees": settings.max_rotation_degrees,
        "max_scale_change": settings.max_scale_change,
        "members": settings.members,
        "label_smoothing": settings.label_smoothing,
        "averaged_epochs": settings.averaged_epochs,
        "test_time_shift_px": settings.test_time_shift_px,
        "train_cross_entropy_per_epoch": epoch_losses,
        "device": str(device),
    }
    # No run time here: the same settings give the same file (the time is in the benchmark).
    print(f"test accuracy {test_accuracy:.4f} (bar {args.min_accuracy})", file=sys.stderr)
    save_classifier(args.model_out, classifier, settings)
    write_json(args.metrics_out, metrics)
