"""Geometry of latent spaces: grids, spirals, hyperspherical coordinates,
interpolation paths, and the high-dimensional facts behind a N(0, I) prior.

Pure numpy (plus the standard library), vectorised over points, any dimension n.
The interpolations take many pairs at once: endpoints (..., n) and t (T,) give paths
(..., T, n); the figures pass one pair, the study hundreds, and a pair's path is the
same, bit for bit, either way. Every public function checks its arguments and raises
``ValueError`` with a one-line message naming the offending argument.

References
----------
* Hyperspherical coordinates: L. E. Blumenson, "A derivation of n-dimensional
  spherical coordinates", The American Mathematical Monthly 67(1):63-66, 1960:
  x_1 = r cos th_1,  x_k = r sin th_1 ... sin th_{k-1} cos th_k  (1 < k < n),
  x_n = r sin th_1 ... sin th_{n-1},  with th_1..th_{n-2} in [0, pi] and
  th_{n-1} in [0, 2 pi).
* D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
  arXiv:1312.6114, 2013: the VAE whose standard normal prior N(0, I) the
  prior, chi and sphere functions here describe.
* K. Shoemake, "Animating rotation with quaternion curves", SIGGRAPH 1985:
  spherical linear interpolation (slerp).
* E. Agustsson, A. Sage, R. Timofte and L. Van Gool, "Optimal transport maps for
  distribution preserving operations on latent spaces of generative models",
  arXiv:1711.01970, 2017: distribution-matched linear interpolation.
* Volume of the unit n-ball, V_n = pi^(n/2) / Gamma(n/2 + 1), and the chi
  distribution of ||z|| for z ~ N(0, I_p) (its density, mean and standard deviation, and
  the chi-square tail below a radius), evaluated through log-gamma.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "latent_grid",
    "spiral_2d",
    "spiral_2d_times",
    "hyperspherical_to_cartesian",
    "cartesian_to_hyperspherical",
    "sphere_spiral",
    "sphere_spiral_angles",
    "lerp",
    "slerp",
    "distribution_matched_lerp",
    "DEGENERATE_SIN",
    "uniform_on_sphere",
    "scale_to_radius",
    "log_ball_volume",
    "ball_volume",
    "chi_pdf",
    "chi_mean_and_std",
    "log10_probability_norm_below",
    "sample_norms",
    "prior_log_density",
]

TWO_PI = 2.0 * np.pi

# Below this sin(angle between the endpoints), slerp treats them as parallel or
# antiparallel (site_templates/static/explorer.js uses the same rule and value).
DEGENERATE_SIN = 1e-10

# sample_norms draws at most this many Gaussian numbers at once (32 MiB).
_MAX_CHUNK_ELEMENTS = 1 << 22

_log_gamma = np.vectorize(math.lgamma, otypes=[float])


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------


def _integer(value, name: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def _finite_scalar(value, name: str) -> float:
    """``value`` as a finite float."""
    if np.ndim(value) != 0:
        raise ValueError(f"{name} must be a finite number, got shape {np.shape(value)}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {number}")
    return number


def _positive_scalar(value, name: str) -> float:
    number = _finite_scalar(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be > 0, got {number}")
    return number


def _finite_array(value, name: str, min_ndim: int = 0) -> np.ndarray:
    """``value`` as a float array of at least ``min_ndim`` dimensions, all finite."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of real numbers") from None
    if array.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite values")
    return array


def _points(value, name: str, min_dim: int) -> np.ndarray:
    """Array of shape (..., n) with n >= ``min_dim``."""
    array = _finite_array(value, name, min_ndim=1)
    if array.shape[-1] < min_dim:
        raise ValueError(f"{name} must have a last axis of length n >= {min_dim}, got shape {array.shape}")
    return array


