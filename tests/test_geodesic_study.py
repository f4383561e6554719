"""The geodesic study of one model (latentspace.study.geodesic_quality) does no work twice.

Every curve is embedded once: the fine ruler's points hold the solver's nodes, so one embedding
of lerp and slerp gives both their lengths and the energies the start is chosen by, and one of
the geodesic both its length and the energy the solver's guard compares with the start's. What
the interpolation study of the same model scored (the flat paths' midpoints, the pairs' ends) is
read from its per-pair file, not scored again. Counted with an embedding that counts its points,
and checked against measuring each curve on its own.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import snakemake_env
from test_geodesics import random_decoder
from test_study_interpolation import tiny_setup
from latentspace.errors import LatentspaceError
from latentspace.model import geometry
from latentspace.model.geodesics import path_energies
from latentspace.model.pullback import fisher_rao_embedding, path_measures, resample_polyline
from latentspace.settings.declared import GeodesicRun, InterpolationRun
from latentspace.study.across_replicates import read_pair_scores, save_midpoint_pairs
from latentspace.study.geodesic_quality import STARTS, measure_geodesics, solve_on_one_ruler
from latentspace.study.interpolation_quality import (
    INTERPOLATIONS,
    InterpolationMeasurements,
    measure_interpolations,
    midpoint_pair_values,
)
from latentspace.study.labels import ALL_METHODS, GEODESIC_METHOD, METHODS, METRICS, SOURCES


class CountingEmbedding:
    """An embedding that counts the points it maps: those it is differentiated at (the solver's
    steps, the metric's probes) and those it only measures."""

    def __init__(self, embed):
        self.embed, self.measured, self.differentiated = embed, 0, 0

    def __call__(self, codes):
        if torch.is_grad_enabled() and codes.requires_grad:
            self.differentiated += len(codes)
        else:
            self.measured += len(codes)
        return self.embed(codes)


@pytest.mark.parametrize("length_points", [33, 30])
def test_every_curve_is_embedded_once_and_measured_as_on_its_own(length_points):
    """33 fine points hold the 9 nodes: lerp, slerp and the geodesic are measured through their nodes
    from their fine points. 30 do not: then (only then) the nodes are embedded apart."""
    pairs, nodes = 5, 9
    embed = CountingEmbedding(fisher_rao_embedding(random_decoder(3, seed=9)))
    starts, ends = np.random.default_rng(6).standard_normal((2, pairs, 3))
    settings = GeodesicRun.from_mapping({"points": nodes, "length_points": length_points, "tolerance": 1e-6,
                                         "bending_share": 0.01, "seed": 5})
    solution, choice, ruler = solve_on_one_ruler(embed, starts, ends, settings, torch.float64, torch.device("cpu"))
    # Four paths on the fine ruler, and the ends the solver holds fixed; apart, lerp's and slerp's
    # nodes for the start and the geodesic's for the guard (the start's energies are handed in).
    once = 4 * pairs * length_points + 2 * pairs
    assert embed.measured == (once if length_points == 33 else once + 3 * pairs * nodes)
    assert embed.differentiated > 0 and not solution.kept_start.any()

    alone = embed.embed
    t = np.linspace(0.0, 1.0, nodes)
    starts_energies = torch.stack([path_energies(alone, torch.from_numpy(geometry.lerp(starts, ends, t))),
                                   path_energies(alone, torch.from_numpy(geometry.slerp(starts, ends, t)))])
    assert torch.equal(choice, starts_energies.argmin(dim=0)) and set(STARTS) == {"lerp", "slerp"}
    assert torch.allclose(solution.start_energies, starts_energies.min(dim=0).values, rtol=1e-12, atol=0)
    assert torch.allclose(solution.energies, path_energies(alone, solution.paths), rtol=1e-12, atol=0)
    assert (solution.energies < solution.start_energies).all()
    fine = np.linspace(0.0, 1.0, length_points)
    for method in ALL_METHODS:
        curves = (resample_polyline(solution.paths, length_points) if method == GEODESIC_METHOD
                  else torch.from_numpy(INTERPOLATIONS[method](starts, ends, fine)))
        for measured, expected in zip(ruler[method], path_measures(alone, curves)[:2]):
            assert torch.allclose(measured, expected, rtol=1e-12, atol=0), method


def test_the_interpolation_study_s_scores_are_kept_for_the_geodesic_study(tmp_path):
    """midpoint_pair_values holds each pair's raw midpoint and end scores; the file names a mismatch."""
    values = np.random.default_rng(0).normal(size=(len(SOURCES), len(METHODS), len(METRICS), 4, 3))  # (S, M, Q, P, T)
    arrays = midpoint_pair_values(InterpolationMeasurements(2, np.array([0.0, 0.5, 1.0]), values))
    assert np.array_equal(arrays["midpoints"], values[..., 1])
    assert np.array_equal(arrays["ends"], values[:, METHODS.index("lerp")][..., [0, 2]])
    save_midpoint_pairs(tmp_path / "pairs.npz", 2, arrays)
    read = read_pair_scores(tmp_path / "pairs.npz", 2, 4)
    assert np.array_equal(read["midpoints"], arrays["midpoints"]) and np.array_equal(read["ends"], arrays["ends"])
    assert read["path"] == str(tmp_path / "pairs.npz")
    with pytest.raises(Exception, match=r"pairs.npz: holds the pairs of a z = 2 model, not of the z = 10 model"):
        read_pair_scores(tmp_path / "pairs.npz", 10, 4)
    with pytest.raises(Exception, match=r"pairs.npz: array midpoints is \(2, 3, 5, 4\), not \(2, 3, 5, 6\) "
                                        r"\(6 pairs per source\) \(expected a midpoint pairs .npz"):
        read_pair_scores(tmp_path / "pairs.npz", 2, 6)
    save_midpoint_pairs(tmp_path / "older.npz", 2, {"gaps": arrays["gaps"], "minus_lerp": arrays["minus_lerp"]})
    with pytest.raises(Exception, match=r"older.npz: lacks the array\(s\) ends, midpoints"):
        read_pair_scores(tmp_path / "older.npz", 2, 4)


def test_the_geodesic_study_reads_what_the_interpolation_study_scored():
    """The flat midpoints and the pairs' ends are the interpolation study's own numbers; the geodesic's
    other points score as when the geodesic study scores everything itself."""
    model, classifier, train_x, test_x = tiny_setup()
    study = {"pairs": 4, "path_steps": 5, "bootstrap_resamples": 20, "confidence_level": 0.9, "seed": 4}
    interpolations = measure_interpolations(model, classifier, train_x, test_x, InterpolationRun(**study))
    arrays = midpoint_pair_values(interpolations)
    settings = GeodesicRun.from_mapping({**study, "points": 5, "length_points": 9, "max_iterations": 20})
    read, _ = measure_geodesics(model, classifier, train_x, test_x, settings,
                                {"midpoints": arrays["midpoints"], "ends": arrays["ends"]})
    scored, _ = measure_geodesics(model, classifier, train_x, test_x, settings)
    assert np.array_equal(read.midpoints[:, :len(METHODS)], arrays["midpoints"])
    assert np.array_equal(read.values[..., [0, -1]], arrays["ends"])
    assert np.allclose(read.values[..., 1:-1], scored.values[..., 1:-1], rtol=1e-6, atol=1e-9)
    # Scored here, from the codes in the decoder's dtype: the same numbers up to that rounding.
    assert np.allclose(scored.midpoints, read.midpoints, rtol=1e-5, atol=1e-6)
    assert np.allclose(scored.values, read.values, rtol=1e-5, atol=1e-6)
    assert np.array_equal(read.lengths, scored.lengths) and np.array_equal(read.energies, scored.energies)
    # Another seed's pairs are refused, by their ends' latent norms.
    other = midpoint_pair_values(measure_interpolations(model, classifier, train_x, test_x,
                                                        InterpolationRun(**{**study, "seed": 5})))
    with pytest.raises(LatentspaceError, match=r"^elsewhere.npz: holds the scores of other pairs than this study's"):
        measure_geodesics(model, classifier, train_x, test_x, settings,
                          {"midpoints": other["midpoints"], "ends": other["ends"], "path": "elsewhere.npz"})


@pytest.mark.slow  # a fresh interpreter imports torch: several seconds
def test_the_mean_metric_leaves_sympy_unimported():
    """torch.autograd.grad with given output gradients imports sympy (a second or more of every
    geodesic job); average_metric takes the gradient of a scalar instead."""
    script = ("import sys, torch\n"
              "from latentspace.model.geodesics import average_metric\n"
              "from latentspace.model.pullback import fisher_rao_embedding\n"
              "decoder = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 5))\n"
              "average_metric(fisher_rao_embedding(decoder), torch.randn(16, 2), 32, torch.Generator().manual_seed(0))\n"
              "print(sorted(name for name in sys.modules if name.split('.')[0] == 'sympy')[:3])\n")
    completed = subprocess.run([sys.executable, "-c", script], env=snakemake_env(), capture_output=True, text=True,
                               timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]", completed.stdout


@pytest.mark.slow  # a fresh interpreter imports torch: several seconds
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_memory_is_reused_not_faulted_in_again():
    """Tensors of 64 MB made and freed again and again: by default each page of each is a fault
    (the kernel zeroes it anew); after reuse_freed_memory, the second round takes none."""
    script = ("import resource, sys\n"
              "import torch\n"
              "from latentspace.model.devices import reuse_freed_memory\n"
              "assert sys.argv[1] == 'default' or reuse_freed_memory()\n"
              "def churn():\n"
              "    for _ in range(8):\n"
              "        torch.ones(2**24)\n"
              "churn()\n"
              "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
              "churn()\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n")
    faults = {}
    for mode in ("default", "reuse"):
        completed = subprocess.run([sys.executable, "-c", script, mode], env=snakemake_env(), capture_output=True,
                                   text=True, timeout=120)
        assert completed.returncode == 0, completed.stderr
        faults[mode] = int(completed.stdout)
    assert faults["default"] > 8 * 2**24 * 4 // 4096 // 2 and faults["reuse"] < 1000, faults
