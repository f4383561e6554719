"""The page's explorers in a real browser: decoders against torch, controls, failures, no JavaScript.

Uses the Chromium setup of test_browser.py (its fixtures and helpers are imported, so these
tests skip or fail exactly as those do) on the site of the shared reduced pipeline run; the
geometry checks load explorer.js alone into a blank page.
Widgets load their decoder when they come near the viewport, so each test scrolls to them.
Measurements (deviations from torch, decode time) and screenshots go to the artifacts folder.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import statistics

import numpy as np
import pytest

from latentspace.model import geometry
from latentspace.model.model_files import load_model
from latentspace.page.explorer_bundles import decoder_layers, read_bundle, round_layers
from latentspace.model.decoding import decode_latents, to_uint8
from latentspace.model.latent_paths import interpolation_endpoints, load_decoded_path
from conftest import REPO_ROOT
from explorer_helpers import model_with_rounded_decoder, rounding_error_bound
from test_browser import DESKTOP, PHONE, artifacts_dir, chromium, open_site, site_url  # noqa: F401 (fixtures)

# A real browser, and most tests need the reduced pipeline run: all slow.
pytestmark = pytest.mark.slow

EXPLORER_SCRIPT = REPO_ROOT / "site_templates" / "static" / "explorer.js"
# Each explorer and the latent size of its model.
EXPLORERS = {"plane": 2, "spiral": 10, "interpolation": 500}
# The page's float32 arithmetic against torch's on the same (rounded) weights.
SAME_WEIGHTS_TOLERANCE = 1e-5

PIXELS = """([kind, canvas]) => Array.from(
  latentspaceExplorer.widgets[kind][canvas].getContext("2d").getImageData(0, 0, 28, 28).data.filter((_, k) => k % 4 === 0))"""


def open_explorer(page, kind: str):
    """Scroll to the explorer of ``kind`` and wait until its decoder is loaded and drawn."""
    container = page.locator(f"div.explorer[data-explorer={kind}]")
    container.scroll_into_view_if_needed()
    page.evaluate("kind => latentspaceExplorer.ready(kind).then(() => true)", kind)
    return container


def digit_pixels(page, kind: str, canvas: str) -> np.ndarray:
    """The grey levels (28, 28) a widget's digit canvas shows."""
    return np.array(page.evaluate(PIXELS, [kind, canvas]), dtype=np.uint8).reshape(28, 28)


def widget_value(page, kind: str, name: str):
    """A widget's state, typed arrays turned into lists."""
    return page.evaluate("""([kind, name]) => {
      const plain = value => ArrayBuffer.isView(value) ? Array.from(value) : Array.isArray(value) ? value.map(plain) : value;
      return plain(latentspaceExplorer.widgets[kind][name]);
    }""", [kind, name])


def probe_latents(latent_dim: int, count: int = 12) -> np.ndarray:
    """Fixed latents (count, D): the origin and prior draws at 1.5 times their usual size."""
    draws = 1.5 * np.random.default_rng(latent_dim).standard_normal((count - 1, latent_dim))
    return np.vstack([np.zeros((1, latent_dim)), draws]).astype(np.float32)


@pytest.fixture(scope="module")
def models(pipeline_run):
    """The run's models by latent size, and their copies with float16-rounded decoders."""
    loaded = {dim: load_model(pipeline_run / "results" / "models" / f"z{dim}" / "model.pt") for dim in EXPLORERS.values()}
    return {dim: (model, model_with_rounded_decoder(model, "float16")) for dim, model in loaded.items()}


def decoded_uint8(model, latents) -> np.ndarray:
    return to_uint8(decode_latents(model, np.asarray(latents, dtype=np.float32)))


