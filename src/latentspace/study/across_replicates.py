"""The study's numbers across replicates: independently trained models of each latent size.

Every number the study reports for one model comes with an interval over its pairs (a
percentile bootstrap, ``latentspace.study.interpolation_quality``) or with none (the
ELBO, IWAE, KL, active units and norms of ``latentspace.study.latent_norms``). Those
intervals cover the pairs of one trained model, not its training: a model trained from
another seed lands elsewhere (issue 15: the z = 500 slerp - lerp gap ran from +0.005 to
+0.052 over four seeds, each with an interval about +-0.02 wide). Here, with R >= 2
replicates trained from their own seeds (``latentspace.training.replicates``), each number becomes
the mean over the replicates and an interval that covers both sources of variation.

Method for the midpoint numbers: all replicates score the same P endpoint pairs, so the
per-pair values d[r, i] form a two-way crossed design, replicate x pair. With the random
effects model d[r, i] = mu + T_r + P_i + E_ri (training, pair, and the pair's effect on
this model), the mean over all of them has variance

    V = s_T^2 / R + s_P^2 / P + s_E^2 / (R P),

estimated from the ANOVA mean squares (Searle, Casella & McCulloch 1992, "Variance
Components", ch. 4, the two-way crossed random model), each component floored at 0; the
interval is mean +- t_df sqrt(V), with Satterthwaite's (1946) degrees of freedom. When the
training dominates, df tends to R - 1: the interval is then the t interval over the
replicates' means that Bouthillier et al. (2021, "Accounting for variance in machine
learning benchmarks", MLSys) recommend; when the pairs dominate it is the usual interval
over pairs. Why not an interval over the replicates' means alone: the pairs are shared,
so the pair sampling they have in common does not show in the spread of the means (it
would be left out). Why not a two-level bootstrap (replicates, then pairs within each;
Davison & Hinkley 1997, "Bootstrap Methods and their Application", section 3.8): with
R = 2 to 5 replicates, resampling the replicates gives few distinct resamples and too
narrow an interval (the bootstrap variance of a mean of R draws is (R - 1) / R of the
right one, without t's tails). tests/test_study_replicates.py checks the coverage on
synthetic data with known between-replicate and pair variances.

Model statistics (ELBO, IWAE, KL, active units, norms) are measured on the one shared
test split with no interval of their own: with R >= 2 they get the t interval over the
replicates' values (R - 1 degrees of freedom), with one replicate none.

With one replicate every interval is the model's own one, unchanged: it covers the pairs of
one trained model, not the training, and the summary says so (``interval_covers``).
Nothing here writes a file; the summary step (``steps/study_summary.py``) gathers the
replicates' results and ``latentspace.study.tables`` builds the summary from them.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from latentspace.files.reading import damaged, read_npz
from latentspace.files.atomic import atomic_path
from latentspace.study.labels import METHODS, METRICS, SOURCES

# What an interval of the summary covers, by the number of replicates behind it.
COVERS_PAIRS = "pairs of one trained model"
COVERS_TRAINING = "training and pairs"
METHOD = (
    "two-way crossed random effects, replicate x pair: ANOVA variance components, t with "
    "Satterthwaite's degrees of freedom (Searle, Casella & McCulloch 1992); model statistics: "
    "t interval over the replicates (Bouthillier et al. 2021)"
)


def _regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) by its continued fraction (Press et al., "Numerical Recipes", 3rd ed., section 6.4)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):
        return 1.0 - _regularized_incomplete_beta(1.0 - x, b, a)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return math.exp(log_front) * fraction / a


def student_t_cdf(value: float, degrees_of_freedom: float) -> float:
    """P(T <= value) for Student's t with (possibly fractional) degrees of freedom."""
    tail = 0.5 * _regularized_incomplete_beta(
        degrees_of_freedom / (degrees_of_freedom + value * value), degrees_of_freedom / 2.0, 0.5
    )
    return 1.0 - tail if value > 0 else tail


