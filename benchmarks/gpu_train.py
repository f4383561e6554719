"""Training speed of the article's models on the machine at hand: eager against replayed CUDA graphs.

Mode ``throughput`` (the default) trains each latent size with the package's own epoch
function twice, the eager loop and (on CUDA) the replayed captured step, and prints for
each: samples per second of both, the replays counted (the timed epochs' and the warm-up
epoch's full batches, or the run stops), the capture's cost, what the per-epoch work besides
training costs (test evaluation, the checkpoint, the history line) as a share of an
epoch, and the projected wall time of the full-scale run (``--full-epochs`` epochs of
``--full-size`` digits per latent size, one size after the other) from the measured rates.
Without CUDA the replayed column reads "n/a (no CUDA)".

Mode ``share`` answers "one GPU, three training jobs: share it or queue them?": it runs the
real ``python -m latentspace train`` command once per latent size, first all at the same
time, then one after the other, and prints both wall times (start-up included).

    python benchmarks/gpu_train.py                                       # full MNIST, device auto
    python benchmarks/gpu_train.py --source mnist-5k --tile 60000 --tile-test 10000   # offline, MNIST's sizes
    python benchmarks/gpu_train.py --mode share --source mnist-5k --tile 60000 --epochs 10

Settings come from config.yaml overlaid with configs/full_mnist.yaml (full MNIST, latent
sizes 2, 10 and 500, batch 128) unless flags say otherwise. The mnist source downloads into
data.cache_dir on first use; offline, use ``--source idx --idx-dir FOLDER`` (README.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml
from snakemake.utils import update_config

from latentspace.training.checkpoints import save_training_state
from latentspace.settings.validation import validate_config
from latentspace.files.datasets import Dataset, build_dataset, images_to_vectors, save_dataset
from latentspace.model.devices import resolve_training_device
from latentspace.model.vae import VAEConfig
from latentspace.settings.declared import TrainingRun
from latentspace.training.loop import (
    EpochRecord,
    build_model,
    capture_train_step,
    evaluate,
    history_to_csv,
    new_training_state,
    train_epoch,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_config(configfile: Path) -> dict:
    """config.yaml overlaid with ``configfile``, as ``snakemake --configfile`` does, defaults filled in."""
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    update_config(config, yaml.safe_load(configfile.read_text()))
    return validate_config(config, REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml")


def tiled(dataset: Dataset, train_size: int | None, test_size: int | None) -> Dataset:
    """The dataset with its training and test images repeated (in order) up to the given counts."""
    if train_size:
        repeat = np.resize(np.arange(len(dataset.train_images)), train_size)
        dataset = replace(dataset, train_images=dataset.train_images[repeat], train_labels=dataset.train_labels[repeat])
    if test_size:
        repeat = np.resize(np.arange(len(dataset.test_images)), test_size)
        dataset = replace(dataset, test_images=dataset.test_images[repeat], test_labels=dataset.test_labels[repeat])
    return dataset


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(device: torch.device, work, repeats: int = 1) -> float:
    """Mean seconds of ``work()`` over ``repeats`` runs, the device's queue drained before and after."""
    synchronize(device)
    started = time.perf_counter()
    for _ in range(repeats):
        work()
    synchronize(device)
    return (time.perf_counter() - started) / repeats


def epoch_rate(state, train_x, settings, epochs, replayed=None) -> float:
    """Samples per second over ``epochs`` epochs after one untimed warm-up epoch."""
    device = train_x.device

    def epoch():
        train_epoch(state.model, state.optimizer, train_x, settings.batch_size, state.shuffle_generator,
                    state.noise_generator, replayed=replayed)  # fmt: skip

    epoch()
    return epochs * len(train_x) / timed(device, epoch, epochs)


def throughput(args, config, settings, device, dataset) -> None:
    train_x = images_to_vectors(dataset.train_images).to(device)
    test_x = images_to_vectors(dataset.test_images).to(device)
    hidden = tuple(config["model"]["hidden_dims"])
    cuda = device.type == "cuda"
    name = torch.cuda.get_device_name(device) if cuda else f"{torch.get_num_threads()} CPU threads"
    print(f"device {device} ({name}), torch {torch.__version__}; {len(train_x)} train / {len(test_x)} test digits, "
          f"batch {settings.batch_size}, {args.epochs} timed epochs after one warm-up")  # fmt: skip
    print(f"\n{'model':>18} {'eager/s':>9} {'replayed/s':>15} {'replays':>8} {'capture_s':>9} {'epoch_s':>8} "
          f"{'eval':>6} {'ckpt':>6} {'hist':>6}  (per-epoch work as % of an epoch)")  # fmt: skip
    projected = []
    for latent_dim in args.latent_dims:
        config_z = VAEConfig(latent_dim, hidden)
        eager_state = new_training_state(build_model(config_z, settings.seed, device), settings)
        eager = epoch_rate(eager_state, train_x, settings, args.epochs)
        replayed_rate, capture_s = None, None
        state = eager_state
        if cuda:
            state = new_training_state(build_model(config_z, settings.seed, device), settings)
            started = time.perf_counter()
            step = capture_train_step(state.model, state.optimizer, settings.batch_size)
            synchronize(device)
            capture_s = time.perf_counter() - started
            replayed_rate = epoch_rate(state, train_x, settings, args.epochs, step)
            expected = (args.epochs + 1) * (len(train_x) // settings.batch_size)  # the warm-up epoch too
            if step.replays != expected:
                raise SystemExit(f"z={latent_dim}: {step.replays} replays of the captured step, expected {expected}")
        best = max(eager, replayed_rate or 0)
        epoch_s = len(train_x) / best
        eval_s = timed(device, lambda: evaluate(state.model, test_x, settings.batch_size, settings.seed + 3), 3)
        state.history = [EpochRecord(epoch, *([1.0] * 7)) for epoch in range(1, 101)]
        with tempfile.TemporaryDirectory() as folder:
            checkpoint_s = timed(device, lambda: save_training_state(Path(folder) / "state.pt", state, {}), 3)
        history_s = timed(device, lambda: history_to_csv(state.history), 3)  # the whole file, 100 lines
        projected.append(args.full_epochs * (args.full_size / best + eval_s + checkpoint_s + history_s))
        replayed_text = f"{replayed_rate:15.0f}" if cuda else f"{'n/a (no CUDA)':>15}"
        replays_text = f"{step.replays:8d}" if cuda else f"{'-':>8}"
        capture_text = f"{capture_s:9.2f}" if cuda else f"{'-':>9}"
        shares = " ".join(f"{100 * cost / epoch_s:5.1f}%" for cost in (eval_s, checkpoint_s, history_s))
        model_name = "-".join(map(str, (784, *hidden, latent_dim)))
        print(f"{model_name:>18} {eager:9.0f} {replayed_text} {replays_text} {capture_text} "
              f"{epoch_s:8.3f} {shares}")  # fmt: skip
    print(f"\nprojected full scale ({args.full_epochs} epochs x {args.full_size} digits per size, faster path, "
          f"with per-epoch evaluation and checkpoint, sizes one after the other, start-up excluded): "
          f"{sum(projected):.1f} s for {len(projected)} sizes ({', '.join(f'{s:.1f}' for s in projected)})")  # fmt: skip


def share(args, config, settings, device, dataset) -> None:
    """Wall time of one real train job per latent size: all at once, then one after the other."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        save_dataset(dataset, folder / "data.npz")

        def command(latent_dim: int, tag: str) -> list[str]:
            out = folder / f"{tag}-z{latent_dim}"
            return [
                sys.executable, "-m", "latentspace", "train", "--data", str(folder / "data.npz"),
                "--latent-dim", str(latent_dim), "--hidden-dims", *map(str, config["model"]["hidden_dims"]),
                "--epochs", str(args.epochs), "--batch-size", str(settings.batch_size),
                "--learning-rate", str(settings.learning_rate), "--seed", str(settings.seed),
                "--device", str(device), "--threads", str(args.threads or config["train"]["threads"]),
                "--checkpoint", f"{out}.ckpt", "--model-out", f"{out}.pt", "--history-out", f"{out}.csv",
                "--metrics-out", f"{out}.json",
            ]  # fmt: skip

        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT / "src"), os.environ.get("PYTHONPATH")]))}
        print(f"device {device}; {len(dataset.train_images)} train digits, {args.epochs} epochs, "
              f"latent sizes {args.latent_dims}; each job is a full `python -m latentspace train`")  # fmt: skip
        started = time.perf_counter()
        jobs = [subprocess.Popen(command(z, "shared"), env=env, stderr=subprocess.DEVNULL) for z in args.latent_dims]
        if any(job.wait() for job in jobs):
            raise SystemExit("a shared-GPU job failed")
        shared_s = time.perf_counter() - started
        started = time.perf_counter()
        for z in args.latent_dims:
            subprocess.run(command(z, "queued"), env=env, stderr=subprocess.DEVNULL, check=True)
        queued_s = time.perf_counter() - started
    print(f"all at once (sharing the device): {shared_s:.1f} s")
    print(f"one after the other (queued):     {queued_s:.1f} s")
    print("faster: " + ("sharing" if shared_s < queued_s else "queueing (`--resources gpu=1`)"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("throughput", "share"), default="throughput")
    parser.add_argument("--configfile", type=Path, default=REPO_ROOT / "configs" / "full_mnist.yaml")
    parser.add_argument("--source", help="override data.source (mnist, mnist-5k, fashion-mnist, idx)")
    parser.add_argument("--idx-dir", help="override data.idx_dir (for --source idx)")
    parser.add_argument("--tile", type=int, help="repeat the training digits up to this many (60000: MNIST's size)")
    parser.add_argument("--tile-test", type=int, help="repeat the test digits up to this many (10000: MNIST's size)")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per path (share: epochs per job)")
    parser.add_argument("--latent-dims", type=int, nargs="+", help="override latent_dims")
    parser.add_argument("--device", default=None, help="override device (auto, cpu, cuda, cuda:N, mps)")
    parser.add_argument("--threads", type=int, help="override train.threads (CPU threads for torch)")
    parser.add_argument("--full-epochs", type=int, help="epochs of the projected full run (default train.epochs)")
    parser.add_argument("--full-size", type=int, default=60000, help="training digits of the projected full run")
    args = parser.parse_args()

    config = load_config(args.configfile)
    data = config["data"]
    args.latent_dims = args.latent_dims or config["latent_dims"]
    args.full_epochs = args.full_epochs or config["train"]["epochs"]
    train = config["train"]
    settings = TrainingRun(epochs=args.epochs, batch_size=train["batch_size"], learning_rate=train["learning_rate"], seed=config["seed"])
    torch.set_num_threads(args.threads or train["threads"])
    device = resolve_training_device(args.device or config["device"])
    dataset = build_dataset(
        args.source or data["source"],
        seed=config["seed"],
        test_fraction=data["test_fraction"],
        cache_dir=REPO_ROOT / data["cache_dir"],
        idx_dir=args.idx_dir or data["idx_dir"],
        mirrors=data["mirrors"],
    )
    (share if args.mode == "share" else throughput)(args, config, settings, device, tiled(dataset, args.tile, args.tile_test))
    return 0


if __name__ == "__main__":
    sys.exit(main())
