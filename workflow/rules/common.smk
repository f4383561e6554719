# Paths and small helpers shared by the rules. No rule lives here.

import itertools
import re
import shlex
from pathlib import Path

from latentspace.cli import step_options
from latentspace.pipeline.code_hash import step_source_hash
from latentspace.training.replicates import training_seed

LATENT_DIMS = sorted(config["latent_dims"])
# Replicate 0 is the model the figures decode; 1, 2, ... are trained for the study only.
REPLICATES = list(range(config["replicates"]))
TEMPLATES_DIR = Path(workflow.basedir) / "site_templates"

# Files the site carries, by the name templates use (assets[name]); each figure's .smk
# registers its outputs here, and the site rule copies them all.
SITE_ASSETS = {}


def model_file(latent_dim, name):
    """A file of the model trained with the given latent size."""
    return f"results/models/z{latent_dim}/{name}"


def replicate_model_file(latent_dim, replicate, name):
    """A file of replicate ``replicate`` (1, 2, ...) of the given latent size."""
    return f"results/models/z{latent_dim}/replicate{replicate}/{name}"


def study_file(study_dim, replicate, name):
    """A study result of one model: replicate 0 directly under z{D}/, the others below it."""
    if str(replicate) == "0":
        return f"results/study/z{study_dim}/{name}"
    return f"results/study/z{study_dim}/replicate{replicate}/{name}"


def studied_midpoint_pairs(wildcards):
    """study_interpolation's midpoint_pairs.npz for study_geodesic's model, or none for a size
    the study leaves out (STUDY_LATENT_DIMS, study.smk)."""
    if int(wildcards.study_dim) not in STUDY_LATENT_DIMS:
        return []
    return study_file(
        wildcards.study_dim, wildcards.get("replicate", "0"), "midpoint_pairs.npz"
    )


def replicate_study_files(name, first=1):
    """[REPLICATE=PATH] of every replicate from ``first`` and every studied size, for study-summary."""
    return [
        f"{replicate}={study_file(dim, replicate, name)}"
        for replicate in REPLICATES[first:]
        for dim in LATENT_DIMS
        if dim >= 2
    ]


def training_checkpoint(latent_dim, replicate=0):
    """Where training saves its state every epoch and resumes from. Not a rule output, on
    purpose: Snakemake deletes the outputs of a failed job, and a preempted job must keep it.
    """
    folder = (
        f"z{latent_dim}"
        if str(replicate) == "0"
        else f"z{latent_dim}/replicate{replicate}"
    )
    return f"results/checkpoints/{folder}/state.pt"


def train_options(replicate=None):
    """The train step's options for one model, as a params function: replicate 0 trains with
    `seed`, replicate r (the rule's wildcard when ``replicate`` is None) with its own seed.
    """

    def options(wildcards, threads):
        number = int(wildcards.replicate) if replicate is None else replicate
        return step_options(
            "train",
            config["train"],
            config["model"],
            seed=training_seed(config["seed"], number),
            device=config["device"],
            latent_dim=int(wildcards.latent_dim),
            threads=threads,
        )

    return options


def study_options(step, *sections):
    """A study step's options, as a params function: the study section (and the other config
    ``sections`` the step reads), the seed, the device and the job's threads."""
    return lambda wildcards, threads: step_options(
        step,
        config["study"],
        *sections,
        seed=config["seed"],
        device=config["device"],
        threads=threads,
    )


def provenance_record(job):
    """Where a job leaves its record (latentspace.pipeline.provenance): results/provenance/JOB.json.

    ``job`` is the name of the job's benchmark file (``train_z{latent_dim}``), so that each
    job's record and benchmark pair up. Declared as a named log of the rule: Snakemake keeps
    it beside the job's log, and the site rule takes it as an input.
    """
    return f"results/provenance/{job}.json"


def step_command(command):
    """The shell command of a rule: ``command`` (``python -m latentspace STEP ...``), the
    options of the job's record, and the redirect of its output to the job's first log.

    The record options name the job's files and where its record goes (the rule's log
    ``provenance``); the step writes it when it succeeds, and the site shows it under each
    figure and in site/ro-crate-metadata.json (latentspace.pipeline.provenance explains why).
    """
    return (
        f"{command} --provenance {{log.provenance:q}}"
        " --provenance-inputs {input:q} --provenance-outputs {output:q} > {log[0]} 2>&1"
    )


