"""An edit to a package module re-runs the rules that use it, and only those.

Unit tests of ``latentspace.code_version`` on a small stand-in package, then the real
workflow: the pipeline run's folder is dry-run with a copy of the package placed first on
PYTHONPATH, once as is, once with one module edited.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REDUCED_CONFIG, snakemake_env
from latentspace.code_version import PACKAGE_DIR, module_closure, package_source_hash
from latentspace.errors import LatentspaceError

STAND_IN = {
    "__init__.py": '"""The package."""\n',
    "alpha.py": "from latentspace.beta import value\n",
    "beta.py": "value = 1\n",
    "gamma.py": "def late():\n    import latentspace.beta\n",
    "delta.py": "import torch\nfrom latentspace import gamma\n",
    "sub/__init__.py": "",
    "sub/epsilon.py": "from ..delta import something\nfrom . import zeta\n",
    "sub/zeta.py": "",
}


@pytest.fixture
def package(tmp_path) -> Path:
    for name, text in STAND_IN.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def closure_names(modules, package_dir) -> list[str]:
    return [path.relative_to(package_dir).as_posix() for path in module_closure(modules, package_dir)]


def test_closure_follows_imports_of_every_form(package):
    assert closure_names(["alpha"], package) == ["__init__.py", "alpha.py", "beta.py"]
    assert closure_names(["gamma"], package) == ["__init__.py", "beta.py", "gamma.py"]  # import inside a function
    assert closure_names(["sub.epsilon"], package) == [
        "__init__.py", "beta.py", "delta.py", "gamma.py", "sub/__init__.py", "sub/epsilon.py", "sub/zeta.py",
    ]  # fmt: skip


def test_hash_changes_with_the_modules_used_and_only_with_them(package):
    before = {name: package_source_hash([name], package) for name in ("alpha", "gamma", "delta")}
    assert len(set(before.values())) == 3
    assert package_source_hash(["alpha"], package) == before["alpha"]  # stable
    (package / "beta.py").write_text("value = 2\n")
    after = {name: package_source_hash([name], package) for name in ("alpha", "gamma", "delta")}
    assert all(after[name] != before[name] for name in after)  # each imports beta, directly or not
    (package / "sub" / "zeta.py").write_text("# a comment is an edit too\n")
    assert package_source_hash(["alpha"], package) == after["alpha"]


def test_a_module_with_a_syntax_error_is_hashed_without_its_imports(package):
    """A file saved half-edited must not stop Snakemake from building the DAG."""
    (package / "alpha.py").write_text("from latentspace.beta import value\n  broken(\n")
    assert closure_names(["alpha"], package) == ["__init__.py", "alpha.py"]
    assert len(package_source_hash(["alpha"], package)) == 16


def test_unknown_module_is_a_clear_error(package):
    with pytest.raises(LatentspaceError, match=r"^package code hash: latentspace.omega is not a module of "):
        package_source_hash(["omega"], package)


def test_real_package_closures():
    training = closure_names(["training"], PACKAGE_DIR)
    assert {"training.py", "model.py", "errors.py"} <= set(training)
    assert "datasets.py" not in training
    assert "figures/__init__.py" in closure_names(["figures.latent_grid"], PACKAGE_DIR)


# The real workflow.

REDUCED_LATENT_DIMS = yaml.safe_load(REDUCED_CONFIG.read_text())["latent_dims"]
JOB_STATS_ROW = re.compile(r"^(\w+)\s+(\d+)$")


def planned_jobs(output: str) -> dict[str, int]:
    """{rule: job count} from the "Job stats" table of a dry run; empty when nothing is to be done."""
    jobs = {}
    in_table = False
    for line in output.splitlines():
        if line.startswith("job ") and line.split() == ["job", "count"]:
            in_table = True
        elif in_table and (match := JOB_STATS_ROW.match(line.strip())):
            if match[1] == "total":
                break
            jobs[match[1]] = int(match[2])
    return jobs


def dry_run(workdir: Path, package_parent: Path) -> str:
    env = snakemake_env()
    env["PYTHONPATH"] = os.pathsep.join([str(package_parent), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", str(REDUCED_CONFIG)]
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def test_editing_a_module_reruns_exactly_the_rules_that_use_it(pipeline_run, tmp_path):
    copy = tmp_path / "latentspace"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))

    unchanged = planned_jobs(dry_run(pipeline_run, tmp_path))
    # The same code: nothing to do (this fails too if src/ is edited while the tests run).
    assert unchanged == {}, f"jobs planned with the package unchanged since the pipeline run: {unchanged}"

    with open(copy / "figures" / "training_curves.py", "a") as module:
        module.write("\n# an edit\n")
    output = dry_run(pipeline_run, tmp_path)
    jobs = planned_jobs(output)
    assert jobs.get("training_curves") == 1 and jobs.get("site") == 1
    assert "train" not in jobs and "latent_grid" not in jobs and "data" not in jobs
    assert "Params have changed since last execution" in output

    shutil.copy2(PACKAGE_DIR / "figures" / "training_curves.py", copy / "figures" / "training_curves.py")
    with open(copy / "model.py", "a") as module:
        module.write("\n# an edit\n")
    jobs = planned_jobs(dry_run(pipeline_run, tmp_path))
    trained_models = list((pipeline_run / "results" / "models").glob("z*/model.pt"))
    assert jobs.get("train") == len(trained_models) >= len(REDUCED_LATENT_DIMS)
    assert jobs.get("latent_grid") == 1 and "data" not in jobs
