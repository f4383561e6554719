"""The named latent paths of the article, and their decoding into digits.

A path is a sequence of latent points (N, D) with the parameter t (N,) that traces it.
The decode step pushes a whole path through a trained decoder in batches and stores the
points, t and the decoded images together (``results/paths/<name>.npz``), so that the
figure steps only plot.

Path kinds (section numbers of the article, site_templates/sections/NN_*.html.j2):
* ``spiral_2d`` (section 4, F3): x(t) = (0.2 t - 2) sin t, y(t) = (0.2 t - 2) cos t,
  t in [0, t_max], in the plane of a 2-D model.
* ``sphere_spiral`` (section 6, F7): a spiral on the sphere of radius sqrt(D) of a D-dim
  model, in hyperspherical coordinates (Blumenson 1960): th_1..th_{D-2} sweep [0, pi]
  while th_{D-1} makes ``turns`` full turns; t is the progress in [0, 1].
* ``lerp`` and ``slerp`` (section 7, F11, F12): between two draws of the prior N(0, I_D)
  rescaled to the radius sqrt(D) around which the prior's mass concentrates; t in [0, 1].
  Slerp is Shoemake's (SIGGRAPH 1985) spherical linear interpolation.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from latentspace.model import geometry
from latentspace.files.reading import damaged, read_npz
from latentspace.files.atomic import atomic_path
from latentspace.errors import LatentspaceError
from latentspace.files.images import IMAGE_SHAPE, IMAGE_SIDE

PATH_KINDS = ("spiral_2d", "sphere_spiral", "lerp", "slerp")


@dataclass(frozen=True)
class LatentPath:
    """Latent points (N, D) and the parameter t (N,) at which each was taken."""

    latents: np.ndarray
    t: np.ndarray

    @property
    def latent_dim(self) -> int:
        return self.latents.shape[1]


@dataclass(frozen=True)
class DecodedPath(LatentPath):
    """A path with the digit decoded at every point: images (N, 28, 28) uint8."""

    images: np.ndarray


# --------------------------------------------------------------------------
# Building paths (pure computation)
# --------------------------------------------------------------------------


def spiral_2d_path(steps: int, t_max: float) -> LatentPath:
    """The article's 2-D spiral sampled at ``steps`` regular values of t in [0, t_max]."""
    times = geometry.spiral_2d_times(steps, t_max)          # (N,)
    return LatentPath(geometry.spiral_2d(times), times)     # (N, 2), (N,)


def sphere_spiral_path(latent_dim: int, steps: int, turns: float) -> LatentPath:
    """A spiral on the sphere of radius sqrt(latent_dim); t is the progress in [0, 1]."""
    points = geometry.sphere_spiral(latent_dim, math.sqrt(latent_dim), steps, turns)  # (N, D)
    return LatentPath(points, np.linspace(0.0, 1.0, steps))


def interpolation_endpoints(latent_dim: int, seed: int) -> np.ndarray:
    """Two prior draws (2, D) from ``seed``, rescaled to norm sqrt(latent_dim).

    Both interpolation paths (lerp and slerp) call this with the same seed, so they join
    the same two points.
    """
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, (int, np.integer)) or latent_dim < 2:
        raise ValueError(f"latent_dim must be an integer >= 2, got {latent_dim!r}")
    draws = np.random.default_rng(seed).standard_normal((2, latent_dim))  # (2, D)
    return geometry.scale_to_radius(draws, math.sqrt(latent_dim))


def interpolation_path(method: str, latent_dim: int, steps: int, seed: int) -> LatentPath:
    """``steps`` points of lerp or slerp between the two endpoints of ``seed``, t in [0, 1]."""
    interpolate = {"lerp": geometry.lerp, "slerp": geometry.slerp}.get(method)
    if interpolate is None:
        raise ValueError(f"method must be lerp or slerp, got {method!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2, got {steps!r}")
    start, end = interpolation_endpoints(latent_dim, seed)
    fractions = np.linspace(0.0, 1.0, steps)                 # (N,)
    return LatentPath(interpolate(start, end, fractions), fractions)


