"""A model's test ELBO, importance-weighted log-likelihood, KL per dimension, active units and latent norms."""

from __future__ import annotations

import sys
import time

from latentspace.errors import LatentspaceError
from latentspace.steps.shared import add_device_arguments


def add_arguments(parser) -> None:
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--iwae-samples", type=int, required=True, help="importance samples per test image")
    parser.add_argument("--seed", type=int, required=True)
    add_device_arguments(parser)
    parser.add_argument("--output", required=True, help="the model's statistics (JSON)")


def run(args) -> None:
    from latentspace.model_files import load_model
    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.steps.shared import prepare_torch, write_json
    from latentspace.study.latent_norms import model_statistics

    if args.iwae_samples < 1:
        raise LatentspaceError(f"study.iwae_samples: expected a positive integer, got {args.iwae_samples}")
    device = prepare_torch(args)
    model = load_model(args.model, device)
    test_x = images_to_vectors(load_dataset(args.data).test_images).to(device)
    started = time.perf_counter()
    statistics = model_statistics(model, test_x, args.iwae_samples, args.seed)
    print(
        f"z = {statistics['latent_dim']}: ELBO {statistics['test_elbo_nats']:.2f}, IWAE (k = {args.iwae_samples}) "
        f"{statistics['test_iwae_nats']:.2f} nats, {statistics['active_units']} active units "
        f"({time.perf_counter() - started:.1f} s)",
        file=sys.stderr,
    )
    write_json(args.output, statistics)
