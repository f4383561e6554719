"""Trained decoders for the page's explorers: weights, a JSON manifest, one script per widget.

The site's explorers (``site_templates/static/explorer.js``) run a model's decoder in the
reader's browser: the z = 2 plane beside F2, the scrubber along the 10-D sphere spiral
beside F7 and the lerp-against-slerp slider beside F11/F12. This module writes what each
one loads.

A *bundle* is one classic script,

    /* comment naming the widget and the model */
    latentspaceExplorerBundle({"manifest": {...}, "data": "<base64>"});

because a ``<script>`` element loads from ``file://`` as well as over HTTP, while
``fetch()`` of a binary file is refused to a page opened from disk: the site keeps working
from its folder. ``data`` is the base64 of little-endian arrays laid end to end, each
starting at a multiple of ``ALIGNMENT_BYTES``; ``manifest["arrays"][name]`` gives the
``dtype``, ``shape`` and byte ``offset`` of each, and ``manifest["layers"]`` the decoder
as a chain of affine layers ``y = W x + b`` (W stored (out, in), as torch.nn.Linear holds
it) each followed by its ``activation`` (relu between layers, sigmoid at the end: the
VAE's Bernoulli means, :meth:`latentspace.model.vae.VAE.decode`).

Weights are stored as float16 by default: with the default widths (512, 256) the three
decoders hold 1.73 million numbers, 6.9 MB as float32 and 3.5 MB as float16 (4.6 MB once
in base64). The tests bound the effect of rounding the weights on the decoded pixels
(``rounding_error_bound`` in tests/explorer_helpers.py, an interval propagation through the
layers in exact arithmetic) and hold the browser to that bound against the float32 model,
and to 1e-5 against torch run on the rounded weights; they also read the bundles back.

Same model and settings give byte-identical bundles (sorted JSON keys, no dates, no paths).
Layout: the decoder as plain arrays; packing and the three widgets' bundles (pure
computation); the script text and its file, written and read back (the ``explorer`` step
writes them, the site step checks each one it carries).
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
from dataclasses import dataclass

from typing import TYPE_CHECKING

import numpy as np

from latentspace.files.reading import REBUILD, read_text
from latentspace.files.atomic import write_text_atomic
from latentspace.errors import LatentspaceError
from latentspace.files.images import IMAGE_SHAPE

if TYPE_CHECKING:  # torch is imported where it is used: building the command line stays cheap
    from latentspace.model.vae import VAE

FORMAT_NAME = "latentspace-explorer-bundle"
FORMAT_VERSION = 1
BUNDLE_FUNCTION = "latentspaceExplorerBundle"
EXPLORER_KINDS = ("plane", "spiral", "interpolation")
WEIGHT_DTYPES = ("float16", "float32")
ARRAY_DTYPES = ("float16", "float32", "uint8")
ALIGNMENT_BYTES = 8
BUNDLE_FILE = "an explorer bundle, a script from the explorer step"

# The whole file: a leading comment, then one call with the JSON payload.
_BUNDLE_PATTERN = re.compile(
    r"\A/\*.*?\*/\s*" + BUNDLE_FUNCTION + r"\((\{.*\})\);\s*\Z", flags=re.DOTALL
)


class BundleError(LatentspaceError):
    """A bundle file is missing, malformed or does not describe a decoder."""


@dataclass(frozen=True)
class Layer:
    """One affine layer of a decoder, weight (out, in) and bias (out,), then its activation."""

    weight: np.ndarray
    bias: np.ndarray
    activation: str


@dataclass(frozen=True)
class ExplorerBundle:
    """The manifest (JSON-ready dict) and the packed array bytes of one widget's bundle."""

    manifest: dict
    data: bytes

    @property
    def latent_dim(self) -> int:
        return int(self.manifest["latent_dim"])


# --------------------------------------------------------------------------
# The decoder as plain arrays (pure computation)
# --------------------------------------------------------------------------


def decoder_layers(model: VAE) -> list[Layer]:
    """The decoder of ``model`` as float32 layers: Linear (+ ReLU) ..., Linear, then sigmoid."""
    from torch import nn

    layers: list[Layer] = []
    for module in model.decoder:
        if isinstance(module, nn.Linear):
            weight = module.weight.detach().cpu().numpy().astype(np.float32)     # (out, in)
            bias = module.bias.detach().cpu().numpy().astype(np.float32)         # (out,)
            layers.append(Layer(weight, bias, "identity"))
        elif isinstance(module, nn.ReLU) and layers and layers[-1].activation == "identity":
            layers[-1] = Layer(layers[-1].weight, layers[-1].bias, "relu")
        else:
            raise LatentspaceError(f"decoder: cannot export a {type(module).__name__} layer here")
    if not layers or layers[-1].activation != "identity":
        raise LatentspaceError("decoder: expected a last Linear layer without activation")
    layers[-1] = Layer(layers[-1].weight, layers[-1].bias, "sigmoid")  # VAE.decode: Bernoulli means
    return layers


