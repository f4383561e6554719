"""Command-line glue that many steps share: device options, NAME=PATH pairs, reading and writing JSON.

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


def read_text(path, what: str) -> str:
    """The text of a file the pipeline wrote, or a one-line error naming it."""
    path = Path(path)
    if not path.is_file():
        raise LatentspaceError(f"{path}: {what} not found")
    return path.read_text(encoding="utf-8")


def read_json(path) -> dict:
    """The JSON document of a file the pipeline wrote, or a one-line error naming it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LatentspaceError(f"{path}: file not found") from None
    except json.JSONDecodeError as error:
        raise LatentspaceError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
