"""The fourth path: the geodesic under the decoder's pulled-back metric, measured like the other three.

For one trained model, every pair of the study (``interpolation_quality.study_endpoints``:
the same prior draws and encoded test digits that lerp, slerp and the distribution-matched
path join) is joined by the discrete geodesic of ``latentspace.model.geodesics`` under the
Fisher-Rao metric of the decoder's Bernoulli pixels (``latentspace.model.pullback``, whose
docstring says why that metric). All pairs of both sources are solved in one batch, each
starting from the lower-energy of its lerp and slerp through the same number of points.

Then:

* the geodesic, traced through its points (straight between them) at the study's t, is
  scored by every metric of the study (``interpolation_quality.score_latents``): its path
  and midpoint rows join those of the other methods. Its ends and the flat methods'
  midpoints, which the interpolation study of the same model has scored, are read from that
  study's per-pair file where the step is given it (the pipeline does), not scored again;
* every path of every method is measured as a whole by its length and energy under the same
  pulled-back metric, on a fine resampling (``length_points`` values of t; the flat paths
  from their formulas, the geodesic along its points), so that the four are compared on one
  ruler; per pair, the geodesic's length over each flat method's (``geodesic_ratio``) and its
  midpoint score minus theirs (``geodesic_minus``);
* the solver's record per pair: iterations, final and starting energy, whether it met its
  stopping rule, which start it took.

The per-pair arrays go to an .npz (``latentspace.study.geodesic_tables``), from which the
summary computes the intervals across replicates; this module's summaries give each model's
own intervals, the percentile bootstrap over pairs of ``interpolation_quality``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from latentspace.files.images import IMAGE_SHAPE
from latentspace.files.reading import damaged
from latentspace.model import geometry
from latentspace.model.decoding import decode_latents, to_uint8
from latentspace.model.geodesics import GeodesicSolution, average_metric, solve_geodesics, starting_paths
from latentspace.model.pullback import fisher_rao_embedding, path_measures, polyline_at, resample_polyline
from latentspace.model.vae import VAE
from latentspace.settings.declared import GeodesicRun
from latentspace.study.across_replicates import MIDPOINT_PAIRS_FILE
from latentspace.study.classifier import DigitClassifier
from latentspace.study.interpolation_quality import (
    INTERPOLATIONS,
    _interval,
    bootstrap_mean_interval,
    path_fractions,
    score_latents,
    study_endpoints,
)
from latentspace.study.labels import ALL_METHODS, GEODESIC_METHOD, METHODS, METRICS, PATH_MEASURES, SOURCES

# Prior draws over which the decoder's mean metric (which sets the directions a curve may bend in) is estimated.
METRIC_PROBES = 2048
# The starts the solver chooses between, in this order (the record's ``start`` indexes it).
STARTS = ("lerp", "slerp")
# The methods drawn and decoded in the figures' examples.
EXAMPLE_METHODS = ("lerp", "slerp", GEODESIC_METHOD)


@dataclass(frozen=True)
class GeodesicMeasurements:
    """One model's geodesics and measures, per pair (S sources, P pairs, T = len(t), Q metrics).

    values (S, Q, P, T): the geodesic's scores at t; midpoints (S, 4, Q, P): every method's
    scores at t = 0.5 (ALL_METHODS order); lengths, energies (S, 4, P): every path's, in the
    pulled-back metric; solver: {iterations, converged, start, energy, start_energy} (S, P);
    bending_directions: how many directions the geodesics could bend in.
    """

    latent_dim: int
    t: np.ndarray
    values: np.ndarray
    midpoints: np.ndarray
    lengths: np.ndarray
    energies: np.ndarray
    solver: dict
    bending_directions: int


@dataclass(frozen=True)
class GeodesicExamples:
    """The figures' pairs: the first ``figure_pairs`` of each source.

    latents (S, E, 3, N, D): lerp, slerp and geodesic (EXAMPLE_METHODS) on the fine
    resampling; t (T,) and images (S, E, 3, T, 28, 28) uint8: each decoded at the study's t.
    """

    latent_dim: int
    latents: np.ndarray
    t: np.ndarray
    images: np.ndarray


def flat_paths(method: str, starts: np.ndarray, ends: np.ndarray, fractions: np.ndarray, dtype, device) -> torch.Tensor:
    """One flat method's paths (P, T, D) at t (T,) as a tensor of the decoder's dtype."""
    return torch.from_numpy(INTERPOLATIONS[method](starts, ends, fractions)).to(device=device, dtype=dtype)


def solve_on_one_ruler(
    embed, starts: np.ndarray, ends: np.ndarray, settings: GeodesicRun, dtype, device
) -> tuple[GeodesicSolution, torch.Tensor, dict[str, tuple[torch.Tensor, torch.Tensor]]]:
    """The geodesics of pairs (starts, ends (P, D)) and every method's energy and length (P,) each on one ruler.

    The ruler: each path's length and energy in the pulled-back metric on its fine resampling
    (``length_points`` values of t; the flat paths from their formulas, the geodesic along its
    points). Where those t hold the solver's K nodes, the same embedding measures lerp and
    slerp through their nodes (each pair starts from the lower) and, as the solver's guard,
    the geodesic through its nodes: no point is embedded twice. Returns the solution, each
    pair's start (index of STARTS) and {method: (energies, lengths)} for ALL_METHODS.
    """
    fine = np.linspace(0.0, 1.0, settings.length_points)                       # (N,)
    stride, remainder = divmod(settings.length_points - 1, settings.points - 1)
    nodes = settings.points if remainder == 0 else None
    traced, measured = {}, {}
    for method in METHODS:
        traced[method] = flat_paths(method, starts, ends, fine, dtype, device)  # (P, N, D)
        measured[method] = path_measures(embed, traced[method], nodes if method in STARTS else None)
    if nodes:
        candidates = torch.stack([traced[method][:, ::stride] for method in STARTS])  # (C, P, K, D)
        candidate_energies = torch.stack([measured[method][2] for method in STARTS])  # (C, P)
    else:
        node_fractions = np.linspace(0.0, 1.0, settings.points)                # (K,)
        candidates = torch.stack([flat_paths(method, starts, ends, node_fractions, dtype, device) for method in STARTS])
        candidate_energies = None
    start_paths, choice, candidate_energies = starting_paths(embed, candidates, candidate_energies)  # (P, K, D), (P,)
    rng = np.random.default_rng([settings.seed, starts.shape[1], 3])
    prior_draws = torch.from_numpy(rng.standard_normal((METRIC_PROBES, starts.shape[1]))).to(device=device, dtype=dtype)
    metric = average_metric(embed, prior_draws, METRIC_PROBES, torch_generator(rng))

    def through_nodes(paths: torch.Tensor) -> torch.Tensor:
        """The guard's measure: the geodesics (P, K, D) on the fine ruler; their energies through the nodes."""
        measured[GEODESIC_METHOD] = path_measures(embed, resample_polyline(paths, settings.length_points), nodes)
        return measured[GEODESIC_METHOD][2]

    solution = solve_geodesics(embed, start_paths, metric, min_share=settings.bending_share,
                               max_iterations=settings.max_iterations, tolerance=settings.tolerance,
                               measure=through_nodes if nodes else None,
                               start_energies=candidate_energies.min(dim=0).values)
    kept = torch.from_numpy(solution.kept_start).to(device)
    if not nodes:
        measured[GEODESIC_METHOD] = path_measures(embed, resample_polyline(solution.paths, settings.length_points))
    elif kept.any():  # a pair that kept its start is no longer the curve the guard measured: measure it
        energies, lengths, _ = path_measures(embed, resample_polyline(solution.paths[kept], settings.length_points))
        measured[GEODESIC_METHOD][0][kept], measured[GEODESIC_METHOD][1][kept] = energies, lengths
    return solution, choice, {method: measured[method][:2] for method in ALL_METHODS}


