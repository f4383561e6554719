"""The reference of every setting, ``docs/settings.md``, generated from the declarations.

One table per section of config.yaml: each setting with what it must be, its declared
default and its description. A test fails when the committed file differs from what the
declarations generate; after changing a declaration, write it again::

    python -m latentspace.settings.reference > docs/settings.md
"""

from __future__ import annotations

import sys

from latentspace.settings.declaring import REQUIRED, Field, fields_of
from latentspace.settings.declared import PipelineSettings

HEADER = """# Settings

Every setting of `config.yaml`, generated from their declarations
(`src/latentspace/settings/declared.py`) by `python -m latentspace.settings.reference`.
A value is checked against its declaration before any job runs; "required" settings have
no default and must be given in `config.yaml` (or a file given with `--configfile`).
Change one for a single run with `snakemake --config 'train={epochs: 5}'`.
"""


def _shown(value) -> str:
    if value is REQUIRED:
        return "required"
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return "`null`" if value is None else f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def section_tables(group: type, path: str = "") -> list[str]:
    """The markdown of ``group``'s settings, then of each nested section."""
    fields = fields_of(group)
    values = [field for field in fields if field.kind is not None]
    blocks = []
    if values:
        rows = ["| setting | must be | default | meaning |", "|---|---|---|---|"]
        rows += [f"| `{_name(path, field)}` | {_cell(field.expectation())} | {_cell(_shown(field.default))} | "
                 f"{_cell(field.description)} |" for field in values]
        blocks.append("\n".join(rows))
    for field in fields:
        if field.kind is None:
            name = _name(path, field)
            blocks.append(f"## `{name}`\n\n{field.description}" if field.description else f"## `{name}`")
            blocks += section_tables(field.group, name)
    return blocks


def _name(path: str, field: Field) -> str:
    return f"{path}.{field.name}" if path else field.name


def reference_text() -> str:
    return HEADER + "\n" + "\n\n".join(section_tables(PipelineSettings)) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference_text())
