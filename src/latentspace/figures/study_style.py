"""Shared look of the study's figures: a colour per interpolation method, a panel grid per latent size."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt

from latentspace.figures.style import LERP_COLOR, SLERP_COLOR
from latentspace.study.labels import SOURCES

METHOD_COLORS = {"lerp": LERP_COLOR, "slerp": SLERP_COLOR, "distribution_matched": "#009E73"}
MAX_PANEL_COLUMNS = 4
PANEL_SIZE_INCHES = (2.5, 2.0)


def panel_grid(source_count: int, latent_dims: list[int], sharey: bool) -> tuple["plt.Figure", dict]:
    """A block of panel rows per source, a panel per latent size (at most 4 per row).

    Returns the figure and {(source, latent_dim): axes}; unused cells are hidden.
    """
    columns = min(MAX_PANEL_COLUMNS, len(latent_dims))
    rows_per_source = math.ceil(len(latent_dims) / columns)
    width, height = PANEL_SIZE_INCHES
    fig, grid = plt.subplots(
        source_count * rows_per_source, columns, figsize=(width * columns + 0.6, height * source_count * rows_per_source + 0.6),
        sharex=True, sharey=sharey, squeeze=False, layout="constrained",
    )
    axes = {}
    for source_index, source in enumerate(SOURCES[:source_count]):
        for index, latent_dim in enumerate(latent_dims):
            axes[(source, latent_dim)] = grid[source_index * rows_per_source + index // columns, index % columns]
        for index in range(len(latent_dims), rows_per_source * columns):
            grid[source_index * rows_per_source + index // columns, index % columns].set_visible(False)
    return fig, axes
