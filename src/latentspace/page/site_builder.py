"""Render ``site_templates/`` into a static, self-contained site folder.

Every asset is copied next to the page and linked relatively, so the folder opens from
disk or from any static server, and the page requests nothing outside it. Formulas are
rendered at build time (:mod:`latentspace.page.math_render`). The folder is built under a
temporary name and renamed, so a failed render never leaves half a site behind.

Templates see:
- ``assets[name]``: the relative URL of a copied asset; naming an asset that the site
  rule did not pass stops the build with a one-line error naming it;
- ``asset_sizes[name]``: ``(width, height)`` in CSS pixels of a PNG or SVG asset;
- ``asset_data[name]``: the parsed content of a JSON asset, each number a
  :class:`~latentspace.page.article_numbers.Num` (or ``Count``) that names the asset's file and
  its field, which the page shows as the number's title;
- ``references`` (from ``references.yaml``, numbered in order) and ``reference_numbers[key]``;
- the captions of the figures, ``captions/<asset>.rst``: RST with Jinja, which
  ``snakemake --report`` reads too (one caption per figure); on the page their
  ``:math:`...``` roles become the ``\\(...\\)`` formulas that KaTeX renders;
- whatever ``context`` holds (see ``run_site`` in :mod:`latentspace.cli`).

The site has two pages (PAGE_TEMPLATES), which extend one layout (``base.html.j2``). A template
links to a figure, a section, a reference or a term by its id alone (``href="#figure-17"``);
:func:`link_pages` then points each link at the page that holds that id, so no template names
the page a target is on, and figures keep one numbering across both pages.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import jinja2

from latentspace.page.article_numbers import number_text, signed_number_text, sourced
from latentspace.files.reading import read_csv_rows, read_json
from latentspace.files.atomic import atomic_directory
from latentspace.page.explorer_bundles import read_bundle
from latentspace.errors import LatentspaceError
from latentspace.page.math_render import install_katex_assets, render_math_in_html
from latentspace.page.run_report import format_seconds, parse_yaml
from latentspace.page.site_provenance import format_bytes

# The site's pages, in reading order: index.html, the entry, holds the article, its terms and
# references; study.html the study of the interpolations, the run's results and how to reproduce it.
PAGE_TEMPLATES = {"index.html": "index.html.j2", "study.html": "study.html.j2"}
# The figures' captions: RST files that the report reads as they are and the page includes.
CAPTION_SUFFIX = ".rst"
_RST_MATH = re.compile(r":math:`([^`]*)`")
REFERENCES_FILE = "references.yaml"
REFERENCE_FIELDS = {"key", "title", "venue", "authors", "year", "url", "code"}
# Every reference names its authors and year (and, where the work has an address, its url).
REQUIRED_REFERENCE_FIELDS = ("key", "authors", "year", "title", "venue")
_WEB_ADDRESS = re.compile(r"^https://[^\s/]+\.[^\s]+$")
STATIC_FOLDER = "static"
ASSET_FOLDER = "figures"
# The run's configuration, written beside the page for readers to download.
RUN_CONFIG_FILE = "config.yaml"
KATEX_VENDOR_FOLDER = Path("vendor") / "katex"
KATEX_SITE_FOLDER = Path(STATIC_FOLDER) / "katex"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px|pt)?\s*$")
_CSS_PX_PER_UNIT = {"px": 1.0, "pt": 96.0 / 72.0, None: 1.0}


class MissingAssetError(LatentspaceError):
    """A template names an asset that the site step was not given."""


class RequiredAssets(Mapping):
    """``{asset name: value}`` whose missing keys stop the render with a message naming the asset."""

    def __init__(self, values: dict, kind: str = "asset"):
        self._values = dict(values)
        self._kind = kind

    def __getitem__(self, name: str):
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(sorted(self._values)) or "none"
            raise MissingAssetError(
                f"the page uses {self._kind} {name!r}, which the site step was not given "
                f"(a figure rule registers it in SITE_ASSETS; given: {known})"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def caption_html(source: str) -> str:
    """An RST caption's source as the page includes it: ``:math:`x``` becomes ``\\(x\\)``."""
    return _RST_MATH.sub(lambda match: f"\\({match.group(1)}\\)", source)


