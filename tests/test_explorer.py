"""The decoder export behind the page's explorers: layers, packing, bundles, the bound, the CLI, the rules.

Compute functions run on real (tiny, untrained) models; the end-to-end checks read the
bundles of the shared reduced pipeline run (``pipeline_run``). The browser side is in
test_explorer_browser.py.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil

import numpy as np
import pytest
import torch
import yaml

from conftest import REDUCED_CONFIG, run_snakemake
from explorer_helpers import bundle_layers, decode_with_layers, model_with_rounded_decoder, rounding_error_bound
from latentspace.page import explorer_bundles
from latentspace.model.model_files import load_model, save_model
from latentspace.cli import main
from latentspace.files.datasets import Dataset, images_to_vectors, save_dataset
from latentspace.page.explorer_bundles import (
    BundleError,
    bundle_text,
    decoder_layers,
    interpolation_bundle,
    pack_arrays,
    parse_bundle,
    plane_bundle,
    read_bundle,
    round_layers,
    spiral_bundle,
    unpack_arrays,
)
from latentspace.model.decoding import decode_latents
from latentspace.errors import LatentspaceError
from latentspace.model.vae import VAEConfig
from latentspace.model.latent_paths import decode_path, interpolation_path, load_decoded_path, save_decoded_path
from latentspace.training.loop import build_model

# The page weight the issue allows for the weights of all explorers together.
PAGE_WEIGHT_BUDGET_BYTES = 5_000_000
COLORS = ["#000000", "#111111", "#222222", "#333333", "#444444", "#555555", "#666666", "#777777", "#888888", "#999999"]


def tiny_model(latent_dim: int, hidden_dims=(16,), seed: int = 0):
    """A real, untrained VAE (weights from ``seed``)."""
    return build_model(VAEConfig(latent_dim, tuple(hidden_dims)), seed, torch.device("cpu"))


def probe_latents(latent_dim: int, count: int = 16, seed: int = 0) -> np.ndarray:
    """Fixed latents (count, D): the origin and prior draws at 1.5 times their usual size."""
    draws = 1.5 * np.random.default_rng(seed).standard_normal((count - 1, latent_dim))
    return np.vstack([np.zeros((1, latent_dim)), draws]).astype(np.float32)


def small_dataset(test_count: int = 12) -> Dataset:
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, size=(20 + test_count, 28, 28), dtype=np.uint8)
    labels = (np.arange(20 + test_count) % 10).astype(np.uint8)
    return Dataset(images[:20], labels[:20], images[20:], labels[20:], "idx")


# --------------------------------------------------------------------------
# The decoder as arrays, rounding and its bound
# --------------------------------------------------------------------------


@pytest.mark.parametrize("hidden_dims", [(16,), (32, 8)])
def test_exported_layers_decode_as_the_model_does(hidden_dims):
    model = tiny_model(3, hidden_dims)
    layers = decoder_layers(model)
    assert [layer.activation for layer in layers] == ["relu"] * len(hidden_dims) + ["sigmoid"]
    assert layers[0].weight.shape == (hidden_dims[-1], 3) and layers[-1].weight.shape == (784, hidden_dims[0])
    latents = probe_latents(3)
    expected = decode_latents(model, latents).reshape(len(latents), -1)
    np.testing.assert_allclose(decode_with_layers(layers, latents), expected, atol=1e-6)


def test_float32_rounding_changes_nothing_and_has_a_zero_bound():
    layers = decoder_layers(tiny_model(4))
    rounded = round_layers(layers, "float32")
    for layer, same in zip(layers, rounded):
        np.testing.assert_array_equal(layer.weight, same.weight)
        np.testing.assert_array_equal(layer.bias, same.bias)
    assert np.all(rounding_error_bound(layers, rounded, probe_latents(4)) == 0)


@pytest.mark.parametrize("latent_dim, hidden_dims", [(2, (16,)), (10, (64, 32)), (50, (128, 64))])
def test_the_float16_bound_holds_for_torch(latent_dim, hidden_dims):
    model = tiny_model(latent_dim, hidden_dims, seed=latent_dim)
    latents = probe_latents(latent_dim, count=64)
    exact = decode_latents(model, latents).reshape(len(latents), -1)
    rounded = decode_latents(model_with_rounded_decoder(model, "float16"), latents).reshape(len(latents), -1)
    bound = rounding_error_bound(decoder_layers(model), round_layers(decoder_layers(model), "float16"), latents)
    difference = np.abs(rounded - exact)
    assert difference.max() > 0  # the rounding did change something
    # The bound is for exact arithmetic; float32 evaluation adds a few 1e-7.
    assert np.all(difference <= bound + 1e-6)
    assert bound.max() < 0.05  # and it says something: well under a tenth of the intensity range


def test_the_rounded_model_keeps_its_encoder_and_leaves_the_original_alone():
    model = tiny_model(5)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    rounded = model_with_rounded_decoder(model, "float16")
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name])
    for name, value in rounded.state_dict().items():
        if name.startswith("encoder"):
            assert torch.equal(value, before[name])
        else:
            assert torch.equal(value, before[name].half().float())


def test_a_weight_beyond_float16_is_refused():
    model = tiny_model(2)
    with torch.no_grad():
        model.decoder[0].weight[0, 0] = 1e6
    with pytest.raises(LatentspaceError, match="decoder layer 0: a weight does not fit in float16"):
        round_layers(decoder_layers(model), "float16")
    with pytest.raises(LatentspaceError, match="weight_dtype: expected one of float16, float32, got 'int8'"):
        round_layers(decoder_layers(model), "int8")


# --------------------------------------------------------------------------
# Packing and bundles
# --------------------------------------------------------------------------


def test_arrays_are_packed_aligned_little_endian_and_read_back():
    arrays = {
        "a": np.arange(3, dtype=np.uint8),
        "b": np.array([[1.5, -2.0], [65504.0, 2**-24]], dtype=np.float16),
        "c": np.array([np.pi, -1e-30], dtype=np.float32),
    }
    data, specs = pack_arrays(arrays)
    assert [spec["offset"] % explorer_bundles.ALIGNMENT_BYTES for spec in specs.values()] == [0, 0, 0]
    assert specs["b"] == {"dtype": "float16", "shape": [2, 2], "offset": 8}
    assert data[8:10] == b"\x00\x3e"  # float16 1.5, little-endian
    assert data[16:20] == b"\xdb\x0f\x49\x40"  # float32 pi, little-endian
    bundle = explorer_bundles.ExplorerBundle({"arrays": specs}, data)
    for name, array in unpack_arrays(bundle).items():
        np.testing.assert_array_equal(array, arrays[name])
        assert array.dtype == arrays[name].dtype


def test_a_bundle_reads_back_with_the_rounded_decoder():
    model = tiny_model(3, (32, 8))
    endpoints = np.random.default_rng(1).standard_normal((2, 3))
    bundle = interpolation_bundle(model, "float16", endpoints, 9, "#D55E00", "#0072B2")
    back = parse_bundle(bundle_text(bundle))
    assert back.manifest == json.loads(json.dumps(bundle.manifest)) and back.data == bundle.data
    assert back.manifest["weight_dtype"] == "float16" and back.latent_dim == 3
    assert back.manifest["widget"] == {
        "kind": "interpolation", "radius": math.sqrt(3), "endpoints_seed": 9,
        "lerp_color": "#D55E00", "slerp_color": "#0072B2",
    }
    for layer, expected in zip(bundle_layers(back), round_layers(decoder_layers(model), "float16")):
        np.testing.assert_array_equal(layer.weight, expected.weight)
        np.testing.assert_array_equal(layer.bias, expected.bias)
        assert layer.activation == expected.activation
    np.testing.assert_array_equal(unpack_arrays(back)["endpoints"], endpoints.astype(np.float32))
    # Weights take 2 bytes each, plus alignment.
    parameters = sum(p.numel() for p in model.decoder.parameters())
    assert 2 * parameters <= len(back.data) <= 2 * parameters + 8 * 8 + 4 * 6


def test_bundles_are_byte_identical_for_the_same_model_and_differ_for_another():
    text = bundle_text(spiral_bundle(tiny_model(10, seed=1), "float16", 8, "#0072B2"))
    assert bundle_text(spiral_bundle(tiny_model(10, seed=1), "float16", 8, "#0072B2")) == text
    assert bundle_text(spiral_bundle(tiny_model(10, seed=2), "float16", 8, "#0072B2")) != text
    assert text.startswith("/* latentspace explorer bundle: the spiral widget") and text.endswith(");\n")


def test_float32_bundles_keep_the_trained_weights_exactly():
    model = tiny_model(2)
    means = np.zeros((4, 2))
    bundle = parse_bundle(bundle_text(plane_bundle(model, "float32", 3.0, means, np.arange(4), COLORS, "#CC79A7")))
    for layer, expected in zip(bundle_layers(bundle), decoder_layers(model)):
        np.testing.assert_array_equal(layer.weight, expected.weight)
    arrays = unpack_arrays(bundle)
    assert arrays["encoded_means"].shape == (4, 2) and arrays["encoded_labels"].tolist() == [0, 1, 2, 3]


def test_default_size_decoders_fit_the_page_weight_budget():
    """The three decoders of the default config (hidden_dims 512, 256), as float16 base64 text."""
    def default_model(latent_dim):
        return build_model(VAEConfig(latent_dim, (512, 256)), 0, torch.device("cpu"))

    bundles = [
        plane_bundle(default_model(2), "float16", 3.0, np.zeros((2000, 2)), np.zeros(2000), COLORS, "#CC79A7"),
        spiral_bundle(default_model(10), "float16", 8, "#0072B2"),
        interpolation_bundle(default_model(500), "float16", np.ones((2, 500)), 1, "#D55E00", "#0072B2"),
    ]
    total = sum(len(bundle_text(bundle)) for bundle in bundles)
    assert total <= PAGE_WEIGHT_BUDGET_BYTES, f"{total:,} bytes"


def valid_text() -> str:
    return bundle_text(spiral_bundle(tiny_model(3), "float16", 2, "#0072B2"))


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda text: "alert(1);\n", "not an explorer bundle"),
        (lambda text: text[: len(text) // 2], "not an explorer bundle"),
        (lambda text: text.replace('"data":"', '"data":"!'), "unreadable payload"),
        (lambda text: text.replace('"format_version":1', '"format_version":2'), "expected format latentspace-explorer-bundle version 1"),
        (lambda text: re.sub(r'"data":"[^"]*"', '"data":"' + base64.b64encode(b"12345678").decode() + '"', text), "lie outside the 8 bytes of data"),
    ],
)
def test_malformed_bundles_are_refused_with_one_line(corrupt, message):
    with pytest.raises(BundleError, match=message) as error:
        parse_bundle(corrupt(valid_text()), "site/figures/x.js")
    assert str(error.value).startswith("site/figures/x.js: ") and "\n" not in str(error.value)


def test_missing_bundle_file_is_named(tmp_path):
    with pytest.raises(LatentspaceError, match=r"x\.js: not found \(expected an explorer bundle"):
        read_bundle(tmp_path / "x.js")


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: plane_bundle(tiny_model(3), "float16", 3.0, np.zeros((2, 2)), np.zeros(2), COLORS, "#000"), "needs the model with latent_dim 2, got 3"),
        (lambda: plane_bundle(tiny_model(2), "float16", 0.0, np.zeros((2, 2)), np.zeros(2), COLORS, "#000"), "plane_extent: expected a positive number"),
        (lambda: plane_bundle(tiny_model(2), "float16", 3.0, np.zeros((2, 3)), np.zeros(2), COLORS, "#000"), r"expected means \(N, 2\)"),
        (lambda: spiral_bundle(tiny_model(2), "float16", 3, "#000"), "latent_dim >= 3, got 2"),
        (lambda: spiral_bundle(tiny_model(3), "float16", -1, "#000"), "turns: expected a number >= 0"),
        (lambda: interpolation_bundle(tiny_model(3), "float16", np.zeros((2, 4)), 1, "#000", "#111"), r"expected endpoints \(2, 3\)"),
    ],
)
def test_bad_widget_settings_are_named(build, message):
    with pytest.raises(LatentspaceError, match=message):
        build()


# --------------------------------------------------------------------------
# The explorer command
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Model files for z = 2, 10, 6, a dataset and a decoded lerp path, as the pipeline writes them."""
    folder = tmp_path_factory.mktemp("explorer-inputs")
    for latent_dim in (2, 10, 6):
        save_model(folder / f"z{latent_dim}.pt", tiny_model(latent_dim, seed=latent_dim))
    save_dataset(small_dataset(test_count=12), folder / "dataset.npz")
    lerp = decode_path(tiny_model(6, seed=6), interpolation_path("lerp", 6, 4, seed=5))
    save_decoded_path(lerp, folder / "lerp.npz")
    return folder


