"""F6, F8, F9: spirals on spheres and their planar projections (article sections 5 and 6).

The spiral of :func:`latentspace.model.geometry.sphere_spiral` on the unit sphere of R^n, in
hyperspherical coordinates (Blumenson 1960): th_1..th_{n-2} sweep [0, pi] together while
th_{n-1} makes ``turns`` turns. Its colour runs along the path, so th_1 can be read off it.
F6 draws the 3-D spiral over points drawn uniformly on the sphere; F8 its three pairwise
projections (x_1-x_2, x_1-x_3, x_2-x_3); F9 the six pairwise projections of the same kind of
path on the sphere of R^4.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from mpl_toolkits.mplot3d.art3d import Line3DCollection

from latentspace.figures import style
from latentspace.figures.rendering import plt
from latentspace.model.geometry import sphere_spiral, uniform_on_sphere

# The path is drawn as this many polylines of one colour each (a few kB of SVG, not one
# element per segment).
COLOR_CHUNKS = 64


def progress_chunks(points: np.ndarray, chunks: int = COLOR_CHUNKS) -> list[np.ndarray]:
    """Split a path (N, k) into at most ``chunks`` consecutive pieces that share their end points."""
    if len(points) < 2:
        return [points]
    bounds = np.unique(np.linspace(0, len(points) - 1, min(chunks, len(points) - 1) + 1).round().astype(int))
    return [points[start : stop + 1] for start, stop in zip(bounds[:-1], bounds[1:])]


def _chunk_colors(count: int) -> np.ndarray:
    """RGBA colours (count, 4) running through the progress colour map."""
    return plt.get_cmap(style.PROGRESS_CMAP)((np.arange(count) + 0.5) / count)


def add_progress_line(ax, points: np.ndarray, linewidth: float = 1.2):
    """Draw a 2-D (N, 2) or 3-D (N, 3) path on ``ax`` coloured from its start to its end."""
    pieces = progress_chunks(points)
    collection_class = Line3DCollection if points.shape[1] == 3 else LineCollection
    collection = collection_class(pieces, colors=_chunk_colors(len(pieces)), linewidths=linewidth)
    if points.shape[1] == 3:
        ax.add_collection3d(collection)
    else:
        ax.add_collection(collection)
    return collection


def _polar_angle_colorbar(fig, axes, pad: float = 0.02) -> None:
    """A colour bar that reads the path's colour as its polar angle th_1 in [0, pi]."""
    mappable = plt.cm.ScalarMappable(Normalize(0, math.pi), plt.get_cmap(style.PROGRESS_CMAP))
    colorbar = fig.colorbar(mappable, ax=axes, shrink=0.7, pad=pad)
    colorbar.set_ticks([0, math.pi / 2, math.pi], labels=["0", "$\\pi/2$", "$\\pi$"])
    colorbar.set_label("polar angle $\\theta_1$ (radians)")


def sphere_spiral_3d_figure(turns: float, steps: int, uniform_points: int, seed: int) -> "plt.Figure":
    """F6: the spiral on the unit sphere of R^3 over ``uniform_points`` uniform points."""
    cloud = uniform_on_sphere(3, uniform_points, 1.0, np.random.default_rng(seed))  # (M, 3)
    path = sphere_spiral(3, 1.0, steps, turns)                                      # (N, 3)
    fig = plt.figure(figsize=(6.4, 5.4))
    ax = fig.add_subplot(projection="3d")
    ax.scatter(*cloud.T, s=2, color=style.POINT_COLOR, alpha=0.6, depthshade=False, label="uniform on the sphere")
    add_progress_line(ax, path, linewidth=1.4)
    ax.plot(*path[:1].T, "o", color="black", markersize=4, label="start: $\\theta_1 = 0$")
    ticks = [-1, 0, 1]
    ax.set(xlim=(-1, 1), ylim=(-1, 1), zlim=(-1, 1), xticks=ticks, yticks=ticks, zticks=ticks,
           xlabel="$x_1$", ylabel="$x_2$", zlabel="$x_3$")
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=18, azim=-50)
    ax.set_title(f"A spiral on the unit sphere of $R^3$:\n$\\theta_1$ sweeps $[0, \\pi]$ while $\\theta_2$ "
                 f"makes {turns:g} turns")
    ax.legend(loc="upper left", fontsize=8)
    _polar_angle_colorbar(fig, ax, pad=0.1)
    return fig


def projections_figure(n: int, turns: float, steps: int) -> "plt.Figure":
    """F8 (n = 3) and F9 (n = 4): every pairwise projection (x_i, x_j) of the spiral in R^n."""
    if n < 3:
        raise ValueError(f"n: expected a sphere in 3 or more dimensions, got {n}")
    path = sphere_spiral(n, 1.0, steps, turns)                                      # (N, n)
    pairs = list(itertools.combinations(range(n), 2))
    columns = 3
    rows = math.ceil(len(pairs) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.1 * columns + 1.2, 3.1 * rows), squeeze=False,
                             constrained_layout=True)
    circle = np.linspace(0, 2 * math.pi, 361)
    for ax, (i, j) in zip(axes.flat, pairs):
        ax.plot(np.cos(circle), np.sin(circle), color=style.REFERENCE_COLOR, linestyle=":", linewidth=0.8)
        add_progress_line(ax, path[:, [i, j]])
        style.equal_square(ax, 1.1)
        ax.set(xlabel=f"$x_{i + 1}$", ylabel=f"$x_{j + 1}$")
    for ax in axes.flat[len(pairs):]:
        ax.set_visible(False)
    angles = "$\\theta_1$ sweeps" if n == 3 else f"$\\theta_1 \\ldots \\theta_{{{n - 2}}}$ sweep"
    fig.suptitle(f"Pairwise projections of a spiral on the unit sphere of $R^{n}$: {angles} $[0, \\pi]$, "
                 f"$\\theta_{{{n - 1}}}$ makes {turns:g} turns")
    _polar_angle_colorbar(fig, axes)
    return fig
