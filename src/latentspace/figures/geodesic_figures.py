"""The study's geodesic figures, drawn from arrays (no torch): the z = 2 plane and the decoded digits.

* The plane (after Arvanitidis, Hansen & Hauberg 2018, "Latent Space Oddity", figure 4):
  the magnification factor sqrt(det G(z)) of the decoder's pulled-back Fisher-Rao metric
  over a square of the z = 2 plane, on a logarithmic grey scale (dark: the decoder stretches
  the plane most, its digits change fastest), and a few pairs joined by lerp, slerp and
  the geodesic.
* The digits: for each latent size, each pair of the examples as three rows of digits decoded
  at the study's values of t, lerp, slerp and geodesic, as Figure 11 shows lerp and slerp.

The arrays come from the study-geodesic step's examples
(``latentspace.study.geodesic_tables.read_geodesic_examples``) and, for the plane, from the
magnification map its own step computes.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D

from latentspace.figures.mosaic import tile_images
from latentspace.figures.rendering import plt
from latentspace.figures.study_style import METHOD_COLORS as FLAT_METHOD_COLORS
from latentspace.study.labels import METHOD_LABELS, SOURCE_LABELS, SOURCES

# The methods of the examples, in the order of their arrays (geodesic_quality.EXAMPLE_METHODS).
EXAMPLE_METHODS = ("lerp", "slerp", "geodesic")
# The flat paths in the study's colours, the geodesic in Okabe-Ito's reddish purple.
METHOD_COLORS = {**FLAT_METHOD_COLORS, "geodesic": "#CC79A7"}
LINE_STYLES = {"lerp": "--", "slerp": ":", "geodesic": "-"}
SOURCE_MARKERS = {"prior": "o", "encoded": "s"}
MAGNIFICATION_CMAP = "Greys"
DIGIT_GAP = 2      # white pixels between neighbouring digits


def plane_figure(extent: float, magnification: np.ndarray, latents: np.ndarray) -> "plt.Figure":
    """The z = 2 plane: magnification (steps, steps), row 0 at y = -extent, and the examples' paths.

    ``latents`` (S, E, 3, N, 2): per source and example pair, lerp, slerp and geodesic.
    """
    if latents.shape[-1] != 2 or latents.shape[2] != len(EXAMPLE_METHODS):
        raise ValueError(f"latents: expected (sources, pairs, 3, points, 2), got {latents.shape}")
    positive = magnification[magnification > 0]
    low, high = (positive.min(), positive.max()) if positive.size else (1e-3, 1.0)
    fig, ax = plt.subplots(figsize=(6.4, 5.6), layout="constrained")
    image = ax.imshow(np.clip(magnification, low, None), extent=(-extent, extent, -extent, extent), origin="lower",
                      cmap=MAGNIFICATION_CMAP, norm=LogNorm(vmin=low, vmax=high), interpolation="nearest")
    fig.colorbar(image, ax=ax, shrink=0.85, label="magnification factor $\\sqrt{\\det G(z)}$")
    for source_index, source in enumerate(SOURCES[: latents.shape[0]]):
        for pair in latents[source_index]:
            for method_index, method in enumerate(EXAMPLE_METHODS):
                ax.plot(*pair[method_index].T, LINE_STYLES[method], color=METHOD_COLORS[method], linewidth=1.6)
            for end in (pair[0, 0], pair[0, -1]):
                ax.plot(*end, SOURCE_MARKERS[source], color="black", markerfacecolor="white", markersize=5.5)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set(xlabel="$z_1$", ylabel="$z_2$")
    handles = [Line2D([], [], linestyle=LINE_STYLES[method], color=METHOD_COLORS[method], linewidth=1.6,
                      label=METHOD_LABELS[method]) for method in EXAMPLE_METHODS]
    handles += [Line2D([], [], linestyle="", marker=SOURCE_MARKERS[source], color="black", markerfacecolor="white",
                       label=f"ends: {SOURCE_LABELS[source]}") for source in SOURCES[: latents.shape[0]]]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    return fig


def digits_figure(examples: list[dict]) -> "plt.Figure":
    """Per latent size (one column each), per example pair (one panel each), the digits of lerp, slerp and geodesic at t.

    ``examples``: read_geodesic_examples of each size, in the order to draw them; all hold
    the same number of pairs per source.
    """
    if not examples:
        raise ValueError("no examples to draw")
    sources, shown = examples[0]["images"].shape[:2]
    if any(entry["images"].shape[:2] != (sources, shown) for entry in examples):
        raise ValueError("the examples of the latent sizes hold different numbers of pairs")
    panels = [(source_index, pair_index) for source_index in range(sources) for pair_index in range(shown)]
    fig, grid = plt.subplots(len(panels), len(examples), figsize=(3.3 * len(examples) + 0.9, 1.05 * len(panels) + 0.5),
                             squeeze=False, layout="constrained")
    for column, entry in enumerate(examples):
        images = entry["images"]                                                # (S, E, 3, T, 28, 28)
        side = images.shape[-1]
        for row, (source_index, pair_index) in enumerate(panels):
            ax = grid[row, column]
            mosaic = tile_images(images[source_index, pair_index], padding=DIGIT_GAP, fill=255)  # 3 rows of T digits
            ax.imshow(mosaic, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([(side + DIGIT_GAP) * index + side / 2 for index in range(len(EXAMPLE_METHODS))],
                          [METHOD_LABELS[method] for method in EXAMPLE_METHODS], fontsize=7.5)
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            if row == 0:
                ax.set_title(f"z = {entry['latent_dim']}", fontsize=10)
            if column == 0:
                ax.set_ylabel(f"{SOURCE_LABELS[SOURCES[source_index]]}\npair {pair_index + 1}", fontsize=8)
    return fig
