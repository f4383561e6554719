"""Each setting is declared once; the schema, the reference, the command lines and the rules' options follow.

The generated files are what the declarations generate; the schema and the declarations
accept the same values; each step's options, rendered from config.yaml as a rule renders
them, parse back to the settings they came from; and a bad value is one line naming it.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import re

import jsonschema
import pytest
import yaml
from hypothesis import given, settings as hypothesis_settings, strategies as st

from conftest import REPO_ROOT, effective_config
from latentspace.cli import main, parse_step, step_commands, step_module, step_names, step_options
from latentspace.errors import LatentspaceError
from latentspace.settings.command_line import named_mapping, option_words, parse_named_values
from latentspace.settings.declaring import REQUIRED, SettingError, fields_of, setting_fields
from latentspace.settings.declared import InterpolationStudySettings, PipelineSettings
from latentspace.settings.json_schema import config_schema, schema_text, value_schema
from latentspace.settings.reference import reference_text
from latentspace.settings.validation import ConfigError, validate_config

SCHEMA_FILE = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"


# --- generated files -------------------------------------------------------------------------


def test_the_committed_schema_is_what_the_declarations_generate():
    assert SCHEMA_FILE.read_text() == schema_text(), (
        "run: python -m latentspace.settings.json_schema > workflow/schemas/config.schema.yaml"
    )


def test_the_settings_reference_is_what_the_declarations_generate():
    assert (REPO_ROOT / "docs" / "settings.md").read_text() == reference_text(), (
        "run: python -m latentspace.settings.reference > docs/settings.md"
    )


def all_fields(group=PipelineSettings, path=()):
    """(dotted path, field) of every declared setting of config.yaml."""
    for field in fields_of(group):
        if field.kind is None:
            yield from all_fields(field.group, (*path, field.name))
        else:
            yield ".".join((*path, field.name)), field


def test_config_yaml_gives_every_setting_with_a_comment_and_nothing_undeclared():
    """config.yaml is the file a reader edits: it names every setting there is."""
    config = yaml.safe_load((REPO_ROOT / "config.yaml").read_text())
    declared = {path for path, _ in all_fields()}

    def given_paths(mapping, prefix=()):
        for key, value in mapping.items():
            if isinstance(value, dict):
                yield from given_paths(value, (*prefix, key))
            else:
                yield ".".join((*prefix, key))

    assert set(given_paths(config)) == declared
    validate_config(config, SCHEMA_FILE)


# --- the schema and the declarations agree ------------------------------------------------------

FIELDS = dict(all_fields())


def candidates(field):
    """Values around a field's bounds, of its type and of other types."""
    scalars = st.one_of(
        st.integers(-5, 5), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([0, 1, 2, 3, 4, 5, 6, 10, 13, 14, 16, 28, 29, 45, 46, 51, 52, 63, 64, 100, 101, 120, 121,
                         999, 1000, 1001, 1002, 4096, 4097, 5000, 5001, 100000, 100001, 0.5, 0.49, 0.99, 1.0, 179.9,
                         180.0]),
        st.booleans(), st.none(), st.text(max_size=8),
        st.sampled_from(["auto", "cpu", "cuda", "cuda:1", "gpu", "mnist", "idx", "float16", "int8",
                         "https://x", "ftp://x", ""]),
    )
    return st.one_of(scalars, st.lists(scalars, max_size=4))


@hypothesis_settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_schema_accepts_a_value_exactly_when_its_declaration_does(data):
    path = data.draw(st.sampled_from(sorted(FIELDS)))
    field = FIELDS[path]
    value = data.draw(candidates(field))
    schema = value_schema(field)
    schema_accepts = jsonschema.Draft202012Validator(schema).is_valid(value)
    declared_accepts = field.problem(value) is None
    assert schema_accepts == declared_accepts, (path, value)


def test_every_bound_has_one_worded_message_in_config_and_on_the_command_line(tmp_path, capsys):
    config = effective_config()
    bad = copy.deepcopy(config)
    bad["study"]["path_steps"] = 10
    with pytest.raises(ConfigError, match=r"^config: study\.path_steps: expected an odd integer from 3 to 1001, got 10$"):
        validate_config(bad, SCHEMA_FILE)
    assert main(["study-summary", "--path-steps", "10", "--seed", "1", "--statistics", "s", "--path-metrics", "p",
                 "--midpoints", "m", "--classifier-metrics", "c", "--summary-out", "a", "--models-out", "b",
                 "--paths-out", "c", "--midpoints-out", "d"]) == 2
    assert capsys.readouterr().err == (
        "latentspace study-summary: error: argument --path-steps: expected an odd integer from 3 to 1001, got '10'\n"
    )
    with pytest.raises(SettingError, match=r"^path_steps: expected an odd integer from 3 to 1001, got 10$"):
        InterpolationStudySettings(path_steps=10)


