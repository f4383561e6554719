"""End to end: the geodesics in the reduced pipeline run (the ``pipeline_run`` fixture).

Their tables and figures exist with their rows; the other methods' rows of the gathered
tables are the per-model files' own, line for line; on the run's trained models no geodesic
costs more than its lerp or slerp; the step repeats byte for byte; and an independent solver
(stochman's cubic splines, fitted by Adam) finds the same lengths on the z = 2 model.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys

import numpy as np
import pytest
import torch
import yaml

from conftest import REDUCED_CONFIG, effective_config, read_csv, snakemake_env
from latentspace.cli import step_options
from latentspace.files.datasets import images_to_vectors, load_dataset
from latentspace.model import geometry
from latentspace.model.geodesics import path_energies
from latentspace.model.model_files import load_model
from latentspace.model.pullback import fisher_rao_embedding, path_measures
from latentspace.study.geodesic_tables import COMPARISON_COLUMNS, read_geodesic_examples, read_geodesic_pairs
from latentspace.study.interpolation_quality import study_endpoints
from latentspace.study.labels import ALL_METHODS, GEODESIC_METHOD, METRICS, PATH_MEASURES, SOURCES
from latentspace.settings.declared import GeodesicRun
from latentspace.study.tables import MIDPOINT_COLUMNS, PATH_COLUMNS

REDUCED = yaml.safe_load(REDUCED_CONFIG.read_text())
STUDY_DIMS = sorted(dim for dim in REDUCED["latent_dims"] if dim >= 2)
CONFIG = effective_config()
STUDY, GEODESIC = CONFIG["study"], CONFIG["study"]["geodesic"]


def test_the_geodesic_tables_figures_and_summary_of_the_run(pipeline_run):
    study = pipeline_run / "results" / "study"
    columns, comparisons = read_csv(study / "study_geodesic_comparisons.csv")
    assert tuple(columns) == COMPARISON_COLUMNS
    per_source = len(ALL_METHODS) * (len(PATH_MEASURES) + len(METRICS))
    assert len(comparisons) == len(STUDY_DIMS) * len(SOURCES) * per_source
    lengths = [row for row in comparisons if row["measure"] == "pullback_length" and row["method"] != GEODESIC_METHOD]
    # No longer than a flat path, up to the fine resampling's rounding (a geodesic that is lerp, re-spaced along it).
    assert lengths and all(0.0 < float(row["geodesic_ratio_mean"]) <= 1.001 for row in lengths)
    columns, paths = read_csv(study / "study_path_metrics.csv")
    assert tuple(columns) == PATH_COLUMNS
    assert len([row for row in paths if row["method"] == GEODESIC_METHOD]) == \
        len(STUDY_DIMS) * len(SOURCES) * len(METRICS) * STUDY["path_steps"]
    columns, midpoints = read_csv(study / "study_midpoints.csv")
    assert tuple(columns) == MIDPOINT_COLUMNS
    assert len([row for row in midpoints if row["method"] == GEODESIC_METHOD]) == len(STUDY_DIMS) * len(SOURCES) * len(METRICS)
    summary = json.loads((study / "study_summary.json").read_text())
    geodesics = summary["geodesics"]
    assert geodesics["latent_dims"] == STUDY_DIMS and geodesics["settings"]["points"] == GEODESIC["points"]
    solver = geodesics["solver"]
    assert solver["pairs"] == len(STUDY_DIMS) * len(SOURCES) * STUDY["pairs"] == solver["converged"] + solver["not_converged"]
    assert solver["energy_never_above_start"]
    figures = pipeline_run / "results" / "figures"
    assert (figures / "study_geodesic_plane.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert (figures / "study_geodesic_digits.png").read_bytes().startswith(b"\x89PNG")
    assert "magnification factor at" in (pipeline_run / "results" / "logs" / "study" / "geodesic_plane.log").read_text()


def test_the_other_methods_rows_are_their_own_files_line_for_line(pipeline_run):
    """Gathering the geodesics changes no line of lerp, slerp and the distribution-matched path."""
    study = pipeline_run / "results" / "study"
    for gathered, own in (("study_path_metrics.csv", "path_metrics.csv"), ("study_midpoints.csv", "midpoints.csv")):
        lines = (study / gathered).read_text().splitlines()
        flat = [line for line in lines[1:] if f",{GEODESIC_METHOD}," not in line]
        expected = [line for dim in STUDY_DIMS for line in (study / f"z{dim}" / own).read_text().splitlines()[1:]]
        assert flat == expected


@pytest.mark.parametrize("latent_dim", STUDY_DIMS)
def test_no_geodesic_of_the_run_costs_more_than_its_lerp_or_slerp(pipeline_run, latent_dim):
    """The study's pairs of a trained model, lerp and slerp through as many points, measured as the solver measures."""
    results = pipeline_run / "results"
    model = load_model(results / "models" / f"z{latent_dim}" / "model.pt").requires_grad_(False)
    settings = GeodesicRun.from_mapping({**{key: STUDY[key] for key in ("pairs", "path_steps", "bootstrap_resamples",
                                                                        "confidence_level")},
                                         **{key: value for key, value in GEODESIC.items() if not key.startswith("plane")},
                                         "seed": REDUCED["seed"]})
    test_x = images_to_vectors(load_dataset(results / "data" / "dataset.npz").test_images)
    endpoints = study_endpoints(model, test_x, settings)
    starts = np.concatenate([endpoints[source][0] for source in SOURCES])
    ends = np.concatenate([endpoints[source][1] for source in SOURCES])
    t = np.linspace(0.0, 1.0, settings.points)
    embed = fisher_rao_embedding(model.decode_logits)
    flat = {method: path_energies(embed, torch.from_numpy(interpolate(starts, ends, t)).float()).numpy()
            for method, interpolate in (("lerp", geometry.lerp), ("slerp", geometry.slerp))}
    geodesic = read_geodesic_pairs(results / "study" / f"z{latent_dim}" / "geodesic_pairs.npz")["energy"].reshape(-1)
    for method, energies in flat.items():
        assert np.all(geodesic <= energies * (1 + 1e-9)), method  # the same measure, up to another thread count's rounding
    assert np.mean(geodesic < 0.999 * np.minimum(flat["lerp"], flat["slerp"])) > 0.5  # and most are shorter