def measure_geodesics(
    model: VAE, classifier: DigitClassifier, train_x: torch.Tensor, test_x: torch.Tensor, settings: GeodesicRun,
    scored: dict[str, np.ndarray] | None = None,
) -> tuple[GeodesicMeasurements, GeodesicExamples]:
    """Solve, score and measure the geodesics of every pair of one model; images (N, 784) on the model's device.

    ``scored``: what the interpolation study of the same model and pairs scored
    (across_replicates.read_pair_scores): its flat methods' midpoints (S, M, Q, P) and the
    pairs' ends (S, Q, P, 2), which are then read rather than scored again; without it they
    are scored here (from the codes in the decoder's dtype, as the geodesic's points are).
    Its ends' latent norms must be those of this study's pairs (the same seed and pairs).
    """
    model.requires_grad_(False)  # derivatives by the codes only
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    latent_dim = model.config.latent_dim
    embed = fisher_rao_embedding(model.decode_logits)
    endpoints = study_endpoints(model, test_x, settings)
    starts = np.concatenate([endpoints[source][0] for source in SOURCES])      # (S P, D)
    ends = np.concatenate([endpoints[source][1] for source in SOURCES])        # (S P, D)
    pairs = settings.pairs
    if scored is not None:
        norms = np.linalg.norm(np.stack([starts, ends], axis=-1), axis=1) / np.sqrt(latent_dim)  # (S P, 2)
        read = scored["ends"][:, METRICS.index("latent_norm_ratio")].reshape(-1, 2)
        if not np.allclose(read, norms, rtol=1e-9, atol=0.0):
            raise damaged(scored["path"], "holds the scores of other pairs than this study's: their ends' latent norms "
                          "differ (another seed?)", MIDPOINT_PAIRS_FILE)
    solution, choice, ruler = solve_on_one_ruler(embed, starts, ends, settings, dtype, device)

    # The geodesic scored at the study's t, and every method at the midpoint; what the interpolation
    # study scored for the same pairs (the flat midpoints, and the ends the geodesic shares) is read.
    fractions = path_fractions(settings.path_steps)                             # (T,)
    own = slice(None) if scored is None else slice(1, -1)                       # the t scored here
    geodesic_points = polyline_at(solution.paths, fractions[own])               # (S P, T', D)
    points = [geodesic_points.reshape(-1, latent_dim)]
    if scored is None:
        points += [flat_paths(method, starts, ends, np.array([0.5]), dtype, device)[:, 0] for method in METHODS]
    scores = score_latents(model, classifier, train_x, torch.cat(points).cpu().double().numpy())
    count = geodesic_points.shape[0] * geodesic_points.shape[1]
    values = np.stack([scores[metric][:count].reshape(len(SOURCES), pairs, -1) for metric in METRICS],
                      axis=1)                                                   # (S, Q, P, T')
    if scored is None:
        flat_midpoints = np.stack([scores[metric][count:].reshape(len(METHODS), len(SOURCES), pairs)
                                   for metric in METRICS], axis=2).transpose(1, 0, 2, 3)  # (S, M, Q, P)
    else:
        values = np.concatenate([scored["ends"][..., :1], values, scored["ends"][..., 1:]], axis=-1)  # (S, Q, P, T)
        flat_midpoints = scored["midpoints"]                                    # (S, M, Q, P)
    midpoints = np.concatenate([flat_midpoints, values[:, None, :, :, len(fractions) // 2]], axis=1)  # (S, 4, Q, P)

    # Every path on one ruler.
    energies = np.stack([ruler[method][0].cpu().numpy().reshape(len(SOURCES), pairs) for method in ALL_METHODS], axis=1)
    lengths = np.stack([ruler[method][1].cpu().numpy().reshape(len(SOURCES), pairs) for method in ALL_METHODS], axis=1)

    def per_source(array):
        return np.asarray(array).reshape(len(SOURCES), pairs)

    solver = {
        "iterations": per_source(solution.iterations),
        "converged": per_source(solution.converged),
        "start": per_source(choice.cpu().numpy()),
        "energy": per_source(solution.energies.cpu().numpy()),
        "start_energy": per_source(solution.start_energies.cpu().numpy()),
    }
    measurements = GeodesicMeasurements(latent_dim, fractions, values, midpoints, lengths, energies, solver,
                                        solution.bending_directions)
    examples = geodesic_examples(model, starts, ends, solution.paths, settings)
    return measurements, examples


def torch_generator(rng: np.random.Generator) -> torch.Generator:
    """A CPU torch generator seeded from the numpy one (deterministic on every device)."""
    return torch.Generator(device="cpu").manual_seed(int(rng.integers(2**62)))


def geodesic_examples(model: VAE, starts: np.ndarray, ends: np.ndarray, geodesics: torch.Tensor,
                      settings: GeodesicRun) -> GeodesicExamples:
    """The first ``figure_pairs`` pairs of each source: lerp, slerp and geodesic, finely traced and decoded at t."""
    shown = min(settings.figure_pairs, settings.pairs)
    chosen = np.concatenate([source * settings.pairs + np.arange(shown) for source in range(len(SOURCES))])
    fine = np.linspace(0.0, 1.0, settings.length_points)
    fractions = path_fractions(settings.path_steps)
    selected = geodesics[torch.from_numpy(chosen).to(geodesics.device)]
    traced = {method: [INTERPOLATIONS[method](starts[chosen], ends[chosen], grid) for grid in (fine, fractions)]
              for method in STARTS}
    traced[GEODESIC_METHOD] = [polyline_at(selected, grid).cpu().double().numpy() for grid in (fine, fractions)]
    latents = np.stack([traced[method][0] for method in EXAMPLE_METHODS], axis=1)     # (S E, 3, N, D)
    at_t = np.stack([traced[method][1] for method in EXAMPLE_METHODS], axis=1)        # (S E, 3, T, D)
    images = to_uint8(decode_latents(model, at_t.reshape(-1, model.config.latent_dim)))
    grouped = (len(SOURCES), shown)
    return GeodesicExamples(
        model.config.latent_dim,
        latents.reshape(*grouped, *latents.shape[1:]),
        fractions,
        images.reshape(*grouped, len(EXAMPLE_METHODS), len(fractions), *IMAGE_SHAPE),
    )


# --------------------------------------------------------------------------
# Each model's own intervals (over its pairs)
# --------------------------------------------------------------------------


def pair_quantities(measurements: GeodesicMeasurements) -> dict[str, np.ndarray]:
    """Per-pair terms of every mean the tables report, (S, ..., P) each.

    ``gaps`` (S, Q, P): the geodesic's midpoint minus its endpoints' mean; ``minus_lerp``
    (S, Q, P): its midpoint minus lerp's; ``measures`` (S, 4, 2, P): each method's length and
    energy; ``ratios`` (S, 3, 2, P): the geodesic's length (energy) over each flat method's;
    ``midpoints`` (S, 4, Q, P) and ``minus`` (S, 3, Q, P): each method's midpoint score and the
    geodesic's minus it.
    """
    values, middle = measurements.values, len(measurements.t) // 2
    geodesic = ALL_METHODS.index(GEODESIC_METHOD)
    measures = np.stack([measurements.lengths, measurements.energies], axis=2)  # (S, 4, 2, P)
    flat = [ALL_METHODS.index(method) for method in METHODS]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = measures[:, geodesic : geodesic + 1] / measures[:, flat]       # (S, 3, 2, P)
    ratios = np.where(measures[:, flat] > 0, ratios, 1.0)  # a pair of identical codes: both paths have length 0
    return {
        "gaps": values[..., middle] - 0.5 * (values[..., 0] + values[..., -1]),
        "minus_lerp": measurements.midpoints[:, geodesic] - measurements.midpoints[:, ALL_METHODS.index("lerp")],
        "measures": measures,
        "ratios": ratios,
        "midpoints": measurements.midpoints,
        "minus": measurements.midpoints[:, geodesic : geodesic + 1] - measurements.midpoints[:, flat],
    }


def summarise_geodesics(
    measurements: GeodesicMeasurements, settings: GeodesicRun
) -> tuple[list[dict], list[dict], list[dict]]:
    """The geodesic's path rows and midpoint rows (as ``interpolation_quality``'s) and the comparison rows.

    Comparison rows (``geodesic_tables.COMPARISON_COLUMNS``): per source, method and measure
    (``pullback_length``, ``pullback_energy``, ``midpoint_<metric>``) the mean over pairs with
    its interval and, for the three flat methods, the geodesic's ratio to it (lengths and
    energies) or its difference from it (midpoint scores), each with its interval. One
    percentile bootstrap per source draws the pairs for every column at once.
    """
    rng = np.random.default_rng([settings.seed, measurements.latent_dim, 2])
    quantities = pair_quantities(measurements)
    fractions = measurements.t
    middle = len(fractions) // 2
    path_rows, midpoint_rows, comparison_rows = [], [], []
    for source_index, source in enumerate(SOURCES):
        parts = {                                                               # pairs last in each
            "path": measurements.values[source_index].transpose(0, 2, 1),      # (Q, T, P)
            "gap": quantities["gaps"][source_index],                            # (Q, P)
            "minus_lerp": quantities["minus_lerp"][source_index],               # (Q, P)
            "measures": quantities["measures"][source_index],                   # (4, 2, P)
            "ratios": quantities["ratios"][source_index],                       # (3, 2, P)
            "midpoints": quantities["midpoints"][source_index],                 # (4, Q, P)
            "minus": quantities["minus"][source_index],                         # (3, Q, P)
        }
        columns = np.concatenate([part.reshape(-1, part.shape[-1]).T for part in parts.values()], axis=1)  # (P, F)
        mean, low, high = bootstrap_mean_interval(columns, settings.bootstrap_resamples, settings.confidence_level, rng)
        stats, start = {}, 0
        for name, part in parts.items():
            size = part[..., 0].size
            stats[name] = [whole[start : start + size].reshape(part.shape[:-1]) for whole in (mean, low, high)]
            start += size
        labels = {"latent_dim": measurements.latent_dim, "source": source}
        path_values = measurements.values[source_index]                         # (Q, P, T)
        endpoints = 0.5 * (path_values[..., 0] + path_values[..., -1])          # (Q, P)
        for metric_index, metric in enumerate(METRICS):
            row_labels = {**labels, "method": GEODESIC_METHOD, "metric": metric}
            for step, t in enumerate(fractions):
                path_rows.append({**row_labels, "t": float(t),
                                  **_interval(*(stat[metric_index, step] for stat in stats["path"]))})
            midpoint_rows.append({
                **row_labels,
                "endpoints_mean": float(endpoints[metric_index].mean()),
                "midpoint_mean": float(stats["path"][0][metric_index, middle]),
                **{f"gap_{name}": value for name, value in _interval(*(stat[metric_index] for stat in stats["gap"])).items()},
                **{f"minus_lerp_{name}": value
                   for name, value in _interval(*(stat[metric_index] for stat in stats["minus_lerp"])).items()},
            })
        for method_index, method in enumerate(ALL_METHODS):
            flat = method != GEODESIC_METHOD
            for measure_index, measure in enumerate(PATH_MEASURES):
                row = {**labels, "method": method, "measure": measure,
                       **_interval(*(stat[method_index, measure_index] for stat in stats["measures"]))}
                if flat:
                    ratio = _interval(*(stat[method_index, measure_index] for stat in stats["ratios"]))
                    row.update({f"geodesic_ratio_{name}": value for name, value in ratio.items()})
                comparison_rows.append(row)
            for metric_index, metric in enumerate(METRICS):
                row = {**labels, "method": method, "measure": f"midpoint_{metric}",
                       **_interval(*(stat[method_index, metric_index] for stat in stats["midpoints"]))}
                if flat:
                    minus = _interval(*(stat[method_index, metric_index] for stat in stats["minus"]))
                    row.update({f"geodesic_minus_{name}": value for name, value in minus.items()})
                comparison_rows.append(row)
    return path_rows, midpoint_rows, comparison_rows


def solver_record(measurements: GeodesicMeasurements, settings: GeodesicRun) -> dict:
    """What the solver did for this model: per source, how many pairs converged and how many iterations it took."""
    record = {"latent_dim": measurements.latent_dim, "bending_directions": measurements.bending_directions,
              "points": settings.points, "tolerance": settings.tolerance, "max_iterations": settings.max_iterations,
              "sources": []}
    for source_index, source in enumerate(SOURCES):
        iterations = measurements.solver["iterations"][source_index]
        converged = measurements.solver["converged"][source_index]
        energy, start = measurements.solver["energy"][source_index], measurements.solver["start_energy"][source_index]
        record["sources"].append({
            "source": source,
            "pairs": int(len(converged)),
            "converged": int(converged.sum()),
            "not_converged": int((~converged).sum()),
            "iterations_median": float(np.median(iterations)),
            "iterations_max": int(iterations.max()),
            "started_from_slerp": int((measurements.solver["start"][source_index] == STARTS.index("slerp")).sum()),
            "energy_over_start_mean": float(np.mean(np.where(start > 0, energy / np.where(start > 0, start, 1.0), 1.0))),
            "energy_never_above_start": bool(np.all(energy <= start)),
        })
    return record
