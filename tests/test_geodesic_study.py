"""The geodesic study of one model (latentspace.study.geodesic_quality) does no work twice.

Every curve is embedded once: the fine ruler's points hold the solver's nodes, so one embedding
of lerp and slerp gives both their lengths and the energies the start is chosen by, and one of
the geodesic both its length and the energy the solver's guard compares with the start's.
Counted with an embedding that counts its points, and checked against measuring each curve on
its own.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import snakemake_env
from test_geodesics import random_decoder
from latentspace.model import geometry
from latentspace.model.geodesics import path_energies
from latentspace.model.pullback import fisher_rao_embedding, path_energies_and_lengths, resample_polyline
from latentspace.settings.declared import GeodesicRun
from latentspace.study.geodesic_quality import STARTS, solve_on_one_ruler
from latentspace.study.interpolation_quality import INTERPOLATIONS
from latentspace.study.labels import ALL_METHODS, GEODESIC_METHOD


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
        for measured, expected in zip(ruler[method], path_energies_and_lengths(alone, curves)):
            assert torch.allclose(measured, expected, rtol=1e-12, atol=0), method


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
