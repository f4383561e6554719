"""Fixtures of many test files: paths of the repository, MNIST IDX files, one pipeline run."""

from __future__ import annotations

import csv
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import snakemake_process
import yaml
from filelock import FileLock
from mnist_idx import MnistIdx, make_mnist_idx

REPO_ROOT = Path(__file__).resolve().parents[1]
REDUCED_CONFIG = REPO_ROOT / "tests" / "config" / "reduced.yaml"
# What a user's clone holds that the workflow needs; results/ and site/ are made by the run.
WORKFLOW_FILES = ("Snakefile", "config.yaml", "workflow", "site_templates")


# pytest-xdist's workers (``-n 2 --dist loadfile``) take whole files, so that a file's tests
# share their module fixtures. Two costs are paid once per worker process, so the files that
# pay them go to one worker together:
# - building the first torch optimizer of a process imports torch._dynamo (about 3.5 s of CPU,
#   whatever the model): the files that train a model or a classifier in the test process;
# - the server that has imported Snakemake's libraries (tests/snakemake_process.py, 2.5 s):
#   the files whose fast tests run Snakemake.
WORKER_GROUPS = {
    "trains-models": frozenset({"test_damaged_files.py", "test_full_disk.py", "test_graph_training.py",
                                "test_resume.py", "test_study_classifier.py", "test_study_likelihood.py",
                                "test_training.py"}),
    "runs-snakemake": frozenset({"test_pipeline.py", "test_profiles.py", "test_provenance.py"}),
}


def worker_group(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or the group (WORKER_GROUPS) that holds its file."""
    path = nodeid.split("::", 1)[0]
    name = path.rsplit("/", 1)[-1]
    return next((group for group, files in WORKER_GROUPS.items() if name in files), path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` with the groups of :func:`worker_group`."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return worker_group(nodeid)

    return FileGroupScheduling(config, log)


def pytest_collection_modifyitems(items):
    """Every test that inspects the end-to-end pipeline run is slow, whoever wrote it."""
    for item in items:
        if "pipeline_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def built_once(tmp_path_factory, worker_id: str, name: str, build):
    """What ``build(folder)`` returns, built once per test run into a folder ``name``.

    The tests run on several pytest-xdist workers (``-n 2 --dist loadfile``: a file's tests
    share a worker and its module fixtures, see worker_group), and a session fixture would be built by each
    worker that needs it: the first worker to ask builds it under a lock, in the folder all
    workers share, and the others wait for it and read what it returned (or its failure).
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # pytest-of-<user>/pytest-N, above each worker's own folder
    folder, outcome = root / name, root / f"{name}.outcome"
    with FileLock(str(root / f"{name}.lock")):
        if not outcome.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            try:
                built = ("built", build(folder))
            except (Exception, pytest.fail.Exception) as error:
                built = ("failed", str(error))
            outcome.write_bytes(pickle.dumps(built))
        status, value = pickle.loads(outcome.read_bytes())
    if status == "failed":
        pytest.fail(value, pytrace=False)
    return value


def effective_config(configfile: Path = REDUCED_CONFIG) -> dict:
    """The configuration a run with ``--configfile configfile`` sees: config.yaml with the file
    laid over it (as Snakemake merges them), validated, the schema's defaults filled in."""
    from snakemake.utils import update_config

    from latentspace.settings.validation import validate_config

    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    update_config(config, yaml.safe_load(Path(configfile).read_text()))
    return validate_config(config, REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml")


def read_csv(path) -> tuple[list[str], list[dict[str, str]]]:
    """A CSV file's column names and its rows, as the tables' tests read them."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


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


def snakemake(workdir: Path, *args: str, env: dict | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    """``python -m snakemake ARGS`` in ``workdir``, its output captured (each run its own process,
    forked from one that imported Snakemake's libraries once: tests/snakemake_process.py)."""
    return snakemake_process.run(list(args), workdir, snakemake_env() if env is None else env, timeout)


def run_snakemake(
    workdir: Path, *args: str, configfile: Path = REDUCED_CONFIG, timeout: float = 900
) -> subprocess.CompletedProcess:
    # --configfile takes several values: it comes last so that it cannot swallow targets.
    return snakemake(workdir, *args, "--cores", "2", "--configfile", str(configfile), timeout=timeout)


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory, worker_id) -> Path:
    """One real ``snakemake`` run of the reduced config in a temporary clone; returns its folder.

    Built once per test run (``built_once``): the end-to-end, site and browser tests all
    inspect the same run, and copy it before they change anything in it.
    """

    def build(folder: Path) -> Path:
        workdir = copy_workflow(folder)
        result = run_snakemake(workdir)
        if result.returncode != 0:
            pytest.fail(f"snakemake failed (exit {result.returncode}):\n{result.stderr[-6000:]}")
        return workdir

    return built_once(tmp_path_factory, worker_id, "pipeline", build)


# The run with replicates: the reduced config with this many models per latent size.
REPLICATES = 2


@pytest.fixture(scope="session")
def replicates_run(pipeline_run, tmp_path_factory, worker_id) -> dict:
    """The reduced run grown to REPLICATES replicates: a copy of ``pipeline_run``'s folder, planned
    with ``snakemake -n`` and then run with ``--config replicates=2``, so that only the new
    replicates' jobs (and what gathers them) run. Returns the folder, the dry run's output and the
    bytes of every file of replicate 0's models and study before the run. Built once per test
    run (``built_once``).
    """
    return built_once(tmp_path_factory, worker_id, "replicates", lambda folder: grown_to_replicates(pipeline_run, folder))


def grown_to_replicates(pipeline_run: Path, folder: Path) -> dict:
    workdir = folder / "run"
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
