"""The page's record of how it was made: per figure, and for the page as a whole.

- ``figure_provenance``: for each asset the site carries, the job that wrote it (its record,
  :mod:`latentspace.pipeline.provenance`) joined with the job's benchmark (wall time, peak memory);
  the templates show it under the figure's caption (site_templates/partials/provenance.html.j2).
- ``reproduction``: the project's commit and whether the working tree had changes, the
  software, the platform and the total compute time, for "Reproduce this page".
- ``environment_text``: every installed distribution, one ``name==version`` a line (the
  format ``pip freeze`` writes), read with importlib.metadata rather than a pip process.
- ``version_rows``: the versions the results section and "Reproduce this page" list, both
  from that one reading.

Nothing here imports torch: its version is read from its installed metadata.
"""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import re
import subprocess
from pathlib import Path

from latentspace.files.atomic import size_text
from latentspace.errors import LatentspaceError
from latentspace.pipeline.provenance import read_record, short_hash

# The software "Reproduce this page" names, beside Python and the platform.
NAMED_DISTRIBUTIONS = ("torch", "snakemake")
# Distributions whose versions the results section lists, in this order.
REPORTED_DISTRIBUTIONS = (
    "latentspace", "torch", "numpy", "matplotlib", "imageio", "imageio-ffmpeg", "snakemake", "jinja2", "pykatex",
)
ENVIRONMENT_FILE = "environment.txt"


def load_records(named_paths: dict[str, Path]) -> dict[str, dict]:
    """``{job: record}`` from ``{job: record file}``, each with its rule.

    Jobs are named as the site rule names them (``job_records`` in common.smk): the rule,
    then its wildcards in parentheses, as in ``train (latent_dim 2)``.
    """
    return {job: {**read_record(path), "rule": job.partition(" (")[0]} for job, path in named_paths.items()}


def figure_provenance(records: dict[str, dict], benchmarks: list[dict], assets: dict[str, Path]) -> dict[str, dict]:
    """``{asset name: what the page shows under its figure}`` for every asset a job wrote.

    Each input is listed with its size, the first digits of its SHA-256 and, when the site
    carries it too, the name of that asset (the page links it to its figure or file).
    """
    benchmark_of = {row["name"]: row for row in benchmarks}
    asset_of_path = {Path(path).as_posix(): name for name, path in assets.items()}
    job_of_path = {}
    for job, record in records.items():
        for output in record["outputs"]:
            job_of_path[output["path"]] = job
    views = {}
    for name, path in assets.items():
        job = job_of_path.get(Path(path).as_posix())
        if job is None:
            continue
        record = records[job]
        benchmark = benchmark_of.get(job, {})
        views[name] = {
            "job": job,
            "rule": record["rule"],
            "command": record["command"],
            "inputs": [
                {
                    "path": item["path"],
                    "bytes": item.get("bytes"),
                    "sha256": item.get("sha256"),
                    "short_sha256": short_hash(item["sha256"]) if item.get("sha256") else None,
                    "asset": asset_of_path.get(item["path"]),
                }
                for item in record["inputs"]
            ],
            "settings": record["settings"],
            "code": record["code"],
            "wall_seconds": benchmark.get("wall_seconds"),
            "max_rss_mb": benchmark.get("max_rss_mb"),
            "device": record["device"],
            "seed": record["seed"],
        }
    return views


def format_bytes(size: int | None) -> str:
    """A file's size as the fault messages give it (12.3 kB, 4.5 MB); an en dash for a folder."""
    return "\u2013" if size is None else size_text(size)


def distribution_versions() -> dict[str, str]:
    """``{name: version}`` of every installed distribution, names as their metadata spell them."""
    return dict(installed_distributions())


@functools.cache  # reading ~200 metadata files takes a second or two; what is installed stays put
def installed_distributions() -> tuple[tuple[str, str], ...]:
    """``(name, version)`` of every installed distribution, sorted by normalised name, read once a process."""
    versions = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            versions.setdefault(normalised_name(name), (name, distribution.version))
    return tuple(sorted(versions.values(), key=lambda item: normalised_name(item[0])))


def normalised_name(name: str) -> str:
    """PEP 503: ``Jinja2`` and ``jinja2``, ``imageio_ffmpeg`` and ``imageio-ffmpeg`` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def environment_text(versions: dict[str, str]) -> str:
    """``name==version`` lines, sorted by name: the format of ``pip freeze`` (without pip's own URLs)."""
    return "".join(f"{name}=={version}\n" for name, version in versions.items())


def repository_state(root: Path) -> dict:
    """``{"commit": sha or None, "dirty": bool or None}`` of the git checkout at ``root``.

    None where ``root`` is not a git checkout or git is not installed. The working tree is
    dirty when ``git status --porcelain`` lists anything (results/ and site/ are ignored).
    """

    def git(*arguments: str) -> str | None:
        try:
            result = subprocess.run(
                ["git", "-C", str(root), *arguments], capture_output=True, text=True, timeout=30, check=False
            )
        except OSError:
            return None
        return result.stdout if result.returncode == 0 else None

    commit = git("rev-parse", "--verify", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=normal")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def version_rows(versions: dict[str, str], names: tuple[str, ...]) -> list[dict]:
    """``[{"name", "version"}]``: Python, then each of ``names`` ("not installed" where absent),
    from the one reading of the installed versions, ``versions`` (:func:`distribution_versions`)."""
    by_name = {normalised_name(name): version for name, version in versions.items()}
    return [{"name": "Python", "version": platform.python_version()}] + [
        {"name": name, "version": by_name.get(normalised_name(name), "not installed")} for name in names
    ]


def reproduction(versions: dict[str, str], benchmarks: dict, repository: dict) -> dict:
    """What "Reproduce this page" shows, apart from the configuration file and the commands."""
    python, *software = version_rows(versions, NAMED_DISTRIBUTIONS)
    return {
        **repository,
        "python": python["version"],
        "platform": platform.platform(),
        "software": software,
        "total_wall_seconds": benchmarks["total_wall_seconds"],
        "total_cpu_seconds": sum(row["cpu_seconds"] or 0.0 for row in benchmarks["rows"]),
        "jobs": len(benchmarks["rows"]),
        "environment_file": ENVIRONMENT_FILE,
    }


def check_records_cover(records: dict[str, dict], benchmarks: dict[str, Path]) -> None:
    """Every job with a benchmark has a record (the page shows both side by side)."""
    missing = sorted(set(benchmarks) - set(records))
    if missing:
        raise LatentspaceError(f"--record: no job record for {', '.join(missing)} (each rule passes PROVENANCE)")
