"""The geodesics' tables, per-pair files and their part of the study's summary, as data (no torch).

The study-geodesic step (``latentspace.study.geodesic_quality``) writes, per model, the
geodesic's path and midpoint rows (the study's own columns, ``tables.PATH_COLUMNS`` and
``tables.MIDPOINT_COLUMNS``, method ``geodesic``), a comparison table (COMPARISON_COLUMNS:
every method's pulled-back length and energy and midpoint scores, and the geodesic against
each flat method), the per-pair values behind them (an .npz) and the figures' examples (an
.npz). The summary step gathers them here into ``summary["geodesics"]``, with the verdicts
the page words (``site_templates/partials/geodesics.html.j2``):

* ``shorter``: +1 when the interval of the geodesic's length over a flat method's lies
  wholly below 1 (measurably shorter), 0 when it holds 1, -1 when wholly above;
* ``near``: whether slerp comes within NEAR_SHARE of the geodesic's length: "near" when
  the interval of the geodesic's shortfall (1 - ratio) lies wholly below NEAR_SHARE, "far"
  when wholly above, "unclear" when it straddles it;
* the judge's verdict on the midpoints, the sign of the interval of the geodesic's midpoint
  confidence minus a flat method's (``tables.interval``: withheld when replicates disagree);
* the solver's record: how many pairs met the stopping rule, how many did not.

With several replicates every interval is the one across them
(``across_replicates.crossed_interval`` over the per-pair values), as for the other methods.
"""

from __future__ import annotations

import numpy as np

from latentspace.files.atomic import atomic_path
from latentspace.files.images import IMAGE_SIDE
from latentspace.files.reading import checked_contents, damaged, read_csv_rows, read_npz
from latentspace.study import across_replicates
from latentspace.study.labels import (
    ALL_METHODS,
    GEODESIC_METHOD,
    MEASURE_LABELS,
    METHOD_LABELS,
    METHODS,
    METRICS,
    PATH_MEASURES,
    SOURCE_LABELS,
    SOURCES,
)
from latentspace.study.tables import interval, midpoint_with_verdicts

COMPARISON_COLUMNS = (
    "latent_dim", "source", "method", "measure", "mean", "ci_low", "ci_high",
    "geodesic_ratio_mean", "geodesic_ratio_ci_low", "geodesic_ratio_ci_high",
    "geodesic_minus_mean", "geodesic_minus_ci_low", "geodesic_minus_ci_high",
)
COMPARISON_TEXT_COLUMNS = ("source", "method", "measure")
# Slerp is "within a few percent" of the geodesic when the geodesic is shorter by less than this share.
NEAR_SHARE = 0.05
# The midpoint score the judge's verdict reads.
JUDGE_METRIC = "classifier_confidence"
MIDPOINT_MEASURES = tuple(f"midpoint_{metric}" for metric in METRICS)

PAIRS_FILE = "a geodesic pairs .npz of the study-geodesic step"
EXAMPLES_FILE = "a geodesic examples .npz of the study-geodesic step"
# Arrays of the pairs file: name -> dimensions (the first is always the source).
PAIR_ARRAYS = {"gaps": 3, "minus_lerp": 3, "measures": 4, "ratios": 4, "midpoints": 4, "minus": 4,
               "iterations": 2, "converged": 2, "start": 2, "energy": 2, "start_energy": 2}


# --------------------------------------------------------------------------
# Files of one model
# --------------------------------------------------------------------------


def comparison_rows_typed(raw_rows) -> list[dict]:
    """Comparison rows of strings (csv.DictReader's) with numbers converted back; empty cells left out."""
    rows = []
    for raw in raw_rows:
        rows.append({key: value if key in COMPARISON_TEXT_COLUMNS else int(value) if key == "latent_dim" else float(value)
                     for key, value in raw.items() if value != ""})
    return rows


def read_comparison_table(path) -> list[dict]:
    """A comparison table (COMPARISON_COLUMNS), of one model or gathered: every source, method and
    measure of each latent size it holds, a row each."""
    what = "a geodesic comparison CSV of the study"
    raw = read_csv_rows(path, what, COMPARISON_COLUMNS)
    with checked_contents(path, what):
        rows = comparison_rows_typed(raw)
        unknown = {row["method"] for row in rows} - set(ALL_METHODS)
        if unknown:
            raise ValueError(f"unknown method {sorted(unknown)[0]!r}")
        present = {(row["latent_dim"], row["source"], row["method"], row["measure"]) for row in rows}
        for dim in sorted({row["latent_dim"] for row in rows}):
            for key in ((dim, source, method, measure) for source in SOURCES for method in ALL_METHODS
                        for measure in (*PATH_MEASURES, *MIDPOINT_MEASURES)):
                if key not in present:
                    raise ValueError("no row for z = {}, {}, {}, {}".format(*key))
        return rows


