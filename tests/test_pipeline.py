"""End to end: the real Snakemake workflow on the reduced config, in a temporary clone."""

from __future__ import annotations

import csv
import html.parser
import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from conftest import REDUCED_CONFIG, REPO_ROOT, copy_workflow, run_snakemake
from latentspace.model.model_files import load_model

REDUCED = yaml.safe_load(REDUCED_CONFIG.read_text())


class TableText(html.parser.HTMLParser):
    """Collects the text of every table cell."""

    def __init__(self):
        super().__init__()
        self.cells, self._in_cell = [], False

    def handle_starttag(self, tag, attrs):
        self._in_cell = tag in ("td", "th")

    def handle_endtag(self, tag):
        self._in_cell = False

    def handle_data(self, data):
        if self._in_cell and data.strip():
            self.cells.append(data.strip())


def test_models_metrics_and_history(pipeline_run):
    for latent_dim in REDUCED["latent_dims"]:
        folder = pipeline_run / "results" / "models" / f"z{latent_dim}"
        model = load_model(folder / "model.pt")
        assert model.config.latent_dim == latent_dim
        assert model.config.hidden_dims == tuple(REDUCED["model"]["hidden_dims"])
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["epochs"] == REDUCED["train"]["epochs"]
        assert len(metrics["kl_per_dim_nats"]) == latent_dim
        assert -550 < metrics["test_elbo_nats"] < -80  # a trained MNIST VAE, not garbage
        with open(folder / "history.csv") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == REDUCED["train"]["epochs"]
        assert float(rows[-1]["test_loss"]) == pytest.approx(-metrics["test_elbo_nats"], rel=1e-4)


def test_dataset_file(pipeline_run):
    with np.load(pipeline_run / "results" / "data" / "dataset.npz") as archive:
        assert archive["train_images"].shape == (4500, 28, 28)
        assert archive["test_images"].dtype == np.uint8


def test_latent_grid_png(pipeline_run):
    import imageio.v3 as iio

    from latentspace.figures.latent_grid import MARGINS_PX, MOSAIC_SCALE

    steps = REDUCED["figures"]["latent_grid"]["steps"]
    image = iio.imread(pipeline_run / "site" / "figures" / "f02_latent_grid.png")
    left, bottom, right, top = (margin * MOSAIC_SCALE for margin in MARGINS_PX)
    side = 28 * steps * MOSAIC_SCALE
    assert image.shape[:2] == (side + top + bottom, side + left + right)  # the mosaic on labelled axes
    mosaic = image[top : top + side, left : left + side, 0]
    assert image.dtype == np.uint8 and mosaic.max() > 100  # digits were drawn
    page = (pipeline_run / "site" / "index.html").read_text()
    width = (side + left + right) // MOSAIC_SCALE  # shown at one CSS pixel per decoded pixel
    assert re.search(rf'src="figures/f02_latent_grid.png" alt="[^"]*" width="{width}"', page)


def test_site_shows_every_models_elbo(pipeline_run):
    page = (pipeline_run / "site" / "index.html").read_text()
    parser = TableText()
    parser.feed((pipeline_run / "site" / "study.html").read_text())  # the results, on the second page
    for latent_dim in REDUCED["latent_dims"]:
        metrics = json.loads((pipeline_run / "results" / "models" / f"z{latent_dim}" / "metrics.json").read_text())
        assert f"{metrics['test_elbo_nats']:.2f}" in parser.cells
    assert 'src="figures/f02_latent_grid.png"' in page  # relative link, the folder is portable
    # Nothing the browser loads, on either page, comes from elsewhere (links to references may point outside).
    for name in ("index.html", "study.html"):
        loaded = re.findall(r'<(?:img|video|source|script|link|audio|iframe)\b[^>]*?(?:src|href|poster)="([^"]+)"',
                            (pipeline_run / "site" / name).read_text())
        assert loaded and not [url for url in loaded if re.match(r"^(https?:)?//", url)], name


def test_every_rule_left_a_log_and_a_benchmark(pipeline_run):
    logs = {path.name for path in (pipeline_run / "results" / "logs").rglob("*.log")}
    assert {"data.log", "site.log", *(f"z{d}.log" for d in REDUCED["latent_dims"])} <= logs
    train_log = (pipeline_run / "results" / "logs" / "train" / "z2.log").read_text()
    assert f"epoch {REDUCED['train']['epochs']}/{REDUCED['train']['epochs']}" in train_log
    assert (pipeline_run / "results" / "benchmarks" / "train_z2.tsv").is_file()


def test_second_run_has_nothing_to_do(pipeline_run):
    result = run_snakemake(pipeline_run, "-n")
    assert result.returncode == 0, result.stderr
    assert "Nothing to be done" in result.stdout + result.stderr


def test_invalid_config_is_refused_before_any_job(tmp_path):
    workdir = copy_workflow(tmp_path / "clone")
    bad_config = tmp_path / "bad.yaml"
    bad_config.write_text(REDUCED_CONFIG.read_text().replace("latent_dims: [2, 10]", "latent_dims: [2, 0]"))
    result = run_snakemake(workdir, "-n", configfile=bad_config)
    assert result.returncode != 0
    assert "config: latent_dims: expected a list of at least 1 different integers, each from 1 to 4096, got [2, 0]" in (
        result.stdout + result.stderr
    )
    assert not (workdir / "results").exists()


def test_trained_weights_are_reproducible(pipeline_run, tmp_path):
    """Training the same config again gives bit-identical weights."""
    workdir = copy_workflow(tmp_path / "again")
    result = run_snakemake(workdir, "results/models/z2/model.pt")
    assert result.returncode == 0, result.stderr
    first = torch.load(pipeline_run / "results/models/z2/model.pt", weights_only=True)["state_dict"]
    second = torch.load(workdir / "results/models/z2/model.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(first[name], second[name]) for name in first)


def test_lint_finds_nothing_but_the_conda_environments(tmp_path):
    """`snakemake --lint`: the only finding we accept is the per-rule conda environment (README)."""
    workdir = copy_workflow(tmp_path / "lint")
    result = run_snakemake(workdir, "--lint")
    findings = [line.strip() for line in (result.stdout + result.stderr).splitlines() if line.startswith("    * ")]
    assert findings, "the linter printed nothing: did it run?"
    assert set(findings) == {"* Specify a conda environment or container for each rule.:"}


def test_the_workflow_is_formatted_as_the_workflow_catalog_asks():
    """`snakefmt --check` (the catalog's formatter) would change no file of the workflow."""
    files = ["Snakefile", *sorted(str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "workflow").rglob("*.smk"))]
    result = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", *files], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
