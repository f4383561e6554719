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
VAE's Bernoulli means, :meth:`latentspace.model.VAE.decode`).

Weights are stored as float16 by default: with the default widths (512, 256) the three
decoders hold 1.73 million numbers, 6.9 MB as float32 and 3.5 MB as float16 (4.6 MB once
in base64). The effect of rounding the weights on the decoded pixels is bounded by
:func:`rounding_error_bound` (a first-order-exact interval propagation through the layers,
in exact arithmetic): the tests hold the browser to that bound against the float32 model,
and to 1e-5 against torch run on the rounded weights.

Same model and settings give byte-identical bundles (sorted JSON keys, no dates, no paths).
Layout: the decoder as plain arrays and the bound; packing and the three widgets' bundles
(pure computation); the script text and files; the ``explorer-export`` command.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import re
from dataclasses import dataclass

import sys
from typing import TYPE_CHECKING

import numpy as np

from latentspace.atomic_files import write_text_atomic
from latentspace.errors import LatentspaceError
from latentspace.images import IMAGE_SHAPE

if TYPE_CHECKING:  # torch is imported where it is used: building the command line stays cheap
    from latentspace.model import VAE

FORMAT_NAME = "latentspace-explorer-bundle"
FORMAT_VERSION = 1
BUNDLE_FUNCTION = "latentspaceExplorerBundle"
EXPLORER_KINDS = ("plane", "spiral", "interpolation")
WEIGHT_DTYPES = ("float16", "float32")
ARRAY_DTYPES = ("float16", "float32", "uint8")
ALIGNMENT_BYTES = 8
ACTIVATIONS = ("relu", "sigmoid")

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


def _activate(values: np.ndarray, activation: str) -> np.ndarray:
    if activation == "relu":
        return np.maximum(values, 0.0)
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-values))
    return values


def decode_with_layers(layers: list[Layer], latents: np.ndarray) -> np.ndarray:
    """Pixel intensities (N, 784) of latents (N, D) through ``layers``, in float64."""
    activations = np.asarray(latents, dtype=np.float64)                         # (N, D)
    for layer in layers:
        activations = _activate(activations @ layer.weight.T.astype(np.float64) + layer.bias, layer.activation)
    return activations


def rounding_error_bound(layers: list[Layer], rounded_layers: list[Layer], latents: np.ndarray) -> np.ndarray:
    """Bound (N, 784) on |decoded with rounded_layers - decoded with layers| at latents (N, D).

    With x the activations of the exact layers and e a bound on |x~ - x| (e = 0 at the
    input), each layer gives |W~ x~ + b~ - (W x + b)| <= |W~| e + |W~ - W| |x| + |b~ - b|.
    ReLU is 1-Lipschitz and keeps the bound; the sigmoid's slope is at most 1/4, and at
    most its largest value on the interval [a - e, a + e] around the exact pre-activation
    a, which is what is used. Exact arithmetic: the float32 arithmetic of an evaluation
    adds a few 1e-7 on top.
    """
    exact = np.asarray(latents, dtype=np.float64)                              # (N, D)
    bound = np.zeros_like(exact)                                               # (N, D)
    for layer, rounded in zip(layers, rounded_layers, strict=True):
        weight = layer.weight.astype(np.float64)                               # (out, in)
        weight_error = np.abs(rounded.weight.astype(np.float64) - weight)      # (out, in)
        bias_error = np.abs(rounded.bias.astype(np.float64) - layer.bias)      # (out,)
        pre_activation = exact @ weight.T + layer.bias                         # (N, out)
        bound = bound @ np.abs(rounded.weight.astype(np.float64)).T + np.abs(exact) @ weight_error.T + bias_error
        if layer.activation == "sigmoid":
            # The sigmoid's slope s(1 - s) peaks at 0: take it at the point of the interval nearest 0.
            nearest = np.maximum(np.abs(pre_activation) - bound, 0.0)
            steepest = 1.0 / (1.0 + np.exp(-nearest))
            bound = bound * steepest * (1.0 - steepest)
        exact = _activate(pre_activation, layer.activation)
    return bound


def model_with_rounded_decoder(model: VAE, dtype: str) -> VAE:
    """A copy of ``model`` whose decoder weights are rounded to ``dtype`` (the reference the page reproduces)."""
    import torch
    from torch import nn

    rounded = copy.deepcopy(model)
    linear_modules = [module for module in rounded.decoder if isinstance(module, nn.Linear)]
    for layer, module in zip(round_layers(decoder_layers(model), dtype), linear_modules, strict=True):
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(layer.weight))
            module.bias.copy_(torch.from_numpy(layer.bias))
    return rounded


def posterior_means(model: VAE, images: np.ndarray) -> np.ndarray:
    """Posterior means (N, D) float32 of uint8 images (N, 28, 28), in one pass on the model's device."""
    import torch

    from latentspace.datasets import images_to_vectors

    device = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        mean, _ = model.encode(images_to_vectors(images).to(device))            # (N, D)
    return mean.cpu().numpy().astype(np.float32)


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


