"""Shared look of the article's figures: one palette, one way to show digits and progress.

Importing it (through any figure module) also applies the deterministic rc settings of
:mod:`latentspace.figures.rendering`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from latentspace.figures import rendering  # noqa: F401  (Agg backend, svg.hashsalt, no dates)
from latentspace.figures.palette import (  # noqa: F401  (the figure modules read them here)
    COMPONENT_COLORS,
    CURRENT_COLOR,
    LERP_COLOR,
    PATH_COLOR,
    POINT_COLOR,
    REFERENCE_COLOR,
    SLERP_COLOR,
)

PROGRESS_CMAP = "viridis"       # colour along a path, from its start to its end
DENSITY_CMAP = "Greys"          # a probability density in the background
DIGIT_CMAP = "gray"             # decoded digits: black background, white strokes, as in MNIST

GRID_ALPHA = 0.3


def show_digit(ax: "plt.Axes", image) -> "plt.AxesImage":
    """Draw one uint8 (28, 28) digit on ``ax`` without ticks; returns the image artist."""
    artist = ax.imshow(image, cmap=DIGIT_CMAP, vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    return artist


def equal_square(ax: "plt.Axes", limit: float) -> None:
    """Square axes over [-limit, limit]^2 with equal scales and a light grid."""
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.grid(alpha=GRID_ALPHA)
