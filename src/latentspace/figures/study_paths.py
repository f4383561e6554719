"""Study figures: one metric along the interpolation paths, t from 0 to 1, per method.

One panel per latent size and endpoint source (prior draws, encoded test digits): the
mean over pairs at each t as a line, its bootstrap interval as a band, one colour per
method. Reads the rows of results/study/study_path_metrics.csv
(``latentspace.study.tables.PATH_COLUMNS``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from latentspace.figures.study_style import METHOD_COLORS, panel_grid
from latentspace.figures.style import GRID_ALPHA
from latentspace.study.labels import METHOD_LABELS, METHODS, METRIC_LABELS, SOURCE_LABELS, SOURCES

# Metrics whose scale changes with the latent size get a y axis per panel.
UNSHARED_METRICS = ("prior_log_density_nats",)


def path_metric_figure(rows: list[dict], metric: str) -> "plt.Figure":
    """``metric`` against t: a block of panels per source, a panel per latent size."""
    rows = [row for row in rows if row["metric"] == metric]
    if not rows:
        raise ValueError(f"no rows for the metric {metric!r}")
    latent_dims = sorted({row["latent_dim"] for row in rows})
    fig, axes = panel_grid(len(SOURCES), latent_dims, sharey=metric not in UNSHARED_METRICS)
    for (source, latent_dim), ax in axes.items():
        for method in METHODS:
            selected = sorted(
                (row for row in rows if row["source"] == source and row["method"] == method and row["latent_dim"] == latent_dim),
                key=lambda row: row["t"],
            )
            t = [row["t"] for row in selected]
            ax.fill_between(t, [r["ci_low"] for r in selected], [r["ci_high"] for r in selected],
                            color=METHOD_COLORS[method], alpha=0.2, linewidth=0)
            ax.plot(t, [r["mean"] for r in selected], color=METHOD_COLORS[method], label=METHOD_LABELS[method])
        if metric == "latent_norm_ratio":
            ax.axhline(1.0, color="#555555", linewidth=0.8, linestyle=":")
        ax.set_title(f"z = {latent_dim}, {SOURCE_LABELS[source]}", fontsize=9)
        ax.grid(alpha=GRID_ALPHA)
    for (source, latent_dim), ax in axes.items():
        if ax.get_subplotspec().is_last_row():
            ax.set_xlabel("t")
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(METRIC_LABELS[metric])
    first = next(iter(axes.values()))
    fig.legend(*first.get_legend_handles_labels(), loc="outside upper center", ncol=len(METHODS), frameon=False)
    return fig
