"""What each job ran, recorded by the job itself: the facts behind "How this was made".

The mechanism, and why this one. Every rule runs ``python -m latentspace STEP``, and every
rule's command ends with the same options (``step_command`` in workflow/rules/common.smk):
the files Snakemake gave the job (``{input}``, ``{output}``) and the path of its record,
which the rule declares as a named log, ``provenance`` (so Snakemake knows the file, and
the site rule takes every record as an input, named after its job and so its rule). After
the step has run, the dispatcher (:mod:`latentspace.cli`) writes the record: the command
exactly as the process received it, each input and output with its size and SHA-256, the
settings the step parsed, the seed, the device torch actually used
(:mod:`latentspace.devices` notes it), the hash of the step's code, the host and the start
and end times.

Snakemake keeps its own record of each job under ``.snakemake/metadata/``, but that folder
is an internal format with no supported reader, and its command-line summaries
(``--summary``) would mean building the DAG again inside the site step. Rebuilding the
records from the rules when the site renders would describe what the rules *would* run,
not what ran, and could not know the device or the times. A record written by the process
that did the work is none of these: it applies to every rule, present and future, with the
same two lines per rule, and it costs a few hashes per job.

Wall time and peak memory come from Snakemake's benchmark file of the job, which is written
after the job ends (:mod:`latentspace.run_report` reads those); the site joins the two.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
from datetime import datetime, timezone
from pathlib import Path

from latentspace.errors import LatentspaceError

RECORD_FORMAT = "latentspace-job-record/1"
SHORT_HASH_DIGITS = 12
# The options every step accepts for its record (added by cli.build_parser).
RECORD_OPTIONS = ("provenance", "provenance_inputs", "provenance_outputs")
RECORD_KEYS = ("format", "step", "command", "inputs", "outputs", "settings", "seed", "device", "code", "host", "started", "ended")
_CHUNK_BYTES = 1 << 20


def utc_now() -> str:
    """The current time in ISO 8601, UTC, to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def sha256_of(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def relative_to_root(value: str, root: Path) -> str:
    """An absolute path inside ``root`` written relative to it; anything else unchanged."""
    if not os.path.isabs(value):
        return value
    path = Path(value)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else value


def file_facts(path: str, root: Path) -> dict:
    """``{"path", "bytes", "sha256"}`` of a file; a folder gives its path and ``"folder": True``."""
    relative = relative_to_root(path, root)
    if os.path.isdir(path):
        return {"path": relative, "folder": True}
    return {"path": relative, "bytes": os.path.getsize(path), "sha256": sha256_of(path)}


def step_settings(options: dict, files: set[str]) -> dict:
    """The step's parsed options that are settings: not the record's own, not a file it read or wrote.

    An option is a file when its value (each value, for a repeated option) is one of
    ``files``, or ``NAME=FILE`` with FILE among them.
    """

    def is_file(value) -> bool:
        text = str(value)
        return text in files or text.partition("=")[2] in files

    settings = {}
    for name, value in options.items():
        if name in RECORD_OPTIONS or callable(value) or name == "command":
            continue
        values = value if isinstance(value, list) else [value]
        if values and all(is_file(item) for item in values):
            continue
        settings[name] = value if isinstance(value, (int, float, str, bool, list, type(None))) else str(value)
    return settings


def job_record(
    step: str,
    argv: list[str],
    options: dict,
    devices: list[str],
    started: str,
    ended: str,
    root: Path,
) -> dict:
    """The record of one finished run of ``step`` with command-line ``argv`` (files hashed now)."""
    from latentspace.code_version import step_source_hash

    inputs = list(options.get("provenance_inputs") or [])
    outputs = list(options.get("provenance_outputs") or [])
    files = {*inputs, *outputs}
    command = ["python", "-m", "latentspace", *(relative_to_root(word, root) for word in argv)]
    return {
        "format": RECORD_FORMAT,
        "step": step,
        "command": shlex.join(command),
        "inputs": [file_facts(path, root) for path in inputs],
        "outputs": [file_facts(path, root) for path in outputs],
        "settings": step_settings(options, files),
        "seed": options.get("seed"),
        # A step that never asked for a torch device computed with numpy on the CPU.
        "device": ", ".join(dict.fromkeys(devices)) or "cpu",
        "code": step_source_hash(step),
        "host": platform.node(),
        "started": started,
        "ended": ended,
    }


def write_record(path: str | os.PathLike, record: dict) -> None:
    from latentspace.atomic_files import write_text_atomic

    write_text_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")


def read_record(path: str | os.PathLike) -> dict:
    """A job record, checked: one line naming the file and what is wrong."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LatentspaceError(f"{path}: job record not found (the job's rule must pass PROVENANCE, common.smk)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise LatentspaceError(f"{path}: job record is not valid JSON ({error})") from None
    if not isinstance(record, dict) or record.get("format") != RECORD_FORMAT:
        raise LatentspaceError(f"{path}: expected a job record of format {RECORD_FORMAT}")
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        raise LatentspaceError(f"{path}: job record lacks {', '.join(missing)}")
    return record


def short_hash(sha256: str) -> str:
    return sha256[:SHORT_HASH_DIGITS]
