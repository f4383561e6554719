"""A short hash of the source of the package modules a pipeline step runs.

Snakemake re-runs a job when its shell command or params change, but it cannot see
inside the package that the command imports. Each rule therefore passes, as a param,
the hash of its step's module and everything that module imports (``step_code`` in
workflow/rules/common.smk, from ``step_source_hash``): an edit to one of those modules
changes the param, and Snakemake re-runs that rule and everything downstream of it, and
nothing else. No list of modules is kept by hand: the import graph is read from the code.

A module's hash covers the module, every ``latentspace`` module it imports (found by
reading the source with ``ast``, followed transitively, imports inside functions
included) and the ``__init__.py`` of the packages that hold them. Nothing is imported or
executed, so the Snakefile can call this cheaply while it builds the DAG.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

from latentspace.errors import LatentspaceError

PACKAGE_NAME = "latentspace"
PACKAGE_DIR = Path(__file__).resolve().parent
HASH_HEX_DIGITS = 16


def module_file(name: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    """``figures.latent_grid`` -> package_dir/figures/latent_grid.py; a package gives its __init__.py.

    The empty name is the package itself. None when no such module exists.
    """
    parts = name.split(".") if name else []
    base = package_dir.joinpath(*parts)
    candidates = [base.with_suffix(".py"), base / "__init__.py"] if parts else [base / "__init__.py"]
    return next((candidate for candidate in candidates if candidate.is_file()), None)


@functools.lru_cache(maxsize=1024)  # the DAG hashes one module for many rules: parse it once
def imported_modules(source: str, module_name: str, is_package: bool) -> frozenset[str]:
    """Names, relative to the package, that ``source`` imports from it.

    ``from latentspace.x import f`` gives both ``x`` and ``x.f``: f may be a submodule.
    Names that are not modules are dropped by module_closure.
    """
    found: set[str] = set()
    # The package that relative imports start from: the module itself if it is a package.
    here = module_name.split(".") if is_package else module_name.split(".")[:-1]
    try:
        tree = ast.parse(source)
    except SyntaxError:  # still hashed; Python reports the error when the step imports it
        return frozenset()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE_NAME:
                    found.add(".".join(parts[1:]))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                base = [*anchor, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == PACKAGE_NAME:
                base = node.module.split(".")[1:]
            else:
                continue
            found.add(".".join(base))
            # `from latentspace.figures import latent_grid` imports a module, not a name.
            found.update(".".join([*base, alias.name]) for alias in node.names)
    return frozenset(found)


def module_closure(modules: Iterable[str], package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The files of ``modules``, of every package module they import, and of their packages."""
    pending = list(modules)
    for name in pending:
        if module_file(name, package_dir) is None:
            raise LatentspaceError(f"package code hash: {PACKAGE_NAME}.{name} is not a module of {package_dir}")
    files: dict[str, Path] = {}
    while pending:
        name = pending.pop()
        if name in files:
            continue
        path = module_file(name, package_dir)
        if path is None:  # an imported name that is a function or class, not a module
            continue
        files[name] = path
        parents = [".".join(name.split(".")[:depth]) for depth in range(name.count(".") + 1)]
        pending += [parent for parent in parents if parent != name]
        source = path.read_text(encoding="utf-8")
        pending += sorted(imported_modules(source, name, path.name == "__init__.py"))
    return sorted(set(files.values()))


def package_source_hash(modules: Iterable[str], package_dir: Path = PACKAGE_DIR) -> str:
    """A hex digest of the source of ``modules`` and everything of the package they import."""
    digest = hashlib.sha256()
    for path in module_closure(modules, package_dir):
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:HASH_HEX_DIGITS]


def step_source_hash(step: str, package_dir: Path = PACKAGE_DIR) -> str:
    """The re-run trigger of the rules that run ``step``: the hash of its step module's imports.

    ``latent-grid`` hashes latentspace/steps/latent_grid.py, every package module it
    imports (its glue included) and their packages, so an edit re-runs exactly the rules
    whose step uses the edited code.
    """
    from latentspace.steps import STEPS, step_module_name

    if step not in STEPS:
        raise LatentspaceError(f"package code hash: no step {step!r}, expected one of {', '.join(STEPS)}")
    return package_source_hash([step_module_name(step)], package_dir)
