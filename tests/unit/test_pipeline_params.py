"""Typed parameters: declarations, defaults, and the values a trigger gives them."""

from __future__ import annotations

import textwrap

import pytest

from ishcd.pipelines.compile import compile_config, preview, validate
from ishcd.pipelines.model import ConfigError, ConfigErrors, Context

CONFIG = textwrap.dedent(
    """\
    version: 1
    parameters:
      deploy_env: {type: enum, values: [staging, production], default: staging}
      slow_tests: {type: boolean, default: false}
      shards: {type: integer, default: 2}
      image: {type: string}
    jobs:
      build:
        steps:
          - run: echo << pipeline.parameters.image >> << pipeline.parameters.shards >>
    workflows:
      main: {jobs: [build]}
    """
)


def compiled(**parameters: object) -> dict[str, object]:
    plan = compile_config(CONFIG, Context(number=1, parameters=parameters))
    return dict(plan.parameters)


def trigger_errors(**parameters: object) -> list[ConfigError]:
    with pytest.raises(ConfigErrors) as caught:
        compile_config(CONFIG, Context(number=1, parameters=parameters))
    return caught.value.errors


def test_defaults_fill_what_the_trigger_does_not_give() -> None:
    assert compiled(image="app:1") == {
        "deploy_env": "staging",
        "slow_tests": False,
        "shards": 2,
        "image": "app:1",
    }


def test_trigger_values_replace_defaults_typed() -> None:
    values = compiled(image="x", deploy_env="production", slow_tests=True, shards=8)
    assert values == {"deploy_env": "production", "slow_tests": True, "shards": 8, "image": "x"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [("true", True), ("false", False), ("TRUE", True), ("False", False)],
)
def test_strings_from_chat_and_clis_are_read_as_booleans(given: str, expected: bool) -> None:
    assert compiled(image="x", slow_tests=given)["slow_tests"] is expected


@pytest.mark.parametrize(("given", "expected"), [("12", 12), ("-3", -3), ("+4", 4), ("007", 7)])
def test_decimal_strings_are_read_as_integers(given: str, expected: int) -> None:
    assert compiled(image="x", shards=given)["shards"] == expected


def test_an_unknown_parameter_is_an_error_at_its_name() -> None:
    assert trigger_errors(image="x", nope="1") == [
        ConfigError('"nope" is not a parameter of this config', "parameters.nope", None, True)
    ]


def test_a_missing_value_without_default_is_required() -> None:
    assert trigger_errors() == [
        ConfigError('parameter "image" is required: it has no default', "parameters.image", 6, True)
    ]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("slow_tests", "yes", 'expected a boolean (true or false), got "yes"'),
        ("slow_tests", 1, "expected a boolean (true or false), got 1"),
        ("shards", "2.5", 'expected an integer, got "2.5"'),
        ("shards", True, "expected an integer, got true"),
        ("shards", 1.0, "expected an integer, got 1.0"),
        ("shards", "9" * 40, f'expected an integer, got "{"9" * 40}"'),
        ("image", 3, "expected a string, got 3"),
        ("image", None, "expected a string, got null"),
        ("image", ["a"], "expected a string, got a list"),
        ("deploy_env", "dev", '"dev" is not one of: staging, production'),
        ("deploy_env", 1, "expected one of: staging, production, got 1"),
    ],
)
def test_a_wrong_value_is_an_error_naming_the_parameter(
    name: str, value: object, message: str
) -> None:
    given: dict[str, object] = {"image": "x", name: value}
    found = trigger_errors(**given)
    assert [(e.path, e.message, e.trigger) for e in found] == [
        (f"parameters.{name}", f'wrong value for parameter "{name}": {message}', True)
    ]


def test_every_trigger_problem_is_reported_at_once() -> None:
    found = trigger_errors(nope=1, shards="x", deploy_env="dev")
    assert [e.path for e in found] == [
        "parameters.nope",
        "parameters.deploy_env",
        "parameters.shards",
        "parameters.image",
    ]
    assert all(e.trigger for e in found)


def test_offline_checks_use_defaults_and_placeholders() -> None:
    assert preview(CONFIG).parameters == {
        "deploy_env": "staging",
        "slow_tests": False,
        "shards": 2,
        "image": "image",
    }


def declared(declaration: str) -> list[tuple[str, int | None, str]]:
    text = CONFIG.replace("image: {type: string}", f"image: {declaration}")
    return [(e.path, e.line, e.message) for e in validate(text)]


@pytest.mark.parametrize(
    ("declaration", "path", "message"),
    [
        ("{type: str}", "parameters.image.type", 'unknown parameter type "str": expected string, boolean, integer or enum'),
        ("{default: x}", "parameters.image.type", '"type" is required'),
        ("{type: string, default: 3}", "parameters.image.default", "the default does not fit the parameter's type: expected a string, got 3"),
        ("{type: integer, default: '3'}", "parameters.image.default", "the default does not fit the parameter's type: expected an integer, got \"3\""),
        ("{type: boolean, default: 'true'}", "parameters.image.default", "the default does not fit the parameter's type: expected a boolean (true or false), got \"true\""),
        ("{type: integer, default: 1.5}", "parameters.image.default", "expected an integer, got a number"),
        ("{type: enum, values: [a, b], default: c}", "parameters.image.default", "the default does not fit the parameter's type: \"c\" is not one of: a, b"),
        ("{type: enum}", "parameters.image.values", 'an enum parameter needs "values": a list of strings'),
        ("{type: enum, values: []}", "parameters.image.values", "an enum needs at least one value"),
        ("{type: enum, values: [a, a]}", "parameters.image.values[1]", '"a" is listed twice'),
        ("{type: enum, values: [1, 2], default: '1'}", "parameters.image.values[0]", 'expected a string, got an integer (quote it: "1")'),
        ("{type: string, values: [a]}", "parameters.image.values", "only an enum parameter has values"),
        ("{type: string, required: true}", "parameters.image.required", 'unknown key "required" (expected one of: default, description, type, values)'),
        ("string", "parameters.image", "expected a mapping, got a string"),
    ],
)  # fmt: skip
def test_declarations_are_checked(declaration: str, path: str, message: str) -> None:
    found = declared(declaration)
    assert found[0] == (path, 6, message)


def test_a_broken_declaration_still_declares_its_name() -> None:
    # Its uses are not reported as unknown names on top.
    found = declared("{type: str}")
    assert len(found) == 1


def test_a_description_is_a_string() -> None:
    assert declared("{type: string, description: The image to deploy}") == []
    assert declared("{type: string, description: [no]}") == [
        ("parameters.image.description", 6, "expected a string, got a list")
    ]
