"""Typed pipeline parameters: their declarations, and the values a trigger gives them.

Types are ``string``, ``boolean``, ``integer`` and ``enum`` (one of ``values``). Triggers
from chat and CLIs send strings, so ``"true"``/``"false"`` are read as booleans and
decimal strings as integers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ishcd.pipelines import schema
from ishcd.pipelines.issues import Issues, child, item
from ishcd.pipelines.model import ParamValue
from ishcd.pipelines.schema import quote
from ishcd.pipelines.source import PARAM_TYPES, ParamSpec, ParamType
from ishcd.pipelines.yamlmap import Map, Node, Scalar

MAX_INTEGER = 2**63 - 1
MAX_STRING = 10_000
_DECIMAL = re.compile(r"[+-]?[0-9]{1,18}")
_KEYS = ("type", "default", "values", "description")


def parse(node: Node | None, issues: Issues) -> tuple[ParamSpec, ...]:
    """The declarations under ``parameters:`` (absent: none)."""
    if node is None:
        return ()
    found = schema.mapping(node, "parameters", issues, what="a mapping of parameters")
    if found is None:
        return ()
    specs = []
    for entry in found.entries:
        path = child("parameters", entry.key)
        schema.name(entry.key, path, entry.key_line, issues, what="parameter", identifier=True)
        specs.append(_declaration(entry.key, entry.value, path, issues))
    return tuple(specs)


def _declaration(name: str, node: Node, path: str, issues: Issues) -> ParamSpec:
    # A declaration that cannot be read still declares its name, with a usable value,
    # so that the uses of the parameter are not reported too.
    found = schema.mapping(node, path, issues, keys=_KEYS, required=("type",))
    spec = ParamSpec(name, "string", name, (), None, path, node.line)
    if found is None:
        return spec
    type_node = found.get("type")
    if type_node is None:
        return spec
    type_name = schema.string(type_node, child(path, "type"), issues)
    if type_name not in PARAM_TYPES:
        if type_name is not None:
            issues.add(
                f"unknown parameter type {quote(type_name)}: "
                "expected string, boolean, integer or enum",
                child(path, "type"),
                type_node.line,
            )
        return spec
    param_type: ParamType = type_name
    values = _enum_values(found, param_type, path, issues)
    description_node = found.get("description")
    description = (
        None
        if description_node is None
        else schema.string(description_node, child(path, "description"), issues)
    )
    spec = ParamSpec(name, param_type, None, values, description, path, node.line)
    default_node = found.get("default")
    if default_node is None:
        return spec
    default = _default(default_node, spec, child(path, "default"), issues)
    if default is None:  # reported: stand in for it
        default = placeholder(spec)
    return ParamSpec(name, param_type, default, values, description, path, node.line)


def _enum_values(found: Map, param_type: ParamType, path: str, issues: Issues) -> tuple[str, ...]:
    values_node = found.get("values")
    values_path = child(path, "values")
    if param_type != "enum":
        if values_node is not None:
            issues.add("only an enum parameter has values", values_path, values_node.line)
        return ()
    if values_node is None:
        issues.add('an enum parameter needs "values": a list of strings', values_path, found.line)
        return ()
    listed = schema.sequence(values_node, values_path, issues, what="a list of strings")
    if listed is None:
        return ()
    if not listed.items:
        issues.add("an enum needs at least one value", values_path, listed.line)
    values: list[str] = []
    for index, value_node in enumerate(listed.items):
        value = schema.string(value_node, item(values_path, index), issues)
        if value is None:
            continue
        if value in values:
            issues.add(f"{quote(value)} is listed twice", item(values_path, index), value_node.line)
            continue
        values.append(value)
    return tuple(values)


def _default(node: Node, spec: ParamSpec, path: str, issues: Issues) -> ParamValue | None:
    if not isinstance(node, Scalar) or node.value is None or isinstance(node.value, float):
        schema.wrong_type(node, _expected(spec), path, issues)
        return None
    try:
        return coerce(node.value, spec, strings=False)
    except ValueError as exc:
        issues.add(f"the default does not fit the parameter's type: {exc}", path, node.line)
        return None


def _expected(spec: ParamSpec) -> str:
    if spec.type == "boolean":
        return "a boolean (true or false)"
    if spec.type == "integer":
        return "an integer"
    if spec.type == "enum":
        return "one of: " + ", ".join(spec.values)
    return "a string"


def coerce(value: object, spec: ParamSpec, *, strings: bool = True) -> ParamValue:
    """``value`` as a value of ``spec``'s type; ValueError saying why it is not one.

    With ``strings`` (values from a trigger), ``"true"``/``"false"`` are booleans and
    decimal strings are integers.
    """
    if spec.type == "boolean":
        if isinstance(value, bool):
            return value
        if strings and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif spec.type == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > MAX_INTEGER:
                raise ValueError(f"{value} is out of range")
            return value
        if strings and isinstance(value, str) and _DECIMAL.fullmatch(value):
            return int(value)
    elif isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ValueError(f"the value is longer than {MAX_STRING} characters")
        if spec.type == "enum" and spec.values and value not in spec.values:
            raise ValueError(f"{quote(value)} is not one of: {', '.join(spec.values)}")
        return value
    raise ValueError(f"expected {_expected(spec)}, got {show(value)}")


def show(value: object) -> str:
    """A value from YAML or JSON as a message shows it."""
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) <= MAX_INTEGER else "a very large integer"
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def placeholder(spec: ParamSpec) -> ParamValue:
    """A value of ``spec``'s type standing in for one not given (offline checks)."""
    if spec.type == "boolean":
        return False
    if spec.type == "integer":
        return 0
    if spec.type == "enum":
        return spec.values[0] if spec.values else ""
    return spec.name


def resolve(
    specs: tuple[ParamSpec, ...],
    given: Mapping[str, object],
    issues: Issues,
    *,
    offline: bool = False,
) -> dict[str, ParamValue]:
    """Every declared parameter's value: from ``given`` (a trigger's), else its default.

    Problems with ``given`` are reported as trigger problems at ``parameters.NAME``.
    ``offline`` (no trigger): defaults, and placeholders for parameters without one.
    """
    declared = {spec.name: spec for spec in specs}
    for name in given:
        if name not in declared:
            issues.add(
                f"{quote(str(name))} is not a parameter of this config",
                child("parameters", str(name)),
                None,
                trigger=True,
            )
    values: dict[str, ParamValue] = {}
    for spec in specs:
        fallback = placeholder(spec) if spec.default is None else spec.default
        if offline:
            values[spec.name] = fallback
        elif spec.name in given:
            try:
                values[spec.name] = coerce(given[spec.name], spec)
            except ValueError as exc:
                issues.add(
                    f"wrong value for parameter {quote(spec.name)}: {exc}",
                    spec.path,
                    spec.line,
                    trigger=True,
                )
                values[spec.name] = fallback
        elif spec.default is None:
            issues.add(
                f"parameter {quote(spec.name)} is required: it has no default",
                spec.path,
                spec.line,
                trigger=True,
            )
            values[spec.name] = fallback
        else:
            values[spec.name] = spec.default
    return values


def text_of(value: ParamValue) -> str:
    """How a value reads when interpolated: ``true``/``false``, decimal, or the string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
