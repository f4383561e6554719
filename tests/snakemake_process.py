"""Snakemake runs for the tests, each its own process, without importing Snakemake each time.

``python -m snakemake`` spends about 2.5 s of CPU importing Snakemake and its plugins (the
SLURM executor plugin alone imports pandas) before it reads the Snakefile; a test file that
runs it a few times pays that again and again. Here each run is forked from a server
process (multiprocessing's forkserver, one per test worker, started on first use) that has
imported the libraries under Snakemake (pandas, SQLAlchemy, its plugin interfaces and
plugins) and not Snakemake itself, which reads the working folder when it is imported: the
run is still a new process with its own working folder, environment, arguments and
captured output, and nothing of one run is left in the next. What a run returns is what ``subprocess.run(..., capture_output=True,
text=True)`` of the same command would return.
"""

from __future__ import annotations

import importlib
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_SERVER = None
# Imported once by the server; none of them reads the working folder or the environment
# when imported (snakemake.workflow does: it stays out).
PRELOADED = (
    "numpy",
    "pandas",
    "sqlmodel",
    "yaml",
    "snakemake_interface_common",
    "snakemake_interface_executor_plugins.registry",
    "snakemake_interface_logger_plugins.registry",
    "snakemake_interface_report_plugins.registry",
    "snakemake_interface_scheduler_plugins.registry",
    "snakemake_interface_storage_plugins.registry",
    "snakemake_executor_plugin_slurm",
    "snakemake_executor_plugin_slurm_jobstep",
)


def _server():
    """The forkserver context and the module path of a fresh interpreter (PYTHONPATH aside)."""
    global _SERVER
    if _SERVER is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOADED))
        environment = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
        fresh = subprocess.run(
            [sys.executable, "-c", "import json, sys; print(json.dumps(sys.path[1:]))"],
            env=environment, capture_output=True, text=True, check=True,
        )
        _SERVER = context, json.loads(fresh.stdout)
    return _SERVER


def _snakemake_main(arguments: list[str], workdir: str, env: dict, base_path: list[str], stdout: str, stderr: str) -> None:
    """The forked process: become ``python -m snakemake ARGUMENTS`` run in ``workdir``.

    Its module path is that of such a command: the working folder, the run's PYTHONPATH,
    then the interpreter's own (the server's, inherited from the test, is not).
    """
    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(env)
    extra = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[:] = [workdir, *extra, *base_path]
    importlib.invalidate_caches()
    for fd, name in ((1, stdout), (2, stderr)):
        target = os.open(name, os.O_WRONLY | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.argv = [str(Path(sys.executable).parent / "snakemake"), *arguments]
    from snakemake.cli import main

    try:
        main(arguments)
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(status)


def run(arguments: list[str], workdir: Path, env: dict, timeout: float) -> subprocess.CompletedProcess:
    """``subprocess.run([python, -m, snakemake, *arguments], cwd=workdir, env=env, capture_output=True, text=True)``."""
    command = [sys.executable, "-m", "snakemake", *arguments]
    with tempfile.TemporaryDirectory(prefix="snakemake-run-") as folder:
        stdout, stderr = Path(folder, "stdout"), Path(folder, "stderr")
        stdout.touch()
        stderr.touch()
        context, base_path = _server()
        process = context.Process(
            target=_snakemake_main,
            args=(list(arguments), str(workdir), dict(env), base_path, str(stdout), str(stderr)),
        )
        process.start()
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join()
            raise subprocess.TimeoutExpired(command, timeout, stdout.read_text(), stderr.read_text())
        return subprocess.CompletedProcess(
            command, process.exitcode, stdout.read_text(errors="replace"), stderr.read_text(errors="replace")
        )