def test_the_pages_decoders_equal_torch(chromium, site_url, models):
    measurements = {}
    with open_site(chromium, site_url, viewport=DESKTOP) as (page, log):
        for kind, latent_dim in EXPLORERS.items():
            open_explorer(page, kind)
            latents = probe_latents(latent_dim)
            in_page = np.array(page.evaluate(
                "([kind, latents]) => latents.map(z => Array.from(latentspaceExplorer.widgets[kind].decoder.decode(z)))",
                [kind, latents.tolist()],
            ))                                                                  # (N, 784)
            model, rounded = models[latent_dim]
            same_weights = decode_latents(rounded, latents).reshape(len(latents), -1)
            trained = decode_latents(model, latents).reshape(len(latents), -1)
            bound = rounding_error_bound(decoder_layers(model), round_layers(decoder_layers(model), "float16"), latents)
            assert np.abs(in_page - same_weights).max() <= SAME_WEIGHTS_TOLERANCE, kind
            assert np.all(np.abs(in_page - trained) <= bound + SAME_WEIGHTS_TOLERANCE), kind
            measurements[kind] = {
                "latent_dim": latent_dim,
                "max_difference_to_torch_on_float16_weights": float(np.abs(in_page - same_weights).max()),
                "max_difference_to_float32_model": float(np.abs(in_page - trained).max()),
                "max_float16_bound": float(bound.max()),
            }
        # The in-page decode time of this run's z = 500 decoder (benchmarks/explorer_decode_ms.py
        # times the default widths and holds the target).
        times_ms = page.evaluate("""latents => {
          const decoder = latentspaceExplorer.widgets.interpolation.decoder;
          latents.forEach(z => decoder.decode(z));
          return latents.map(z => { const start = performance.now(); decoder.decode(z); return performance.now() - start; });
        }""", np.random.default_rng(0).standard_normal((200, 500)).tolist())
        measurements["interpolation"]["median_decode_ms"] = statistics.median(times_ms)
        assert log["console_errors"] == [] and log["outside"] == [] and log["failed"] == []
    (artifacts_dir() / "explorer-measurements.json").write_text(json.dumps(measurements, indent=2) + "\n")
    print(json.dumps(measurements, indent=2))


def test_arrow_keys_and_the_pointer_move_the_marker_and_redraw_the_digit(chromium, site_url, models, pipeline_run):
    extent = read_bundle(next((pipeline_run / "site" / "figures").glob("explorer_plane_*.js"))).manifest["widget"]["extent"]
    step = extent / 30
    with open_site(chromium, site_url, viewport=DESKTOP) as (page, log):
        container = open_explorer(page, "plane")
        assert widget_value(page, "plane", "latent") == [0, 0]
        at_origin = digit_pixels(page, "plane", "digit")
        np.testing.assert_allclose(at_origin, decoded_uint8(models[2][1], [[0, 0]])[0], atol=1)
        plane = container.locator("canvas.explorer-plane")
        plane.focus()
        for key in ["ArrowRight"] * 7 + ["ArrowUp"] * 3 + ["Shift+ArrowLeft"]:
            page.keyboard.press(key)
        latent = widget_value(page, "plane", "latent")
        assert latent == pytest.approx([2 * step, 3 * step])
        moved = digit_pixels(page, "plane", "digit")
        assert (moved != at_origin).any(), "the digit did not change"
        np.testing.assert_allclose(moved, decoded_uint8(models[2][1], [latent])[0], atol=1)
        assert container.locator("output").first.inner_text() == f"z = ({2 * step:.2f}, {3 * step:.2f})"
        page.keyboard.press("Home")
        assert widget_value(page, "plane", "latent") == [0, 0]
        # A click (pointer down) a quarter of the way in from the top-left corner.
        box = plane.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 4, box["y"] + box["height"] / 4)
        assert widget_value(page, "plane", "latent") == pytest.approx([-extent / 2, extent / 2], abs=0.02 * extent)
        assert log["console_errors"] == [] and log["outside"] == []


def test_the_slider_ends_show_figure_11s_endpoint_digits(chromium, site_url, pipeline_run):
    lerp_path = load_decoded_path(pipeline_run / "results" / "paths" / "lerp_500d.npz")
    with open_site(chromium, site_url, viewport=DESKTOP) as (page, log):
        container = open_explorer(page, "interpolation")
        slider = container.locator("input[type=range]")
        for key, figure_digit in (("Home", lerp_path.images[0]), ("End", lerp_path.images[-1])):
            slider.press(key)  # the keyboard moves a range input to its minimum (Home) or maximum (End)
            lerp_digit = digit_pixels(page, "interpolation", "lerpDigit")
            slerp_digit = digit_pixels(page, "interpolation", "slerpDigit")
            np.testing.assert_array_equal(lerp_digit, slerp_digit)  # both paths start and end at the endpoints
            np.testing.assert_allclose(lerp_digit, figure_digit, atol=1)  # F11's digits (torch, float32 weights)
        assert container.locator("label.explorer-control output").inner_text() == "t = 1.00"
        assert log["console_errors"] == [] and log["outside"] == []


