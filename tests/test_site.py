"""The article site: formula rendering, the run report, the renderer and HTML checks of built sites.

Fast tests render the real templates with small generated assets; the end-to-end tests
check the site of the shared reduced pipeline run (``pipeline_run``), that a template
edit re-renders only the site, and that Snakemake's own report builds.
"""

from __future__ import annotations

import html.parser
import itertools
import importlib.metadata
import json
import math
import platform
import re
import shutil
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import jinja2
import numpy as np
import pytest
from test_geodesic_tables import with_geodesics
import yaml

from conftest import REPO_ROOT, run_snakemake
from page_text import visible_words
from latentspace.page import math_render, run_report, site_builder, site_provenance
from latentspace.cli import main
from latentspace.errors import LatentspaceError
from latentspace.figures.rendering import save_grey_png
from latentspace.study.pair_scores import pair_scores

TEMPLATES = REPO_ROOT / "site_templates"
KATEX_VENDOR = TEMPLATES / "vendor" / "katex"
# The site's pages in reading order: index.html (the entry) and study.html.
PAGES = list(site_builder.PAGE_TEMPLATES)
# The eight sections of the original article, in its order, open the first page; the
# references close it. The second page holds the study, the run's results and how to reproduce it.
STUDY_PAGE_SECTION_IDS = ["measuring-interpolations", "results", "reproduce"]
ARTICLE_SECTION_IDS = [
    "auto-encoders",
    "variational-auto-encoders",
    "latent-space-interpolations",
    "latent-2d",
    "higher-dimensions",
    "entire-space",
    "two-points",
    "conclusion",
]
FIGURE_COUNT_AT_LEAST = 13  # the article's 12 and the training curves
STILL_ASSETS = {
    "f01_autoencoder": "svg",
    "f02_latent_grid": "png",
    "f04_ball_volume": "svg",
    "f05_norm_concentration": "svg",
    "f06_sphere_spiral_3d": "svg",
    "f08_projections_3d": "svg",
    "f09_projections_4d": "svg",
    "f10_lerp_vs_slerp": "svg",
    "f11_interpolation_500d": "png",
    "f12_interpolation_norms": "svg",
    "training_curves": "svg",
    "study_latent_norms": "svg",
    "study_kl_spectrum": "svg",
    "study_midpoint_gaps": "svg",
    "study_replicate_midpoints": "svg",
    "study_geodesic_plane": "svg",
    "study_geodesic_digits": "png",
    **{f"study_path_{metric}": "svg" for metric in (
        "latent_norm_ratio", "classifier_confidence", "classifier_entropy_nats",
        "prior_log_density_nats", "nearest_train_distance",
    )},
}
STUDY_TABLES = ("study_models", "study_path_metrics", "study_midpoints", "study_geodesic_comparisons")
ANIMATIONS = ("f03_spiral_2d", "f07_sphere_spiral_10d")
# The only addresses outside the site the page may link to (never load): the references' own.
REFERENCES = site_builder.parse_references((TEMPLATES / "references.yaml").read_text(encoding="utf-8"),
                                          "references.yaml")
ALLOWED_EXTERNAL_LINKS = {address for reference in REFERENCES
                          for address in (reference["url"], (reference["code"] or {}).get("url")) if address}
RAW_TEX = ("$$", "\\begin", "\\(", "\\[", "\\frac", "\\theta")


# --- an HTML reader for the checks ----------------------------------------------------------


