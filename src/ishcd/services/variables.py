"""Job variables: declarations, and the env a run may be given.

A job declares its variables (name, default, required, secret, description).
A run's env may only name declared variables, with string values; every
required variable must end up with a non-empty value (from the env or its
default). Every problem is reported at once, each naming its variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ishcd.exceptions import FieldError, ValidationFailed
from ishcd.services import limits as limits_mod
from ishcd.services.limits import Limits

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
RESERVED = "ISHCD and ISHCD_* names are reserved"  # Ish CD's own variables
MASK = "***"


def is_reserved(name: str) -> bool:
    """Whether ``name`` is one of Ish CD's: ``ISHCD`` or ``ISHCD_*``, in any case."""
    upper = name.upper()
    return upper == "ISHCD" or upper.startswith("ISHCD_")


def value_problem(value: object, limits: Limits = limits_mod.DEFAULT) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if "\x00" in value:
        return "must not contain NUL characters"
    if len(value.encode()) > limits.variable_bytes:
        return f"must be at most {limits.variable_bytes} bytes"
    return None


def check_declarations(
    declared: list[dict[str, Any]], limits: Limits = limits_mod.DEFAULT
) -> list[dict[str, Any]]:
    """Normalize a job's variable declarations, or raise naming each bad one."""
    if len(declared) > limits.variables:
        raise ValidationFailed.one(
            "variables", f"declares {len(declared)}; the limit is {limits.variables} variables"
        )
    errors: list[FieldError] = []
    seen: set[str] = set()
    normalized = []
    for index, item in enumerate(declared):
        path = f"variables[{index}]"
        name = item.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            errors.append(FieldError(f"{path}.name", "must be a shell variable name"))
            continue
        if is_reserved(name):
            errors.append(FieldError(f"{path}.name", RESERVED))
        if name in seen:
            errors.append(FieldError(f"{path}.name", f"{name} is declared twice"))
        seen.add(name)
        default = item.get("default")
        if default is not None and (problem := value_problem(default, limits)):
            errors.append(FieldError(f"{path}.default", problem))
        normalized.append(
            {
                "name": name,
                "default": default,
                "required": bool(item.get("required", False)),
                "secret": bool(item.get("secret", False)),
                "description": item.get("description"),
            }
        )
    if errors:
        raise ValidationFailed.many("invalid variables", errors)
    defaults = {
        str(item["name"]): item["default"]
        for item in normalized
        if isinstance(item["default"], str)
    }
    limits_mod.check_env(defaults, limits, "variables", "the defaults together")
    return normalized


def resolve_env(
    declared: list[dict[str, Any]],
    env: Mapping[str, object],
    limits: Limits = limits_mod.DEFAULT,
) -> dict[str, str]:
    """The variables a run gets: declared defaults overlaid with ``env``."""
    by_name = {item["name"]: item for item in declared}
    errors: list[FieldError] = []
    for name, value in env.items():
        if name not in by_name:
            errors.append(FieldError(f"env.{name}", f"{name} is not a variable of this job"))
        elif problem := value_problem(value, limits):
            errors.append(FieldError(f"env.{name}", problem))
    resolved: dict[str, str] = {}
    for item in declared:
        name = item["name"]
        value = env.get(name, item["default"])
        if isinstance(value, str):
            resolved[name] = value
        if item["required"] and not value:
            if name in env:
                errors.append(
                    FieldError(f"env.{name}", f"{name} is required and must not be empty")
                )
            elif not any(e.field == f"env.{name}" for e in errors):
                errors.append(FieldError(f"env.{name}", f"{name} is required"))
    if errors:
        raise ValidationFailed.many("invalid env", errors)
    return resolved


def secret_names(declared: list[dict[str, Any]]) -> set[str]:
    return {item["name"] for item in declared if item.get("secret")}


def masked(env: Mapping[str, str], secrets: set[str]) -> dict[str, str]:
    """``env`` with the values of secret variables replaced by ``***``."""
    return {name: MASK if name in secrets else value for name, value in env.items()}