@lru_cache(maxsize=256)
def student_t_quantile(probability: float, degrees_of_freedom: float) -> float:
    """The ``probability`` quantile (0.5 to 1) of Student's t, by bisection on :func:`student_t_cdf`.

    Plain Python: the summary step does not pay for importing scipy.stats.
    """
    if not 0.5 <= probability < 1.0 or not degrees_of_freedom > 0:
        raise ValueError(f"student_t_quantile: expected probability in [0.5, 1) and df > 0, "
                         f"got {probability}, {degrees_of_freedom}")
    low, high = 0.0, 1.0
    while student_t_cdf(high, degrees_of_freedom) < probability:
        low, high = high, 2.0 * high
    for _ in range(200):
        middle = 0.5 * (low + high)
        if student_t_cdf(middle, degrees_of_freedom) < probability:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return 0.5 * (low + high)


def mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def sample_sd(values: list[float]) -> float:
    """Standard deviation with R - 1 in the denominator (0 for one value)."""
    if len(values) < 2:
        return 0.0
    centre = mean(values)
    return math.sqrt(math.fsum((value - centre) ** 2 for value in values) / (len(values) - 1))


def replicates_disagree(means: list[float]) -> bool:
    """True when some replicate's mean is above 0 and another's below: the sign moves with the training."""
    return any(value > 0 for value in means) and any(value < 0 for value in means)


def t_interval(values: list[float], confidence_level: float) -> dict:
    """Mean of the replicates' values with Student's t interval (R - 1 degrees of freedom).

    One value: no interval (ci_low and ci_high None).
    """
    if not values:
        raise ValueError("t_interval: no replicate values")
    centre = mean(values)
    if len(values) == 1:
        return {"mean": centre, "ci_low": None, "ci_high": None}
    tail = (1.0 - confidence_level) / 2.0
    half_width = student_t_quantile(1.0 - tail, len(values) - 1) * sample_sd(values) / math.sqrt(len(values))
    return {"mean": centre, "ci_low": centre - half_width, "ci_high": centre + half_width}


def crossed_variance(per_pair: np.ndarray) -> tuple[float, float]:
    """Variance of the grand mean of per_pair (R replicates, P pairs), R, P >= 2, and its degrees of freedom.

    Two-way crossed random effects, one value per cell (module docstring): the components
    from the mean squares, each floored at 0; Satterthwaite's degrees of freedom.
    """
    replicates, pairs = per_pair.shape
    grand = per_pair.mean()
    row_means = per_pair.mean(axis=1)                                           # (R,)
    column_means = per_pair.mean(axis=0)                                        # (P,)
    residuals = per_pair - row_means[:, None] - column_means[None, :] + grand   # (R, P)
    ms_rows = pairs * np.sum((row_means - grand) ** 2) / (replicates - 1)
    ms_columns = replicates * np.sum((column_means - grand) ** 2) / (pairs - 1)
    ms_error = np.sum(residuals**2) / ((replicates - 1) * (pairs - 1))
    terms = (
        (max(ms_rows - ms_error, 0.0) / (pairs * replicates), replicates - 1),              # training
        (max(ms_columns - ms_error, 0.0) / (replicates * pairs), pairs - 1),                # pairs
        (ms_error / (replicates * pairs), (replicates - 1) * (pairs - 1)),                  # model x pair
    )
    variance = sum(term for term, _ in terms)
    if variance <= 0.0:
        return 0.0, float(replicates - 1)
    degrees = variance**2 / sum(term**2 / df for term, df in terms)
    return float(variance), float(degrees)


