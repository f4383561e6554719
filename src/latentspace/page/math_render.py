"""Formulas of the site rendered to HTML at build time with KaTeX, so that reading needs no JavaScript.

Templates write TeX between ``\\( ... \\)`` (inline) and ``\\[ ... \\]`` (display);
:func:`render_math_in_html` replaces each by KaTeX's HTML (for the eye, styled by
KaTeX's stylesheet and fonts) plus MathML (for screen readers).

KaTeX (https://katex.org) is JavaScript; PyKaTeX runs it inside Python in an embedded
QuickJS engine, so rendering needs neither node nor the network. Its stylesheet and
fonts are not in any Python package: ``site_templates/vendor/katex/`` holds those of
the same KaTeX version, and :func:`install_katex_assets` copies them into the site.

Colours: ``\\textcolor{radius}{r}`` with a role of :data:`COLOUR_ROLES` renders in the
CSS variable ``--math-radius`` (light and dark schemes define their own values). KaTeX
accepts any lower-case word as a colour name and writes it into the style attribute,
where it is replaced by the variable; no hex value is baked into the page.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from latentspace.errors import LatentspaceError

KATEX_VERSION = "0.16.22"
# The PyKaTeX release that embeds KATEX_VERSION; the vendored stylesheet must match it.
PYKATEX_VERSION = "0.1.1"

COLOUR_ROLES = ("radius", "sine", "cosine")

MATH_DELIMITERS = re.compile(r"\\\[(?P<display>.+?)\\\]|\\\((?P<inline>.+?)\\\)", re.DOTALL)
STRAY_DELIMITER = re.compile(r"\\[][()]")
# Namespace attributes of KaTeX's <math> and inline <svg>: the HTML parser implies both.
_NAMESPACE_ATTRIBUTES = (' xmlns="http://www.w3.org/1998/Math/MathML"', ' xmlns="http://www.w3.org/2000/svg"')
_ROLE_STYLE = re.compile(r"color:(%s)(?=[;\"])" % "|".join(COLOUR_ROLES))
_ROLE_MATHCOLOR = re.compile(r'mathcolor="(%s)"' % "|".join(COLOUR_ROLES))
# @font-face sources: keep the woff2 file, drop the woff and ttf fallbacks that are not shipped.
_FONT_FALLBACKS = re.compile(r'(url\([^)]+\.woff2\) format\("woff2"\))(?:,url\([^)]+\) format\("(?:woff|truetype)"\))+')


def _katex():
    try:
        import pykatex
    except ImportError:
        raise LatentspaceError(
            f"math rendering needs PyKaTeX {PYKATEX_VERSION} (pip install 'pykatex=={PYKATEX_VERSION}')"
        ) from None
    return pykatex


def render_formula(tex: str, display: bool) -> str:
    """One TeX formula -> HTML (KaTeX's HTML and MathML); LatentspaceError naming the formula if it is bad."""
    pykatex = _katex()
    source = tex.strip()
    if not source:
        raise LatentspaceError("empty formula between math delimiters")
    try:
        rendered = pykatex.renderToString(
            source, displayMode=display, output="htmlAndMathml", throwOnError=True, strict="error"
        )
    except pykatex.ParseError as error:
        raise LatentspaceError(f"formula {source!r}: {error}") from None
    # The page's only absolute URLs would be these namespace names, which HTML does not need.
    for attribute in _NAMESPACE_ATTRIBUTES:
        rendered = rendered.replace(attribute, "")
    rendered = _ROLE_STYLE.sub(r"color:var(--math-\1)", rendered)
    rendered = _ROLE_MATHCOLOR.sub(r'class="math-\1"', rendered)
    if display:
        # A scrolling box, so that a long formula never widens the page on a phone.
        return f'<div class="equation">{rendered}</div>'
    return rendered


def render_math_in_html(page: str) -> str:
    """Replace every ``\\[...\\]`` and ``\\(...\\)`` of a rendered page by KaTeX's output.

    The TeX is taken as it stands in the page, with HTML entities decoded (a value that
    Jinja escaped into a formula is read back as the character it stands for).
    """
    cache: dict[tuple[str, bool], str] = {}

    def replace(match: re.Match) -> str:
        display = match.group("display") is not None
        tex = html.unescape(match.group("display") if display else match.group("inline"))
        key = (tex, display)
        if key not in cache:
            cache[key] = render_formula(tex, display)
        return cache[key]

    prose = MATH_DELIMITERS.sub(" ", page)
    stray = STRAY_DELIMITER.search(prose)
    if stray:
        nearby = " ".join(prose[max(0, stray.start() - 40) : stray.end() + 40].split())
        raise LatentspaceError(f"unmatched math delimiter {stray.group()!r} near {nearby!r}")
    return MATH_DELIMITERS.sub(replace, page)


def katex_stylesheet(css: str) -> str:
    """KaTeX's stylesheet with each @font-face reduced to its woff2 source."""
    return _FONT_FALLBACKS.sub(r"\1", css)


def install_katex_assets(vendor_dir: Path, target_dir: Path) -> None:
    """Copy KaTeX's stylesheet (woff2 sources only), its woff2 fonts and licence into ``target_dir``."""
    css_file = vendor_dir / "katex.min.css"
    if not css_file.is_file():
        raise LatentspaceError(f"{css_file}: KaTeX stylesheet not found (see site_templates/vendor/katex/README.md)")
    fonts = sorted((vendor_dir / "fonts").glob("*.woff2"))
    if not fonts:
        raise LatentspaceError(f"{vendor_dir / 'fonts'}: no KaTeX woff2 fonts found")
    (target_dir / "fonts").mkdir(parents=True, exist_ok=True)
    (target_dir / "katex.min.css").write_text(katex_stylesheet(css_file.read_text(encoding="utf-8")), encoding="utf-8")
    for font in fonts:
        shutil.copyfile(font, target_dir / "fonts" / font.name)
    shutil.copyfile(vendor_dir / "LICENSE", target_dir / "LICENSE")
