"""F3 and F7: animations of a decoded latent path, one frame per decoded point.

F3 (article section 4) walks the 2-D spiral x(t) = (0.2 t - 2) sin t, y(t) = (0.2 t - 2) cos t
of the z = 2 model: the path so far over the prior density N(0, I_2), the two components
against t, and the decoded digit.
F7 (section 6) walks a spiral on the sphere of radius sqrt(D) of a D-dim model (z = 10):
the D components as bars, the path's projection on its last two axes (where the spiral
turns), and the decoded digit.

Each function returns a :class:`~latentspace.figures.animation.Scene`; the artists that
move are updated in place (see :mod:`latentspace.figures.animation`).
"""

from __future__ import annotations

import math

import numpy as np

from latentspace.figures import style
from latentspace.figures.animation import Scene, animation_figure, text_scaled_to_frame
from latentspace.model.geometry import prior_log_density
from latentspace.model.latent_paths import DecodedPath

DENSITY_GRID_STEPS = 200  # pixels per side of the background prior density


def _digit_panel(ax, decoded: DecodedPath, label_format: str):
    """The decoded digit of frame 0 and a caption above it; returns (image, caption) artists."""
    digit = style.show_digit(ax, decoded.images[0])
    ax.set_title("decoded digit")
    caption = ax.text(0.5, -0.04, label_format.format(decoded.t[0]), transform=ax.transAxes,
                      ha="center", va="top")
    return digit, caption


def spiral_2d_scene(decoded: DecodedPath, width_px: int, height_px: int, density_extent: float) -> Scene:
    """F3: three panels per frame (path over the prior density, components against t, digit)."""
    if decoded.latent_dim != 2:
        raise ValueError(f"decoded path: F3 needs a 2-D path, got latent_dim {decoded.latent_dim}")
    latents, times = decoded.latents, decoded.t                                 # (N, 2), (N,)
    with text_scaled_to_frame(width_px, height_px):
        fig = animation_figure(width_px, height_px)
        plane_ax, components_ax, digit_ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.5, 0.9]})
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.16, top=0.88, wspace=0.3)

        # Prior density N(0, I_2) on a grid over [-extent, extent]^2.
        axis = np.linspace(-density_extent, density_extent, DENSITY_GRID_STEPS)    # (G,)
        grid = np.stack(np.meshgrid(axis, axis), axis=-1)                           # (G, G, 2)
        density = np.exp(prior_log_density(grid))                                   # (G, G)
        plane_ax.imshow(density, origin="lower", cmap=style.DENSITY_CMAP,
                        extent=(-density_extent, density_extent, -density_extent, density_extent),
                        interpolation="bilinear", vmin=0, vmax=2 * density.max())  # peak mid-grey: path stays visible
        plane_ax.plot(latents[:, 0], latents[:, 1], color=style.PATH_COLOR, alpha=0.25, linewidth=1)
        (trail,) = plane_ax.plot([], [], color=style.PATH_COLOR, linewidth=2)
        (current,) = plane_ax.plot([], [], "o", color=style.CURRENT_COLOR, markersize=6)
        plane_ax.set(xlim=(-density_extent, density_extent), ylim=(-density_extent, density_extent),
                     xlabel="$z_1$", ylabel="$z_2$", title="path over the prior $N(0, I)$")
        plane_ax.set_aspect("equal")

        names = ("$z_1(t) = (0.2t - 2)\\,\\sin t$", "$z_2(t) = (0.2t - 2)\\,\\cos t$")
        component_lines = []
        for k, color in enumerate(style.COMPONENT_COLORS[:2]):
            components_ax.plot(times, latents[:, k], color=color, alpha=0.25, linewidth=1)
            (line,) = components_ax.plot([], [], color=color, linewidth=2, label=names[k])
            component_lines.append(line)
        cursor = components_ax.axvline(times[0], color=style.CURRENT_COLOR, linewidth=1)
        components_ax.set(xlim=(times[0], times[-1]), xlabel="$t$ (radians)", ylabel="latent component",
                          title="components against $t$")
        components_ax.grid(alpha=style.GRID_ALPHA)
        components_ax.legend(loc="upper right", fontsize="small")

        digit, caption = _digit_panel(digit_ax, decoded, "t = {:.2f}")

    def update(index: int) -> None:
        trail.set_data(latents[: index + 1, 0], latents[: index + 1, 1])
        current.set_data(latents[index : index + 1, 0], latents[index : index + 1, 1])
        for k, line in enumerate(component_lines):
            line.set_data(times[: index + 1], latents[: index + 1, k])
        cursor.set_xdata([times[index], times[index]])
        digit.set_data(decoded.images[index])
        caption.set_text(f"t = {times[index]:.2f}")

    animated = [trail, current, *component_lines, cursor, digit, caption]
    return Scene(fig, animated, update, len(times))