def build_path(
    kind: str,
    latent_dim: int,
    steps: int,
    *,
    t_max: float | None = None,
    turns: float | None = None,
    seed: int | None = None,
) -> LatentPath:
    """The path of ``kind`` for a ``latent_dim`` model, from the settings that kind uses.

    Raises LatentspaceError naming the setting that is missing or out of range.
    """
    needed = {"spiral_2d": ("t_max", t_max), "sphere_spiral": ("turns", turns),
              "lerp": ("seed", seed), "slerp": ("seed", seed)}
    if kind not in needed:
        raise LatentspaceError(f"path kind: expected one of {', '.join(PATH_KINDS)}, got {kind!r}")
    setting, value = needed[kind]
    if value is None:
        raise LatentspaceError(f"path {kind}: the setting {setting} is required")
    if kind == "spiral_2d" and latent_dim != 2:
        raise LatentspaceError(f"path spiral_2d: needs a model with latent_dim 2, got {latent_dim}")
    try:
        if kind == "spiral_2d":
            return spiral_2d_path(steps, t_max)
        if kind == "sphere_spiral":
            return sphere_spiral_path(latent_dim, steps, turns)
        return interpolation_path(kind, latent_dim, steps, seed)
    except ValueError as error:
        raise LatentspaceError(f"path {kind}: {error}") from None


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------


def latents_as_numpy(latents) -> np.ndarray:
    """A (N, D) array from numpy or a torch tensor on any device (moved to the CPU first)."""
    if hasattr(latents, "detach"):  # a torch tensor, possibly on cuda or mps
        latents = latents.detach().cpu().numpy()
    return np.asarray(latents)


def decode_path(model, path: LatentPath, batch_size: int = 1024) -> DecodedPath:
    """Decode every point of ``path`` with ``model`` in batches of ``batch_size`` points.

    The model may live on any device; the points may be numpy or a torch tensor.
    """
    from latentspace.model.decoding import decode_latents, to_uint8

    latents = latents_as_numpy(path.latents)                                # (N, D)
    if latents.ndim != 2 or latents.shape[1] != model.config.latent_dim:
        raise LatentspaceError(
            f"path: points of shape {latents.shape} do not fit a model with latent_dim {model.config.latent_dim}"
        )
    if batch_size < 1:
        raise LatentspaceError(f"batch_size: expected a positive integer, got {batch_size}")
    images = to_uint8(decode_latents(model, latents, batch_size=batch_size))  # (N, 28, 28)
    return DecodedPath(latents.astype(np.float64), latents_as_numpy(path.t).astype(np.float64), images)


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


DECODED_PATH_FILE = "a decoded path .npz from the decode step"


def save_decoded_path(decoded: DecodedPath, path: str | os.PathLike) -> None:
    """Write ``decoded`` as an .npz with the arrays latents (N, D), t (N,), images (N, 28, 28)."""
    with atomic_path(path) as tmp:
        np.savez(tmp, latents=decoded.latents, t=decoded.t, images=decoded.images)


def load_decoded_path(path: str | os.PathLike) -> DecodedPath:
    """Read a file written by :func:`save_decoded_path`, checking its arrays' shapes."""
    arrays = read_npz(path, DECODED_PATH_FILE, {"latents": (np.floating, 2), "t": (np.floating, 1),
                                                "images": (np.uint8, 3)})
    latents, times, images = arrays["latents"], arrays["t"], arrays["images"]
    count = len(latents)
    if times.shape != (count,) or images.shape != (count, *IMAGE_SHAPE):
        raise damaged(
            path, f"latents {latents.shape}, t {times.shape} and images {images.shape} do not match",
            f"{DECODED_PATH_FILE} with latents (N, D), t (N,) and uint8 images (N, {IMAGE_SIDE}, {IMAGE_SIDE})",
        )
    return DecodedPath(latents, times, images)


def check_interpolation_pair(lerp_path: DecodedPath, slerp_path: DecodedPath) -> None:
    """Raise ValueError unless both paths join the same endpoints at the same values of t."""
    if lerp_path.latents.shape != slerp_path.latents.shape:
        raise ValueError(f"lerp and slerp paths differ in shape: {lerp_path.latents.shape} "
                         f"and {slerp_path.latents.shape}")
    if not np.allclose(lerp_path.t, slerp_path.t):
        raise ValueError("lerp and slerp paths are sampled at different values of t")
    for index in (0, -1):
        if not np.allclose(lerp_path.latents[index], slerp_path.latents[index], rtol=1e-6, atol=1e-6):
            raise ValueError("lerp and slerp paths do not join the same endpoints")
