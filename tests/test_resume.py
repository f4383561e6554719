"""Training survives SIGTERM: it checkpoints every epoch and resumes bit for bit.

The end-to-end test interrupts a real ``python -m latentspace train`` process with a
real SIGTERM after some epochs, runs the same command again, and compares the final
weights bit for bit with an uninterrupted run of the same settings, on the CPU and (with
``--device cuda``, skipped without a GPU) on CUDA, where the logs must also show every
full batch replayed from the captured graph. A checkpoint resumes only with the signature
of its run: settings, data, code, and on CUDA the GPU that wrote it.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from latentspace.training.checkpoints import (
    CheckpointMismatch,
    load_training_state,
    resume_or_start,
    save_training_state,
)
from latentspace.files.datasets import build_dataset, images_to_vectors, load_dataset, save_dataset
from latentspace.model.vae import VAEConfig
from latentspace.cli import main as cli_main
from latentspace.training.signals import EXIT_INTERRUPTED, stop_requested_by
from latentspace.settings.declared import TrainingRun
from latentspace.training.loop import (
    TrainingInterrupted,
    build_model,
    device_signature,
    new_training_state,
    run_epochs,
    training_signature,
)

CPU = torch.device("cpu")
# Epochs of the SIGTERM test per device. About 0.1 s each on the CPU: the signal after
# epoch 2 lands with a margin of about 1 s. A GPU replays an epoch of these 4500 digits in
# milliseconds, so it runs more for a margin of a second or more.
EPOCHS = {"cpu": 12, "cuda": 300}
SIGNAL_AFTER_EPOCH = 2
BATCH_SIZE = 128
WAIT_S = 60
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def dataset_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("resume-data") / "dataset.npz"
    save_dataset(build_dataset("mnist-5k", seed=0, test_fraction=0.1), path)
    return path


def train_command(dataset_file: Path, folder: Path, epochs: int = EPOCHS["cpu"], device: str = "cpu") -> list[str]:
    return [
        sys.executable, "-m", "latentspace", "train", "--data", str(dataset_file), "--latent-dim", "2",
        "--hidden-dims", "64", "--epochs", str(epochs), "--batch-size", str(BATCH_SIZE), "--learning-rate", "0.001",
        "--seed", "11",
        "--device", device, "--threads", "1", "--checkpoint", str(folder / "checkpoint" / "state.pt"),
        "--model-out", str(folder / "model.pt"), "--history-out", str(folder / "history.csv"),
        "--metrics-out", str(folder / "metrics.json"),
    ]  # fmt: skip


def wait_for_text(path: Path, text: str, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in path.read_text():
        if process.poll() is not None:
            pytest.fail(f"the training process ended (exit {process.returncode}) before {text!r}:\n{path.read_text()}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no {text!r} within {timeout_s} s:\n{path.read_text()}")
        time.sleep(0.01)


def history_without_timings(path: Path) -> list[dict]:
    with open(path) as handle:
        return [{key: value for key, value in row.items() if key != "seconds"} for row in csv.DictReader(handle)]


def metrics_without_timings(path: Path) -> dict:
    metrics = json.loads(path.read_text())
    metrics.pop("train_seconds")
    return metrics


@pytest.mark.slow  # two training processes, one stopped by a real SIGTERM
@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=needs_cuda)])
def test_sigterm_then_resume_gives_the_weights_of_an_uninterrupted_run(tmp_path, dataset_file, device):
    epochs = EPOCHS[device]
    interrupted, uninterrupted = tmp_path / "interrupted", tmp_path / "uninterrupted"
    interrupted.mkdir()
    uninterrupted.mkdir()
    stderr_path = interrupted / "first-attempt.log"
    # Both start together (two cores): the uninterrupted reference run costs no extra wall time.
    with open(stderr_path, "w") as first_log:
        first = subprocess.Popen(train_command(dataset_file, interrupted, epochs, device), stderr=first_log, stdout=first_log)
        reference = subprocess.Popen(
            train_command(dataset_file, uninterrupted, epochs, device), stderr=subprocess.PIPE, text=True
        )
        try:
            wait_for_text(stderr_path, f"epoch {SIGNAL_AFTER_EPOCH}/{epochs}", first, WAIT_S)
            first.send_signal(signal.SIGTERM)
            assert first.wait(timeout=WAIT_S) == EXIT_INTERRUPTED
        finally:
            first.kill()  # no-op once it has exited
    first_output = stderr_path.read_text()
    assert "SIGTERM received" in first_output and "run again to resume" in first_output
    assert not (interrupted / "model.pt").exists()  # no output of an unfinished run
    checkpoint = interrupted / "checkpoint" / "state.pt"
    saved_epochs = len(torch.load(checkpoint, weights_only=True)["history"])
    assert SIGNAL_AFTER_EPOCH <= saved_epochs < epochs

    command = train_command(dataset_file, interrupted, epochs, device)
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=WAIT_S)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from {checkpoint} after epoch {saved_epochs} of {epochs}" in resumed.stderr
    assert f"epoch {saved_epochs}/{epochs}" not in resumed.stderr  # finished epochs are not trained again
    assert not checkpoint.exists()  # training finished: its checkpoint is gone
    _, reference_stderr = reference.communicate(timeout=WAIT_S)
    assert reference.returncode == 0, reference_stderr

    if device == "cuda":  # the graph ran: every full batch of every epoch trained was a replay
        full_batches = len(load_dataset(dataset_file).train_images) // BATCH_SIZE
        for log in (first_output, resumed.stderr, reference_stderr):
            assert "capture failed" not in log and "capturable" not in log, log
        assert f"train: {(epochs - saved_epochs) * full_batches} steps replayed from a CUDA graph" in resumed.stderr
        assert f"train: {epochs * full_batches} steps replayed from a CUDA graph" in reference_stderr
    else:
        assert "replayed" not in resumed.stderr + reference_stderr

    resumed_weights = torch.load(interrupted / "model.pt", weights_only=True)["state_dict"]
    reference_weights = torch.load(uninterrupted / "model.pt", weights_only=True)["state_dict"]
    assert resumed_weights.keys() == reference_weights.keys()
    for name, tensor in reference_weights.items():
        assert torch.equal(resumed_weights[name], tensor), name
    assert (interrupted / "model.pt").read_bytes() == (uninterrupted / "model.pt").read_bytes()
    assert history_without_timings(interrupted / "history.csv") == history_without_timings(uninterrupted / "history.csv")
    assert metrics_without_timings(interrupted / "metrics.json") == metrics_without_timings(uninterrupted / "metrics.json")


# In-process checks of the checkpoint logic on a small slice of the digits.


@pytest.fixture(scope="module")
def digits():
    dataset = build_dataset("mnist-5k", seed=0, test_fraction=0.1)
    return images_to_vectors(dataset.train_images[:600]), images_to_vectors(dataset.test_images[:100])


CONFIG = VAEConfig(latent_dim=3, hidden_dims=(32,))


def settings_for(epochs: int, seed: int = 5) -> TrainingRun:
    return TrainingRun(epochs=epochs, batch_size=100, learning_rate=1e-3, seed=seed)


def signature_for(settings: TrainingRun, digits, code_version: str = "code-v1", device_fields=None) -> dict:
    return training_signature(CONFIG, settings, *digits, code_version, device_fields)


def test_more_epochs_continue_a_finished_run_bit_for_bit(tmp_path, digits):
    """The first k epochs do not depend on the total, so 2 epochs + 1 resumed = 3 epochs."""
    checkpoint = tmp_path / "state.pt"
    two, three = settings_for(2), settings_for(3)
    state = new_training_state(build_model(CONFIG, two.seed, CPU), two)
    run_epochs(state, *digits, two, on_epoch_end=lambda s: save_training_state(checkpoint, s, signature_for(two, digits)))

    resumed, how = resume_or_start(checkpoint, CONFIG, three, signature_for(three, digits), CPU)
    assert how == f"resuming from {checkpoint} after epoch 2 of 3"
    run_epochs(resumed, *digits, three)
    straight = new_training_state(build_model(CONFIG, three.seed, CPU), three)
    run_epochs(straight, *digits, three)
    for name, tensor in straight.model.state_dict().items():
        assert torch.equal(resumed.model.state_dict()[name], tensor), name
    assert [r.test_loss for r in resumed.history] == [r.test_loss for r in straight.history]


def save_trained_checkpoint(checkpoint, settings, digits):
    """Train for ``settings.epochs`` epochs and save the state with its run's signature."""
    state = new_training_state(build_model(CONFIG, settings.seed, CPU), settings)
    run_epochs(state, *digits, settings)
    save_training_state(checkpoint, state, signature_for(settings, digits))