def test_new_endpoints_are_seeded_and_reproducible(chromium, site_url, pipeline_run):
    lerp_path = load_decoded_path(pipeline_run / "results" / "paths" / "lerp_500d.npz")
    radius = math.sqrt(500)
    with open_site(chromium, site_url, viewport=DESKTOP) as (page, log):
        container = open_explorer(page, "interpolation")
        np.testing.assert_allclose(widget_value(page, "interpolation", "endpoints"), lerp_path.latents[[0, -1]], atol=1e-6)
        button, seed = container.locator("button"), container.locator("input[type=number]")
        button.click()
        assert seed.input_value() == "1"
        first = np.array(widget_value(page, "interpolation", "endpoints"))
        np.testing.assert_allclose(np.linalg.norm(first, axis=1), radius, rtol=1e-12)
        assert "seed 1" in container.inner_text()
        button.click()
        assert seed.input_value() == "2"
        assert not np.allclose(widget_value(page, "interpolation", "endpoints"), first)
        seed.fill("1")
        seed.press("Enter")  # commits the value: a change event
        np.testing.assert_array_equal(widget_value(page, "interpolation", "endpoints"), first)
        seed.fill("")
        seed.press("Enter")  # no seed: back to F11's pair
        np.testing.assert_allclose(widget_value(page, "interpolation", "endpoints"), lerp_path.latents[[0, -1]], atol=1e-6)
        assert log["console_errors"] == [] and log["outside"] == []


def test_the_generator_draws_standard_normals(chromium, site_url):
    with open_site(chromium, site_url, viewport=DESKTOP) as (page, log):
        draws = np.array(page.evaluate("Array.from(latentspaceExplorer.random.standardNormals(20000, 3))"))
        again = np.array(page.evaluate("Array.from(latentspaceExplorer.random.standardNormals(20000, 3))"))
        other = np.array(page.evaluate("Array.from(latentspaceExplorer.random.standardNormals(20000, 4))"))
    np.testing.assert_array_equal(draws, again)
    assert not np.array_equal(draws, other)
    # Mean, variance and the share within one standard deviation, at several standard errors.
    assert abs(draws.mean()) < 0.03 and abs(draws.var() - 1) < 0.05
    assert abs(np.mean(np.abs(draws) < 1) - 0.6827) < 0.015


@pytest.fixture(scope="module")
def script_page(chromium):
    """A blank page running only explorer.js: its geometry and number formats, no site needed."""
    context = chromium.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_content("<!DOCTYPE html><html><head><title>explorer.js</title></head><body></body></html>")
    page.add_script_tag(path=str(EXPLORER_SCRIPT))
    yield page
    context.close()
    assert errors == []


def interpolation_cases() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Named endpoint pairs: F11's, random ones of several sizes, and each side of the degenerate angle."""
    rng = np.random.default_rng(11)
    f11_start, f11_end = interpolation_endpoints(500, 3)
    cases = [("F11's endpoints", f11_start, f11_end)]
    for n in (2, 3, 10, 100):
        start, end = rng.standard_normal((2, n))
        cases.append((f"random, n = {n}", start, 3.0 * end))
    start = np.array([3.0, 1.0, -2.0, 0.5])
    tilt = np.array([1.0, -3.0, 0.0, 0.0]) / math.sqrt(10.0)                   # a unit vector orthogonal to start
    for side, name in ((1.0, "parallel"), (-1.0, "antiparallel")):
        cases.append((name, start, side * 2.0 * start))
        # sin(angle) about 1e-13 (below geometry.DEGENERATE_SIN) and 1e-6 (above it).
        for sin_angle in (1e-13, 1e-6):
            end = side * 2.0 * (start + sin_angle * np.linalg.norm(start) * tilt)
            cases.append((f"{name} up to sin {sin_angle:g}", start, end))
    cases.append(("antiparallel, n = 2", np.array([0.0, 2.0]), np.array([0.0, -1.0])))
    return cases