def export(inputs, kind, output, *options):
    dtype = [] if "--weight-dtype" in options else ["--weight-dtype", "float16"]
    return main(["explorer", kind, "--device", "cpu", "--output", str(output), *dtype, *options])


def test_the_command_writes_each_widgets_bundle(inputs, tmp_path):
    assert export(inputs, "plane", tmp_path / "plane.js", "--model", str(inputs / "z2.pt"),
                  "--data", str(inputs / "dataset.npz"), "--encoded-digits", "5", "--plane-extent", "2.5") == 0
    plane = read_bundle(tmp_path / "plane.js")
    arrays = unpack_arrays(plane)
    dataset = small_dataset(test_count=12)
    model = load_model(inputs / "z2.pt")
    np.testing.assert_array_equal(arrays["encoded_means"], model.encode(images_to_vectors(dataset.test_images[:5]))[0].detach().numpy())
    np.testing.assert_array_equal(arrays["encoded_labels"], dataset.test_labels[:5])
    assert plane.manifest["widget"]["extent"] == 2.5 and len(plane.manifest["widget"]["label_colors"]) == 10

    assert export(inputs, "spiral", tmp_path / "spiral.js", "--model", str(inputs / "z10.pt"), "--turns", "8",
                  "--weight-dtype", "float32") == 0
    spiral = read_bundle(tmp_path / "spiral.js")
    assert spiral.manifest["widget"]["turns"] == 8 and spiral.manifest["weight_dtype"] == "float32"

    assert export(inputs, "interpolation", tmp_path / "interpolation.js", "--model", str(inputs / "z6.pt"),
                  "--path", str(inputs / "lerp.npz"), "--seed", "5") == 0
    interpolation = read_bundle(tmp_path / "interpolation.js")
    latents = load_decoded_path(inputs / "lerp.npz").latents
    np.testing.assert_array_equal(unpack_arrays(interpolation)["endpoints"], latents[[0, -1]].astype(np.float32))
    assert interpolation.manifest["widget"]["endpoints_seed"] == 5