class PageLoader(jinja2.FileSystemLoader):
    """The templates of a folder; a caption (``.rst``) is read with its formulas in the page's notation."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        return (caption_html(source) if template.endswith(CAPTION_SUFFIX) else source), filename, uptodate


def template_environment(templates_dir: str | os.PathLike) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=PageLoader(os.fspath(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["seconds"] = format_seconds
    environment.filters["bytes"] = format_bytes  # 12.3 kB; a folder: an en dash
    environment.filters["g"] = "{:g}".format  # 2.0 -> "2", 2.5 -> "2.5"
    environment.filters["number"] = number_text  # true minus sign: −0.03
    environment.filters["signed_number"] = signed_number_text  # +0.03
    return environment




def parse_references(text: str, source: str) -> list[dict]:
    """The reference list: each entry a mapping with key, authors, year, title and venue, and an
    https address in ``url`` and in ``code`` (a mapping of title and url) where given; keys
    unique; numbered from 1."""
    entries = parse_yaml(text, source, list, "a list of references")
    references, keys = [], set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not set(REQUIRED_REFERENCE_FIELDS) <= entry.keys():
            raise LatentspaceError(f"{source}: reference {number}: expected {', '.join(REQUIRED_REFERENCE_FIELDS)}")
        unknown = sorted(set(entry) - REFERENCE_FIELDS)
        if unknown:
            raise LatentspaceError(f"{source}: reference {entry['key']}: unknown field(s) {', '.join(unknown)}")
        code = entry.get("code")
        if code is not None and (not isinstance(code, dict) or set(code) != {"title", "url"}):
            raise LatentspaceError(f"{source}: reference {entry['key']}: code: expected a title and a url")
        for field, address in (("url", entry.get("url")), ("code.url", (code or {}).get("url"))):
            if address is not None and not _WEB_ADDRESS.match(str(address)):
                raise LatentspaceError(
                    f"{source}: reference {entry['key']}: {field}: expected an https:// address, got {address!r}"
                )
        if entry["key"] in keys:
            raise LatentspaceError(f"{source}: reference key {entry['key']!r} appears twice")
        keys.add(entry["key"])
        references.append({**dict.fromkeys(REFERENCE_FIELDS), **entry, "number": number})
    return references


def png_size(header: bytes) -> tuple[int, int] | None:
    """(width, height) from the first 24 bytes of a PNG file, None if it is not a PNG."""
    if len(header) < 24 or not header.startswith(_PNG_SIGNATURE) or header[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", header[16:24])


def svg_size(text: str) -> tuple[int, int] | None:
    """(width, height) in CSS pixels from the root element's width and height (px or pt)."""
    root = re.search(r"<svg\b[^>]*>", text)
    if not root:
        return None
    lengths = []
    for attribute in ("width", "height"):
        value = re.search(rf'\s{attribute}="([^"]+)"', root.group())
        length = _SVG_LENGTH.match(value.group(1)) if value else None
        if not length:
            return None
        lengths.append(round(float(length.group(1)) * _CSS_PX_PER_UNIT[length.group(2)]))
    return lengths[0], lengths[1]


def check_asset(name: str, source: Path) -> None:
    """Refuse a damaged table or explorer bundle before the page links it (figures are copied as they are)."""
    suffix = source.suffix.lower()
    if suffix == ".csv":
        read_csv_rows(source, f"the {name} asset, a CSV table")
    elif suffix == ".js":  # every script among the assets is an explorer bundle (page.explorer_bundles)
        read_bundle(source)


def image_size(path: Path) -> tuple[int, int] | None:
    if path.suffix.lower() == ".png":
        with open(path, "rb") as handle:
            return png_size(handle.read(24))
    if path.suffix.lower() == ".svg":
        return svg_size(path.read_text(encoding="utf-8", errors="replace")[:4000])
    return None


