"""What each job ran, recorded by the job itself: the facts behind "How this was made".

The mechanism, and why this one. Every rule runs ``python -m latentspace STEP``, and every
rule's command ends with the same options (``step_command`` in workflow/rules/common.smk):
the files Snakemake gave the job (``{input}``, ``{output}``) and the path of its record,
which the rule declares as a named log, ``provenance`` (so Snakemake knows the file, and
the site rule takes every record as an input, named after its job and so its rule). After
the step has run, the dispatcher (:mod:`latentspace.cli`) writes the record: the command
exactly as the process received it, each input and output with its size and SHA-256, the
settings the step parsed, the seed, the device torch actually used
(:mod:`latentspace.model.devices` notes it), the hash of the step's code, the host and the start
and end times.

Snakemake keeps its own record of each job under ``.snakemake/metadata/``, but that folder
is an internal format with no supported reader, and its command-line summaries
(``--summary``) would mean building the DAG again inside the site step. Rebuilding the
records from the rules when the site renders would describe what the rules *would* run,
not what ran, and could not know the device or the times. A record written by the process
that did the work is none of these: it applies to every rule, present and future, with the
same two lines per rule, and it costs a few hashes per job.

Wall time and peak memory come from Snakemake's benchmark file of the job, which is written
after the job ends (:mod:`latentspace.page.run_report` reads those); the site joins the two.
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


def job_record(
    step: str,
    argv: list[str],
    settings,
    inputs: list[str],
    outputs: list[str],
    devices: list[str],
    started: str,
    ended: str,
    root: Path,
) -> dict:
    """The record of one finished run of ``step`` with command-line ``argv`` (files hashed now).

    ``settings`` is the step's declared settings (:mod:`latentspace.settings.declaring`), or
    None for a step without any; the record holds them as they were parsed.
    """
    from latentspace.pipeline.code_hash import step_source_hash

    command = ["python", "-m", "latentspace", *(relative_to_root(word, root) for word in argv)]
    return {
        "format": RECORD_FORMAT,
        "step": step,
        "command": shlex.join(command),
        "inputs": [file_facts(path, root) for path in inputs],
        "outputs": [file_facts(path, root) for path in outputs],
        "settings": settings.as_record() if settings is not None else {},
        "seed": getattr(settings, "seed", None),
        # A step that never asked for a torch device computed with numpy on the CPU.
        "device": ", ".join(dict.fromkeys(devices)) or "cpu",
        "code": step_source_hash(step),
        "host": platform.node(),
        "started": started,
        "ended": ended,
    }


def write_record(path: str | os.PathLike, record: dict) -> None:
    from latentspace.files.atomic import write_text_atomic

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
