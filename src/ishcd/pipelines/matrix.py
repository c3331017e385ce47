"""Matrix jobs: one job instance per combination of the matrix parameters' values.

Combinations come in declared order, the first parameter varying slowest:
``{os: [linux, mac], py: ["3.11", "3.12"]}`` gives linux/3.11, linux/3.12, mac/3.11,
mac/3.12. An instance is named after its job and values: ``test-oslinux-py3.11``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence

MAX_INSTANCES = 256
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def count(parameters: Sequence[tuple[str, Sequence[str]]]) -> int:
    """How many instances a matrix makes (without making them)."""
    return math.prod(len(values) for _, values in parameters)


def combinations(parameters: Sequence[tuple[str, Sequence[str]]]) -> list[dict[str, str]]:
    """Every combination of values, as ``{parameter: value}``, in declared order."""
    names = [name for name, _ in parameters]
    return [
        dict(zip(names, chosen, strict=True))
        for chosen in itertools.product(*(values for _, values in parameters))
    ]


def instance_name(job: str, values: Mapping[str, str]) -> str:
    """``test-py3.11`` for job ``test`` and ``{"py": "3.11"}``.

    Each parameter adds ``-``, its name and its value; characters of the value other
    than letters, digits, ``_``, ``.`` and ``-`` become ``_``.
    """
    return job + "".join(f"-{name}{_UNSAFE.sub('_', value)}" for name, value in values.items())
