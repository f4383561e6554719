"""An edit to a package module re-runs the rules that use it, and only those.

Unit tests of ``latentspace.pipeline.code_hash`` on a small stand-in package, then the real
workflow: the pipeline run's folder is dry-run with a copy of the package placed first on
PYTHONPATH, once as is, once with one module edited.
"""

from __future__ import annotations

import ast
import functools
import modulefinder
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import REDUCED_CONFIG, REPO_ROOT, snakemake, snakemake_env
from latentspace.cli import step_commands, step_module, step_names
from latentspace.errors import LatentspaceError
from latentspace.pipeline.code_hash import (
    DECLARATION_MODULES,
    PACKAGE_DIR,
    PACKAGE_NAME,
    code_text,
    module_closure,
    package_source_hash,
    step_module_name,
    step_source_hash,
)

STAND_IN = {
    "__init__.py": '"""The package."""\n',
    "alpha.py": "from latentspace.beta import value\n",
    "beta.py": '"""Beta."""\nvalue = 1\n',
    "gamma.py": "def late():\n    import latentspace.beta\n",
    "delta.py": "import torch\nfrom latentspace import gamma\n",
    "sub/__init__.py": "VERSION = 2\n",
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
    """A docstring-only __init__ and an empty module define nothing and are left out; a package
    __init__ with code is kept."""
    assert closure_names(["alpha"], package) == ["alpha.py", "beta.py"]
    assert closure_names(["gamma"], package) == ["beta.py", "gamma.py"]  # import inside a function
    assert closure_names(["sub.epsilon"], package) == [
        "beta.py", "delta.py", "gamma.py", "sub/__init__.py", "sub/epsilon.py",
    ]  # fmt: skip


def test_hash_changes_with_the_code_used_and_only_with_it(package):
    before = {name: package_source_hash([name], package) for name in ("alpha", "gamma", "delta")}
    assert len(set(before.values())) == 3
    assert package_source_hash(["alpha"], package) == before["alpha"]  # stable
    (package / "beta.py").write_text('"""Beta."""\nvalue = 2\n')
    after = {name: package_source_hash([name], package) for name in ("alpha", "gamma", "delta")}
    assert all(after[name] != before[name] for name in after)  # each imports beta, directly or not
    (package / "sub" / "zeta.py").write_text("value = 3\n")
    assert package_source_hash(["alpha"], package) == after["alpha"]  # alpha does not import zeta


def test_comments_docstrings_and_layout_change_no_hash(package):
    before = package_source_hash(["alpha"], package)
    (package / "beta.py").write_text('"""Beta, reworded."""\n\n# a comment\nvalue = (\n    1\n)\n')
    (package / "__init__.py").write_text('"""The package, reworded."""\n')
    assert package_source_hash(["alpha"], package) == before
    (package / "beta.py").write_text("value = 1\n\n\ndef f():\n    \"\"\"Only a docstring.\"\"\"\n")
    assert package_source_hash(["alpha"], package) != before  # a new function is code


def test_code_text_drops_docstrings_and_nothing_else():
    assert code_text('"""Only a docstring."""\n') == ""
    assert code_text("x = 1  # one\n") == code_text("x = 1\n") != code_text("x = 2\n")
    documented = 'class A:\n    """Doc."""\n    def f(self):\n        """Doc."""\n        return "kept"\n'
    bare = "class A:\n    def f(self):\n        return 'kept'\n"
    assert code_text(documented) == code_text(bare)
    assert code_text("def f(:\n") == "def f(:\n"  # a syntax error is hashed as it is written


def test_a_module_with_a_syntax_error_is_hashed_without_its_imports(package):
    """A file saved half-edited must not stop Snakemake from building the DAG."""
    (package / "alpha.py").write_text("from latentspace.beta import value\n  broken(\n")
    assert closure_names(["alpha"], package) == ["alpha.py"]
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

    compiled: dict[tuple[str, str], object] = {}  # (path, source): code, shared by the finders of all steps

    def import_hook(self, name, caller=None, fromlist=None, level=-1):
        if level <= 0 and name.split(".")[0] != PACKAGE_NAME:
            return None
        return super().import_hook(name, caller, fromlist, level)

    def load_module(self, fqname, fp, pathname, file_info):
        """ModuleFinder's own reading of a source file, its compiled code kept for the next finder."""
        if file_info[2] != modulefinder._PY_SOURCE:
            return super().load_module(fqname, fp, pathname, file_info)
        source = fp.read()
        code = self.compiled.get((pathname, source))
        if code is None:
            code = self.compiled[pathname, source] = compile(source, pathname, "exec")
        module = self.add_module(fqname)
        module.__file__ = pathname
        module.__code__ = code
        self.scan_code(code, module)
        return module


def imported_files(step: str, package_dir: Path, docstring_only: bool = False) -> frozenset[Path]:
    """The package files that the step's module imports (the packages' __init__ included), by
    PackageImportFinder, less the declarations and, unless ``docstring_only``, the files that
    hold nothing but a docstring."""
    left_out = {package_dir.joinpath(*name.split(".")).with_suffix(".py") for name in DECLARATION_MODULES}
    files = found_files(step, package_dir) - left_out
    return frozenset(path for path in files if docstring_only or code_text(path.read_text()))


@functools.lru_cache(maxsize=None)  # both tests below ask for every step
def found_files(step: str, package_dir: Path) -> frozenset[Path]:
    finder = PackageImportFinder(path=[str(package_dir.parent)])
    finder.import_hook(f"{PACKAGE_NAME}.{step_module_name(step)}")
    return frozenset(Path(module.__file__).resolve() for module in finder.modules.values() if module.__file__)


def package_files(package_dir: Path) -> list[Path]:
    return sorted(path for path in package_dir.rglob("*.py") if "__pycache__" not in path.parts)


STEPS = step_names()


def test_each_steps_closure_is_what_its_code_imports():
    for step in STEPS:
        expected = imported_files(step, PACKAGE_DIR)
        assert set(module_closure([step_module_name(step)], PACKAGE_DIR)) == expected, step


def test_editing_a_statement_of_any_module_changes_exactly_the_hashes_of_the_steps_that_import_it(tmp_path):
    copy = tmp_path / PACKAGE_NAME
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    # A statement added to a docstring-only __init__ makes it code, which runs before its package's modules.
    importers = {step: {copy / path.relative_to(PACKAGE_DIR) for path in imported_files(step, PACKAGE_DIR, True)}
                 for step in STEPS}
    before = {step: step_source_hash(step, copy) for step in STEPS}
    assert len(set(before.values())) == len(STEPS)  # no two steps share their whole closure
    modules = [module for module in package_files(copy)
               if module.relative_to(copy).with_suffix("").as_posix().replace("/", ".") not in DECLARATION_MODULES]
    originals = {module: module.read_bytes() for module in modules}
    for module in modules:  # a comment in every module at once: no hash changes
        module.write_bytes(originals[module] + b"\n# an edit of a comment\n")
    assert {step for step in STEPS if step_source_hash(step, copy) != before[step]} == set()
    for module in modules:
        original = originals[module]
        module.write_bytes(original + b"\nEDITED = True\n")
        changed = {step for step in STEPS if step_source_hash(step, copy) != before[step]}
        module.write_bytes(original)
        assert changed == {step for step, files in importers.items() if module in files}, module.name


def test_every_module_of_the_steps_folder_is_a_step():
    """The folder is the list of steps: each module declares what it takes and how it runs."""
    modules = {path.stem for path in (PACKAGE_DIR / "steps").glob("*.py")} - {"__init__"}
    assert {name.replace("-", "_") for name in STEPS} == modules
    for step in STEPS:
        for command in step_commands(step_module(step)).values():
            assert callable(command.run) and command.files is not None, step


def test_every_package_init_holds_only_its_docstring():
    """So that a package's __init__ is in no step's hash: adding a step, or editing the
    description of a package, re-runs nothing."""
    for init in PACKAGE_DIR.rglob("__init__.py"):
        assert code_text(init.read_text()) == "", init


def test_the_declarations_module_holds_only_declarations():
    """What the code hash leaves out must compute nothing: imports, the GROUP options, and
    classes of annotated fields (and docstrings)."""
    for name in DECLARATION_MODULES:
        tree = ast.parse(PACKAGE_DIR.joinpath(*name.split(".")).with_suffix(".py").read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    docstring = isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)
                    assert isinstance(item, ast.AnnAssign) or docstring, (node.name, ast.dump(item)[:80])
            else:
                allowed = (ast.Import, ast.ImportFrom, ast.Expr, ast.Assign)
                assert isinstance(node, allowed), ast.dump(node)[:80]
                if isinstance(node, ast.Assign):
                    assert [target.id for target in node.targets] == ["GROUP"]


def test_an_unknown_step_is_a_clear_error():
    with pytest.raises(LatentspaceError, match=r"^package code hash: no step 'figure' \(expected a module "):
        step_source_hash("figure")


# The rules: each runs one step, carries that step's name, and hashes that step.

RULE_BLOCK = re.compile(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", re.S | re.M)


def rule_steps() -> dict[str, tuple[str, list[str]]]:
    """{rule: (the step its shell runs, the steps its code params hash)} from workflow/rules/."""
    rules = {}
    for smk in sorted((REPO_ROOT / "workflow" / "rules").glob("*.smk")):
        for name, body in RULE_BLOCK.findall(smk.read_text()):
            commands = re.findall(r"python -m latentspace ([\w-]+)", body)
            if commands:
                assert len(set(commands)) == 1, name
                rules[name] = (commands[0], re.findall(r'step_source_hash\("([\w-]+)"\)', body))
    return rules


def test_every_rule_hashes_the_step_it_runs_and_is_named_after_it():
    rules = rule_steps()
    assert {step for step, _ in rules.values()} == set(STEPS)  # every step has a rule
    for rule, (step, hashed) in rules.items():
        assert hashed == [step], rule
        underscored = step.replace("-", "_")
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
    result = snakemake(workdir, "-n", "--cores", "1", "--configfile", str(REDUCED_CONFIG), env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def summary_rows(workdir: Path, package_parent: Path) -> list[dict[str, str]]:
    """``snakemake --summary`` with a copy of the package first on PYTHONPATH: a row per output file."""
    env = snakemake_env()
    env["PYTHONPATH"] = os.pathsep.join([str(package_parent), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    result = snakemake(workdir, "--summary", "--cores", "1", "--configfile", str(REDUCED_CONFIG), env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if "\t" in line]
    header = lines[0].split("\t")
    assert header[:3] == ["output_file", "date", "rule"] and "status" in header, header
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def rules_with_changed_params(rows: list[dict[str, str]]) -> set[str]:
    return {row["rule"] for row in rows if "params changed" in row["status"]}


def package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / PACKAGE_NAME
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize(
    "module",
    ["figures/training_curves.py", "model/geometry.py", "model/vae.py", "files/atomic.py", "study/labels.py",
     "page/site_builder.py"],
)
def test_editing_a_module_reruns_exactly_the_rules_whose_step_imports_it(pipeline_run, tmp_path, module):
    copy = package_copy(tmp_path)
    # The same code: no output is out of date (this fails too if src/ is edited while the tests run).
    assert rules_with_changed_params(summary_rows(pipeline_run, tmp_path)) == set()

    with open(copy / module, "a") as edited:
        edited.write("\nEDITED = True\n")
    importing_steps = {step for step in STEPS if PACKAGE_DIR / module in imported_files(step, PACKAGE_DIR)}
    expected = {rule for rule, (step, _) in rule_steps().items() if step in importing_steps}
    assert expected, f"no step imports {module}"
    # The outputs whose code param changed; Snakemake re-runs their rules and what lies downstream.
    assert rules_with_changed_params(summary_rows(pipeline_run, tmp_path)) == expected


def test_an_edit_is_planned_with_the_reason_params_changed(pipeline_run, tmp_path):
    copy = package_copy(tmp_path)
    assert planned_jobs(dry_run(pipeline_run, tmp_path)) == {}
    with open(copy / "figures" / "training_curves.py", "a") as edited:
        edited.write("\nEDITED = True\n")
    output = dry_run(pipeline_run, tmp_path)
    assert planned_jobs(output) == {"training_curves": 1, "site": 1, "all": 1}
    assert "Params have changed since last execution" in output


def test_adding_a_step_plans_no_job_of_the_existing_steps(pipeline_run, tmp_path):
    """A new step is a new module of the steps folder; no other step's hash holds the folder."""
    copy = package_copy(tmp_path)
    (copy / "steps" / "new_figure.py").write_text(
        (PACKAGE_DIR / "steps" / "ball_volume.py").read_text().replace("F4:", "A new figure:")
    )
    (copy / "steps" / "__init__.py").write_text((copy / "steps" / "__init__.py").read_text() + "\n")
    assert planned_jobs(dry_run(pipeline_run, tmp_path)) == {}


def test_editing_a_docstring_or_a_comment_of_the_training_code_plans_no_job(pipeline_run, tmp_path):
    copy = package_copy(tmp_path)
    loop = copy / "training" / "loop.py"
    text = loop.read_text()
    docstring = text.split('"""')[1]
    edited = text.replace(docstring, docstring + "\nOne more line of explanation.\n", 1)
    loop.write_text(edited.replace("\nimport torch\n", "\nimport torch  # the tensors\n", 1))
    assert loop.read_text() != text
    assert planned_jobs(dry_run(pipeline_run, tmp_path)) == {}


def test_changing_a_statement_of_the_training_code_retrains_and_rebuilds_what_follows(pipeline_run, tmp_path):
    copy = package_copy(tmp_path)
    loop = copy / "training" / "loop.py"
    loop.write_text(loop.read_text() + "\nEDITED = True\n")
    jobs = planned_jobs(dry_run(pipeline_run, tmp_path))
    assert jobs["train"] == len(set(REDUCED_LATENT_DIMS) | {2, 10, 500})  # the figures' models too
    # Everything downstream of a model; nothing that no model feeds.
    assert {"study_model", "latent_grid", "decode_interpolation", "site"} <= set(jobs)
    assert not {"data", "study_classifier", "ball_volume", "lerp_vs_slerp", "autoencoder_diagram"} & set(jobs)