def save_geodesic_pairs(path, latent_dim: int, bending_directions: int, quantities: dict, solver: dict) -> None:
    """Write the per-pair values (geodesic_quality.pair_quantities) and the solver's record (S, P) arrays."""
    with atomic_path(path) as tmp:
        np.savez(tmp, latent_dim=np.asarray(latent_dim), bending_directions=np.asarray(bending_directions),
                 **quantities, **solver)


def read_geodesic_pairs(path) -> dict:
    """{latent_dim, bending_directions, and every PAIR_ARRAYS array} of one model, shapes checked."""
    arrays = read_npz(path, PAIRS_FILE, {
        "latent_dim": (np.integer, 0), "bending_directions": (np.integer, 0),
        **{name: (np.bool_ if name == "converged" else np.integer if name in ("iterations", "start") else np.floating,
                  ndim) for name, ndim in PAIR_ARRAYS.items()},
    })
    pairs = arrays["iterations"].shape[-1]
    expected = {
        "gaps": (len(SOURCES), len(METRICS), pairs), "minus_lerp": (len(SOURCES), len(METRICS), pairs),
        "measures": (len(SOURCES), len(ALL_METHODS), len(PATH_MEASURES), pairs),
        "ratios": (len(SOURCES), len(METHODS), len(PATH_MEASURES), pairs),
        "midpoints": (len(SOURCES), len(ALL_METHODS), len(METRICS), pairs),
        "minus": (len(SOURCES), len(METHODS), len(METRICS), pairs),
        **{name: (len(SOURCES), pairs) for name in ("iterations", "converged", "start", "energy", "start_energy")},
    }
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise damaged(path, f"array {name} is {arrays[name].shape}, not {shape}", PAIRS_FILE)
    return {**arrays, "latent_dim": int(arrays["latent_dim"]), "bending_directions": int(arrays["bending_directions"])}


def save_geodesic_examples(path, examples) -> None:
    """Write geodesic_quality.GeodesicExamples: latents (S, E, 3, N, D) as float32 (for drawing), t (T,), images (S, E, 3, T, 28, 28)."""
    with atomic_path(path) as tmp:
        np.savez(tmp, latent_dim=np.asarray(examples.latent_dim), latents=examples.latents.astype(np.float32), t=examples.t,
                 images=examples.images)


def read_geodesic_examples(path) -> dict:
    """{latent_dim, latents, t, images} of one model's examples, shapes checked."""
    arrays = read_npz(path, EXAMPLES_FILE, {"latent_dim": (np.integer, 0), "latents": (np.floating, 5),
                                            "t": (np.floating, 1), "images": (np.uint8, 6)})
    latents, images = arrays["latents"], arrays["images"]
    if (latents.shape[0] != len(SOURCES) or latents.shape[2] != 3 or latents.shape[-1] != int(arrays["latent_dim"])
            or images.shape != (*latents.shape[:3], len(arrays["t"]), IMAGE_SIDE, IMAGE_SIDE)):
        raise damaged(path, f"latents {latents.shape}, t {arrays['t'].shape} and images {images.shape} do not match",
                      EXAMPLES_FILE)
    return {**arrays, "latent_dim": int(arrays["latent_dim"])}


# --------------------------------------------------------------------------
# Across replicates
# --------------------------------------------------------------------------


def _key(row: dict, column: str) -> tuple:
    return row["latent_dim"], row["source"], row["method"], row[column]


def _pair_values(pairs: dict, source: str, method: str, measure: str, quantity: str) -> np.ndarray:
    """One row's per-pair values (P,) in a model's pairs file: ``quantity`` is "mean", "geodesic_ratio" or "geodesic_minus"."""
    s = SOURCES.index(source)
    if measure in PATH_MEASURES:
        m = PATH_MEASURES.index(measure)
        if quantity == "geodesic_ratio":
            return pairs["ratios"][s, METHODS.index(method), m]
        return pairs["measures"][s, ALL_METHODS.index(method), m]
    q = METRICS.index(measure.removeprefix("midpoint_"))
    if quantity == "geodesic_minus":
        return pairs["minus"][s, METHODS.index(method), q]
    return pairs["midpoints"][s, ALL_METHODS.index(method), q]


