"""Searching a whole log: exact counts against a naive count, regexes, paging, limits."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import regex

from ishcd.services import log_search
from tests.api.conftest import Api, bearer


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


WORDS = ["error", "err", "warn", "ok", "Error", "ERROR", "café", "x"]


def random_log(seed: int, lines: int) -> bytes:
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        if rng.random() < 0.1:
            out.append(b"\n")
            continue
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
        sep = rng.choice([" ", "", "\x1b[31m", "--"])
        end = "\r\n" if rng.random() < 0.1 else "\n"
        out.append((sep.join(words) + end).encode())
    out.append(b"errorerr \xff error")  # no newline at the end; a byte that is not UTF-8
    return b"".join(out)


def naive(data: bytes, pattern: regex.Pattern[bytes]) -> list[tuple[int, int, int]]:
    """(line from 1, line offset, match offset) of every match, line by line."""
    found = []
    offset = 0
    for number, line in enumerate(data.split(b"\n"), 1):
        for match in pattern.finditer(line):
            if match.end() > match.start():
                found.append((number, offset, offset + match.start()))
        offset += len(line) + 1
    return found


async def finished_run(api: Api, tmp_path: Path, data: bytes) -> str:
    source = tmp_path / "source.log"
    source.write_bytes(data)
    await api.job("ops", f"cat {source}", name="cat")
    run = await api.wait((await api.start("ops", "cat"))["id"])
    return str(run["id"])


async def search(api: Api, run_id: str, **params: Any) -> dict[str, Any]:
    response = await api.get(f"/v1/runs/{run_id}/log/search", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize("buffer", [log_search.BUFFER, 997])
async def test_counts_and_matches_are_those_of_a_naive_search(
    api: Api,
    project: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    buffer: int,
) -> None:
    # A small buffer puts many matches across reads: each must be found once.
    monkeypatch.setattr(log_search, "BUFFER", buffer)
    data = random_log(11, 2000)
    run_id = await finished_run(api, tmp_path, data)
    cases: list[tuple[dict[str, Any], regex.Pattern[bytes]]] = [
        ({"q": "error"}, regex.compile(b"error")),
        ({"q": "err"}, regex.compile(b"err")),
        ({"q": "café"}, regex.compile("café".encode())),
        ({"q": "error", "ignore_case": 1}, regex.compile(b"error", regex.IGNORECASE)),
        ({"q": r"err(or)?\b", "regex": 1}, regex.compile(rb"err(or)?\b")),
        ({"q": r"^ok", "regex": 1}, regex.compile(rb"^ok", regex.MULTILINE)),
        # Matches that would take in newlines are found line by line.
        ({"q": r"x\s+\S", "regex": 1}, regex.compile(rb"x\s+\S")),
    ]
    for params, pattern in cases:
        expected = naive(data, pattern)
        body = await search(api, run_id, per_page=1000, **params)
        assert body["total"] == len(expected), params
        got = [(m["line"], m["offset"], m["match_offset"]) for m in body["matches"]]
        assert got == expected[:1000], params
        assert body["total_lines"] == data.count(b"\n") + 1


async def test_pages_of_matches_and_their_text(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    data = b"".join(f"line {n} has error {n % 7}\n".encode() for n in range(1, 301))
    run_id = await finished_run(api, tmp_path, data)
    first = await search(api, run_id, q="error", per_page=40)
    assert first["total"] == 300
    assert [m["line"] for m in first["matches"]] == list(range(1, 41))
    match = first["matches"][4]
    assert match["text"] == "line 5 has error 5"
    assert match["text"][match["start"] : match["end"]] == "error"
    assert match["column"] == match["start"]
    last = await search(api, run_id, q="error", per_page=40, page=8)
    assert [m["line"] for m in last["matches"]] == list(range(281, 301))
    beyond = await search(api, run_id, q="error", per_page=40, page=9)
    assert beyond["matches"] == []
    assert beyond["total"] == 300


async def test_a_long_line_is_cut_around_its_match(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    data = b"a" * 5000 + b"NEEDLE" + b"b" * 5000 + b"\n"
    run_id = await finished_run(api, tmp_path, data)
    match = (await search(api, run_id, q="NEEDLE"))["matches"][0]
    assert len(match["text"]) <= log_search.TEXT_CHARS
    assert match["text"][match["start"] : match["end"]] == "NEEDLE"
    assert match["column"] == 5000
    assert match["match_offset"] == 5000


async def test_bad_queries_are_422_naming_q(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "echo hi", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    path = f"/v1/runs/{run['id']}/log/search"
    cases = [
        {"q": "(unclosed", "regex": 1},
        {"q": "a*", "regex": 1},  # matches an empty string: every line
        {"q": ""},
        {"q": "x" * (log_search.MAX_QUERY + 1)},
        {"q": "a\nb"},
    ]
    for params in cases:
        response = await api.get(path, params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == "q", response.json()
    bad = await api.get(path, params={"q": "(unclosed", "regex": 1})
    assert "not a valid regex" in bad.json()["message"]
    assert (await api.get(path, params={"q": "hi", "per_page": 1001})).status_code == 422


async def test_a_search_that_runs_too_long_is_stopped_with_a_clear_message(
    api: Api, project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(log_search, "SEARCH_SECONDS", 0.0)
    run_id = await finished_run(api, tmp_path, b"aaaa\n" * 10)
    response = await api.get(f"/v1/runs/{run_id}/log/search", params={"q": "a+b", "regex": 1})
    assert response.status_code == 422
    assert "took longer than" in response.json()["message"]


async def test_search_visibility_is_as_for_the_log(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "echo hi", name="j")
    run = await api.wait((await api.start("ops", "j"))["id"])
    path = f"/v1/projects/ops/jobs/j/runs/{run['id']}/log/search"
    stranger = await api.user("stranger")
    assert (await api.get(path, params={"q": "hi"}, headers=bearer(stranger))).status_code == 404
    reader = await api.user("reader")
    await api.grant(project["id"], reader, "read")
    found = await api.get(path, params={"q": "hi"}, headers=bearer(reader))
    assert found.json()["total"] == 1
