"""The JUnit parser: the shapes the tools write, and what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ishcd import junit
from tests import junit_samples


def _parse(tmp_path: Path, text: str, **limits: int) -> list[junit.Case]:
    path = tmp_path / "report.xml"
    path.write_text(text, encoding="utf-8")
    return list(junit.iter_cases(path, **limits))


def _refusal(tmp_path: Path, text: str, **limits: int) -> str:
    with pytest.raises(junit.ReportError) as caught:
        _parse(tmp_path, text, **limits)
    return str(caught.value)


def test_pytest(tmp_path: Path) -> None:
    cases = _parse(tmp_path, junit_samples.PYTEST)
    assert [(c.classname, c.name, c.result) for c in cases] == [
        ("tests.test_math", "test_add", "passed"),
        ("tests.test_math", "test_div", "failed"),
        ("tests.test_math", "test_later", "skipped"),
        ("tests.test_db", "test_connect", "error"),
        ("tests.test_db", "test_query", "passed"),
    ]
    div = cases[1]
    assert div.file == "tests/test_math.py"
    assert div.run_time == 0.25
    assert div.source == "junit"
    assert div.message is not None
    assert div.message.startswith("ZeroDivisionError: division by zero\ndef test_div():\n>")
    assert "printed" not in div.message  # system-out is not the message
    assert cases[2].message == "not yet\ntests/test_math.py:11: not yet"
    assert cases[0].message is None


def test_jest_takes_the_file_from_its_suite(tmp_path: Path) -> None:
    cases = _parse(tmp_path, junit_samples.JEST)
    assert [(c.file, c.result) for c in cases] == [
        ("src/sum.test.js", "passed"),
        ("src/sum.test.js", "failed"),
        ("src/ui.test.js", "skipped"),
    ]
    assert cases[1].message is not None
    assert cases[1].message.startswith("Error: expect(received).toBe(expected)")
    assert "at Object.<anonymous>" in cases[1].message
    assert cases[2].message is None


def test_go_junit_report(tmp_path: Path) -> None:
    cases = _parse(tmp_path, junit_samples.GO)
    assert [(c.name, c.result, c.run_time) for c in cases] == [
        ("TestPut", "passed", 0.01),
        ("TestGet", "failed", 0.02),
        ("TestGet/missing", "skipped", 0.001),
    ]
    assert cases[1].message == "Failed\nstore_test.go:21: got 1, want 2"
    assert cases[0].file is None


def test_surefire(tmp_path: Path) -> None:
    cases = _parse(tmp_path, junit_samples.SUREFIRE)
    assert [(c.name, c.result) for c in cases] == [
        ("testApp", "passed"),
        ("testNull", "error"),
        ("testRetry", "passed"),  # passed on its rerun: the flakyFailure is history
    ]
    assert cases[0].run_time == 1200.25
    assert cases[1].message is not None
    assert cases[1].message.startswith("boom\njava.lang.NullPointerException: boom")


def test_nested_suites_and_odd_times(tmp_path: Path) -> None:
    text = (
        '<testsuites><testsuite name="outer" file="outer.py"><testsuite name="inner">'
        '<testcase name="a" time="NaN"/><testcase name="b" time="-1"/></testsuite>'
        '<testcase name="c" classname="k" time="2"/></testsuite>'
        '<testsuite name="other"><testcase name="d" time="1e99"/></testsuite></testsuites>'
    )
    cases = _parse(tmp_path, text)
    assert [(c.name, c.classname, c.file, c.run_time) for c in cases] == [
        ("a", "", "outer.py", 0.0),
        ("b", "", "outer.py", 0.0),
        ("c", "k", "outer.py", 2.0),
        ("d", "", None, 0.0),
    ]


def test_an_error_outranks_a_failure_and_messages_are_cut(tmp_path: Path) -> None:
    long = "x" * (junit.MESSAGE_MAX * 2)
    text = (
        f'<testsuite><testcase name="t"><failure message="first"/>'
        f'<error message="{long}"/></testcase></testsuite>'
    )
    (case,) = _parse(tmp_path, text)
    assert case.result == "error"
    assert case.message is not None
    assert len(case.message) == junit.MESSAGE_MAX
    assert case.message.endswith("…")


@pytest.mark.parametrize(
    "text", [junit_samples.BILLION_LAUGHS, junit_samples.EXTERNAL_ENTITY], ids=["bomb", "xxe"]
)
def test_dtds_and_entities_are_refused(tmp_path: Path, text: str) -> None:
    message = _refusal(tmp_path, text)
    assert "DTD" in message
    assert "no entities are expanded" in message


def test_an_entity_without_a_dtd_is_not_expanded(tmp_path: Path) -> None:
    message = _refusal(tmp_path, '<testsuite><testcase name="&undefined;"/></testsuite>')
    assert "not well-formed XML (line 1, column" in message


def test_malformed_and_foreign_files(tmp_path: Path) -> None:
    assert "not well-formed XML (line 3" in _refusal(tmp_path, junit_samples.MALFORMED)
    assert "not well-formed XML" in _refusal(tmp_path, "")
    assert "its root element is <html>" in _refusal(tmp_path, junit_samples.NOT_JUNIT)


def test_the_size_limit_is_checked_before_parsing(tmp_path: Path) -> None:
    size = len(junit_samples.PYTEST.encode())
    message = _refusal(tmp_path, junit_samples.PYTEST, max_bytes=size - 1)
    assert message == f"it is {size} bytes, over the limit of {size - 1} bytes for a report"
    assert len(_parse(tmp_path, junit_samples.PYTEST, max_bytes=size)) == 5