def test_the_command_is_deterministic(inputs, tmp_path):
    for name in ("first.js", "second.js"):
        assert export(inputs, "plane", tmp_path / name, "--model", str(inputs / "z2.pt"),
                      "--data", str(inputs / "dataset.npz"), "--encoded-digits", "100", "--plane-extent", "3") == 0
    assert (tmp_path / "first.js").read_bytes() == (tmp_path / "second.js").read_bytes()
    assert len(unpack_arrays(read_bundle(tmp_path / "first.js"))["encoded_labels"]) == 12  # all there are


@pytest.mark.parametrize(
    "kind, options, message, status",
    [
        ("cube", ["--model", "{z2}"], "argument KIND: invalid choice: 'cube'", 2),
        ("spiral", ["--turns", "2"], "latentspace explorer spiral: error: the following arguments are required: --model", 2),
        ("plane", ["--model", "{z2}", "--plane-extent", "3"], "the following arguments are required: --data", 2),
        ("plane", ["--model", "{z2}", "--data", "{data}", "--encoded-digits", "0"],
         "argument --encoded-digits: expected an integer from 1 to 100000, got '0'", 2),
        ("plane", ["--model", "{z10}", "--data", "{data}", "--encoded-digits", "3", "--plane-extent", "3"], "needs the model with latent_dim 2, got 10", 1),
        ("spiral", ["--model", "{z10}", "--turns", "2", "--weight-dtype", "int8"],
         "argument --weight-dtype: expected one of float16, float32, got 'int8'", 2),
        ("interpolation", ["--model", "{z10}", "--path", "{lerp}", "--seed", "1"], r"expected endpoints \(2, 10\), got \(2, 6\)", 1),
        ("spiral", ["--model", "{missing}", "--turns", "2"], r"not found \(expected a latentspace model file\)", 1),
    ],
)
def test_command_errors_are_one_line(inputs, tmp_path, capsys, kind, options, message, status):
    paths = {"z2": inputs / "z2.pt", "z10": inputs / "z10.pt", "data": inputs / "dataset.npz",
             "lerp": inputs / "lerp.npz", "missing": tmp_path / "none.pt"}
    assert export(inputs, kind, tmp_path / "out.js", *[option.format(**paths) for option in options]) == status
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and re.search(message, error), error
    assert not (tmp_path / "out.js").exists()