def crossed_interval(per_pair: np.ndarray, confidence_level: float) -> dict:
    """Mean over replicates and pairs of per_pair (R >= 2, P >= 2) with its interval: {mean, ci_low, ci_high}."""
    per_pair = np.asarray(per_pair, dtype=float)
    if per_pair.ndim != 2 or per_pair.shape[0] < 2 or per_pair.shape[1] < 2:
        raise ValueError(f"crossed_interval: expected (replicates >= 2, pairs >= 2) values, got {per_pair.shape}")
    variance, degrees = crossed_variance(per_pair)
    tail = (1.0 - confidence_level) / 2.0
    half_width = student_t_quantile(1.0 - tail, degrees) * math.sqrt(variance)
    centre = float(per_pair.mean())
    return {"mean": centre, "ci_low": centre - half_width, "ci_high": centre + half_width}


def interval_covers(replicates: int) -> str:
    """What the summary's intervals cover with this many replicates."""
    return COVERS_PAIRS if replicates == 1 else COVERS_TRAINING


# --------------------------------------------------------------------------
# Each pair's midpoint numbers, one file per model (the study-interpolation step)
# --------------------------------------------------------------------------

MIDPOINT_PAIRS_FILE = "a midpoint pairs .npz of the study-interpolation step"


def save_midpoint_pairs(path, latent_dim: int, pair_values: dict[str, np.ndarray]) -> None:
    """Write interpolation_quality.midpoint_pair_values: gaps, minus_lerp (S, M, Q, P), latent_dim."""
    with atomic_path(path) as tmp:
        np.savez(tmp, latent_dim=np.asarray(latent_dim), **pair_values)


def read_midpoint_pairs(path) -> dict:
    """{latent_dim, gaps, minus_lerp} of one model, checked against the study's sources, methods and metrics."""
    arrays = read_npz(path, MIDPOINT_PAIRS_FILE,
                      {"latent_dim": (np.integer, 0), "gaps": (np.floating, 4), "minus_lerp": (np.floating, 4)})
    expected = (len(SOURCES), len(METHODS), len(METRICS))
    for name in ("gaps", "minus_lerp"):
        if arrays[name].shape[:3] != expected or arrays[name].shape != arrays["gaps"].shape:
            raise damaged(path, f"array {name} is {arrays[name].shape}, not {expected} x pairs", MIDPOINT_PAIRS_FILE)
    return {"latent_dim": int(arrays["latent_dim"]), "gaps": arrays["gaps"], "minus_lerp": arrays["minus_lerp"]}


# --------------------------------------------------------------------------
# Aggregation of the replicates' results
# --------------------------------------------------------------------------

# Model statistics given across replicates: every number of the models table.
MODEL_NUMBERS = (
    "test_elbo_nats", "test_iwae_nats", "iwae_minus_elbo_nats", "kl_nats", "active_units",
    "prior_draw_norm_ratio_q50", "posterior_draw_norm_ratio_q50", "posterior_mean_norm_ratio_q50",
)
# The midpoint quantities with a per-pair file: the summary's columns and the arrays' names.
PAIR_QUANTITIES = {"gap": "gaps", "minus_lerp": "minus_lerp"}


def mean_statistics(statistics: list[dict]) -> dict:
    """One model's statistics (latent_norms.model_statistics) averaged over its replicates.

    Numbers are averaged (an integer stays one when all replicates agree), lists element by
    element, mappings key by key. The KL per unit is sorted from the largest first before
    it is averaged: unit i of one replicate has nothing to do with unit i of another, the
    i-th largest has.
    """
    if len(statistics) == 1:
        return statistics[0]
    prepared = [{**entry, "kl_per_dim_nats": sorted(entry["kl_per_dim_nats"], reverse=True)} for entry in statistics]
    return _mean_of(prepared)


def _mean_of(values: list):
    first = values[0]
    if isinstance(first, dict):
        return {key: _mean_of([value[key] for value in values]) for key in first}
    if isinstance(first, list):
        return [_mean_of(list(items)) for items in zip(*values)]
    if isinstance(first, bool) or not isinstance(first, (int, float)):
        return first
    if isinstance(first, int) and all(value == first for value in values):
        return first
    return mean([float(value) for value in values])


