"""Reading a log by range (limit, tail) with its first line number, and by line number."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from ishcd.services import logs
from tests.api.conftest import Api, bearer


@pytest.fixture
async def project(api: Api) -> dict[str, Any]:
    return await api.project("Ops")


def random_log(seed: int, lines: int) -> bytes:
    rng = random.Random(seed)
    parts = []
    for number in range(1, lines + 1):
        kind = rng.random()
        if kind < 0.15:
            parts.append(b"\n")
        elif kind < 0.25:
            parts.append(f"crlf {number}\r\n".encode())
        else:
            text = "".join(rng.choice("abc xyz\x1b[31m") for _ in range(rng.randint(1, 200)))
            parts.append(f"{number} {text}\n".encode())
    parts.append(b"no newline at the end")
    return b"".join(parts)


async def finished_run(api: Api, tmp_path: Path, data: bytes) -> str:
    source = tmp_path / "source.log"
    source.write_bytes(data)
    await api.job("ops", f"cat {source}", name="cat")
    run = await api.wait((await api.start("ops", "cat"))["id"])
    assert run["status"] == "complete"
    return str(run["id"])


async def test_lines_by_number_match_a_naive_split(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    data = random_log(1, 3000)
    run_id = await finished_run(api, tmp_path, data)
    lines = data.split(b"\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for first, count in [(1, 5), (256, 3), (257, 1), (1000, 600), (3000, 5), (3001, 5)]:
        response = await api.get(
            f"/v1/runs/{run_id}/log/lines", params={"from": first, "count": count}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        expected = lines[first - 1 : first - 1 + count]
        assert body["lines"] == [line.decode() for line in expected]
        assert body["offset"] == starts[first - 1]
        assert body["total_lines"] == len(lines)
        assert body["complete"] is True
        assert body["size"] == len(data)
    past = (await api.get(f"/v1/runs/{run_id}/log/lines", params={"from": 3002})).json()
    assert past["lines"] == []
    assert past["offset"] is None


async def test_tail_starts_at_a_line_and_says_which(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    data = random_log(2, 3000)
    run_id = await finished_run(api, tmp_path, data)
    response = await api.get(f"/v1/runs/{run_id}/log", params={"tail": 10_000})
    assert response.status_code == 200
    start = int(response.headers["X-Log-Offset"])
    assert response.content == data[start:]
    assert len(data) - 10_000 <= start
    assert data[start - 1 : start] == b"\n"
    assert int(response.headers["X-Log-First-Line"]) == data.count(b"\n", 0, start) + 1
    assert int(response.headers["X-Log-Lines"]) == data.count(b"\n") + 1
    assert response.headers["X-Next-Offset"] == str(len(data))
    assert response.headers["X-Log-Complete"] == "true"
    whole = await api.get(f"/v1/runs/{run_id}/log", params={"tail": logs.MAX_RANGE})
    assert whole.content == data
    assert whole.headers["X-Log-First-Line"] == "1"


async def test_limit_reads_a_range_and_gives_the_line_of_its_first_byte(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    data = random_log(3, 2000)
    run_id = await finished_run(api, tmp_path, data)
    for offset in (0, 1, 5000, len(data) - 3, len(data)):
        response = await api.get(
            f"/v1/projects/ops/jobs/cat/runs/{run_id}/log",
            params={"offset": offset, "limit": 777},
        )
        assert response.content == data[offset : offset + 777]
        assert response.headers["X-Log-Offset"] == str(offset)
        assert int(response.headers["X-Log-First-Line"]) == data.count(b"\n", 0, offset) + 1
        assert response.headers["X-Next-Offset"] == str(min(len(data), offset + 777))
        complete = offset + 777 >= len(data)
        assert response.headers["X-Log-Complete"] == ("true" if complete else "false")


async def test_bad_ranges_are_422_naming_the_field(api: Api, project: dict[str, Any]) -> None:
    await api.job("ops", "true", name="j")
    run = await api.start("ops", "j")
    path = f"/v1/runs/{run['id']}/log"
    cases = [
        ({"limit": 0}, "limit"),
        ({"limit": logs.MAX_RANGE + 1}, "limit"),
        ({"tail": -1}, "tail"),
        ({"tail": 5, "offset": 3}, "tail"),
        ({"tail": 5, "follow": 1}, "tail"),
    ]
    for params, field in cases:
        response = await api.get(path, params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field
    lines = f"/v1/runs/{run['id']}/log/lines"
    for params, field in [({"from": 0}, "from"), ({"count": logs.MAX_LINES + 1}, "count")]:
        response = await api.get(lines, params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == field


async def test_lines_of_a_running_log_grow_and_visibility_is_as_for_the_log(
    api: Api, project: dict[str, Any], tmp_path: Path
) -> None:
    go = tmp_path / "go"
    await api.job(
        "ops", f"seq 1 1000; while [ ! -e {go} ]; do sleep 0.02; done; echo end", name="j"
    )
    run = await api.start("ops", "j")
    path = f"/v1/runs/{run['id']}/log/lines"
    for _ in range(500):
        body = (await api.get(path, params={"from": 999, "count": 5})).json()
        if body["total_lines"] == 1000:
            break
        await asyncio.sleep(0.02)
    assert body["lines"] == ["999", "1000"]
    assert body["complete"] is False
    stranger = await api.user("stranger")
    assert (await api.get(path, headers=bearer(stranger))).status_code == 404
    go.touch()
    await api.wait(run["id"])
    body = (await api.get(path, params={"from": 999, "count": 5})).json()
    assert body["lines"] == ["999", "1000", "end"]
    assert body["complete"] is True


async def test_a_line_longer_than_a_read_is_cut(
    api: Api, project: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "MAX_RANGE", 100)
    data = b"short\n" + b"x" * 300 + b"\nafter\n"
    run_id = await finished_run(api, tmp_path, data)
    body = (await api.get(f"/v1/runs/{run_id}/log/lines", params={"from": 1})).json()
    assert body["lines"] == ["short"]
    body = (await api.get(f"/v1/runs/{run_id}/log/lines", params={"from": 2})).json()
    assert body["lines"] == ["x" * 100]
    assert body["last_cut"] is True
    body = (await api.get(f"/v1/runs/{run_id}/log/lines", params={"from": 3})).json()
    assert body["lines"] == ["after"]
    assert body["total_lines"] == 3
