"""The study's digit classifier on several data splits: today's default against a candidate.

Each seed builds the embedded mnist-5k dataset as the `data` step does (the seed also draws
the split, so each seed has its own 500 test digits) and trains the classifier in-process on
one thread. The default and the candidate of one seed train side by side, one process each,
so that both see the same load and their times can be compared.

    python benchmarks/classifier_seeds.py [--seeds 1234 1 2 3 4] [--workers 2] \\
        epochs=14 averaged_epochs=4 test_time_shift_px=1

The candidate is given as the classifier's settings (latentspace.settings.declared.ClassifierRun) (name=value) that replace the default's,
before or after the options.
Prints, per seed and setting, the test accuracy with its Wilson 95 % interval and the
training seconds; then the worst accuracy and the ratio of the summed training times.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import yaml

from latentspace.settings.validation import validate_config
from latentspace.study.tables import wilson_interval

ROOT = Path(__file__).resolve().parents[1]


def default_settings(seed: int):
    from latentspace.settings.declared import ClassifierRun

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    options = validate_config(config, ROOT / "workflow/schemas/config.schema.yaml")["study"]["classifier"]
    names = {field.name for field in fields(ClassifierRun)}
    return ClassifierRun(seed=seed, **{name: value for name, value in options.items() if name in names})


def parse_candidate(pairs: list[str]) -> dict:
    candidate = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"candidate option {pair!r}: expected name=value")
        candidate[name] = yaml.safe_load(value)
    return candidate


def run_one(job: tuple[int, str, object]) -> tuple[int, str, int, int, float]:
    seed, label, settings = job
    import torch

    from latentspace.files.datasets import build_dataset, images_to_vectors
    from latentspace.study.classifier import accuracy, predict_probabilities, train_classifier

    torch.set_num_threads(1)
    dataset = build_dataset("mnist-5k", seed=seed, test_fraction=0.1)
    train_x, test_x = images_to_vectors(dataset.train_images), images_to_vectors(dataset.test_images)
    train_labels = torch.from_numpy(dataset.train_labels).long()
    test_labels = torch.from_numpy(dataset.test_labels).long()
    started = time.perf_counter()
    classifier, _ = train_classifier(train_x, train_labels, settings)
    seconds = time.perf_counter() - started
    share = accuracy(predict_probabilities(classifier, test_x), test_labels)
    return seed, label, round(share * len(test_labels)), len(test_labels), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1234, 1, 2, 3, 4])
    parser.add_argument("--workers", type=int, default=2, help="processes, one thread each")
    parser.add_argument("candidate", nargs="*", help="the classifier's settings name=value of the candidate")
    # The name=value words go first, so that --seeds, which takes any number of values,
    # does not swallow those written after it.
    words = sys.argv[1:]
    pairs = [word for word in words if "=" in word and not word.startswith("-")]
    args = parser.parse_args(pairs + [word for word in words if word not in pairs])
    candidate = parse_candidate(args.candidate)
    print(f"default: {default_settings(0)}")
    print(f"candidate: {candidate or '(the default)'}")
    jobs = [(seed, label, replace(default_settings(seed), **changes))
            for seed in args.seeds for label, changes in (("default", {}), ("candidate", candidate))]
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        results = pool.map(run_one, jobs, chunksize=1)
    print(f"{'seed':>6} {'setting':>10} {'accuracy':>9} {'Wilson 95 %':>16} {'train s':>8}")
    totals, worst = {"default": 0.0, "candidate": 0.0}, {"default": 1.0, "candidate": 1.0}
    for seed, label, correct, trials, seconds in results:
        low, high = wilson_interval(correct, trials, 0.95)
        print(f"{seed:>6} {label:>10} {correct / trials:>9.1%} {f'{low:.1%} - {high:.1%}':>16} {seconds:>8.1f}")
        totals[label] += seconds
        worst[label] = min(worst[label], correct / trials)
    for label in totals:
        print(f"{label}: worst accuracy {worst[label]:.1%}, training {totals[label]:.1f} s in all")
    print(f"training time ratio candidate / default: {totals['candidate'] / totals['default']:.2f}")


if __name__ == "__main__":
    main()
