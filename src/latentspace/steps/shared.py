"""Command-line glue that many steps share: device options, NAME=PATH pairs, writing JSON.

Not a step itself (``STEPS`` does not list it). It imports little, on purpose: every module
it imports is part of the re-run trigger of each step that uses it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from latentspace.errors import LatentspaceError


def add_device_arguments(parser: argparse.ArgumentParser, threads: bool = True) -> None:
    parser.add_argument("--device", required=True, help="auto (cuda, then mps, then cpu) or a torch device")
    if threads:
        parser.add_argument("--threads", type=int, required=True, help="CPU threads for torch")


def prepare_torch(args):
    """Set torch's CPU threads (when the step has the option) and return the resolved device."""
    import torch

    from latentspace.devices import resolve_device

    if getattr(args, "threads", None):
        torch.set_num_threads(args.threads)
    return resolve_device(args.device)


def parse_named_paths(pairs: list[str], option: str) -> dict[str, Path]:
    """``["name=path", ...]`` -> ``{name: Path(path)}``, with a clear error for a malformed pair."""
    named = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise LatentspaceError(f"{option}: expected NAME=PATH, got {pair!r}")
        named[name] = Path(path)
    return named


def write_json(path, value) -> None:
    from latentspace.atomic_files import write_text_atomic

    write_text_atomic(path, json.dumps(value, indent=2) + "\n")
