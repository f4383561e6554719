"""Time per epoch and final test ELBO of each latent size, for the full-scale configuration.

Trains one model per latent size with the package's own code (the same functions the
``train`` step calls), on the settings of config.yaml overlaid with
configs/full_mnist.yaml (full MNIST, latent sizes 2, 10 and 500) unless flags say
otherwise, and prints one row per latent size: the first epoch (CUDA start-up and
kernel selection included), the mean of the later epochs, and the final test ELBO in
nats per image (higher is better).

    python benchmarks/gpu_train.py                                   # the full run, device auto
    python benchmarks/gpu_train.py --source mnist-5k --epochs 1      # a quick check on a CPU

The mnist source downloads into data.cache_dir on first use; on a machine without
internet use ``--source idx --idx-dir FOLDER`` (see README.md).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import yaml
from snakemake.utils import update_config

from latentspace.config_schema import validate_config
from latentspace.datasets import build_dataset, images_to_vectors
from latentspace.devices import resolve_device
from latentspace.model import VAEConfig
from latentspace.progress import EpochReporter
from latentspace.training import TrainSettings, build_model, final_metrics, train_vae

REPO_ROOT = Path(__file__).resolve().parents[1]


def load_config(configfile: Path) -> dict:
    """config.yaml overlaid with ``configfile``, as ``snakemake --configfile`` does, defaults filled in."""
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    update_config(config, yaml.safe_load(configfile.read_text()))
    return validate_config(config, REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", type=Path, default=REPO_ROOT / "configs" / "full_mnist.yaml")
    parser.add_argument("--source", help="override data.source (mnist, mnist-5k, fashion-mnist, idx)")
    parser.add_argument("--idx-dir", help="override data.idx_dir (for --source idx)")
    parser.add_argument("--epochs", type=int, help="override train.epochs")
    parser.add_argument("--latent-dims", type=int, nargs="+", help="override latent_dims")
    parser.add_argument("--device", default=None, help="override device (auto, cpu, cuda, cuda:N, mps)")
    parser.add_argument("--threads", type=int, help="override train.threads (CPU threads for torch)")
    args = parser.parse_args()

    config = load_config(args.configfile)
    data = config["data"]
    source = args.source or data["source"]
    latent_dims = args.latent_dims or config["latent_dims"]
    train = config["train"]
    settings = TrainSettings(args.epochs or train["epochs"], train["batch_size"], train["learning_rate"], config["seed"])
    torch.set_num_threads(args.threads or train["threads"])
    device = resolve_device(args.device or config["device"])

    dataset = build_dataset(
        source,
        seed=config["seed"],
        test_fraction=data["test_fraction"],
        cache_dir=REPO_ROOT / data["cache_dir"],
        idx_dir=args.idx_dir or data["idx_dir"],
        mirrors=data["mirrors"],
    )
    train_x = images_to_vectors(dataset.train_images).to(device)  # (N, 784)
    test_x = images_to_vectors(dataset.test_images).to(device)
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(
        f"device {device} ({device_name}), torch {torch.__version__}; {source}: {len(train_x)} train / "
        f"{len(test_x)} test images; hidden {config['model']['hidden_dims']}, batch {settings.batch_size}, "
        f"{settings.epochs} epochs",
        flush=True,
    )

    rows = []
    for latent_dim in latent_dims:
        model = build_model(VAEConfig(latent_dim, tuple(config["model"]["hidden_dims"])), settings.seed, device)
        started = time.perf_counter()
        history = train_vae(model, train_x, test_x, settings, EpochReporter(settings.epochs, f"z={latent_dim}"))
        total_s = time.perf_counter() - started
        metrics = final_metrics(model, test_x, settings, history)
        later = [record.seconds for record in history[1:]]
        rows.append(
            (latent_dim, history[0].seconds, statistics.mean(later) if later else float("nan"), total_s,
             metrics["test_elbo_nats"], metrics["active_units"])
        )  # fmt: skip

    print(f"\n{'latent_dim':>10} {'epoch_1_s':>10} {'epoch_mean_s':>13} {'total_s':>9} {'test_elbo_nats':>15} {'active':>7}")
    for latent_dim, first_s, mean_s, total_s, elbo, active in rows:
        print(f"{latent_dim:>10} {first_s:>10.2f} {mean_s:>13.3f} {total_s:>9.1f} {elbo:>15.2f} {active:>7}")
    print("(epoch_mean_s: mean of epochs 2 and later; the ELBO is in nats per test image, higher is better)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
