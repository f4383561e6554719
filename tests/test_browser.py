"""The site of the reduced pipeline run, both its pages, in a real browser.

Debian's Chromium (``apt-get install chromium``) driven by Playwright for Python; no
browser is downloaded. The site is opened from a local HTTP server on 127.0.0.1 and from
disk (file://). Without Chromium or Playwright these tests are skipped, unless
LATENTSPACE_REQUIRE_BROWSER=1 (as in CI) makes that a failure. Screenshots go to
``$LATENTSPACE_ARTIFACTS`` (default: test-artifacts/ in the repository).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

from conftest import REPO_ROOT

# A real Chromium: kept out of the fast loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("LATENTSPACE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
RAW_TEX = ("$$", "\\begin", "\\(", "\\[", "\\frac")
WAIT_MS = 20_000
# What each page of the site must show at least: images, videos, typeset formulas.
PAGES = {
    "index.html": {"images": 10, "videos": 2, "formulas": 40},
    "study.html": {"images": 9, "videos": 0, "formulas": 5},
}


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("LATENTSPACE_ARTIFACTS") or REPO_ROOT / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _unavailable(reason: str):
    if os.environ.get("LATENTSPACE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (LATENTSPACE_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        _unavailable(f"{CHROMIUM} not found (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def site_url(pipeline_run):
    """The site of the pipeline run, served on a free port of 127.0.0.1 for the module's tests."""
    handler = functools.partial(QuietHandler, directory=str(pipeline_run / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@contextlib.contextmanager
def open_site(browser, base_url: str, page_name: str = "index.html", **context_options):
    """A page of the site (its entry by default) that records console errors, failed requests and
    every request leaving the site."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    log = {"console_errors": [], "outside": [], "failed": []}
    page.on("console", lambda message: message.type == "error" and log["console_errors"].append(message.text))
    page.on("pageerror", lambda error: log["console_errors"].append(str(error)))
    page.on("requestfailed", lambda request: log["failed"].append(f"{request.url} ({request.failure})"))

    def keep_inside(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            log["outside"].append(route.request.url)
            route.abort()

    page.route("**/*", keep_inside)
    page.goto(base_url + page_name, wait_until="load")
    page.evaluate("document.fonts.ready.then(() => true)")
    try:
        yield page, log
    finally:
        context.close()


def check_page(page, log, page_name: str) -> None:
    expected = PAGES[page_name]
    # Every image loaded.
    broken = page.evaluate(
        "[...document.images].filter(image => !(image.complete && image.naturalWidth > 0)).map(image => image.src)"
    )
    assert page.evaluate("document.images.length") >= expected["images"]
    assert broken == []
    # Every video loads, is set to play inline, muted and looping, and plays once in view.
    videos = page.locator("video")
    assert videos.count() == expected["videos"]
    for index in range(videos.count()):
        video = videos.nth(index)
        video.scroll_into_view_if_needed()
        video.evaluate(
            "video => new Promise((resolve, reject) => {"
            "  const done = () => video.videoWidth > 0 && video.currentTime > 0;"
            "  if (done()) return resolve();"
            "  const timer = setInterval(() => { if (done()) { clearInterval(timer); resolve(); } }, 100);"
            f"  setTimeout(() => {{ clearInterval(timer); reject(new Error('video did not play: ' + video.currentSrc)); }}, {WAIT_MS});"
            "})"
        )
        settings = video.evaluate("video => [video.muted, video.loop, video.autoplay, video.playsInline, !!video.poster]")
        assert settings == [True, True, True, True, True]
    # Formulas were rendered, with KaTeX's own fonts from the site.
    text = page.evaluate("document.body.innerText")
    for fragment in RAW_TEX:
        assert fragment not in text, f"raw TeX {fragment!r} visible on the page"
    assert page.evaluate("document.querySelectorAll('.katex').length") > expected["formulas"]
    assert page.evaluate("document.fonts.check('16px KaTeX_Main') && document.fonts.check('16px KaTeX_Math')")
    loaded_fonts = page.evaluate("[...document.fonts].filter(font => font.status === 'loaded').map(font => font.family)")
    assert "KaTeX_Main" in loaded_fonts
    # Every entry of the table of contents leads to its section: the page's own, each in turn, then
    # those of the other page.
    links = page.eval_on_selector_all("nav.toc a", "links => links.map(link => link.getAttribute('href'))")
    own = [href for href in links if href.startswith("#")]
    assert len(own) >= 3 and len(own) == page.locator("main > section").count()
    for href in own:
        assert page.evaluate(f"!!document.getElementById({href[1:]!r})"), f"{href}: no such section"
        page.click(f"nav.toc a[href='{href}']")
        assert page.evaluate("location.hash") == href
    assert log["outside"] == [], "requests left the site"
    assert log["failed"] == []
    assert log["console_errors"] == []
    others = [href for href in links if not href.startswith("#")]
    assert others and all(href.split("#")[0] in PAGES and href.split("#")[0] != page_name for href in others)
    for href in others:
        other, anchor = href.split("#")
        page.click(f"nav.toc a[href='{href}']")
        page.wait_for_url(f"**/{other}#{anchor}")
        assert page.evaluate(f"!!document.getElementById({anchor!r})"), f"{href}: no such section"
        page.go_back(wait_until="load")
    assert log["outside"] == [] and log["console_errors"] == []
    # Leaving a page aborts what it was still loading (its icon, a poster): not a failure of the site.
    assert [failure for failure in log["failed"] if "net::ERR_ABORTED" not in failure] == []


@pytest.mark.parametrize("page_name", PAGES)
def test_site_over_http(chromium, site_url, page_name):
    with open_site(chromium, site_url, page_name, viewport=DESKTOP) as (page, log):
        check_page(page, log, page_name)


@pytest.mark.parametrize("page_name", PAGES)
def test_site_from_disk(chromium, pipeline_run, page_name):
    with open_site(chromium, (pipeline_run / "site").as_uri() + "/", page_name, viewport=DESKTOP) as (page, log):
        check_page(page, log, page_name)


def test_screenshots_in_both_colour_schemes_and_on_a_phone(chromium, site_url):
    artifacts = artifacts_dir()
    backgrounds, radius_colours = {}, {}
    for scheme, name in (("light", "site-full.png"), ("dark", "site-full-dark.png")):
        with open_site(chromium, site_url, viewport=DESKTOP, color_scheme=scheme) as (page, log):
            page.screenshot(path=str(artifacts / name), full_page=True)
            backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
            radius_colours[scheme] = page.evaluate(
                "getComputedStyle(document.querySelector('.katex-html [style*=\"--math-radius\"]')).color"
            )
            assert log["console_errors"] == [] and log["outside"] == []
        assert (artifacts / name).stat().st_size > 50_000
    assert backgrounds["light"] != backgrounds["dark"]
    assert radius_colours["light"] != radius_colours["dark"]  # the colour-coded formula follows the scheme
    with open_site(chromium, site_url, "study.html", viewport=DESKTOP) as (page, log):
        page.screenshot(path=str(artifacts / "site-study-full.png"), full_page=True)
        assert log["console_errors"] == [] and log["outside"] == []
    for page_name, name in (("index.html", "site-phone.png"), ("study.html", "site-study-phone.png")):
        with open_site(chromium, site_url, page_name, viewport=PHONE, is_mobile=True, has_touch=True) as (page, log):
            page.screenshot(path=str(artifacts / name), full_page=True)
            # Readable on a phone: nothing forces the page wider than the screen.
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page_name
            assert log["console_errors"] == []


def test_how_a_figure_was_made_opens_from_the_keyboard(chromium, site_url):
    """Figure 2's "How this was made" is a closed disclosure; Tab reaches it, Enter opens it."""
    with open_site(chromium, site_url, viewport=DESKTOP) as (page, log):
        details = page.locator("#figure-2 details.provenance")
        summary = details.locator("summary")
        assert not details.evaluate("element => element.open")
        assert not page.locator("#figure-2 pre.command").is_visible()
        # Tab from the element just before the summary (the figure's link), as a reader would.
        page.focus("#figure-2 a.figure-link")
        for _ in range(20):
            page.keyboard.press("Tab")
            if summary.evaluate("element => element === document.activeElement"):
                break
        assert summary.evaluate("element => element === document.activeElement"), "Tab never reached the summary"
        page.keyboard.press("Enter")
        assert details.evaluate("element => element.open")
        command = page.locator("#figure-2 pre.command")
        assert command.is_visible()
        assert command.inner_text().startswith("python -m latentspace latent-grid ")
        assert log["console_errors"] == [] and log["outside"] == []
