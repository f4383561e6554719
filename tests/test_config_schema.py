"""The configuration schema: defaults filled in, bad values named in one line."""

from __future__ import annotations

import copy
import re

import pytest
import yaml

from conftest import REDUCED_CONFIG, REPO_ROOT, copy_workflow, run_snakemake
from latentspace.settings.validation import ConfigError, coerce_strings, validate_config

SCHEMA = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())


@pytest.mark.parametrize("path", [REPO_ROOT / "config.yaml", REDUCED_CONFIG])
def test_shipped_configs_are_valid(path):
    validate_config(yaml.safe_load(path.read_text()), SCHEMA)


def test_defaults_are_filled_in():
    minimal = {"seed": 1, "latent_dims": [2], "data": {"source": "mnist-5k"}, "train": {"epochs": 1}}
    validate_config(minimal, SCHEMA)
    assert minimal["device"] == "auto"
    assert minimal["data"]["test_fraction"] == 0.1
    assert minimal["model"]["hidden_dims"] == [512, 256]
    assert minimal["figures"]["latent_grid"]["steps"] == 20


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.update(seed=-1), "config: seed: expected an integer of at least 0, got -1"),
        (lambda c: c.update(latent_dims=[2, 2]),
         "config: latent_dims: expected a list of at least 1 different integers, each from 1 to 4096, got [2, 2]"),
        (lambda c: c["data"].update(source="cifar"),
         "config: data.source: expected one of mnist-5k, mnist, fashion-mnist, idx, got 'cifar'"),
        (lambda c: c["data"].update(source="idx"), "config: data.idx_dir"),
        (lambda c: c["train"].update(epoch=3), "config: train: Additional properties are not allowed ('epoch'"),
        (lambda c: c.update(device="gpu"), "config: device: expected auto, cpu, mps, cuda or cuda:N, got 'gpu'"),
        (lambda c: c["data"].update(mirrors=["ftp://x"]),
         "config: data.mirrors: expected a list of texts, each an http://, https:// or file:// address, got ['ftp://x']"),
        (lambda c: c["study"].update(path_steps=10), "config: study.path_steps: expected an odd integer from 3 to 1001"),
    ],
)
def test_bad_values_are_named(change, message):
    config = copy.deepcopy(DEFAULT_CONFIG)
    change(config)
    with pytest.raises(ConfigError) as raised:
        validate_config(config, SCHEMA)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


# --- Command-line values: strings coerced against the schema -------------------------

SCHEMA_DICT = yaml.safe_load(SCHEMA.read_text())


@pytest.mark.parametrize(
    "schema, text, expected",
    [
        ({"type": "integer"}, "20", 20),
        ({"type": "integer"}, "-3", -3),
        ({"type": "number"}, "1e-3", 0.001),
        ({"type": "number"}, "0.5", 0.5),
        ({"type": "number"}, "25", 25),
        ({"type": "boolean"}, "false", False),
        ({"type": "boolean"}, "True", True),
        ({"type": "boolean"}, "no", False),
        ({"type": ["integer", "null"]}, "7", 7),
        ({"type": ["integer", "null"]}, "null", None),
        ({"type": ["integer", "null"]}, "~", None),
        ({"type": ["integer", "null"]}, "", None),
        ({"type": ["string", "null"]}, "null", None),
        ({"type": ["string", "null"]}, "data/raw", "data/raw"),
        ({"type": "string"}, "12", "12"),  # a string field keeps a string that looks like a number
        ({"type": "string"}, "true", "true"),
        ({"enum": ["mnist", "idx"]}, "idx", "idx"),  # no type named: left alone
    ],
)
def test_strings_become_what_the_schema_asks_for(schema, text, expected):
    coerced = coerce_strings(text, schema)
    assert coerced == expected and type(coerced) is type(expected)


@pytest.mark.parametrize(
    "schema, text",
    [
        ({"type": "integer"}, "5.0"),  # would pass as an integer but reach argparse as 5.0
        ({"type": "integer"}, "0x10"),
        ({"type": "integer"}, "five"),
        ({"type": "number"}, "inf"),
        ({"type": "number"}, "nan"),
        ({"type": "number"}, "1e400"),  # overflows to inf
        ({"type": "boolean"}, "1"),
        ({"type": "boolean"}, "maybe"),
        ({"type": "integer"}, ""),
    ],
)
def test_strings_that_do_not_spell_the_type_stay_strings(schema, text):
    assert coerce_strings(text, schema) == text


def test_nested_mappings_and_lists_are_walked_and_the_input_kept():
    config = {
        "latent_dims": ["2", "20"],
        "train": {"epochs": "5", "resources": {"gpu": "0", "mem_mb": "4000"}},
        "figures": {"norm_concentration": {"dims": ["1", "10"], "samples": "100"}},
        "animation": {"webm": "off", "fps": "12.5"},
        "data": {"source": "idx", "idx_dir": "null", "mirrors": ["file:///m"]},
        "site": {"title": "2024"},
        "unknown": {"epochs": "5"},  # not in the schema: left for the validator to name
    }
    original = copy.deepcopy(config)
    coerced = coerce_strings(config, SCHEMA_DICT)
    assert config == original
    assert coerced == {
        "latent_dims": [2, 20],
        "train": {"epochs": 5, "resources": {"gpu": 0, "mem_mb": 4000}},
        "figures": {"norm_concentration": {"dims": [1, 10], "samples": 100}},
        "animation": {"webm": False, "fps": 12.5},
        "data": {"source": "idx", "idx_dir": None, "mirrors": ["file:///m"]},
        "site": {"title": "2024"},
        "unknown": {"epochs": "5"},
    }


