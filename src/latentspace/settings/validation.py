"""Validate a pipeline configuration against its JSON schema, with a one-line error.

Snakemake's own ``validate`` prints the whole schema on failure; this names the field,
the value and what was expected, and fills in the schema's defaults like Snakemake does.
The schema is generated from the settings' declarations (:mod:`latentspace.settings.json_schema`);
a value out of its bounds is worded by its declaration, as the steps' command lines word
it (``config: study.path_steps: expected an odd integer from 3 to 1001, got 10``), and the
validated configuration is built into the declared groups, so both agree by construction.

Values given on the command line (``snakemake --config 'train={epochs: 5}'``) reach the
config as strings wherever they are nested: Snakemake reads them with YAML's base loader,
which types nothing. ``coerce_strings`` turns such a string into the integer, number,
boolean or null that the schema asks for at that place, spelled as a config file would
spell it; anything else is left for the validator to report.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import re
from typing import Any

import jsonschema

from latentspace.errors import LatentspaceError
from latentspace.settings.declaring import Field, SettingError, fields_of
from latentspace.settings.declared import PipelineSettings
from latentspace.settings.yaml_files import safe_load

# jsonschema keywords whose failure the setting's declaration words (a type error keeps jsonschema's words).
_BOUND_KEYWORDS = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "not", "pattern",
                   "minLength", "enum", "minItems", "uniqueItems"}


class ConfigError(LatentspaceError):
    """The configuration does not match its schema."""


@functools.lru_cache(maxsize=None)  # one extended class per validator class, not one per validation
def _fill_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
# YAML 1.1's spellings (what yaml.safe_load reads from config.yaml), in any case.
_BOOLEANS = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}
_NULLS = {"null", "~"}


def _schema_types(schema: dict) -> set[str]:
    types = schema.get("type", ())
    return {types} if isinstance(types, str) else set(types)


def _coerce_scalar(text: str, types: set[str]) -> Any:
    """``text`` as the first of integer, number, boolean, null that ``types`` allows and it spells."""
    if "string" in types:  # a string is welcome as it is; only an explicit null changes it
        return None if "null" in types and text.lower() in _NULLS else text
    if "integer" in types and _INTEGER.fullmatch(text):
        return int(text)
    if "number" in types and _NUMBER.fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return int(text) if _INTEGER.fullmatch(text) else number
    if "boolean" in types and text.lower() in _BOOLEANS:
        return _BOOLEANS[text.lower()]
    if "null" in types and (text == "" or text.lower() in _NULLS):
        return None
    return text


def coerce_strings(value: Any, schema: dict) -> Any:
    """A copy of ``value`` with strings converted where the schema asks for a non-string type.

    Walks ``properties``, ``additionalProperties`` (a schema), ``prefixItems`` and ``items``
    alongside the value. A string is converted only where the schema's ``type`` names
    integer, number, boolean or null and not string, and only when it spells such a value:
    ``"20"`` -> 20, ``"1e-3"`` -> 0.001, ``"false"`` -> False, ``"null"`` -> None. ``"5.0"``
    for an integer, ``"inf"`` or ``"lots"`` stay strings, and the validator names them.
    Where the schema allows a string (or names no type, as an ``enum``) a string stays one,
    except ``null``/``~`` where null is allowed too. ``value`` itself is not changed.
    """
    if isinstance(value, str):
        return _coerce_scalar(value, _schema_types(schema))
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        coerced = {}
        for key, item in value.items():
            subschema = properties.get(key, extra if isinstance(extra, dict) else None)
            coerced[key] = coerce_strings(item, subschema) if subschema is not None else copy.deepcopy(item)
        return coerced
    if isinstance(value, list):
        prefix = schema.get("prefixItems", [])
        items = schema.get("items")
        coerced = []
        for index, item in enumerate(value):
            subschema = prefix[index] if index < len(prefix) else items
            coerced.append(coerce_strings(item, subschema) if isinstance(subschema, dict) else copy.deepcopy(item))
        return coerced
    return copy.deepcopy(value)


def field_path(parts) -> str:
    """``['data', 'mirrors', 0]`` -> ``data.mirrors[0]``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def declared_field(names: list[str]) -> Field | None:
    """The declaration of the setting at ``names`` (``["study", "path_steps"]``), if one is there."""
    group, found = PipelineSettings, None
    for name in names:
        found = next((field for field in fields_of(group) if field.name == name), None) if group else None
        if found is None:
            return None
        group = found.group
    return found if found is not None and found.kind is not None else None


def error_message(error: jsonschema.ValidationError, config: dict) -> str:
    """``config: FIELD: WHAT``: a bound in the declaration's words, anything else in jsonschema's."""
    parts = list(error.absolute_path)
    names = [part for part in parts if isinstance(part, str)]
    field = declared_field(names) if error.validator in _BOUND_KEYWORDS else None
    if field is not None:
        value = config
        for name in names:
            value = value[name]
        problem = field.problem(value)
        if problem:
            return f"config: {field_path(names)}: {problem}"
    return f"config: {field_path(parts)}: {error.message}"


_SCHEMAS: dict[tuple[str, int, int], dict] = {}


def load_schema(schema_path: str | os.PathLike) -> dict:
    """The schema file's contents, parsed once for as long as its size and modification time stay the same.

    Read-only to its callers: the validator and :func:`coerce_strings` only look at it.
    """
    status = os.stat(schema_path)
    key = (os.fspath(schema_path), status.st_mtime_ns, status.st_size)
    if key not in _SCHEMAS:
        with open(schema_path, encoding="utf-8") as handle:
            _SCHEMAS[key] = safe_load(handle)
    return _SCHEMAS[key]


def validate_config(config: dict, schema_path: str | os.PathLike) -> dict:
    """Coerce command-line strings, fill defaults into ``config`` in place, name the first bad field."""
    schema = load_schema(schema_path)
    config.update(coerce_strings(config, schema))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = _fill_defaults(validator_class)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(error_message(error, config))
    try:
        PipelineSettings.from_mapping(config)
    except SettingError as problem:
        raise ConfigError(f"config: {problem}") from None
    return config
