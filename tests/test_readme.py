"""The README's settings table says what config.yaml says, and names declared settings, so the
three cannot drift apart (docs/settings.md, the whole reference, is generated: tests/test_settings.py)."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO_ROOT
from test_settings import FIELDS

TABLE_HEADER = "| setting | default | meaning |"


def settings_table(readme: str) -> list[tuple[str, str]]:
    """(setting cell, default cell) of each row of the README's settings table."""
    lines = readme.splitlines()
    start = lines.index(TABLE_HEADER) + 2  # past the header and its |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append((cells[0], cells[1]))
    return rows


def documented_defaults(setting_cell: str, default_cell: str) -> dict[str, object]:
    """Dotted setting -> documented value. One cell may list several settings of one section:
    "`train.epochs`, `batch_size`" with "60, 128" (a value in backticks is one YAML value)."""
    names = re.findall(r"`([^`]+)`", setting_cell)
    quoted = re.fullmatch(r"`([^`]+)`", default_cell)
    values = [quoted.group(1)] if quoted else [value.strip() for value in default_cell.split(",")]
    assert len(names) == len(values), f"README row {setting_cell!r}: {len(names)} settings, {len(values)} defaults"
    section = names[0].rpartition(".")[0]
    dotted = [names[0]] + [f"{section}.{name}" if section else name for name in names[1:]]
    return {name: yaml.safe_load(value) for name, value in zip(dotted, values)}


def config_value(config: dict, dotted: str) -> object:
    value = config
    for key in dotted.split("."):
        value = value[key]
    return value


def same(documented: object, configured: object) -> bool:
    if isinstance(configured, bool) or not isinstance(configured, (int, float)):
        return documented == configured
    return float(documented) == float(configured)  # "1e-3" is text to YAML 1.1, a number to a reader


def test_every_default_in_the_readme_is_config_yaml_s():
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    rows = settings_table((REPO_ROOT / "README.md").read_text())
    assert len(rows) >= 5
    checked = 0
    for setting_cell, default_cell in rows:
        for dotted, documented in documented_defaults(setting_cell, default_cell).items():
            assert dotted in FIELDS, f"README names {dotted}, which no declaration holds"
            configured = config_value(config, dotted)
            assert same(documented, configured), f"README says {dotted} = {documented!r}, config.yaml {configured!r}"
            checked += 1
    assert checked >= 9


@pytest.mark.parametrize(
    "setting_cell, default_cell, expected",
    [
        ("`seed`", "1234", {"seed": 1234}),
        ("`latent_dims`", "`[2, 10, 500]`", {"latent_dims": [2, 10, 500]}),
        ("`train.epochs`, `batch_size`", "60, 128", {"train.epochs": 60, "train.batch_size": 128}),
    ],
)
def test_a_row_is_read_as_written(setting_cell, default_cell, expected):
    assert documented_defaults(setting_cell, default_cell) == expected


def test_a_drifted_default_is_caught():
    config = {"train": {"epochs": 60}}
    (dotted, documented), = documented_defaults("`train.epochs`", "40").items()
    assert not same(documented, config_value(config, dotted))