class PageReader(html.parser.HTMLParser):
    """Collects images, references to files, ids, figures and the text a reader sees."""

    HIDDEN = {"annotation", "script", "style", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images, self.references, self.ids, self.figures = [], [], set(), []
        self.section_ids, self.toc_links, self.visible_text = [], [], []
        self._hidden_depth, self._in_toc, self._in_figcaption = 0, False, False
        self._open_paragraphs, self.misplaced_blocks = 0, []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag in self.HIDDEN:
            self._hidden_depth += 1
        if tag == "img":
            self.images.append(attributes)
        for name in ("src", "href", "poster"):
            if name in attributes:
                self.references.append((tag, name, attributes[name]))
        if tag == "section":
            self.section_ids.append(attributes.get("id"))
        if tag == "nav" and "toc" in attributes.get("class", ""):
            self._in_toc = True
        if tag == "a" and self._in_toc:
            self.toc_links.append(attributes["href"])
        if tag == "figure":
            self.figures.append({"id": attributes.get("id"), "caption": ""})
        if tag == "figcaption":
            self._in_figcaption = True
        if tag == "p":
            self._open_paragraphs += 1
        if tag in ("div", "figure", "aside", "section", "table") and self._open_paragraphs:
            self.misplaced_blocks.append(tag)  # a block inside <p>: the browser would split the paragraph

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden_depth -= 1
        if tag == "nav":
            self._in_toc = False
        if tag == "figcaption":
            self._in_figcaption = False
        if tag == "p":
            self._open_paragraphs -= 1

    def handle_data(self, data):
        if self._hidden_depth == 0:
            self.visible_text.append(data)
        if self._in_figcaption:
            self.figures[-1]["caption"] += data


def read_page(path: Path) -> PageReader:
    reader = PageReader()
    reader.feed(path.read_text(encoding="utf-8"))
    return reader


def css_urls(css: str) -> list[str]:
    return [url.strip("'\"") for url in re.findall(r"url\(([^)]+)\)", css) if not url.startswith("data:")]


def read_site(site: Path) -> dict[str, PageReader]:
    """``{page: its parsed HTML}`` for every page of a built site, in reading order."""
    return {name: read_page(site / name) for name in PAGES}


def dead_links(site: Path) -> list[str]:
    """Every link, source or poster of the site's pages that does not resolve inside the site.

    ``#x`` must name an id of its own page, ``page.html#x`` an id of that page of the site, any
    other relative address a file of the site; the only addresses outside the site are the
    reference list's, and only as links (``<a>``), never loaded.
    """
    pages = read_site(site)
    dead = []
    for name, page in pages.items():
        for tag, attribute, value in page.references:
            parsed = urlparse(value)
            where = f"{name}: {tag} {attribute}={value}"
            if tag == "a" and value in ALLOWED_EXTERNAL_LINKS:
                continue
            if parsed.scheme or parsed.netloc or value.startswith("/"):
                dead.append(f"{where}: not a relative address inside the site")
            elif parsed.fragment or value.startswith("#"):
                target = unquote(parsed.path) or name
                if target not in pages:
                    dead.append(f"{where}: {target} is not a page of the site")
                elif parsed.fragment not in pages[target].ids:
                    dead.append(f"{where}: no element of {target} has the id {parsed.fragment!r}")
            elif not (site / unquote(parsed.path)).is_file():
                dead.append(f"{where}: file missing from the site")
    return dead


def check_site(site: Path) -> PageReader:
    """The checks every built site must pass; returns its pages' contents, read as one page
    (images, figures and text in reading order) for more."""
    pages = read_site(site)
    assert dead_links(site) == []
    for name, page in pages.items():
        assert page.misplaced_blocks == [], f"{name}: a block element (a display formula?) inside a paragraph"
        # Every image has alt text.
        for image in page.images:
            assert image.get("alt", "").strip(), f"{name}: img without alt text: {image}"
        # The table of contents lists the page's own sections in order, then links to the other page's.
        own = [link for link in page.toc_links if link.startswith("#")]
        assert own == [f"#{section}" for section in page.section_ids], name
        others = [urlparse(link) for link in page.toc_links if not link.startswith("#")]
        assert others and all(link.path in pages and link.path != name and link.fragment in pages[link.path].section_ids
                              for link in others), f"{name}: {page.toc_links}"
        # All formulas were rendered: no TeX left where a reader would see it.
        text = "".join(page.visible_text)
        for fragment in RAW_TEX:
            assert fragment not in text, f"{name}: raw TeX {fragment!r} in the visible text"
        assert "katex" in (site / name).read_text(encoding="utf-8")
    # Stylesheets only point at files they ship.
    for stylesheet in site.rglob("*.css"):
        for url in css_urls(stylesheet.read_text(encoding="utf-8")):
            assert (stylesheet.parent / url).is_file(), f"{stylesheet.name}: url({url}) missing from the site"
    # The first page: the article's sections in its order, its references last; the second page:
    # the study, the results, and "Reproduce these pages" (issue 17) last.
    index, study = pages["index.html"], pages["study.html"]
    assert index.section_ids[: len(ARTICLE_SECTION_IDS)] == ARTICLE_SECTION_IDS and index.section_ids[-1] == "references"
    assert study.section_ids == STUDY_PAGE_SECTION_IDS
    # Both pages, read in order: figures numbered 1, 2, 3, ..., each with a numbered caption.
    site_page = PageReader()
    for name in PAGES:
        site_page.feed((site / name).read_text(encoding="utf-8"))
    assert len(site_page.figures) >= FIGURE_COUNT_AT_LEAST
    for number, figure in enumerate(site_page.figures, start=1):
        assert figure["id"] == f"figure-{number}", figure
        assert figure["caption"].strip().startswith(f"Figure {number}."), figure
    return site_page


def site_html(site: Path) -> str:
    """The HTML of every page of a built site, in reading order: for checks of what the site shows."""
    return "\n".join((site / name).read_text(encoding="utf-8") for name in PAGES)


# --- math rendering -------------------------------------------------------------------------


def test_display_and_inline_formulas_become_katex_html():
    page = math_render.render_math_in_html(r"<p>A \(z \sim \mathcal{N}(0, I)\) code.</p> \[ V_n = \frac{\pi^{n/2}}{\Gamma(n/2 + 1)} \]")
    assert page.startswith('<p>A <span class="katex">')
    assert '<div class="equation"><span class="katex-display">' in page
    assert "\\(" not in page and "\\[" not in page
    assert "http://" not in page  # namespace attributes are dropped: the HTML parser implies them
    assert page.count('<annotation encoding="application/x-tex">') == 2  # the source, for screen readers


def test_stretchy_delimiters_keep_their_svg_without_a_namespace_url():
    rendered = math_render.render_formula(r"\bigl(Q \,\big\|\, P\bigr) \quad \sqrt{\frac{a}{b}}", display=True)
    assert "<svg" in rendered and "http" not in rendered


def test_colour_roles_become_css_variables():
    rendered = math_render.render_formula(r"\textcolor{radius}{r}\,\textcolor{sine}{\sin\theta}\,\textcolor{cosine}{\cos\theta}", display=True)
    for role in math_render.COLOUR_ROLES:
        assert f"color:var(--math-{role})" in rendered
        assert f'class="math-{role}"' in rendered  # in the MathML
    assert "color:radius" not in rendered


def test_colour_variables_are_defined_for_both_schemes():
    css = (TEMPLATES / "static" / "style.css").read_text()
    light, dark = css.split("@media (prefers-color-scheme: dark)", 1)
    for role in math_render.COLOUR_ROLES:
        assert f"--math-{role}:" in light and f"--math-{role}:" in dark


def test_bad_formula_is_named_in_one_line():
    with pytest.raises(LatentspaceError, match=r"formula '\\\\frac\{1\}\{': .*expected '\}'"):
        math_render.render_math_in_html(r"<p>\(\frac{1}{\)</p>")


def test_unmatched_delimiter_is_an_error():
    with pytest.raises(LatentspaceError, match=r"unmatched math delimiter '\\\\\(' near '<p>a \\\\\(x</p>'"):
        math_render.render_math_in_html(r"<p>a \(x</p>")


def test_escaped_values_inside_formulas_are_read_back():
    rendered = math_render.render_math_in_html(r"\(a &lt; b\)")
    assert "&lt;" in rendered and 'class="mrel">&lt;' in rendered  # rendered as the relation <


def test_katex_stylesheet_points_only_at_shipped_fonts(tmp_path):
    math_render.install_katex_assets(KATEX_VENDOR, tmp_path)
    css = (tmp_path / "katex.min.css").read_text()
    urls = css_urls(css)
    assert len(urls) == len(list((KATEX_VENDOR / "fonts").glob("*.woff2"))) == 20
    assert all(url.endswith(".woff2") and (tmp_path / url).is_file() for url in urls)
    assert (tmp_path / "LICENSE").is_file()


def test_pykatex_embeds_the_katex_version_of_the_vendored_stylesheet():
    import pykatex

    assert importlib.metadata.version("pykatex") == math_render.PYKATEX_VERSION
    assert math_render.KATEX_VERSION.encode() in Path(pykatex.__file__).read_bytes()
    assert f"katex@{math_render.KATEX_VERSION}" in (KATEX_VENDOR / "README.md").read_text()


# --- run report -----------------------------------------------------------------------------

BENCHMARK_TSV = (
    "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    "18.85\t0:00:18\t754.48\t3575.84\t727.24\t735.29\t8.56\t0.01\t133.06\t25.35\n"
)


def test_benchmark_tsv_is_parsed():
    row = run_report.parse_benchmark(BENCHMARK_TSV, "train (latent_dim 10)")
    assert row == {"name": "train (latent_dim 10)", "wall_seconds": 18.85, "cpu_seconds": 25.35, "max_rss_mb": 754.48, "repeats": 1}


def test_benchmark_without_memory_figures_keeps_the_time():
    text = "s\th:m:s\tmax_rss\tcpu_time\n2.5\t0:00:02\tNA\t-\n"
    row = run_report.parse_benchmark(text, "data")
    assert (row["wall_seconds"], row["max_rss_mb"], row["cpu_seconds"]) == (2.5, None, None)


def test_benchmark_that_is_not_a_tsv_is_refused():
    with pytest.raises(LatentspaceError, match="benchmark data: expected Snakemake's TSV"):
        run_report.parse_benchmark("hello\n", "data")


def test_benchmark_summary_sorts_and_totals():
    rows = [run_report.parse_benchmark(BENCHMARK_TSV, name) for name in ("train", "data")]
    summary = run_report.benchmark_summary(rows)
    assert [row["name"] for row in summary["rows"]] == ["data", "train"]
    assert summary["total_wall_seconds"] == pytest.approx(2 * 18.85)


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "\u2013"), (4.04, "4.0 s"), (125.4, "2 min 05 s"), (3725, "1 h 02 min")]
)
def test_seconds_are_written_for_people(seconds, text):
    assert run_report.format_seconds(seconds) == text


