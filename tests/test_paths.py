"""Latent paths and their decoding: shapes, geometry, batching, devices, files, the decode CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from latentspace.model import geometry
from latentspace.model.model_files import save_model
from latentspace.cli import main
from latentspace.model.decoding import decode_latents, to_uint8
from latentspace.errors import LatentspaceError
from latentspace.model.vae import VAEConfig
from latentspace.model.latent_paths import (
    DecodedPath,
    LatentPath,
    build_path,
    decode_path,
    interpolation_endpoints,
    interpolation_path,
    load_decoded_path,
    save_decoded_path,
    sphere_spiral_path,
    spiral_2d_path,
)
from latentspace.training.loop import build_model


def tiny_model(latent_dim: int, seed: int = 0):
    """A real, untrained VAE with one small hidden layer (weights from ``seed``)."""
    return build_model(VAEConfig(latent_dim, (16,)), seed, torch.device("cpu"))


# --------------------------------------------------------------------------
# Building paths
# --------------------------------------------------------------------------


def test_spiral_2d_path_follows_the_articles_formula():
    path = spiral_2d_path(50, 3 * math.pi)
    assert path.latents.shape == (50, 2) and path.t.shape == (50,)
    assert path.t[0] == 0 and path.t[-1] == pytest.approx(3 * math.pi)
    amplitude = 0.2 * path.t - 2
    np.testing.assert_allclose(path.latents[:, 0], amplitude * np.sin(path.t))
    np.testing.assert_allclose(path.latents[:, 1], amplitude * np.cos(path.t))


@pytest.mark.parametrize("latent_dim", [3, 10, 64])
def test_sphere_spiral_path_lies_on_the_prior_shell(latent_dim):
    path = sphere_spiral_path(latent_dim, 40, turns=3)
    assert path.latents.shape == (40, latent_dim)
    np.testing.assert_allclose(np.linalg.norm(path.latents, axis=1), math.sqrt(latent_dim))
    np.testing.assert_allclose(path.t, np.linspace(0, 1, 40))


def test_lerp_and_slerp_join_the_same_endpoints_on_the_shell():
    latent_dim, seed = 500, 3
    start, end = interpolation_endpoints(latent_dim, seed)
    np.testing.assert_allclose(np.linalg.norm([start, end], axis=1), math.sqrt(latent_dim))
    lerp_path = interpolation_path("lerp", latent_dim, 11, seed)
    slerp_path = interpolation_path("slerp", latent_dim, 11, seed)
    for path in (lerp_path, slerp_path):
        np.testing.assert_array_equal(path.latents[0], start)
        np.testing.assert_array_equal(path.latents[-1], end)
    np.testing.assert_allclose(np.linalg.norm(slerp_path.latents, axis=1), math.sqrt(latent_dim))
    # Two draws in 500 dimensions are nearly orthogonal: the chord's midpoint is ~1/sqrt(2) of the radius.
    midpoint_ratio = np.linalg.norm(lerp_path.latents[5]) / math.sqrt(latent_dim)
    assert 0.6 < midpoint_ratio < 0.8


def test_a_different_seed_gives_different_endpoints():
    assert not np.allclose(interpolation_endpoints(10, 1), interpolation_endpoints(10, 2))


@pytest.mark.parametrize(
    "kind, latent_dim, settings, message",
    [
        ("circle", 2, {}, "path kind: expected one of spiral_2d, sphere_spiral, lerp, slerp, got 'circle'"),
        ("spiral_2d", 2, {}, "path spiral_2d: the setting t_max is required"),
        ("spiral_2d", 10, {"t_max": 3.0}, "path spiral_2d: needs a model with latent_dim 2, got 10"),
        ("sphere_spiral", 10, {"turns": -1.0}, "path sphere_spiral: turns must be >= 0, got -1.0"),
        ("lerp", 10, {}, "path lerp: the setting seed is required"),
    ],
)
def test_bad_path_settings_are_named(kind, latent_dim, settings, message):
    with pytest.raises(LatentspaceError) as raised:
        build_path(kind, latent_dim, 5, **settings)
    assert str(raised.value) == message


# --------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------


def count_decoder_passes(model):
    """A list that grows by one entry (the batch size) per forward pass of the decoder."""
    passes = []
    model.decoder.register_forward_hook(lambda module, inputs, output: passes.append(inputs[0].shape[0]))
    return passes


def test_decode_path_pushes_points_in_batches_and_matches_pointwise_decoding():
    model = tiny_model(10)
    path = sphere_spiral_path(10, 25, turns=2)
    passes = count_decoder_passes(model)
    decoded = decode_path(model, path, batch_size=10)
    assert passes == [10, 10, 5]  # never one point per forward pass
    assert decoded.images.shape == (25, 28, 28) and decoded.images.dtype == np.uint8
    np.testing.assert_array_equal(decoded.latents, path.latents)
    np.testing.assert_array_equal(decoded.t, path.t)
    one_by_one = np.concatenate([to_uint8(decode_latents(model, point[None])) for point in path.latents])
    assert np.abs(decoded.images.astype(int) - one_by_one.astype(int)).max() <= 1  # float rounding only


def test_decode_path_accepts_a_torch_tensor_path():
    model = tiny_model(2)
    path = spiral_2d_path(7, 3 * math.pi)
    from_tensor = decode_path(model, LatentPath(torch.from_numpy(path.latents), torch.from_numpy(path.t)))
    np.testing.assert_array_equal(from_tensor.images, decode_path(model, path).images)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_decode_path_on_cuda_matches_cpu():
    cpu_model = tiny_model(10)
    cuda_model = tiny_model(10).to("cuda")
    path = sphere_spiral_path(10, 30, turns=2)
    on_cuda = decode_path(cuda_model, LatentPath(torch.from_numpy(path.latents).to("cuda"), path.t))
    difference = on_cuda.images.astype(int) - decode_path(cpu_model, path).images.astype(int)
    assert np.abs(difference).max() <= 1


def test_decode_path_refuses_a_path_of_the_wrong_dimension():
    with pytest.raises(LatentspaceError, match=r"do not fit a model with latent_dim 10"):
        decode_path(tiny_model(10), spiral_2d_path(5, 1.0))


# --------------------------------------------------------------------------
# Files and the decode command
# --------------------------------------------------------------------------


def test_decoded_path_file_round_trip(tmp_path):
    decoded = decode_path(tiny_model(2), spiral_2d_path(9, 3 * math.pi))
    save_decoded_path(decoded, tmp_path / "spiral.npz")
    loaded = load_decoded_path(tmp_path / "spiral.npz")
    for name in ("latents", "t", "images"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(decoded, name))
    assert [p.name for p in tmp_path.iterdir()] == ["spiral.npz"]  # no temporary file left


def test_loading_a_missing_or_malformed_path_file_names_it(tmp_path):
    with pytest.raises(LatentspaceError, match=r"missing\.npz: not found \(expected a decoded path \.npz"):
        load_decoded_path(tmp_path / "missing.npz")
    np.savez(tmp_path / "other.npz", latents=np.zeros((3, 2)), t=np.zeros(3), images=np.zeros((3, 28, 28)))
    with pytest.raises(LatentspaceError, match=r"other\.npz: array images is float64 \(3, 28, 28\), not uint8"):
        load_decoded_path(tmp_path / "other.npz")


def test_decode_command_writes_the_path_file(tmp_path):
    model_file = tmp_path / "model.pt"
    save_model(model_file, tiny_model(2, seed=5))
    output = tmp_path / "paths" / "spiral_2d.npz"
    assert main(["decode", "spiral_2d", "--model", str(model_file), "--frames", "12",
                 "--t-max-over-pi", "3", "--device", "cpu", "--output", str(output)]) == 0
    decoded = load_decoded_path(output)
    assert isinstance(decoded, DecodedPath) and decoded.images.shape == (12, 28, 28)
    np.testing.assert_allclose(decoded.latents, geometry.spiral_2d(geometry.spiral_2d_times(12, 3 * math.pi)))


def test_decode_command_reports_a_bad_setting_in_one_line(tmp_path, capsys):
    model_file = tmp_path / "model.pt"
    save_model(model_file, tiny_model(10))
    code = main(["decode", "spiral_2d", "--model", str(model_file), "--frames", "5",
                 "--t-max-over-pi", "3", "--device", "cpu", "--output", str(tmp_path / "x.npz")])
    assert code == 1
    error = capsys.readouterr().err
    assert error == "latentspace decode: error: path spiral_2d: needs a model with latent_dim 2, got 10\n"
    assert not (tmp_path / "x.npz").exists()