def test_the_pages_interpolations_follow_geometry(script_page):
    """explorer.js's lerp and slerp against geometry's, on fixed pairs, one value of t at a time."""
    fractions = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0]
    assert script_page.evaluate("latentspaceExplorer.geometry.DEGENERATE_SIN") == geometry.DEGENERATE_SIN
    for name, start, end in interpolation_cases():
        in_page = script_page.evaluate("""([start, end, fractions]) => {
          const g = latentspaceExplorer.geometry;
          return {
            lerp: fractions.map(t => Array.from(g.lerp(start, end, t))),
            slerp: fractions.map(t => Array.from(g.slerp(start, end, t))),
          };
        }""", [start.tolist(), end.tolist(), fractions])
        scale = max(np.linalg.norm(start), np.linalg.norm(end))
        for method, interpolate in (("lerp", geometry.lerp), ("slerp", geometry.slerp)):
            expected = interpolate(start, end, fractions)                      # (T, n)
            np.testing.assert_allclose(in_page[method], expected, rtol=0, atol=1e-12 * scale, err_msg=f"{method}: {name}")
            np.testing.assert_array_equal(in_page[method][0], start, err_msg=name)
            np.testing.assert_array_equal(in_page[method][-1], end, err_msg=name)


def test_the_pages_spiral_and_half_floats_follow_the_pipeline(script_page):
    spiral = script_page.evaluate(
        "Array.from({length: 101}, (_, k) => Array.from(latentspaceExplorer.geometry.sphereSpiralPoint(10, Math.sqrt(10), 2.5, k / 100)))"
    )
    np.testing.assert_allclose(spiral, geometry.sphere_spiral(10, math.sqrt(10), 101, 2.5), atol=1e-12)
    # Every float16 bit pattern reads as numpy reads it (NaNs as NaN).
    halves = np.array(script_page.evaluate("Array.from({length: 65536}, (_, bits) => latentspaceExplorer.halfToFloat(bits))"))
    expected = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float64)
    np.testing.assert_array_equal(halves, expected)


def test_the_spiral_scrubber_follows_figure_7s_path(chromium, site_url, models, pipeline_run):
    turns = read_bundle(next((pipeline_run / "site" / "figures").glob("explorer_spiral_*.js"))).manifest["widget"]["turns"]
    path = geometry.sphere_spiral(10, math.sqrt(10), 5, turns)                  # t = 0, 0.25, ..., 1
    with open_site(chromium, site_url, viewport=DESKTOP) as (page, log):
        container = open_explorer(page, "spiral")
        np.testing.assert_allclose(widget_value(page, "spiral", "latent"), path[1], atol=1e-12)  # starts a quarter in
        before = digit_pixels(page, "spiral", "digit")
        container.locator("input[type=range]").press("End")
        np.testing.assert_allclose(widget_value(page, "spiral", "latent"), path[-1], atol=1e-12)
        after = digit_pixels(page, "spiral", "digit")
        assert (after != before).any()
        np.testing.assert_allclose(after, decoded_uint8(models[10][1], [path[-1]])[0], atol=1)
        assert container.locator("output").inner_text().startswith("progress 100.0%")
        assert log["console_errors"] == [] and log["outside"] == []


def test_explorers_work_from_disk_and_on_a_phone(chromium, pipeline_run):
    base = (pipeline_run / "site").as_uri() + "/"
    with open_site(chromium, base, viewport=DESKTOP) as (page, log):
        for kind in EXPLORERS:
            open_explorer(page, kind)
        assert log["console_errors"] == [] and log["failed"] == [] and log["outside"] == []
    with open_site(chromium, base, viewport=PHONE, is_mobile=True, has_touch=True) as (page, log):
        for kind in EXPLORERS:
            container = open_explorer(page, kind)
            # Nothing in an explorer is wider than the screen (test_browser.py checks the whole page).
            # (KaTeX draws a root sign with an svg far wider than its clipping box: left out.)
            assert container.evaluate("node => [node, ...node.querySelectorAll(':not(.katex *)')].every("
                                      "child => child.getBoundingClientRect().right <= innerWidth)"), kind
        plane = page.locator("canvas.explorer-plane")
        plane.scroll_into_view_if_needed()
        box = plane.bounding_box()
        page.touchscreen.tap(box["x"] + 0.75 * box["width"], box["y"] + 0.5 * box["height"])
        latent = widget_value(page, "plane", "latent")
        assert latent[0] > 0.3 and abs(latent[1]) < 0.1
        assert log["console_errors"] == []


