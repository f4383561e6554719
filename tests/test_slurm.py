"""The pipeline through a real one-node SLURM cluster (no GPU): the reduced run gives what a
local run gives, and the default config's resources work there.

tests/slurm/setup_slurm.sh installs Debian's slurm-wlm and munge if needed and starts
munged, slurmctld and slurmd on this host (see tests/slurm/README.md); Snakemake then
runs the workflow with workflow/profiles/slurm. The training jobs must have gone through
SLURM (a job id per latent size, COMPLETED, with its batch log, named in the training
log itself), the light rules must have stayed local, and every output must equal the
local run of the same config (``pipeline_run``), timings aside. With config.yaml's own
resources, ``snakemake -n`` plans CPU training jobs, sbatch accepts them (one cheap job,
submitted for real) and they get ``train.threads`` cores; a GPU request stops the run
with one line before anything is submitted.

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

from conftest import REDUCED_CONFIG, REPLICATES, REPO_ROOT, copy_workflow, snakemake_env

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


# The SLURM run trains REPLICATES replicates of every studied size: one job per (size, replicate).
STUDY_DIMS = [latent_dim for latent_dim in REDUCED["latent_dims"] if latent_dim >= 2]


def replicate_target(latent_dim: int, replicate: int) -> str:
    return f"results/models/z{latent_dim}/replicate{replicate}/model.pt"


def targets() -> list[str]:
    """The trained models and the two figures made from them: the rest of the DAG adds no SLURM job."""
    models = [model_target(latent_dim) for latent_dim in REDUCED["latent_dims"]]
    models += [replicate_target(dim, replicate) for dim in STUDY_DIMS for replicate in range(1, REPLICATES)]
    return [*models, "results/figures/f02_latent_grid.png", "results/figures/training_curves.svg"]


# Options of every run here: a cluster without accounting needs no account to charge, and
# squeue instead of sacct, which would never report a job (Snakemake would wait forever).
SLURM_OPTIONS = ("--workflow-profile", "workflow/profiles/slurm")
SLURM_OPTIONS += ("--slurm-no-account", "--slurm-status-command", "squeue")
QUICK_POLLS = ("--slurm-init-seconds-before-status-checks", "2", "--latency-wait", "5", "--retries", "0")


def slurm_snakemake(workdir: Path, slurm_env: dict, *args: str) -> subprocess.CompletedProcess:
    """Snakemake with the SLURM profile in ``workdir``; bounded, and what it left queued is cancelled."""
    command = [sys.executable, "-m", "snakemake", *SLURM_OPTIONS, *args]
    try:
        return subprocess.run(
            command, cwd=workdir, env={**snakemake_env(), **slurm_env}, capture_output=True, text=True,
            timeout=PIPELINE_TIMEOUT_S,
        )  # fmt: skip
    except subprocess.TimeoutExpired as timeout:  # Snakemake was killed; cancel what it left queued
        output = (timeout.stdout or b"").decode() + (timeout.stderr or b"").decode()
        job_ids = [match[1] for match in SUBMITTED.finditer(output)]
        if job_ids:
            subprocess.run(["scancel", *job_ids], env={**os.environ, **slurm_env}, timeout=30)
        pytest.fail(f"snakemake with SLURM did not finish in {PIPELINE_TIMEOUT_S} s:\n{output[-6000:]}")


@pytest.fixture(scope="module")
def slurm_run(slurm_env, tmp_path_factory) -> tuple[Path, str]:
    """The reduced pipeline's models and figures made through SLURM; its folder and Snakemake's output."""
    workdir = copy_workflow(tmp_path_factory.mktemp("slurm-pipeline"))
    started = time.monotonic()
    result = slurm_snakemake(
        workdir, slurm_env, *QUICK_POLLS, *targets(), "--config", f"replicates={REPLICATES}", "--cores", "2",
        "--configfile", str(REDUCED_CONFIG),
    )  # --cores: for the local rules; --configfile last, as it takes several values
    output = result.stdout + result.stderr
    if result.returncode != 0:
        pytest.fail(f"snakemake with SLURM failed (exit {result.returncode}):\n{output[-6000:]}")
    print(f"pipeline through SLURM in {time.monotonic() - started:.1f} s")
    return workdir, output


def test_training_jobs_ran_as_slurm_jobs(slurm_env, slurm_run):
    workdir, output = slurm_run
    submitted = {int(job_id): Path(log) for job_id, log in SUBMITTED.findall(output)}
    replicate_jobs = len(STUDY_DIMS) * (REPLICATES - 1)
    # One job per model, replicates included, and nothing else.
    assert len(submitted) == len(REDUCED["latent_dims"]) + replicate_jobs, output[-4000:]
    rules = {}
    for job_id, batch_log in submitted.items():
        rule = batch_log.relative_to(workdir / ".snakemake" / "slurm_logs").parts[0]
        rules[rule] = rules.get(rule, 0) + 1
        assert batch_log.is_file() and batch_log.name == f"{job_id}.log"
        state = slurm_command(slurm_env, "scontrol", "show", "job", str(job_id))
        assert "JobState=COMPLETED" in state and "ExitCode=0:0" in state, state
    assert rules == {"rule_train": len(REDUCED["latent_dims"]), "rule_train_replicate": replicate_jobs}
    training_logs = "".join((workdir / "results" / "logs" / "train" / f"z{d}.log").read_text() for d in REDUCED["latent_dims"])
    training_logs += "".join(
        (workdir / "results" / "logs" / "train" / f"z{d}_replicate{r}.log").read_text()
        for d in STUDY_DIMS for r in range(1, REPLICATES)
    )
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


def test_outputs_equal_a_local_run(slurm_run, pipeline_run, replicates_run):
    workdir, _ = slurm_run
    for latent_dim in STUDY_DIMS:
        for replicate in range(1, REPLICATES):
            path = replicate_target(latent_dim, replicate)
            assert (workdir / path).read_bytes() == (replicates_run["workdir"] / path).read_bytes(), path
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


# --- The default config's resources (config.yaml), not only the reduced ones ---------

DEFAULT = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
ARTICLE_LATENT_DIMS = [2, 10, 500]  # the article's figures need these models whatever latent_dims says
# A cheap model and one epoch, given the way a user gives them: the resources stay config.yaml's.
CHEAP_TRAINING = ("latent_dims=[2]", "train={epochs: 1}", "model={hidden_dims: [32]}")


def planned_train_resources(output: str) -> dict[int, dict[str, str]]:
    """Latent size -> the resources Snakemake plans for each train job (from its job blocks)."""
    planned = {}
    for block in re.findall(r"^rule train:\n(.*?)(?=^\S)", output, re.M | re.S):
        latent_dim = int(re.search(r"wildcards: latent_dim=(\d+)", block)[1])
        resources = re.search(r"resources: (.*)", block)[1]
        planned[latent_dim] = dict(item.split("=", 1) for item in resources.split(", "))
    return planned


def test_the_default_config_plans_cpu_training_jobs(slurm_env, tmp_path):
    workdir = copy_workflow(tmp_path)
    result = slurm_snakemake(workdir, slurm_env, "-n")  # config.yaml alone, the profile alone
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    planned = planned_train_resources(output)
    assert sorted(planned) == sorted(set(DEFAULT["latent_dims"]) | set(ARTICLE_LATENT_DIMS))
    wanted = DEFAULT["train"]["resources"]
    for resources in planned.values():
        assert resources["gpu"] == "0" and "gres" not in resources  # no GPU request: sbatch gets no --gpus
        assert resources["mem_mb"] == str(wanted["mem_mb"]) and resources["runtime"] == str(wanted["runtime_min"])
        assert resources["slurm_extra"] == "--signal=TERM@120"


def node_memory_mb(slurm_env: dict) -> int:
    node = slurm_command(slurm_env, "scontrol", "show", "node")
    return int(re.search(r"RealMemory=(\d+)", node)[1])


def test_sbatch_accepts_the_default_resources_and_training_gets_its_threads(slurm_env, tmp_path):
    if node_memory_mb(slurm_env) < DEFAULT["train"]["resources"]["mem_mb"]:
        pytest.skip("this test node has less memory than config.yaml's train.resources.mem_mb")
    workdir = copy_workflow(tmp_path)
    # No --cores: with --cores N, Snakemake would cap the training jobs' threads at N.
    result = slurm_snakemake(workdir, slurm_env, *QUICK_POLLS, model_target(2), "--config", *CHEAP_TRAINING)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    [(job_id, _)] = SUBMITTED.findall(output)
    job = slurm_command(slurm_env, "scontrol", "show", "job", job_id)
    assert "JobState=COMPLETED" in job and "ExitCode=0:0" in job, job
    threads = DEFAULT["train"]["threads"]
    assert f"NumCPUs={threads} " in job and f"CPUs/Task={threads} " in job  # sbatch --cpus-per-task=threads
    assert f"MinMemoryNode={DEFAULT['train']['resources']['mem_mb']}M" in job
    hours, minutes = divmod(DEFAULT["train"]["resources"]["runtime_min"], 60)
    assert f"TimeLimit={hours:02d}:{minutes:02d}:00" in job
    assert not re.search(r"gres[/:]gpu", job), job  # no GPU in TRES, TresPerJob or TresPerNode
    log = (workdir / "results" / "logs" / "train" / "z2.log").read_text()
    assert f"in SLURM job {job_id}" in log and "warning" not in log
    assert f"--threads {threads} " in output


def test_a_gpu_request_on_this_cluster_stops_before_any_submission(slurm_env, tmp_path):
    workdir = copy_workflow(tmp_path)
    gpu_request = "train={resources: {gpu: 1}}"
    result = slurm_snakemake(workdir, slurm_env, *QUICK_POLLS, model_target(2), "--config", gpu_request)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "config: train.resources.gpu: 1 GPU(s) per training job, but no node of this SLURM" in output
    assert "has been submitted" not in output and "sbatch: error" not in output
    assert not (workdir / "results").exists()  # stopped before the first job, the local data step included


def model_target(latent_dim: int) -> str:
    return f"results/models/z{latent_dim}/model.pt"
