"""How a setting is declared: once, with its name, type, bounds, default and description.

A group of settings is a frozen, keyword-only dataclass deriving from :class:`Settings`.
Each value is a field declared with :func:`setting`; a nested group is a field declared
with :func:`section`. The field's annotation is its type (``int``, ``float``, ``bool``,
``str``, ``str | None``, ``tuple[int, ...]`` or ``tuple[str, ...]``), and ``setting``
takes the default, the description and the bounds::

    @dataclass(frozen=True, kw_only=True)
    class LatentGridSettings(Settings):
        extent: float = setting(2.0, exclusive_minimum=0, description="The grid covers [-extent, extent]^2.")

Everything else is derived from these declarations, never written again:

- the check of a value, :meth:`Settings.__post_init__` (a group built in Python, from the
  command line or from config.yaml is checked against the same bounds, and a bad value
  is one line naming the setting: ``steps: expected an integer from 2 to 100, got 1``);
- the JSON schema that validates config.yaml (:mod:`latentspace.settings.json_schema`);
- each step's command-line options and the options a rule passes
  (:mod:`latentspace.settings.command_line`);
- the record of the settings a job ran with (``dataclasses.asdict``).

Why dataclasses and not pydantic: every step runs in a process of its own, about forty
per pipeline run, and imports only what it computes with; dataclasses cost nothing to
import, and the checks here are the few bounds a config can state. The schema stays JSON
schema, which validates config.yaml and coerces ``--config`` strings as before.

Plain Python only (no numpy, no torch): the Snakefile, the command line and every step
import it.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import types
import typing
from dataclasses import MISSING, dataclass

from latentspace.errors import LatentspaceError

# A setting declared without a default must be given (in config.yaml, or on the command line).
REQUIRED = MISSING

_SETTING = "latentspace.setting"
_SECTION = "latentspace.section"


class SettingError(LatentspaceError):
    """A value does not match its declaration; the message names the setting."""


@dataclass(frozen=True)
class Bounds:
    """What a value (or each item of a list) must be, beyond its type."""

    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: int | None = None
    odd: bool = False
    choices: tuple | None = None
    pattern: str | None = None
    min_length: int | None = None
    form: str | None = None  # how a reader says the pattern ("auto, cpu, mps, cuda or cuda:N")

    def problem(self, value) -> str | None:
        """Why ``value`` is out of bounds, or None."""
        if self.choices is not None:
            return None if value in self.choices else "not among the choices"
        if isinstance(value, str):
            if self.min_length is not None and len(value) < self.min_length:
                return "too short"
            if self.pattern is not None and not re.search(self.pattern, value):
                return "not of the expected form"
            return None
        checks = (
            (self.minimum, lambda bound: value >= bound),
            (self.exclusive_minimum, lambda bound: value > bound),
            (self.maximum, lambda bound: value <= bound),
            (self.exclusive_maximum, lambda bound: value < bound),
            (self.multiple_of, lambda step: value % step == 0),
        )
        if any(bound is not None and not holds(bound) for bound, holds in checks):
            return "out of bounds"
        if self.odd and value % 2 == 0:
            return "not odd"
        return None

    def words(self) -> str:
        """The bounds as a reader says them: ``from 3 to 1001``, ``above 0 and below 1``."""
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        if self.pattern is not None:
            return self.form or f"matching {self.pattern}"
        low = (f"of at least {_number(self.minimum)}" if self.minimum is not None
               else f"above {_number(self.exclusive_minimum)}" if self.exclusive_minimum is not None else None)
        high = (f"at most {_number(self.maximum)}" if self.maximum is not None
                else f"below {_number(self.exclusive_maximum)}" if self.exclusive_maximum is not None else None)
        if self.minimum is not None and self.maximum is not None:
            parts = [f"from {_number(self.minimum)} to {_number(self.maximum)}"]
        else:
            parts = [" and ".join(part for part in (low, high) if part)] if low or high else []
        if self.multiple_of is not None:
            parts.append(f"a multiple of {self.multiple_of}")
        return ", ".join(part for part in parts if part)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


@dataclass(frozen=True)
class Kind:
    """A declared type: ``integer``, ``number``, ``boolean`` or ``string``, or a list of one."""

    name: str
    nullable: bool = False
    item: str | None = None  # the items' kind, for a list

    NOUNS = {"integer": "an integer", "number": "a number", "boolean": "true or false", "string": "a text"}
    PLURALS = {"integer": "integers", "number": "numbers", "boolean": "booleans", "string": "texts"}

    def accepts(self, value) -> bool:
        if value is None:
            return self.nullable
        if self.name == "list":
            return isinstance(value, (list, tuple)) and all(_accepts(self.item, item) for item in value)
        return _accepts(self.name, value)


def _accepts(kind: str, value) -> bool:
    if kind == "integer":  # as JSON schema has it: 5.0 is the integer 5
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


_SCALARS = {int: "integer", float: "number", bool: "boolean", str: "string"}


def kind_of(annotation) -> Kind:
    """The :class:`Kind` of a field's resolved annotation; anything else is a declaration error."""
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(annotation) if member is not type(None)]
        nullable = len(members) < len(typing.get_args(annotation))
        annotation = members[0] if len(members) == 1 else annotation
    if annotation in _SCALARS:
        return Kind(_SCALARS[annotation], nullable)
    if typing.get_origin(annotation) is tuple:
        item, ellipsis = (typing.get_args(annotation) + (None, None))[:2]
        if ellipsis is Ellipsis and item in _SCALARS:
            return Kind("list", nullable, _SCALARS[item])
    raise TypeError(f"a setting's type must be int, float, bool, str, optional, or tuple[T, ...]; got {annotation!r}")