def template_files():
    """Every file of site_templates/, so that a template edit re-renders the site."""
    return sorted(str(path) for path in TEMPLATES_DIR.rglob("*") if path.is_file())


def workflow_files():
    """The workflow's own files, the Snakefile first, then its rules and schema: the site's
    RO-Crate names each (size, SHA-256) and the site carries the Snakefile."""
    base = Path(workflow.basedir)
    files = [base / "Snakefile", *sorted((base / "workflow").rglob("*.smk"))]
    files += sorted((base / "workflow" / "schemas").glob("*.yaml"))
    return [str(path) for path in files]


def file_options(**files):
    """Command-line options naming files, quoted for the shell: a list follows its option.

    ``file_options(history=["2=a.csv", "10=b.csv"], checkpoint=None)`` gives
    ``--history 2=a.csv 10=b.csv``; None and empty lists are left out.
    """
    words = []
    for name, value in files.items():
        items = [
            str(item)
            for item in (value if isinstance(value, (list, tuple)) else [value])
            if item is not None
        ]
        if items:
            words += [f"--{name.replace('_', '-')}", *items]
    return shlex.join(words)


# Values of the wildcards that occur in benchmark paths, so that every job's benchmark
# file can be listed (the site reports how long each job took). A key (rule, wildcard)
# gives one rule's values where they differ from the wildcard's own.
BENCHMARK_WILDCARD_VALUES = {"latent_dim": LATENT_DIMS, "replicate": REPLICATES[1:]}


def job_benchmarks(exclude=()):
    """{job name: benchmark file} of every job with a benchmark, except the steps named in ``exclude``.

    Jobs with wildcards get names like ``train (latent_dim 2)``, without an equals sign,
    since the site step reads NAME=PATH pairs. Call it from an input function or a lambda,
    so that steps included later are listed too.
    """
    benchmarks = {}
    for step in workflow.rules:
        if step.name in exclude or not step.benchmark:
            continue
        pattern = str(step.benchmark)
        names = sorted(step.benchmark.get_wildcard_names())
        values_of = {
            name: BENCHMARK_WILDCARD_VALUES.get(
                (step.name, name), BENCHMARK_WILDCARD_VALUES.get(name)
            )
            for name in names
        }
        unknown = [name for name in names if values_of[name] is None]
        if unknown:
            raise ValueError(
                f"{step.name}: benchmark {pattern} has wildcard(s) {', '.join(unknown)} "
                "with no values in BENCHMARK_WILDCARD_VALUES (workflow/rules/common.smk)"
            )
        for values in itertools.product(*(values_of[name] for name in names)):
            assignment = dict(zip(names, values))
            label = ", ".join(f"{name} {value}" for name, value in assignment.items())
            job = f"{step.name} ({label})" if label else step.name
            # The pattern may carry the wildcard constraints, as in {latent_dim,\d+}.
            benchmarks[job] = re.sub(
                r"{(\w+)(?:,[^}]*)?}",
                lambda match: str(assignment[match.group(1)]),
                pattern,
            )
    return benchmarks


def job_records(exclude=()):
    """{job name: record file} of every job, named as in ``job_benchmarks``; each rule must
    declare ``provenance=provenance_record(BENCHMARK NAME)`` among its logs."""
    records = {}
    for job, benchmark in job_benchmarks(exclude).items():
        records[job] = provenance_record(Path(benchmark).stem)
    for step in workflow.rules:
        if step.name in exclude or not step.benchmark:
            continue
        # Patterns may carry the wildcard constraints, as in {latent_dim,\d+}.
        declared, benchmark = (
            re.sub(r"{(\w+),[^}]*}", r"{\1}", str(pattern))
            for pattern in (step.log.get("provenance"), step.benchmark)
        )
        expected = provenance_record(Path(benchmark).stem)
        if declared != expected:
            raise ValueError(
                f"{step.name}: expected the log provenance={expected!r} "
                f"(provenance_record, workflow/rules/common.smk), got {declared!r}"
            )
    return records
