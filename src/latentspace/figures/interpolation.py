"""F10, F11, F12: interpolating between two latent points (article section 7).

lerp(i, j, t) = i + t (j - i) follows the chord between i and j; slerp (Shoemake, SIGGRAPH
1985) follows the great-circle arc, sin((1 - t) th) / sin(th) i + sin(t th) / sin(th) j with
th the angle between i and j. Under a N(0, I_p) prior almost all codes have a norm close to
sqrt(p) (the chi distribution), so the chord leaves the shell where the decoder was trained:
at t = 1/2 its norm is sqrt(p) cos(th / 2), about sqrt(p) / sqrt(2) for the nearly orthogonal
endpoints that two draws in high dimension are.

F10 draws the picture in the plane; F11 tiles the digits decoded along both paths (lerp on
top, slerp below) with the z = 500 model, and its summary carries the geometry the page
quotes (the study, not this module, scores each digit: latentspace.study.pair_scores);
F12 plots the norm along both paths.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.patches import Annulus

from latentspace.figures import style
from latentspace.figures.mosaic import tile_images
from latentspace.figures.rendering import plt
from latentspace.model.geometry import chi_mean_and_std, lerp, slerp
from latentspace.model.latent_paths import DecodedPath, check_interpolation_pair

MOSAIC_FILL = 255  # white gaps between the digits (MNIST digits are white on black)


def _angle_between(a: np.ndarray, b: np.ndarray) -> float:
    """Angle in radians between two vectors (n,), stable for nearly (anti)parallel ones."""
    a_unit, b_unit = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return 2.0 * math.atan2(np.linalg.norm(a_unit - b_unit), np.linalg.norm(a_unit + b_unit))


# --------------------------------------------------------------------------
# F10
# --------------------------------------------------------------------------


def lerp_vs_slerp_figure(angle_degrees: float, steps: int) -> "plt.Figure":
    """F10: chord (lerp) and arc (slerp) between two points of a circle at ``angle_degrees``."""
    if not 0 < angle_degrees < 180:
        raise ValueError(f"angle_degrees: expected an angle strictly between 0 and 180, got {angle_degrees}")
    if steps < 2:
        raise ValueError(f"steps: expected at least 2, got {steps}")
    half = math.radians(angle_degrees) / 2
    start = np.array([-math.sin(half), math.cos(half)])                         # (2,), on the unit circle
    end = np.array([math.sin(half), math.cos(half)])                            # (2,)
    fractions = np.linspace(0.0, 1.0, steps)
    chord, arc = lerp(start, end, fractions), slerp(start, end, fractions)      # (steps, 2) each

    fig, ax = plt.subplots(figsize=(5.6, 6.0), layout="constrained")
    circle = np.linspace(0, 2 * math.pi, 361)
    ax.add_patch(Annulus((0, 0), 1.08, 0.16, color=style.REFERENCE_COLOR, alpha=0.15, linewidth=0,
                         label="shell where the prior's codes lie"))
    ax.plot(np.cos(circle), np.sin(circle), color=style.REFERENCE_COLOR, linewidth=1,
            label="sphere of radius $\\sqrt{p}$ (drawn as 1)")
    ax.plot(*chord.T, "o-", color=style.LERP_COLOR, markersize=4, label="lerp: the chord, inside the sphere")
    ax.plot(*arc.T, "o-", color=style.SLERP_COLOR, markersize=4, label="slerp: the arc, on the sphere")
    midpoint = lerp(start, end, 0.5)[0]
    ax.plot([0, 0], [0, 1], color=style.REFERENCE_COLOR, linestyle="--", linewidth=0.8)
    ax.annotate(f"$\\|\\mathrm{{lerp}}(\\frac{{1}}{{2}})\\| = \\cos(\\theta/2) \\approx {midpoint[1]:.2f}$",
                (0, midpoint[1]), xytext=(8, -18), textcoords="offset points", fontsize=9, color=style.LERP_COLOR)
    for point, name in ((start, "$i$"), (end, "$j$")):
        ax.plot(*point, "o", color="black", markersize=6)
        ax.annotate(name, point, xytext=(10 * np.sign(point[0]), 6), textcoords="offset points",
                    ha="center", fontsize=12)
    ax.plot(0, 0, "+", color="black")
    ax.annotate("0", (0, 0), xytext=(6, -12), textcoords="offset points")
    ax.annotate(f"$\\theta = {angle_degrees:g}°$", (0, 0), xytext=(0, 22), textcoords="offset points",
                ha="center", fontsize=9)
    for point in (start, end):
        ax.plot([0, point[0]], [0, point[1]], color="black", linewidth=0.6)
    style.equal_square(ax, 1.25)
    ax.set(xlabel="direction of $j - i$", ylabel="direction of $i + j$")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)
    return fig


# --------------------------------------------------------------------------
# F11
# --------------------------------------------------------------------------


def interpolation_mosaic(lerp_path: DecodedPath, slerp_path: DecodedPath, padding_px: int) -> np.ndarray:
    """F11: uint8 image of two rows of digits, lerp on top and slerp below, t increasing to the right."""
    check_interpolation_pair(lerp_path, slerp_path)
    if padding_px < 0:
        raise ValueError(f"padding_px: expected a number of pixels >= 0, got {padding_px}")
    rows = np.stack([lerp_path.images, slerp_path.images])                      # (2, N, 28, 28)
    return tile_images(rows, padding=padding_px, fill=MOSAIC_FILL)


def interpolation_summary(lerp_path: DecodedPath, slerp_path: DecodedPath) -> dict:
    """The numbers behind F11 and F12, for the page to quote: norms, angle, the lerp dip."""
    check_interpolation_pair(lerp_path, slerp_path)
    start, end = lerp_path.latents[0], lerp_path.latents[-1]                    # (D,) each
    latent_dim = lerp_path.latent_dim
    radius = math.sqrt(latent_dim)
    lerp_midpoint_norm = float(np.linalg.norm(lerp(start, end, 0.5)[0]))
    prior_norm_mean, prior_norm_std = chi_mean_and_std(latent_dim)
    lerp_norms = np.linalg.norm(lerp_path.latents, axis=1)                      # (N,)
    slerp_norms = np.linalg.norm(slerp_path.latents, axis=1)                    # (N,)
    return {
        "latent_dim": latent_dim,
        "sphere_radius": radius,
        "steps": len(lerp_path.t),
        "t": lerp_path.t.tolist(),
        "endpoint_norms": [float(np.linalg.norm(start)), float(np.linalg.norm(end))],
        "endpoint_angle_degrees": math.degrees(_angle_between(start, end)),
        "lerp_midpoint_norm": lerp_midpoint_norm,
        "lerp_midpoint_norm_ratio": lerp_midpoint_norm / radius,
        # How far the lerp midpoint's norm falls short of the radius.
        "lerp_midpoint_norm_drop": radius - lerp_midpoint_norm,
        "slerp_midpoint_norm": float(np.linalg.norm(slerp(start, end, 0.5)[0])),
        "lerp_norms": lerp_norms.tolist(),
        "slerp_norms": slerp_norms.tolist(),
        "lerp_norm_ratios": (lerp_norms / radius).tolist(),
        "slerp_norm_ratios": (slerp_norms / radius).tolist(),
        "prior_norm_mean": prior_norm_mean,
        "prior_norm_std": prior_norm_std,
        # How far below the prior's typical norm the lerp midpoint is, in standard deviations.
        "lerp_midpoint_prior_sds_below": (prior_norm_mean - lerp_midpoint_norm) / prior_norm_std,
        "endpoints": [start.tolist(), end.tolist()],
    }


# --------------------------------------------------------------------------
# F12
# --------------------------------------------------------------------------


def interpolation_norms_figure(lerp_path: DecodedPath, slerp_path: DecodedPath, curve_steps: int) -> "plt.Figure":
    """F12: ||z(t)|| along lerp and slerp between the F11 endpoints; dots mark the decoded columns."""
    check_interpolation_pair(lerp_path, slerp_path)
    start, end = lerp_path.latents[0], lerp_path.latents[-1]
    latent_dim = lerp_path.latent_dim
    radius = math.sqrt(latent_dim)
    fractions = np.linspace(0.0, 1.0, curve_steps)                              # (T,)
    prior_mean, prior_std = chi_mean_and_std(latent_dim)

    fig, ax = plt.subplots(figsize=(7.5, 3.6), constrained_layout=True)
    ax.axhspan(prior_mean - 2 * prior_std, prior_mean + 2 * prior_std, color=style.REFERENCE_COLOR, alpha=0.15,
               label="norms of the prior: mean $\\pm$ 2 sd")
    ax.axhline(radius, color=style.REFERENCE_COLOR, linestyle="--", linewidth=0.8)
    ax.text(1.0, radius, f" $\\sqrt{{{latent_dim}}} \\approx {radius:.1f}$", transform=ax.get_yaxis_transform(),
            va="center", fontsize=9)
    for path, interpolate, color, name in ((slerp_path, slerp, style.SLERP_COLOR, "slerp"),
                                           (lerp_path, lerp, style.LERP_COLOR, "lerp")):
        ax.plot(fractions, np.linalg.norm(interpolate(start, end, fractions), axis=1), color=color, label=name)
        ax.plot(path.t, np.linalg.norm(path.latents, axis=1), "o", color=color, markersize=4)
    midpoint_norm = float(np.linalg.norm(lerp(start, end, 0.5)[0]))
    ax.annotate(f"{midpoint_norm:.1f} = {midpoint_norm / radius:.2f} $\\sqrt{{{latent_dim}}}$", (0.5, midpoint_norm),
                xytext=(0, -16), textcoords="offset points", ha="center", fontsize=9, color=style.LERP_COLOR)
    ax.set(xlim=(0, 1), ylim=(0, 1.15 * radius), xlabel="interpolation parameter $t$",
           ylabel="norm $\\|z(t)\\|$",
           title=f"Norm along the paths between two prior draws in $p = {latent_dim}$ dimensions")
    ax.grid(alpha=style.GRID_ALPHA)
    ax.legend(loc="lower left", fontsize=8)
    return fig
