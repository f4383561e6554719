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
this model), the ANOVA mean squares of the design (Searle, Casella & McCulloch 1992,
"Variance Components", ch. 4, the two-way crossed random model) have expectations

    E MS_A = s_E^2 + P s_T^2      (replicates, R - 1 df)
    E MS_B = s_E^2 + R s_P^2      (pairs, P - 1 df)
    E MS_E = s_E^2                (residual, (R - 1)(P - 1) df)

and the mean over all of them has variance

    V = s_T^2 / R + s_P^2 / P + s_E^2 / (R P) = (E MS_A + E MS_B - E MS_E) / (R P).

The estimate is V^ = (MS_A + max(MS_B - MS_E, 0)) / (R P). The pairs' component
(MS_B - MS_E) / R is floored at 0, where MS_B <= MS_E (no pair effect shows), and MS_E is
never taken from MS_A: MS_A estimates the training and the model x pair noise together, as
V needs them, so V^ >= MS_A / (R P) > 0 and the combination MS_A + MS_B - MS_E is never
used below 0. (Flooring the pairs' component matters: without it, the interval covers 98%
of the time, not 95%, where the pairs add nothing, in a simulation of the design.)

The interval is mean +- t_nu sqrt(V^), with the degrees of freedom nu of Satterthwaite
(1946, "An approximate distribution of estimates of variance components", Biometrics
Bulletin 2: 110-114) computed on the mean squares themselves, the standard form for a
linear combination of mean squares (Searle, Casella & McCulloch 1992):

    nu = (RP V^)^2 / ( MS_A (RP V^) / (R - 1) + MS_B^2 / (P - 1) + MS_E^2 / ((R - 1)(P - 1)) ),

the pairs' two terms only where their component is above 0, and nu never below R - 1 (with
MS_B barely above MS_E their terms could push it lower). One change from Satterthwaite:
his training term is MS_A^2 / (R - 1); here it is MS_A (RP V^) / (R - 1), the geometric
mean of his term and (RP V^)^2 / (R - 1), the term that would give all of V^ the R - 1
degrees of freedom of the training (t with G - 1 degrees of freedom for G clusters: Donald
& Lang 2007, Review of Economics and Statistics 89: 221-233; Cameron & Miller 2015, Journal
of Human Resources 50: 317-372). Why: MS_A has R - 1 = 2 degrees of freedom with three
replicates, and where it comes out low, Satterthwaite's nu comes out high and the interval
is narrowed twice. Simulated (30,000 trials a case), his plain form covers 92.3% to 93.4%
with R = 3 wherever the training carries two thirds or more of V but not all of it; the
geometric mean covers 94% to 96.5% in every case we simulated with R = 3 to 5 (training,
pairs or the model x pair noise dominant, and mixes; normal or t(3) pair effects). With the
slow coverage test's seeds (five scenarios, 2,000 trials a cell, binomial s.e. 0.005), R = 3
and 5: his plain form 0.930 to 0.956 (0.930 and 0.932 at R = 3 with t(3) and normal pair
effects, realistic variances: on the test's 0.93 bound); his form with V^ = (MS_A + MS_B -
MS_E) / (R P) unfloored, 0.971 where the pairs add nothing (too wide); this one 0.941 to
0.963. The form before it, which floored the components and gave (MS_A - MS_E) / (R P) the R - 1
degrees of freedom of MS_A, covered 88% to 94% with realistic variances and R = 2 to 5
(with the slow test's seeds 0.918 and 0.922 at R = 3, t(3) and normal pair effects: it fails).
When the training dominates, nu tends to R - 1: the interval is then the t interval over
the replicates' means that Bouthillier et al. (2021, "Accounting for variance in machine
learning benchmarks", MLSys) recommend; when the pairs dominate it is the usual interval
over pairs.
Why not an interval over the replicates' means alone: the pairs are shared, so the pair
sampling they have in common does not show in the spread of the means (it would be left
out). Why not a two-level bootstrap (replicates, then pairs within each; Davison & Hinkley
1997, "Bootstrap Methods and their Application", section 3.8): with R = 2 to 5 replicates,
resampling the replicates gives few distinct resamples and too narrow an interval (the
bootstrap variance of a mean of R draws is (R - 1) / R of the right one, without t's
tails). tests/test_study_replicates.py checks the coverage on synthetic data with known
training, pair and model x pair variances.

Two replicates are too few for a verdict (``MIN_REPLICATES_FOR_VERDICT``): with one degree
of freedom across trainings, this interval covers 90% to 93% where the training carries
most of V, Satterthwaite's plain form 87% to 92%, and the intervals that keep 95% there
(t with R - 1 = 1 degree of freedom for all of V; the Behrens-Fisher fiducial interval)
cover 98% to 100% where the pairs dominate, so wide that they are not calibrated either.
With R = 2 the summary gives the interval and withholds the verdict.

What a verdict answers, and what it does not: the interval says whether the mean
difference over trainings and pairs is non-zero. Whether another training run, judged on
these pairs, would show the same sign is another question, answered by the prediction
interval over the replicates' means, ybar +- t(R - 1) s sqrt(1 + 1/R) (the new replicate's
mean shares the pairs' effects with the others, so only the training and the model x pair
noise enter s). Requiring every replicate to agree in sign, as the summary once did, answers
neither: it withdraws more verdicts as replicates are added.

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
    "two-way crossed random effects, replicate x pair: the ANOVA mean squares, t with Satterthwaite's "
    "degrees of freedom on them (Satterthwaite 1946; Searle, Casella & McCulloch 1992), the training's "
    "term made the geometric mean of his and the few-clusters one (R - 1 degrees of freedom); model "
    "statistics: t interval over the replicates (Bouthillier et al. 2021)"
)
# Fewer replicates than this give intervals but no verdict (module docstring: with two, no
# interval we simulated keeps its stated coverage).
MIN_REPLICATES_FOR_VERDICT = 3


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


