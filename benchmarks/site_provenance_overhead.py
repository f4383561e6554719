"""What the page's provenance costs the site step: time and size, against the code before it.

Usage (from a finished run's folder, e.g. one made by ``snakemake``):

    python benchmarks/site_provenance_overhead.py RUN_DIR BASE_COMMIT [--repeats 5]

It runs the site step of the run twice per round, alternating: as the run's job record
names it (with the records, the RO-Crate, environment.txt), and with the code and templates
of BASE_COMMIT (``git archive``) on the same inputs, without the options that code does not
know. It prints the median wall time of each and the size of each site folder. Issue 17's
budget: at most 2 s more, and at most 5 % more bytes.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shlex
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# Options of the site step that the code before issue 17 does not have, and how many values each takes.
NEW_OPTIONS = {"--record": 1, "--workflow-file": 1, "--provenance": 1, "--provenance-inputs": None, "--provenance-outputs": None}


def without_new_options(words: list[str]) -> list[str]:
    kept, index = [], 0
    while index < len(words):
        word = words[index]
        if word in NEW_OPTIONS:
            count = NEW_OPTIONS[word]
            index += 1
            if count is None:  # a list: up to the next option
                while index < len(words) and not words[index].startswith("--"):
                    index += 1
            else:
                index += count
            continue
        kept.append(word)
        index += 1
    return kept


def replace_option(words: list[str], option: str, value: str) -> list[str]:
    words = list(words)
    words[words.index(option) + 1] = value
    return words


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("base_commit")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    run_dir = args.run_dir.resolve()
    words = shlex.split(json.loads((run_dir / "results" / "provenance" / "site.json").read_text())["command"])[3:]
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch) / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", args.base_commit, "src", "site_templates"], check=True, capture_output=True
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(base, filter="data")
        variants = {
            # Its record goes to the scratch folder: the run's own stays as it is.
            "with provenance": (
                replace_option(replace_option(words, "--output-dir", f"{scratch}/site_new"), "--provenance", f"{scratch}/site.json"),
                REPO / "src",
            ),
            f"before ({args.base_commit})": (
                replace_option(
                    replace_option(without_new_options(words), "--output-dir", f"{scratch}/site_base"),
                    "--templates",
                    str(base / "site_templates"),
                ),
                base / "src",
            ),
        }
        times = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, (command, source) in variants.items():
                env = {**os.environ, "PYTHONPATH": str(source)}
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "latentspace", *command], cwd=run_dir, env=env, check=True)
                times[name].append(time.perf_counter() - start)
        sizes = {name: folder_bytes(Path(command[command.index("--output-dir") + 1])) for name, (command, _) in variants.items()}
    (new, old) = variants
    for name in variants:
        print(f"{name:>24}: median {statistics.median(times[name]):.2f} s of {args.repeats} "
              f"({', '.join(f'{t:.2f}' for t in times[name])}); site folder {sizes[name]:,} bytes")
    print(f"{'overhead':>24}: {statistics.median(times[new]) - statistics.median(times[old]):+.2f} s, "
          f"{sizes[new] - sizes[old]:+,} bytes ({100 * (sizes[new] / sizes[old] - 1):+.1f} %)")


if __name__ == "__main__":
    main()