def test_derived_quantities():
    derived = run_report.derived_quantities({"figures": {"latent_grid": {"extent": 2.0}}}, [2, 500])
    assert derived["ball_volume_peak_dimension"] == 5
    assert derived["ball_volume_peak"] == pytest.approx(8 * math.pi**2 / 15)
    assert derived["grid_prior_mass"] == pytest.approx(0.9545**2, abs=1e-4)
    assert derived["sphere_radius"][500] == pytest.approx(22.3607, abs=1e-4)
    assert derived["inner_half_rarity_exponent"][500] == 70


def test_model_rows_need_every_reported_field():
    with pytest.raises(LatentspaceError, match="metrics of latent size 2: missing .*active_units"):
        run_report.model_rows([{"latent_dim": 2, "test_elbo_nats": -100.0}])


def test_models_trained_on_different_data_are_refused():
    with pytest.raises(LatentspaceError, match="different datasets"):
        run_report.shared_dataset([{"dataset": {"source": "mnist"}}, {"dataset": {"source": "mnist-5k"}}])


def test_package_versions_list_python_first_from_one_reading():
    installed = site_provenance.distribution_versions()
    versions = site_provenance.version_rows(installed, ("numpy", "Jinja2", "surely-not-installed-here"))
    assert versions[0] == {"name": "Python", "version": platform.python_version()}
    assert versions[1] == {"name": "numpy", "version": np.__version__}
    assert versions[2]["version"] == jinja2.__version__  # names compare as PEP 503 has it
    assert versions[3]["version"] == "not installed"
    reproduced = site_provenance.reproduction(installed, {"rows": [], "total_wall_seconds": 0.0}, {})
    assert reproduced["python"] == versions[0]["version"]
    assert [row["name"] for row in reproduced["software"]] == list(site_provenance.NAMED_DISTRIBUTIONS)