def bundle_layers(bundle: ExplorerBundle) -> list[Layer]:
    """The decoder layers a bundle holds, as float32 (what the page computes with)."""
    arrays = unpack_arrays(bundle)
    return [
        Layer(arrays[layer["weight"]].astype(np.float32), arrays[layer["bias"]].astype(np.float32), layer["activation"])
        for layer in bundle.manifest["layers"]
    ]


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
# The script text, and files
# --------------------------------------------------------------------------


def bundle_text(bundle: ExplorerBundle) -> str:
    """The bundle as the script the page loads (deterministic: sorted keys, no dates)."""
    payload = {"manifest": bundle.manifest, "data": base64.b64encode(bundle.data).decode("ascii")}
    widget = bundle.manifest["widget"]["kind"]
    comment = (
        f"/* latentspace explorer bundle: the {widget} widget's decoder (latent_dim {bundle.latent_dim}, "
        f"{bundle.manifest['weight_dtype']} weights), written by `python -m latentspace explorer-export`; "
        "format in src/latentspace/decoder_export.py. */"
    )
    return f"{comment}\n{BUNDLE_FUNCTION}({json.dumps(payload, sort_keys=True, separators=(',', ':'))});\n"


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


def write_bundle(bundle: ExplorerBundle, path: str | os.PathLike) -> None:
    write_text_atomic(path, bundle_text(bundle))


def read_bundle(path: str | os.PathLike) -> ExplorerBundle:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise BundleError(f"{path}: explorer bundle not found") from None
    except UnicodeDecodeError:
        raise BundleError(f"{path}: not an explorer bundle (not UTF-8 text)") from None
    return parse_bundle(text, str(path))


# --------------------------------------------------------------------------
# Command line: python -m latentspace explorer-export ...
# --------------------------------------------------------------------------


def add_explorer_export_command(commands) -> None:
    parser = commands.add_parser(
        "explorer-export", help="write a model's decoder, and what its page explorer needs, as one script"
    )
    parser.add_argument("--kind", required=True, help="plane (beside F2), spiral (F7) or interpolation (F11/F12)")
    parser.add_argument("--model", required=True)
    parser.add_argument("--weight-dtype", default="float16", help="float16 or float32")
    parser.add_argument("--data", default=None, help="plane: the dataset .npz whose test digits are encoded")
    parser.add_argument("--encoded-digits", type=int, default=None, help="plane: how many test digits to encode")
    parser.add_argument("--extent", type=float, default=None, help="plane: half-width of the plane shown")
    parser.add_argument("--turns", type=float, default=None, help="spiral: turns of the last angle (as F7)")
    parser.add_argument("--path", default=None, help="interpolation: F11's decoded lerp path .npz (its endpoints)")
    parser.add_argument("--seed", type=int, default=None, help="interpolation: the seed F11's endpoints came from")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output", required=True, help="the bundle, a .js file")
    parser.set_defaults(run=run_explorer_export)


def run_explorer_export(args) -> None:
    from latentspace.checkpoints import load_model
    from latentspace.devices import resolve_device
    from latentspace.figures import style

    needed = {"plane": ("data", "encoded_digits", "extent"), "spiral": ("turns",), "interpolation": ("path", "seed")}
    if args.kind not in needed:
        raise LatentspaceError(f"--kind: expected one of {', '.join(needed)}, got {args.kind!r}")
    missing = [f"--{name.replace('_', '-')}" for name in needed[args.kind] if getattr(args, name) is None]
    if missing:
        raise LatentspaceError(f"explorer {args.kind}: {', '.join(missing)} required")
    model = load_model(args.model, resolve_device(args.device))
    if args.kind == "plane":
        from latentspace.datasets import load_dataset

        if args.encoded_digits < 1:
            raise LatentspaceError(f"--encoded-digits: expected a positive integer, got {args.encoded_digits}")
        dataset = load_dataset(args.data)
        images, labels = dataset.test_images[: args.encoded_digits], dataset.test_labels[: args.encoded_digits]
        bundle = plane_bundle(
            model, args.weight_dtype, args.extent, posterior_means(model, images), labels,
            list(style.COMPONENT_COLORS), style.CURRENT_COLOR,
        )
    elif args.kind == "spiral":
        bundle = spiral_bundle(model, args.weight_dtype, args.turns, style.PATH_COLOR)
    else:
        from latentspace.paths import load_decoded_path

        latents = load_decoded_path(args.path).latents                        # (N, D)
        bundle = interpolation_bundle(
            model, args.weight_dtype, latents[[0, -1]], args.seed, style.LERP_COLOR, style.SLERP_COLOR
        )
    write_bundle(bundle, args.output)
    print(
        f"explorer {args.kind}: decoder of the z = {bundle.latent_dim} model, {len(bundle.data):,} bytes of "
        f"{args.weight_dtype} data, {os.path.getsize(args.output):,} bytes written to {args.output}",
        file=sys.stderr,
    )
