"""Test helpers for the explorers' decoder bundles: decode as the page does, bound the rounding.

The product writes bundles and reads them back (``latentspace.page.explorer_bundles``; the site
step checks each one it carries), and the page decodes them
(``site_templates/static/explorer.js``); these helpers hold the page's pixels to torch's:

* :func:`bundle_layers` - a bundle's decoder layers;
* :func:`decode_with_layers` - the decoder on plain arrays, in float64;
* :func:`rounding_error_bound` - how far rounding the weights (float16) can move a pixel;
* :func:`model_with_rounded_decoder` - the torch model with the page's rounded weights.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from latentspace.page.explorer_bundles import ExplorerBundle, Layer, decoder_layers, round_layers, unpack_arrays
from latentspace.model.vae import VAE


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