def aggregate_rows(rows_by_replicate: list[list[dict]], pairs_by_replicate: list[dict[int, dict]], key_column: str,
                   quantities: tuple[str, ...], level: float) -> list[dict]:
    """Rows of replicate 0's table with every quantity's interval across the replicates.

    Each quantity present in a row gets ``{quantity}_across`` (midpoint_across's form) and, with
    several replicates, its mean and interval replaced by those across them.
    """
    keyed = [{_key(row, key_column): row for row in rows} for rows in rows_by_replicate]
    aggregated = []
    for row in rows_by_replicate[0]:
        key = _key(row, key_column)
        missing = [replicate for replicate, rows in enumerate(keyed) if key not in rows]
        if missing:
            raise ValueError(f"replicate {missing[0]} has no geodesic row for latent size {key[0]}, {key[1:]}")
        same = [rows[key] for rows in keyed]
        result = dict(row)
        for quantity in quantities:
            if f"{quantity}_mean" not in row:
                continue
            pairs = None
            if len(same) > 1:
                pairs = [_replicate_pairs(replicate_pairs[key[0]], key, key_column, quantity)
                         for replicate_pairs in pairs_by_replicate]
            across = across_replicates.midpoint_across(same, pairs, quantity, level)
            result.update({f"{quantity}_{name}": across[name] for name in ("mean", "ci_low", "ci_high")})
            result[f"{quantity}_across"] = across
        aggregated.append(result)
    return aggregated


def _replicate_pairs(pairs: dict, key: tuple, key_column: str, quantity: str) -> np.ndarray:
    _, source, method, name = key
    if key_column == "metric":  # a midpoint row of the geodesic
        return pairs["gaps" if quantity == "gap" else "minus_lerp"][SOURCES.index(source), METRICS.index(name)]
    return _pair_values(pairs, source, method, name, {"value": "mean"}.get(quantity, quantity))


# --------------------------------------------------------------------------
# The summary's part
# --------------------------------------------------------------------------


def _interval_of(row: dict, quantity: str) -> dict:
    """``tables.interval`` of one quantity of an aggregated row (with its replicates when there are several)."""
    return interval(row[f"{quantity}_mean"], row[f"{quantity}_ci_low"], row[f"{quantity}_ci_high"],
                    row.get(f"{quantity}_across"))


def shorter_sign(ratio: dict) -> int:
    """+1 when the geodesic is measurably shorter (the ratio's interval wholly below 1), -1 longer, 0 neither."""
    return 1 if ratio["ci_high"] < 1.0 else -1 if ratio["ci_low"] > 1.0 else 0


def near_verdict(ratio: dict, share: float = NEAR_SHARE) -> str:
    """Whether a path comes within ``share`` of the geodesic's length: "near", "far" or "unclear" (by the interval)."""
    if ratio["ci_low"] > 1.0 - share:
        return "near"
    if ratio["ci_high"] < 1.0 - share:
        return "far"
    return "unclear"


def solver_summary(pairs_by_replicate: list[dict[int, dict]], latent_dims: list[int]) -> dict:
    """How the solver did, per latent size and source and in all: pairs, converged, not converged, iterations."""
    rows = []
    for dim in latent_dims:
        for source_index, source in enumerate(SOURCES):
            files = [replicate[dim] for replicate in pairs_by_replicate]
            iterations = np.concatenate([entry["iterations"][source_index] for entry in files])
            converged = np.concatenate([entry["converged"][source_index] for entry in files])
            energy = np.concatenate([entry["energy"][source_index] for entry in files])
            start_energy = np.concatenate([entry["start_energy"][source_index] for entry in files])
            started = np.concatenate([entry["start"][source_index] for entry in files])
            rows.append({
                "latent_dim": dim, "source": source, "source_label": SOURCE_LABELS[source],
                "bending_directions": [entry["bending_directions"] for entry in files],
                "pairs": int(len(converged)), "converged": int(converged.sum()),
                "not_converged": int((~converged).sum()),
                "iterations_median": float(np.median(iterations)), "iterations_max": int(iterations.max()),
                "started_from_slerp": int(np.count_nonzero(started == 1)),
                "energy_never_above_start": bool(np.all(energy <= start_energy)),
            })
    pairs = sum(row["pairs"] for row in rows)
    converged = sum(row["converged"] for row in rows)
    return {"rows": rows, "pairs": pairs, "converged": converged, "not_converged": pairs - converged,
            "converged_share": converged / pairs if pairs else 1.0,
            "energy_never_above_start": all(row["energy_never_above_start"] for row in rows)}


