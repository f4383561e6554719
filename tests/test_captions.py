"""One caption per figure: the page and `snakemake --report` read the same file, site_templates/captions/<asset>.rst.

The report renders a caption with Jinja (its only variable here: ``snakemake``, with the run's
config and the rule's params) and then as RST; the page includes the same file in its own
Jinja environment, where ``:math:`...``` becomes a KaTeX formula (site_builder.PageLoader).
"""

from __future__ import annotations

import functools
import re
import types

import jinja2
import pytest
from docutils.core import publish_parts

from conftest import REPO_ROOT, effective_config
from latentspace.page import site_builder
from latentspace.study.labels import METRICS

CAPTIONS = REPO_ROOT / "site_templates" / "captions"
RULES = REPO_ROOT / "workflow" / "rules"
# Tables of the study that the report shows and the page draws its own tables from.
REPORT_ONLY = {"study_models", "study_midpoints"}
_REPORT = re.compile(r'report\(\s*SITE_ASSETS\[(f?)"([^"]+)"\],\s*caption=f?"([^"]+)"')
_PAGE_FIGURE = re.compile(r'\{% call m\.(?:figure|animation)\([^,]+, "([a-z0-9_]+)"[^\n]*%\}\s*\n\s*(.*?)\n\s*\{% endcall %\}', re.S)


@functools.cache
def report_captions() -> dict[str, tuple[str, str, str]]:
    """{asset: (rule file, caption path as the rule writes it, the rule's text)} of every report(...)."""
    found = {}
    for rules in sorted(RULES.glob("*.smk")):
        text = rules.read_text()
        for match in _REPORT.finditer(text):
            is_template, name, caption = match.groups()
            start = text.rfind("\nrule ", 0, match.start())
            end = text.find("\nrule ", match.end())
            rule = text[start:end if end > 0 else None]
            for metric in METRICS if is_template else [None]:
                found[name.format(metric=metric)] = (rules.name, caption.format(metric=metric), rule)
    return found


@functools.cache
def default_config() -> dict:
    return effective_config(REPO_ROOT / "config.yaml")


def test_every_figure_rule_and_the_page_share_one_caption():
    captions = report_captions()
    assert len(captions) >= 20
    for name, (rule_file, caption, _) in captions.items():
        assert (RULES / caption).resolve() == CAPTIONS / f"{name}.rst", f"{rule_file}: {name} reads {caption}"
    assert {path.stem for path in CAPTIONS.glob("*.rst")} == set(captions)  # no caption that nothing reads
    page = {}
    for template in (REPO_ROOT / "site_templates").rglob("*.j2"):
        for name, body in _PAGE_FIGURE.findall(template.read_text()):
            page[name] = body
    assert set(page) == set(captions) - REPORT_ONLY
    for name, body in page.items():
        assert re.fullmatch(rf'\{{\{{ m\.caption\("{name}"(, run=\w+)?\) \}}\}}', body.strip()), f"{name}: {body!r}"


@pytest.mark.parametrize("name", sorted(report_captions()))
def test_the_report_renders_each_caption_as_snakemake_does(name):
    """Jinja with `snakemake` alone (no page), then RST: no error, no docutils complaint."""
    _, _, rule = report_captions()[name]
    source = (CAPTIONS / f"{name}.rst").read_text()
    params = set(re.findall(r"snakemake\.params\.(\w+)", source))
    for param in params:  # the rule declares each param its caption names
        assert re.search(rf"^\s+{param}=", rule, flags=re.MULTILINE), f"{name}: {param}"
    snakemake = types.SimpleNamespace(config=default_config(),
                                      params=types.SimpleNamespace(**dict.fromkeys(params, 500)))
    text = jinja2.Environment(trim_blocks=True, lstrip_blocks=True).from_string(source).render(
        snakemake=snakemake, categories=[], files=[])
    html = publish_parts(text, writer="html")["body"]
    assert "system-message" not in html and "problematic" not in html, html
    assert "{{" not in html and "{%" not in html and ":math:" not in html


def test_the_page_reads_a_caption_with_its_formulas_in_katex_notation():
    assert site_builder.caption_html(r"radius :math:`\sqrt{p}`, :math:`t`.") == r"radius \(\sqrt{p}\), \(t\)."
    for path in CAPTIONS.glob("*.rst"):  # plain text, formulas and Jinja: nothing the page would read as HTML
        text = re.sub(r"\{[{%].*?[}%]\}", "", path.read_text(), flags=re.S)
        assert not re.search(r"[<>&]", text), path.name
