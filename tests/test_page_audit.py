"""The page's terms and claims, audited on the rendered page.

Terms: the first time a page's text uses a term a reader of the original post would not know,
that use is its definition (a <dfn>) or a link to one (m.term), on the same page or the other. Claims: every sentence of the
article sections that quotes a number or states an outcome (measurable, sharper, blurrier, ...)
sits inside an element marked with what backs it, data-claim = "run" (worded from the run's
numbers), "computed" (a mathematical fact the build computes) or "original" (attributed to the
original post, which it then names). These tests render the real templates from a stand-in run
(test_page_words.render_html), and the last one checks the built page of the pipeline.
"""

from __future__ import annotations

import html.parser
import re

import pytest
from test_page_words import render_html, render_pages
from test_site import PAGES

# A term and how the page writes it; the first match must be a definition or a link to one.
TERMS = {
    "nats": r"\bnats?\b",
    "shell": r"\bshell\b",
    "active-units": r"\bactive units?\b|\bunits? active\b",
    "classifier": r"\bdigit classifier\b",
    "iwae": r"\bIWAE\b",
    "distribution-matched": r"\bdistribution-matched\b",
    "pixel-distance": r"\bpixel distance\b|\bin pixels\b",
    "interval": r"\d+% intervals?\b",
    "elbo": r"\bELBO\b",
    "lerp": r"\blerp\b",
    "slerp": r"\bslerp\b",
}
# What makes a sentence a claim that needs a marker: a digit, or a word that states an outcome.
CLAIM_WORDS = re.compile(r"\d|\b(measurabl\w*|blurr\w*|sharp\w*|digit-like|better|worse|harmless|fine choice)\b", re.I)


class _Chunks(html.parser.HTMLParser):
    """The page's text in order, each piece with the elements that hold it."""

    VOID = {"meta", "link", "img", "br", "source", "input", "hr", "col", "wbr"}
    BLOCKS = {"p", "dt", "dd", "li", "td", "th", "h1", "h2", "h3", "figcaption", "aside", "div", "section", "caption", "br"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.chunks: list[tuple[str, list[tuple[str, dict]]]] = []
        self.ids: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = tag
        if tag in self.BLOCKS:
            self.chunks.append((" ", list(self.stack)))  # a block's text is not run into the next one's
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.chunks.append((" ", list(self.stack)))
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not any(tag in ("script", "style", "head", "title") for tag, _ in self.stack):
            self.chunks.append((data, list(self.stack)))


def chunks(page: str) -> _Chunks:
    parser = _Chunks()
    parser.feed(page)
    return parser


def undefined_terms(page: str, site: dict[str, str] | None = None) -> dict[str, str]:
    """Each term whose first use is neither a <dfn> nor a link to one: term -> the text around it.

    The page's text is read as one string, each character flagged as defined (inside a <dfn> or a
    link to a <dfn> by its id: ``#term-x`` on the page, ``other.html#term-x`` on the page of
    ``site``, ``{page: HTML}``, that it names) or not; formulas (KaTeX, or TeX left as \\(...\\))
    are left out.
    """
    parsed = chunks(page)
    ids = {"": parsed.ids, **{name: chunks(html).ids for name, html in (site or {}).items()}}

    def is_definition(href: str) -> bool:
        target, _, anchor = href.partition("#")
        return anchor.startswith("term-") and ids.get(target, {}).get(anchor) == "dfn"

    pieces = []
    for text, stack in parsed.chunks:
        if any("katex" in (attrs.get("class") or "") for _, attrs in stack):
            continue
        links = [attrs.get("href", "") for tag, attrs in stack if tag == "a"]
        defined = any(tag == "dfn" for tag, _ in stack) or any(is_definition(href) for href in links)
        pieces.append((text, defined))
    text = "".join(piece for piece, _ in pieces)
    flags = [defined for piece, defined in pieces for _ in piece]
    # TeX the build did not typeset (the tests render with Jinja alone) is a formula too.
    searchable = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", lambda match: " " * len(match.group()), text, flags=re.S)
    found = {}
    for key, pattern in TERMS.items():
        match = re.search(pattern, searchable, 0 if key in ("iwae", "elbo") else re.I)
        if match and not all(flags[i] for i in range(match.start(), match.end()) if text[i].isalnum()):
            found[key] = " ".join(text[max(0, match.start() - 60):match.end() + 20].split())
    return found


def unmarked_claims(page: str) -> list[str]:
    """Sentences of the article sections that hold a number or an outcome word outside any data-claim element."""
    parsed = chunks(page)
    blocks: dict[int, list[tuple[str, bool]]] = {}
    for text, stack in parsed.chunks:
        tags = [tag for tag, _ in stack]
        classes = [attrs.get("class") or "" for _, attrs in stack]
        in_article = any(tag == "section" and "numbered" in (attrs.get("class") or "").split() for tag, attrs in stack)
        # Prose only: paragraphs and margin notes, not captions (captions/*.rst), tables, formulas or provenance.
        if not in_article or not any(tag in ("p", "aside") for tag in tags) or "figure" in tags or "table" in tags:
            continue
        if any("katex" in cls or "provenance" in cls or "explorer" in cls for cls in classes):
            continue
        block = next(id(attrs) for tag, attrs in reversed(stack) if tag in ("p", "aside"))
        marked = any("data-claim" in attrs for _, attrs in stack)
        blocks.setdefault(block, []).append((text, marked))
    unmarked = []
    for pieces in blocks.values():
        # Characters of the block, each flagged marked or not; formulas \(...\) and figure links drop out.
        text = "".join(piece for piece, _ in pieces)
        flags = [marked for piece, marked in pieces for _ in piece]
        for match in re.finditer(r"\S.*?(?:[.!?](?=\s|$)|$)", text, flags=re.S):
            sentence = match.group()
            stripped = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]|Figures? \d+( and \d+)?|\[\d+\]|z = \d+|p = \d+", " ", sentence)
            if not CLAIM_WORDS.search(stripped):
                continue
            start = match.start()
            if not all(flags[start + i] for i, char in enumerate(sentence) if char.isalnum()):
                unmarked.append(" ".join(sentence.split()))
    return unmarked


