"""A step that reads or plots arrays, CSVs or JSON does not import torch (3 to 5 s of start-up).

Each such step is really run, in a fresh interpreter, and its ``sys.modules`` checked
afterwards. Which steps may import torch is read from their commands, not kept in a list:
those that read or write a ``.pt`` file (a model, a checkpoint, the study's classifier).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys

import pytest

from conftest import REDUCED_CONFIG, run_snakemake, snakemake_env
from latentspace.files.training_history import EpochRecord, history_to_csv

# Runs one step as ``python -m latentspace`` would, then reports whether torch was imported.
RUN_AND_REPORT = (
    "import sys\n"
    "from latentspace.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print('torch imported:', 'torch' in sys.modules)\n"
    "sys.exit(code)\n"
)


def run_step(arguments: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", RUN_AND_REPORT, *arguments],
        cwd=cwd, env=snakemake_env(), capture_output=True, text=True, timeout=300,
    )


def test_the_training_curves_step_reads_histories_without_torch(tmp_path):
    arguments = ["training-curves", "--output", str(tmp_path / "curves.svg")]
    for latent_dim in (2, 10):
        records = [EpochRecord(epoch, 200.0 / epoch, 180.0, 20.0, 210.0 / epoch, 190.0, 20.0, 0.5) for epoch in (1, 2, 3)]
        (tmp_path / f"history_{latent_dim}.csv").write_text(history_to_csv(records))
        arguments += ["--history", f"{latent_dim}={tmp_path / f'history_{latent_dim}.csv'}"]
    result = run_step(arguments, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "torch imported: False" in result.stdout
    assert (tmp_path / "curves.svg").stat().st_size > 1000


def planned_commands(workdir) -> list[list[str]]:
    """Every ``python -m latentspace`` command of the pipeline, as ``snakemake -n -p`` prints them."""
    result = run_snakemake(workdir, "-n", "-p", "--forceall", configfile=REDUCED_CONFIG)
    assert result.returncode == 0, result.stderr[-3000:]
    commands = []
    for line in result.stdout.splitlines():
        _, found, command = line.partition("python -m latentspace ")
        if found:
            commands.append(shlex.split(command.split(" > ")[0]))
    return commands


def test_every_step_without_a_torch_file_runs_without_torch(pipeline_run, tmp_path):
    # A copy: the steps rewrite their outputs, which the other tests of the run inspect.
    workdir = tmp_path / "run"
    shutil.copytree(pipeline_run, workdir, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    commands = planned_commands(workdir)
    torch_free = [command for command in commands if not any(".pt" in argument for argument in command)]
    steps = {command[0] for command in torch_free}
    # The figure, study-table and site steps: far more than a few, so an empty plan cannot pass.
    assert {"data", "training-curves", "spiral-2d-animation", "study-summary", "study-path-figures", "site"} <= steps
    for command in torch_free:
        result = run_step(command, workdir)
        assert result.returncode == 0, f"{command[0]}: {result.stderr[-2000:]}"
        assert "torch imported: False" in result.stdout, f"{shlex.join(command)} imported torch"
