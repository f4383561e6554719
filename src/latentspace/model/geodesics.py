"""Discrete geodesics: the curves of K points between two codes of least energy under a pulled-back metric.

Following Shao, Kumar & Fletcher (2018), a geodesic between a and b is approximated by the
K points z_0 = a, z_1, ..., z_{K-1} = b that minimise the discrete energy

    E = (K - 1) sum_i ||h(z_{i+1}) - h(z_i)||^2

of :mod:`latentspace.model.pullback`, h being an isometric embedding of the metric (the
decoder's Fisher-Rao coordinates). A minimiser of the energy is also a shortest curve, and
moves at constant speed: its K points are evenly spaced along it, as the model measures.

Which directions a curve may bend in. A trained VAE uses few of its latent directions: at
z = 500 the decoder's metric, averaged over draws of the prior, has a dozen eigenvalues
within 1% of the largest and hundreds far below. Along those the metric is almost zero, so a
curve can move a long way in them at almost no cost, and the energy keeps falling, slowly,
as the curve drifts out of the shell where the decoder was trained (its outputs saturate
there, which makes the Fisher-Rao metric shrink): left free, the solver at z = 500 was still
moving the midpoints outward, past 1.2 sqrt(p), after 160 iterations, with no minimum in
sight. The curve therefore bends only in the *bending directions*: the eigenvectors of the
decoder's mean metric M (the caller's estimate, :func:`average_metric`) whose eigenvalue is
at least ``min_share`` of the largest; along the others it keeps the course of its start.
At z = 2 and z = 10 that is every direction the decoder uses. What is solved is then the
curve of least energy, in the full metric, among the curves that differ from the start only
in the bending directions.

The solver takes all pairs at once, as one tensor of interior points (P, K - 2, D), and
keeps every pair's own state, so that a pair's result does not depend on which others
share its batch: it is limited-memory BFGS (Nocedal & Wright 2006, "Numerical
Optimization", algorithm 7.4, two-loop recursion with ``HISTORY`` curvature pairs) with a
backtracking line search under Armijo's condition (algorithm 3.1), per pair. Its starting
inverse Hessian is that of the energy in the constant metric M: the inverse second
difference along the curve times M^-1 on the bending directions. For a constant metric that
is exact, so L-BFGS only has to learn how the metric varies; without it the iterations grow
with K^2 (the coupling of neighbouring points) and with the spread of M's eigenvalues.

Stopping rule: a pair is done (converged) once one iteration lowers its energy by less than
``tolerance`` of the energy before it; a pair still above that after ``max_iterations``
iterations is reported as not converged, with the best curve found. Every accepted step
lowers the energy, so the result never has more energy than its start; the final energies
are measured again as the start's are (by :func:`path_energies`, as :func:`starting_paths`
measures the candidates, or by the caller's ``measure``), and a pair that comes out above its
start by rounding keeps its start, so that the geodesic's energy is never above that of lerp
or slerp by the same measure. A caller that measures the curves anyway (the study's fine
ruler, whose points hold the nodes) hands in that measure and the start's energies, so that
no curve is embedded twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from latentspace.model.pullback import Embedding, embed_points, energy_of

# Curvature pairs (s, y) kept per pair of endpoints.
HISTORY = 6
# Armijo's sufficient-decrease constant, and the halvings of a step before a pair gives up.
ARMIJO = 1e-4
MAX_HALVINGS = 30
# Points pushed through the decoder at once.
POINTS_PER_BATCH = 16384


@dataclass(frozen=True)
class GeodesicSolution:
    """The solved curves of P pairs and each pair's record.

    paths (P, K, D) in the dtype of the start, endpoints included; energies (P,) the final
    discrete energies and start_energies (P,) those of the starting curves (float64), both by
    one measure; iterations (P,) the iterations each pair took; converged (P,) whether it met
    the stopping rule; kept_start (P,) whether the pair came out above its start by that
    measure's rounding and kept its start; bending_directions, how many latent directions
    the curves could bend in.
    """

    paths: torch.Tensor
    energies: torch.Tensor
    start_energies: torch.Tensor
    iterations: np.ndarray
    converged: np.ndarray
    kept_start: np.ndarray
    bending_directions: int


def inverse_second_difference(interior: int, dtype=torch.float64, device=None) -> torch.Tensor:
    """The inverse (n, n) of tridiag(-1, 2, -1) of size n: min(i, j) (n + 1 - max(i, j)) / (n + 1), 1-based."""
    index = torch.arange(1, interior + 1, dtype=dtype, device=device)
    low, high = torch.minimum(index[:, None], index[None, :]), torch.maximum(index[:, None], index[None, :])
    return low * (interior + 1 - high) / (interior + 1)


def average_metric(embed: Embedding, points: torch.Tensor, probes: int, generator: torch.Generator) -> torch.Tensor:
    """An unbiased estimate (D, D) of the mean of G = J^T J over points (N, D), float64.

    E_v[(J^T v)(J^T v)^T] = J^T J for v ~ N(0, I): one vector-Jacobian product per probe, each
    at a point drawn (with its probe) from ``generator`` (a CPU generator). The products are the
    gradient of the scalar sum(h . v): the same numbers as torch.autograd.grad(h, z, v), whose
    check of the given output gradient imports sympy, a second or more of every job's time.
    """
    chosen = torch.randint(len(points), (probes,), generator=generator)
    variable = points[chosen.to(points.device)].detach().clone().requires_grad_(True)  # (S, D)
    with torch.enable_grad():
        embedded = embed(variable)                                              # (S, M)
        probe = torch.randn(embedded.shape, generator=generator, dtype=embedded.dtype).to(points.device)
        (pulled,) = torch.autograd.grad((embedded * probe).sum(), variable)     # (S, D): J^T v per probe
    pulled = pulled.double()
    return pulled.T @ pulled / probes


def bending_directions(metric: torch.Tensor, min_share: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvectors (D, r) of a metric (D, D) whose eigenvalue is at least ``min_share`` of the largest, and those eigenvalues (r,)."""
    values, vectors = torch.linalg.eigh(metric)
    keep = values >= min_share * values[-1].clamp_min(0.0)
    if values[-1] <= 0:  # a decoder that ignores its input: nothing to bend
        keep = torch.zeros_like(keep)
    return vectors[:, keep], values[keep]