def test_screenshots_of_the_explorers(chromium, site_url):
    artifacts = artifacts_dir()
    for scheme in ("light", "dark"):
        with open_site(chromium, site_url, viewport=DESKTOP, color_scheme=scheme) as (page, log):
            for kind in EXPLORERS:
                container = open_explorer(page, kind)
                container.screenshot(path=str(artifacts / f"explorer-{kind}-{scheme}.png"))
                assert container.evaluate("node => node.querySelectorAll('canvas').length") >= 2
            assert log["console_errors"] == []


def test_without_javascript_the_explorers_stay_hidden(chromium, site_url):
    with open_site(chromium, site_url, viewport=DESKTOP, java_script_enabled=False) as (page, log):
        containers = page.locator("div.explorer")
        assert containers.count() == len(EXPLORERS)
        for index in range(containers.count()):
            assert not containers.nth(index).is_visible()
        assert page.locator("#figure-2 img").is_visible() and page.locator("#figure-11 img").is_visible()


def broken_copy(pipeline_run, tmp_path, changes: dict) -> str:
    """A copy of the site with some explorer bundles replaced ({kind: text or None to delete}); its file:// URL."""
    site = tmp_path / "site"
    shutil.copytree(pipeline_run / "site", site)
    for kind, text in changes.items():
        bundle = next((site / "figures").glob(f"explorer_{kind}_*.js"))
        if text is None:
            bundle.unlink()
        else:
            bundle.write_text(text(bundle.read_text()) if callable(text) else text)
    return site.as_uri() + "/"


def check_failure_and_intact_page(page, failed: dict[str, str], working: list[str]) -> None:
    for kind, reason in failed.items():
        container = page.locator(f"div.explorer[data-explorer={kind}]")
        container.scroll_into_view_if_needed()
        error = page.evaluate("kind => latentspaceExplorer.ready(kind).then(() => 'ready', error => error.message)", kind)
        assert reason in error
        assert container.is_visible() and "explorer-failed" in container.get_attribute("class")
        message = container.inner_text()
        assert message.startswith("The interactive explorer could not start: figures/explorer_") and reason in message
        assert message.count("\n") == 0 and container.locator("canvas").count() == 0
    for kind in working:
        open_explorer(page, kind)
    # The rest of the page: every figure with its image or video, every section, the formulas.
    assert page.evaluate("[...document.images].every(image => image.complete && image.naturalWidth > 0)")
    assert page.locator("main > section").count() >= 10
    assert page.locator("figure img, figure video").count() == page.locator("figure").count() >= 12  # the article's
    assert page.evaluate("document.querySelectorAll('.katex').length") > 40


def test_missing_or_unreadable_bundles_show_a_message_and_leave_the_page_intact(chromium, pipeline_run, tmp_path):
    base = broken_copy(pipeline_run, tmp_path, {"plane": None, "spiral": "this is not a decoder {\n"})
    with open_site(chromium, base, viewport=DESKTOP) as (page, log):
        check_failure_and_intact_page(
            page, {"plane": "the file could not be loaded", "spiral": "it is not a decoder bundle"}, ["interpolation"]
        )
        # The browser reports the missing file and the syntax error; the explorer script itself throws nothing.
        assert len(log["console_errors"]) == 2 and all("explorer.js" not in error for error in log["console_errors"])
        assert log["outside"] == []


def test_malformed_bundles_show_a_message(chromium, pipeline_run, tmp_path):
    def truncated_data(text):
        return re.sub(r'"data":"[^"]*"', '"data":"AAAAAAAA"', text)

    def wrong_format(text):
        return text.replace('"format_version":1', '"format_version":7')

    spiral_text = next((pipeline_run / "site" / "figures").glob("explorer_spiral_*.js")).read_text()
    base = broken_copy(pipeline_run, tmp_path, {"interpolation": truncated_data, "spiral": wrong_format, "plane": spiral_text})
    with open_site(chromium, base, viewport=DESKTOP) as (page, log):
        check_failure_and_intact_page(page, {
            "interpolation": "does not fit its data",
            "spiral": "is not in format latentspace-explorer-bundle version 1",
            "plane": "it is not a bundle for the plane explorer",
        }, [])
        assert log["console_errors"] == [] and log["outside"] == []
