"""A multilayer-perceptron variational auto-encoder and its loss.

References: Kingma & Welling, "Auto-Encoding Variational Bayes" (2013, arXiv:1312.6114),
Appendix C.2 (Bernoulli MLP decoder, Gaussian MLP encoder) and Appendix B (the KL
divergence of a diagonal Gaussian to N(0, I) in closed form).

Per image x (784 intensities in [0, 1]) the loss is the negative ELBO in nats:
    L = -E_{z~Q(z|x)}[log p(x|z)] + KL(Q(z|x) || N(0, I))
with Q(z|x) = N(mean, diag(exp(logvar))) and p(x|z) Bernoulli with logits decoder(z);
the expectation is estimated with one reparameterised sample z = mean + exp(logvar/2) eps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from latentspace.files.images import IMAGE_PIXELS


@dataclass(frozen=True)
class VAEConfig:
    latent_dim: int
    hidden_dims: tuple[int, ...]
    input_dim: int = IMAGE_PIXELS

    def to_dict(self) -> dict:
        return {**asdict(self), "hidden_dims": list(self.hidden_dims)}

    @classmethod
    def from_dict(cls, values: dict) -> "VAEConfig":
        return cls(int(values["latent_dim"]), tuple(int(h) for h in values["hidden_dims"]), int(values["input_dim"]))


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers of the given sizes with ReLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out))
        if index < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        hidden = list(config.hidden_dims)
        # The encoder's last layer emits mean and log-variance side by side: (B, 2 D).
        self.encoder = _mlp([config.input_dim, *hidden, 2 * config.latent_dim])
        self.decoder = _mlp([config.latent_dim, *reversed(hidden), config.input_dim])

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 784) -> mean (B, D), logvar (B, D)."""
        mean, logvar = self.encoder(x).chunk(2, dim=-1)
        return mean, logvar

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """(B, D) -> Bernoulli logits (B, 784)."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, D) -> pixel intensities in [0, 1], (B, 784)."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode, draw z = mean + sigma * noise, decode: logits (B, 784), mean, logvar (B, D)."""
        mean, logvar = self.encode(x)
        z = mean + torch.exp(0.5 * logvar) * noise
        return self.decode_logits(z), mean, logvar


def gaussian_kl_per_dim(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, 1)) per latent dimension, (B, D), in nats."""
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)


def bernoulli_nll(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) per image, (B,), summed over pixels; x holds intensities in [0, 1]."""
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


@dataclass
class LossTerms:
    """Per-image terms of the negative ELBO: reconstruction (B,), KL per dimension (B, D)."""

    reconstruction: torch.Tensor
    kl_per_dim: torch.Tensor
    posterior_mean: torch.Tensor = field(repr=False)

    @property
    def kl(self) -> torch.Tensor:
        return self.kl_per_dim.sum(dim=-1)

    @property
    def loss(self) -> torch.Tensor:
        return self.reconstruction + self.kl


def loss_terms(model: VAE, x: torch.Tensor, noise: torch.Tensor) -> LossTerms:
    logits, mean, logvar = model(x, noise)
    return LossTerms(bernoulli_nll(logits, x), gaussian_kl_per_dim(mean, logvar), mean)
