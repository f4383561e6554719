"""Read back the files the pipeline writes: one reader per format, one line per damaged file.

A step's inputs are files an earlier step wrote. A disk that filled up, a copy that broke
off or an edit by hand can leave one cut short or changed; reading it must then end in
one line that names the file, says what is wrong with it and what to do, never in a
traceback from numpy's, torch's or zipfile's depths:

    results/models/z2/model.pt: cut short: the zip archive lacks its directory, which is
    written last (expected a latentspace model file); delete it and re-run snakemake to rebuild it

Each ``read_*`` function takes the file's path and ``what`` it should be (a noun phrase
with its article, "a latentspace model file") and raises :class:`DamagedFileError`.
Library messages are never passed on whole: torch's end by advising ``weights_only=False``,
which would run whatever code the file holds. The domain modules (checkpoints, datasets,
latent_paths, training, study.tables, run_report, explorer_bundles, site_builder) say what they
expect of their files, and check what they build from them inside :func:`checked_contents`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import pickle
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from latentspace.errors import LatentspaceError

REBUILD = "delete it and re-run snakemake to rebuild it"
BUILD = "run snakemake to build it"
ZIP_MAGIC = b"PK\x03\x04"  # every .npz and every file torch.save writes is a zip archive
# A library's message, quoted inside ours, is cut to this many characters.
QUOTED_MESSAGE_CHARS = 160


class DamagedFileError(LatentspaceError):
    """A file the pipeline wrote is missing, cut short or not what the step expects."""


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` with every run of whitespace (newlines included) made one space; cut to ``limit``."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def quoted(error: BaseException) -> str:
    """An exception's message on one short line, or its type's name when it has none."""
    return one_line(str(error), QUOTED_MESSAGE_CHARS) or type(error).__name__


def damaged(path: str | os.PathLike, problem: str, what: str, advice: str = REBUILD) -> DamagedFileError:
    """``<path>: <problem> (expected <what>); <advice>`` as one line (no advice when it is empty)."""
    message = f"{path}: {problem} (expected {what})"
    return DamagedFileError(one_line(f"{message}; {advice}" if advice else message))


@contextlib.contextmanager
def checked_contents(path: str | os.PathLike, what: str, advice: str = REBUILD) -> Iterator[None]:
    """Turn what building objects from a file's contents raises (a missing key, a wrong
    shape, a bad number) into one line about that file."""
    try:
        yield
    except KeyError as error:
        raise damaged(path, f"lacks the key {error.args[0]!r}" if error.args else "lacks a key", what, advice) from None
    except (IndexError, TypeError, ValueError, RuntimeError) as error:
        raise damaged(path, f"unexpected contents: {quoted(error)}", what, advice) from None


def existing_file(path: str | os.PathLike, what: str, advice: str = REBUILD) -> Path:
    """``path`` as a Path, once it is known to be a file."""
    path = Path(path)
    if not path.exists():
        raise damaged(path, "not found", what, BUILD if advice == REBUILD else advice)
    if not path.is_file():
        raise damaged(path, "not a file", what, advice)
    return path


def read_bytes(path: str | os.PathLike, what: str, advice: str = REBUILD) -> bytes:
    path = existing_file(path, what, advice)
    try:
        return path.read_bytes()
    except OSError as error:
        raise damaged(path, f"cannot be read ({error.strerror or quoted(error)})", what, advice) from None


def read_text(path: str | os.PathLike, what: str, advice: str = REBUILD) -> str:
    """The file's text, which must be UTF-8."""
    data = read_bytes(path, what, advice)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise damaged(path, f"not UTF-8 text (byte {error.start})", what, advice) from None


def read_json(path: str | os.PathLike, what: str, keys: tuple[str, ...] = (), advice: str = REBUILD) -> dict:
    """A JSON object holding at least ``keys``."""
    text = read_text(path, what, advice)
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        problem = f"not valid JSON, cut short or edited ({error.msg}: line {error.lineno} column {error.colno})"
        raise damaged(path, problem, what, advice) from None
    if not isinstance(value, dict):
        raise damaged(path, f"holds a JSON {type(value).__name__}, not an object", what, advice)
    _require_keys(path, value, keys, what, advice)
    return value


