"""The text of a page as a reader gets it: one block per line, whitespace collapsed.

A formula rendered by KaTeX reads as its TeX source, \\(...\\); scripts and styles are left
out. Used to compare the page's words before and after a change (``python tests/page_text.py
site/index.html``), and by the tests of the words.
"""

from __future__ import annotations

import html.parser
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


if __name__ == "__main__":
    print(page_text(open(sys.argv[1], encoding="utf-8").read()))
