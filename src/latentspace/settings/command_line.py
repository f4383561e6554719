"""A step's command line, derived from its declarations, and the options a rule passes to it.

A step module declares what it takes (:mod:`latentspace.steps`): ``Settings``, a group of
settings (:mod:`latentspace.settings.declaring`), and ``Files``, the paths its rule hands
it, each declared with :func:`file_path`. This module turns both into ``argparse`` options
(``--batch-size``, with the description and the default as its help) and back into the
typed objects the step's ``run`` receives, and renders a rule's options from the
configuration (:func:`options_text`, which ``step_options`` in workflow/rules/common.smk
calls). Parsing checks each value against its declaration, so a bad value is one line
that names the option: ``argument --steps: expected an integer from 2 to 100, got '1'``.

A list is one option followed by its values (``--hidden-dims 512 256``); a mapping of
files is ``NAME=PATH`` words (``--history 2=results/models/z2/history.csv``), read by
:func:`parse_named_values`, the one parser of such words.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import shlex
import typing
from collections.abc import Mapping
from dataclasses import dataclass

from latentspace.errors import LatentspaceError
from latentspace.settings.declaring import REQUIRED, Field, Kind, SettingError, setting_fields

_PATH = "latentspace.path"
_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


# --- the files a step takes ----------------------------------------------------------------


@dataclass(frozen=True)
class PathOption:
    """What :func:`file_path` attaches to a field of a step's ``Files``."""

    description: str
    metavar: str