def round_layers(layers: list[Layer], dtype: str) -> list[Layer]:
    """``layers`` with weights and biases rounded to ``dtype`` (float16 or float32), held as float32."""
    if dtype not in WEIGHT_DTYPES:
        raise LatentspaceError(f"weight_dtype: expected one of {', '.join(WEIGHT_DTYPES)}, got {dtype!r}")
    rounded = []
    for index, layer in enumerate(layers):
        with np.errstate(over="ignore"):
            weight, bias = layer.weight.astype(dtype), layer.bias.astype(dtype)
        if not (np.all(np.isfinite(weight)) and np.all(np.isfinite(bias))):
            raise LatentspaceError(f"decoder layer {index}: a weight does not fit in {dtype} (|w| > 65504)")
        rounded.append(Layer(weight.astype(np.float32), bias.astype(np.float32), layer.activation))
    return rounded


# --------------------------------------------------------------------------
# Packing arrays and building bundles (pure computation)
# --------------------------------------------------------------------------


def pack_arrays(arrays: dict[str, np.ndarray]) -> tuple[bytes, dict]:
    """Little-endian bytes of ``arrays`` in their order, each aligned, and {name: dtype, shape, offset}."""
    chunks, specs, offset = [], {}, 0
    for name, array in arrays.items():
        array = np.ascontiguousarray(array)
        dtype = array.dtype.name
        if dtype not in ARRAY_DTYPES:
            raise LatentspaceError(f"array {name}: dtype {dtype} cannot go in a bundle ({', '.join(ARRAY_DTYPES)})")
        padding = -offset % ALIGNMENT_BYTES
        chunks.append(b"\0" * padding)
        offset += padding
        raw = array.astype(array.dtype.newbyteorder("<")).tobytes()
        specs[name] = {"dtype": dtype, "shape": list(array.shape), "offset": offset}
        chunks.append(raw)
        offset += len(raw)
    return b"".join(chunks), specs


def build_bundle(
    model: VAE, weight_dtype: str, widget: dict, extra_arrays: dict[str, np.ndarray] | None = None
) -> ExplorerBundle:
    """A widget's bundle: ``model``'s decoder in ``weight_dtype``, the ``widget`` settings, any extra arrays."""
    if widget.get("kind") not in EXPLORER_KINDS:
        raise LatentspaceError(f"explorer kind: expected one of {', '.join(EXPLORER_KINDS)}, got {widget.get('kind')!r}")
    layers = round_layers(decoder_layers(model), weight_dtype)
    arrays, layer_entries = {}, []
    for index, layer in enumerate(layers):
        arrays[f"layer{index}.weight"] = layer.weight.astype(weight_dtype)     # (out, in)
        arrays[f"layer{index}.bias"] = layer.bias.astype(weight_dtype)         # (out,)
        layer_entries.append({"weight": f"layer{index}.weight", "bias": f"layer{index}.bias", "activation": layer.activation})
    for name, array in (extra_arrays or {}).items():
        if name in arrays:
            raise LatentspaceError(f"array {name}: the name is taken by the decoder")
        arrays[name] = array
    data, specs = pack_arrays(arrays)
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "latent_dim": model.config.latent_dim,
        "image_shape": list(IMAGE_SHAPE),
        "weight_dtype": weight_dtype,
        "layers": layer_entries,
        "arrays": specs,
        "widget": widget,
    }
    return ExplorerBundle(manifest, data)


def plane_bundle(
    model: VAE,
    weight_dtype: str,
    extent: float,
    means: np.ndarray,
    labels: np.ndarray,
    label_colors: list[str],
    marker_color: str,
) -> ExplorerBundle:
    """The 2-D plane beside F2: the decoder, the encoded test digits (N, 2) and their labels (N,)."""
    if model.config.latent_dim != 2:
        raise LatentspaceError(f"explorer plane: needs the model with latent_dim 2, got {model.config.latent_dim}")
    if not (math.isfinite(extent) and extent > 0):
        raise LatentspaceError(f"explorer plane_extent: expected a positive number, got {extent}")
    means, labels = np.asarray(means, dtype=np.float32), np.asarray(labels, dtype=np.uint8)
    if means.ndim != 2 or means.shape[1] != 2 or labels.shape != (len(means),):
        raise LatentspaceError(f"explorer plane: expected means (N, 2) and labels (N,), got {means.shape} and {labels.shape}")
    widget = {"kind": "plane", "extent": float(extent), "label_colors": list(label_colors), "marker_color": marker_color}
    return build_bundle(model, weight_dtype, widget, {"encoded_means": means, "encoded_labels": labels})


