"""The decoder's geometry pulled back into the latent space: lengths, energies, magnification.

Which metric. The decoder does not draw an image, it gives a distribution over images:
784 independent Bernoulli pixels with logits l(z). How far two codes are apart, as the
model sees it, is how far apart those distributions are, and the natural distance between
distributions is the Fisher-Rao metric of their family (Arvanitidis, Gonzalez-Duque,
Pouplin, Kalatzis & Hauberg 2022, "Pulling back information geometry", AISTATS). Pulled
back through the decoder it gives the latent space the Riemannian metric

    G(z) = J_l(z)^T diag(m (1 - m)) J_l(z),     m = sigmoid(l(z)),

since one Bernoulli pixel with logit l and mean m has ds^2 = dm^2 / (m (1 - m)) = m (1 - m) dl^2.
The alternative, the Euclidean metric of the mean image, G = J_m^T J_m with
J_m = diag(m (1 - m)) J_l (Arvanitidis, Hansen & Hauberg 2018, "Latent Space Oddity", ICLR;
Shao, Kumar & Fletcher 2018), squares the factor m (1 - m): it counts a change of a pixel
that is almost surely black or white (m near 0 or 1) as almost nothing, where Fisher-Rao
still sees a change of the distribution. We use Fisher-Rao, the metric of the model the VAE
was trained as (its loss is the Bernoulli likelihood, not a squared pixel error).

How it is computed, without Jacobians. With m = sin^2(phi), ds = 2 dphi: a Bernoulli pixel
with the Fisher-Rao metric is the interval (0, pi) with its ordinary length, through
s = 2 arcsin(sqrt(m)) = pi / 2 + 2 arctan(tanh(l / 4)). The 784 independent pixels make a box
in R^784 with the Euclidean metric, and a box is convex, so

    h(z) = 2 arctan(tanh(l(z) / 4))       (784,)       (the pi / 2 dropped)

is an isometric embedding: G(z) = J_h(z)^T J_h(z), and the Fisher-Rao distance between the
distributions decoded at two codes is exactly ||h(z_1) - h(z_2)||. (The Hellinger or
Bhattacharyya form 4 sum (sqrt(m) - sqrt(m'))^2 + (sqrt(1 - m) - sqrt(1 - m'))^2 measures the
chord of the same arc, 2 sin(s / 2) for an arc s: it has the same small-step limit and is
shorter for long steps; arctan(tanh(.)) is as cheap and exact, and stable for any logit.)

A discrete curve z_0 .. z_{N-1} at t_i = i / (N - 1) then has, after Shao et al. (2018,
"The Riemannian Geometry of Deep Generative Models", CVPR workshops), the energy and length

    E = (N - 1) sum_i ||h(z_{i+1}) - h(z_i)||^2,       L = sum_i ||h(z_{i+1}) - h(z_i)||,

which tend to the continuous E = int_0^1 c'(t)^T G(c(t)) c'(t) dt and L = int_0^1 sqrt(...) dt
as the steps shrink (L from below: a chord is never longer than its arc). L^2 <= E, with
equality for a curve at constant speed. The magnification factor sqrt(det G(z)) (Bishop,
Svensen & Williams 1997; drawn over the latent plane in "Latent Space Oddity") is how much
the decoder stretches a small area of the latent plane.

Everything takes a batch: points (..., D) give embeddings (..., 784); the decoder is any
function from (N, D) codes to (N, F) logits (the VAE's ``decode_logits``), so the tests can
hand in decoders whose geometry is known.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

# Codes (N, D) -> logits (N, F) of independent Bernoulli outputs.
Decoder = Callable[[torch.Tensor], torch.Tensor]
# Codes (N, D) -> points (N, M) of a Euclidean space whose metric is pulled back.
Embedding = Callable[[torch.Tensor], torch.Tensor]


class _FisherRaoCoordinates(torch.autograd.Function):
    """h(l) = 2 arctan(tanh(l / 4)), and its derivative from the same tanh: dh/dl = (1 - y^2) / (2 (1 + y^2)), y = tanh(l / 4).

    One function instead of torch's chain of four elementwise steps forward and back: the
    solver evaluates it on every pixel of every point of every iteration.
    """

    @staticmethod
    def forward(ctx, logits):
        half_tangent = torch.tanh(0.25 * logits)
        ctx.save_for_backward(half_tangent)
        return 2.0 * torch.atan(half_tangent)

    @staticmethod
    def backward(ctx, grad_output):
        (half_tangent,) = ctx.saved_tensors
        squared = half_tangent * half_tangent
        return grad_output * (1.0 - squared) / (2.0 * (1.0 + squared))


def fisher_rao_coordinates(logits: torch.Tensor) -> torch.Tensor:
    """2 arcsin(sqrt(sigmoid(l))) - pi / 2 of each logit: Euclidean coordinates of the Bernoulli family's Fisher-Rao geometry.

    Equal to 2 arctan(tanh(l / 4)) (arctan(e^x) = pi / 4 + arctan(tanh(x / 2))), which stays
    exact for any logit where sigmoid would round to 0 or 1.
    """
    return _FisherRaoCoordinates.apply(logits)


def fisher_rao_embedding(decoder: Decoder) -> Embedding:
    """h = fisher_rao_coordinates o decoder: codes (N, D) -> (N, F), an isometric embedding of the pulled-back metric."""

    def embed(codes: torch.Tensor) -> torch.Tensor:
        return fisher_rao_coordinates(decoder(codes))

    return embed


def embed_points(embed: Embedding, points: torch.Tensor, batch_size: int | None = None) -> torch.Tensor:
    """embed applied to points (..., D), in batches of ``batch_size`` rows: (..., M)."""
    flat = points.reshape(-1, points.shape[-1])                                 # (N, D)
    if batch_size is None or len(flat) <= batch_size:
        embedded = embed(flat)
    else:
        embedded = torch.cat([embed(flat[start : start + batch_size]) for start in range(0, len(flat), batch_size)])
    return embedded.reshape(*points.shape[:-1], embedded.shape[-1])


def squared_steps(embedded: torch.Tensor) -> torch.Tensor:
    """Squared lengths (..., N - 1) of the steps of embedded curves (..., N, M), as float64.

    Each step's M squares are summed in the embedding's dtype (torch sums pairwise, so a
    float32 sum of 784 squares keeps about 7 digits), the steps' sums in float64.
    """
    return (embedded[..., 1:, :] - embedded[..., :-1, :]).pow(2).sum(dim=-1).double()


def steps_of(embedded: torch.Tensor) -> torch.Tensor:
    """Lengths (..., N - 1) of the steps of embedded curves (..., N, M), float64."""
    return squared_steps(embedded).sqrt()


def energy_of(embedded: torch.Tensor) -> torch.Tensor:
    """Discrete energy (...) of embedded curves (..., N, M) traced at t evenly spaced in [0, 1], float64."""
    return (embedded.shape[-2] - 1) * squared_steps(embedded).sum(dim=-1)


def length_of(embedded: torch.Tensor) -> torch.Tensor:
    """Discrete length (...) of embedded curves (..., N, M): the sum of the chords."""
    return steps_of(embedded).sum(dim=-1)


@torch.no_grad()
def path_measures(
    embed: Embedding, paths: torch.Tensor, nodes: int | None = None, batch_size: int = 16384
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Energy and length (P,) each of curves (P, N, D) traced at t evenly spaced in [0, 1], and, given
    ``nodes`` with N - 1 a multiple of nodes - 1, the energy (P,) of the coarser curves through every
    ((N - 1) / (nodes - 1))-th point (t = k / (nodes - 1)), all float64, from one embedding of the points.

    The coarser energy is what :func:`energy_of` gives for those points embedded on their own: an
    embedding maps each point by itself, so a fine ruler that holds a curve's nodes measures the
    curve through them too, without embedding them again (``None`` when ``nodes`` is not given).
    """
    stride = None
    if nodes is not None:
        if nodes < 2 or (paths.shape[1] - 1) % (nodes - 1):
            raise ValueError(f"{paths.shape[1]} points do not hold the {nodes} nodes of a coarser curve")
        stride = (paths.shape[1] - 1) // (nodes - 1)
    energies, lengths, coarse = [], [], []
    per_batch = max(1, batch_size // paths.shape[1])
    for start in range(0, len(paths), per_batch):
        embedded = embed_points(embed, paths[start : start + per_batch])       # (B, N, M)
        energies.append(energy_of(embedded))
        lengths.append(length_of(embedded))
        if stride is not None:
            coarse.append(energy_of(embedded[:, ::stride]))
    return torch.cat(energies), torch.cat(lengths), torch.cat(coarse) if stride is not None else None


def polyline_at(paths: torch.Tensor, fractions) -> torch.Tensor:
    """Curves (P, K, D) through their K nodes (node k at t = k / (K - 1)), straight between them, at t (T,): (P, T, D)."""
    nodes = paths.shape[1]
    position = torch.as_tensor(fractions, dtype=torch.float64).to(paths.device) * (nodes - 1)  # (T,)
    left = position.floor().clamp(max=nodes - 2).long()
    weight = (position - left).to(paths.dtype)[None, :, None]                  # (1, T, 1)
    return paths[:, left] * (1.0 - weight) + paths[:, left + 1] * weight


def resample_polyline(paths: torch.Tensor, points: int) -> torch.Tensor:
    """:func:`polyline_at` ``points`` evenly spaced values of t: (P, points, D); every node is among
    them when points - 1 is a multiple of K - 1."""
    return polyline_at(paths, torch.linspace(0.0, 1.0, points, dtype=torch.float64))


def jacobians(function: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """J (N, F, D) of a row-wise function at points (N, D) by reverse mode, one backward pass per output.

    For small outputs (the tests' decoders of known geometry, and checks): torch's forward mode
    would cost fewer passes but takes seconds to start in every process.
    """
    variable = points.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        outputs = function(variable)                                            # (N, F)
        rows = [torch.autograd.grad(outputs[:, index].sum(), variable, retain_graph=True)[0]
                for index in range(outputs.shape[1])]
    return torch.stack(rows, dim=1)


def logit_jacobians(decoder: Decoder, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (N, F) and their Jacobian J_l (N, F, D) at points (N, D).

    A decoder that is a ``torch.nn.Sequential`` of Linear and ReLU layers (the VAE's) carries the
    D tangents through its layers beside the activations, about (1 + D) times the cost of a
    forward pass (torch's forward mode costs several times more here, and seconds to start);
    any other goes through :func:`jacobians`.
    """
    from torch import nn

    layers = list(decoder) if isinstance(decoder, nn.Sequential) else None
    if layers is None or not all(isinstance(layer, (nn.Linear, nn.ReLU)) for layer in layers):
        with torch.no_grad():
            logits = decoder(points)
        return logits, jacobians(decoder, points)
    with torch.no_grad():
        activations = points                                                    # (N, width)
        tangents = torch.eye(points.shape[1], dtype=points.dtype, device=points.device).expand(len(points), -1, -1)
        for layer in layers:                                                    # tangents (N, D, width)
            if isinstance(layer, nn.Linear):
                activations, tangents = layer(activations), tangents @ layer.weight.T
            else:
                active = (activations > 0).to(activations.dtype)
                activations, tangents = activations * active, tangents * active[:, None, :]
    return activations, tangents.transpose(1, 2)


def metric_tensor(decoder: Decoder, points: torch.Tensor) -> torch.Tensor:
    """G = J_l^T diag(m (1 - m)) J_l (N, D, D) at points (N, D), float64: the Fisher-Rao metric pulled back.

    Computed from the formula, with m = sigmoid(l), not from :func:`fisher_rao_coordinates`:
    the tests compare the two.
    """
    logits, jacobian = logit_jacobians(decoder, points)                         # (N, F), (N, F, D)
    weights = (torch.sigmoid(logits) * torch.sigmoid(-logits)).double()         # m (1 - m), (N, F)
    jacobian = jacobian.double()
    return jacobian.transpose(1, 2) @ (weights[:, :, None] * jacobian)


def magnification_factor(decoder: Decoder, points: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """sqrt(det G) (N,) at points (N, D): how much the decoder stretches a small latent volume, float64."""
    factors = []
    for start in range(0, len(points), batch_size):
        metric = metric_tensor(decoder, points[start : start + batch_size])
        factors.append(torch.linalg.det(metric).clamp_min(0.0).sqrt())
    return torch.cat(factors)


def continuous_energy(
    decoder: Decoder, path: Callable[[torch.Tensor], torch.Tensor], nodes: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """int_0^1 c'(t)^T G(c(t)) c'(t) dt of a smooth curve c: t (N,) -> (N, D), by the midpoint rule on ``nodes`` intervals.

    The velocity c'(t) comes from autograd, the metric from :func:`metric_tensor`'s formula: a
    computation that shares nothing with the discrete energy but the decoder (for tests). The
    curve is traced in float64 and handed to the decoder in ``dtype``.
    """
    t = (torch.arange(nodes, dtype=torch.float64) + 0.5) / nodes               # (N,)
    points = path(t).detach()                                                   # (N, D)
    velocity = jacobians(lambda s: path(s[:, 0]), t[:, None])[:, :, 0]          # (N, D): dc/dt, t one column
    metric = metric_tensor(decoder, points.to(dtype))                           # (N, D, D)
    quadratic = torch.einsum("nd,nde,ne->n", velocity.double(), metric, velocity.double())
    return quadratic.mean()