def test_a_setting_required_when_another_has_a_value():
    config = effective_config()
    config["data"] = {**config["data"], "source": "idx", "idx_dir": None}
    with pytest.raises(SettingError, match=r"^data\.idx_dir: required when source is idx, got None$"):
        PipelineSettings.from_mapping(config)
    config["data"]["idx_dir"] = "digits"
    assert PipelineSettings.from_mapping(config).data.idx_dir == "digits"


def test_numbers_are_floats_and_lists_tuples_whatever_the_yaml_gave():
    built = PipelineSettings.from_mapping(effective_config())
    assert isinstance(built.animation.fps, float) and isinstance(built.latent_dims, tuple)
    assert built.as_record()["latent_dims"] == list(built.latent_dims)


# --- each step's options -------------------------------------------------------------------------------


def each_step_command():
    for step in step_names():
        for kind, command in step_commands(step_module(step)).items():
            if command.settings is not None:
                yield step, kind, command.settings


RULE_ONLY = {"latent_dim": 2, "n": 3, "threads": 1}


@pytest.mark.parametrize("step, kind, group", list(each_step_command()))
def test_a_rules_options_parse_back_to_the_settings_they_came_from(step, kind, group):
    """Every setting a step takes has a value in config.yaml (or is one of its rule's own), and the
    words a rule renders from it give the step exactly those values."""
    config = effective_config(REPO_ROOT / "config.yaml")
    sections = [config, *[value for value in config.values() if isinstance(value, dict)],
                *config["figures"].values(), config["study"]["classifier"], config["study"]["geodesic"]]
    values = {}
    for name in (field.name for field in setting_fields(group)):
        values[name] = RULE_ONLY.get(name, next((section[name] for section in sections if name in section), None))
    words = option_words(group, values)
    parsed = group(**{field.name: getattr(parse_only(step, kind, words, group), field.name)
                      for field in setting_fields(group)})
    assert parsed == group(**values)


def parse_only(step, kind, words, group):
    """The settings a step's parser makes of ``words`` (its files given as placeholders)."""
    command = step_commands(step_module(step))[kind]
    files = []
    for item in dataclasses.fields(command.files):
        if item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            files += [f"--{item.name.replace('_', '-')}", "1=x" if "dict" in str(item.type) else "x"]
    _, settings, _ = parse_step([step, *([kind] if kind else []), *words, *files])
    return settings


def test_help_lists_every_setting_with_its_description(capsys):
    for step, kind, group in each_step_command():
        with pytest.raises(SystemExit):
            parse_step([step, *([kind] if kind else []), "--help"])
        text = " ".join(capsys.readouterr().out.split())
        for field in setting_fields(group):
            assert f"--{field.name.replace('_', '-')}" in text, (step, field.name)
            assert " ".join(field.description.split())[:40] in text, (step, field.name)


def test_an_option_changed_by_hand_reaches_the_step():
    _, settings, files = parse_step(["latent-grid", "--steps", "3", "--model", "m.pt", "--output", "g.png"])
    assert settings.steps == 3 and settings.extent == 2.0 and files.model == "m.pt"  # the rest: declared defaults
    _, settings, _ = parse_step(["train", "--seed", "1", "--epochs", "2", "--latent-dim", "2", "--hidden-dims", "8",
                                 "4", "--data", "d", "--model-out", "m", "--history-out", "h", "--metrics-out", "j"])
    assert settings.hidden_dims == (8, 4) and settings.batch_size == 128


def test_a_rule_hands_over_whole_sections_and_unknown_keys_stay_out():
    config = effective_config()
    options = step_options("latent-grid", config["figures"]["latent_grid"], device="cpu")
    assert options == "--device cpu --extent 2.0 --steps 6"
    with pytest.raises(SettingError, match=r"no value for seed"):
        step_options("norm-concentration", config["figures"]["norm_concentration"])
    with pytest.raises(SettingError, match=r"^steps: expected an integer from 2 to 100, got 1$"):
        step_options("latent-grid", {"extent": 2.0, "steps": 1}, device="cpu")


def test_named_values_have_one_reader():
    assert parse_named_values(["2=a.csv", "10=b=c.csv", "2=d.csv"], "--history") == [
        ("2", "a.csv"), ("10", "b=c.csv"), ("2", "d.csv")]
    assert named_mapping(["f07=10", "f11=500"], "--figure-latent-dim", int) == {"f07": 10, "f11": 500}
    with pytest.raises(LatentspaceError, match=r"^--figure-latent-dim: expected NAME=WHOLE_NUMBER, got 'f07=ten'$"):
        named_mapping(["f07=ten"], "--figure-latent-dim", int)
    with pytest.raises(LatentspaceError, match=r"^--asset: expected NAME=PATH, got 'a'$"):
        named_mapping(["a"], "--asset")
    with pytest.raises(LatentspaceError, match=r"^--asset: a given more than once$"):
        named_mapping(["a=x", "a=y"], "--asset")


def test_a_file_option_takes_several_values_or_repeats():
    _, _, files = parse_step(["training-curves", "--history", "2=a.csv", "10=b.csv", "--history", "20=c.csv",
                              "--output", "f.svg"])
    assert files.history == {"2": "a.csv", "10": "b.csv", "20": "c.csv"}
