"""Study figure: the midpoint gap of every metric against the latent size.

The gap of a pair is its value at t = 0.5 minus the mean of its two endpoints' values;
each point is the mean over pairs with its bootstrap interval as an error bar. A row
per metric, a column per endpoint source, a colour per method; the methods are nudged
sideways so that their bars do not hide each other. Reads the rows of
results/study/study_midpoints.csv (``latentspace.study.tables.MIDPOINT_COLUMNS``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from latentspace.figures.study_style import METHOD_COLORS
from latentspace.figures.style import GRID_ALPHA, REFERENCE_COLOR
from latentspace.study.labels import METHOD_LABELS, METHODS, METRIC_LABELS, METRICS, SOURCE_LABELS, SOURCES

# Factor between neighbouring methods on the logarithmic latent-size axis.
NUDGE_FACTOR = 1.08
# Metrics whose gap grows with the latent size: a symmetric-log y axis.
SYMLOG_METRICS = ("prior_log_density_nats",)


def midpoint_gap_figure(rows: list[dict]) -> "plt.Figure":
    latent_dims = sorted({row["latent_dim"] for row in rows})
    fig, grid = plt.subplots(
        len(METRICS), len(SOURCES), figsize=(8.0, 2.1 * len(METRICS) + 0.6),
        sharex=True, sharey="row", squeeze=False, layout="constrained",
    )
    for metric_index, metric in enumerate(METRICS):
        for source_index, source in enumerate(SOURCES):
            ax = grid[metric_index, source_index]
            for method_index, method in enumerate(METHODS):
                selected = sorted(
                    (row for row in rows if (row["metric"], row["source"], row["method"]) == (metric, source, method)),
                    key=lambda row: row["latent_dim"],
                )
                nudge = NUDGE_FACTOR ** (method_index - (len(METHODS) - 1) / 2)
                x = [row["latent_dim"] * nudge for row in selected]
                mean = [row["gap_mean"] for row in selected]
                error = [[m - row["gap_ci_low"] for m, row in zip(mean, selected)],
                         [row["gap_ci_high"] - m for m, row in zip(mean, selected)]]
                ax.errorbar(x, mean, yerr=error, color=METHOD_COLORS[method], marker="o", markersize=3.5,
                            linewidth=1.2, capsize=2, label=METHOD_LABELS[method])
            ax.axhline(0.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
            ax.set_xscale("log")
            if metric in SYMLOG_METRICS:
                ax.set_yscale("symlog", linthresh=1.0)
            ax.set_xticks(latent_dims, [str(dim) for dim in latent_dims])
            ax.minorticks_off()
            ax.grid(alpha=GRID_ALPHA)
            if metric_index == 0:
                ax.set_title(f"between {SOURCE_LABELS[source]}", fontsize=10)
            if source_index == 0:
                ax.set_ylabel(f"gap in {METRIC_LABELS[metric]}", fontsize=8.5)
            if metric_index == len(METRICS) - 1:
                ax.set_xlabel("latent size p")
    fig.legend(*grid[0, 0].get_legend_handles_labels(), loc="outside upper center", ncol=len(METHODS), frameon=False)
    return fig
