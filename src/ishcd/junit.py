"""JUnit XML test reports, read safely and a case at a time.

The shapes written by pytest ``--junitxml``, jest-junit, go-junit-report and
Maven Surefire: a ``<testsuites>`` or ``<testsuite>`` root, suites nested in
suites, and ``<testcase>`` elements whose ``<failure>``, ``<error>`` or
``<skipped>`` child says how the case ended (none: it passed).

A report is a file a job wrote, so it is parsed as hostile input: with
defusedxml and no DTD at all (so no entity is ever declared, expanded or
fetched: a "billion laughs" file or an external entity is refused before any
expansion), after checking its size, and as a stream (``iterparse``): each
finished case is turned into a ``Case`` and its element dropped from the tree
at once, so memory stays flat whatever the number of cases. ``system-out`` and
``system-err`` are read by the XML parser but never kept. Messages are cut to
``MESSAGE_MAX`` characters, names to what the database holds.

Anything wrong with a report raises ``ReportError`` with a message meant for
the run's log.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as SafeET

RESULTS = ("passed", "failed", "skipped", "error")
SOURCE = "junit"
MESSAGE_MAX = 4000  # characters of a failure's message kept
NAME_MAX = 1000  # characters of a name, classname or file (the columns' size)
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

_OUTCOMES = {"failure": "failed", "error": "error", "skipped": "skipped"}
# Which outcome wins when a case has several children (Surefire's reruns, a
# pytest case whose teardown failed too).
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
_IGNORED = frozenset({"system-out", "system-err", "properties", "property"})


class ReportError(Exception):
    """The file is not a JUnit report Ish CD will read (the message says why)."""


@dataclass(frozen=True)
class Case:
    """One test case, with CircleCI's test metadata fields."""

    name: str
    classname: str
    file: str | None
    result: str  # one of RESULTS
    run_time: float  # seconds
    message: str | None
    source: str = SOURCE


def _cut(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _seconds(value: str | None) -> float:
    """A ``time`` attribute in seconds; Surefire may write "1,234.5"; junk is 0."""
    if not value:
        return 0.0
    try:
        seconds = float(value.replace(",", ""))
    except ValueError:
        return 0.0
    if seconds != seconds or seconds < 0 or seconds > 1e9:  # NaN, negative, absurd
        return 0.0
    return seconds


def _local(tag: str) -> str:
    """A tag without its namespace ("{uri}testcase" -> "testcase")."""
    return tag.rsplit("}", 1)[-1]


def _message(child: ET.Element) -> str | None:
    """A failure's text for the log: its ``message`` attribute, then its body."""
    attribute = (child.get("message") or "").strip()
    body = (child.text or "").strip()
    if attribute and body and not body.startswith(attribute):
        text = attribute + "\n" + body
    else:
        text = body or attribute
    return _cut(text, MESSAGE_MAX)


def _case(element: ET.Element, suite_file: str | None) -> Case:
    result = "passed"
    message = None
    for child in element:
        outcome = _OUTCOMES.get(_local(child.tag))
        if outcome is not None and _RANK[outcome] > _RANK[result]:
            result = outcome
            message = _message(child)
    name = element.get("name") or ""
    classname = element.get("classname") or element.get("class") or ""
    return Case(
        name=_cut(name, NAME_MAX) or "",
        classname=_cut(classname, NAME_MAX) or "",
        file=_cut(element.get("file") or suite_file, NAME_MAX),
        result=result,
        run_time=_seconds(element.get("time")),
        message=message,
    )


def check_size(path: Path, max_bytes: int) -> int:
    """The file's size; ``ReportError`` when it is over ``max_bytes``."""
    size = os.stat(path).st_size
    if size > max_bytes:
        raise ReportError(f"it is {size} bytes, over the limit of {max_bytes} bytes for a report")
    return size


def iter_cases(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Case]:
    """The report's cases, in order, read as a stream; raises ``ReportError``."""
    check_size(path, max_bytes)
    stack: list[ET.Element] = []
    # The ``file`` attribute of the suites around us (jest-junit puts it there).
    files: list[str | None] = []
    seen_root = False
    try:
        with open(path, "rb") as source:
            events = SafeET.iterparse(
                source,
                events=("start", "end"),
                forbid_dtd=True,
                forbid_entities=True,
                forbid_external=True,
            )
            for event, element in events:
                tag = _local(element.tag)
                if event == "start":
                    if not seen_root:
                        seen_root = True
                        if tag not in ("testsuites", "testsuite", "testcase"):
                            raise ReportError(
                                f"not a JUnit report: its root element is <{tag}>, "
                                "not <testsuites> or <testsuite>"
                            )
                    if tag == "testsuite":
                        files.append(element.get("file") or (files[-1] if files else None))
                    stack.append(element)
                    continue
                stack.pop()
                if tag == "testcase":
                    yield _case(element, files[-1] if files else None)
                elif tag == "testsuite" and files:
                    files.pop()
                if tag == "testcase" or tag in _IGNORED or tag == "testsuite":
                    # Done with it: drop it so the tree never grows with the report.
                    element.clear()
                    if stack:
                        stack[-1].remove(element)
    except ReportError:
        raise
    except defusedxml.DTDForbidden:
        raise ReportError(
            "it declares a DTD (<!DOCTYPE ...>), which Ish CD refuses in test reports: "
            "no entities are expanded or fetched"
        ) from None
    except defusedxml.EntitiesForbidden:
        raise ReportError("it declares entities, which Ish CD refuses in test reports") from None
    except defusedxml.DefusedXmlException as exc:
        raise ReportError(f"it uses XML features Ish CD refuses in test reports: {exc}") from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise ReportError(f"it is not well-formed XML (line {line}, column {column})") from None
    except OSError as exc:
        raise ReportError(f"it could not be read: {exc.strerror or exc}") from None


@dataclass
class Totals:
    total: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    error: int = 0

    def add(self, result: str) -> None:
        self.total += 1
        setattr(self, result, getattr(self, result) + 1)

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "error": self.error,
        }
