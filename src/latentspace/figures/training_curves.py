"""Training curves: test and train loss per epoch for every latent size, beside the metrics table."""

from __future__ import annotations

import matplotlib.pyplot as plt

from latentspace.files.training_history import EpochRecord


def training_curves_figure(histories: dict[int, list[EpochRecord]]) -> "plt.Figure":
    """Two panels: negative ELBO per epoch (train dashed, test solid), and the test KL term."""
    fig, (loss_ax, kl_ax) = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for index, latent_dim in enumerate(sorted(histories)):
        history = histories[latent_dim]
        epochs = [record.epoch for record in history]
        color = f"C{index}"
        loss_ax.plot(epochs, [r.test_loss for r in history], color=color, label=f"z = {latent_dim}, test")
        loss_ax.plot(epochs, [r.train_loss for r in history], color=color, linestyle="--", linewidth=1,
                     label=f"z = {latent_dim}, train")
        kl_ax.plot(epochs, [r.test_kl for r in history], color=color, label=f"z = {latent_dim}")
    loss_ax.set(xlabel="epoch", ylabel="negative ELBO (nats per image)", title="Loss")
    kl_ax.set(xlabel="epoch", ylabel="KL(Q(z|x) || P(z)) (nats per image)", title="KL term on the test set")
    loss_ax.legend(fontsize=8, ncol=2)
    kl_ax.legend(fontsize=8)
    for ax in (loss_ax, kl_ax):
        ax.grid(alpha=0.3)
    return fig