# --- renderer -------------------------------------------------------------------------------


def test_image_sizes_are_read(tmp_path):
    save_grey_png(np.zeros((30, 50), dtype=np.uint8), tmp_path / "grid.png")
    assert site_builder.image_size(tmp_path / "grid.png") == (50, 30)
    assert site_builder.svg_size('<svg xmlns="x" width="460.8pt" height="345.6pt" viewBox="0 0 460.8 345.6">') == (614, 461)
    assert site_builder.svg_size('<svg width="100%">') is None


def test_references_need_unique_keys():
    text = "- {key: a, authors: A, year: 1, title: T, venue: V}\n- {key: a, authors: B, year: 2, title: U, venue: W}\n"
    with pytest.raises(LatentspaceError, match="refs.yaml: reference key 'a' appears twice"):
        site_builder.parse_references(text, "refs.yaml")
    with pytest.raises(LatentspaceError, match="reference 1: expected key, authors, year, title, venue"):
        site_builder.parse_references("- {key: a}\n", "refs.yaml")


@pytest.mark.parametrize(("entry", "message"), [
    ("{key: a, title: T, venue: V, year: 2017}", "reference 1: expected key, authors, year, title, venue"),
    ("{key: a, authors: A, title: T, venue: V}", "reference 1: expected key, authors, year, title, venue"),
    ("{key: a, authors: A, year: 1, title: T, venue: V, url: 'arxiv.org/abs/1'}", "a: url: expected an https://"),
    ("{key: a, authors: A, year: 1, title: T, venue: V, code: {url: 'https://x.org'}}",
     "a: code: expected a title and a url"),
    ("{key: a, authors: A, year: 1, title: T, venue: V, code: {title: C, url: 'http://x.org'}}",
     "a: code.url: expected an https://"),
])
def test_every_reference_names_authors_a_year_and_a_real_address(entry, message):
    with pytest.raises(LatentspaceError, match=message):
        site_builder.parse_references(f"- {entry}\n", "refs.yaml")


def test_the_original_post_is_credited_with_its_author_address_and_code(stand_in_site):
    post = next(reference for reference in REFERENCES if reference["key"] == "source-post")
    assert post["number"] == 1 and post["authors"] == "Alexis Louis" and post["year"] == 2017
    assert post["url"] == "https://blog.alelouis.eu/blog/latent-space-interpolations"
    assert post["code"]["url"] == "https://github.com/alelouis/vae"
    page = (stand_in_site / "index.html").read_text()
    opening = page.split('<header class="masthead">', 1)[1].split("</header>", 1)[0]
    for credit in ("Alexis Louis", f'href="{post["url"]}"', f'href="{post["code"]["url"]}"'):
        assert credit in opening, credit
    entry = page.split('<li id="ref-source-post">', 1)[1].split("</li>", 1)[0]
    for credit in ("Alexis Louis (2017)", "blog.alelouis.eu/blog/latent-space-interpolations",
                   "github.com/alelouis/vae"):
        assert credit in entry, credit


