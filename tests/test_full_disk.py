"""A full disk, a quota or a read-only folder: one line naming the file, nothing half-written left.

The fast tests write through a small disk of known capacity (``small_disk``): every file
opened for writing under its folder raises ``OSError(ENOSPC)`` at the write that would
take the folder past its capacity, after writing what still fitted, as a full file
system does. The real libraries (torch, numpy, matplotlib) write through it. The slow
test runs the real steps on a real small file system (a tmpfs), where the test machine
allows mounting one.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import REPO_ROOT
from latentspace.files.atomic import FileWriteError, refusal_behind, write_text_atomic
from latentspace.training.checkpoints import save_training_state
from latentspace.cli import main as cli_main
from latentspace.files.datasets import Dataset, save_dataset
from latentspace.figures.autoencoder import autoencoder_figure
from latentspace.figures.rendering import save_figure
from latentspace.model.vae import VAEConfig
from latentspace.model.model_files import save_model
from latentspace.model.latent_paths import DecodedPath, save_decoded_path
from latentspace.settings.declared import TrainingRun
from latentspace.training.loop import build_model, new_training_state


class SmallDisk:
    """Files opened for writing under ``root`` share ``capacity_bytes``; past it, ENOSPC."""

    def __init__(self, root: Path, capacity_bytes: int) -> None:
        self.root = root.resolve()
        self.capacity_bytes = capacity_bytes
        self.refused_write_bytes = None  # the size of the last write that did not fit
        self.real_open = builtins.open

    def used_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.root.rglob("*") if path.is_file())

    def open(self, file, mode="r", *args, **kwargs):
        handle = self.real_open(file, mode, *args, **kwargs)
        writing = any(flag in mode for flag in "wax+")
        if writing and isinstance(file, (str, os.PathLike)) and Path(file).resolve().is_relative_to(self.root):
            return FillingFile(handle, self)
        return handle


class FillingFile:
    """A file whose writes stop with ENOSPC where its disk is full (a partial write first)."""

    def __init__(self, handle, disk: SmallDisk) -> None:
        self._handle, self._disk = handle, disk

    def write(self, data):
        self._handle.flush()
        room = self._disk.capacity_bytes - self._disk.used_bytes()
        if len(data) > room:
            self._disk.refused_write_bytes = len(data)
            self._handle.write(data[: max(room, 0)])
            self._handle.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._handle.write(data)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __iter__(self):
        return iter(self._handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._handle.close()


@pytest.fixture
def small_disk(tmp_path, monkeypatch):
    """A folder on a disk of 64 kB (capacity settable); yields (disk, folder)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    disk = SmallDisk(folder, 64_000)
    monkeypatch.setattr(builtins, "open", disk.open)
    monkeypatch.setattr(io, "open", disk.open)  # zipfile (numpy's .npz) opens through io.open
    return disk, folder


def leftovers(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file())


def small_training_state(latent_dim: int = 2):
    model = build_model(VAEConfig(latent_dim, (64,)), seed=0, device=torch.device("cpu"))
    return new_training_state(model, TrainingRun(epochs=1, batch_size=32, learning_rate=1e-3, seed=0))


def test_a_checkpoint_on_a_full_disk_names_the_file_and_its_size(small_disk):
    disk, folder = small_disk
    path = folder / "checkpoints" / "state.pt"
    with pytest.raises(FileWriteError) as caught:
        save_training_state(path, small_training_state(), {"run": "test"})
    message = str(caught.value)
    assert message.startswith(f"{path}: no space left on device (the write needed ")
    needed_mb = float(message.split("needed ")[1].split(" MB")[0])
    assert needed_mb > 0.3  # weights and Adam's two moments of a 784-64-2 VAE: about 0.4 MB each... at least
    assert "\n" not in message and "free)" in message
    assert leftovers(folder) == []


def test_a_full_disk_keeps_the_previous_model_and_leaves_no_temporary_file(small_disk):
    disk, folder = small_disk
    disk.capacity_bytes = 10_000_000
    path = folder / "model.pt"
    first = small_training_state().model
    save_model(path, first)
    before = path.read_bytes()
    disk.capacity_bytes = disk.used_bytes() + 1000  # room for a few kB, not for a second copy
    with pytest.raises(FileWriteError, match=r"model\.pt: no space left on device \(the write needed 0\.\d MB"):
        save_model(path, small_training_state(latent_dim=3).model)
    assert path.read_bytes() == before
    assert leftovers(folder) == ["model.pt"]


def test_an_npz_on_a_full_disk(small_disk):
    disk, folder = small_disk
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(200, 28, 28), dtype=np.uint8)  # 157 kB: more than the disk
    with pytest.raises(FileWriteError, match=r"paths/spiral\.npz: no space left on device \(stopped after "):
        save_decoded_path(DecodedPath(rng.normal(size=(200, 2)), np.linspace(0, 1, 200), images), folder / "paths" / "spiral.npz")
    labels = np.zeros(200, np.uint8)
    with pytest.raises(FileWriteError, match=r"dataset\.npz: no space left on device"):
        save_dataset(Dataset(images, labels, images, labels, "test"), folder / "dataset.npz")
    assert leftovers(folder) == []


def test_a_figure_on_a_full_disk_is_one_line_from_the_step(small_disk, capsys):
    disk, folder = small_disk
    disk.capacity_bytes = 5_000  # the F1 SVG takes about 35 kB
    output = folder / "figures" / "f01_autoencoder.svg"
    code = cli_main(["autoencoder-diagram", "--hidden-dims", "64", "32", "--output", str(output)])
    error = capsys.readouterr().err
    assert code == 1
    assert error.startswith(f"latentspace autoencoder-diagram: error: {output}: no space left on device (stopped after ")
    assert error.count("\n") == 1
    assert leftovers(folder) == []
    disk.capacity_bytes = 10_000_000
    save_figure(autoencoder_figure([64, 32]), output)  # with room, the same write succeeds
    assert leftovers(folder) == ["figures/f01_autoencoder.svg"]


def small_training_data(folder: Path) -> Path:
    images = np.random.default_rng(1).integers(0, 256, size=(120, 28, 28), dtype=np.uint8)
    labels = np.zeros(120, np.uint8)
    save_dataset(Dataset(images[:100], labels[:100], images[100:], labels[100:], "test"), folder / "dataset.npz")
    return folder / "dataset.npz"


def train_arguments(data: Path, disk_folder: Path, checkpoint: Path) -> list[str]:
    return ["train", "--data", str(data), "--latent-dim", "2", "--hidden-dims", "16", "--epochs", "3",
            "--batch-size", "50", "--learning-rate", "1e-3", "--seed", "0", "--device", "cpu", "--threads", "1",
            "--model-out", str(disk_folder / "model.pt"), "--history-out", str(disk_folder / "history.csv"),
            "--metrics-out", str(disk_folder / "metrics.json"), "--checkpoint", str(checkpoint)]


def test_a_training_run_that_fills_the_disk_says_a_re_run_resumes(tmp_path, small_disk, capsys):
    disk, folder = small_disk
    data = small_training_data(tmp_path)
    checkpoint = folder / "checkpoints" / "state.pt"
    arguments = train_arguments(data, folder, checkpoint)
    # The first checkpoint's write refused: nothing saved, a re-run starts afresh.
    disk.capacity_bytes = 1000
    assert cli_main(arguments) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"latentspace train: error: {checkpoint}: no space left on device (the write needed ")
    assert error.endswith(f"; a re-run trains from scratch (no epoch was saved to {checkpoint})")
    assert leftovers(folder) == []
    # Room for one checkpoint and a half: the second, written beside the first, does not fit.
    checkpoint_bytes = disk.refused_write_bytes
    disk.capacity_bytes = checkpoint_bytes * 3 // 2
    assert cli_main(arguments) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"latentspace train: error: {checkpoint}: no space left on device (the write needed ")
    assert error.endswith(f"; a re-run resumes from the last saved epoch (1, in {checkpoint})")
    assert leftovers(folder) == ["checkpoints/state.pt"]
    # With room, the re-run resumes from epoch 1 and finishes; the checkpoint is removed.
    disk.capacity_bytes = 10 * checkpoint_bytes
    assert cli_main(arguments) == 0
    assert f"resuming from {checkpoint} after epoch 1 of 3" in capsys.readouterr().err
    assert leftovers(folder) == ["history.csv", "metrics.json", "model.pt"]


def test_torch_s_wrapped_error_is_traced_to_the_full_disk(tmp_path):
    # torch.save writing to a file that fills up raises its own RuntimeError ("unexpected
    # pos"), raised while handling the OSError: the refusal is found behind it.
    class FullAfter(io.RawIOBase):
        def __init__(self, limit):
            self.written, self.limit = 0, limit

        def writable(self):
            return True

        def write(self, data):
            if self.written + len(data) > self.limit:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.written += len(data)
            return len(data)

    with pytest.raises(Exception) as caught:
        torch.save({"weights": torch.zeros(100_000)}, FullAfter(50_000))
    refusal = refusal_behind(caught.value)
    assert refusal is not None and refusal.errno == errno.ENOSPC
    assert refusal_behind(RuntimeError("unrelated")) is None


def test_other_write_failures_pass_through_unchanged(tmp_path):
    with pytest.raises(ValueError, match="not a refusal"):
        from latentspace.files.atomic import atomic_path

        with atomic_path(tmp_path / "x.txt"):
            raise ValueError("not a refusal")
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_folder_without_write_permission(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    with pytest.raises(FileWriteError, match=f"{folder}/a.txt: no permission to write in {folder}$"):
        write_text_atomic(folder / "a.txt", "x")


# --- a real small file system --------------------------------------------------------------

MOUNT_SCRIPT = r"""
set -u
mount -t tmpfs -o size="$SIZE" tmpfs "$DISK" || exit 77
python -m latentspace train $TRAIN_ARGS; echo "exit=$?"
echo "files: $(cd "$DISK" && find . -type f | sort | tr '\n' ' ')"
mount -o remount,size=8m "$DISK"
python -m latentspace train $TRAIN_ARGS; echo "exit=$?"
echo "files: $(cd "$DISK" && find . -type f | sort | tr '\n' ' ')"
mount -o remount,ro "$DISK"
python -m latentspace ball-volume --max-dim 20 --output "$DISK/f04.svg"; echo "exit=$?"
"""


def unshare_command() -> list[str] | None:
    """A private mount namespace to mount a tmpfs in: as root, or as a mapped root user."""
    if shutil.which("unshare") is None:
        return None
    return ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "--user", "--map-root-user", "--mount"]


@pytest.mark.slow
def test_training_on_a_real_small_file_system_resumes_after_more_space(tmp_path, small_disk, capsys):
    command = unshare_command()
    if command is None:
        pytest.skip("no unshare here: cannot mount a small file system")
    data = small_training_data(tmp_path)
    # The size of a checkpoint, from the write that a tiny disk refuses.
    disk_model, folder = small_disk
    disk_model.capacity_bytes = 1000
    assert cli_main(train_arguments(data, folder, folder / "state.pt")) == 1
    capsys.readouterr()
    checkpoint_kb = -(-disk_model.refused_write_bytes // 1024)
    disk = tmp_path / "mounted"
    disk.mkdir()
    checkpoint = disk / "state.pt"
    env = dict(os.environ, DISK=str(disk), SIZE=f"{checkpoint_kb * 3 // 2}k",
               TRAIN_ARGS=" ".join(train_arguments(data, disk, checkpoint)[1:]),
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    result = subprocess.run([*command, "sh", "-c", MOUNT_SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    if result.returncode == 77 or "exit=" not in result.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()[-300:]}")
    errors = [line for line in result.stderr.splitlines() if line.startswith("latentspace ")]
    stdout = result.stdout.splitlines()
    # Room for one checkpoint and a half: the first fits, the second, beside it, does not.
    assert stdout[0] == "exit=1", result.stderr
    assert errors[0].startswith(f"latentspace train: error: {checkpoint}: no space left on device (the write needed ")
    assert errors[0].endswith(f"; a re-run resumes from the last saved epoch (1, in {checkpoint})")
    assert stdout[1] == "files: ./state.pt "
    # With room, the re-run resumes from epoch 1 and finishes; the checkpoint is removed.
    assert f"resuming from {checkpoint} after epoch 1 of 3" in result.stderr
    assert stdout[2] == "exit=0"
    assert stdout[3] == "files: ./history.csv ./metrics.json ./model.pt "
    # Read-only: one line naming the file and the file system.
    assert stdout[4] == "exit=1"
    assert errors[-1] == f"latentspace ball-volume: error: {disk}/f04.svg: cannot write it: {disk} is on a read-only file system"