def test_a_checkpoint_of_another_run_is_not_resumed(tmp_path, digits):
    checkpoint = tmp_path / "state.pt"
    settings = settings_for(1)
    save_trained_checkpoint(checkpoint, settings, digits)

    other_seed = settings_for(1, seed=6)
    with pytest.raises(CheckpointMismatch, match=r"state\.pt: written by another run \(seed differ\)"):
        load_training_state(checkpoint, signature_for(other_seed, digits), CPU)
    fresh, how = resume_or_start(checkpoint, CONFIG, settings, signature_for(settings, digits, "code-v2"), CPU)
    assert how.startswith(f"{checkpoint}: written by another run (code_version differ): training from scratch")
    assert fresh.epochs_done == 0
    other_data = (digits[0][:500], digits[1])
    with pytest.raises(CheckpointMismatch, match=r"\(data_sha256 differ\)"):
        load_training_state(checkpoint, signature_for(settings, other_data), CPU)
    _, how = resume_or_start(checkpoint, CONFIG, settings, signature_for(settings, digits), CPU)
    assert how == f"resuming from {checkpoint} after epoch 1 of 1"


# The device fields of a GPU's signature, and another value for each (the last two: a
# MIG slice of the same GPU model, another build of torch).
A_GPU = {
    "device_type": "cuda",
    "device_name": "NVIDIA A100-SXM4-80GB",
    "compute_capability": "8.0",
    "multi_processor_count": 108,
    "torch_version": "2.14.1+cu130",
    "cuda_version": "13.0",
}
ANOTHER_VALUE = {
    "device_name": "NVIDIA H100 80GB HBM3",
    "compute_capability": "9.0",
    "multi_processor_count": 14,
    "torch_version": "2.14.1+cu128",
    "cuda_version": "12.8",
}


def test_a_checkpoint_resumes_only_on_the_gpu_that_wrote_it(tmp_path, digits):
    """GPU fields go through the real save and load (of CPU tensors); each one that differs refuses the resume."""
    checkpoint = tmp_path / "state.pt"
    settings = settings_for(1)
    state = new_training_state(build_model(CONFIG, settings.seed, CPU), settings)
    run_epochs(state, *digits, settings)
    save_training_state(checkpoint, state, signature_for(settings, digits, device_fields=A_GPU))
    assert set(ANOTHER_VALUE) == set(A_GPU) - {"device_type"}
    for field, value in ANOTHER_VALUE.items():
        other_gpu = signature_for(settings, digits, device_fields={**A_GPU, field: value})
        with pytest.raises(CheckpointMismatch, match=rf"written by another run \({field} differ\)"):
            load_training_state(checkpoint, other_gpu, CPU)
        fresh, how = resume_or_start(checkpoint, CONFIG, settings, other_gpu, CPU)
        assert fresh.epochs_done == 0 and f"({field} differ): training from scratch" in how
    with pytest.raises(CheckpointMismatch, match=r"\(compute_capability, cuda_version, device_name, device_type, "
                                                 r"multi_processor_count, torch_version differ\)"):
        load_training_state(checkpoint, signature_for(settings, digits), CPU)  # this CPU's own signature
    same_gpu = signature_for(settings, digits, device_fields=dict(A_GPU))
    assert load_training_state(checkpoint, same_gpu, CPU).epochs_done == 1


def test_the_cpu_signature_names_the_device_type_only(digits):
    """So checkpoints written on the CPU before the GPU fields existed still resume."""
    assert device_signature(CPU) == {"device_type": "cpu"}
    signature = signature_for(settings_for(1), digits)
    assert set(signature) == {"model", "batch_size", "learning_rate", "seed", "device_type", "data_sha256", "code_version"}


@needs_cuda
def test_the_cuda_signature_names_the_gpu(digits):
    signature = signature_for(settings_for(1), tuple(tensor.cuda() for tensor in digits))
    major, minor = torch.cuda.get_device_capability(0)
    assert signature["device_type"] == "cuda"
    assert signature["device_name"] == torch.cuda.get_device_name(0)
    assert signature["compute_capability"] == f"{major}.{minor}"
    assert signature["multi_processor_count"] == torch.cuda.get_device_properties(0).multi_processor_count > 0
    assert signature["torch_version"] == torch.__version__
    assert signature["cuda_version"] == torch.version.cuda is not None


def test_a_checkpoint_with_more_epochs_than_asked_or_unreadable_starts_over(tmp_path, digits):
    checkpoint = tmp_path / "state.pt"
    save_trained_checkpoint(checkpoint, settings_for(2), digits)
    one = settings_for(1)
    fresh, how = resume_or_start(checkpoint, CONFIG, one, signature_for(one, digits), CPU)
    assert fresh.epochs_done == 0 and "holds 2 epochs, more than the 1 asked for" in how

    checkpoint.write_bytes(b"half a file")
    fresh, how = resume_or_start(checkpoint, CONFIG, one, signature_for(one, digits), CPU)
    assert fresh.epochs_done == 0 and how.startswith(f"{checkpoint}: not a file torch.save writes (expected a latentspace training checkpoint): training from scratch")


def test_checkpoint_holds_plain_data_only(tmp_path, digits):
    """weights_only=True loads it: tensors, numbers, strings, lists and dicts, no pickled code."""
    settings = settings_for(1)
    state = new_training_state(build_model(CONFIG, settings.seed, CPU), settings)
    run_epochs(state, *digits, settings)
    save_training_state(tmp_path / "state.pt", state, signature_for(settings, digits))
    payload = torch.load(tmp_path / "state.pt", weights_only=True)
    assert payload["history"][0]["epoch"] == 1
    assert payload["shuffle_rng_state"].dtype == torch.uint8
    assert set(payload["optimizer_state"]["state"]) == set(range(len(list(state.model.parameters()))))
    assert not list(tmp_path.glob(".*tmp*"))  # the temporary name was renamed away


def test_stop_request_abandons_the_epoch_between_batches(digits):
    settings = settings_for(3)
    state = new_training_state(build_model(CONFIG, settings.seed, CPU), settings)
    polls = []

    def stop_on_third_poll_of_epoch_two() -> bool:
        polls.append(state.epochs_done)
        return polls.count(1) == 3

    with pytest.raises(TrainingInterrupted, match=r"^epoch 2: stopped on request after 200 of 600 images"):
        run_epochs(state, *digits, settings, should_stop=stop_on_third_poll_of_epoch_two)
    assert state.epochs_done == 1


def test_signal_handler_is_installed_only_inside_the_block():
    before = signal.getsignal(signal.SIGTERM)
    with stop_requested_by() as stop:
        assert not stop.is_set()
        os.kill(os.getpid(), signal.SIGTERM)  # a real signal to this process: only recorded
        assert stop.is_set() and stop.signal_name == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before


def test_train_command_without_checkpoint_is_unchanged(tmp_path, dataset_file):
    """The checkpointing path and the plain path train the same weights (in this process)."""
    with_checkpoint, without = tmp_path / "with", tmp_path / "without"
    for folder in (with_checkpoint, without):
        command = train_command(dataset_file, folder, epochs=1)[3:]
        for option in ("--checkpoint",) if folder is without else ():
            index = command.index(option)
            del command[index : index + 2]
        assert cli_main(command) == 0
    assert not (with_checkpoint / "checkpoint" / "state.pt").exists()  # removed once training finished
    assert not (without / "checkpoint").exists()
    assert (with_checkpoint / "model.pt").read_bytes() == (without / "model.pt").read_bytes()


def test_a_finished_training_runs_again_from_scratch(tmp_path, dataset_file, capsys):
    """What ``snakemake --forcerun train`` does: the checkpoint of a finished run is gone, so the
    step trains anew rather than reloading the last epoch."""
    command = train_command(dataset_file, tmp_path, epochs=1)[3:]
    checkpoint = tmp_path / "checkpoint" / "state.pt"
    assert cli_main(command) == 0
    first_model = (tmp_path / "model.pt").read_bytes()
    assert not checkpoint.exists() and f"removed {checkpoint}" in capsys.readouterr().err
    assert cli_main(command) == 0
    second_run = capsys.readouterr().err
    assert f"training from scratch, saving a checkpoint to {checkpoint}" in second_run
    assert "z=2 epoch 1/1" in second_run and "resuming" not in second_run
    assert (tmp_path / "model.pt").read_bytes() == first_model