def read_csv_rows(
    path: str | os.PathLike,
    what: str,
    columns: tuple[str, ...] = (),
    exact: bool = True,
    delimiter: str = ",",
    advice: str = REBUILD,
) -> list[dict[str, str]]:
    """The rows of a CSV (or, with ``delimiter="\\t"``, TSV) file as dicts of strings.

    The header must be ``columns`` (or, with ``exact=False``, include them), every row
    must have as many fields as the header, and the file must end with a line end: a
    file cut inside its last row fails even where the cut leaves a shorter number.
    """
    text = read_text(path, what, advice)
    if not text.strip():
        raise damaged(path, "empty", what, advice)
    if not text.endswith("\n"):
        raise damaged(path, "cut short: its last line has no line end", what, advice)
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise damaged(path, f"not a valid table: {quoted(error)}", what, advice) from None
    header, rows = table[0], table[1:]
    missing = [column for column in columns if column not in header]
    if missing or (exact and columns and tuple(header) != tuple(columns)):
        shown = ", ".join(header) if len(header) <= 12 else ", ".join(header[:12]) + ", \u2026"
        needed = "the columns " + ", ".join(columns) if exact else "the column(s) " + ", ".join(missing)
        raise damaged(path, f"has the header {shown!r}, not {needed}", what, advice)
    for line_number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise damaged(path, f"line {line_number} has {len(row)} fields, the header {len(header)}", what, advice)
    return [dict(zip(header, row)) for row in rows]


def _open_zip(path: Path, what: str, not_zip: str, advice: str) -> None:
    """Fail unless ``path`` is a whole zip archive (its directory, at the end, is present)."""
    data_head = read_bytes(path, what, advice)[:4]
    if data_head != ZIP_MAGIC:
        raise damaged(path, "empty" if not data_head else not_zip, what, advice)
    try:
        with zipfile.ZipFile(path):
            pass
    except (zipfile.BadZipFile, OSError, EOFError):
        raise damaged(path, "cut short: the zip archive lacks its directory, which is written last", what,
                      advice) from None


def read_npz(
    path: str | os.PathLike, what: str, arrays: dict[str, tuple[type, int]], advice: str = REBUILD
) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive, each read in full and checked against ``arrays``:
    name -> (numpy dtype or abstract type such as ``np.floating``, number of dimensions)."""
    path = existing_file(path, what, advice)
    _open_zip(path, what, "not an .npz archive", advice)
    loaded = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = sorted(set(arrays) - set(archive.files))
            if missing:
                raise damaged(path, f"lacks the array(s) {', '.join(missing)}", what, advice)
            for name in arrays:
                loaded[name] = archive[name]  # reads and decompresses the member, checking its CRC
    except DamagedFileError:
        raise
    # A member cut or changed inside an intact directory: zipfile, zlib or numpy's header parser.
    except Exception as error:  # noqa: BLE001 - the block only reads this one file
        raise damaged(path, f"damaged inside: {quoted(error)}", what, advice) from None
    for name, (dtype, ndim) in arrays.items():
        array = loaded[name]
        if not np.issubdtype(array.dtype, dtype) or array.ndim != ndim:
            raise damaged(
                path, f"array {name} is {array.dtype} {array.shape}, not {_dtype_name(dtype)} with {ndim} dimension(s)",
                what, advice,
            )
    return loaded


def _dtype_name(dtype) -> str:
    """``uint8``, or ``floating`` for an abstract type that numpy will not make a dtype of."""
    try:
        return np.dtype(dtype).name
    except TypeError:
        return dtype.__name__


def read_torch_payload(
    path: str | os.PathLike,
    what: str,
    keys: tuple[str, ...] = (),
    map_location=None,
    advice: str = REBUILD,
) -> dict:
    """The dict a file written by ``torch.save`` holds, loaded with ``weights_only=True``
    (plain tensors, numbers, strings, lists and dicts: no pickled code runs)."""
    import torch

    path = existing_file(path, what, advice)
    _open_zip(path, what, "not a file torch.save writes", advice)
    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols of foreign files: the error below says it all.
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:
        # Never torch's message: it suggests weights_only=False, which runs the file's code.
        raise damaged(path, "holds Python objects other than tensors, numbers and strings", what, advice) from None
    except Exception as error:  # noqa: BLE001 - torch's zip reader raises OSError, RuntimeError, EOFError...
        raise damaged(path, f"damaged inside its zip archive ({quoted(error)})", what, advice) from None
    if not isinstance(payload, dict):
        raise damaged(path, f"holds a {type(payload).__name__}, not a dict", what, advice)
    _require_keys(path, payload, keys, what, advice)
    return payload


def _require_keys(path, mapping: dict, keys: tuple[str, ...], what: str, advice: str) -> None:
    missing = [key for key in keys if key not in mapping]
    if missing:
        raise damaged(path, f"lacks the key(s) {', '.join(missing)}", what, advice)
