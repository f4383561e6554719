"""Command-line interface: one subcommand per pipeline step (``python -m latentspace STEP``).

The Snakemake rules call these; each step reads its inputs, calls the package's
functions and writes its outputs atomically. Known failures print one line and exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from latentspace.errors import LatentspaceError


def _add_data(commands) -> None:
    parser = commands.add_parser("data", help="build the dataset .npz from the configured source")
    parser.add_argument("--source", required=True, help="mnist-5k, mnist, fashion-mnist or idx")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--test-fraction", type=float, default=0.1)
    parser.add_argument("--cache-dir", default="resources/torchvision")
    parser.add_argument("--idx-dir", default=None)
    parser.add_argument("--mirror", action="append", default=[], help="download mirror (repeatable)")
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_data)


def run_data(args) -> None:
    from latentspace.datasets import build_dataset, save_dataset

    dataset = build_dataset(
        args.source,
        seed=args.seed,
        test_fraction=args.test_fraction,
        cache_dir=args.cache_dir,
        idx_dir=args.idx_dir,
        mirrors=args.mirror,
    )
    save_dataset(dataset, args.output)
    print(json.dumps(dataset.summary()), file=sys.stderr)


def _add_train(commands) -> None:
    parser = commands.add_parser("train", help="train one VAE and write its weights, history and metrics")
    parser.add_argument("--data", required=True)
    parser.add_argument("--latent-dim", type=int, required=True)
    parser.add_argument("--hidden-dims", type=int, nargs="+", default=[512, 256])
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads for torch")
    parser.add_argument("--model-out", required=True)
    parser.add_argument("--history-out", required=True)
    parser.add_argument("--metrics-out", required=True)
    parser.set_defaults(run=run_train)


def run_train(args) -> None:
    import torch

    from latentspace.atomic_files import write_text_atomic
    from latentspace.checkpoints import save_model
    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.devices import resolve_device
    from latentspace.model import VAEConfig
    from latentspace.progress import EpochReporter
    from latentspace.training import TrainSettings, build_model, final_metrics, history_to_csv, train_vae

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.latent_dim < 1:
        raise LatentspaceError(f"latent_dim: expected a positive integer, got {args.latent_dim}")
    settings = TrainSettings(args.epochs, args.batch_size, args.learning_rate, args.seed)
    device = resolve_device(args.device)
    dataset = load_dataset(args.data)
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    model = build_model(VAEConfig(args.latent_dim, tuple(args.hidden_dims)), args.seed, device)
    print(
        f"training z = {args.latent_dim} on {device}: {len(train_x)} train / {len(test_x)} test images "
        f"({dataset.source}), {settings}",
        file=sys.stderr,
    )
    history = train_vae(model, train_x, test_x, settings, EpochReporter(settings.epochs, f"z={args.latent_dim}"))
    metrics = final_metrics(model, test_x, settings, history)
    metrics["device"] = str(device)
    metrics["dataset"] = dataset.summary()
    save_model(args.model_out, model)
    write_text_atomic(args.history_out, history_to_csv(history))
    write_text_atomic(args.metrics_out, json.dumps(metrics, indent=2) + "\n")


def _add_latent_grid(commands) -> None:
    parser = commands.add_parser("latent-grid", help="F2: decode a grid over the 2-D latent plane into one PNG")
    parser.add_argument("--model", required=True)
    parser.add_argument("--extent", type=float, default=2.0)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_latent_grid)


def run_latent_grid(args) -> None:
    from latentspace.checkpoints import load_model
    from latentspace.devices import resolve_device
    from latentspace.figures.latent_grid import latent_grid_mosaic
    from latentspace.figures.rendering import save_grey_png

    model = load_model(args.model, resolve_device(args.device))
    try:
        mosaic = latent_grid_mosaic(model, args.extent, args.steps)
    except ValueError as error:
        raise LatentspaceError(str(error)) from None
    save_grey_png(mosaic, args.output)


def _add_training_curves(commands) -> None:
    parser = commands.add_parser("training-curves", help="plot every model's per-epoch losses into one SVG")
    parser.add_argument("--history", action="append", required=True, metavar="LATENT_DIM=PATH")
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_training_curves)


def run_training_curves(args) -> None:
    from latentspace.figures.rendering import save_figure
    from latentspace.figures.training_curves import training_curves_figure
    from latentspace.site_builder import parse_named_paths
    from latentspace.training import history_from_csv

    histories = {}
    for name, path in parse_named_paths(args.history, "--history").items():
        if not path.is_file():
            raise LatentspaceError(f"{path}: history file not found")
        histories[int(name)] = history_from_csv(path.read_text(encoding="utf-8"))
    save_figure(training_curves_figure(histories), args.output)


def _add_site(commands) -> None:
    parser = commands.add_parser("site", help="render the static article site")
    parser.add_argument("--templates", required=True)
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--metrics", action="append", default=[], help="a model's metrics JSON (repeatable)")
    parser.add_argument("--asset", action="append", default=[], metavar="NAME=PATH", help="file to copy (repeatable)")
    parser.add_argument("--title", default="Latent space interpolations")
    parser.set_defaults(run=run_site)


def run_site(args) -> None:
    from latentspace.site_builder import load_json, parse_named_paths, render_site

    models = sorted((load_json(Path(path)) for path in args.metrics), key=lambda m: m["latent_dim"])
    context = {
        "title": args.title,
        "models": models,
        "dataset": models[0]["dataset"] if models else None,
    }
    render_site(args.templates, args.output_dir, context, parse_named_paths(args.asset, "--asset"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentspace", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_add_data, _add_train, _add_latent_grid, _add_training_curves, _add_site):
        add(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except LatentspaceError as error:
        print(f"latentspace {args.command}: error: {error}", file=sys.stderr)
        return 1
    return 0