def template_location(error: Exception, templates_dir: Path, default: str) -> str:
    """Where in the templates an error arose: ``sections/04_latent_2d.html.j2 line 25``.

    Jinja rewrites tracebacks so that template code appears under the template's file
    name. The innermost template frame is named and, when that is a macro or an included
    file, the innermost frame of the template that called or included it too.
    """
    frames = []
    traceback = error.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            path = Path(filename)
            frames.append((path.relative_to(templates_dir) if path.is_relative_to(templates_dir) else path, traceback.tb_lineno))
        traceback = traceback.tb_next
    if isinstance(error, jinja2.TemplateSyntaxError) and error.lineno:
        return f"{error.name or default} line {error.lineno}"
    if not frames:
        return default
    innermost = frames[-1]
    callers = [frame for frame in frames if frame[0] != innermost[0]]
    location = f"{innermost[0]} line {innermost[1]}"
    return f"{callers[-1][0]} line {callers[-1][1]}, in {location}" if callers else location


# A link to "the figure that shows this file": the template writes the file's URL after this
# prefix, and link_pages points it at the figure, or at the file where none shows it.
FIGURE_OF_PREFIX = "#figure-of:"
_FIGURE_BLOCK = re.compile(r'<figure id="([^"]+)".*?</figure>', re.DOTALL)
_FILE_LINK = re.compile(r'(?:src|href|poster)="(' + ASSET_FOLDER + r'/[^"#]+)"')
_ELEMENT_ID = re.compile(r'<[a-zA-Z][^>]*?\sid="([^"]+)"')
_IN_PAGE_LINK = re.compile(r'href="#([^"]*)"')


def link_pages(pages: dict[str, str]) -> dict[str, str]:
    """Point every in-page link of every page at the page that holds its target.

    ``pages`` maps a page's file name to its HTML, in reading order. A link ``href="#x"`` stays
    as it is where its own page has an element with id ``x``, and becomes ``href="other.html#x"``
    where only another page has one (the first in reading order); a link to an id no page holds
    stops the build, naming the page and the id. A link ``href="#figure-of:figures/x.png"``
    points at the figure that shows that file (its ``src``, ``href`` or ``poster``), on its own
    page first, else on another; a file no figure shows is linked as itself.
    """
    ids = {page: set(_ELEMENT_ID.findall(html)) for page, html in pages.items()}
    figure_of = {page: {} for page in pages}
    for page, html in pages.items():
        for block in _FIGURE_BLOCK.finditer(html):
            for url in _FILE_LINK.findall(block.group(0)):
                figure_of[page].setdefault(url, block.group(1))

    def address(page: str, anchor: str) -> str | None:
        """``#anchor`` on ``page``, or ``other.html#anchor``; None where no page holds it."""
        if anchor in ids[page]:
            return f"#{anchor}"
        return next((f"{other}#{anchor}" for other in pages if anchor in ids[other]), None)

    figure_prefix = FIGURE_OF_PREFIX.removeprefix("#")

    def resolve(page: str, match: re.Match) -> str:
        anchor = match.group(1)
        if anchor.startswith(figure_prefix):
            url = anchor.removeprefix(figure_prefix)
            shown_by = next((figure_of[other][url] for other in (page, *pages) if url in figure_of[other]), None)
            return f'href="{address(page, shown_by) if shown_by else url}"'
        target = address(page, anchor)
        if target is None:
            raise LatentspaceError(f"{page}: a link to #{anchor}, an id that no page of the site holds")
        return f'href="{target}"'

    return {page: _IN_PAGE_LINK.sub(lambda match, page=page: resolve(page, match), html) for page, html in pages.items()}


def render_template(environment: jinja2.Environment, templates_dir: Path, template_name: str, context: dict) -> str:
    """One page's HTML from Jinja; errors name the template (and line) they come from."""
    try:
        return environment.get_template(template_name).render(**context)
    except jinja2.TemplateError as error:
        location = template_location(error, templates_dir, template_name)
        raise LatentspaceError(f"{location}: {error.__class__.__name__}: {error}") from None
    except MissingAssetError as error:
        raise MissingAssetError(f"{template_location(error, templates_dir, template_name)}: {error}") from None


