"""What the run measured, gathered for the article's "Results of this run" section.

Everything the page says about this run comes from here: the models' metrics files,
the configuration snapshot, Snakemake's benchmark files (one TSV per job, columns
documented at https://snakemake.readthedocs.io, "Benchmark rules"), and the numbers that figure steps leave in JSON files. The parsing
and summarising functions take text or dicts; the ``load_*`` functions read files.

Active units follow Burda, Grosse & Salakhutdinov (2015), "Importance Weighted
Autoencoders", arXiv:1509.00519: a latent coordinate is active when the variance of its
posterior mean over the test set exceeds a threshold.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import yaml

from latentspace.files.reading import checked_contents, damaged, read_csv_rows
from latentspace.errors import LatentspaceError
from latentspace.model.geometry import ball_volume, log10_probability_norm_below
from latentspace.settings.yaml_files import safe_load

MODEL_METRIC_KEYS = (
    "latent_dim",
    "test_elbo_nats",
    "test_reconstruction_nats",
    "test_kl_nats",
    "active_units",
    "active_unit_threshold",
    "epochs",
    "train_seconds",
    "device",
)


# --- parsing and summarising (no files) -------------------------------------------------


def parse_benchmark(text: str, name: str) -> dict:
    """A Snakemake benchmark TSV -> wall-clock seconds, CPU seconds and peak memory (mean over repeats).

    Memory and CPU time are None where the platform could not measure them ("NA" or "-").
    """
    rows = list(csv.DictReader(io.StringIO(text), delimiter="\t"))
    if not rows or "s" not in rows[0]:
        raise LatentspaceError(f"benchmark {name}: expected Snakemake's TSV with an 's' column, got {text[:60]!r}")
    try:
        return summarise_benchmark(rows, name)
    except ValueError as error:
        raise LatentspaceError(f"benchmark {name}: {error}") from None


def summarise_benchmark(rows: list[dict], name: str) -> dict:
    """The rows of a benchmark TSV (at least one, with an 's' column) summarised as in :func:`parse_benchmark`."""

    def mean_of(column: str) -> float | None:
        values = []
        for row in rows:
            try:
                values.append(float(row.get(column, "")))
            except ValueError:
                return None
        return sum(values) / len(values)

    wall_seconds = mean_of("s")
    if wall_seconds is None:
        raise ValueError("column 's' is not a number")
    return {
        "name": name,
        "wall_seconds": wall_seconds,
        "cpu_seconds": mean_of("cpu_time"),
        "max_rss_mb": mean_of("max_rss"),
        "repeats": len(rows),
    }


def benchmark_summary(benchmarks: list[dict]) -> dict:
    """Rows sorted by name, and the total wall-clock time of the jobs."""
    rows = sorted(benchmarks, key=lambda row: row["name"])
    return {"rows": rows, "total_wall_seconds": sum(row["wall_seconds"] for row in rows)}


def model_rows(metrics: list[dict]) -> list[dict]:
    """Each model's metrics, sorted by latent size; a clear error if a field is missing."""
    rows = []
    for model in metrics:
        missing = [key for key in MODEL_METRIC_KEYS if key not in model]
        if missing:
            raise LatentspaceError(f"metrics of latent size {model.get('latent_dim', '?')}: missing {', '.join(missing)}")
        rows.append(model)
    return sorted(rows, key=lambda model: model["latent_dim"])


def shared_dataset(models: list[dict]) -> dict | None:
    """The dataset summary the models were trained on (they must agree)."""
    summaries = [model["dataset"] for model in models if "dataset" in model]
    if not summaries:
        return None
    if any(summary != summaries[0] for summary in summaries[1:]):
        raise LatentspaceError(f"models were trained on different datasets: {summaries}")
    return summaries[0]


def derived_quantities(config: dict, latent_dims: list[int]) -> dict:
    """Numbers the prose quotes that follow from the configuration and from mathematics.

    Nothing here is measured; computing them keeps the prose in step with the config.
    """
    volumes = {n: ball_volume(n) for n in range(1, 41)}
    peak_dimension = max(volumes, key=volumes.get)
    grid = config.get("figures", {}).get("latent_grid", {})
    extent = grid.get("extent")
    return {
        "ball_volume": volumes,
        "ball_volume_peak_dimension": peak_dimension,
        "ball_volume_peak": volumes[peak_dimension],
        # Share of N(0, I_2) inside the square [-extent, extent]^2.
        "grid_prior_mass": math.erf(extent / math.sqrt(2.0)) ** 2 if extent else None,
        "sphere_radius": {dim: math.sqrt(dim) for dim in latent_dims},
        # Order of magnitude of 1 / P(||z|| < sqrt(p) / 2): "rarer than one in 10^k".
        "inner_half_rarity_exponent": {
            dim: math.floor(-log10_probability_norm_below(dim, 0.5)) for dim in latent_dims
        },
    }


def format_seconds(seconds: float | None) -> str:
    """12.3 s, 4 min 05 s, 1 h 02 min; an en dash where nothing was measured."""
    if seconds is None:
        return "\u2013"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, remainder = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {remainder:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


# --- reading files -----------------------------------------------------------------------


def load_benchmarks(named_paths: dict[str, Path]) -> list[dict]:
    benchmarks = []
    for name, path in named_paths.items():
        what = f"Snakemake's benchmark TSV of the {name} job"
        rows = read_csv_rows(path, what, ("s",), exact=False, delimiter="\t")
        if not rows:
            raise damaged(path, "holds no measurement", what)
        with checked_contents(path, what):
            benchmarks.append(summarise_benchmark(rows, name))
    return benchmarks


def parse_yaml(text: str, source: str, expected_type: type, expected: str):
    """YAML text whose top level must be ``expected_type``; one-line errors naming ``source``."""
    try:
        value = safe_load(text)
    except yaml.YAMLError as error:
        raise LatentspaceError(f"{source}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(value, expected_type):
        raise LatentspaceError(f"{source}: expected {expected}")
    return value


def config_snapshot_text(config: dict) -> str:
    """The validated configuration as YAML, keys in the order the config file gives them."""
    return yaml.safe_dump(config, sort_keys=False, default_flow_style=None, allow_unicode=True)