def originals_without_the_post(page: str) -> list[str]:
    """Elements marked data-claim="original" whose text does not name the original post."""
    parsed = chunks(page)
    texts: dict[int, str] = {}
    for text, stack in parsed.chunks:
        for _, attrs in stack:
            if attrs.get("data-claim") == "original":
                texts[id(attrs)] = texts.get(id(attrs), "") + text
    return [text.strip() for text in texts.values() if not re.search(r"original (post|article)", text)]


def test_every_term_is_defined_or_linked_where_first_used(tmp_path):
    pages = render_pages(tmp_path)
    for name, page in pages.items():
        assert undefined_terms(page, pages) == {}, name


def test_a_term_used_before_its_definition_is_caught():
    page = ('<section><p>It carries 3 nats of KL.</p></section>'
            '<dl><dt><dfn id="term-nats">nats</dfn></dt></dl>')
    assert set(undefined_terms(page)) == {"nats"}
    linked = page.replace("3 nats", '3 <a class="term" href="#term-nats">nats</a>')
    assert undefined_terms(linked) == {}
    assert set(undefined_terms(linked.replace('id="term-nats"', 'id="other"'))) == {"nats"}  # a dead link
    # On the second page, a link to the first page's definition.
    glossary = '<dl><dt><dfn id="term-nats">nats</dfn></dt></dl>'
    study = '<p>It carries 3 <a class="term" href="index.html#term-nats">nats</a> of KL.</p>'
    assert undefined_terms(study, {"index.html": glossary}) == {}
    assert set(undefined_terms(study, {"index.html": "<p>no glossary</p>"})) == {"nats"}
    assert set(undefined_terms(study.replace("index.html#", "#"), {"index.html": glossary})) == {"nats"}


def test_every_claim_of_the_article_sections_is_marked(tmp_path):
    page = render_html(tmp_path)
    assert unmarked_claims(page) == []
    assert originals_without_the_post(page) == []


def test_an_unmarked_claim_is_caught():
    page = ('<section class="numbered"><p>The decoder is sharp here. <span data-claim="run">It scores 0.9.</span> '
            'Plain words.</p><p data-claim="original">The lerp row is blurrier.</p></section>')
    assert unmarked_claims(page) == ["The decoder is sharp here."]
    assert originals_without_the_post(page) == ["The lerp row is blurrier."]


@pytest.mark.slow
def test_the_built_pages_terms_and_claims(pipeline_run):
    pages = {name: (pipeline_run / "site" / name).read_text(encoding="utf-8") for name in PAGES}
    for name, page in pages.items():
        assert undefined_terms(page, pages) == {}, name
        assert unmarked_claims(page) == [], name
        assert originals_without_the_post(page) == [], name


# --- what a verdict covers -----------------------------------------------------------------


def test_the_caveat_comes_before_the_first_verdict_and_says_what_it_covers(tmp_path):
    from page_text import page_text
    from test_study_tables import summary_for

    one = page_text(render_html(tmp_path / "one"))
    caveat = next(line for line in one.splitlines() if line.startswith("What a verdict of this page covers."))
    assert "one trained model per latent size" in caveat and "this z = 50 model" in caveat
    assert "40 pairs" in caveat and "one digit classifier, trained once on 900 images" in caveat
    assert "configs/replicates.yaml" in caveat and "cannot be told apart" in caveat
    assert one.index(caveat) < one.index("measurabl")  # before the first verdict
    assert "For this z = 2 model, along lerp" in one  # verdicts name the one model

    study = summary_for()
    study["replicates"]["count"], study["replicates"]["training_seeds"] = 3, [1, 2, 3]
    for model in study["replicates"]["models"]:  # one model's numbers stand in for the mean over three
        for number in model["numbers"].values():
            number["ci_low"] = number["ci_high"] = number["mean"]
    three = page_text(render_html(tmp_path / "three", study=study))
    caveat = next(line for line in three.splitlines() if line.startswith("What a verdict of this page covers."))
    assert "3 models trained per latent size" in caveat and "one trained model" not in caveat
    assert "cover the training of the 3 models and the pairs, not the judge" in caveat
    assert "In this run, along lerp" in three and "this z = 2 model" not in three
