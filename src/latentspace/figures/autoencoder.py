"""F1: the auto-encoder diagram (article section 1), drawn from the configured layer widths.

input x (784 pixels) -> encoder (hidden layers) -> code z -> decoder (mirrored layers) ->
reconstruction x_hat, trained to make x_hat close to x. Box heights grow with the square
root of each layer's width, so the bottleneck reads as one.
"""

from __future__ import annotations

import math

from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle

from latentspace.figures import style
from latentspace.figures.rendering import plt
from latentspace.files.images import IMAGE_PIXELS, IMAGE_SIDE

ENCODER_FILL = "#D6E6F2"
DECODER_FILL = "#F6E0CF"
LAYER_FILL = "#FFFFFF"
CODE_FILL = style.CURRENT_COLOR
BOX_WIDTH = 0.36
MAX_BOX_HEIGHT = 3.0
MIN_BOX_HEIGHT = 0.45


def _box_height(width: int, input_dim: int) -> float:
    return max(MIN_BOX_HEIGHT, MAX_BOX_HEIGHT * math.sqrt(width / input_dim))


def autoencoder_figure(hidden_dims: list[int], input_dim: int = IMAGE_PIXELS) -> "plt.Figure":
    """The layers input_dim, *hidden_dims, z, *reversed(hidden_dims), input_dim as boxes."""
    if not hidden_dims or any(width < 1 for width in hidden_dims):
        raise ValueError(f"hidden_dims: expected positive layer widths, got {hidden_dims}")
    widths = [input_dim, *hidden_dims, None, *reversed(hidden_dims), input_dim]  # None: the code z
    code_index = len(hidden_dims) + 1
    step = 1.1
    xs = [index * step for index in range(len(widths))]
    heights = [MIN_BOX_HEIGHT if width is None else _box_height(width, input_dim) for width in widths]

    fig, ax = plt.subplots(figsize=(1.0 + 0.95 * len(widths), 3.6))
    left, right = xs[0], xs[-1]
    half = BOX_WIDTH / 2
    # Encoder and decoder as tapering bands behind the layer boxes.
    for first, last, fill, label in ((0, code_index, ENCODER_FILL, "encoder"),
                                     (code_index, len(widths) - 1, DECODER_FILL, "decoder")):
        corners = [(xs[first], heights[first] / 2), (xs[last], heights[last] / 2),
                   (xs[last], -heights[last] / 2), (xs[first], -heights[first] / 2)]
        ax.add_patch(Polygon(corners, closed=True, facecolor=fill, edgecolor="none", zorder=0))
        ax.text((xs[first] + xs[last]) / 2, MAX_BOX_HEIGHT / 2 + 0.25, label, ha="center", va="bottom",
                fontsize=11, fontweight="bold")
    for index, (x, width, height) in enumerate(zip(xs, widths, heights)):
        is_code = width is None
        ax.add_patch(Rectangle((x - half, -height / 2), BOX_WIDTH, height, zorder=2, linewidth=1,
                               facecolor=CODE_FILL if is_code else LAYER_FILL, edgecolor="black"))
        if is_code:
            label = "$z$\ncode\n(D values)"
        elif index == 0:
            label = f"$x$\n{IMAGE_SIDE}×{IMAGE_SIDE} =\n{input_dim} pixels"
        elif index == len(widths) - 1:
            label = f"$\\hat{{x}}$\nreconstruction\n{input_dim} pixels"
        else:
            label = f"{width}"
        ax.text(x, -MAX_BOX_HEIGHT / 2 - 0.15, label, ha="center", va="top", fontsize=9)
    for x_from, x_to in zip(xs[:-1], xs[1:]):
        ax.add_patch(FancyArrowPatch((x_from + half, 0), (x_to - half, 0), arrowstyle="-|>",
                                     mutation_scale=10, color=style.REFERENCE_COLOR, zorder=3))
    # The training signal: compare the reconstruction with the input.
    loss_y = -MAX_BOX_HEIGHT / 2 - 1.25
    ax.add_patch(FancyArrowPatch((left, loss_y), (right, loss_y), arrowstyle="<|-|>", mutation_scale=12,
                                 color=style.LERP_COLOR, linewidth=1.2, zorder=3))
    ax.text((left + right) / 2, loss_y - 0.12,
            "reconstruction loss: squared error or cross-entropy between $x$ and $\\hat{x}$",
            ha="center", va="top", fontsize=9, color=style.LERP_COLOR)
    ax.set_xlim(left - 0.7, right + 0.7)
    ax.set_ylim(loss_y - 0.6, MAX_BOX_HEIGHT / 2 + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig
