"""Training lowers the loss, is reproducible bit for bit, refuses NaNs; models load back safely."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from latentspace.model.model_files import load_model, save_model
from latentspace.cli import main as cli_main
from latentspace.files.datasets import build_dataset, images_to_vectors, save_dataset
from latentspace.model.decoding import encode_posteriors
from latentspace.model.devices import resolve_device
from latentspace.errors import DeviceError, LatentspaceError, TrainingError
from latentspace.model.vae import VAEConfig
from latentspace.training.progress import EpochReporter
from latentspace.settings.declared import TrainingRun
from latentspace.training.loop import (
    build_model,
    evaluate,
    final_metrics,
    train_vae,
)
from latentspace.files.training_history import history_to_csv, load_history

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def digits():
    dataset = build_dataset("mnist-5k", seed=0, test_fraction=0.1)
    return images_to_vectors(dataset.train_images[:1500]), images_to_vectors(dataset.test_images[:300])


def train_small(digits, epochs=3, seed=0, learning_rate=1e-3):
    train_x, test_x = digits
    settings = TrainingRun(epochs=epochs, batch_size=100, learning_rate=learning_rate, seed=seed)
    model = build_model(VAEConfig(latent_dim=2, hidden_dims=(64,)), seed, CPU)
    return model, train_vae(model, train_x, test_x, settings), settings


def test_training_lowers_the_loss(digits):
    train_x, test_x = digits
    untrained = build_model(VAEConfig(latent_dim=2, hidden_dims=(64,)), 0, CPU)
    before = evaluate(untrained, test_x, 100, seed=1)["loss"]
    model, history, _ = train_small(digits, epochs=4)
    assert history[-1].test_loss < 0.6 * before
    assert history[-1].train_loss < history[0].train_loss
    assert [record.epoch for record in history] == [1, 2, 3, 4]


def test_same_seed_same_weights_other_seed_other_weights(digits):
    first, _, _ = train_small(digits, epochs=2, seed=5)
    second, _, _ = train_small(digits, epochs=2, seed=5)
    third, _, _ = train_small(digits, epochs=2, seed=6)
    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, second.state_dict()[name]), name
    assert not torch.equal(first.decoder[0].weight, third.decoder[0].weight)


def test_nan_loss_stops_with_the_epoch(digits):
    with pytest.raises(TrainingError, match=r"^epoch 1: the training loss became nan"):
        train_small(digits, epochs=2, learning_rate=1e30)


def test_settings_are_checked():
    with pytest.raises(LatentspaceError, match="^epochs: expected an integer of at least 1, got 0"):
        TrainingRun(epochs=0, batch_size=1, learning_rate=1e-3, seed=0)
    with pytest.raises(LatentspaceError, match="^learning_rate: expected a number above 0, got 0"):
        TrainingRun(epochs=1, batch_size=1, learning_rate=0, seed=0)


def test_metrics_and_history_round_trip(digits, tmp_path):
    model, history, settings = train_small(digits, epochs=2)
    metrics = final_metrics(model, digits[1], settings, history)
    assert metrics["test_elbo_nats"] == pytest.approx(-(metrics["test_reconstruction_nats"] + metrics["test_kl_nats"]))
    assert sum(metrics["kl_per_dim_nats"]) == pytest.approx(metrics["test_kl_nats"], rel=1e-4)
    # Active units recounted from the encoder's means over the test digits (Burda et al.'s rule).
    means, _ = encode_posteriors(model, digits[1])                              # (N, 2)
    np.testing.assert_allclose(metrics["posterior_mean_variance"], means.var(axis=0), rtol=1e-4)
    assert metrics["active_units"] == np.count_nonzero(means.var(axis=0) > metrics["active_unit_threshold"]) >= 1
    (tmp_path / "history.csv").write_text(history_to_csv(history))
    restored = load_history(tmp_path / "history.csv")
    assert [r.epoch for r in restored] == [1, 2]
    assert restored[-1].test_loss == pytest.approx(history[-1].test_loss, abs=1e-5)


def test_model_file_round_trip_is_weights_only(tmp_path, digits):
    model, _, _ = train_small(digits, epochs=1)
    save_model(tmp_path / "m.pt", model)
    payload = torch.load(tmp_path / "m.pt", weights_only=True)  # plain tensors and numbers only
    assert payload["config"]["latent_dim"] == 2
    loaded = load_model(tmp_path / "m.pt")
    z = torch.randn(5, 2)
    torch.testing.assert_close(loaded.decode(z), model.eval().decode(z))
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(LatentspaceError, match=r"junk.pt: not a file torch.save writes \(expected a latentspace model file\)"):
        load_model(tmp_path / "junk.pt")


def test_progress_lines_when_not_a_terminal():
    stream = io.StringIO()
    reporter = EpochReporter(total_epochs=2, label="z=2", stream=stream)
    reporter.report(1, {"train_loss": 200.0, "test_loss": 190.5}, 0.25)
    assert stream.getvalue() == "z=2 epoch 1/2  train_loss 200.00  test_loss 190.50  (0.25 s)\n"


def test_devices():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == CPU
    with pytest.raises(DeviceError, match="device: expected auto"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA is not available"):
            resolve_device("cuda")


def test_train_command_writes_model_history_metrics(tmp_path, capsys):
    save_dataset(build_dataset("mnist-5k", seed=0), tmp_path / "d.npz")
    outputs = {name: tmp_path / name for name in ("m.pt", "h.csv", "metrics.json")}
    code = cli_main(
        ["train", "--data", str(tmp_path / "d.npz"), "--latent-dim", "3", "--hidden-dims", "32",
         "--epochs", "2", "--batch-size", "128", "--learning-rate", "0.001", "--seed", "1",
         "--device", "cpu", "--threads", "1", "--model-out", str(outputs["m.pt"]),
         "--history-out", str(outputs["h.csv"]), "--metrics-out", str(outputs["metrics.json"])]
    )
    assert code == 0
    assert "z=3 epoch 2/2" in capsys.readouterr().err
    metrics = json.loads(outputs["metrics.json"].read_text())
    assert metrics["latent_dim"] == 3 and len(metrics["kl_per_dim_nats"]) == 3
    assert metrics["dataset"] == {"source": "mnist-5k", "train_size": 4500, "test_size": 500}
    assert load_model(outputs["m.pt"]).config.hidden_dims == (32,)
    assert len(outputs["h.csv"].read_text().splitlines()) == 3


def test_train_command_on_missing_data_is_one_line(tmp_path, capsys):
    code = cli_main(
        ["train", "--data", str(tmp_path / "none.npz"), "--latent-dim", "2", "--hidden-dims", "8", "--epochs", "1",
         "--batch-size", "128", "--learning-rate", "0.001", "--seed", "0", "--device", "cpu", "--threads", "1", "--model-out", "m", "--history-out", "h", "--metrics-out", "x"]
    )
    assert code == 1
    assert capsys.readouterr().err == (
        f"latentspace train: error: {tmp_path / 'none.npz'}: not found (expected a dataset .npz from the data step); "
        "run snakemake to build it\n"
    )
