"""Study figure: slerp - lerp midpoint confidence of every replicate, and across them.

One panel per endpoint source (prior draws, encoded test digits); along the x axis the
latent sizes, evenly spaced. For each size, each replicate's mean over the pairs with its
own interval over the pairs (thin bars, one per replicate, left), and beside them (right,
black) the mean over the replicates with the interval across them, which covers the
training as well (``latentspace.study.across_replicates``). With one replicate there is
nothing across replicates to draw: each size shows that model's mean and interval over
the pairs, centred. Reads ``replicates.figure`` of
results/study/study_summary.json (``latentspace.study.tables.replicates_section``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from latentspace.figures.style import GRID_ALPHA, REFERENCE_COLOR, SLERP_COLOR
from latentspace.study.labels import SOURCE_LABELS, SOURCES

ACROSS_COLOR = "#000000"
# Horizontal room of one latent size (1 apart): the replicates spread over
# [REPLICATE_START, REPLICATE_START + REPLICATE_SPAN], the across bar at ACROSS_OFFSET.
REPLICATE_START = -0.4
REPLICATE_SPAN = 0.4
ACROSS_OFFSET = 0.25
EACH_LABEL = "each replicate (interval over pairs)"
ONE_LABEL = "the run's one model (interval over pairs)"


def replicate_midpoint_figure(figure: dict) -> "plt.Figure":
    """``figure``: {method_label, rows: [{latent_dim, source, mean, ci_low, ci_high, replicates: [...]}]}."""
    rows = figure["rows"]
    latent_dims = sorted({row["latent_dim"] for row in rows})
    fig, axes = plt.subplots(1, len(SOURCES), figsize=(4.2 * len(SOURCES), 3.4), sharey=True, squeeze=False,
                             layout="constrained")
    for source_index, source in enumerate(SOURCES):
        ax = axes[0, source_index]
        for position, latent_dim in enumerate(latent_dims):
            row = next(row for row in rows if (row["source"], row["latent_dim"]) == (source, latent_dim))
            replicates = row["replicates"]
            count = len(replicates)
            for index, replicate in enumerate(replicates):
                x = position + (REPLICATE_START + REPLICATE_SPAN * index / (count - 1) if count > 1 else 0.0)
                ax.errorbar(
                    x, replicate["mean"],
                    yerr=[[replicate["mean"] - replicate["ci_low"]], [replicate["ci_high"] - replicate["mean"]]],
                    color=SLERP_COLOR, marker="o", markersize=3 if count > 1 else 4,
                    linewidth=1.0 if count > 1 else 1.5, capsize=1.5 if count > 1 else 3,
                    label=(EACH_LABEL if count > 1 else ONE_LABEL) if position == index == 0 else None,
                )
            if count > 1:
                ax.errorbar(
                    position + ACROSS_OFFSET, row["mean"],
                    yerr=[[row["mean"] - row["ci_low"]], [row["ci_high"] - row["mean"]]],
                    color=ACROSS_COLOR, marker="D", markersize=4, linewidth=2.0, capsize=3,
                    label="across replicates" if position == 0 else None,
                )
        ax.axhline(0.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
        several = max(len(row["replicates"]) for row in rows) > 1
        centre = (REPLICATE_START + ACROSS_OFFSET) / 2 if several else 0.0
        ax.set_xticks([position + centre for position in range(len(latent_dims))], [f"z = {dim}" for dim in latent_dims])
        if several:
            ax.set_xlim(REPLICATE_START - 0.3, len(latent_dims) - 1 + ACROSS_OFFSET + 0.3)
        else:
            ax.set_xlim(-0.5, len(latent_dims) - 0.5)
        ax.grid(alpha=GRID_ALPHA, axis="y")
        ax.set_title(f"between {SOURCE_LABELS[source]}", fontsize=10)
        if source_index == 0:
            ax.set_ylabel(f"midpoint confidence, {figure['method_label']} \u2212 lerp", fontsize=8.5)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=len(labels), frameon=False)
    return fig