def model_numbers(statistics_by_replicate: list[dict], model_row, confidence_level: float) -> dict:
    """{number: {mean, ci_low, ci_high, replicates}} of one latent size, for MODEL_NUMBERS.

    ``model_row`` turns one replicate's statistics into its models-table row
    (``tables.model_row``), where the norms' medians have their columns.
    """
    rows = [model_row(statistics) for statistics in statistics_by_replicate]
    numbers = {}
    for name in MODEL_NUMBERS:
        values = [float(row[name]) for row in rows]
        numbers[name] = {**t_interval(values, confidence_level), "replicates": values}
    return numbers


def midpoint_across(
    rows_by_replicate: list[dict], pairs_by_replicate: list[np.ndarray] | None, quantity: str, confidence_level: float
) -> dict:
    """One midpoint quantity (``gap`` or ``minus_lerp``) across replicates: {mean, ci_low, ci_high, replicates}.

    ``rows_by_replicate``: the same midpoint row (latent size, source, method, metric) of
    every replicate, each with its own interval over pairs; ``pairs_by_replicate``: that
    row's per-pair values of every replicate (pairs,), lined up pair by pair. One
    replicate: its own row's interval. ``replicates`` lists each replicate's mean and
    interval.
    """
    own = [
        {"replicate": replicate, "mean": row[f"{quantity}_mean"], "ci_low": row[f"{quantity}_ci_low"],
         "ci_high": row[f"{quantity}_ci_high"]}
        for replicate, row in enumerate(rows_by_replicate)
    ]
    if len(rows_by_replicate) == 1:
        across = {key: own[0][key] for key in ("mean", "ci_low", "ci_high")}
    else:
        across = crossed_interval(np.stack(pairs_by_replicate), confidence_level)
    return {**across, "replicates": own}


def aggregate_midpoint_rows(
    rows_by_replicate: list[list[dict]],
    pairs_by_replicate: list[dict[int, dict]] | None,
    confidence_level: float,
) -> list[dict]:
    """The midpoint table across replicates, in replicate 0's order and columns.

    Each row keeps MIDPOINT_COLUMNS (means over replicates; the intervals across them) and
    gains ``gap_across`` and, except for lerp, ``minus_lerp_across``: the same interval
    with every replicate's own (:func:`midpoint_across`). ``pairs_by_replicate[r][dim]``
    is replicate r's :func:`read_midpoint_pairs`; it may be None for one replicate.
    """
    keyed = [
        {(row["latent_dim"], row["source"], row["method"], row["metric"]): row for row in rows}
        for rows in rows_by_replicate
    ]
    aggregated = []
    for row in rows_by_replicate[0]:
        key = (row["latent_dim"], row["source"], row["method"], row["metric"])
        missing = [replicate for replicate, rows in enumerate(keyed) if key not in rows]
        if missing:
            raise ValueError(f"replicate {missing[0]} has no midpoint row for latent size {key[0]}, {key[1:]}")
        same = [rows[key] for rows in keyed]
        index = (SOURCES.index(key[1]), METHODS.index(key[2]), METRICS.index(key[3]))
        result = dict(row)
        for column in ("endpoints_mean", "midpoint_mean"):
            result[column] = mean([entry[column] for entry in same])
        for quantity, array in PAIR_QUANTITIES.items():
            if f"{quantity}_mean" not in row:
                continue
            pairs = None if len(same) == 1 else [
                replicate_pairs[key[0]][array][index] for replicate_pairs in pairs_by_replicate
            ]
            across = midpoint_across(same, pairs, quantity, confidence_level)
            result.update({f"{quantity}_{name}": across[name] for name in ("mean", "ci_low", "ci_high")})
            result[f"{quantity}_across"] = across
        aggregated.append(result)
    return aggregated