# --------------------------------------------------------------------------
# The pipeline's bundles and rules
# --------------------------------------------------------------------------


def test_pipeline_site_carries_the_three_explorers(pipeline_run):
    reduced = yaml.safe_load(REDUCED_CONFIG.read_text())
    figures = pipeline_run / "site" / "figures"
    bundles = {kind: read_bundle(next(figures.glob(f"explorer_{kind}_z*.js"))) for kind in ("plane", "spiral", "interpolation")}
    assert {kind: bundle.latent_dim for kind, bundle in bundles.items()} == {"plane": 2, "spiral": 10, "interpolation": 500}
    assert all(bundle.manifest["weight_dtype"] == "float16" for bundle in bundles.values())
    assert len(unpack_arrays(bundles["plane"])["encoded_labels"]) == reduced["explorer"]["encoded_digits"]
    assert bundles["spiral"].manifest["widget"]["turns"] == reduced["figures"]["sphere_spiral_10d"]["turns"]
    lerp = load_decoded_path(pipeline_run / "results" / "paths" / "lerp_500d.npz")
    np.testing.assert_array_equal(unpack_arrays(bundles["interpolation"])["endpoints"], lerp.latents[[0, -1]].astype(np.float32))
    for kind, bundle in bundles.items():
        model = load_model(pipeline_run / "results" / "models" / f"z{bundle.latent_dim}" / "model.pt")
        for layer, expected in zip(bundle_layers(bundle), round_layers(decoder_layers(model), "float16")):
            np.testing.assert_array_equal(layer.weight, expected.weight)
    html = (pipeline_run / "site" / "index.html").read_text()
    assert '<script defer src="static/explorer.js"></script>' in html
    assert (pipeline_run / "site" / "static" / "explorer.js").is_file()
    for kind in ("plane", "spiral", "interpolation"):
        # Hidden until the script runs: without JavaScript the page shows only the figures.
        assert re.search(rf'<div class="explorer" data-explorer="{kind}" data-bundle="figures/explorer_{kind}_z\d+\.js"[^>]* hidden>', html)


def test_an_explorer_setting_re_exports_only_its_bundle_and_the_site(pipeline_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(pipeline_run, copy, symlinks=True)
    config = yaml.safe_load(REDUCED_CONFIG.read_text())
    config["explorer"]["plane_extent"] = 2.5
    (tmp_path / "changed.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(copy, "-n", configfile=tmp_path / "changed.yaml")
    assert result.returncode == 0, result.stderr
    jobs = re.findall(r"^(\w+)\s+\d+$", result.stdout + result.stderr, flags=re.MULTILINE)
    assert set(jobs) - {"total"} == {"explorer_plane", "site", "all"}, result.stdout