def student_t_density(value: float, degrees_of_freedom: float) -> float:
    """The density of Student's t with (possibly fractional) degrees of freedom."""
    half = degrees_of_freedom / 2.0
    log_scale = math.lgamma(half + 0.5) - math.lgamma(half) - 0.5 * math.log(degrees_of_freedom * math.pi)
    return math.exp(log_scale - (half + 0.5) * math.log1p(value * value / degrees_of_freedom))


@lru_cache(maxsize=256)
def student_t_quantile(probability: float, degrees_of_freedom: float) -> float:
    """The ``probability`` quantile (0.5 to 1) of Student's t: Newton's steps on :func:`student_t_cdf`,
    kept inside a bracket that halves where a step would leave it.

    Plain Python: the summary step does not pay for importing scipy.stats.
    """
    if not 0.5 <= probability < 1.0 or not degrees_of_freedom > 0:
        raise ValueError(f"student_t_quantile: expected probability in [0.5, 1) and df > 0, "
                         f"got {probability}, {degrees_of_freedom}")
    if probability == 0.5:
        return 0.0
    low, high = 0.0, math.inf
    value = 1.0
    for _ in range(200):
        excess = student_t_cdf(value, degrees_of_freedom) - probability
        if excess < 0:
            low = value
        else:
            high = value
        step = excess / student_t_density(value, degrees_of_freedom)
        following = value - step
        if not low < following < high:
            following = 2.0 * low + 1.0 if high == math.inf else 0.5 * (low + high)
        if abs(following - value) <= 1e-13 * max(1.0, value):
            return following
        value = following
    return value


def mean(values: list[float]) -> float:
    return math.fsum(values) / len(values)


def sample_sd(values: list[float]) -> float:
    """Standard deviation with R - 1 in the denominator (0 for one value)."""
    if len(values) < 2:
        return 0.0
    centre = mean(values)
    return math.sqrt(math.fsum((value - centre) ** 2 for value in values) / (len(values) - 1))


