"""Render ``site_templates/`` into a static, self-contained site folder.

Every asset is copied next to the page and linked relatively, so the folder opens from
disk or from any static server. The folder is built under a temporary name and renamed,
so a failed render never leaves half a site behind.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jinja2

from latentspace.atomic_files import atomic_directory
from latentspace.errors import LatentspaceError

PAGE_TEMPLATES = {"index.html": "index.html.j2"}
STATIC_FOLDER = "static"
ASSET_FOLDER = "figures"


def template_environment(templates_dir: str | os.PathLike) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(os.fspath(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def parse_named_paths(pairs: list[str], option: str) -> dict[str, Path]:
    """``["name=path", ...]`` -> ``{name: Path(path)}``, with a clear error for a malformed pair."""
    named = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise LatentspaceError(f"{option}: expected NAME=PATH, got {pair!r}")
        named[name] = Path(path)
    return named


def load_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LatentspaceError(f"{path}: file not found") from None
    except json.JSONDecodeError as error:
        raise LatentspaceError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None


def render_site(
    templates_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    context: dict,
    assets: dict[str, Path],
) -> None:
    """Copy ``assets`` into ``output_dir/figures``, static files, and render every page.

    Templates see ``assets[name]`` as the asset's relative URL.
    """
    templates_dir = Path(templates_dir)
    if not templates_dir.is_dir():
        raise LatentspaceError(f"{templates_dir}: templates folder not found")
    environment = template_environment(templates_dir)
    with atomic_directory(output_dir) as build:
        asset_urls = {}
        for name, source in sorted(assets.items()):
            if not source.is_file():
                raise LatentspaceError(f"asset {name}: {source} not found")
            target = build / ASSET_FOLDER / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            asset_urls[name] = f"{ASSET_FOLDER}/{source.name}"
        static = templates_dir / STATIC_FOLDER
        if static.is_dir():
            shutil.copytree(static, build / STATIC_FOLDER)
        for page, template_name in PAGE_TEMPLATES.items():
            try:
                html = environment.get_template(template_name).render(**context, assets=asset_urls)
            except jinja2.TemplateError as error:
                raise LatentspaceError(f"{templates_dir / template_name}: {error.__class__.__name__}: {error}") from None
            (build / page).write_text(html, encoding="utf-8")