def _endpoints(start, end, min_dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of the same shape (..., n), n >= ``min_dim``: one pair of endpoints per leading index."""
    start_array = _points(start, "start", min_dim)
    end_array = _points(end, "end", min_dim)
    if start_array.shape != end_array.shape:
        raise ValueError(
            f"start and end must have the same shape, got {start_array.shape} and {end_array.shape}"
        )
    return start_array, end_array


def _norms(x: np.ndarray) -> np.ndarray:
    """Euclidean norms (...) of the rows x (..., n), as sqrt(x . x).

    np.vecdot takes each row's dot product as ``x @ x`` does (the BLAS dot), which is
    what np.linalg.norm does for one vector: the figures' one-pair paths stay what they
    were. A row-wise np.sum would move some points by an ulp.
    """
    return np.sqrt(np.vecdot(x, x))


def _fractions(t) -> np.ndarray:
    """``t`` as a 1-D array (len(t),) of values in [0, 1]."""
    fractions = _finite_array(t, "t")
    if fractions.ndim > 1:
        raise ValueError(f"t must be a scalar or a 1-D array, got shape {fractions.shape}")
    fractions = np.atleast_1d(fractions)
    if np.any((fractions < 0) | (fractions > 1)):
        raise ValueError(f"t must lie in [0, 1], got values in [{fractions.min()}, {fractions.max()}]")
    return fractions


def _radii(radius, batch_shape: tuple, allow_zero: bool) -> np.ndarray:
    """``radius`` (scalar or array) broadcast to ``batch_shape``, all > 0 (or >= 0)."""
    radii = _finite_array(radius, "radius")
    if np.any(radii < 0) or (not allow_zero and np.any(radii == 0)):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"radius must be {bound}, got minimum {radii.min()}")
    try:
        return np.broadcast_to(radii, batch_shape)
    except ValueError:
        raise ValueError(f"radius of shape {radii.shape} does not broadcast to shape {batch_shape}") from None


def _integers(value, name: str, minimum: int) -> np.ndarray:
    """``value`` (int or integer array) as an int64 array with all entries >= ``minimum``."""
    array = np.asarray(value)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must be an integer or an integer array, got dtype {array.dtype}")
    if np.any(array < minimum):
        raise ValueError(f"{name} must be >= {minimum}, got minimum {array.min()}")
    return array.astype(np.int64)


def _generator(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng


# --------------------------------------------------------------------------
# Two-dimensional latent spaces
# --------------------------------------------------------------------------


def latent_grid(extent: float, steps: int) -> np.ndarray:
    """Regular grid over [-extent, extent]^2, shape (steps, steps, 2).

    Entry [i, j] is (x_j, y_i): x increases along j (left to right) and y
    decreases along i (top to bottom), so images decoded from the grid and
    tiled row by row are oriented like a plot.
    """
    extent = _positive_scalar(extent, "extent")
    steps = _integer(steps, "steps", 2)
    coordinates = np.linspace(-extent, extent, steps)           # (steps,)
    xs, ys = np.meshgrid(coordinates, coordinates[::-1])        # each (steps, steps)
    return np.stack([xs, ys], axis=-1)                          # (steps, steps, 2)


def spiral_2d(t: np.ndarray) -> np.ndarray:
    """Points (len(t), 2) of x(t) = (0.2 t - 2) sin t, y(t) = (0.2 t - 2) cos t."""
    times = _finite_array(t, "t")
    if times.ndim > 1:
        raise ValueError(f"t must be a scalar or a 1-D array, got shape {times.shape}")
    times = np.atleast_1d(times)                                # (m,)
    amplitude = 0.2 * times - 2.0                               # (m,)
    return np.stack([amplitude * np.sin(times), amplitude * np.cos(times)], axis=-1)


def spiral_2d_times(steps: int, t_max: float = 3 * np.pi) -> np.ndarray:
    """Parameter values np.linspace(0, t_max, steps) for :func:`spiral_2d`."""
    steps = _integer(steps, "steps", 1)
    t_max = _positive_scalar(t_max, "t_max")
    return np.linspace(0.0, t_max, steps)


# --------------------------------------------------------------------------
# Hyperspherical coordinates
# --------------------------------------------------------------------------


def hyperspherical_to_cartesian(radius, angles) -> np.ndarray:
    """Cartesian points (..., n) from radius (scalar or (...)) and angles (..., n-1).

    x_1 = r cos th_1, x_k = r sin th_1 ... sin th_{k-1} cos th_k, x_n = r sin th_1 ... sin th_{n-1}.
    """
    angle_array = _points(angles, "angles", min_dim=1)                          # (..., n-1)
    batch_shape = angle_array.shape[:-1]
    radii = _radii(radius, batch_shape, allow_zero=True)                        # (...)
    ones = np.ones(batch_shape + (1,))                                          # (..., 1)
    sine_products = np.cumprod(np.sin(angle_array), axis=-1)                    # (..., n-1)
    leading_sines = np.concatenate([ones, sine_products], axis=-1)              # (..., n)
    trailing_cosines = np.concatenate([np.cos(angle_array), ones], axis=-1)     # (..., n)
    return radii[..., None] * leading_sines * trailing_cosines                   # (..., n)


def cartesian_to_hyperspherical(x) -> tuple[np.ndarray, np.ndarray]:
    """Radius (...) and angles (..., n-1) of points x (..., n), n >= 2.

    th_1..th_{n-2} lie in [0, pi] and th_{n-1} in [0, 2 pi). Each angle is an
    arctan2 of the norm of the remaining coordinates against the current one
    (stable everywhere, unlike arccos). Undetermined angles (a zero tail) are 0,
    so the zero vector gives radius 0 and all angles 0.
    """
    points = _points(x, "x", min_dim=2)                                         # (..., n)
    points = np.where(points == 0, 0.0, points)  # -0.0 -> +0.0, so arctan2(0, 0) = 0
    # tail_norms[..., k] = ||x[..., k:]||, accumulated with hypot (no overflow).
    tail_norms = np.hypot.accumulate(points[..., ::-1], axis=-1)[..., ::-1]     # (..., n)
    polar = np.arctan2(tail_norms[..., 1:-1], points[..., :-2])                 # (..., n-2)
    azimuth = np.arctan2(points[..., -1], points[..., -2]) % TWO_PI             # (...)
    azimuth = np.where(azimuth >= TWO_PI, 0.0, azimuth)  # -tiny % 2 pi rounds to 2 pi
    angles = np.concatenate([polar, azimuth[..., None]], axis=-1)               # (..., n-1)
    return tail_norms[..., 0], angles


def sphere_spiral_angles(n: int, steps: int, turns: float) -> np.ndarray:
    """Angles (steps, n-1) of :func:`sphere_spiral`.

    th_1..th_{n-2} all sweep [0, pi] together, linearly over the path, while
    th_{n-1} grows linearly from 0 to 2 pi * turns (not wrapped into [0, 2 pi)).
    """
    n = _integer(n, "n", 2)
    steps = _integer(steps, "steps", 1)
    turns = _finite_scalar(turns, "turns")
    if turns < 0:
        raise ValueError(f"turns must be >= 0, got {turns}")
    progress = np.linspace(0.0, 1.0, steps)                                     # (steps,)
    polar = np.repeat(np.pi * progress[:, None], n - 2, axis=1)                 # (steps, n-2)
    azimuth = TWO_PI * turns * progress                                         # (steps,)
    return np.concatenate([polar, azimuth[:, None]], axis=1)                    # (steps, n-1)


def sphere_spiral(n: int, radius: float, steps: int, turns: float) -> np.ndarray:
    """Points (steps, n) of a spiral on the sphere of radius ``radius`` in R^n.

    Starts at radius * e_1; for n = 2 it is a circle traversed ``turns`` times.
    """
    radius = _positive_scalar(radius, "radius")
    angles = sphere_spiral_angles(n, steps, turns)                              # (steps, n-1)
    return hyperspherical_to_cartesian(radius, angles)                          # (steps, n)


# --------------------------------------------------------------------------
# Interpolation
# --------------------------------------------------------------------------


def lerp(start, end, t) -> np.ndarray:
    """Points (..., T, n) on the segments from start to end (each (..., n)), at t (T,) in [0, 1].

    Evaluated as (1 - t) start + t end, so t = 0 and t = 1 return the endpoints exactly.
    """
    start, end = _endpoints(start, end, min_dim=1)                              # (..., n) each
    fractions = _fractions(t)[:, None]                                          # (T, 1)
    return (1.0 - fractions) * start[..., None, :] + fractions * end[..., None, :]  # (..., T, n)


def _perpendicular_units(units: np.ndarray) -> np.ndarray:
    """A fixed unit vector (K, n) orthogonal to each row of ``units`` (K, n), n >= 2.

    Gram-Schmidt on the basis vector along which the row is smallest (the first such).
    """
    axes = np.zeros_like(units)
    np.put_along_axis(axes, np.argmin(np.abs(units), axis=-1)[:, None], 1.0, axis=-1)
    perpendicular = axes - np.vecdot(axes, units)[:, None] * units             # (K, n)
    return perpendicular / _norms(perpendicular)[:, None]


def _great_circles(start_units, end_units, fractions) -> np.ndarray:
    """Unit directions (..., T, n) a fraction t (T,) of the way along the arcs between unit vectors (..., n).

    Uses the orthonormal pair (u, w) of the plane of each arc:
    cos(t om) u + sin(t om) w, which equals Shoemake's
    sin((1 - t) om)/sin(om) u + sin(t om)/sin(om) v for end v. Where sin(om) < DEGENERATE_SIN
    the arc is not unique: parallel ends take the (normalised) chord, which is the arc;
    antiparallel ends take the half circle through the fixed perpendicular of
    :func:`_perpendicular_units`.
    """
    cos_angles = np.vecdot(start_units, end_units)                              # (...)
    orthogonal = end_units - cos_angles[..., None] * start_units                # (..., n)
    sin_angles = _norms(orthogonal)                                             # (...)
    degenerate = sin_angles < DEGENERATE_SIN
    parallel = degenerate & (cos_angles > 0)
    antiparallel = degenerate & ~parallel
    in_plane_units = orthogonal / np.where(degenerate, 1.0, sin_angles)[..., None]  # (..., n)
    in_plane_units[antiparallel] = _perpendicular_units(start_units[antiparallel])
    angles = np.where(antiparallel, np.pi, np.arctan2(sin_angles, cos_angles))  # (...)
    turned = fractions * angles[..., None]                                      # (..., T)
    directions = (np.cos(turned)[..., None] * start_units[..., None, :]
                  + np.sin(turned)[..., None] * in_plane_units[..., None, :])   # (..., T, n)
    if np.any(parallel):  # the chord between the unit vectors has the arc's direction
        fraction_column = fractions[:, None]                                    # (T, 1)
        directions[parallel] = ((1.0 - fraction_column) * start_units[parallel][:, None, :]
                                + fraction_column * end_units[parallel][:, None, :])  # (K, T, n)
    return directions / np.linalg.norm(directions, axis=-1, keepdims=True)


def slerp(start, end, t) -> np.ndarray:
    """Spherical linear interpolation (Shoemake 1985): points (..., T, n) between start and end (..., n).

    The direction follows the great circle from start to end; the norm goes
    linearly from ||start|| to ||end|| (so equal norms are kept). Parallel
    endpoints fall back to (normalised) lerp; antiparallel endpoints use the
    great circle through start and a fixed direction orthogonal to it (see
    :func:`_great_circles`). t = 0 and t = 1 return the endpoints exactly.
    """
    start, end = _endpoints(start, end, min_dim=2)                              # (..., n) each
    fractions = _fractions(t)                                                   # (T,)
    start_norms, end_norms = _norms(start), _norms(end)                         # (...) each
    if np.any(start_norms == 0):
        raise ValueError("start must have nonzero length for slerp")
    if np.any(end_norms == 0):
        raise ValueError("end must have nonzero length for slerp")
    directions = _great_circles(start / start_norms[..., None], end / end_norms[..., None], fractions)
    norms = start_norms[..., None] + fractions * (end_norms - start_norms)[..., None]  # (..., T)
    path = norms[..., None] * directions                                        # (..., T, n)
    path[..., fractions == 0, :] = start[..., None, :]
    path[..., fractions == 1, :] = end[..., None, :]
    return path


def distribution_matched_lerp(start, end, t) -> np.ndarray:
    """Agustsson et al. (2017) interpolation for a N(0, I) prior, points (..., T, n).

    The lerp point divided by sqrt(t^2 + (1 - t)^2): for independent standard
    normal endpoints every point is again standard normal.
    """
    fractions = _fractions(t)                                                   # (T,)
    scale = np.sqrt(fractions**2 + (1.0 - fractions) ** 2)                      # (T,)
    return lerp(start, end, fractions) / scale[:, None]                         # (..., T, n)


# --------------------------------------------------------------------------
# Spheres, balls and the Gaussian prior
# --------------------------------------------------------------------------


def scale_to_radius(points, radius) -> np.ndarray:
    """``points`` (..., n) with every row (last axis) rescaled to norm ``radius``.

    ``radius`` is a positive scalar or an array broadcastable to points.shape[:-1].
    """
    point_array = _points(points, "points", min_dim=1)                          # (..., n)
    radii = _radii(radius, point_array.shape[:-1], allow_zero=False)            # (...)
    norms = np.linalg.norm(point_array, axis=-1)                                # (...)
    if np.any(norms == 0):
        raise ValueError("points must not contain zero-length rows")
    return point_array * (radii / norms)[..., None]


def uniform_on_sphere(n: int, count: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    """``count`` points (count, n) uniform on the sphere of radius ``radius`` in R^n."""
    n = _integer(n, "n", 1)
    count = _integer(count, "count", 1)
    radius = _positive_scalar(radius, "radius")
    gaussian = _generator(rng).standard_normal((count, n))                      # (count, n)
    return scale_to_radius(gaussian, radius)


def log_ball_volume(n) -> np.ndarray | float:
    """log V_n = (n/2) log pi - log Gamma(n/2 + 1) for integer n >= 1 (int or array)."""
    dims = _integers(n, "n", 1)
    log_volume = 0.5 * dims * math.log(math.pi) - _log_gamma(0.5 * dims + 1.0)
    return float(log_volume) if log_volume.ndim == 0 else log_volume


def ball_volume(n) -> np.ndarray | float:
    """Volume V_n = pi^(n/2) / Gamma(n/2 + 1) of the unit n-ball (underflows to ~0 for large n)."""
    volume = np.exp(log_ball_volume(n))
    return float(volume) if np.ndim(volume) == 0 else volume


def chi_pdf(r, p: int) -> np.ndarray:
    """Density of ||z|| for z ~ N(0, I_p), evaluated at r >= 0 (any shape).

    r^(p-1) exp(-r^2/2) / (2^(p/2 - 1) Gamma(p/2)), computed in log space.
    """
    radii = _finite_array(r, "r")
    p = _integer(p, "p", 1)
    if np.any(radii < 0):
        raise ValueError(f"r must be >= 0, got minimum {radii.min()}")
    log_normaliser = (0.5 * p - 1.0) * math.log(2.0) + math.lgamma(0.5 * p)
    positive_radii = np.where(radii > 0, radii, 1.0)
    log_density = (p - 1) * np.log(positive_radii) - 0.5 * radii**2 - log_normaliser
    if p > 1:  # r^(p-1) vanishes at r = 0 (for p = 1 the factor is 1)
        log_density = np.where(radii > 0, log_density, -np.inf)
    return np.exp(log_density)


def chi_mean_and_std(p: int) -> tuple[float, float]:
    """Mean sqrt(2) Gamma((p + 1)/2) / Gamma(p/2) and standard deviation of ||z||, z ~ N(0, I_p).

    E||z||^2 = p, so the variance is p minus the squared mean (clipped at 0 against rounding).
    """
    p = _integer(p, "p", 1)
    mean = math.sqrt(2.0) * math.exp(math.lgamma((p + 1) / 2) - math.lgamma(p / 2))
    return mean, math.sqrt(max(p - mean**2, 0.0))


def log10_probability_norm_below(p: int, fraction: float) -> float:
    """log10 P(||z|| < fraction * sqrt(p)) for z ~ N(0, I_p), for 0 < fraction < 1.

    ||z||^2 is chi-square with p degrees of freedom, so this is the regularised lower
    incomplete gamma function P(p/2, fraction^2 p/2), summed as its power series (which
    converges fast below the mean), in log space so that tiny values do not underflow.
    """
    p = _integer(p, "p", 1)
    fraction = _finite_scalar(fraction, "fraction")
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie strictly between 0 and 1, got {fraction}")
    shape, x = p / 2.0, fraction**2 * p / 2.0
    term, series, k = 1.0, 1.0, 0
    while term > 1e-17 * series:
        k += 1
        term *= x / (shape + k)
        series += term
    log_probability = shape * math.log(x) - x - math.lgamma(shape + 1.0) + math.log(series)
    return log_probability / math.log(10.0)


def sample_norms(p: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """Norms (count,) of ``count`` draws of N(0, I_p), drawn in bounded-memory chunks."""
    p = _integer(p, "p", 1)
    count = _integer(count, "count", 1)
    rng = _generator(rng)
    rows_per_chunk = max(1, _MAX_CHUNK_ELEMENTS // p)
    norms = np.empty(count)                                                     # (count,)
    for first in range(0, count, rows_per_chunk):
        rows = min(rows_per_chunk, count - first)
        draws = rng.standard_normal((rows, p))                                  # (rows, p)
        norms[first : first + rows] = np.linalg.norm(draws, axis=1)
    return norms


def prior_log_density(z) -> np.ndarray:
    """log N(z; 0, I) summed over the last axis: points (..., n) -> (...)."""
    points = _points(z, "z", min_dim=1)                                         # (..., n)
    n = points.shape[-1]
    return -0.5 * np.sum(points**2, axis=-1) - 0.5 * n * math.log(TWO_PI)