def render_pages(environment: jinja2.Environment, templates_dir: Path, page_templates: dict[str, str],
                 context: dict) -> dict[str, str]:
    """Every page of ``page_templates`` (``{file: template}``): Jinja, in order and from one
    context (a job's "How this was made" is shown once on the whole site), then the links
    between the pages, then the formulas."""
    pages = link_pages({page: render_template(environment, templates_dir, template, context)
                        for page, template in page_templates.items()})
    rendered = {}
    for page, html in pages.items():
        try:
            rendered[page] = render_math_in_html(html)
        except LatentspaceError as error:
            raise LatentspaceError(f"{page_templates[page]}: {error}") from None
    return rendered


def page_context(templates_dir: str | os.PathLike, context: dict, assets: dict[str, Path]) -> dict:
    """What the templates see: ``context``, and each asset's URL in the site, size and data; the references.

    Reads the assets where they are (the site links its own copies, under ``figures/``).
    """
    templates_dir = Path(templates_dir)
    asset_urls, asset_sizes, asset_data = {}, {}, {}
    for name, source in sorted(assets.items()):
        if not source.is_file():
            raise LatentspaceError(f"asset {name}: {source} not found")
        asset_urls[name] = f"{ASSET_FOLDER}/{source.name}"
        size = image_size(source)
        if size:
            asset_sizes[name] = size
        check_asset(name, source)
        if source.suffix.lower() == ".json":
            asset_data[name] = sourced(read_json(source, f"the {name} asset, a JSON object"), str(source))
    references_file = templates_dir / REFERENCES_FILE
    references = parse_references(references_file.read_text(encoding="utf-8"), str(references_file)) if references_file.is_file() else []
    return {
        **context,
        "assets": RequiredAssets(asset_urls),
        "asset_sizes": asset_sizes,
        "asset_data": RequiredAssets(asset_data, kind="JSON asset"),
        "references": references,
        "reference_numbers": {reference["key"]: reference["number"] for reference in references},
        # {job: figure number}: the figure whose "How this was made" shows the job's record, filled
        # as the pages render, so that another figure of the same job, on either page, points to it.
        "provenance_shown": {},
    }


def render_site(
    templates_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    context: dict,
    assets: dict[str, Path],
    extra_files: dict[str, str] | None = None,
    copied_files: dict[str, Path] | None = None,
    finish: Callable[[Path], None] | None = None,
) -> None:
    """Copy ``assets`` into ``output_dir/figures``, static files and KaTeX's, and render every page.

    ``extra_files`` maps a path inside the site to a text to write there (the run's config);
    ``copied_files`` a path inside the site to a file to copy there. ``finish`` is called
    with the finished folder before it takes the place of ``output_dir`` (the RO-Crate).
    """
    templates_dir = Path(templates_dir)
    if not templates_dir.is_dir():
        raise LatentspaceError(f"{templates_dir}: templates folder not found")
    environment = template_environment(templates_dir)
    with atomic_directory(output_dir) as build:
        context = page_context(templates_dir, context, assets)
        for name, source in sorted(assets.items()):
            target = build / ASSET_FOLDER / source.name
            if target.exists():
                raise LatentspaceError(f"asset {name}: another asset already has the file name {source.name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        static = templates_dir / STATIC_FOLDER
        if static.is_dir():
            shutil.copytree(static, build / STATIC_FOLDER)
        install_katex_assets(templates_dir / KATEX_VENDOR_FOLDER, build / KATEX_SITE_FOLDER)
        for relative_path, text in (extra_files or {}).items():
            (build / relative_path).parent.mkdir(parents=True, exist_ok=True)
            (build / relative_path).write_text(text, encoding="utf-8")
        for relative_path, source in (copied_files or {}).items():
            (build / relative_path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, build / relative_path)
        for page, html in render_pages(environment, templates_dir, PAGE_TEMPLATES, context).items():
            (build / page).write_text(html, encoding="utf-8")
        if finish is not None:
            finish(build)
