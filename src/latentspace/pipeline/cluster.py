"""GPU requests on a SLURM cluster: refuse one the cluster cannot meet, notice one left unused.

SLURM answers a ``--gpus`` request on a cluster with no GPU at all by refusing the job
(``sbatch: error: Invalid generic resource (gres) specification``); Snakemake then retries
every training job and stops. ``check_slurm_gpus`` says so once, before the first
submission. Inside a job that SLURM gave GPUs, ``unused_gpu_warning`` notices when torch
cannot use them (a CPU-only torch build, a driver mismatch) or the config keeps it on the CPU.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from latentspace.errors import LatentspaceError

if TYPE_CHECKING:
    import torch

SINFO_TIMEOUT_S = 30


class ClusterError(LatentspaceError):
    """The cluster cannot give what the configuration asks for."""


def has_gpu_gres(gres_lines: Iterable[str]) -> bool:
    """Whether any ``sinfo --format=%G`` line names a GPU: ``gpu:2``, ``gpu:a100:4(S:0-1)``, ``gpu``."""
    for line in gres_lines:
        for entry in line.split(","):
            if entry.strip().split(":")[0].split("(")[0] == "gpu":
                return True
    return False


def cluster_gres() -> list[str] | None:
    """The generic resources of the nodes of every partition, one ``sinfo`` line each; None when
    ``sinfo`` is missing or fails (then nothing can be said about the cluster)."""
    try:
        result = subprocess.run(
            ["sinfo", "--all", "--noheader", "--format=%G"],
            capture_output=True, text=True, timeout=SINFO_TIMEOUT_S,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def no_gpu_message(gpus_per_job: int) -> str:
    return (
        f"config: train.resources.gpu: {gpus_per_job} GPU(s) per training job, but no node of this SLURM "
        "cluster has a GPU (sinfo lists no gres/gpu), so sbatch would refuse every training job "
        "('Invalid generic resource (gres) specification'); set train.resources.gpu: 0 to train on "
        "train.threads CPU cores per job"
    )


def check_slurm_gpus(gpus_per_job: int, gres_lines: list[str] | None = None) -> None:
    """Raise ClusterError when jobs ask for GPUs and no node of the cluster has one.

    ``gres_lines`` defaults to what ``sinfo`` answers now; when it cannot answer, the check
    passes and SLURM has the last word.
    """
    if gpus_per_job <= 0:
        return
    if gres_lines is None:
        gres_lines = cluster_gres()
    if gres_lines is not None and not has_gpu_gres(gres_lines):
        raise ClusterError(no_gpu_message(gpus_per_job))


def granted_gpus(environ: Mapping[str, str]) -> str | None:
    """The GPUs SLURM gave this job, as its variables name them; None outside a job or without GPUs.

    SLURM sets ``SLURM_GPUS_ON_NODE`` (a count), ``SLURM_JOB_GPUS``/``SLURM_STEP_GPUS`` (GPU
    indices) and, through its gres plugin, ``CUDA_VISIBLE_DEVICES`` (``NoDevFiles`` when the
    GPUs have no device files).
    """
    if not environ.get("SLURM_JOB_ID"):
        return None
    count = environ.get("SLURM_GPUS_ON_NODE", "").strip()
    if count.isdigit() and int(count) > 0:
        return f"SLURM_GPUS_ON_NODE={count}"
    for name in ("SLURM_STEP_GPUS", "SLURM_JOB_GPUS", "CUDA_VISIBLE_DEVICES"):
        value = environ.get(name, "").strip()
        if value and value not in ("-1", "NoDevFiles"):
            return f"{name}={value}"
    return None


def unused_gpu_warning(environ: Mapping[str, str], device: torch.device) -> str | None:
    """One warning line when SLURM gave this job GPUs and training runs elsewhere, else None."""
    import torch  # here, not at the top: the Snakefile imports this module

    granted = granted_gpus(environ)
    if granted is None or device.type == "cuda":
        return None
    if torch.cuda.is_available():
        why = f"device is set to {device.type}"
    else:
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        why = f"torch {torch.__version__} ({build}) sees no CUDA device"
    return (
        f"warning: SLURM job {environ['SLURM_JOB_ID']} was given a GPU ({granted}) but {why}; "
        f"training runs on {device.type}. Install a CUDA build of torch, or set "
        "train.resources.gpu: 0 to stop asking for GPUs"
    )