def _dot(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Per-pair inner products (A,) of (A, n, D) tensors."""
    return (first * second).sum(dim=(1, 2))


class _Energy:
    """Energy (A,) and its gradient (A, n, r) of some of the pairs' curves, as functions of the
    coordinates (A, n, r) of their interior points along the bending directions, ends fixed."""

    def __init__(self, embed: Embedding, start_paths: torch.Tensor, basis: torch.Tensor):
        self.embed = embed
        self.model_dtype = start_paths.dtype
        self.base = start_paths[:, 1:-1].double()                               # (P, n, D)
        self.basis = basis                                                      # (D, r)
        self.start_points = embed_points(embed, start_paths[:, :1], POINTS_PER_BATCH)   # (P, 1, M)
        self.end_points = embed_points(embed, start_paths[:, -1:], POINTS_PER_BATCH)    # (P, 1, M)

    def interior(self, pairs: torch.Tensor, coordinates: torch.Tensor) -> torch.Tensor:
        """The interior points (A, n, D) at these coordinates, in the decoder's dtype."""
        return (self.base[pairs] + coordinates @ self.basis.T).to(self.model_dtype)

    def __call__(self, pairs: torch.Tensor, coordinates: torch.Tensor):
        variable = self.interior(pairs, coordinates).requires_grad_(True)
        with torch.enable_grad():
            inside = self.embed(variable.reshape(-1, variable.shape[-1])).reshape(*variable.shape[:2], -1)
            curves = torch.cat([self.start_points[pairs], inside, self.end_points[pairs]], dim=1)  # (A, K, M)
            energies = energy_of(curves)                                        # (A,)
            (gradient,) = torch.autograd.grad(energies.sum(), variable)
        return energies.detach(), gradient.double() @ self.basis


@torch.no_grad()
def path_energies(embed: Embedding, paths: torch.Tensor) -> torch.Tensor:
    """Discrete energies (P,) of curves (P, K, D), in batches of POINTS_PER_BATCH points."""
    per_batch = max(1, POINTS_PER_BATCH // paths.shape[1])
    return torch.cat([energy_of(embed_points(embed, chunk)) for chunk in paths.split(per_batch)])


def starting_paths(
    embed: Embedding, candidates: torch.Tensor, energies: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Of C candidate curves per pair (C, P, K, D), the one of least energy.

    Returns the chosen paths (P, K, D), the index of each pair's choice (P,) and every
    candidate's energy (C, P): ``energies`` where the caller has measured them (as
    :func:`path_energies` does, such as pullback.path_measures' energies through the nodes).
    """
    if energies is None:
        energies = torch.stack([path_energies(embed, candidate) for candidate in candidates])  # (C, P)
    choice = energies.argmin(dim=0)                                             # (P,)
    return candidates[choice, torch.arange(candidates.shape[1], device=candidates.device)], choice, energies


@torch.no_grad()
def solve_geodesics(
    embed: Embedding,
    start_paths: torch.Tensor,
    metric: torch.Tensor,
    *,
    min_share: float,
    max_iterations: int,
    tolerance: float,
    measure: Callable[[torch.Tensor], torch.Tensor] | None = None,
    start_energies: torch.Tensor | None = None,
) -> GeodesicSolution:
    """Minimise the discrete energy of every curve of start_paths (P, K, D), K >= 3, ends fixed.

    ``metric`` (D, D) is the decoder's mean metric, which sets the bending directions and
    the first steps (module docstring). The optimisation runs in float64, the decoder in the
    dtype of ``start_paths`` (float32 for the VAE). The result's energies and the start's
    are measured alike, by ``measure`` (curves (P, K, D) -> discrete energies (P,), float64;
    :func:`path_energies` by default), the start's given as ``start_energies`` (P,) where the
    caller has measured them so.
    """
    pair_count, nodes, latent_dim = start_paths.shape
    if nodes < 3:
        raise ValueError(f"a geodesic needs at least 3 points (one free), got {nodes}")
    device = start_paths.device
    basis, eigenvalues = bending_directions(metric.to(device), min_share)       # (D, r), (r,)
    bending = len(eigenvalues)
    inverse_laplacian = inverse_second_difference(nodes - 2, device=device)     # (n, n)
    energy = _Energy(embed, start_paths, basis)
    # The unknowns: each interior point's offset from its start along the bending directions.
    coordinates = torch.zeros((pair_count, nodes - 2, bending), dtype=torch.float64, device=device)
    values, gradients = energy(torch.arange(pair_count, device=device), coordinates)  # (P,), (P, n, r)
    # The energy's Hessian in the constant metric M is 2 (K - 1) (second difference x M).
    gamma = torch.full((pair_count,), 1.0 / (2.0 * (nodes - 1)), dtype=torch.float64, device=device)
    shape = (HISTORY, pair_count, nodes - 2, bending)
    s_history = torch.zeros(shape, dtype=torch.float64, device=device)
    y_history = torch.zeros(shape, dtype=torch.float64, device=device)
    rho_history = torch.zeros((HISTORY, pair_count), dtype=torch.float64, device=device)  # 0: an empty slot
    slot = np.zeros(pair_count, dtype=np.int64)                                 # each pair's next slot
    iterations = np.zeros(pair_count, dtype=np.int64)
    converged = np.zeros(pair_count, dtype=bool)
    active = np.full(pair_count, bending > 0)

    def unscaled(vectors):                                                      # (L^-1 x M^-1) v: (A, n, r)
        return torch.einsum("ij,ajr->air", inverse_laplacian, vectors) / eigenvalues

    for _ in range(max_iterations):
        if not active.any():
            break
        numbers = np.flatnonzero(active)
        pairs = torch.from_numpy(numbers).to(device)
        x, f, g = coordinates[pairs], values[pairs], gradients[pairs]
        # Two-loop recursion, newest curvature pair first; an empty slot (rho 0) changes nothing.
        ages = [torch.from_numpy((slot[numbers] - 1 - age) % HISTORY).to(device) for age in range(HISTORY)]
        q = g.clone()
        alphas = []
        for index in ages:
            alpha = rho_history[index, pairs] * _dot(s_history[index, pairs], q)
            q -= alpha[:, None, None] * y_history[index, pairs]
            alphas.append(alpha)
        direction = gamma[pairs, None, None] * unscaled(q)
        for index, alpha in zip(reversed(ages), reversed(alphas)):
            beta = rho_history[index, pairs] * _dot(y_history[index, pairs], direction)
            direction += (alpha - beta)[:, None, None] * s_history[index, pairs]
        direction = -direction
        slope = _dot(g, direction)                                              # (A,)
        uphill = slope >= 0                                                     # a spoilt history: start it again
        if uphill.any():
            direction[uphill] = -gamma[pairs[uphill], None, None] * unscaled(g[uphill])
            slope = _dot(g, direction)
            rho_history[:, pairs[uphill]] = 0.0
        # Backtracking line search from the full step, each pair on its own.
        step = torch.ones_like(f)
        new_x, new_f, new_g = x.clone(), f.clone(), g.clone()
        searching = torch.ones_like(f, dtype=torch.bool)
        for _ in range(MAX_HALVINGS + 1):
            rows = torch.nonzero(searching).flatten()
            if len(rows) == 0:
                break
            trial = x[rows] + step[rows, None, None] * direction[rows]
            trial_f, trial_g = energy(pairs[rows], trial)
            accepted = trial_f <= f[rows] + ARMIJO * step[rows] * slope[rows]
            kept = rows[accepted]
            new_x[kept], new_f[kept], new_g[kept] = trial[accepted], trial_f[accepted], trial_g[accepted]
            searching[kept] = False
            step[rows[~accepted]] *= 0.5
        # A pair whose search failed keeps its point, and its energy: it stops by the rule.
        s_new, y_new = new_x - x, new_g - g
        curvature = _dot(s_new, y_new)
        usable = ~searching & (curvature > 1e-12 * (_dot(s_new, s_new) * _dot(y_new, y_new)).sqrt())
        rows = torch.nonzero(usable).flatten()
        if len(rows):
            chosen = numbers[rows.cpu().numpy()]
            target = torch.from_numpy(slot[chosen]).to(device)
            s_history[target, pairs[rows]] = s_new[rows]
            y_history[target, pairs[rows]] = y_new[rows]
            rho_history[target, pairs[rows]] = 1.0 / curvature[rows]
            gamma[pairs[rows]] = curvature[rows] / _dot(y_new[rows], unscaled(y_new[rows]))
            slot[chosen] = (slot[chosen] + 1) % HISTORY
        coordinates[pairs], values[pairs], gradients[pairs] = new_x, new_f, new_g
        iterations[numbers] += 1
        done = ((f - new_f) / f.clamp_min(1e-300) < tolerance).cpu().numpy()
        converged[numbers[done]] = True
        active[numbers[done]] = False
    if not bending:
        converged[:] = True  # nothing can bend: the start is the answer
    paths = start_paths.clone()
    paths[:, 1:-1] = energy.interior(torch.arange(pair_count, device=device), coordinates)
    # Both energies measured alike (as starting_paths measures the candidates, or by the
    # caller's measure): a pair the solver could not improve beyond rounding keeps its start, bit for bit.
    measure = measure or partial(path_energies, embed)
    if start_energies is None:
        start_energies = measure(start_paths)
    energies = measure(paths)
    worse = energies > start_energies
    paths[worse], energies[worse] = start_paths[worse], start_energies[worse]
    return GeodesicSolution(paths, energies, start_energies, iterations, converged, worse.cpu().numpy(), bending)