def geodesic_summary(
    settings: dict,
    models: list[dict],
    midpoint_rows_by_replicate: list[list[dict]],
    comparison_rows_by_replicate: list[list[dict]],
    pairs_by_replicate: list[dict[int, dict]],
    level: float,
) -> tuple[list[dict], dict]:
    """The geodesic's midpoint rows with their verdicts (for the summary's ``midpoints``) and ``summary["geodesics"]``.

    ``models`` are the summary's model rows (for where a norm lies); the row lists and
    ``pairs_by_replicate[r][latent_dim]`` (read_geodesic_pairs) hold replicate 0's first.
    """
    by_dim = {model["latent_dim"]: model for model in models}
    midpoint_rows = [
        midpoint_with_verdicts(row, by_dim[row["latent_dim"]])
        for row in aggregate_rows(midpoint_rows_by_replicate, pairs_by_replicate, "metric", ("gap", "minus_lerp"), level)
    ]
    # A row's own mean and interval, as the quantity "value" beside the geodesic's ratio and difference.
    valued = [[{**row, **{f"value_{name}": row[name] for name in ("mean", "ci_low", "ci_high")}} for row in rows]
              for rows in comparison_rows_by_replicate]
    comparisons = []
    for row in aggregate_rows(valued, pairs_by_replicate, "measure", ("value", "geodesic_ratio", "geodesic_minus"), level):
        entry = {"latent_dim": row["latent_dim"], "source": row["source"], "method": row["method"],
                 "measure": row["measure"], "value": _interval_of(row, "value")}
        for quantity in ("geodesic_ratio", "geodesic_minus"):
            if f"{quantity}_mean" in row:
                entry[quantity] = _interval_of(row, quantity)
        if "geodesic_ratio" in entry:
            entry["geodesic_ratio"]["shorter"] = shorter_sign(entry["geodesic_ratio"])
        comparisons.append(entry)
    latent_dims = sorted({row["latent_dim"] for row in comparisons})
    index = {(row["latent_dim"], row["source"], row["method"], row["measure"]): row for row in comparisons}
    sizes = []
    for dim in latent_dims:
        sources = []
        for source in SOURCES:
            versus = {}
            for method in METHODS:
                length = index[(dim, source, method, "pullback_length")]
                ratio = length["geodesic_ratio"]
                versus[method] = {
                    "label": METHOD_LABELS[method],
                    "length": length["value"],
                    "ratio": ratio,
                    "percent_shorter": 100.0 * (1.0 - ratio["mean"]),
                    "percent_shorter_low": 100.0 * (1.0 - ratio["ci_high"]),
                    "percent_shorter_high": 100.0 * (1.0 - ratio["ci_low"]),
                    "near": near_verdict(ratio),
                    "judge": index[(dim, source, method, f"midpoint_{JUDGE_METRIC}")]["geodesic_minus"],
                }
            sources.append({"source": source, "source_label": SOURCE_LABELS[source],
                            "geodesic_length": index[(dim, source, GEODESIC_METHOD, "pullback_length")]["value"],
                            "versus": versus})
        sizes.append({"latent_dim": dim, "sources": sources,
                      "bending_directions": pairs_by_replicate[0][dim]["bending_directions"]})
    largest = sizes[-1] if sizes else None
    return midpoint_rows, {
        "shorter": _sizes_by_sign(sizes, lambda entry: entry["ratio"]["shorter"]),
        "judge": _sizes_by_sign(sizes, lambda entry: entry["judge"]["sign"]),
        "settings": settings,
        "near_share": NEAR_SHARE,
        "judge_metric": JUDGE_METRIC,
        "measure_labels": MEASURE_LABELS,
        "latent_dims": latent_dims,
        "sizes": sizes,
        "largest": largest,
        "comparisons": comparisons,
        "solver": solver_summary(pairs_by_replicate, latent_dims),
    }


def _sizes_by_sign(sizes: list[dict], sign_of) -> dict:
    """{flat method: {source: {"plus": [latent sizes], "zero": [...], "minus": [...]}}} by the sign of each size's verdict."""
    verdicts = {}
    for method in METHODS:
        verdicts[method] = {}
        for source_index, source in enumerate(SOURCES):
            signs = {size["latent_dim"]: sign_of(size["sources"][source_index]["versus"][method]) for size in sizes}
            verdicts[method][source] = {
                "plus": [dim for dim, sign in signs.items() if sign > 0],
                "zero": [dim for dim, sign in signs.items() if sign == 0],
                "minus": [dim for dim, sign in signs.items() if sign < 0],
            }
    return verdicts
