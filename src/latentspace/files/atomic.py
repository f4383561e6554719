"""Write files under a temporary name and rename them, so no half-written output survives.

A write that the file system refuses (a full disk, a quota, a read-only or foreign folder)
ends in one line naming the file, what stopped it and, where known, how much it needed:

    results/models/z2/model.pt: no space left on device (the write needed 4.3 MB, 1.2 MB free)
    results/figures/f04_ball_volume.svg: no permission to write in results/figures

whatever library was writing (torch, numpy, matplotlib, imageio), and the temporary file
is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from latentspace.errors import LatentspaceError

# What the file system says when it refuses a write, and how we say it.
NO_SPACE = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EFBIG: "file too large for the file system or the process's size limit",
}
NO_PERMISSION = (errno.EACCES, errno.EPERM, errno.EROFS)


class FileWriteError(LatentspaceError):
    """The file system refused to write a file: no space, over quota, or no permission."""


def refusal_behind(error: BaseException) -> OSError | None:
    """The file system's refusal that caused ``error``, if one did.

    Libraries wrap it: torch.save turns a failed write into ``RuntimeError: [enforce fail
    at inline_container.cc] ... unexpected pos`` raised while handling the OSError, so the
    chain of causes and contexts is followed.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and (error.errno in NO_SPACE or error.errno in NO_PERMISSION):
            return error
        error = error.__cause__ or error.__context__
    return None


def size_text(count: int) -> str:
    """A size for people: 12.3 kB, 4.5 MB, 67.8 GB."""
    for unit, size in (("GB", 1e9), ("MB", 1e6)):
        if count >= size / 10:
            return f"{count / size:.1f} {unit}"
    return f"{count / 1e3:.1f} kB"


def refused_write(path: Path, refusal: OSError, needed_bytes: int | None, written_bytes: int | None) -> FileWriteError:
    """One line: ``<path>: <no space|no permission> (<what the write needed>, <free space>)``."""
    if refusal.errno == errno.EROFS:
        return FileWriteError(f"{path}: cannot write it: {path.parent} is on a read-only file system")
    if refusal.errno in NO_PERMISSION:
        return FileWriteError(f"{path}: no permission to write in {path.parent}")
    amounts = []
    if needed_bytes is not None:
        amounts.append(f"the write needed {size_text(needed_bytes)}")
    elif written_bytes:
        amounts.append(f"stopped after {size_text(written_bytes)}")
    with contextlib.suppress(OSError):
        amounts.append(f"{size_text(shutil.disk_usage(existing_parent(path)).free)} free")
    return FileWriteError(f"{path}: {NO_SPACE[refusal.errno]}" + (f" ({', '.join(amounts)})" if amounts else ""))


def existing_parent(path: Path) -> Path:
    for folder in path.parents:
        if folder.exists():
            return folder
    return Path(".")


def size_or_none(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _give_default_permissions(path: Path, mode: int) -> None:
    """mkstemp/mkdtemp create private files (0600/0700); outputs get what open() would give."""
    os.chmod(path, mode & ~_current_umask())


@contextlib.contextmanager
def refusals_named(path: Path, needed_bytes: int | None = None, written: Path | None = None) -> Iterator[None]:
    """Turn the file system's refusal, however deep in a library, into a FileWriteError about ``path``."""
    try:
        yield
    except FileWriteError:
        raise
    except Exception as error:
        refusal = refusal_behind(error)
        if refusal is None:
            raise
        written_bytes = None
        if written is not None:  # the space it took is free again when the message is read
            written_bytes = size_or_none(written)
            written.unlink(missing_ok=True)
        raise refused_write(path, refusal, needed_bytes, written_bytes) from None


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, needed_bytes: int | None = None) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` (same suffix); rename it onto ``path`` on success.

    The temporary file keeps the suffix so that writers which infer the format from the
    name (matplotlib, numpy, imageio) behave as for the final name. On any exception the
    temporary file is removed and ``path`` is left untouched; a full disk or a folder that
    refuses writes becomes a FileWriteError (``needed_bytes``: the file's size, when the
    caller knows it).
    """
    final = Path(path)
    tmp = None
    with refusals_named(final, needed_bytes):
        final.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".tmp{final.suffix}", dir=final.parent)
        os.close(handle)
        tmp = Path(tmp_name)
    try:
        with refusals_named(final, needed_bytes, written=tmp):
            yield tmp
            _give_default_permissions(tmp, 0o666)
            os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``path``; it replaces ``path`` on success."""
    final = Path(path)
    with refusals_named(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        with refusals_named(final):
            yield tmp
            _give_default_permissions(tmp, 0o777)
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; on a full disk the error says how much it needed."""
    with atomic_path(path, needed_bytes=len(data)) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike, value) -> None:
    """``value`` as indented JSON with a final line end, written atomically."""
    import json

    write_text_atomic(path, json.dumps(value, indent=2) + "\n")
