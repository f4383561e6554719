"""The text of a page as a reader gets it: one block per line, whitespace collapsed.

A formula rendered by KaTeX reads as its TeX source, \\(...\\); scripts and styles are left
out. Used to compare the page's words before and after a change (``python tests/page_text.py
site/index.html``), and by the tests of the words.
"""

from __future__ import annotations

import html.parser
import re
import sys

BLOCKS = {"p", "li", "h1", "h2", "h3", "figcaption", "caption", "tr", "th", "td", "aside", "summary", "div",
          "section", "figure", "table", "title", "br", "nav", "header", "ol", "ul"}


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0  # depth inside an element left out
        self.math = 0
        self.annotation = False

    def handle_starttag(self, tag, attrs):
        if self.skip:
            self.skip += 1
        elif tag in ("script", "style") or "katex-html" in (dict(attrs).get("class") or "").split():
            self.skip = 1
        else:
            self.math += tag == "math"
            self.annotation = self.annotation or tag == "annotation"
            if tag in BLOCKS:
                self.parts.append("\n")

    def handle_endtag(self, tag):
        if self.skip:
            self.skip -= 1
            return
        self.math -= tag == "math"
        self.annotation = self.annotation and tag != "annotation"
        if tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.skip:
            return
        if not self.math:
            self.parts.append(data.replace("\n", " "))
        elif self.annotation:  # the TeX source of a KaTeX formula
            self.parts.append(f" \\({data}\\) ")


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).split("\n")]
    return "\n".join(line for line in lines if line)


# A word as the page-length ruler of issue 25 counts it: a run of letters and digits, with the
# apostrophes, points, commas, percent signs and hyphens inside it.
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.,%-]*")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Visible(html.parser.HTMLParser):
    """The words a reader sees without opening any <details>: a closed <details> shows only its
    <summary>; scripts, styles, templates and KaTeX's MathML copy of each formula are left out
    (its typeset glyphs count, as the ruler counts them). Nested <details> are read as the
    browser shows them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, hides its content, is an article section)
        self.words: list[tuple[str, bool]] = []  # (word, inside an article section)

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        hides = tag in ("script", "style", "template") or "katex-mathml" in classes
        self.stack.append((tag, hides, tag == "section" and "numbered" in classes))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def visible(self) -> bool:
        for index, (tag, hides, _) in enumerate(self.stack):
            if hides:
                return False
            # Inside a closed <details>, only its own <summary> shows.
            if tag == "details" and (index + 1 == len(self.stack) or self.stack[index + 1][0] != "summary"):
                return False
        return True

    def handle_data(self, data):
        if self.visible():
            article = any(is_article for _, _, is_article in self.stack)
            self.words += [(word, article) for word in WORD.findall(data)]


def visible_words(html_text: str) -> tuple[int, int]:
    """(words of the page, words of its article sections) a reader sees with every <details> closed."""
    parser = _Visible()
    parser.feed(html_text)
    return len(parser.words), sum(article for _, article in parser.words)


if __name__ == "__main__":
    print(page_text(open(sys.argv[1], encoding="utf-8").read()))
