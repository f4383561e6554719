"""Study figure: the KL term of every latent unit, sorted, one small panel per latent size.

Each panel draws the KL per unit (nats, averaged over the test digits) from the largest
down, on logarithmic axes, with the threshold of ``latentspace.study.tables.KL_UNIT_THRESHOLD_NATS``
as a dashed line and, as vertical lines, the number of units that carry half of the KL and
90% of it. Its title gives the counts a reader weighs against the standard active-unit
count (Burda et al. 2015), which passes every unit whose posterior mean varies by more
than 0.01. Reads the ``models`` list of results/study/study_summary.json
(``latentspace.study.tables.build_summary``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from latentspace.figures.style import COMPONENT_COLORS, GRID_ALPHA, REFERENCE_COLOR

# Below this many units a panel marks every unit; above it, the rank axis is logarithmic.
FEW_UNITS = 12
HALF_COLOR, NINETY_COLOR = "#000000", "#999999"


def kl_spectrum_figure(models: list[dict]) -> "plt.Figure":
    models = sorted(models, key=lambda model: model["latent_dim"])
    fig, axes = plt.subplots(1, len(models), figsize=(3.1 * len(models), 2.9), squeeze=False, layout="constrained")
    for index, (ax, model) in enumerate(zip(axes[0], models)):
        spectrum = model["kl_spectrum"]
        kl = spectrum["sorted_kl_per_dim_nats"]
        ranks = range(1, len(kl) + 1)
        floor = min(min(value for value in kl if value > 0) if any(value > 0 for value in kl) else 1e-3,
                    model["kl_unit_threshold_nats"]) / 2
        ax.plot(ranks, [max(value, floor) for value in kl], color=COMPONENT_COLORS[index % len(COMPONENT_COLORS)],
                marker="o" if len(kl) <= FEW_UNITS else None, markersize=3.5, linewidth=1.4)
        ax.axhline(model["kl_unit_threshold_nats"], color=REFERENCE_COLOR, linewidth=0.8, linestyle="--",
                   label=f"{model['kl_unit_threshold_nats']:g} nats")
        for count, color, label in ((model["units_for_half_kl"], HALF_COLOR, "half of the KL"),
                                    (model["units_for_90pct_kl"], NINETY_COLOR, "90% of the KL")):
            ax.axvline(count + 0.5, color=color, linewidth=0.9, linestyle=":",
                       label=f"{label}: {count} unit{'s' if count != 1 else ''}")
        ax.set_yscale("log")
        if len(kl) > FEW_UNITS:
            ax.set_xscale("log")
        else:
            ax.set_xticks(list(ranks))
        ax.set_xlim(0.6, len(kl) + 0.9 if len(kl) <= FEW_UNITS else len(kl) * 1.3)
        ax.set_title(f"z = {model['latent_dim']}: {model['units_above_kl_threshold']} above "
                     f"{model['kl_unit_threshold_nats']:g} nats,\n{model['active_units']} of {model['latent_dim']} "
                     f"active (Burda)", fontsize=9)
        ax.set_xlabel("unit, by decreasing KL", fontsize=8.5)
        if index == 0:
            ax.set_ylabel("KL per unit (nats)", fontsize=8.5)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=GRID_ALPHA)
        ax.legend(fontsize=7, loc="lower left")
    return fig
