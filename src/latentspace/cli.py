"""Command-line interface: one subcommand per pipeline step (``python -m latentspace STEP``).

The Snakemake rules call these; each step reads its inputs, calls the package's
functions and writes its outputs atomically. Known failures print one line and exit 1.
"""

from __future__ import annotations

import argparse
import json
import os
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
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="training state saved after every epoch and resumed from when it matches this run; "
        "with it, SIGTERM stops training within one batch, exit status 75",
    )
    parser.set_defaults(run=run_train)


def run_train(args) -> None:
    import torch

    from latentspace.atomic_files import write_text_atomic
    from latentspace.checkpoints import resume_or_start, save_model, save_training_state
    from latentspace.code_version import package_source_hash
    from latentspace.datasets import images_to_vectors, load_dataset
    from latentspace.devices import resolve_device
    from latentspace.model import VAEConfig
    from latentspace.progress import EpochReporter
    from latentspace.signals import EXIT_INTERRUPTED, stop_requested_by
    from latentspace.training import (
        TRAINING_CODE_MODULES,
        TrainingInterrupted,
        TrainSettings,
        build_model,
        final_metrics,
        history_to_csv,
        new_training_state,
        run_epochs,
        training_signature,
    )

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.latent_dim < 1:
        raise LatentspaceError(f"latent_dim: expected a positive integer, got {args.latent_dim}")
    settings = TrainSettings(args.epochs, args.batch_size, args.learning_rate, args.seed)
    device = resolve_device(args.device)
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
        signature = training_signature(config, settings, train_x, test_x, package_source_hash(TRAINING_CODE_MODULES))
        state, how = resume_or_start(args.checkpoint, config, settings, signature, device)
        print(how, file=sys.stderr)
        with stop_requested_by() as stop:
            try:
                run_epochs(
                    state,
                    train_x,
                    test_x,
                    settings,
                    reporter,
                    on_epoch_end=lambda finished: save_training_state(args.checkpoint, finished, signature),
                    should_stop=stop.is_set,
                )
            except TrainingInterrupted as interruption:
                print(
                    f"latentspace train: {stop.signal_name} received: {interruption}; "
                    f"run again to resume from {args.checkpoint}",
                    file=sys.stderr,
                )
                raise SystemExit(EXIT_INTERRUPTED) from None
    model, history = state.model, state.history
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
    parser.add_argument(
        "--benchmark", action="append", default=[], metavar="NAME=PATH", help="a job's Snakemake benchmark TSV (repeatable)"
    )
    parser.add_argument("--run-config-json", required=True, help="the run's validated configuration, as JSON")
    parser.add_argument(
        "--figure-latent-dim", action="append", default=[], metavar="ASSET=DIM", help="latent size of a figure's model"
    )
    parser.add_argument("--title", default="Latent space interpolations")
    parser.set_defaults(run=run_site)


def run_site(args) -> None:
    from latentspace.article_claims import page_words
    from latentspace.run_report import (
        benchmark_summary,
        config_snapshot_text,
        derived_quantities,
        load_benchmarks,
        model_rows,
        package_versions,
        parse_figure_latent_dims,
        shared_dataset,
    )
    from latentspace.site_builder import RUN_CONFIG_FILE, load_json, parse_named_paths, render_site

    try:
        run_config = json.loads(args.run_config_json)
    except json.JSONDecodeError as error:
        raise LatentspaceError(f"--run-config-json: not valid JSON ({error.msg})") from None
    models = model_rows([load_json(Path(path)) for path in args.metrics])
    figure_latent_dims = parse_figure_latent_dims(args.figure_latent_dim)
    assets = parse_named_paths(args.asset, "--asset")
    # The sentences that depend on the run, written from the study's summary and F11's numbers.
    study = load_json(assets["study_summary"]) if "study_summary" in assets else None
    interpolation = load_json(assets["f11_interpolation_500d_json"]) if "f11_interpolation_500d_json" in assets else None
    context = {
        "title": args.title,
        "models": models,
        "dataset": shared_dataset(models),
        "config": run_config,
        "config_yaml": config_snapshot_text(run_config),
        "config_file": RUN_CONFIG_FILE,
        "benchmarks": benchmark_summary(load_benchmarks(parse_named_paths(args.benchmark, "--benchmark"))),
        "versions": package_versions(),
        "derived": derived_quantities(run_config, sorted({*run_config["latent_dims"], *figure_latent_dims.values()})),
        "figure_latent_dims": figure_latent_dims,
        "words": page_words(models, study, interpolation, figure_latent_dims) if interpolation else None,
    }
    render_site(
        args.templates,
        args.output_dir,
        context,
        assets,
        extra_files={RUN_CONFIG_FILE: context["config_yaml"]},
    )


def _add_decode(commands) -> None:
    parser = commands.add_parser("decode", help="decode a named latent path with a model into an .npz")
    parser.add_argument("--model", required=True)
    parser.add_argument("--kind", required=True, help="spiral_2d, sphere_spiral, lerp or slerp")
    parser.add_argument("--steps", type=int, required=True, help="points on the path")
    parser.add_argument("--t-max-over-pi", type=float, default=None, help="spiral_2d: t runs over [0, this x pi]")
    parser.add_argument("--turns", type=float, default=None, help="sphere_spiral: turns of the last angle")
    parser.add_argument("--seed", type=int, default=None, help="lerp, slerp: seed of the two endpoints")
    parser.add_argument("--batch-size", type=int, default=1024, help="points per forward pass")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output", required=True)
    parser.set_defaults(run=run_decode)


def run_decode(args) -> None:
    import math

    from latentspace.checkpoints import load_model
    from latentspace.devices import resolve_device
    from latentspace.paths import build_path, decode_path, save_decoded_path

    model = load_model(args.model, resolve_device(args.device))
    t_max = None if args.t_max_over_pi is None else args.t_max_over_pi * math.pi
    path = build_path(args.kind, model.config.latent_dim, args.steps, t_max=t_max, turns=args.turns, seed=args.seed)
    save_decoded_path(decode_path(model, path, args.batch_size), args.output)
    print(f"decoded {len(path.t)} points of {args.kind} with the z = {model.config.latent_dim} model", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="latentspace", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    from latentspace.decoder_export import add_explorer_export_command
    from latentspace.figures.commands import add_figure_commands
    from latentspace.study.commands import add_study_commands

    for add in (_add_data, _add_train, _add_latent_grid, _add_training_curves, _add_site, _add_decode,
                add_explorer_export_command, add_figure_commands, add_study_commands):
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
