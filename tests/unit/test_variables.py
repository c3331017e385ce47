from __future__ import annotations

import pytest

from ishcd.exceptions import ValidationFailed
from ishcd.services import limits, variables

DECLARED = variables.check_declarations(
    [
        {"name": "TARGET", "required": True},
        {"name": "MODE", "default": "fast"},
        {"name": "PASSWORD", "secret": True},
    ]
)


def test_declarations_are_normalized() -> None:
    assert DECLARED[1] == {
        "name": "MODE",
        "default": "fast",
        "required": False,
        "secret": False,
        "description": None,
    }


def test_resolve_overlays_env_on_defaults() -> None:
    resolved = variables.resolve_env(DECLARED, {"TARGET": "prod", "PASSWORD": "pw"})
    assert resolved == {"TARGET": "prod", "MODE": "fast", "PASSWORD": "pw"}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        variables.resolve_env(DECLARED, {"X": "1", "MODE": 2})
    assert [e.field for e in caught.value.errors] == ["env.X", "env.MODE", "env.TARGET"]


def test_a_required_default_satisfies_required() -> None:
    declared = variables.check_declarations([{"name": "A", "required": True, "default": "x"}])
    assert variables.resolve_env(declared, {}) == {"A": "x"}


def test_values_are_bounded() -> None:
    with pytest.raises(ValidationFailed):
        variables.resolve_env(DECLARED, {"TARGET": "x" * (limits.DEFAULT.variable_bytes + 1)})


@pytest.mark.parametrize(
    "name", ["ishcd_x", "ISHCD_RUN_ID", "ISHCD", "Ishcd", "9A", "A B", "", "A" * 129]
)
def test_bad_names(name: str) -> None:
    with pytest.raises(ValidationFailed):
        variables.check_declarations([{"name": name}])


def test_masking() -> None:
    env = {"PASSWORD": "pw", "MODE": "x"}
    assert variables.masked(env, variables.secret_names(DECLARED)) == {
        "PASSWORD": "***",
        "MODE": "x",
    }
