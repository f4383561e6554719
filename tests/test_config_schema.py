"""The configuration schema: defaults filled in, bad values named in one line."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import REDUCED_CONFIG, REPO_ROOT
from latentspace.config_schema import ConfigError, validate_config

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
        (lambda c: c.update(seed=-1), "config: seed: -1 is less than the minimum of 0"),
        (lambda c: c.update(latent_dims=[2, 2]), "config: latent_dims: [2, 2] has non-unique elements"),
        (lambda c: c["data"].update(source="cifar"), "config: data.source: 'cifar' is not one of"),
        (lambda c: c["data"].update(source="idx"), "config: data.idx_dir"),
        (lambda c: c["train"].update(epoch=3), "config: train: Additional properties are not allowed ('epoch'"),
        (lambda c: c.update(device="gpu"), "config: device: 'gpu' does not match"),
        (lambda c: c["data"].update(mirrors=["ftp://x"]), "config: data.mirrors[0]: 'ftp://x' does not match"),
    ],
)
def test_bad_values_are_named(change, message):
    config = copy.deepcopy(DEFAULT_CONFIG)
    change(config)
    with pytest.raises(ConfigError) as raised:
        validate_config(config, SCHEMA)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
