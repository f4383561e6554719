"""Test helpers for the explorers' decoder bundles: read them back, decode as the page does, bound the rounding.

The product only writes bundles (``latentspace.decoder_export``) and the page reads them
(``site_templates/static/explorer.js``); these helpers let the tests read them in Python
and hold the page's pixels to torch's:

* :func:`parse_bundle` / :func:`read_bundle` - a bundle's text back into its manifest and
  data, refusing malformed ones with a one-line :class:`BundleError`;
* :func:`unpack_arrays` / :func:`bundle_layers` - its arrays and its decoder layers;
* :func:`decode_with_layers` - the decoder on plain arrays, in float64;
* :func:`rounding_error_bound` - how far rounding the weights (float16) can move a pixel;
* :func:`model_with_rounded_decoder` - the torch model with the page's rounded weights.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import os
import re

import numpy as np
import torch
from torch import nn

from latentspace.decoder_export import (
    BUNDLE_FUNCTION,
    FORMAT_NAME,
    FORMAT_VERSION,
    ExplorerBundle,
    Layer,
    decoder_layers,
    round_layers,
)
from latentspace.errors import LatentspaceError
from latentspace.model import VAE

# The whole file: a leading comment, then one call with the JSON payload.
_BUNDLE_PATTERN = re.compile(
    r"\A/\*.*?\*/\s*" + BUNDLE_FUNCTION + r"\((\{.*\})\);\s*\Z", flags=re.DOTALL
)


class BundleError(LatentspaceError):
    """A bundle file is missing, malformed or does not describe a decoder."""


# --------------------------------------------------------------------------
# Reading bundles back
# --------------------------------------------------------------------------


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


def read_bundle(path: str | os.PathLike) -> ExplorerBundle:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise BundleError(f"{path}: explorer bundle not found") from None
    except UnicodeDecodeError:
        raise BundleError(f"{path}: not an explorer bundle (not UTF-8 text)") from None
    return parse_bundle(text, str(path))


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


# --------------------------------------------------------------------------
# Decoding on plain arrays, and the bound on the effect of rounding the weights
# --------------------------------------------------------------------------


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
    rounded = copy.deepcopy(model)
    linear_modules = [module for module in rounded.decoder if isinstance(module, nn.Linear)]
    for layer, module in zip(round_layers(decoder_layers(model), dtype), linear_modules, strict=True):
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(layer.weight))
            module.bias.copy_(torch.from_numpy(layer.bias))
    return rounded
