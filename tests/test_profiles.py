"""The Snakemake profiles: a bare `snakemake` finds the local one, the SLURM one parses, all commented."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import REDUCED_CONFIG, REPO_ROOT, copy_workflow, snakemake

PROFILES = REPO_ROOT / "workflow" / "profiles"


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The workflow as a clone has it, with the top-level `profiles` link."""
    workdir = copy_workflow(tmp_path_factory.mktemp("profiles"))
    (workdir / "profiles").symlink_to((REPO_ROOT / "profiles").readlink())
    return workdir


def dry_run(workdir: Path, *args: str) -> str:
    result = snakemake(workdir, "-n", "--configfile", str(REDUCED_CONFIG), *args, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_bare_snakemake_uses_the_default_profile(clone):
    output = dry_run(clone)  # no --cores: the profile gives it
    assert "Using workflow specific profile profiles/default" in output
    assert "rule train:" in output


def test_slurm_profile_replaces_the_default_one(clone):
    output = dry_run(clone, "--workflow-profile", "workflow/profiles/slurm")
    assert "Using workflow specific profile workflow/profiles/slurm" in output
    assert "profiles/default" not in output


@pytest.mark.parametrize("name", ["default", "slurm"])
def test_every_profile_entry_is_commented(name):
    lines = (PROFILES / name / "config.yaml").read_text().splitlines()
    assert yaml.safe_load("\n".join(lines))  # valid YAML with at least one key
    for index, line in enumerate(lines):
        if line and not line.startswith((" ", "#")):  # a top-level key
            assert lines[index - 1].lstrip().startswith("#"), f"{name}: {line!r} has no comment above it"
