"""The reduced pipeline through a real one-node SLURM cluster gives what a local run gives.

tests/slurm/setup_slurm.sh installs Debian's slurm-wlm and munge if needed and starts
munged, slurmctld and slurmd on this host (see tests/slurm/README.md); Snakemake then
runs the workflow with workflow/profiles/slurm. The training jobs must have gone through
SLURM (a job id per latent size, COMPLETED, with its batch log, named in the training
log itself), the light rules must have stayed local, and every output must equal the
local run of the same config (``pipeline_run``), timings aside.

Skipped only when not root or when apt cannot install the packages, and then only if
LATENTSPACE_REQUIRE_SLURM is not 1 (CI sets it: there a missing SLURM fails). A cluster
that was already up is reused and left running; one this module started is stopped at
the end, by the process ids in its pid files. Every wait is bounded.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REDUCED_CONFIG, REPO_ROOT, copy_workflow, snakemake_env

# A real SLURM cluster: kept out of the fast loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

SLURM_SCRIPTS = REPO_ROOT / "tests" / "slurm"
STATE_DIR = Path(os.environ.get("LATENTSPACE_SLURM_STATE", "/tmp/latentspace-slurm"))
SETUP_TIMEOUT_S = 900  # apt-get install on a cold machine, then the node's first registration
STOP_TIMEOUT_S = 60
PIPELINE_TIMEOUT_S = 300
EXIT_CANNOT_INSTALL = 3  # setup_slurm.sh's exit status when apt-get fails
REDUCED = yaml.safe_load(REDUCED_CONFIG.read_text())
SUBMITTED = re.compile(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: (\S+)\)\.")


def skip_unless_required(reason: str) -> None:
    if os.environ.get("LATENTSPACE_REQUIRE_SLURM") == "1":
        pytest.fail(f"LATENTSPACE_REQUIRE_SLURM=1 but {reason}")
    pytest.skip(reason)


def daemons_running(state_dir: Path) -> bool:
    """Whether the daemons of a setup_slurm.sh cluster with this state folder are alive."""
    pid_files = [state_dir / "munge" / "munged.pid", state_dir / "slurmctld.pid", state_dir / "slurmd.pid"]
    for pid_file in pid_files:
        try:
            os.kill(int(pid_file.read_text().strip()), 0)
        except (OSError, ValueError):
            return False
    return True


@pytest.fixture(scope="module")
def slurm_env() -> dict:
    """Environment variables that point the SLURM commands at the test cluster."""
    if os.geteuid() != 0:
        skip_unless_required("needs root: installs slurm-wlm and munge and runs munged, slurmctld and slurmd")
    started_here = not daemons_running(STATE_DIR)
    started = time.monotonic()
    try:
        setup = subprocess.run(
            ["bash", str(SLURM_SCRIPTS / "setup_slurm.sh"), str(STATE_DIR)],
            capture_output=True, text=True, timeout=SETUP_TIMEOUT_S,
        )  # fmt: skip
        if setup.returncode == EXIT_CANNOT_INSTALL:
            skip_unless_required(f"apt could not install slurm-wlm and munge: {setup.stderr.strip().splitlines()[-1]}")
        if setup.returncode != 0:
            pytest.fail(f"setup_slurm.sh failed (exit {setup.returncode}):\n{setup.stderr[-4000:]}")
        print(f"SLURM cluster ready in {time.monotonic() - started:.1f} s ({'started' if started_here else 'reused'})")
        yield {"SLURM_CONF": str(STATE_DIR / "slurm.conf")}
    finally:
        if started_here:
            subprocess.run(
                ["bash", str(SLURM_SCRIPTS / "stop_slurm.sh"), str(STATE_DIR)],
                capture_output=True, timeout=STOP_TIMEOUT_S,
            )  # fmt: skip


def slurm_command(env: dict, *args: str) -> str:
    result = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
    return result.stdout


def targets() -> list[str]:
    """The trained models and the two figures made from them: the rest of the DAG adds no SLURM job."""
    models = [f"results/models/z{latent_dim}/model.pt" for latent_dim in REDUCED["latent_dims"]]
    return [*models, "results/figures/f02_latent_grid.png", "results/figures/training_curves.svg"]


@pytest.fixture(scope="module")
def slurm_run(slurm_env, tmp_path_factory) -> tuple[Path, str]:
    """The reduced pipeline's models and figures made through SLURM; its folder and Snakemake's output."""
    workdir = copy_workflow(tmp_path_factory.mktemp("slurm-pipeline"))
    command = [
        sys.executable, "-m", "snakemake", "--workflow-profile", "workflow/profiles/slurm",
        "--configfile", str(REDUCED_CONFIG), "--cores", "2",  # --cores: for the local rules
        # A cluster without accounting: no account to charge, and squeue instead of sacct,
        # which would never report a job (Snakemake would wait forever).
        "--slurm-no-account", "--slurm-status-command", "squeue",
        "--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5", "--retries", "0",
        *targets(),
    ]  # fmt: skip
    started = time.monotonic()
    try:
        result = subprocess.run(
            command, cwd=workdir, env={**snakemake_env(), **slurm_env}, capture_output=True, text=True,
            timeout=PIPELINE_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as timeout:  # Snakemake was killed; cancel what it left queued
        output = (timeout.stdout or b"").decode() + (timeout.stderr or b"").decode()
        job_ids = [match[1] for match in SUBMITTED.finditer(output)]
        if job_ids:
            subprocess.run(["scancel", *job_ids], env={**os.environ, **slurm_env}, timeout=30)
        pytest.fail(f"snakemake with SLURM did not finish in {PIPELINE_TIMEOUT_S} s:\n{output[-6000:]}")
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"snakemake with SLURM failed (exit {result.returncode}):\n{output[-6000:]}")
    print(f"pipeline through SLURM in {time.monotonic() - started:.1f} s")
    return workdir, output


def test_training_jobs_ran_as_slurm_jobs(slurm_env, slurm_run):
    workdir, output = slurm_run
    submitted = {int(job_id): Path(log) for job_id, log in SUBMITTED.findall(output)}
    assert len(submitted) == len(REDUCED["latent_dims"]), output[-4000:]  # one per model, nothing else
    for job_id, batch_log in submitted.items():
        assert batch_log.is_relative_to(workdir / ".snakemake" / "slurm_logs" / "rule_train")
        assert batch_log.is_file() and batch_log.name == f"{job_id}.log"
        state = slurm_command(slurm_env, "scontrol", "show", "job", str(job_id))
        assert "JobState=COMPLETED" in state and "ExitCode=0:0" in state, state
    training_logs = "".join((workdir / "results" / "logs" / "train" / f"z{d}.log").read_text() for d in REDUCED["latent_dims"])
    assert sorted(int(i) for i in re.findall(r"in SLURM job (\d+)", training_logs)) == sorted(submitted)
    for local_rule in ("data", "latent_grid", "training_curves"):
        assert f"localrule {local_rule}:" in output
        assert not (workdir / ".snakemake" / "slurm_logs" / f"rule_{local_rule}").exists()


def rows_without_timings(path: Path) -> list[dict]:
    with open(path) as handle:
        return [{key: value for key, value in row.items() if key != "seconds"} for row in csv.DictReader(handle)]


def metrics_without_timings(path: Path) -> dict:
    metrics = json.loads(path.read_text())
    del metrics["train_seconds"]
    return metrics


def test_outputs_equal_a_local_run(slurm_run, pipeline_run):
    workdir, _ = slurm_run
    for latent_dim in REDUCED["latent_dims"]:
        folder = Path("results") / "models" / f"z{latent_dim}"
        assert (workdir / folder / "model.pt").read_bytes() == (pipeline_run / folder / "model.pt").read_bytes()
        assert rows_without_timings(workdir / folder / "history.csv") == rows_without_timings(
            pipeline_run / folder / "history.csv"
        )
        assert metrics_without_timings(workdir / folder / "metrics.json") == metrics_without_timings(
            pipeline_run / folder / "metrics.json"
        )
    for figure in ("f02_latent_grid.png", "training_curves.svg"):
        path = Path("results") / "figures" / figure
        assert (workdir / path).read_bytes() == (pipeline_run / path).read_bytes(), figure