def spiral_bundle(model: VAE, weight_dtype: str, turns: float, bar_color: str) -> ExplorerBundle:
    """The scrubber beside F7: the decoder and the spiral's shape (radius sqrt(D), ``turns`` of the last angle)."""
    latent_dim = model.config.latent_dim
    if latent_dim < 3:
        raise LatentspaceError(f"explorer spiral: needs a model with latent_dim >= 3, got {latent_dim}")
    if not (math.isfinite(turns) and turns >= 0):
        raise LatentspaceError(f"explorer spiral turns: expected a number >= 0, got {turns}")
    widget = {"kind": "spiral", "radius": math.sqrt(latent_dim), "turns": float(turns), "bar_color": bar_color}
    return build_bundle(model, weight_dtype, widget)


def interpolation_bundle(
    model: VAE, weight_dtype: str, endpoints: np.ndarray, seed: int, lerp_color: str, slerp_color: str
) -> ExplorerBundle:
    """The slider beside F11/F12: the decoder and F11's two endpoints (2, D), drawn from ``seed``."""
    latent_dim = model.config.latent_dim
    endpoints = np.asarray(endpoints, dtype=np.float32)
    if endpoints.shape != (2, latent_dim):
        raise LatentspaceError(f"explorer interpolation: expected endpoints (2, {latent_dim}), got {endpoints.shape}")
    widget = {
        "kind": "interpolation",
        "radius": math.sqrt(latent_dim),
        "endpoints_seed": int(seed),
        "lerp_color": lerp_color,
        "slerp_color": slerp_color,
    }
    return build_bundle(model, weight_dtype, widget, {"endpoints": endpoints})


# --------------------------------------------------------------------------
# The script text, and its file
# --------------------------------------------------------------------------


def bundle_text(bundle: ExplorerBundle) -> str:
    """The bundle as the script the page loads (deterministic: sorted keys, no dates)."""
    payload = {"manifest": bundle.manifest, "data": base64.b64encode(bundle.data).decode("ascii")}
    widget = bundle.manifest["widget"]["kind"]
    comment = (
        f"/* latentspace explorer bundle: the {widget} widget's decoder (latent_dim {bundle.latent_dim}, "
        f"{bundle.manifest['weight_dtype']} weights), written by `python -m latentspace explorer`; "
        "format in src/latentspace/page/explorer_bundles.py. */"
    )
    return f"{comment}\n{BUNDLE_FUNCTION}({json.dumps(payload, sort_keys=True, separators=(',', ':'))});\n"


def write_bundle(bundle: ExplorerBundle, path: str | os.PathLike) -> None:
    write_text_atomic(path, bundle_text(bundle))


def parse_bundle(text: str, source: str = "bundle") -> ExplorerBundle:
    """Read back :func:`bundle_text`; raises BundleError naming ``source`` and what is wrong."""
    match = _BUNDLE_PATTERN.match(text)
    if not match:
        raise BundleError(f"{source}: not an explorer bundle (expected a comment, then {BUNDLE_FUNCTION}({{...}});)")
    try:
        payload = json.loads(match.group(1))
        manifest, data = payload["manifest"], base64.b64decode(payload["data"], validate=True)
    except (ValueError, KeyError, TypeError) as error:
        raise BundleError(f"{source}: unreadable payload ({error})") from None
    if manifest.get("format") != FORMAT_NAME or manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{source}: expected format {FORMAT_NAME} version {FORMAT_VERSION}")
    bundle = ExplorerBundle(manifest, data)
    try:
        unpack_arrays(bundle)  # every array lies inside the data
    except (BundleError, KeyError, TypeError, ValueError) as error:
        raise BundleError(f"{source}: {error}") from None
    return bundle


def unpack_arrays(bundle: ExplorerBundle) -> dict[str, np.ndarray]:
    """The arrays of a bundle, {name: array}, checked against the data's length."""
    arrays = {}
    for name, spec in bundle.manifest["arrays"].items():
        dtype = np.dtype(spec["dtype"]).newbyteorder("<")
        count = math.prod(spec["shape"])
        end = spec["offset"] + count * dtype.itemsize
        if spec["offset"] < 0 or end > len(bundle.data):
            raise BundleError(f"array {name}: bytes {spec['offset']}..{end} lie outside the {len(bundle.data)} bytes of data")
        arrays[name] = np.frombuffer(bundle.data, dtype=dtype, count=count, offset=spec["offset"]).reshape(spec["shape"])
    return arrays


def read_bundle(path: str | os.PathLike) -> ExplorerBundle:
    text = read_text(path, BUNDLE_FILE)
    try:
        return parse_bundle(text, str(path))
    except BundleError as error:
        raise BundleError(f"{error}; {REBUILD}") from None