def sphere_spiral_scene(decoded: DecodedPath, width_px: int, height_px: int) -> Scene:
    """F7: the D components as bars, the projection on (z_{D-1}, z_D), and the decoded digit."""
    latent_dim = decoded.latent_dim
    if latent_dim < 3:
        raise ValueError(f"decoded path: F7 needs a path in 3 or more dimensions, got {latent_dim}")
    latents = decoded.latents                                                   # (N, D)
    radius = float(np.linalg.norm(latents[0]))
    x_axis, y_axis = latent_dim - 2, latent_dim - 1
    with text_scaled_to_frame(width_px, height_px):
        fig = animation_figure(width_px, height_px)
        bars_ax, plane_ax, digit_ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.5, 1.0, 0.9]})
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.16, top=0.88, wspace=0.3)

        dims = np.arange(1, latent_dim + 1)
        bars = bars_ax.bar(dims, latents[0], color=style.PATH_COLOR, width=0.7)
        bars_ax.axhline(0, color=style.REFERENCE_COLOR, linewidth=0.8)
        bars_ax.set(xlim=(0.4, latent_dim + 0.6), ylim=(-1.05 * radius, 1.05 * radius),
                    xlabel="component $k$", ylabel="$z_k$",
                    title=f"$z$ on the sphere $\\|z\\| = \\sqrt{{{latent_dim}}} \\approx {radius:.2f}$")
        bars_ax.set_xticks(dims if latent_dim <= 20 else dims[:: math.ceil(latent_dim / 10)])
        bars_ax.grid(axis="y", alpha=style.GRID_ALPHA)

        plane_ax.plot(latents[:, x_axis], latents[:, y_axis], color=style.PATH_COLOR, alpha=0.2, linewidth=0.8)
        (trail,) = plane_ax.plot([], [], color=style.PATH_COLOR, linewidth=1.5)
        (current,) = plane_ax.plot([], [], "o", color=style.CURRENT_COLOR, markersize=6)
        style.equal_square(plane_ax, 1.05 * radius)
        plane_ax.set(xlabel=f"$z_{{{x_axis + 1}}}$", ylabel=f"$z_{{{y_axis + 1}}}$", title="last two components")

        digit, caption = _digit_panel(digit_ax, decoded, "progress {:.0%}")

    def update(index: int) -> None:
        for bar, height in zip(bars, latents[index]):
            bar.set_height(height)
        trail.set_data(latents[: index + 1, x_axis], latents[: index + 1, y_axis])
        current.set_data(latents[index : index + 1, x_axis], latents[index : index + 1, y_axis])
        digit.set_data(decoded.images[index])
        caption.set_text(f"progress {decoded.t[index]:.0%}")

    animated = [*bars, trail, current, digit, caption]
    return Scene(fig, animated, update, len(latents))


def render_path_animation(path_file, settings, make_scene, output, poster, webm=None) -> None:
    """Animate the decoded path in ``path_file``: ``make_scene(decoded)`` builds the scene, ``settings``
    (a :class:`~latentspace.settings.declared.VideoSettings`) encodes it into ``output``, ``poster``
    and, when given, ``webm``."""
    import sys

    from latentspace.errors import LatentspaceError
    from latentspace.figures.animation import render_animation
    from latentspace.model.latent_paths import load_decoded_path

    decoded = load_decoded_path(path_file)
    try:
        scene = make_scene(decoded)
    except ValueError as error:
        raise LatentspaceError(f"{path_file}: {error}") from None
    times = render_animation(scene, settings, output, poster, webm)
    print(times.summary(), file=sys.stderr)