def test_the_article_cites_only_listed_references_and_lists_only_cited_ones():
    references = site_builder.parse_references((TEMPLATES / "references.yaml").read_text(), "references.yaml")
    cited = set()
    for template in TEMPLATES.rglob("*.j2"):
        cited.update(re.findall(r'm\.cite\("([^"]+)"\)', template.read_text()))
    assert cited == {reference["key"] for reference in references}


def write_fake_run(folder: Path, drop: tuple[str, ...] = (), study: dict | None = None, f11_latent_dim: int = 500,
                   lerp_midpoint_norm_ratio: float = 15.5 / 500**0.5, reconstruction: dict | None = None) -> list[str]:
    """Small stand-ins for the pipeline's outputs, and the `latentspace site` arguments that use them.

    ``study`` replaces the study's summary (summary_for() with its geodesics), ``f11_latent_dim`` the size of F11's
    model, ``reconstruction`` maps a latent size to its model's reconstruction term.
    """
    folder.mkdir(parents=True, exist_ok=True)
    assets = {}
    for name, kind in STILL_ASSETS.items():
        path = folder / f"{name}.{kind}"
        if kind == "png":
            save_grey_png(np.full((28, 56), 200, dtype=np.uint8), path)
        else:
            path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="100pt"></svg>\n')
        assets[name] = path
    for name in ANIMATIONS:
        (folder / f"{name}.mp4").write_bytes(b"not decoded by the site step")
        save_grey_png(np.zeros((16, 48), dtype=np.uint8), folder / f"{name}_poster.png")
        assets[name], assets[f"{name}_poster"] = folder / f"{name}.mp4", folder / f"{name}_poster.png"
    interpolation = {
        "latent_dim": f11_latent_dim, "sphere_radius": 500**0.5, "steps": 10, "endpoint_angle_degrees": 88.0,
        "lerp_midpoint_norm": 15.5, "lerp_midpoint_norm_ratio": lerp_midpoint_norm_ratio, "slerp_midpoint_norm": 22.36,
        "lerp_midpoint_norm_drop": 500**0.5 - 15.5,
        "prior_norm_mean": 22.35, "prior_norm_std": 0.71, "lerp_midpoint_prior_sds_below": 9.6,
    }
    (folder / "f11.json").write_text(json.dumps(interpolation))
    assets["f11_interpolation_500d_json"] = folder / "f11.json"
    scores = {"latent_dim": f11_latent_dim, **pair_scores(
        {"lerp": [0.99, 0.9, 0.6, 0.55, 0.6, 0.62, 0.58, 0.7, 0.95, 0.98],
         "slerp": [0.99, 0.92, 0.7, 0.65, 0.66, 0.63, 0.64, 0.75, 0.96, 0.98]},
        {"lerp": [1.0, 0.92, 0.85, 0.79, 0.75, 0.75, 0.79, 0.85, 0.92, 1.0], "slerp": [1.0] * 10},
        [step / 9 for step in range(10)])}
    (folder / "f11_pair_scores.json").write_text(json.dumps(scores))
    assets["study_f11_pair_scores"] = folder / "f11_pair_scores.json"
    (folder / "study_summary.json").write_text(json.dumps(study or with_geodesics()))
    assets["study_summary"] = folder / "study_summary.json"
    for name in STUDY_TABLES:
        (folder / f"{name}.csv").write_text("latent_dim,value\n2,1.0\n")
        assets[name] = folder / f"{name}.csv"
    arguments = []
    for dim in (2, 10, 500):
        metrics = {
            "latent_dim": dim, "test_elbo_nats": -100.0 - dim / 100,
            "test_reconstruction_nats": (reconstruction or {}).get(dim, 90.0),
            "test_kl_nats": 10.0, "active_units": min(dim, 12), "active_unit_threshold": 0.01, "epochs": 3,
            "train_seconds": 12.5, "device": "cpu", "dataset": {"source": "mnist-5k", "train_size": 4500, "test_size": 500},
        }
        (folder / f"metrics{dim}.json").write_text(json.dumps(metrics))
        arguments += ["--metrics", str(folder / f"metrics{dim}.json")]
    (folder / "train.tsv").write_text(BENCHMARK_TSV)
    config = {"seed": 3, "latent_dims": [2, 10], "replicates": 1, "model": {"hidden_dims": [64]},
              "train": {"epochs": 3, "batch_size": 128, "learning_rate": 0.001},
              "figures": {"latent_grid": {"extent": 2.0, "steps": 2}},
              "study": {"confidence_level": 0.95, "path_steps": 5,
                        "geodesic": {"points": 17, "figure_pairs": 2, "plane_extent": 3.0, "plane_steps": 121}}}
    arguments += ["--benchmark", f"train (latent_dim 2)={folder / 'train.tsv'}", "--run-config-json", json.dumps(config)]
    arguments += ["--figure-latent-dim", "f02_latent_grid=2", "--figure-latent-dim", "f07_sphere_spiral_10d=10",
                  "--figure-latent-dim", f"f11_interpolation_500d={f11_latent_dim}",
                  "--figure-latent-dim", f"f12_interpolation_norms={f11_latent_dim}"]
    for name, path in assets.items():
        if name not in drop:
            arguments += ["--asset", f"{name}={path}"]
    return ["site", "--templates", str(TEMPLATES), "--title", "Latent space interpolations", *arguments]