def file_path(description: str, *, default=REQUIRED, metavar: str = "PATH"):
    """A file (or folder) the rule hands the step: ``str`` one path, ``tuple[str, ...]`` several,
    ``dict[str, str]`` named paths as ``NAME=PATH`` words (``dict[str, int]``: named whole numbers)."""
    metadata = {_PATH: PathOption(description, metavar)}
    if isinstance(default, dict):  # only {} makes sense: no named files
        return dataclasses.field(default_factory=dict, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class SubCommand:
    """One sub-command of a step that has several (``decode spiral_2d``): its help, settings, files and run."""

    help: str
    settings: type | None
    files: type
    run: typing.Callable


def option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def parse_named_values(words, option: str, convert=str, shape: str = "NAME=PATH") -> list[tuple[str, object]]:
    """``["name=value", ...]`` -> ``[(name, convert(value)), ...]`` in order, names free to repeat;
    one line naming ``option`` for a malformed word. The one reader of NAME=VALUE words."""
    named = []
    for word in words:
        name, separator, value = str(word).partition("=")
        try:
            if not separator or not name or not value:
                raise ValueError
            named.append((name, convert(value)))
        except ValueError:
            raise LatentspaceError(f"{option}: expected {shape}, got {word!r}") from None
    return named


def named_mapping(words, option: str, convert=str) -> dict:
    """:func:`parse_named_values` as ``{name: value}``, each name once."""
    pairs = parse_named_values(words, option, convert, "NAME=PATH" if convert is str else "NAME=WHOLE_NUMBER")
    repeated = sorted({name for name, _ in pairs if [other for other, _ in pairs].count(name) > 1})
    if repeated:
        raise LatentspaceError(f"{option}: {', '.join(repeated)} given more than once")
    return dict(pairs)


# --- options from declarations ---------------------------------------------------------------


def _scalar_parser(kind: str, field: Field):
    def parse(text: str):
        try:
            if kind == "integer":
                value = int(text)
            elif kind == "number":
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError
            elif kind == "boolean":
                value = _BOOLEANS[text.lower()]
            else:
                value = text
        except (ValueError, KeyError):
            raise argparse.ArgumentTypeError(f"expected {field.expectation()}, got {text!r}") from None
        if field.declared.bounds.problem(value):
            raise argparse.ArgumentTypeError(f"expected {field.expectation()}, got {text!r}")
        return value

    return parse


def _help(description: str, default) -> str:
    if default is REQUIRED:
        return f"{description} (required)"
    shown = " ".join(map(str, default)) if isinstance(default, tuple) else default
    return f"{description} (default: {shown})".replace("%", "%%")


def _metavar(kind: str, field: Field) -> str:
    if field.declared.bounds.choices is not None:
        return "{" + ",".join(map(str, field.declared.bounds.choices)) + "}"
    return {"integer": "N", "number": "X", "boolean": "true|false"}.get(kind, "TEXT")


def add_settings_options(parser: argparse.ArgumentParser, group: type) -> None:
    """One option per setting of ``group`` (its nested sections are not options)."""
    options = parser.add_argument_group("settings (config.yaml's values, passed by the rule)")
    for field in setting_fields(group):
        kind: Kind = field.kind
        arguments = {"dest": field.name, "help": _help(field.description, field.default)}
        if kind.name == "list":
            arguments.update(nargs="+" if field.declared.min_items else "*", type=_scalar_parser(kind.item, field))
        else:
            arguments["type"] = _scalar_parser(kind.name, field)
        arguments["metavar"] = _metavar(kind.item if kind.name == "list" else kind.name, field)
        if field.required:
            arguments["required"] = True
        else:
            arguments["default"] = field.default
        options.add_argument(option_name(field.name), **arguments)


@functools.cache
def _file_fields(files: type) -> tuple[tuple[str, object, PathOption, object], ...]:
    hints = typing.get_type_hints(files)
    found = []
    for item in dataclasses.fields(files):
        if _PATH not in item.metadata:
            raise TypeError(f"{files.__name__}.{item.name}: declare it with file_path(...)")
        default = item.default_factory() if item.default_factory is not dataclasses.MISSING else item.default
        found.append((item.name, hints[item.name], item.metadata[_PATH], default))
    return tuple(found)


def add_file_options(parser: argparse.ArgumentParser, files: type) -> None:
    """One option per field of a step's ``Files``."""
    options = parser.add_argument_group("files (passed by the rule)")
    for name, annotation, declared, default in _file_fields(files):
        arguments = {"dest": name, "help": declared.description, "metavar": declared.metavar}
        origin = typing.get_origin(annotation)
        if origin is tuple or origin is dict:
            # Several values after the option, or the option repeated: both add up.
            arguments.update(nargs="+", action="extend")
            if origin is dict:
                arguments["metavar"] = f"NAME={declared.metavar}"
        if default is REQUIRED:
            arguments["required"] = True
        elif origin is not tuple and origin is not dict:
            arguments["default"] = default
        options.add_argument(option_name(name), **arguments)


def settings_from(group: type | None, namespace: argparse.Namespace):
    """The step's settings from parsed options; a whole-value problem names the option."""
    if group is None:
        return None
    values = {field.name: getattr(namespace, field.name) for field in setting_fields(group)}
    try:
        return group(**values)
    except SettingError as error:
        name, _, problem = str(error).partition(": ")
        raise LatentspaceError(f"argument {option_name(name)}: {problem}") from None


def files_from(files: type, namespace: argparse.Namespace):
    """The step's files from parsed options: tuples for lists, dicts for ``NAME=PATH`` words."""
    values = {}
    for name, annotation, _, default in _file_fields(files):
        value = getattr(namespace, name)
        origin = typing.get_origin(annotation)
        if origin is dict:
            convert = typing.get_args(annotation)[1]
            value = named_mapping(value or (), option_name(name), convert)
        elif origin is tuple:
            value = tuple(value or ())
        values[name] = value
    return files(**values)


# --- a rule's options ------------------------------------------------------------------------


def option_words(group: type, values: Mapping) -> list[str]:
    """The command-line words that give every setting of ``group`` its value from ``values``.

    ``values`` is a config section (or several merged); its keys beyond the group's are
    not the step's and are left out. The group checks the values first, so a rule cannot
    pass what the step would refuse. None is left out (the step's default is None).
    """
    missing = [field.name for field in setting_fields(group) if field.name not in values]
    if missing:
        raise SettingError(f"{group.__name__}: no value for {', '.join(missing)}")
    picked = {field.name: values[field.name] for field in setting_fields(group)}
    checked = group(**picked)
    words = []
    for field in setting_fields(group):
        value = getattr(checked, field.name)
        items = list(value) if isinstance(value, tuple) else [value]
        items = [item for item in items if item is not None]
        if items:
            words += [option_name(field.name), *(_word(item) for item in items)]
    return words


def _word(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def options_text(group: type, values: Mapping) -> str:
    """:func:`option_words` quoted for a shell command."""
    return shlex.join(option_words(group, values))