def test_the_geodesic_step_repeats_byte_for_byte(pipeline_run, tmp_path):
    results = pipeline_run / "results"
    dim = STUDY_DIMS[0]
    options = step_options("study-geodesic", STUDY, GEODESIC, seed=REDUCED["seed"], device="cpu", threads=1)
    names = {"paths": "geodesic_path_metrics.csv", "midpoints": "geodesic_midpoints.csv",
             "comparisons": "geodesic_comparisons.csv", "pairs": "geodesic_pairs.npz", "examples": "geodesic_examples.npz"}
    scored = results / "study" / f"z{dim}" / "midpoint_pairs.npz"
    arguments = [*shlex.split(options), "--model", str(results / "models" / f"z{dim}" / "model.pt"),
                 "--data", str(results / "data" / "dataset.npz"), "--classifier", str(results / "study" / "classifier.pt"),
                 "--midpoint-pairs", str(scored),
                 *[word for kind, name in names.items() for word in (f"--{kind}-out", str(tmp_path / name))]]
    completed = subprocess.run([sys.executable, "-m", "latentspace", "study-geodesic", *arguments], env=snakemake_env(),
                               capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    for name in names.values():
        assert (tmp_path / name).read_bytes() == (results / "study" / f"z{dim}" / name).read_bytes(), name
    # The flat paths' midpoints and the pairs' ends are the interpolation study's own numbers, read, not scored again.
    interpolation = np.load(scored)
    geodesic = read_geodesic_pairs(tmp_path / names["pairs"])
    assert np.array_equal(geodesic["midpoints"][:, :len(ALL_METHODS) - 1], interpolation["midpoints"])


def test_an_independent_solver_finds_the_same_lengths_on_the_trained_z2_model(pipeline_run):
    """stochman (Detlefsen, Hauberg et al.): a cubic spline between the same codes, its energy under the
    same embedding minimised by Adam; lengths measured on 257 points. Ours must be within 2%."""
    stochman = pytest.importorskip("stochman")
    from stochman.curves import CubicSpline
    from stochman.geodesic import geodesic_minimizing_energy
    from stochman.manifold import EmbeddedManifold

    results = pipeline_run / "results"
    model = load_model(results / "models" / "z2" / "model.pt").double().requires_grad_(False)
    embed = fisher_rao_embedding(model.decoder)

    class DecodedDistributions(EmbeddedManifold):
        def embed(self, points, jacobian=False):
            return embed(points.reshape(-1, points.shape[-1])).reshape(*points.shape[:-1], -1)

    examples = read_geodesic_examples(results / "study" / "z2" / "geodesic_examples.npz")
    latents = torch.from_numpy(examples["latents"]).double()
    latents = latents.reshape(-1, *latents.shape[2:])                          # (pairs, 3 methods, N, 2)
    ours = path_measures(embed, latents[:, 2])[1]
    lerp = path_measures(embed, latents[:, 0])[1]
    curve = CubicSpline(latents[:, 2, 0], latents[:, 2, -1], num_nodes=8)
    torch.manual_seed(0)
    geodesic_minimizing_energy(curve, DecodedDistributions(), max_iter=300, eval_grid=24)
    with torch.no_grad():
        theirs = DecodedDistributions().curve_length(curve(torch.linspace(0.0, 1.0, 257, dtype=torch.float64)))
    assert torch.all((ours / theirs - 1.0).abs() < 0.02), (ours, theirs)
    assert torch.any(ours < 0.997 * lerp)  # some pair bends: the check compares curved solutions
