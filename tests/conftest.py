"""Fixtures of many test files: paths of the repository, MNIST IDX files, one pipeline run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from mnist_idx import MnistIdx, make_mnist_idx

REPO_ROOT = Path(__file__).resolve().parents[1]
REDUCED_CONFIG = REPO_ROOT / "tests" / "config" / "reduced.yaml"
# What a user's clone holds that the workflow needs; results/ and site/ are made by the run.
WORKFLOW_FILES = ("Snakefile", "config.yaml", "workflow", "site_templates")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """Every test that inspects the end-to-end pipeline run is slow, whoever wrote it; and every
    slow test runs on one worker of ``pytest -n`` (the `end-to-end` group of ``--dist loadgroup``),
    so that the session's pipeline run is built once and the SLURM and browser tests, which
    start daemons and browsers, never overlap. The fast tests spread over the other workers."""
    for item in items:
        if "pipeline_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.xdist_group("end-to-end"))


def effective_config(configfile: Path = REDUCED_CONFIG) -> dict:
    """The configuration a run with ``--configfile configfile`` sees: config.yaml with the file
    laid over it (as Snakemake merges them), validated, the schema's defaults filled in."""
    from snakemake.utils import update_config

    from latentspace.settings.validation import validate_config

    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    update_config(config, yaml.safe_load(Path(configfile).read_text()))
    return validate_config(config, REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml")


@pytest.fixture(scope="session")
def mnist_idx(tmp_path_factory) -> MnistIdx:
    """MNIST IDX files (a train and a t10k split, gzipped) written from the embedded digits."""
    return make_mnist_idx(tmp_path_factory.mktemp("mnist-idx"))


def copy_workflow(destination: Path) -> Path:
    """Copy the workflow's files into ``destination``, as a fresh clone would have them."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in WORKFLOW_FILES:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name)
        else:
            shutil.copy2(source, destination / name)
    return destination


def snakemake_env() -> dict:
    """Environment in which the rules' ``python -m latentspace`` finds this interpreter."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_snakemake(
    workdir: Path, *args: str, configfile: Path = REDUCED_CONFIG, timeout: float = 900
) -> subprocess.CompletedProcess:
    # --configfile takes several values: it comes last so that it cannot swallow targets.
    command = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", str(configfile)]
    return subprocess.run(
        command, cwd=workdir, env=snakemake_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory) -> Path:
    """One real ``snakemake`` run of the reduced config in a temporary clone; returns its folder.

    Session-scoped: the end-to-end, site and browser tests all inspect the same run.
    """
    workdir = copy_workflow(tmp_path_factory.mktemp("pipeline"))
    result = run_snakemake(workdir)
    if result.returncode != 0:
        pytest.fail(f"snakemake failed (exit {result.returncode}):\n{result.stderr[-6000:]}")
    return workdir


# The run with replicates: the reduced config with this many models per latent size.
REPLICATES = 2


@pytest.fixture(scope="session")
def replicates_run(pipeline_run, tmp_path_factory) -> dict:
    """The reduced run grown to REPLICATES replicates: a copy of ``pipeline_run``'s folder, planned
    with ``snakemake -n`` and then run with ``--config replicates=2``, so that only the new
    replicates' jobs (and what gathers them) run. Returns the folder, the dry run's output and the
    bytes of every file of replicate 0's models and study before the run.
    """
    workdir = tmp_path_factory.mktemp("replicates") / "run"
    shutil.copytree(pipeline_run, workdir, symlinks=True)
    replicate_zero = sorted(
        path for folder in ("results/models", "results/study") for path in (workdir / folder).glob("z*/*")
        if path.is_file()
    )
    before = {path.relative_to(workdir): (path.read_bytes(), path.stat().st_mtime_ns) for path in replicate_zero}
    option = ("--config", f"replicates={REPLICATES}")
    planned = run_snakemake(workdir, "-n", *option)
    if planned.returncode != 0:
        pytest.fail(f"snakemake -n failed (exit {planned.returncode}):\n{planned.stderr[-6000:]}")
    result = run_snakemake(workdir, *option)
    if result.returncode != 0:
        pytest.fail(f"snakemake with replicates failed (exit {result.returncode}):\n{result.stderr[-6000:]}")
    return {"workdir": workdir, "planned": planned.stdout + planned.stderr, "before": before}