@dataclass(frozen=True)
class Declared:
    """What :func:`setting` attaches to a field."""

    description: str
    bounds: Bounds  # of the value, or of each item of a list
    min_items: int | None = None
    unique_items: bool = False
    required_when: tuple[str, object] | None = None  # (other field, value): then it must not be None


def setting(
    default=REQUIRED,
    *,
    description: str,
    minimum: float | None = None,
    exclusive_minimum: float | None = None,
    maximum: float | None = None,
    exclusive_maximum: float | None = None,
    multiple_of: int | None = None,
    odd: bool = False,
    choices: tuple | None = None,
    pattern: str | None = None,
    form: str | None = None,
    min_length: int | None = None,
    min_items: int | None = None,
    unique_items: bool = False,
    required_when: tuple[str, object] | None = None,
):
    """A declared setting. The bounds apply to the value, or to each item of a list; ``form`` says in
    words what ``pattern`` asks for."""
    bounds = Bounds(minimum, exclusive_minimum, maximum, exclusive_maximum, multiple_of, odd,
                    tuple(choices) if choices is not None else None, pattern, min_length, form)
    declared = Declared(description, bounds, min_items, unique_items, required_when)
    if isinstance(default, list):
        default = tuple(default)
    return dataclasses.field(default=default, metadata={_SETTING: declared})


def section(group: type, *, description: str = "", required: bool = False):
    """A nested group of settings (a mapping in config.yaml); its own defaults fill it when it is left out."""
    metadata = {_SECTION: description}
    if required:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default_factory=group, metadata=metadata)


