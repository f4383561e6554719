"""Render the static article site: templates, figures, the run's numbers and configuration."""

from __future__ import annotations

import json

from latentspace.errors import LatentspaceError


def add_arguments(parser) -> None:
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
    parser.add_argument("--title", required=True)


def site_context(args) -> tuple[dict, dict]:
    """What the templates are given beyond the assets, and the assets: ``(context, {name: path})``."""
    from latentspace.article_numbers import article_verdicts, reading_verdicts, sourced
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
    from latentspace.artifact_files import read_json
    from latentspace.site_builder import RUN_CONFIG_FILE
    from latentspace.steps.shared import parse_named_paths
    from latentspace.study.tables import Midpoints

    try:
        run_config = json.loads(args.run_config_json)
    except json.JSONDecodeError as error:
        raise LatentspaceError(f"--run-config-json: not valid JSON ({error.msg})") from None
    # Every number read from a file of the run names that file and its field (the page's titles).
    models = model_rows([sourced(read_json(path, "a model's metrics JSON from the train step"), path)
                         for path in args.metrics])
    figure_latent_dims = parse_figure_latent_dims(args.figure_latent_dim)
    assets = parse_named_paths(args.asset, "--asset")
    # The verdicts the run-dependent sentences branch on, from the study's summary and F11's numbers.
    study_file = assets.get("study_summary")
    study = sourced(read_json(study_file, "the study's summary JSON"), str(study_file)) if study_file else None
    interpolation_file = assets.get("f11_interpolation_500d_json")
    interpolation = read_json(interpolation_file, "F11's numbers, a JSON object") if interpolation_file else None
    verdicts = article_verdicts(models, study, interpolation, figure_latent_dims) if interpolation else {}
    if study is not None:
        verdicts["reading"] = reading_verdicts(study)
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
        "study": study,
        "midpoint": Midpoints(study["midpoints"]) if study is not None else None,
        "verdicts": verdicts,
        # What a caption sees as `snakemake` (captions/*.rst), as snakemake --report gives it: the
        # run's config and, for a figure drawn from a model, the rule's param latent_dim.
        "caption_rules": {
            name: {"config": run_config, "params": {"latent_dim": figure_latent_dims[name]} if name in figure_latent_dims else {}}
            for name in assets
        },
    }
    return context, assets


def run(args) -> None:
    from latentspace.site_builder import RUN_CONFIG_FILE, render_site

    context, assets = site_context(args)
    render_site(
        args.templates,
        args.output_dir,
        context,
        assets,
        extra_files={RUN_CONFIG_FILE: context["config_yaml"]},
    )