def test_prefix_items_and_additional_properties_schemas_are_followed():
    schema = {
        "type": "object",
        "additionalProperties": {"type": "array", "prefixItems": [{"type": "boolean"}], "items": {"type": "number"}},
    }
    assert coerce_strings({"a": ["yes", "2", "2.5"]}, schema) == {"a": [True, 2, 2.5]}


def command_line_config(*entries: str) -> dict:
    """config.yaml with ``--config`` entries merged in, as Snakemake parses and merges them."""
    from snakemake.cli import parse_config
    from snakemake.utils import update_config

    config = copy.deepcopy(DEFAULT_CONFIG)
    update_config(config, parse_config(list(entries)))
    return config


def test_command_line_overrides_of_numbers_lists_and_booleans_validate():
    config = command_line_config(
        "latent_dims=[2,20]", "train={epochs: 5, resources: {gpu: 1}}", "animation={webm: false}", "seed=9"
    )
    validate_config(config, SCHEMA)
    assert config["latent_dims"] == [2, 20]
    assert config["seed"] == 9
    assert config["animation"]["webm"] is False
    # Snakemake merges nested mappings: the other train settings keep config.yaml's values.
    assert config["train"] == {
        **DEFAULT_CONFIG["train"],
        "epochs": 5,
        "resources": {**DEFAULT_CONFIG["train"]["resources"], "gpu": 1},
    }


def test_a_mapping_only_on_the_command_line_gets_the_schema_defaults():
    config = command_line_config("train={epochs: 3, resources: {gpu: 2}}")
    del config["train"]["resources"]["mem_mb"]  # as if config.yaml had not set it
    config["figures"] = {"latent_grid": {"steps": "4"}}
    validate_config(config, SCHEMA)
    assert config["train"]["resources"]["gpu"] == 2
    assert config["train"]["resources"]["mem_mb"] == 8000
    assert config["figures"]["latent_grid"] == {"steps": 4, "extent": 2.0}


@pytest.mark.parametrize(
    "entry, message",
    [
        ("train={epochs: five}", "config: train.epochs: 'five' is not of type 'integer'"),
        ("latent_dims=[2, 2.5]", "config: latent_dims[1]: '2.5' is not of type 'integer'"),
        ("animation={webm: maybe}", "config: animation.webm: 'maybe' is not of type 'boolean'"),
        ("train={resources: {gpu: -1}}", "config: train.resources.gpu: expected an integer of at least 0, got -1"),
    ],
)
def test_command_line_values_that_do_not_convert_are_named(entry, message):
    with pytest.raises(ConfigError) as raised:
        validate_config(command_line_config(entry), SCHEMA)
    assert str(raised.value) == message


# --- The same through `snakemake -n`, typed as a user types it ------------------------


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory):
    return copy_workflow(tmp_path_factory.mktemp("config-overrides"))


def dry_run(workdir, *config_entries: str):
    """``snakemake -n -p`` of the default config.yaml with ``--config`` entries."""
    return run_snakemake(
        workdir, "-n", "-p", "--config", *config_entries, configfile=workdir / "config.yaml", timeout=300
    )


def planned_training(output: str) -> dict[int, str]:
    """Latent size -> the shell command of each planned training job."""
    commands = re.findall(r"python -m latentspace train .*", output)
    return {int(re.search(r"--latent-dim (\d+)", command)[1]): command for command in commands}


@pytest.mark.slow
def test_a_list_and_a_nested_mapping_on_the_command_line(workflow_copy):
    result = dry_run(workflow_copy, "latent_dims=[2,20]", "train={epochs: 5}")
    assert result.returncode == 0, result.stderr[-3000:]
    training = planned_training(result.stdout)
    assert sorted(training) == [2, 10, 20, 500]  # 20 from the command line; the article's figures need 10 and 500
    for command in training.values():  # epochs from the command line, the rest from config.yaml
        assert "--epochs 5 " in command and "--batch-size 128 " in command and "--learning-rate 0.001 " in command
    assert ".webm" in result.stdout  # the default animations, for the next test


@pytest.mark.slow
def test_a_boolean_on_the_command_line_changes_the_planned_outputs(workflow_copy):
    result = dry_run(workflow_copy, "animation={webm: false}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert ".webm" not in result.stdout and ".mp4" in result.stdout
    assert sorted(planned_training(result.stdout)) == [2, 10, 500]


@pytest.mark.slow
def test_a_command_line_value_that_does_not_convert_stops_with_one_line(workflow_copy):
    result = dry_run(workflow_copy, "train={epochs: 5.5}")
    assert result.returncode != 0
    assert "config: train.epochs: '5.5' is not of type 'integer'" in result.stdout + result.stderr
    assert "rule train" not in result.stdout