@pytest.fixture(scope="module")
def stand_in_site(tmp_path_factory) -> Path:
    """The site rendered from write_fake_run's stand-ins (beside it, ``run/``), once for the tests
    that only read it."""
    folder = tmp_path_factory.mktemp("stand-in")
    assert main([*write_fake_run(folder / "run"), "--output-dir", str(folder / "site")]) == 0
    return folder / "site"


def test_real_templates_render_with_stand_in_assets(stand_in_site):
    site = stand_in_site
    page = check_site(site)
    assert {image["src"] for image in page.images} >= {f"figures/{name}.{kind}" for name, kind in STILL_ASSETS.items()}
    index, study = ((site / name).read_text() for name in PAGES)
    assert index.startswith("<!DOCTYPE html>") and study.startswith("<!DOCTYPE html>")
    assert '88.0</span>&deg; apart' in index  # a measured number from the F11 JSON reaches the prose
    # The results, on the second page.
    assert "<td>-100.02</td>" in study and "<td>12 / 500</td>" in study
    assert "train (latent_dim 2)" in study and "18.9 s" in study
    assert yaml.safe_load((site / "config.yaml").read_text())["seed"] == 3
    assert 'type="video/webm"' not in index  # no WebM was given: only the MP4 source


def test_pixel_figures_fit_the_text_column_at_a_whole_multiple(stand_in_site):
    """F11 (a mosaic of digits) is enlarged by the largest whole factor within the text column's
    680 CSS pixels, not past it; F2, drawn at two PNG pixels per decoded pixel, is shown at half size."""
    run = stand_in_site.parent / "run"
    images = {Path(image["src"]).stem: image for image in read_page(stand_in_site / "index.html").images}
    f11_width = site_builder.image_size(run / "f11_interpolation_500d.png")[0]
    shown = int(images["f11_interpolation_500d"]["width"])
    assert shown % f11_width == 0 and shown <= 680 < shown + f11_width
    assert "pixels" in images["f11_interpolation_500d"]["class"]
    f02_width = site_builder.image_size(run / "f02_latent_grid.png")[0]
    assert int(images["f02_latent_grid"]["width"]) == round(f02_width / 2)


