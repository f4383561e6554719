"""Study figure: where the codes lie against the prior's shell.

||z|| / sqrt(p) against the latent size p for draws of the prior, draws of the posteriors
of the test digits (mean plus noise) and the posterior means themselves: the median as a
marker, the 5-95% range as a bar; 1 is the shell of radius sqrt(p). Reads the ``models``
list of results/study/study_summary.json (``latentspace.study.tables.build_summary``). How
the KL spreads over the units is the figure of ``latentspace.figures.study_kl_spectrum``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from latentspace.figures.style import GRID_ALPHA, REFERENCE_COLOR

POPULATIONS = {
    "prior_draw": ("prior draws", "#999999", "o"),
    "posterior_draw": ("posterior draws of test digits", "#0072B2", "s"),
    "posterior_mean": ("posterior means of test digits", "#D55E00", "D"),
}
NUDGE_FACTOR = 1.08


def latent_norm_figure(models: list[dict]) -> "plt.Figure":
    models = sorted(models, key=lambda model: model["latent_dim"])
    latent_dims = [model["latent_dim"] for model in models]
    fig, norm_ax = plt.subplots(figsize=(5.2, 3.8), layout="constrained")
    for index, (population, (label, color, marker)) in enumerate(POPULATIONS.items()):
        nudge = NUDGE_FACTOR ** (index - 1)
        median = [model[f"{population}_norm_ratio_q50"] for model in models]
        error = [[m - model[f"{population}_norm_ratio_q05"] for m, model in zip(median, models)],
                 [model[f"{population}_norm_ratio_q95"] - m for m, model in zip(median, models)]]
        norm_ax.errorbar([dim * nudge for dim in latent_dims], median, yerr=error, color=color, marker=marker,
                         markersize=4, linestyle="none", capsize=2, label=label)
    norm_ax.axhline(1.0, color=REFERENCE_COLOR, linewidth=0.8, linestyle=":")
    norm_ax.set_xscale("log")
    norm_ax.set_xticks(latent_dims, [str(dim) for dim in latent_dims])
    norm_ax.minorticks_off()
    norm_ax.set(xlabel="latent size p", ylabel="\u2016z\u2016 / \u221ap (median, 5\u201395%)", ylim=(0, None),
                title="Norms against the shell of radius \u221ap")
    norm_ax.legend(fontsize=8, loc="upper right")
    norm_ax.grid(alpha=GRID_ALPHA)
    return fig
