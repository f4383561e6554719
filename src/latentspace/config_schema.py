"""Validate a pipeline configuration against its JSON schema, with a one-line error.

Snakemake's own ``validate`` prints the whole schema on failure; this names the field,
the value and what was expected, and fills in the schema's defaults like Snakemake does.
"""

from __future__ import annotations

import copy
import os

import jsonschema
import yaml

from latentspace.errors import LatentspaceError


class ConfigError(LatentspaceError):
    """The configuration does not match its schema."""


def _fill_defaults(validator_class):
    validate_properties = validator_class.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": set_defaults})


def field_path(error: jsonschema.ValidationError) -> str:
    """``['data', 'mirrors', 0]`` -> ``data.mirrors[0]``."""
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def validate_config(config: dict, schema_path: str | os.PathLike) -> dict:
    """Fill defaults into ``config`` in place and raise ConfigError naming the first bad field."""
    with open(schema_path, encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = _fill_defaults(validator_class)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if error is not None:
        raise ConfigError(f"config: {field_path(error)}: {error.message}")
    return config