def _t_half_width(values: list[float], confidence_level: float, spread: float) -> float:
    """t(R - 1) at the level's upper tail, times the values' standard deviation, times ``spread``."""
    tail = (1.0 - confidence_level) / 2.0
    return student_t_quantile(1.0 - tail, len(values) - 1) * sample_sd(values) * spread


def t_interval(values: list[float], confidence_level: float) -> dict:
    """Mean of the replicates' values with Student's t interval (R - 1 degrees of freedom).

    One value: no interval (ci_low and ci_high None).
    """
    if not values:
        raise ValueError("t_interval: no replicate values")
    centre = mean(values)
    if len(values) == 1:
        return {"mean": centre, "ci_low": None, "ci_high": None}
    half_width = _t_half_width(values, confidence_level, 1.0 / math.sqrt(len(values)))
    return {"mean": centre, "ci_low": centre - half_width, "ci_high": centre + half_width}


def prediction_interval(means: list[float], confidence_level: float) -> dict:
    """Where another replicate's mean, on the same pairs, falls: ybar +- t(R - 1) s sqrt(1 + 1/R).

    ``means``: each replicate's mean over the shared pairs (R >= 2). {low, high}.
    """
    if len(means) < 2:
        raise ValueError(f"prediction_interval: expected at least 2 replicates' means, got {len(means)}")
    centre = mean(means)
    half_width = _t_half_width(means, confidence_level, math.sqrt(1.0 + 1.0 / len(means)))
    return {"low": centre - half_width, "high": centre + half_width}


def mean_squares(per_pair: np.ndarray) -> tuple:
    """The two-way ANOVA mean squares (replicates, pairs, residual) of per_pair (..., R, P), R, P >= 2.

    Any leading axes are a batch (the coverage tests): the results have their shape.
    """
    replicates, pairs = per_pair.shape[-2:]
    grand = per_pair.mean(axis=(-2, -1), keepdims=True)                     # (..., 1, 1)
    row_means = per_pair.mean(axis=-1, keepdims=True)                       # (..., R, 1)
    column_means = per_pair.mean(axis=-2, keepdims=True)                    # (..., 1, P)
    residuals = per_pair - row_means - column_means + grand                 # (..., R, P)
    ms_rows = pairs * np.sum((row_means - grand) ** 2, axis=(-2, -1)) / (replicates - 1)
    ms_columns = replicates * np.sum((column_means - grand) ** 2, axis=(-2, -1)) / (pairs - 1)
    ms_error = np.sum(residuals**2, axis=(-2, -1)) / ((replicates - 1) * (pairs - 1))
    return ms_rows, ms_columns, ms_error


def crossed_variance(per_pair: np.ndarray) -> tuple:
    """Variance of the grand mean of per_pair (R replicates, P pairs), R, P >= 2, and its degrees of freedom.

    Two-way crossed random effects, one value per cell (module docstring): V^ = (MS_A +
    max(MS_B - MS_E, 0)) / (R P); Satterthwaite's degrees of freedom on the mean squares,
    the training's term the geometric mean of his and the few-clusters one, at least R - 1.
    Leading axes of per_pair are a batch: the variance and df are then arrays of their shape.
    """
    per_pair = np.asarray(per_pair, dtype=float)
    replicates, pairs = per_pair.shape[-2:]
    training_df = replicates - 1
    ms_training, ms_pairs, ms_error = mean_squares(per_pair)
    has_pairs = ms_pairs > ms_error
    combined = ms_training + np.where(has_pairs, ms_pairs - ms_error, 0.0)          # R P V^
    denominator = ms_training * combined / training_df + np.where(
        has_pairs, ms_pairs**2 / (pairs - 1) + ms_error**2 / (training_df * (pairs - 1)), 0.0
    )
    with np.errstate(invalid="ignore"):   # 0 / 0 where every value is the same: nu is then R - 1
        degrees = np.where(denominator > 0.0, combined**2 / denominator, training_df)
    degrees = np.maximum(degrees, training_df)
    variance = combined / (replicates * pairs)
    if per_pair.ndim == 2:
        return float(variance), float(degrees)
    return variance, degrees