@dataclass(frozen=True)
class Field:
    """One declared field of a group, with everything derived code needs."""

    name: str
    kind: Kind | None  # None for a section
    declared: Declared | None
    group: type | None  # the nested group, for a section
    description: str
    default: object  # REQUIRED when there is none

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def problem(self, value) -> str | None:
        """``expected an odd integer from 3 to 1001, got 10``, or None when ``value`` is fine."""
        declared = self.declared
        if not self.kind.accepts(value):
            return f"expected {self.expectation()}, got {value!r}"
        if value is None:
            return None
        if self.kind.name == "list":
            items = list(value)
            bad = [item for item in items if declared.bounds.problem(item)]
            repeated = declared.unique_items and len(set(items)) < len(items)
            short = declared.min_items is not None and len(items) < declared.min_items
            return f"expected {self.expectation()}, got {items!r}" if bad or repeated or short else None
        if declared.bounds.problem(value):
            return f"expected {self.expectation()}, got {value!r}"
        return None

    def normal(self, value):
        """An accepted value as the declared type holds it: a tuple for a list, 5 for 5.0, 25.0 for 25."""
        kind = self.kind.item if self.kind.name == "list" else self.kind.name
        convert = {"integer": int, "number": float}.get(kind)

        def one(item):
            return convert(item) if convert is not None and type(item) is not convert else item

        if self.kind.name == "list":
            return tuple(one(item) for item in value)
        return one(value)

    def expectation(self) -> str:
        """What the value must be, in words: ``an odd integer from 3 to 1001``."""
        kind, declared = self.kind, self.declared
        if kind.name == "list":
            count = f"at least {declared.min_items} " if declared.min_items else ""
            unique = "different " if declared.unique_items else ""
            bounds = declared.bounds.words()
            text = f"a list of {count}{unique}{Kind.PLURALS[kind.item]}" + (f", each {bounds}" if bounds else "")
        elif declared.bounds.choices is not None or declared.bounds.form is not None:
            text = declared.bounds.words()
        else:
            noun = Kind.NOUNS[kind.name]
            if declared.bounds.min_length:
                noun = "a non-empty text"
            if declared.bounds.odd:
                noun = "an odd integer"
            bounds = declared.bounds.words()
            text = f"{noun} {bounds}" if bounds else noun
        return text + (", or null" if kind.nullable else "")


@functools.cache
def fields_of(group: type) -> tuple[Field, ...]:
    """The declared fields of a group, in declaration order (bases first)."""
    hints = typing.get_type_hints(group)
    found = []
    for item in dataclasses.fields(group):
        if _SECTION in item.metadata:
            default = REQUIRED if item.default_factory is MISSING else item.default_factory()
            found.append(Field(item.name, None, None, hints[item.name], item.metadata[_SECTION], default))
        elif _SETTING in item.metadata:
            declared = item.metadata[_SETTING]
            found.append(Field(item.name, kind_of(hints[item.name]), declared, None, declared.description, item.default))
        else:
            raise TypeError(f"{group.__name__}.{item.name}: declare it with setting(...) or section(...)")
    return tuple(found)


def setting_fields(group: type) -> tuple[Field, ...]:
    """The fields of a group that hold values (its nested sections left out)."""
    return tuple(field for field in fields_of(group) if field.kind is not None)


class Settings:
    """The base of every group of settings: a value that breaks its declaration cannot be built."""

    def __post_init__(self) -> None:
        for field in fields_of(type(self)):
            value = getattr(self, field.name)
            if field.kind is None:
                if not isinstance(value, field.group):
                    raise SettingError(f"{field.name}: expected a {field.group.__name__}, got {value!r}")
                continue
            problem = field.problem(value)
            if not problem and value is not None:
                normal = field.normal(value)
                if normal is not value:
                    object.__setattr__(self, field.name, value := normal)
            if problem:
                raise SettingError(f"{field.name}: {problem}")
            condition = field.declared.required_when
            if condition and value is None and getattr(self, condition[0]) == condition[1]:
                raise SettingError(f"{field.name}: required when {condition[0]} is {condition[1]}, got None")

    @classmethod
    def from_mapping(cls, values: typing.Mapping, where: str = ""):
        """The group from a mapping such as a config section; its keys beyond the group's are ignored.

        A nested section is built from the mapping under its name. A problem names the
        setting by its path below ``where`` (``study.path_steps``).
        """
        arguments = {}
        for field in fields_of(cls):
            path = f"{where}.{field.name}" if where else field.name
            if field.name not in values:
                if field.required:
                    raise SettingError(f"{path}: required, but not given")
                continue
            value = values[field.name]
            arguments[field.name] = field.group.from_mapping(value, path) if field.kind is None else value
        try:
            return cls(**arguments)
        except SettingError as error:
            raise SettingError(f"{where}.{error}" if where else str(error)) from None

    def as_record(self) -> dict:
        """The settings as plain data (lists for tuples), for a job's record or a metrics file."""
        return _plain(dataclasses.asdict(self))


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value
