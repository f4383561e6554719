"""Render the static article site: templates, figures, the run's numbers and configuration.

Beside the page: each figure's record of how it was made (from the job records, see
latentspace.pipeline.provenance), environment.txt, the workflow's own files and the site's
Workflow Run RO-Crate, ro-crate-metadata.json (latentspace.page.run_crate).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import file_path
from latentspace.settings.declared import GROUP, SiteSettings


@dataclass(**GROUP)
class Settings(SiteSettings):
    """The site section."""


@dataclass(**GROUP)
class Files:
    templates: str = file_path("the site_templates folder")
    output_dir: str = file_path("the site folder to write")
    metrics: tuple[str, ...] = file_path("each model's metrics JSON", default=())
    asset: dict[str, str] = file_path("a file the site carries, by the name templates use", default={})
    benchmark: dict[str, str] = file_path("each job's Snakemake benchmark TSV, by job", default={})
    record: dict[str, str] = file_path("each job's record, by job (as --benchmark)", default={})
    workflow_file: tuple[str, ...] = file_path(
        "the workflow's files, the Snakefile first: the RO-Crate names them, the site carries the Snakefile",
        default=(),
    )
    figure_latent_dim: dict[str, int] = file_path("the latent size of a figure's model, by asset", default={},
                                             metavar="DIM")
    run_config_json: str = file_path("the run's validated configuration, as JSON", metavar="JSON")


def site_context(settings: Settings, files: Files) -> tuple[dict, dict, dict]:
    """What the templates are given beyond the assets, the assets ``{name: path}``, and what the
    RO-Crate is built from (the jobs' records, the workflow's files, the installed versions)."""
    from latentspace.page.article_numbers import article_verdicts, reading_verdicts, sourced
    from latentspace.page.run_report import (
        benchmark_summary,
        config_snapshot_text,
        derived_quantities,
        load_benchmarks,
        model_rows,
        shared_dataset,
    )
    from latentspace.files.reading import read_json
    from latentspace.page.site_builder import RUN_CONFIG_FILE
    from latentspace.page.run_crate import METADATA_FILE
    from latentspace.page.site_provenance import (
        check_records_cover,
        REPORTED_DISTRIBUTIONS,
        distribution_versions,
        figure_provenance,
        load_records,
        reproduction,
        repository_state,
        version_rows,
    )
    from latentspace.study.tables import Midpoints

    try:
        run_config = json.loads(files.run_config_json)
    except json.JSONDecodeError as error:
        raise LatentspaceError(f"--run-config-json: not valid JSON ({error.msg})") from None
    # Every number read from a file of the run names that file and its field (the page's titles).
    models = model_rows([sourced(read_json(path, "a model's metrics JSON from the train step"), path)
                         for path in files.metrics])
    figure_latent_dims = files.figure_latent_dim
    if any(dim < 1 for dim in figure_latent_dims.values()):
        raise LatentspaceError(f"--figure-latent-dim: expected positive latent sizes, got {figure_latent_dims}")
    assets = {name: Path(asset) for name, asset in files.asset.items()}
    # The verdicts the run-dependent sentences branch on, from the study's summary and F11's numbers.
    study_file = assets.get("study_summary")
    study = sourced(read_json(study_file, "the study's summary JSON"), str(study_file)) if study_file else None
    interpolation_file = assets.get("f11_interpolation_500d_json")
    interpolation = read_json(interpolation_file, "F11's numbers, a JSON object") if interpolation_file else None
    verdicts = article_verdicts(models, study, interpolation, figure_latent_dims) if interpolation else {}
    if study is not None:
        verdicts["reading"] = reading_verdicts(study)
    benchmark_files = {job: Path(benchmark) for job, benchmark in files.benchmark.items()}
    benchmarks = benchmark_summary(load_benchmarks(benchmark_files))
    records = load_records({job: Path(record) for job, record in files.record.items()})
    if records:
        check_records_cover(records, benchmark_files)
    versions = distribution_versions()
    workflow_files = workflow_site_paths(list(files.workflow_file))
    context = {
        "title": settings.title,
        "models": models,
        "dataset": shared_dataset(models),
        "config": run_config,
        "config_yaml": config_snapshot_text(run_config),
        "config_file": RUN_CONFIG_FILE,
        "benchmarks": benchmarks,
        "provenance": figure_provenance(records, benchmarks["rows"], assets),
        "reproduce": reproduction(versions, benchmarks, repository_state(Path.cwd())),
        "versions": version_rows(versions, REPORTED_DISTRIBUTIONS),
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
        "site_dir": Path(files.output_dir).name,
        # The crate describes the run's jobs and its workflow: without them (a page rendered by
        # hand from stand-in files) there is nothing to describe.
        "crate_file": METADATA_FILE if records and workflow_files else None,
    }
    run_record = {"records": records, "workflow_files": workflow_files, "versions": versions}
    return context, assets, run_record


def run(settings: Settings, files: Files) -> None:
    from latentspace.pipeline.provenance import utc_now
    from latentspace.page.site_builder import ASSET_FOLDER, PAGE_TEMPLATES, RUN_CONFIG_FILE, render_site
    from latentspace.page.site_provenance import ENVIRONMENT_FILE, environment_text

    context, assets, run_record = site_context(settings, files)
    records, workflow_files, versions = run_record["records"], run_record["workflow_files"], run_record["versions"]

    def add_crate(site_dir: Path) -> None:
        from latentspace.page.run_crate import build_crate, write_crate

        site_paths = {Path(path).as_posix(): f"{ASSET_FOLDER}/{Path(path).name}" for path in assets.values()}
        crate = build_crate(
            site_dir,
            records,
            site_paths,
            workflow_files,
            settings.title,
            RUN_CONFIG_FILE,
            versions.get("snakemake", "unknown"),
            utc_now(),
            pages=tuple(PAGE_TEMPLATES),
        )
        write_crate(crate, site_dir)

    render_site(
        files.templates,
        files.output_dir,
        context,
        assets,
        extra_files={RUN_CONFIG_FILE: context["config_yaml"], ENVIRONMENT_FILE: environment_text(versions)},
        # The Snakefile, the crate's main entity (the rules are named in the crate, not copied).
        copied_files={site_path: Path(source) for site_path, source in list(workflow_files.items())[:1]},
        finish=add_crate if context["crate_file"] else None,
    )


def workflow_site_paths(files: list[str]) -> dict[str, str]:
    """``{path in the site: file}``: each workflow file at its place below the Snakefile's folder."""
    if not files:
        return {}
    base = Path(files[0]).resolve().parent
    site_paths = {}
    for file in files:
        path = Path(file).resolve()
        if not path.is_relative_to(base):
            raise LatentspaceError(f"--workflow-file: {file} is not below {base}, the Snakefile's folder")
        site_paths[path.relative_to(base).as_posix()] = file
    return site_paths
