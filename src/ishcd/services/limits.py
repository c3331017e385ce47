"""Limits on what a job or a run may hold, so that every run accepted can start.

Linux refuses to start a program whose environment holds one string over
128 KiB (``MAX_ARG_STRLEN``), or whose arguments and environment together pass
about 2 MiB (a quarter of an 8 MiB stack): the run would end ``setup_failed``
("Argument list too long") after it was accepted and stored. The defaults stay
well below, and each is a setting (docs/configuration.md, "Limits").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ishcd import exceptions
from ishcd.settings import Settings


@dataclass(frozen=True)
class Limits:
    script_bytes: int = 512 * 1024
    variable_bytes: int = 64 * 1024
    variables: int = 100
    env_bytes: int = 512 * 1024

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            script_bytes=settings.max_script_bytes,
            variable_bytes=settings.max_variable_bytes,
            variables=settings.max_variables,
            env_bytes=settings.max_env_bytes,
        )


DEFAULT = Limits()


def env_bytes(env: Mapping[str, str]) -> int:
    """What ``env`` takes in a process's environment: ``NAME=value`` and a NUL each."""
    return sum(len(name.encode()) + len(value.encode()) + 2 for name, value in env.items())


def check_script(script: str, limits: Limits) -> None:
    size = len(script.encode())
    if size > limits.script_bytes:
        raise exceptions.ValidationFailed.one(
            "script", f"is {size} bytes; the limit is {limits.script_bytes} bytes"
        )


def check_env(env: Mapping[str, str], limits: Limits, field: str, what: str) -> None:
    """422 on ``field`` when ``env`` would not fit in a run's environment."""
    size = env_bytes(env)
    if size > limits.env_bytes:
        raise exceptions.ValidationFailed.one(
            field, f"{what} would be {size} bytes; the limit is {limits.env_bytes} bytes"
        )
