"""An edit to a package module re-runs the rules that use it, and only those.

Unit tests of ``latentspace.code_version`` on a small stand-in package, then the real
workflow: the pipeline run's folder is dry-run with a copy of the package placed first on
PYTHONPATH, once as is, once with one module edited.
"""

from __future__ import annotations

import functools
import modulefinder
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REDUCED_CONFIG, REPO_ROOT, snakemake_env
from latentspace.code_version import (
    PACKAGE_DIR,
    PACKAGE_NAME,
    module_closure,
    package_source_hash,
    step_source_hash,
)
from latentspace.steps import STEPS, step_module_name
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


# The real package: every step's hash, checked against an import graph read another way.


class PackageImportFinder(modulefinder.ModuleFinder):
    """The standard library's reader of imports in compiled code, kept inside the package.

    It reads the bytecode (imports inside functions included) rather than the syntax tree,
    so it is an independent account of what ``module_closure`` reads from the source.
    """

    def import_hook(self, name, caller=None, fromlist=None, level=-1):
        if level <= 0 and name.split(".")[0] != PACKAGE_NAME:
            return None
        return super().import_hook(name, caller, fromlist, level)


@functools.lru_cache(maxsize=None)
def imported_files(step: str, package_dir: Path) -> frozenset[Path]:
    """The package files that the step's module imports, by PackageImportFinder."""
    finder = PackageImportFinder(path=[str(package_dir.parent)])
    finder.import_hook(f"{PACKAGE_NAME}.{step_module_name(step)}")
    return frozenset(Path(module.__file__).resolve() for module in finder.modules.values() if module.__file__)


def package_files(package_dir: Path) -> list[Path]:
    return sorted(path for path in package_dir.rglob("*.py") if "__pycache__" not in path.parts)


def test_each_steps_closure_is_what_its_code_imports():
    for step in STEPS:
        expected = imported_files(step, PACKAGE_DIR)
        assert set(module_closure([step_module_name(step)], PACKAGE_DIR)) == expected, step


def test_editing_any_module_changes_exactly_the_hashes_of_the_steps_that_import_it(tmp_path):
    copy = tmp_path / PACKAGE_NAME
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    importers = {step: {copy / path.relative_to(PACKAGE_DIR) for path in imported_files(step, PACKAGE_DIR)}
                 for step in STEPS}
    before = {step: step_source_hash(step, copy) for step in STEPS}
    assert len(set(before.values())) == len(STEPS)  # no two steps share their whole closure
    for module in package_files(copy):
        original = module.read_bytes()
        module.write_bytes(original + b"\n# an edit\n")
        changed = {step for step in STEPS if step_source_hash(step, copy) != before[step]}
        module.write_bytes(original)
        assert changed == {step for step, files in importers.items() if module in files}, module.name


def test_every_module_of_the_steps_folder_is_a_step_or_their_glue():
    steps_dir = PACKAGE_DIR / "steps"
    modules = {path.stem for path in steps_dir.glob("*.py")} - {"__init__"}
    glue = modules - set(STEPS.values())
    # Glue is imported by at least one step; everything else there is a step of the table.
    used = set().union(*(imported_files(step, PACKAGE_DIR) for step in STEPS))
    assert glue and all(steps_dir / f"{name}.py" in used for name in glue)


def test_an_unknown_step_is_a_clear_error():
    with pytest.raises(LatentspaceError, match=r"^package code hash: no step 'figure', expected one of data, "):
        step_source_hash("figure")


# The rules: each runs one step, carries that step's name, and hashes that step.

RULE_BLOCK = re.compile(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", re.S | re.M)


def rule_steps() -> dict[str, tuple[str, list[str]]]:
    """{rule: (the step its shell runs, the steps its step_code params name)} from workflow/rules/."""
    rules = {}
    for smk in sorted((REPO_ROOT / "workflow" / "rules").glob("*.smk")):
        for name, body in RULE_BLOCK.findall(smk.read_text()):
            commands = re.findall(r"python -m latentspace ([\w-]+)", body)
            if commands:
                assert len(set(commands)) == 1, name
                rules[name] = (commands[0], re.findall(r'step_code\("([\w-]+)"\)', body))
    return rules


def test_every_rule_hashes_the_step_it_runs_and_is_named_after_it():
    rules = rule_steps()
    assert {step for step, _ in rules.values()} == set(STEPS)  # every step has a rule
    for rule, (step, hashed) in rules.items():
        assert hashed == [step], rule
        underscored = STEPS[step]
        assert rule == underscored or rule.startswith(f"{underscored}_"), (rule, step)


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


def summary_rows(workdir: Path, package_parent: Path) -> list[dict[str, str]]:
    """``snakemake --summary`` with a copy of the package first on PYTHONPATH: a row per output file."""
    env = snakemake_env()
    env["PYTHONPATH"] = os.pathsep.join([str(package_parent), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    command = [sys.executable, "-m", "snakemake", "--summary", "--cores", "1", "--configfile", str(REDUCED_CONFIG)]
    result = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if "\t" in line]
    header = lines[0].split("\t")
    assert header[:3] == ["output_file", "date", "rule"] and "status" in header, header
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def rules_with_changed_params(rows: list[dict[str, str]]) -> set[str]:
    return {row["rule"] for row in rows if "params changed" in row["status"]}


@pytest.mark.parametrize(
    "module",
    ["figures/training_curves.py", "geometry.py", "model.py", "steps/shared.py", "study/labels.py", "site_builder.py"],
)
def test_editing_a_module_reruns_exactly_the_rules_whose_step_imports_it(pipeline_run, tmp_path, module):
    copy = tmp_path / PACKAGE_NAME
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    # The same code: no output is out of date (this fails too if src/ is edited while the tests run).
    assert rules_with_changed_params(summary_rows(pipeline_run, tmp_path)) == set()

    with open(copy / module, "a") as edited:
        edited.write("\n# an edit\n")
    importing_steps = {step for step in STEPS if PACKAGE_DIR / module in imported_files(step, PACKAGE_DIR)}
    expected = {rule for rule, (step, _) in rule_steps().items() if step in importing_steps}
    assert expected, f"no step imports {module}"
    # The outputs whose code param changed; Snakemake re-runs their rules and what lies downstream.
    assert rules_with_changed_params(summary_rows(pipeline_run, tmp_path)) == expected


def test_an_edit_is_planned_with_the_reason_params_changed(pipeline_run, tmp_path):
    copy = tmp_path / PACKAGE_NAME
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert planned_jobs(dry_run(pipeline_run, tmp_path)) == {}
    with open(copy / "figures" / "training_curves.py", "a") as edited:
        edited.write("\n# an edit\n")
    output = dry_run(pipeline_run, tmp_path)
    assert planned_jobs(output) == {"training_curves": 1, "site": 1, "all": 1}
    assert "Params have changed since last execution" in output
