"""F4 and F5: two facts of high dimensions (article section 5), pure mathematics.

F4: the volume of the unit n-ball, V_n = pi^(n/2) / Gamma(n/2 + 1) (V_2 = pi, V_3 = 4 pi / 3,
V_4 = pi^2 / 2), peaks at n = 5 and then goes to 0.
F5: for z ~ N(0, I_p), ||z|| follows the chi distribution with p degrees of freedom; its
mass gathers in a thin shell of radius about sqrt(p), whose width stays near 1/sqrt(2).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator

from latentspace.figures import style
from latentspace.figures.rendering import plt
from latentspace.model.geometry import ball_volume, chi_pdf, sample_norms

KNOWN_VOLUMES = {2: "\\pi", 3: "4\\pi/3", 4: "\\pi^2/2"}


def _math_number(value: float) -> str:
    """A positive number for mathtext: 0.026 or 1.7 \\times 10^{-13}."""
    if value >= 1e-3:
        return f"{value:.3g}"
    exponent = math.floor(math.log10(value))
    return f"{value / 10**exponent:.1f} \\times 10^{{{exponent}}}"


def ball_volume_figure(max_dim: int) -> "plt.Figure":
    """V_n for n = 1..max_dim on a linear scale (left) and a log scale (right)."""
    if max_dim < 6:
        raise ValueError(f"max_dim: expected at least 6 (to show the peak at n = 5), got {max_dim}")
    dims = np.arange(1, max_dim + 1)                                            # (n,)
    volumes = ball_volume(dims)                                                 # (n,)
    peak = int(dims[np.argmax(volumes)])
    fig, (linear_ax, log_ax) = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for ax in (linear_ax, log_ax):
        ax.plot(dims, volumes, "o-", color=style.PATH_COLOR, markersize=4)
        ax.set_xlabel("dimension $n$")
        ax.grid(alpha=style.GRID_ALPHA)
    linear_ax.set(ylabel="volume $V_n$ of the unit $n$-ball", ylim=(0, 1.2 * volumes.max()),
                  title="$V_n = \\pi^{n/2} / \\Gamma(n/2 + 1)$")
    known = "\n".join(f"$V_{n} = {text} \\approx {volumes[n - 1]:.2f}$" for n, text in KNOWN_VOLUMES.items())
    linear_ax.plot(list(KNOWN_VOLUMES), volumes[[n - 1 for n in KNOWN_VOLUMES]], "s", color=style.LERP_COLOR,
                   markersize=5)
    linear_ax.text(0.97, 0.95, known, transform=linear_ax.transAxes, ha="right", va="top", fontsize=9,
                   color=style.LERP_COLOR)
    linear_ax.annotate(f"largest: $V_{peak} \\approx {volumes[peak - 1]:.2f}$", (peak, volumes[peak - 1]),
                       xytext=(10, 4), textcoords="offset points", fontsize=9)
    log_ax.set_yscale("log")
    log_ax.set(ylabel="$V_n$ (log scale)",
               title=f"$V_{{{max_dim}}} \\approx {_math_number(volumes[-1])}$: the volume goes to 0")
    for ax in (linear_ax, log_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def norm_concentration_figure(dims: list[int], samples: int, seed: int) -> "plt.Figure":
    """Density of ||z|| for z ~ N(0, I_p) for each p, with sampled norms and the shell sqrt(p)."""
    if not dims or any(p < 1 for p in dims):
        raise ValueError(f"dims: expected positive dimensions, got {dims}")
    dims = sorted(dims)
    rng = np.random.default_rng(seed)
    r_max = math.sqrt(dims[-1]) + 4.0
    radii = np.linspace(0.0, r_max, 1200)                                       # (R,)
    fig, ax = plt.subplots(figsize=(9, 3.6), constrained_layout=True)
    colors = plt.get_cmap(style.PROGRESS_CMAP)(np.linspace(0.0, 0.9, len(dims)))
    last_label_at = -math.inf
    for p, color in zip(dims, colors):
        if samples:
            ax.hist(sample_norms(p, samples, rng), bins=60, density=True, color=color, alpha=0.25)
        ax.plot(radii, chi_pdf(radii, p), color=color, linewidth=1.5, label=f"$p = {p}$")
        shell = math.sqrt(p)
        ax.axvline(shell, color=color, linestyle="--", linewidth=0.8)
        if shell - last_label_at > 0.025 * r_max:  # skip labels that would overprint the previous one
            ax.text(shell, 1.0, f"$\\sqrt{{{p}}}$", color=color, ha="center", va="bottom", fontsize=8,
                    transform=ax.get_xaxis_transform())
            last_label_at = shell
    ax.set(xlim=(0, r_max), ylim=(0, None), xlabel="norm $\\|z\\|$", ylabel="probability density")
    ax.set_title("$\\|z\\|$ for $z \\sim N(0, I_p)$ lies in a thin shell of radius about $\\sqrt{p}$ (dashed)",
                 pad=16)
    ax.legend(fontsize=8, ncol=2 if len(dims) > 4 else 1, loc="best")
    ax.grid(alpha=style.GRID_ALPHA)
    return fig
