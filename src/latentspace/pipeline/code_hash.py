"""A short hash of the code a pipeline step runs: its re-run trigger.

Snakemake re-runs a job when its shell command or params change, but it cannot see
inside the package that the command imports. Each rule therefore passes, as a param,
the hash of its step's module and everything that module imports (``step_source_hash`` in
workflow/rules/common.smk): an edit to one of those modules
changes the param, and Snakemake re-runs that rule and everything downstream of it, and
nothing else. No list of modules is kept by hand: the import graph is read from the code
with ``ast`` (imports inside functions included, followed transitively), without importing
or running anything, so the Snakefile can call this cheaply while it builds the DAG.

What enters the hash is each module's syntax tree with its docstrings removed, so editing
a comment, a docstring or the layout of a line re-runs nothing, while a changed statement
re-runs every step that imports the module. Two things stay out:

- a module with nothing but a docstring, as the packages' ``__init__.py`` are: Python runs
  them, but they define nothing (a test keeps them so); adding a step module therefore
  changes no other step's hash;
- ``latentspace.settings.declared``, the declarations of the settings: what they decide
  reaches every job as the values of its rule's params (the step's options), so a new
  setting or an edited description re-runs only the jobs whose values change.

A Python upgrade may change the text that ``ast.dump`` gives for the same code (a new
field of a node); every hash then changes once and the next run re-runs every job, which
is the safe direction.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterable
from pathlib import Path

from latentspace.errors import LatentspaceError

PACKAGE_NAME = "latentspace"
# Declarations, not code a step runs: their values reach each job through its params.
DECLARATION_MODULES = frozenset({"settings.declared"})
PACKAGE_DIR = Path(__file__).resolve().parent.parent
HASH_HEX_DIGITS = 16


@functools.lru_cache(maxsize=4096)  # the DAG asks for the same names rule after rule
def module_file(name: str, package_dir: Path = PACKAGE_DIR) -> Path | None:
    """``figures.latent_grid`` -> package_dir/figures/latent_grid.py; a package gives its __init__.py.

    The empty name is the package itself. None when no such module exists.
    """
    parts = name.split(".") if name else []
    base = package_dir.joinpath(*parts)
    candidates = [base.with_suffix(".py"), base / "__init__.py"] if parts else [base / "__init__.py"]
    return next((candidate for candidate in candidates if candidate.is_file()), None)


@functools.lru_cache(maxsize=1024)  # the DAG hashes one module for many rules: parse it once
def _module_facts(source: str, module_name: str, is_package: bool) -> tuple[frozenset[str], bytes | None]:
    """The package modules a module imports, and the SHA-256 of its :func:`code_text` (None for a
    module with nothing but a docstring)."""
    imports, text = _analyse(source, module_name, is_package)
    return imports, hashlib.sha256(text.encode()).digest() if text else None


def _analyse(source: str, module_name: str, is_package: bool) -> tuple[frozenset[str], str]:
    """One parse and one walk of a module: the names, relative to the package, that it imports
    from it, and its :func:`code_text`.

    ``from latentspace.x import f`` gives both ``x`` and ``x.f``: f may be a submodule. Names
    that are not modules are dropped by module_closure.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # hashed as it is; Python reports the error when the step imports it
        return frozenset(), source
    found: set[str] = set()
    # The package that relative imports start from: the module itself if it is a package.
    here = module_name.split(".") if is_package else module_name.split(".")[:-1]
    for node in ast.walk(tree):  # one walk: the imports are gathered and the docstrings dropped
        if isinstance(node, _DOCUMENTED):
            _drop_docstring(node)
        elif isinstance(node, ast.Import):
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
    return frozenset(found), ast.dump(tree) if tree.body else ""


def module_closure(modules: Iterable[str], package_dir: Path = PACKAGE_DIR) -> list[Path]:
    """The files of ``modules``, of every package module they import and of the packages that
    hold them, except the declarations and the files that hold only a docstring."""
    return sorted(_closure_digests(modules, package_dir))


def _closure_digests(modules: Iterable[str], package_dir: Path) -> dict[Path, bytes]:
    """``{file: SHA-256 of its code text}`` of :func:`module_closure`, each file read once."""
    pending = list(modules)
    for name in pending:
        if module_file(name, package_dir) is None:
            raise LatentspaceError(f"package code hash: {PACKAGE_NAME}.{name} is not a module of {package_dir}")
    digests: dict[Path, bytes] = {}
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name in DECLARATION_MODULES:
            continue
        seen.add(name)
        path = module_file(name, package_dir)
        if path is None:  # an imported name that is a function or class, not a module
            continue
        parents = [".".join(name.split(".")[:depth]) for depth in range(name.count(".") + 1)]
        pending += [parent for parent in parents if parent != name]
        source = read_source(path)
        imports, digest = _module_facts(source, name, path.name == "__init__.py")
        if digest is not None:
            digests[path] = digest
        pending += sorted(imports)
    return digests


_SOURCES: dict[tuple[Path, int, int], str] = {}


def read_source(path: Path) -> str:
    """The file's text, read once for as long as its size and modification time stay the same
    (the DAG hashes the same modules for rule after rule)."""
    status = path.stat()
    key = (path, status.st_mtime_ns, status.st_size)
    if key not in _SOURCES:
        _SOURCES[key] = path.read_text(encoding="utf-8")
    return _SOURCES[key]


def code_text(source: str) -> str:
    """The module's syntax tree without its docstrings, as text; the source itself if it does not parse.

    Empty for a module that holds nothing but a docstring.
    """
    return _analyse(source, "", False)[1]


# The nodes whose body may open with a docstring.
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def _drop_docstring(node: ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    """Remove the docstring that opens the node's body; a body left empty gets a ``pass`` (a module stays empty)."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        node.body = body[1:] or ([] if isinstance(node, ast.Module) else [ast.Pass()])


@functools.lru_cache(maxsize=4096)
def _relative_name(path: Path, package_dir: Path) -> bytes:
    """``figures/latent_grid.py``: how a file enters the hash, beside its code."""
    return path.relative_to(package_dir).as_posix().encode()


def package_source_hash(modules: Iterable[str], package_dir: Path = PACKAGE_DIR) -> str:
    """A hex digest of the code of ``modules`` and of everything of the package they import."""
    digest = hashlib.sha256()
    digests = _closure_digests(modules, package_dir)
    for path in sorted(digests):
        digest.update(_relative_name(path, package_dir) + b"\0")
        digest.update(digests[path])
    return digest.hexdigest()[:HASH_HEX_DIGITS]


def step_module_name(step: str) -> str:
    """``latent-grid`` -> ``steps.latent_grid``, the step's module inside the package."""
    return f"steps.{step.replace('-', '_')}"


def step_source_hash(step: str, package_dir: Path = PACKAGE_DIR) -> str:
    """The re-run trigger of the rules that run ``step``: the hash of its step module's code and imports.

    ``latent-grid`` hashes latentspace/steps/latent_grid.py and every package module it
    imports (the settings' declarations and docstring-only files aside), so an edit re-runs
    exactly the rules whose step uses the edited code.
    """
    name = step_module_name(step)
    if step.startswith("_") or module_file(name, package_dir) is None:
        raise LatentspaceError(f"package code hash: no step {step!r} (expected a module {PACKAGE_NAME}.{name})")
    return package_source_hash([name], package_dir)