def test_a_missing_asset_stops_the_build_with_one_line_naming_it(tmp_path, capsys):
    arguments = write_fake_run(tmp_path / "run", drop=("f04_ball_volume",))
    assert main([*arguments, "--output-dir", str(tmp_path / "site")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "the page uses asset 'f04_ball_volume', which the site step was not given" in error
    assert "sections/05_higher_dimensions.html.j2 line " in error  # where the template names it
    assert not (tmp_path / "site").exists()


def test_template_errors_name_the_file_and_line(tmp_path):
    (tmp_path / "index.html.j2").write_text("<p>start</p>\n{% include 'part.html.j2' %}\n")
    (tmp_path / "part.html.j2").write_text("<p>fine</p>\n<p>{{ no_such_value }}</p>\n")
    environment = site_builder.template_environment(tmp_path)
    with pytest.raises(LatentspaceError, match=r"^index\.html\.j2 line 2, in part\.html\.j2 line 2: UndefinedError: 'no_such_value' is undefined"):
        site_builder.render_template(environment, tmp_path, "index.html.j2", {})
    (tmp_path / "part.html.j2").write_text("<p>{% if %}</p>\n")
    with pytest.raises(LatentspaceError, match=r"^part\.html\.j2 line 1: TemplateSyntaxError"):
        site_builder.render_template(environment, tmp_path, "index.html.j2", {})


def test_links_point_at_the_page_that_holds_their_target():
    pages = {
        "index.html": '<section id="a"><a href="#a">a</a> <a href="#figure-17">17</a> <a href="#ref-x">x</a>'
                      '<a href="#figure-of:figures/s.svg">s</a><a href="#figure-of:figures/t.csv">t</a></section>'
                      '<ol><li id="ref-x">X</li></ol>',
        "study.html": '<figure id="figure-17"><img src="figures/s.svg"></figure><a href="#ref-x">x</a> <a href="#a">a</a>'
                      '<a href="#figure-17">17</a><a href="#figure-of:figures/s.svg">s</a>',
    }
    index, study = site_builder.link_pages(pages).values()
    assert 'href="#a">a</a>' in index and 'href="#ref-x">x</a>' in index  # on its own page: as written
    assert 'href="study.html#figure-17">17</a>' in index and 'href="study.html#figure-17">s</a>' in index
    assert 'href="figures/t.csv">t</a>' in index  # a file no figure shows: the file itself
    assert 'href="index.html#ref-x">x</a>' in study and 'href="index.html#a">a</a>' in study
    assert 'href="#figure-17">17</a>' in study and 'href="#figure-17">s</a>' in study


def test_a_link_to_an_id_no_page_holds_stops_the_build():
    with pytest.raises(LatentspaceError, match=r"^study\.html: a link to #figure-99, an id that no page of the site holds$"):
        site_builder.link_pages({"index.html": '<p id="a"></p>', "study.html": '<a href="#figure-99">99</a>'})


def test_every_link_between_the_pages_resolves(stand_in_site, tmp_path):
    """Both pages of a site rendered from stand-ins link to each other, and every link lands on an
    id of the page it names (dead_links checks each ``#x`` and ``page.html#x``)."""
    site = tmp_path / "site"
    shutil.copytree(stand_in_site, site)
    assert dead_links(site) == []
    index, study = ((site / name).read_text() for name in PAGES)
    for link in ("study.html#measuring-interpolations", "study.html#results", "study.html#reproduce"):
        assert f'href="{link}"' in index, link
    for link in ("index.html#auto-encoders", "index.html#ref-burda2015", "index.html#term-classifier"):
        assert f'href="{link}"' in study, link
    assert 'href="#figure-14"' in study  # a figure on its own page (the KL spectrum): as written
    # The checker catches a link to an id the named page lacks, and to a page the site lacks.
    (site / "study.html").write_text(study.replace('href="index.html#ref-burda2015"', 'href="index.html#ref-nobody"', 1)
                                     .replace('href="index.html#terms"', 'href="other.html#terms"', 1))
    assert len(dead_links(site)) == 2


def test_a_missing_json_asset_is_named_too(tmp_path, capsys):
    arguments = write_fake_run(tmp_path / "run", drop=("f11_interpolation_500d_json",))
    assert main([*arguments, "--output-dir", str(tmp_path / "site")]) == 1
    assert "JSON asset 'f11_interpolation_500d_json'" in capsys.readouterr().err


# --- the site of the reduced pipeline run ---------------------------------------------------


def test_pipeline_site_passes_the_html_checks(pipeline_run):
    site = pipeline_run / "site"
    page = check_site(site)  # links between the pages included
    assert {image["src"] for image in page.images} >= {f"figures/{name}.{kind}" for name, kind in STILL_ASSETS.items()}
    html = site_html(site)
    assert html.count("<video ") == len(ANIMATIONS)
    for name in ANIMATIONS:
        assert f'src="figures/{name}.mp4"' in html and f'poster="figures/{name}_poster.png"' in html
        if (site / "figures" / f"{name}.webm").is_file():  # made when ffmpeg has a VP9 encoder
            assert f'<source src="figures/{name}.webm" type="video/webm">' in html


def test_pipeline_site_reports_what_the_run_measured(pipeline_run):
    html = site_html(pipeline_run / "site")
    for metrics_file in sorted((pipeline_run / "results" / "models").glob("z*/metrics.json")):
        metrics = json.loads(metrics_file.read_text())
        for key in ("test_elbo_nats", "test_reconstruction_nats", "test_kl_nats"):
            assert f"<td>{metrics[key]:.2f}</td>" in html
        assert f"<td>{metrics['active_units']} / {metrics['latent_dim']}</td>" in html
    for benchmark in (pipeline_run / "results" / "benchmarks").glob("*.tsv"):
        if benchmark.stem != "site":
            seconds = run_report.parse_benchmark(benchmark.read_text(), benchmark.stem)["wall_seconds"]
            assert run_report.format_seconds(seconds) in html
    assert "train (latent_dim 2)" in html and "<td>site</td>" not in html
    interpolation = json.loads((pipeline_run / "site" / "figures" / "f11_interpolation_500d.json").read_text())
    assert f"{interpolation['lerp_midpoint_norm']:,.2f}</span>" in html
    # Under each digit of F11, the study's confidence; the reduced study lacks z = 500, and the page says so.
    scores = json.loads((pipeline_run / "site" / "figures" / "f11_pair_scores.json").read_text())
    assert all(f">{value:.2f}</span><br>" in html for value in scores["lerp_confidences"])
    assert "does not include z = 500" in html and "the study does not include" in html
    config = yaml.safe_load((pipeline_run / "site" / "config.yaml").read_text())
    assert config["seed"] == 7 and config["latent_dims"] == [2, 10]
    assert f"<td>torch</td><td>{importlib.metadata.version('torch')}</td>" in html


# Issue 25: the article page reads in one sitting. With every <details> closed, the whole first
# page stays within 5,000 words and its eight article sections within 1.5 times the original
# post's 3,000; the study, the results and "Reproduce" are on the second page.
PAGE_WORD_LIMIT = 5000
ARTICLE_WORD_LIMIT = 4500


def test_visible_words_leave_out_what_a_closed_details_hides():
    page = ('<title>Two words</title><script>var hidden = 1;</script>'
            '<section class="numbered"><p>One two three.</p><details><summary>Shown summary</summary>'
            '<p>hidden body</p><details><summary>inner summary</summary>inner body</details></details>'
            '<span class="katex"><span class="katex-mathml"><math><mi>x</mi></math></span><span class="katex-html">x</span></span></section>'
            '<section id="terms"><p>Four, five&nbsp;six 7.5% e.g.</p></section>')
    assert visible_words(page) == (2 + 3 + 2 + 1 + 4 + 1, 3 + 2 + 1)


def test_the_article_page_reads_in_one_sitting(pipeline_run):
    """The reduced run's first page renders the same sections as the default run's (its branches
    differ: no z = 500 in its study, a judge below the bar), so it holds the same bound."""
    index = (pipeline_run / "site" / "index.html").read_text(encoding="utf-8")
    words, article_words = visible_words(index)
    assert words <= PAGE_WORD_LIMIT and article_words <= ARTICLE_WORD_LIMIT, (words, article_words)
    # Sibling <details> only: the shared ruler (a non-greedy pattern) miscounts nested ones.
    assert not re.search(r"<details\b(?:(?!</details>).)*<details\b", index, flags=re.S)


@pytest.fixture(scope="module")
def pipeline_copy(pipeline_run, tmp_path_factory) -> Path:
    """A copy of the pipeline run (timestamps and Snakemake's records kept) that tests may change."""
    copy = tmp_path_factory.mktemp("site-copy") / "run"
    shutil.copytree(pipeline_run, copy, symlinks=True)
    return copy


def test_a_template_edit_re_renders_only_the_site(pipeline_copy):
    """Rewording a sentence, a verdict's words or a caption (which the report reads too) re-runs the site alone."""
    templates = pipeline_copy / "site_templates"
    for name in ("sections/08_conclusion.html.j2", "claims.html.j2", "partials/study_reading.html.j2"):
        (templates / name).write_text((templates / name).read_text() + "{# reworded #}\n")
    caption = templates / "captions" / "f11_interpolation_500d.rst"
    caption.write_text(caption.read_text() + "One more sentence.\n")
    result = run_snakemake(pipeline_copy, "-n")
    assert result.returncode == 0, result.stderr
    jobs = re.findall(r"^(\w+)\s+\d+$", result.stdout + result.stderr, flags=re.MULTILINE)
    assert set(jobs) - {"total"} == {"site", "all"}, result.stdout


def test_snakemake_report_has_a_caption_for_every_figure(pipeline_copy):
    result = run_snakemake(pipeline_copy, "--report", "report.zip")
    assert result.returncode == 0, result.stderr[-3000:]
    with zipfile.ZipFile(pipeline_copy / "report.zip") as report:
        names = report.namelist()
        text = "".join(report.read(name).decode("utf-8", "replace") for name in names if name.endswith((".html", ".js")))
    for name in [*STILL_ASSETS, *ANIMATIONS]:
        assert any(entry.endswith(f"{name}.{'mp4' if name in ANIMATIONS else STILL_ASSETS[name]}") for entry in names), name
        # The first words of the caption's text (site_templates/captions/, read by the page too).
        lines = (REPO_ROOT / "site_templates" / "captions" / f"{name}.rst").read_text().splitlines()
        words = next(line for line in lines if not line.startswith("{%")).split()
        fragment = " ".join(itertools.takewhile(lambda word: ":math:" not in word and "{" not in word, words[:4]))
        assert fragment, name
        # The report embeds captions as JSON, with non-ASCII characters escaped.
        assert fragment in text or json.dumps(fragment)[1:-1] in text, f"{name}: caption missing from the report"