def crossed_interval(per_pair: np.ndarray, confidence_level: float) -> dict:
    """Mean over replicates and pairs of per_pair (R >= 2, P >= 2) with its interval: {mean, ci_low, ci_high}."""
    per_pair = np.asarray(per_pair, dtype=float)
    if per_pair.ndim != 2 or per_pair.shape[0] < 2 or per_pair.shape[1] < 2:
        raise ValueError(f"crossed_interval: expected (replicates >= 2, pairs >= 2) values, got {per_pair.shape}")
    if not np.all(np.isfinite(per_pair)):
        raise ValueError(f"crossed_interval: expected finite values, got {np.count_nonzero(~np.isfinite(per_pair))} "
                         "NaN or infinite")
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
    """Write interpolation_quality.midpoint_pair_values (gaps, minus_lerp, midpoints (S, M, Q, P), ends
    (S, Q, P, 2)) and latent_dim."""
    with atomic_path(path) as tmp:
        np.savez(tmp, latent_dim=np.asarray(latent_dim), **pair_values)


def read_midpoint_pairs(path, model: str = "") -> dict:
    """{latent_dim, gaps, minus_lerp, path} of one model, checked against the study's sources, methods
    and metrics, and finite; ``model`` (such as "replicate 2") joins the latent size in a complaint."""
    arrays = read_npz(path, MIDPOINT_PAIRS_FILE,
                      {"latent_dim": (np.integer, 0), "gaps": (np.floating, 4), "minus_lerp": (np.floating, 4)})
    expected = (len(SOURCES), len(METHODS), len(METRICS))
    for name in ("gaps", "minus_lerp"):
        if arrays[name].shape[:3] != expected or arrays[name].shape != arrays["gaps"].shape:
            raise damaged(path, f"array {name} is {arrays[name].shape}, not {expected} x pairs", MIDPOINT_PAIRS_FILE)
    named = model_name(int(arrays["latent_dim"]), model)
    for name in ("gaps", "minus_lerp"):
        bad = np.argwhere(~np.isfinite(arrays[name]))
        if len(bad):
            source, method, metric, pair = bad[0]
            raise damaged(path, f"the {named} model's {name} hold {len(bad)} NaN or infinite value(s), the first at "
                                f"{SOURCES[source]}, {METHODS[method]}, {METRICS[metric]}, pair {pair}",
                          f"{MIDPOINT_PAIRS_FILE}, every value finite")
    return {"latent_dim": int(arrays["latent_dim"]), "gaps": arrays["gaps"], "minus_lerp": arrays["minus_lerp"],
            "path": str(path)}


def read_pair_scores(path, latent_dim: int, pairs: int) -> dict:
    """{midpoints (S, M, Q, P), ends (S, Q, P, 2), path}: the scores of one model's pairs at t = 0.5 by
    each flat method and at their ends (interpolation_quality.midpoint_pair_values), checked to be
    those of a model of ``latent_dim`` with ``pairs`` pairs per source, and finite."""
    arrays = read_npz(path, MIDPOINT_PAIRS_FILE,
                      {"latent_dim": (np.integer, 0), "midpoints": (np.floating, 4), "ends": (np.floating, 4)})
    named = model_name(latent_dim)
    if int(arrays["latent_dim"]) != latent_dim:
        raise damaged(path, f"holds the pairs of a z = {int(arrays['latent_dim'])} model, not of the {named} model",
                      MIDPOINT_PAIRS_FILE)
    expected = {"midpoints": (len(SOURCES), len(METHODS), len(METRICS), pairs), "ends": (len(SOURCES), len(METRICS), pairs, 2)}
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise damaged(path, f"array {name} is {arrays[name].shape}, not {shape} ({pairs} pairs per source)",
                          MIDPOINT_PAIRS_FILE)
        if not np.all(np.isfinite(arrays[name])):
            raise damaged(path, f"the {named} model's {name} hold {np.count_nonzero(~np.isfinite(arrays[name]))} NaN "
                                "or infinite value(s)", f"{MIDPOINT_PAIRS_FILE}, every value finite")
    return {"midpoints": arrays["midpoints"], "ends": arrays["ends"], "path": str(path)}


