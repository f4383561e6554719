"""The JSON schema of config.yaml, generated from the declarations of :mod:`latentspace.settings.declared`.

``workflow/schemas/config.schema.yaml`` is this module's output, committed so that the
Snakefile, editors and readers find the schema where Snakemake's workflows keep it; a
test fails when it differs from what the declarations generate. After changing a
declaration, write it again::

    python -m latentspace.settings.json_schema > workflow/schemas/config.schema.yaml
"""

from __future__ import annotations

import sys

import yaml

from latentspace.settings.declaring import REQUIRED, Field, fields_of
from latentspace.settings.declared import PipelineSettings

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
HEADER = "# Generated from src/latentspace/settings/declared.py: python -m latentspace.settings.json_schema\n"

_BOUND_KEYWORDS = {
    "minimum": "minimum",
    "exclusive_minimum": "exclusiveMinimum",
    "maximum": "maximum",
    "exclusive_maximum": "exclusiveMaximum",
    "multiple_of": "multipleOf",
    "pattern": "pattern",
    "min_length": "minLength",
}


def value_schema(field: Field) -> dict:
    """The schema of one setting: its type, bounds, default and description."""
    declared, kind = field.declared, field.kind
    bounds = {}
    if declared.bounds.choices is not None:
        bounds["enum"] = list(declared.bounds.choices)
    else:
        bounds["type"] = "integer" if declared.bounds.odd else (kind.item if kind.name == "list" else kind.name)
        for name, keyword in _BOUND_KEYWORDS.items():
            value = getattr(declared.bounds, name)
            if value is not None:
                bounds[keyword] = value
        if declared.bounds.odd:
            bounds["not"] = {"multipleOf": 2}
    if kind.name == "list":
        schema = {"type": "array", "items": bounds}
        if declared.min_items is not None:
            schema["minItems"] = declared.min_items
        if declared.unique_items:
            schema["uniqueItems"] = True
    else:
        schema = bounds
    if kind.nullable:
        schema = {"anyOf": [schema, {"type": "null"}]} if "enum" in schema else {**schema, "type": [schema["type"], "null"]}
    if field.default is not REQUIRED:
        schema["default"] = list(field.default) if isinstance(field.default, tuple) else field.default
    schema["description"] = field.description
    return schema


def group_schema(group: type, description: str = "", default: bool = False) -> dict:
    """The schema of a group (a mapping of config.yaml), its nested sections included."""
    fields = fields_of(group)
    schema = {"type": "object", "additionalProperties": False}
    if description:
        schema["description"] = description
    if default:
        schema["default"] = {}
    schema["properties"] = {
        field.name: value_schema(field) if field.kind is not None
        else group_schema(field.group, field.description, default=not field.required)
        for field in fields
    }
    required = [field.name for field in fields if field.required]
    if required:
        schema["required"] = required
    conditions = [(field.name, field.declared.required_when) for field in fields
                  if field.kind is not None and field.declared.required_when]
    for name, (other, value) in conditions:  # one condition at most per group, so far
        then = dict(value_schema(next(field for field in fields if field.name == name)))
        then.pop("default", None), then.pop("description", None)
        then["type"] = [kind for kind in then["type"] if kind != "null"][0] if isinstance(then["type"], list) else then["type"]
        schema["if"] = {"properties": {other: {"const": value}}}
        schema["then"] = {"properties": {name: then}, "required": [name]}
    return schema


def config_schema() -> dict:
    """The whole schema of config.yaml."""
    schema = group_schema(PipelineSettings, PipelineSettings.__doc__.strip())
    return {"$schema": SCHEMA_DIALECT, **schema}


def schema_text() -> str:
    """The schema as the YAML file the workflow validates against."""
    return HEADER + yaml.safe_dump(config_schema(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(schema_text())