def model_name(latent_dim: int, model: str = "") -> str:
    """``z = 500`` or ``z = 500, replicate 2``: which model a message is about."""
    return f"z = {latent_dim}, {model}" if model else f"z = {latent_dim}"


def check_pair_counts(pairs_by_replicate: list[dict], model_names: list[str]) -> None:
    """Every replicate of a latent size scored the same number of pairs (the pairs are shared).

    ``pairs_by_replicate``: :func:`read_midpoint_pairs` of one latent size, replicate 0 first;
    a replicate whose count differs from replicate 0's raises one line naming its file and model.
    """
    expected = pairs_by_replicate[0]["gaps"].shape[-1]
    for entry, name in zip(pairs_by_replicate, model_names):
        count = entry["gaps"].shape[-1]
        if count != expected:
            raise damaged(entry["path"], f"the {model_name(entry['latent_dim'], name)} model scored {count} pairs, "
                                         f"the {model_name(pairs_by_replicate[0]['latent_dim'], model_names[0])} "
                                         f"model {expected}",
                          f"{MIDPOINT_PAIRS_FILE} of the same pairs as every replicate",
                          "re-run snakemake with the same study settings for every replicate")


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
    """One midpoint quantity (``gap`` or ``minus_lerp``) across replicates: {mean, ci_low, ci_high,
    replicates, prediction}.

    ``rows_by_replicate``: the same midpoint row (latent size, source, method, metric) of
    every replicate, each with its own interval over pairs; ``pairs_by_replicate``: that
    row's per-pair values of every replicate (pairs,), lined up pair by pair. One
    replicate: its own row's interval. ``replicates`` lists each replicate's mean and
    interval; ``prediction``, from MIN_REPLICATES_FOR_VERDICT replicates on (else None), is
    where another training run's mean on these pairs falls (:func:`prediction_interval`).
    """
    own = [
        {"replicate": replicate, "mean": row[f"{quantity}_mean"], "ci_low": row[f"{quantity}_ci_low"],
         "ci_high": row[f"{quantity}_ci_high"]}
        for replicate, row in enumerate(rows_by_replicate)
    ]
    prediction = None
    if len(rows_by_replicate) == 1:
        across = {key: own[0][key] for key in ("mean", "ci_low", "ci_high")}
    else:
        lengths = sorted({len(values) for values in pairs_by_replicate})
        if len(lengths) > 1:
            raise ValueError(f"midpoint_across: the replicates scored different numbers of pairs, {lengths}")
        per_pair = np.stack(pairs_by_replicate)                                          # (R, P)
        across = crossed_interval(per_pair, confidence_level)
        if len(rows_by_replicate) >= MIN_REPLICATES_FOR_VERDICT:
            prediction = prediction_interval([float(values.mean()) for values in per_pair], confidence_level)
    return {**across, "replicates": own, "prediction": prediction}


def aggregate_midpoint_rows(
    rows_by_replicate: list[list[dict]],
    pairs_by_replicate: list[dict[int, dict]] | None,
    confidence_level: float,
) -> list[dict]:
    """The midpoint table across replicates, in replicate 0's order and columns.

    Each row keeps MIDPOINT_COLUMNS (means over replicates; the intervals across them) and
    gains ``gap_across`` and, except for lerp, ``minus_lerp_across``: the same interval
    with every replicate's own (:func:`midpoint_across`). ``pairs_by_replicate[r][dim]``
    is replicate r's :func:`read_midpoint_pairs` (two replicates or more: one keeps its own rows).
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
            pairs = [replicate_pairs[key[0]][array][index] for replicate_pairs in pairs_by_replicate]
            across = midpoint_across(same, pairs, quantity, confidence_level)
            result.update({f"{quantity}_{name}": across[name] for name in ("mean", "ci_low", "ci_high")})
            result[f"{quantity}_across"] = across
        aggregated.append(result)
    return aggregated
